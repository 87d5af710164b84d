"""The small problem the training tests share: three classes of six features and a network that
separates them within a few epochs."""

import numpy as np

import deltaprop as dp
from deltaprop import nn


def three_classes(n=96, seed=0):
    """(X, y): n samples of six features, labels 0-2 that a small network learns in a few epochs."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 0.5)
    return X, y


def small_classifier(seed=1, dropout=0.0):
    """6 -> 16 (ReLU, then dropout if given) -> 3, its weights drawn from ``seed``."""
    dp.manual_seed(seed)
    layers = [nn.Linear(6, 16), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(16, 3))
