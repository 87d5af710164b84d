"""``deltaprop.autograd.profiler``: the older path to the profiler (PyTorch's
``torch.autograd.profiler``), with its older options; the profiler is :mod:`deltaprop.profiler`."""

from __future__ import annotations

from ..profiler import EventList, record_function
from ..profiler import profile as _profile
from ..profiler.profile import ProfilerActivity


class profile(_profile):
    """The profiler as ``torch.autograd.profiler.profile`` takes it: ``enabled=False`` records
    nothing; ``use_cuda`` warns that there is no CUDA device; the rest as :class:`deltaprop.profiler.profile`."""

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, record_shapes: bool = False,
                 with_flops: bool = False, profile_memory: bool = False, with_stack: bool = False,
                 with_modules: bool = False, use_cpu: bool = True) -> None:
        for name, value in (("enabled", enabled), ("use_cuda", use_cuda), ("use_cpu", use_cpu)):
            if not isinstance(value, bool):
                raise TypeError(f"profile: {name} must be True or False, got {value!r}")
        activities = ([ProfilerActivity.CPU] if use_cpu else []) + ([ProfilerActivity.CUDA] if use_cuda else [])
        super().__init__(activities, record_shapes=record_shapes, profile_memory=profile_memory,
                         with_stack=with_stack, with_flops=with_flops, with_modules=with_modules)
        self.enabled = enabled

    def start(self) -> None:
        if self.enabled:
            super().start()

    def stop(self) -> None:
        if self.enabled:
            super().stop()


__all__ = ["EventList", "profile", "record_function"]
