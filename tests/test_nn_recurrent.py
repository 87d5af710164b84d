"""RNN, LSTM, GRU and their cells: gradients against finite differences (float64), the fused
sequence primitives against the same steps composed from elementary operations, shapes, options,
errors, model files and in-place changes. (PyTorch comparisons: tests/reference/test_torch_recurrent.py.)"""

import json
import re
import warnings

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, GradError, ModelFileError, ShapeError
from deltaprop.nn import recurrent
from deltaprop.ops import recurrent as fused


def randn(*shape, seed=0, scale=1.0):
    return dp.tensor(np.random.default_rng(seed).standard_normal(shape) * scale, dtype=np.float64, requires_grad=True)


def layer_function(layer, unpack):
    """A function of (input, states..., every parameter) running ``layer`` with those parameters."""
    names = [name for name, _ in layer.named_parameters()]
    originals = [getattr(layer, name) for name in names]

    def run(x, *rest):
        states, parameters = rest[:len(rest) - len(names)], rest[len(rest) - len(names):]
        for name, value in zip(names, parameters):
            object.__setattr__(layer, name, value)
        try:
            return unpack(layer(x, *pack(states)))
        finally:
            for name, value in zip(names, originals):
                object.__setattr__(layer, name, value)

    def pack(states):
        if not states:
            return ()
        return (tuple(states),) if len(states) == 2 else (states[0],)

    copies = [dp.tensor(p.data, dtype=np.float64, requires_grad=True) for p in originals]
    return run, copies


def everything(result):
    """All of a layer's outputs as one tensor, so that one gradcheck covers output, h_n and c_n."""
    output, state = result
    states = state if isinstance(state, tuple) else (state,)
    return dp.cat([output.reshape(-1)] + [s.reshape(-1) for s in states])


# -- gradients ------------------------------------------------------------------------------------------

LAYERS = [
    ("RNN", dict(), (4, 2, 3)),
    ("RNN", dict(nonlinearity="relu", num_layers=2), (4, 2, 3)),
    ("LSTM", dict(), (4, 2, 3)),
    ("LSTM", dict(num_layers=2, bidirectional=True), (3, 2, 3)),
    ("LSTM", dict(batch_first=True, bias=False), (2, 4, 3)),
    ("LSTM", dict(), (4, 3)),  # unbatched
    ("GRU", dict(), (4, 2, 3)),
    ("GRU", dict(num_layers=2, bidirectional=True, batch_first=True), (2, 3, 3)),
    ("GRU", dict(bias=False), (4, 3)),
]


