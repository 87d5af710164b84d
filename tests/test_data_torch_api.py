"""PyTorch's data API in deltaprop.data, as deltaprop runs it: generator= for the loader, the
samplers and random_split; the DataLoader's worker keywords and batch_sampler=; BatchSampler,
IterableDataset, ChainDataset, StackDataset and default_collate; and fit on such loaders, resumed
from checkpoints. (Side by side with torch.utils.data: tests/reference/test_torch_data_api.py.)"""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import optim
from deltaprop.data import (ArrayDataset, BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,
                            IterableDataset, RandomSampler, SequentialSampler, StackDataset, Subset,
                            SubsetRandomSampler, TensorDataset, WeightedRandomSampler, default_collate, random_split)
from deltaprop.errors import ConfigError, DataError
from deltaprop.serialization import load_checkpoint
from deltaprop.training import Callback, ModelCheckpoint, Trainer
from training_problem import small_classifier, three_classes

DATA = ArrayDataset(np.arange(30.0).reshape(10, 3), np.arange(10))


def _labels(loader):
    return [yb.tolist() for _, yb in loader]


def _seeded(seed):
    return dp.Generator().manual_seed(seed)


# -- generator= -----------------------------------------------------------------------------------------

def test_a_loaders_generator_draws_a_new_order_each_pass_and_reseeding_repeats_them():
    g = _seeded(0)
    loader = DataLoader(DATA, batch_size=4, shuffle=True, generator=g)
    assert loader.generator is g and loader.random and loader.draws_from_generator
    first, second = _labels(loader), _labels(loader)
    assert first != second and sorted(sum(first, [])) == list(range(10))
    g.manual_seed(0)
    assert _labels(loader) == first and _labels(loader) == second
    other = DataLoader(DATA, batch_size=4, shuffle=True, generator=_seeded(0))  # seeded alike: alike
    assert _labels(other) == first and _labels(other) == second
    assert _labels(DataLoader(DATA, batch_size=4, shuffle=True, generator=_seeded(1))) != first


def test_a_loaders_order_previews_the_next_pass_without_drawing_and_set_epoch_replays_the_last():
    g = _seeded(3)
    loader = DataLoader(DATA, batch_size=5, shuffle=True, generator=g)
    preview = loader.order().tolist()
    state = g.get_state()
    assert loader.order().tolist() == preview and np.array_equal(g.get_state().data, state.data)
    assert sum(_labels(loader), []) == preview
    last = loader.order(0).tolist()  # the pass of epoch 0, remembered
    assert last == preview
    loader.set_epoch(0)
    assert sum(_labels(loader), []) == preview  # replayed, nothing drawn
    assert sum(_labels(loader), []) != preview  # epoch 1: drawn afresh


def test_a_generator_loaders_state_resumes_its_passes():
    g = _seeded(5)
    loader = DataLoader(DATA, batch_size=3, shuffle=True, generator=g)
    _labels(loader)
    state = loader.state_dict()
    assert set(state) == {"seed", "epoch", "pass", "generator"} and state["seed"] is None and state["epoch"] == 1
    expected = [_labels(loader) for _ in range(2)]
    again = DataLoader(DATA, batch_size=3, shuffle=True, generator=dp.Generator())
    again.load_state_dict(state)
    assert [_labels(again) for _ in range(2)] == expected
    again.load_state_dict(state)
    again.set_epoch(0)  # the pass the state remembers
    assert _labels(again) == _labels(DataLoader(DATA, batch_size=3, shuffle=True, generator=_seeded(5)))
    with pytest.raises(ConfigError, match=r"^DataLoader.load_state_dict: expected a dict with the keys \['epoch', "
                                          r"'generator', 'pass', 'seed'\] \(the state of a loader with a generator\)"):
        again.load_state_dict({"seed": 3, "epoch": 0})
    with pytest.raises(ConfigError, match=r"^DataLoader.load_state_dict: 'pass' must be None or \[epoch, seed\]"):
        again.load_state_dict({**state, "pass": [1]})


