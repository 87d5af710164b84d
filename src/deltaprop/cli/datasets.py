"""The DATA argument: a CSV file, an NPZ file, or nothing / ``digits`` for the bundled digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data import Table, load_csv, load_digits, load_npz
from ..errors import DataError

BUNDLED = "digits"
DIGITS_IMAGE_SHAPE = (1, 8, 8)


def load_table(data: str | None, target=None, drop_missing: bool = False, need_target: bool = True) -> tuple[Table, str]:
    """The data set named by ``data`` and a short name for it (used to name the run folder).

    ``need_target=False`` (data to predict on): an NPZ file's array ``y`` is neither needed nor
    read, and ``y`` is None."""
    if data is None or data == BUNDLED:
        X, y = load_digits(return_X_y=True)
        return Table(X=X, y=y, feature_names=[f"pixel_{i // 8}_{i % 8}" for i in range(64)], target_name="digit"), BUNDLED
    path = Path(data)
    if path.suffix.lower() == ".npz":
        X, y = load_npz(path, y_key="y" if need_target else None)  # to predict, a y there is left unread
        X = np.asarray(X, dtype=np.float32).reshape(len(X), -1)
        return Table(X=X, y=y, feature_names=[f"x{i}" for i in range(X.shape[1])], target_name=None if y is None else "y"), path.stem
    try:
        # --target is text: a column's name, or its index when no column has that name
        return load_csv(path, target=target, drop_missing=drop_missing), path.stem
    except DataError as error:
        # The library's hint names its keyword argument; here the same choice is a flag.
        raise DataError(str(error).replace("drop_missing=True", "--drop-missing")) from None


def image_shape(data: str | None, n_features: int) -> tuple | None:
    """The (channels, height, width) the digits CNN sees: 1x8x8, from the bundled digits or from
    any table of 64 pixel columns (the network's last layer is sized for 8x8 inputs)."""
    if data is None or data == BUNDLED or n_features == 8 * 8:
        return DIGITS_IMAGE_SHAPE
    return None


