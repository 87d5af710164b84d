"""Mixed precision as ``torch.amp`` offers it, for the scripts that set it up: ``autocast`` and ``GradScaler``.

deltaprop computes each operation in its operands' dtype, with NumPy, which has no bfloat16; it cannot
run a region in lower precision. PyTorch itself turns autocast off, with a warning, where it cannot
autocast (no CUDA device, a dtype CPU autocast does not take), and so does ``autocast`` here whenever
it is enabled: the region computes in its tensors' own dtypes (float32 by default), more precisely
than PyTorch's bfloat16 or float16 region. A ``GradScaler`` for a GPU is turned off with PyTorch's
warning, as on a machine without one; a CPU one scales as PyTorch's does::

    scaler = dp.amp.GradScaler("cpu")
    scaler.scale(loss).backward()   # the loss times the scale (2**16 at first)
    scaler.unscale_(optimizer)      # the gradients divided by it, checked for inf and NaN
    scaler.step(optimizer)          # skipped when some gradient was not finite
    scaler.update()                 # the scale halved after such a step, doubled after 2000 good ones
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np

from . import autocast_state
from .devices import device as _device
from .errors import ConfigError, GradError
from .nn.utils.clip_grad import writable_gradients
from .tensor import Tensor

__all__ = ["GradScaler", "autocast"]


def _device_type(owner: str, device_type) -> str:
    """``device_type`` as PyTorch's names it ('cpu', 'cuda', ...), refused in one sentence otherwise."""
    if not isinstance(device_type, str):
        raise ValueError(f"{owner}: device_type must be a string such as 'cpu' or 'cuda', got {device_type!r}")
    named = _device(device_type)  # (a ConfigError naming the string if it names no device)
    return named.type


