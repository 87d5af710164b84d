"""deltaprop.explain: the traced numbers against finite differences, the formulas of the seeds and
the classic worked example's published values."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, ShapeError
from deltaprop.textbook import classic_network, explain
from deltaprop.textbook.classic import PUBLISHED

# -- an independent NumPy model of the network, to differentiate numerically -------------------


_SELU_L, _SELU_A = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717


def _gelu(a):
    return a * 0.5 * (1 + np.vectorize(math.erf)(a / math.sqrt(2)))


REFERENCE = {
    "sigmoid": (nn.Sigmoid, lambda a: 1 / (1 + np.exp(-a))),
    "tanh": (nn.Tanh, np.tanh),
    "relu": (nn.ReLU, lambda a: np.maximum(a, 0)),
    "leaky_relu": (lambda: nn.LeakyReLU(0.1), lambda a: np.where(a > 0, a, 0.1 * a)),
    "elu": (nn.ELU, lambda a: np.where(a > 0, a, np.expm1(np.minimum(a, 0)))),
    "gelu": (nn.GELU, _gelu),
    "identity": (nn.Identity, lambda a: a),
    "silu": (nn.SiLU, lambda a: a / (1 + np.exp(-a))),
    "softplus": (nn.Softplus, lambda a: np.log1p(np.exp(a))),
    "mish": (nn.Mish, lambda a: a * np.tanh(np.log1p(np.exp(a)))),
    "selu": (nn.SELU, lambda a: np.where(a > 0, _SELU_L * a, _SELU_L * _SELU_A * np.expm1(np.minimum(a, 0)))),
    "celu": (lambda: nn.CELU(0.5), lambda a: np.where(a > 0, a, 0.5 * np.expm1(np.minimum(a, 0) / 0.5))),
    "hardtanh": (nn.Hardtanh, lambda a: np.clip(a, -1, 1)),
    "relu6": (nn.ReLU6, lambda a: np.clip(a, 0, 6)),
    "logsigmoid": (nn.LogSigmoid, lambda a: -np.log1p(np.exp(-a))),
    "softsign": (nn.Softsign, lambda a: a / (1 + np.abs(a))),
    "hardswish": (nn.Hardswish, lambda a: a * np.clip(a + 3, 0, 6) / 6),
    "hardsigmoid": (nn.Hardsigmoid, lambda a: np.clip(a + 3, 0, 6) / 6),
    "tanhshrink": (nn.Tanhshrink, lambda a: a - np.tanh(a)),
    "hardshrink": (nn.Hardshrink, lambda a: np.where(np.abs(a) > 0.5, a, 0.0)),
    "softshrink": (nn.Softshrink, lambda a: np.where(np.abs(a) > 0.5, a - np.sign(a) * 0.5, 0.0)),
    "threshold": (lambda: nn.Threshold(0.1, -0.5), lambda a: np.where(a > 0.1, a, -0.5)),
}


def reference_error(params, activations, x, t, loss):
    """E computed with NumPy alone from (W, b) pairs: the function the trace must be the gradient of."""
    o = x
    for (W, b), g in zip(params, activations):
        a = W @ o + b
        if g == "softmax":
            e = np.exp(a - a.max())
            o = e / e.sum()
        else:
            o = REFERENCE[g][1](a)
    if loss == "sse":
        return 0.5 * np.sum((t - o) ** 2)
    if loss == "mse":
        return np.mean((t - o) ** 2)
    return -np.sum(t * np.log(o))


def random_network(seed, sizes, hidden, last):
    rng = np.random.default_rng(seed)
    modules, params, activations = [], [], []
    for k in range(1, len(sizes)):
        linear = nn.Linear(sizes[k - 1], sizes[k], dtype=np.float64)
        linear.weight.data[...] = rng.normal(0, 0.8, size=(sizes[k], sizes[k - 1]))
        linear.bias.data[...] = rng.normal(0, 0.5, size=sizes[k])
        name = hidden if k < len(sizes) - 1 else last
        modules.append(linear)
        if name == "softmax":
            modules.append(nn.Softmax(dim=-1))
        else:
            modules.append(REFERENCE[name][0]())
        params.append((linear.weight.data.copy(), linear.bias.data.copy()))
        activations.append(name)
    x = rng.normal(size=sizes[0])
    return nn.Sequential(*modules), params, activations, x, rng


def numeric(f, params, k, which, index, eps=1e-6):
    """Central difference of f with respect to one weight or bias of layer k (1-based)."""
    plus = [(W.copy(), b.copy()) for W, b in params]
    minus = [(W.copy(), b.copy()) for W, b in params]
    slot = 0 if which == "weight" else 1
    plus[k - 1][slot][index] += eps
    minus[k - 1][slot][index] -= eps
    return (f(plus) - f(minus)) / (2 * eps)


CASES = [(g, g, "sse") for g in REFERENCE] + [(g, "sigmoid", "mse") for g in ("tanh", "relu")] + [
    (g, "softmax", "cross_entropy") for g in ("sigmoid", "leaky_relu")
]


@pytest.mark.parametrize(("hidden", "last", "loss"), CASES)
def test_delta_and_weight_gradients_equal_finite_differences(hidden, last, loss):
    model, params, activations, x, rng = random_network(7, [3, 4, 3, 2], hidden, last)
    if loss == "cross_entropy":
        t = np.array([0.0, 1.0])
    else:
        t = rng.uniform(0, 1, size=2)
    trace = explain(model, x, t, loss=loss, lr=0.1)

    def f(p):
        return reference_error(p, activations, x, t, loss)

    assert trace.error == pytest.approx(f(params), rel=1e-12)
    for layer in trace.layers:
        for node in layer.nodes:
            # a_j^k moves exactly as b_j^k does, so ∂E/∂b_j^k = ∂E/∂a_j^k = δ_j^k
            assert node.delta == pytest.approx(numeric(f, params, layer.k, "bias", node.j - 1), rel=1e-5, abs=1e-8)
        for w in layer.weights:
            assert w.grad == pytest.approx(numeric(f, params, layer.k, "weight", w.index), rel=1e-5, abs=1e-8)
            assert w.updated == pytest.approx(w.value - 0.1 * w.grad, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("hidden", sorted(REFERENCE))
def test_the_trace_obeys_the_seeds_formulas(hidden):
    model, params, activations, x, rng = random_network(3, [2, 3, 2], hidden, "sigmoid")
    t = rng.uniform(0, 1, size=2)
    trace = explain(model, x, t)
    layer1, layer2 = trace.layers
    g = REFERENCE[hidden][1]
    outputs_below = {label: value for label, value in trace.inputs}
    for layer in trace.layers:
        for node in layer.nodes:
            weights = [w for w in layer.weights if w.j == node.j]
            bias = layer.biases[node.j - 1]
            # a_j^k = Σ_i w_ij^k o_i^(k−1) + b_j^k
            assert node.a == pytest.approx(sum(w.value * outputs_below[w.source] for w in weights) + bias.value, rel=1e-12)
            # g'(a) from the activation's gradient rule agrees with a numerical slope of g
            slope = (REFERENCE[activations[layer.k - 1]][1](node.a + 1e-6) - REFERENCE[activations[layer.k - 1]][1](node.a - 1e-6)) / 2e-6
            assert node.g_prime == pytest.approx(slope, rel=1e-5, abs=1e-8)
            # ∂E/∂w_ij^k = δ_j^k · o_i^(k−1); ∂E/∂b_j^k = δ_j^k
            for w in weights:
                assert w.grad == pytest.approx(node.delta * outputs_below[w.source], rel=1e-12, abs=1e-15)
            assert bias.grad == pytest.approx(node.delta, rel=1e-12, abs=1e-15)
        outputs_below = {n.label: n.o for n in layer.nodes}
    assert [n.o for n in layer1.nodes] == pytest.approx([float(g(n.a)) for n in layer1.nodes], rel=1e-12, abs=1e-15)
    # output: δ = (o − t)·g'(a)
    for node, target in zip(layer2.nodes, trace.targets):
        assert node.dE_do == pytest.approx(node.o - target, rel=1e-12)
        assert node.delta == pytest.approx((node.o - target) * node.g_prime, rel=1e-12)
    # hidden: δ_j = g'(a_j) · Σ_l w_jl δ_l
    delta2 = {n.label: n.delta for n in layer2.nodes}
    for node in layer1.nodes:
        total = sum(w.value * delta2[w.target] for w in layer2.weights if w.source == node.label)
        assert node.dE_do == pytest.approx(total, rel=1e-10, abs=1e-15)
        assert node.delta == pytest.approx(node.g_prime * total, rel=1e-10, abs=1e-15)


def published(name):
    """A published value with the tolerance of its last printed digit."""
    text = PUBLISHED[name]
    return pytest.approx(float(text), abs=0.5 * 10.0 ** -len(text.split(".")[1]))


def test_the_classic_example_reproduces_the_published_numbers():
    trace = classic_network().explain()
    hidden, output = trace.layers
    assert hidden.nodes[0].o == published("out_h1")
    assert hidden.nodes[1].o == published("out_h2")
    assert output.nodes[0].o == published("out_o1")
    assert output.nodes[1].o == published("out_o2")
    assert trace.error == published("E_total")
    updated = {w.label: w.updated for layer in trace.layers for w in layer.weights}
    for n in range(1, 9):
        assert updated[f"w{n}"] == published(f"w{n}_updated"), f"w{n}"
    assert "E = 0.298371109" in repr(trace) and len(repr(trace)) < 300


def test_the_classic_weights_are_labelled_as_in_the_worked_example():
    trace = classic_network().explain()
    hidden, output = trace.layers
    w = {w.label: w for layer in trace.layers for w in layer.weights}
    assert (w["w2"].source, w["w2"].target, w["w2"].value) == ("i2", "h1", 0.2)
    assert (w["w6"].source, w["w6"].target, w["w6"].value) == ("h2", "o1", 0.45)
    # w_ij^k = weight[j−1, i−1]: w6 goes from node i = 2 to node j = 1 of layer 2
    assert (w["w6"].i, w["w6"].j, w["w6"].parameter, w["w6"].index) == (2, 1, "2.weight", (0, 1))
    assert [n.label for n in hidden.nodes] == ["h1", "h2"] and [n.label for n in output.nodes] == ["o1", "o2"]
    assert {b.label for b in hidden.biases} == {"b1"} and {b.label for b in output.biases} == {"b2"}


def test_frozen_biases_stay_and_the_error_falls_over_the_steps():
    frozen = classic_network().explain(steps=20, freeze_biases=True)
    assert all(b.updated == b.value and b.frozen for layer in frozen.layers for b in layer.biases)
    assert len(frozen.errors_after) == 20
    errors = [frozen.error, *frozen.errors_after]
    assert all(later < earlier for earlier, later in zip(errors, errors[1:]))
    # plain float64 NumPy gives 0.291027774 after the first update (the worked example prints 0.291027924)
    assert frozen.errors_after[0] == pytest.approx(0.2910277737, abs=1e-9)
    moving = classic_network().explain(freeze_biases=False)
    assert all(b.updated == pytest.approx(b.value - 0.5 * b.grad) for layer in moving.layers for b in layer.biases)


def test_the_models_own_weights_are_left_alone():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))  # float32, as users make them
    before = [p.data.copy() for p in model.parameters()]
    trace = explain(model, [0.5, -1.0], [0.25], steps=3)
    assert all(np.array_equal(b, p.data) and p.grad is None for b, p in zip(before, model.parameters()))
    assert trace.layers[0].weights[0].value == pytest.approx(float(before[0][0, 0]))


def test_the_proportional_split_of_seeds_000():
    trace = classic_network().explain()
    (part,) = trace.blame
    shares = {(s.source, s.target): s for s in part.shares}
    assert shares[("o1", "h1")].fraction == pytest.approx(0.40 / (0.40 + 0.45))
    e1 = 0.01 - trace.layers[1].nodes[0].o
    assert shares[("o1", "h1")].error == pytest.approx(e1 * 0.40 / 0.85)
    for source in ("o1", "o2"):
        assert sum(s.fraction for s in part.shares if s.source == source) == pytest.approx(1.0)
    received = dict(part.received)
    assert received["h1"] == pytest.approx(shares[("o1", "h1")].error + shares[("o2", "h1")].error)


def test_a_split_over_weights_that_cancel_is_left_undefined():
    model = nn.Sequential(nn.Linear(2, 2, dtype=np.float64), nn.Sigmoid(), nn.Linear(2, 1, dtype=np.float64))
    model[2].weight.data[...] = [[0.5, -0.5]]
    trace = explain(model, [1.0, 2.0], [1.0])
    assert all(s.fraction is None and s.error is None for s in trace.blame[0].shares)
    assert "—" in trace.to_text()


def test_cross_entropy_takes_a_class_index_and_gives_delta_o_minus_t():
    model = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.ReLU(), nn.Linear(4, 3, dtype=np.float64))
    trace = explain(model, [0.1, 0.2, 0.3], 1, loss="cross_entropy")
    assert trace.targets == (0.0, 1.0, 0.0)
    output = trace.layers[-1]
    assert output.activation == "softmax" and output.nodes[0].g_prime is None
    assert sum(n.o for n in output.nodes) == pytest.approx(1.0)
    for node, target in zip(output.nodes, trace.targets):
        assert node.delta == pytest.approx(node.o - target, rel=1e-12, abs=1e-15)
    assert trace.error == pytest.approx(-math.log(output.nodes[1].o))


@pytest.mark.parametrize("target", [0, [0.25, 0.75]])
def test_each_outputs_share_of_a_cross_entropy_adds_up_to_e_when_an_output_underflows(target):
    # logits 0 and 800: o1 = e^-800 is 0 in float64, yet E = 800 is finite; −t·log o1 was inf.
    model = nn.Linear(1, 2, bias=False, dtype=np.float64)
    model.weight.data[...] = [[0.0], [800.0]]
    trace = explain(model, [1.0], target, loss="cross_entropy")
    t = np.array(trace.targets)
    np.testing.assert_allclose(trace.output_errors, [800.0 * t[0], 0.0], rtol=1e-12, atol=1e-12)
    assert sum(trace.output_errors) == pytest.approx(trace.error, rel=1e-12)
    assert all(error["error"] is not None for error in trace.to_dict()["outputs"])


def test_a_network_without_hidden_layer_or_biases():
    model = nn.Linear(2, 2, bias=False, dtype=np.float64)
    trace = explain(model, [1.0, 2.0], [0.0, 1.0], loss="mse")
    (layer,) = trace.layers
    assert layer.biases == () and trace.blame == ()
    assert [w.parameter for w in layer.weights] == ["weight"] * 4
    assert "nothing to split" in trace.to_text()


def test_labels_of_several_hidden_layers():
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    trace = explain(model, [1.0, 2.0], [0.5])
    assert [n.label for n in trace.layers[1].nodes] == ["h2.1", "h2.2", "h2.3"]
    assert trace.layers[2].weights[-1].label == "w13"  # 4 + 6 + 3 weights, numbered across the network


def test_explain_is_callable_from_the_top_level_package_whatever_was_imported():
    import deltaprop.textbook.render  # noqa: F401  (importing a submodule must not break the call)

    trace = dp.explain(classic_network().model, [0.05, 0.10], [0.01, 0.99])
    assert trace.error == published("E_total")
    assert "loss" in inspect.signature(dp.explain).parameters
    assert "explain" in dir(dp) and "draw_graph" in dir(dp)


def _shared_twice():
    """One Linear used twice: the real gradient is the sum over both uses, which no layer's table shows."""
    layer = nn.Linear(2, 2)
    return nn.Sequential(layer, nn.Tanh(), layer)


