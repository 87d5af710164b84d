"""torch.utils.data's pieces in deltaprop.data: Dataset, Subset, ConcatDataset, random_split, the
samplers, and the DataLoader's sampler= and collate_fn=. Where nothing is random the indices and
samples equal PyTorch's; where something is, the draws repeat under a seed, change across epochs and
have the right distribution."""

import warnings

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.data import ArrayDataset, ConcatDataset, DataLoader, Dataset, Subset, TensorDataset, random_split
from deltaprop.errors import ConfigError, DataError


class Squares(Dataset):
    """A user's dataset: sample i is (i, i * i)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.float64(i), np.float64(i * i)


def _torch():
    return pytest.importorskip("torch", reason="PyTorch's torch.utils.data is the reference")


def _as_lists(sample):
    return [np.asarray(field).tolist() for field in sample]


# -- Dataset, Subset, ConcatDataset -----------------------------------------------------------------

def test_a_dataset_without_getitem_says_so_and_adding_two_gives_a_concat_dataset():
    with pytest.raises(NotImplementedError, match=r"^Dataset must define __getitem__ to be a Dataset$"):
        Dataset()[0]
    both = Squares(3) + ArrayDataset([10.0, 11.0], [20.0, 21.0])
    assert isinstance(both, ConcatDataset) and len(both) == 5 and both.cumulative_sizes == [3, 5]
    assert [_as_lists(both[i]) for i in range(5)] == [[0, 0], [1, 1], [2, 4], [10, 20], [11, 21]]
    assert isinstance(ArrayDataset([1]) + ArrayDataset([2]), ConcatDataset)


def test_subset_and_concat_dataset_serve_the_samples_pytorchs_serve():
    torch = _torch()
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10) * 3
    ours, theirs = ArrayDataset(x, y), torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    picks = [7, 0, -1, 3, 3]
    sub, tsub = Subset(ours, picks), torch.utils.data.Subset(theirs, picks)
    assert len(sub) == len(tsub) == 5
    for i in range(-5, 5):
        assert _as_lists(sub[i]) == _as_lists(tsub[i])
    assert _as_lists(sub[[0, 2]]) == _as_lists(tsub[[0, 2]])  # a list of positions, one lookup
    cat = ConcatDataset([ours, Subset(ours, [1, 2]), ours])
    tcat = torch.utils.data.ConcatDataset([theirs, torch.utils.data.Subset(theirs, [1, 2]), theirs])
    assert len(cat) == len(tcat) == 22 and cat.cumulative_sizes == tcat.cumulative_sizes
    for i in range(-22, 22):
        assert _as_lists(cat[i]) == _as_lists(tcat[i]), i
    # nested: a subset of a concatenation, as a user builds a validation set from two sources
    assert _as_lists(Subset(cat, [10, 11, -1])[1]) == _as_lists(torch.utils.data.Subset(tcat, [10, 11, -1])[1])


def test_index_errors_name_the_index_and_the_length():
    cat = ConcatDataset([ArrayDataset(np.arange(4)), ArrayDataset(np.arange(3))])
    for index in (7, -8, 100):
        with pytest.raises(IndexError, match=rf"^ConcatDataset: index {index} is out of range for 7 samples$"):
            cat[index]
    sub = Subset(ArrayDataset(np.arange(10)), [1, 2, 3])
    with pytest.raises(IndexError, match=r"^Subset: index 3 is out of range for 3 samples$"):
        sub[3]
    with pytest.raises(IndexError, match=r"^Subset: index -4 is out of range for 3 samples$"):
        sub[[0, -4]]
    with pytest.raises(IndexError, match=r"^Subset: index 10 is out of range for a dataset of 10 samples$"):
        Subset(ArrayDataset(np.arange(10)), [0, 10])
    with pytest.raises(IndexError, match=r"^Subset: index -11 is out of range for a dataset of 10 samples$"):
        Subset(ArrayDataset(np.arange(10)), [-11])
    with pytest.raises(TypeError, match=r"^ConcatDataset: an index must be an integer, got 1.5$"):
        cat[1.5]
    # iterating by index stops at the end, as for any sequence
    assert [int(s[0]) for s in cat] == [0, 1, 2, 3, 0, 1, 2]


def test_bad_subsets_and_concatenations_are_refused_in_one_sentence():
    with pytest.raises(DataError, match=r"^Subset: indices must be a 1-d sequence of integers, got float64 of shape \(2,\)$"):
        Subset(ArrayDataset(np.arange(4)), [0.0, 1.0])
    with pytest.raises(DataError, match=r"^ConcatDataset needs at least one dataset, got none$"):
        ConcatDataset([])
    with pytest.raises(DataError, match=r"^ConcatDataset: dataset 1 \(int\) needs __len__ and __getitem__"):
        ConcatDataset([ArrayDataset([1]), 5])
    assert len(Subset(ArrayDataset(np.arange(4)), [])) == 0


# -- random_split ------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, fractions", [
    (7, [0.3, 0.3, 0.4]), (7, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]), (7, [0.25] * 4), (10, [0.8, 0.2]),
    (101, [0.7, 0.15, 0.15]), (3, [1.0]),
])
def test_random_split_turns_fractions_into_pytorchs_lengths(n, fractions):
    torch = _torch()
    theirs = [len(s) for s in torch.utils.data.random_split(range(n), fractions)]
    ours = random_split(ArrayDataset(np.arange(n)), fractions, seed=0)
    assert [len(s) for s in ours] == theirs


def test_random_split_hands_out_the_remainder_from_the_first_split_on():
    # 7 * 0.25 = 1.75: floors 1, 1, 1, 1 and the 3 left over go to splits 0, 1, 2
    assert [len(s) for s in random_split(ArrayDataset(np.arange(7)), [0.25] * 4, seed=0)] == [2, 2, 2, 1]
    with pytest.warns(UserWarning, match=r"^random_split: split 2 \(0\.1 of 7 samples\) is empty$"):
        lengths = [len(s) for s in random_split(ArrayDataset(np.arange(7)), [0.45, 0.45, 0.1], seed=0)]
    assert lengths == [4, 3, 0]


def test_random_split_is_a_partition_repeated_by_its_seed_and_by_manual_seed():
    data = ArrayDataset(np.arange(50) * 10)
    parts = random_split(data, [20, 25, 5], seed=3)
    assert [len(p) for p in parts] == [20, 25, 5]
    every = np.concatenate([p.indices for p in parts])
    assert sorted(every.tolist()) == list(range(50)) and every.tolist() != list(range(50))
    assert all(p.dataset is data for p in parts)
    assert int(parts[1][0][0]) == 10 * parts[1].indices[0]
    again = random_split(data, [20, 25, 5], seed=3)
    assert all(np.array_equal(a.indices, b.indices) for a, b in zip(parts, again))
    other = random_split(data, [20, 25, 5], seed=4)
    assert not np.array_equal(parts[0].indices, other[0].indices)
    dp.manual_seed(8)
    first = random_split(data, [0.5, 0.5])
    dp.manual_seed(8)
    second = random_split(data, [0.5, 0.5])
    assert np.array_equal(first[0].indices, second[0].indices)


@pytest.mark.parametrize("lengths, error, message", [
    ([3, 3], DataError, r"^random_split: the lengths \[3, 3\] add up to 6, not to the 10 samples of the dataset$"),
    ([0.5, 0.4], DataError, r"^random_split: fractions must add up to 1, these add up to 0\.9$"),
    ([-1, 11], ConfigError, r"^random_split: lengths\[0\] must not be negative, got -1$"),
    ([0.5, 0.6, -0.1], ConfigError, r"^random_split: lengths\[2\] must not be negative, got -0\.1$"),
    ([float("nan"), 1.0], ConfigError, r"^random_split: lengths\[0\] must not be negative, got nan$"),
    (["5", 5], ConfigError, r"^random_split: lengths\[0\] must be a number of samples or a fraction, got '5'$"),
    ([], ConfigError, r"^random_split: lengths must hold at least one length, got none$"),
])
def test_random_split_refuses_lengths_that_do_not_fit(lengths, error, message):
    with pytest.raises(error, match=message):
        random_split(ArrayDataset(np.arange(10)), lengths, seed=0)
    with pytest.raises(ConfigError, match=r"^random_split: seed must be None or a non-negative integer, got -1$"):
        random_split(ArrayDataset(np.arange(10)), [5, 5], seed=-1)


# -- the loader on subsets -----------------------------------------------------------------------------

def test_a_subset_of_an_array_dataset_is_batched_by_fancy_indexing_and_serves_its_rows():
    x, y = np.arange(60.0, dtype=np.float32).reshape(20, 3), np.arange(20)
    base = ArrayDataset(x, y)
    inner = Subset(base, np.arange(19, -1, -1))  # reversed
    outer = Subset(inner, [0, 5, -1, 7, 7])  # rows 19, 14, 0, 12, 12
    batches = list(DataLoader(outer, batch_size=2))
    assert [b[1].tolist() for b in batches] == [[19, 14], [0, 12], [12]]
    np.testing.assert_array_equal(batches[0][0], x[[19, 14]])
    assert all(isinstance(b[0], np.ndarray) and b[0].dtype == np.float32 for b in batches)

    class Counting(ArrayDataset):
        calls = 0

        def __getitem__(self, index):
            Counting.calls += 1
            return super().__getitem__(index)

    counted = Counting(x, y)
    shuffled = DataLoader(Subset(counted, np.arange(0, 20, 2)), batch_size=4, shuffle=True, seed=1)
    served = np.concatenate([b[1] for b in shuffled])
    assert Counting.calls == 0  # no sample was gathered one by one
    assert sorted(served.tolist()) == list(range(0, 20, 2))
    order = DataLoader(Subset(counted, np.arange(0, 20, 2)), batch_size=4, shuffle=True, seed=1).order(0)
    np.testing.assert_array_equal(served, np.arange(0, 20, 2)[order])
    batches[0][0][0, 0] = -1.0  # a batch is a copy
    assert x[19, 0] == 57.0


def test_a_subset_of_a_tensor_dataset_serves_tensors_like_pytorchs_loader():
    torch = _torch()
    x, y = np.arange(24.0).reshape(12, 2), np.arange(12)
    ours = DataLoader(Subset(TensorDataset(dp.tensor(x), dp.tensor(y)), [4, 1, 9, 0, 11]), batch_size=2)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.Subset(torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), [4, 1, 9, 0, 11]),
        batch_size=2)
    for (a, b), (ta, tb) in zip(ours, theirs, strict=True):
        assert isinstance(a, dp.Tensor)
        np.testing.assert_array_equal(a.numpy(), ta.numpy())
        np.testing.assert_array_equal(b.numpy(), tb.numpy())


def test_a_concat_dataset_and_a_subset_of_a_users_dataset_are_collated_as_pytorch_does():
    torch = _torch()
    ours = ConcatDataset([Squares(3), Subset(Squares(6), [5, 4])])
    theirs = torch.utils.data.ConcatDataset([Squares(3), torch.utils.data.Subset(Squares(6), [5, 4])])
    for a, b in zip(DataLoader(ours, batch_size=2), torch.utils.data.DataLoader(theirs, batch_size=2), strict=True):
        assert [f.tolist() for f in a] == [f.tolist() for f in b]