def test_a_sampler_with_a_generator_decides_a_loaders_order_as_in_pytorch():
    sampler_generator = _seeded(1)
    loader = DataLoader(DATA, batch_size=4, sampler=RandomSampler(DATA, generator=sampler_generator),
                        generator=_seeded(2))
    first = _labels(loader)
    sampler_generator.manual_seed(1)
    assert _labels(DataLoader(DATA, batch_size=4, sampler=RandomSampler(DATA, generator=sampler_generator))) == first
    # a sampler without randomness of its own draws from the loader's generator
    plain = DataLoader(DATA, batch_size=4, sampler=RandomSampler(DATA), generator=_seeded(4))
    assert _labels(plain) == _labels(DataLoader(DATA, batch_size=4, sampler=RandomSampler(DATA), generator=_seeded(4)))


@pytest.mark.parametrize("make", [
    lambda g: RandomSampler(DATA, generator=g),
    lambda g: RandomSampler(DATA, True, 25, g),  # PyTorch's positional order
    lambda g: SubsetRandomSampler([9, 2, 4, 6], g),
    lambda g: WeightedRandomSampler(np.arange(1.0, 11.0), 12, True, g),
    lambda g: WeightedRandomSampler(np.arange(1.0, 11.0), 6, replacement=False, generator=g),
], ids=["random", "random-replacement", "subset", "weighted", "weighted-no-replacement"])
def test_a_sampler_with_a_generator_draws_alike_when_seeded_alike_and_repeats_when_reseeded(make):
    g = _seeded(7)
    sampler = make(g)
    first, second = list(sampler), list(sampler)
    assert first != second and len(first) == len(sampler)
    g.manual_seed(7)
    assert list(sampler) == first
    assert list(make(_seeded(7))) == first and list(make(_seeded(8))) != first


def test_random_split_with_a_generator_repeats_and_leaves_the_librarys_generator_alone():
    dp.manual_seed(0)
    before = dp.random.state_dict()
    a = random_split(DATA, [0.7, 0.3], _seeded(9))
    b = random_split(DATA, [7, 3], generator=_seeded(9))
    assert dp.random.state_dict() == before
    assert [s.indices.tolist() for s in a] == [s.indices.tolist() for s in b]
    assert sorted(a[0].indices.tolist() + a[1].indices.tolist()) == list(range(10))
    assert a[0].indices.tolist() != random_split(DATA, [7, 3], generator=_seeded(10))[0].indices.tolist()
    assert random_split(DATA, [7, 3], generator=dp.default_generator)  # PyTorch's default argument


@pytest.mark.parametrize("make, error, message", [
    (lambda: DataLoader(DATA, shuffle=True, seed=1, generator=_seeded(1)), ConfigError,
     r"^DataLoader: give seed \(deltaprop's form\) or generator \(PyTorch's\), not both$"),
    (lambda: RandomSampler(DATA, generator=_seeded(1), seed=2), ConfigError,
     r"^RandomSampler: give seed \(deltaprop's form\) or generator \(PyTorch's\), not both$"),
    (lambda: random_split(DATA, [5, 5], _seeded(1), seed=2), ConfigError,
     r"^random_split: give seed \(deltaprop's form\) or generator \(PyTorch's\), not both$"),
    (lambda: DataLoader(DATA, generator=np.random.default_rng(0)), TypeError,
     r"^DataLoader: generator must be a deltaprop.Generator \(or None for the library's own\), got "
     r"numpy.random._generator.Generator$"),
    (lambda: SubsetRandomSampler([1, 2], 5), TypeError, r"^SubsetRandomSampler: generator must be a deltaprop.Generator"),
    (lambda: DataLoader(DATA, seed=3, sampler=RandomSampler(DATA, generator=_seeded(1))), ConfigError,
     r"^DataLoader: seed=3 is given, and its sampler draws from a generator; give the randomness in one place$"),
    (lambda: DataLoader(DATA, generator=_seeded(1), sampler=RandomSampler(DATA, seed=4)), ConfigError,
     r"^DataLoader: a generator differs from its sampler's seed=4; give the seed in one place$"),
])
def test_seed_and_generator_together_or_a_foreign_generator_are_refused_in_one_sentence(make, error, message):
    with pytest.raises(error, match=message):
        make()


# -- the worker keywords --------------------------------------------------------------------------------

