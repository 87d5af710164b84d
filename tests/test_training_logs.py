"""The logs of fit, evaluate and predict as Keras 3 writes them: every batch's logs hold the running
loss and the running value of every compiled metric, ``weighted_metrics`` weigh by sample_weight
while ``metrics`` do not, and every value is checked against NumPy by hand for a tiny model whose
weights are known."""

import io

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, r2_score, recall_score

from deltaprop import nn, optim
from deltaprop.errors import ConfigError, ModelFileError
from deltaprop.training import Callback, EarlyStopping, Trainer, evaluate, fit
from deltaprop.training.metrics import METRICS
from deltaprop.training.resume import decode_sums
from deltaprop.training.running import RunningMetrics

# -- a tiny classifier with known weights ---------------------------------------------------------------------

W = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
B = np.array([0.0, 0.0, 0.5])
X6 = np.array([[2.0, 0.0], [0.0, 2.0], [-1.0, -1.0], [1.0, 0.5], [0.2, 1.0], [3.0, -1.0]])
Y6 = np.array([0, 1, 1, 0, 2, 0])  # samples 2 and 4 are misclassified (their argmax is 2 and 1)


def _classifier(dtype="float64"):
    model = nn.Linear(2, 3, dtype=dtype)
    model.weight.data[...] = W
    model.bias.data[...] = B
    return model


def _logits(X):
    return X @ W.T + B


def _cross_entropy(logits, y):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y]


class BatchLogs(Callback):
    def __init__(self):
        self.train, self.test, self.predict = [], [], []

    def on_train_batch_end(self, batch, logs=None):
        self.train.append(dict(logs))

    def on_test_batch_end(self, batch, logs=None):
        self.test.append(dict(logs))

    def on_predict_batch_end(self, batch, logs=None):
        self.predict.append(dict(logs))


def test_training_batch_logs_hold_the_running_loss_and_metrics_of_the_epoch():
    # lr = 0 keeps the weights: every batch's outputs are the known model's
    model = _classifier()
    logs = BatchLogs()
    history = fit(model, X6, Y6, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.0),
                  batch_size=2, shuffle=False, metrics=["accuracy"], callbacks=[logs], verbose=0, seed=0)
    losses = _cross_entropy(_logits(X6), Y6)
    correct = (_logits(X6).argmax(axis=1) == Y6).astype(float)
    expected = [{"loss": losses[: 2 * k].mean(), "accuracy": correct[: 2 * k].mean()} for k in (1, 2, 3)]
    assert [list(entry) for entry in logs.train] == [["loss", "accuracy"]] * 3
    for got, want in zip(logs.train, expected):
        assert got == {key: pytest.approx(value, rel=1e-12) for key, value in want.items()}
    assert [e["accuracy"] for e in expected] == [1.0, 0.75, 4 / 6]  # running means, not each batch's own value
    # the epoch's logs are the last batch's
    assert history["loss"][0] == pytest.approx(logs.train[-1]["loss"], rel=1e-12)
    assert history["accuracy"][0] == logs.train[-1]["accuracy"]


