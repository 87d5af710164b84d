"""The primitives: every differentiable operation, its forward beside its gradient rule.

| module        | operations                                                            |
|---------------|-----------------------------------------------------------------------|
| arithmetic    | add, sub, mul, div, pow, neg, matmul, bmm, outer; floor_divide (//), remainder (%), add_scaled/sub_scaled (alpha), divide (rounding_mode) |
| promotion     | result_type, promote_types: PyTorch's type promotion, which every operation of two or more operands follows |
| einsum        | einsum (Einstein summation; diagonals, '...', broadcasting)           |
| reduction     | sum, mean, var, std, var_mean, std_mean, max, min, norm, prod, logsumexp |
| cumulative    | cumsum, cumprod, cummax, cummin, logcumsumexp, diff                   |
| elementwise   | exp, log, sqrt, abs, clip, maximum, minimum, where, astype, clone     |
| logical       | lt, le, gt, ge, eq, ne, isclose, allclose, equal, count_nonzero, all_true, any_true, isnan, isinf, isfinite, isposinf, isneginf, signbit, isreal, logical_and/or/xor/not, bitwise_and/or/xor/not (no gradient) |
| shifts        | bitwise_left_shift, bitwise_right_shift (<< and >> of integers, no gradient) |
| unary         | log1p, expm1, log2, log10, exp2, sin, cos, square, rsqrt, reciprocal, erf, erfc, erfinv, sign, floor, ceil, round, trunc, clamp_min, clamp_max, frac, nan_to_num |
| trigonometric | tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh (arcsin, ... aliases), sinc |
| binary_math   | atan2 (arctan2), hypot, logaddexp, logaddexp2, xlogy, fmod, copysign, lerp |
| stacking      | vstack (row_stack), hstack, dstack, column_stack, broadcast_tensors, meshgrid, atleast_1d/2d/3d |
| distance      | cdist (p-norm distances between two sets of points), pdist (within one set) |
| median        | median, nanmedian (of all elements; or values and indices along a dim) |
| quantile      | quantile, nanquantile (five interpolations; gradient to the one or two order statistics used) |
| selection     | kthvalue, mode (values and indices along a dim; gradient to the picked element) |
| nan_reduction | nansum, nanmean                                                       |
| counting      | unique, unique_consecutive, bincount (no gradient, but bincount's weights) |
| products      | mm, mv, dot, addmm, addmv, baddbmm, addbmm, addr, addcmul, addcdiv, tensordot, inner, kron, cross |
| matrix_norms  | vector_norm, matrix_norm ('fro', 'nuc', ±1, ±2, ±inf) for deltaprop.linalg |
| matrix_functions | det, slogdet, inv, inv_ex, solve, matrix_power (batched; singular matrices refused by name) |
| triangular_solve | solve_triangular (substitution, PyTorch's broadcasting and left/upper/unitriangular) |
| matrix_exponential | matrix_exp (scaling and squaring; the gradient by Van Loan's block matrix) |
| decompositions | cholesky, cholesky_ex, qr, eigh, eigvalsh, svd, svdvals, pinv, each with its gradient rule derived in its docstring |
| least_squares | lstsq (composed: the pseudoinverse, PyTorch's drivers' outputs) |
| rank_and_condition | matrix_rank (no gradient), cond (composed)                          |
| special_functions | logit, xlog1py, erfcx, ndtr, ndtri, log_ndtr, i0, i1, entr (deltaprop.special's new primitives) |
| gamma_functions | lgamma, digamma, polygamma (ln Γ, ψ and ψ⁽ⁿ⁾, in NumPy alone)          |
| shape         | reshape, permute, flatten, squeeze, unsqueeze, getitem, concatenate, stack, expand, repeat, flip, split, chunk, narrow, pad (constant, reflect, replicate, circular) |
| indexing      | gather, take_along_dim, masked_fill, sort, argsort, msort, topk, tril, triu, diagonal, diag, trace, embedding |
| embedding_bag | embedding_bag (composed: each bag's rows summed, averaged or maxed)    |
| unfold_dimension | unfold_dimension (Tensor.unfold's windows along one dimension; composed) |
| layout        | movedim/moveaxis, swapaxes/swapdims, tile, roll, select, unbind, unflatten, rot90, fliplr, flipud, repeat_interleave |
| sections      | tensor_split, hsplit, vsplit, dsplit, split_with_sizes (composed: split's pieces, or slices) |
| flat_positions | take, put (composed: indexing and index_put of the flattened input), unravel_index |
| view_scatter  | select_scatter, slice_scatter, diagonal_scatter, diag_embed, diagflat (composed: index_put) |
| filling       | fill (PyTorch's out-of-place fill: a new tensor of one value; composed: where) |
| strided       | as_strided (a view by sizes, strides and storage offset; its gradient adds up at each position read), as_strided_scatter (composed: index_put) |
| combining     | block_diag, cartesian_prod, combinations, vander (composed)            |
| broadcasting  | broadcast_shapes, sum_to_size (composed: sum)                         |
| aminmax       | aminmax (composed: amin and amax, as a named (min, max))              |
| scatter       | scatter, scatter_add, index_add, index_copy, index_fill, index_select, masked_select, nonzero, nonzero_static, argwhere |
| scatter_reduce | scatter_reduce (sum, prod, mean, amax, amin; include_self), index_reduce (composed) |
| index_put     | index_put (x[indices] = values, accumulate), masked_scatter           |
| activation    | relu, leaky_relu, sigmoid, tanh, softmax, safe_softmax, log_softmax, elu, gelu; silu, softplus, mish, selu, celu, hardtanh, relu6, prelu, logsigmoid, softsign, hardswish, hardsigmoid, softmin, tanhshrink, threshold; hardshrink, softshrink, glu (composed) |
| linear        | linear (x·Wᵀ + b as one primitive), bilinear (x1ᵀ·W_o·x2 + b_o)       |
| loss/         | a package, one family a file: regression (mse_loss, l1_loss, huber_loss, smooth_l1_loss), classification (cross_entropy, nll_loss, binary_cross_entropy(_with_logits)), likelihood (kl_div, gaussian_nll_loss; composed: poisson_nll_loss), margin (composed: margin_ranking_loss, hinge_embedding_loss, soft_margin_loss, multilabel_soft_margin_loss, cosine_embedding_loss, triplet_margin_loss, triplet_margin_with_distance_loss), class_margin (composed: multi_margin_loss, multilabel_margin_loss), ctc (ctc_loss) |
| conv          | conv1d, conv2d, conv3d                                                |
| conv_transpose | conv_transpose1d/2d/3d (run with conv's kernels)                     |
| pool          | max_pool1d/2d/3d (return_indices), avg_pool1d/2d/3d, adaptive_avg_pool1d/2d/3d, adaptive_max_pool1d/2d/3d |
| unpool        | max_unpool1d/2d/3d (max pooling's partial inverse, from its indices)  |
| fold          | unfold (im2col), fold (col2im), with conv's window code               |
| resample      | interpolate (nearest, nearest-exact, linear, bilinear), pixel_shuffle, pixel_unshuffle |
| normalization | batch_norm, layer_norm, group_norm, instance_norm, rms_norm           |
| recurrent     | rnn_sequence, lstm_sequence, gru_sequence (a layer's direction over a sequence) |
| sampling      | normal, bernoulli, poisson (draws with a zero gradient to their parameters), binomial (no derivative), multinomial (indices) |
| elementwise_forms | rad2deg, deg2rad, float_power, ldexp, sgn, positive, rsub, fmax, fmin, mvlgamma (composed) |
| number_steps  | frexp, nextafter (constant slopes); heaviside, gcd, lcm (no gradient)  |
| incomplete_gamma | igamma, igammac (the regularised incomplete gamma functions; series and continued fraction) |
| norm_forms    | dist, renorm (composed of vector_norm); PyTorch's older frobenius_norm, nuclear_norm, native_norm |
| finite_differences | gradient (PyTorch's: derivatives of samples by central differences, even or uneven spacing; composed) |
| integration   | trapezoid (trapz), cumulative_trapezoid (composed)                    |
| covariance    | cov (correction, fweights, aweights), corrcoef (composed)             |
| histograms    | histc, histogram, histogramdd (no gradient)                           |
| lu_factorization | lu_factor, lu_factor_ex (partial pivoting; its rule in recorded operations), lu, lu_unpack, lu_solve |
| linalg_forms  | PyTorch's top-level linear algebra: det, slogdet, logdet, inverse, pinverse, cholesky, cholesky_solve, cholesky_inverse, qr, svd, triangular_solve, lu, lu_solve, chain_matmul |

The operations a training step runs are imported here; the rarer ones (_RARE below: trigonometry,
gamma functions, histograms, the linear-algebra modules, ...) on first use, through deltaprop._lazy,
and from then on they are this package's globals like the others.
"""

