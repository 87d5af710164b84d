"""Where the pieces merged on one day meet the rest of the library: the pooled arrays of the recurrent
primitives, linear's sequences and interpolation kept by the user, trained on in two threads, saved
and resumed; the new operations under in-place changes, hooks and a second backward."""

from __future__ import annotations

import copy
import threading

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import fit, nn, optim
from deltaprop.errors import GradError
from deltaprop.nn import functional as F
from deltaprop.ops import recurrent
from deltaprop.summary import summary
from deltaprop.training.callbacks import ModelCheckpoint

# Sizes whose arrays are large enough to come from the pool (256 KiB and more).
L, N, I, H = 50, 32, 32, 128


def _sequence_layers():
    return {"LSTM": nn.LSTM(I, H), "GRU": nn.GRU(I, H), "RNN": nn.RNN(I, H)}


def _pooled_steps():
    """(name, one training step returning the output tensor it made) for every pooled route."""
    dp.manual_seed(0)
    for name, layer in _sequence_layers().items():
        yield name, layer, lambda layer, x: layer(x)[0]
    yield "linear-3d", nn.Linear(I, 4 * H), lambda layer, x: layer(x)
    yield "interpolate", nn.Upsample(scale_factor=2, mode="bilinear"), lambda layer, x: layer(x.reshape(2, 25, 32, 32))


@pytest.mark.parametrize("name, layer, step", list(_pooled_steps()), ids=lambda v: v if isinstance(v, str) else "")
def test_outputs_and_gradients_kept_over_many_steps_are_never_overwritten(name, layer, step):
    rng = np.random.default_rng(1)
    kept, values = [], []
    for _ in range(4):
        x = dp.tensor(rng.standard_normal((L, N, I)).astype(np.float32), requires_grad=True)
        out = step(layer, x)
        caught = []
        out.register_hook(lambda g: caught.append(g) and None)
        (out * out).mean().backward()
        kept += [out, out.detach().numpy(), caught[0], x.grad]
        values += [out.data.copy(), out.data.copy(), caught[0].data.copy(), x.grad.copy()]
    for item, value in zip(kept, values):
        np.testing.assert_array_equal(np.asarray(getattr(item, "data", item)), value)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_an_output_changed_in_place_is_refused_by_backward(name):
    dp.manual_seed(0)
    layer = _sequence_layers()[name]
    out, _ = layer(dp.randn(L, N, I))
    loss = out.sum()  # whose rule needs no values: the primitive's is the one that must refuse
    with dp.no_grad():
        out.mul_(2.0)  # the primitive's output (or a view of it), which its rule reads
    with pytest.raises(GradError, match=f"output of '{name.lower()}_sequence'"):
        loss.backward()


def _train_in(results: dict, key, model, xs):
    opt = optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for x in xs:
        out, _ = model(dp.tensor(x))
        loss = (out * out).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.data))
    results[key] = losses, [p.data.copy() for p in model.parameters()]


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_two_threads_training_at_once_get_the_serial_results_bitwise(name):
    models = []
    for seed in range(2):
        dp.manual_seed(seed)
        models.append(_sequence_layers()[name])
    data = [[np.random.default_rng(seed * 10 + i).standard_normal((L, N, I)).astype(np.float32) for i in range(5)]
            for seed in range(2)]
    serial, parallel = {}, {}
    for k in range(2):
        _train_in(serial, k, copy.deepcopy(models[k]), data[k])
    threads = [threading.Thread(target=_train_in, args=(parallel, k, copy.deepcopy(models[k]), data[k])) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for k in range(2):
        assert parallel[k][0] == serial[k][0]
        for ours, theirs in zip(parallel[k][1], serial[k][1]):
            np.testing.assert_array_equal(ours, theirs)


class _Sequence(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.rnn = kind(8, 64, num_layers=2, batch_first=True, bidirectional=kind is nn.GRU)
        self.head = nn.Linear(64 * (2 if kind is nn.GRU else 1), 3)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class _Image(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1, groups=2)
        self.up = nn.Upsample(scale_factor=2, mode="bilinear")
        self.depthwise = nn.Conv2d(4, 4, 3, padding=1, groups=4, stride=2)
        self.head = nn.Linear(4 * 16 * 16, 3)

    def forward(self, x):
        return self.head(self.depthwise(self.up(self.conv(x))).flatten(1))


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "image"])
def test_fit_with_a_checkpoint_then_resumed_equals_the_straight_run_bitwise(kind, tmp_path):
    rng = np.random.default_rng(0)
    shape = (64, 2, 16, 16) if kind == "image" else (64, 30, 8)
    X, y = rng.standard_normal(shape).astype(np.float32), rng.integers(0, 3, 64)

    def run(epochs, seed, **options):
        dp.manual_seed(seed)
        model = _Image() if kind == "image" else _Sequence(getattr(nn, kind))
        history = fit(model, X, y, loss="cross_entropy", optimizer=optim.Adam(model.parameters(), lr=0.01),
                      epochs=epochs, batch_size=16, validation_split=0.25, verbose=0, **options)
        return model, history

    straight, straight_history = run(4, seed=1)
    path = tmp_path / "checkpoint.safetensors"
    run(2, seed=1, callbacks=[ModelCheckpoint(path)])
    resumed, resumed_history = run(4, seed=99, resume_from=path)
    assert resumed_history["loss"] == straight_history["loss"]
    for ours, theirs in zip(resumed.state_dict().values(), straight.state_dict().values()):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def _index(values):
    return dp.tensor(np.array(values))