def _tied():
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 2))
    model[4].weight = model[0].weight
    return model


@pytest.mark.parametrize(
    ("model", "x", "target", "options", "error", "words"),
    [
        (lambda: nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.1)), [1, 2], [1, 2], {}, ConfigError, "module 1 is a Dropout"),
        (lambda: nn.Sequential(nn.Sigmoid(), nn.Linear(2, 2)), [1, 2], [1, 2], {}, ConfigError, "must follow a Linear"),
        (lambda: nn.Sequential(nn.Linear(2, 2), nn.Softmax()), [1, 2], [1, 2], {}, ConfigError, "needs loss 'cross_entropy'"),
        (lambda: nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()), [1, 2], 0, {"loss": "cross_entropy"}, ConfigError, "Softmax or nothing"),
        (lambda: nn.Linear(2, 2), [1, 2, 3], [1, 2], {}, ShapeError, "x must be one sample of 2 values"),
        (lambda: nn.Linear(2, 2), [[1, 2], [3, 4]], [1, 2], {}, ShapeError, "shape (2, 2)"),
        (lambda: nn.Linear(2, 2), [1, 2], [1], {}, ShapeError, "target must be one sample of 2 values"),
        (lambda: nn.Linear(2, 2), [1, 2], 5, {"loss": "cross_entropy"}, ConfigError, "integer in [0, 2)"),
        (lambda: nn.Linear(2, 2), [1, 2], [0.2, 0.2], {"loss": "cross_entropy"}, ConfigError, "summing to 1"),
        (lambda: nn.Linear(2, 2), [1, 2], [1, 2], {"loss": "hinge"}, ConfigError, "loss must be one of"),
        (lambda: nn.Linear(2, 2), [1, 2], [1, 2], {"lr": 0}, ConfigError, "lr must be a positive number"),
        (lambda: nn.Linear(2, 2), [1, 2], [1, 2], {"steps": 0}, ConfigError, "steps must be a positive integer"),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.Linear(2, 1)), [1, 2], [1], {}, ShapeError, "takes 2 inputs but layer 1 has 3"),
        (lambda: nn.Linear(2, 2), [1, 2], [1, 2], {"loss": ["sse"]}, ConfigError, "loss must be one of"),
        (_shared_twice, [1, 2], [1, 2], {}, ConfigError, "layers 1 and 2 share their weights"),
        (_tied, [1, 2], [1, 2], {}, ConfigError, "layers 1 and 3 share their weights"),
    ],
)
def test_what_explain_refuses_is_named_in_one_sentence(model, x, target, options, error, words):
    with pytest.raises(error) as caught:
        explain(model(), x, target, **options)
    message = str(caught.value)
    assert words in message and message.startswith("explain: ") and "\n" not in message


