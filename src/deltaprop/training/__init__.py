"""Training: the fit loop, its history, callbacks and metrics."""

from . import metrics
from .callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from .history import History
from .trainer import Trainer, evaluate, fit, predict

__all__ = [
    "CSVLogger", "Callback", "EarlyStopping", "History", "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint",
    "ReduceLROnPlateau", "TerminateOnNaN", "Trainer", "evaluate", "fit", "metrics", "predict",
]
