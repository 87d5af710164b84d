"""``torch.compile``, for the scripts that call it: the model or function itself comes back.

PyTorch's compiler traces a model into fused kernels that compute what the model computes; deltaprop
runs each operation as NumPy calls with no graph to fuse, so there is nothing to compile, and the
model or function given is returned unchanged (not wrapped: its ``state_dict`` keys have no
``_orig_mod.`` prefix, which nanoGPT-style loaders strip when it is there). The options are checked
as PyTorch checks them, so a script that would fail there fails here.
"""

from __future__ import annotations

from .errors import ConfigError

__all__ = ["compile"]

MODES = (None, "default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")  # PyTorch 2.13's


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,  # noqa: A001
            disable=False):
    """``model`` (a module or a function) unchanged; without one, a decorator that returns what it decorates."""
    if mode not in MODES:
        raise ConfigError(f"compile: mode must be one of {', '.join(repr(m) for m in MODES[1:])} or None, got {mode!r}")
    if mode is not None and options is not None:
        raise ConfigError("compile: give mode or options, not both (as PyTorch refuses)")
    if not (isinstance(backend, str) or callable(backend)):
        raise ConfigError(f"compile: backend must be a backend's name or a callable, got {backend!r}")
    if model is None:
        return _returned_unchanged
    if not callable(model):
        raise TypeError(f"compile: expected a module or a function to compile, got {type(model).__name__}")
    return model


def _returned_unchanged(model):
    return compile(model)