def test_batch_logs_follow_a_trained_regression_computed_by_hand():
    """Linear(2, 1) under SGD on MSE with sample weights: each batch's metrics read the outputs of
    its forward pass (before its step), the loss is Σ wᵢ·Eᵢ / N, 'mae' is unweighted and the
    weighted 'mae' is Σ wᵢ·|eᵢ| / Σ wᵢ, all running over the epoch."""
    X = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0], [-1.0, 1.0], [0.0, 3.0], [1.5, 1.5]])
    y = np.array([1.0, -0.5, 2.0, 0.0, 1.0, -1.0])
    w = np.array([1.0, 2.0, 0.5, 0.0, 3.0, 1.0])
    weight, bias, lr = np.array([0.3, -0.2]), 0.1, 0.05
    model = nn.Linear(2, 1, dtype="float64")
    model.weight.data[...] = weight
    model.bias.data[...] = bias
    logs = BatchLogs()
    history = fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=lr), batch_size=2,
                  shuffle=False, metrics=["mae"], weighted_metrics=["mae"], sample_weight=w, callbacks=[logs],
                  verbose=0, seed=0)
    loss_sum = abs_sum = weighted_abs = weight_sum = 0.0
    for k, i in enumerate(range(0, 6, 2)):
        xb, yb, wb = X[i:i + 2], y[i:i + 2], w[i:i + 2]
        e = xb @ weight + bias - yb
        loss_sum += (wb * e * e).sum()  # the batch's loss Σ wᵢeᵢ²/2, times its 2 samples
        abs_sum += np.abs(e).sum()
        weighted_abs += (wb * np.abs(e)).sum()
        weight_sum += wb.sum()
        n = i + 2
        want = {"loss": loss_sum / n, "mae": abs_sum / n, "weighted_mae": weighted_abs / weight_sum}
        assert logs.train[k] == {key: pytest.approx(value, rel=1e-12) for key, value in want.items()}
        g = 2 * wb * e / 2  # d(Σ wᵢeᵢ²/2)/deᵢ
        weight, bias = weight - lr * (g @ xb), bias - lr * g.sum()
    for key in ("loss", "mae", "weighted_mae"):
        assert history[key][0] == pytest.approx(logs.train[-1][key], rel=1e-12)
    assert np.allclose(model.weight.data.reshape(-1), weight, rtol=1e-12)


def test_evaluation_batch_logs_hold_the_running_loss_and_metrics():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = rng.integers(0, 3, size=300)
    logs = BatchLogs()
    result = evaluate(_classifier(), X, y, loss="cross_entropy", metrics=["accuracy", "precision"], callbacks=[logs])
    losses = _cross_entropy(_logits(X), y)
    predicted = _logits(X).argmax(axis=1)
    assert len(logs.test) == 2  # evaluate's batches hold 256 samples
    first = logs.test[0]
    assert list(first) == ["loss", "accuracy", "precision"]
    assert first["loss"] == pytest.approx(losses[:256].mean(), rel=1e-12)
    assert first["accuracy"] == pytest.approx(np.mean(predicted[:256] == y[:256]), rel=1e-12)
    assert first["precision"] == pytest.approx(precision_score(y[:256], predicted[:256], average="macro"), rel=1e-12)
    assert logs.test[1] == result
    assert result["accuracy"] == pytest.approx(np.mean(predicted == y), rel=1e-12)
    assert result["precision"] == pytest.approx(precision_score(y, predicted, average="macro"), rel=1e-12)


def test_evaluate_and_predict_run_the_batch_size_they_are_given():
    # (evaluate raised a smaller batch_size to 256 without a word: 300 samples in 30s are 10 batches)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2))
    y = rng.integers(0, 3, size=300)
    logs = BatchLogs()
    result = evaluate(_classifier(), X, y, loss="cross_entropy", metrics=["accuracy"], batch_size=30, callbacks=[logs])
    assert len(logs.test) == 10
    assert logs.test[0]["loss"] == pytest.approx(_cross_entropy(_logits(X[:30]), y[:30]).mean(), rel=1e-12)
    assert result["loss"] == pytest.approx(_cross_entropy(_logits(X), y).mean(), rel=1e-12)
    predicted = Trainer(_classifier(), loss="cross_entropy", callbacks=[logs], verbose=0).predict(X, batch_size=70)
    assert len(logs.predict) == 5 and np.allclose(predicted, _logits(X), rtol=1e-12)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_evaluate_and_predict_refuse_a_batch_size_that_is_not_a_positive_integer(bad):
    with pytest.raises(ConfigError, match=f"batch_size must be a positive integer, got {bad!r}"):
        evaluate(_classifier(), X6, Y6, loss="cross_entropy", batch_size=bad)
    with pytest.raises(ConfigError, match=f"batch_size must be a positive integer, got {bad!r}"):
        Trainer(_classifier(), loss="cross_entropy", verbose=0).predict(X6, batch_size=bad)


