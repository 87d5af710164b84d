"""PyTorch's deprecated creation and default-type functions, kept so that older code runs: each
warns as PyTorch does and names what to call instead.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .creation import _number
from .devices import on_cpu
from .dtypes import tensor_dtype
from .errors import ConfigError
from .tensor import Tensor, get_default_dtype, set_default_dtype


def range(start, end, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:  # noqa: A001
    """The values start, start + step, ... up to ``end`` *included*, of the default float dtype unless
    ``dtype`` is given (whatever the bounds' types). Deprecated: ``arange`` leaves ``end`` out, as
    Python's ``range`` does."""
    warnings.warn("range: deltaprop.range is deprecated (in PyTorch too), as it includes end unlike Python's range; "
                  "use deltaprop.arange(start, end + step, step)", UserWarning, stacklevel=2)
    on_cpu("range", device)
    start, end, step = (_number("range", name, v) for name, v in (("start", start), ("end", end), ("step", step)))
    if step == 0 or (end - start) * step < 0:
        raise ConfigError(f"range: the range from start={start} to end={end} does not go the way of step={step}")
    dtype = get_default_dtype() if dtype is None else tensor_dtype("range", dtype)
    count = math.floor((float(end) - float(start)) / float(step)) + 1
    values = (float(start) + float(step) * np.arange(count, dtype=np.float64)).astype(dtype)
    return Tensor._wrap(values).requires_grad_(True) if requires_grad else Tensor._wrap(values)


_DEFAULT_TYPES = {"FloatTensor": np.float32, "DoubleTensor": np.float64}


def set_default_tensor_type(t) -> None:
    """PyTorch's deprecated form of :func:`deltaprop.set_default_dtype`: ``FloatTensor`` (or the name
    'torch.FloatTensor') sets float32, ``DoubleTensor`` float64; other types are refused."""
    warnings.warn("set_default_tensor_type: deprecated (in PyTorch too); use deltaprop.set_default_dtype",
                  UserWarning, stacklevel=2)
    module, _, name = t.rpartition(".") if isinstance(t, str) else (getattr(t, "__module__", ""), "", getattr(
        t, "__name__", None))
    if name not in _DEFAULT_TYPES or module not in ("torch", "deltaprop"):
        raise TypeError(f"set_default_tensor_type: only FloatTensor and DoubleTensor (the floating-point types "
                        f"deltaprop computes in) can be the default, got {t!r}")
    set_default_dtype(_DEFAULT_TYPES[name])

