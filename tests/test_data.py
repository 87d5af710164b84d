"""deltaprop.data: datasets and the DataLoader, splits, CSV and NPZ reading, preprocessing, digits."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.data import (
    ArrayDataset,
    DataLoader,
    LabelEncoder,
    StandardScaler,
    Table,
    TensorDataset,
    load_csv,
    load_digits,
    load_npz,
    one_hot,
    train_test_split,
)
from deltaprop.errors import ConfigError, DataError


def _rows(n=10, d=3):
    X = np.arange(n * d, dtype=np.float32).reshape(n, d)
    y = np.arange(n, dtype=np.int64)
    return X, y


def _epoch(loader) -> np.ndarray:
    """The labels of one epoch in the order served (labels are sample indices in these tests)."""
    return np.concatenate([yb for _, yb in loader])


# -- ArrayDataset ------------------------------------------------------------------------------------


def test_array_dataset_len_and_getitem():
    X, y = _rows()
    ds = ArrayDataset(X, y)
    assert len(ds) == 10
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi, X[3])
    assert yi == 3
    assert issubclass(TensorDataset, ArrayDataset)


def test_array_dataset_accepts_tensors_and_lists():
    ds = ArrayDataset(dp.tensor([[1.0, 2.0], [3.0, 4.0]]), [0, 1])
    assert ds.arrays[0].dtype == np.float32 and ds.arrays[1].tolist() == [0, 1]


@pytest.mark.parametrize(
    "arrays, words",
    [
        ((np.zeros((5, 2)), np.zeros(4)), "[5, 4]"),
        ((np.float32(1.0),), "scalar"),
        ((), "at least one array"),
    ],
)
def test_array_dataset_rejects_bad_arrays(arrays, words):
    with pytest.raises(DataError, match=re.escape(words)):
        ArrayDataset(*arrays)


# -- DataLoader --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, batch_size, drop_last, sizes",
    [
        (10, 4, False, [4, 4, 2]),
        (10, 4, True, [4, 4]),
        (8, 4, False, [4, 4]),
        (8, 4, True, [4, 4]),
        (3, 32, False, [3]),
        (3, 32, True, []),
        (0, 4, False, []),
    ],
)
def test_loader_batch_sizes_and_len(n, batch_size, drop_last, sizes):
    X, y = _rows(n)
    loader = DataLoader(ArrayDataset(X, y), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert [len(xb) for xb, _ in batches] == sizes
    assert len(loader) == len(sizes)


def test_unshuffled_loader_serves_samples_in_order_as_tuples_of_arrays():
    X, y = _rows(10)
    batches = list(DataLoader(ArrayDataset(X, y), batch_size=4))
    assert all(isinstance(b, tuple) and len(b) == 2 for b in batches)
    assert all(isinstance(a, np.ndarray) for b in batches for a in b)
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches]), X)
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype == np.int64


def test_shuffled_epoch_is_a_permutation_and_rows_stay_paired():
    X, y = _rows(50)
    loader = DataLoader(ArrayDataset(X, y), batch_size=8, shuffle=True, seed=1)
    for xb, yb in loader:
        np.testing.assert_array_equal(xb, X[yb])
    order = _epoch(loader)
    assert sorted(order.tolist()) == list(range(50))
    assert order.tolist() != list(range(50))


def test_drop_last_with_shuffle_drops_a_different_remainder_each_epoch():
    X, y = _rows(10)
    loader = DataLoader(ArrayDataset(X, y), batch_size=4, shuffle=True, drop_last=True, seed=0)
    seen = [set(_epoch(loader).tolist()) for _ in range(5)]
    assert all(len(s) == 8 for s in seen)
    assert len({frozenset(s) for s in seen}) > 1


def test_same_seed_gives_same_orders_and_epochs_differ():
    X, y = _rows(40)
    a = DataLoader(ArrayDataset(X, y), batch_size=8, shuffle=True, seed=7)
    b = DataLoader(ArrayDataset(X, y), batch_size=8, shuffle=True, seed=7)
    orders_a = [_epoch(a) for _ in range(3)]
    orders_b = [_epoch(b) for _ in range(3)]
    for oa, ob in zip(orders_a, orders_b):
        np.testing.assert_array_equal(oa, ob)
    assert orders_a[0].tolist() != orders_a[1].tolist()
    other = DataLoader(ArrayDataset(X, y), batch_size=8, shuffle=True, seed=8)
    assert _epoch(other).tolist() != orders_a[0].tolist()


def test_order_is_a_function_of_seed_and_epoch_only():
    X, y = _rows(30)
    ran = DataLoader(ArrayDataset(X, y), batch_size=5, shuffle=True, seed=3)
    for _ in range(4):
        last = _epoch(ran)
    jumped = DataLoader(ArrayDataset(X, y), batch_size=5, shuffle=True, seed=3)
    jumped.set_epoch(3)
    np.testing.assert_array_equal(_epoch(jumped), last)
    np.testing.assert_array_equal(jumped.order(3), last)


def test_epoch_counter_advances_when_iteration_starts():
    loader = DataLoader(ArrayDataset(*_rows(6)), batch_size=2, shuffle=True, seed=0)
    assert loader.epoch == 0
    iterator = iter(loader)
    assert loader.epoch == 1
    next(iterator)
    loader.set_epoch(10)
    assert loader.epoch == 10


def test_seed_none_draws_from_the_library_generator():
    X, y = _rows(40)
    dp.manual_seed(123)
    first = _epoch(DataLoader(ArrayDataset(X, y), batch_size=8, shuffle=True))
    dp.manual_seed(123)
    again = _epoch(DataLoader(ArrayDataset(X, y), batch_size=8, shuffle=True))
    dp.manual_seed(124)
    other = _epoch(DataLoader(ArrayDataset(X, y), batch_size=8, shuffle=True))
    np.testing.assert_array_equal(first, again)
    assert first.tolist() != other.tolist()


def test_unshuffled_loader_draws_nothing_from_the_library_generator():
    dp.manual_seed(5)
    expected = dp.random.numpy_generator().random()
    dp.manual_seed(5)
    list(DataLoader(ArrayDataset(*_rows(10)), batch_size=3))
    assert dp.random.numpy_generator().random() == pytest.approx(expected)


def test_state_dict_is_json_and_a_resumed_loader_replays_the_same_shuffles():
    X, y = _rows(64)
    dp.manual_seed(0)
    original = DataLoader(ArrayDataset(X, y), batch_size=16, shuffle=True)
    for _ in range(2):
        _epoch(original)
    saved = json.dumps(original.state_dict())
    expected = [_epoch(original) for _ in range(3)]

    dp.manual_seed(999)  # a new process: different global state, new loader
    resumed = DataLoader(ArrayDataset(X, y), batch_size=16, shuffle=True)
    resumed.load_state_dict(json.loads(saved))
    assert resumed.epoch == 2
    for want in expected:
        np.testing.assert_array_equal(_epoch(resumed), want)


@pytest.mark.parametrize("state", [{"seed": 1}, {"seed": -1, "epoch": 0}, {"seed": 1, "epoch": 1.5}, "x"])
def test_load_state_dict_rejects_bad_states(state):
    loader = DataLoader(ArrayDataset(*_rows(4)), shuffle=True)
    with pytest.raises(ConfigError):
        loader.load_state_dict(state)


def test_batches_are_copies_of_the_dataset():
    X, y = _rows(8)
    for shuffle in (False, True):
        for xb, _ in DataLoader(ArrayDataset(X, y), batch_size=4, shuffle=shuffle, seed=0):
            xb[:] = -1
    assert X.min() >= 0


class _ListDataset:
    """A dataset that is not an ArrayDataset: samples made one by one."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


