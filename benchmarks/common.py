"""What the benchmark scripts share."""

from __future__ import annotations

import os


def blas_threads() -> int:
    """How many threads NumPy's BLAS uses (PyTorch is given as many, for a fair comparison)."""
    try:
        from threadpoolctl import threadpool_info

        counts = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
        if counts:
            return max(counts)
    except ImportError:
        pass
    return os.cpu_count() or 1
