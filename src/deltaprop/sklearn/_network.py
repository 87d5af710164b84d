"""The perceptron behind the estimators: every weight in one flat array, a forward pass that records.

Layer ``i`` has a weight of shape (out, in), as ``nn.Linear`` keeps it, and a bias; all weights and
then all biases are views into one flat array ``theta``, and their gradients are gathered into one
flat array ``grad`` after each backward pass. The flat layout is what makes the estimators fast:
an optimizer step is a handful of NumPy calls over one array instead of a handful per layer, the
L2 penalty is one dot product over ``theta[:n_weights]``, and L-BFGS gets its parameter vector
without packing or unpacking.

The forward pass uses the library's fused primitives (``ops.linear``, ``cross_entropy``,
``binary_cross_entropy_with_logits``, ...), so the gradients come from their rules and the
estimators hold no backpropagation code of their own. scikit-learn's ``coefs_[i]`` is the (in, out)
matrix, i.e. ``weight.T``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.sparse as sp
from scipy.special import xlogy

from .. import nn, ops
from ..grad_mode import no_grad
from ..nn.module import Parameter
from ..ops._core import mm, operand, record
from ..ops.loss.classification import cross_entropy_with_values, logistic_loss_with_values


def _identity(x):
    return x


@dataclass(frozen=True)
class Activation:
    """A hidden-layer nonlinearity: the primitive, the layer that ``to_deltaprop`` uses, and the
    Glorot factor of scikit-learn's initialisation (2 for the logistic function, 6 otherwise)."""

    function: Callable
    module: Callable[[], nn.Module]
    glorot_factor: float = 6.0


ACTIVATIONS = {
    "identity": Activation(_identity, nn.Identity),
    "logistic": Activation(ops.sigmoid, nn.Sigmoid, 2.0),
    "tanh": Activation(ops.tanh, nn.Tanh),
    "relu": Activation(ops.relu, nn.ReLU),
    "leaky_relu": Activation(ops.leaky_relu, nn.LeakyReLU),  # negative slope 0.01, as nn.LeakyReLU
    "gelu": Activation(ops.gelu, nn.GELU),  # the exact x·Φ(x)
}


def sparse_linear(x, weight, bias):
    """x·Wᵀ + b for a SciPy sparse (CSR) ``x``: the first layer when the data is sparse.

    ``x`` is data, so only ∂E/∂W = (xᵀ·δ)ᵀ and ∂E/∂b = Σ δ are needed; both products stay sparse
    times dense, and the input is never densified.
    """
    out = np.asarray(x @ weight.data.T)
    out += bias.data

    def backward(g):
        return np.asarray(x.T @ g).T, g.sum(axis=0)

    return record(out, (weight, bias), backward, "sparse_linear")


# -- output errors -------------------------------------------------------------------------------
#
# Each takes the raw output z, the prepared target, per-sample weights w that sum to 1 (None for
# the plain mean) and eps, the machine epsilon of the precision scikit-learn would compute in, and
# returns (the scalar to differentiate, the value scikit-learn reports). The two differ for the
# log-losses by scikit-learn's clipping (below), for the Poisson loss by a constant, and for the
# squared error of several outputs, which scikit-learn averages over the outputs while its gradient
# is that of their sum: both are kept, so that loss_curve_ and the training itself agree with
# scikit-learn's.


def _weighted_sum(values, w):
    """Σ_i w_i · values_i for per-sample values of shape (n,) or (n, k)."""
    if values.ndim == 2:
        w = w[:, None]
    return ops.sum(ops.mul(values, w))


def _clipped_log_loss(per_sample: np.ndarray, w, eps: float) -> float:
    """The log-loss as scikit-learn reports it: it clips each probability to [ε, 1 − ε] (ε the
    machine epsilon of its dtype) before the logarithm, so each −log p counts between −log(1 − ε)
    and −log ε (36.04 in float64, 15.94 in float32): a sample predicted wrong with certainty adds at
    most that. Its gradient is that of the loss without the clip, which is what is differentiated."""
    # (np.maximum and np.minimum: np.clip's Python-level checks cost more than both loops here)
    clipped = np.maximum(per_sample, -np.log1p(-eps))
    np.minimum(clipped, -np.log(eps), out=clipped)
    if clipped.ndim == 2:  # (several logistic outputs: summed per sample)
        clipped = np.add.reduce(clipped, axis=1)
    # (the mean as np.mean computes it, the sum divided by the count, without its Python wrapper)
    return float(np.add.reduce(clipped) / clipped.shape[0] if w is None else w @ clipped)


