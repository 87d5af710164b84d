"""Small PyTorch-parity edges that need no reference framework: how a 0-d result of all()/any()
reads as a Python truth value, the dtypes of creation functions under the default dtype, and the
sentences of the errors."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp


# -- all() and any() give a 0-d boolean tensor, which still reads as a truth value ---------------

def test_all_and_any_of_the_whole_tensor_are_0d_boolean_tensors():
    x = dp.tensor([[1.0, 0.0], [2.0, 3.0]])
    for result, expected in [(x.all(), False), (x.any(), True), (dp.all(x > -1), True), (dp.any(x > 5), False)]:
        assert isinstance(result, dp.Tensor) and result.shape == () and result.dtype == np.bool_
        assert result.item() is expected


def test_a_0d_truth_result_reads_as_a_python_bool():
    yes, no = dp.tensor([1, 2]).all(), dp.tensor([0, 0]).any()
    assert bool(yes) is True and bool(no) is False
    assert (not yes) is False and (not no) is True
    assert (yes and "then") == "then" and (no or "else") == "else"
    assert yes  # assert reads it too
    taken = []
    if yes:
        taken.append("all")
    if no:
        taken.append("any")
    assert taken == ["all"]


def test_all_along_a_dim_of_an_empty_axis_is_true():
    result = dp.zeros((0, 3)).all(dim=0)
    assert result.dtype == np.bool_ and result.data.tolist() == [True, True, True]


# -- creation ------------------------------------------------------------------------------------

@pytest.mark.parametrize("fill, dtype", [(3, np.int64), (True, np.bool_), (np.int8(2), np.int64), (2.5, np.float32)])
def test_full_takes_the_kind_of_its_fill_value(fill, dtype):
    made = dp.full((2, 2), fill)
    assert made.dtype == dtype and made.data.tolist() == [[fill] * 2] * 2


def test_logspace_spaces_the_exponents_evenly():
    np.testing.assert_allclose(dp.logspace(-1, 2, 4, dtype=np.float64).data, [0.1, 1.0, 10.0, 100.0], rtol=1e-15)
    np.testing.assert_allclose(dp.logspace(0, 3, 4, base=2).data, [1.0, 2.0, 4.0, 8.0], rtol=1e-7)
    with pytest.raises(dp.errors.ConfigError, match="logspace: steps must be a non-negative integer, got -1"):
        dp.logspace(0, 1, -1)


# -- losses of two dtypes, where PyTorch has no answer to match ------------------------------------

def test_binary_cross_entropy_of_two_float_dtypes_computes_in_the_wider():
    # PyTorch refuses two dtypes here ("Found dtype Double but expected Float")
    p = dp.tensor([0.2, 0.7], requires_grad=True)
    y = dp.tensor([0.0, 1.0], dtype=np.float64)
    loss = dp.nn.functional.binary_cross_entropy(p, y)
    assert loss.dtype == np.float64
    p32, q32 = np.float64(np.float32(0.2)), np.float64(np.float32(0.7))  # the input's values, in float64
    np.testing.assert_allclose(loss.item(), -(np.log1p(-p32) + np.log(q32)) / 2, rtol=1e-12)
    loss.backward()
    assert p.grad.dtype == np.float32


def test_binary_cross_entropy_with_logits_keeps_a_float64_input_in_float64():
    # PyTorch gives the target's float32 here (it computes in a float32 buffer), a silent loss of precision
    z = dp.tensor([0.3, -1.2], dtype=np.float64)
    loss = dp.nn.functional.binary_cross_entropy_with_logits(z, dp.tensor([1.0, 0.0]))
    assert loss.dtype == np.float64
    expected = (np.log1p(np.exp(-0.3)) + np.log1p(np.exp(-1.2))) / 2
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-14)


def test_a_target_array_or_number_takes_the_losss_dtype_where_a_tensor_promotes():
    x = dp.tensor([0.5, -1.5], requires_grad=True)
    assert dp.nn.functional.mse_loss(x, dp.tensor([0.0, 1.0], dtype=np.float64)).dtype == np.float64
    # PyTorch's losses take tensors only; a float64 NumPy array (or a number) is data for a float32 loss
    assert dp.nn.functional.mse_loss(x, np.array([0.0, 1.0])).dtype == np.float32
    assert dp.nn.functional.cross_entropy(x[None], np.array([[0.2, 0.8]])).dtype == np.float32
    assert dp.nn.functional.poisson_nll_loss(x, 2.0).dtype == np.float32
    assert dp.nn.functional.gaussian_nll_loss(x, dp.tensor([0.0, 0.0]), 0.5).dtype == np.float32
