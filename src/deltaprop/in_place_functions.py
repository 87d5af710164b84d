"""PyTorch's function forms of the in-place methods (``torch.abs_(x)``, ``torch.clamp_(x, 0, 1)``,
``torch.zero_(x)``, ``torch.dropout_(x, 0.5, True)``, ...), for code ported from it.

Each changes the tensor given as ``input`` as its method does (:meth:`Tensor.abs_`, ...), with the
method's arguments and its in-place rules (refused on a tensor the graph records, and where the
result would change the tensor's shape or need a dtype of a higher category), and returns it.
``deltaprop/__init__.py`` exports them.
"""

from __future__ import annotations

from .nn.functional import alpha_dropout, dropout, feature_alpha_dropout
from .nn.functional import celu_, relu_, rrelu_, selu_, threshold_  # noqa: F401  (exported: PyTorch has them here too)
from .ops.indexing import embedding_renorm_  # noqa: F401  (torch.embedding_renorm_: nn.Embedding's max_norm)
from .tensor import Tensor

# The in-place methods of which PyTorch has a function form: torch.name_(input, ...) is input.name_(...).
_METHODS = (
    "abs_", "neg_", "negative_", "clamp_", "clip_", "clamp_min_", "clamp_max_", "fill_", "zero_", "detach_",
    "exp_", "exp2_", "expm1_", "log_", "log2_", "log10_", "log1p_", "sqrt_", "rsqrt_", "square_", "reciprocal_",
    "sin_", "cos_", "tan_", "asin_", "acos_", "atan_", "sinh_", "cosh_", "asinh_", "acosh_", "atanh_", "sinc_",
    "arcsin_", "arccos_", "arctan_", "arcsinh_", "arccosh_", "arctanh_", "sigmoid_", "tanh_",
    "floor_", "ceil_", "round_", "trunc_", "fix_", "frac_", "erf_", "erfc_", "i0_", "logit_", "nan_to_num_",
    "xlogy_", "addmv_", "resize_as_", "deg2rad_", "rad2deg_", "gcd_", "lcm_", "ldexp_", "as_strided_",
)


def _changed(what: str, input) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{what}: expects a deltaprop tensor to change in place, got {type(input).__name__}")
    return input


def _function_form(method: str):
    def function(input, *args, **kwargs):
        return getattr(_changed(method, input), method)(*args, **kwargs)

    function.__name__ = function.__qualname__ = method
    function.__doc__ = f":meth:`Tensor.{method}` of ``input``, which it changes and returns."
    return function


globals().update({method: _function_form(method) for method in _METHODS})


# PyTorch's in-place dropouts, which its nn.functional gives only as ``inplace=True``: the mask drawn
# from the library's generator (deltaprop.manual_seed), as the functions' are. ``train`` has no default.

def dropout_(input, p, train):
    """:func:`deltaprop.nn.functional.dropout` written into ``input``: each element zeroed with
    probability ``p`` and the rest scaled by 1/(1 − p) when ``train`` is true."""
    return _written("dropout_", dropout, input, p, train)


def alpha_dropout_(input, p, train):
    """:func:`deltaprop.nn.functional.alpha_dropout` written into ``input``."""
    return _written("alpha_dropout_", alpha_dropout, input, p, train)


def feature_alpha_dropout_(input, p, train):
    """:func:`deltaprop.nn.functional.feature_alpha_dropout` written into ``input``."""
    return _written("feature_alpha_dropout_", feature_alpha_dropout, input, p, train)


def feature_dropout_(input, p, train):
    """:func:`deltaprop.feature_dropout` written into ``input``: whole channels zeroed."""
    from .torch_functions import feature_dropout

    return _written("feature_dropout_", feature_dropout, input, p, train)


def _written(what: str, function, input, *args) -> Tensor:
    return _changed(what, input)._overwritten(what, function, *args)


__all__ = [*_METHODS, "dropout_", "alpha_dropout_", "feature_alpha_dropout_", "celu_", "relu_", "rrelu_", "selu_",
           "threshold_"]
__all__ += ["feature_dropout_", "embedding_renorm_"]
