"""How tensors print: PyTorch's ``set_printoptions`` over NumPy's ``array2string``.

The options are deltaprop's own (setting them leaves NumPy's printing of plain arrays alone); an
option never set follows NumPy's current setting, as tensors printed before this module existed did,
except the precision, 4 digits as in PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import ConfigError

_PROFILES = {  # PyTorch's presets
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}

_options = {"precision": 4, "threshold": None, "edgeitems": None, "linewidth": None, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None) -> None:
    """Set how tensors print, as PyTorch's ``set_printoptions``: ``precision`` (digits after the
    point), ``threshold`` (more elements than this are summarised with '...'), ``edgeitems``
    (elements shown at each end of a summarised axis), ``linewidth``, ``profile`` ('default',
    'short' or 'full': presets of the four, applied first) and ``sci_mode`` (True: always
    scientific notation; False: never; None: as the numbers need)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ConfigError(f"set_printoptions: profile must be one of {', '.join(map(repr, _PROFILES))}, got {profile!r}")
        _options.update(_PROFILES[profile])
    for name, value, least in (("precision", precision, 0), ("threshold", threshold, 0), ("edgeitems", edgeitems, 0),
                               ("linewidth", linewidth, 1)):
        if value is None:
            continue
        whole = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        if not (whole or (name == "threshold" and value == math.inf)) or value < least:
            raise ConfigError(f"set_printoptions: {name} must be an integer of at least {least}, got {value!r}")
        _options[name] = value if value == math.inf else int(value)
    if sci_mode is not None and not isinstance(sci_mode, bool):
        raise ConfigError(f"set_printoptions: sci_mode must be True, False or None, got {sci_mode!r}")
    _options["sci_mode"] = sci_mode  # (PyTorch's rule too: left out, it goes back to None)


def format_array(data: np.ndarray, prefix: str) -> str:
    """``data`` as a tensor's repr shows it, under the options above."""
    options = {}
    if _options["threshold"] is not None:
        options["threshold"] = _options["threshold"] if _options["threshold"] != math.inf else np.iinfo(np.intp).max
    if _options["edgeitems"] is not None:
        options["edgeitems"] = _options["edgeitems"]
    if _options["linewidth"] is not None:
        options["max_line_width"] = _options["linewidth"]
    if _options["sci_mode"] is not None and data.dtype.kind == "f":
        if _options["sci_mode"]:
            digits = _options["precision"]
            options["formatter"] = {"float_kind": lambda v: np.format_float_scientific(v, precision=digits, unique=False)}
        else:
            options["suppress_small"] = True
    return np.array2string(data, separator=", ", prefix=prefix, precision=_options["precision"], **options)
