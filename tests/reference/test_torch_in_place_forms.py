"""PyTorch's in-place forms of the tensor methods (``acos_``, ``addmm_``, ``eq_``, ``cumsum_``,
``tril_``, ``scatter_reduce_``, ...; ``tensor._IN_PLACE``), its function forms of them
(``torch.abs_(x)``, ``torch.dropout_(x, p, train)``, ...), ``fill_diagonal_`` and the operators
``//=``, ``%=``, ``&=``, ``|=``, ``^=``, against PyTorch 2.13:
the values, the tensor itself returned with its dtype and memory, and the refusals (a tensor the
graph records, a result of a higher dtype category or of a larger shape). A test lists every in-place
name of ``torch.Tensor`` and of ``torch`` and asserts deltaprop has it, but for the commented
omissions. (apply_/map_/resize_/set_ and the memory methods: test_torch_tensor_storage_methods.py.)
"""

import importlib
import inspect

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these in-place forms are compared with")

import deltaprop as dp  # noqa: E402
from torch_twins import as_array  # noqa: E402
from deltaprop.errors import GradError, ShapeError  # noqa: E402

TORCH_DTYPES = {np.float64: torch.float64, np.float32: torch.float32, np.int64: torch.int64, np.bool_: torch.bool}
TOLERANCES = {np.float64: dict(rtol=1e-12, atol=1e-14), np.float32: dict(rtol=2e-6, atol=1e-6)}

SIGNED = np.array([[1.0, -5.0, 3.0], [4.0, 2.5, -6.0]])
SMALL = SIGNED * 0.3  # (sin, tan, erf, ...: away from their poles and flat tails)
UNIT = np.array([[0.1, 0.5, 0.9], [0.3, 0.7, 0.2]])  # (asin, atanh, erfinv, logit: inside (-1, 1) or (0, 1))
BIG = UNIT + 1.5  # (acosh, lgamma, the logarithms, rsqrt)
ROW = np.array([1.0, -2.0, 0.5])
INTEGERS = np.array([[1, 5, 3], [4, 2, 6]])
INDEX = np.array([[0, 1, 0], [1, 0, 1]])


def _t(lib, values, like):
    """``values`` as a tensor of ``lib`` in the dtype of ``like``."""
    return lib.tensor(np.asarray(values), dtype=like.dtype)


