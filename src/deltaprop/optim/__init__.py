"""Optimizers that update parameters from their gradients, and learning-rate schedules.

PyTorch's names, arguments and update rules: ``SGD``, ``Adam``, ``AdamW``, ``RMSprop``,
``Adagrad``, each a subclass of :class:`Optimizer`; the schedules live in
:mod:`deltaprop.optim.lr_scheduler`. Updates happen in place on the parameters' arrays and record
no graph.
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "lr_scheduler"]