class autocast:
    """PyTorch's ``autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``, a context
    manager or a decorator. Enabled, it warns that it is disabled and casts nothing (the module's
    docstring says why); ``enabled=False`` casts nothing without a word, as in PyTorch. Either way
    the region sets what PyTorch's sets and the questions of :mod:`deltaprop.autocast_state` answer:
    ``get_autocast_dtype(device_type)`` is ``dtype`` inside, ``is_autocast_cache_enabled()`` is
    ``cache_enabled`` (where given), the nesting count is one higher, and ``is_autocast_enabled()``
    stays False."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        self.device = _device_type("autocast", device_type)
        if not isinstance(enabled, (bool, np.bool_)):
            raise TypeError(f"autocast: enabled must be True or False, got {enabled!r}")
        self.fast_dtype = dtype
        self._enabled = bool(enabled)
        self._region = autocast_state.region(autocast_state._kind("autocast", self.device), dtype, cache_enabled)

    def __enter__(self):
        if self._enabled:
            warnings.warn(f"autocast: deltaprop computes in each tensor's own dtype (NumPy has no bfloat16, and no "
                          f"{self.device!r} device is here), so autocast is disabled, as PyTorch disables it where it "
                          "cannot autocast", UserWarning, stacklevel=2)
        self._region.enter()
        return self

    def __exit__(self, *exception) -> None:
        self._region.exit()
        return None

    def __call__(self, function):
        @functools.wraps(function)
        def under_autocast(*args, **kwargs):
            with self:
                return function(*args, **kwargs)

        return under_autocast


class GradScaler:
    """PyTorch's loss scaler: ``GradScaler(device="cuda", init_scale=2.0**16, growth_factor=2.0,
    backoff_factor=0.5, growth_interval=2000, enabled=True)``.

    For any device but the CPU it is disabled with PyTorch's warning (there is no GPU here, as on a
    machine without one); disabled, ``scale`` returns its argument, ``step`` calls the optimizer's
    ``step``, ``get_scale`` is 1.0 and ``state_dict`` is empty. On the CPU it scales as PyTorch's does:
    ``scale(loss)`` multiplies by the scale; ``unscale_(optimizer)`` divides the gradients by it (in
    float32, as PyTorch's 1/scale) and notes whether any is infinite or NaN; ``step(optimizer)``
    unscales if that was not done, then steps unless a gradient was not finite; ``update()`` multiplies
    the scale by ``backoff_factor`` after such a skipped step, and by ``growth_factor`` after
    ``growth_interval`` steps in a row without one.
    """

    def __init__(self, device="cuda", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                 enabled=True):
        self._device = _device(device).type if not isinstance(device, str) else _device_type("GradScaler", device)
        self._enabled = bool(enabled)
        if self._enabled and self._device != "cpu":
            # (the caller's line: one frame further out through a subclass's __init__, cuda.amp.GradScaler's)
            depth = 2 if type(self).__init__ is GradScaler.__init__ else 3
            warnings.warn(f"GradScaler is enabled, but there is no {self._device!r} device (deltaprop computes with "
                          "NumPy on the CPU). Disabling, as PyTorch does without one.", UserWarning, stacklevel=depth)
            self._enabled = False
        if not self._enabled:
            return
        _check_factor("init_scale", init_scale, above=0.0)
        _check_factor("growth_factor", growth_factor, above=1.0)
        _check_factor("backoff_factor", backoff_factor, above=0.0, below=1.0)
        _check_interval(growth_interval)
        self._init_scale = float(init_scale)
        self._scale = None  # (made by the first scale(), as PyTorch's)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._optimizer_states: dict[int, dict] = {}

    def is_enabled(self) -> bool:
        return self._enabled

    def scale(self, outputs):
        """``outputs`` (a tensor, or lists and tuples of them) times the scale; as given when disabled."""
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._scale = np.float32(self._init_scale)
        if isinstance(outputs, Tensor):
            return outputs * float(self._scale)
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(output) for output in outputs)
        raise ValueError(f"GradScaler.scale: outputs must be a tensor or a list or tuple of tensors, got "
                         f"{type(outputs).__name__}")

    def _state(self, optimizer, caller: str) -> dict:
        if self._scale is None:
            raise GradError(f"GradScaler.{caller}: scale() was not called since this scaler was made: scale the loss "
                            "(scaler.scale(loss).backward()) before unscale_, step or update")
        return self._optimizer_states.setdefault(id(optimizer), {"stage": "ready", "found_inf": False})

    def unscale_(self, optimizer) -> None:
        """Divide each gradient of ``optimizer``'s parameters by the scale, in place, noting infinities and NaNs."""
        if not self._enabled:
            return
        state = self._state(optimizer, "unscale_")
        if state["stage"] == "unscaled":
            raise GradError("GradScaler.unscale_: unscale_() has already been called on this optimizer since the "
                            "last update()")
        if state["stage"] == "stepped":
            raise GradError("GradScaler.unscale_: unscale_() is being called after step(); call update() first")
        inverse = np.float32(1.0 / np.float64(self._scale))  # (PyTorch's: the reciprocal in double, then float)
        grads = writable_gradients(p for group in optimizer.param_groups for p in group["params"])
        if any(g.dtype == np.float16 for g in grads):  # (PyTorch's refusal too: a float16 gradient is scaled to be kept)
            raise ValueError("GradScaler.unscale_: attempting to unscale float16 gradients")
        found_inf = False
        for g in grads:
            g *= inverse
            found_inf = found_inf or not bool(np.isfinite(g).all())
        state["found_inf"] = found_inf
        state["stage"] = "unscaled"

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step(*args, **kwargs)`` after unscaling, unless a gradient was infinite or NaN
        (then None); disabled, the step itself."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise GradError("GradScaler.step: a closure is not supported while the scaler is enabled, as in PyTorch")
        state = self._state(optimizer, "step")
        if state["stage"] == "stepped":
            raise GradError("GradScaler.step: step() has already been called since the last update()")
        if state["stage"] == "ready":
            self.unscale_(optimizer)
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = "stepped"
        return result

    def update(self, new_scale=None) -> None:
        """Set the scale for the next iteration: ``new_scale`` if given, else backed off after a
        skipped step or grown after ``growth_interval`` good ones."""
        if not self._enabled:
            return
        if self._scale is None:
            raise GradError("GradScaler.update: scale() was not called since this scaler was made: scale the loss "
                            "(scaler.scale(loss).backward()) before update()")
        if new_scale is not None:
            value = new_scale.item() if isinstance(new_scale, Tensor) else new_scale
            _check_factor("new_scale", value, above=0.0)
            self._scale = np.float32(value)
        elif not self._optimizer_states:
            raise GradError("GradScaler.update: no optimizer was unscaled or stepped since the last update()")
        elif any(state["found_inf"] for state in self._optimizer_states.values()):
            self._scale = np.float32(self._scale * np.float32(self._backoff_factor))
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                grown = np.float32(self._scale * np.float32(self._growth_factor))
                if math.isfinite(grown):
                    self._scale = grown
                self._growth_tracker = 0
        self._optimizer_states = {}

    def get_scale(self) -> float:
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale)

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor) -> None:
        _check_factor("growth_factor", new_factor, above=1.0)
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor) -> None:
        _check_factor("backoff_factor", new_factor, above=0.0, below=1.0)
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval) -> None:
        _check_interval(new_interval)
        self._growth_interval = int(new_interval)

    def state_dict(self) -> dict:
        """PyTorch's keys (``scale``, ``growth_factor``, ``backoff_factor``, ``growth_interval``,
        ``_growth_tracker``); empty when disabled."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor, "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval, "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if not state_dict:
            raise GradError("GradScaler.load_state_dict: the state dict is empty, as a disabled scaler saves it")
        self._init_scale = float(state_dict["scale"])
        if self._scale is not None:
            self._scale = np.float32(self._init_scale)
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])


def _check_factor(name: str, value, above: float, below: float = math.inf) -> None:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not (ok and above < value < below):
        bounds = f"above {above}" if below == math.inf else f"between {above} and {below}"
        raise ConfigError(f"GradScaler: {name} must be a number {bounds}, got {value!r}")


def _check_interval(value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"GradScaler: growth_interval must be a positive integer, got {value!r}")