def test_the_worker_keywords_are_kept_and_change_no_batch():
    plain = DataLoader(DATA, batch_size=4, shuffle=True, seed=2)

    def init(worker_id):
        raise AssertionError("no worker process is started, so worker_init_fn is never called")

    busy = DataLoader(DATA, 4, True, num_workers=4, pin_memory=True, timeout=5.0, worker_init_fn=init,
                      multiprocessing_context="spawn", prefetch_factor=3, persistent_workers=True,
                      pin_memory_device="cuda", in_order=False, seed=2)
    assert (busy.num_workers, busy.pin_memory, busy.timeout, busy.worker_init_fn, busy.multiprocessing_context,
            busy.prefetch_factor, busy.persistent_workers, busy.pin_memory_device, busy.in_order) == \
           (4, True, 5.0, init, "spawn", 3, True, "cuda", False)
    assert _labels(busy) == _labels(plain)
    assert DataLoader(DATA, num_workers=2).prefetch_factor == 2 and DataLoader(DATA).prefetch_factor is None
    assert DataLoader(DATA, shuffle=None).shuffle is False  # PyTorch's default


@pytest.mark.parametrize("options, error, message", [
    ({"num_workers": -1}, ConfigError, r"^DataLoader: num_workers must be 0 or more"),
    ({"num_workers": 1.5}, TypeError, r"^DataLoader: num_workers must be an integer, got 1\.5$"),
    ({"timeout": -1}, ConfigError, r"^DataLoader: timeout must be a non-negative number of seconds, got -1$"),
    ({"timeout": 2}, ConfigError, r"^DataLoader: timeout applies to worker processes, so it needs num_workers > 0 "
                                  r"\(PyTorch refuses it with num_workers=0 too\)$"),
    ({"prefetch_factor": 2}, ConfigError, r"^DataLoader: prefetch_factor applies to worker processes"),
    ({"num_workers": 2, "prefetch_factor": 0}, ConfigError,
     r"^DataLoader: prefetch_factor must be None or a positive integer, got 0$"),
    ({"persistent_workers": True}, ConfigError, r"^DataLoader: persistent_workers applies to worker processes"),
    ({"multiprocessing_context": "spawn"}, ConfigError, r"^DataLoader: multiprocessing_context applies to worker"),
    ({"num_workers": 2, "multiprocessing_context": "bogus"}, ConfigError,
     r"^DataLoader: multiprocessing_context must be one of the start methods fork, spawn, forkserver"),
    ({"num_workers": 2, "multiprocessing_context": 3}, TypeError, r"^DataLoader: multiprocessing_context must be a "),
    ({"pin_memory": "yes"}, ConfigError, r"^DataLoader: pin_memory must be True or False, got 'yes'$"),
    ({"worker_init_fn": 3}, ConfigError, r"^DataLoader: worker_init_fn must be a function of the worker's id"),
    ({"in_order": None}, ConfigError, r"^DataLoader: in_order must be True or False, got None$"),
    ({"pin_memory_device": 0}, ConfigError, r"^DataLoader: pin_memory_device must be a device name"),
])
def test_bad_worker_keywords_are_refused_in_one_sentence(options, error, message):
    with pytest.raises(error, match=message):
        DataLoader(DATA, **options)


# -- BatchSampler and batch_sampler= --------------------------------------------------------------------

def test_batch_sampler_cuts_its_samplers_indices_into_lists():
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert (len(BatchSampler(range(7), 3, False)), len(BatchSampler(range(7), 3, True))) == (3, 2)
    for size, drop, message in [(0, False, r"batch_size must be a positive integer, got 0"),
                                (True, False, r"batch_size must be a positive integer, got True"),
                                (2, 1, r"drop_last must be True or False, got 1")]:
        with pytest.raises(ConfigError, match=rf"^BatchSampler: {message}$"):
            BatchSampler(range(7), size, drop)


@pytest.mark.parametrize("sampler", [
    lambda: SequentialSampler(DATA), lambda: RandomSampler(DATA, seed=3), lambda: range(9, -1, -1),
    lambda: WeightedRandomSampler(np.ones(10), 13, seed=1),
], ids=["sequential", "random", "range", "weighted"])
@pytest.mark.parametrize("drop_last", [False, True])
def test_a_batch_sampler_of_a_sampler_serves_what_that_sampler_does(sampler, drop_last):
    by_batches = DataLoader(DATA, batch_sampler=BatchSampler(sampler(), 4, drop_last))
    by_sampler = DataLoader(DATA, batch_size=4, sampler=sampler(), drop_last=drop_last)
    assert (by_batches.batch_size, by_batches.drop_last) == (None, False)  # PyTorch's attributes
    assert len(by_batches) == len(by_sampler)
    for _ in range(2):  # two epochs: a random sampler draws a new order for each
        assert _labels(by_batches) == _labels(by_sampler)


