"""Make src/deltaprop/datasets/digits.npz from scikit-learn's installed copy of the UCI digits.

Run once, by hand (``python scripts/make_digits.py``); deltaprop itself never runs it and never
downloads anything. The source is the file ``sklearn/datasets/data/digits.csv.gz`` that ships with
scikit-learn: 1,797 rows, each 64 pixel counts (0..16, an 8x8 image read row by row) followed by
the digit. It is read directly (gzip + NumPy), without importing scikit-learn.

Output: a compressed ``.npz`` with ``X`` (uint8, 1797 x 64) and ``y`` (int64, 1797), readable with
``numpy.load(path, allow_pickle=False)``.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import sys
from pathlib import Path

import numpy as np

OUTPUT = Path(__file__).resolve().parent.parent / "src" / "deltaprop" / "datasets" / "digits.npz"


def source_path() -> Path:
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("make_digits: scikit-learn is not installed here; it holds the source file")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "digits.csv.gz"


def main() -> None:
    source = source_path()
    raw = source.read_bytes()
    table = np.loadtxt(gzip.decompress(raw).decode("ascii").splitlines(), delimiter=",")
    if table.shape != (1797, 65):
        sys.exit(f"make_digits: expected 1797 rows of 65 numbers in {source}, got shape {table.shape}")
    if (table != np.round(table)).any():
        sys.exit(f"make_digits: {source} holds non-integer values")
    pixels, labels = table[:, :64], table[:, 64]
    if pixels.min() < 0 or pixels.max() > 16 or set(np.unique(labels)) != set(range(10)):
        sys.exit(f"make_digits: {source} has pixels outside 0..16 or labels outside 0..9")
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUTPUT, X=pixels.astype(np.uint8), y=labels.astype(np.int64))
    print(f"source {source} (sha256 {hashlib.sha256(raw).hexdigest()})")
    digest = hashlib.sha256(OUTPUT.read_bytes()).hexdigest()
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, sha256 {digest})")
    print(f"class counts {np.bincount(labels.astype(np.int64)).tolist()}")


if __name__ == "__main__":
    main()