# name (a space, then what the case is about) -> (input, call). Every method of tensor._IN_PLACE and
# tensor._IN_PLACE_WITHOUT_GRADIENT has a case (test_every_in_place_form_of_the_table_is_compared).
CASES = {
    "absolute_": (SIGNED, lambda x, lib: x.absolute_()),
    "negative_": (SIGNED, lambda x, lib: x.negative_()),
    "fix_": (SIGNED * 0.7, lambda x, lib: x.fix_()),
    "frac_": (SIGNED * 0.7, lambda x, lib: x.frac_()),
    "rsqrt_": (BIG, lambda x, lib: x.rsqrt_()),
    "exp2_": (SIGNED, lambda x, lib: x.exp2_()),
    "expm1_": (SMALL, lambda x, lib: x.expm1_()),
    "log2_": (BIG, lambda x, lib: x.log2_()),
    "log10_": (BIG, lambda x, lib: x.log10_()),
    "log1p_": (UNIT, lambda x, lib: x.log1p_()),
    "logit_": (UNIT, lambda x, lib: x.logit_()),
    "logit_ eps": (UNIT, lambda x, lib: x.logit_(0.25)),
    "nan_to_num_": (np.array([[np.nan, np.inf, -np.inf], [1.0, 2.0, 3.0]]),
                    lambda x, lib: x.nan_to_num_(0.5, 10.0, neginf=-10.0)),
    "sin_": (SIGNED, lambda x, lib: x.sin_()),
    "cos_": (SIGNED, lambda x, lib: x.cos_()),
    "tan_": (SMALL, lambda x, lib: x.tan_()),
    "asin_": (UNIT, lambda x, lib: x.asin_()),
    "acos_": (UNIT, lambda x, lib: x.acos_()),
    "atan_": (SIGNED, lambda x, lib: x.atan_()),
    "sinh_": (SMALL, lambda x, lib: x.sinh_()),
    "cosh_": (SMALL, lambda x, lib: x.cosh_()),
    "asinh_": (SIGNED, lambda x, lib: x.asinh_()),
    "acosh_": (BIG, lambda x, lib: x.acosh_()),
    "atanh_": (UNIT, lambda x, lib: x.atanh_()),
    "sinc_": (SMALL, lambda x, lib: x.sinc_()),
    "arcsin_": (UNIT, lambda x, lib: x.arcsin_()),
    "arccos_": (UNIT, lambda x, lib: x.arccos_()),
    "arctan_": (SIGNED, lambda x, lib: x.arctan_()),
    "arcsinh_": (SIGNED, lambda x, lib: x.arcsinh_()),
    "arccosh_": (BIG, lambda x, lib: x.arccosh_()),
    "arctanh_": (UNIT, lambda x, lib: x.arctanh_()),
    "atan2_": (SIGNED, lambda x, lib: x.atan2_(_t(lib, ROW, x))),
    "arctan2_": (SIGNED, lambda x, lib: x.arctan2_(_t(lib, ROW, x))),
    "hypot_": (SIGNED, lambda x, lib: x.hypot_(_t(lib, ROW, x))),
    "copysign_": (SIGNED, lambda x, lib: x.copysign_(_t(lib, ROW, x))),
    "copysign_ number": (SIGNED, lambda x, lib: x.copysign_(-1.0)),
    "erf_": (SMALL, lambda x, lib: x.erf_()),
    "erfc_": (SMALL, lambda x, lib: x.erfc_()),
    "erfinv_": (UNIT, lambda x, lib: x.erfinv_()),
    "lgamma_": (BIG, lambda x, lib: x.lgamma_()),
    "digamma_": (BIG, lambda x, lib: x.digamma_()),
    "polygamma_": (BIG, lambda x, lib: x.polygamma_(1)),
    "polygamma_ 2": (BIG, lambda x, lib: x.polygamma_(2)),
    "i0_": (SIGNED, lambda x, lib: x.i0_()),
    "xlogy_": (SIGNED, lambda x, lib: x.xlogy_(_t(lib, BIG[0], x))),
    "xlogy_ number": (UNIT, lambda x, lib: x.xlogy_(3.0)),
    "lerp_": (SIGNED, lambda x, lib: x.lerp_(_t(lib, ROW, x), 0.3)),
    "lerp_ weight tensor": (SIGNED, lambda x, lib: x.lerp_(_t(lib, ROW, x), _t(lib, UNIT, x))),
    "multiply_": (SIGNED, lambda x, lib: x.multiply_(_t(lib, ROW, x))),
    "subtract_": (SIGNED, lambda x, lib: x.subtract_(_t(lib, ROW, x), alpha=2)),
    "divide_": (SIGNED, lambda x, lib: x.divide_(_t(lib, ROW, x))),
    "divide_ floor": (SIGNED, lambda x, lib: x.divide_(_t(lib, ROW, x), rounding_mode="floor")),
    "true_divide_": (SIGNED, lambda x, lib: x.true_divide_(_t(lib, ROW, x))),
    "floor_divide_": (SIGNED, lambda x, lib: x.floor_divide_(1.5)),
    "remainder_": (SIGNED, lambda x, lib: x.remainder_(_t(lib, ROW, x))),
    "fmod_": (SIGNED, lambda x, lib: x.fmod_(1.5)),
    "addmm_": (SIGNED[:, :2], lambda x, lib: x.addmm_(_t(lib, SIGNED, x), _t(lib, SMALL.T, x), beta=0.5, alpha=2)),
    "addmv_": (ROW[:2], lambda x, lib: x.addmv_(_t(lib, SIGNED, x), _t(lib, ROW, x), beta=2, alpha=-1)),
    "addbmm_": (SIGNED[:, :2], lambda x, lib: x.addbmm_(_t(lib, np.stack([SIGNED, UNIT]), x),
                                                         _t(lib, np.stack([SMALL.T, BIG.T]), x))),
    "baddbmm_": (np.stack([SIGNED[:, :2], UNIT[:, :2]]),
                 lambda x, lib: x.baddbmm_(_t(lib, np.stack([SIGNED, UNIT]), x), _t(lib, np.stack([SMALL.T, BIG.T]), x),
                                           alpha=0.5)),
    "addcmul_": (SIGNED, lambda x, lib: x.addcmul_(_t(lib, UNIT, x), _t(lib, ROW, x), value=0.5)),
    "addcdiv_": (SIGNED, lambda x, lib: x.addcdiv_(_t(lib, UNIT, x), _t(lib, BIG, x), value=2)),
    "cumsum_": (SIGNED, lambda x, lib: x.cumsum_(1)),
    "cumsum_ dim=": (SIGNED, lambda x, lib: x.cumsum_(dim=0)),
    "cumprod_": (SIGNED, lambda x, lib: x.cumprod_(1)),
    "tril_": (SIGNED, lambda x, lib: x.tril_()),
    "tril_ diagonal": (SIGNED, lambda x, lib: x.tril_(1)),
    "triu_": (SIGNED, lambda x, lib: x.triu_(-1)),
    "scatter_reduce_": (SIGNED, lambda x, lib: x.scatter_reduce_(0, lib.tensor(INDEX), _t(lib, UNIT, x), "sum")),
    "scatter_reduce_ amax": (SIGNED, lambda x, lib: x.scatter_reduce_(1, lib.tensor(INDEX), _t(lib, BIG, x), "amax",
                                                                       include_self=False)),
    "rad2deg_": (SIGNED, lambda x, lib: x.rad2deg_()),
    "deg2rad_": (SIGNED, lambda x, lib: x.deg2rad_()),
    "ldexp_": (SIGNED, lambda x, lib: x.ldexp_(lib.tensor(INDEX))),
    "nextafter_": (SIGNED, lambda x, lib: x.nextafter_(_t(lib, ROW, x))),
    "heaviside_": (SIGNED * np.array([0, 1, 1]), lambda x, lib: x.heaviside_(_t(lib, ROW, x))),
    "sgn_": (SIGNED, lambda x, lib: x.sgn_()),
    "mvlgamma_": (BIG, lambda x, lib: x.mvlgamma_(2)),
    "igamma_": (BIG, lambda x, lib: x.igamma_(_t(lib, UNIT * 3, x))),
    "igammac_": (BIG, lambda x, lib: x.igammac_(_t(lib, UNIT * 3, x))),
    "renorm_": (SIGNED, lambda x, lib: x.renorm_(2, 0, 3.0)),
    "addr_": (SIGNED, lambda x, lib: x.addr_(_t(lib, [1.0, -2.0], x), _t(lib, ROW, x), beta=0.5, alpha=2)),
    "gcd_": (INTEGERS, lambda x, lib: x.gcd_(lib.tensor([2, 10, 9]))),
    "lcm_": (INTEGERS, lambda x, lib: x.lcm_(lib.tensor([2, 10, 9]))),
    # the comparisons write 1 and 0 in the tensor's own dtype
    "eq_": (SIGNED, lambda x, lib: x.eq_(_t(lib, [1.0, 2.5, 3.0], x))),
    "eq_ number": (SIGNED, lambda x, lib: x.eq_(2.5)),
    "ne_": (SIGNED, lambda x, lib: x.ne_(_t(lib, [1.0, 2.5, 3.0], x))),
    "lt_": (SIGNED, lambda x, lib: x.lt_(_t(lib, ROW, x))),
    "le_": (SIGNED, lambda x, lib: x.le_(2.5)),
    "gt_": (SIGNED, lambda x, lib: x.gt_(_t(lib, ROW, x))),
    "ge_": (SIGNED, lambda x, lib: x.ge_(2.5)),
    "greater_": (SIGNED, lambda x, lib: x.greater_(_t(lib, ROW, x))),
    "greater_equal_": (SIGNED, lambda x, lib: x.greater_equal_(1.0)),
    "less_": (SIGNED, lambda x, lib: x.less_(_t(lib, ROW, x))),
    "less_equal_": (SIGNED, lambda x, lib: x.less_equal_(3.0)),
    "not_equal_": (SIGNED, lambda x, lib: x.not_equal_(-5.0)),
    "logical_and_": (SIGNED, lambda x, lib: x.logical_and_(_t(lib, [0.0, 1.0, 2.5], x))),
    "logical_or_": (SIGNED * np.array([0, 1, 1]), lambda x, lib: x.logical_or_(_t(lib, [0.0, 0.0, 2.5], x))),
    "logical_xor_": (SIGNED, lambda x, lib: x.logical_xor_(_t(lib, [0.0, 1.0, 2.5], x))),
    "logical_not_": (SIGNED * np.array([0, 1, 1]), lambda x, lib: x.logical_not_()),
    "bitwise_and_": (INTEGERS, lambda x, lib: x.bitwise_and_(lib.tensor([3, 1, 2]))),
    "bitwise_or_": (INTEGERS, lambda x, lib: x.bitwise_or_(lib.tensor([3, 1, 2]))),
    "bitwise_xor_": (INTEGERS, lambda x, lib: x.bitwise_xor_(6)),
    "bitwise_not_": (INTEGERS, lambda x, lib: x.bitwise_not_()),
    "bitwise_left_shift_": (INTEGERS, lambda x, lib: x.bitwise_left_shift_(lib.tensor([3, 70, -1]))),
    "bitwise_right_shift_": (INTEGERS, lambda x, lib: x.bitwise_right_shift_(2)),
    "bitwise_and_ bool": (INTEGERS > 2, lambda x, lib: x.bitwise_and_(lib.tensor([True, False, True]))),
    "bitwise_not_ bool": (INTEGERS > 2, lambda x, lib: x.bitwise_not_()),
    "eq_ integers": (INTEGERS, lambda x, lib: x.eq_(lib.tensor([1.0, 2.0, 3.0]))),
    "logical_not_ integers": (INTEGERS - 2, lambda x, lib: x.logical_not_()),
    "cumsum_ integers": (INTEGERS, lambda x, lib: x.cumsum_(0)),
    "floor_divide_ integers": (INTEGERS, lambda x, lib: x.floor_divide_(2)),
    "remainder_ integers": (INTEGERS, lambda x, lib: x.remainder_(lib.tensor([-3, 4, 2]))),
    "divide_ integers trunc": (INTEGERS, lambda x, lib: x.divide_(-4, rounding_mode="trunc")),
    "fix_ integers": (INTEGERS, lambda x, lib: x.fix_()),
    "tril_ integers": (INTEGERS, lambda x, lib: x.tril_()),
    "fill_diagonal_": (np.zeros((3, 3)), lambda x, lib: x.fill_diagonal_(5.0)),
    "fill_diagonal_ wrap": (np.zeros((7, 3)), lambda x, lib: x.fill_diagonal_(-1.5, wrap=True)),
    "fill_diagonal_ tall": (np.zeros((7, 3)), lambda x, lib: x.fill_diagonal_(2.0)),
    "fill_diagonal_ cube": (np.zeros((2, 2, 2)), lambda x, lib: x.fill_diagonal_(lib.tensor(3.0))),
    "fill_diagonal_ integers": (np.zeros((2, 3), dtype=np.int64), lambda x, lib: x.fill_diagonal_(2.7)),
}
FLOATING = [name for name, (values, _) in CASES.items() if np.asarray(values).dtype.kind == "f"]
OTHERS = [name for name in CASES if name not in FLOATING]