# Operations that arrived together, with the shapes of their inputs: each input is changed in place
# after the operation used it, and backward must either refuse or give the gradient of the values used.
NEW_OPERATIONS = {
    "remainder": (lambda a, b: a % b, [(3, 4), (3, 4)]),
    "floor_divide": (lambda a, b: (a // b) * a, [(3, 4), (3, 4)]),
    "div floor": (lambda a, b: dp.div(a, b, rounding_mode="floor") + dp.div(a, b), [(3, 4), (3, 4)]),
    "add alpha": (lambda a, b: dp.add(a, b, alpha=2.5) * a, [(3, 4), (3, 4)]),
    "sub alpha": (lambda a, b: dp.sub(a, b, alpha=2.5) * b, [(3, 4), (3, 4)]),
    "clamp with tensors": (lambda a, low, high: dp.clamp(a, low, high), [(3, 4), (3, 4), (3, 4)]),
    "einsum sublists": (lambda a, b: dp.einsum(a, [0, 1], b, [1, 2], [0, 2]), [(3, 4), (4, 2)]),
    "scatter": (lambda a, s: dp.scatter(a, 0, _index([[0, 1, 2, 0], [1, 2, 0, 1]]), s), [(3, 4), (2, 4)]),
    "scatter_add": (lambda a, s: dp.scatter_add(a, 0, _index([[0, 1, 2, 0], [1, 2, 0, 1]]), s), [(3, 4), (2, 4)]),
    "index_select": (lambda a: dp.index_select(a, 1, _index([0, 0, 3])) ** 2, [(3, 4)]),
    "masked_select": (lambda a: dp.masked_select(a, _index([[True, False, True, True]] * 3)) ** 2, [(3, 4)]),
    "roll": (lambda a: dp.roll(a, 1, 1) ** 2, [(3, 4)]),
    "tile": (lambda a: dp.tile(a, (2, 2)) ** 2, [(3, 4)]),
    "movedim": (lambda a: dp.movedim(a, 0, 1) ** 2, [(3, 4)]),
    "unbind": (lambda a: dp.unbind(a, 1)[2] * dp.unbind(a, 1)[0], [(3, 4)]),
    "indexing split by a slice": (lambda a: a.reshape(1, 3, 4)[0, :, [0, 2]] ** 2, [(3, 4)]),
    "sum over dims": (lambda a: (a * a).sum(dim=[0, 1]), [(3, 4)]),
    "prod with dtype": (lambda a: a.prod(dim=1, dtype=dp.float64), [(3, 4)]),
    "pad cropping": (lambda a: F.pad(a.reshape(1, 3, 4), (-1, 2), mode="reflect") ** 2, [(3, 4)]),
    "interpolate": (lambda a: F.interpolate(a.reshape(1, 3, 4), scale_factor=2, mode="linear") ** 2, [(3, 4)]),
    "split": (lambda a: dp.split(a, [1, 3], 1)[1] * dp.split(a, [1, 3], 1)[1], [(3, 4)]),
    "depthwise conv": (lambda a, w: F.conv1d(a.reshape(1, 3, 4), w, groups=3, padding=1), [(3, 4), (3, 1, 3)]),
    "depthwise conv strided": (lambda a, w: F.conv1d(a.reshape(1, 3, 4), w, groups=3, stride=2, padding=1),
                               [(3, 4), (3, 1, 3)]),
    "rnn_sequence": (lambda gi, h0, w: recurrent.rnn_sequence(gi.reshape(3, 1, 4), h0, w), [(3, 4), (1, 4), (4, 4)]),
    "lstm_sequence": (lambda gi, h0, c0, w: recurrent.lstm_sequence(gi.reshape(3, 1, 4), h0, c0, w),
                      [(3, 4), (1, 1), (1, 1), (4, 1)]),
    "gru_sequence": (lambda gi, h0, w: recurrent.gru_sequence(gi.reshape(1, 3, 3), h0.reshape(3, 1), w),
                     [(3, 3), (3,), (3, 1)]),
}


def _gradients(operation, values, direction, change=None):
    leaves = [dp.tensor(v, dtype=np.float64, requires_grad=True) for v in values]
    inputs = [leaf * 1 for leaf in leaves]  # interior tensors, which the user may change in place
    out = operation(*inputs)
    if change is not None:
        position, how = change
        with dp.no_grad():
            if how == "add_":
                inputs[position].add_(0.37)
            elif how == "mul_":
                inputs[position].mul_(-1.7)
            else:
                inputs[position][0] = 5.0
    (out * dp.tensor(direction, dtype=np.float64)).sum().backward()
    return [leaf.grad for leaf in leaves]


@pytest.mark.parametrize("how", ["add_", "mul_", "setitem"])
@pytest.mark.parametrize("name", sorted(NEW_OPERATIONS))
def test_an_input_changed_in_place_is_refused_or_does_not_matter(name, how):
    operation, shapes = NEW_OPERATIONS[name]
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(shape) + 0.3 for shape in shapes]
    direction = rng.standard_normal(operation(*[dp.tensor(v, dtype=np.float64) for v in values]).shape)
    unchanged = _gradients(operation, values, direction)
    for position in range(len(shapes)):
        try:
            got = _gradients(operation, values, direction, (position, how))
        except GradError as refusal:
            assert "changed in place" in str(refusal)
            continue
        for ours, expected in zip(got, unchanged):
            np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_hooks_retain_grad_and_a_second_backward_through_a_sequence_layer(name):
    dp.manual_seed(0)
    layer = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}[name](4, 6).to(dp.float64)
    x = dp.tensor(np.random.default_rng(0).standard_normal((5, 2, 4)), dtype=np.float64, requires_grad=True)
    out, _ = layer(x)
    out.retain_grad()
    out.register_hook(lambda g: g * 2)
    loss = (out * out).sum()
    loss.backward()
    first = x.grad.copy()
    np.testing.assert_allclose(out.grad, 2 * (2 * out.data), rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * first, rtol=1e-12)
    # The hook doubled the gradient: the same as the plain sweep of twice the loss.
    x2 = dp.tensor(x.data, dtype=np.float64, requires_grad=True)
    out2, _ = layer(x2)
    (2 * (out2 * out2).sum()).backward()
    np.testing.assert_allclose(first, x2.grad, rtol=1e-12)


