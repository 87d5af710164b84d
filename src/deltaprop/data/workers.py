"""The keywords PyTorch's DataLoader takes for worker processes and pinned memory, checked as PyTorch
checks them and kept as its attributes, so that a loader written for PyTorch is made unchanged.

deltaprop makes every batch in the calling process, whatever ``num_workers`` says: a batch of NumPy
arrays is a few fancy indexes (or a loop over the dataset's samples), and worker processes would
cost more to start and to send batches through than they save. ``worker_init_fn`` is therefore
never called, and ``pin_memory`` (which stages batches for a GPU) changes nothing: there is no GPU.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import ConfigError
from .seeding import _is_int

_START_METHODS = ("fork", "spawn", "forkserver")


def _flag(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"DataLoader: {name} must be True or False, got {value!r}")
    return bool(value)


def worker_options(num_workers, pin_memory, timeout, worker_init_fn, multiprocessing_context, prefetch_factor,
                   persistent_workers, pin_memory_device, in_order) -> dict:
    """The options as the loader keeps them (``prefetch_factor`` 2 with workers, as in PyTorch),
    after PyTorch's checks: those that need worker processes refused with ``num_workers=0``."""
    if not _is_int(num_workers):
        raise TypeError(f"DataLoader: num_workers must be an integer, got {num_workers!r}")
    if num_workers < 0:
        raise ConfigError(f"DataLoader: num_workers must be 0 or more (0 makes the batches in the calling "
                          f"process, as deltaprop does for any number), got {num_workers}")
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not timeout >= 0:
        raise ConfigError(f"DataLoader: timeout must be a non-negative number of seconds, got {timeout!r}")
    if worker_init_fn is not None and not callable(worker_init_fn):
        raise ConfigError(f"DataLoader: worker_init_fn must be a function of the worker's id, got {worker_init_fn!r}")
    if prefetch_factor is not None and (not _is_int(prefetch_factor) or prefetch_factor < 1):
        raise ConfigError(f"DataLoader: prefetch_factor must be None or a positive integer, got {prefetch_factor!r}")
    if isinstance(multiprocessing_context, str) and multiprocessing_context not in _START_METHODS:
        raise ConfigError(f"DataLoader: multiprocessing_context must be one of the start methods "
                          f"{', '.join(_START_METHODS)} (or a multiprocessing context), got {multiprocessing_context!r}")
    if multiprocessing_context is not None and not isinstance(multiprocessing_context, str):
        import multiprocessing.context  # (here: importing it costs `import deltaprop` several milliseconds)

        if not isinstance(multiprocessing_context, multiprocessing.context.BaseContext):
            raise TypeError(f"DataLoader: multiprocessing_context must be a start method's name or a multiprocessing "
                            f"context, got {type(multiprocessing_context).__name__}")
    persistent_workers = _flag("persistent_workers", persistent_workers)
    if num_workers == 0:
        # PyTorch refuses what only worker processes use (timeout at the first iteration, the rest at once)
        needs_workers = {"timeout": timeout != 0, "prefetch_factor": prefetch_factor is not None,
                         "persistent_workers": persistent_workers,
                         "multiprocessing_context": multiprocessing_context is not None}
        for name, given in needs_workers.items():
            if given:
                raise ConfigError(f"DataLoader: {name} applies to worker processes, so it needs num_workers > 0 "
                                  f"(PyTorch refuses it with num_workers=0 too)")
    if not isinstance(pin_memory_device, str):
        raise ConfigError(f"DataLoader: pin_memory_device must be a device name (a string), got {pin_memory_device!r}")
    return {
        "num_workers": int(num_workers), "pin_memory": _flag("pin_memory", pin_memory), "timeout": timeout,
        "worker_init_fn": worker_init_fn, "multiprocessing_context": multiprocessing_context,
        "prefetch_factor": 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor,
        "persistent_workers": persistent_workers, "pin_memory_device": pin_memory_device,
        "in_order": _flag("in_order", in_order),
    }


def get_worker_info():
    """None, PyTorch's answer in the main process: every batch is made in the calling process
    (whatever ``num_workers`` says), so code that splits an IterableDataset among workers by this
    takes the whole dataset."""
    return None
