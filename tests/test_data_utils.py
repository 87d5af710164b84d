"""torch.utils.data's pieces in deltaprop.data: Dataset, Subset, ConcatDataset, random_split, the
samplers, and the DataLoader's sampler= and collate_fn=. Where nothing is random the indices and
samples equal PyTorch's; where something is, the draws repeat under a seed, change across epochs and
have the right distribution."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import optim
from deltaprop.data import (ArrayDataset, ConcatDataset, DataLoader, Dataset, RandomSampler, Sampler,
                            SequentialSampler, Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
                            random_split)
from deltaprop.errors import ConfigError, DataError
from deltaprop.serialization import load_checkpoint
from deltaprop.training import Callback, ModelCheckpoint, Trainer
from training_problem import small_classifier, three_classes


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


# -- samplers -----------------------------------------------------------------------------------------

DATA = ArrayDataset(np.arange(30.0).reshape(10, 3), np.arange(10))


def test_sequential_sampler_and_a_users_sampler_give_pytorchs_indices_and_batches():
    torch = _torch()
    assert list(SequentialSampler(DATA)) == list(torch.utils.data.SequentialSampler(range(10))) == list(range(10))
    assert len(SequentialSampler(DATA)) == 10

    class EveryThirdBackwards(Sampler):  # a user's sampler: __iter__ and __len__ only
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n - 1, -1, -3))

        def __len__(self):
            return len(range(self.n - 1, -1, -3))

    x, y = DATA.arrays
    theirs_data = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    for sampler in (SequentialSampler(DATA), EveryThirdBackwards(10)):
        ours = DataLoader(DATA, batch_size=3, sampler=sampler)
        theirs = torch.utils.data.DataLoader(theirs_data, batch_size=3, sampler=sampler)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(a[0], b[0].numpy())
            np.testing.assert_array_equal(a[1], b[1].numpy())
    with pytest.raises(NotImplementedError, match=r"^Sampler must define __iter__ to be a Sampler$"):
        iter(Sampler())


def test_collate_fn_gets_the_list_of_samples_as_in_pytorch():
    torch = _torch()

    def pairs(samples):
        return [(float(a), float(b)) for a, b in samples]

    ours = list(DataLoader(Squares(5), batch_size=2, collate_fn=pairs))
    theirs = list(torch.utils.data.DataLoader(Squares(5), batch_size=2, collate_fn=pairs))
    assert ours == theirs == [[(0.0, 0.0), (1.0, 1.0)], [(2.0, 4.0), (3.0, 9.0)], [(4.0, 16.0)]]
    # on an ArrayDataset too: the function sees samples, not the arrays' rows cut at once
    seen = []

    def padded(samples):
        seen.append(len(samples))
        x = np.stack([s[0] for s in samples])
        return np.pad(x, ((0, 0), (0, 1))), np.array([s[1] for s in samples])

    batches = list(DataLoader(DATA, batch_size=4, sampler=SequentialSampler(DATA), collate_fn=padded, drop_last=True))
    assert seen == [4, 4] and batches[1][0].shape == (4, 4) and batches[1][1].tolist() == [4, 5, 6, 7]
    np.testing.assert_array_equal(batches[0][0][:, :3], DATA.arrays[0][:4])


@pytest.mark.parametrize("make", [
    lambda seed: RandomSampler(DATA, seed=seed),
    lambda seed: RandomSampler(DATA, replacement=True, num_samples=25, seed=seed),
    lambda seed: RandomSampler(DATA, num_samples=25, seed=seed),
    lambda seed: SubsetRandomSampler([9, 2, 4, 6], seed=seed),
    lambda seed: WeightedRandomSampler(np.arange(1.0, 11.0), num_samples=12, seed=seed),
    lambda seed: WeightedRandomSampler(np.arange(1.0, 11.0), num_samples=6, replacement=False, seed=seed),
], ids=["random", "random-replacement", "random-more", "subset", "weighted", "weighted-no-replacement"])
def test_random_samplers_repeat_by_seed_and_epoch_and_change_across_epochs(make):
    a, b, other = make(1), make(1), make(2)
    first, second = list(a), list(a)  # two epochs of one sampler
    assert first == list(b) and second == list(b)
    assert first != second and first != list(other)
    assert len(first) == len(a)
    loader = DataLoader(DATA, batch_size=4, sampler=make(None), seed=1)
    assert len(loader) == -(-len(a) // 4)
    served = [np.concatenate([yb for _, yb in loader]).tolist() for _ in range(2)]
    assert served == [first, second]  # the loader's (seed, epoch) draws what the sampler draws itself
    # any epoch can be replayed on its own, as a checkpoint does
    replay = DataLoader(DATA, batch_size=4, sampler=make(None), seed=1)
    replay.set_epoch(1)
    assert np.concatenate([yb for _, yb in replay]).tolist() == second
    dp.manual_seed(3)
    drawn = list(make(None))
    dp.manual_seed(3)
    assert list(make(None)) == drawn


def test_a_random_sampler_shuffles_as_the_loader_does_and_samplers_without_replacement_draw_each_index_once():
    plain = DataLoader(DATA, batch_size=3, shuffle=True, seed=7)
    sampled = DataLoader(DATA, batch_size=3, sampler=RandomSampler(DATA), seed=7)
    for epoch in range(3):
        np.testing.assert_array_equal(plain.order(epoch), sampled.order(epoch))
    sampler = RandomSampler(DATA, num_samples=25, seed=0)
    for _ in range(3):
        drawn = list(sampler)
        # two whole permutations, then five indices of a third, as PyTorch's
        assert sorted(drawn[:10]) == sorted(drawn[10:20]) == list(range(10)) and len(set(drawn[20:])) == 5
    subset = SubsetRandomSampler(np.array([9, 2, 4, 6]), seed=0)
    assert all(sorted(subset) == [2, 4, 6, 9] for _ in range(3))
    weighted = WeightedRandomSampler([1.0, 0.0, 5.0, 2.0, 1e-3], num_samples=4, replacement=False, seed=0)
    for _ in range(20):
        assert sorted(weighted) == [0, 2, 3, 4]  # four positive weights: each once, the zero one never


def test_random_sampler_with_replacement_and_weighted_sampler_draw_the_right_frequencies():
    uniform = np.bincount(list(RandomSampler(range(4), replacement=True, num_samples=40_000, seed=0)), minlength=4)
    np.testing.assert_allclose(uniform / 40_000, 0.25, atol=0.01)
    # class imbalance 90 / 10: weights of one over the class count give each class half the draws
    labels = np.array([0] * 90 + [1] * 10)
    weights = 1.0 / np.bincount(labels)[labels]
    sampler = WeightedRandomSampler(weights, num_samples=len(labels), seed=0)
    counts = np.zeros(2)
    for _ in range(400):  # 400 epochs of 100 draws
        counts += np.bincount(labels[list(sampler)], minlength=2)
    np.testing.assert_allclose(counts / counts.sum(), [0.5, 0.5], atol=0.01)
    skewed = np.bincount(list(WeightedRandomSampler([1, 2, 3, 4], num_samples=50_000, seed=1)), minlength=4)
    np.testing.assert_allclose(skewed / 50_000, [0.1, 0.2, 0.3, 0.4], atol=0.01)
    # the loader's batches follow the sampler: mostly-rare batches from a mostly-common dataset
    loader = DataLoader(ArrayDataset(np.arange(100.0), labels), batch_size=50,
                        sampler=WeightedRandomSampler(weights, num_samples=20_000), seed=4)
    assert abs(np.concatenate([yb for _, yb in loader]).mean() - 0.5) < 0.02


@pytest.mark.parametrize("make, error, message", [
    (lambda: WeightedRandomSampler([1.0, -0.5], 2), DataError,
     r"^WeightedRandomSampler: weights must be finite and non-negative, weights\[1\] is -0\.5$"),
    (lambda: WeightedRandomSampler([1.0, np.inf], 2), DataError,
     r"^WeightedRandomSampler: weights must be finite and non-negative, weights\[1\] is inf$"),
    (lambda: WeightedRandomSampler([0, 0], 2), DataError, r"^WeightedRandomSampler: weights must not all be zero"),
    (lambda: WeightedRandomSampler([[1, 2]], 2), DataError,
     r"^WeightedRandomSampler: weights must be 1-d \(one per sample\), got shape \(1, 2\)$"),
    (lambda: WeightedRandomSampler([1, 0], 2, replacement=False), DataError,
     r"^WeightedRandomSampler: replacement=False draws a sample once at most, so num_samples=2 needs that many "
     r"positive weights, and 1 are$"),
    (lambda: WeightedRandomSampler([1, 2], 0), ConfigError,
     r"^WeightedRandomSampler: num_samples must be a positive integer, got 0$"),
    (lambda: WeightedRandomSampler([1, 2], 2, replacement=1), ConfigError,
     r"^WeightedRandomSampler: replacement must be True or False, got 1$"),
    (lambda: RandomSampler(DATA, num_samples=2.0), ConfigError,
     r"^RandomSampler: num_samples must be a positive integer, got 2\.0$"),
    (lambda: RandomSampler(DATA, replacement="yes"), ConfigError,
     r"^RandomSampler: replacement must be True or False, got 'yes'$"),
    (lambda: RandomSampler([]), DataError, r"^RandomSampler: data_source is empty, there is no sample to draw$"),
    (lambda: RandomSampler(DATA, seed=-2), ConfigError,
     r"^RandomSampler: seed must be None or a non-negative integer, got -2$"),
    (lambda: SubsetRandomSampler([[1, 2]]), DataError,
     r"^SubsetRandomSampler: indices must be a 1-d sequence of integers, got int64 of shape \(1, 2\)$"),
    (lambda: DataLoader(DATA, shuffle=True, sampler=SequentialSampler(DATA)), ConfigError,
     r"^DataLoader: sampler cannot be given with shuffle=True; the sampler decides the order \(a RandomSampler "
     r"shuffles\)$"),
    (lambda: DataLoader(DATA, sampler=5), ConfigError,
     r"^DataLoader: sampler must be an iterable of dataset indices with a length \(a Sampler\), got int$"),
    (lambda: DataLoader(DATA, seed=3, sampler=RandomSampler(DATA, seed=4)), ConfigError,
     r"^DataLoader: seed=3 differs from its sampler's seed=4; give the seed in one place$"),
    (lambda: DataLoader(DATA, collate_fn="stack"), ConfigError,
     r"^DataLoader: collate_fn must be a function from a list of samples to a batch, got 'stack'$"),
])
def test_bad_samplers_and_loaders_are_refused_naming_the_class_and_argument(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_loader_takes_its_samplers_seed_and_its_state_holds_the_seed_it_draws_with():
    loader = DataLoader(DATA, batch_size=4, sampler=RandomSampler(DATA, seed=6))
    assert loader.seed == 6 and loader.random and loader.state_dict() == {"seed": 6, "epoch": 0}
    dp.manual_seed(0)
    seedless = DataLoader(DATA, batch_size=4, sampler=WeightedRandomSampler(np.ones(10), 10))
    assert seedless.seed is None and isinstance(seedless.state_dict()["seed"], int)
    assert not DataLoader(DATA, sampler=SequentialSampler(DATA)).random
    assert DataLoader(DATA, sampler=SequentialSampler(DATA)).state_dict() == {"seed": None, "epoch": 0}


# -- fit on a loader with a sampler ---------------------------------------------------------------------

X, Y = three_classes(n=120)
XT, YT, XV, YV = X[:80], Y[:80], X[80:], Y[80:]
RARE = np.flatnonzero((YT != 2) | (np.arange(80) % 4 == 0))  # class 2 made rare


def _trainer(callbacks=(), seed=5):
    model = small_classifier(dropout=0.3)
    return Trainer(model, loss="cross_entropy", optimizer=optim.Adam(model.parameters(), lr=0.01),
                   metrics=["accuracy"], callbacks=callbacks, verbose=0, seed=seed)


def _balanced_loader(seed=11):
    labels = YT[RARE]
    weights = 1.0 / np.bincount(labels)[labels]
    return DataLoader(Subset(ArrayDataset(XT, YT), RARE), batch_size=16,
                      sampler=WeightedRandomSampler(weights, num_samples=96), seed=seed)


def test_fit_on_a_weighted_sampler_resumes_mid_epoch_to_the_uninterrupted_run(tmp_path):
    straight_trainer = _trainer()
    straight = straight_trainer.fit(_balanced_loader(), epochs=3, validation_data=(XV, YV))
    assert len(straight["loss"]) == 3 and np.all(np.isfinite(straight["loss"]))

    class InterruptAt(Callback):
        count = 0

        def on_train_batch_end(self, batch, logs=None):
            self.count += 1
            if self.count == 8:  # epoch 2 (6 batches an epoch), its second batch
                self.trainer._interrupt_requested = True

    path = tmp_path / "interrupted.ckpt"
    _trainer([InterruptAt()]).fit(_balanced_loader(), epochs=3, validation_data=(XV, YV), interrupt_checkpoint=path)
    state = load_checkpoint(path)["state"]
    assert (state["epoch"], state["batches_done"]) == (2, 2)
    assert state["data"]["seed"] == 11 and state["data"]["sampler"] == "WeightedRandomSampler of 96"
    dp.manual_seed(99)
    for loader in (_balanced_loader(), _balanced_loader(seed=None)):  # a seedless loader takes the checkpoint's
        trainer = _trainer()
        resumed = trainer.fit(loader, epochs=3, validation_data=(XV, YV), resume_from=path)
        for pa, pb in zip(trainer.model.parameters(), straight_trainer.model.parameters()):
            np.testing.assert_array_equal(pa.data, pb.data)
        for key in ("loss", "val_loss", "accuracy"):
            np.testing.assert_array_equal(resumed[key], straight[key], err_msg=key)
    # the run repeats from fit's seed alone when the loader has none
    a, b = _trainer(), _trainer()
    a.fit(_balanced_loader(seed=None), epochs=2)
    b.fit(_balanced_loader(seed=None), epochs=2)
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)


def test_a_resume_with_another_sampler_or_none_is_refused(tmp_path):
    path = str(tmp_path / "ck.ckpt")
    _trainer(callbacks=[ModelCheckpoint(path)]).fit(_balanced_loader(), epochs=1)
    others = [
        (DataLoader(Subset(ArrayDataset(XT, YT), RARE), batch_size=16, seed=11),
         "sampler", "'WeightedRandomSampler of 96'", "None"),
        (DataLoader(Subset(ArrayDataset(XT, YT), RARE), batch_size=16, seed=11,
                    sampler=WeightedRandomSampler(np.ones(len(RARE)), num_samples=64)),
         "sampler", "'WeightedRandomSampler of 96'", "'WeightedRandomSampler of 64'"),
    ]
    for other, key, saved, mine in others:
        with pytest.raises(ConfigError, match=rf"^fit: the checkpoint {path} was trained on a DataLoader with "
                                              rf"{key}={saved}, this run's has {key}={mine}; resume with the same loader$"):
            _trainer().fit(other, epochs=2, resume_from=path)