@pytest.mark.parametrize("fused_steps", [True, False], ids=["fused", "composed"])
@pytest.mark.parametrize("with_state", [True, False], ids=["h0", "no-h0"])
@pytest.mark.parametrize("name, kwargs, shape", LAYERS, ids=[f"{c[0]}-{i}" for i, c in enumerate(LAYERS)])
def test_layer_gradients(name, kwargs, shape, with_state, fused_steps, monkeypatch):
    """With respect to the input, h0 (and c0) and every weight, through every output."""
    monkeypatch.setattr(recurrent, "FUSED", fused_steps)
    dp.manual_seed(0)
    layer = getattr(nn, name)(3, 2, dtype=np.float64, **kwargs)
    run, parameters = layer_function(layer, everything)
    directions = 2 if kwargs.get("bidirectional") else 1
    batch = () if len(shape) == 2 else (shape[0] if kwargs.get("batch_first") else shape[1],)
    state_shape = (directions * kwargs.get("num_layers", 1), *batch, 2)
    states = [randn(*state_shape, seed=s) for s in ((1, 2) if name == "LSTM" else (1,))] if with_state else []
    assert dp.gradcheck(run, [randn(*shape, seed=3), *states, *parameters])


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cell_gradients(name, batched):
    dp.manual_seed(0)
    cell = getattr(nn, name)(3, 4, dtype=np.float64)
    lstm = name == "LSTMCell"
    run, parameters = layer_function(cell, lambda out: dp.cat([out[0], out[1]]) if lstm else out)
    shape = (2,) if batched else ()
    states = [randn(*shape, 4, seed=s) for s in ((1, 2) if lstm else (1,))]
    assert dp.gradcheck(run, [randn(*shape, 3), *states, *parameters])


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("bias", [True, False])
def test_sequence_primitives_gradients(kind, reverse, bias):
    gates = {"lstm": 4, "gru": 3}.get(kind, 1)
    gi, h0, c0, w = randn(5, 2, gates * 3, seed=1), randn(2, 3, seed=2), randn(2, 3, seed=3), randn(gates * 3, 3, seed=4)
    b = [randn(gates * 3, seed=5)] if bias else []
    if kind == "lstm":
        assert dp.gradcheck(lambda *a: fused.lstm_sequence(*a, reverse=reverse), [gi, h0, c0, w, *b])
    elif kind == "gru":
        assert dp.gradcheck(lambda *a: fused.gru_sequence(*a, reverse=reverse), [gi, h0, w, *b])
    else:
        # relu: shifted away from its kink, where finite differences are meaningless
        gi = dp.tensor(gi.data + np.where(gi.data > 0, 0.5, -0.5), dtype=np.float64, requires_grad=True)
        act = kind[4:]
        assert dp.gradcheck(lambda g, h, w, *b: fused.rnn_sequence(g, h, w, b[0] if b else None, act, reverse),
                            [gi, h0, w, *b])


def _sequence(kind, reverse):
    """(the primitive as a function of its tensors, the number of gates)."""
    if kind == "lstm":
        return (lambda g, h, c, w, b: fused.lstm_sequence(g, h, c, w, b, reverse=reverse)), 4
    if kind == "gru":
        return (lambda g, h, c, w, b: fused.gru_sequence(g, h, w, b, reverse=reverse)), 3
    return (lambda g, h, c, w, b: fused.rnn_sequence(g, h, w, b, "tanh", reverse)), 1


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_sequence_primitives_of_one_step(kind, reverse):
    """A sequence of length 1: the only position is the first, whose state is h0 (and c0)."""
    run, gates = _sequence(kind, reverse)
    inputs = [randn(1, 3, gates * 4, seed=1), randn(3, 4, seed=2), randn(3, 4, seed=3), randn(gates * 4, 4, seed=4),
              randn(gates * 4, seed=5)]
    assert dp.gradcheck(run, inputs)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_a_second_backward_through_a_primitive_gives_the_same_gradients(kind):
    """The rules make their factors in new arrays: what the forward pass kept is intact for another sweep."""
    run, gates = _sequence(kind, False)
    inputs = [randn(5, 2, gates * 3, seed=1), randn(2, 3, seed=2), randn(2, 3, seed=3), randn(gates * 3, 3, seed=4),
              randn(gates * 3, seed=5)]
    out = run(*inputs)
    weights = np.random.default_rng(6).standard_normal(out.shape)
    out.backward(weights)
    first = [t.grad.copy() for t in inputs if t.grad is not None]
    for t in inputs:
        t.grad = None
    out.backward(weights)
    second = [t.grad for t in inputs if t.grad is not None]
    assert len(first) == len(second) == (5 if kind == "lstm" else 4)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name, kwargs", [(n, k) for n, k, _ in LAYERS])
def test_fused_layers_equal_the_composed_steps(name, kwargs, monkeypatch):
    """Same values and gradients (float64, to rounding) from the primitives and from the elementary steps."""
    results = []
    for fused_steps in (True, False):
        monkeypatch.setattr(recurrent, "FUSED", fused_steps)
        dp.manual_seed(4)
        layer = getattr(nn, name)(3, 5, dtype=np.float64, **kwargs)
        x = randn(2, 6, 3) if kwargs.get("batch_first") else randn(6, 2, 3)
        out = everything(layer(x))
        out.backward(np.cos(np.arange(out.shape[0])))
        results.append([out.data, x.grad] + [p.grad for p in layer.parameters()])
    for ours, reference in zip(*results):
        np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-14)


