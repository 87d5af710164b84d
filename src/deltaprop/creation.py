"""Tensor factories with PyTorch's names: zeros, ones, full, empty, arange, linspace, logspace, eye, rand, randn,
randint, randperm; the ``_like`` forms (zeros_like, ones_like, full_like, empty_like, rand_like,
randn_like, randint_like) and from_numpy; tril_indices and triu_indices (a triangle's positions) and
empty_strided (a tensor of given strides).

Shapes may be given as separate integers or as one tuple (``zeros(2, 3)`` or ``zeros((2, 3))``);
a floating-point dtype is the default one (float32 unless set_default_dtype changed it) unless
given; ``full`` takes the kind of its fill value, as PyTorch's (an int gives int64, a bool bool). Random draws come from the library's generator (:func:`deltaprop.manual_seed`).
"""

from __future__ import annotations

import math

import numpy as np

from .dtypes import TENSOR_KINDS, tensor_dtype
from .errors import ConfigError
from .random import numpy_generator
from .devices import on_cpu
from .tensor import Tensor, get_default_dtype


# The most bytes an array may have: NumPy counts them in its index type.
_MOST_BYTES = np.iinfo(np.intp).max


def checked_size(op: str, shape: tuple, itemsize: int) -> tuple:
    """``shape`` as a tuple of ints, refused in one sentence naming ``op`` where no array can have it:
    a negative dimension (PyTorch refuses it too), or more bytes (of ``itemsize`` each) than NumPy can
    count. A large size that could exist is left to NumPy, whose MemoryError is then honest."""
    shape = tuple(int(n) for n in shape)
    if any(n < 0 for n in shape):
        raise ConfigError(f"{op}: size {shape} has a negative dimension; sizes are non-negative integers")
    # Python's integers do not overflow; a zero anywhere makes an empty array, whatever the others.
    if math.prod(shape) * itemsize > _MOST_BYTES:
        raise ConfigError(f"{op}: size {shape} needs more than 2**63 - 1 bytes ({itemsize} per element), "
                          "more than any array can hold")
    return shape


def _shape(op: str, shape: tuple, dtype) -> tuple:
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        try:
            shape = tuple(shape[0])
        except TypeError:  # (a float, say: NumPy's words would be "'float' object is not iterable")
            raise ValueError(f"{op}: a size is an integer or a tuple of integers, got {shape[0]!r}") from None
    if not all(isinstance(n, (int, np.integer)) and n >= 0 for n in shape):
        if not all(isinstance(n, (int, np.integer)) for n in shape):
            raise ValueError(f"{op}: a size is a tuple of integers, got {shape}")
    else:
        shape = tuple(int(n) for n in shape)
        if math.prod(shape) <= _MOST_BYTES // 16:
            return shape  # (fits every dtype here; the exact check below costs a microsecond more)
    # (random draws are made in 64 bits, then cast)
    return checked_size(op, shape, max(np.dtype(dtype).itemsize, 8 if op in _DRAWN_IN_64_BITS else 1))


_DRAWN_IN_64_BITS = ("rand", "randn", "randint")


def _sized(op: str, shape: tuple, size) -> tuple:
    """The sizes given positionally, or as PyTorch's keyword ``size=`` (a tuple, a list or a size;
    ``torch.empty(size=(n, m))``), not both."""
    if size is None:
        return shape
    if shape:
        raise TypeError(f"{op}() got multiple values for argument 'size'")
    if isinstance(size, (int, np.integer)):
        raise TypeError(f"{op}(): argument 'size' must be a tuple of ints, not int")
    return (size,)


def _dtype(op: str, dtype, default, floating: bool = False) -> np.dtype:
    """The dtype ``op`` makes: ``default`` unless given, refused in one sentence if no tensor can have
    it (no floating-point tensor, with ``floating``: random draws cast to integers would be truncated)."""
    return default if dtype is None else tensor_dtype(op, dtype, floating)


