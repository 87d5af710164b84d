"""Running the real command, and noticing what a run wrote."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(*args, cwd, timeout=120) -> subprocess.CompletedProcess:
    """The real command, as a user runs it: ``python -m deltaprop ARGS``."""
    return subprocess.run([sys.executable, "-m", "deltaprop", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def snapshot(*folders) -> dict:
    """Every file and folder under ``folders``, with its size and modification time."""
    found = {}
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            for name in dirs + files:
                path = Path(root, name)
                info = path.stat()
                found[str(path)] = (info.st_size, info.st_mtime_ns) if path.is_file() else "folder"
    return found