def _compared(name, dtype):
    values, call = CASES[name]
    values = np.asarray(values, dtype=dtype)
    x, t = dp.tensor(values, dtype=dtype), torch.tensor(values, dtype=TORCH_DTYPES[dtype])
    memory = x.data
    assert call(x, dp) is x
    assert call(t, torch) is t
    assert x.data is memory and x.dtype == np.dtype(dtype) and t.dtype == TORCH_DTYPES[dtype]
    return x, t


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", FLOATING)
def test_in_place_forms_of_float_tensors_change_them_as_pytorchs_do(name, dtype):
    x, t = _compared(name, dtype)
    tolerance = TOLERANCES[dtype]
    if name.startswith("polygamma_") and dtype == np.float64:  # PyTorch's own is good to ~1e-10: its ψ'(2) is
        tolerance = dict(rtol=1e-9)                             # 0.64493406709 where π²/6 − 1 = 0.64493406685
    np.testing.assert_allclose(x.data, t.numpy(), **tolerance)


@pytest.mark.parametrize("name", OTHERS)
def test_in_place_forms_of_integer_and_boolean_tensors_change_them_as_pytorchs_do(name):
    values = np.asarray(CASES[name][0])
    x, t = _compared(name, values.dtype.type)
    np.testing.assert_array_equal(x.data, t.numpy())


