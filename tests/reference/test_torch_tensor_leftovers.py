"""PyTorch's remaining tensor methods and their function forms, against PyTorch 2.13: the bit
shifts (``<<``, ``>>``, their in-place and function forms, with PyTorch's results for shifts by
negative amounts or by the width of the dtype and more), the complex-number methods of real tensors
(``conj``, ``real``, ``mH``, ``adjoint``; ``imag`` refused), ``new``, ``resize``, ``narrow_copy``, the
unchecked splits, ``data_ptr``, ``dim_order``, ``get_device``, the backend flags and DLPack.
"""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these methods are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop.errors import ShapeError  # noqa: E402

INTEGER_DTYPES = [(np.int64, torch.int64), (np.int32, torch.int32), (np.int16, torch.int16), (np.int8, torch.int8),
                  (np.uint8, torch.uint8)]
VALUES = [5, 1, 100, 127, 0, 3, 77]
SIGNED_VALUES = [5, -5, 1, 100, -128, -1, 77]
AMOUNTS = [1, 2, 0, 70, 7, 8, 3]
SIGNED_AMOUNTS = [1, 2, -1, 70, 7, 8, -9]


def _pair(values, dtypes):
    ours, theirs = dtypes
    return dp.tensor(np.array(values, dtype=ours)), torch.tensor(np.array(values, dtype=ours), dtype=theirs)


def _same(got, expected):
    assert np.asarray(got.data).dtype == np.dtype(str(expected.dtype).replace("torch.", ""))
    np.testing.assert_array_equal(np.asarray(got.data), expected.numpy())


@pytest.mark.parametrize("dtypes", INTEGER_DTYPES, ids=lambda d: d[0].__name__)
@pytest.mark.parametrize("shift", ["bitwise_left_shift", "bitwise_right_shift"])
def test_shifts_match_pytorch_for_every_amount(dtypes, shift):
    signed = dtypes[0] != np.uint8
    x, tx = _pair(SIGNED_VALUES if signed else VALUES, dtypes)
    s, ts = _pair(SIGNED_AMOUNTS if signed else AMOUNTS, dtypes)
    _same(getattr(dp, shift)(x, s), getattr(torch, shift)(tx, ts))
    _same(getattr(x, shift)(s), getattr(tx, shift)(ts))
    _same(getattr(x, shift)(3), getattr(tx, shift)(3))
    _same(getattr(dp, shift)(100, s), getattr(torch, shift)(100, ts))


def test_shift_operators_and_in_place_forms_match_pytorch():
    x, tx = _pair([[5, -5, 1], [100, -128, 7]], INTEGER_DTYPES[0])
    _same(x << 3, tx << 3)
    _same(x >> 2, tx >> 2)
    _same(2 << x.abs().clamp(max=10), 2 << tx.abs().clamp(max=10))
    _same(-1000 >> x.abs().clamp(max=10), -1000 >> tx.abs().clamp(max=10))
    _same(x << dp.tensor([1, 65, -1]), tx << torch.tensor([1, 65, -1]))
    y, ty = _pair([1, 2, 3], INTEGER_DTYPES[3])
    _same(y << 1, ty << 1)  # (a Python int takes the tensor's dtype)
    _same(y << dp.tensor(2), ty << torch.tensor(2))  # (and so does a 0-d tensor)
    _same(dp.tensor([True, False]) << 1, torch.tensor([True, False]) << 1)
    z, tz = _pair([1, 2, 3], INTEGER_DTYPES[1])
    kept = z
    z <<= 2
    tz <<= 2
    assert z is kept
    _same(z, tz)
    z >>= 1
    tz >>= 1
    _same(z, tz)
    assert z.bitwise_left_shift_(1) is z
    _same(z, tz.bitwise_left_shift_(1))
    _same(z.bitwise_right_shift_(2), tz.bitwise_right_shift_(2))