def test_float32_layers_stay_float32():
    for name in ("RNN", "LSTM", "GRU"):
        layer = getattr(nn, name)(3, 4, num_layers=2, bidirectional=True)
        x = dp.tensor(np.random.default_rng(0).standard_normal((5, 2, 3)), requires_grad=True)  # float32
        output, state = layer(x)
        h_n = state[0] if name == "LSTM" else state
        assert output.dtype == np.float32 and h_n.dtype == np.float32
        output.sum().backward()
        assert x.grad.dtype == np.float32 and all(p.grad.dtype == np.float32 for p in layer.parameters())
        # data arrives as float64 (or integers): computed in the layer's dtype, as Linear does
        assert layer(np.ones((5, 2, 3)))[0].dtype == np.float32


# -- shapes and behaviour ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("num_layers, bidirectional", [(1, False), (2, False), (1, True), (3, True)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_output_shapes(name, num_layers, bidirectional, batch_first):
    layer = getattr(nn, name)(3, 4, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    D = 2 if bidirectional else 1
    x = dp.randn(2, 7, 3) if batch_first else dp.randn(7, 2, 3)
    output, state = layer(x)
    assert output.shape == ((2, 7, D * 4) if batch_first else (7, 2, D * 4))
    for s in state if name == "LSTM" else (state,):
        assert s.shape == (num_layers * D, 2, 4)  # never batch first, as in PyTorch
    output, state = layer(dp.randn(7, 3))  # unbatched
    assert output.shape == (7, D * 4)
    for s in state if name == "LSTM" else (state,):
        assert s.shape == (num_layers * D, 4)


def test_directions_and_last_states():
    """h_n holds each direction's last step: position L−1 forward, position 0 backward; and the
    backward direction of a sequence is a forward layer run over the reversed sequence."""
    dp.manual_seed(0)
    layer = nn.GRU(3, 4, num_layers=2, bidirectional=True, dtype=np.float64)
    x = randn(6, 2, 3)
    output, h_n = layer(x)
    np.testing.assert_array_equal(h_n.data[2], output.data[-1, :, :4])
    np.testing.assert_array_equal(h_n.data[3], output.data[0, :, 4:])
    first = nn.GRU(3, 4, bidirectional=True, dtype=np.float64)
    first.load_state_dict({k: v for k, v in layer.state_dict().items() if "_l0" in k})
    backward_only = nn.GRU(3, 4, dtype=np.float64)
    backward_only.load_state_dict({k.replace("_reverse", ""): v for k, v in first.state_dict().items() if "reverse" in k})
    reversed_output, _ = backward_only(x.data[::-1].copy())
    np.testing.assert_allclose(first(x)[0].data[::-1, :, 4:], reversed_output.data, rtol=1e-12)


def test_the_cells_are_one_step_of_the_layers():
    dp.manual_seed(0)
    for layer, cell in ((nn.LSTM(3, 4), nn.LSTMCell(3, 4)), (nn.GRU(3, 4), nn.GRUCell(3, 4)),
                        (nn.RNN(3, 4, nonlinearity="relu"), nn.RNNCell(3, 4, nonlinearity="relu"))):
        cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})  # weight_ih_l0 -> weight_ih
        x = dp.randn(5, 2, 3)
        output, state = layer(x)
        h = None
        for t in range(5):
            h = cell(x[t], h)
            np.testing.assert_allclose((h[0] if isinstance(h, tuple) else h).data, output.data[t], rtol=1e-5, atol=1e-6)
        if isinstance(h, tuple):
            np.testing.assert_allclose(h[1].data, state[1].data[0], rtol=1e-5, atol=1e-6)
        assert cell(x[0, 0]).__class__ is tuple or cell(x[0, 0]).shape == (4,)  # unbatched


