"""``stack_module_state``: the weights of several models of one architecture, stacked, for running
them all at once with ``vmap`` over :func:`~deltaprop.nn.utils.stateless.functional_call`.

    >>> import deltaprop as dp
    >>> from deltaprop.func import functional_call, stack_module_state, vmap
    >>> models = [dp.nn.Linear(3, 2) for _ in range(4)]
    >>> params, buffers = stack_module_state(models)
    >>> params["weight"].shape
    (4, 2, 3)
    >>> run = lambda p, b, x: functional_call(models[0], (p, b), (x,))
    >>> vmap(run, in_dims=(0, 0, None))(params, buffers, dp.ones((5, 3))).shape
    (4, 5, 2)
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from ..tensor import Tensor


def stack_module_state(models) -> tuple:
    """``(params, buffers)``: dicts from each parameter's and buffer's name to the models' values
    stacked along a new first dimension. The stacked parameters are new leaves (copies, cut from
    the models) that require a gradient where the models' do; the buffers are tensors that need
    none. The models must be of one class, all in training or all in evaluation mode."""
    models = list(models)
    if not models:
        raise ConfigError("stack_module_state: needs at least one model, got none")
    first = models[0]
    for model in models[1:]:
        if type(model) is not type(first):
            raise ConfigError(f"stack_module_state: the models must be of one class, got {type(first).__name__} and "
                              f"{type(model).__name__}")
        if model.training != first.training:
            raise ConfigError("stack_module_state: the models must all be in training mode or all in evaluation mode")
    named = [dict(model.named_parameters()) for model in models]
    params = {}
    for name, parameter in named[0].items():
        values = [found[name] for found in named]
        if any(value.requires_grad != parameter.requires_grad for value in values):
            raise ConfigError(f"stack_module_state: parameter {name!r} requires a gradient in some models and not in "
                              "others")
        stacked = Tensor._wrap(_stack(name, [value.data for value in values]))
        params[name] = stacked.requires_grad_() if parameter.requires_grad else stacked
    named = [dict(model.named_buffers()) for model in models]
    buffers = {name: Tensor._wrap(_stack(name, [np.asarray(found[name]) for found in named])) for name in named[0]}
    return params, buffers


def _stack(name: str, arrays: list) -> np.ndarray:
    shapes = {array.shape for array in arrays}
    if len(shapes) > 1:
        raise ShapeError(f"stack_module_state: {name!r} has different shapes in different models: "
                         f"{sorted(shapes)}")
    return np.stack(arrays)
