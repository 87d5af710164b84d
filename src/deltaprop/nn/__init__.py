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
from .recurrent import RNNBase, RNNCellBase  # their base classes
from .pooling import FractionalMaxPool2d, FractionalMaxPool3d  # max pooling at random fractional strides
from .normalization import CrossMapLRN2d, SyncBatchNorm  # Lua Torch's response norm; batch norm's multi-GPU name
from .container import Container  # deprecated: PyTorch's oldest container
from .loss import NLLLoss2d  # deprecated: NLLLoss under its image-sized name
# Transposed convolutions
from .conv_transpose import ConvTranspose1d, ConvTranspose2d
# spatial layers: resampling, pixel shuffling, instance norm, adaptive max pooling, reflection padding, im2col
from .normalization import InstanceNorm1d, InstanceNorm2d
from .padding import ReflectionPad1d, ReflectionPad2d, ReplicationPad1d, ReplicationPad2d
from .pooling import AdaptiveMaxPool1d, AdaptiveMaxPool2d
from .spatial import Fold, PixelShuffle, PixelUnshuffle, Unfold, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
# ranking, embedding and likelihood losses; shrinkage, gating, alpha dropout, bilinear
from .activation import GLU, Hardshrink, Softmax2d, Softshrink
from .layers import AlphaDropout, Bilinear
from .loss import (
    CosineEmbeddingLoss, GaussianNLLLoss, HingeEmbeddingLoss, MarginRankingLoss, MultiLabelSoftMarginLoss, PoissonNLLLoss,
    SoftMarginLoss, TripletMarginLoss,
)
# Comparing two inputs
from .distance import CosineSimilarity, PairwiseDistance
# Attention and the Transformer
from .attention import MultiheadAttention
from .transformer import (
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer,
)
# max unpooling (from MaxPool's return_indices)
from .pooling import MaxUnpool1d, MaxUnpool2d
# RMS normalization
from .normalization import RMSNorm
# hinges over class scores; triplets under any distance
from .loss import MultiLabelMarginLoss, MultiMarginLoss, TripletMarginWithDistanceLoss
# local response norm, power-average pooling, channel shuffling, circular padding, random slopes and
# channel alpha dropout
from .activation import RReLU
from .layers import FeatureAlphaDropout
from .normalization import LocalResponseNorm
from .padding import CircularPad1d, CircularPad2d
from .pooling import LPPool1d, LPPool2d, LPPool3d
from .spatial import ChannelShuffle
# bags of embeddings
from .sparse import EmbeddingBag
# lazy layers (their input size read from the first input)
from .lazy import (
    LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d, LazyConv2d, LazyConv3d, LazyConvTranspose1d,
    LazyConvTranspose2d, LazyConvTranspose3d, LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d, LazyLinear,
)
# label sequences read off unaligned frames; the adaptive softmax over many classes
from .adaptive import AdaptiveLogSoftmaxWithLoss
from .loss import CTCLoss
# a linear layer and the cross-entropy of its logits as one loss
from .linear_cross_entropy import LinearCrossEntropyLoss, LinearCrossEntropyOptions
# the 3-d layers: volumetric data (N, C, D, H, W)
from .conv import Conv3d
from .conv_transpose import ConvTranspose3d
from .layers import Dropout3d
from .normalization import BatchNorm3d, InstanceNorm3d
from .padding import CircularPad3d, ConstantPad3d, ReflectionPad3d, ReplicationPad3d, ZeroPad3d
from .pooling import AdaptiveAvgPool3d, AdaptiveMaxPool3d, AvgPool3d, MaxPool3d, MaxUnpool3d
# the data-parallel wrapper, as PyTorch runs it without a GPU
from .parallel import DataParallel
# nn.Buffer: assigned to a module attribute, it registers a buffer; a lazy layer's placeholder parameter
from .parameter import Buffer, UninitializedParameter
from . import parallel  # noqa: E402  (nn.parallel, as torch.nn.parallel)
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
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "Fold", "InstanceNorm1d", "InstanceNorm2d", "PixelShuffle",
    "PixelUnshuffle", "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "Unfold",
    "Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d",
    "AlphaDropout", "Bilinear", "CosineEmbeddingLoss", "GLU", "GaussianNLLLoss", "Hardshrink", "HingeEmbeddingLoss",
    "MarginRankingLoss", "MultiLabelSoftMarginLoss", "PoissonNLLLoss", "SoftMarginLoss", "Softmax2d", "Softshrink",
    "TripletMarginLoss",
    "CosineSimilarity", "PairwiseDistance",
    "MultiheadAttention", "Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
    "TransformerEncoderLayer",
    "MaxUnpool1d", "MaxUnpool2d",
    "RMSNorm",
    "MultiLabelMarginLoss", "MultiMarginLoss", "TripletMarginWithDistanceLoss",
    "ChannelShuffle", "CircularPad1d", "CircularPad2d", "FeatureAlphaDropout", "LocalResponseNorm", "LPPool1d",
    "LPPool2d", "LPPool3d", "RReLU",
    "EmbeddingBag",
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d", "LazyConv2d", "LazyConv3d",
    "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
    "LazyInstanceNorm3d", "LazyLinear",
    "AdaptiveLogSoftmaxWithLoss", "CTCLoss", "LinearCrossEntropyLoss", "LinearCrossEntropyOptions",
    "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "AvgPool3d", "BatchNorm3d", "CircularPad3d", "ConstantPad3d", "Conv3d",
    "ConvTranspose3d", "Dropout3d", "InstanceNorm3d", "MaxPool3d", "MaxUnpool3d", "ReflectionPad3d",
    "ReplicationPad3d", "ZeroPad3d",
    "DataParallel",
    "Buffer", "UninitializedParameter", "RNNBase", "RNNCellBase", "FractionalMaxPool2d", "FractionalMaxPool3d",
    "CrossMapLRN2d", "SyncBatchNorm", "Container", "NLLLoss2d",
]

_PATHS = ("modules", "common_types")  # PyTorch's module paths, imported on first use


def __getattr__(name):
    if name not in _PATHS:
        raise AttributeError(f"module 'deltaprop.nn' has no attribute {name!r}")
    import importlib

    return importlib.import_module(f".{name}", __name__)
