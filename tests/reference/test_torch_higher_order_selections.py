"""Second and third derivatives through the selections, scatters, orderings and products
(autograd/differentiable_selections.py, differentiable_products.py) against PyTorch 2.13 in uses
beyond the one-operation cases of tests/higher_order_cases_selections.py (which
test_torch_higher_order.py runs): the Hessian-vector product of a small attention model's loss
built of gather, einsum, baddbmm, topk, scatter_add, cumsum and addmm; third derivatives through
einsum, a gather and scatter_reduce; scatter_reduce's product with a zero sent to a place; embedding_bag,
which PyTorch differentiates twice only as an embedding followed by the bag's reduction."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import autograd  # noqa: E402

DTYPES = [(np.float64, torch.float64, 1e-10), (np.float32, torch.float32, 1e-4)]


def _library(L, dtype):
    """(make a tensor of ``dtype`` that requires a gradient, make a constant of it, grad) of ``L``."""
    if L is dp:
        return (lambda a: dp.tensor(a, dtype=dtype, requires_grad=True), lambda a: dp.tensor(a, dtype=dtype),
                autograd.grad)
    return (lambda a: torch.tensor(a, dtype=dtype, requires_grad=True), lambda a: torch.tensor(a, dtype=dtype),
            torch.autograd.grad)


def _as_array(g):
    return g.data if isinstance(g, dp.Tensor) else g.detach().numpy()


def attention_loss(L, tensor, params, tokens, labels):
    """A one-head attention classifier: the tokens' rows of the table gathered, queries and keys by
    einsum, scores by baddbmm on a learnt bias, the attention-weighted rows, the two largest of each
    feature over the positions (topk), a running sum over the features, the features of the tokens
    added into per-token slots (scatter_add), then addmm to the classes and cross-entropy."""
    table, wq, wk, bias, w_out, b_out = params
    n, t = tokens.shape
    v, d = table.shape
    rows = L.gather(table.unsqueeze(0).expand(n, v, d), 1,
                    L.tensor(np.broadcast_to(tokens[:, :, None], (n, t, d)).copy()))  # (n, t, d)
    q, k = L.einsum("ntd,de->nte", rows, wq), L.einsum("ntd,de->nte", rows, wk)
    scores = L.baddbmm(bias, q, k.transpose(1, 2), beta=0.5, alpha=1 / np.sqrt(d))  # (n, t, t)
    mixed = L.matmul(L.softmax(scores, dim=-1), rows)  # (n, t, d)
    pooled = L.topk(mixed, 2, dim=1)[0].sum(1)  # (n, d)
    running = L.cumsum(pooled, dim=1)
    slots = L.tensor(np.broadcast_to((tokens[:, :1] % 2), (n, d)).copy())
    spread = L.zeros((n, 2 * d), dtype=running.dtype).scatter_add(1, slots * d + L.tensor(np.arange(d)).expand(n, d),
                                                                   running)
    logits = L.addmm(b_out, spread, w_out, beta=1.0, alpha=0.5)
    return L.nn.functional.cross_entropy(logits, L.tensor(labels))


@pytest.mark.parametrize("np_dtype, torch_dtype, tolerance", DTYPES, ids=["float64", "float32"])
def test_hessian_vector_product_of_an_attention_models_loss(np_dtype, torch_dtype, tolerance):
    rng = np.random.default_rng(7)
    v, d, t, n, c = 6, 4, 5, 3, 3
    values = [rng.standard_normal(s) * 0.7 for s in [(v, d), (d, d), (d, d), (1, t, t), (2 * d, c), (c,)]]
    tokens, labels = rng.integers(0, v, (n, t)), rng.integers(0, c, n)
    directions = [rng.standard_normal(x.shape) for x in values]

    def hessian_vector_product(L, dtype):
        make, const, grad = _library(L, dtype)
        params = [make(x) for x in values]
        loss = attention_loss(L, const, params, tokens, labels)
        grads = grad(loss, params, create_graph=True)
        product = grad(sum((g * const(u)).sum() for g, u in zip(grads, directions)), params)
        return [_as_array(g) for g in grads], [_as_array(h) for h in product]

    ours, theirs = hessian_vector_product(dp, np_dtype), hessian_vector_product(torch, torch_dtype)
    for kind, mine, reference in zip(("gradient", "Hessian-vector product"), ours, theirs):
        for i, (a, b) in enumerate(zip(mine, reference)):
            assert a.dtype == np_dtype
            np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance, err_msg=f"{kind} of parameter {i}")


THIRD = [
    ("einsum cubic", lambda L, x, y: L.einsum("i,ij,j->", x.tanh(), L.outer(x, y), y.sin()), [(3,), (4,)]),
    ("einsum diagonal product", lambda L, x, y: (L.einsum("ii,ij->j", x, y) ** 3).sum(), [(3, 3), (3, 2)]),
    ("gather and scatter_reduce prod", lambda L, x, s: (L.gather(
        x.scatter_reduce(0, L.tensor(np.array([[0, 2, 0], [0, 0, 1]])), s, "prod"), 1,
        L.tensor(np.array([[1, 1], [0, 2], [2, 0]]))) ** 2).sum(), [(3, 3), (2, 3)]),
    ("bilinear and cross", lambda L, x, y, w: (L.cross(L.nn.functional.bilinear(x, y, w), x, dim=1) ** 2).sum(),
     [(2, 3), (2, 2), (3, 3, 2)]),
]


@pytest.mark.parametrize("name, function, shapes", THIRD, ids=[case[0] for case in THIRD])
def test_third_derivatives_equal_pytorchs(name, function, shapes):
    rng = np.random.default_rng(8)
    values = [rng.standard_normal(s) for s in shapes]
    u, v = [rng.standard_normal(s) for s in shapes], [rng.standard_normal(s) for s in shapes]

    def thirds(L):
        make, const, grad = _library(L, np.float64 if L is dp else torch.float64)
        xs = [make(x) for x in values]
        first = grad(function(L, *xs), xs, create_graph=True)
        second = grad(sum((g * const(a)).sum() for g, a in zip(first, u)), xs, create_graph=True)
        third = grad(sum((h * const(b)).sum() for h, b in zip(second, v) if h is not None and h.requires_grad), xs,
                     allow_unused=True)
        return [_as_array(h) for h in second], [None if h is None else _as_array(h) for h in third]

    ours, theirs = thirds(dp), thirds(torch)
    for kind, mine, reference in zip(("second", "third"), ours, theirs):
        for i, (a, b) in enumerate(zip(mine, reference)):
            if b is None:
                assert a is None or not np.any(a), f"{name}: {kind} derivative of input {i}"
                continue
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"{name}: {kind} derivative of input {i}")


def test_scatter_reduce_prod_with_a_zero_sent_equals_pytorch():
    """A zero among the values sent to a place: its gradient is the product of the others there, and
    the second derivative PyTorch's (which, with two zeros at one place, refuses: see
    tests/test_higher_order_selections.py for that case)."""
    rng = np.random.default_rng(9)
    X, S = rng.standard_normal((3, 3)), rng.standard_normal((2, 3))
    S[0, 0] = 0.0  # sent to place (0, 0), with X[0, 0] and S[1, 0]
    X[2, 1] = 0.0  # the input's own value at a place values are sent to
    index = np.array([[0, 2, 0], [0, 0, 1]])
    w, vx, vs = rng.standard_normal((3, 3)), rng.standard_normal((3, 3)), rng.standard_normal((2, 3))

    def derivatives(L):
        make, const, grad = _library(L, np.float64 if L is dp else torch.float64)
        x, s = make(X), make(S)
        y = x.scatter_reduce(0, L.tensor(index), s, "prod")
        gx, gs = grad((const(w) * y * y).sum(), [x, s], create_graph=True)
        hx, hs = grad((gx * const(vx)).sum() + (gs * const(vs)).sum(), [x, s])
        return [_as_array(g) for g in (gx, gs, hx, hs)]

    for a, b in zip(derivatives(dp), derivatives(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_equals_pytorchs_embedding_and_reduction(mode):
    """PyTorch cannot differentiate its embedding_bag twice ("the derivative for '_embedding_bag_backward'
    is not implemented"); its embedding followed by the bag's reduction is the same function, and can."""
    rng = np.random.default_rng(10)
    table, weights = rng.standard_normal((5, 3)), rng.standard_normal((2, 4))
    bags = np.array([[0, 2, 4, 2], [1, 3, 3, 0]])
    w, u, z = rng.standard_normal((2, 3)), rng.standard_normal((5, 3)), rng.standard_normal((2, 4))

    def derivatives(L):
        make, const, grad = _library(L, np.float64 if L is dp else torch.float64)
        x, p = make(table), make(weights)
        leaves = [x, p] if mode == "sum" else [x]
        if L is dp:
            y = dp.nn.functional.embedding_bag(dp.tensor(bags), x, mode=mode,
                                               per_sample_weights=p if mode == "sum" else None)
        else:
            rows = torch.nn.functional.embedding(torch.tensor(bags), x)  # (bags, length, width)
            y = {"sum": lambda: (rows * p[..., None]).sum(1), "mean": lambda: rows.mean(1),
                 "max": lambda: rows.amax(1)}[mode]()
        first = grad((const(w) * y * y.tanh()).sum(), leaves, create_graph=True)
        second = grad(sum((g * const(d)).sum() for g, d in zip(first, (u, z))), leaves)
        return [_as_array(g) for g in first + second]

    for a, b in zip(derivatives(dp), derivatives(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
