"""fit, evaluate and predict as a Keras 3 user expects them: every callback hook in Keras' order with
Keras' logs, the epoch that diverged kept in the history, and Keras' defaults of fit's arguments."""

import io
import math
import re

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, optim
from deltaprop.errors import ConfigError
from deltaprop.training import Callback, CSVLogger, EarlyStopping, LambdaCallback, Trainer, evaluate, fit, predict
from training_problem import small_classifier as _model, three_classes as _data






EPOCH_HOOKS = ["on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
               "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end"]
RUN_HOOKS = ["on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end"]


class Recorder(Callback):
    """Records every Keras hook as (hook, epoch or batch index, a copy of the logs)."""

    def __init__(self):
        self.calls = []


def _recording(name, indexed):
    if indexed:
        def hook(self, index, logs=None):
            self.calls.append((name, index, None if logs is None else dict(logs)))
    else:
        def hook(self, logs=None):
            self.calls.append((name, None, None if logs is None else dict(logs)))
    hook.__name__ = name
    return hook


for _name in EPOCH_HOOKS + RUN_HOOKS:
    setattr(Recorder, _name, _recording(_name, _name in EPOCH_HOOKS))


def _names(calls):
    return [(name, index) for name, index, _ in calls]


# -- the hooks and their order -------------------------------------------------------------------------------


def test_fit_calls_every_hook_in_keras_order_with_keras_logs():
    X, y = _data(64)
    X_val, y_val = _data(16, seed=3)
    recorder = Recorder()
    initial = _model()
    first_loss = float(nn.CrossEntropyLoss()(initial(X[:32]), y[:32]).data)
    first_accuracy = float(np.mean(initial(X[:32]).data.argmax(axis=1) == y[:32]))
    history = fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=2, batch_size=32, shuffle=False,
                  validation_data=(X_val, y_val), metrics=["accuracy"], callbacks=[recorder], verbose=0, seed=0)
    epoch = [("on_train_batch_begin", 0), ("on_train_batch_end", 0), ("on_train_batch_begin", 1),
             ("on_train_batch_end", 1), ("on_test_begin", None), ("on_test_batch_begin", 0), ("on_test_batch_end", 0),
             ("on_test_end", None)]
    assert _names(recorder.calls) == [
        ("on_train_begin", None),
        ("on_epoch_begin", 1), *epoch, ("on_epoch_end", 1),
        ("on_epoch_begin", 2), *epoch, ("on_epoch_end", 2),
        ("on_train_end", None),
    ]
    logs = {}
    for name, index, value in recorder.calls:
        logs.setdefault(name, []).append(value)
    # Keras hands the begin hooks empty logs; a training batch's logs hold the mean loss and the
    # metrics of the epoch so far.
    assert all(value == {} for name in ("on_train_begin", "on_epoch_begin", "on_train_batch_begin",
                                        "on_test_begin", "on_test_batch_begin") for value in logs[name])
    batch_ends = logs["on_train_batch_end"]
    assert batch_ends[0] == {"loss": pytest.approx(first_loss, rel=1e-6), "accuracy": first_accuracy}
    assert [batch_ends[1], batch_ends[3]] == [{"loss": pytest.approx(v, rel=1e-12), "accuracy": a}
                                              for v, a in zip(history["loss"], history["accuracy"])]
    # Validation is an evaluation: its logs carry no val_ prefix, as Keras' on_test_end gets them.
    assert logs["on_test_batch_end"] == [{"loss": pytest.approx(v, rel=1e-12), "accuracy": a}
                                         for v, a in zip(history["val_loss"], history["val_accuracy"])]
    assert logs["on_test_end"] == [{"loss": pytest.approx(v, rel=1e-12), "accuracy": a}
                                   for v, a in zip(history["val_loss"], history["val_accuracy"])]
    rows = [{key: history[key][row] for key in history.history} for row in range(2)]
    assert logs["on_epoch_end"] == rows
    assert logs["on_train_end"] == [rows[-1]]  # Keras: the last epoch's logs