def softmax_error(z, labels, w, eps):
    """Cross-entropy of softmax(z) against class indices: −log p_y, averaged over samples."""
    if w is None:  # (the mean and the losses it averages from one node)
        loss, per_sample = cross_entropy_with_values(z, labels)
    else:
        per_sample_node = ops.cross_entropy(z, labels, reduction="none")
        loss, per_sample = _weighted_sum(per_sample_node, w), per_sample_node.data
    return loss, _clipped_log_loss(per_sample, w, eps)


def logistic_error(z, targets, w, eps):
    """Binary cross-entropy of sigmoid(z) per output, averaged over samples and summed over outputs."""
    if w is None:  # (the sum over the outputs, averaged over the samples, and its terms from one node)
        loss, per_element = logistic_loss_with_values(z, targets, targets.shape[0])
    else:
        per_element_node = ops.binary_cross_entropy_with_logits(z, targets, reduction="none")
        loss, per_element = _weighted_sum(per_element_node, w), per_element_node.data
    return loss, _clipped_log_loss(per_element, w, eps)


def squared_error(z, targets, w, eps):
    """½(z − y)², averaged over samples and summed over outputs (reported averaged over outputs)."""
    if w is None:
        loss = ops.mul(ops.mse_loss(z, targets, reduction="sum"), 0.5 / targets.shape[0])
    else:
        loss = ops.mul(_weighted_sum(ops.mse_loss(z, targets, reduction="none"), w), 0.5)
    return loss, float(loss.data) / targets.shape[1]


def poisson_error(z, targets, w, eps):
    """Half the Poisson deviance of the prediction exp(z): exp(z) − y·z + (y log y − y).

    Only exp(z) − y·z depends on z (its gradient is exp(z) − y); the constant is added to the
    reported value, as scikit-learn's loss includes it.
    """
    per_element = ops.sub(ops.exp(z), ops.mul(targets, z))
    constant = xlogy(targets, targets) - targets
    if w is None:
        n = targets.shape[0]
        loss = ops.mul(ops.sum(per_element), 1.0 / n)
        reported = float(loss.data) + float(constant.sum()) / n
    else:
        loss = _weighted_sum(per_element, w)
        reported = float(loss.data) + float(w @ constant.sum(axis=1))
    return loss, reported


def _pointwise_error(primitive):
    def error(z, targets, w, eps):
        if w is None:
            loss = ops.mul(primitive(z, targets, reduction="sum"), 1.0 / targets.shape[0])
        else:
            loss = _weighted_sum(primitive(z, targets, reduction="none"), w)
        return loss, float(loss.data)

    error.__doc__ = f"{primitive.__name__} per output, averaged over samples and summed over outputs."
    return error


ERRORS = {
    "softmax": softmax_error,
    "logistic": logistic_error,
    "squared_error": squared_error,
    "poisson": poisson_error,
    "absolute_error": _pointwise_error(ops.l1_loss),
    "huber": _pointwise_error(ops.huber_loss),  # delta = 1: squared within 1 of the target
}