def test_validation_batch_logs_hold_metrics_and_the_epoch_logs_prefix_them():
    model = _classifier()
    logs = BatchLogs()
    history = fit(model, X6, Y6, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.0),
                  batch_size=2, shuffle=False, validation_data=(X6[:4], Y6[:4]), metrics=["accuracy"],
                  callbacks=[logs], verbose=0, seed=0)
    losses = _cross_entropy(_logits(X6[:4]), Y6[:4])
    assert logs.test == [{"loss": pytest.approx(losses.mean(), rel=1e-12), "accuracy": 0.75}]
    assert history["val_loss"][0] == pytest.approx(losses.mean(), rel=1e-12)
    assert history["val_accuracy"] == [0.75]


def test_prediction_batch_logs_hold_the_batch_outputs():
    X = np.random.default_rng(1).normal(size=(300, 2))
    logs = BatchLogs()
    outputs = Trainer(_classifier(), loss="cross_entropy", callbacks=[logs], verbose=0).predict(X)
    assert [list(entry) for entry in logs.predict] == [["outputs"], ["outputs"]]
    assert np.allclose(logs.predict[0]["outputs"], _logits(X[:256]), rtol=1e-12)
    assert np.array_equal(np.concatenate([e["outputs"] for e in logs.predict]), outputs)


# -- weighted_metrics --------------------------------------------------------------------------------------------

def test_weighted_metrics_weigh_by_sample_weight_and_metrics_do_not():
    w = np.array([1.0, 2.0, 3.0, 0.5, 4.0, 1.0])
    correct = (_logits(X6).argmax(axis=1) == Y6).astype(float)
    result = evaluate(_classifier(), X6, Y6, loss="cross_entropy", metrics=["accuracy"],
                      weighted_metrics=["accuracy"], sample_weight=w)
    assert list(result) == ["loss", "accuracy", "weighted_accuracy"]  # Keras' name for the clash
    assert result["accuracy"] == pytest.approx(correct.mean(), rel=1e-12)
    assert result["weighted_accuracy"] == pytest.approx((w * correct).sum() / w.sum(), rel=1e-12)
    assert result["weighted_accuracy"] == pytest.approx(4.5 / 11.5, rel=1e-12)  # samples 2 and 4 (weights 3 and 4) are wrong
    assert result["loss"] == pytest.approx((w * _cross_entropy(_logits(X6), Y6)).sum() / 6, rel=1e-12)
    # a weighted metric alone keeps its own name, as in Keras
    alone = evaluate(_classifier(), X6, Y6, loss="cross_entropy", weighted_metrics=["accuracy"], sample_weight=w)
    assert list(alone) == ["loss", "accuracy"] and alone["accuracy"] == result["weighted_accuracy"]
    # without weights a weighted metric is the plain one
    plain = evaluate(_classifier(), X6, Y6, loss="cross_entropy", metrics=["accuracy"], weighted_metrics=["accuracy"])
    assert plain["weighted_accuracy"] == plain["accuracy"]


