"""``assert_close``: are two results the same within a tolerance that suits their dtype? PyTorch's
``torch.testing.assert_close``, and its older form ``assert_allclose``.

Two tensors (or two NumPy arrays, or two numbers) are close where, element by element,

    |actual − expected| ≤ atol + rtol·|expected|,

infinities only where they are equal, NaNs only with ``equal_nan``. Unless given, ``rtol`` and
``atol`` are PyTorch's for the dtype (the larger of two dtypes' when ``check_dtype=False`` lets
two differ): float16 1e-3 and 1e-5, float32 1.3e-6 and 1e-5, float64 1e-7 and 1e-7 (complex
types as their parts), 0 for integers and booleans, which must be equal. Tuples, lists and dicts
are compared item by item, and a failure names the item. The shape, and unless switched off the
dtype, must agree first; a tensor is compared with a tensor, an array with an array, a number
with a number (of the same type unless ``check_dtype=False``).

    >>> import deltaprop as dp
    >>> from deltaprop.testing import assert_close
    >>> assert_close(dp.tensor([1.0, 2.0]), dp.tensor([1.0, 2.000001]))
    >>> assert_close(dp.tensor([1.0, 2.0, 3.0]), dp.tensor([1.0, 2.5, 3.0]))
    Traceback (most recent call last):
    ...
    AssertionError: assert_close: the values are not close: 1 of 3 elements (33.3%) ...
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import ConfigError
from ..tensor import Tensor

# (rtol, atol) by dtype kind and size: PyTorch's defaults, and its older ones for assert_allclose
_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
               "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}
_OLD_TOLERANCES = {"float16": (1e-3, 1e-3), "float32": (1e-4, 1e-5), "float64": (1e-5, 1e-8)}
_NUMBER_TYPES = {bool: np.bool_, int: np.int64, float: np.float64, complex: np.complex128}


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True, check_layout: bool = True,
                 check_stride: bool = False, msg=None) -> None:
    """Raise an ``AssertionError`` unless ``actual`` and ``expected`` are close (see the module's
    description); a ``TypeError`` for two things that cannot be compared (a tensor and an array, a
    tensor and a list). ``allow_subclasses=False`` wants the very same type (a Parameter is then no
    tensor). ``check_stride`` compares the tensors' strides, in elements. ``msg`` replaces the
    message, or (a function) is given the message and returns the one to raise.
    ``check_device`` and ``check_layout`` hold for every tensor: all are strided, on the CPU."""
    if (rtol is None) != (atol is None):
        raise ConfigError(f"assert_close: give both rtol and atol, or neither (for the dtype's defaults); got "
                          f"rtol={rtol} and atol={atol}")
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_dtype=check_dtype, check_stride=check_stride)
    try:
        _compare(actual, expected, "", options)
    except AssertionError as failure:
        if msg is None:
            raise
        raise AssertionError(msg(str(failure)) if callable(msg) else msg) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan: bool = True, msg: str = "") -> None:
    """PyTorch's deprecated ``assert_allclose``: ``assert_close`` with what it did before. Anything
    that is not a tensor becomes one (``expected`` in ``actual``'s dtype), the dtypes need not
    agree, NaNs are equal by default, and the default tolerances are its older ones (float16 1e-3
    and 1e-3, float32 1e-4 and 1e-5, float64 1e-5 and 1e-8; the larger of the two dtypes')."""
    warnings.warn("assert_allclose is deprecated, as in PyTorch: use deltaprop.testing.assert_close",
                  FutureWarning, stacklevel=2)
    actual = actual if isinstance(actual, Tensor) else Tensor(np.asarray(actual), dtype=np.asarray(actual).dtype)
    expected = expected if isinstance(expected, Tensor) else Tensor(np.asarray(expected), dtype=actual.data.dtype)
    if rtol is None and atol is None:
        pairs = [_OLD_TOLERANCES.get(t.data.dtype.name, (0.0, 0.0)) for t in (actual, expected)]
        rtol, atol = max(p[0] for p in pairs), max(p[1] for p in pairs)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False, msg=msg or None)


def _compare(actual, expected, where: str, options: dict) -> None:
    """Compare two items, or recurse into two containers; ``where`` names the item, [0]['w']."""
    if _is_number(actual) and _is_number(expected):
        _compare_numbers(actual, expected, where, options)
    elif isinstance(actual, (Tensor, np.ndarray)) or isinstance(expected, (Tensor, np.ndarray)):
        _compare_arrays(actual, expected, where, options)
    elif actual is None and expected is None:
        return
    elif isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            raise AssertionError(f"assert_close: the dicts{_at(where)} have different keys: missing from actual "
                                 f"{sorted(map(repr, set(expected) - set(actual)))}, not in expected "
                                 f"{sorted(map(repr, set(actual) - set(expected)))}")
        for key in expected:
            _compare(actual[key], expected[key], f"{where}[{key!r}]", options)
    elif _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise AssertionError(f"assert_close: the sequences{_at(where)} have different lengths: {len(actual)} and "
                                 f"{len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, f"{where}[{i}]", options)
    else:
        raise _incomparable(actual, expected, where)


def _compare_numbers(actual, expected, where: str, options: dict) -> None:
    kinds = [_number_type(actual), _number_type(expected)]
    if options["check_dtype"] and kinds[0] is not kinds[1]:
        raise AssertionError(f"assert_close: the numbers{_at(where)} are of different types, {kinds[0].__name__} and "
                             f"{kinds[1].__name__} (check_dtype=False compares them as numbers)")
    dtypes = [np.dtype(_NUMBER_TYPES[kind]) for kind in kinds]
    _compare_values(np.asarray(actual, dtype=dtypes[0]), np.asarray(expected, dtype=dtypes[1]), where, options,
                    "numbers")


def _compare_arrays(actual, expected, where: str, options: dict) -> None:
    both_tensors = isinstance(actual, Tensor) and isinstance(expected, Tensor)
    both_arrays = isinstance(actual, np.ndarray) and isinstance(expected, np.ndarray)
    related = issubclass(type(actual), type(expected)) or issubclass(type(expected), type(actual))
    if not (both_tensors or both_arrays) or not related or (
            not options["allow_subclasses"] and type(actual) is not type(expected)):
        raise _incomparable(actual, expected, where)
    a, e = (actual.data, expected.data) if both_tensors else (actual, expected)
    what = "tensors" if both_tensors else "arrays"
    if a.shape != e.shape:
        raise AssertionError(f"assert_close: the {what}{_at(where)} have different shapes, {a.shape} and {e.shape}")
    if options["check_dtype"] and a.dtype != e.dtype:
        raise AssertionError(f"assert_close: the {what}{_at(where)} have different dtypes, {a.dtype} and {e.dtype} "
                             "(check_dtype=False compares them in a common dtype)")
    if options["check_stride"]:
        strides = [tuple(s // x.itemsize for s in x.strides) for x in (a, e)]
        if a.size > 1 and strides[0] != strides[1]:
            raise AssertionError(f"assert_close: the {what}{_at(where)} have different strides, {strides[0]} and "
                                 f"{strides[1]}")
    _compare_values(np.asarray(a), np.asarray(e), where, options, what)


def _compare_values(a: np.ndarray, e: np.ndarray, where: str, options: dict, what: str) -> None:
    """The elementwise test, in the two arrays' common dtype, and the message of a failure."""
    rtol, atol = options["rtol"], options["atol"]
    if rtol is None:
        pairs = [_TOLERANCES.get(x.dtype.name, (0.0, 0.0)) for x in (a, e)]
        rtol, atol = max(p[0] for p in pairs), max(p[1] for p in pairs)
    common = np.promote_types(a.dtype, e.dtype)
    if common.kind == "b" or (common.kind in "iu" and rtol == 0 and atol == 0):
        close = a == e  # (exact: integers beyond 2**53 must not be rounded to float64 first)
    else:
        wide = np.complex128 if common.kind == "c" else np.float64
        a, e = a.astype(wide), e.astype(wide)
        with np.errstate(invalid="ignore", over="ignore"):
            close = (a == e) | (np.isfinite(a) & np.isfinite(e) & (np.abs(a - e) <= atol + rtol * np.abs(e)))
        if options["equal_nan"]:
            close |= np.isnan(a) & np.isnan(e)
    if close.all():
        return
    raise AssertionError(_mismatch(a, e, close, rtol, atol, where, what))


def _mismatch(a: np.ndarray, e: np.ndarray, close: np.ndarray, rtol, atol, where: str, what: str) -> str:
    """How many elements differ, and where the greatest absolute and relative differences are."""
    exact = rtol == 0 and atol == 0
    verdict = "equal" if exact else "close"
    with np.errstate(all="ignore"):
        difference = np.abs(a.astype(np.complex128 if a.dtype.kind == "c" else np.float64) - e)
        relative = difference / np.abs(e.astype(np.float64) if e.dtype.kind != "c" else e)
    difference, relative = np.where(close, 0.0, difference), np.where(close, 0.0, relative)
    tolerance = "" if exact else f" (rtol={rtol}, atol={atol})"
    if a.ndim == 0:
        return (f"assert_close: the {what}{_at(where)} are not {verdict}: expected {e.item()!r}, got {a.item()!r}; "
                f"absolute difference {difference.item()}, relative difference {relative.item()}{tolerance}")
    wrong = int(close.size - np.count_nonzero(close))
    worst = np.unravel_index(_argmax(difference), a.shape)
    worst_relative = np.unravel_index(_argmax(relative), a.shape)
    return (f"assert_close: the values{_at(where)} are not {verdict}: {wrong} of {close.size} elements "
            f"({100 * wrong / close.size:.1f}%) differ{tolerance}; the greatest absolute difference is "
            f"{difference[worst]} at index {tuple(int(i) for i in worst)}, the greatest relative difference "
            f"{relative[worst_relative]} at index {tuple(int(i) for i in worst_relative)}")


def _argmax(values: np.ndarray) -> int:
    """The flat index of the greatest value, a NaN counting as the greatest (it differs most)."""
    nans = np.isnan(values)
    return int(np.argmax(nans)) if nans.any() else int(np.argmax(values))


def _is_number(value) -> bool:
    return isinstance(value, (bool, int, float, complex, np.generic)) and not isinstance(value, (str, bytes))


def _number_type(value) -> type:
    """The Python type a number stands for (a NumPy scalar's kind: np.float32 is a float)."""
    if isinstance(value, np.generic):
        return {"b": bool, "i": int, "u": int, "f": float, "c": complex}.get(value.dtype.kind, float)
    return bool if isinstance(value, bool) else int if isinstance(value, int) else type(value)


def _is_sequence(value) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _at(where: str) -> str:
    return f" at item {where}" if where else ""


def _incomparable(actual, expected, where: str) -> TypeError:
    return TypeError(f"assert_close: cannot compare a {type(actual).__name__} with a {type(expected).__name__}"
                     f"{_at(where)}; compare tensors with tensors, arrays with arrays, numbers with numbers, or "
                     "tuples, lists and dicts of them")
