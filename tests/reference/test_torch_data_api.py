"""deltaprop's data API against torch.utils.data (and torch.Generator), side by side: where nothing is
random the batches, lengths, structures and dtypes are PyTorch's; where something is, both libraries
repeat under a reseeded generator and draw alike from generators seeded alike (their numbers
differ: NumPy's PCG64 against PyTorch's Mersenne Twister); a call PyTorch refuses is refused, and
one PyTorch accepts is accepted, with PyTorch's positional order of arguments."""

import collections
import inspect

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import data  # noqa: E402
from deltaprop import nn  # noqa: E402

tdata = torch.utils.data
X = np.arange(30.0).reshape(10, 3)
Y = np.arange(10)


def _both():
    return data.TensorDataset(X, Y), tdata.TensorDataset(torch.tensor(X), torch.tensor(Y))


def _as_lists(batches):
    return [[np.asarray(field).tolist() for field in batch] for batch in batches]


# -- Generator ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 42, 2**63, 2**64 - 1, -1, -2**63])
def test_a_generators_initial_seed_is_pytorchs(seed):
    ours, theirs = dp.Generator(), torch.Generator()
    assert ours.manual_seed(seed) is ours and theirs.manual_seed(seed) is theirs
    assert ours.initial_seed() == theirs.initial_seed()


def test_a_fresh_generator_has_pytorchs_seed_and_the_same_methods():
    assert dp.Generator().initial_seed() == torch.Generator().initial_seed()
    for name in ("manual_seed", "seed", "initial_seed", "get_state", "set_state", "clone_state", "device"):
        assert hasattr(dp.Generator(), name) and hasattr(torch.Generator(), name), name
    ours, theirs = dp.Generator().get_state(), torch.Generator().get_state()
    assert ours.dtype == np.uint8 and theirs.dtype == torch.uint8 and ours.ndim == theirs.ndim == 1
    assert 0 <= dp.Generator().seed() < 2**64 and 0 <= torch.Generator().seed() < 2**64
    assert isinstance(dp.manual_seed(3), dp.Generator) and isinstance(torch.manual_seed(3), torch.Generator)
    assert dp.initial_seed() == torch.initial_seed() == 3


@pytest.mark.parametrize("seed", [1.5, True, 2**64, -2**63 - 1])
def test_a_seed_pytorchs_generator_refuses_is_refused(seed):
    with pytest.raises((RuntimeError, ValueError)):
        torch.Generator().manual_seed(seed)
    with pytest.raises(ValueError):
        dp.Generator().manual_seed(seed)


@pytest.mark.parametrize("name, call", [
    ("rand", lambda lib, g: lib.rand(3, 2, generator=g)),
    ("randn", lambda lib, g: lib.randn(4, generator=g)),
    ("randint", lambda lib, g: lib.randint(3, 9, (5,), generator=g)),
    ("randperm", lambda lib, g: lib.randperm(6, generator=g)),
    ("rand_like", lambda lib, g: lib.rand_like(lib.zeros(3), generator=g)),
    ("randn_like", lambda lib, g: lib.randn_like(lib.zeros(3), generator=g)),
    ("randint_like", lambda lib, g: lib.randint_like(lib.zeros(3), 5, generator=g)),
    ("normal_", lambda lib, g: lib.zeros(5).normal_(0.0, 2.0, generator=g)),
    ("uniform_", lambda lib, g: lib.zeros(5).uniform_(1.0, 2.0, generator=g)),
    ("bernoulli_", lambda lib, g: lib.zeros(5).bernoulli_(0.5, generator=g)),
    ("exponential_", lambda lib, g: lib.zeros(5).exponential_(generator=g)),
    ("geometric_", lambda lib, g: lib.zeros(5).geometric_(0.5, generator=g)),
    ("cauchy_", lambda lib, g: lib.zeros(5).cauchy_(generator=g)),
    ("log_normal_", lambda lib, g: lib.zeros(5).log_normal_(generator=g)),
    ("random_", lambda lib, g: lib.zeros(5).random_(0, 7, generator=g)),
])
def test_generator_is_taken_where_pytorch_takes_it_and_repeats_when_reseeded(name, call):
    for lib in (dp, torch):
        g = lib.Generator().manual_seed(5)
        first = np.asarray(call(lib, g))
        g.manual_seed(5)
        np.testing.assert_array_equal(np.asarray(call(lib, g)), first, err_msg=f"{lib.__name__}.{name}")
        state = g.get_state()
        after = np.asarray(call(lib, g))
        g.set_state(state)
        np.testing.assert_array_equal(np.asarray(call(lib, g)), after, err_msg=f"{lib.__name__}.{name}")
        assert np.asarray(call(lib, g)).shape == first.shape