def test_any_dataset_with_len_and_getitem_is_batched_like_an_array_dataset():
    X, y = _rows(11)
    fast = list(DataLoader(ArrayDataset(X, y), batch_size=4, shuffle=True, seed=2))
    slow = list(DataLoader(_ListDataset(X, y), batch_size=4, shuffle=True, seed=2))
    assert len(fast) == len(slow) == 3
    for (xf, yf), (xs, ys) in zip(fast, slow):
        np.testing.assert_array_equal(xf, xs)
        np.testing.assert_array_equal(yf, ys)


class _SampleDataset:
    """Samples as a PyTorch dataset may return them: a list [x, y], a dict, or one array alone."""

    def __init__(self, kind):
        self.kind = kind

    def __len__(self):
        return 5

    def __getitem__(self, i):
        x = np.full(3, float(i), dtype=np.float32)
        return {"list": [x, i], "dict": {"x": x, "y": i}, "array": x}[self.kind]


@pytest.mark.parametrize("kind", ["list", "dict", "array"])
def test_samples_are_collated_field_by_field_as_pytorchs_default_collate(kind):
    # A list sample is a sequence of fields, as a tuple is (it was stacked as one object array, or
    # refused by NumPy as "inhomogeneous"); a dict sample gives a dict of batched fields (it gave an
    # object array of dicts).
    torch = pytest.importorskip("torch", reason="PyTorch's DataLoader is the reference")
    ours = list(DataLoader(_SampleDataset(kind), batch_size=2))
    theirs = list(torch.utils.data.DataLoader(_SampleDataset(kind), batch_size=2))
    assert len(ours) == len(theirs) == 3
    for a, b in zip(ours, theirs):
        if kind == "dict":
            assert isinstance(a, dict) and list(a) == list(b)
            a, b = list(a.values()), list(b.values())
        elif kind == "array":
            assert isinstance(a, tuple) and len(a) == 1  # one field: a 1-tuple, as for ArrayDataset(X)
            b = [b]
        assert isinstance(a, (tuple, list)) and len(a) == len(b)
        for field, expected in zip(a, b):
            assert isinstance(field, np.ndarray) and field.dtype.kind != "O"
            np.testing.assert_array_equal(field, expected.numpy())


def test_nested_samples_are_collated_at_every_level_as_pytorchs_default_collate():
    # a dict inside a dict, a list inside a dict, a dict inside a tuple: each field of a field is
    # batched on its own (an inner dict was an object array of dicts; an inner list [i, float(i)]
    # was stacked into one float array, merging an integer field with a float one)
    torch = pytest.importorskip("torch", reason="PyTorch's DataLoader is the reference")

    def sample(i):
        return ({"image": {"pixels": np.full(2, i, np.float32)}, "ids": [i, float(i) / 2]}, i)

    def flat(batch):
        if isinstance(batch, dict):
            return [(key, *item) for key in batch for item in flat(batch[key])]
        if isinstance(batch, (tuple, list)):
            return [(i, *item) for i, field in enumerate(batch) for item in flat(field)]
        return [(np.asarray(batch),)]

    ours = next(iter(DataLoader([sample(i) for i in range(3)], batch_size=3)))
    theirs = next(iter(torch.utils.data.DataLoader([sample(i) for i in range(3)], batch_size=3)))
    ours, theirs = flat(ours), flat(theirs)
    assert [item[:-1] for item in ours] == [item[:-1] for item in theirs]
    for (*_, field), (*_, expected) in zip(ours, theirs):
        assert field.dtype == expected.dtype and field.dtype.kind != "O"
        np.testing.assert_array_equal(field, expected)