def test_a_learning_rate_of_any_real_number_type_is_taken():
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid())
    traces = [explain(model, [0.5, -1.0], [0.1, 0.9], lr=lr) for lr in (0.1, np.float32(0.1), np.float64(0.1))]
    updated = [t.layers[0].weights[0].updated for t in traces]
    assert updated[0] == updated[2] and updated[1] == pytest.approx(updated[0], rel=1e-7)  # float32's 0.1 is not 0.1
    assert traces[1].learning_rate == pytest.approx(0.1)


def test_gelu_in_its_tanh_form_is_shown_with_that_formula():
    """Its numbers are the tanh formula's, so the formulas shown must be too (they said a·Φ(a))."""
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.GELU(approximate="tanh"), nn.Linear(4, 2))
    trace = explain(model, [0.3, -1.2, 2.0], [0.0, 1.0])
    layer = trace.layers[0]
    assert layer.activation == "gelu(approximate=tanh)" and "tanh(u)" in layer.g.formula and "0.044715" in layer.g.slope
    a = np.array([n.a for n in layer.nodes])
    u = np.sqrt(2 / np.pi) * (a + 0.044715 * a**3)
    np.testing.assert_allclose([n.o for n in layer.nodes], 0.5 * a * (1 + np.tanh(u)), rtol=1e-12)
    slope = 0.5 * (1 + np.tanh(u)) + 0.5 * a * (1 - np.tanh(u) ** 2) * np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * a**2)
    np.testing.assert_allclose([n.g_prime for n in layer.nodes], slope, rtol=1e-9)
    exact = explain(nn.Sequential(nn.Linear(3, 4), nn.GELU()), [0.3, -1.2, 2.0], [0.0] * 4).layers[0]
    assert exact.activation == "gelu" and exact.g.formula == "a·Φ(a)"