INIT = ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
        "kaiming_normal_", "orthogonal_", "sparse_"]


def _positional(function):
    """The names of ``function``'s parameters that can be given by position, in order."""
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in inspect.signature(function).parameters.values() if p.kind in kinds]


@pytest.mark.parametrize("name", INIT)
def test_nn_inits_random_functions_take_generator_in_pytorchs_place(name):
    ours, theirs = getattr(nn.init, name), getattr(torch.nn.init, name)
    assert _positional(ours) == _positional(theirs)
    assert "generator" in inspect.signature(ours).parameters
    g = dp.Generator().manual_seed(1)
    args = (0.5,) if name == "sparse_" else ()
    first = ours(dp.zeros(4, 6), *args, generator=g).data.copy()
    g.manual_seed(1)
    np.testing.assert_array_equal(ours(dp.zeros(4, 6), *args, generator=g).data, first)


@pytest.mark.parametrize("ours, theirs", [
    (data.RandomSampler, tdata.RandomSampler), (data.SubsetRandomSampler, tdata.SubsetRandomSampler),
    (data.WeightedRandomSampler, tdata.WeightedRandomSampler), (data.random_split, tdata.random_split),
    (data.BatchSampler, tdata.BatchSampler), (data.DataLoader, tdata.DataLoader),
])
def test_the_data_api_takes_pytorchs_positional_arguments_in_pytorchs_order(ours, theirs):
    assert _positional(ours) == _positional(theirs)


# -- DataLoader's keywords ------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [
    {"num_workers": -1}, {"timeout": -1}, {"prefetch_factor": 2},
    {"num_workers": 2, "prefetch_factor": -1}, {"persistent_workers": True}, {"multiprocessing_context": "spawn"},
    {"num_workers": 2, "multiprocessing_context": "bogus"}, {"batch_size": None, "drop_last": True},
    {"shuffle": True, "sampler": [0, 1]}, {"batch_sampler": [[0]], "batch_size": 2},
    {"batch_sampler": [[0]], "shuffle": True}, {"batch_sampler": [[0]], "sampler": [0]},
    {"batch_sampler": [[0]], "drop_last": True}, {"batch_sampler": [[0]], "batch_size": None},
])
def test_a_loader_pytorch_refuses_is_refused(options):
    ours, theirs = _both()
    with pytest.raises((ValueError, TypeError)) as pytorchs:
        tdata.DataLoader(theirs, **options)
    with pytest.raises(pytorchs.type):
        data.DataLoader(ours, **options)


@pytest.mark.parametrize("options, error", [({"timeout": 5}, ValueError), ({"num_workers": 1.5}, TypeError)])
def test_a_loader_pytorch_refuses_at_its_first_batch_is_refused_when_made(options, error):
    # (PyTorch refuses prefetch_factor=0 there too, with an AssertionError once its worker processes
    # start, after which its iterator's __del__ fails; deltaprop's refusal is in test_data_torch_api.py)
    ours, theirs = _both()
    with pytest.raises((AssertionError, TypeError)):  # when the iteration begins
        next(iter(tdata.DataLoader(theirs, **options)))
    with pytest.raises(error):
        data.DataLoader(ours, **options)