def test_every_in_place_form_of_the_table_is_compared():
    tensor_module = importlib.import_module("deltaprop.tensor")  # (deltaprop.tensor is also the function)
    table = {name + "_" for name in tensor_module._IN_PLACE + tensor_module._IN_PLACE_WITHOUT_GRADIENT}
    compared = {case.split()[0] for case in CASES}
    assert sorted(table - compared) == []


def test_the_in_place_forms_show_their_methods_arguments():
    assert list(inspect.signature(dp.Tensor.addmm_).parameters) == ["self", "mat1", "mat2", "beta", "alpha"]
    assert list(inspect.signature(dp.Tensor.logit_).parameters) == ["self", "eps"]
    assert dp.Tensor.cumsum_.__name__ == "cumsum_" and ":meth:`cumsum`" in dp.Tensor.cumsum_.__doc__


@pytest.mark.parametrize("name, values, arguments", [("fix", SIGNED * 0.7, ()), ("logit", UNIT, ()),
                                                     ("logit", UNIT, (0.25,)), ("i0", SIGNED, ())])
def test_the_methods_added_for_their_in_place_forms_have_pytorchs_values_and_gradients(name, values, arguments):
    x, t = dp.tensor(values, dtype=dp.float64, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, ty = getattr(x, name)(*arguments), getattr(t, name)(*arguments)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12)
    g = np.linspace(-1.0, 2.0, values.size).reshape(values.shape)
    y.backward(g)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_a_view_changed_in_place_changes_its_base_as_in_pytorch():
    x, t = dp.tensor(SIGNED), torch.tensor(SIGNED, dtype=torch.float32)
    x[1].sin_().ge_(0.0)
    t[1].sin_().ge_(0.0)
    x.t().tril_()
    t.t().tril_()
    np.testing.assert_allclose(x.data, t.numpy(), rtol=1e-6)