def test_weights_of_layers_with_ten_nodes_or_more_are_written_with_a_comma():
    """w_111 could be w_1,11 or w_11,1: from 10 nodes on the indices are separated."""
    from deltaprop.textbook.render import render

    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(11, 11), nn.Tanh(), nn.Linear(11, 1))
    text = render(explain(model, np.linspace(-1, 1, 11), [0.5]), "table")
    assert "w_1,11^1" in text and "w_11,1^1" in text and "w_111^1" not in text
    assert "w_11^2" not in text and "w_1,1^2" in text  # the output layer has 11 inputs: commas there too
    html = explain(model, np.linspace(-1, 1, 11), [0.5])._repr_html_()
    assert "w<sub>1,11</sub><sup>1</sup>" in html and "w_1,11" not in html
    small = render(explain(nn.Sequential(nn.Linear(2, 2)), [1.0, 2.0], [0.0, 1.0]), "table")
    assert "w_12^1" in small and "w_1,2^1" not in small


def test_an_overflow_is_one_warning_not_numpys():
    import warnings

    model = nn.Sequential(nn.Linear(2, 2)).double()
    model[0].weight.data[...] = [[1e200, 0.2], [0.3, 0.4]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trace = explain(model, [1e200, 2.0], [1.0, 0.0])
    assert [str(w.message)[:34] for w in caught] == ["explain: the step overflowed float"], [str(w.message) for w in caught]
    assert not math.isfinite(trace.error)
    # E finite, but the update overflows: warned too
    model = nn.Sequential(nn.Linear(1, 1), nn.Tanh(), nn.Linear(1, 1), nn.Sigmoid()).double()
    model[0].weight.data[...] = 1e-9
    model[2].weight.data[...] = 0.5
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trace = explain(model, [1e6], [0.5], lr=1e305)
    assert math.isfinite(trace.error) and not math.isfinite(trace.layers[0].weights[0].updated)
    assert len(caught) == 1 and "overflowed" in str(caught[0].message)


# -- PyTorch's other element-wise activations: g'(a) against a closed form written here ----------


def _sigma(a):
    return 1 / (1 + np.exp(-a))


# name -> (the layer, g, g' in closed form, the pieces of a piecewise g' that the a's must reach)
CLOSED_FORM = {
    "silu": (nn.SiLU, REFERENCE["silu"][1], lambda a: _sigma(a) * (1 + a * (1 - _sigma(a))), None),
    "softplus": (nn.Softplus, REFERENCE["softplus"][1], _sigma, None),
    "softplus(β=2, threshold=1)": (
        lambda: nn.Softplus(beta=2.0, threshold=1.0),
        lambda a: np.where(2 * a > 1, a, np.log1p(np.exp(2 * a)) / 2),
        lambda a: np.where(2 * a > 1, 1.0, _sigma(2 * a)),
        lambda a: 2 * a > 1,
    ),
    "mish": (
        nn.Mish, REFERENCE["mish"][1],
        lambda a: np.tanh(np.log1p(np.exp(a))) + a * _sigma(a) * (1 - np.tanh(np.log1p(np.exp(a))) ** 2), None,
    ),
    "selu": (nn.SELU, REFERENCE["selu"][1], lambda a: np.where(a > 0, _SELU_L, _SELU_L * _SELU_A * np.exp(a)), lambda a: a > 0),
    "celu": (lambda: nn.CELU(0.5), REFERENCE["celu"][1], lambda a: np.where(a > 0, 1.0, np.exp(a / 0.5)), lambda a: a > 0),
    "hardtanh": (nn.Hardtanh, REFERENCE["hardtanh"][1], lambda a: ((a > -1) & (a < 1)) * 1.0, lambda a: np.digitize(a, [-1, 1])),
    "hardtanh(min_val=-2, max_val=0.5)": (
        lambda: nn.Hardtanh(-2.0, 0.5), lambda a: np.clip(a, -2, 0.5),
        lambda a: ((a > -2) & (a < 0.5)) * 1.0, lambda a: np.digitize(a, [-2, 0.5]),
    ),
    "relu6": (nn.ReLU6, REFERENCE["relu6"][1], lambda a: ((a > 0) & (a < 6)) * 1.0, lambda a: np.digitize(a, [0, 6])),
    "logsigmoid": (nn.LogSigmoid, REFERENCE["logsigmoid"][1], lambda a: 1 / (1 + np.exp(a)), None),
    "softsign": (nn.Softsign, REFERENCE["softsign"][1], lambda a: 1 / (1 + np.abs(a)) ** 2, None),
    "hardswish": (
        nn.Hardswish, REFERENCE["hardswish"][1],
        lambda a: np.where(a <= -3, 0.0, np.where(a < 3, a / 3 + 0.5, 1.0)), lambda a: np.digitize(a, [-3, 3]),
    ),
    "hardsigmoid": (
        nn.Hardsigmoid, REFERENCE["hardsigmoid"][1], lambda a: ((a > -3) & (a < 3)) / 6.0, lambda a: np.digitize(a, [-3, 3]),
    ),
    "tanhshrink": (nn.Tanhshrink, REFERENCE["tanhshrink"][1], lambda a: np.tanh(a) ** 2, None),
    "hardshrink": (
        nn.Hardshrink, REFERENCE["hardshrink"][1], lambda a: (np.abs(a) > 0.5) * 1.0, lambda a: np.digitize(a, [-0.5, 0.5]),
    ),
    "hardshrink(λ=1.5)": (
        lambda: nn.Hardshrink(1.5), lambda a: np.where(np.abs(a) > 1.5, a, 0.0), lambda a: (np.abs(a) > 1.5) * 1.0,
        lambda a: np.digitize(a, [-1.5, 1.5]),
    ),
    "softshrink": (
        nn.Softshrink, REFERENCE["softshrink"][1], lambda a: (np.abs(a) > 0.5) * 1.0, lambda a: np.digitize(a, [-0.5, 0.5]),
    ),
    "softshrink(λ=1.5)": (
        lambda: nn.Softshrink(1.5), lambda a: np.where(np.abs(a) > 1.5, a - np.sign(a) * 1.5, 0.0),
        lambda a: (np.abs(a) > 1.5) * 1.0, lambda a: np.digitize(a, [-1.5, 1.5]),
    ),
    "threshold(threshold=0.1, value=-0.5)": (
        REFERENCE["threshold"][0], REFERENCE["threshold"][1], lambda a: (a > 0.1) * 1.0, lambda a: a > 0.1,
    ),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORM))
