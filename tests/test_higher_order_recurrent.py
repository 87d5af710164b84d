"""Second and higher derivatives through the recurrent sequence primitives and the linear-algebra
primitives, beyond the cases of tests/higher_order_cases_recurrent.py (which test_higher_order.py
checks against finite differences): the recurrent rules' restated forward equals the primitives'
for every option, gi's gradient is one node however long the sequence, third derivatives (a
closed form for log|det|, finite differences of second derivatives for an LSTM), and the refusals
by name."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import autograd
from deltaprop.autograd.differentiable_recurrent import restated
from deltaprop.errors import GradError
from deltaprop.ops import recurrent

GATES = {"rnn_sequence": 1, "lstm_sequence": 4, "gru_sequence": 3}


def T(values, dtype=np.float64, requires_grad=False):
    return dp.tensor(values, dtype=dtype, requires_grad=requires_grad)


def sequence(op, length=4, batch=3, hidden=2, bias=True, dtype=np.float64, seed=0, proj=0, **options):
    """The primitive ``op`` on random inputs that all require a gradient (an LSTM's projected to
    ``proj`` units with ``proj``)."""
    rng = np.random.default_rng(seed)
    width = GATES[op] * hidden
    gi = T(rng.standard_normal((length, batch, width)), dtype, True)
    h0 = T(rng.standard_normal((batch, proj or hidden)), dtype, True)
    w_hh = T(rng.standard_normal((width, proj or hidden)) * 0.7, dtype, True)
    b_hh = T(rng.standard_normal(width), dtype, True) if bias else None
    if op == "lstm_sequence":
        c0 = T(rng.standard_normal((batch, hidden)), dtype, True)
        w_hr = T(rng.standard_normal((proj, hidden)), dtype, True) if proj else None
        return recurrent.lstm_sequence(gi, h0, c0, w_hh, b_hh, w_hr=w_hr, **options)
    return getattr(recurrent, op)(gi, h0, w_hh, b_hh, **options)


OPTIONS = [
    ("rnn_sequence", {}), ("rnn_sequence", {"nonlinearity": "relu"}), ("rnn_sequence", {"reverse": True}),
    ("rnn_sequence", {"batch_sizes": [3, 2, 2, 1]}),
    ("rnn_sequence", {"bias": False, "reverse": True, "batch_sizes": [3, 3, 1, 1]}),
    ("lstm_sequence", {}), ("lstm_sequence", {"reverse": True}), ("lstm_sequence", {"bias": False}),
    ("lstm_sequence", {"batch_sizes": [3, 2, 1, 1]}), ("lstm_sequence", {"reverse": True, "batch_sizes": [3, 3, 2, 1]}),
    ("lstm_sequence", {"proj": 1}), ("lstm_sequence", {"proj": 2, "hidden": 3, "bias": False, "reverse": True}),
    ("lstm_sequence", {"proj": 2, "hidden": 3, "batch_sizes": [3, 2, 2, 1]}),
    ("gru_sequence", {}), ("gru_sequence", {"reverse": True}), ("gru_sequence", {"bias": False}),
    ("gru_sequence", {"batch_sizes": [3, 2, 2, 2]}), ("gru_sequence", {"reverse": True, "batch_sizes": [3, 1, 1, 1]}),
]


@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-13), (np.float32, 1e-5)], ids=["float64", "float32"])
@pytest.mark.parametrize("op, options", OPTIONS, ids=[f"{op} {options}" for op, options in OPTIONS])
def test_the_restated_forward_equals_the_primitives(op, options, dtype, tolerance):
    node = sequence(op, dtype=dtype, **options)
    out, pieces = restated(node)
    assert out.data.dtype == node.data.dtype
    np.testing.assert_allclose(out.data, node.data, rtol=tolerance, atol=tolerance)
    # each position's slice of gi: its rows that take a step there
    sizes = options.get("batch_sizes", [3] * 4)
    assert [piece.data.shape[0] for piece in pieces] == sizes


@pytest.mark.parametrize("op, options", OPTIONS, ids=[f"{op} {options}" for op, options in OPTIONS])
def test_the_differentiable_rule_gives_the_primitives_first_derivatives(op, options):
    node = sequence(op, **options)
    w = T(np.random.default_rng(5).standard_normal(node.shape))
    parents = [p for p in node._parents]
    plain = autograd.grad((node * node * w).sum(), parents)
    graphed = autograd.grad((node * node * w).sum(), parents, create_graph=True)
    for a, b in zip(graphed, plain):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-13)


def test_gis_gradient_is_one_node_however_long_the_sequence():
    """The slices' gradients stacked: not one array of gi's size per position, summed."""
    node = sequence("lstm_sequence", length=6, batch_sizes=[3, 3, 2, 2, 1, 1])
    gi = node._parents[0]
    (g,) = autograd.grad((node ** 2).sum(), gi, create_graph=True)
    assert g._op == "stack" and len(g._parents) == 6
    assert [p.shape for p in g._parents] == [(3, 8)] * 6


def test_third_derivative_of_log_abs_det():
    """d³/dt³ log|det(A + tV)| = 2·tr((A⁻¹V)³), through slogdet's rule, inv's and inv's again."""
    rng = np.random.default_rng(2)
    A0, V0 = rng.standard_normal((3, 3)) + 2 * np.eye(3), rng.standard_normal((3, 3))
    A, V = T(A0, requires_grad=True), T(V0)
    (g1,) = autograd.grad(dp.linalg.slogdet(A)[1], A, create_graph=True)
    (g2,) = autograd.grad((g1 * V).sum(), A, create_graph=True)
    (g3,) = autograd.grad((g2 * V).sum(), A)
    M = np.linalg.solve(A0, V0)
    np.testing.assert_allclose((g3.data * V0).sum(), 2 * np.trace(M @ M @ M), rtol=1e-10)
    np.testing.assert_allclose((g2.data * V0).sum(), -np.trace(M @ M), rtol=1e-12)


