"""``train_test_split``: scikit-learn's function, reproducible through deltaprop's generator.

    >>> import numpy as np
    >>> from deltaprop.data import train_test_split
    >>> X, y = np.arange(20).reshape(10, 2), np.array([0, 1] * 5)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, seed=0)
    >>> len(X_train), len(X_test), sorted(y_test.tolist())
    (8, 2, [0, 1])

The test set takes ``ceil(test_size * n)`` samples when ``test_size`` is a fraction, as in
scikit-learn. A stratified split hands each class its share of the test set by largest
remainders, so class proportions match to within one sample per class.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, DataError
from ..random import default_generator
from .loader import _check_seed, _is_int


def _test_count(test_size, n: int) -> int:
    if _is_int(test_size):
        n_test = int(test_size)
        if not 1 <= n_test <= n - 1:
            raise DataError(
                f"train_test_split: test_size={n_test} is impossible with {n} samples; "
                f"it must leave at least one sample on each side (1 to {n - 1})"
            )
        return n_test
    if isinstance(test_size, (float, np.floating)) and 0.0 < test_size < 1.0:
        n_test = math.ceil(float(test_size) * n)
        if n_test >= n:
            raise DataError(
                f"train_test_split: test_size={test_size} takes all {n} samples and leaves none to train on"
            )
        return n_test
    raise ConfigError(
        "train_test_split: test_size must be a fraction between 0 and 1 (exclusive) or a whole number "
        f"of samples, got {test_size!r}"
    )


def _stratified_counts(class_counts: np.ndarray, n_test: int, rng: np.random.Generator) -> np.ndarray:
    """How many test samples each class gives: its share of ``n_test``, rounded by largest remainder."""
    exact = class_counts * n_test / class_counts.sum()
    counts = np.floor(exact).astype(np.int64)
    remainder = exact - counts
    # Ties between equal remainders are broken at random (not by class order) so that no class
    # is favoured systematically.
    ranking = np.lexsort((rng.random(len(counts)), -remainder))
    counts[ranking[: n_test - counts.sum()]] += 1
    return counts


def train_test_split(*arrays, test_size=0.25, stratify=None, seed: int | None = None,
                     shuffle: bool = True) -> list:
    """Split arrays (same first dimension) into train and test parts.

    Returns ``[a_train, a_test, b_train, b_test, ...]`` in the order the arrays were given.
    ``stratify`` (labels, one per sample) keeps each class's proportion in both parts. With
    ``shuffle=False`` the first samples train and the last ones test. ``seed=None`` draws from
    :func:`deltaprop.random.default_generator`.
    """
    if not arrays:
        raise DataError("train_test_split needs at least one array, got none")
    arrays = [np.asarray(a) for a in arrays]
    if any(a.ndim == 0 for a in arrays):
        raise DataError("train_test_split: every array needs a first dimension that counts the samples")
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) > 1:
        raise DataError(
            f"train_test_split: every array must have the same number of samples, got lengths {lengths}"
        )
    n = lengths[0]
    if n < 2:
        raise DataError(f"train_test_split: need at least 2 samples to split, got {n}")
    n_test = _test_count(test_size, n)
    seed = _check_seed(seed, "train_test_split")
    rng = default_generator() if seed is None else np.random.default_rng(seed)

    if stratify is None:
        if shuffle:
            order = rng.permutation(n)
            test, train = order[:n_test], order[n_test:]
        else:
            train, test = np.arange(n - n_test), np.arange(n - n_test, n)
    else:
        if not shuffle:
            raise ConfigError(
                "train_test_split: stratify needs shuffle=True (a stratified split must pick samples)"
            )
        train, test = _stratified_indices(np.asarray(stratify), n, n_test, rng)

    result = []
    for a in arrays:
        result += [a[train], a[test]]
    return result


def _stratified_indices(labels: np.ndarray, n: int, n_test: int, rng: np.random.Generator):
    if labels.ndim != 1 or len(labels) != n:
        raise DataError(
            f"train_test_split: stratify must hold one label per sample ({n}), got shape {labels.shape}"
        )
    classes, codes, class_counts = np.unique(labels, return_inverse=True, return_counts=True)
    if class_counts.min() < 2:
        lonely = classes[class_counts < 2]
        others = f" (so do {len(lonely) - 1} more)" if len(lonely) > 1 else ""
        raise DataError(
            f"train_test_split: cannot stratify, class {lonely[0].item()!r} has a single sample{others}; "
            "every class needs at least 2"
        )
    n_classes = len(classes)
    if n_test < n_classes or n - n_test < n_classes:
        raise DataError(
            f"train_test_split: cannot stratify {n_classes} classes into a test set of {n_test} and a "
            f"train set of {n - n_test} samples; each part needs at least one sample per class"
        )
    test_counts = _stratified_counts(class_counts, n_test, rng)
    # Samples grouped by class (stable sort keeps index order), each group shuffled, then the first
    # test_counts[c] of group c go to the test set.
    by_class = np.split(np.argsort(codes, kind="stable"), np.cumsum(class_counts)[:-1])
    train, test = [], []
    for members, k in zip(by_class, test_counts):
        members = rng.permutation(members)
        test.append(members[:k])
        train.append(members[k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))
