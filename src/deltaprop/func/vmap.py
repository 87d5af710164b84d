"""``vmap``: a function of one sample made into a function of a batch, PyTorch's ``torch.func.vmap``.

deltaprop's ``vmap`` is a loop, not a vectorising transform: the function is called once per
index of the mapped dimension, on the slices of the mapped arguments at that index, and the
results are stacked along ``out_dims``. The results are PyTorch's; the speed is that of the loop
(for a batch the function could take whole, calling it on the batch is faster). Slices and stacks
are operations of the graph, so gradients flow through ``vmap`` both ways, and transforms nest:
``vmap(grad(loss))`` gives per-sample gradients, ``vmap(vmap(f))`` maps two dimensions.

Being a loop, it runs what PyTorch's ``vmap`` refuses (``.item()``, branching on a sample's values)
as a loop would. ``randomness`` is PyTorch's: ``'error'`` refuses a function that draws from the
library's generator (seen by comparing the generator's state before and after each call: a
draw from a ``Generator`` given as ``generator=`` is not seen), ``'different'`` lets each sample
draw its own numbers, ``'same'`` gives every sample the same draws (the generator is rewound
before each call). ``chunk_size`` is taken and changes nothing.

    >>> import deltaprop as dp
    >>> from deltaprop.func import vmap
    >>> vmap(dp.dot)(dp.tensor([[1.0, 2.0], [3.0, 4.0]]), dp.tensor([[1.0, 1.0], [2.0, 0.5]]))
    tensor([3., 8.])
    >>> vmap(lambda row, scale: row * scale, in_dims=(1, None))(dp.ones((2, 3)), 2.0).shape
    (3, 2)
"""

from __future__ import annotations

import functools

import numpy as np

from .. import ops
from ..errors import ConfigError, ShapeError
from ..random import load_state_dict, state_dict
from ..tensor import Tensor
from ._trees import describe, leaves, rebuild, spread
from .derivatives import _check_chunk_size


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """``func`` mapped over a dimension of its arguments: ``in_dims`` says which dimension of each
    argument (an int for all, None for an argument passed whole to every call, or a tuple with an
    entry per positional argument, nested as the arguments are: ``(None, 0, {'w': 0, 'b': None})``);
    ``out_dims`` where the mapped dimension goes in each output (an int for all, a tuple with an
    entry per output, None for an output that is the same for every sample). Keyword arguments are
    passed whole. See the module's description: a loop of calls."""
    if randomness not in ("error", "different", "same"):
        raise ConfigError(f"vmap: randomness must be 'error', 'different' or 'same', got {randomness!r}")
    _check_chunk_size("vmap", chunk_size)
    name = getattr(func, "__name__", type(func).__name__)

    @functools.wraps(func)
    def mapped(*args, **kwargs):
        caller = f"vmap({name})"
        if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
            raise ConfigError(f"{caller}: in_dims must be an int or a tuple (nested to match the arguments), got "
                              f"{in_dims!r}")
        dims = spread(caller, "in_dims", in_dims, args)
        flat = leaves(args)
        size = _mapped_size(caller, flat, dims)
        calls = [_call(func, args, flat, dims, i, kwargs) for i in _draws(caller, randomness, size)]
        if size == 0:
            calls = [_call(func, args, flat, dims, None, kwargs)]  # (an empty batch: one call on zeros, for the shapes)
        return _stacked(caller, calls, out_dims, size)

    return mapped


def _mapped_size(caller: str, flat: list, dims: list) -> int:
    """The size of the mapped dimension, the same in every mapped argument (each checked)."""
    sizes = []
    for leaf, dim in zip(flat, dims):
        if dim is None:
            continue
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise ConfigError(f"{caller}: each entry of in_dims must be an int or None, got {dim!r}")
        if not isinstance(leaf, Tensor):
            raise ConfigError(f"{caller}: in_dim {dim} asks to map over a {type(leaf).__name__}; only tensors can be "
                              "mapped over (give None as its in_dim to pass it whole)")
        if not -leaf.data.ndim <= dim < leaf.data.ndim:
            raise ShapeError(f"{caller}: in_dim {dim} is out of range for a tensor with {leaf.data.ndim} dimensions")
        sizes.append(leaf.data.shape[dim])
    if not sizes:
        raise ConfigError(f"{caller}: no argument is mapped over (in_dims is None for every tensor); give at least "
                          "one tensor an in_dim")
    if len(set(sizes)) > 1:
        raise ShapeError(f"{caller}: the mapped dimensions must all have one size, got sizes {sizes}")
    return sizes[0]


