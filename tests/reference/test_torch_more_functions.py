"""The functions taken from PyTorch for ported code (einsum, bmm, outer, diag, diagonal, trace,
var_mean, std_mean, the function forms, eye, linspace, and F.one_hot, normalize, cosine_similarity,
pairwise_distance with their modules), against PyTorch 2.13: values, result dtypes and gradients in
float64 and float32, and the arguments both refuse.

As in test_torch_ops.py, each case runs one expression in both frameworks (a second lambda where the
APIs differ), backpropagates the same random projection of the result (of each result, for a pair
such as var_mean's) through both, and compares every input's gradient.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ConfigError, DeltapropError, ShapeError
from op_inputs import EINSUM_CASES, EINSUM_SUBLIST_CASES, anywhere, away_from_zero, distinct, positive

torch = pytest.importorskip("torch", reason="PyTorch reference not installed: pip install -e '.[test]'")
F = torch.nn.functional
G = dp.nn.functional

TOLERANCES = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-4, atol=2e-5)}
DTYPES = {"float64": (np.float64, torch.float64), "float32": (np.float32, torch.float32)}


def compare(shapes, torch_fn, dp_fn=None, dtype="float64", recipes=None, seed=0):
    """Run both functions on the same inputs; compare results, dtypes and input gradients."""
    dp_fn = dp_fn or torch_fn
    np_dtype, torch_dtype = DTYPES[dtype]
    tolerance = TOLERANCES[dtype]
    rng = np.random.default_rng(seed)
    recipes = recipes or (anywhere,) * len(shapes)
    arrays = [recipe(rng, shape).astype(np_dtype) for shape, recipe in zip(shapes, recipes)]
    torch_inputs = [torch.tensor(a, dtype=torch_dtype, requires_grad=True) for a in arrays]
    dp_inputs = [dp.tensor(a, dtype=np_dtype, requires_grad=True) for a in arrays]

    expected, got = torch_fn(*torch_inputs), dp_fn(*dp_inputs)
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(expected)
    torch_loss = dp_loss = 0.0
    for e, o in zip(expected, got):
        assert isinstance(o, dp.Tensor)
        assert o.shape == tuple(e.shape)
        assert o.dtype.name == str(e.dtype).removeprefix("torch.")
        np.testing.assert_allclose(o.data, e.detach().numpy(), **tolerance, err_msg="forward values")
        direction = rng.standard_normal(o.shape)
        torch_loss = torch_loss + (e * torch.tensor(direction, dtype=e.dtype)).sum()
        dp_loss = dp_loss + (o * direction.astype(np_dtype)).sum()
    torch_loss.backward()
    dp_loss.backward()
    for i, (t, d) in enumerate(zip(torch_inputs, dp_inputs)):
        if t.grad is None:
            assert d.grad is None or not np.any(d.grad), f"input {i}: torch has no gradient"
            continue
        assert d.grad is not None, f"input {i}: deltaprop computed no gradient"
        assert d.grad.dtype == np_dtype
        np.testing.assert_allclose(d.grad, t.grad.numpy(), **tolerance, err_msg=f"gradient of input {i}")


def case(name, shapes, torch_fn, dp_fn=None, recipes=None, recipe=None):
    recipes = recipes or ((recipe,) * len(shapes) if recipe else None)
    return pytest.param(shapes, torch_fn, dp_fn, recipes, id=name)


def einsum_of(equation):
    return (lambda *t: torch.einsum(equation, *t)), (lambda *t: dp.einsum(equation, *t))


CASES = [case(f"einsum-{name}", shapes, *einsum_of(equation)) for name, equation, shapes in EINSUM_CASES]
CASES += [
    case("einsum-operands-as-a-list", [(2, 3), (3, 4)], lambda a, b: torch.einsum("ij,jk", [a, b]),
         lambda a, b: dp.einsum("ij,jk", [a, b])),
    case("einsum-same-operand-twice", [(3, 4)], lambda a: torch.einsum("ij,kj->ik", a, a),
         lambda a: dp.einsum("ij,kj->ik", a, a)),
    case("einsum-with-a-constant", [(3, 4)], lambda a: torch.einsum("ij,j->i", a, torch.arange(4.0, dtype=a.dtype)),
         lambda a: dp.einsum("ij,j->i", a, np.arange(4.0, dtype=a.dtype))),
]



def einsum_of_sublists(sublists):
    def arguments(tensors):
        return [item for pair in zip(tensors, sublists) for item in pair] + list(sublists[len(tensors):])

    return (lambda *t: torch.einsum(*arguments(t))), (lambda *t: dp.einsum(*arguments(t)))


CASES += [case(f"einsum-sublists-{name}", shapes, *einsum_of_sublists(sublists))
          for name, sublists, shapes in EINSUM_SUBLIST_CASES]

CASES += [
    case("bmm", [(2, 3, 4), (2, 4, 5)], torch.bmm, dp.bmm),
    case("bmm-method", [(3, 1, 2), (3, 2, 4)], lambda a, b: a.bmm(b)),
    case("bmm-empty-batch", [(0, 2, 3), (0, 3, 4)], torch.bmm, dp.bmm),
    case("outer", [(3,), (4,)], torch.outer, dp.outer),
    case("outer-method", [(1,), (5,)], lambda a, b: a.outer(b)),
]
for k in (0, 1, -2, 5):
    CASES += [
        case(f"diag-of-vector-k{k}", [(3,)], lambda a, k=k: torch.diag(a, k), lambda a, k=k: dp.diag(a, k)),
        case(f"diag-of-matrix-k{k}", [(3, 4)], lambda a, k=k: a.diag(k)),
        case(f"diagonal-k{k}", [(3, 4)], lambda a, k=k: torch.diagonal(a, k), lambda a, k=k: dp.diagonal(a, k)),
    ]
CASES += [
    case("diag-of-vector-keyword", [(2,)], lambda a: a.diag(diagonal=-1)),
    case("diagonal-of-a-stack", [(2, 3, 4)], lambda a: a.diagonal(1, 1, 2)),
    case("diagonal-dims-reversed", [(3, 2, 4)], lambda a: torch.diagonal(a, -1, dim1=2, dim2=0),
         lambda a: dp.diagonal(a, -1, dim1=2, dim2=0)),
    case("diagonal-negative-dims", [(2, 3, 3, 2)], lambda a: a.diagonal(0, -3, -2)),
    case("trace-square", [(4, 4)], torch.trace, dp.trace),
    case("trace-wide", [(3, 5)], lambda a: a.trace()),
    case("trace-tall", [(5, 2)], lambda a: a.trace()),
]

CASES += [
    case(f"{name}-dim{dim}-keepdim{keepdim}-correction{correction}", [(3, 4, 5)],
         lambda a, f=tf, d=dim, k=keepdim, c=correction: f(a, d, correction=c, keepdim=k),
         lambda a, f=df, d=dim, k=keepdim, c=correction: f(a, d, correction=c, keepdim=k))
    for name, tf, df in [("var_mean", torch.var_mean, dp.var_mean), ("std_mean", torch.std_mean, dp.std_mean)]
    for dim in [None, 1, -1, (0, 2), [2, 0]]
    for keepdim in (False, True)
    for correction in (0, 1)
]
CASES += [
    case("var_mean-unbiased-legacy", [(3, 4)], lambda a: torch.var_mean(a, False), lambda a: dp.var_mean(a, False)),
    case("std_mean-unbiased-positional", [(3, 4)], lambda a: torch.std_mean(a, 1, False, True),
         lambda a: dp.std_mean(a, 1, False, True)),
    case("var_mean-default", [(6,)], torch.var_mean, dp.var_mean),
]

CASES += [
    case("transpose-function", [(2, 3, 4)], lambda a: torch.transpose(a, 0, -1), lambda a: dp.transpose(a, 0, -1)),
    case("permute-function", [(2, 3, 4)], lambda a: torch.permute(a, (1, 2, 0)), lambda a: dp.permute(a, (1, 2, 0))),
    case("permute-function-keyword", [(2, 3)], lambda a: torch.permute(a, dims=[1, 0]), lambda a: dp.permute(a, dims=[1, 0])),
    case("squeeze-function", [(1, 3, 1)], torch.squeeze, dp.squeeze),
    case("squeeze-function-dim", [(1, 3, 1)], lambda a: torch.squeeze(a, -1), lambda a: dp.squeeze(a, -1)),
    case("unsqueeze-function", [(2, 3)], lambda a: torch.unsqueeze(a, 1), lambda a: dp.unsqueeze(a, 1)),
    case("unsqueeze-function-keyword", [(2, 3)], lambda a: torch.unsqueeze(a, dim=-1), lambda a: dp.unsqueeze(a, dim=-1)),
    case("flatten-function", [(2, 3, 4)], torch.flatten, dp.flatten),
    case("flatten-function-dims", [(2, 3, 4, 5)], lambda a: torch.flatten(a, 1, 2), lambda a: dp.flatten(a, 1, 2)),
]


def with_zero_rows(rng, shape):
    """Rows of zeros (the eps of normalize and cosine_similarity decides there) among random ones."""
    x = anywhere(rng, shape)
    x[::2] = 0.0
    return x


def tiny(rng, shape):
    """Vectors of norm below cosine_similarity's eps (1e-8), where the clamp decides the value."""
    return anywhere(rng, shape) * 1e-9