def test_third_derivative_through_an_lstm_against_finite_differences():
    """The directional third derivative of an LSTM's loss with respect to its recurrent weights:
    the rule of the rule of the restated steps, against differences of the second derivative."""
    rng = np.random.default_rng(4)
    gi0, w0 = rng.standard_normal((3, 2, 8)), rng.standard_normal((8, 2)) * 0.5
    h0, c0 = rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    v = rng.standard_normal((8, 2))

    def loss(w):
        out = recurrent.lstm_sequence(T(gi0), T(h0), T(c0), w, None, batch_sizes=[2, 2, 1])
        return (out ** 2).sum()

    def derivative(w0, order, create_graph):
        w = T(w0, requires_grad=True)
        value = loss(w)
        for k in range(order):
            (g,) = autograd.grad(value, w, create_graph=create_graph or k < order - 1)
            value = (g * T(v)).sum()
        return float(value.data)

    third = derivative(w0, 3, False)
    eps = 1e-5
    numeric = (derivative(w0 + eps * v, 2, True) - derivative(w0 - eps * v, 2, True)) / (2 * eps)
    np.testing.assert_allclose(third, numeric, rtol=1e-6)


def _second(make, x):
    (g,) = autograd.grad(make(x), x, create_graph=True)
    return autograd.grad((g * g).sum(), x)


@pytest.mark.parametrize("make, sentence", [
    (lambda x: dp.linalg.det(x), r"the gradient of 'linalg.det' of a singular matrix"),
    (lambda x: dp.linalg.slogdet(x)[1], r"the gradient of 'linalg.slogdet' of a singular matrix"),
    (lambda x: dp.linalg.qr(x, mode="r")[1].sum(), r"linalg.qr with mode='r' computes no Q"),
], ids=["det", "slogdet", "qr mode r"])
def test_refusals_are_named(make, sentence):
    x = T(np.array([[1.0, 2.0], [2.0, 4.0]]), requires_grad=True)  # singular, with an exact zero pivot
    with pytest.raises(GradError, match=sentence):
        _second(lambda x: make(x).sum(), x)


def test_qr_complete_with_more_rows_than_columns_is_refused():
    x = T(np.random.default_rng(0).standard_normal((3, 2)), requires_grad=True)
    with pytest.raises(GradError, match=r"mode='complete' and more rows than columns \(3 > 2\) has no gradient"):
        _second(lambda x: dp.linalg.qr(x, mode="complete")[1].sum(), x)


def test_equal_eigenvalues_leave_the_eigenvectors_gradient_undefined_as_at_first_order():
    """At a repeated eigenvalue the eigenvectors are not determined and their rule gives NaN, with
    create_graph=True as without (and as PyTorch's)."""
    weights = T(np.arange(9.0).reshape(3, 3))

    def gradient(create_graph):
        x = T(np.diag([1.0, 1.0, 3.0]), requires_grad=True)
        (g,) = autograd.grad((dp.linalg.eigh(x)[1] ** 2 * weights).sum(), x, create_graph=create_graph)
        return g.data

    np.testing.assert_array_equal(np.isnan(gradient(True)), np.isnan(gradient(False)))
    assert np.isnan(gradient(True)).any()
