"""fit, evaluate and predict on a source of batches (a DataLoader, an iterable, a generator), as
Keras 3 takes a PyDataset or a generator: the same run as on arrays with the same batches."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import optim
from deltaprop.data import ArrayDataset, DataLoader, TensorDataset
from deltaprop.errors import ConfigError, DataError
from deltaprop.serialization import load_checkpoint
from deltaprop.training import Callback, ModelCheckpoint, Trainer, evaluate, fit, predict
from training_problem import small_classifier, three_classes

X, Y = three_classes(n=120)
XT, YT, XV, YV = X[:80], Y[:80], X[80:], Y[80:]


def _trainer(callbacks=(), dropout=0.0, seed=5):
    model = small_classifier(dropout=dropout)
    return Trainer(model, loss="cross_entropy", optimizer=optim.Adam(model.parameters(), lr=0.01),
                   metrics=["accuracy"], weighted_metrics=["accuracy"], callbacks=callbacks, verbose=0, seed=seed)


def _same_run(a, b):
    (ta, ha), (tb, hb) = a, b
    for pa, pb in zip(ta.model.parameters(), tb.model.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
    assert ha.epoch == hb.epoch and list(ha.history) == list(hb.history)
    for key in ha.history:
        if key != "time":
            np.testing.assert_array_equal(ha[key], hb[key], err_msg=key)


def _fit(data, *args, callbacks=(), dropout=0.0, **options):
    trainer = _trainer(callbacks, dropout)
    return trainer, trainer.fit(data, *args, epochs=options.pop("epochs", 3), **options)


class Batches:
    """A re-iterable of (x, y[, w]) batches that is neither a DataLoader nor a list."""

    def __init__(self, *arrays, size=16):
        self.arrays, self.size = arrays, size

    def __iter__(self):
        n = len(self.arrays[0])
        return (tuple(a[i : i + self.size] for a in self.arrays) for i in range(0, n, self.size))


def test_a_dataloader_in_order_trains_exactly_as_the_arrays_do():
    loader = DataLoader(ArrayDataset(XT, YT), batch_size=16)
    _same_run(_fit(loader), _fit(XT, YT, batch_size=16, shuffle=False))


def test_a_seeded_shuffling_dataloader_trains_exactly_as_the_arrays_shuffled_with_that_seed():
    arrays = _fit(XT, YT, batch_size=16, dropout=0.3)  # the trainer's seed, 5, shuffles the arrays
    _same_run(_fit(DataLoader(ArrayDataset(XT, YT), batch_size=16, shuffle=True, seed=5), dropout=0.3), arrays)
    # a shuffling loader without a seed takes the run's, and keeps it
    loader = DataLoader(ArrayDataset(XT, YT), batch_size=16, shuffle=True)
    _same_run(_fit(loader, dropout=0.3), arrays)
    assert loader.seed == 5 and loader.epoch == 4  # epochs 1-3 ran as the loader's epochs 1-3


def test_any_iterable_of_batches_with_tensors_or_weights_trains_as_the_arrays_do():
    _same_run(_fit(Batches(XT, YT)), _fit(XT, YT, batch_size=16, shuffle=False))
    tensors = DataLoader(TensorDataset(dp.tensor(XT), dp.tensor(YT)), batch_size=16)
    _same_run(_fit(tensors), _fit(XT, YT, batch_size=16, shuffle=False))
    w = np.linspace(0.2, 2.0, len(XT))
    _same_run(_fit(Batches(XT, YT, w)), _fit(XT, YT, batch_size=16, shuffle=False, sample_weight=w))


def test_validation_data_as_batches_gives_the_loss_and_metrics_of_the_arrays():
    with_loader = _fit(XT, YT, batch_size=16, validation_data=DataLoader(ArrayDataset(XV, YV), batch_size=8))
    with_arrays = _fit(XT, YT, batch_size=16, validation_data=(XV, YV))
    for key in ("val_loss", "val_accuracy"):
        np.testing.assert_allclose(with_loader[1][key], with_arrays[1][key], rtol=1e-6)
    np.testing.assert_array_equal(with_loader[1]["loss"], with_arrays[1]["loss"])


def test_validation_steps_validates_on_the_first_batches_every_time():
    trainer, history = _fit(XT, YT, batch_size=16, epochs=2, validation_steps=1,
                            validation_data=DataLoader(ArrayDataset(XV, YV), batch_size=8, shuffle=True, seed=1))
    first = DataLoader(ArrayDataset(XV, YV), batch_size=8, shuffle=True, seed=1).order(0)[:8]
    expected = trainer.evaluate(XV[first], YV[first])["loss"]
    np.testing.assert_allclose(history["val_loss"][-1], expected, rtol=1e-6)
    # on arrays: the first validation_steps batches of validation_batch_size
    trainer, history = _fit(XT, YT, batch_size=16, epochs=1, validation_data=(XV, YV), validation_steps=2,
                            validation_batch_size=5)
    np.testing.assert_allclose(history["val_loss"][-1], trainer.evaluate(XV[:10], YV[:10])["loss"], rtol=1e-6)


class _CountBatches(Callback):
    def __init__(self):
        self.per_epoch = {}

    def on_train_batch_end(self, batch, logs=None):
        self.per_epoch[self.trainer.epoch] = batch + 1


def test_steps_per_epoch_caps_the_batches_of_every_epoch():
    counts = _CountBatches()
    capped = _fit(XT, YT, batch_size=16, shuffle=False, steps_per_epoch=3, callbacks=[counts])
    assert counts.per_epoch == {1: 3, 2: 3, 3: 3} and capped[1].params["steps"] == 3
    # each epoch starts a new pass: the same as training on the first three batches alone
    _same_run(capped, _fit(XT[:48], YT[:48], batch_size=16, shuffle=False))
    counts = _CountBatches()
    loader = _fit(DataLoader(ArrayDataset(XT, YT), batch_size=16), steps_per_epoch=3, callbacks=[counts])
    assert counts.per_epoch == {1: 3, 2: 3, 3: 3}
    _same_run(loader, capped)
    assert _fit(XT, YT, batch_size=16, steps_per_epoch=50)[1].params["steps"] == 5  # more than there are: all


def _generator(served, batches=10, size=8):
    for i in range(batches):
        served.append(i)
        yield XT[i * size : (i + 1) * size], YT[i * size : (i + 1) * size]


def test_a_generator_continues_across_epochs_and_ends_the_run_when_it_runs_out():
    served = []
    _, history = _fit(_generator(served), epochs=2, steps_per_epoch=4)
    assert served == list(range(8)) and history.epoch == [1, 2] and history.stop_reason is None
    served = []
    _, history = _fit(_generator(served), epochs=4, steps_per_epoch=4)
    assert history.epoch == [1, 2, 3]  # the third epoch had 2 batches, the fourth none
    assert history.stop_reason == ("the training data ran out after 2 batches of epoch 3 (a one-shot iterator gives "
                                   "its batches once: it must hold steps_per_epoch × epochs)")
    _, history = _fit(_generator([], batches=8), epochs=3, steps_per_epoch=4)
    assert history.epoch == [1, 2] and "ran out after 0 batches of epoch 3" in history.stop_reason
    # one epoch takes the generator whole
    served = []
    _, history = _fit(_generator(served), epochs=1)
    assert served == list(range(10)) and history.params["steps"] is None


def test_evaluate_and_predict_on_batches_equal_the_arrays():
    trainer, _ = _fit(XT, YT, batch_size=16)
    arrays = trainer.evaluate(XV, YV)
    for data in (DataLoader(ArrayDataset(XV, YV), batch_size=7), Batches(XV, YV), _pairs(XV, YV)):
        got = trainer.evaluate(data)
        assert list(got) == list(arrays)
        np.testing.assert_allclose(list(got.values()), list(arrays.values()), rtol=1e-6)
    w = np.linspace(0.5, 1.5, len(XV))
    np.testing.assert_allclose(list(trainer.evaluate(Batches(XV, YV, w, size=9)).values()),
                               list(trainer.evaluate(XV, YV, sample_weight=w).values()), rtol=1e-6)
    np.testing.assert_allclose(trainer.evaluate(Batches(XV, YV, size=10), steps=2)["loss"],
                               trainer.evaluate(XV[:20], YV[:20])["loss"], rtol=1e-6)
    outputs = trainer.predict(XV)
    for data in (DataLoader(ArrayDataset(XV, YV), batch_size=7), DataLoader(ArrayDataset(XV), batch_size=7),
                 (XV[i : i + 6] for i in range(0, len(XV), 6)), Batches(XV, size=11)):
        np.testing.assert_allclose(trainer.predict(data), outputs, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(trainer.predict(Batches(XV, size=10), steps=3), outputs[:30], rtol=1e-6, atol=1e-7)
    model = trainer.model
    np.testing.assert_allclose(predict(model, Batches(XV, size=10)), outputs, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(evaluate(model, Batches(XV, YV), loss="cross_entropy")["loss"], arrays["loss"], rtol=1e-6)


def _pairs(x, y, size=13):
    return ((x[i : i + size], y[i : i + size]) for i in range(0, len(x), size))


LOADER = DataLoader(ArrayDataset(XT, YT), batch_size=16)


@pytest.mark.parametrize("option, value, reason", [
    ("y", YT, "the targets come from its batches"),
    ("batch_size", 16, "its batches are made already"),
    ("validation_split", 0.2, "only arrays can be split"),
    ("sample_weight", np.ones(80), "give each batch its weights as a third item"),
    ("class_weight", {0: 2.0}, "give each batch its weights as a third item"),
    ("shuffle", True, r"the loader shuffles \(DataLoader"),
    ("shuffle", False, r"the loader shuffles \(DataLoader"),
])
def test_what_a_source_carries_itself_is_refused_in_fit(option, value, reason):
    args = (value,) if option == "y" else ()
    options = {} if option == "y" else {option: value}
    with pytest.raises(ConfigError, match=rf"^fit: {option} cannot be given with a DataLoader: {reason}"):
        _trainer().fit(LOADER, *args, **options)


def test_the_other_refusals_name_what_is_wrong():
    trainer = _trainer()
    with pytest.raises(ConfigError, match=r"^fit \(validation_data\): validation_batch_size cannot be given with a "
                                          r"DataLoader: its batches are made already$"):
        trainer.fit(XT, YT, validation_data=LOADER, validation_batch_size=4)
    with pytest.raises(ConfigError, match=r"^fit: validation_data is a one-shot iterator \(generator\), which the "
                                          r"first validation would use up"):
        trainer.fit(XT, YT, validation_data=_pairs(XV, YV))
    with pytest.raises(ConfigError, match=r"^fit: a one-shot iterator \(generator\) gives its batches once, so 3 "
                                          r"epochs need steps_per_epoch"):
        trainer.fit(_pairs(XT, YT), epochs=3)
    with pytest.raises(ConfigError, match=r"^fit: y is missing; give the targets, or X as a DataLoader"):
        trainer.fit(XT)
    with pytest.raises(ConfigError, match=r"^evaluate: y cannot be given with a DataLoader"):
        trainer.evaluate(LOADER, YT)
    with pytest.raises(ConfigError, match=r"^evaluate: batch_size cannot be given with an iterable of batches \(Batches\)"):
        trainer.evaluate(Batches(XV, YV), batch_size=8)
    with pytest.raises(ConfigError, match=r"^evaluate: sample_weight cannot be given with a DataLoader"):
        trainer.evaluate(LOADER, sample_weight=np.ones(80))
    with pytest.raises(ConfigError, match=r"^predict: batch_size cannot be given with a DataLoader"):
        trainer.predict(LOADER, batch_size=8)
    with pytest.raises(ConfigError, match=r"^steps_per_epoch must be None or a positive integer, got 0$"):
        trainer.fit(LOADER, steps_per_epoch=0)
    with pytest.raises(ConfigError, match=r"^validation_steps must be None or a positive integer, got 1.5$"):
        trainer.fit(LOADER, validation_data=LOADER, validation_steps=1.5)


@pytest.mark.parametrize("batches, message", [
    ([XT[:8]], r"^fit, batch 0: a batch must be \(x, y\) or \(x, y, sample_weight\), got a ndarray$"),
    ([(XT[:8],)], r"^fit, batch 0: a batch must be \(x, y\) or \(x, y, sample_weight\), got 1 items$"),
    ([(XT[:8], YT[:8]), (XT[8:16], YT[8:16], np.ones(8))],
     r"^fit, batch 1: every batch must carry sample weights or none does, and this one does unlike the first$"),
    ([(XT[:8], YT[:7])], r"^fit, batch 0: X has 8 samples but y has 7 samples$"),
    ([], r"^fit: the training data gave no batches in epoch 1$"),
])
def test_a_bad_batch_is_refused_naming_it(batches, message):
    with pytest.raises(DataError, match=message):
        _trainer().fit(iter(batches))


def test_a_run_on_a_dataloader_resumes_mid_epoch_exactly(tmp_path):
    def loader(seed=11):
        return DataLoader(ArrayDataset(XT, YT), batch_size=16, shuffle=True, seed=seed)

    straight = _fit(loader(), epochs=3, dropout=0.3, validation_data=(XV, YV))

    class InterruptAt(Callback):
        count = 0

        def on_train_batch_end(self, batch, logs=None):
            self.count += 1
            if self.count == 8:  # epoch 2, its third batch
                self.trainer._interrupt_requested = True

    path = tmp_path / "interrupted.ckpt"
    trainer = _trainer([InterruptAt()], dropout=0.3)
    trainer.fit(loader(), epochs=3, validation_data=(XV, YV), interrupt_checkpoint=path)
    state = load_checkpoint(path)["state"]
    assert (state["epoch"], state["batches_done"]) == (2, 3) and state["data"]["seed"] == 11
    dp.manual_seed(99)  # the resumed run restores every random state itself
    resumed = _fit(loader(), epochs=3, dropout=0.3, validation_data=(XV, YV), resume_from=path)
    _same_run(resumed, straight)
    # a loader without a seed takes the checkpoint's
    seedless = DataLoader(ArrayDataset(XT, YT), batch_size=16, shuffle=True)
    _same_run(_fit(seedless, epochs=3, dropout=0.3, validation_data=(XV, YV), resume_from=path), straight)


def test_a_resume_on_other_batches_is_refused(tmp_path):
    path = str(tmp_path / "ck.ckpt")
    loader = DataLoader(ArrayDataset(XT, YT), batch_size=16, shuffle=True, seed=11)
    _fit(loader, epochs=1, callbacks=[ModelCheckpoint(path)])
    for other, key, saved, mine in [
        (DataLoader(ArrayDataset(XT, YT), batch_size=16, shuffle=True, seed=12), "seed", 11, 12),
        (DataLoader(ArrayDataset(XT, YT), batch_size=8, shuffle=True, seed=11), "batch_size", 16, 8),
        (DataLoader(ArrayDataset(XT[:70], YT[:70]), batch_size=16, shuffle=True, seed=11), "samples", 80, 70),
    ]:
        with pytest.raises(ConfigError, match=rf"^fit: the checkpoint {path} was trained on a DataLoader with "
                                              rf"{key}={saved}, this run's has {key}={mine}; resume with the same loader$"):
            _fit(other, epochs=2, resume_from=path)
    with pytest.raises(ConfigError, match=r"^fit: resume_from needs training data that can be replayed \(arrays, or a "
                                          r"deltaprop DataLoader, whose seed fixes every epoch\), not an iterable of "
                                          r"batches \(Batches\)$"):
        _fit(Batches(XT, YT), epochs=2, resume_from=path)
    with pytest.raises(ConfigError, match=rf"^fit: the checkpoint {path} was trained on a DataLoader, this run gives "
                                          r"arrays; resume with the same DataLoader$"):
        _fit(XT, YT, epochs=2, resume_from=path)
    with pytest.raises(ConfigError, match=r"was trained with steps_per_epoch=None, this run asks for 2"):
        _fit(loader, epochs=2, resume_from=path, steps_per_epoch=2)
    arrays_path = str(tmp_path / "arrays.ckpt")
    _fit(XT, YT, epochs=1, callbacks=[ModelCheckpoint(arrays_path)])
    with pytest.raises(ConfigError, match=r"was trained on arrays, this run gives a DataLoader; resume with the same arrays"):
        _fit(loader, epochs=2, resume_from=arrays_path)
