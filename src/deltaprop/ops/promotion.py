"""PyTorch's type promotion: the dtype an operation on several operands computes in, in one place.

NumPy's rule and PyTorch's differ, and a program ported from PyTorch would silently change dtype
under NumPy's: ``float32_tensor * int64_tensor`` is float64 in NumPy, float32 in PyTorch. PyTorch's
rule, which every operation of two or more tensors here follows:

- dtypes fall in three categories, bool < integer < floating. Two dtypes of one category promote to
  the wider (int32 with int64: int64; uint8 with int8: int16, as in NumPy); across categories the
  higher category's dtype wins as it is (int64 with float16: float16, where NumPy widens to float64).
- operands rank as dimensioned tensors > 0-d tensors > Python numbers. Within a category the
  highest-ranked operand decides (float32 tensor with a float64 0-d tensor: float32); an operand of
  a higher category than all higher-ranked ones brings its own dtype (int32 tensor with a float16
  0-d tensor: float16), or for a Python float the default float dtype (int tensor * 1.5: float32).
  A Python int is int64 and a Python bool bool, for this purpose.
- a NumPy scalar counts as the Python number it holds, as PyTorch takes ``np.float64`` (a NumPy
  array counts as a tensor of its dimensions). PyTorch reads ``np.bool_`` as a float; here it is a bool.

The arrays are cast to that dtype before NumPy computes, so NumPy's own rule never applies, and
each gradient rule works in it; the engine casts each input's gradient back to the input's dtype.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError
from ..tensor import Tensor, get_default_dtype

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}
_INT64 = np.dtype(np.int64)
_BOOL = np.dtype(np.bool_)


def promote_types(first, second) -> np.dtype:
    """PyTorch's ``promote_types``: the wider dtype within a category, the higher category's across."""
    first, second = np.dtype(first), np.dtype(second)
    c1, c2 = _CATEGORY[first.kind], _CATEGORY[second.kind]
    if c1 == c2:
        return np.promote_types(first, second)
    return first if c1 > c2 else second


def category(dtype) -> int:
    """0 for booleans, 1 for integers, 2 for floating-point dtypes."""
    return _CATEGORY[np.dtype(dtype).kind]


def _number_dtype(x) -> np.dtype:
    if isinstance(x, bool):
        return _BOOL
    if isinstance(x, int):
        return _INT64
    return get_default_dtype()


def result_type(*operands) -> np.dtype:
    """The dtype PyTorch computes an operation on ``operands`` in (tensors, arrays, Python or NumPy
    numbers); see the module's docstring."""
    tiers = [None, None, None]  # dimensioned, 0-d, Python number
    for x in operands:
        if isinstance(x, Tensor):
            x = x.data
        if isinstance(x, np.generic):
            x = x.item()
        if isinstance(x, np.ndarray):
            rank, dtype = (0 if x.ndim else 1), x.dtype
        elif isinstance(x, (bool, int, float)):
            rank, dtype = 2, _number_dtype(x)
        else:
            raise TypeError(f"result_type: expected tensors, arrays or numbers, got a {type(x).__name__}")
        tiers[rank] = dtype if tiers[rank] is None else promote_types(tiers[rank], dtype)
    result = None
    for dtype in tiers:  # from the highest rank down: a lower rank counts only with a higher category
        if dtype is not None and (result is None or _CATEGORY[dtype.kind] > _CATEGORY[result.kind]):
            result = dtype
    return result


def as_operand(x):
    """A NumPy scalar as the Python number it holds, so NumPy treats it as PyTorch does (weakly)."""
    return x.item() if isinstance(x, np.generic) else x


def cast(x, dtype):
    """``x`` in ``dtype``: an array converted where it differs; a Python number kept as it is, since
    NumPy computes an array with a number in the array's dtype."""
    if type(x) is np.ndarray or isinstance(x, np.ndarray):
        return x if x.dtype == dtype else x.astype(dtype)
    return x


def promoted(x, y, floating: bool = False):
    """``x`` and ``y`` (arrays or numbers) cast to the dtype PyTorch computes their binary operation
    in; with ``floating`` (true division) the default float dtype where that is no floating one.
    Anything else (a list, None) is passed on for NumPy to take or refuse.

    The hot path, where NumPy's dtype is already PyTorch's, is two arrays of one dtype or an array
    with a Python number of no higher category. ``+ - * /`` check it inline (``x.dtype is y.dtype``,
    or the number's type against the array's dtype) and come here only when it fails: a call here
    per operation was measurable (about 100 ns, a few percent of a small tensor's operation)."""
    if type(x) is np.ndarray:
        if _kept(x, y, floating):
            return x, y
    elif type(y) is np.ndarray and _kept(y, x, floating):
        return x, y
    x, y = as_operand(x), as_operand(y)
    if not all(isinstance(v, (np.ndarray, bool, int, float)) for v in (x, y)):
        return x, y
    dtype = result_type(x, y)
    if floating and dtype.kind != "f":
        dtype = get_default_dtype()
    if not isinstance(x, np.ndarray) and not isinstance(y, np.ndarray):  # two numbers: PyTorch's 0-d tensors
        return np.asarray(x, dtype), np.asarray(y, dtype)
    return cast(x, dtype), cast(y, dtype)


FLOATING = frozenset(np.dtype(t) for t in (np.float16, np.float32, np.float64))


