"""``torch.cuda.amp``, the older home of ``autocast`` and ``GradScaler`` (deprecated in PyTorch, with a
``FutureWarning``, for ``torch.amp``'s): here they are :mod:`deltaprop.amp`'s for the device 'cuda',
which does not exist, so both are disabled with a warning, as PyTorch disables them on a machine
without a GPU."""

from __future__ import annotations

from .. import amp as _amp

__all__ = ["GradScaler", "autocast"]


class autocast(_amp.autocast):
    """``torch.cuda.amp.autocast(enabled=True, dtype=torch.float16, cache_enabled=True)``: ``amp.autocast("cuda", ...)``."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_amp.GradScaler):
    """``torch.cuda.amp.GradScaler(init_scale=2.0**16, ...)``: ``amp.GradScaler("cuda", ...)``, disabled."""

    def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000, enabled=True):
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)
