"""Differentiable gradient rules of the spatial primitives (convolutions, transposed convolutions,
pooling, padding, resampling, im2col), registered in :data:`.differentiable_rules.RULES`. See that
module for the two kinds of rule.

**Linear primitives.** Average pooling (adaptive too), padding, interpolation, max unpooling,
``unfold`` and ``fold`` are linear in their input, so their rule is a :func:`.linear_map` of g whose forward is
the primitive's own NumPy rule and whose transpose is the primitive itself, restated on the
incoming gradient from the geometry its rule keeps (the padded windows' offsets, the divisors,
the bins, the gathered positions). Max pooling (adaptive too) is linear in g once the positions of
the maxima are known, which its rule keeps: the rule scatters g to them, and its transpose gathers
from them. Through a maximum, the second derivative with respect to the input is thus zero except
through g, as in PyTorch.

**Convolutions** are bilinear: y = F(x, W) (+ b). With Bx(g, W) = Fᵀg the input gradient (the
adjoint of x ↦ F(x, W)) and BW(x, g) the weight gradient (the adjoint of W ↦ F(x, W)), the three
maps satisfy ⟨g, F(x, W)⟩ = ⟨Bx(g, W), x⟩ = ⟨BW(x, g), W⟩, so each one's gradient is made of the
other two:

* F(x, W):  ∂/∂x = Bx(v, W),  ∂/∂W = BW(x, v)
* Bx(g, W): ∂/∂g = F(v, W),   ∂/∂W = BW(v, g)
* BW(x, g): ∂/∂x = Bx(g, v),  ∂/∂g = F(x, v)

(v the incoming gradient). The rule of a convolution records Bx and BW as operations on two
tensors whose own rules are the lines above, so derivatives of any order pass, in both arguments (a
gradient penalty on a convolutional critic differentiates Bx with respect to W). A transposed
convolution is the Bx of the convolution it transposes, and takes the second line. The bias's
gradient is g summed over the batch and the positions. The three maps run the primitives' own
NumPy code: F the convolution, Bx the transposed convolution, BW the convolution's weight gradient.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .. import ops
from ..grad_mode import enable_grad
from ..ops._core import record
from ..ops._windows import _pad
from ..ops.shape import _PAD_MODES
from ..tensor import Tensor
from .differentiable_layers import composed
from .differentiable_rules import _by_own_rule, kept, rule

# -- convolutions: three bilinear maps, closed under differentiation ---------------------------------


class _Geometry:
    """The windows of one convolution: ``n`` spatial axes, the ``kernel``, ``stride``, ``pads``
    ((before, after) per axis), ``dilation`` and ``groups``, the ``spatial`` shape of its input, and
    whether that input had a batch axis. Its three maps take and return arrays shaped as the
    convolution's (unbatched ones when it was)."""

    def __init__(self, n, kernel, stride, pads, dilation, groups, spatial, batched) -> None:
        self.n, self.kernel, self.stride, self.pads = n, tuple(kernel), tuple(stride), tuple(pads)
        self.dilation, self.groups, self.spatial, self.batched = tuple(dilation), int(groups), tuple(spatial), batched

    def _arrays(self, a, b, activations=1):
        """Both arrays in their common dtype, the first ``activations`` of them with a batch axis."""
        dtype = np.result_type(a, b)
        return tuple((t if self.batched or i >= activations else t[None]).astype(dtype, copy=False)
                     for i, t in enumerate((a, b)))

    def _out(self, result):
        return result if self.batched else result[0]

    def convolve(self, X, W):
        """F(x, W): the convolution, with the input padded explicitly (so 'same' pads of unequal
        sides are honoured)."""
        X, W = self._arrays(X, W)
        Xp = np.pad(X, ((0, 0), (0, 0), *self.pads)) if any(lo or hi for lo, hi in self.pads) else X
        convolution = getattr(ops, f"conv{self.n}d")
        return self._out(convolution(Xp, W, None, self.stride, 0, self.dilation, self.groups).data)

    def input_gradient(self, G, W):
        """Bx(g, W): the transposed convolution of g onto the padded input, whose size the output
        padding sets (a stride may leave trailing positions that no window reads), then the
        interior."""
        G, W = self._arrays(G, W)
        positions = G.shape[2:]
        padded = [size + lo + hi for size, (lo, hi) in zip(self.spatial, self.pads)]
        extra = tuple(p - ((m - 1) * s + d * (k - 1) + 1)
                      for p, m, s, d, k in zip(padded, positions, self.stride, self.dilation, self.kernel))
        transposed = getattr(ops, f"conv_transpose{self.n}d")
        full = transposed(G, W, None, self.stride, 0, extra, self.groups, self.dilation).data
        return self._out(full[(Ellipsis, *(slice(lo, lo + size) for size, (lo, _) in zip(self.spatial, self.pads)))])

    def weight_gradient(self, X, G):
        """BW(x, g): the convolution's own weight gradient, from its NumPy rule, of a convolution of
        x with a weight of zeros (the rule reads only the weight's shape; the forward it needs is
        one convolution more than a rule of its own would take)."""
        X, G = self._arrays(X, G, activations=2)
        shape = (G.shape[1], X.shape[1] // self.groups, *self.kernel)
        Xp = np.pad(X, ((0, 0), (0, 0), *self.pads)) if any(lo or hi for lo, hi in self.pads) else X
        weight = Tensor._wrap(np.zeros(shape, X.dtype))
        weight.requires_grad = True
        with enable_grad():
            y = getattr(ops, f"conv{self.n}d")(Xp, weight, None, self.stride, 0, self.dilation, self.groups)
        return y._backward(G)[1]  # (a weight has no batch axis)


def _adjoints(kind: str, a, b, v, apply, needs):
    """(∂/∂a, ∂/∂b) of ⟨v, kind(a, b)⟩ for the three maps of :class:`_Geometry`, written with
    ``apply(kind, first, second)`` (arrays or recorded tensors alike); None where not ``needs``."""
    first, second = needs
    if kind == "convolve":  # F(x, W)
        return (apply("input_gradient", v, b) if first else None, apply("weight_gradient", a, v) if second else None)
    if kind == "input_gradient":  # Bx(g, W)
        return (apply("convolve", v, b) if first else None, apply("weight_gradient", v, a) if second else None)
    # BW(x, g)
    return (apply("input_gradient", b, v) if first else None, apply("convolve", a, v) if second else None)


def _bilinear(geometry: _Geometry, kind: str, a: Tensor, b: Tensor) -> Tensor:
    """``geometry``'s map ``kind`` of the tensors a and b, recorded as the operation 'conv.kind', whose
    NumPy rule is :func:`_adjoints` on arrays (and its differentiable rule the same on tensors)."""
    def backward(v):
        return _adjoints(kind, a.data, b.data, v, lambda k, p, q: getattr(geometry, k)(p, q),
                         (a.requires_grad, b.requires_grad))

    return record(np.asarray(getattr(geometry, kind)(a.data, b.data)), (a, b), backward, f"conv.{kind}")


@rule("conv.convolve", "conv.input_gradient", "conv.weight_gradient")
def _conv_map(node, g):
    """The rules of the three maps themselves: each one's gradient made of the other two (the table above)."""
    geometry = kept(node)["geometry"]
    a, b = node._parents
    return _adjoints(node._op[len("conv."):], a, b, g, partial(_bilinear, geometry),
                     (a.requires_grad, b.requires_grad))


def _with_bias(node, grads, g, n):
    """``grads`` for the input and weight, and for a bias (the node's third parent) g summed over the
    batch and the positions."""
    if len(node._parents) < 3:
        return grads
    bias = node._parents[2]
    axes = tuple(range(g.data.ndim - n - 1)) + tuple(range(g.data.ndim - n, g.data.ndim))
    return grads + (ops.sum(g, axis=axes) if bias.requires_grad else None,)


@rule("conv1d", "conv2d", "conv3d")
def _conv(node, g):
    """y = F(x, W) + b: ∂x = Bx(g, W), ∂W = BW(x, g), ∂b = g summed over the batch and the positions."""
    values = kept(node)
    n = values["n"]
    geometry = _Geometry(n, values["kernel"], values["stride"], values["pads"], values["dilation"],
                         values.get("G", 1), values["X"].shape[2:], values["batched"])
    x, w = node._parents[:2]
    grads = _adjoints("convolve", x, w, g, partial(_bilinear, geometry),
                      (x.requires_grad, w.requires_grad))
    return _with_bias(node, grads, g, n)


@rule("conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
def _conv_transpose(node, g):
    """y = Bx(x, W) + b, Bx that of the convolution it transposes: ∂x = F(g, W), ∂W = BW(g, x), ∂b as a
    convolution's."""
    values = kept(node)
    n = values["n"]
    # the convolution this one transposes: its input has the shape of this one's output
    geometry = _Geometry(n, values["kernel"], values["stride"], values["pads"], values["dilation"],
                         values["groups"], node.data.shape[-n:], values["batched"])
    y, w = node._parents[:2]
    grads = _adjoints("input_gradient", y, w, g, partial(_bilinear, geometry),
                      (y.requires_grad, w.requires_grad))
    return _with_bias(node, grads, g, n)


# -- pooling: linear in the input (averages), or in g given the maxima's positions -------------------


def _batched(values, transpose):
    """``transpose`` (on arrays with a batch axis) for a primitive whose input may have had none."""
    if values["batched"]:
        return transpose
    return lambda v: transpose(v[None])[0]


@rule("avg_pool1d", "avg_pool2d", "avg_pool3d")
def _avg_pool(node, g):
    """Linear: the rule spreads g/divisor over each window; its transpose averages v's windows (the forward)."""
    values = kept(node)
    offsets, pads, divisor = values["offsets"], values["pads"], values["divisor"]

    def average(v):  # the forward: the windows of the zero-padded v, summed, over the divisors
        vp = _pad(v, pads, 0)
        return sum(vp[(Ellipsis, *index)] for _, index in offsets) / divisor

    return (_by_own_rule(node, g, 0, _batched(values, average)),)


@rule("max_pool1d", "max_pool2d", "max_pool3d")
def _max_pool(node, g):
    """Linear in g: the rule sends each window's g to its maximum; its transpose gathers v from there."""
    values = kept(node)
    offsets, pads, winner = values["offsets"], values["pads"], values["winner"]

    def gather(v):  # each window's value of v where its maximum was
        vp = _pad(v, pads, 0)
        out = np.zeros(winner.shape, v.dtype)
        for k, (_, index) in enumerate(offsets):
            np.copyto(out, vp[(Ellipsis, *index)], where=winner == k)
        return out

    return (_by_own_rule(node, g, 0, _batched(values, gather)),)


@rule("lp_pool1d", "lp_pool2d", "lp_pool3d")
def _lp_pool(node, g):
    """The pooling of x^p (or, for p = inf, of |x|) that lp pooling records under its own name: an
    average pooling's rule, or a max pooling's where the rule keeps the winners."""
    return (_max_pool if "winner" in kept(node) else _avg_pool)(node, g)


@rule("adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d")
def _adaptive_avg_pool(node, g):
    """Linear: the rule spreads g/(bin size) over each bin; its transpose averages v's bins (the forward)."""
    values = kept(node)
    if "offsets" in values:  # bins that tile the input: an ordinary average pooling
        return _avg_pool(node, g)
    shape = node.data.shape
    if node.data.size == 0:  # no bins

        def average(v):
            return np.zeros(shape, v.dtype)
    elif "positions" in values:  # one bin: the global average
        axes, positions = tuple(range(-_spatial(node), 0)), values["positions"]

        def average(v):
            return v.sum(axis=axes, keepdims=True) / positions if positions else np.zeros(shape, v.dtype)
    elif "bins" in values:  # adaptive_avg_pool1d
        bins = values["bins"]

        def average(v):
            out = np.zeros(shape, v.dtype)
            for i, (start, stop) in enumerate(bins):
                if stop > start:
                    out[..., i] = v[..., start:stop].mean(axis=-1)
            return out
    else:
        cells, axes = values["cells"], tuple(range(-values["n"], 0))

        def average(v):
            out = np.empty(shape, v.dtype)
            for cell, window in cells:
                out[(Ellipsis, *cell)] = v[window].mean(axis=axes)
            return out

    return (_by_own_rule(node, g, 0, average),)


def _spatial(node) -> int:
    """The number of spatial axes of a pooling, from its name ('…2d')."""
    return int(node._op[-2])


@rule("adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d")
def _adaptive_max_pool(node, g):
    """Linear in g: the rule adds each bin's g at its maximum; its transpose gathers v from there."""
    values = kept(node)
    rows, plane, where, shape = values["rows"], values["plane"], values["where"], node.data.shape
    columns = where.reshape(rows, -1)

    def gather(v):  # each bin's value of v where its maximum was
        return np.take_along_axis(v.reshape(rows, plane), columns, axis=1).reshape(shape)

    return (_by_own_rule(node, g, 0, gather),)


@rule("max_unpool1d", "max_unpool2d", "max_unpool3d")
def _max_unpool(node, g):
    """Linear: the rule gathers g at each value's place; its transpose adds v at the places."""
    values = kept(node)
    rows, plane, flat, shape = values["rows"], values["plane"], values["flat"], node.data.shape

    def scatter(v):  # the transpose of the rule's gather: each value added at its place (shared places sum)
        out = np.zeros((rows, plane), v.dtype)
        np.add.at(out, (np.arange(rows)[:, None], flat), v.reshape(flat.shape))
        return out.reshape(shape)

    return (_by_own_rule(node, g, 0, scatter),)


# -- padding, resampling, im2col: linear maps ---------------------------------------------------------


@rule("pad")
def _pad_rule(node, g):
    """Linear: the rule cuts the padding off g (adding it back where it was copied from); its transpose
    pads v."""
    values = kept(node)
    shape = node.data.shape
    if "inner" in values:  # constant: v cropped and put inside zeros (the fill value is no part of the gradient)
        crop, inner = values["crop"], values["inner"]

        def padded(v):
            out = np.zeros(shape, v.dtype)
            out[inner] = v[crop]
            return out
    else:  # reflect, replicate, circular: the primitive's own np.pad
        mode, grow, first, crops, cut = values["mode"], values["grow"], values["first"], values["crops"], values["cut"]
        numpy_mode = _PAD_MODES[mode]

        def padded(v):
            widths = [(0, 0)] * first + list(grow)
            if mode == "circular":  # crop, then wrap
                return np.pad(v[cut] if crops else v, widths, mode="wrap")
            out = np.pad(v, widths, mode=numpy_mode)  # pad, then crop
            return out[cut] if crops else out

    return (_by_own_rule(node, g, 0, padded),)


@rule("interpolate")
def _interpolate(node, g):
    """Linear: the rule adds λ·g back onto the positions read; its transpose reads v there (the forward).
    An antialiased pass keeps its banded weight matrix instead: its rule applies the transpose, whose
    transpose is the matrix."""
    values = kept(node)
    axis = values["axis"]
    if "matrix" in values:
        return (_by_own_rule(node, g, 0, partial(values["matrix"].along, axis=axis)),)
    terms = values["terms"]

    def resample(v):  # Σ λ·v[i] along the axis, over the one (nearest) or two (linear) terms
        out = 0
        for index, weight in terms:
            taken = np.take(v, index, axis=axis)
            out = out + (taken if weight is None else taken * weight)
        return out

    return (_by_own_rule(node, g, 0, resample),)


@composed("grid_sample")
def _grid_sample(node, x, *parents):
    """Bilinear and nearest grid sampling (ops/grid_sample.py), restated as the gathers and products
    of nn.functional.sampling's composition, whose own rules are differentiable; nearest's node lists
    the input alone, and the grid it read is kept on its rule."""
    from ..nn.functional.sampling import _sampled  # (nn imports autograd)

    values = kept(node)
    grid = parents[0] if parents else values["grid"]
    with np.errstate(invalid="ignore", over="ignore"):
        return _sampled(x, grid, values["mode"], values["padding_mode"], values["align_corners"])


@rule("unfold", "fold")
def _unfold(node, g):
    """Linear, each the other's rule: unfold copies windows into columns, fold adds columns back."""
    values = kept(node)
    options = {"kernel_size": values["kernel"], "dilation": values["dilation"], "stride": values["stride"],
               "padding": tuple(lo for lo, _ in values["pads"])}
    if node._op == "unfold":
        def forward(v):  # the windows of v as columns
            return ops.unfold(v, **options).data
    else:
        size = node.data.shape[-2:]

        def forward(v):  # the columns of v added back onto their windows
            return ops.fold(v, size, **options).data
    return (_by_own_rule(node, g, 0, forward),)