def test_samples_with_different_numbers_of_fields_are_refused_clearly():
    with pytest.raises(DataError, match=re.escape("different numbers of fields ([1, 2])")):
        next(iter(DataLoader([(1.0, 2), (3.0,)], batch_size=2)))


@pytest.mark.parametrize(
    "kwargs, option",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": -3}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"batch_size": True}, "batch_size"),
        ({"batch_size": "32"}, "batch_size"),
        ({"shuffle": "yes"}, "shuffle"),
        ({"drop_last": 1}, "drop_last"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.0}, "seed"),
    ],
)
def test_loader_options_are_validated(kwargs, option):
    with pytest.raises(ConfigError, match=option):
        DataLoader(ArrayDataset(*_rows(4)), **kwargs)


@pytest.mark.parametrize("epoch", [-1, 1.0, None])
def test_set_epoch_rejects_non_counts(epoch):
    with pytest.raises(ConfigError, match="epoch"):
        DataLoader(ArrayDataset(*_rows(4))).set_epoch(epoch)


# -- train_test_split --------------------------------------------------------------------------------


@pytest.mark.parametrize("test_size, n_test", [(0.25, 3), (0.5, 5), (0.01, 1), (0.9, 9), (4, 4)])
def test_split_sizes_follow_scikit_learn(test_size, n_test):
    X, y = _rows(10)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, seed=0)
    assert (len(X_test), len(y_test), len(X_train), len(y_train)) == (n_test, n_test, 10 - n_test, 10 - n_test)
    sklearn_model_selection = pytest.importorskip("sklearn.model_selection", reason="reference sizes")
    ref_train, ref_test = sklearn_model_selection.train_test_split(X, test_size=test_size, random_state=0)
    assert (len(ref_train), len(ref_test)) == (len(X_train), len(X_test))


def test_split_keeps_rows_paired_disjoint_and_complete():
    X, y = _rows(20)
    names = np.array([f"s{i}" for i in range(20)])
    X_train, X_test, y_train, y_test, n_train, n_test = train_test_split(X, y, names, seed=4)
    np.testing.assert_array_equal(X_train, X[y_train])
    np.testing.assert_array_equal(n_test, names[y_test])
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(20))


def test_split_is_reproducible_with_a_seed_or_the_library_seed():
    X, y = _rows(30)
    a = train_test_split(y, seed=5)[1]
    b = train_test_split(y, seed=5)[1]
    np.testing.assert_array_equal(a, b)
    dp.manual_seed(11)
    c = train_test_split(y)[1]
    dp.manual_seed(11)
    d = train_test_split(y)[1]
    np.testing.assert_array_equal(c, d)


def test_split_without_shuffle_takes_the_last_samples_for_test():
    y = np.arange(8)
    y_train, y_test = train_test_split(y, test_size=0.25, shuffle=False)
    assert y_train.tolist() == [0, 1, 2, 3, 4, 5] and y_test.tolist() == [6, 7]


def test_stratified_split_keeps_class_proportions():
    labels = np.array(["a"] * 60 + ["b"] * 30 + ["c"] * 10)
    X = np.arange(100).reshape(100, 1)
    X_train, X_test, l_train, l_test = train_test_split(X, labels, test_size=0.2, stratify=labels, seed=0)
    assert {c: int((l_test == c).sum()) for c in "abc"} == {"a": 12, "b": 6, "c": 2}
    assert {c: int((l_train == c).sum()) for c in "abc"} == {"a": 48, "b": 24, "c": 8}
    np.testing.assert_array_equal(labels[X_test[:, 0]], l_test)


@pytest.mark.parametrize("seed", range(5))
def test_stratified_split_is_within_one_sample_per_class(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, size=137)
    _, test = train_test_split(labels, test_size=0.3, stratify=labels, seed=seed)
    n_test = len(test)
    counts = np.bincount(labels, minlength=4)
    test_counts = np.bincount(test, minlength=4)
    assert n_test == 42  # ceil(0.3 * 137)
    assert np.all(np.abs(test_counts - counts * n_test / 137) < 1.0)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"test_size": 0.0}, ConfigError, "test_size"),
        ({"test_size": 1.0}, ConfigError, "test_size"),
        ({"test_size": -0.2}, ConfigError, "test_size"),
        ({"test_size": "half"}, ConfigError, "test_size"),
        ({"test_size": 10}, DataError, "test_size=10 is impossible with 10 samples"),
        ({"test_size": 0}, DataError, "test_size=0"),
        ({"test_size": 0.99}, DataError, "leaves none to train on"),
        ({"seed": -2}, ConfigError, "seed"),
        ({"stratify": [0, 1] * 5, "shuffle": False}, ConfigError, "shuffle=True"),
        ({"stratify": [0] * 9 + [1]}, DataError, "class 1 has a single sample"),
        ({"stratify": [0, 1, 2, 3, 4] * 2, "test_size": 0.3}, DataError, "5 classes"),
        ({"stratify": [0, 1] * 4}, DataError, "one label per sample"),
    ],
)
def test_impossible_splits_say_why(kwargs, error, words):
    X, y = _rows(10)
    with pytest.raises(error, match=re.escape(words)):
        train_test_split(X, y, **kwargs)


