"""deltaprop: neural networks that learn by backpropagation, in NumPy.

    >>> import deltaprop as dp
    >>> x = dp.tensor([[1.0, 2.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([[2., 4.]], dtype=float32)

The core (tensor, ops, nn, optim) needs NumPy alone; everything heavier is imported on first use.
"""

from . import _lazy, data, nn, ops, optim
from .creation import arange, full, ones, ones_like, rand, randn, zeros, zeros_like
from .creation import eye, linspace, logspace, randint, randperm
from .creation import empty, empty_like, from_numpy, full_like, rand_like, randint_like, randn_like
from .devices import device, get_default_device, set_default_device
from .determinism import (
    are_deterministic_algorithms_enabled, is_deterministic_algorithms_warn_only_enabled, use_deterministic_algorithms,
)
from .dtypes import finfo, iinfo
from .printing import set_printoptions
from .errors import DeltapropError
from .gradcheck import gradcheck, gradgradcheck
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .grad_mode import is_inference_mode_enabled
from .ops import (
    abs,
    chunk,
    clip,
    concatenate,
    exp,
    flip,
    gather,
    log,
    log_softmax,
    maximum,
    mean,
    minimum,
    relu,
    sigmoid,
    softmax,
    split,
    sqrt,
    tanh,
    tril,
    triu,
    where,
)
from .ops import sum as sum  # noqa: A001  (deltaprop.sum mirrors torch.sum)
from .ops import (  # PyTorch's math names, for code ported from it
    ceil, clamp_max, clamp_min, cos, cumprod, cumsum, exp2, expm1, floor, log1p, log2, log10, logsumexp, prod,
    reciprocal, round, rsqrt, sign, sin, square, trunc,
)
from .ops import erf, erfc, erfinv  # the error function, its complement and its inverse
from .ops import take_along_dim  # gather with PyTorch's broadcasting, or of the flattened input
from .ops import argsort, masked_fill, narrow, sort, topk  # PyTorch's function forms of these methods
from .ops import (  # more of PyTorch's functions, for code ported from it
    diag, diagonal, einsum, flatten, outer, squeeze, std_mean, trace, unsqueeze, var_mean,
)
from .ops import (  # and more: shape, scatter/index, comparisons, bitwise, floor division and remainder
    argwhere, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, eq, floor_divide, ge, gt, index_select, isfinite, isinf,
    isnan, le, lt, masked_select, movedim, moveaxis, ne, nonzero, remainder, roll, scatter, scatter_add, select,
    swapaxes, swapdims, tile, unbind, unflatten,
)
from .ops import nonzero_static  # nonzero's positions in a fixed number of rows
from .ops import logical_and, logical_not, logical_or, logical_xor  # any dtype in, booleans out
from .ops import index_add, index_copy, index_fill, scatter_reduce  # writes by index, with PyTorch's gradients
from .ops import index_put, masked_scatter  # writes at index tensors' positions or a mask's
from .out_forms import add, bmm, cat, div, matmul, mm, mul, stack, sub  # alpha=, rounding_mode= and out=, as PyTorch's
from .ops import frac, nan_to_num  # (trigonometry and the functions of two or three tensors: _LAZY below)
from .ops import addbmm, addcdiv, addcmul, addmm, addmv, addr, baddbmm, cross, inner, kron, tensordot  # fused products
from .ops import cdist, cummax, cummin, diff, logcumsumexp, median, repeat_interleave, rot90  # distances, running extremes
from .ops import nanquantile, quantile  # order statistics
from .ops.promotion import promote_types, result_type  # PyTorch's type promotion, which the operations follow
from .ops import aminmax, fliplr, flipud, index_reduce, msort, nanmedian  # PyTorch's further shape and indexing functions
from .ops import isneginf, isposinf, isreal, signbit  # more tests of values, without gradients
from .creation import empty_permuted, empty_strided, scalar_tensor, tril_indices, triu_indices
from .conversion import asarray  # shares memory with a tensor or a NumPy array where it can
from .size import Size  # a shape as PyTorch prints it; shapes themselves are plain tuples
from .ops import outer as ger  # PyTorch's older name