from .. import _lazy

from .activation import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from .activation import safe_softmax
from .activation import (
    celu, hardsigmoid, hardswish, hardtanh, logsigmoid, mish, prelu, relu6, selu, silu, softmin, softplus, softsign,
    tanhshrink, threshold,
)
from .activation import glu, hardshrink, softshrink
from .arithmetic import add, bmm, div, matmul, mul, neg, outer, pow, sub
from .products import dot, mm, mv
from .arithmetic import add_scaled, divide, floor_divide, remainder, sub_scaled
from .conv import conv1d, conv2d, conv3d
from .conv_transpose import conv_transpose1d, conv_transpose2d, conv_transpose3d
from .cumulative import cumprod, cumsum
from .einsum import einsum
from .elementwise import abs, astype, clip, clone, exp, log, maximum, minimum, sqrt, where
from .fold import fold, unfold
from .indexing import argsort, diag, diagonal, embedding, gather, masked_fill, sort, topk, trace, tril, triu
from .layout import movedim, moveaxis, roll, select, swapaxes, swapdims, tile, unbind, unflatten
from .linear import bilinear, linear
from .logical import all_true, allclose, any_true, count_nonzero, equal, isclose
from .logical import (
    bitwise_and, bitwise_not, bitwise_or, bitwise_xor, eq, ge, gt, isfinite, isinf, isnan, le, logical_and, logical_not,
    logical_or, logical_xor, lt, ne,
)
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    multilabel_soft_margin_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
)
from .loss import multi_margin_loss, multilabel_margin_loss, triplet_margin_with_distance_loss
from .loss import ctc_loss
from .normalization import batch_norm, group_norm, instance_norm, layer_norm, rms_norm
from .pool import adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from .pool import adaptive_max_pool1d, adaptive_max_pool2d
from .pool import adaptive_avg_pool3d, adaptive_max_pool3d, avg_pool3d, max_pool3d
from .scatter import (
    argwhere, index_add, index_copy, index_fill, index_select, masked_select, nonzero, nonzero_static, scatter,
    scatter_add,
)
from .scatter_reduce import scatter_reduce
from .index_put import index_put, masked_scatter
from .resample import interpolate, pixel_shuffle, pixel_unshuffle
from .unpool import max_unpool1d, max_unpool2d, max_unpool3d
from .reduction import logsumexp, max, mean, min, norm, prod, std, std_mean, sum, var, var_mean
from .shape import (
    chunk, concatenate, expand, flatten, flip, getitem, narrow, pad, permute, repeat, reshape, setitem, split, squeeze,
    stack, unsqueeze,
)
from .cumulative import cummax, cummin, diff, logcumsumexp
from .embedding_bag import embedding_bag
from .layout import repeat_interleave, rot90
from .unfold_dimension import unfold_dimension
from .median import median
from .quantile import nanquantile, quantile
from .distance import cdist, pdist  # (nn.functional's pdist is this one)
from .products import addbmm, addcdiv, addcmul, addmm, addmv, baddbmm, cross, inner, kron, tensordot
from .unary import frac, nan_to_num
from .unary import (
    ceil, clamp_max, clamp_min, cos, exp2, expm1, floor, log1p, log2, log10, reciprocal, round, rsqrt, sign, sin,
    square, trunc,
)
from .unary import erf, erfc, erfinv
from .indexing import take_along_dim
from .indexing import msort
from .layout import fliplr, flipud
from .aminmax import aminmax
from .median import nanmedian
from .scatter_reduce import index_reduce
from .logical import isneginf, isposinf, isreal, signbit
from .products import addr

