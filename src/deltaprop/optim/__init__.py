"""Optimizers that update parameters from their gradients, and learning-rate schedules.

PyTorch's names, arguments and update rules: ``SGD``, ``Adam``, ``AdamW``, ``NAdam``, ``RAdam``,
``Adamax``, ``RMSprop``, ``Adagrad``, ``Adadelta``, ``LBFGS`` (its ``step`` takes a closure), each a subclass of :class:`Optimizer`; the
schedules live in :mod:`deltaprop.optim.lr_scheduler`. Updates happen in place on the parameters'
arrays and record no graph.
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam", "Optimizer", "RAdam", "RMSprop", "SGD", "lr_scheduler",
]