def test_a_batch_sampler_of_the_users_own_is_iterated_as_it_is():
    class Pairs(BatchSampler):  # PyTorch's way: a subclass with its own __iter__
        def __init__(self):
            super().__init__(range(10), 2, False)
            self.epochs = []

        def set_epoch(self, epoch):
            self.epochs.append(epoch)

        def __iter__(self):
            return iter([[9, 0], [1], [5, 6, 7]])

    mine = Pairs()
    loader = DataLoader(DATA, batch_sampler=mine)
    assert _labels(loader) == [[9, 0], [1], [5, 6, 7]] and len(loader) == 5  # BatchSampler's len, as in PyTorch
    _labels(loader)
    assert mine.epochs == [0, 1]
    lists = DataLoader(Subset(TensorDataset(DATA.arrays[0], DATA.arrays[1]), [3, 4, 5]), batch_sampler=[[2], [0, 1]])
    batches = list(lists)
    assert len(lists) == 2 and isinstance(batches[0][0], dp.Tensor) and [b[1].tolist() for b in batches] == [[5], [3, 4]]
    squares = DataLoader([(float(i), i * i) for i in range(5)], batch_sampler=[[4, 1]])
    assert [f.tolist() for f in next(iter(squares))] == [[4.0, 1.0], [16, 1]]
    with pytest.raises(DataError, match=r"^DataLoader: the batch_sampler must give integer indices, a list of them "
                                        r"per batch; it gave float64 values of shape \(2,\)$"):
        list(DataLoader(DATA, batch_sampler=[[0.5, 1.5]]))


@pytest.mark.parametrize("options", [{"batch_size": 2}, {"batch_size": None}, {"shuffle": True},
                                     {"sampler": SequentialSampler(DATA)}, {"drop_last": True}])
def test_batch_sampler_excludes_batch_size_shuffle_sampler_and_drop_last(options):
    with pytest.raises(ConfigError, match=r"^DataLoader: batch_sampler gives whole batches, so batch_size, shuffle, "
                                          r"sampler and drop_last cannot be given with it \(PyTorch refuses them "
                                          r"together too\)$"):
        DataLoader(DATA, batch_sampler=BatchSampler(range(10), 2, False), **options)


# -- IterableDataset, ChainDataset ----------------------------------------------------------------------

class Stream(IterableDataset):
    """A stream of n samples (x, y), x a row of two floats."""

    def __init__(self, n, start=0):
        self.n, self.start = n, start

    def __iter__(self):
        for i in range(self.start, self.start + self.n):
            yield np.array([i, -i], dtype=np.float32), i


class SizedStream(Stream):
    def __len__(self):
        return self.n


