"""``make_tensor``: a tensor of random values for a test, PyTorch's ``torch.testing.make_tensor``.

Values are drawn uniformly from [low, high) by the library's generator (``manual_seed`` repeats
them). Left out, the range is PyTorch's for the dtype: [-9, 9) for floating-point types, [-9, 10)
for signed integers, [0, 10) for unsigned ones, both truth values for booleans; a bound beyond
what the dtype holds is brought within it.

    >>> import deltaprop as dp
    >>> from deltaprop.testing import make_tensor
    >>> x = make_tensor(2, 3, dtype=dp.float32, device="cpu", low=0, high=1)
    >>> x.shape, bool(((x.data >= 0) & (x.data < 1)).all())
    ((2, 3), True)
"""

from __future__ import annotations

import math

import numpy as np

from ..devices import on_cpu
from ..dtypes import tensor_dtype
from ..errors import ConfigError
from ..random import numpy_generator
from ..tensor import Tensor


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False, memory_format=None) -> Tensor:
    """A tensor of ``shape`` (integers, or one tuple or list of them) and ``dtype`` with values drawn
    from [low, high) (see the module's description; for floating-point types low == high gives
    that value everywhere). ``exclude_zero`` replaces zeros by the dtype's smallest positive normal
    number (1 for integers, True for booleans); ``noncontiguous`` gives a tensor whose elements do
    not lie next to one another in memory (with two elements or more). ``device`` must be the CPU;
    ``memory_format`` is taken as None only (deltaprop's tensors are row-major)."""
    dtype = tensor_dtype("make_tensor", dtype)
    on_cpu("make_tensor", device)
    if memory_format is not None:
        raise ConfigError(f"make_tensor: memory_format must be None (deltaprop's tensors are row-major), got "
                          f"{memory_format!r}")
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise TypeError(f"make_tensor: shape must be non-negative integers, got {shape!r}")
    if requires_grad and dtype.kind != "f":
        raise ConfigError(f"make_tensor: requires_grad=True needs a floating-point dtype, got {dtype}")
    low, high = _range(dtype, low, high)
    values = _draw(dtype, tuple(int(n) for n in shape), low, high)
    if exclude_zero:
        values[values == 0] = True if dtype.kind == "b" else 1 if dtype.kind in "iu" else np.finfo(dtype).tiny
    if noncontiguous and values.size > 1:
        spread = np.empty(values.shape[:-1] + (2 * values.shape[-1],), dtype=dtype)
        spread[..., ::2] = values
        values = spread[..., ::2]  # every other element of a wider array: a view with gaps
    out = Tensor._wrap(values)
    return out.requires_grad_() if requires_grad else out


def _range(dtype: np.dtype, low, high) -> tuple:
    """[low, high) for ``dtype``: the defaults, bounds brought within the dtype's, checked."""
    default = {"b": (0, 2), "u": (0, 10), "i": (-9, 10), "f": (-9, 9)}[dtype.kind]
    low, high = default[0] if low is None else low, default[1] if high is None else high
    if math.isnan(low) or math.isnan(high):
        raise ConfigError(f"make_tensor: low and high must be numbers, got low={low} and high={high}")
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        low, high = max(math.ceil(low), int(info.min)), min(math.ceil(high), int(info.max))
    elif dtype.kind == "f":
        info = np.finfo(dtype)
        low, high = max(low, float(info.min)), min(high, float(info.max))
    if low > high or (low == high and dtype.kind != "f"):
        raise ConfigError(f"make_tensor: low must be less than high, got low={low} and high={high}")
    return low, high


def _draw(dtype: np.dtype, shape: tuple, low, high) -> np.ndarray:
    generator = numpy_generator()
    if dtype.kind == "b":
        return generator.integers(0, 2, shape).astype(bool)
    if dtype.kind in "iu":
        return generator.integers(low, high, shape, dtype=np.int64 if dtype.kind == "i" or
                                  dtype.itemsize < 8 else dtype, endpoint=False).astype(dtype)
    # (low + (high − low)·u in float64 overflows for the widest ranges: scaled by half first)
    u = generator.random(shape)
    values = np.clip((low / 2 + (high / 2 - low / 2) * u) * 2, low, high).astype(dtype)
    if low < high:  # (rounding to a narrow dtype can reach high itself, which the range leaves out)
        values[values >= high] = np.nextafter(dtype.type(high), dtype.type(low))
    return values