# -- refusals --------------------------------------------------------------------------------------

FLOATING_RESULTS = {  # of an integer tensor: refused by both (PyTorch: "result type Float can't be cast")
    "acos_": (), "sin_": (), "rsqrt_": (), "erfinv_": (), "logit_": (), "i0_": (), "sinc_": (), "digamma_": (),
    "polygamma_": (1,), "atan2_": ("integers",), "xlogy_": (3,), "true_divide_": (2,), "divide_": (2,),
    "fmod_": (2.5,), "copysign_": (-1,), "exp2_": (),
}
FLOATING_ONLY = {"hypot_": ("integers",), "frac_": ()}  # (refused for integers whatever the result, as PyTorch's)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # (NumPy's acos of 5, computed, then refused)
@pytest.mark.parametrize("name", list(FLOATING_RESULTS) + list(FLOATING_ONLY))
def test_an_integer_tensor_refuses_a_floating_result_as_pytorch_does(name):
    def call(lib, x):
        arguments = FLOATING_RESULTS.get(name, FLOATING_ONLY.get(name))
        return getattr(x, name)(*(lib.tensor([2, 2, 2]) if a == "integers" else a for a in arguments))

    x, t = dp.tensor(INTEGERS), torch.tensor(INTEGERS)
    message = ("a int64 tensor cannot take in place its float32 result" if name in FLOATING_RESULTS
               else "not implemented for int64 tensors")
    with pytest.raises(TypeError, match=rf"{name[:-1]}_?: {message}"):
        call(dp, x)
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long|not implemented for 'Long'"):
        call(torch, t)
    np.testing.assert_array_equal(x.data, INTEGERS)


def test_a_boolean_tensor_refuses_an_integer_result_as_pytorch_does():
    with pytest.raises(TypeError, match="cumsum_: a bool tensor cannot take in place its int64 result"):
        dp.tensor([True, False]).cumsum_(0)
    with pytest.raises((RuntimeError, NotImplementedError)):
        torch.tensor([True, False]).cumsum_(0)


@pytest.mark.parametrize("name", ["eq_", "hypot_", "logical_or_", "lerp_"])
def test_an_operand_that_would_grow_the_tensor_is_refused_as_pytorch_refuses_it(name):
    other = SIGNED[:, :1, None] * np.ones((1, 3))  # (2, 1, 3): broadcasts the (2, 3) tensor up to (2, 2, 3)
    arguments = {"lerp_": (0.5,)}.get(name, ())
    with pytest.raises(ShapeError, match=rf"{name}: the result has shape \(2, 2, 3\), the tensor \(2, 3\)"):
        getattr(dp.tensor(SIGNED), name)(dp.tensor(other), *arguments)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        getattr(torch.tensor(SIGNED), name)(torch.tensor(other), *arguments)


def test_addmm_refuses_a_tensor_of_another_shape_than_the_product_as_pytorch_does():
    with pytest.raises(ShapeError, match=r"addmm_: the result has shape \(2, 2\), the tensor \(1, 2\)"):
        dp.ones(1, 2).addmm_(dp.ones(2, 3), dp.ones(3, 2))
    with pytest.raises(RuntimeError, match="should match"):
        torch.ones(1, 2).addmm_(torch.ones(2, 3), torch.ones(3, 2))


@pytest.mark.parametrize("name, arguments", [("sin_", ()), ("eq_", (2.0,)), ("cumsum_", (0,)), ("tril_", ()),
                                             ("addcmul_", "tensors"), ("fill_diagonal_", (1.0,))])
