"""PyTorch's remaining top-level functions and tensor methods against PyTorch 2.13: ``as_strided``
(``as_strided_``, ``as_strided_scatter``), the ``*_copy`` functions, ``fill``, ``fix``, ``binomial``,
``frobenius_norm``, ``nuclear_norm``, ``native_norm``, ``gradient``, ``empty_permuted``,
``nonzero_static``, the ``native_*`` layer functions and ``conv_tbc``, ``is_inference_mode_enabled``,
autocast's questions and switches, the tensor methods ``H``, ``output_nr``, ``resize_as``,
``as_subclass`` and ``is_set_to``, and ``nn.UninitializedBuffer``: values, dtypes, shapes, memory,
gradients (float64 ones also against finite differences) and refusals.
"""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these functions are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.errors import ConfigError, GradError, ShapeError  # noqa: E402

RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((2, 3, 4))


def pair(values, requires_grad=False, dtype=np.float64):
    """The same values as a deltaprop tensor and a PyTorch one."""
    values = np.asarray(values, dtype=dtype)
    return (dp.tensor(values, dtype=dtype, requires_grad=requires_grad),
            torch.tensor(values, requires_grad=requires_grad))


def T(values):
    """``values`` as a float64 deltaprop tensor (a NumPy float64 array alone would become float32)."""
    return dp.tensor(np.asarray(values, dtype=np.float64), dtype=dp.float64)


def close(ours, theirs, rtol=1e-10, atol=1e-12):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    ours = ours.data if isinstance(ours, dp.Tensor) else np.asarray(ours)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


def dtype_name(t) -> str:
    return str(t.dtype).replace("torch.", "") if isinstance(t, torch.Tensor) else np.dtype(t.dtype).name


def float64_leaf(values):
    return dp.tensor(np.asarray(values, dtype=np.float64), dtype=dp.float64, requires_grad=True)


# -- as_strided ------------------------------------------------------------------------------------------

# (what the input is, made from a tensor of A's values, in each library) -> size, stride, storage offset
STRIDED = {
    "windows of a vector": (lambda x: x.reshape(-1), (10, 3), (1, 1), None),
    "a matrix read with other strides": (lambda x: x, (2, 2), (1, 2), None),
    "a transpose reads its base's memory": (lambda x: x.t(), (3, 2), (1, 4), None),
    "a slice keeps its offset": (lambda x: x[1:], (2, 3), (4, 1), None),
    "a slice with an offset given": (lambda x: x[1:], (3,), (2,), 5),
    "an expanded row shares its gradient": (lambda x: x[0].expand(3, 4), (4,), (1,), None),
    "a column view": (lambda x: x[:, 1], (2,), (8,), 1),
    "zero strides": (lambda x: x, (2, 3), (0, 0), 3),
    "an empty view": (lambda x: x, (0, 3), (1, 1), None),
    "a 0-d view": (lambda x: x, (), (), 5),
}


@pytest.mark.parametrize("case", STRIDED)
def test_as_strided_reads_pytorchs_storage_positions_and_adds_up_their_gradients(case):
    view, size, stride, offset = STRIDED[case]
    ours, theirs = pair(A, requires_grad=True)
    ys = [lib_view(t).as_strided(size, stride, offset) for lib_view, t in ((view, ours), (view, theirs))]
    close(ys[0], ys[1])
    weights = RNG.standard_normal(size)
    (ys[0] * T(weights)).sum().backward()
    (ys[1] * torch.tensor(weights)).sum().backward()
    close(ours.grad, theirs.grad)
    assert dp.as_strided(view(ours), size, stride, offset).data.tolist() == ys[0].data.tolist()


def test_as_strided_of_an_expanded_tensor_divides_the_gradient_among_the_elements_sharing_memory():
    (ours, theirs) = pair([0.0, 1.0, 2.0], requires_grad=True)
    xs = [ours.expand(2, 3), theirs.expand(2, 3)]
    for x in xs:
        x.retain_grad()
    weights = np.array([1.0, 10.0, 100.0])
    (xs[0].as_strided((3,), (1,)) * T(weights)).sum().backward()
    (xs[1].as_strided((3,), (1,)) * torch.tensor(weights)).sum().backward()
    close(xs[0].grad, xs[1].grad)  # (0.5, 5, 50 in each row)
    close(ours.grad, theirs.grad)


def test_as_strided_is_a_view_of_the_inputs_memory_read_only_where_elements_overlap():
    x = dp.arange(6.0)
    window = x.as_strided((2,), (2,), 1)
    window[0] = 50.0
    assert x.tolist() == [0.0, 50.0, 2.0, 3.0, 4.0, 5.0]
    assert np.shares_memory(window.data, x.data)
    overlapping = x.as_strided((3, 2), (1, 1))
    assert not overlapping.data.flags.writeable
    with pytest.raises(TypeError, match="read-only"):
        overlapping.zero_()
    assert x.as_strided(x.shape, x.stride(), x.storage_offset()).is_set_to(x)
    t = dp.arange(12.0).reshape(3, 4).t()[1:]
    assert t.as_strided(t.shape, t.stride(), t.storage_offset()).tolist() == t.tolist()


