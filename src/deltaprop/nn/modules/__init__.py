"""PyTorch's ``torch.nn.modules`` package, for code that imports from its paths
(``from torch.nn.modules.loss import _Loss``, ``from torch.nn.modules.batchnorm import _BatchNorm``).

Each submodule names the classes PyTorch's file of that name holds, private base classes among
them, and takes them from where deltaprop keeps them: the classes are deltaprop's own, so
``isinstance`` and subclassing work as through ``deltaprop.nn``. ``_NormBase`` is deltaprop's base
of batch and instance normalization (the one with running statistics). PyTorch names a few bases
deltaprop has no class for, left out rather than faked: ``_AdaptiveAvgPoolNd`` (here adaptive
average and max pooling share one base), ``_ReflectionPadNd``, ``_ReplicationPadNd`` and
``_CircularPadNd`` (one base fills all three), ``_LazyNormBase``, ``LazyModuleMixin``,
``_ConvTransposeMixin``, ``_LazyConvXdMixin`` and ``NonDynamicallyQuantizableLinear``.
"""

from .activation import *  # noqa: F401,F403
from .adaptive import *  # noqa: F401,F403
from .batchnorm import *  # noqa: F401,F403
from .channelshuffle import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403
from .instancenorm import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .module import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .pixelshuffle import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403
from . import utils  # noqa: F401