clamp = clip  # PyTorch's name
fix = trunc  # PyTorch's other name of trunc


def amax(input, dim=None, keepdim=False):
    """PyTorch's ``amax``: the largest value over ``dim`` (all dimensions for None); ties share the gradient."""
    return as_tensor(input).amax(dim, keepdim)


def amin(input, dim=None, keepdim=False):
    """PyTorch's ``amin``: the smallest value over ``dim`` (all dimensions for None); ties share the gradient."""
    return as_tensor(input).amin(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    """PyTorch's ``argmax``: the index (int64) of the largest value along ``dim``, of the flattened input for None."""
    return as_tensor(input).argmax(dim=dim, keepdim=keepdim)


def argmin(input, dim=None, keepdim=False):
    """PyTorch's ``argmin``: the index (int64) of the smallest value along ``dim``, of the flattened input for None."""
    return as_tensor(input).argmin(dim=dim, keepdim=keepdim)


def transpose(input, dim0, dim1):
    """PyTorch's ``transpose``: ``input`` with dimensions ``dim0`` and ``dim1`` swapped."""
    return as_tensor(input).transpose(dim0, dim1)


def permute(input, dims):
    """PyTorch's ``permute``: ``input`` with its dimensions in the order ``dims``."""
    return as_tensor(input).permute(dims)


from .function_forms import (  # PyTorch's function forms of methods, and its aliases of NumPy's names
    absolute, allclose, concat, count_nonzero, divide, dot, equal, get_default_dtype, greater, greater_equal,
    is_floating_point, is_tensor, isclose, less, less_equal, multiply, mv, neg, negative, norm, not_equal, numel,
    ravel, reshape, std, subtract, t, true_divide, var, broadcast_to, clone, index_put_,
)
from .function_forms import set_default_dtype, vdot
from .function_forms import is_complex, is_nonzero, is_same_size, is_signed
from .function_forms import all, any, max, min, pow  # noqa: A004  (torch.all, torch.max, ...)
from . import in_place_functions
from .in_place_functions import *  # noqa: F403  (torch.abs_(x), torch.zero_(x), torch.dropout_(x, p, train), ...)
from . import torch_functions
from .torch_functions import *  # noqa: F403  (torch.conv2d, torch.dropout(x, p, train), torch.lstm_cell, ...)
from . import method_functions
from .method_functions import *  # noqa: F403  (torch.conj(x), torch.real(x), torch.narrow_copy(x, ...), ...)
from .determinism import get_deterministic_debug_mode, set_deterministic_debug_mode
from .random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .tensor import Tensor, as_tensor, bool_, float16, float32, float64, int32, int64, tensor
from .dtypes import bfloat16  # named (torch.bfloat16), and refused by everything that takes a dtype

# PyTorch's other dtype names, as NumPy's types (a dtype argument takes either). The builtin-named
# ones (bool, int, float) are module attributes only, for `dp.bool` as `torch.bool`: they stay out
# of __all__, so that `from deltaprop import *` leaves Python's own alone.
import numpy as _np  # noqa: E402

int8, int16, uint8, uint16, uint32, uint64 = _np.int8, _np.int16, _np.uint8, _np.uint16, _np.uint32, _np.uint64
half, double, short, long = _np.float16, _np.float64, _np.int16, _np.int64
globals().update({"bool": _np.bool_, "int": _np.int32, "float": _np.float32})
pi, e, inf, nan, newaxis = _np.pi, _np.e, _np.inf, _np.nan, None  # PyTorch's constants (Python floats)

__version__ = "0.1.0"

# Names whose modules are imported on first use (deltaprop._lazy), so that `import deltaprop` stays
# fast and the tensor core never pays for training, file formats, plotting or rarely used math.
_LAZY = {
    ".training": "fit evaluate predict Trainer History",
    ".serialization": "save load load_checkpoint",
    ".textbook": "explain",
    ".visualize": "draw_graph",
    ".sparse": "sparse_coo_tensor spmm",
    ".amp": "autocast",
    # autocast's state, as PyTorch's questions and switches read it (deltaprop's autocast never casts)
    ".autocast_state": "autocast_decrement_nesting autocast_increment_nesting clear_autocast_cache "
                       "get_autocast_cpu_dtype get_autocast_dtype get_autocast_gpu_dtype is_autocast_cache_enabled "
                       "is_autocast_cpu_enabled is_autocast_enabled set_autocast_cache_enabled "
                       "set_autocast_cpu_dtype set_autocast_cpu_enabled set_autocast_dtype set_autocast_enabled "
                       "set_autocast_gpu_dtype",
    # PyTorch's native_* layer functions, with the statistics (or the mask) they keep
    ".native_functions": "native_batch_norm native_dropout native_group_norm native_layer_norm",
    ".compiling": "compile",
    ".precision": "set_float32_matmul_precision get_float32_matmul_precision",
    ".func": "vmap",
    ".cpu": "get_device_module",
    ".threads": "set_num_threads get_num_threads set_num_interop_threads get_num_interop_threads",
    ".windows": "hann_window hamming_window blackman_window bartlett_window kaiser_window",
    ".exchange": "from_dlpack frombuffer to_dlpack",  # memory shared with other libraries and buffers
    ".anomaly": "is_anomaly_check_nan_enabled is_anomaly_enabled set_anomaly_enabled",  # autograd.detect_anomaly's switch
    ".switches": "is_warn_always_enabled set_flush_denormal set_warn_always",
    # a view followed by a copy: torch.t_copy(x), torch.split_copy(x, 2), ...
    ".view_copies": "alias_copy as_strided_copy detach_copy diagonal_copy expand_copy permute_copy select_copy "
                    "slice_copy split_copy split_with_sizes_copy squeeze_copy t_copy transpose_copy unbind_copy "
                    "unfold_copy unsqueeze_copy view_copy",
    ".questions": "can_cast is_storage typename",
    # (range: torch.range, deprecated; out of __all__, so `import *` keeps Python's range)
    ".deprecated_functions": "range set_default_tensor_type",
    # PyTorch's legacy constructors, torch.LongTensor(indexes)
    ".legacy_types": "BoolTensor ByteTensor CharTensor DoubleTensor FloatTensor HalfTensor IntTensor LongTensor ShortTensor",
    # PyTorch's top-level linear algebra, beside deltaprop.linalg (orgqr: linalg.householder_product's name)
    ".ops.linalg_forms": "chain_matmul cholesky cholesky_inverse cholesky_solve det inverse logdet lu lu_solve lu_unpack "
                         "matrix_exp matrix_power orgqr pinverse qr slogdet svd triangular_solve",
    ".ops.special_functions": "i0 logit",  # torch.special's, also at the top level
    # the operations deltaprop.ops itself imports on first use (its _RARE), the same functions here
    ".ops": (
        "acos acosh arccos arccosh arcsin arcsinh arctan arctanh asin asinh atan atanh cosh sinc sinh tan "  # trigonometric
        "arctan2 atan2 copysign fmod hypot lerp logaddexp logaddexp2 xlogy "  # elementwise, of two or three tensors
        "digamma lgamma polygamma igamma igammac mvlgamma "  # ln Γ, its derivatives, the incomplete gamma functions
        "atleast_1d atleast_2d atleast_3d block_diag broadcast_shapes broadcast_tensors cartesian_prod column_stack "
        "combinations diag_embed diagflat diagonal_scatter dsplit dstack hsplit hstack meshgrid put row_stack "
        "select_scatter slice_scatter split_with_sizes take tensor_split unravel_index vander vsplit vstack "  # shapes
        "bincount bucketize isin searchsorted unique unique_consecutive "  # integer and boolean results
        "kthvalue mode nanmean nansum "  # order statistics, NaN-skipping reductions
        "corrcoef cov cumulative_trapezoid deg2rad dist float_power fmax fmin frexp gcd heaviside histc histogram "
        "histogramdd lcm ldexp nextafter positive rad2deg renorm rsub sgn trapezoid trapz "  # more math
        "frobenius_norm native_norm nuclear_norm "  # PyTorch's older names of norms
        "bitwise_left_shift bitwise_right_shift "  # << and >> of integer tensors
        "bernoulli binomial multinomial normal poisson "  # draws, from the generator or generator=
        "as_strided as_strided_scatter "  # views by sizes, strides and storage offset
        "gradient "  # derivatives of samples by finite differences
        "fill"  # a new tensor of one value
    ),
}
_lazy.provide(globals(), _LAZY, modules=(
    ".training", ".serialization", ".distributions", ".autograd", ".cuda", ".accelerator", ".sparse", ".backends",
    ".utils", ".amp", ".func", ".testing", ".cpu", ".signal", ".profiler", ".linalg", ".special", ".exchange",
    ".legacy_types", ".anomaly", ".switches", ".questions", ".deprecated_functions", ".view_copies",
    ".autocast_state", ".native_functions",
))

__all__ = [
    "DeltapropError", "Tensor", "abs", "arange", "as_tensor", "bool_", "cat", "clip", "concatenate", "data", "device",
    "finfo", "iinfo", "set_printoptions", "bernoulli", "multinomial", "normal", "poisson",
    "enable_grad", "exp", "float16", "float32", "float64", "full", "gradcheck", "gradgradcheck", "int32", "int64",
    "int8", "int16", "uint8", "uint16", "uint32", "uint64", "half", "double", "short", "long",
    "is_grad_enabled", "log", "log_softmax", "manual_seed", "Generator", "default_generator", "seed", "initial_seed",
    "get_rng_state", "set_rng_state", "matmul", "maximum", "mean", "minimum",
    "nn", "no_grad", "ones", "ones_like", "ops", "optim", "rand", "randn", "relu", "sigmoid", "softmax", "sqrt",
    "stack", "sum", "tanh", "tensor", "where", "zeros", "zeros_like",
    "amax", "amin", "argsort", "chunk", "flip", "gather", "masked_fill", "narrow", "sort", "split", "topk", "tril",
    "triu",
    "inference_mode", "set_grad_enabled",
    "ceil", "clamp", "clamp_max", "clamp_min", "cos", "cumprod", "cumsum", "exp2", "expm1", "floor", "log10", "log1p",
    "log2", "logsumexp", "prod", "reciprocal", "round", "rsqrt", "sign", "sin", "square", "trunc",
    "argmax", "argmin", "bmm", "diag", "diagonal", "einsum", "eye", "flatten", "linspace", "logspace", "outer", "permute",
    "randint", "randperm", "squeeze", "std_mean", "trace", "transpose", "unsqueeze", "var_mean",
    "add", "argwhere", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "div", "eq", "floor_divide", "ge",
    "gt", "index_select", "isfinite", "isinf", "isnan", "le", "lt", "masked_select", "movedim", "moveaxis", "mul", "ne",
    "nonzero", "remainder", "roll", "scatter", "scatter_add", "select", "sub", "swapaxes", "swapdims", "tile", "unbind",
    "unflatten",
    "logical_and", "logical_not", "logical_or", "logical_xor", "index_add", "index_copy", "index_fill", "scatter_reduce",
    "index_put", "index_put_", "masked_scatter",
    "promote_types", "result_type",
    "erf", "erfc", "erfinv", "take_along_dim", "lgamma", "digamma", "polygamma",
    "empty", "empty_like", "from_numpy", "full_like", "rand_like", "randint_like", "randn_like",
    "absolute", "all", "allclose", "any", "broadcast_to", "clone", "concat", "count_nonzero", "divide", "dot", "equal",
    "get_default_dtype", "greater", "greater_equal", "is_floating_point", "is_tensor", "isclose", "less", "less_equal",
    "max", "min", "mm", "multiply", "mv", "neg", "negative", "norm", "not_equal", "numel", "pow", "ravel", "reshape",
    "std", "subtract", "t", "true_divide", "var",
    "acos", "acosh", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "asin", "asinh", "atan",
    "atan2", "atanh", "copysign", "cosh", "fmod", "frac", "hypot", "lerp", "logaddexp", "logaddexp2", "nan_to_num",
    "sinc", "sinh", "tan", "xlogy",
    "addbmm", "addcdiv", "addcmul", "addmm", "addmv", "baddbmm", "cross", "inner", "kron", "linalg", "tensordot",
    "broadcast_tensors", "cdist", "column_stack", "cummax", "cummin", "diff", "dstack", "hstack", "logcumsumexp",
    "median", "meshgrid", "nanmean", "nansum", "repeat_interleave", "rot90", "vstack",
    "bincount", "bucketize", "isin", "searchsorted", "unique",
    "kthvalue", "mode", "nanquantile", "quantile", "set_default_dtype", "vdot", "special",
    "fit", "evaluate", "predict", "Trainer", "History", "save", "load", "load_checkpoint", "explain", "draw_graph",
    "autograd", "distributions",
    "get_default_device", "set_default_device", "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled", "use_deterministic_algorithms",
    "BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor", "IntTensor", "LongTensor",
    "ShortTensor", "bfloat16", "amp", "autocast", "compile", "set_float32_matmul_precision",
    "get_float32_matmul_precision",
    "aminmax", "atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "broadcast_shapes", "cartesian_prod",
    "combinations", "diag_embed", "diagflat", "diagonal_scatter", "dsplit", "fliplr", "flipud", "hsplit",
    "index_reduce", "msort", "nanmedian", "put", "row_stack", "select_scatter", "slice_scatter", "split_with_sizes",
    "take", "tensor_split", "unique_consecutive", "unravel_index", "vander", "vsplit", "isneginf", "isposinf",
    "isreal", "signbit", "empty_strided", "scalar_tensor", "tril_indices", "triu_indices", "asarray",
    "Size", "is_complex", "is_nonzero", "is_same_size", "is_signed", "pi", "e", "inf", "nan", "newaxis",
    "is_anomaly_check_nan_enabled", "is_anomaly_enabled", "set_anomaly_enabled", "func", "vmap", "testing",
    "set_num_threads", "get_num_threads", "set_num_interop_threads", "get_num_interop_threads",
    "addr", "corrcoef", "cov", "cumulative_trapezoid", "deg2rad", "dist", "float_power", "fmax", "fmin", "frexp", "gcd",
    "ger", "heaviside", "histc", "histogram", "histogramdd", "i0", "igamma", "igammac", "lcm", "ldexp", "logit",
    "mvlgamma", "nextafter", "positive", "rad2deg", "renorm", "rsub", "sgn", "trapezoid", "trapz",
    "chain_matmul", "cholesky", "cholesky_inverse", "cholesky_solve", "det", "inverse", "logdet", "lu", "lu_solve",
    "lu_unpack", "matrix_exp", "matrix_power", "pinverse", "qr", "slogdet", "svd", "triangular_solve", "orgqr",
    "bartlett_window", "blackman_window", "hamming_window", "hann_window", "kaiser_window", "signal",
]
__all__ += in_place_functions.__all__  # (torch.abs_, torch.clamp_, ...: the in-place methods' function forms)
__all__ += torch_functions.__all__  # (torch.conv2d, torch.batch_norm, ...: the layer functions' top-level forms)
__all__ += method_functions.__all__ + ["bitwise_left_shift", "bitwise_right_shift"]
__all__ += ["from_dlpack", "frombuffer", "to_dlpack", "is_warn_always_enabled", "set_flush_denormal", "set_warn_always",
            "get_deterministic_debug_mode", "set_deterministic_debug_mode", "can_cast", "is_storage", "typename",
            "set_default_tensor_type", "cpu", "get_device_module"]
__all__ += [  # the remaining functions programs call: views by hand, copies of views, native_* forms, ...
    "as_strided", "as_strided_scatter", "gradient", "fill", "fix", "binomial", "frobenius_norm", "nuclear_norm",
    "native_norm", "nonzero_static", "empty_permuted", "is_inference_mode_enabled",
    "native_batch_norm", "native_dropout", "native_group_norm", "native_layer_norm",
]
__all__ += _LAZY[".view_copies"].split() + _LAZY[".autocast_state"].split()