class Network:
    """Weights and biases of a dense network in one flat array, and its training forward pass.

    ``layer_units`` lists the widths from the input to the output, ``activations`` names one
    activation per hidden layer, ``error`` is a key of :data:`ERRORS`. ``eps`` is the machine
    epsilon of the precision scikit-learn would compute in (its log-loss clips to it), ``dtype``'s
    until the estimator sets it from the data's.
    """

    def __init__(self, layer_units, activations, error: str, dtype):
        self.layer_units = [int(n) for n in layer_units]
        self.activations = [ACTIVATIONS[name] for name in activations]
        self.error = ERRORS[error]
        self.eps = float(np.finfo(dtype).eps)
        shapes = list(zip(self.layer_units[1:], self.layer_units[:-1]))  # (out, in) per layer
        self.n_weights = sum(n_out * n_in for n_out, n_in in shapes)
        self.theta = np.zeros(self.n_weights + sum(self.layer_units[1:]), dtype=dtype)
        self.grad = np.zeros_like(self.theta)
        self.weights, self.biases = [], []
        start = 0
        for shape in shapes:
            stop = start + shape[0] * shape[1]
            self.weights.append(Parameter(self.theta[start:stop].reshape(shape)))
            start = stop
        for n_out, _ in shapes:
            self.biases.append(Parameter(self.theta[start:start + n_out]))
            start += n_out
        self._parameters = self.weights + self.biases
        self._scratch = np.empty(self.n_weights, dtype=dtype)

    # -- the parameters as scikit-learn shows them ----------------------------------------------------

    def initialize(self, random_state, activation=None) -> None:
        """scikit-learn's Glorot-uniform start, drawn in scikit-learn's order from ``random_state``:
        per layer, the (in, out) weight matrix, then the bias, both from U(−b, b) with
        b = √(factor / (in + out)). The same seed therefore gives the same starting network.

        The factor is the Glorot factor of the activation that follows the layer; the output layer
        takes the last hidden layer's, so one activation for every layer means one factor, as in
        scikit-learn. With no hidden layer it takes that of ``activation``, the estimator's
        parameter, which scikit-learn's factor follows even then (2 for 'logistic', else 6).
        """
        factors = [activation.glorot_factor for activation in self.activations]
        factors.append(factors[-1] if factors else ACTIVATIONS[activation].glorot_factor if activation in ACTIVATIONS else 6.0)
        for weight, bias, factor in zip(self.weights, self.biases, factors):
            n_out, n_in = weight.shape
            bound = np.sqrt(factor / (n_in + n_out))
            weight.data[...] = random_state.uniform(-bound, bound, (n_in, n_out)).T
            bias.data[...] = random_state.uniform(-bound, bound, n_out)

    def load(self, coefs, intercepts) -> None:
        """Copy scikit-learn's (in, out) ``coefs`` and ``intercepts`` into the flat array."""
        for weight, bias, coef, intercept in zip(self.weights, self.biases, coefs, intercepts):
            weight.data[...] = np.asarray(coef).T
            bias.data[...] = intercept

    def coefs(self) -> list:
        """The (in, out) weight matrices: transposed views of the weights, sharing their memory."""
        return [weight.data.T for weight in self.weights]

    def intercepts(self) -> list:
        return [bias.data for bias in self.biases]

    # -- training -------------------------------------------------------------------------------

    def forward(self, x, masks=()):
        """The raw output z (before the output activation), recording the graph.

        ``masks`` holds one dropout mask per hidden layer (already scaled by 1/(1 − p)), or nothing.
        """
        first = sparse_linear if sp.issparse(x) else ops.linear
        h = first(x, self.weights[0], self.biases[0])
        for i, activation in enumerate(self.activations):
            h = activation.function(h)
            if masks:
                h = ops.mul(h, masks[i])
            h = ops.linear(h, self.weights[i + 1], self.biases[i + 1])
        return h

    def loss_and_grad(self, x, targets, w, alpha: float, n_effective: float, l2_gradient: bool = True, masks=()):
        """(objective, reported loss) on one batch; fills ``self.grad`` with the objective's gradient.

        The objective is the output error plus scikit-learn's penalty α/(2n)·Σ‖W‖², where n is the
        batch's sample count (or its sum of sample weights); the reported loss is what scikit-learn
        calls the loss (see :data:`ERRORS`). ``l2_gradient=False`` leaves the penalty out of the
        gradient, for optimizers that decay the weights themselves (AdamW).
        """
        for parameter in self._parameters:
            parameter.grad = None
        loss, reported = self.error(self.forward(x, masks), targets, w, self.eps)
        loss.backward()
        np.concatenate([parameter.grad.ravel() for parameter in self._parameters], out=self.grad)
        objective = float(loss.data)
        if alpha:
            flat_weights = self.theta[: self.n_weights]
            penalty = 0.5 * alpha * float(np.dot(flat_weights, flat_weights)) / n_effective
            objective += penalty
            reported += penalty
            if l2_gradient:
                np.multiply(flat_weights, alpha / n_effective, out=self._scratch)
                self.grad[: self.n_weights] += self._scratch
        return objective, reported

    def to_module(self, activation_names, dropout: float) -> nn.Module:
        """A fresh ``nn.Sequential`` with copies of the weights (so later training leaves it alone)."""
        layers = []
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            n_out, n_in = weight.shape
            linear = nn.Linear(n_in, n_out, dtype=weight.dtype)
            linear.load_state_dict({"weight": weight.data, "bias": bias.data})
            layers.append(linear)
            if i < len(activation_names):
                layers.append(ACTIVATIONS[activation_names[i]].module())
                if dropout:
                    layers.append(nn.Dropout(dropout))
        return nn.Sequential(*layers)


def predict_raw(X, coefs, intercepts, activation_names, dtype) -> np.ndarray:
    """The raw output z for ``X`` from scikit-learn-shaped ``coefs``/``intercepts``, in ``dtype``.

    Prediction works from the fitted attributes themselves (so edits to ``coefs_`` take effect, as
    in scikit-learn) and in the input's precision: float64 data gets float64 arithmetic, which makes
    a prediction independent of how the rows are batched.
    """
    with no_grad():
        first = np.asarray(coefs[0], dtype=dtype)
        h = np.asarray(X @ first if sp.issparse(X) else mm(X, first), dtype=dtype)
        h += intercepts[0]
        for i, name in enumerate(activation_names):
            h = ACTIVATIONS[name].function(operand(h)).data
            h = mm(h, np.asarray(coefs[i + 1], dtype=dtype))
            h += intercepts[i + 1]
    return h