def test_initialisation_is_uniform_within_one_over_root_hidden_and_seeded():
    dp.manual_seed(3)
    layer = nn.LSTM(10, 25, num_layers=2, bidirectional=True)
    values = np.concatenate([p.data.ravel() for p in layer.parameters()])
    assert np.abs(values).max() <= 1 / 5 and np.abs(values).max() > 0.19 and abs(values.mean()) < 0.01
    dp.manual_seed(3)
    again = nn.LSTM(10, 25, num_layers=2, bidirectional=True)
    assert all(np.array_equal(a, b) for a, b in zip(layer.state_dict().values(), again.state_dict().values()))


def test_parameter_names_and_shapes():
    layer = nn.GRU(3, 4, num_layers=2, bidirectional=True, bias=False)
    assert [(k, p.shape) for k, p in layer.named_parameters()] == [
        ("weight_ih_l0", (12, 3)), ("weight_hh_l0", (12, 4)), ("weight_ih_l0_reverse", (12, 3)),
        ("weight_hh_l0_reverse", (12, 4)), ("weight_ih_l1", (12, 8)), ("weight_hh_l1", (12, 4)),
        ("weight_ih_l1_reverse", (12, 8)), ("weight_hh_l1_reverse", (12, 4))]
    assert [len(group) for group in layer.all_weights] == [2, 2, 2, 2]
    assert [k for k, _ in nn.LSTMCell(2, 3).named_parameters()] == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    layer.flatten_parameters()  # PyTorch code calls it; nothing to do here


def test_dropout_acts_between_layers_in_training_only():
    dp.manual_seed(0)
    layer = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = dp.randn(5, 2, 3)
    dp.manual_seed(1)
    first = layer(x)[0].data
    dp.manual_seed(1)
    assert np.array_equal(first, layer(x)[0].data)  # the library's generator: seeded, repeatable
    dp.manual_seed(2)
    assert not np.array_equal(first, layer(x)[0].data)
    plain = nn.LSTM(3, 4, num_layers=2)
    plain.load_state_dict(layer.state_dict())
    layer.eval()
    np.testing.assert_array_equal(layer(x)[0].data, plain(x)[0].data)  # no dropout in evaluation mode
    with pytest.warns(UserWarning, match="LSTM: dropout=0.5 acts between stacked layers only"):
        nn.LSTM(3, 4, dropout=0.5)


def test_a_sequence_learns_with_adam():
    """The last step of an LSTM learns the sum of a sequence's signs (a counting task)."""
    dp.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.choice([-1.0, 1.0], size=(64, 8, 1)).astype(np.float32)
    y = x.sum(axis=1) / 8
    lstm, head = nn.LSTM(1, 8, batch_first=True), nn.Linear(8, 1)
    optimizer = dp.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.03)
    losses = []
    for _ in range(60):
        output, (h_n, _) = lstm(x)
        loss = nn.functional.mse_loss(head(h_n[-1]), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0]


# -- descriptions, configs and model files ------------------------------------------------------------------

def test_reprs_as_pytorch_prints_them():
    assert repr(nn.LSTM(10, 20, num_layers=2, batch_first=True)) == "LSTM(10, 20, num_layers=2, batch_first=True)"
    assert repr(nn.GRU(3, 4, bias=False, dropout=0.5, bidirectional=True, num_layers=2)) == (
        "GRU(3, 4, num_layers=2, bias=False, dropout=0.5, bidirectional=True)")
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4)"
    assert repr(nn.RNNCell(3, 4, bias=False, nonlinearity="relu")) == "RNNCell(3, 4, bias=False, nonlinearity=relu)"
    assert repr(nn.LSTMCell(3, 4)) == "LSTMCell(3, 4)" and repr(nn.GRUCell(3, 4)) == "GRUCell(3, 4)"


