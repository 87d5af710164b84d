"""The dtypes a tensor can have, and the one sentence that refuses any other.

A tensor holds floating-point, integer or boolean numbers (NumPy kinds ``f``, ``i``, ``u``, ``b``).
NumPy's own refusal of a dtype ("data type 'banana' not understood") names neither the call nor the
argument, and NumPy happily makes object, string or complex arrays that no operation here can use;
every public entry point that takes a dtype refuses those through :func:`tensor_dtype`. The Tensor
constructor and ``astype`` are on hot paths: they let NumPy try first and come here only when it
fails (or makes an array of a kind a tensor cannot hold).
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError

TENSOR_KINDS = "fiub"


class MissingDtype:
    """A PyTorch dtype NumPy has no type for (bfloat16). A script can name it (``torch.bfloat16`` in
    its table of dtypes, ``autocast(dtype=torch.bfloat16)``); every function that takes a dtype
    refuses it in one sentence saying so."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"deltaprop.{self.name}"


bfloat16 = MissingDtype("bfloat16")


def dtype_refusal(owner: str, dtype, floating: bool = False, argument: str = "dtype") -> ConfigError:
    """The error for a ``dtype`` given as ``argument`` of ``owner`` that no tensor (or, with
    ``floating``, no floating-point tensor) can have."""
    if isinstance(dtype, MissingDtype):
        return ConfigError(f"{owner}: {argument} cannot be {dtype!r}: NumPy, which deltaprop computes with, has no "
                           f"{dtype.name} type (float32 is the default, float16 the half-precision one)")
    wanted = ("a floating-point type (float16, float32 or float64)" if floating else
              "a floating-point, integer or boolean type (such as float32, float64, int64 or bool)")
    return ConfigError(f"{owner}: {argument} must be {wanted}, got {dtype!r}")


def tensor_dtype(owner: str, dtype, floating: bool = False, argument: str = "dtype") -> np.dtype:
    """``dtype`` as a NumPy dtype, refused in one sentence naming ``owner`` unless a tensor can have
    it (a floating-point one, with ``floating``). None is refused too: NumPy would read it as float64."""
    try:
        resolved = None if dtype is None else np.dtype(dtype)
    except (TypeError, ValueError):
        resolved = None
    # NumPy's long double (float128) is no PyTorch dtype, and no model file can hold it
    if resolved is None or resolved.kind not in ("f" if floating else TENSOR_KINDS) or (
            resolved.kind == "f" and resolved.itemsize > 8):
        raise dtype_refusal(owner, dtype, floating, argument)
    return resolved


# PyTorch's legacy type names (x.type() gives 'torch.FloatTensor'); here under deltaprop's own name.
_LEGACY_NAMES = {
    "float16": "HalfTensor", "float32": "FloatTensor", "float64": "DoubleTensor", "bool": "BoolTensor",
    "int8": "CharTensor", "int16": "ShortTensor", "int32": "IntTensor", "int64": "LongTensor", "uint8": "ByteTensor",
    "uint16": "UInt16Tensor", "uint32": "UInt32Tensor", "uint64": "UInt64Tensor",
}
_LEGACY_DTYPES = {name: np.dtype(dtype) for dtype, name in _LEGACY_NAMES.items()}


def type_name(dtype: np.dtype) -> str:
    """The legacy name of a tensor type of ``dtype``: 'deltaprop.FloatTensor' for float32."""
    return "deltaprop." + _LEGACY_NAMES[np.dtype(dtype).name]


def legacy_names() -> dict:
    """Each legacy type's name and its dtype: {'FloatTensor': dtype('float32'), ...}."""
    return dict(_LEGACY_DTYPES)


def legacy_dtype(owner: str, value) -> np.dtype:
    """The dtype ``value`` names: a legacy type name ('torch.DoubleTensor' or 'deltaprop.DoubleTensor')
    or type (``deltaprop.DoubleTensor``), or anything :func:`tensor_dtype` takes; refused in one
    sentence otherwise."""
    if isinstance(value, type) and value.__module__ in ("torch", "deltaprop") and value.__name__ in _LEGACY_DTYPES:
        return _LEGACY_DTYPES[value.__name__]
    if isinstance(value, str) and value.endswith("Tensor"):
        prefix, _, name = value.rpartition(".")
        if prefix not in ("torch", "deltaprop") or name not in _LEGACY_DTYPES:
            raise dtype_refusal(owner, value)
        return _LEGACY_DTYPES[name]
    return tensor_dtype(owner, value)


def finfo(type=None) -> np.finfo:
    """The limits of a floating-point dtype (``eps``, ``max``, ``min``, ``tiny``, ``smallest_normal``,
    ``resolution``, ``bits``), as PyTorch's ``finfo``: NumPy's own record of them. Without an argument,
    the default dtype's (float32 unless set_default_dtype changed it)."""
    if type is None:
        from .tensor import get_default_dtype

        type = get_default_dtype()
    resolved = tensor_dtype("finfo", type)
    if resolved.kind != "f":
        raise TypeError(f"finfo: expected a floating-point dtype, got {resolved.name} (iinfo gives an integer dtype's limits)")
    return np.finfo(resolved)


def iinfo(type) -> np.iinfo:
    """The limits of an integer dtype (``min``, ``max``, ``bits``), as PyTorch's ``iinfo``: NumPy's own
    record of them."""
    resolved = tensor_dtype("iinfo", type)
    if resolved.kind not in "iu":
        raise TypeError(f"iinfo: expected an integer dtype, got {resolved.name} (finfo gives a floating-point dtype's limits)")
    return np.iinfo(resolved)