def test_fit_weighs_training_and_validation_metrics_by_their_own_weights():
    w = np.array([1.0, 2.0, 3.0, 0.5, 4.0, 1.0])
    vw = np.array([2.0, 1.0, 1.0, 5.0])
    model = _classifier()
    history = fit(model, X6, Y6, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.0),
                  batch_size=4, shuffle=False, weighted_metrics=["accuracy"], metrics=["accuracy"],
                  sample_weight=w, class_weight={0: 2.0}, validation_data=(X6[:4], Y6[:4], vw), verbose=0, seed=0)
    correct = (_logits(X6).argmax(axis=1) == Y6).astype(float)
    trained = w * np.where(Y6 == 0, 2.0, 1.0)  # class weights weigh the training rows only, as in Keras
    assert list(history.history)[:6] == ["loss", "accuracy", "weighted_accuracy", "val_loss", "val_accuracy",
                                         "val_weighted_accuracy"]
    assert history["accuracy"][0] == pytest.approx(correct.mean(), rel=1e-12)
    assert history["weighted_accuracy"][0] == pytest.approx((trained * correct).sum() / trained.sum(), rel=1e-12)
    assert history["val_accuracy"][0] == pytest.approx(correct[:4].mean(), rel=1e-12)
    assert history["val_weighted_accuracy"][0] == pytest.approx((vw * correct[:4]).sum() / vw.sum(), rel=1e-12)


@pytest.mark.parametrize("name, reference", [("precision", precision_score), ("recall", recall_score),
                                             ("f1", f1_score)])
def test_weighted_label_metrics_count_weighted_samples(name, reference):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 2))
    y = rng.integers(0, 3, size=50)
    w = rng.uniform(0.1, 3.0, size=50)
    result = evaluate(_classifier(), X, y, loss="cross_entropy", weighted_metrics=[name], sample_weight=w)
    predicted = _logits(X).argmax(axis=1)
    assert result[name] == pytest.approx(reference(y, predicted, average="macro", sample_weight=w), rel=1e-12)


@pytest.mark.parametrize("name", ["mae", "mse", "rmse", "r2"])
def test_weighted_value_metrics_match_their_weighted_definitions(name):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 2))
    y = rng.normal(size=(400, 2))
    w = rng.uniform(0.0, 2.0, size=400)
    model = nn.Linear(2, 2, dtype="float64")
    model.weight.data[...] = [[0.5, -1.0], [2.0, 0.25]]
    model.bias.data[...] = [0.1, -0.3]
    result = evaluate(model, X, y, loss="mse", weighted_metrics=[name], sample_weight=w)  # two batches
    e = X @ model.weight.data.T + model.bias.data - y
    column = w[:, None]
    expected = {
        "mae": (column * np.abs(e)).sum() / (2 * w.sum()),
        "mse": (column * e * e).sum() / (2 * w.sum()),
        "rmse": np.mean(np.sqrt((column * e * e).sum(axis=0) / w.sum())),
        "r2": r2_score(y, y + e, sample_weight=w),
    }[name]
    assert result[name] == pytest.approx(expected, rel=1e-10)


def test_an_unknown_weighted_metric_is_refused_by_name():
    with pytest.raises(ConfigError, match="unknown metric 'auc' in weighted_metrics"):
        Trainer(_classifier(), loss="cross_entropy", weighted_metrics=["auc"])


def test_early_stopping_maximises_a_weighted_accuracy_in_auto_mode():
    assert EarlyStopping(monitor="val_weighted_accuracy").sign == 1.0
    assert EarlyStopping(monitor="weighted_mae").sign == -1.0


# -- running values equal the values of the whole ----------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(METRICS))
@pytest.mark.parametrize("weighted", [False, True])
def test_metrics_accumulated_batch_by_batch_equal_the_metric_of_all_samples(name, weighted):
    rng = np.random.default_rng(4)
    trainer = Trainer(nn.Linear(2, 3), loss="cross_entropy" if METRICS[name].needs_labels else "mse")
    if METRICS[name].needs_labels:
        outputs, targets = rng.normal(size=(97, 3)), rng.integers(0, 3, size=97)
    else:
        outputs, targets = rng.normal(size=(97, 3)), rng.normal(size=(97, 3))
    w = rng.uniform(0.5, 2.0, size=97) if weighted else None
    running = RunningMetrics([name] if not weighted else [], [name] if weighted else [], trainer._labels)
    for i in range(0, 97, 10):
        running.update(outputs[i:i + 10], targets[i:i + 10], None if w is None else w[i:i + 10])
    whole = RunningMetrics([name] if not weighted else [], [name] if weighted else [], trainer._labels)
    whole.update(outputs, targets, w)
    assert running.results()[name] == pytest.approx(whole.results()[name], rel=1e-12)
    if not weighted:
        metric = METRICS[name]
        alone = metric.function(targets, outputs.argmax(axis=1) if metric.needs_labels else outputs)
        assert whole.results()[name] == pytest.approx(alone, rel=1e-12)