def test_the_hidden_split_node_is_drawn_and_checked_like_any_other():
    x = dp.tensor(np.random.default_rng(0).standard_normal((4, 6)), dtype=np.float64, requires_grad=True)
    a, b = dp.split(x * 2, 3, dim=1)
    dot = str(dp.draw_graph((a * b).sum(), format="dot"))
    assert dot.count('label="split') == 3  # the whole and its two pieces
    assert dp.gradcheck(lambda t: dp.stack(dp.chunk(t, 3, 1)[::-1]).sum(0) * t[:, :2], [x])


# -- the second round: conv-options, keras-fit, summary-inputs, api-polish -----------------------


@pytest.mark.parametrize("dims", [1, 2])
def test_an_unpooling_given_no_indices_names_them_in_one_sentence(dims):
    """A MaxUnpool called on the pooled tensor alone, or after a pooling with return_indices=True in a
    Sequential (which hands it the (output, indices) pair as one input), is refused naming the layer
    and its indices, not with Python's message about a private class's forward."""
    pool = (nn.MaxPool1d if dims == 1 else nn.MaxPool2d)(2, return_indices=True)
    unpool = (nn.MaxUnpool1d if dims == 1 else nn.MaxUnpool2d)(2)
    x = dp.randn(*(1, 1) + (4,) * dims)
    pooled, _ = pool(x)
    with pytest.raises(TypeError, match=rf"^MaxUnpool{dims}d\(kernel 2\): .*indices") as caught:
        unpool(pooled)
    assert "_MaxUnpoolNd" not in str(caught.value) and str(caught.value).count(". ") == 0
    with pytest.raises(TypeError, match=rf"^MaxUnpool{dims}d\(kernel 2\): .*Sequential") as caught:
        nn.Sequential(pool, unpool)(x)
    assert "_MaxUnpoolNd" not in str(caught.value)
    y, i = pool(x)
    np.testing.assert_array_equal(unpool(y, i).numpy(), unpool(y, indices=i).numpy())  # still taken as before
    with pytest.raises(dp.errors.ConfigError, match=rf"layer '1' \(MaxUnpool{dims}d\(kernel 2\)\): .*indices") as caught:
        summary(nn.Sequential(pool, unpool), (1,) + (4,) * dims)
    assert "_MaxUnpoolNd" not in str(caught.value)


