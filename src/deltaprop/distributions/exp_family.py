"""The base of the exponential families, densities p(x) = e^(⟨θ, T(x)⟩ − F(θ) + k(x)) in natural
parameters θ, log normaliser F and carrier measure k (PyTorch's ``ExponentialFamily``).

A family says what θ is (``_natural_params``, a tuple of tensors), what F is (``_log_normalizer``,
written with deltaprop's operations) and E[k(X)] (``_mean_carrier_measure``). The rest follows from
F alone, through the gradient ∇F(θ) = E[T(X)]:

* the entropy is F(θ) − ⟨θ, ∇F(θ)⟩ − E[k(X)];
* KL(p ‖ q) between two members of one family is the Bregman divergence of F,
  F(θq) − F(θp) − ⟨θq − θp, ∇F(θp)⟩ (filed in kl_added.py).

∇F comes from ``autograd.grad`` with ``create_graph``, so both stay differentiable: with respect to
the parameters (where PyTorch's base cuts them off) and again for second derivatives.
"""

from __future__ import annotations

from .distribution import Distribution
from ..grad_mode import enable_grad


class ExponentialFamily(Distribution):
    """A distribution of an exponential family; a subclass gives ``_natural_params``,
    ``_log_normalizer`` and ``_mean_carrier_measure``, and gets ``entropy`` from them."""

    @property
    def _natural_params(self) -> tuple:
        """θ, the natural parameters, as a tuple of tensors of the batch's shape and their own tail."""
        raise NotImplementedError(f"{type(self).__name__} does not define _natural_params")

    def _log_normalizer(self, *natural_params):
        """F(θ), one per element of the batch: the logarithm of ∫ e^(⟨θ, T(x)⟩ + k(x)) dx."""
        raise NotImplementedError(f"{type(self).__name__} does not define _log_normalizer")

    @property
    def _mean_carrier_measure(self):
        """E[k(X)], the expected carrier measure (a number or one per element of the batch)."""
        raise NotImplementedError(f"{type(self).__name__} does not define _mean_carrier_measure")

    def _normalizer_and_gradient(self) -> tuple:
        """(θ, F(θ), ∇F(θ)), the gradient a tensor of the graph (differentiable again)."""
        from ..autograd.gradients import grad

        with enable_grad():
            theta = tuple(t if t.requires_grad else t.detach().requires_grad_() for t in self._natural_params)
            normalizer = self._log_normalizer(*theta)
            gradients = grad(normalizer.sum(), theta, create_graph=True, allow_unused=True, materialize_grads=True)
        return theta, normalizer, gradients

    def entropy(self):
        """F(θ) − ⟨θ, ∇F(θ)⟩ − E[k(X)], one per element of the batch."""
        if type(self)._natural_params is ExponentialFamily._natural_params:  # (a family that gives no θ)
            return super().entropy()
        theta, normalizer, gradients = self._normalizer_and_gradient()
        result = normalizer - self._mean_carrier_measure
        for t, g in zip(theta, gradients):
            result = result - inner(t, g, len(self._batch_shape))
        return result


def inner(a, b, batch_dims: int):
    """⟨a, b⟩ over every dimension after the first ``batch_dims`` (a and b of one shape)."""
    product = a * b
    return product.reshape(*product.shape[:batch_dims], -1).sum(-1)