def _kept(array: np.ndarray, other, floating: bool) -> bool:
    """Whether NumPy computes ``array`` with ``other`` in ``array``'s dtype, PyTorch's result: an
    array of the same dtype (a floating one, for true division), or a Python number of no higher
    category (a float with a floating array, an int or bool with any, but in true division)."""
    kind = type(other)
    if kind is np.ndarray:
        return other.dtype == array.dtype and (not floating or array.dtype in FLOATING)
    if kind is float or kind is int or kind is bool:
        return array.dtype in FLOATING or not (floating or kind is float)
    return False


# -- beyond two operands of one computation: one-tensor functions, two numbers, out-of-range integers ---


def floating(x) -> np.ndarray:
    """``x`` (an array or a number) as the array a floating function computes on: a floating array as
    it is, anything else in the default float dtype, as PyTorch computes ``exp`` of an integer or
    boolean tensor in float32 (NumPy: float16 for int8, float64 for int32)."""
    if type(x) is np.ndarray and x.dtype in FLOATING:
        return x
    x = np.asarray(x)
    return x if x.dtype in FLOATING else x.astype(get_default_dtype())


def wrapped(number: int, dtype) -> int:
    """The Python int ``number`` wrapped into the integer ``dtype``, as PyTorch converts a Python
    integer for an integer tensor (uint8 + 300 adds 44). Beyond int64 an OverflowError: PyTorch
    also refuses there, but for 2**63 .. 2**64 − 1, which it reads as a uint64's bits (so that
    ``int64 tensor < 2**63`` is all False), a silent wrong answer that is refused here."""
    if not -2**63 <= number < 2**63:
        raise OverflowError(f"the Python int {number} lies outside int64's range [-2**63, 2**63), so a tensor "
                            f"of dtype {np.dtype(dtype).name} cannot take it; give it as a float")
    return int(np.array(np.int64(number)).astype(dtype))


def wrapped_operands(x, y):
    """``x`` and ``y`` promoted (:func:`promoted`), a Python int out of the integer result dtype's
    range wrapped into it (PyTorch's reading; NumPy refuses with an OverflowError)."""
    x, y = promoted(x, y)
    if isinstance(x, np.ndarray) and x.dtype.kind in "iu" and type(y) is int:
        return x, wrapped(y, x.dtype)
    if isinstance(y, np.ndarray) and y.dtype.kind in "iu" and type(x) is int:
        return wrapped(x, y.dtype), y
    return x, y


def refuse_bool_subtraction(x, y) -> None:
    """Refuse, as PyTorch does, a subtraction of which either operand is boolean (a tensor or a
    Python bool): NumPy refuses two boolean arrays in its own words and takes the rest."""
    booleans = [type(v) is bool or isinstance(v, (np.ndarray, np.bool_)) and v.dtype == _BOOL for v in (x, y)]
    if any(booleans):
        which = "two booleans" if all(booleans) else "a boolean operand"
        raise TypeError(f"sub: subtraction with {which} is not supported, as in PyTorch (use ^ or logical_xor to "
                        "flip booleans, or convert them with .int() first).")


def refuse_non_floating(op: str, dtype, remedy: str = "") -> None:
    """Refuse, as PyTorch does, the function ``op`` of an integer or boolean tensor (of ``dtype``):
    one PyTorch computes for floating-point tensors only (softmax, gelu, mean, std, norm, ...), where
    NumPy would have computed it in float16 or float64, or in the integers themselves."""
    raise TypeError(f"{op}: not implemented for {np.dtype(dtype)} tensors, as in PyTorch, which computes it for "
                    f"floating-point tensors only; convert the input with .float() first{remedy}.")


def refuse_booleans(op: str) -> None:
    """Refuse, as PyTorch does, the function ``op`` (abs, floor, relu, ...) of a boolean tensor."""
    raise TypeError(f"{op}: not implemented for bool tensors, as in PyTorch; convert the input with .int() or "
                    ".float() first.")


def fitted(op: str, number, dtype):
    """The Python number ``number`` as PyTorch converts it for a tensor of ``dtype`` where it keeps
    that dtype (where's or clamp's other operand, masked_fill's and index_fill's value, threshold's
    options): unchanged for a floating dtype, a bool for bool; for an integer dtype, an int within
    the dtype's range as it is, a negative one down to −max wrapped into an unsigned dtype (−1 is
    255 for uint8), a float truncated towards zero where the dtype holds it; anything else (300 or
    -1.0 for uint8, NaN, ±inf, 2**63) refused in one sentence, where NumPy would wrap it silently."""
    dtype = np.dtype(dtype)
    if isinstance(number, np.generic):
        number = number.item()
    if dtype.kind == "f" or type(number) is bool:
        return number
    if dtype.kind == "b" and not (type(number) is int and (number >= 2 ** 64 or number < -2 ** 63)):
        return bool(number)  # (any number PyTorch can hold: beyond, its OverflowError)
    info = np.iinfo(dtype if dtype.kind != "b" else np.uint64)
    if type(number) is int:
        low = -int(info.max) if dtype.kind == "u" else int(info.min)
        if low <= number <= info.max:
            return number if number >= 0 else wrapped(number, dtype)
    elif info.min <= number <= info.max:  # (False for NaN)
        return math.trunc(number)
    wraps = f"; -{info.max} to -1 wrap" if dtype.kind == "u" and type(number) is int else ""
    raise ConfigError(f"{op}: the number {number!r} does not fit the tensor's dtype {dtype} ({info.min} to "
                      f"{info.max}{wraps}), as in PyTorch; give a number in that range, or convert the tensor with "
                      ".long() or .float() first.")
