"""``load_digits``: the UCI handwritten digits (1,797 images of 8x8 pixels), bundled, offline.

The file ``deltaprop/datasets/digits.npz`` ships inside the package (see the README beside it for
its source and licence); it is read through :mod:`importlib.resources`, so it is found in a wheel,
an editable install or a zip alike, and nothing is ever downloaded.
"""

from __future__ import annotations

import io

import numpy as np

from .table import Table

_MAX_PIXEL = 16.0  # the source counts set bits in 4x4 blocks of a 32x32 bitmap: 0..16


def load_digits(return_X_y: bool = True, as_images: bool = False):
    """The digits as ``(X, y)``: X float32 scaled to [0, 1], y int64 digits 0..9.

    X has shape (1797, 64), or (1797, 1, 8, 8) with ``as_images=True`` (one channel, for
    convolutional networks). With ``return_X_y=False`` the same arrays come in a :class:`Table`
    whose feature names are ``pixel_<row>_<column>`` and whose target is ``digit``. Each call returns
    fresh arrays.
    """
    from importlib.resources import files  # only needed here; keeps `import deltaprop` light

    raw = files("deltaprop").joinpath("datasets").joinpath("digits.npz").read_bytes()
    with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
        pixels, y = archive["X"], archive["y"]
    X = pixels.astype(np.float32) / np.float32(_MAX_PIXEL)
    if as_images:
        X = X.reshape(-1, 1, 8, 8)
    if return_X_y:
        return X, y
    names = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)]
    return Table(X=X, y=y, feature_names=names, target_name="digit")