__all__ = [
    "abs", "add", "astype", "clone", "binary_cross_entropy", "binary_cross_entropy_with_logits", "clip",
    "concatenate", "cross_entropy", "div", "elu", "exp", "flatten", "gelu", "getitem", "huber_loss",
    "l1_loss", "leaky_relu", "linear", "log", "log_softmax", "matmul", "max", "maximum", "mean",
    "min", "minimum", "mse_loss", "mul", "neg", "nll_loss", "norm", "permute", "pow", "relu", "reshape",
    "sigmoid", "softmax", "sqrt", "squeeze", "stack", "std", "sub", "sum", "tanh", "unsqueeze", "var",
    "where",
    "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d", "batch_norm", "conv1d", "conv2d", "layer_norm",
    "max_pool1d", "max_pool2d",
    "argsort", "chunk", "expand", "flip", "gather", "masked_fill", "narrow", "repeat", "sort", "split", "topk",
    "tril", "triu",
    "ceil", "clamp_max", "clamp_min", "cos", "cumprod", "cumsum", "exp2", "expm1", "floor", "log10", "log1p", "log2",
    "logsumexp", "prod", "reciprocal", "round", "rsqrt", "sign", "sin", "square", "trunc",
    "adaptive_avg_pool1d", "embedding", "group_norm", "kl_div", "pad", "smooth_l1_loss",
    "celu", "hardsigmoid", "hardswish", "hardtanh", "logsigmoid", "mish", "prelu", "relu6", "selu", "silu", "softmin",
    "softplus", "softsign", "tanhshrink", "threshold",
    "conv_transpose1d", "conv_transpose2d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "fold", "instance_norm", "interpolate", "pixel_shuffle",
    "pixel_unshuffle", "unfold",
    "bilinear", "cosine_embedding_loss", "gaussian_nll_loss", "glu", "hardshrink", "hinge_embedding_loss",
    "margin_ranking_loss", "multilabel_soft_margin_loss", "poisson_nll_loss", "soft_margin_loss", "softshrink",
    "triplet_margin_loss",
    "bmm", "diag", "diagonal", "einsum", "outer", "std_mean", "trace", "var_mean",
    "safe_softmax",
    "add_scaled", "divide", "floor_divide", "remainder", "sub_scaled",
    "movedim", "moveaxis", "roll", "select", "swapaxes", "swapdims", "tile", "unbind", "unflatten",
    "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "eq", "ge", "gt", "isfinite", "isinf", "isnan", "le",
    "logical_and", "logical_not", "logical_or", "logical_xor", "lt", "ne",
    "argwhere", "index_select", "masked_select", "nonzero", "nonzero_static", "scatter", "scatter_add",
    "index_add", "index_copy", "index_fill", "scatter_reduce", "index_put", "masked_scatter", "unfold_dimension",
    "max_unpool1d", "max_unpool2d",
    "erf", "erfc", "erfinv", "take_along_dim", "lgamma", "digamma", "polygamma",
    "dot", "mm", "mv", "all_true", "allclose", "any_true", "count_nonzero", "equal", "isclose",
    "acos", "acosh", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "asin", "asinh",
    "atan", "atan2", "atanh", "copysign", "cosh", "fmod", "frac", "hypot", "lerp", "logaddexp", "logaddexp2",
    "nan_to_num", "sinc", "sinh", "tan", "xlogy",
    "addbmm", "addcdiv", "addcmul", "addmm", "addmv", "baddbmm", "cross", "inner", "kron", "tensordot",
    "broadcast_tensors", "cdist", "column_stack", "cummax", "cummin", "diff", "dstack", "hstack", "logcumsumexp",
    "median", "meshgrid", "nanmean", "nansum", "repeat_interleave", "rot90", "vstack",
    "nanquantile", "quantile", "kthvalue", "mode",
    "bincount", "bucketize", "isin", "searchsorted", "unique",
    "rms_norm", "multi_margin_loss", "multilabel_margin_loss", "triplet_margin_with_distance_loss", "pdist",
    "embedding_bag",
    "ctc_loss",
    "adaptive_avg_pool3d", "adaptive_max_pool3d", "avg_pool3d", "conv3d", "conv_transpose3d", "max_pool3d",
    "max_unpool3d",
    "msort", "fliplr", "flipud", "atleast_1d", "atleast_2d", "atleast_3d", "row_stack", "dsplit", "hsplit",
    "split_with_sizes", "tensor_split", "vsplit", "put", "take", "unravel_index", "diag_embed", "diagflat",
    "diagonal_scatter", "select_scatter", "slice_scatter", "block_diag", "cartesian_prod", "combinations", "vander",
    "broadcast_shapes", "sum_to_size", "aminmax", "nanmedian", "unique_consecutive", "index_reduce", "isneginf",
    "isposinf", "isreal", "signbit",
    "deg2rad", "float_power", "fmax", "fmin", "ldexp", "mvlgamma", "positive", "rad2deg", "rsub", "sgn",
    "frexp", "gcd", "heaviside", "lcm", "nextafter", "igamma", "igammac", "dist", "renorm",
    "cumulative_trapezoid", "trapezoid", "trapz", "corrcoef", "cov", "histc", "histogram", "histogramdd", "addr",
    "bitwise_left_shift", "bitwise_right_shift",
    "as_strided", "as_strided_scatter", "fill", "frobenius_norm", "gradient", "native_norm", "nuclear_norm",
]

