"""fit on a source of batches, where a run could go quietly wrong: the order in which the epoch's
hooks and its batches come, weights that train nothing, and a shuffling validation loader after a
resume."""

import numpy as np
import pytest

from deltaprop import optim
from deltaprop.data import DataLoader, Dataset
from deltaprop.training import Callback, Trainer
from training_problem import small_classifier, three_classes

X, Y = three_classes(n=120)
XT, YT, XV, YV = X[:80], Y[:80], X[80:], Y[80:]


def _trainer(callbacks=(), dropout=0.0):
    model = small_classifier(dropout=dropout)
    return Trainer(model, loss="cross_entropy", optimizer=optim.Adam(model.parameters(), lr=0.01),
                   callbacks=callbacks, verbose=0, seed=5)


class _Events(Callback):
    """Writes the epoch and batch hooks into a list that the data writes its pulls into too."""

    def __init__(self, events):
        self.events = events

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(f"epoch {epoch}")

    def on_train_batch_begin(self, batch, logs=None):
        self.events.append(f"batch {batch}")


class _Recorded(Dataset):
    """Eight samples of the problem, each read written down."""

    def __init__(self, events):
        self.events = events

    def __len__(self):
        return 8

    def __getitem__(self, i):
        self.events.append(f"read {i}")
        return XT[i], YT[i]


def _pulled(events, batches, weighted=False):
    for i in range(batches):
        events.append(f"pull {i}")
        batch = (XT[i * 4 : (i + 1) * 4], YT[i * 4 : (i + 1) * 4])
        yield batch + (np.ones(4),) if weighted else batch


@pytest.mark.parametrize("weighted", [False, True])
def test_a_generators_first_batch_is_drawn_after_on_epoch_begin(weighted):
    events = []
    _trainer([_Events(events)]).fit(_pulled(events, 4, weighted), epochs=2, steps_per_epoch=2)
    # Keras' order: the epoch begins, then its batches are drawn, one before each batch's hooks
    assert events == ["epoch 1", "pull 0", "batch 0", "pull 1", "batch 1",
                      "epoch 2", "pull 2", "batch 0", "pull 3", "batch 1"]


def test_a_dataloaders_first_batch_is_read_after_on_epoch_begin():
    events = []
    _trainer([_Events(events)]).fit(DataLoader(_Recorded(events), batch_size=4), epochs=2)
    reads = [[f"read {i}" for i in range(start, start + 4)] for start in (0, 4)]
    assert events == ["epoch 1", *reads[0], "batch 0", *reads[1], "batch 1",
                      "epoch 2", *reads[0], "batch 0", *reads[1], "batch 1"]