def test_evaluate_and_predict_call_their_hooks_with_keras_logs():
    X, y = _data(300)
    model = _model()
    recorder = Recorder()
    result = evaluate(model, X, y, loss="cross_entropy", metrics=["accuracy"], batch_size=256, callbacks=[recorder])
    assert _names(recorder.calls) == [("on_test_begin", None), ("on_test_batch_begin", 0), ("on_test_batch_end", 0),
                                      ("on_test_batch_begin", 1), ("on_test_batch_end", 1), ("on_test_end", None)]
    first = float(nn.CrossEntropyLoss()(model(X[:256]), y[:256]).data)
    first_accuracy = float(np.mean(model(X[:256]).data.argmax(axis=1) == y[:256]))
    assert recorder.calls[2][2] == {"loss": pytest.approx(first, rel=1e-6), "accuracy": first_accuracy}
    assert recorder.calls[4][2] == result and recorder.calls[5][2] == result

    recorder = Recorder()
    outputs = predict(model, X, batch_size=256, callbacks=[recorder])
    assert _names(recorder.calls) == [("on_predict_begin", None), ("on_predict_batch_begin", 0),
                                      ("on_predict_batch_end", 0), ("on_predict_batch_begin", 1),
                                      ("on_predict_batch_end", 1), ("on_predict_end", None)]
    assert list(recorder.calls[2][2]) == ["outputs"]
    assert np.array_equal(recorder.calls[2][2]["outputs"], outputs[:256])
    assert np.array_equal(recorder.calls[4][2]["outputs"], outputs[256:])
    assert recorder.calls[0][2] == {} and recorder.calls[5][2] == {}


def test_the_legacy_batch_hooks_are_aliases_of_the_training_ones_as_in_keras():
    X, y = _data(48)
    calls = []

    class Legacy(Callback):
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", self.trainer.epoch, batch))

        def on_batch_end(self, batch, logs=None):
            calls.append(("end", self.trainer.epoch, batch, sorted(logs)))

    class Overriding(Callback):  # overriding the new name replaces the alias, unless it calls super()
        def on_train_batch_end(self, batch, logs=None):
            calls.append(("train_batch_end", self.trainer.epoch, batch))

        def on_batch_end(self, batch, logs=None):
            raise AssertionError("Keras does not call on_batch_end when on_train_batch_end is overridden")

    fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=2, batch_size=16,
        callbacks=[Legacy(), Overriding()], verbose=0, seed=0)
    expected = []
    for epoch in (1, 2):
        for batch in range(3):
            expected += [("begin", epoch, batch), ("end", epoch, batch, ["loss"]), ("train_batch_end", epoch, batch)]
    assert calls == expected


