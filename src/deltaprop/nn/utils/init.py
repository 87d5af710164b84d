"""``skip_init``: build a module without initialising its parameters."""

from __future__ import annotations

from ...errors import ConfigError


def _leave_alone() -> None:
    """A reset_parameters() that leaves the freshly allocated parameters as they are."""


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with its ``reset_parameters()`` skipped, for weights that are
    about to be overwritten (loaded, or filled by hand): the parameters hold whatever their memory
    held, as PyTorch's do. Sub-modules a constructor builds are initialised as usual."""
    from ..module import Module

    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise ConfigError(f"skip_init: expected a Module class, got {module_cls!r}")
    module = module_cls.__new__(module_cls)
    object.__setattr__(module, "reset_parameters", _leave_alone)  # found before the class's own
    try:
        module_cls.__init__(module, *args, **kwargs)
    finally:
        object.__delattr__(module, "reset_parameters")
    return module