@pytest.mark.parametrize("options", [
    {"num_workers": 2}, {"num_workers": 2, "prefetch_factor": 4, "persistent_workers": True},
    {"num_workers": 2, "timeout": 3.0, "multiprocessing_context": "fork", "worker_init_fn": print},
    {"worker_init_fn": print}, {"in_order": False}, {"shuffle": None}, {"shuffle": False, "sampler": [3, 1, 2]},
    {"batch_size": 3, "drop_last": True}, {"batch_sampler": [[0, 1], [5, 6, 7]]},
    {"batch_sampler": [[4], [0, 9]], "batch_size": 1, "shuffle": False, "drop_last": False},
])
def test_a_loader_pytorch_accepts_is_accepted_and_serves_pytorchs_batches(options):
    ours, theirs = _both()
    mine, reference = data.DataLoader(ours, **options), tdata.DataLoader(theirs, **options)
    assert len(mine) == len(reference)
    assert _as_lists(mine) == _as_lists(reference)
    for name in ("batch_size", "drop_last", "num_workers", "prefetch_factor", "persistent_workers", "timeout",
                 "in_order"):
        assert getattr(mine, name) == getattr(reference, name), name


def test_pin_memory_is_accepted_where_pytorch_only_warns_that_there_is_no_accelerator():
    ours, theirs = _both()
    with pytest.warns(UserWarning, match="pin_memory"):
        reference = _as_lists(tdata.DataLoader(theirs, batch_size=4, pin_memory=True))
    assert _as_lists(data.DataLoader(ours, batch_size=4, pin_memory=True)) == reference


@pytest.mark.parametrize("shuffle_with", ["loader", "sampler"])
def test_a_loader_with_a_generator_repeats_when_reseeded_in_both(shuffle_with):
    orders = {}
    for lib, module, dataset in ((dp, data, _both()[0]), (torch, tdata, _both()[1])):
        g = lib.Generator().manual_seed(0)
        if shuffle_with == "loader":
            loader = module.DataLoader(dataset, batch_size=4, shuffle=True, generator=g)
        else:
            loader = module.DataLoader(dataset, batch_size=4, sampler=module.RandomSampler(dataset, generator=g))
        first, second = _as_lists(loader), _as_lists(loader)
        g.manual_seed(0)
        assert _as_lists(loader) == first and first != second
        orders[lib.__name__] = [len(batch[1]) for batch in first]
    assert orders["deltaprop"] == orders["torch"]


@pytest.mark.parametrize("lengths", [[3, 7], [0.5, 0.5], [0.33, 0.33, 0.34], [1, 0, 9]])
def test_random_split_with_a_generator_has_pytorchs_lengths_and_repeats(lengths):
    ours = data.random_split(range(10), lengths, dp.Generator().manual_seed(2))
    theirs = tdata.random_split(range(10), lengths, torch.Generator().manual_seed(2))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    again = data.random_split(range(10), lengths, dp.Generator().manual_seed(2))
    assert [s.indices.tolist() for s in ours] == [s.indices.tolist() for s in again]