def test_describe_and_parameter_counts():
    assert nn.LSTM(3, 4, num_layers=2, bidirectional=True).describe() == "LSTM(3 -> 4, 2 layers, bidirectional)"
    assert nn.GRUCell(3, 4).describe() == "GRUCell(3 -> 4)"
    assert nn.LSTM(3, 4).num_parameters() == 4 * 4 * (3 + 4 + 2)
    assert nn.GRU(3, 4, num_layers=2).num_parameters() == 3 * 4 * (3 + 4 + 2) + 3 * 4 * (4 + 4 + 2)


CONFIG_LAYERS = [
    nn.RNN(3, 4), nn.RNN(3, 4, 2, "relu", False, True, 0.25, True, dtype=np.float64), nn.LSTM(2, 3),
    nn.LSTM(2, 3, num_layers=3, bidirectional=True, batch_first=True), nn.GRU(5, 2, bias=False), nn.RNNCell(2, 3),
    nn.RNNCell(2, 3, nonlinearity="relu", bias=False), nn.LSTMCell(2, 3, dtype=np.float64), nn.GRUCell(4, 1),
    nn.LSTM(2, 5, num_layers=2, bidirectional=True, proj_size=3), nn.LSTM(2, 3, proj_size=1, bias=False),
]


@pytest.mark.parametrize("layer", CONFIG_LAYERS, ids=repr)
def test_config_rebuilds_an_equal_layer(layer):
    config = json.loads(json.dumps(layer.config()))  # what a saved architecture holds
    rebuilt = type(layer)(**config)
    assert rebuilt.config() == layer.config() and repr(rebuilt) == repr(layer)
    ours, theirs = layer.state_dict(), rebuilt.state_dict()
    assert list(ours) == list(theirs)
    assert all(ours[k].shape == theirs[k].shape and ours[k].dtype == theirs[k].dtype for k in ours)


def test_every_recurrent_layer_is_covered():
    classes = {getattr(nn, name) for name in nn.__all__}
    mine = {c for c in classes if isinstance(c, type) and c.__module__ == "deltaprop.nn.recurrent"}
    # (the base classes are for isinstance checks and classes of one's own, never in model files)
    assert mine - {nn.RNNBase, nn.RNNCellBase} == {type(layer) for layer in CONFIG_LAYERS} == {nn.RNN, nn.LSTM, nn.GRU, nn.RNNCell, nn.LSTMCell, nn.GRUCell}


def test_built_in_layers_save_and_load_with_their_architecture(tmp_path):
    dp.manual_seed(0)
    layers = nn.ModuleList([nn.LSTM(3, 4, num_layers=2, dropout=0.3, bidirectional=True), nn.GRU(3, 2, batch_first=True),
                            nn.RNN(3, 2, nonlinearity="relu"), nn.LSTMCell(3, 2), nn.GRUCell(3, 2), nn.RNNCell(3, 2)])
    layers[0].eval()
    dp.save(layers, tmp_path / "layers.safetensors")
    loaded = dp.load(tmp_path / "layers.safetensors")
    assert repr(loaded) == repr(layers) and not loaded[0].training and loaded[1].training
    assert loaded[2].nonlinearity == "relu"
    x = dp.randn(5, 2, 3)
    for ours, theirs in zip(layers, loaded):
        given = x[0] if "Cell" in type(ours).__name__ else x
        np.testing.assert_array_equal(flat(ours(given)), flat(theirs(given)))


def flat(result):
    """Every number a layer or cell returned, in one array."""
    if isinstance(result, dp.Tensor):
        return result.data.ravel()
    return np.concatenate([flat(part) for part in result])