# Imported on first use (``ops.histc``, ``from deltaprop.ops import histc``): each module with the names
# it lends. (Modules whose name is also a function's, such as median and einsum, stay imported above.)
_RARE = {
    ".binary_math": "arctan2 atan2 copysign fmod hypot lerp logaddexp logaddexp2 xlogy",
    ".trigonometric": "acos acosh arccos arccosh arcsin arcsinh arctan arctanh asin asinh atan atanh cosh sinc sinh tan",
    ".gamma_functions": "digamma lgamma polygamma",
    ".incomplete_gamma": "igamma igammac",
    ".elementwise_forms": "deg2rad float_power fmax fmin ldexp mvlgamma positive rad2deg rsub sgn",
    ".number_steps": "frexp gcd heaviside lcm nextafter",
    ".shifts": "bitwise_left_shift bitwise_right_shift",
    ".stacking": "atleast_1d atleast_2d atleast_3d broadcast_tensors column_stack dstack hstack meshgrid row_stack vstack",
    ".sections": "dsplit hsplit split_with_sizes tensor_split vsplit",
    ".flat_positions": "put take unravel_index",
    ".view_scatter": "diag_embed diagflat diagonal_scatter select_scatter slice_scatter",
    ".combining": "block_diag cartesian_prod combinations vander",
    ".broadcasting": "broadcast_shapes sum_to_size",
    ".counting": "bincount unique unique_consecutive",
    ".searching": "bucketize isin searchsorted",
    ".selection": "kthvalue mode",
    ".nan_reduction": "nanmean nansum",
    ".norm_forms": "dist frobenius_norm native_norm nuclear_norm renorm",
    ".integration": "cumulative_trapezoid trapezoid trapz",
    ".covariance": "corrcoef cov",
    ".histograms": "histc histogram histogramdd",
    ".sampling": "bernoulli binomial multinomial normal poisson",
    ".strided": "as_strided as_strided_scatter",
    ".finite_differences": "gradient",
    ".filling": "fill",
}
# ... and each of them, like the modules of deltaprop.linalg, deltaprop.special and nn's recurrent
# layers, is also this package's attribute (``ops.histograms``, ``ops.linalg_forms.det``), as an
# imported submodule is.
_LINEAR_ALGEBRA = (
    "._matrices", ".decompositions", ".householder", ".ldl_factorization", ".least_squares", ".linalg_forms",
    ".lu_factorization", ".matrix_exponential", ".matrix_functions", ".matrix_norms", ".rank_and_condition",
    ".solve_forms", ".triangular_solve",
)
_lazy.provide(globals(), _RARE, modules=(*_RARE, *_LINEAR_ALGEBRA, ".special_functions", ".recurrent", ".aliasing"))