@pytest.mark.parametrize("kwargs", [
    {"train_size": 0.5}, {"train_size": 7}, {"train_size": 0.6, "test_size": 0.2}, {"train_size": 3, "test_size": 2},
    {"test_size": None}, {"test_size": None, "train_size": 0.8}, {"train_size": 0.75, "test_size": 0.25},
    {"train_size": 0.3, "shuffle": False}, {"train_size": 4, "test_size": 3, "shuffle": False},
])
def test_split_takes_scikit_learns_train_size_and_random_state(kwargs):
    # A scikit-learn call: train_size, test_size=None, random_state. They were TypeErrors.
    sklearn_model_selection = pytest.importorskip("sklearn.model_selection", reason="the reference split")
    X, y = _rows(10)
    ours = train_test_split(X, y, random_state=0, **kwargs)
    theirs = sklearn_model_selection.train_test_split(X, y, random_state=0, **kwargs)
    assert [a.shape for a in ours] == [a.shape for a in theirs]
    X_train, X_test, y_train, y_test = ours
    assert not set(y_train.tolist()) & set(y_test.tolist())
    np.testing.assert_array_equal(X_train, X[y_train])
    if kwargs.get("shuffle") is False:
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(ours, train_test_split(X, y, seed=0, **kwargs)):  # random_state is seed
        np.testing.assert_array_equal(a, b)


def test_stratified_split_with_a_train_size_keeps_proportions_in_both_parts():
    labels = np.array(["a"] * 60 + ["b"] * 30 + ["c"] * 10)
    l_train, l_test = train_test_split(labels, train_size=0.5, test_size=0.2, stratify=labels, seed=0)
    assert {c: int((l_train == c).sum()) for c in "abc"} == {"a": 30, "b": 15, "c": 5}
    assert {c: int((l_test == c).sum()) for c in "abc"} == {"a": 12, "b": 6, "c": 2}


def test_split_stratifies_on_rows_of_a_2d_label_array():
    # scikit-learn stratifies on each row of a 2-D array (one-hot or multi-label rows) as one class
    X, _ = _rows(12)
    onehot = np.eye(3)[[0, 1, 2] * 4]
    X_train, X_test, o_train, o_test = train_test_split(X, onehot, test_size=0.5, stratify=onehot, seed=0)
    assert o_test.sum(axis=0).tolist() == [2.0, 2.0, 2.0] and o_train.sum(axis=0).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(DataError, match=re.escape("class [0.0, 1.0] has a single sample")):
        train_test_split(X[:4], stratify=np.array([[1.0, 0.0]] * 3 + [[0.0, 1.0]]), test_size=2, seed=0)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"train_size": 0.0}, ConfigError, "train_size"),
        ({"train_size": 1.5}, ConfigError, "train_size"),
        ({"train_size": "most"}, ConfigError, "train_size"),
        ({"train_size": 10}, DataError, "train_size=10"),
        ({"train_size": 0.7, "test_size": 0.4}, DataError, "add up to more than 1"),
        ({"train_size": 0.7, "test_size": 4}, DataError, "7 train and 4 test samples"),
        ({"train_size": 8, "test_size": 3}, DataError, "8 train and 3 test samples"),
        ({"train_size": 0.01}, DataError, "leaves none to train on"),
        ({"random_state": 1, "seed": 1}, ConfigError, "random_state"),
        ({"random_state": 1.5}, ConfigError, "random_state"),
    ],
)
def test_impossible_train_sizes_say_why(kwargs, error, words):
    X, y = _rows(10)
    with pytest.raises(error, match=re.escape(words)):
        train_test_split(X, y, **kwargs)


def test_split_rejects_arrays_of_different_lengths():
    with pytest.raises(DataError, match=re.escape("[10, 9]")):
        train_test_split(np.zeros(10), np.zeros(9))


# -- CSV files that load -----------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiter_is_detected(delimiter, tmp_path):
    path = tmp_path / "d.csv"
    lines = [["sepal length", "width", "species"], ["5.1", "3.5", "setosa"], ["4.9", "3.0", "versicolor"]]
    path.write_text("\n".join(delimiter.join(line) for line in lines) + "\n")
    table = load_csv(path)
    assert table.feature_names == ["sepal length", "width"] and table.target_name == "species"
    np.testing.assert_allclose(table.X, [[5.1, 3.5], [4.9, 3.0]], rtol=1e-6)
    assert table.X.dtype == np.float32
    assert table.y.tolist() == ["setosa", "versicolor"]


def test_csv_reads_bom_quotes_crlf_blank_lines_and_spaces(tmp_path):
    path = tmp_path / "q.csv"
    text = '\ufeff"a, quoted",b,"label"\r\n" 1.5 ",2,"x, y"\r\n\r\n3, 4 , z \r\n'
    path.write_bytes(text.encode("utf-8"))
    table = load_csv(path)
    assert table.feature_names == ["a, quoted", "b"]
    np.testing.assert_allclose(table.X, [[1.5, 2], [3, 4]])
    assert table.y.tolist() == ["x, y", "z"]


