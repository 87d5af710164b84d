"""Layers, activations, losses and containers, with PyTorch's names, shapes and defaults."""

from . import functional, init
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .activation import (
    CELU, SELU, Hardsigmoid, Hardswish, Hardtanh, LogSigmoid, Mish, PReLU, ReLU6, SiLU, Softmin, Softplus, Softsign,
    Tanhshrink, Threshold,
)
from .container import ModuleList, Sequential
from .conv import Conv1d, Conv2d
from .layers import Dropout, Flatten, Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss
from .module import Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
# Embedding, GroupNorm, padding, channel dropout, Unflatten, the dict and parameter containers, two losses
from .container import ModuleDict, ParameterDict, ParameterList
from .layers import Dropout1d, Dropout2d, Unflatten
from .loss import KLDivLoss, SmoothL1Loss
from .normalization import GroupNorm
from .padding import ConstantPad1d, ConstantPad2d, ZeroPad1d, ZeroPad2d
from .pooling import AdaptiveAvgPool1d
from .sparse import Embedding
# recurrent layers and their cells
from .recurrent import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell
# Transposed convolutions
from .conv_transpose import ConvTranspose1d, ConvTranspose2d
# Comparing two inputs
from .distance import CosineSimilarity, PairwiseDistance
from . import models  # noqa: E402  (ready-made networks, built from the layers above)
from . import utils  # noqa: E402

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "ELU", "Flatten", "GELU",
    "HuberLoss", "Identity", "L1Loss", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "Module",
    "ModuleList", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
    "functional", "init", "utils",
    "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv1d", "Conv2d",
    "LayerNorm", "MaxPool1d", "MaxPool2d",
    "AdaptiveAvgPool1d", "ConstantPad1d", "ConstantPad2d", "Dropout1d", "Dropout2d", "Embedding", "GroupNorm",
    "KLDivLoss", "ModuleDict", "ParameterDict", "ParameterList", "SmoothL1Loss", "Unflatten", "ZeroPad1d", "ZeroPad2d",
    "CELU", "Hardsigmoid", "Hardswish", "Hardtanh", "LogSigmoid", "Mish", "PReLU", "ReLU6", "SELU", "SiLU", "Softmin",
    "Softplus", "Softsign", "Tanhshrink", "Threshold",
    "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell",
    "ConvTranspose1d", "ConvTranspose2d",
    "CosineSimilarity", "PairwiseDistance",
]