def test_a_loader_over_a_stream_batches_it_in_the_order_it_comes():
    batches = list(DataLoader(Stream(7), batch_size=3))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6]]
    assert batches[0][0].shape == (3, 2) and batches[0][0].dtype == np.float32
    assert [b[1].tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    unbatched = list(DataLoader(Stream(2), batch_size=None))
    assert [y for _, y in unbatched] == [0, 1]
    assert list(DataLoader(Stream(4), batch_size=2, collate_fn=lambda samples: [y for _, y in samples])) == [[0, 1], [2, 3]]
    assert (len(DataLoader(SizedStream(7), batch_size=3)), len(DataLoader(SizedStream(7), batch_size=3,
                                                                          drop_last=True))) == (3, 2)
    with pytest.raises(TypeError):  # as PyTorch: a stream without a length gives a loader without one
        len(DataLoader(Stream(7), batch_size=3))
    loader = DataLoader(Stream(3), batch_size=2)
    assert _labels(loader) == _labels(loader) == [[0, 1], [2]]  # each pass reads the stream afresh


@pytest.mark.parametrize("options", [{"shuffle": True}, {"sampler": SequentialSampler(range(3))},
                                     {"batch_sampler": [[0]]}])
def test_a_stream_refuses_an_order_of_its_samples(options):
    name = next(iter(options))
    with pytest.raises(ConfigError, match=rf"^DataLoader: an IterableDataset gives its samples in its own order, so "
                                          rf"{name} cannot be given with it \(PyTorch refuses it too\)$"):
        DataLoader(Stream(3), **options)


def test_chain_dataset_reads_streams_one_after_the_other():
    both = ChainDataset([Stream(2), Stream(3, start=10)])
    assert [y for _, y in both] == [0, 1, 10, 11, 12] and [y for _, y in both] == [0, 1, 10, 11, 12]
    assert isinstance(Stream(1) + Stream(1), ChainDataset)
    assert len(ChainDataset([SizedStream(2), SizedStream(3)])) == 5
    with pytest.raises(TypeError):
        len(ChainDataset([Stream(2)]))
    assert [b[1].tolist() for b in DataLoader(both, batch_size=4)] == [[0, 1, 10, 11], [12]]
    with pytest.raises(DataError, match=r"^ChainDataset: dataset 1 \(ArrayDataset\) is not an IterableDataset"):
        ChainDataset([Stream(2), DATA])
    with pytest.raises(DataError, match=r"^ConcatDataset: dataset 0 is an IterableDataset, which has no indices; "
                                        r"chain streams with ChainDataset$"):
        ConcatDataset([Stream(2)])
    with pytest.raises(NotImplementedError, match=r"^IterableDataset must define __iter__ to be an IterableDataset$"):
        iter(IterableDataset())


# -- StackDataset, default_collate ----------------------------------------------------------------------

def test_stack_dataset_puts_samples_side_by_side_in_a_tuple_or_a_dict():
    images, labels = ArrayDataset(np.arange(6.0).reshape(3, 2)), ArrayDataset(np.array([7, 8, 9]))
    pair = StackDataset(images, labels)
    assert len(pair) == 3 and [f[0].tolist() for f in pair[1]] == [[2.0, 3.0], 8]
    named = StackDataset(image=images, label=labels)
    assert list(named[2]) == ["image", "label"] and named[2]["label"][0] == 9
    batch = next(iter(DataLoader(named, batch_size=2)))
    assert isinstance(batch, dict) and batch["image"][0].shape == (2, 2) and batch["label"][0].tolist() == [7, 8]
    for args, kwargs, message in [((images, labels), {"x": images}, "give the datasets as arguments"),
                                  ((), {}, "needs at least one dataset"),
                                  ((images, ArrayDataset(np.zeros(4))), {}, r"the datasets must have one length, got lengths \[3, 4\]")]:
        with pytest.raises(DataError, match=rf"^StackDataset:? {message}"):
            StackDataset(*args, **kwargs)


def test_default_collate_gives_tensors_where_the_loaders_own_collation_gives_arrays():
    samples = [(np.float32(i), np.full(2, i, np.int32), "id%d" % i) for i in range(3)]
    ours = next(iter(DataLoader(samples, batch_size=3)))
    assert isinstance(ours, tuple) and isinstance(ours[0], np.ndarray)
    pytorchs = next(iter(DataLoader(samples, batch_size=3, collate_fn=default_collate)))
    assert isinstance(pytorchs, list) and isinstance(pytorchs[0], dp.Tensor) and pytorchs[0].dtype == np.float32
    assert pytorchs[1].dtype == np.int32 and pytorchs[1].shape == (3, 2) and pytorchs[2] == ("id0", "id1", "id2")


@pytest.mark.parametrize("batch, error, message", [
    ([], DataError, r"^default_collate: batch must be a non-empty list of samples, got an empty list$"),
    (3, DataError, r"^default_collate: batch must be a non-empty list of samples, got int$"),
    ([[1, 2], [3]], DataError, r"^default_collate: the samples of a batch have different numbers of fields \(\[1, 2\]\)$"),
    ([np.zeros(2), np.zeros(3)], Exception, r"^default_collate: every ndarray of a batch must have the same shape, got "
                                            r"\(2,\) at entry 0 and \(3,\) at entry 1$"),
    ([None, None], TypeError, r"^default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                              r"found <class 'NoneType'>$"),
    ([np.array(["a"]), np.array(["b"])], TypeError, r"found <U1$"),
])
def test_default_collate_refuses_what_it_cannot_batch_in_one_sentence(batch, error, message):
    with pytest.raises(error, match=message):
        default_collate(batch)


# -- fit on these loaders -------------------------------------------------------------------------------

X, Y = three_classes(n=120)
XT, YT, XV, YV = X[:80], Y[:80], X[80:], Y[80:]


def _trainer(callbacks=()):
    model = small_classifier(dropout=0.3)
    return Trainer(model, loss="cross_entropy", optimizer=optim.Adam(model.parameters(), lr=0.01),
                   metrics=["accuracy"], callbacks=callbacks, verbose=0, seed=5)


class _InterruptAt(Callback):
    def __init__(self, batches):
        self.batches, self.count = batches, 0

    def on_train_batch_end(self, batch, logs=None):
        self.count += 1
        if self.count == self.batches:
            self.trainer._interrupt_requested = True


def _same_run(a, b, history_a, history_b, keys=("loss", "accuracy", "val_loss")):
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
    for key in keys:
        np.testing.assert_array_equal(history_a[key], history_b[key], err_msg=key)


@pytest.mark.parametrize("shared", [False, True], ids=["own-generator", "shared-with-validation"])
def test_fit_on_a_loader_with_a_generator_resumes_mid_epoch_to_the_uninterrupted_run(tmp_path, shared):
    def loaders(seed=21):
        g = _seeded(seed)
        train = DataLoader(ArrayDataset(XT, YT), 16, True, generator=g, num_workers=2, pin_memory=True)
        validation = DataLoader(ArrayDataset(XV, YV), 8, True, generator=g if shared else _seeded(seed + 1))
        return train, validation

    straight_trainer = _trainer()
    train, validation = loaders()
    straight = straight_trainer.fit(train, epochs=3, validation_data=validation, validation_steps=2)
    assert np.all(np.isfinite(straight["loss"])) and len(straight["loss"]) == 3
    path = tmp_path / "interrupted.ckpt"
    train, validation = loaders()
    _trainer([_InterruptAt(7)]).fit(train, epochs=3, validation_data=validation, validation_steps=2,
                                    interrupt_checkpoint=path)  # epoch 2 (5 batches an epoch), its second batch
    state = load_checkpoint(path)["state"]
    assert (state["epoch"], state["batches_done"]) == (2, 2) and state["data"]["generator"]["pass"][0] == 2
    dp.manual_seed(99)
    resumed_trainer = _trainer()
    train, validation = loaders(seed=50)  # the checkpoint's generator state replaces the new seed's
    resumed = resumed_trainer.fit(train, epochs=3, validation_data=validation, validation_steps=2, resume_from=path)
    _same_run(resumed_trainer, straight_trainer, resumed, straight)
    # and the run repeats from the generator's seed
    again_trainer = _trainer()
    train, validation = loaders()
    _same_run(again_trainer, straight_trainer, again_trainer.fit(train, epochs=3, validation_data=validation,
                                                                 validation_steps=2), straight)


def test_fit_on_a_batch_sampler_resumes_and_a_changed_loader_is_refused(tmp_path):
    def loader():
        return DataLoader(ArrayDataset(XT, YT), batch_sampler=BatchSampler(RandomSampler(XT, seed=4), 16, False))

    straight_trainer = _trainer()
    straight = straight_trainer.fit(loader(), epochs=2)
    path = tmp_path / "ck.ckpt"
    _trainer([_InterruptAt(7)]).fit(loader(), epochs=2, interrupt_checkpoint=path)
    resumed_trainer = _trainer()
    resumed = resumed_trainer.fit(loader(), epochs=2, resume_from=path)
    _same_run(resumed_trainer, straight_trainer, resumed, straight, keys=("loss", "accuracy"))
    with pytest.raises(ConfigError, match=r"was trained on a DataLoader that drew no order from a generator, this "
                                          r"run's does; resume with the same loader$"):
        _trainer().fit(DataLoader(ArrayDataset(XT, YT), 16, True, generator=_seeded(1)), epochs=2, resume_from=path)


def test_fit_trains_on_a_stream_but_refuses_to_resume_one(tmp_path):
    class Rows(IterableDataset):
        def __iter__(self):
            return zip(XT, YT)

    path = tmp_path / "ck.ckpt"
    trainer = _trainer([ModelCheckpoint(path)])
    history = trainer.fit(DataLoader(Rows(), batch_size=16), epochs=3)
    assert history["loss"][-1] < history["loss"][0] and history.params["steps"] is None
    with pytest.raises(ConfigError, match=r"^fit: resume_from needs training data that can be replayed, and a "
                                          r"DataLoader over an IterableDataset \(Rows\) reads a stream that no seed "
                                          r"fixes$"):
        _trainer().fit(DataLoader(Rows(), batch_size=16), epochs=4, resume_from=path)