def _make(array: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor._wrap(array).requires_grad_(requires_grad) if requires_grad else Tensor._wrap(array)


def zeros(*shape, size=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    on_cpu("zeros", device)
    dtype = _dtype("zeros", dtype, get_default_dtype())
    return _make(np.zeros(_shape("zeros", _sized("zeros", shape, size), dtype), dtype=dtype), requires_grad)


def ones(*shape, size=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    on_cpu("ones", device)
    dtype = _dtype("ones", dtype, get_default_dtype())
    return _make(np.ones(_shape("ones", _sized("ones", shape, size), dtype), dtype=dtype), requires_grad)


def _fill_dtype(fill_value) -> np.dtype:
    """The dtype PyTorch's ``full`` gives a fill value: bool, int64 for an integer, else the default float."""
    if isinstance(fill_value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(fill_value, (int, np.integer)):
        return np.dtype(np.int64)
    return get_default_dtype()


def full(shape=None, fill_value=None, dtype=None, device=None, requires_grad=False, *, size=None) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``, of its kind unless ``dtype`` is given: int64
    for an integer, bool for a bool, the default float dtype for a float (as in PyTorch). The shape
    may be given as ``size=``, PyTorch's name for it (``full(size=(2, 3), fill_value=0.5)``)."""
    if size is not None:
        shape, = _sized("full", () if shape is None else (shape,), size)
    if shape is None or fill_value is None:
        raise TypeError(f"full() missing its required argument {'size' if shape is None else 'fill_value'!r}")
    on_cpu("full", device)
    dtype = _dtype("full", dtype, _fill_dtype(fill_value))
    return _make(np.full(_shape("full", (shape,), dtype), fill_value, dtype=dtype), requires_grad)


def zeros_like(other, dtype=None, device=None, requires_grad=False) -> Tensor:
    on_cpu("zeros_like", device)
    data = other.data if isinstance(other, Tensor) else np.asarray(other)
    return _make(np.zeros_like(data, dtype=_dtype("zeros_like", dtype, None)), requires_grad)


def ones_like(other, dtype=None, device=None, requires_grad=False) -> Tensor:
    on_cpu("ones_like", device)
    data = other.data if isinstance(other, Tensor) else np.asarray(other)
    return _make(np.ones_like(data, dtype=_dtype("ones_like", dtype, None)), requires_grad)


def empty(*shape, size=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ``shape`` whose values are not to be read: zeros here (PyTorch's are whatever
    memory held; zeros are one such)."""
    on_cpu("empty", device)
    dtype = _dtype("empty", dtype, get_default_dtype())
    return _make(np.zeros(_shape("empty", _sized("empty", shape, size), dtype), dtype=dtype), requires_grad)


def _like(other) -> np.ndarray:
    return other.data if isinstance(other, Tensor) else np.asarray(other)


def full_like(other, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ``other``'s shape and dtype (unless ``dtype`` is given) filled with ``fill_value``."""
    on_cpu("full_like", device)
    data = _like(other)
    return _make(np.full_like(data, fill_value, dtype=_dtype("full_like", dtype, None)), requires_grad)


def empty_like(other, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ``other``'s shape and dtype whose values are not to be read: zeros here."""
    on_cpu("empty_like", device)
    return _make(np.zeros_like(_like(other), dtype=_dtype("empty_like", dtype, None)), requires_grad)


def _floating_like(op: str, data: np.ndarray, dtype) -> np.dtype:
    """The dtype of ``op``'s draws: ``dtype``, else ``data``'s, refused unless floating-point."""
    if dtype is not None:
        return _dtype(op, dtype, None, floating=True)
    if data.dtype.kind != "f":
        raise ConfigError(f"{op}: dtype must be a floating-point type (float16, float32 or float64); the input is "
                          f"{data.dtype}, so give one, e.g. dtype=float32")
    return data.dtype


def rand_like(other, dtype=None, device=None, requires_grad=False, *, generator=None) -> Tensor:
    """Uniform draws on [0, 1) of ``other``'s shape and floating-point dtype."""
    on_cpu("rand_like", device)
    data = _like(other)
    dtype = _floating_like("rand_like", data, dtype)
    return _make(numpy_generator(generator, "rand_like").random(data.shape).astype(dtype), requires_grad)


def randn_like(other, dtype=None, device=None, requires_grad=False, *, generator=None) -> Tensor:
    """Standard normal draws of ``other``'s shape and floating-point dtype."""
    on_cpu("randn_like", device)
    data = _like(other)
    dtype = _floating_like("randn_like", data, dtype)
    return _make(numpy_generator(generator, "randn_like").standard_normal(data.shape).astype(dtype), requires_grad)


def randint_like(other, low, high=None, dtype=None, device=None, requires_grad=False, *, generator=None) -> Tensor:
    """Uniform integers in [low, high) of ``other``'s shape and dtype (unless ``dtype`` is given), as
    PyTorch's ``randint_like(input, high)`` or ``randint_like(input, low, high)``."""
    on_cpu("randint_like", device)
    data = _like(other)
    if high is None:
        low, high = 0, low
    return randint(low, high, data.shape, dtype=data.dtype if dtype is None else dtype, requires_grad=requires_grad,
                   generator=generator)


def from_numpy(array) -> Tensor:
    """A tensor sharing memory with the NumPy ``array`` and keeping its dtype (float64 stays float64),
    as PyTorch's ``from_numpy``; a change to one is seen in the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expects a NumPy array, got {type(array).__name__}")
    if array.dtype.kind not in TENSOR_KINDS or (array.dtype.kind == "f" and array.dtype.itemsize > 8):
        raise TypeError(f"from_numpy: cannot hold a NumPy array of dtype {array.dtype} (numbers or booleans only)")
    return Tensor._wrap(array)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Evenly spaced values in [start, end); integers give int64, any float gives float32.

    The bounds and step may be Python or NumPy numbers or 0-d tensors, as in PyTorch. Floating
    values are start + i·step computed in float64 and rounded once to the dtype: NumPy's float32
    arange adds float32 steps all along (drifting by several ulps), PyTorch's CPU kernel within
    blocks of 8 or 16 values, so their last bits may differ from these.
    """
    on_cpu("arange", device)
    if end is None:
        start, end = 0, start
    start, end, step = (_number("arange", name, v) for name, v in (("start", start), ("end", end), ("step", step)))
    if step == 0:
        raise ConfigError("arange: step must be non-zero")
    if (end - start) * step < 0:
        raise ConfigError(f"arange: the range from start={start} to end={end} does not go the way of step={step} "
                          f"(PyTorch refuses it too)")
    dtype_given = dtype
    if dtype is None:
        integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if integral else get_default_dtype()
    else:
        dtype = tensor_dtype("arange", dtype)
        if dtype.kind == "b":  # PyTorch has no boolean arange; NumPy's refusal names neither call nor argument
            raise ConfigError(f"arange: dtype must be a numeric type (such as int64 or float32), got {dtype_given!r}")
    if np.dtype(dtype).kind == "f":
        count = max(int(np.ceil((float(end) - float(start)) / float(step))), 0)
        values = (float(start) + float(step) * np.arange(count, dtype=np.float64)).astype(dtype)
    else:
        values = np.arange(start, end, step, dtype=dtype)
    return _make(values, requires_grad)


def _number(op: str, name: str, value):
    """A bound or step as a Python number: a 0-d tensor or array gives its value, as in PyTorch."""
    if isinstance(value, Tensor) or isinstance(value, np.ndarray):
        data = value.data if isinstance(value, Tensor) else value
        if data.ndim != 0:
            raise ConfigError(f"{op}: {name} must be a number or a 0-d tensor, got one of shape {data.shape}")
        value = data.item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{op}: {name} must be a number, got {type(value).__name__} {value!r}")
    if not np.isfinite(value):
        raise ConfigError(f"{op}: {name} must be finite, got {value}")
    return value


def rand(*shape, size=None, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform draws on [0, 1), from ``generator`` (a :class:`deltaprop.Generator`) or the library's."""
    on_cpu("rand", device)
    dtype = _dtype("rand", dtype, get_default_dtype(), floating=True)
    shape = _shape("rand", _sized("rand", shape, size), dtype)
    return _make(numpy_generator(generator, "rand").random(shape).astype(dtype), requires_grad)


def randn(*shape, size=None, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal draws, from ``generator`` (a :class:`deltaprop.Generator`) or the library's."""
    on_cpu("randn", device)
    dtype = _dtype("randn", dtype, get_default_dtype(), floating=True)
    shape = _shape("randn", _sized("randn", shape, size), dtype)
    return _make(numpy_generator(generator, "randn").standard_normal(shape).astype(dtype), requires_grad)


def _count(op: str, name: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ConfigError(f"{op}: {name} must be a non-negative integer, got {n!r}")
    return int(n)


def _evenly_spaced(start, end, steps: int) -> np.ndarray:
    # As PyTorch computes them: the first half counted up from ``start``, the second half down
    # from ``end``, so both ends are exact.
    start, end = float(start), float(end)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    i = np.arange(steps, dtype=np.float64)
    return np.where(i < max(steps // 2, 1), start + i * step, end - (steps - 1 - i) * step)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included; the default float
    dtype unless given. An integer dtype truncates the values toward zero, as PyTorch's."""
    on_cpu("linspace", device)
    steps = _count("linspace", "steps", steps)
    dtype = _dtype("linspace", dtype, get_default_dtype())
    return _make(_evenly_spaced(start, end, steps).astype(dtype), requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` values from ``base ** start`` to ``base ** end`` whose exponents are evenly spaced
    (both ends included); the default float dtype unless given, an integer dtype truncating."""
    on_cpu("logspace", device)
    steps = _count("logspace", "steps", steps)
    dtype = _dtype("logspace", dtype, get_default_dtype())
    return _make(np.power(float(base), _evenly_spaced(start, end, steps)).astype(dtype), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The n × m identity matrix (square when ``m`` is not given): ones on the main diagonal."""
    on_cpu("eye", device)
    n = _count("eye", "n", n)
    m = n if m is None else _count("eye", "m", m)
    return _make(np.eye(n, m, dtype=_dtype("eye", dtype, get_default_dtype())), requires_grad)


def randint(*args, low=None, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform integers in [low, high) of shape ``size``, int64 unless given, as PyTorch's
    ``randint(high, size)`` or ``randint(low, high, size)``; drawn from ``generator`` (a
    :class:`deltaprop.Generator`) or the library's."""
    on_cpu("randint", device)
    args = list(args)
    if size is None:
        if not args or (len(args) == 1 and low is None and high is None):
            raise TypeError("randint: give the shape of the result, randint(high, size) or randint(low, high, size)")
        size = args.pop()
    if len(args) > 2:
        raise TypeError(f"randint: takes (high, size) or (low, high, size), got {len(args) + 1} positional arguments")
    given = dict(zip(("high",) if len(args) == 1 else ("low", "high"), args))
    for name, value in (("low", low), ("high", high)):
        if value is not None:
            if name in given:
                raise TypeError(f"randint: {name} given twice, as an argument and as {name}=")
            given[name] = value
    if "high" not in given:
        raise TypeError("randint: give high, the bound the integers stay below")
    low, high = given.get("low", 0), given["high"]
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"randint: {name} must be an integer, got {value!r}")
    if low >= high:
        raise ConfigError(f"randint: low must be below high (the range is [low, high)), got low={low}, high={high}")
    dtype = _dtype("randint", dtype, np.int64)
    shape = _shape("randint", (size,), dtype)
    values = numpy_generator(generator, "randint").integers(int(low), int(high), size=shape, dtype=np.int64)
    return _make(values.astype(dtype, copy=False), requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of 0 .. n-1, int64 unless given; drawn from ``generator`` (a
    :class:`deltaprop.Generator`) or the library's."""
    on_cpu("randperm", device)
    n = _count("randperm", "n", n)
    checked_size("randperm", (n,), 8)  # (drawn as int64)
    dtype = _dtype("randperm", dtype, np.int64)
    return _make(numpy_generator(generator, "randperm").permutation(n).astype(dtype, copy=False), requires_grad)


def _triangle_indices(op: str, keep, row, col, offset, dtype, device) -> Tensor:
    on_cpu(op, device)
    for name, n in (("row", row), ("col", col), ("offset", offset)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{op}: {name} must be an integer, got {n!r}")
    if row < 0 or col < 0:
        raise ConfigError(f"{op}: row and col must be non-negative, got row={row}, col={col}")
    dtype = _dtype(op, dtype, np.dtype(np.int64))
    if dtype not in (np.int32, np.int64):
        raise ConfigError(f"{op}: dtype must be int64 or int32, as in PyTorch, got {dtype}")
    return Tensor._wrap(np.stack(keep(int(row), int(offset), int(col))).astype(dtype))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The positions of the lower triangle of a row × col matrix, on and below the ``offset``-th
    diagonal (0 the main one, positive above it): a 2 × N tensor of row and column indices, in
    row-major order (int64 unless ``dtype`` is int32)."""
    return _triangle_indices("tril_indices", np.tril_indices, row, col, offset, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The positions of the upper triangle of a row × col matrix, on and above the ``offset``-th
    diagonal: a 2 × N tensor of row and column indices, in row-major order."""
    return _triangle_indices("triu_indices", np.triu_indices, row, col, offset, dtype, device)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of shape ``size`` whose neighbours along dimension i lie ``stride[i]`` elements apart
    in its memory (``x.stride()`` gives them back); zeros, where PyTorch's hold whatever memory held.
    Strides that make elements share memory make a tensor whose writes show in each of them."""
    on_cpu("empty_strided", device)
    dtype = _dtype("empty_strided", dtype, get_default_dtype())
    size = _shape("empty_strided", (size,), dtype)
    steps = tuple(stride) if isinstance(stride, (tuple, list)) else None
    if steps is None or len(steps) != len(size) or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0 for s in steps):
        raise ConfigError(f"empty_strided: stride must be a sequence of {len(size)} non-negative integers (one per "
                          f"dimension of size {size}), got {stride!r}")
    extent = 1 + sum((n - 1) * s for n, s in zip(size, steps)) if all(size) else 0
    memory = np.zeros(extent, dtype)
    itemsize = memory.itemsize
    data = np.lib.stride_tricks.as_strided(memory, size, tuple(s * itemsize for s in steps))
    return _make(data, requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False) -> Tensor:
    """A tensor of shape ``size`` whose dimensions lie in memory in the order ``physical_layout``
    (outermost first: ``(0, 2, 3, 1)`` for an (N, C, H, W) tensor stored channels last), as PyTorch's
    ``empty_permuted``: ``x.stride()`` tells the layout. Zeros, where PyTorch's hold whatever memory held."""
    on_cpu("empty_permuted", device)
    dtype = _dtype("empty_permuted", dtype, get_default_dtype())
    size = _shape("empty_permuted", (size,), dtype)
    order = tuple(physical_layout) if isinstance(physical_layout, (tuple, list)) else None
    if order is None or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in order):
        raise TypeError(f"empty_permuted: physical_layout must be a sequence of dimensions, got {physical_layout!r}")
    if sorted(order) != list(range(len(size))):
        raise ConfigError(f"empty_permuted: physical_layout must order the {len(size)} dimensions of size {size} "
                          f"(each of 0 to {len(size) - 1} once), got {order}")
    stored = np.zeros(tuple(size[d] for d in order), dtype)
    return _make(np.transpose(stored, np.argsort(order)), requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The number ``s`` (or a 0-d tensor's) as a 0-d tensor of the default float dtype unless
    ``dtype`` says otherwise, whatever the number's kind, as PyTorch's."""
    on_cpu("scalar_tensor", device)
    if isinstance(s, Tensor) and s.data.ndim == 0:
        s = s.data.item()
    if not isinstance(s, (bool, int, float, np.bool_, np.integer, np.floating)):
        raise TypeError(f"scalar_tensor: s must be a number (or a 0-d tensor), got {type(s).__name__}")
    return _make(np.array(s, dtype=_dtype("scalar_tensor", dtype, get_default_dtype())), requires_grad)
