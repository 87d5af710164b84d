"""Set-up for the whole suite."""

from __future__ import annotations

import compileall
from pathlib import Path

import deltaprop


def pytest_configure(config):
    """Compile the package to bytecode once, before the tests.

    Hundreds of tests run the real ``deltaprop`` command in a child process. Where
    PYTHONDONTWRITEBYTECODE is set (it is on the machines this project is built on), no child writes
    the bytecode it compiled, so each one compiled the whole package from source again: 0.45 s of a
    0.7 s ``deltaprop --help``. Compiled here once, into the usual ``__pycache__`` folders (ignored
    by git, and where Python puts them when the variable is not set), every child reads them: the
    same command takes 0.2 s. Nothing changes when the bytecode is already there and up to date.
    """
    compileall.compile_dir(Path(deltaprop.__file__).parent, quiet=2)
    _torch_on_one_thread()


def _torch_on_one_thread():
    """PyTorch, where the tests compare with it, on one thread: their tensors are small, and on the
    two cores of the machines this project runs on its second thread cost more than it gave (a file
    of ported programs took 55 s with the default threads and 4 s on one, while other work ran)."""
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)
