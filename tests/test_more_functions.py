"""The functions taken from PyTorch for ported code: gradients by finite differences (float64), one
hand-worked number each, the random factories under manual_seed, the layers' configs and model files,
and the refusals PyTorch has no counterpart to compare with.

Values and gradients against PyTorch itself are in reference/test_torch_more_functions.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, GradError, ShapeError
from op_inputs import EINSUM_CASES, EINSUM_SUBLIST_CASES, anywhere, away_from_zero, distinct

F = nn.functional


def inputs(shapes, recipe=anywhere, seed=0):
    rng = np.random.default_rng(seed)
    return [dp.tensor(recipe(rng, shape), dtype=dp.float64, requires_grad=True) for shape in shapes]


# -- finite differences ------------------------------------------------------------------------------------


@pytest.mark.parametrize("equation, shapes", [pytest.param(eq, shapes, id=name) for name, eq, shapes in EINSUM_CASES])
def test_einsum_gradients_match_finite_differences(equation, shapes):
    assert dp.gradcheck(lambda *t: dp.einsum(equation, *t), inputs(shapes))


def sublist_arguments(tensors, sublists):
    """einsum's arguments in the sublist form: each operand followed by its list, then the output's if any."""
    arguments = [item for pair in zip(tensors, sublists) for item in pair]
    return arguments + list(sublists[len(tensors):])


@pytest.mark.parametrize("sublists, shapes", [pytest.param(lists, shapes, id=name)
                                              for name, lists, shapes in EINSUM_SUBLIST_CASES])
def test_einsum_sublist_form_gradients_match_finite_differences(sublists, shapes):
    assert dp.gradcheck(lambda *t: dp.einsum(*sublist_arguments(t, sublists)), inputs(shapes))


def test_einsum_sublist_form_equals_the_equation_form():
    a, b = inputs([(2, 3), (3, 4)])
    np.testing.assert_array_equal(dp.einsum(a, [0, 1], b, [1, 2], [0, 2]).data, dp.einsum("ij,jk->ik", a, b).data)
    np.testing.assert_array_equal(dp.einsum(a, [np.int64(30), 1], b, [1, 2]).data, dp.einsum("ij,jk->ki", a, b).data)


def unit_norm_rows(rng, shape):
    return away_from_zero(rng, shape)


def inside_unit(rng, shape):
    """Within (−0.9, 0.9): where erfinv is finite and its slope moderate."""
    return rng.uniform(-0.9, 0.9, size=shape)


GRADCHECKS = [
    ("erf", lambda a: dp.erf(a), [(3, 4)], anywhere),
    ("erf-tails", lambda a: (a * 2.0).erf(), [(3, 4)], anywhere),  # |2a| up to 4: past the series' split at 2.5
    ("erfc", lambda a: dp.erfc(a * 2.0), [(3, 4)], anywhere),
    ("erfinv", lambda a: dp.erfinv(a), [(3, 4)], inside_unit),
    ("take_along_dim-flattened", lambda a: dp.take_along_dim(a, np.array([[0, 11], [5, 5]])), [(3, 4)], anywhere),
    ("take_along_dim-repeats", lambda a: a.take_along_dim(np.array([[0, 0, 3], [2, 2, 2], [1, 0, 1]]), 1), [(3, 4)],
     anywhere),
    ("take_along_dim-broadcast-input", lambda a: dp.take_along_dim(a, np.array([[[0], [1], [2]], [[2], [2], [0]]]), 1),
     [(1, 3, 4)], anywhere),
    ("bmm", lambda a, b: dp.bmm(a, b), [(2, 3, 4), (2, 4, 2)], anywhere),
    ("outer", lambda a, b: dp.outer(a, b), [(3,), (4,)], anywhere),
    ("diag-vector", lambda a: dp.diag(a, 1), [(3,)], anywhere),
    ("diag-matrix", lambda a: a.diag(-1), [(4, 3)], anywhere),
    ("diagonal-stack", lambda a: dp.diagonal(a, 1, 2, 0), [(3, 2, 4)], anywhere),
    ("trace", lambda a: a.trace(), [(3, 4)], anywhere),
    ("var_mean", lambda a: sum(t.sum() * w for t, w in zip(dp.var_mean(a, 1), (1.0, -2.0))), [(3, 4)], anywhere),
    ("std_mean", lambda a: sum(t.sum() * w for t, w in zip(dp.std_mean(a, (0, 2), keepdim=True), (1.5, 0.5))),
     [(2, 3, 4)], anywhere),
    ("normalize", lambda a: F.normalize(a, dim=-1), [(3, 4)], away_from_zero),
    ("normalize-p1", lambda a: F.normalize(a, p=1.0, dim=0), [(3, 4)], away_from_zero),
    ("cosine_similarity", lambda a, b: F.cosine_similarity(a, b), [(3, 4), (3, 4)], anywhere),
    ("cosine_similarity-broadcast", lambda a, b: F.cosine_similarity(a, b, dim=-1), [(2, 1, 4), (3, 4)], anywhere),
    ("pairwise_distance", lambda a, b: F.pairwise_distance(a, b), [(3, 4), (3, 4)], distinct),
    ("pairwise_distance-p3-keepdim", lambda a, b: F.pairwise_distance(a, b, 3.0, keepdim=True), [(3, 4), (4,)],
     distinct),
]


@pytest.mark.parametrize("fn, shapes, recipe", [pytest.param(*c[1:], id=c[0]) for c in GRADCHECKS])
def test_gradients_match_finite_differences(fn, shapes, recipe):
    assert dp.gradcheck(fn, inputs(shapes, recipe))


def test_the_finite_difference_check_catches_a_wrong_diagonal_rule():
    """A rule that forgot the diagonal (the gradient of 'ii->i' spread over the whole matrix) fails
    the same check the einsum cases pass."""
    def wrong(a):
        out = dp.einsum("ii->i", a)
        return dp.Tensor._from_op(out.data, (a,), lambda g: (np.broadcast_to(g, a.shape),), "wrong")

    with pytest.raises(dp.errors.GradcheckError):
        dp.gradcheck(wrong, inputs([(3, 3)]))


# -- worked numbers ----------------------------------------------------------------------------------------


def test_worked_examples():
    a = dp.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = dp.tensor([[5.0, 6.0], [7.0, 8.0]])
    assert dp.einsum("ij,jk->ik", a, b).tolist() == [[19.0, 22.0], [43.0, 50.0]]
    assert dp.einsum("ii", a).item() == 5.0 == dp.trace(a).item()
    assert dp.einsum("ij->j", a).tolist() == [4.0, 6.0]
    # d/da Σ_ik (a·b)_ik = Σ_k b_jk for every row i: the row sums of b, [11, 15]
    dp.einsum("ij,jk->", a, b).backward()
    assert a.grad.tolist() == [[11.0, 15.0], [11.0, 15.0]]
    # cos of (1, 0) and (1, 1) is 1/√2; their distance ‖(0, −1) + 1e-6‖ is 1 − 1e-6 (to float32)
    x, y = dp.tensor([[1.0, 0.0]]), dp.tensor([[1.0, 1.0]])
    assert F.cosine_similarity(x, y).item() == pytest.approx(2 ** -0.5, rel=1e-6)
    assert F.pairwise_distance(x, y).item() == pytest.approx(np.hypot(1e-6, 1 - 1e-6), rel=1e-6)
    assert F.normalize(dp.tensor([[3.0, 4.0]])).tolist() == [[pytest.approx(0.6), pytest.approx(0.8)]]
    assert dp.diag(dp.tensor([1, 2]), 1).tolist() == [[0, 1, 0], [0, 0, 2], [0, 0, 0]]


def test_error_function_worked_numbers():
    # erf(1) = 0.842700792949715 (A&S table 7.1); erf'(1) = 2/√π·e^(−1) = 0.415107497420595;
    # erfinv(½) = 0.476936276204470, whose slope is √π/2·e^(0.2274682...) = 1.112585
    x = dp.tensor([1.0, 0.5], dtype=dp.float64, requires_grad=True)
    assert dp.erf(x)[0].item() == pytest.approx(0.842700792949715, rel=1e-14)
    assert dp.erfc(x)[0].item() == pytest.approx(1 - 0.842700792949715, rel=1e-13)
    dp.erf(x)[0].backward()
    assert x.grad[0] == pytest.approx(0.415107497420595, rel=1e-14)
    half = dp.tensor(0.5, dtype=dp.float64, requires_grad=True)
    assert dp.erfinv(half).item() == pytest.approx(0.476936276204470, rel=1e-14)
    dp.erfinv(half).backward()
    assert half.grad == pytest.approx(np.sqrt(np.pi) / 2 * np.exp(0.476936276204470 ** 2), rel=1e-13)


def test_dtypes_follow_the_library_policy():
    x32, x64 = dp.ones((2, 3), requires_grad=True), dp.ones((3, 2), dtype=dp.float64, requires_grad=True)
    assert dp.einsum("ij,jk->ik", x32, x32.T).dtype == np.float32
    # PyTorch refuses mixed dtypes in einsum; here NumPy's promotion applies, as for matmul, and each
    # input's gradient keeps its own dtype.
    mixed = dp.einsum("ij,jk->ik", x32, x64)
    assert mixed.dtype == np.float64
    mixed.sum().backward()
    assert x32.grad.dtype == np.float32 and x64.grad.dtype == np.float64
    assert dp.eye(2).dtype == np.float32 and dp.linspace(0, 1, 3).dtype == np.float32
    assert dp.trace(dp.tensor([[True, False], [True, True]])).dtype == np.int64  # (PyTorch refuses booleans)


def test_einsum_forward_keeps_no_gradient_for_data_and_refuses_a_changed_input():
    data = np.arange(6.0).reshape(2, 3)
    w = dp.ones((3, 2), requires_grad=True)
    out = dp.einsum("ij,jk->ik", data, w)
    out.sum().backward()
    assert w.grad.tolist() == [[3.0, 3.0], [5.0, 5.0], [7.0, 7.0]]
    x = dp.tensor(data)
    y = dp.einsum("ij,jk->ik", x, w * 1.0)
    x += 1  # the data the rule multiplies the gradient by, changed through deltaprop
    with pytest.raises(GradError, match="changed in place"):
        y.sum().backward()


def test_diagonal_returns_a_writable_copy():
    x = dp.tensor(np.arange(9.0).reshape(3, 3))
    d = x.diagonal()
    d[0] = 100.0
    assert x.data[0, 0] == 0.0


# -- random factories --------------------------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda: dp.randint(10, (3, 4)), lambda: dp.randint(-5, 5, (20,)), lambda: dp.randint(2, size=(2, 2)),
    lambda: dp.randint(low=3, high=7, size=(5,)), lambda: dp.randint(0, 4, (0, 3)), lambda: dp.randperm(12),
    lambda: dp.randperm(0), lambda: dp.randint(3, (4,), dtype=dp.int32), lambda: dp.randperm(5, dtype=dp.float32),
])
def test_randint_and_randperm_repeat_under_manual_seed(call):
    dp.manual_seed(7)
    first = call()
    dp.manual_seed(7)
    again = call()
    np.testing.assert_array_equal(first.data, again.data)
    assert first.dtype == again.dtype


def test_randint_stays_in_range_and_reaches_both_ends():
    dp.manual_seed(0)
    draws = dp.randint(-2, 3, (2000,))
    assert draws.dtype == np.int64 and draws.shape == (2000,)
    assert set(draws.tolist()) == {-2, -1, 0, 1, 2}
    assert dp.randint(4, (5, 6)).data.max() < 4
    assert dp.randint(5, (3,), dtype=dp.float32).dtype == np.float32


def test_randperm_is_a_permutation_and_follows_the_seed():
    dp.manual_seed(3)
    p = dp.randperm(50)
    assert p.dtype == np.int64 and sorted(p.tolist()) == list(range(50))
    assert p.tolist() != list(range(50))
    dp.manual_seed(4)
    assert dp.randperm(50).tolist() != p.tolist()


def test_random_factories_share_the_library_generator():
    """A draw of randint moves the same generator rand and randn use, as manual_seed promises."""
    dp.manual_seed(1)
    dp.randint(5, (3,))
    after = dp.rand(2).data
    dp.manual_seed(1)
    assert not np.array_equal(dp.rand(2).data, after)


# -- refusals without a PyTorch counterpart ---------------------------------------------------------------


@pytest.mark.parametrize("call, error, words", [
    (lambda: dp.einsum(dp.ones(2), [52]), ConfigError,
     "einsum: subscripts in the sublist form must be integers in [0, 52) or Ellipsis, got 52 in the list of operand 0"),
    (lambda: dp.einsum(dp.ones(2), [0], [-1]), ConfigError, "got -1 in the list of the output"),
    (lambda: dp.einsum(dp.ones(2), [True]), ConfigError, "got True in the list of operand 0"),
    (lambda: dp.einsum(dp.ones(2), [0.0]), ConfigError, "got 0.0 in the list of operand 0"),
    (lambda: dp.einsum(dp.ones(2), 0), TypeError,
     "einsum: in the sublist form each operand is followed by a list of its subscripts, got int for operand 0's"),
    (lambda: dp.einsum(dp.ones(2), [0], dp.ones(2)), TypeError, "got Tensor for the output's"),
    (lambda: dp.einsum(dp.ones((2, 3)), [0, 0]), ShapeError,
     "subscript A is repeated in operand 0 of shape (2, 3) with different sizes, 2 and 3 (the sublists as the "
     "equation 'AA', subscript 0 written A, 26 a)"),
    (lambda: dp.einsum(dp.ones(2), [0, 1]), ShapeError, "has 1 dimensions, but its term 'AB' names 2"),
    (lambda: dp.einsum("i,i->i", dp.ones(2), dp.ones(3)), ShapeError, "does not broadcast with size 2"),
    (lambda: dp.einsum("ij...->ij", dp.ones(2)), ShapeError, "has 1 dimensions, but its term 'ij...' names 2"),
    (lambda: dp.einsum("i->i"), ConfigError, "but 0 operand(s) were given"),
    (lambda: dp.randint(5), TypeError, "give the shape"),
    (lambda: dp.randint(1, 2, 3, (2,)), TypeError, "positional arguments"),
    (lambda: dp.randint(1, (2,), high=3), TypeError, "high given twice"),
    (lambda: dp.randint(1.5, (2,)), TypeError, "high must be an integer"),
    (lambda: dp.randint(3, (-1,)), ValueError, "non-negative integers"),
    (lambda: dp.randperm(2.0), ConfigError, "randperm: n must be a non-negative integer"),
    (lambda: dp.linspace(0, 1, 2.5), ConfigError, "steps must be a non-negative integer"),
    (lambda: dp.diag(dp.ones(3), 0.5), TypeError, "diagonal must be an integer"),
    (lambda: dp.diagonal(dp.ones((2, 2)), 1.0), TypeError, "offset must be an integer"),
    (lambda: dp.var_mean(dp.ones(3), unbiased=True, correction=0), TypeError, "not both"),
    (lambda: F.normalize(dp.ones((2, 2)), p="2"), ConfigError, "p must be a real number"),
    (lambda: F.normalize(dp.ones((2, 2)), out=dp.ones((2, 2))), ConfigError, "out= is not supported"),
    (lambda: F.pairwise_distance(dp.ones(2), dp.ones(2), p=float("nan")), ConfigError, "p must be a real number"),
    (lambda: F.one_hot(dp.tensor([0, 1]), -2), ConfigError, "num_classes must be"),
    (lambda: F.one_hot(dp.tensor([True, False])), ConfigError, "must be integers"),
    (lambda: nn.PairwiseDistance(p=True), ConfigError, "PairwiseDistance: p must be a real number"),
    # (a float dim was truncated, dim=1.5 meaning 1, or reached NumPy: "'float' object is not iterable")
    (lambda: nn.CosineSimilarity(dim=1.5), ConfigError, "CosineSimilarity: dim must be an integer"),
    (lambda: nn.CosineSimilarity(dim="1"), ConfigError, "CosineSimilarity: dim must be an integer"),
    (lambda: nn.CosineSimilarity(eps=float("nan")), ConfigError, "CosineSimilarity: eps must be a real number"),
    (lambda: nn.PairwiseDistance(eps="0"), ConfigError, "PairwiseDistance: eps must be a real number"),
    (lambda: nn.PairwiseDistance(keepdim=3), ConfigError, "PairwiseDistance: keepdim must be True or False"),
    (lambda: F.cosine_similarity(dp.ones((2, 2)), dp.ones((2, 2)), dim=0.5), ConfigError, "dim must be an integer"),
    (lambda: F.cosine_similarity(dp.ones((2, 2)), dp.ones((2, 2)), eps="a"), ConfigError, "eps must be a real number"),
    (lambda: F.normalize(dp.ones((2, 2)), dim=1.0), ConfigError, "normalize: dim must be an integer"),
    (lambda: F.pairwise_distance(dp.ones(2), dp.ones(2), keepdim=1), ConfigError, "keepdim must be True or False"),
])
def test_bad_arguments_are_refused_in_one_sentence(call, error, words):
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    assert words in message and message.count(". ") == 0 and "\n" not in message


# -- the layers ------------------------------------------------------------------------------------------


LAYERS = [nn.CosineSimilarity(), nn.CosineSimilarity(dim=-1, eps=1e-6), nn.PairwiseDistance(),
          nn.PairwiseDistance(p=1.0, eps=0.0, keepdim=True), nn.PairwiseDistance(p=3)]


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_config_rebuilds_an_equal_layer(layer):
    config = json.loads(json.dumps(layer.config()))
    rebuilt = type(layer)(**config)
    assert rebuilt.config() == layer.config() and repr(rebuilt) == repr(layer)
    assert not list(layer.parameters())


def test_every_layer_of_the_new_file_is_covered():
    classes = {getattr(nn, name) for name in nn.__all__}
    mine = {c for c in classes if isinstance(c, type) and c.__module__ == "deltaprop.nn.distance"}
    assert mine == {type(layer) for layer in LAYERS}


@pytest.mark.parametrize("layer, change, words", [
    (nn.CosineSimilarity(), {"dim": 1.5}, "dim must be an integer"),
    (nn.CosineSimilarity(), {"eps": "x"}, "eps must be a real number"),
    (nn.PairwiseDistance(), {"keepdim": 3}, "keepdim must be True or False"),
])
def test_a_model_file_with_a_wrong_type_is_refused_not_coerced(tmp_path, layer, change, words):
    from safetensors.numpy import save_file

    from deltaprop.errors import ModelFileError
    from deltaprop.serialization import _read

    path = tmp_path / "model.safetensors"
    dp.save(nn.Sequential(nn.Linear(2, 2), layer), path)
    tensors, info = _read(path)
    info["architecture"]["children"][1]["config"].update(change)
    save_file(tensors, str(path), metadata={"deltaprop": json.dumps(info)})
    with pytest.raises(ModelFileError, match=words):
        dp.load(path)


def test_a_model_holding_the_layers_saves_and_loads(tmp_path):
    model = nn.ModuleDict({"cos": nn.CosineSimilarity(dim=0, eps=1e-4), "dist": nn.PairwiseDistance(p=1.0, keepdim=True),
                           "head": nn.Linear(3, 3)})
    dp.save(model, tmp_path / "model.safetensors")
    loaded = dp.load(tmp_path / "model.safetensors")
    assert repr(loaded) == repr(model)
    x, y = dp.randn(4, 3), dp.randn(4, 3)
    for name in ("cos", "dist"):
        np.testing.assert_array_equal(loaded[name](x, y).data, model[name](x, y).data)