@pytest.mark.parametrize("target, name", [(None, "c"), ("a", "a"), (0, "a"), (1, "b"), (-1, "c"), (-3, "a")])
def test_csv_target_by_name_or_index(target, name, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n1,2,3\n4,5,6\n")
    table = load_csv(path, target=target)
    assert table.target_name == name
    assert table.feature_names == [n for n in "abc" if n != name]
    assert table.y.tolist() == {"a": [1, 4], "b": [2, 5], "c": [3, 6]}[name]


@pytest.mark.parametrize(
    "column, dtype",
    [(["0", "1", "2.0"], np.int64), (["0.5", "1", "2"], np.float64), (["cat", "1", "dog"], np.str_)],
)
def test_csv_target_dtype(column, dtype, tmp_path):
    path = tmp_path / "y.csv"
    path.write_text("a,y\n" + "".join(f"{i},{v}\n" for i, v in enumerate(column)))
    assert load_csv(path).y.dtype.type is dtype


@pytest.mark.parametrize("column, expected", [
    (["007", "010", "3"], ["007", "010", "3"]),  # codes: kept as written, '007' is not 7
    (["1", "-01", "2"], ["1", "-01", "2"]),
    (["0", "10", "2"], [0, 10, 2]),  # no leading zero: numbers
    (["0.5", "00.5", "2"], [0.5, 0.5, 2.0]),  # not whole numbers: numbers
])
def test_csv_target_with_leading_zeros_is_class_names_as_written(column, expected, tmp_path):
    path = tmp_path / "z.csv"
    path.write_text("a,y\n" + "".join(f"{i},{v}\n" for i, v in enumerate(column)))
    assert load_csv(path).y.tolist() == expected


def test_csv_drop_missing_drops_rows_and_counts_them(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("a,b,t\n1,2,0\n,3,1\n4,nan,0\n5,6,\n7,inf,1\n8,9,1\n")
    table = load_csv(path, drop_missing=True)
    assert table.n_dropped == 4
    np.testing.assert_array_equal(table.X, [[1, 2], [8, 9]])
    assert table.y.tolist() == [0, 1]


def test_csv_ignored_columns_are_left_unread(tmp_path):
    path = tmp_path / "i.csv"
    path.write_text("a,note,b,t\n1,hello,2,0\n3,,4,1\n")
    table = load_csv(path, ignore=("note", "absent"))
    assert table.feature_names == ["a", "b"] and table.X.tolist() == [[1, 2], [3, 4]]
    assert load_csv(path, target=False, ignore=["note", "t"]).feature_names == ["a", "b"]
    with pytest.raises(ConfigError, match="the target column 't' cannot also be ignored"):
        load_csv(path, ignore="t")


def test_csv_explicit_delimiter(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("a:b:t\n1:2:0\n")
    assert load_csv(path, delimiter=":").X.tolist() == [[1.0, 2.0]]


def test_csv_without_a_target_makes_every_column_a_feature(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("a,b,c\n1,2,3\n4,5,6\n")
    table = load_csv(path, target=False)
    assert table.feature_names == ["a", "b", "c"] and table.y is None and table.target_name is None
    np.testing.assert_array_equal(table.X, [[1, 2, 3], [4, 5, 6]])
    single = tmp_path / "one.csv"
    single.write_text("price\n1\n2\n")
    assert load_csv(single, target=False).X.shape == (2, 1)


def test_csv_header_only_reads_the_names_and_not_the_rows(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("a;b;label\n1;oops;x\n1;2\n")
    table = load_csv(path, header_only=True)
    assert table.feature_names == ["a", "b"] and table.target_name == "label"
    assert table.X.shape == (0, 2) and table.y is None
    assert load_csv(path, target=False, header_only=True).feature_names == ["a", "b", "label"]


def test_csv_many_rows_match_the_numbers_written(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 5)).astype(np.float32)
    y = rng.integers(0, 3, size=20_000)
    path = tmp_path / "big.csv"
    body = "\n".join(",".join(repr(float(v)) for v in row) + f",{label}" for row, label in zip(X, y))
    path.write_text("f0,f1,f2,f3,f4,label\n" + body + "\n")
    table = load_csv(path)
    np.testing.assert_array_equal(table.X, X)
    np.testing.assert_array_equal(table.y, y)
    assert isinstance(table, Table) and len(table) == 20_000


# -- NPZ files ---------------------------------------------------------------------------------------


def test_npz_round_trip(tmp_path):
    path = tmp_path / "d.npz"
    images = np.arange(2 * 1 * 2 * 2, dtype=np.uint8).reshape(2, 1, 2, 2)
    np.savez(path, X=images, y=np.array(["a", "b"]), extra=np.zeros(3))
    X, y = load_npz(path)
    assert X.dtype == np.float32 and X.shape == (2, 1, 2, 2)
    np.testing.assert_array_equal(X, images)
    assert y.tolist() == ["a", "b"]
    X2, y2 = load_npz(path, x_key="extra", y_key="extra")
    assert X2.shape == (3,)
    np.savez(path, X=np.zeros((3, 2)), y=np.array([[0], [1], [1]]))  # a column of targets is a vector
    assert load_npz(path)[1].tolist() == [0, 1, 1]


def test_npz_without_targets_for_prediction(tmp_path):
    path = tmp_path / "features.npz"
    np.savez(path, X=np.arange(6, dtype=np.int64).reshape(3, 2))
    X, y = load_npz(path, y_key=None)
    assert y is None and X.dtype == np.float32
    np.testing.assert_array_equal(X, [[0, 1], [2, 3], [4, 5]])
    with pytest.raises(DataError, match=re.escape("has no array named 'y'; the arrays there are 'X'")):
        load_npz(path)  # targets wanted: their absence is named
    np.savez(path, X=np.array([[0.0, np.nan]]))
    with pytest.raises(DataError, match=re.escape("array 'X' holds 1 NaN or infinite values (the first in sample 0)")):
        load_npz(path, y_key=None)  # the features are checked all the same
    np.savez(path, X=np.zeros((0, 2)))
    with pytest.raises(DataError, match=re.escape("array 'X' holds no samples")):
        load_npz(path, y_key=None)


def _write_npz(path, kind):
    if kind == "object":
        np.savez(path, X=np.array([{"a": 1}, None], dtype=object), y=np.array([0, 1]))
    elif kind == "npy":
        np.save(path, np.zeros(3))
        path = path.with_suffix(".npz.npy")
    elif kind == "text":
        path.write_text("a,b\n1,2\n")
    elif kind == "lengths":
        np.savez(path, X=np.zeros((3, 2)), y=np.zeros(2))
    elif kind == "nan":
        np.savez(path, X=np.array([[0.0, 1.0], [np.nan, 2.0]]), y=np.zeros(2))
    elif kind == "strings":
        np.savez(path, X=np.array([["a"], ["b"]]), y=np.zeros(2))
    elif kind == "keys":
        np.savez(path, features=np.zeros((2, 2)), labels=np.zeros(2))
    elif kind == "nan target":
        np.savez(path, X=np.zeros((3, 2)), y=np.array([0.0, np.inf, np.nan]))
    elif kind == "target matrix":
        np.savez(path, X=np.zeros((3, 2)), y=np.zeros((3, 2)))
    elif kind == "empty label":
        np.savez(path, X=np.zeros((3, 2)), y=np.array(["a", "b", " "]))
    return path


@pytest.mark.parametrize(
    "kind, words",
    [
        ("keys", "no array named 'X'; the arrays there are 'features', 'labels'"),
        ("object", "array 'X' holds Python objects"),
        ("npy", "single unnamed array"),
        ("text", "not a NumPy .npz archive"),
        ("lengths", "'X' has 3 samples but 'y' has 2"),
        ("nan", "1 NaN or infinite values (the first in sample 1)"),
        ("strings", "must hold numbers"),
        ("missing", "no such file"),
        ("nan target", "array 'y' holds 2 NaN or infinite values (the first in sample 1)"),
        ("target matrix", "array 'y' must hold one target per sample, it has shape (3, 2)"),
        ("empty label", "array 'y' holds 1 empty labels (the first in sample 2)"),
    ],
)
def test_bad_npz_files_name_the_file_and_the_problem(kind, words, tmp_path):
    path = _write_npz(tmp_path / "bad.npz", kind)
    with pytest.raises(DataError, match=re.escape(words)) as info:
        load_npz(path)
    assert str(path) in str(info.value)


# -- StandardScaler ----------------------------------------------------------------------------------


def test_scaler_matches_scikit_learn():
    preprocessing = pytest.importorskip("sklearn.preprocessing", reason="reference scaler")
    X = np.random.default_rng(0).normal(3.0, 2.0, size=(200, 4)).astype(np.float32)
    ours, ref = StandardScaler().fit(X), preprocessing.StandardScaler().fit(X)
    np.testing.assert_allclose(ours.mean_, ref.mean_, rtol=1e-6)
    np.testing.assert_allclose(ours.scale_, ref.scale_, rtol=1e-6)
    np.testing.assert_allclose(ours.transform(X), ref.transform(X), rtol=1e-4, atol=1e-5)


def test_scaler_output_has_zero_mean_unit_variance_and_keeps_float32():
    X = np.random.default_rng(1).uniform(-5, 50, size=(100, 3)).astype(np.float32)
    Z = StandardScaler().fit_transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-4)


def test_scaler_gives_constant_columns_scale_one():
    X = np.array([[0.1, 1.0], [0.1, 2.0], [0.1, 3.0]])
    scaler = StandardScaler().fit(X)
    assert scaler.scale_[0] == 1.0
    np.testing.assert_allclose(scaler.transform(X)[:, 0], 0.0, atol=1e-12)


def test_scaler_inverse_transform_and_integer_input():
    X = np.array([[1, 10], [3, 30], [5, 20]])
    scaler = StandardScaler().fit(X)
    Z = scaler.transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-5)


def test_scaler_dict_round_trips_through_json():
    X = np.random.default_rng(2).normal(size=(20, 3))
    scaler = StandardScaler().fit(X)
    restored = StandardScaler.from_dict(json.loads(json.dumps(scaler.to_dict())))
    np.testing.assert_array_equal(restored.mean_, scaler.mean_)
    np.testing.assert_array_equal(restored.scale_, scaler.scale_)
    assert all(isinstance(v, float) for v in scaler.to_dict()["mean"])


@pytest.mark.parametrize(
    "action, error, words",
    [
        (lambda s: s.transform(np.zeros((2, 3))), ConfigError, "not fitted"),
        (lambda s: s.fit(np.zeros((2, 3))).transform(np.zeros((2, 4))), DataError, "fitted on 3 features, got 4"),
        (lambda s: s.fit(np.array([[1.0], [np.nan]])), DataError, "NaN"),
        (lambda s: s.fit(np.zeros(3)), DataError, "2-D"),
        (lambda s: s.fit(np.zeros((0, 3))), DataError, "no samples"),
        (lambda s: StandardScaler.from_dict({"type": "StandardScaler", "mean": [0.0]}), DataError, "scale"),
        (lambda s: StandardScaler.from_dict({"type": "StandardScaler", "mean": [0.0], "scale": [0.0]}),
         DataError, "positive"),
    ],
)
def test_scaler_misuse_says_what_is_wrong(action, error, words):
    with pytest.raises(error, match=words):
        action(StandardScaler())


# -- LabelEncoder and one_hot ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "labels, classes",
    [(["dog", "cat", "dog", "bird"], ["bird", "cat", "dog"]), ([3, 1, 3, 7], [1, 3, 7])],
)
def test_label_encoder_round_trip(labels, classes):
    encoder = LabelEncoder().fit(labels)
    assert encoder.classes_.tolist() == classes
    codes = encoder.transform(labels)
    assert codes.dtype == np.int64
    assert codes.tolist() == [classes.index(v) for v in labels]
    assert encoder.inverse_transform(codes).tolist() == labels
    restored = LabelEncoder.from_dict(json.loads(json.dumps(encoder.to_dict())))
    assert restored.classes_.tolist() == classes
    np.testing.assert_array_equal(restored.transform(labels), codes)


@pytest.mark.parametrize(
    "fit_on, labels, words",
    [
        (["cat", "dog"], ["cat", "cow"],
         "label 'cow' was not seen in fit (1 of 2 labels are new); the known labels are 'cat', 'dog'"),
        ([0, 1, 2], [1, 5], "label 5 was not seen"),
        (["0", "1"], [0, 1], "label 0 was not seen"),
        ([0, 1], ["0"], "label '0' was not seen"),
        # A column of class numbers read as text because of one cell: that cell is named.
        ([0, 1], ["0", "1", "yes"], "label 'yes' was not seen in fit (1 of 3 labels are new)"),
    ],
)
def test_label_encoder_names_an_unseen_label_and_the_known_ones(fit_on, labels, words):
    encoder = LabelEncoder().fit(fit_on)
    with pytest.raises(DataError, match=re.escape(words)):
        encoder.transform(labels)


@pytest.mark.parametrize(
    "action, error, words",
    [
        (lambda e: e.transform(["a"]), ConfigError, "not fitted"),
        (lambda e: e.fit(["a", "b"]).inverse_transform([0, 2]), DataError, "0 to 1"),
        (lambda e: e.fit([1.0, np.nan]), DataError, "NaN"),
        (lambda e: e.fit([]), DataError, "no labels"),
        (lambda e: LabelEncoder.from_dict({"type": "LabelEncoder", "classes": ["b", "a"]}), DataError, "sorted"),
        (lambda e: LabelEncoder.from_dict({"classes": ["a"]}), DataError, "type"),
    ],
)
def test_label_encoder_misuse_says_what_is_wrong(action, error, words):
    with pytest.raises(error, match=words):
        action(LabelEncoder())


def test_one_hot():
    out = one_hot(np.array([2, 0, 1]), 4)
    assert out.dtype == np.float32 and out.shape == (3, 4)
    np.testing.assert_array_equal(out, np.eye(4, dtype=np.float32)[[2, 0, 1]])
    assert one_hot([1, 1]).shape == (2, 2)


@pytest.mark.parametrize(
    "labels, n_classes, error, words",
    [
        ([0, 3], 3, DataError, "label 3 at position 1 is outside 0 to 2"),
        ([0, -1], 3, DataError, "label -1 at position 1"),
        ([0.0, 1.0], 2, DataError, "integers"),
        ([0, 1], 0, ConfigError, "n_classes"),
    ],
)
def test_one_hot_rejects_bad_labels(labels, n_classes, error, words):
    with pytest.raises(error, match=re.escape(words)):
        one_hot(labels, n_classes)


# -- the bundled digits ------------------------------------------------------------------------------


def test_digits_shape_dtype_range_and_class_counts():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.unique(X * 16), np.arange(17))  # 17 grey levels, exactly
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_as_images_and_as_a_table():
    X, y = load_digits()
    images, y_images = load_digits(as_images=True)
    assert images.shape == (1797, 1, 8, 8)
    np.testing.assert_array_equal(images.reshape(1797, 64), X)
    np.testing.assert_array_equal(y_images, y)
    table = load_digits(return_X_y=False)
    assert isinstance(table, Table) and table.target_name == "digit"
    assert table.feature_names[:2] == ["pixel_0_0", "pixel_0_1"] and len(table.feature_names) == 64


