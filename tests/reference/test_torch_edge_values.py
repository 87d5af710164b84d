"""Gradients at the edge values where the chain rule alone gives 0·∞ or 0/0, against PyTorch.

Each case is a point where a formula meets a zero or a NaN (the standard deviation of a constant
slice, the maximum of a slice holding NaN, a zero base to a negative power). PyTorch picks a value
there; the same call here must give the same numbers, not a NaN that PyTorch does not give.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp

torch = pytest.importorskip("torch", reason="PyTorch is the reference for these edge values")


def _compare(call, x, torch_call=None, gradient=None, forward_warns=False):
    ours = dp.tensor(x, dtype=np.float64, requires_grad=True)
    theirs = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    with np.errstate(all="ignore" if forward_warns else "raise"):  # no warning from NumPy on the way
        result = call(ours)
    expected = (torch_call or call)(theirs)
    g = np.ones(result.shape) if gradient is None else gradient
    with np.errstate(all="raise"):
        result.backward(g)
    expected.backward(torch.tensor(g))
    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result.data, expected.detach().numpy(), rtol=1e-12, atol=1e-15, equal_nan=True)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-15, equal_nan=True)


CONSTANT = np.array([[2.0, 2.0, 2.0], [1.0, 3.0, 5.0]])


@pytest.mark.parametrize("call", [
    lambda t: t.std(),
    lambda t: t.std(dim=1),
    lambda t: t.std(dim=1, keepdim=True),
    lambda t: t.std(dim=1, unbiased=False),
    lambda t: t.std(dim=0, correction=0),
    lambda t: t[:, :1].std(dim=1, unbiased=False),  # one element, no correction: 0
], ids=["all", "dim", "keepdim", "biased", "correction0", "one-element"])
def test_std_of_a_constant_slice_has_gradient_zero_as_in_pytorch(call):
    # std = sqrt(var): the chain rule gives (1 / 2·0) · 0 = NaN for a constant row; PyTorch's
    # rule gives 0 there. One NaN gradient poisons every weight it reaches.
    _compare(call, CONSTANT)
    _compare(call, np.full((2, 3), 7.0))


def test_std_where_it_is_undefined_matches_pytorch():
    # one element with the default correction: NaN value and NaN gradient on both sides
    ours = dp.tensor([3.0], dtype=np.float64, requires_grad=True)
    theirs = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    with np.errstate(all="ignore"):
        result = ours.std()
        result.backward()
    with pytest.warns(UserWarning):
        expected = theirs.std()
    expected.backward()
    np.testing.assert_array_equal(result.data, expected.detach().numpy())
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def test_std_is_one_recorded_operation_that_refuses_a_changed_output():
    x = dp.tensor([1.0, 2.0, 4.0], requires_grad=True)
    s = x.std()
    assert s.grad_fn == "std"
    with dp.no_grad():
        s += 1.0
    with pytest.raises(dp.errors.GradError, match="output of 'std'"):
        s.backward()


@pytest.mark.parametrize("call, torch_call", [
    (lambda t: t.max(), None),
    (lambda t: t.min(), None),
    (lambda t: t.max(axis=1), lambda t: t.amax(dim=1)),  # NaN gradients along an axis, on both sides
    (lambda t: t.min(axis=0, keepdims=True), lambda t: t.amin(dim=0, keepdim=True)),
    (lambda t: t.max(dim=1).values, lambda t: t.max(dim=1).values),  # to the NaN that argmax names
], ids=["max", "min", "amax-dim", "amin-dim-keepdim", "max-values-indices"])
def test_the_gradient_of_a_maximum_that_is_nan_is_pytorchs(call, torch_call):
    # The maximum of all elements is NaN when one is; its gradient went to no element and came out
    # 0/0 = NaN for every element. PyTorch's max() sends it to the NaN elements.
    x = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 5.0], [np.nan, 0.0, np.nan]])
    _compare(call, x, torch_call)


def test_the_exponent_gradient_at_a_zero_base_matches_pytorch():
    # d(a^b)/db = a^b·ln a: at a = 0 it is 0 for b > 0 (the limit, taken already) and
    # ∞·(−∞) = −∞ for b < 0, where the rule gave NaN.
    b = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
    # (the forward's 0^−1 = ∞ is NumPy's division by zero: its warning is NumPy's own)
    _compare(lambda t: 0.0 ** t, b, forward_warns=True)
    _compare(lambda t: dp.tensor(np.zeros(7), dtype=np.float64) ** t,
             b, torch_call=lambda t: torch.zeros(7, dtype=torch.float64) ** t, forward_warns=True)
    _compare(lambda t: dp.tensor([-2.0, 0.0, 3.0], dtype=np.float64) ** t[:3],  # ln of a negative: NaN
             b, torch_call=lambda t: torch.tensor([-2.0, 0.0, 3.0], dtype=torch.float64) ** t[:3], forward_warns=True)