class Tagger(nn.Module):
    """The usual sequence model: an embedding, an LSTM, a linear head on every step."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.lstm = nn.LSTM(4, 6, batch_first=True, bidirectional=True)
        self.head = nn.Linear(12, 3)

    def forward(self, tokens):
        output, _ = self.lstm(self.embed(tokens))
        return self.head(output)


def test_a_custom_model_with_an_lstm_saves_its_weights(tmp_path):
    dp.manual_seed(0)
    model = Tagger()
    dp.save(model, tmp_path / "tagger.safetensors")
    with pytest.raises(ModelFileError, match="the model is of a custom class"):
        dp.load(tmp_path / "tagger.safetensors")
    dp.manual_seed(1)
    loaded = dp.load(tmp_path / "tagger.safetensors", model=Tagger())
    tokens = np.array([[1, 2, 3, 4], [5, 6, 7, 0]])
    np.testing.assert_array_equal(loaded(tokens).data, model(tokens).data)
    assert "lstm.weight_hh_l0_reverse" in model.state_dict()


@pytest.mark.parametrize("after", [nn.Linear(3, 2), nn.ReLU(), nn.Flatten(), nn.Dropout(0.5), nn.GELU(), nn.Softmax(-1)],
                         ids=lambda layer: type(layer).__name__)
def test_a_layers_pair_of_results_where_one_tensor_belongs_is_a_type_error(after):
    """A recurrent layer returns (output, h_n). Put in a Sequential before another layer, the pair
    was stacked into one array off the graph (silently where the two shapes agree, a sequence of
    one step here: the GRU got no gradient), or failed with NumPy's "inhomogeneous shape"; as in
    PyTorch, a layer or loss given it is a TypeError."""
    x = np.ones((1, 4, 3), dtype=np.float32)
    model = nn.Sequential(nn.GRU(3, 3), after)
    with pytest.raises(TypeError, match=r"got a tuple holding tensors;.*\(output, h_n\)"):
        model(x)
    with pytest.raises(TypeError, match="got a tuple holding tensors"):
        nn.MSELoss()(nn.LSTM(3, 3)(x), np.zeros((2, 1, 4, 3), dtype=np.float32))


def test_fit_predict_and_evaluate_say_the_model_returned_a_pair():
    x, y = np.ones((4, 2, 3), dtype=np.float32), np.zeros((4, 2, 5), dtype=np.float32)
    lstm = nn.LSTM(3, 5, batch_first=True)
    with pytest.raises(TypeError, match="got a tuple holding tensors"):
        dp.fit(lstm, x, y, loss="mse", optimizer="sgd", epochs=1, verbose=0)
    for call in (lambda: dp.predict(lstm, x), lambda: dp.evaluate(lstm, x, y, loss="mse")):
        with pytest.raises(TypeError, match=r"the model returned a tuple, not a tensor .*\(output, h_n\)"):
            call()


def _edited(path, edit):
    from safetensors.numpy import save_file

    from deltaprop.serialization import _read

    tensors, info = _read(path)
    edit(info)
    save_file(tensors, str(path), metadata={"deltaprop": json.dumps(info)})


@pytest.mark.parametrize("sizes", [dict(hidden_size=30000), dict(num_layers=60000), dict(input_size=60000, hidden_size=500)])
def test_a_hostile_recurrent_size_is_refused_before_allocating(tmp_path, sizes):
    path = tmp_path / "lstm.safetensors"
    dp.save(nn.ModuleList([nn.LSTM(2, 3)]), path)
    _edited(path, lambda info: info["architecture"]["children"][0]["config"].update(sizes))
    with pytest.raises(ModelFileError, match="the architecture asks for far more weights than the file's"):
        dp.load(path)


def test_the_size_bound_counts_a_recurrent_layers_real_weights():
    from deltaprop.serialization import _size_bound

    for layer in CONFIG_LAYERS:
        assert _size_bound(type(layer).__name__, layer.config()) >= layer.num_parameters()


# -- errors and in-place changes -----------------------------------------------------------------------------

@pytest.mark.parametrize("build, option", [
    (lambda: nn.LSTM(0, 4), "input_size must be a positive integer, got 0"),
    (lambda: nn.GRU(3, 2.5), "hidden_size must be a positive integer, got 2.5"),
    (lambda: nn.RNN(3, 4, num_layers=0), "num_layers must be a positive integer, got 0"),
    (lambda: nn.LSTM(3, 4, dropout=1.5), "dropout must be a probability in [0, 1], got 1.5"),
    (lambda: nn.GRU(3, 4, dropout=True), "dropout must be a probability in [0, 1], got True"),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), "nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"),
    (lambda: nn.RNNCell(3, 4, nonlinearity="gelu"), "nonlinearity must be 'tanh' or 'relu', got 'gelu'"),
    (lambda: nn.LSTM(3, 4, proj_size=4), "proj_size must be smaller than hidden_size=4, got proj_size=4"),
    (lambda: nn.LSTM(3, 4, proj_size=-1), "proj_size must be a non-negative integer (0 for no projections), got -1"),
    (lambda: nn.LSTM(3, 4, proj_size=2.0), "proj_size must be a non-negative integer (0 for no projections), got 2.0"),
    (lambda: nn.RNNBase("GRU", 3, 4, proj_size=2), "proj_size is an option of LSTM only, got proj_size=2 with mode 'GRU'"),
    (lambda: nn.LSTMCell(3, -1), "hidden_size must be a positive integer, got -1"),
    (lambda: nn.GRU(3, 4, dtype=np.int32), "dtype must be a floating-point type"),
])
def test_bad_options_raise_config_error_naming_layer_and_option(build, option):
    with pytest.raises(ConfigError, match=re.escape(option)) as caught:
        build()
    assert re.match(r"(RNN|LSTM|GRU)(Cell|Base)?: ", str(caught.value))


@pytest.mark.parametrize("run, message", [
    (lambda: nn.LSTM(3, 4)(dp.randn(5, 2, 6)), "LSTM(3 -> 4) expected input of shape (L, N, 3) or (L, 3), got shape (5, 2, 6)"),
    (lambda: nn.GRU(3, 4, batch_first=True)(dp.randn(2, 5, 2, 3)), "GRU(3 -> 4) expected input of shape (N, L, 3) or (L, 3), got shape (2, 5, 2, 3)"),
    (lambda: nn.RNN(3, 4)(dp.randn(3)), "RNN(3 -> 4) expected input of shape (L, N, 3) or (L, 3), got shape (3,)"),
    (lambda: nn.LSTM(3, 4)(dp.randn(0, 2, 3)), "LSTM(3 -> 4): the input sequence is empty"),
    (lambda: nn.LSTM(3, 4)(dp.randn(5, 2, 3), dp.zeros(1, 2, 4)), "LSTM(3 -> 4): the initial state must be a pair (h_0, c_0) of shape (1, 2, 4), got Tensor"),
    (lambda: nn.LSTM(3, 4)(dp.randn(5, 2, 3), (dp.zeros(1, 2, 4), dp.zeros(1, 3, 4))), "LSTM(3 -> 4): c_0 must have shape (1, 2, 4) for input of shape (5, 2, 3), got shape (1, 3, 4)"),
    (lambda: nn.GRU(3, 4, num_layers=2)(dp.randn(5, 2, 3), dp.zeros(1, 2, 4)), "GRU(3 -> 4, 2 layers): h_0 must have shape (2, 2, 4) for input of shape (5, 2, 3), got shape (1, 2, 4)"),
    (lambda: nn.RNN(3, 4)(dp.randn(5, 3), dp.zeros(1, 1, 4)), "RNN(3 -> 4): h_0 must have shape (1, 4) for input of shape (5, 3), got shape (1, 1, 4)"),
    (lambda: nn.LSTMCell(3, 4)(dp.randn(2, 2, 3)), "LSTMCell(3 -> 4) expected input of shape (N, 3) or (3,), got shape (2, 2, 3)"),
    (lambda: nn.GRUCell(3, 4)(dp.randn(2, 3), dp.zeros(3, 4)), "GRUCell(3 -> 4): hx must have shape (2, 4) for input of shape (2, 3), got shape (3, 4)"),
    (lambda: nn.LSTMCell(3, 4)(dp.randn(2, 3), dp.zeros(2, 4)), "LSTMCell(3 -> 4): hx must be a pair (h, c) of states of shape (2, 4), got Tensor"),
    (lambda: fused.lstm_sequence(dp.randn(2, 1, 8), dp.zeros(1, 2), dp.zeros(1, 2), dp.randn(8, 3)), "lstm_sequence: w_hh must have shape (4·hidden, hidden), got shape (8, 3)"),
    # with a projection w_hr (proj_size, hidden): h0 and w_hh proj_size wide, c0 hidden wide
    (lambda: fused.lstm_sequence(dp.randn(2, 1, 12), dp.zeros(1, 2), dp.zeros(1, 3), dp.randn(12, 2), w_hr=dp.randn(3, 3)), "lstm_sequence: w_hr must have shape (proj_size, hidden) with proj_size < hidden, got shape (3, 3)"),
    (lambda: fused.lstm_sequence(dp.randn(2, 1, 12), dp.zeros(1, 2), dp.zeros(1, 3), dp.randn(12, 3), w_hr=dp.randn(2, 3)), "lstm_sequence: w_hh must have shape (12, 2) for w_hr of shape (2, 3), got shape (12, 3)"),
    (lambda: fused.lstm_sequence(dp.randn(2, 1, 12), dp.zeros(1, 3), dp.zeros(1, 3), dp.randn(12, 2), w_hr=dp.randn(2, 3)), "lstm_sequence: h0 must have shape (1, 2), got shape (1, 3)"),
    (lambda: fused.lstm_sequence(dp.randn(2, 1, 12), dp.zeros(1, 2), dp.zeros(1, 2), dp.randn(12, 2), w_hr=dp.randn(2, 3)), "lstm_sequence: c0 must have shape (1, 3), got shape (1, 2)"),
    (lambda: nn.LSTM(3, 4, proj_size=2)(dp.randn(5, 2, 3), dp.zeros(1, 2, 2)), "LSTM(3 -> 4, projected to 2): the initial state must be a pair (h_0, c_0) of shapes (1, 2, 2) and (1, 2, 4), got Tensor"),
    (lambda: nn.LSTM(3, 4, proj_size=2)(dp.randn(5, 3), (dp.zeros(1, 4), dp.zeros(1, 4))), "LSTM(3 -> 4, projected to 2): h_0 must have shape (1, 2) for input of shape (5, 3), got shape (1, 4)"),
])
def test_bad_inputs_raise_shape_error_naming_layer_and_shapes(run, message):
    with pytest.raises(ShapeError, match=re.escape(message)):
        run()


def test_stepping_the_weights_between_forward_and_backward_is_refused():
    for fused_steps in (True, False):
        recurrent.FUSED = fused_steps
        try:
            layer = nn.LSTM(3, 4)
            output, _ = layer(dp.randn(5, 2, 3))
            dp.nn.init.constant_(layer.weight_hh_l0, 0.1)
            with pytest.raises(GradError, match="'lstm_sequence'" if fused_steps else "'linear'"):
                output.sum().backward()
        finally:
            recurrent.FUSED = True


def test_changing_the_initial_state_after_the_forward_pass_is_fine_for_the_fused_layers():
    """The primitive keeps its own copy of the states each step started from, not h0."""
    layer = nn.GRU(3, 4)
    x = dp.randn(5, 2, 3, requires_grad=True)
    h0 = dp.zeros(1, 2, 4, requires_grad=True)
    output, _ = layer(x, h0)
    with dp.no_grad():
        h0 += 1.0
    output.sum().backward()
    assert h0.grad.shape == (1, 2, 4) and np.abs(h0.grad).sum() > 0


def test_no_warning_from_a_plain_layer():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.LSTM(3, 4, num_layers=2, dropout=0.5)(dp.randn(2, 1, 3))
