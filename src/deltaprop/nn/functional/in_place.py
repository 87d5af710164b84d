"""The in-place forms: the activation written back into its input (a tensor outside any graph)."""

from __future__ import annotations

from ... import ops
from ...tensor import Tensor
from .activations import rrelu


def _in_place(what: str, input, function, *args):
    if not isinstance(input, Tensor):
        raise TypeError(f"{what}: expects a deltaprop tensor to change in place, got {type(input).__name__}")
    return input._overwritten(what, function, *args)


def relu_(input):
    return _in_place("relu_", input, ops.relu)


def elu_(input, alpha: float = 1.0):
    return _in_place("elu_", input, ops.elu, alpha)


def leaky_relu_(input, negative_slope: float = 0.01):
    return _in_place("leaky_relu_", input, ops.leaky_relu, negative_slope)


def hardtanh_(input, min_val: float = -1.0, max_val: float = 1.0):
    return _in_place("hardtanh_", input, ops.hardtanh, min_val, max_val)


def selu_(input):
    return _in_place("selu_", input, ops.selu)


def celu_(input, alpha: float = 1.0):
    return _in_place("celu_", input, ops.celu, alpha)


def threshold_(input, threshold: float, value: float):
    return _in_place("threshold_", input, ops.threshold, threshold, value)


def rrelu_(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False):
    return _in_place("rrelu_", input, rrelu, lower, upper, training)