class _Gate(nn.Module):
    """A layer that, in the first summary's run, waits (a moment at most) for another thread's summary."""

    def __init__(self, inside, other_done):
        super().__init__()
        self.inside, self.other_done = inside, other_done

    def forward(self, x):
        self.inside.set()
        self.other_done.wait(timeout=0.3)
        return x


def test_two_summaries_in_two_threads_leave_every_class_as_it_was():
    """summary wraps each layer class's forward while it runs: two summaries at once must not leave
    one's wrapper behind as the class's forward (every later Linear would go through it)."""
    originals = {cls: cls.__dict__.get("forward") for cls in (nn.Linear, nn.ReLU, nn.Sequential, _Gate)}
    inside, other_done = threading.Event(), threading.Event()
    first = nn.Sequential(nn.Linear(3, 4), _Gate(inside, other_done), nn.ReLU())
    second = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), _Gate(threading.Event(), threading.Event()))
    results = {}

    def run_second():
        inside.wait(timeout=5.0)
        results["second"] = summary(second, (3,))
        other_done.set()

    thread = threading.Thread(target=run_second)
    thread.start()
    results["first"] = summary(first, (3,))
    thread.join()
    assert {cls: cls.__dict__.get("forward") for cls in originals} == originals
    assert [row.output_shape for row in results["first"].rows] == [(2, 4), (2, 4), (2, 4)]
    assert [row.output_shape for row in results["second"].rows] == [(2, 4), (2, 4), (2, 4)]