def test_digits_are_fresh_arrays_on_every_call():
    X, _ = load_digits()
    X[:] = 5.0
    assert load_digits()[0].max() == 1.0


def test_digits_match_scikit_learn():
    datasets = pytest.importorskip("sklearn.datasets", reason="the source of the bundled file")
    reference = datasets.load_digits()
    X, y = load_digits()
    np.testing.assert_allclose(X * 16, reference.data, atol=1e-6)
    np.testing.assert_array_equal(y, reference.target)


def test_digits_file_is_a_plain_npz_readable_without_pickle():
    from importlib.resources import files

    raw = files("deltaprop").joinpath("datasets").joinpath("digits.npz")
    with np.load(raw, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["X", "y"]
        assert archive["X"].dtype == np.uint8 and archive["y"].dtype == np.int64


def test_a_target_given_as_digits_is_a_column_name_when_one_has_it(tmp_path):
    """A table of years: '--target 2020' is the column named 2020 (it was read as index 2020)."""
    from deltaprop.data import load_csv

    path = tmp_path / "years.csv"
    path.write_text("station,2020,2021\n1,2,3\n4,5,6\n", encoding="utf-8")
    assert load_csv(path, target="2020").target_name == "2020"
    assert load_csv(path, target="0").target_name == "station"  # no column is named 0: the index
    assert load_csv(path, target="-1").target_name == "2021"
    with pytest.raises(DataError, match="has no column number 7"):
        load_csv(path, target="7")
    for other_digits in ("²", "٣"):  # str.isdigit() says yes; int() refuses the first and reads the second
        with pytest.raises(DataError, match="has no column named"):
            load_csv(path, target=other_digits)


def test_a_tensor_dataset_serves_tensors_as_pytorchs_loader_does():
    # A loop ported from PyTorch calls tensor methods on its batches: xb.to(device), xb.view(...), yb.float().
    X, y = _rows()
    tensors = DataLoader(TensorDataset(dp.tensor(X), dp.tensor(y)), batch_size=4, shuffle=True, seed=3)
    arrays = DataLoader(ArrayDataset(dp.tensor(X), y), batch_size=4, shuffle=True, seed=3)
    served = list(tensors)
    assert len(served) == 3
    for (xb, yb), (xa, ya) in zip(served, arrays):
        assert isinstance(xb, dp.Tensor) and isinstance(yb, dp.Tensor) and not xb.requires_grad
        assert isinstance(xa, np.ndarray)  # an ArrayDataset keeps serving arrays (what fit uses)
        np.testing.assert_array_equal(xb.data, xa)  # the same shuffles
        np.testing.assert_array_equal(yb.data, ya)
        assert xb.to("cpu").view(xb.size(0), -1).shape == (len(xa), X[0].size) and yb.float().dtype == np.float32
    assert isinstance(TensorDataset(X, y)[0][0], dp.Tensor)


def test_samples_of_tensors_are_collated_into_tensors():
    class Pairs:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return dp.tensor([float(i), 2.0 * i]), i

    xb, yb = next(iter(DataLoader(Pairs(), batch_size=3)))
    assert isinstance(xb, dp.Tensor) and xb.data.tolist() == [[0, 0], [1, 2], [2, 4]]
    # the numbers beside a tensor too, as PyTorch's default_collate makes them: a torchvision-style
    # (image, label) dataset's labels.size(0) and labels.to(device) work (they stayed an array)
    assert isinstance(yb, dp.Tensor) and yb.dtype == np.int64 and yb.data.tolist() == [0, 1, 2]
    assert yb.size(0) == 3 and yb.to("cpu") is yb


def test_samples_without_a_tensor_are_collated_into_arrays():
    samples = [({"image": np.full(2, i, np.float32), "name": f"s{i}"}, i) for i in range(3)]
    features, labels = next(iter(DataLoader(samples, batch_size=3)))
    assert isinstance(features["image"], np.ndarray) and isinstance(labels, np.ndarray)
    assert features["name"].tolist() == ["s0", "s1", "s2"]
    tagged = [({"image": dp.tensor(np.full(2, i, np.float32)), "name": f"s{i}"}, float(i)) for i in range(3)]
    features, labels = next(iter(DataLoader(tagged, batch_size=3)))
    assert isinstance(features["image"], dp.Tensor) and isinstance(labels, dp.Tensor) and labels.dtype == np.float64
    assert isinstance(features["name"], np.ndarray)  # text is not numbers: it stays as it was


def test_batch_size_none_serves_the_samples_unbatched_as_pytorch():
    """DataLoader(batch_size=None) was refused; PyTorch's turns batching off: each item as the
    dataset gives it (a dataset of whole batches, say), in the order's sequence, one per step."""
    torch = pytest.importorskip("torch")
    X, y = _rows(10)
    loader = DataLoader(ArrayDataset(X, y), batch_size=None)
    reference = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y)),
                                            batch_size=None)
    assert len(loader) == len(reference) == 10
    served, expected = list(loader), list(reference)
    assert len(served) == len(expected)
    for (xb, yb), (xt, yt) in zip(served, expected):
        np.testing.assert_array_equal(xb, xt.numpy())
        assert xb.shape == tuple(xt.shape) and int(yb) == int(yt)
    shuffled = DataLoader(ArrayDataset(X, y), batch_size=None, shuffle=True, seed=4)
    assert [int(yb) for _, yb in shuffled] == DataLoader(ArrayDataset(X, y), batch_size=4, shuffle=True, seed=4).order(0).tolist()
    doubled = DataLoader(ArrayDataset(X, y), batch_size=None, collate_fn=lambda sample: sample[0] * 2)
    np.testing.assert_array_equal(np.stack(list(doubled)), X * 2)
    with pytest.raises(ConfigError, match=r"DataLoader: batch_size=None serves the samples one by one, unbatched, so "
                                          r"there is no last batch for drop_last=True to drop"):
        DataLoader(ArrayDataset(X, y), batch_size=None, drop_last=True)