# -- the progress bar --------------------------------------------------------------------------------------------

class TTY(io.StringIO):
    def isatty(self):
        return True


def test_the_live_progress_bar_shows_the_running_metrics():
    out = TTY()
    model = _classifier()
    fit(model, X6, Y6, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.0), batch_size=6,
        metrics=["accuracy"], weighted_metrics=["accuracy"], verbose=1, output=out, seed=0)
    bar = out.getvalue().split("\r")[1]
    loss = _cross_entropy(_logits(X6), Y6).mean()
    assert f"1/1  loss {loss:.4f}  accuracy 0.6667  weighted_accuracy 0.6667  " in bar


# -- a run resumed inside an epoch -------------------------------------------------------------------------------

class InterruptAt(Callback):
    def __init__(self, count):
        self.count = count

    def on_train_batch_end(self, batch, logs=None):
        self.count -= 1
        if self.count == 0:
            self.trainer._interrupt_requested = True


def _weighted_run(metrics=("accuracy",), callbacks=(), **options):
    rng = np.random.default_rng(5)
    X, y, w = rng.normal(size=(48, 2)), rng.integers(0, 3, size=48), rng.uniform(0.2, 2.0, size=48)
    model = _classifier()
    trainer = Trainer(model, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.1), metrics=metrics,
                      weighted_metrics=["accuracy", "f1"], callbacks=list(callbacks), verbose=0, seed=3)
    return trainer.fit(X, y, epochs=2, batch_size=8, sample_weight=w, validation_split=0.25, **options)


def test_the_running_metrics_of_an_interrupted_epoch_resume_exactly(tmp_path):
    straight = _weighted_run()
    path = tmp_path / "interrupted.safetensors"
    first = _weighted_run(callbacks=[InterruptAt(7)], interrupt_checkpoint=path)  # epoch 2, batch 3 of 5
    assert len(first) == 1
    resumed = _weighted_run(resume_from=path)
    for key in ("loss", "accuracy", "weighted_accuracy", "f1", "val_weighted_accuracy", "val_f1"):
        assert resumed[key] == straight[key], key


def test_a_resume_inside_an_epoch_with_other_metrics_is_refused(tmp_path):
    path = tmp_path / "interrupted.safetensors"
    _weighted_run(callbacks=[InterruptAt(7)], interrupt_checkpoint=path)
    with pytest.raises(ModelFileError, match="holds no running value of the metric 'precision'.*resume with the same metrics"):
        _weighted_run(metrics=("accuracy", "precision"), resume_from=path)


def test_a_checkpoint_holding_the_outputs_so_far_resumes_its_metrics_from_them():
    """A checkpoint written before metrics ran batch by batch kept the epoch's outputs and targets."""
    rng = np.random.default_rng(6)
    outputs, targets = rng.normal(size=(20, 3)), rng.integers(0, 3, size=20)
    trainer = Trainer(_classifier(), loss="cross_entropy", metrics=["accuracy", "f1"])
    sums = decode_sums({"loss": 1.5, "count": 20, "outputs": outputs, "labels": targets}, trainer._running_metrics())
    assert (sums["loss"], sums["count"]) == (1.5, 20)
    predicted = outputs.argmax(axis=1)
    assert sums["metrics"].results() == {"accuracy": pytest.approx(np.mean(predicted == targets), rel=1e-12),
                                         "f1": pytest.approx(f1_score(targets, predicted, average="macro"), rel=1e-12)}
