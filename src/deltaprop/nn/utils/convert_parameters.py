"""All the parameters as one vector and back: ``parameters_to_vector``, ``vector_to_parameters``."""

from __future__ import annotations

import numpy as np

from ...changes import Changes
from ...errors import ConfigError, ShapeError
from ...ops.shape import concatenate
from ...tensor import Tensor


def parameters_to_vector(parameters) -> Tensor:
    """The parameters flattened and joined, in order, into one 1-d tensor (differentiable: it is
    ``cat([p.reshape(-1) for p in parameters])``)."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if not parameters:
        raise ConfigError("parameters_to_vector: got no parameters, so there is nothing to join")
    return concatenate([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters) -> None:
    """Copy consecutive slices of the 1-d ``vec`` into the parameters, in order, in place (each
    keeps its dtype; PyTorch makes the parameters views of ``vec`` instead). ``vec`` must hold
    exactly as many numbers as the parameters."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: vec must be a Tensor, got {type(vec).__name__}")
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    size = sum(p.data.size for p in parameters)
    if vec.data.ndim != 1 or vec.data.size != size:
        raise ShapeError(
            f"vector_to_parameters: vec must be 1-d with {size} elements (the parameters' total), "
            f"got shape {vec.data.shape}"
        )
    offset = 0
    for p in parameters:
        n = p.data.size
        np.copyto(p.data, vec.data[offset:offset + n].reshape(p.data.shape), casting="unsafe")
        Changes.mark(p.data)  # a graph recorded with the old values can no longer be differentiated
        offset += n
