"""Second-derivative cases (see higher_order_cases.py for the form) of the rules in
autograd/differentiable_elementwise.py and autograd/differentiable_reductions.py: trigonometric,
hyperbolic and special functions, binary math, piecewise-constant functions, products and running
reductions, norms of any order, tanh gelu, clamps by tensors and the Gaussian NLL.

Inputs are moved into each function's domain inside the case (x.tanh()·0.9 into (−1, 1), x + 1
above 1 for "positive" draws). A piecewise-constant or piecewise-linear result is multiplied by an
input so that its slope shows in a second derivative. A product that is 0 (an input holding zeros)
has a term added, so that s = Σ w·y² has y ≠ 0 and its second derivative shows the product's."""

import numpy as np

INF = float("inf")


def constant(like, values):
    return like.new_tensor(np.asarray(values, dtype=np.float64))


def zeros_at(like, places, shape, kind="real"):
    """``like`` less its draw's values at ``places``: exact zeros there, at the drawn point only (the
    draws of higher_order_cases.draw, seed 0, for one input of ``shape``), so finite differences move them."""
    rng = np.random.default_rng(0)
    drawn = rng.uniform(0.5, 1.5, shape) if kind == "positive" else rng.standard_normal(shape)
    shift = np.zeros(shape)
    for place in places:
        shift[place] = drawn[place]
    return like - constant(like, shift)


ONE_ZERO = [(0, 1)]
TWO_ZEROS = [(0, 1), (0, 3), (2, 2)]  # two in row 0, one in row 2

