"""fit on a source of batches, where a run could go quietly wrong: the order in which the epoch's
hooks and its batches come, weights that train nothing, and a shuffling validation loader after a
resume."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import optim
from deltaprop.data import ArrayDataset, DataLoader, Dataset
from deltaprop.errors import DataError
from deltaprop.training import Callback, ModelCheckpoint, Trainer
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


# -- weights that train nothing -----------------------------------------------------------------------

def _weighted_batches(*weights):
    return [(XT[i * 4 : (i + 1) * 4], YT[i * 4 : (i + 1) * 4], w) for i, w in enumerate(weights)]


@pytest.mark.parametrize("bad, message", [
    (np.array([1.0, -0.5, 1.0, 1.0]), r"^fit, batch 1: sample_weight holds negative weights \(the first is -0.5 at sample 1\)$"),
    (np.array([1.0, 1.0, np.nan, 1.0]), r"^fit, batch 1: sample_weight holds NaN or infinite weights \(the first is nan at sample 2\)$"),
    (np.array([1.0, 1.0, 1.0, np.inf]), r"^fit, batch 1: sample_weight holds NaN or infinite weights \(the first is inf at sample 3\)$"),
])
def test_a_batch_of_negative_or_non_finite_weights_is_refused_naming_it(bad, message):
    trainer = _trainer()
    with pytest.raises(DataError, match=message):
        trainer.fit(iter(_weighted_batches(np.ones(4), bad, np.ones(4))))
    assert trainer.history.epoch == []  # refused before any epoch was recorded


def test_an_epoch_whose_batches_all_weigh_nothing_is_refused_naming_them():
    zero = np.zeros(4)
    # a re-iterable: the same epoch every time; a generator: an epoch of its own
    for data, epochs, steps, where in [
        (_weighted_batches(zero, zero, zero), 1, None, "batches 0 to 2 of epoch 1"),
        (iter(_weighted_batches(np.ones(4), zero, zero, zero)), 2, 2, "batches 0 to 1 of epoch 2"),
        (iter(_weighted_batches(zero)), 1, None, "batch 0 of epoch 1"),
    ]:
        if isinstance(data, list):
            data = _Again(data)
        ended = []
        trainer = _trainer([_Ended(ended)])
        with pytest.raises(DataError, match=rf"^fit, {where}: every sample has weight 0, so the epoch learned "
                                            rf"nothing; give some samples a positive weight$"):
            trainer.fit(data, epochs=epochs, steps_per_epoch=steps)
        assert ended == list(range(1, epochs))  # the refused epoch is not ended: no callback saw it end


def test_zero_weights_in_some_batches_of_an_epoch_train_as_the_arrays_do():
    w = np.concatenate([np.zeros(4), np.ones(4), np.zeros(4)])
    batches = _weighted_batches(np.zeros(4), np.ones(4), np.zeros(4))
    from_source = _trainer()
    from_source.fit(iter(batches))
    from_arrays = _trainer()
    from_arrays.fit(XT[:12], YT[:12], sample_weight=w, batch_size=4, shuffle=False)
    for a, b in zip(from_source.model.parameters(), from_arrays.model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


class _Again:
    """The same batches at every pass (a re-iterable that is neither a list nor a DataLoader)."""

    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        return iter(self.batches)


class _Ended(Callback):
    def __init__(self, ended):
        self.ended = ended

    def on_epoch_end(self, epoch, logs=None):
        self.ended.append(epoch)


# -- a shuffling validation loader without a seed, after a resume -------------------------------------

def _validation():
    return DataLoader(ArrayDataset(XV, YV), batch_size=8, shuffle=True)  # no seed


@pytest.mark.parametrize("dropout, steps", [(0.0, 1), (0.3, 2), (0.3, None)])
def test_a_resumed_run_validates_on_the_samples_of_the_uninterrupted_one(tmp_path, dropout, steps):
    def run(epochs, callbacks=(), resume_from=None):
        trainer = _trainer(callbacks, dropout)
        history = trainer.fit(XT, YT, batch_size=16, epochs=epochs, validation_data=_validation(),
                              validation_steps=steps, resume_from=resume_from)
        return trainer, history

    straight, straight_history = run(3)
    path = tmp_path / "after-epoch-1.ckpt"
    run(1, [ModelCheckpoint(path)])
    dp.manual_seed(99)  # the resumed run restores every random state itself
    resumed, resumed_history = run(3, resume_from=path)
    # the same validation samples, and no draw taken from the dropout masks' generator for their order
    for key in ("loss", "val_loss"):
        np.testing.assert_array_equal(resumed_history[key], straight_history[key], err_msg=key)
    for a, b in zip(resumed.model.parameters(), straight.model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_a_seedless_shuffling_validation_loader_takes_the_runs_seed():
    loader = _validation()
    trainer = _trainer()
    history = trainer.fit(XT, YT, batch_size=16, epochs=1, validation_data=loader, validation_steps=1)
    assert loader.seed == 5
    first = loader.order(0)[:8]
    np.testing.assert_allclose(history["val_loss"][-1], trainer.evaluate(XV[first], YV[first])["loss"], rtol=1e-6)
    seeded = DataLoader(ArrayDataset(XV, YV), batch_size=8, shuffle=True, seed=3)
    _trainer().fit(XT, YT, batch_size=16, epochs=1, validation_data=seeded)
    assert seeded.seed == 3  # a loader's own seed is kept
