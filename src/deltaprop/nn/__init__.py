"""Layers, activations, losses and containers, with PyTorch's names, shapes and defaults.

What an MLP and its training need is imported here; the other layers (convolution, pooling,
normalization, padding, recurrent, attention, embeddings, ...; _LAYERS below) on first use, through
deltaprop._lazy: ``nn.Conv2d`` and ``from deltaprop.nn import LSTM`` work as if they were imported here.
"""

from .. import _lazy
from . import functional, init
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .activation import (
    CELU, SELU, Hardsigmoid, Hardswish, Hardtanh, LogSigmoid, Mish, PReLU, ReLU6, SiLU, Softmin, Softplus, Softsign,
    Tanhshrink, Threshold,
)
from .container import ModuleList, Sequential
from .layers import Dropout, Flatten, Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss
from .module import Module, Parameter
# channel dropout, Unflatten, the dict and parameter containers, two losses
from .container import ModuleDict, ParameterDict, ParameterList
from .layers import Dropout1d, Dropout2d, Unflatten
from .loss import KLDivLoss, SmoothL1Loss
from .container import Container  # deprecated: PyTorch's oldest container
from .loss import NLLLoss2d  # deprecated: NLLLoss under its image-sized name
# ranking, embedding and likelihood losses; shrinkage, gating, alpha dropout, bilinear
from .activation import GLU, Hardshrink, Softmax2d, Softshrink
from .layers import AlphaDropout, Bilinear
from .loss import (
    CosineEmbeddingLoss, GaussianNLLLoss, HingeEmbeddingLoss, MarginRankingLoss, MultiLabelSoftMarginLoss, PoissonNLLLoss,
    SoftMarginLoss, TripletMarginLoss,
)
# Comparing two inputs
from .distance import CosineSimilarity, PairwiseDistance
# hinges over class scores; triplets under any distance
from .loss import MultiLabelMarginLoss, MultiMarginLoss, TripletMarginWithDistanceLoss
# random slopes and channel alpha dropout
from .activation import RReLU
from .layers import FeatureAlphaDropout
# label sequences read off unaligned frames
from .loss import CTCLoss
# the 3-d dropout: volumetric data (N, C, D, H, W)
from .layers import Dropout3d
# nn.Buffer: assigned to a module attribute, it registers a buffer; a lazy layer's placeholder parameter
from .parameter import Buffer, UninitializedBuffer, UninitializedParameter

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
    "Buffer", "UninitializedBuffer", "UninitializedParameter", "RNNBase", "RNNCellBase", "FractionalMaxPool2d", "FractionalMaxPool3d",
    "CrossMapLRN2d", "SyncBatchNorm", "Container", "NLLLoss2d",
]

# The layers imported on first use, each module with the classes it lends.
_LAYERS = {
    ".conv": "Conv1d Conv2d Conv3d",
    ".conv_transpose": "ConvTranspose1d ConvTranspose2d ConvTranspose3d",  # transposed convolutions
    ".pooling": "AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d AdaptiveMaxPool1d AdaptiveMaxPool2d "
                "AdaptiveMaxPool3d AvgPool1d AvgPool2d AvgPool3d FractionalMaxPool2d FractionalMaxPool3d LPPool1d "
                "LPPool2d LPPool3d MaxPool1d MaxPool2d MaxPool3d MaxUnpool1d MaxUnpool2d MaxUnpool3d",
    # (CrossMapLRN2d: Lua Torch's response norm; SyncBatchNorm: batch norm's multi-GPU name)
    ".normalization": "BatchNorm1d BatchNorm2d BatchNorm3d CrossMapLRN2d GroupNorm InstanceNorm1d InstanceNorm2d "
                      "InstanceNorm3d LayerNorm LocalResponseNorm RMSNorm SyncBatchNorm",
    ".padding": "CircularPad1d CircularPad2d CircularPad3d ConstantPad1d ConstantPad2d ConstantPad3d ReflectionPad1d "
                "ReflectionPad2d ReflectionPad3d ReplicationPad1d ReplicationPad2d ReplicationPad3d ZeroPad1d ZeroPad2d "
                "ZeroPad3d",
    # resampling, pixel and channel shuffling, im2col
    ".spatial": "ChannelShuffle Fold PixelShuffle PixelUnshuffle Unfold Upsample UpsamplingBilinear2d UpsamplingNearest2d",
    ".sparse": "Embedding EmbeddingBag",
    ".recurrent": "GRU GRUCell LSTM LSTMCell RNN RNNBase RNNCell RNNCellBase",  # recurrent layers, their cells and bases
    ".attention": "MultiheadAttention",
    ".transformer": "Transformer TransformerDecoder TransformerDecoderLayer TransformerEncoder TransformerEncoderLayer",
    # lazy layers (their input size read from the first input)
    ".lazy": "LazyBatchNorm1d LazyBatchNorm2d LazyBatchNorm3d LazyConv1d LazyConv2d LazyConv3d LazyConvTranspose1d "
             "LazyConvTranspose2d LazyConvTranspose3d LazyInstanceNorm1d LazyInstanceNorm2d LazyInstanceNorm3d LazyLinear",
    ".adaptive": "AdaptiveLogSoftmaxWithLoss",  # the adaptive softmax over many classes
    # a linear layer and the cross-entropy of its logits as one loss
    ".linear_cross_entropy": "LinearCrossEntropyLoss LinearCrossEntropyOptions",
    ".parallel": "DataParallel",  # the data-parallel wrapper, as PyTorch runs it without a GPU
}
# ... each also this package's attribute, as are nn.parallel (torch.nn.parallel), nn.models (ready-made
# networks, built from the layers) and nn.utils; PyTorch's module paths nn.modules and nn.common_types
# are there for ``import`` and attribute access, but not among dir()'s names.
_lazy.provide(globals(), _LAYERS, modules=(*_LAYERS, ".models", ".utils"), unlisted=(".modules", ".common_types"))