CASES += [
    case(f"normalize-p{p}-dim{dim}", [(3, 4, 2)], lambda a, p=p, d=dim: F.normalize(a, p, d),
         lambda a, p=p, d=dim: G.normalize(a, p, d), recipe=away_from_zero)
    for p in (2.0, 1.0, 3.0, float("inf"))
    for dim in (1, 0, -1)
]
CASES += [
    case("normalize-default", [(4, 3)], F.normalize, G.normalize),
    case("normalize-zero-rows", [(4, 3)], lambda a: F.normalize(a, dim=1), lambda a: G.normalize(a, dim=1),
         recipe=with_zero_rows),
    case("normalize-eps-keyword", [(3, 4)], lambda a: F.normalize(a * 1e-3, eps=0.1),
         lambda a: G.normalize(a * 1e-3, eps=0.1)),
    case("cosine_similarity", [(4, 5), (4, 5)], F.cosine_similarity, G.cosine_similarity),
    case("cosine_similarity-dim0", [(4, 5), (4, 5)], lambda a, b: F.cosine_similarity(a, b, 0),
         lambda a, b: G.cosine_similarity(a, b, 0)),
    case("cosine_similarity-dim-last-3d", [(2, 3, 4), (2, 3, 4)], lambda a, b: F.cosine_similarity(a, b, dim=-1),
         lambda a, b: G.cosine_similarity(a, b, dim=-1)),
    case("cosine_similarity-broadcast", [(4, 5), (5,)], lambda a, b: F.cosine_similarity(a, b, dim=-1),
         lambda a, b: G.cosine_similarity(a, b, dim=-1)),
    case("cosine_similarity-broadcast-both", [(3, 1, 4), (2, 4)], lambda a, b: F.cosine_similarity(a, b, dim=2),
         lambda a, b: G.cosine_similarity(a, b, dim=2)),
    case("cosine_similarity-zero-vectors", [(4, 3), (4, 3)], F.cosine_similarity, G.cosine_similarity,
         recipes=(with_zero_rows, anywhere)),
    case("cosine_similarity-tiny-vectors", [(4, 3), (4, 3)], F.cosine_similarity, G.cosine_similarity,
         recipes=(tiny, anywhere)),
    case("cosine_similarity-eps", [(3, 4), (3, 4)], lambda a, b: F.cosine_similarity(a, b, eps=2.0),
         lambda a, b: G.cosine_similarity(a, b, eps=2.0)),
    case("CosineSimilarity", [(3, 4), (3, 4)], lambda a, b: torch.nn.CosineSimilarity(dim=0, eps=1e-6)(a, b),
         lambda a, b: dp.nn.CosineSimilarity(dim=0, eps=1e-6)(a, b)),
]
CASES += [
    case(f"pairwise_distance-p{p}-keepdim{keepdim}", [(4, 5), (4, 5)],
         lambda a, b, p=p, k=keepdim: F.pairwise_distance(a, b, p, keepdim=k),
         lambda a, b, p=p, k=keepdim: G.pairwise_distance(a, b, p, keepdim=k), recipe=distinct)
    for p in (2.0, 1.0, 3.0, 0.5, float("inf"))
    for keepdim in (False, True)
]
CASES += [
    case("pairwise_distance-broadcast", [(3, 4), (4,)], F.pairwise_distance, G.pairwise_distance, recipe=distinct),
    case("pairwise_distance-3d", [(2, 3, 4), (3, 4)], F.pairwise_distance, G.pairwise_distance, recipe=distinct),
    case("pairwise_distance-vectors", [(5,), (5,)], F.pairwise_distance, G.pairwise_distance, recipe=distinct),
    case("pairwise_distance-equal-inputs", [(3, 4)], lambda a: F.pairwise_distance(a, a * 1.0),
         lambda a: G.pairwise_distance(a, a * 1.0)),
    case("pairwise_distance-eps", [(3, 4), (3, 4)], lambda a, b: F.pairwise_distance(a, b, eps=0.5),
         lambda a, b: G.pairwise_distance(a, b, eps=0.5), recipe=distinct),
    case("PairwiseDistance", [(3, 4), (3, 4)], lambda a, b: torch.nn.PairwiseDistance(p=1.0, keepdim=True)(a, b),
         lambda a, b: dp.nn.PairwiseDistance(p=1.0, keepdim=True)(a, b), recipe=distinct),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shapes, torch_fn, dp_fn, recipes", CASES)
def test_matches_pytorch(shapes, torch_fn, dp_fn, recipes, dtype):
    compare(shapes, torch_fn, dp_fn, dtype=dtype, recipes=recipes)


# -- results without gradients: indices, one-hot codes, creation -------------------------------------------


ARG_CASES = [(None, False), (None, True), (0, False), (1, True), (-1, False), (2, True)]


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim, keepdim", ARG_CASES)
def test_argmax_and_argmin_match_pytorch(name, dim, keepdim):
    x = np.random.default_rng(1).integers(0, 4, size=(3, 4, 5)).astype(np.float32)  # ties: the first wins
    expected = getattr(torch, name)(torch.tensor(x), dim=dim, keepdim=keepdim)
    for got in (getattr(dp, name)(dp.tensor(x), dim, keepdim), getattr(dp.tensor(x), name)(dim=dim, keepdim=keepdim)):
        assert got.dtype == np.int64 and got.shape == tuple(expected.shape)
        np.testing.assert_array_equal(got.data, expected.numpy())


def test_argmax_of_a_0d_tensor_and_of_an_array_match_pytorch():
    assert dp.argmax(dp.tensor(3.0)).item() == torch.argmax(torch.tensor(3.0)).item() == 0
    assert dp.argmin(dp.tensor(3.0), 0).shape == tuple(torch.argmin(torch.tensor(3.0), 0).shape)
    assert dp.argmin(np.array([[2.0, 1.0], [0.0, 5.0]]), 1).tolist() == [1, 0]


@pytest.mark.parametrize("labels, num_classes", [
    ([0, 2, 1], -1), ([[0], [3]], 5), (2, 4), ([[1, 0], [0, 0]], 2), (np.zeros((0, 3), np.int64), 4),
])
def test_one_hot_matches_pytorch(labels, num_classes):
    expected = F.one_hot(torch.tensor(labels), num_classes)
    for given in (dp.tensor(labels), np.asarray(labels)):
        got = G.one_hot(given, num_classes)
        assert got.dtype == np.int64 and got.shape == tuple(expected.shape) and not got.requires_grad
        np.testing.assert_array_equal(got.data, expected.numpy())


@pytest.mark.parametrize("args, dtype", [
    ((0, 1, 7), None), ((-3.5, 2, 5), None), ((2, 1, 5), None), ((0, 1, 1), None), ((0, 1, 0), None),
    ((-1, 1, 11), "float64"), ((-3, 7, 5), "int64"), ((-3.5, 7, 4), "int64"), ((10, -10, 6), "int32"),
])
def test_linspace_matches_pytorch(args, dtype):
    expected = torch.linspace(*args, dtype=getattr(torch, dtype) if dtype else None)
    got = dp.linspace(*args, dtype=getattr(dp, dtype) if dtype else None)
    assert got.dtype.name == str(expected.dtype).removeprefix("torch.") and got.shape == tuple(expected.shape)
    np.testing.assert_allclose(got.data, expected.numpy(), rtol=1e-6, atol=1e-6)
    if len(got.data) > 1 and got.dtype.kind == "f":  # both ends exact, as PyTorch makes them
        assert got.data[0] == expected[0].item() and got.data[-1] == expected[-1].item()


@pytest.mark.parametrize("args, dtype", [((3,), None), ((2, 4), None), ((4, 2), "float64"), ((0,), None), ((3, 0), None),
                                         ((2,), "int64")])
def test_eye_matches_pytorch(args, dtype):
    expected = torch.eye(*args, dtype=getattr(torch, dtype) if dtype else None)
    got = dp.eye(*args, dtype=getattr(dp, dtype) if dtype else None)
    assert got.dtype.name == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(got.data, expected.numpy())


def test_integer_results_have_pytorch_dtypes():
    ints = np.arange(9, dtype=np.int32).reshape(3, 3)
    for torch_fn, dp_fn in [
        (torch.trace, dp.trace), (torch.diag, dp.diag), (lambda a: torch.einsum("ij,jk->ik", a, a),
                                                         lambda a: dp.einsum("ij,jk->ik", a, a)),
        (lambda a: torch.outer(a[0], a[1]), lambda a: dp.outer(a[0], a[1])), (lambda a: torch.bmm(a[None], a[None]),
                                                                             lambda a: dp.bmm(a[None], a[None])),
    ]:
        expected, got = torch_fn(torch.tensor(ints)), dp_fn(dp.tensor(ints))
        assert got.dtype.name == str(expected.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(got.data, expected.numpy())
    assert dp.randint(5, (2,)).dtype.name == str(torch.randint(5, (2,)).dtype).removeprefix("torch.")
    assert dp.randperm(3).dtype.name == str(torch.randperm(3).dtype).removeprefix("torch.")


# -- what both refuse ---------------------------------------------------------------------------------------

M = np.arange(12.0).reshape(3, 4)
BAD = [
    ("einsum: too few operands", lambda m, v, f: f.einsum("ij,jk->ik", m), ConfigError, "1 operand(s)"),
    ("einsum: too many operands", lambda m, v, f: f.einsum("ij", m, m), ConfigError, "2 operand(s)"),
    ("einsum: sizes disagree", lambda m, v, f: f.einsum("ij,jk->ik", m, m), ShapeError, "subscript j has size 3"),
    ("einsum: repeated subscript of two sizes", lambda m, v, f: f.einsum("ii->i", m), ShapeError,
     "with different sizes, 3 and 4"),
    ("einsum: too few subscripts", lambda m, v, f: f.einsum("i->i", m), ShapeError, "names 1"),
    ("einsum: too many subscripts", lambda m, v, f: f.einsum("ijk->i", m), ShapeError, "names 3"),
    ("einsum: output repeats", lambda m, v, f: f.einsum("ij->ii", m), ConfigError, "appears more than once"),
    ("einsum: output unknown", lambda m, v, f: f.einsum("ij->k", m), ConfigError, "appears in no input term"),
    ("einsum: digit", lambda m, v, f: f.einsum("i1->i", m), ConfigError, "invalid subscript '1' at index 1"),
    ("einsum: two arrows", lambda m, v, f: f.einsum("ij->i->j", m), ConfigError, "more than one '->'"),
    ("einsum: stray dot", lambda m, v, f: f.einsum("i..j->ij", m), ConfigError, "not part of an ellipsis"),
    ("einsum: two ellipses", lambda m, v, f: f.einsum("...i...->i", m), ConfigError, "a second ellipsis"),
    ("bmm: matrices", lambda m, v, f: f.bmm(m, m.T), ShapeError, "3 dimensions each"),
    ("bmm: batches differ", lambda m, v, f: f.bmm(m[None], f.stack([m.T, m.T])), ShapeError, "batch 1 against 2"),
    ("bmm: inner sizes differ", lambda m, v, f: f.bmm(m[None], m[None]), ShapeError, "4 columns against 3 rows"),
    ("outer: a matrix", lambda m, v, f: f.outer(m, v), ShapeError, "two vectors"),
    ("diag: 3 dimensions", lambda m, v, f: f.diag(m[None]), ShapeError, "a vector or a matrix"),
    ("diag: 0 dimensions", lambda m, v, f: f.diag(v[0]), ShapeError, "a vector or a matrix"),
    ("diagonal: a vector", lambda m, v, f: f.diagonal(v), ShapeError, "at least 2 dimensions"),
    ("diagonal: same dims", lambda m, v, f: f.diagonal(m, 0, 1, 1), ShapeError, "name the same dimension"),
    ("diagonal: dim out of range", lambda m, v, f: f.diagonal(m, 0, 0, 2), ShapeError, "axis 2 is out of range"),
    ("trace: a stack", lambda m, v, f: f.trace(m[None]), ShapeError, "expects a matrix"),
    ("trace: a vector", lambda m, v, f: f.trace(v), ShapeError, "expects a matrix"),
    ("argmax: dim out of range", lambda m, v, f: f.argmax(m, 2), ShapeError, "axis 2 is out of range"),
    ("argmin: empty", lambda m, v, f: f.argmin(v[:0]), ValueError, "has no elements"),
    ("cosine_similarity: shapes", lambda m, v, f: _nn(f).cosine_similarity(m, v[:3]), ShapeError,
     "cannot be broadcast"),
    ("pairwise_distance: shapes", lambda m, v, f: _nn(f).pairwise_distance(m, v[:3]), ShapeError,
     "cannot be broadcast"),
    ("one_hot: floats", lambda m, v, f: _nn(f).one_hot(v), ConfigError, "must be integers"),
    ("one_hot: negative", lambda m, v, f: _nn(f).one_hot(_long(f, [-1, 2]), 3), ConfigError, "non-negative"),
    ("one_hot: too large", lambda m, v, f: _nn(f).one_hot(_long(f, [0, 5]), 3), ConfigError, "not below num_classes=3"),
    ("one_hot: empty, infer", lambda m, v, f: _nn(f).one_hot(_long(f, [])), ConfigError, "empty"),
    ("randint: empty range", lambda m, v, f: f.randint(5, 5, (2,)), ConfigError, "low must be below high"),
    ("randperm: negative", lambda m, v, f: f.randperm(-1), ConfigError, "non-negative integer"),
    ("linspace: negative steps", lambda m, v, f: f.linspace(0, 1, -1), ConfigError, "non-negative integer"),
    ("eye: negative", lambda m, v, f: f.eye(-1), ConfigError, "non-negative integer"),
]


def _nn(f):
    return F if f is torch else G


def _long(f, values):
    return torch.tensor(values, dtype=torch.long) if f is torch else dp.tensor(values, dtype=dp.int64)


@pytest.mark.parametrize("call, error, words", [pytest.param(*bad[1:], id=bad[0]) for bad in BAD])
def test_bad_arguments_are_refused_as_pytorch_refuses_them_with_one_clear_sentence(call, error, words):
    with pytest.raises((RuntimeError, IndexError, ValueError, TypeError)):
        call(torch.tensor(M), torch.tensor(M[0]), torch)
    with pytest.raises(error) as caught:
        call(dp.tensor(M, requires_grad=True), dp.tensor(M[0], requires_grad=True), dp)
    assert isinstance(caught.value, DeltapropError) or error in (TypeError, ValueError)
    message = str(caught.value)
    assert words in message and message.count(". ") == 0 and "\n" not in message