def test_fit_trains_on_a_loader_of_a_dataset_whose_items_are_batches(tmp_path):
    """batch_size=None's use: a dataset that serves whole batches, trained on, checkpointed and resumed."""
    from deltaprop import nn
    from deltaprop.data import Dataset
    from deltaprop.training import ModelCheckpoint, fit

    X, y = _rows(40)
    y = y % 3

    class Batches(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return X[i * 10:(i + 1) * 10] / 100, y[i * 10:(i + 1) * 10]

    def run(epochs, **options):
        dp.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 3))
        return fit(model, DataLoader(Batches(), batch_size=None, shuffle=True), loss="cross_entropy", optimizer="sgd",
                   epochs=epochs, verbose=0, **options), model

    straight, model = run(3, seed=0)
    assert straight.params["steps"] == 4
    path = tmp_path / "checkpoint.safetensors"
    run(2, seed=0, callbacks=[ModelCheckpoint(path)])
    resumed, again = run(3, resume_from=path)
    assert resumed.history["loss"] == straight.history["loss"]
    np.testing.assert_array_equal(again[0].weight.data, model[0].weight.data)


def test_tensor_dataset_errors_name_tensor_dataset():
    with pytest.raises(DataError, match=r"^TensorDataset: every array must have the same first dimension"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))
