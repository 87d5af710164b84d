"""PyTorch's ``torch.types``: the type aliases its signatures use, for code that annotates with
them. For annotations only; nothing checks them."""

from __future__ import annotations

from typing import Sequence, Union

import numpy as np

from .devices import device as _device
from .size import Size
from .tensor import Tensor

_bool, _int, _float, _complex, _str, _bytes = bool, int, float, complex, str, bytes
_dtype = np.dtype  # deltaprop's dtypes are NumPy's
_size = Union[Size, list[int], tuple[int, ...]]
Number = Union[int, float, bool]
_Number = (int, float, bool)  # for isinstance, as PyTorch's
Device = Union[_device, str, int, None]
_TensorOrTensors = Union[Tensor, Sequence[Tensor]]
_TensorOrOptionalTensors = Union[Tensor, Sequence[Union[Tensor, None]]]

__all__ = ["Device", "Number", "Size", "Tensor"]