def test_as_strided_reads_a_flipped_tensor_as_its_own_storage_as_pytorchs_flip_copies():
    ours, theirs = dp.arange(5.0).flip(0), torch.arange(5.0).flip(0)
    close(ours.as_strided((2, 2), (1, 2)), theirs.as_strided((2, 2), (1, 2)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_as_strided_gradients_match_finite_differences(dtype):
    x = float64_leaf(RNG.standard_normal(8))
    assert dp.gradcheck(lambda x: x.as_strided((3, 4), (1, 1), 1), [x])
    assert dp.gradcheck(lambda x: x.reshape(2, 4).t().as_strided((4, 2), (1, 2)), [x])
    assert dp.gradcheck(lambda x: x[:3].expand(2, 3).as_strided((2, 2), (1, 1)), [x])
    assert dp.gradgradcheck(lambda x: x.as_strided((3, 3), (1, 1)) ** 2, [x])
    ours, theirs = pair(RNG.standard_normal(8), requires_grad=True, dtype=dtype)
    close(ours.as_strided((3, 3), (2, 1)), theirs.as_strided((3, 3), (2, 1)), rtol=1e-6)
    assert dtype_name(ours.as_strided((3, 3), (2, 1))) == dtype_name(theirs)


def test_as_strided_second_derivatives_match_pytorchs():
    grads = []
    for lib, make in ((dp, float64_leaf), (torch, lambda v: torch.tensor(v, requires_grad=True))):
        x = make(np.arange(1.0, 7.0))
        y = (x.as_strided((3, 3), (1, 1)) ** 3).sum()
        grad = dp.autograd.grad if lib is dp else torch.autograd.grad
        (first,) = grad(y, [x], create_graph=True)
        (second,) = grad((first * first).sum(), [x])
        grads.append((first, second))
    close(grads[0][0], grads[1][0])
    close(grads[0][1], grads[1][1])


def test_as_strided_in_place_makes_the_tensor_that_view():
    ours, theirs = dp.arange(6.0), torch.arange(6.0)
    assert ours.as_strided_((2, 2), (1, 2), 1) is ours
    theirs.as_strided_((2, 2), (1, 2), 1)
    close(ours, theirs)
    assert ours.stride() == theirs.stride() and ours.storage_offset() == theirs.storage_offset()
    computed = dp.arange(6.0, dtype=dp.float64, requires_grad=True) * 2
    assert dp.as_strided_(computed, (3,), (2,)) is computed
    computed.sum().backward()
    leaf = dp.ones(3, requires_grad=True)
    with pytest.raises(GradError, match="as_strided_: a leaf tensor that requires grad"):
        leaf.as_strided_((2,), (1,))


@pytest.mark.parametrize("size, stride, offset, message", [
    ((4,), (1,), None, r"as_strided: size \(4,\), stride \(1,\) and storage offset 0 reach position 3 of the input's "
                       r"storage, which is not an element of the input \(its 3 elements lie at positions 0 to 2\)"),
    ((2,), (-1,), None, r"as_strided: strides must be non-negative"),
    ((2, 2), (1,), None, r"as_strided: size \(2, 2\) has 2 dimensions and stride \(1,\) 1"),
    ((-1,), (1,), None, r"as_strided: sizes must be non-negative"),
    ((2,), (1,), -1, r"as_strided: storage_offset must be non-negative"),
])
def test_as_strided_refuses_what_pytorch_refuses(size, stride, offset, message):
    with pytest.raises(ShapeError, match=message):
        dp.arange(3.0).as_strided(size, stride, offset)
    with pytest.raises(RuntimeError):
        torch.arange(3.0).as_strided(size, stride, offset)


def test_as_strided_refuses_the_memory_around_a_view_that_pytorch_reads():
    with pytest.raises(ShapeError, match=r"reach position 0 of the input's storage, which is not an element of the "
                                         r"input \(its 4 elements lie at positions 2 to 5\)"):
        dp.arange(10.0)[2:6].as_strided((3,), (1,), 0)
    assert torch.arange(10.0)[2:6].as_strided((3,), (1,), 0).tolist() == [0.0, 1.0, 2.0]  # (outside the view)
    with pytest.raises(ShapeError, match="lie elsewhere"):
        dp.arange(12.0).reshape(3, 4)[:, 1].as_strided((2,), (1,), 1)


@pytest.mark.parametrize("size, stride, offset", [((2, 2), (1, 2), None), ((2, 2), (2, 1), 1), ((3,), (2,), 0),
                                                  ((2,), (1,), 4)])
def test_as_strided_scatter_writes_where_as_strided_reads(size, stride, offset):
    src = RNG.standard_normal(size)
    ours, theirs = pair(RNG.standard_normal(6), requires_grad=True)
    sources = pair(src, requires_grad=True)
    outs = [dp.as_strided_scatter(ours, sources[0], size, stride, offset),
            torch.as_strided_scatter(theirs, sources[1], size, stride, offset)]
    close(outs[0], outs[1])
    assert not np.shares_memory(outs[0].data, ours.data)
    weights = RNG.standard_normal(6)
    (outs[0] * T(weights)).sum().backward()
    (outs[1] * torch.tensor(weights)).sum().backward()
    close(sources[0].grad, sources[1].grad)
    # the input's gradient: the output's where nothing was written (PyTorch 2.13's is the other way
    # round, and fails its own gradcheck), checked against finite differences instead
    written = dp.as_strided(dp.arange(6.0), size, stride, offset).data.astype(int).ravel()
    expected = weights.copy()
    expected[written] = 0.0
    close(ours.grad, expected)
    assert dp.gradcheck(lambda x, s: dp.as_strided_scatter(x, s, size, stride, offset),
                        [float64_leaf(RNG.standard_normal(6)), float64_leaf(src)])
    assert dp.gradgradcheck(lambda x, s: dp.as_strided_scatter(x, s, size, stride, offset) ** 2,
                            [float64_leaf(RNG.standard_normal(6)), float64_leaf(src)])


def test_pytorchs_as_strided_scatter_gradient_is_the_one_finite_differences_refute():
    x = torch.rand(6, dtype=torch.float64, requires_grad=True)
    s = torch.rand(2, 2, dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to input 0"):
        torch.autograd.gradcheck(lambda x, s: torch.as_strided_scatter(x, s, (2, 2), (2, 1)), (x, s))


def test_as_strided_scatter_of_a_transpose_and_its_refusals():
    ours = dp.as_strided_scatter(dp.arange(6.0).reshape(2, 3).t(), dp.tensor([100.0, 200.0]), (2,), (1,), 0)
    theirs = torch.as_strided_scatter(torch.arange(6.0).reshape(2, 3).t(), torch.tensor([100.0, 200.0]), (2,), (1,), 0)
    close(ours, theirs)
    assert dp.arange(6.0).as_strided_scatter(dp.ones(2, dtype=dp.float64), (2,), (1,)).dtype == np.float32
    with pytest.raises(ShapeError, match=r"as_strided_scatter: src must have the shape \(2, 2\) of the view it fills, "
                                         r"got \(3,\)"):
        dp.as_strided_scatter(dp.zeros(6), dp.ones(3), (2, 2), (1, 2))
    with pytest.raises(ShapeError, match="as_strided_scatter: size .* reach position 6"):
        dp.as_strided_scatter(dp.zeros(6), dp.ones(2), (2,), (6,))


# -- the *_copy functions ----------------------------------------------------------------------------------

COPIES = {
    "alias_copy": ((), {}),
    "as_strided_copy": (((2, 2), (1, 2)), {}),
    "detach_copy": ((), {}),
    "diagonal_copy": ((1,), {}),
    "expand_copy": (((2, 3, 4),), {}),
    "permute_copy": (((1, 0),), {}),
    "select_copy": ((1, 2), {}),
    "slice_copy": ((1, 1, None, 2), {}),
    "split_copy": ((2, 1), {}),
    "split_with_sizes_copy": (([1, 3], 1), {}),
    "squeeze_copy": ((), {}),
    "t_copy": ((), {}),
    "transpose_copy": ((0, 1), {}),
    "unbind_copy": ((1,), {}),
    "unfold_copy": ((1, 2, 1), {}),
    "unsqueeze_copy": ((1,), {}),
    "view_copy": (((2, 6),), {}),
}


def test_every_copy_function_of_pytorch_is_here():
    assert sorted(name for name in dir(torch) if name.endswith("_copy") and name in COPIES) == sorted(COPIES)
    assert all(hasattr(dp, name) for name in COPIES)


@pytest.mark.parametrize("name", COPIES)
def test_a_copy_function_is_its_view_copied_with_the_views_gradient(name):
    args, kwargs = COPIES[name]
    ours, theirs = pair(A, requires_grad=True)
    outs = [getattr(dp, name)(ours, *args, **kwargs), getattr(torch, name)(theirs, *args, **kwargs)]
    pieces = [out if isinstance(out, (tuple, list)) else (out,) for out in outs]
    assert len(pieces[0]) == len(pieces[1])
    for mine, reference in zip(*pieces):
        close(mine, reference)
        assert dtype_name(mine) == dtype_name(reference)
        assert not np.shares_memory(mine.data, ours.data)
        assert mine.data.flags.writeable and mine.data.flags.c_contiguous
    if name == "detach_copy":
        assert not outs[0].requires_grad
        return
    weights = [RNG.standard_normal(piece.shape) for piece in pieces[0]]
    sum(((piece * T(w)).sum() for piece, w in zip(pieces[0], weights)), dp.tensor(0.0)).backward()
    sum((piece * torch.tensor(w)).sum() for piece, w in zip(pieces[1], weights)).backward()
    close(ours.grad, theirs.grad)


KEYWORD_CALLS = {
    "alias_copy": {}, "detach_copy": {}, "t_copy": {},
    "as_strided_copy": dict(size=(2, 2), stride=(1, 2), storage_offset=1),
    "diagonal_copy": dict(offset=1, dim1=1, dim2=0),
    "expand_copy": dict(size=(2, 3, 4), implicit=True),
    "permute_copy": dict(dims=(1, 0)),
    "select_copy": dict(dim=1, index=2),
    "slice_copy": dict(dim=1, start=1, end=3, step=1),
    "split_copy": dict(split_size=2, dim=1),
    "split_with_sizes_copy": dict(split_sizes=[1, 3], dim=1),
    "squeeze_copy": dict(dim=0),
    "transpose_copy": dict(dim0=1, dim1=0),
    "unbind_copy": dict(dim=1),
    "unfold_copy": dict(dimension=1, size=2, step=2),
    "unsqueeze_copy": dict(dim=2),
    "view_copy": dict(size=(6, 2)),
}


@pytest.mark.parametrize("name", KEYWORD_CALLS)
def test_a_copy_function_takes_pytorchs_argument_names(name):
    ours = getattr(dp, name)(input=T(A), **KEYWORD_CALLS[name])
    theirs = getattr(torch, name)(input=torch.tensor(A), **KEYWORD_CALLS[name])
    for mine, reference in zip(*((out,) if not isinstance(out, (tuple, list)) else out for out in (ours, theirs))):
        close(mine, reference)
    assert sorted(KEYWORD_CALLS) == sorted(COPIES)


def test_the_copy_functions_refuse_what_their_views_refuse():
    with pytest.raises(TypeError, match="t_copy: input must be a deltaprop tensor, got list"):
        dp.t_copy([[1.0]])
    with pytest.raises(ValueError, match="slice_copy: step must be a positive integer, got 0"):
        dp.slice_copy(dp.ones(3), 0, 0, 3, 0)
    with pytest.raises(RuntimeError, match="slice step must be positive"):
        torch.slice_copy(torch.ones(3), 0, 0, 3, 0)
    with pytest.raises(ShapeError, match="as_strided"):
        dp.as_strided_copy(dp.ones(3), (4,), (1,))
    assert dp.slice_copy(dp.arange(6.0), 0, -100, 100).tolist() == torch.slice_copy(torch.arange(6.0), 0, -100,
                                                                                     100).tolist()
    assert dp.expand_copy(dp.arange(3.0), (2, 3), implicit=True).shape == (2, 3)
    with pytest.raises(TypeError, match="t_copy: too many positional arguments"):
        dp.t_copy(dp.ones((2, 2)), 1)
    with pytest.raises(TypeError, match="permute_copy: missing a required argument: 'dims'"):
        dp.permute_copy(dp.ones((2, 2)))


# -- fill, fix, empty_permuted, nonzero_static ------------------------------------------------------------------


@pytest.mark.parametrize("values, value", [(A, 2.5), (np.arange(3), 2.7), (np.arange(3), True),
                                           (np.array([True, False]), 2), (A, np.float64(-1.0))])
def test_fill_is_a_new_tensor_of_the_inputs_dtype_as_pytorchs(values, value):
    ours, theirs = dp.tensor(values, dtype=np.asarray(values).dtype), torch.tensor(values)
    out, expected = dp.fill(ours, value), torch.fill(theirs, value)
    assert out.tolist() == expected.tolist() and dtype_name(out) == dtype_name(expected)
    assert not np.shares_memory(out.data, ours.data)


def test_fill_passes_the_gradient_to_a_tensor_value_and_zeros_to_the_input():
    (x, tx), (v, tv) = pair(A, requires_grad=True), pair(2.5, requires_grad=True)
    weights = RNG.standard_normal(A.shape)
    (dp.fill(x, v) * T(weights)).sum().backward()
    (torch.fill(tx, tv) * torch.tensor(weights)).sum().backward()
    close(x.grad, tx.grad)
    close(v.grad, tv.grad)
    assert dp.fill(dp.arange(3.0), dp.tensor(1.0, dtype=dp.float64)).dtype == np.float32
    with pytest.raises(ShapeError, match=r"fill: the value must be a number or a 0-d tensor, got one of shape \(2,\)"):
        dp.fill(dp.arange(3.0), dp.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="0-dimension value tensor"):
        torch.fill(torch.arange(3.0), torch.tensor([1.0, 2.0]))


def test_fix_is_trunc():
    values = np.array([-1.5, -0.5, 0.5, 2.7])
    assert dp.fix(dp.tensor(values)).tolist() == torch.fix(torch.tensor(values)).tolist()
    assert dp.fix(dp.tensor([-1, 2])).tolist() == [-1, 2] and dp.fix(dp.tensor([-1, 2])).dtype == np.int64
    x = dp.tensor(values)
    assert x.fix_() is x and x.tolist() == [-1.0, -0.0, 0.0, 2.0]


@pytest.mark.parametrize("size, layout", [((2, 3, 4), (0, 2, 1)), ((2, 3, 4, 5), (0, 2, 3, 1)), ((2, 3), (1, 0)),
                                          ((), ()), ((4,), (0,))])
def test_empty_permuted_lays_out_memory_as_pytorchs(size, layout):
    ours, theirs = dp.empty_permuted(size, layout, dtype=dp.float64), torch.empty_permuted(size, layout,
                                                                                            dtype=torch.float64)
    assert ours.shape == tuple(theirs.shape) and ours.stride() == theirs.stride()
    assert dtype_name(ours) == dtype_name(theirs) and ours.dtype == np.float64
    assert dp.empty_permuted(size, layout).dtype == np.float32
    assert dp.empty_permuted(size, layout, requires_grad=True).requires_grad


@pytest.mark.parametrize("layout", [(0, 0), (0,), (0, 2)])
def test_empty_permuted_refuses_a_layout_that_is_no_order_of_the_dimensions(layout):
    with pytest.raises(ConfigError, match=r"empty_permuted: physical_layout must order the 2 dimensions of size"):
        dp.empty_permuted((2, 3), layout)
    with pytest.raises(RuntimeError):
        torch.empty_permuted((2, 3), layout)


@pytest.mark.parametrize("values, size, fill", [([[0, 1, 0], [2, 0, 3]], 5, -1), ([[0, 1, 0], [2, 0, 3]], 2, 7),
                                                ([[0, 1, 0], [2, 0, 3]], 0, -1), (3.0, 2, -1),
                                                ([True, False, True], 3, 9), ([0.0, np.nan], 3, -1)])
def test_nonzero_static_pads_or_cuts_nonzeros_positions_as_pytorchs(values, size, fill):
    ours = dp.nonzero_static(dp.tensor(values), size=size, fill_value=fill)
    theirs = torch.nonzero_static(torch.tensor(values), size=size, fill_value=fill)
    assert ours.shape == tuple(theirs.shape) and ours.tolist() == theirs.tolist() and ours.dtype == np.int64


def test_nonzero_static_refuses_a_negative_size():
    with pytest.raises(ConfigError, match="nonzero_static: size must be a non-negative integer, got -1"):
        dp.nonzero_static(dp.ones(3), size=-1)
    with pytest.raises(RuntimeError, match="non-negative"):
        torch.nonzero_static(torch.ones(3), size=-1)
    with pytest.raises(TypeError):
        dp.nonzero_static(dp.ones(3), 3)  # (size is keyword-only, as in PyTorch)


# -- binomial ---------------------------------------------------------------------------------------------------


def test_binomial_draws_counts_of_the_right_law_from_the_generator():
    count, prob = dp.full((20000,), 40.0), dp.full((20000,), 0.3)
    draws = dp.binomial(count, prob, generator=dp.Generator().manual_seed(3))
    assert draws.dtype == np.float32 and draws.shape == (20000,)
    assert abs(draws.data.mean() - 12.0) < 0.1 and abs(draws.data.var() - 8.4) < 0.3
    assert set(np.unique(draws.data)) <= set(range(41))
    again = dp.binomial(count, prob, generator=dp.Generator().manual_seed(3))
    assert again.tolist() == draws.tolist()
    dp.manual_seed(5)
    first = dp.binomial(count, prob)
    dp.manual_seed(5)
    assert dp.binomial(count, prob).tolist() == first.tolist()
    edges = dp.binomial(dp.tensor([0.0, 7.0, 7.0]), dp.tensor([0.5, 0.0, 1.0]))
    assert edges.tolist() == torch.binomial(torch.tensor([0.0, 7.0, 7.0]), torch.tensor([0.5, 0.0, 1.0])).tolist()
    shape = dp.binomial(dp.tensor([4.0, 4.0]), dp.tensor([[0.5], [0.1]])).shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch's warning that it resized its output while broadcasting)
        assert shape == tuple(torch.binomial(torch.tensor([4.0, 4.0]), torch.tensor([[0.5], [0.1]])).shape)
    assert dp.binomial(dp.tensor(4.0, dtype=dp.float64), dp.tensor(0.5, dtype=dp.float64)).dtype == np.float64


def test_binomial_refuses_to_be_differentiated_as_pytorchs():
    ours = dp.binomial(dp.tensor([10.0, 5.0]), dp.tensor([0.5, 0.2], requires_grad=True))
    theirs = torch.binomial(torch.tensor([10.0, 5.0]), torch.tensor([0.5, 0.2], requires_grad=True))
    assert ours.requires_grad and theirs.requires_grad
    with pytest.raises(GradError, match="binomial: the draws have no derivative with respect to count or prob"):
        ours.sum().backward()
    with pytest.raises(RuntimeError, match="derivative for aten::binomial is not implemented"):
        theirs.sum().backward()


@pytest.mark.parametrize("count, prob, error, message", [
    ([-1.0, 5.0], [0.5, 0.5], ConfigError, "binomial: count must hold whole numbers of trials, at least 0, got -1.0"),
    ([2.5], [0.5], ConfigError, "binomial: count must hold whole numbers of trials, at least 0, got 2.5"),
    ([np.nan], [0.5], ConfigError, "binomial: count must hold whole numbers of trials, at least 0, got nan"),
    ([2.0], [1.5], ConfigError, r"binomial: prob must lie in \[0, 1\], got 1.5"),
    ([2.0], [np.nan], ConfigError, r"binomial: prob must lie in \[0, 1\], got nan"),
    ([2.0, 3.0], [0.5, 0.5, 0.5], ShapeError, r"binomial: count of shape \(2,\) and prob of shape \(3,\) do not "),
])
def test_binomial_refuses_parameters_of_no_binomial_law(count, prob, error, message):
    with pytest.raises(error, match=message):
        dp.binomial(dp.tensor(count), dp.tensor(prob))


def test_binomial_refuses_what_pytorch_refuses():
    with pytest.raises(TypeError, match="binomial: count must be a floating-point tensor"):
        dp.binomial(dp.tensor([10, 5]), dp.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match="floating-point"):
        torch.binomial(torch.tensor([10, 5]), torch.tensor([0.5, 0.5]))
    with pytest.raises(TypeError, match="binomial: count and prob must have one dtype, got float64 and float32"):
        dp.binomial(dp.tensor([2.0], dtype=dp.float64), dp.tensor([0.5]))
    with pytest.raises(RuntimeError, match="expected Double"):
        torch.binomial(torch.tensor([2.0], dtype=torch.float64), torch.tensor([0.5]))
    with pytest.raises(TypeError, match="binomial: count and prob must be tensors, got Tensor and float"):
        dp.binomial(dp.tensor([4.0]), 0.5)


# -- the norms ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("values, dim, keepdim", [(A, (0, 1), False), (A, 1, False), (A, (1,), True), (A, (), False),
                                                  (A[0], 0, True)])
def test_frobenius_norm_is_pytorchs_with_its_warning_and_gradient(values, dim, keepdim):
    ours, theirs = pair(values, requires_grad=True)
    with pytest.warns(UserWarning, match="frobenius_norm is deprecated"):
        out = dp.frobenius_norm(ours, dim, keepdim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.frobenius_norm(theirs, dim, keepdim)
    close(out, expected)
    out.sum().backward()
    expected.sum().backward()
    close(ours.grad, theirs.grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert dp.gradcheck(lambda x: dp.frobenius_norm(x, dim, keepdim), [float64_leaf(values)])
        assert dp.gradgradcheck(lambda x: dp.frobenius_norm(x, dim, keepdim), [float64_leaf(values)])


def test_frobenius_norm_refuses_more_than_two_dimensions_to_reduce_and_needs_dim():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ShapeError, match=r"frobenius_norm: dim must name one or two dimensions, got 3"):
            dp.frobenius_norm(T(B), (0, 1, 2))
        with pytest.raises(RuntimeError, match="at most 2 dimensions"):
            torch.frobenius_norm(torch.tensor(B), (0, 1, 2))
        close(dp.frobenius_norm(T(B), 1), torch.frobenius_norm(torch.tensor(B), 1))
        with pytest.raises(TypeError):
            dp.frobenius_norm(dp.tensor(A))


@pytest.mark.parametrize("values, args", [(A, ()), (A, (True,)), (B, ()), (B, ((1, 2),)), (B, ((2, 0), True)),
                                          (B, ((0, 2), False))])
def test_nuclear_norm_is_pytorchs_with_its_warning_and_gradient(values, args):
    ours, theirs = pair(values, requires_grad=True)
    with pytest.warns(UserWarning, match="nuclear_norm is deprecated"):
        out = dp.nuclear_norm(ours, *args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.nuclear_norm(theirs, *args)
    close(out, expected)
    out.sum().backward()
    expected.sum().backward()
    close(ours.grad, theirs.grad, rtol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert dp.gradcheck(lambda x: dp.nuclear_norm(x, *args), [float64_leaf(values)])
        with pytest.raises(ShapeError, match=r"nuclear_norm: dim must name two dimensions \(the matrices'\), got "
                                             r"\(1,\)"):
            dp.nuclear_norm(dp.tensor(B), (1,))


@pytest.mark.parametrize("args", [(), (1,), (float("inf"),), (0,), (2, [0, 1], False, None), (2, [], False, None),
                                  (None, [], False, None)])
def test_native_norm_is_the_norm_pytorch_computes_for_sparse_tensors(args):
    values = np.array([[3.0, -4.0], [1.0, 0.0]])
    ours_args = tuple(dp.float64 if a is torch.float64 else a for a in args)
    out = dp.native_norm(dp.tensor(values, dtype=dp.float32), *ours_args)
    expected = torch.native_norm(torch.tensor(values, dtype=torch.float32).to_sparse(), *args)
    close(out, expected.to_dense(), rtol=1e-6)
    assert dtype_name(out) == dtype_name(expected)
    with pytest.raises(NotImplementedError):
        torch.native_norm(torch.tensor(values))  # (PyTorch's is for sparse tensors only)
    assert dp.native_norm(dp.tensor(values), 1, [1], True, None).tolist() == [[7.0], [1.0]]
    assert dp.native_norm(dp.tensor(values), None, [], False, dp.float64).dtype == np.float64


# -- gradient ------------------------------------------------------------------------------------------------

GRADIENTS = {
    "every dimension": {},
    "one dimension": dict(dim=1),
    "a list of dimensions": dict(dim=[1, 0]),
    "a spacing": dict(spacing=2.0, dim=1, edge_order=2),
    "a spacing per dimension": dict(spacing=[2.0, 3.0]),
    "second order edges": dict(edge_order=2),
    "a negative dimension": dict(spacing=2, dim=-1),
}
SAMPLES = np.array([[1.0, 2.0, 4.0, 8.0], [10.0, 20.0, 40.0, 80.0], [3.0, 1.0, 4.0, 1.0]])


@pytest.mark.parametrize("case", GRADIENTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_estimates_derivatives_as_pytorchs(case, dtype):
    kwargs = GRADIENTS[case]
    ours, theirs = pair(SAMPLES, requires_grad=True, dtype=dtype)
    outs, expected = dp.gradient(ours, **kwargs), torch.gradient(theirs, **kwargs)
    assert isinstance(outs, tuple) and len(outs) == len(expected)
    for mine, reference in zip(outs, expected):
        close(mine, reference, rtol=1e-6)
        assert dtype_name(mine) == dtype_name(reference)
    weights = [RNG.standard_normal(SAMPLES.shape) for _ in outs]
    sum((o * T(w)).sum() for o, w in zip(outs, weights)).backward()
    sum((o * torch.tensor(w)).sum() for o, w in zip(expected, weights)).backward()
    close(ours.grad, theirs.grad, rtol=1e-6, atol=1e-6)
    assert dp.gradcheck(lambda x: dp.gradient(x, **kwargs), [float64_leaf(SAMPLES)])


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_at_coordinates_differentiates_the_coordinates_too(edge_order):
    rows, columns = [0.0, 1.0, 3.0], [0.0, 1.0, 1.5, 3.0]
    ours = [dp.tensor(SAMPLES, dtype=dp.float64, requires_grad=True)] + [float64_leaf(c) for c in (rows, columns)]
    theirs = [torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in (SAMPLES, rows, columns)]
    outs = dp.gradient(ours[0], spacing=ours[1:], edge_order=edge_order)
    expected = torch.gradient(theirs[0], spacing=theirs[1:], edge_order=edge_order)
    for mine, reference, numpy_one in zip(outs, expected, np.gradient(SAMPLES, rows, columns, edge_order=edge_order)):
        close(mine, reference)
        close(mine, numpy_one)
    (outs[0].sum() + (outs[1] ** 2).sum()).backward()
    (expected[0].sum() + (expected[1] ** 2).sum()).backward()
    for mine, reference in zip(ours, theirs):
        close(mine.grad, reference.grad, rtol=1e-9)
    assert dp.gradcheck(lambda f, r: dp.gradient(f, spacing=[r], dim=0, edge_order=edge_order),
                        [float64_leaf(SAMPLES), float64_leaf(rows)])
    assert dp.gradgradcheck(lambda f, r: dp.gradient(f, spacing=[r], dim=0, edge_order=edge_order),
                            [float64_leaf(SAMPLES), float64_leaf(rows)])


def test_gradient_of_integers_and_of_small_inputs_as_pytorchs():
    for kwargs in (dict(spacing=2), dict(spacing=2.5)):
        ours, theirs = dp.gradient(dp.arange(5, dtype=dp.int32), **kwargs), torch.gradient(
            torch.arange(5, dtype=torch.int32), **kwargs)
        close(ours[0], theirs[0])
        assert dtype_name(ours[0]) == dtype_name(theirs[0]) == "float32"
    assert dp.gradient(dp.tensor(1.0)) == () == torch.gradient(torch.tensor(1.0))
    close(dp.gradient(dp.tensor([1.0, 2.0]))[0], torch.gradient(torch.tensor([1.0, 2.0]))[0])
    close(dp.gradient(T(SAMPLES[:, :1]), dim=0)[0], torch.gradient(torch.tensor(SAMPLES[:, :1]), dim=0)[0])
    mixed = dp.gradient(dp.tensor(SAMPLES), spacing=[dp.tensor([0, 1, 3])], dim=0)[0]
    close(mixed, torch.gradient(torch.tensor(SAMPLES, dtype=torch.float32), spacing=[torch.tensor([0, 1, 3])],
                                dim=0)[0], rtol=1e-6)


@pytest.mark.parametrize("call, error, message, torch_call", [
    (lambda lib, x: lib.gradient(x, edge_order=3), ConfigError, "gradient: edge_order must be 1 or 2, got 3",
     "only supports edge_order=1 and edge_order=2"),
    (lambda lib, x: lib.gradient(x[:1], edge_order=1, dim=0), ShapeError,
     r"gradient: dimension 0 has 1 samples; edge_order=1 needs at least 2", "at least edge_order\\+1"),
    (lambda lib, x: lib.gradient(x[:2], edge_order=2, dim=0), ShapeError,
     r"gradient: dimension 0 has 2 samples; edge_order=2 needs at least 3", "at least edge_order\\+1"),
    (lambda lib, x: lib.gradient(x, spacing=[1.0, 2.0, 3.0]), ShapeError,
     r"gradient: spacing has 3 entries; give one for each dimension of the 2 dimensions", "list of length"),
    (lambda lib, x: lib.gradient(x, dim=2), ShapeError, "gradient: dim 2 is out of range for a tensor with 2",
     "out of range"),
    (lambda lib, x: lib.gradient(x, dim=[0, 0]), ShapeError, r"gradient: dim \(0, 0\) names a dimension more than "
                                                             "once", "appears multiple times"),
    (lambda lib, x: lib.gradient(x, spacing=[lib.tensor(2.0)], dim=0), ShapeError,
     "gradient: each tensor of coordinates in spacing must have one dimension, got shape", "one dimension"),
    (lambda lib, x: lib.gradient(x, spacing=[2.0, lib.tensor([0.0, 2.0, 3.0, 4.0])]), TypeError,
     "gradient: spacing must be all numbers or all 1-D tensors of coordinates", "expected Tensor"),
    (lambda lib, x: lib.gradient(x > 0), TypeError, "gradient: input must hold numbers, got a boolean tensor",
     "two bool tensors"),
])
def test_gradient_refuses_what_pytorch_refuses(call, error, message, torch_call):
    with pytest.raises(error, match=message):
        call(dp, dp.tensor(SAMPLES))
    with pytest.raises((RuntimeError, IndexError, TypeError), match=torch_call):
        call(torch, torch.tensor(SAMPLES))


def test_gradient_refuses_coordinates_of_the_wrong_length_which_pytorch_reads_unchecked():
    with pytest.raises(ShapeError, match="gradient: 2 coordinates for dimension 0 of 3 samples; give one coordinate "
                                         "per sample"):
        dp.gradient(dp.tensor(SAMPLES), spacing=[dp.tensor([0.0, 1.0])], dim=0)
    assert torch.gradient(torch.tensor(SAMPLES), spacing=[torch.tensor([0.0, 1.0])], dim=0)[0].shape == (2, 4)


# -- the native_* layer functions and conv_tbc ---------------------------------------------------------------


@pytest.mark.parametrize("shape, normalized, affine", [((2, 3, 4), (4,), False), ((2, 3, 4), (3, 4), True),
                                                       ((5, 6), 6, True)])
def test_native_layer_norm_returns_layer_norm_with_its_mean_and_rstd(shape, normalized, affine):
    values = RNG.standard_normal(shape)
    (x, tx) = pair(values, requires_grad=True)
    norm_shape = (normalized,) if isinstance(normalized, int) else normalized
    (w, tw), (b, tb) = pair(RNG.standard_normal(norm_shape), True), pair(RNG.standard_normal(norm_shape), True)
    ours = dp.native_layer_norm(x, normalized, w if affine else None, b if affine else None, 1e-5)
    theirs = torch.native_layer_norm(tx, norm_shape, tw if affine else None, tb if affine else None, 1e-5)
    assert len(ours) == len(theirs) == 3
    for mine, reference in zip(ours, theirs):
        close(mine, reference, rtol=1e-9)
        assert dtype_name(mine) == dtype_name(reference)
    assert not ours[1].requires_grad and not ours[2].requires_grad and not theirs[1].requires_grad
    weights = RNG.standard_normal(shape)
    (ours[0] * T(weights)).sum().backward()
    (theirs[0] * torch.tensor(weights)).sum().backward()
    close(x.grad, tx.grad, rtol=1e-9)
    if affine:
        close(w.grad, tw.grad, rtol=1e-9)
        close(b.grad, tb.grad, rtol=1e-9)


@pytest.mark.parametrize("training, running", [(True, True), (True, False), (False, True)])
def test_native_batch_norm_returns_batch_norm_with_the_saved_statistics(training, running):
    values = RNG.standard_normal((4, 3, 5))
    (x, tx), (w, tw), (b, tb) = pair(values, True), pair(RNG.standard_normal(3), True), pair(RNG.standard_normal(3), True)
    stats = [dp.zeros(3, dtype=dp.float64), dp.ones(3, dtype=dp.float64)] if running else [None, None]
    torch_stats = [torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)] if running else [None, None]
    ours = dp.native_batch_norm(x, w, b, *stats, training, 0.1, 1e-5)
    theirs = torch.native_batch_norm(tx, tw, tb, *torch_stats, training, 0.1, 1e-5)
    for mine, reference in zip(ours, theirs):
        close(mine, reference, rtol=1e-9)
    if running:
        for mine, reference in zip(stats, torch_stats):
            close(mine, reference, rtol=1e-9)
    (ours[0] ** 2).sum().backward()
    (theirs[0] ** 2).sum().backward()
    for mine, reference in ((x, tx), (w, tw), (b, tb)):
        close(mine.grad, reference.grad, rtol=1e-8, atol=1e-10)


def test_native_batch_norm_refuses_evaluation_without_running_statistics():
    # (PyTorch 2.13 crashes there: not compared)
    with pytest.raises(ConfigError, match="native_batch_norm: evaluation .training=False. normalizes by running_mean "
                                          "and running_var, which must be given"):
        dp.native_batch_norm(dp.ones((2, 3)), None, None, None, None, False, 0.1, 1e-5)


@pytest.mark.parametrize("shape, groups, affine", [((2, 6, 5), 3, False), ((2, 6, 2, 3), 2, True), ((3, 4), 4, True)])
def test_native_group_norm_returns_group_norm_with_its_statistics_and_their_gradients(shape, groups, affine):
    values = RNG.standard_normal(shape)
    (x, tx), (w, tw), (b, tb) = pair(values, True), pair(RNG.standard_normal(shape[1]), True), pair(
        RNG.standard_normal(shape[1]), True)
    hw = int(np.prod(shape[2:]))
    ours = dp.native_group_norm(x, w if affine else None, b if affine else None, shape[0], shape[1], hw, groups, 1e-5)
    theirs = torch.native_group_norm(tx, tw if affine else None, tb if affine else None, shape[0], shape[1], hw,
                                     groups, 1e-5)
    for mine, reference in zip(ours, theirs):
        close(mine, reference, rtol=1e-9)
    (ours[0].sum() + (ours[1] * 3).sum() + ours[2].sum()).backward()
    (theirs[0].sum() + (theirs[1] * 3).sum() + theirs[2].sum()).backward()
    close(x.grad, tx.grad, rtol=1e-8, atol=1e-10)
    if affine:
        close(w.grad, tw.grad, rtol=1e-9, atol=1e-12)


def test_native_group_norm_refuses_counts_that_do_not_describe_the_input():
    with pytest.raises(ShapeError, match=r"native_group_norm: an input of shape \(2, 6, 5\) is not N=2 samples of "
                                         r"C=6 channels of HxW=4 positions each"):
        dp.native_group_norm(dp.ones((2, 6, 5)), None, None, 2, 6, 4, 3, 1e-5)
    with pytest.raises(RuntimeError, match="N \\* C \\* HxW"):
        torch.native_group_norm(torch.ones(2, 6, 5), None, None, 2, 6, 4, 3, 1e-5)


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("train", [True, None])
def test_native_dropout_returns_the_output_and_the_mask_it_kept(p, train):
    x = dp.tensor(RNG.uniform(1.0, 2.0, (40, 50)), dtype=dp.float64, requires_grad=True)
    out, mask = dp.native_dropout(x, p, train)
    reference_mask = torch.native_dropout(torch.ones(4, 5), p, train)[1]
    assert mask.dtype == np.bool_ and dtype_name(reference_mask) == "bool" and mask.shape == x.shape
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    close(out, np.where(mask.data, x.data * scale, 0.0))
    assert abs(mask.data.mean() - (1 - p)) < 0.05
    out.sum().backward()
    close(x.grad, mask.data * scale)


def test_native_dropout_outside_training_is_a_copy_with_a_full_mask():
    (x, tx) = pair(A, requires_grad=True)
    out, mask = dp.native_dropout(x, 0.5, False)
    expected, expected_mask = torch.native_dropout(tx, 0.5, False)
    close(out, expected)
    assert mask.tolist() == expected_mask.tolist() and not np.shares_memory(out.data, x.data)
    assert out.requires_grad and expected.requires_grad
    with pytest.raises(ConfigError, match=r"native_dropout: p must be a probability in \[0, 1\], got 1.5"):
        dp.native_dropout(x, 1.5, True)
    with pytest.raises(TypeError, match="native_dropout: input must be a floating-point tensor"):
        dp.native_dropout(dp.arange(3), 0.5, True)


@pytest.mark.parametrize("time, width, pad", [(7, 3, 1), (7, 3, 0), (7, 3, -1), (7, 12, 2), (5, 1, 3)])
def test_conv_tbc_is_pytorchs_convolution_of_time_batch_channels(time, width, pad):
    (x, tx), (w, tw), (b, tb) = (pair(RNG.standard_normal(s), True) for s in ((time, 2, 3), (width, 3, 4), (4,)))
    ours, theirs = dp.conv_tbc(x, w, b, pad), torch.conv_tbc(tx, tw, tb, pad)
    close(ours, theirs)
    assert dp.nn.functional.conv_tbc is dp.conv_tbc and torch.nn.functional.conv_tbc is torch.conv_tbc
    weights = RNG.standard_normal(tuple(theirs.shape))
    (ours * T(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    for mine, reference in ((x, tx), (w, tw), (b, tb)):
        close(mine.grad, reference.grad)


@pytest.mark.parametrize("shapes, message", [
    (((7, 2), (3, 3, 4), (4,)), r"conv_tbc: input must have 3 dimensions \(time, batch, channels\)"),
    (((7, 2, 3), (3, 2, 4), (4,)), r"conv_tbc: weight must have shape \(kernel width, 3, out channels\)"),
    (((7, 2, 3), (3, 3, 4), (2,)), r"conv_tbc: bias must be a tensor of shape \(4,\)"),
    (((7, 2, 3), (9, 3, 4), (4,)), "conv_tbc: 7 time steps padded by 0 at each end are fewer than the kernel width 9"),
])
def test_conv_tbc_refuses_what_pytorch_refuses(shapes, message):
    with pytest.raises(ShapeError, match=message):
        dp.conv_tbc(*(dp.ones(s) for s in shapes))
    with pytest.raises(RuntimeError):
        torch.conv_tbc(*(torch.ones(s) for s in shapes))
    with pytest.raises(ShapeError, match="conv_tbc: bias must be a tensor"):
        dp.conv_tbc(dp.ones((7, 2, 3)), dp.ones((3, 3, 4)), None)


# -- inference mode and autocast's state --------------------------------------------------------------------


def test_is_inference_mode_enabled_answers_as_pytorchs():
    for lib in (dp, torch):
        assert lib.is_inference_mode_enabled() is False
        with lib.inference_mode():
            assert lib.is_inference_mode_enabled() and not lib.is_grad_enabled()
            with lib.no_grad():
                assert lib.is_inference_mode_enabled()
            with lib.inference_mode(False):
                assert not lib.is_inference_mode_enabled()
        with lib.no_grad():
            assert not lib.is_inference_mode_enabled()

        @lib.inference_mode()
        def inside():
            return lib.is_inference_mode_enabled()

        @lib.inference_mode
        def bare():
            return lib.is_inference_mode_enabled()

        def generator():
            yield lib.is_inference_mode_enabled()

        assert inside() and bare() and not lib.is_inference_mode_enabled()
        assert list(lib.inference_mode()(generator)()) == [True]


def _dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "").replace("deltaprop.", "")


def test_the_autocast_dtypes_and_flags_are_pytorchs():
    for device in ("cpu", "cuda", "xpu", "mps", "hpu", "xla", "ipu", "cuda:0"):
        assert _dtype_name(dp.get_autocast_dtype(device)) == _dtype_name(torch.get_autocast_dtype(device)), device
        assert dp.is_autocast_enabled(device) is torch.is_autocast_enabled(device) is False
    assert dp.is_autocast_enabled() is False and dp.is_autocast_cache_enabled() is torch.is_autocast_cache_enabled()
    with pytest.warns(DeprecationWarning, match="get_autocast_cpu_dtype"):
        assert _dtype_name(dp.get_autocast_cpu_dtype()) == "bfloat16"
    with pytest.warns(DeprecationWarning, match="get_autocast_gpu_dtype"):
        assert _dtype_name(dp.get_autocast_gpu_dtype()) == "float16"
    with pytest.warns(DeprecationWarning, match="is_autocast_cpu_enabled"):
        assert dp.is_autocast_cpu_enabled() is False
    assert dp.clear_autocast_cache() is None and torch.clear_autocast_cache() is None


@pytest.mark.parametrize("lib", [dp, torch], ids=["deltaprop", "torch"])
def test_set_autocast_dtype_and_the_cache_flag_are_kept_as_pytorchs(lib):
    float16, float64 = lib.float16, lib.float64
    try:
        lib.set_autocast_dtype("cpu", float16)
        assert _dtype_name(lib.get_autocast_dtype("cpu")) == "float16"
        lib.set_autocast_dtype("cuda", float64)
        assert _dtype_name(lib.get_autocast_dtype("cuda")) == "float64"
        lib.set_autocast_cache_enabled(False)
        assert lib.is_autocast_cache_enabled() is False
        with pytest.raises(TypeError):
            lib.set_autocast_cache_enabled(1)
        with pytest.raises(TypeError):
            lib.set_autocast_enabled("cpu", 1)
    finally:
        lib.set_autocast_dtype("cpu", lib.bfloat16)
        lib.set_autocast_dtype("cuda", float16)
        lib.set_autocast_cache_enabled(True)
    assert _dtype_name(lib.get_autocast_dtype("cpu")) == "bfloat16"


def test_an_autocast_region_sets_what_pytorchs_sets_and_autocast_stays_off():
    seen = {}
    for lib in (dp, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autocast("cuda", dtype=lib.bfloat16, cache_enabled=False):
                inside = (lib.is_autocast_enabled("cuda"), _dtype_name(lib.get_autocast_dtype("cuda")),
                          lib.is_autocast_cache_enabled(), lib.autocast_increment_nesting())
                lib.autocast_decrement_nesting()
            with lib.autocast("cpu", dtype=lib.float16, enabled=False):
                disabled = (lib.is_autocast_enabled("cpu"), _dtype_name(lib.get_autocast_dtype("cpu")))
        after = (_dtype_name(lib.get_autocast_dtype("cuda")), _dtype_name(lib.get_autocast_dtype("cpu")),
                 lib.is_autocast_cache_enabled(), lib.autocast_increment_nesting(), lib.autocast_decrement_nesting(),
                 lib.autocast_decrement_nesting(), lib.autocast_increment_nesting())
        seen[lib.__name__] = (inside, disabled, after)
    assert seen["deltaprop"] == seen["torch"]
    assert seen["deltaprop"][0] == (False, "bfloat16", False, 2)


def test_set_autocast_enabled_on_warns_that_autocast_stays_off():
    with pytest.warns(UserWarning, match="autocast is disabled"):
        dp.set_autocast_enabled("cpu", True)
    assert dp.is_autocast_enabled("cpu") is False
    with pytest.warns(UserWarning, match="autocast is disabled"):
        dp.set_autocast_enabled(True)
    assert dp.is_autocast_enabled() is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dp.set_autocast_enabled("cuda", False)
    with pytest.raises(ConfigError, match="is_autocast_enabled: there is no autocast for device type 'meta'"):
        dp.is_autocast_enabled("meta")
    with pytest.raises(ConfigError, match="'banana' is not a device"):
        dp.get_autocast_dtype("banana")
    with pytest.raises(RuntimeError):
        torch.get_autocast_dtype("banana")


# -- the tensor methods ---------------------------------------------------------------------------------------


def test_H_is_the_transpose_of_a_real_matrix():
    ours, theirs = pair(A)
    close(ours.H, theirs.H)
    assert np.shares_memory(ours.H.data, ours.data)
    with pytest.raises(ShapeError, match=r"H: transposes a matrix \(2 dimensions\), got shape \(4,\)"):
        dp.ones(4).H  # noqa: B018
    with pytest.raises(RuntimeError, match="only supported on matrices"):
        torch.ones(4).H  # noqa: B018
    with pytest.raises(ShapeError, match="for a stack of matrices use x.mH"):
        dp.ones((2, 3, 4)).H  # noqa: B018
    with pytest.warns(UserWarning, match="deprecated on 0-D tensors"):
        assert dp.tensor(3.0).H.item() == 3.0
    x = float64_leaf(A)
    (x.H * T(A.T)).sum().backward()
    close(x.grad, A)


def test_output_nr_is_zero_for_every_tensor():
    for lib in (dp, torch):
        leaf = lib.ones(4, requires_grad=True)
        assert leaf.output_nr == (leaf * 2).output_nr == lib.ones(3).output_nr == 0
    assert dp.ones(4, requires_grad=True).chunk(2)[1].output_nr == 0  # (PyTorch numbers the pieces: 1)


def test_resize_as_is_pytorchs_deprecated_reshape():
    ours, theirs = dp.arange(6.0, requires_grad=True), torch.arange(6.0, requires_grad=True)
    with pytest.warns(UserWarning, match="resize_as: the out-of-place resize_as is deprecated"):
        out = ours.resize_as(dp.zeros((2, 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = theirs.resize_as(torch.zeros(2, 3))
    close(out, expected)
    (out * T(A[:2, :3])).sum().backward()
    (expected * torch.tensor(A[:2, :3], dtype=torch.float32)).sum().backward()
    close(ours.grad, theirs.grad, rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ShapeError, match=r"resize_as: the out-of-place resize keeps the number of elements \(6"):
            ours.resize_as(dp.zeros((2, 2)))
        with pytest.raises(RuntimeError, match="preserving the number of elements"):
            theirs.resize_as(torch.zeros(2, 2))
        with pytest.raises(TypeError, match="resize_as: expects a tensor whose shape to take, got list"):
            ours.resize_as([1, 2])


def test_as_subclass_shares_the_memory_and_the_graph():
    class Ours(dp.Tensor):
        pass

    class Theirs(torch.Tensor):
        pass

    x, tx = dp.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    y, ty = (x * 2).as_subclass(Ours), (tx * 2).as_subclass(Theirs)
    assert type(y) is Ours and type(ty) is Theirs and y.requires_grad and ty.requires_grad
    assert y.grad_fn.name() == ty.grad_fn.name() == "AliasBackward0"
    (y * dp.tensor([1.0, 2.0, 3.0])).sum().backward()
    (ty * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    close(x.grad, tx.grad)
    plain = dp.arange(3.0)
    view = plain.as_subclass(Ours)
    view.data[0] = 7.0
    assert plain.tolist() == [7.0, 1.0, 2.0] and type(plain.as_subclass(dp.Tensor)) is dp.Tensor
    assert type(x.as_subclass(nn.Parameter)) is nn.Parameter
    with pytest.raises(TypeError, match="as_subclass: cls must be deltaprop.Tensor or a subclass of it, got <class 'int'>"):
        x.as_subclass(int)
    with pytest.raises(TypeError, match="inherit from Tensor"):
        tx.as_subclass(int)


def test_is_set_to_asks_for_the_same_memory_offset_shape_and_strides():
    for lib in (dp, torch):
        a = lib.arange(6.0)
        answers = [a.is_set_to(a), a.is_set_to(a.reshape(2, 3)), a.is_set_to(a[:]), a.is_set_to(a.clone()),
                   a[1:].is_set_to(a[1:]), a[1:].is_set_to(a[:5]), a.is_set_to(a.detach()),
                   lib.zeros(0).is_set_to(lib.zeros(0)), a.reshape(2, 3).t().is_set_to(a.reshape(3, 2))]
        assert answers == [True, False, True, False, True, False, True, False, False], lib.__name__
    with pytest.raises(TypeError, match="is_set_to: expects a tensor, got int"):
        dp.ones(2).is_set_to(3)


# -- nn.UninitializedBuffer ------------------------------------------------------------------------------------


def test_an_uninitialized_buffer_is_made_as_pytorchs():
    ours, theirs = nn.UninitializedBuffer(), torch.nn.UninitializedBuffer()
    assert repr(ours) == repr(theirs) == "<UninitializedBuffer>"
    assert ours.requires_grad is theirs.requires_grad is False and ours.persistent and theirs.persistent
    assert ours.dtype == np.float32 and theirs.dtype == torch.float32
    assert isinstance(ours, dp.Tensor) and isinstance(ours, nn.Buffer) and nn.parameter.is_lazy(ours)
    made = nn.UninitializedBuffer(requires_grad=True, dtype=dp.float64, persistent=False)
    assert made.requires_grad and made.dtype == np.float64 and not made.persistent
    assert nn.UninitializedBuffer(dtype=dp.int64).dtype == np.int64
    with pytest.raises(ConfigError, match="not a device"):
        nn.UninitializedBuffer(device="gpu")


@pytest.mark.parametrize("name, kwargs", [("LazyBatchNorm1d", {}), ("LazyBatchNorm2d", {}),
                                          ("LazyInstanceNorm1d", {"track_running_stats": True}),
                                          ("LazyBatchNorm1d", {"track_running_stats": False})])
def test_the_lazy_norms_running_statistics_are_uninitialized_buffers_as_pytorchs(name, kwargs):
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    for buffer in ("running_mean", "running_var"):
        assert (isinstance(getattr(ours, buffer), nn.UninitializedBuffer)
                == isinstance(getattr(theirs, buffer), torch.nn.UninitializedBuffer))
        assert (getattr(ours, buffer) is None) == (getattr(theirs, buffer) is None)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if kwargs.get("track_running_stats", True):
        ours.double()
        assert isinstance(ours.running_mean, nn.UninitializedBuffer) and ours.running_mean.dtype == np.float64
        shape = {"LazyBatchNorm1d": (4, 3), "LazyBatchNorm2d": (4, 3, 2, 2), "LazyInstanceNorm1d": (4, 3, 5)}[name]
        ours(dp.randn(*shape, dtype=dp.float64))
        assert type(ours.running_mean) is np.ndarray and ours.running_mean.shape == (3,)
        assert ours.running_mean.dtype == np.float64


def test_a_module_holds_an_uninitialized_buffer_as_itself():
    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("x", nn.UninitializedBuffer(dtype=dp.int64))

    holder = Holder()
    assert isinstance(holder.x, nn.UninitializedBuffer) and holder.get_buffer("x") is holder.x
    assert holder.state_dict()["x"].shape == (0,)