CASES = [
    # trigonometric and hyperbolic
    ("tan", lambda L, F, x: (x * 0.5).tan(), [(3, 4)], "real"),
    ("asin", lambda L, F, x: L.asin(x.tanh() * 0.9), [(3, 4)], "real"),
    ("acos", lambda L, F, x: L.acos(x.tanh() * 0.9), [(3, 4)], "real"),
    ("atan", lambda L, F, x: L.atan(x), [(3, 4)], "real"),
    ("sinh", lambda L, F, x: L.sinh(x), [(3, 4)], "real"),
    ("cosh", lambda L, F, x: L.cosh(x), [(3, 4)], "real"),
    ("asinh", lambda L, F, x: L.asinh(x * 2.0), [(3, 4)], "real"),
    ("acosh", lambda L, F, x: L.acosh(x + 1.0), [(3, 4)], "positive"),
    ("atanh", lambda L, F, x: L.atanh(x.tanh() * 0.9), [(3, 4)], "real"),
    ("sinc", lambda L, F, x: L.sinc(x), [(3, 4)], "real"),
    # special functions
    ("erfinv", lambda L, F, x: L.erfinv(x.tanh() * 0.9), [(3, 4)], "real"),
    ("lgamma negative", lambda L, F, x: L.lgamma(x * 0.3 - 2.5), [(3, 4)], "positive"),
    ("digamma negative", lambda L, F, x: L.digamma(x * 0.3 - 2.5), [(3, 4)], "positive"),
    ("polygamma 2", lambda L, F, x: L.polygamma(2, x * 2.0), [(3, 4)], "positive"),
    ("polygamma 3 negative", lambda L, F, x: L.polygamma(3, x * 0.3 - 1.5), [(3, 4)], "positive"),
    ("logit", lambda L, F, x: L.special.logit(x.sigmoid()), [(3, 4)], "real"),
    ("logit eps", lambda L, F, x: L.special.logit(x.sigmoid(), eps=0.25) * x, [(3, 4)], "real"),
    ("ndtr", lambda L, F, x: L.special.ndtr(x), [(3, 4)], "real"),
    ("log_ndtr", lambda L, F, x: L.special.log_ndtr(x * 3.0), [(3, 4)], "real"),
    ("log_ndtr left tail", lambda L, F, x: L.special.log_ndtr(x * 0.5 - 4.0), [(3, 4)], "real"),
    ("erfcx", lambda L, F, x: L.special.erfcx(x + 1.0), [(3, 4)], "real"),
    ("ndtri", lambda L, F, x: L.special.ndtri(x.sigmoid()), [(3, 4)], "real"),
    ("i0", lambda L, F, x: L.special.i0(x * 2.0), [(3, 4)], "real"),
    ("i1", lambda L, F, x: L.special.i1(x * 2.0), [(3, 4)], "real"),
    ("i0e", lambda L, F, x: L.special.i0e(x * 2.0), [(3, 4)], "real"),
    ("i1e", lambda L, F, x: L.special.i1e(x * 2.0), [(3, 4)], "real"),
    ("entr", lambda L, F, x: L.special.entr(x), [(3, 4)], "positive"),
    ("xlogy", lambda L, F, x, y: L.xlogy(x, y.exp()), [(3, 4), (4,)], "real"),
    ("xlogy zeros", lambda L, F, x, y: L.xlogy(zeros_at(x, ONE_ZERO, (3, 4)), y.exp()) * x, [(3, 4), (4,)], "real"),
    ("xlog1py", lambda L, F, x, y: L.special.xlog1py(x, y.exp()), [(3, 1), (3, 4)], "real"),
    # binary math
    ("atan2", lambda L, F, x, y: L.atan2(x, y), [(3, 4), (4,)], "real"),
    ("hypot", lambda L, F, x, y: L.hypot(x, y), [(3, 4), (3, 1)], "real"),
    ("copysign", lambda L, F, x, y: L.copysign(x, y) * x * y, [(3, 4), (4,)], "real"),
    ("fmod", lambda L, F, x, y: L.fmod(x * 3.0, y) * y, [(3, 4), (4,)], "real"),
    ("remainder", lambda L, F, x, y: L.remainder(x * 3.0, y) * y, [(3, 4), (4,)], "real"),
    ("lerp number", lambda L, F, x, y: L.lerp(x, y, 0.3) * x, [(3, 4), (4,)], "real"),
    ("lerp tensor", lambda L, F, x, y, w: L.lerp(x, y, w) * w, [(3, 4), (3, 4), (4,)], "real"),
    ("lerp large weight", lambda L, F, x, y, w: L.lerp(x, y, w + 1.0) * x, [(3, 4), (3, 4), (3, 4)], "real"),
    ("logaddexp", lambda L, F, x, y: L.logaddexp(x, y), [(3, 4), (4,)], "real"),
    ("logaddexp2", lambda L, F, x, y: L.logaddexp2(x, y), [(3, 1), (3, 4)], "real"),
    # piecewise constant
    ("ceil", lambda L, F, x: (x * 3.0).ceil() * x, [(3, 4)], "real"),
    ("floor", lambda L, F, x: (x * 3.0).floor() * x, [(3, 4)], "real"),
    ("round", lambda L, F, x: (x * 3.0).round() * x, [(3, 4)], "real"),
    ("round decimals", lambda L, F, x: L.round(x, decimals=1) * x, [(3, 4)], "real"),
    ("trunc", lambda L, F, x: (x * 3.0).trunc() * x, [(3, 4)], "real"),
    ("div trunc", lambda L, F, x, y: L.div(x * 3.0, y, rounding_mode="trunc") * x * y, [(3, 4), (4,)], "real"),
    ("div floor", lambda L, F, x, y: L.div(x * 3.0, y, rounding_mode="floor") * y, [(3, 4), (4,)], "real"),
    ("frac", lambda L, F, x: L.frac(x * 3.0) * x, [(3, 4)], "real"),
    # products and running reductions
    ("prod all", lambda L, F, x: x.prod() * x, [(2, 3)], "positive"),
    ("prod dim", lambda L, F, x: x.prod(dim=1), [(3, 4)], "real"),
    ("prod keepdim negative dim", lambda L, F, x: x.prod(dim=-2, keepdim=True) * x, [(3, 4)], "real"),
    ("prod one zero", lambda L, F, x: zeros_at(x, ONE_ZERO, (3, 4)).prod(dim=1) + x[:, 0], [(3, 4)], "real"),
    ("prod two zeros", lambda L, F, x: zeros_at(x, TWO_ZEROS, (3, 4)).prod(dim=1) + x[:, 0], [(3, 4)], "real"),
    ("prod all one zero", lambda L, F, x: zeros_at(x, ONE_ZERO, (3, 4)).prod() + x, [(3, 4)], "real"),
    ("prod all two zeros", lambda L, F, x: zeros_at(x, TWO_ZEROS[:2], (3, 4)).prod() + x, [(3, 4)], "real"),
    ("prod dim 0 zeros", lambda L, F, x: zeros_at(x, TWO_ZEROS, (3, 4)).prod(dim=0) + x[0], [(3, 4)], "real"),
    ("cumprod", lambda L, F, x: x.cumprod(dim=1), [(3, 4)], "real"),
    ("cumprod dim 0", lambda L, F, x: L.cumprod(x, dim=0), [(3, 2, 2)], "real"),
    ("cumprod one zero", lambda L, F, x: zeros_at(x, ONE_ZERO, (3, 4)).cumprod(dim=1) + x, [(3, 4)], "real"),
    ("cumprod two zeros", lambda L, F, x: zeros_at(x, TWO_ZEROS, (3, 4)).cumprod(dim=1) + x, [(3, 4)], "real"),
    ("cumprod zeros dim 0", lambda L, F, x: zeros_at(x, TWO_ZEROS, (3, 4)).cumprod(dim=0) + x, [(3, 4)], "real"),
    ("logcumsumexp", lambda L, F, x: L.logcumsumexp(x, dim=1), [(3, 4)], "real"),
    ("logcumsumexp dim 0", lambda L, F, x: L.logcumsumexp(x * 3.0, dim=0), [(3, 2, 2)], "real"),
    # norms of other orders
    ("norm 3", lambda L, F, x: x.norm(3, dim=1), [(3, 4)], "real"),
    ("norm half", lambda L, F, x: x.norm(0.5), [(3, 4)], "real"),
    ("norm inf", lambda L, F, x: x.norm(INF, dim=1) * x[:, 0], [(3, 4)], "real"),
    ("vector_norm 3 keepdim", lambda L, F, x: L.linalg.vector_norm(x, ord=3, dim=0, keepdim=True) * x, [(3, 4)],
     "real"),
    ("vector_norm 1.5", lambda L, F, x: L.linalg.vector_norm(x, ord=1.5), [(3, 4)], "real"),
    ("vector_norm -1", lambda L, F, x: L.linalg.vector_norm(x, ord=-1, dim=1), [(3, 4)], "real"),
    ("vector_norm inf", lambda L, F, x: L.linalg.vector_norm(x, ord=INF) * x, [(3, 4)], "real"),
    ("vector_norm -inf", lambda L, F, x: L.linalg.vector_norm(x, ord=-INF, dim=1) * x[:, 1], [(3, 4)], "real"),
    ("vector_norm 0", lambda L, F, x: L.linalg.vector_norm(x, ord=0, dim=1) * x[:, 1], [(3, 4)], "real"),
    # options formerly refused
    ("gelu tanh", lambda L, F, x: F.gelu(x * 2.0, approximate="tanh"), [(3, 4)], "real"),
    ("clamp tensor min", lambda L, F, x, y: L.clamp(x, min=y) * x * y, [(3, 4), (4,)], "real"),
    ("clamp tensor bounds", lambda L, F, x, y, z: L.clamp(x, y, z) * x * y * z, [(3, 4), (3, 4), (4,)], "real"),
    ("clamp tensor max broadcast", lambda L, F, x, y: L.clamp(x, max=y) * y, [(4,), (3, 4)], "real"),
    ("clamp constant bounds broadcast", lambda L, F, x: L.clamp(x, min=constant(x, np.zeros((2, 1, 4)))) * x,
     [(3, 4)], "real"),
    ("gaussian_nll_loss", lambda L, F, x, y, v: F.gaussian_nll_loss(x, y, v.exp()), [(3, 4), (3, 4), (3, 4)], "real"),
    ("gaussian_nll_loss full sum", lambda L, F, x, y, v: F.gaussian_nll_loss(x, y, v.exp(), full=True, reduction="sum"),
     [(3, 4), (3, 4), (3, 1)], "real"),
    # (eps below every variance: a clamp that holds is checked against PyTorch only, in
    # tests/reference/test_torch_higher_order_elementwise.py, as finite differences cannot see it)
    ("gaussian_nll_loss eps none", lambda L, F, x, y, v: F.gaussian_nll_loss(x, y, v * v + 0.3, eps=0.2,
                                                                             reduction="none"),
     [(3, 4), (3, 4), (3,)], "real"),
    ("gaussian_nll_loss number var", lambda L, F, x, y: F.gaussian_nll_loss(x, y, 0.7), [(3, 4), (3, 4)], "real"),
]

