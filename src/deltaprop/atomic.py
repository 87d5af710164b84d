"""Atomic file writes: a file is either the old one or the complete new one, never half of each.

The bytes go to a temporary file in the same folder, are flushed and fsync'ed, and the temporary
file is renamed over the target (a rename within one file system is atomic on POSIX and Windows).
A crash, ``kill -9`` or full disk at any moment leaves at worst a stray temporary file, never a
truncated model or checkpoint.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import stat
import tempfile
import time
from pathlib import Path


def write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with open_atomic(path, "wb") as handle:
        handle.write(data)


def write_text(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with open_atomic(path, "w") as handle:
        handle.write(text)


@contextlib.contextmanager
def open_atomic(path, mode: str = "w"):
    """A file handle whose content replaces ``path`` only when the ``with`` block succeeds.

    A symbolic link is written through (its target is replaced, the link stays); a FIFO or a
    device (``/dev/stdout``) is written to directly, since there is no file to replace; a folder is
    refused. Every ``OSError`` names ``path``, never the temporary file.
    """
    named = Path(path)
    path = Path(os.path.realpath(named))
    encoding = None if "b" in mode else "utf-8"
    newline = None if "b" in mode else ""
    try:
        kind = path.stat().st_mode if path.exists() else None
        if kind is not None and stat.S_ISDIR(kind):
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(named))
        if kind is not None and not stat.S_ISREG(kind):
            with open(path, mode, encoding=encoding, newline=newline) as handle:
                yield handle
            return
        folder = path.parent
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise _naming(error, named) from None
    try:
        with os.fdopen(descriptor, mode, encoding=encoding, newline=newline) as handle:
            # Inside the with, so a failure here closes the descriptor too. mkstemp creates the file
            # readable by its owner only; give it the mode a plain open() would.
            os.chmod(temporary, stat.S_IMODE(kind) if kind is not None else 0o644)
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise _naming(error, named) from None  # a full disk names the file it could not write
        raise
    _fsync_folder(folder)
    _remove_stale_temporaries(folder, path.name)


def _naming(error: OSError, path: Path) -> OSError:
    """``error`` with ``path`` as its file name: the one the caller asked for, not a temporary one."""
    return type(error)(error.errno, error.strerror or str(error), str(path))


_STALE_SECONDS = 600


def _remove_stale_temporaries(folder: Path, name: str) -> None:
    """Delete temporary files that earlier writes of ``name`` left behind when the process was
    killed mid-write (they are never read). Only old ones: a young one may belong to a writer
    that is still running."""
    now = time.time()
    for leftover in folder.glob(f".{glob.escape(name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - leftover.stat().st_mtime > _STALE_SECONDS:
                leftover.unlink()


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
