"""fit's sample_weight and class_weight: Keras' weighted loss Σᵢ wᵢ·Eᵢ / N, checked against PyTorch and
against repeated rows, through shuffling, the validation split and a resume; and every refusal."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, optim
from deltaprop.data import ArrayDataset, DataLoader
from deltaprop.errors import ConfigError, DataError
from deltaprop.serialization import load_checkpoint, save_checkpoint
from deltaprop.training import Callback, ModelCheckpoint, Trainer, fit


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 0.5)
    return X, y


def _model(seed=1, outputs=3, dropout=0.0):
    dp.manual_seed(seed)
    layers = [nn.Linear(6, 8), nn.Tanh()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(8, outputs))


def _train(X, y, *, loss="cross_entropy", outputs=3, lr=0.1, model=None, **options):
    """(weights after training, history) of a plain SGD run."""
    model = _model(outputs=outputs) if model is None else model
    options = {"epochs": 3, "batch_size": 8, "seed": 0, **options}
    history = fit(model, X, y, loss=loss, optimizer=optim.SGD(model.parameters(), lr=lr), verbose=0, **options)
    return model.state_dict(), history


def _assert_same(a, b, rtol=0.0, atol=0.0):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=rtol, atol=atol, err_msg=key)


def _differ(a, b) -> bool:
    return any(not np.allclose(a[key], b[key], rtol=1e-4, atol=1e-6) for key in a)


# -- weights of 1, and the unweighted run -----------------------------------------------------------------


@pytest.mark.parametrize("loss, target", [("cross_entropy", "labels"), ("mse", "column"), ("bce_with_logits", "column")])
def test_weights_of_one_give_bitwise_the_unweighted_run(loss, target):
    X, y = _data()
    y = y if target == "labels" else (y > 0).astype(np.float32)
    outputs = 3 if target == "labels" else 1
    options = {"loss": loss, "outputs": outputs, "validation_split": 0.25, "metrics": ["accuracy"]}
    plain_weights, plain = _train(X, y, model=_model(outputs=outputs, dropout=0.3), **options)
    ones_weights, ones = _train(X, y, model=_model(outputs=outputs, dropout=0.3), sample_weight=np.ones(len(X)), **options)
    _assert_same(ones_weights, plain_weights)  # (tolerance 0: the same bits)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert ones[key] == plain[key], key
    # and weights that are not all 1 do change the run
    other, _ = _train(X, y, model=_model(outputs=outputs, dropout=0.3), sample_weight=np.linspace(0.2, 2, len(X)), **options)
    assert _differ(other, plain_weights)


def test_a_sum_reduction_is_kept_with_weights():
    X, y = _data()
    y = X[:, :2] @ np.array([1.0, -2.0], dtype=np.float32)
    plain, _ = _train(X, y, loss=nn.MSELoss(reduction="sum"), outputs=1, lr=0.005)
    ones, _ = _train(X, y, loss=nn.MSELoss(reduction="sum"), outputs=1, lr=0.005, sample_weight=np.ones(len(X)))
    _assert_same(ones, plain, rtol=1e-5, atol=1e-7)


# -- the weighted loss, against PyTorch and against repeated rows ----------------------------------------


def test_one_epoch_matches_pytorch_with_the_batch_size_as_denominator():
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for the weighted loss")
    X, y = _data(n=10)
    w = np.array([0.5, 2.0, 0.0, 1.0, 3.0, 1.5, 0.25, 1.0, 4.0, 0.75])
    model = _model().to(np.float64)
    initial = {k: v.copy() for k, v in model.state_dict().items()}
    # batches of 4, 4 and 2: the last one's loss is divided by 2, not by 4 nor by its weights' sum
    weights, history = _train(X.astype(np.float64), y, model=model, epochs=1, batch_size=4, shuffle=False,
                              sample_weight=w, lr=0.3)

    reference = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for name, parameter in reference.named_parameters():
            parameter.copy_(torch.from_numpy(initial[name]))
    sgd = torch.optim.SGD(reference.parameters(), lr=0.3)
    epoch_loss = 0.0
    for start in range(0, 10, 4):
        xb, yb, wb = (torch.from_numpy(a[start:start + 4]) for a in (X.astype(np.float64), y, w))
        per_sample = torch.nn.functional.cross_entropy(reference(xb), yb, reduction="none")
        batch_loss = (wb * per_sample).sum() / len(xb)
        sgd.zero_grad()
        batch_loss.backward()
        sgd.step()
        epoch_loss += batch_loss.item() * len(xb)
    expected = {name: p.detach().numpy() for name, p in reference.named_parameters()}
    _assert_same(weights, expected, rtol=1e-10, atol=1e-12)
    assert history["loss"][0] == pytest.approx(epoch_loss / 10, rel=1e-10)


def test_an_integer_weight_k_is_the_row_repeated_k_times():
    """Full batch, one SGD step: Σᵢ kᵢ·∇Eᵢ / N against Σ over the repeated rows / Σkᵢ, so the
    weighted run takes the learning rate scaled by N / Σkᵢ."""
    X, y = _data(n=12)
    k = np.array([1, 3, 0, 2, 1, 1, 4, 1, 2, 1, 0, 1])
    repeated_weights, _ = _train(np.repeat(X, k, axis=0), np.repeat(y, k), epochs=1, batch_size=100,
                                 shuffle=False, lr=0.5)
    weighted, _ = _train(X, y, epochs=1, batch_size=100, shuffle=False, lr=0.5 * len(X) / k.sum(), sample_weight=k)
    _assert_same(weighted, repeated_weights, rtol=1e-5, atol=1e-6)
    assert _differ(weighted, _train(X, y, epochs=1, batch_size=100, shuffle=False, lr=0.5 * len(X) / k.sum())[0])


def test_the_losss_own_class_weights_count_once():
    # reduction='none' already multiplies each sample by its class's weight: PyTorch's weight then
    # acts as Keras' class_weight does, each divided by the batch size.
    X, y = _data()
    module, _ = _train(X, y, loss=nn.CrossEntropyLoss(weight=[1.0, 3.0, 0.5]), sample_weight=np.ones(len(X)))
    keras, _ = _train(X, y, class_weight={0: 1.0, 1: 3.0, 2: 0.5})
    _assert_same(module, keras, rtol=1e-5, atol=1e-7)


def test_a_function_returning_one_loss_per_sample_is_weighted():
    X, _ = _data()
    t = X[:, :2] @ np.array([1.0, -2.0], dtype=np.float32)
    w = np.linspace(0.1, 3, len(X))

    def squared_error(output, target):  # one row of values per sample, as a Keras loss function returns
        return (output - target) ** 2

    module, _ = _train(X, t, loss="mse", outputs=1, lr=0.02, sample_weight=w)
    function, _ = _train(X, t, loss=squared_error, outputs=1, lr=0.02, sample_weight=w)
    functional, _ = _train(X, t, loss=nn.functional.mse_loss, outputs=1, lr=0.02, sample_weight=w)
    _assert_same(function, module, rtol=1e-6, atol=1e-7)
    _assert_same(functional, module, rtol=1e-6, atol=1e-7)
    assert _differ(module, _train(X, t, loss="mse", outputs=1, lr=0.02)[0])


# -- class_weight -------------------------------------------------------------------------------------------


def test_class_weight_is_the_sample_weight_of_each_samples_class():
    X, y = _data()
    by_class, by_class_history = _train(X, y, class_weight={0: 2.0})  # classes 1 and 2 keep weight 1
    by_sample, by_sample_history = _train(X, y, sample_weight=np.where(y == 0, 2.0, 1.0))
    _assert_same(by_class, by_sample)
    assert by_class_history["loss"] == pytest.approx(by_sample_history["loss"], rel=1e-12)
    assert _differ(by_class, _train(X, y)[0])


def test_class_weight_and_sample_weight_multiply():
    X, y = _data()
    w = np.linspace(0.5, 1.5, len(X))
    both, _ = _train(X, y, sample_weight=w, class_weight={1: 3.0, 2: 0.5})
    product, _ = _train(X, y, sample_weight=w * np.array([1.0, 3.0, 0.5])[y])
    _assert_same(both, product, rtol=1e-6, atol=1e-7)


def test_one_hot_targets_take_the_class_of_their_one():
    X, y = _data()
    one_hot = np.eye(3, dtype=np.float32)[y]
    labels, _ = _train(X, y, class_weight={1: 3.0, 2: 0.5})
    rows, _ = _train(X, one_hot, class_weight={1: 3.0, 2: 0.5})
    _assert_same(rows, labels, rtol=1e-5, atol=1e-6)
    # with a loss that takes the rows as values, the class is still the column of the 1
    mse_class, _ = _train(X, one_hot, loss="mse", class_weight={1: 3.0, 2: 0.5})
    mse_sample, _ = _train(X, one_hot, loss="mse", sample_weight=np.array([1.0, 3.0, 0.5])[y])
    _assert_same(mse_class, mse_sample)


def test_a_binary_column_of_zeros_and_ones_takes_class_weight():
    X, y = _data()
    t = (y > 0).astype(np.float32)
    by_class, _ = _train(X, t, loss="bce_with_logits", outputs=1, class_weight={1: 0.25})
    by_sample, _ = _train(X, t, loss="bce_with_logits", outputs=1, sample_weight=np.where(t == 1, 0.25, 1.0))
    _assert_same(by_class, by_sample)


# -- weights travel with their samples ------------------------------------------------------------------


def test_weights_follow_their_samples_through_the_shuffles():
    """One sample per SGD step: a sample of weight 0 moves nothing, so the shuffled weighted run is
    the unweighted run over the weighted samples alone, taken in the order the shuffle served them."""
    X, y = _data(n=24)
    w = (y != 2).astype(np.float64)  # every sample of class 2 weighs 0
    weighted, _ = _train(X, y, epochs=2, batch_size=1, shuffle=True, seed=7, sample_weight=w)

    model = _model()
    served = DataLoader(ArrayDataset(X), shuffle=True, seed=7)
    for epoch in (1, 2):
        order = [i for i in served.order(epoch) if w[i]]
        _train(X[order], y[order], model=model, epochs=1, batch_size=1, shuffle=False)
    _assert_same(weighted, model.state_dict(), rtol=1e-6, atol=1e-7)
    # (the same weights left in the data's order would have moved other samples)
    assert _differ(weighted, _train(X, y, epochs=2, batch_size=1, shuffle=True, seed=7,
                                    sample_weight=w[np.random.default_rng(0).permutation(len(w))])[0])


def test_validation_split_holds_out_the_weights_of_the_held_out_rows():
    X, y = _data(n=40)
    w = np.concatenate([np.linspace(0.2, 2.0, 30), np.full(10, 5.0)])
    split, split_history = _train(X, y, validation_split=0.25, sample_weight=w)
    by_hand, by_hand_history = _train(X[:30], y[:30], validation_data=(X[30:], y[30:], w[30:]), sample_weight=w[:30])
    _assert_same(split, by_hand)
    assert split_history["val_loss"] == pytest.approx(by_hand_history["val_loss"], rel=1e-12)
    assert split_history["loss"] == pytest.approx(by_hand_history["loss"], rel=1e-12)
    # the held-out rows keep their weights, as in Keras: all 5, so val_loss is 5 times the plain loss
    model = _model()
    history = fit(model, X, y, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.0), epochs=1,
                  batch_size=8, seed=0, verbose=0, validation_split=0.25, sample_weight=w)
    assert history["val_loss"][0] == pytest.approx(
        5 * dp.evaluate(_model(), X[30:], y[30:], loss="cross_entropy")["loss"], rel=1e-6)


def test_class_weights_do_not_weigh_the_validation_rows():
    # Keras turns class_weight into weights for the training rows only.
    X, y = _data(n=40)
    model = _model()
    history = fit(model, X, y, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.0), epochs=1,
                  batch_size=8, seed=0, verbose=0, validation_split=0.25, class_weight={0: 3.0, 1: 3.0, 2: 3.0})
    assert history["val_loss"][0] == pytest.approx(
        dp.evaluate(_model(), X[30:], y[30:], loss="cross_entropy")["loss"], rel=1e-6)
    assert history["loss"][0] == pytest.approx(
        3 * dp.evaluate(_model(), X[:30], y[:30], loss="cross_entropy")["loss"], rel=1e-5)


@pytest.mark.parametrize("loss, outputs", [("cross_entropy", 3), ("mse", 1)])
def test_evaluate_weighs_each_samples_loss_as_pytorch_computes_it(loss, outputs):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for the weighted loss")
    X, y = _data(n=300)  # more than one of evaluate's batches of 256
    y = y if outputs == 3 else y.astype(np.float32)
    w = np.random.default_rng(3).uniform(0, 2, len(X))
    model = _model(outputs=outputs)
    got = dp.evaluate(model, X, y, loss=loss, sample_weight=w)["loss"]
    with dp.no_grad():
        output = torch.tensor(model(X).data, dtype=torch.float64)
    if loss == "cross_entropy":
        per_sample = torch.nn.functional.cross_entropy(output, torch.tensor(y), reduction="none")
    else:
        per_sample = torch.nn.functional.mse_loss(output[:, 0], torch.tensor(y, dtype=torch.float64), reduction="none")
    expected = float((torch.tensor(w) * per_sample).sum() / len(X))
    assert got == pytest.approx(expected, rel=1e-5)
    plain = dp.evaluate(model, X, y, loss=loss)["loss"]
    assert plain == pytest.approx(float(per_sample.mean()), rel=1e-5) and abs(got - plain) > 1e-3


def test_validation_data_takes_a_third_entry_of_sample_weights():
    X, y = _data(n=40)
    w = np.random.default_rng(4).uniform(0, 2, 10)
    model = _model()
    history = fit(model, X[:30], y[:30], loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.0),
                  epochs=1, verbose=0, validation_data=(X[30:], y[30:], w))
    assert history["val_loss"][0] == pytest.approx(
        dp.evaluate(_model(), X[30:], y[30:], loss="cross_entropy", sample_weight=w)["loss"], rel=1e-6)
    with pytest.raises(DataError, match=r"fit \(validation_data\): sample_weight has 9 entries, X has 10 samples"):
        fit(_model(), X[:30], y[:30], loss="cross_entropy", optimizer="sgd", epochs=1, verbose=0,
            validation_data=(X[30:], y[30:], w[:9]))
    with pytest.raises(DataError, match=r"evaluate: sample_weight holds negative weights \(the first is -1.0 at sample 0\)"):
        dp.evaluate(_model(), X, y, loss="cross_entropy", sample_weight=-np.ones(len(X)))


# -- refusals, before anything trains ------------------------------------------------------------------


class Began(Callback):
    def __init__(self):
        self.began = False

    def on_train_begin(self, logs=None):
        self.began = True


ONES = np.ones(48)


def _with(position, value):
    """48 weights of 1 but one."""
    weights = ONES.copy()
    weights[position] = value
    return weights


@pytest.mark.parametrize("options, error, message", [
    ({"sample_weight": np.ones(47)}, DataError, r"sample_weight has 47 entries, X has 48 samples"),
    ({"sample_weight": np.ones((48, 2))}, DataError, r"sample_weight must be 1-D, one weight per sample, got shape \(48, 2\)"),
    ({"sample_weight": _with(3, -0.5)}, DataError, r"negative weights \(the first is -0.5 at sample 3\)"),
    ({"sample_weight": _with(5, np.nan)}, DataError, r"NaN or infinite weights \(the first is nan at sample 5\)"),
    ({"sample_weight": _with(0, np.inf)}, DataError, r"NaN or infinite weights \(the first is inf at sample 0\)"),
    ({"sample_weight": ["a"] * 48}, DataError, r"sample_weight must hold numbers, got an array of dtype <U1"),
    ({"sample_weight": np.zeros(48)}, DataError, r"every training sample has weight 0"),
    ({"class_weight": {0: 0.0, 1: 0, 2: 0.0}}, DataError, r"every training sample has weight 0"),
    ({"class_weight": [1.0, 2.0, 3.0]}, ConfigError, r"class_weight must be a dict mapping class indices to weights, got list"),
    ({"class_weight": {"0": 2.0}}, ConfigError, r"class_weight's key '0' is not a class index"),
    ({"class_weight": {-1: 2.0}}, ConfigError, r"class_weight's key -1 is not a class index"),
    ({"class_weight": {1.0: 2.0}}, ConfigError, r"class_weight's key 1.0 is not a class index"),
    ({"class_weight": {1: -2.0}}, ConfigError, r"class_weight\[1\] = -2.0 is not a finite non-negative number"),
    ({"class_weight": {1: float("nan")}}, ConfigError, r"class_weight\[1\] = nan is not a finite non-negative number"),
    ({"class_weight": {1: "2"}}, ConfigError, r"class_weight\[1\] = '2' is not a finite non-negative number"),
])
def test_bad_weights_are_one_sentence_errors_before_training(options, error, message):
    X, y = _data()
    model = _model()
    before = model.state_dict()
    began = Began()
    with pytest.raises(error, match=message):
        fit(model, X, y, loss="cross_entropy", optimizer="sgd", epochs=1, verbose=0, callbacks=[began], **options)
    assert not began.began
    _assert_same(model.state_dict(), before)


def test_all_the_training_weights_zero_after_the_split_is_refused():
    X, y = _data(n=40)
    with pytest.raises(DataError, match="every training sample has weight 0"):
        _train(X, y, validation_split=0.25, sample_weight=np.r_[np.zeros(30), np.ones(10)])


@pytest.mark.parametrize("target, loss, message", [
    ("regression", "mse", r"class_weight needs class labels in y, and y holds fractional values"),
    ("multi-label", "bce_with_logits", r"class_weight needs one class per sample, and some rows of y are not one-hot"),
])
def test_class_weight_is_refused_for_targets_without_one_class_per_sample(target, loss, message):
    X, y = _data()
    if target == "regression":
        t, outputs = X[:, 0] * 1.5, 1
    else:
        t, outputs = (X[:, :3] > 0).astype(np.float32), 3
    with pytest.raises(DataError, match=message):
        _train(X, t, loss=loss, outputs=outputs, class_weight={0: 2.0})
    _train(X, t, loss=loss, outputs=outputs, sample_weight=np.ones(len(X)), epochs=1)  # sample weights are fine


def test_a_loss_function_returning_one_number_cannot_be_weighted():
    X, _ = _data()
    t = X[:, 0] * 1.5
    model = _model(outputs=1)
    before = model.state_dict()
    began = Began()

    def mean_loss(output, target):
        return nn.MSELoss()(output, target)

    with pytest.raises(ConfigError, match=r"need the loss of each sample, and the loss mean_loss returned one number for 2 samples"):
        fit(model, X, t, loss=mean_loss, optimizer="sgd", epochs=1, verbose=0, callbacks=[began],
            sample_weight=np.ones(len(X)))
    assert not began.began
    _assert_same(model.state_dict(), before)
    fit(model, X, t, loss=mean_loss, optimizer="sgd", epochs=1, verbose=0)  # it trains without weights


# -- checkpoints and resume ------------------------------------------------------------------------------


class InterruptAt(Callback):
    def __init__(self, epoch, batch):
        self.at = (epoch, batch)

    def on_batch_end(self, batch, logs=None):
        if (self.trainer.epoch, batch) == self.at:
            self.trainer._interrupt_requested = True


def _resumable(X, y, callbacks=(), **options):
    model = _model(dropout=0.25)
    opt = optim.Adam(model.parameters(), lr=0.01)
    trainer = Trainer(model, loss="cross_entropy", optimizer=opt, metrics=["accuracy"], callbacks=list(callbacks),
                      verbose=0, seed=5)
    history = trainer.fit(X, y, epochs=3, batch_size=8, validation_split=0.25, **options)
    return model.state_dict(), history


def test_an_interrupted_weighted_run_resumes_bitwise(tmp_path):
    X, y = _data()
    w = np.linspace(0.1, 2.0, len(X))
    straight, straight_history = _resumable(X, y, sample_weight=w, class_weight={2: 3.0})

    path = tmp_path / "interrupted.safetensors"
    _, first = _resumable(X, y, callbacks=[InterruptAt(2, 1)], interrupt_checkpoint=path, sample_weight=w,
                          class_weight={2: 3.0})
    assert len(first) == 1 and load_checkpoint(path)["state"]["batches_done"] == 2
    dp.manual_seed(99)  # elsewhere: the checkpoint brings the generator back
    resumed, resumed_history = _resumable(X, y, resume_from=path, sample_weight=w, class_weight={2: 3.0})
    _assert_same(resumed, straight)
    for key in ("loss", "accuracy", "val_loss"):
        assert resumed_history[key] == straight_history[key], key


def test_a_resume_with_other_weights_is_refused(tmp_path):
    X, y = _data()
    w = np.linspace(0.1, 2.0, len(X))
    weighted = tmp_path / "weighted.safetensors"
    plain = tmp_path / "plain.safetensors"
    _resumable(X, y, callbacks=[InterruptAt(2, 1)], interrupt_checkpoint=weighted, sample_weight=w)
    _resumable(X, y, callbacks=[InterruptAt(2, 1)], interrupt_checkpoint=plain)

    with pytest.raises(ConfigError, match=r"was trained with other sample weights .* than this run's; resume with the same weights"):
        _resumable(X, y, resume_from=weighted, sample_weight=w[::-1])
    with pytest.raises(ConfigError, match=r"was trained with other sample weights"):
        _resumable(X, y, resume_from=weighted, sample_weight=w, class_weight={0: 2.0})
    with pytest.raises(ConfigError, match=r"was trained with sample weights \(sample_weight or class_weight\), this run gives none"):
        _resumable(X, y, resume_from=weighted)
    with pytest.raises(ConfigError, match=r"was trained without sample weights, this run gives sample_weight or class_weight"):
        _resumable(X, y, resume_from=plain, class_weight={0: 2.0})
    # only the training rows' weights count: the held-out ones weigh nothing anyway
    _resumable(X, y, resume_from=weighted, sample_weight=np.r_[w[:36], np.zeros(12)])


def test_a_checkpoint_from_before_sample_weights_resumes_unweighted(tmp_path):
    X, y = _data()
    straight, straight_history = _resumable(X, y)
    path = tmp_path / "old.safetensors"
    _resumable(X, y, callbacks=[InterruptAt(2, 1)], interrupt_checkpoint=path)
    checkpoint = load_checkpoint(path)
    del checkpoint["state"]["sample_weight_sha256"]  # as deltaprop wrote them before
    model = _model(dropout=0.25)
    model.load_state_dict(checkpoint["model_state"])
    save_checkpoint(path, model, checkpoint["state"], metadata=checkpoint["metadata"])

    resumed, resumed_history = _resumable(X, y, resume_from=path)
    _assert_same(resumed, straight)
    assert resumed_history["loss"] == straight_history["loss"]
    with pytest.raises(ConfigError, match="was trained without sample weights"):
        _resumable(X, y, resume_from=path, sample_weight=np.ones(len(X)))


def test_model_checkpoint_records_the_weights_of_a_finished_epoch(tmp_path):
    X, y = _data()
    w = np.linspace(0.1, 2.0, len(X))
    path = tmp_path / "epoch.safetensors"
    _resumable(X, y, callbacks=[ModelCheckpoint(path)], sample_weight=w)
    state = load_checkpoint(path)["state"]
    assert isinstance(state["sample_weight_sha256"], str) and len(state["sample_weight_sha256"]) == 64
    with pytest.raises(ConfigError, match="this run gives none"):
        _resumable(X, y, resume_from=path)


def test_float64_models_keep_float64_weights():
    # (the weights went through the float32 default dtype: 0.1 became 0.10000000149)
    model = nn.Sequential(nn.Linear(1, 1)).to(np.float64)
    model[0].weight.data[...] = 1.0
    model[0].bias.data[...] = 0.0
    X = np.array([[1.0], [2.0]])
    y = np.array([0.0, 2.0])  # squared errors 1 and 0
    assert dp.evaluate(model, X, y, loss="mse", sample_weight=[0.1, 0.0])["loss"] == 0.05
    history = fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=0.0), epochs=1, verbose=0,
                  sample_weight=[0.1, 0.0], shuffle=False)
    assert history["loss"][0] == 0.05


def test_a_column_of_sample_weights_is_taken_as_keras_takes_it():
    X, y = _data()
    w = np.linspace(0.5, 1.5, len(X))
    column, _ = _train(X, y, sample_weight=w[:, None])
    vector, _ = _train(X, y, sample_weight=w)
    _assert_same(column, vector)
