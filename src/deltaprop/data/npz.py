"""``load_npz``: features and targets from a NumPy ``.npz`` archive, never unpickling anything.

``allow_pickle=False`` always: an archive is data, and a pickle inside one could run code on load.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import DataError

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def load_npz(path, x_key: str = "X", y_key: str | None = "y") -> tuple:
    """``(X, y)`` from the arrays named ``x_key`` and ``y_key`` in the archive at ``path``.

    ``X`` comes back as float32 with samples along its first axis (any further shape kept, so
    images stay images); ``y`` as stored (integers, floats or strings), one entry per sample.
    With ``y_key=None`` (features to predict on) no targets are read and ``y`` is None.
    """
    import zipfile  # only for its BadZipFile; importing it costs more than the rest of deltaprop.data

    name = os.fspath(path)
    if os.path.isdir(name):
        raise DataError(f"{name}: is a directory, not an .npz file")
    try:
        archive = np.load(name, allow_pickle=False)
    except FileNotFoundError:
        raise DataError(f"{name}: no such file") from None
    except PermissionError:
        raise DataError(f"{name}: cannot be read (permission denied)") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile):
        raise DataError(f"{name}: is not a NumPy .npz archive (write one with numpy.savez)") from None
    if isinstance(archive, np.ndarray):
        raise DataError(
            f"{name}: holds a single unnamed array (.npy), not named arrays; "
            f"save both with numpy.savez(path, {x_key}=X, {y_key}=y)"
        )
    with archive:
        X = _array(archive, x_key, name)
        y = None if y_key is None else _array(archive, y_key, name)
    if y is None:
        if X.ndim == 0:
            raise DataError(f"{name}: array {x_key!r} needs a first dimension that counts the samples")
        return _features(X, x_key, name), None

    if X.ndim == 0 or y.ndim == 0:
        raise DataError(f"{name}: arrays {x_key!r} and {y_key!r} need a first dimension that counts the samples")
    if len(X) != len(y):
        raise DataError(f"{name}: array {x_key!r} has {len(X)} samples but {y_key!r} has {len(y)}")
    X = _features(X, x_key, name)
    if y.dtype.kind not in "biufU":
        raise DataError(f"{name}: array {y_key!r} must hold numbers or strings, it holds dtype {y.dtype}")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]  # a column of targets is a vector of them
    if y.ndim != 1:
        raise DataError(f"{name}: array {y_key!r} must hold one target per sample, it has shape {y.shape}")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        bad = np.flatnonzero(~np.isfinite(y))
        raise DataError(
            f"{name}: array {y_key!r} holds {len(bad)} NaN or infinite values (the first in sample {int(bad[0])})"
        )
    if y.dtype.kind == "U" and (np.char.strip(y) == "").any():
        bad = np.flatnonzero(np.char.strip(y) == "")
        raise DataError(f"{name}: array {y_key!r} holds {len(bad)} empty labels (the first in sample {int(bad[0])})")
    return X, y


def _features(X: np.ndarray, x_key: str, name: str) -> np.ndarray:
    """``X`` as float32, once it is known to hold finite numbers that float32 can hold."""
    if len(X) == 0:
        raise DataError(f"{name}: array {x_key!r} holds no samples")
    if X.dtype.kind not in "biuf":
        raise DataError(f"{name}: array {x_key!r} must hold numbers, it holds dtype {X.dtype}")
    if X.dtype.kind == "f":
        finite = np.isfinite(X)
        if not finite.all():
            sample = int(np.flatnonzero(~finite.reshape(len(X), -1).all(axis=1))[0])
            raise DataError(
                f"{name}: array {x_key!r} holds {int((~finite).sum())} NaN or infinite values "
                f"(the first in sample {sample})"
            )
        if np.abs(X).max() > _FLOAT32_MAX:
            raise DataError(
                f"{name}: array {x_key!r} holds values too large for float32 (largest {np.abs(X).max():.4g})"
            )
    return X.astype(np.float32)


def _array(archive, key: str, name: str) -> np.ndarray:
    if key not in archive.files:
        there = ", ".join(repr(k) for k in archive.files) or "none"
        raise DataError(f"{name}: has no array named {key!r}; the arrays there are {there}")
    try:
        return archive[key]
    except ValueError:
        # np.load refuses object arrays without allow_pickle; say which one and why.
        raise DataError(
            f"{name}: array {key!r} holds Python objects (dtype=object), which deltaprop never unpickles; "
            "save it as numbers or strings"
        ) from None
