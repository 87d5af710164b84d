"""The stochastic solvers, each an ``optim.Optimizer`` stepping the network's one flat array.

'sgd' and 'adam' follow scikit-learn's update equations, which differ from PyTorch's in small
ways that change the trajectory (where the velocity carries the learning rate, where Adam's ε
sits), so that a fit here follows the same path as the same fit in scikit-learn. 'adamw' and
'rmsprop', which scikit-learn lacks, are the library's own :class:`~deltaprop.optim.AdamW` and
:class:`~deltaprop.optim.RMSprop`.

Every optimizer here keeps its state in ``state_dict()`` form between calls of ``partial_fit``,
so a pickled estimator resumes exactly where it stopped.
"""

from __future__ import annotations

import math

import numpy as np

from ..nn.module import Parameter
from ..optim import AdamW, Optimizer, RMSprop


class SklearnSGD(Optimizer):
    """Stochastic gradient descent with momentum, in scikit-learn's form.

    For the parameters θ with gradient g (learning rate γ, momentum μ)::

        v ← μ·v − γ·g
        θ ← θ + μ·v − γ·g        with Nesterov's momentum
        θ ← θ + v                otherwise

    With a constant γ this is PyTorch's SGD (v = −γ·b). They part once γ changes, as it does with
    learning_rate='adaptive' or 'invscaling': here the velocity keeps the steps already taken at
    the old rate. The state of a parameter is its ``velocity`` v, zero at the start.
    """

    def __init__(self, params, lr: float, momentum: float = 0.9, nesterov: bool = True):
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov))

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, momentum, nesterov = float(group["lr"]), float(group["momentum"]), group["nesterov"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                x = p.data
                state = self.state.setdefault(p, {"velocity": np.zeros_like(x)})
                v = state["velocity"]
                step = p.grad * lr  # γ·g, the one temporary of the plain update
                v *= momentum
                v -= step  # v ← μv − γg
                if nesterov:
                    ahead = v * momentum
                    ahead -= step
                    x += ahead  # θ ← θ + μv − γg
                else:
                    x += v
        return loss


class SklearnAdam(Optimizer):
    """Adam in scikit-learn's form (Kingma & Ba's own).

    For the parameters θ with gradient g, at step t = 1, 2, ... (learning rate γ, betas β₁ β₂)::

        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²
        θ ← θ − γ·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε)

    :class:`deltaprop.optim.Adam` adds ε to the bias-corrected √v̂ instead, which amounts to an ε
    larger by 1/√(1 − β₂ᵗ); the difference shows in the first steps and when gradients are tiny.
    The state of a parameter is ``step`` (t), ``exp_avg`` (m) and ``exp_avg_sq`` (v).
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps))

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = (float(beta) for beta in group["betas"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                g, x = p.grad, p.data
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {"step": 0, "exp_avg": np.zeros_like(x), "exp_avg_sq": np.zeros_like(x)}
                t = state["step"] = state["step"] + 1
                m, v = state["exp_avg"], state["exp_avg_sq"]
                scratch = g * (1 - beta1)
                m *= beta1
                m += scratch  # m ← β₁m + (1 − β₁)g
                np.multiply(g, g, out=scratch)
                scratch *= 1 - beta2
                v *= beta2
                v += scratch  # v ← β₂v + (1 − β₂)g²
                np.sqrt(v, out=scratch)
                scratch += eps
                np.divide(m, scratch, out=scratch)
                scratch *= lr * math.sqrt(1 - beta2**t) / (1 - beta1**t)
                x -= scratch
        return loss


def make_optimizer(solver: str, theta: np.ndarray, grad: np.ndarray, n_weights: int, estimator) -> Optimizer:
    """The optimizer for ``solver`` over the flat parameters ``theta`` with gradient array ``grad``.

    The settings are the ``estimator``'s parameters. For 'adamw', ``alpha`` is the decoupled weight
    decay λ of the weights (θ ← θ·(1 − γλ) every step), and the biases get none; the other solvers
    see the L2 penalty through the gradient, as scikit-learn's do.
    """
    lr = estimator.learning_rate_init
    betas = (estimator.beta_1, estimator.beta_2)
    if solver == "adamw":
        weights, biases = Parameter(theta[:n_weights]), Parameter(theta[n_weights:])
        weights.grad, biases.grad = grad[:n_weights], grad[n_weights:]
        groups = [{"params": [weights], "weight_decay": estimator.alpha}]
        if biases.data.size:
            groups.append({"params": [biases], "weight_decay": 0.0})
        return AdamW(groups, lr=lr, betas=betas, eps=estimator.epsilon)
    flat = Parameter(theta)
    flat.grad = grad
    if solver == "sgd":
        return SklearnSGD([flat], lr=lr, momentum=estimator.momentum, nesterov=estimator.nesterovs_momentum)
    if solver == "adam":
        return SklearnAdam([flat], lr=lr, betas=betas, eps=estimator.epsilon)
    # RMSprop's running mean of g² decays with beta_2, like Adam's second moment.
    return RMSprop([flat], lr=lr, alpha=estimator.beta_2, eps=estimator.epsilon)
