"""Optimizers that update parameters from their gradients, and learning-rate schedules.

PyTorch's names, arguments and update rules: ``SGD``, ``Adam``, ``AdamW``, ``NAdam``, ``RAdam``,
``Adamax``, ``RMSprop``, ``Adagrad``, ``Adadelta``, ``Rprop``, ``ASGD``, ``Adafactor``,
``LBFGS`` (its ``step`` takes a closure), ``Muon`` (2-d weights), ``SparseAdam`` (the rows of
``nn.Embedding(..., sparse=True)``), each a subclass of :class:`Optimizer`; the
schedules live in :mod:`deltaprop.optim.lr_scheduler`, weight averaging (SWA, EMA) in
:mod:`deltaprop.optim.swa_utils` (both, and the optimizers the training loop does not name,
imported on first use). Updates happen in place on the parameters' arrays and record no graph.
"""

from .. import _lazy
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "ASGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam", "Optimizer", "RAdam",
    "RMSprop", "Rprop", "SGD", "lr_scheduler",
    "Muon", "SparseAdam",
]

# Imported on first use (deltaprop._lazy): the optimizers the training loop does not name, the
# schedules and, out of dir()'s names as before, swa_utils (``optim.swa_utils.AveragedModel``).
_OPTIMIZERS = {".adafactor": "Adafactor", ".asgd": "ASGD", ".lbfgs": "LBFGS", ".muon": "Muon", ".rprop": "Rprop",
               ".sparse_adam": "SparseAdam"}
_lazy.provide(globals(), _OPTIMIZERS, modules=(*_OPTIMIZERS, ".line_search", ".lr_scheduler"), unlisted=(".swa_utils",))