def test_a_leaf_that_requires_grad_is_refused_as_pytorch_refuses_it(name, arguments):
    def call(lib, requires_grad):
        x = lib.tensor(SIGNED, requires_grad=requires_grad)
        given = (lib.ones(2, 3), lib.ones(2, 3)) if arguments == "tensors" else arguments
        return getattr(x, name)(*given)

    with pytest.raises(GradError, match=f"{name}: a leaf tensor that requires grad cannot be changed in place"):
        call(dp, True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        call(torch, True)
    with dp.no_grad():  # an update of a parameter, as an optimizer makes one
        weight = dp.nn.Parameter(dp.tensor(SIGNED))
        assert getattr(weight, name)(*((dp.ones(2, 3),) * 2 if arguments == "tensors" else arguments)) is weight
    assert weight.requires_grad and weight.is_leaf


def test_a_value_written_that_requires_grad_is_recorded_as_pytorch_records_it():
    for change in (lambda x, lib, other: x.hypot_(other), lambda x, lib, other: x.lerp_(lib.zeros(3, dtype=lib.float64), other)):
        found = []
        for lib in (dp, torch):
            x, other = lib.tensor(SIGNED, dtype=lib.float64), lib.tensor(ROW, dtype=lib.float64, requires_grad=True)
            memory = x.data if lib is dp else x.data_ptr()
            assert change(x, lib, other) is x
            assert x.requires_grad and x.grad_fn is not None and not x.is_leaf
            assert x.data is memory if lib is dp else x.data_ptr() == memory
            (x * x).sum().backward()
            found.append((as_array(other.grad), as_array(x)))
        np.testing.assert_allclose(found[0][0], found[1][0], rtol=1e-12)
        np.testing.assert_allclose(found[0][1], found[1][1], rtol=1e-12)


def test_a_compared_value_that_requires_grad_leaves_the_tensor_out_of_the_graph():
    # A comparison passes no gradient (PyTorch's records one of zeros), so both take an operand that
    # requires grad; deltaprop's tensor stays out of the graph.
    x, other = dp.tensor(SIGNED), dp.tensor(ROW, requires_grad=True)
    t = torch.tensor(SIGNED, dtype=torch.float32)
    assert x.lt_(other) is x and not x.requires_grad
    t.lt_(torch.tensor(ROW, dtype=torch.float32, requires_grad=True))
    np.testing.assert_array_equal(x.data, t.detach().numpy())


def test_backward_through_a_rule_whose_saved_input_changed_in_place_is_refused_as_in_pytorch():
    w, x = dp.tensor(ROW, requires_grad=True), dp.tensor(UNIT[0])
    tw, tx = torch.tensor(ROW, requires_grad=True), torch.tensor(UNIT[0])
    y, ty = (w * x).sum(), (tw * tx).sum()
    x.atanh_()
    tx.atanh_()
    with pytest.raises(GradError, match="changed in place"):
        y.backward()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.backward()


# -- torch.name_(input, ...) -----------------------------------------------------------------------

FUNCTIONS = {
    "abs_": (SIGNED, ()), "neg_": (SIGNED, ()), "negative_": (SIGNED, ()), "clamp_": (SIGNED, (-1.0, 2.0)),
    "clip_": (SIGNED, (None, 2.0)), "clamp_min_": (SIGNED, (0.5,)), "clamp_max_": (SIGNED, (0.5,)),
    "fill_": (SIGNED, (3.0,)), "zero_": (SIGNED, ()), "detach_": (SIGNED, ()),
    "exp_": (SMALL, ()), "exp2_": (SIGNED, ()), "expm1_": (SMALL, ()), "log_": (BIG, ()), "log2_": (BIG, ()),
    "log10_": (BIG, ()), "log1p_": (UNIT, ()), "sqrt_": (BIG, ()), "rsqrt_": (BIG, ()), "square_": (SIGNED, ()),
    "reciprocal_": (SIGNED, ()), "sin_": (SIGNED, ()), "cos_": (SIGNED, ()), "tan_": (SMALL, ()), "asin_": (UNIT, ()),
    "acos_": (UNIT, ()), "atan_": (SIGNED, ()), "sinh_": (SMALL, ()), "cosh_": (SMALL, ()), "asinh_": (SIGNED, ()),
    "acosh_": (BIG, ()), "atanh_": (UNIT, ()), "sinc_": (SMALL, ()), "arcsin_": (UNIT, ()), "arccos_": (UNIT, ()),
    "arctan_": (SIGNED, ()), "arcsinh_": (SIGNED, ()), "arccosh_": (BIG, ()), "arctanh_": (UNIT, ()),
    "sigmoid_": (SIGNED, ()), "tanh_": (SMALL, ()), "floor_": (SIGNED * 0.7, ()), "ceil_": (SIGNED * 0.7, ()),
    "round_": (SIGNED * 0.7, ()), "trunc_": (SIGNED * 0.7, ()), "fix_": (SIGNED * 0.7, ()), "frac_": (SIGNED * 0.7, ()),
    "erf_": (SMALL, ()), "erfc_": (SMALL, ()), "i0_": (SIGNED, ()), "logit_": (UNIT, (0.25,)),
    "nan_to_num_": (np.array([np.nan, np.inf, -1.0]), (2.0,)), "xlogy_": (UNIT, (3.0,)),
    "addmv_": (ROW[:2], ("matrix", "vector")), "relu_": (SIGNED, ()), "selu_": (SMALL, ()), "celu_": (SMALL, (2.0,)),
    "threshold_": (SIGNED, (1.5, -1.0)), "rrelu_": (SIGNED, (0.1, 0.3, False)),
    "dropout_": (SIGNED, (0.5, False)), "alpha_dropout_": (SIGNED, (0.5, False)),
    "feature_alpha_dropout_": (SIGNED, (0.5, False)), "feature_dropout_": (SIGNED, (0.5, False)),
    "deg2rad_": (SIGNED, ()), "rad2deg_": (SIGNED, ()), "ldexp_": (SIGNED, ("exponents",)),
}


def _arguments(lib, arguments):
    named = {"matrix": lib.tensor(SIGNED), "vector": lib.tensor(ROW), "exponents": lib.tensor(INTEGERS - 3)}
    return tuple(named.get(a, a) if isinstance(a, str) else a for a in arguments)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_the_function_forms_change_their_input_as_pytorchs_do(name):
    values, arguments = FUNCTIONS[name]
    x, t = dp.tensor(values, dtype=dp.float64), torch.tensor(values)
    assert getattr(dp, name)(x, *_arguments(dp, arguments)) is x
    assert getattr(torch, name)(t, *_arguments(torch, arguments)) is t
    assert name in dp.__all__ and x.dtype == np.float64
    np.testing.assert_allclose(x.data, t.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["gcd_", "lcm_"])
def test_the_integer_function_forms_change_their_input_as_pytorchs_do(name):
    x, t = dp.tensor(INTEGERS), torch.tensor(INTEGERS)
    assert getattr(dp, name)(x, dp.tensor(INTEGERS[::-1].copy())) is x
    assert getattr(torch, name)(t, torch.tensor(INTEGERS[::-1].copy())) is t
    assert name in dp.__all__ and x.dtype == np.int64
    np.testing.assert_array_equal(x.data, t.numpy())


def test_the_function_forms_take_the_methods_keywords():
    x, t = dp.tensor(SIGNED), torch.tensor(SIGNED, dtype=torch.float32)
    dp.clamp_(x, min=0.0)
    torch.clamp_(t, min=0.0)
    dp.round_(x, decimals=1)
    torch.round_(t, decimals=1)
    np.testing.assert_allclose(x.data, t.numpy())


@pytest.mark.parametrize("name", ["dropout_", "alpha_dropout_", "feature_alpha_dropout_", "feature_dropout_"])
def test_the_dropouts_in_place_draw_a_mask_in_training(name):
    dp.manual_seed(0)
    x = dp.ones(4, 50, dtype=dp.float64)
    assert getattr(dp, name)(x, 0.5, True) is x
    t = getattr(torch, name)(torch.ones(4, 50, dtype=torch.float64), 0.5, True)
    # the values each may take are PyTorch's (the masks are the library's own draws)
    assert set(np.unique(x.data).round(6)) == set(np.unique(t.numpy()).round(6))
    with pytest.raises(TypeError):  # train has no default, as in PyTorch
        getattr(dp, name)(x, 0.5)
    with pytest.raises(TypeError):
        getattr(torch, name)(t, 0.5)


def test_the_function_forms_refuse_what_is_not_a_tensor_as_pytorch_does():
    with pytest.raises(TypeError, match="abs_: expects a deltaprop tensor to change in place, got list"):
        dp.abs_([1.0, -1.0])
    with pytest.raises(TypeError, match="dropout_: expects a deltaprop tensor to change in place, got ndarray"):
        dp.dropout_(np.ones(3), 0.5, True)
    with pytest.raises(TypeError):
        torch.abs_([1.0, -1.0])
    with pytest.raises(GradError, match="sin_: a leaf tensor that requires grad cannot be changed in place"):
        dp.sin_(dp.ones(2, requires_grad=True))


# -- nothing forgotten -----------------------------------------------------------------------------

# The in-place names of torch.Tensor that deltaprop leaves out on purpose, each with its reason. Once
# the operation a name computes exists in deltaprop (``name`` without its "_"), the name leaves this
# list (test_an_omission_whose_operation_exists_is_an_omission_no_longer): its in-place form is a line
# in tensor._IN_PLACE.
TENSOR_OMISSIONS = {
    # complex numbers (deltaprop's tensors hold real numbers and booleans)
    "conj_physical_",
    # sparse tensors' storage (deltaprop.sparse is dense-backed)
    "resize_as_sparse_", "sparse_resize_", "sparse_resize_and_clear_",
}
# The in-place functions of torch that deltaprop leaves out on purpose.
FUNCTION_OMISSIONS = {
    "conj_physical_", "resize_as_sparse_",
}


def _in_place_names(namespace) -> set:
    return {name for name in dir(namespace) if name.endswith("_") and not name.startswith("_")}


def test_every_in_place_method_of_pytorch_is_here_but_the_omissions():
    assert sorted(_in_place_names(torch.Tensor) - TENSOR_OMISSIONS - set(dir(dp.Tensor))) == []
    assert TENSOR_OMISSIONS <= _in_place_names(torch.Tensor)  # (no stale entry)


def test_every_in_place_function_of_pytorch_is_here_but_the_omissions():
    assert sorted(_in_place_names(torch) - FUNCTION_OMISSIONS - set(dir(dp))) == []
    assert FUNCTION_OMISSIONS <= _in_place_names(torch)


def test_an_omission_whose_operation_exists_is_an_omission_no_longer():
    assert sorted(name for name in TENSOR_OMISSIONS if hasattr(dp.Tensor, name[:-1]) or hasattr(dp.Tensor, name)) == []
    assert sorted(name for name in FUNCTION_OMISSIONS if hasattr(dp, name[:-1]) or hasattr(dp, name)) == []


# -- x //= y, x %= y, x &= y, x |= y, x ^= y --------------------------------------------------------

AUGMENTED = {
    "//= integers": (INTEGERS, lambda x, lib: x.__ifloordiv__(lib.tensor([2, -3, 4]))),
    "//= floats": (SIGNED, lambda x, lib: x.__ifloordiv__(1.5)),
    "%= integers": (INTEGERS, lambda x, lib: x.__imod__(-4)),
    "%= floats": (SIGNED, lambda x, lib: x.__imod__(_t(lib, ROW, x))),
    "&= booleans": (INTEGERS > 2, lambda x, lib: x.__iand__(lib.tensor([True, False, True]))),
    "|= integers": (INTEGERS, lambda x, lib: x.__ior__(8)),
    "^= integers": (INTEGERS, lambda x, lib: x.__ixor__(lib.tensor([[1], [7]]))),
}


@pytest.mark.parametrize("name", list(AUGMENTED))
def test_the_augmented_operators_change_the_tensor_in_place_as_pytorchs_do(name):
    values, call = AUGMENTED[name]
    values = values.astype(np.float32) if values.dtype.kind == "f" else values
    x, t = dp.tensor(values, dtype=values.dtype), torch.tensor(values)
    alias, talias, memory = x, t, x.data
    assert call(x, dp) is alias and call(t, torch) is talias
    assert x.data is memory and x.dtype == values.dtype and str(t.dtype) == f"torch.{values.dtype}"
    np.testing.assert_allclose(x.data, t.numpy(), rtol=1e-6)


def test_the_augmented_operators_refuse_what_pytorch_refuses():
    x, t = dp.tensor(INTEGERS), torch.tensor(INTEGERS)
    with pytest.raises(TypeError, match=r"//=: a int64 tensor cannot take in place its float32 result; make a new "
                                        r"tensor instead \(y = x // \.\.\.\)"):
        x //= 2.5
    with pytest.raises(RuntimeError, match="can't be cast"):
        t //= 2.5
    with pytest.raises(ShapeError, match=r"\^=: the result has shape \(2, 2, 3\), the tensor \(2, 3\)"):
        x ^= dp.tensor(np.ones((2, 1, 3), dtype=np.int64))
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        t ^= torch.ones((2, 1, 3), dtype=torch.int64)
    flags, tflags = dp.tensor([True, False]), torch.tensor([True, False])
    with pytest.raises(TypeError, match=r"\|=: a bool tensor cannot take in place its int64 result"):
        flags |= 2
    with pytest.raises(RuntimeError, match="can't be cast"):
        tflags |= 2
    np.testing.assert_array_equal(x.data, INTEGERS)
    leaf, tleaf = dp.tensor(SIGNED, requires_grad=True), torch.tensor(SIGNED, requires_grad=True)
    with pytest.raises(GradError, match="%=: a leaf tensor that requires grad cannot be changed in place"):
        leaf %= 2.0
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        tleaf %= 2.0


def test_an_augmented_operator_on_a_recorded_tensor_changes_it_in_place_as_pytorch_does():
    w = dp.tensor(SIGNED, dtype=dp.float64, requires_grad=True)
    tw = torch.tensor(SIGNED, requires_grad=True)
    x, tx = w * 3.0, tw * 3.0
    before, memory = x, x.data
    x %= 2.0
    tx %= 2.0
    assert x is before and x.data is memory and x.grad_fn.name() == "RemainderBackward0"
    np.testing.assert_allclose(x.data, tx.detach().numpy(), rtol=1e-12)
    x.sum().backward()
    tx.sum().backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-12)


def test_every_augmented_operator_of_pytorch_is_here_but_the_shifts():
    augmented = {f"__i{name}__" for name in ("add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "pow",
                                             "lshift", "rshift", "and", "or", "xor", "div")}
    omitted = {"__ilshift__", "__irshift__",  # (deltaprop has no shifts, << and >>)
               "__idiv__"}  # (Python 2's name of /=)
    theirs = {name for name in augmented if hasattr(torch.Tensor, name)}
    assert omitted <= theirs and sorted(theirs - omitted - set(dir(dp.Tensor))) == []
