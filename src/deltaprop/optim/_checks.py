"""Hyperparameter checks shared by the optimizers and the learning-rate schedulers.

Each check raises :class:`~deltaprop.errors.ConfigError` (a ``ValueError``) with one sentence that
names the class, the option and the value it was given, e.g.
``SGD: momentum must be non-negative, got -0.5``. NaN fails every check, because every comparison
with NaN is false.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import ConfigError


def is_real(value) -> bool:
    """A real number (Python or NumPy) that is not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_real(
    owner: str,
    name: str,
    value,
    *,
    low: float = 0.0,
    high: float = math.inf,
    low_closed: bool = True,
    high_closed: bool = False,
    where: str = "",
) -> None:
    """``value`` must be a finite real number in the interval from ``low`` to ``high``."""
    ok = is_real(value) and math.isfinite(value)
    if ok:
        ok = (value >= low if low_closed else value > low) and (value <= high if high_closed else value < high)
    if not ok:
        rule = _describe(low, high, low_closed, high_closed)
        raise ConfigError(f"{owner}: {name} must be {rule}, got {value!r}{where}")


def check_int(owner: str, name: str, value, *, low: int = 0, where: str = "") -> None:
    """``value`` must be an integer no smaller than ``low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        rule = {0: "a non-negative integer", 1: "a positive integer"}.get(low, f"an integer of at least {low}")
        raise ConfigError(f"{owner}: {name} must be {rule}, got {value!r}{where}")


def check_whole(owner: str, name: str, value, *, low: int = 0, where: str = "") -> int:
    """``value`` must be a whole number no smaller than ``low``: an integer, or a float that holds
    one (``StepLR(optimizer, 1.0)``, as PyTorch's tutorials write it); returned as an int. A
    fractional float is refused as :func:`check_int` refuses it."""
    if is_real(value) and not isinstance(value, numbers.Integral) and float(value).is_integer():
        value = int(value)
    check_int(owner, name, value, low=low, where=where)
    return value


def check_flag(owner: str, name: str, value, where: str = "") -> None:
    """``value`` must be True or False (NumPy booleans included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{owner}: {name} must be True or False, got {value!r}{where}")


def check_choice(owner: str, name: str, value, choices: tuple, where: str = "") -> None:
    if value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        raise ConfigError(f"{owner}: {name} must be one of {listed}, got {value!r}{where}")


# Why capturable=True and differentiable=True are refused: both change what a step is, and
# neither can be had here.
_UNSUPPORTED = {
    "capturable": "it keeps the step counts on a GPU for CUDA graph capture, and deltaprop computes with NumPy",
    "differentiable": "it records the step to differentiate through it, and deltaprop's steps change the "
    "parameters in place without recording",
}


def check_implementation_options(owner: str, options: dict, where: str = "") -> None:
    """PyTorch's implementation options, where ``options`` holds them: ``foreach`` and ``fused``
    choose how PyTorch loops over the parameters, not what it computes, so any bool or None is
    taken (not both True, which PyTorch refuses); ``capturable`` and ``differentiable`` must be False."""
    for name in ("foreach", "fused"):
        value = options.get(name)
        if value is not None and not isinstance(value, (bool, np.bool_)):
            raise ConfigError(f"{owner}: {name} must be True, False or None, got {value!r}{where}")
    if options.get("foreach") and options.get("fused"):
        raise ConfigError(f"{owner}: foreach=True and fused=True cannot be given together{where}")
    for name, reason in _UNSUPPORTED.items():
        if name in options:
            check_flag(owner, name, options[name], where)
            if options[name]:
                raise ConfigError(f"{owner}: {name}=True is not supported ({reason}); leave it False{where}")


def check_betas(owner: str, betas, where: str = "") -> None:
    """``betas`` must be a pair (beta1, beta2), each in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ConfigError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}{where}")
    check_real(owner, "betas[0]", betas[0], high=1, where=where)
    check_real(owner, "betas[1]", betas[1], high=1, where=where)


def _describe(low: float, high: float, low_closed: bool, high_closed: bool) -> str:
    if high == math.inf:
        if low == 0:
            return "non-negative" if low_closed else "positive"
        return f"at least {low:g}" if low_closed else f"greater than {low:g}"
    return f"in {'[' if low_closed else '('}{low:g}, {high:g}{']' if high_closed else ')'}"
