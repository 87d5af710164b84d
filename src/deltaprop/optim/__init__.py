"""Optimizers that update parameters from their gradients, and learning-rate schedules.

PyTorch's names, arguments and update rules: ``SGD``, ``Adam``, ``AdamW``, ``NAdam``, ``RAdam``,
``Adamax``, ``RMSprop``, ``Adagrad``, ``Adadelta``, ``Rprop``, ``ASGD``, ``Adafactor``,
``LBFGS`` (its ``step`` takes a closure), ``Muon`` (2-d weights), ``SparseAdam`` (the rows of
``nn.Embedding(..., sparse=True)``), each a subclass of :class:`Optimizer`; the
schedules live in :mod:`deltaprop.optim.lr_scheduler`, weight averaging (SWA, EMA) in
:mod:`deltaprop.optim.swa_utils` (imported on first use). Updates happen in place on the parameters'
arrays and record no graph.
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = [
    "ASGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam", "Optimizer", "RAdam",
    "RMSprop", "Rprop", "SGD", "lr_scheduler",
    "Muon", "SparseAdam",
]


def __getattr__(name):
    # swa_utils on first use (``optim.swa_utils.AveragedModel``): the training loop does not need it
    if name == "swa_utils":
        import importlib

        return importlib.import_module(".swa_utils", __name__)
    raise AttributeError(f"module 'deltaprop.optim' has no attribute {name!r}")
