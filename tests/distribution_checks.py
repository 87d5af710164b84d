"""Checks shared by the tests of the transforms and of the families added with them: comparing a
result and its gradients with PyTorch's, gradchecks with the support checks off, and the
repetition of draws under ``manual_seed``."""

from __future__ import annotations

import numpy as np

import deltaprop as dp
import deltaprop.distributions as dd

TOLERANCES = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-5, atol=2e-6)}


def compare_with_pytorch(result, expected, ours: dict, theirs: dict, dtype: str, tolerance: dict | None = None):
    """``result`` (of ``dtype``) equals PyTorch's ``expected`` (cast to ``dtype`` where PyTorch computed
    in another); then the gradients of Σ g·result for one fixed g equal PyTorch's for every leaf of
    ``theirs`` that requires one (to ``tolerance``, else the dtype's)."""
    import torch

    tolerance = tolerance or TOLERANCES[dtype]
    assert result.dtype == np.dtype(dtype) and result.shape == tuple(expected.shape)
    if expected.dtype != getattr(torch, dtype):
        expected = expected.to(getattr(torch, dtype))
    np.testing.assert_allclose(result.data, expected.detach().numpy(), **tolerance)
    if not expected.requires_grad:
        assert not result.requires_grad
        return
    g = np.random.default_rng(1).standard_normal(result.shape).astype(dtype)
    result.backward(g)
    expected.backward(torch.tensor(g))
    for name, leaf in theirs.items():
        if not leaf.requires_grad:
            continue
        expected_grad = np.zeros(leaf.shape) if leaf.grad is None else leaf.grad.numpy()
        got = np.zeros(ours[name].shape) if ours[name].grad is None else ours[name].grad
        np.testing.assert_allclose(got, expected_grad, err_msg=f"the gradient of {name}", **tolerance)


def unvalidated_gradcheck(fn, inputs, check=dp.gradcheck):
    """``check(fn, inputs)`` with the distributions' checks off: a nudged count, shape or triangular
    factor can leave the support or the constraint, and is scored unvalidated."""
    dd.Distribution.set_default_validate_args(False)
    try:
        return check(fn, inputs)
    finally:
        dd.Distribution.set_default_validate_args(True)


def assert_draws_repeat_under_manual_seed(d) -> None:
    """Three float32 draws of ``d`` repeat under the same seed and differ under another."""
    dp.manual_seed(5)
    first = d.sample((3,)).data.copy()
    dp.manual_seed(5)
    again = d.sample((3,)).data
    dp.manual_seed(6)
    other = d.sample((3,)).data
    assert first.shape == (3,) + d.batch_shape + d.event_shape and first.dtype == np.float32
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def assert_draws_shaped_as_pytorchs(mine, reference, sample_shape) -> tuple:
    """``mine`` and PyTorch's ``reference`` (the same family and parameters) agree on batch and event
    shapes, on the shape and dtype of a draw of ``sample_shape`` (which carries no gradient), and on
    having ``rsample``, whose draw has the same shape. Returns the two ``sample`` draws."""
    assert (mine.batch_shape, mine.event_shape) == (tuple(reference.batch_shape), tuple(reference.event_shape))
    drawn, expected = mine.sample(sample_shape), reference.sample(sample_shape)
    assert drawn.shape == tuple(expected.shape) and str(drawn.dtype) == str(expected.dtype).replace("torch.", "")
    assert not drawn.requires_grad
    assert mine.has_rsample == reference.has_rsample
    if mine.has_rsample:
        again = mine.rsample(sample_shape)
        assert again.shape == tuple(reference.rsample(sample_shape).shape) and again.requires_grad
    return drawn, expected