class _EveryNewOption(nn.Module):
    """A model using each of conv-options' additions: circular and reflect padding, a pooling's indices
    fed to an unpooling, a divisor_override, a BatchNorm and a convolution without bias."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 2, 3, padding=1, padding_mode="circular", bias=False)
        self.pool = nn.MaxPool1d(2, return_indices=True)
        self.unpool = nn.MaxUnpool1d(2)
        self.conv2 = nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect")
        self.average = nn.AvgPool2d(2, divisor_override=3)
        self.norm = nn.BatchNorm2d(2, bias=False)
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        n = x.shape[0]
        pooled, indices = self.pool(self.conv1(x.reshape(n, 1, 64)))
        h = self.unpool(pooled, indices).reshape(n, 2, 8, 8)
        return self.head(self.norm(self.average(self.conv2(h))).reshape(n, 32))


def test_a_model_with_every_new_layer_option_resumes_bitwise_and_reloads(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 64)).astype(np.float32), np.arange(20) % 3

    def run(epochs, path, resume=None):
        dp.manual_seed(1)
        model = _EveryNewOption()
        history = fit(model, X, y, loss="cross_entropy", optimizer="adam", epochs=epochs, batch_size=8, seed=3,
                      verbose=0, callbacks=[ModelCheckpoint(str(path))], resume_from=resume)
        return model, history

    straight, straight_history = run(4, tmp_path / "straight.dp")
    run(2, tmp_path / "half.dp")
    resumed, resumed_history = run(4, tmp_path / "rest.dp", resume=str(tmp_path / "half.dp"))
    assert resumed_history.history["loss"] == straight_history.history["loss"]
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=name)
    assert straight.norm.bias is None and straight.conv1.bias is None
    dp.save(straight, tmp_path / "model.dp")
    again = _EveryNewOption()
    dp.load(tmp_path / "model.dp", model=again)
    np.testing.assert_array_equal(again.eval()(dp.tensor(X)).numpy(), straight.eval()(dp.tensor(X)).numpy())


def _rewritten(path, change):
    """The model file at ``path`` with its architecture passed through ``change``."""
    import json

    data = path.read_bytes()
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + length])
    info = json.loads(header["__metadata__"]["deltaprop"])
    change(info["architecture"])
    header["__metadata__"]["deltaprop"] = json.dumps(info)
    text = json.dumps(header).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + data[8 + length:])
    return path


_BAD_NEW_OPTIONS = [
    (0, "padding_mode", "mirror"), (0, "padding_mode", 3), (0, "padding_mode", None), (0, "padding_mode", ["zeros"]),
    (1, "return_indices", 1), (1, "return_indices", "yes"), (1, "return_indices", None),
    (3, "divisor_override", 0), (3, "divisor_override", 2.5), (3, "divisor_override", "3"), (3, "divisor_override", True),
    (2, "kernel_size", [0, 0]), (2, "stride", [0, 2]), (2, "padding", [-1, 0]),
]


@pytest.mark.parametrize("position, key, value", _BAD_NEW_OPTIONS)
def test_a_model_file_giving_a_new_layer_option_a_bad_value_is_refused_in_one_sentence(tmp_path, position, key, value):
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect"), nn.MaxPool2d(2, return_indices=True),
                          nn.MaxUnpool2d(2), nn.AvgPool2d(2, divisor_override=3), nn.BatchNorm2d(2, bias=False))
    dp.save(model, tmp_path / "model.dp")

    def change(architecture):
        architecture["children"][position]["config"][key] = value

    with pytest.raises(dp.errors.ModelFileError) as caught:
        dp.load(_rewritten(tmp_path / "model.dp", change))
    message = str(caught.value)
    assert key in message and type(model[position]).__name__ in message and "\n" not in message


@pytest.mark.parametrize("make", ["rand", "randn"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", int, bool])
def test_random_draws_refuse_a_dtype_that_would_truncate_them(make, dtype):
    """rand and randn draw real numbers: PyTorch refuses an integer or boolean dtype for them; cast
    silently, randn's draws became mostly 0 and -1 and rand's all 0 (or all True)."""
    with pytest.raises(dp.errors.ConfigError, match=rf"^{make}: dtype must be a floating-point type"):
        getattr(dp, make)(3, dtype=dtype)
    assert getattr(dp, make)(3, dtype="float64").dtype == np.float64


@pytest.mark.parametrize("make", [lambda d: dp.zeros(2, dtype=d), lambda d: dp.randn(2, dtype=d),
                                  lambda d: nn.Conv2d(1, 1, 3, padding_mode="reflect", dtype=d),
                                  lambda d: nn.BatchNorm2d(1, bias=False, dtype=d), lambda d: dp.ones(2).to(dtype=d)],
                         ids=["zeros", "randn", "Conv2d", "BatchNorm2d", "to"])
def test_an_extended_precision_dtype_is_refused_where_a_dtype_is_given(make):
    """float128 (NumPy's long double) is no PyTorch dtype and no model file can hold it: a model made
    in it trained, then failed to save with safetensors' own message."""
    with pytest.raises(dp.errors.ConfigError, match="dtype must be .*float128|dtype must be .*longdouble"):
        make("float128")


@pytest.mark.parametrize("end", [2, 3])
def test_arange_refuses_a_boolean_dtype_in_its_own_words(end):
    """PyTorch has no boolean arange; NumPy's refusal (past length 2) named neither the call nor the argument."""
    with pytest.raises(dp.errors.ConfigError, match=r"^arange: dtype must be a numeric type .*got <class 'bool'>"):
        dp.arange(end, dtype=bool)