def test_hooks_that_no_callback_defines_are_never_called(monkeypatch, tmp_path):
    """The loop calls a per-batch hook only for the callbacks that define it (fit's per-batch cost)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a hook no callback defines was called")

    for name in ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end",
                 "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
                 "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end"):
        monkeypatch.setattr(Callback, name, refuse)
    X, y = _data()
    model = _model()
    history = fit(model, X, y, loss="cross_entropy", optimizer="adam", epochs=2, validation_split=0.25,
                  callbacks=[EarlyStopping(monitor="loss"), CSVLogger(tmp_path / "log.csv")], verbose=0, seed=0)
    assert history.epoch == [1, 2]
    assert predict(model, X).shape == (96, 3) and "loss" in evaluate(model, X, y, loss="cross_entropy")


def test_callbacks_and_history_see_keras_params():
    X, y = _data()
    seen = []

    class Params(Callback):
        def on_train_begin(self, logs=None):
            seen.append(dict(self.params))

    history = fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=3, batch_size=16,
                  callbacks=[Params()], verbose=0, seed=0)
    assert seen == [{"verbose": 0, "epochs": 3, "steps": 6}] and history.params == seen[0]


# -- a run that diverges --------------------------------------------------------------------------------------


def test_an_epoch_that_diverges_is_in_the_history_with_what_it_measured():
    X, y = _data()
    model = _model()
    initial = model.state_dict()
    recorder = Recorder()
    history = fit(model, X * 1e3, y, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=1e6),
                  epochs=5, batch_size=16, validation_split=0.25, metrics=["accuracy"], callbacks=[recorder],
                  verbose=0, seed=0)
    seen = re.match(r"the loss became (\S+) at epoch 1, batch \d+;", history.stop_reason)
    assert seen, history.stop_reason
    assert history.epoch == [1]
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"]
    loss = history["loss"][0]
    assert not math.isfinite(loss) and str(loss) == seen.group(1)  # the batch loss that ended the run
    assert all(math.isnan(history[key][0]) for key in ("accuracy", "val_loss", "val_accuracy"))
    assert history["lr"] == [1e6] and history["time"][0] >= 0.0
    assert all(np.array_equal(model.state_dict()[k], initial[k]) for k in initial)  # as before: restored
    # on_epoch_end is not called for it (no checkpoint, no early-stopping decision on a diverged model);
    # on_train_end gets its logs, as Keras' gets the last epoch's.
    assert [name for name, _, _ in recorder.calls].count("on_epoch_end") == 0
    end = recorder.calls[-1]
    assert end[0] == "on_train_end" and end[2]["lr"] == 1e6 and str(end[2]["loss"]) == seen.group(1)


def test_an_epoch_cut_short_keeps_the_keys_an_earlier_callback_added():
    X, y = _data()

    class Adds(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["custom"] = float(epoch)

    class BlowUp(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 3:
                self.trainer.optimizer.param_groups[0]["lr"] = 1e30

    model = _model()
    history = fit(model, X * 100, y, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.05),
                  epochs=5, batch_size=16, callbacks=[Adds(), BlowUp()], verbose=0, seed=0)
    assert history.epoch == [1, 2, 3] and "at epoch 3, batch" in history.stop_reason
    assert history["custom"][:2] == [1.0, 2.0] and math.isnan(history["custom"][2])
    assert all(math.isfinite(v) for v in history["loss"][:2]) and not math.isfinite(history["loss"][2])
    assert history["lr"][2] == 1e30


# -- fit's arguments, with Keras' defaults ------------------------------------------------------------------------


def test_keras_defaults_one_epoch_batches_of_32_and_verbose_auto():
    X, y = _data()
    out = io.StringIO()
    history = fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", batch_size=None, verbose="auto", output=out,
                  seed=0)
    assert history.epoch == [1] and history.params == {"verbose": 1, "epochs": 1, "steps": 3}
    assert out.getvalue().startswith("Epoch 1/1 ") and out.getvalue().count("\n") == 1
    same = fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=1, batch_size=32, verbose=0, seed=0)
    assert same["loss"] == history["loss"]
    assert Trainer(_model(), loss="mse", verbose="auto").verbose == 1
    with pytest.raises(ConfigError, match=r"verbose must be 'auto', 0, 1 or 2, got 'loud'"):
        Trainer(_model(), loss="mse", verbose="loud")


@pytest.mark.parametrize("mode", [True, False], ids=["train", "eval"])
def test_fit_evaluate_and_predict_give_the_model_back_in_the_mode_it_had(mode):
    """fit left a model in evaluation mode after its last validation, evaluate and predict always:
    a PyTorch-style step afterwards ran without its dropout. Each now restores the caller's mode
    (fit still trains in training mode and evaluates in evaluation mode)."""
    X, y = _data()
    dp.manual_seed(2)
    model = nn.Sequential(nn.Linear(6, 16), nn.Dropout(0.5), nn.Linear(16, 3))
    seen = []

    class Modes(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(("train", model.training))

        def on_test_batch_begin(self, batch, logs=None):
            seen.append(("test", model.training))

    model.train(mode)
    fit(model, X, y, loss="cross_entropy", optimizer="sgd", epochs=2, validation_split=0.25, verbose=0,
        callbacks=[Modes()])
    assert model.training is mode and all(layer.training is mode for layer in model)
    assert {kind for kind, _ in seen} == {"train", "test"}
    assert all(training == (kind == "train") for kind, training in seen)
    evaluate(model, X, y, loss="cross_entropy")
    assert model.training is mode
    predict(model, X)
    assert model.training is mode
    with pytest.raises(TypeError, match="predict: the model returned a tuple"):
        predict(nn.LSTM(6, 4), X[:, None, :])  # a failing pass gives the mode back too
    lstm = nn.LSTM(6, 4)
    lstm.train(mode)
    with pytest.raises(TypeError):
        predict(lstm, X[:, None, :])
    assert lstm.training is mode


def test_lambda_callback_and_hooks_set_on_an_instance_are_called_like_class_hooks():
    """Keras' LambdaCallback; and a hook assigned to a callback instance, which the loop skipped for
    the batch, test and predict hooks (it looked at the class alone to decide whom to call)."""
    X, y = _data()
    calls = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: calls.append(("train_begin", None)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, round(logs["loss"], 12))),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch)),
        on_test_batch_begin=lambda batch, logs: calls.append(("test_batch_begin", batch)),
    )
    plain = Callback()
    plain.on_predict_batch_end = lambda batch, logs: calls.append(("predict_batch_end", batch, logs["outputs"].shape))
    model = _model()
    history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", epochs=2, batch_size=32, validation_split=0.25,
                  verbose=0, callbacks=[callback])
    steps = math.ceil(72 / 32)
    expected = [("train_begin", None)]
    for epoch in (1, 2):
        expected += [("batch_end", b) for b in range(steps)] + [("test_batch_begin", 0)]
        expected.append(("epoch_end", epoch, round(history.history["loss"][epoch - 1], 12)))
    assert calls == expected
    calls.clear()
    predict(model, X[:10], batch_size=4, callbacks=[plain])
    assert calls == [("predict_batch_end", 0, (4, 3)), ("predict_batch_end", 1, (4, 3)), ("predict_batch_end", 2, (2, 3))]
    with pytest.raises(TypeError, match="LambdaCallback: 'on_epoch_finish' is not a callback hook; the hooks are "):
        LambdaCallback(on_epoch_finish=print)
    with pytest.raises(TypeError, match="LambdaCallback: on_epoch_end must be a function, got int"):
        LambdaCallback(on_epoch_end=3)


# -- evaluate's and predict's verbose ------------------------------------------------------------------------


@pytest.mark.parametrize("verbose", [0, 1, 2, "auto"])
def test_evaluate_and_predict_take_keras_verbose(verbose):
    """Keras' evaluate(..., verbose=0) and predict(..., verbose=0) were TypeErrors; 1, 2 and 'auto'
    print one line of results, 0 (deltaprop's default) prints nothing."""
    X, y = _data(40)
    model = _model()
    out = io.StringIO()
    logs = evaluate(model, X, y, loss="cross_entropy", metrics=["accuracy"], verbose=verbose, output=out)
    assert logs == evaluate(model, X, y, loss="cross_entropy", metrics=["accuracy"])
    predicted = predict(model, X, verbose=verbose, output=out)
    np.testing.assert_array_equal(predicted, predict(model, X))
    trainer = Trainer(model, loss="cross_entropy", metrics=["accuracy"], verbose=0, output=out)
    assert trainer.evaluate(X, y, verbose=verbose) == pytest.approx(logs)
    trainer.predict(X, verbose=verbose)
    lines = out.getvalue().splitlines()
    if verbose == 0:
        assert lines == []
    else:
        assert lines[0] == f"evaluate: loss {logs['loss']:.4f}  accuracy {logs['accuracy']:.4f}"
        assert lines[1] == "predict: 40 samples in 1 batch"
        assert len(lines) == 4


@pytest.mark.parametrize("bad", [3, -1, "loud", None])
def test_evaluate_and_predict_refuse_other_verbose(bad):
    X, y = _data(8)
    with pytest.raises(ConfigError, match=re.escape(f"verbose must be 'auto', 0, 1 or 2, got {bad!r}")):
        evaluate(_model(), X, y, loss="cross_entropy", verbose=bad)
    with pytest.raises(ConfigError, match="verbose must be"):
        predict(_model(), X, verbose=bad)
