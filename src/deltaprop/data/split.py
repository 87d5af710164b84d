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
from ..random import numpy_generator
from .seeding import _check_seed, _is_int


def _size(value, n: int, name: str, round_up: bool):
    """``value`` (a fraction in (0, 1) or a whole number of samples) as a count of the ``n``
    samples: a fraction rounds up for the test set and down for the training set, as in
    scikit-learn; None stays None."""
    if value is None:
        return None
    if _is_int(value):
        count = int(value)
        if not 1 <= count <= n - 1:
            raise DataError(
                f"train_test_split: {name}={count} is impossible with {n} samples; "
                f"it must leave at least one sample on each side (1 to {n - 1})"
            )
        return count
    if isinstance(value, (float, np.floating)) and 0.0 < value < 1.0:
        share = float(value) * n
        return math.ceil(share) if round_up else math.floor(share)
    raise ConfigError(
        f"train_test_split: {name} must be a fraction between 0 and 1 (exclusive) or a whole number "
        f"of samples, got {value!r}"
    )


def _sizes(test_size, train_size, n: int) -> tuple:
    """(n_train, n_test), scikit-learn's: test_size 0.25 when neither is given, either one the
    complement of the other, and when both are given the samples neither takes are left out."""
    if test_size is None and train_size is None:
        test_size = 0.25
    n_test = _size(test_size, n, "test_size", round_up=True)
    n_train = _size(train_size, n, "train_size", round_up=False)
    if isinstance(test_size, (float, np.floating)) and isinstance(train_size, (float, np.floating)) \
            and test_size + train_size > 1:
        raise DataError(
            f"train_test_split: train_size={train_size} and test_size={test_size} add up to more than 1"
        )
    if n_test is None:
        n_test = n - n_train
    elif n_train is None:
        n_train = n - n_test
    elif n_train + n_test > n:
        raise DataError(
            f"train_test_split: train_size={train_size} and test_size={test_size} ask for {n_train} train "
            f"and {n_test} test samples, more than the {n} there are"
        )
    if n_train < 1:  # a small fraction rounded down, or a large one for the test set rounded up
        given = f"train_size={train_size}" if train_size is not None else f"test_size={test_size}"
        raise DataError(f"train_test_split: {given} with {n} samples leaves none to train on")
    return n_train, n_test


def _largest_remainders(class_counts: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """How many of ``k`` samples each class gives: its share of ``k``, rounded by largest remainder."""
    exact = class_counts * k / class_counts.sum()
    counts = np.floor(exact).astype(np.int64)
    remainder = exact - counts
    # Ties between equal remainders are broken at random (not by class order) so that no class
    # is favoured systematically.
    ranking = np.lexsort((rng.random(len(counts)), -remainder))
    counts[ranking[: k - counts.sum()]] += 1
    return counts


def train_test_split(*arrays, test_size=None, train_size=None, stratify=None, seed: int | None = None,
                     shuffle: bool = True, random_state: int | None = None) -> list:
    """Split arrays (same first dimension) into train and test parts, as scikit-learn's function.

    Returns ``[a_train, a_test, b_train, b_test, ...]`` in the order the arrays were given.
    ``test_size`` and ``train_size``: a fraction of the samples or a number of them; with neither
    the test set takes a quarter, with one the other takes the rest, with both any samples left
    over are in neither part. ``stratify`` (labels, one per sample, or one row per sample: a row
    is a class) keeps each class's proportion in both parts. With ``shuffle=False`` the first
    samples train and the following ones test. ``seed`` (or scikit-learn's name,
    ``random_state``) fixes the split; None draws from ``deltaprop.default_generator``.
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
    n_train, n_test = _sizes(test_size, train_size, n)
    if random_state is not None:
        if seed is not None:
            raise ConfigError("train_test_split: give seed or random_state (scikit-learn's name for it), not both")
        if not _is_int(random_state) or random_state < 0:
            raise ConfigError(
                f"train_test_split: random_state must be None or a non-negative integer, got {random_state!r}"
            )
        seed = random_state
    seed = _check_seed(seed, "train_test_split")
    rng = numpy_generator() if seed is None else np.random.default_rng(seed)

    if stratify is None:
        if shuffle:
            order = rng.permutation(n)
            test, train = order[:n_test], order[n_test:n_test + n_train]
        else:
            train, test = np.arange(n_train), np.arange(n_train, n_train + n_test)
    else:
        if not shuffle:
            raise ConfigError(
                "train_test_split: stratify needs shuffle=True (a stratified split must pick samples)"
            )
        train, test = _stratified_indices(np.asarray(stratify), n, n_train, n_test, rng)

    result = []
    for a in arrays:
        result += [a[train], a[test]]
    return result


def _stratified_indices(labels: np.ndarray, n: int, n_train: int, n_test: int, rng: np.random.Generator):
    if labels.ndim not in (1, 2) or len(labels) != n:
        raise DataError(
            f"train_test_split: stratify must hold one label per sample ({n}; or one row of labels per "
            f"sample), got shape {labels.shape}"
        )
    # A 2-D array (one-hot or multi-label rows) stratifies on its rows, each distinct row a class.
    classes, codes, class_counts = np.unique(labels, axis=0 if labels.ndim == 2 else None,
                                             return_inverse=True, return_counts=True)
    codes = codes.reshape(-1)
    if class_counts.min() < 2:
        lonely = classes[class_counts < 2]
        others = f" (so do {len(lonely) - 1} more)" if len(lonely) > 1 else ""
        raise DataError(
            f"train_test_split: cannot stratify, class {lonely[0].tolist()!r} has a single sample{others}; "
            "every class needs at least 2"
        )
    n_classes = len(classes)
    if n_test < n_classes or n_train < n_classes:
        raise DataError(
            f"train_test_split: cannot stratify {n_classes} classes into a test set of {n_test} and a "
            f"train set of {n_train} samples; each part needs at least one sample per class"
        )
    test_counts = _largest_remainders(class_counts, n_test, rng)
    rest = class_counts - test_counts
    train_counts = rest if n_train == n - n_test else _largest_remainders(rest, n_train, rng)
    # Samples grouped by class (stable sort keeps index order), each group shuffled, then the first
    # test_counts[c] of group c go to the test set and the next train_counts[c] to the train set.
    by_class = np.split(np.argsort(codes, kind="stable"), np.cumsum(class_counts)[:-1])
    train, test = [], []
    for members, k, m in zip(by_class, test_counts, train_counts):
        members = rng.permutation(members)
        test.append(members[:k])
        train.append(members[k:k + m])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))