def _call(func, args: tuple, flat: list, dims: list, index, kwargs):
    """``func`` on the arguments' slices at ``index`` along their mapped dimensions (zeros of a
    slice's shape for None: the empty batch's stand-in)."""
    pieces = []
    for leaf, dim in zip(flat, dims):
        if dim is None:
            pieces.append(leaf)
        elif index is None:
            shape = leaf.data.shape[:dim % leaf.data.ndim] + leaf.data.shape[dim % leaf.data.ndim + 1:]
            pieces.append(Tensor._wrap(np.zeros(shape, dtype=leaf.data.dtype)))
        else:
            pieces.append(ops.select(leaf, int(dim), index))
    return func(*rebuild(args, iter(pieces)), **kwargs)


def _draws(caller: str, randomness: str, size: int):
    """The indices 0 .. size-1, with the library's generator watched ('error') or rewound before
    each ('same') between them."""
    start = state_dict()
    for i in range(size):
        if randomness == "same":
            load_state_dict(start)
        before = state_dict() if randomness == "error" else None
        yield i
        if randomness == "error" and state_dict() != before:
            raise ConfigError(f"{caller}: the function drew random numbers, which randomness='error' refuses; pass "
                              "randomness='different' (each sample its own draws) or 'same' (the same draws for all)")


def _stacked(caller: str, calls: list, out_dims, size: int):
    """The calls' results stacked output by output along ``out_dims`` (an empty batch's from its one
    call on zeros)."""
    first = calls[0]
    if not isinstance(out_dims, (int, tuple)) or isinstance(out_dims, bool):
        raise ConfigError(f"{caller}: out_dims must be an int or a tuple with an entry per output, got {out_dims!r}")
    if isinstance(out_dims, tuple) and not isinstance(first, tuple):
        raise ConfigError(f"{caller}: out_dims {out_dims!r} is a tuple, but the function returns "
                          f"{describe(first)}, not a tuple")
    dims = spread(caller, "out_dims", out_dims, first)
    per_call = [leaves(result) for result in calls]
    if any(len(found) != len(per_call[0]) for found in per_call):
        raise ShapeError(f"{caller}: the function returned outputs of different structures for different samples")
    stacked = []
    for n, dim in enumerate(dims):
        outputs = [found[n] for found in per_call]
        if dim is None:
            if any(not _same(outputs[0], out) for out in outputs[1:]):
                raise ShapeError(f"{caller}: output {n} has out_dim None but differs from sample to sample; give it "
                                 "an out_dim")
            stacked.append(outputs[0])
            continue
        if not all(isinstance(out, Tensor) for out in outputs):
            raise ConfigError(f"{caller}: the function must return tensors, got a {type(outputs[0]).__name__} as "
                              f"output {n} (an out_dim of None passes an output that is the same for all samples)")
        ndim = outputs[0].data.ndim + 1
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool) or not -ndim <= dim < ndim:
            raise ShapeError(f"{caller}: out_dim {dim!r} is out of range for output {n}, which has {ndim} dimensions "
                             "with the mapped one")
        if size == 0:
            shape = list(outputs[0].data.shape)
            shape.insert(dim % ndim, 0)
            stacked.append(Tensor._wrap(np.zeros(shape, dtype=outputs[0].data.dtype)))
        else:
            stacked.append(ops.stack(outputs, axis=int(dim)))
    return rebuild(first, iter(stacked))


def _same(a, b) -> bool:
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a is b or (a.data.shape == b.data.shape and np.array_equal(a.data, b.data, equal_nan=True))
    return a is b or a == b