# -- BatchSampler -------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, size, drop_last", [(7, 3, False), (7, 3, True), (6, 3, True), (2, 5, False), (0, 2, False)])
def test_batch_sampler_gives_pytorchs_lists_and_length(n, size, drop_last):
    ours, theirs = data.BatchSampler(range(n), size, drop_last), tdata.BatchSampler(range(n), size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    dataset, reference = _both()
    mine = data.DataLoader(dataset, batch_sampler=data.BatchSampler(data.SequentialSampler(dataset), size, drop_last))
    assert _as_lists(mine) == _as_lists(tdata.DataLoader(reference, batch_sampler=tdata.BatchSampler(
        tdata.SequentialSampler(reference), size, drop_last)))


@pytest.mark.parametrize("size, drop_last", [(0, False), (True, False), (-1, True), (2, 1), (2, None)])
def test_a_batch_sampler_pytorch_refuses_is_refused(size, drop_last):
    with pytest.raises(ValueError):
        tdata.BatchSampler(range(4), size, drop_last)
    with pytest.raises(ValueError):
        data.BatchSampler(range(4), size, drop_last)


# -- IterableDataset, ChainDataset, StackDataset ------------------------------------------------------------

def _streams(n, sized=False):
    def make(base):
        class Stream(base):
            def __iter__(self):
                return iter([(np.float64(i), np.array([i, 2 * i])) for i in range(n)])

        if sized:
            Stream.__len__ = lambda self: n
        return Stream()

    return make(data.IterableDataset), make(tdata.IterableDataset)


@pytest.mark.parametrize("options", [{"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": 7},
                                     {"batch_size": 2, "shuffle": False}])
@pytest.mark.parametrize("sized", [False, True])
def test_a_loader_over_a_stream_serves_pytorchs_batches_and_length(options, sized):
    ours, theirs = _streams(7, sized)
    mine, reference = data.DataLoader(ours, **options), tdata.DataLoader(theirs, **options)
    assert _as_lists(mine) == _as_lists(reference)
    if sized:
        assert len(mine) == len(reference)
    else:
        for loader in (mine, reference):
            with pytest.raises(TypeError):
                len(loader)


def test_a_loader_over_a_stream_unbatched_serves_its_samples():
    ours, theirs = _streams(3)
    assert [float(x) for x, _ in data.DataLoader(ours, batch_size=None)] == \
           [float(x) for x, _ in tdata.DataLoader(theirs, batch_size=None)]


@pytest.mark.parametrize("options", [{"shuffle": True}, {"sampler": [0, 1]}, {"batch_sampler": [[0]]}])
def test_a_loader_over_a_stream_refuses_what_pytorch_refuses(options):
    ours, theirs = _streams(3)
    with pytest.raises(ValueError):
        tdata.DataLoader(theirs, **options)
    with pytest.raises(ValueError):
        data.DataLoader(ours, **options)


def test_chain_dataset_and_adding_streams_are_pytorchs():
    (a, ta), (b, tb) = _streams(2, sized=True), _streams(3, sized=True)
    for ours, theirs in ((data.ChainDataset([a, b]), tdata.ChainDataset([ta, tb])), (a + b, ta + tb)):
        assert type(ours).__name__ == type(theirs).__name__ == "ChainDataset"
        assert [float(x) for x, _ in ours] == [float(x) for x, _ in theirs] and len(ours) == len(theirs)
    x, tx = _both()
    for chain in (lambda: tdata.ChainDataset([tx]), lambda: tdata.ConcatDataset([ta])):
        with pytest.raises(AssertionError):
            list(chain())
    for chain in (lambda: data.ChainDataset([x]), lambda: data.ConcatDataset([a])):
        with pytest.raises(ValueError):
            list(chain())


def test_stack_dataset_serves_pytorchs_samples_and_batches():
    (x, tx), (y, ty) = _both(), (data.TensorDataset(Y * 10), tdata.TensorDataset(torch.tensor(Y * 10)))
    for ours, theirs in ((data.StackDataset(x, y), tdata.StackDataset(tx, ty)),
                         (data.StackDataset(a=x, b=y), tdata.StackDataset(a=tx, b=ty))):
        assert len(ours) == len(theirs)
        mine, reference = ours[3], theirs[3]
        assert type(mine) is type(reference)
        items = (zip(mine.values(), reference.values()) if isinstance(mine, dict) else zip(mine, reference))
        for field, expected in items:
            assert [np.asarray(f).tolist() for f in field] == [f.tolist() for f in expected]
    short, tshort = data.TensorDataset(np.zeros(3)), tdata.TensorDataset(torch.zeros(3))
    for (args, kwargs), (targs, tkwargs) in [(((), {}), ((), {})), (((x,), {"b": y}), ((tx,), {"b": ty})),
                                             (((x, short), {}), ((tx, tshort), {}))]:
        with pytest.raises(ValueError):
            tdata.StackDataset(*targs, **tkwargs)
        with pytest.raises(ValueError):
            data.StackDataset(*args, **kwargs)


# -- default_collate ----------------------------------------------------------------------------------------

Pair = collections.namedtuple("Pair", "a b")


def _structure(batch):
    """(type, dtype, values) of every leaf of a batch, its containers by type."""
    if isinstance(batch, (dp.Tensor, torch.Tensor)):
        array = batch.numpy()
        return ("tensor", str(array.dtype), array.tolist())
    if isinstance(batch, dict):
        return ("dict", [(key, _structure(value)) for key, value in batch.items()])
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return ("namedtuple", type(batch).__name__, [_structure(value) for value in batch])
    if isinstance(batch, (list, tuple)):
        if all(isinstance(value, (str, bytes)) for value in batch):
            return (type(batch).__name__, list(batch))
        return (type(batch).__name__, [_structure(value) for value in batch])
    return ("other", batch)


@pytest.mark.parametrize("samples", [
    lambda lib: [1, 2, 3],
    lambda lib: [1.5, 2.0],
    lambda lib: [True, False],
    lambda lib: [1, 2.0],
    lambda lib: ["a", "b"],
    lambda lib: [b"a", b"b"],
    lambda lib: [np.zeros(2, np.float32), np.ones(2, np.float32)],
    lambda lib: [np.int32(1), np.int32(2)],
    lambda lib: [np.float16(1.5), np.float16(2)],
    lambda lib: [np.array(1.5), np.array(2.5)],
    lambda lib: [lib.zeros(2, dtype=lib.float64), lib.ones(2, dtype=lib.float64)],
    lambda lib: [lib.tensor([1, 2]), lib.tensor([3, 4])],
    lambda lib: [(1, "a"), (2, "b")],
    lambda lib: [[1, 2.5], [3, 4.5]],
    lambda lib: [{"x": 1, "y": [1.0, np.zeros(2)]}, {"x": 2, "y": [3.0, np.ones(2)]}],
    lambda lib: [Pair(1, 2.0), Pair(3, 4.0)],
    lambda lib: [({"image": np.full((2, 2), i, np.float32)}, i, f"id{i}") for i in range(3)],
], ids=["ints", "floats", "bools", "int-then-float", "strings", "bytes", "arrays", "numpy-ints", "numpy-halves",
        "0-d-arrays", "tensors", "int-tensors", "tuples", "lists", "dicts", "namedtuples", "nested"])
def test_default_collate_makes_pytorchs_batch(samples):
    assert _structure(data.default_collate(samples(dp))) == _structure(tdata.default_collate(samples(torch)))


@pytest.mark.parametrize("samples", [[None, None], [object(), object()], [np.array(["a"]), np.array(["b"])],
                                     [np.array([object()]), np.array([object()])]])
def test_default_collate_refuses_what_pytorch_refuses_with_its_sentence(samples):
    with pytest.raises(TypeError) as theirs:
        tdata.default_collate(samples)
    with pytest.raises(TypeError, match="^default_collate: ") as ours:
        data.default_collate(samples)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("samples", [[[1, 2], [3]], [np.zeros(2), np.zeros(3)]])
def test_default_collate_refuses_samples_of_different_sizes(samples):
    with pytest.raises(RuntimeError):
        tdata.default_collate(samples)
    with pytest.raises(ValueError):
        data.default_collate(samples)


def test_a_loader_with_default_collate_serves_pytorchs_batches():
    samples = [(np.float32(i), {"ids": [i, i + 1]}, f"s{i}") for i in range(5)]
    mine = list(data.DataLoader(samples, batch_size=2, collate_fn=data.default_collate))
    reference = list(tdata.DataLoader(samples, batch_size=2))
    assert [_structure(b) for b in mine] == [_structure(b) for b in reference]


@pytest.mark.parametrize("label", [lambda i: i, lambda i: float(i) / 2, lambda i: bool(i % 2), lambda i: np.int32(i)],
                         ids=["int", "float", "bool", "numpy-int"])
def test_a_loader_over_tensor_and_label_samples_serves_pytorchs_tensors(label):
    """A torchvision-style dataset gives (image tensor, label number): PyTorch's loader batches both
    into tensors, so the CIFAR-10 tutorial's labels.size(0) and data[1].to(device) work; ours served
    the labels as an array."""
    def samples(lib):
        return [(lib.full((2, 2), float(i)), label(i), {"id": label(i)}) for i in range(5)]

    mine = list(data.DataLoader(samples(dp), batch_size=2))
    reference = list(tdata.DataLoader(samples(torch), batch_size=2))
    assert [_structure(list(b)) for b in mine] == [_structure(b) for b in reference]