@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor([1.5, 2.0]) << 1,
    lambda lib: lib.bitwise_right_shift(lib.tensor([1, 2]), 1.5),
    lambda lib: lib.tensor([True]) << lib.tensor([True]),
])
def test_shifts_refuse_floats_and_booleans(call):
    with pytest.raises(TypeError, match="shift"):
        call(dp)
    with pytest.raises((NotImplementedError, RuntimeError, TypeError)):
        call(torch)


def test_shifts_refuse_shapes_that_do_not_broadcast():
    with pytest.raises(ShapeError):
        dp.tensor([1, 2]) << dp.tensor([1, 2, 3])


def test_real_tensors_are_their_own_conjugate_and_real_part():
    x, tx = dp.tensor([[1.0, -2.0, 3.0]]), torch.tensor([[1.0, -2.0, 3.0]])
    for name in ("conj", "resolve_conj", "resolve_neg"):
        assert getattr(x, name)() is x and getattr(tx, name)() is tx
        assert getattr(dp, name)(x) is x and getattr(torch, name)(tx) is tx
    assert x.real is x and dp.real(x) is x and tx.real is tx
    assert (x.is_conj(), x.is_neg(), dp.is_conj(x), dp.is_neg(x)) == (tx.is_conj(), tx.is_neg(), False, False)
    with pytest.raises(TypeError, match="imag"):
        x.imag  # noqa: B018
    with pytest.raises(TypeError, match="imag"):
        dp.imag(x)
    with pytest.raises(RuntimeError):
        tx.imag  # noqa: B018


def test_mh_and_adjoint_transpose_the_last_two_dims_with_their_gradient():
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    x, tx = dp.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for ours, theirs in ((x.mH, tx.mH), (x.adjoint(), tx.adjoint()), (dp.adjoint(x), torch.adjoint(tx))):
        np.testing.assert_array_equal(np.asarray(ours.data, dtype=np.float64), theirs.detach().numpy().astype(np.float32))
    w = np.arange(24.0).reshape(2, 4, 3)
    (x.mH * dp.tensor(w)).sum().backward()
    (tx.mH * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), tx.grad.numpy())
    for lib, error in ((dp, ShapeError), (torch, RuntimeError)):
        with pytest.raises(error, match="mH"):
            lib.ones(3).mH  # noqa: B018
        with pytest.raises(error, match="adjoint"):
            lib.ones(3).adjoint()


def test_hardshrink_prelu_and_vdot_methods_match_pytorch():
    a = np.array([[0.3, -1.2, 2.0], [-0.1, 0.7, -3.0]])
    x, tx = dp.tensor(a, dtype=dp.float64), torch.tensor(a)
    np.testing.assert_allclose(np.asarray(x.hardshrink(0.5).data), tx.hardshrink(0.5).numpy())
    np.testing.assert_allclose(np.asarray(x.hardshrink().data), tx.hardshrink().numpy())
    w = np.array([0.25, 0.1])
    np.testing.assert_allclose(np.asarray(x.T.prelu(dp.tensor(w, dtype=dp.float64)).data),
                               tx.T.prelu(torch.tensor(w)).numpy())
    np.testing.assert_allclose(float(x[0].vdot(x[1])), float(tx[0].vdot(tx[1])))


def test_new_makes_tensors_of_this_dtype_as_pytorch():
    x, tx = dp.tensor([[1, 2], [3, 4]], dtype=dp.int32), torch.tensor([[1, 2], [3, 4]], dtype=torch.int32)
    assert tuple(x.new(2, 3).shape) == tuple(tx.new(2, 3).shape) and x.new(2, 3).dtype == np.int32
    assert tuple(x.new(dp.Size([2])).shape) == (2,) == tuple(tx.new(torch.Size([2])).shape)
    assert tuple(x.new().shape) == tuple(tx.new().shape) == (0,)
    _same(x.new([1, 2]), tx.new([1, 2]))
    _same(x.new((2, 3)), tx.new((2, 3)))  # (a tuple is data, a Size or numbers are sizes)
    same = dp.tensor([7, 8], dtype=dp.int32)
    assert np.shares_memory(x.new(same).data, same.data)
    with pytest.raises(TypeError, match="dtype"):
        x.new(dp.tensor([1.5]))
    with pytest.raises(TypeError):
        tx.new(torch.tensor([1.5]))