def test_the_slope_of_each_further_activation_is_its_closed_form_derivative(name):
    layer_type, g, slope, pieces = CLOSED_FORM[name]
    rng = np.random.default_rng(11)
    # wide weights, so a spreads over every piece of the hardtanh, relu6 and hardswish slopes
    first, second = nn.Linear(3, 12, dtype=np.float64), nn.Linear(12, 3, dtype=np.float64)
    first.weight.data[...] = rng.normal(0, 2.5, size=(12, 3))
    first.bias.data[...] = rng.normal(0, 1.0, size=12)
    second.weight.data[...] = rng.normal(0, 0.8, size=(3, 12))
    second.bias.data[...] = rng.normal(0, 1.0, size=3)
    model = nn.Sequential(first, layer_type(), second, layer_type())
    x, t = rng.normal(0, 1.5, size=3), rng.uniform(-1, 1, size=3)
    trace = explain(model, x, t)
    hidden, output = trace.layers
    expected_name = name if "(" in name else dp.textbook.trace.activation_name(layer_type())
    assert hidden.activation == output.activation == expected_name
    assert hidden.g.name == name.split("(")[0] and hidden.g.module is type(layer_type())
    nodes = [node for layer in trace.layers for node in layer.nodes]
    a = np.array([node.a for node in nodes], dtype=np.float64)
    if pieces is not None:  # the a's reach every piece of the slope, so each piece is checked
        two = ("softplus", "selu", "celu", "threshold")
        assert len(set(np.asarray(pieces(a)).tolist())) == (2 if name.split("(")[0] in two else 3), a
    assert [node.o for node in nodes] == pytest.approx(g(a).tolist(), rel=1e-12, abs=1e-15)
    assert [node.g_prime for node in nodes] == pytest.approx(slope(a).tolist(), rel=1e-12, abs=1e-15)
    # the chain rule on those slopes: δ = (o − t)·g'(a) at the output, g'(a)·Σ_l w_jl δ_l below it
    for node, target in zip(output.nodes, trace.targets):
        assert node.delta == pytest.approx((node.o - target) * slope(np.float64(node.a)), rel=1e-12, abs=1e-15)
    delta2 = {node.label: node.delta for node in output.nodes}
    for node in hidden.nodes:
        total = sum(w.value * delta2[w.target] for w in output.weights if w.source == node.label)
        assert node.delta == pytest.approx(slope(np.float64(node.a)) * total, rel=1e-10, abs=1e-15)