#: Cases PyTorch 2.13 cannot check: finite differences only.
FINITE_DIFFERENCES_ONLY = [
    # PyTorch 2.13 gives these no gradient at all (their results have no grad_fn)
    ("bessel_j0", lambda L, F, x: L.special.bessel_j0(x * 3.0), [(3, 4)], "real"),
    ("bessel_j1", lambda L, F, x: L.special.bessel_j1(x * 3.0), [(3, 4)], "real"),
    ("bessel_y0", lambda L, F, x: L.special.bessel_y0(x * 3.0), [(3, 4)], "positive"),
    ("bessel_y1", lambda L, F, x: L.special.bessel_y1(x * 3.0), [(3, 4)], "positive"),
    ("modified_bessel_i0", lambda L, F, x: L.special.modified_bessel_i0(x * 2.0), [(3, 4)], "real"),
    ("modified_bessel_i1", lambda L, F, x: L.special.modified_bessel_i1(x * 2.0), [(3, 4)], "real"),
    ("modified_bessel_k0", lambda L, F, x: L.special.modified_bessel_k0(x * 2.0), [(3, 4)], "positive"),
    ("modified_bessel_k1", lambda L, F, x: L.special.modified_bessel_k1(x * 2.0), [(3, 4)], "positive"),
    ("scaled_modified_bessel_k0", lambda L, F, x: L.special.scaled_modified_bessel_k0(x * 3.0), [(3, 4)], "positive"),
    ("scaled_modified_bessel_k1", lambda L, F, x: L.special.scaled_modified_bessel_k1(x * 3.0), [(3, 4)], "positive"),
    ("spherical_bessel_j0", lambda L, F, x: L.special.spherical_bessel_j0(x * 3.0), [(3, 4)], "real"),
    ("chebyshev_polynomial_t", lambda L, F, x: L.special.chebyshev_polynomial_t(x, 5.0), [(3, 4)], "real"),
    ("shifted_chebyshev_polynomial_w", lambda L, F, x: L.special.shifted_chebyshev_polynomial_w(x, 4.0), [(3, 4)],
     "real"),
    ("hermite_polynomial_h", lambda L, F, x: L.special.hermite_polynomial_h(x, 4.0), [(3, 4)], "real"),
    ("laguerre_polynomial_l", lambda L, F, x: L.special.laguerre_polynomial_l(x + 1.0, 6.0), [(3, 4)], "positive"),
    ("legendre_polynomial_p", lambda L, F, x: L.special.legendre_polynomial_p(x.tanh(), 7.0), [(3, 4)], "real"),
    ("zeta in q", lambda L, F, x: L.special.zeta(3.0, x * 2.0), [(3, 4)], "positive"),
    # PyTorch's polygamma(1, ·), digamma's slope, is ~5e-10 off for x > 0 (tests/test_gamma_functions.py),
    # beyond the 1e-10 of the comparison; tests/reference/test_torch_higher_order_elementwise.py compares
    # these to 1e-8 (the negative arguments, where PyTorch reflects accurately, are cases above)
    ("digamma", lambda L, F, x: L.digamma(x), [(3, 4)], "positive"),
    ("lgamma", lambda L, F, x: L.lgamma(x * 3.0), [(3, 4)], "positive"),
    # PyTorch 2.13: "derivative for aten::floor_divide is not implemented" (its div with rounding_mode='floor'
    # has one, a case above)
    ("floor_divide", lambda L, F, x, y: L.floor_divide(x * 3.0, y) * x * y, [(3, 4), (4,)], "real"),
    # PyTorch's cumprod asks for a dim; deltaprop's, as NumPy's, runs over the flattened input without one
    ("cumprod flattened", lambda L, F, x: L.cumprod(x), [(2, 3)], "real"),
    ("cumprod flattened zero", lambda L, F, x: L.cumprod(zeros_at(x, ONE_ZERO, (2, 3))) + x.reshape(-1), [(2, 3)],
     "real"),
    # PyTorch 2.13: "the derivative for '_cdist_backward' is not implemented". Distances (a point
    # shared by both sets, moved with x: its distance stays 0)
    ("cdist", lambda L, F, x, y: L.cdist(x, y), [(3, 4), (2, 4)], "real"),
    ("cdist shared point", lambda L, F, x, y: L.cdist(x, L.cat([x[:1], y])), [(3, 4), (2, 4)], "real"),
    ("cdist p=1 batched", lambda L, F, x, y: L.cdist(x, y, p=1.0) ** 2, [(2, 3, 4), (2, 2, 4)], "real"),
    ("cdist p=3 shared point", lambda L, F, x, y: L.cdist(x, L.cat([x[:1], y]), p=3.0), [(3, 4), (2, 4)], "real"),
    ("cdist inf", lambda L, F, x, y: L.cdist(x, y, p=INF) ** 2, [(3, 4), (2, 4)], "real"),
]