def test_resize_reshapes_with_pytorchs_deprecation_warning():
    x, tx = dp.tensor([[1, 2], [3, 4]]), torch.tensor([[1, 2], [3, 4]])
    with pytest.warns(UserWarning, match="deprecated"):
        _same(x.resize(1, 4), tx.resize(1, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same(x.resize(4), tx.resize(4))
        with pytest.raises(ShapeError, match="resize"):
            x.resize(5)
        with pytest.raises(RuntimeError):
            tx.resize(5)


def test_narrow_copy_and_the_unchecked_splits_match_pytorch():
    a = np.arange(12.0).reshape(3, 4)
    x, tx = dp.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    copy = x.narrow_copy(1, 1, 2)
    assert not np.shares_memory(copy.data, x.data)
    np.testing.assert_array_equal(copy.data, tx.narrow_copy(1, 1, 2).detach().numpy())
    np.testing.assert_array_equal(dp.narrow_copy(x, 0, 1, 2).data, torch.narrow_copy(tx, 0, 1, 2).detach().numpy())
    for name, args in (("unsafe_chunk", (3, 1)), ("unsafe_split", (2,)), ("unsafe_split_with_sizes", ([1, 3], 1))):
        ours, theirs = getattr(x, name)(*args), getattr(tx, name)(*args)
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            np.testing.assert_array_equal(o.data, t.detach().numpy())
        assert len(getattr(dp, name)(x, *args)) == len(getattr(torch, name)(tx, *args))
    (copy * 2).sum().backward()
    (tx.narrow_copy(1, 1, 2) * 2).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), tx.grad.numpy())


def test_memory_questions_match_pytorch():
    x, tx = dp.zeros((2, 3, 4)), torch.zeros(2, 3, 4)
    assert x.data_ptr() == x[0].data_ptr() == x.view(6, 4).data_ptr() == x.const_data_ptr()
    assert x[1].data_ptr() - x.data_ptr() == tx[1].data_ptr() - tx.data_ptr() == 48
    assert x.clone().data_ptr() != x.data_ptr()
    for ours, theirs in ((x, tx), (x.permute(2, 0, 1), tx.permute(2, 0, 1)), (x.transpose(0, 1), tx.transpose(0, 1))):
        assert ours.dim_order() == theirs.dim_order()
    assert x.get_device() == tx.get_device() == dp.get_device(x) == -1
    assert x.is_inference() is tx.is_inference() is False
    for flag in ("is_meta", "is_xla", "is_xpu", "is_mps", "is_ipu", "is_mtia", "is_maia", "is_vulkan", "is_nested",
                 "is_quantized", "is_sparse_csr", "is_mkldnn"):
        assert getattr(x, flag) is getattr(tx, flag) is False, flag


def test_dlpack_shares_memory_both_ways_with_pytorch():
    x = dp.tensor([1.0, 2.0, 3.0])
    t = torch.from_dlpack(x)
    t[0] = 10.0
    assert float(x[0]) == 10.0
    assert x.__dlpack_device__() == tuple(int(v) for v in t.__dlpack_device__())
    back = dp.from_dlpack(t)
    back[1] = 20.0
    assert float(t[1]) == 20.0 and float(x[1]) == 20.0
    capsule = dp.to_dlpack(x)
    via_capsule = torch.utils.dlpack.from_dlpack(capsule)
    assert via_capsule.data_ptr() == x.data_ptr()
    ours_from_capsule = dp.from_dlpack(torch.utils.dlpack.to_dlpack(t))
    assert ours_from_capsule.data_ptr() == t.data_ptr()
    with pytest.raises(BufferError, match="detach"):
        dp.tensor([1.0], requires_grad=True).__dlpack__()
    with pytest.raises(BufferError):
        torch.tensor([1.0], requires_grad=True).__dlpack__()