# what a reader must find in g'(a) as the trace writes it: each piece of the slope, in a and o
SLOPE_WORDS = {
    "silu": ["σ(a)(1 + a(1 − σ(a)))", "o + σ(a)(1 − o)"],
    "softplus": ["σ(βa)", "1 − e^(−βo)", "1 where βa > threshold"],
    "mish": ["tanh(u) + a·σ(a)(1 − tanh²(u))"],
    "selu": ["λ for a > 0", "o + λα"],
    "celu": ["1 for a > 0", "e^(a/α)", "o/α + 1"],
    "hardtanh": ["1 for min_val < a < max_val", "else 0"],
    "relu6": ["1 for 0 < a < 6", "else 0"],
    "logsigmoid": ["σ(−a)", "1 − e^o"],
    "softsign": ["1/(1 + |a|)²", "(1 − |o|)²"],
    "hardswish": ["0 for a ≤ −3", "a/3 + ½ for −3 < a < 3", "1 for a ≥ 3"],
    "hardsigmoid": ["1/6 for −3 < a < 3", "else 0"],
    "tanhshrink": ["tanh²(a)", "(a − o)²"],
    "hardshrink": ["1 for |a| > λ", "else 0"],
    "softshrink": ["1 for |a| > λ", "else 0"],
    "threshold": ["1 for a > threshold", "else 0"],
}
# the options of a layer that has no defaults
OPTIONS = {"threshold": (0.1, -0.5)}


@pytest.mark.parametrize("name", sorted(SLOPE_WORDS))
def test_each_further_activation_writes_its_slope_out_in_every_format(name):
    model = nn.Sequential(nn.Linear(2, 2, dtype=np.float64), dp.textbook.ACTIVATIONS[name].module(*OPTIONS.get(name, ())))
    trace = explain(model, [0.5, -1.0], [0.2, 0.8])
    layer = trace.to_dict()["layers"][0]
    assert layer["activation"].split("(")[0] == name
    for words in SLOPE_WORDS[name]:
        assert words in layer["g_prime"], (words, layer["g_prime"])
    assert layer["g"] in trace.to_text() and layer["g"] in trace.to_markdown()


@pytest.mark.parametrize("layer, name, g", [
    (nn.Hardshrink(0.25), "hardshrink(λ=0.25)", "a for |a| > λ, else 0"),
    (nn.Softshrink(2.0), "softshrink(λ=2)", "a − λ for a > λ, a + λ for a < −λ, else 0"),
    (nn.Threshold(0.5, 3.0), "threshold(threshold=0.5, value=3)", "a for a > threshold, else value"),
])
def test_the_shrinks_and_threshold_are_named_with_their_options(layer, name, g):
    trace = explain(nn.Sequential(nn.Linear(2, 3, dtype=np.float64), layer), [0.5, -1.0], [0.2, 0.8, -0.1])
    assert trace.layers[0].activation == name and trace.layers[0].g.formula == g
    assert name in trace.to_text() and g in trace.to_markdown()


def test_every_elementwise_activation_of_nn_that_explain_takes_is_named_as_the_cli_names_it():
    from deltaprop.nn.activation import ELEMENTWISE
    from deltaprop.textbook import ACTIVATIONS

    # explain also takes hardshrink, softshrink and threshold, which the command line's layers do not
    explain_only = {"identity", "softmax", "hardshrink", "softshrink", "threshold"}
    for name, activation in ACTIVATIONS.items():
        if name not in explain_only:
            assert ELEMENTWISE[name] is activation.module, name
    # the layers explain leaves out: a learned slope and a softmax of −a
    assert set(ELEMENTWISE) - set(ACTIVATIONS) == {"prelu"}
    for layer in (nn.PReLU(), nn.Softmin(dim=-1)):
        with pytest.raises(ConfigError, match="explain handles Linear layers"):
            explain(nn.Sequential(nn.Linear(2, 2, dtype=np.float64), layer), [1.0, 2.0], [0.0, 1.0])
