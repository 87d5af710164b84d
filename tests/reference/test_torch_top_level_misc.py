"""PyTorch's remaining top-level functions against PyTorch 2.13: ``frombuffer``, ``range``,
``can_cast``, ``typename``, ``is_storage``, the deterministic debug mode, ``set_warn_always``,
``set_flush_denormal``, ``set_default_tensor_type``, ``deltaprop.cpu`` and ``get_device_module``;
and ``deltaprop.data``'s ``DistributedSampler`` (its index lists against PyTorch's),
``default_convert`` and ``get_worker_info``.
"""

import array
import collections
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these functions are compared with")
from torch.utils import data as torch_data  # noqa: E402

import deltaprop as dp  # noqa: E402
from deltaprop import data  # noqa: E402
from deltaprop.errors import ConfigError  # noqa: E402


def test_frombuffer_shares_the_buffer_as_pytorch():
    values = array.array("i", [1, 2, 3, 4])
    ours, theirs = dp.frombuffer(values, dtype=dp.int32), torch.frombuffer(values, dtype=torch.int32)
    values[0] = 9
    assert ours.tolist() == theirs.tolist() == [9, 2, 3, 4]
    part = dp.frombuffer(values, dtype=dp.int32, count=2, offset=4)
    assert part.tolist() == torch.frombuffer(values, dtype=torch.int32, count=2, offset=4).tolist()
    assert dp.frombuffer(bytearray(8), dtype=dp.float32, requires_grad=True).requires_grad
    constant = dp.frombuffer(b"abcd", dtype=dp.uint8)
    assert constant.tolist() == [97, 98, 99, 100]
    with pytest.raises(TypeError):
        constant.add_(1)  # (bytes are read-only: the tensor refuses where PyTorch only warns)


@pytest.mark.parametrize("kwargs", [
    dict(dtype=np.float32, count=3), dict(dtype=np.float32, offset=8), dict(dtype=np.int64, offset=1),
    dict(dtype=np.float32, count=0),
])
def test_frombuffer_refuses_what_pytorch_refuses(kwargs):
    with pytest.raises(ConfigError, match="frombuffer"):
        dp.frombuffer(bytearray(8), **kwargs)
    torch_kwargs = dict(kwargs, dtype=getattr(torch, np.dtype(kwargs["dtype"]).name))
    with pytest.raises(ValueError):
        torch.frombuffer(bytearray(8), **torch_kwargs)
    with pytest.raises(TypeError):
        dp.frombuffer(bytearray(8), dp.float32)  # (dtype is keyword-only, as in PyTorch)


@pytest.mark.parametrize("args, kwargs", [((0, 5), {}), ((0, 1, 0.3), {}), ((5, 0, -2), {}), ((0, 3), {"dtype": "int64"}),
                                          ((1.5, 4), {})])
def test_range_includes_its_end_and_warns_as_pytorch(args, kwargs):
    with pytest.warns(UserWarning, match="deprecated"):
        ours = dp.range(*args, **{k: getattr(dp, v) for k, v in kwargs.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.range(*args, **{k: getattr(torch, v) for k, v in kwargs.items()})
    assert np.asarray(ours.data).dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(np.asarray(ours.data), theirs.numpy(), rtol=1e-6)


def test_range_refuses_a_step_the_wrong_way_and_stays_out_of_star_imports():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ConfigError, match="step"):
            dp.range(0, 5, -1)
        with pytest.raises(RuntimeError):
            torch.range(0, 5, -1)
    assert "range" not in dp.__all__


DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("source", DTYPES)
def test_can_cast_matches_pytorch(source):
    for target in DTYPES:
        ours = dp.can_cast(getattr(dp, source if source != "bool" else "bool_"), getattr(dp, target if target != "bool"
                                                                                         else "bool_"))
        assert ours == torch.can_cast(getattr(torch, source), getattr(torch, target)), (source, target)


def test_typename_and_is_storage():
    assert dp.typename(dp.ones(2)) == "deltaprop.FloatTensor"
    assert torch.typename(torch.ones(2)) == "torch.FloatTensor"
    assert dp.typename(dp.ones(2, dtype=dp.int64)) == "deltaprop.LongTensor"
    assert dp.typename(1) == torch.typename(1) == "int"
    assert dp.typename(dp.nn.Linear(1, 1)) == "deltaprop.nn.layers.Linear"
    assert dp.typename(collections.OrderedDict()) == torch.typename(collections.OrderedDict())
    assert dp.is_storage(dp.ones(2)) is torch.is_storage(torch.ones(2)) is False


def test_deterministic_debug_mode_is_the_deterministic_switch():
    try:
        for mode, expected in (("warn", 1), ("error", 2), (0, 0), (1, 1), ("default", 0), (2, 2)):
            dp.set_deterministic_debug_mode(mode)
            torch.set_deterministic_debug_mode(mode)
            assert dp.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode() == expected
            assert dp.are_deterministic_algorithms_enabled() == torch.are_deterministic_algorithms_enabled()
            assert dp.is_deterministic_algorithms_warn_only_enabled() == \
                torch.is_deterministic_algorithms_warn_only_enabled()
        for bad, error in (("x", ValueError), (3, ValueError), (1.0, TypeError)):
            with pytest.raises(error, match="debug_mode"):
                dp.set_deterministic_debug_mode(bad)
    finally:
        dp.set_deterministic_debug_mode(0)
        torch.set_deterministic_debug_mode(0)


def test_warn_always_is_recorded_and_flush_denormal_is_not_offered():
    before = torch.is_warn_always_enabled()
    try:
        assert dp.is_warn_always_enabled() is False
        dp.set_warn_always(True)
        assert dp.is_warn_always_enabled() is True
        dp.set_warn_always(False)
        assert dp.is_warn_always_enabled() is False
        with pytest.raises(TypeError):
            dp.set_warn_always(1)
        with pytest.raises(RuntimeError):
            torch.set_warn_always(1)
    finally:
        torch.set_warn_always(before)
    assert dp.set_flush_denormal(True) is False  # NumPy cannot set the processor's flags
    assert np.finfo(np.float32).smallest_subnormal * np.float32(1) > 0  # and subnormals stay
    with pytest.raises(TypeError):
        dp.set_flush_denormal("yes")


def test_set_default_tensor_type_sets_the_default_dtype():
    try:
        with pytest.warns(UserWarning, match="deprecated"):
            dp.set_default_tensor_type(dp.DoubleTensor)
        assert dp.get_default_dtype() == np.float64 and dp.ones(1).dtype == np.float64
        with pytest.warns(UserWarning):
            dp.set_default_tensor_type("torch.FloatTensor")
        assert dp.get_default_dtype() == np.float32
        with pytest.warns(UserWarning):
            dp.set_default_tensor_type(torch.DoubleTensor)
        assert dp.get_default_dtype() == np.float64
        for bad in (dp.LongTensor, "torch.cuda.FloatTensor", "FloatTensor2"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with pytest.raises(TypeError, match="FloatTensor and DoubleTensor"):
                    dp.set_default_tensor_type(bad)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(TypeError):
                torch.set_default_tensor_type(torch.LongTensor)
    finally:
        dp.set_default_dtype(np.float32)


def test_cpu_module_and_get_device_module():
    assert dp.cpu.is_available() is torch.cpu.is_available() is True
    assert dp.cpu.device_count() == torch.cpu.device_count() == 1
    assert dp.cpu.current_device() == torch.cpu.current_device() == "cpu"
    assert dp.cpu.synchronize() is None and dp.cpu.set_device("cpu") is None
    assert dp.get_device_module() is dp.cpu and dp.get_device_module("cpu") is dp.cpu
    assert dp.get_device_module(dp.device("cpu")) is dp.cpu and dp.get_device_module("cuda:0") is dp.cuda
    assert dp.get_device_module("cuda").is_available() is False
    with pytest.raises(ValueError, match="get_device_module"):
        dp.get_device_module("xyz")
    with pytest.raises(RuntimeError):
        torch.get_device_module("xyz")


# -- deltaprop.data ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 3, 7, 10, 12])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_splits_as_pytorch(n, replicas, drop_last):
    shares = []
    for rank in range(replicas):
        ours = data.DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = torch_data.DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
        shuffled = data.DistributedSampler(range(n), replicas, rank, seed=5, drop_last=drop_last)
        assert len(list(shuffled)) == len(theirs)
        shares.append(list(shuffled))
    if drop_last:  # the shuffled shares are disjoint, drawn from one permutation in every replica
        flat = [i for share in shares for i in share]
        assert len(flat) == len(set(flat))
    else:
        assert set(i for share in shares for i in share) == set(range(n))


def test_distributed_sampler_reshuffles_by_epoch_and_defaults_to_one_replica():
    sampler = data.DistributedSampler(list(range(20)), seed=3)
    assert (sampler.num_replicas, sampler.rank, len(sampler)) == (1, 0, 20)
    first, again = list(sampler), list(sampler)
    assert first == again and sorted(first) == list(range(20))  # (the same epoch until set_epoch, as PyTorch)
    sampler.set_epoch(1)
    assert list(sampler) != first and sorted(sampler) == list(range(20))
    assert list(data.DistributedSampler(list(range(20)), seed=3)) == first


@pytest.mark.parametrize("kwargs", [dict(num_replicas=2, rank=2), dict(num_replicas=2, rank=-1),
                                    dict(num_replicas=0, rank=0)])
def test_distributed_sampler_refuses_a_rank_outside_the_replicas(kwargs):
    with pytest.raises(ConfigError, match="DistributedSampler"):
        data.DistributedSampler(range(4), **kwargs)
    with pytest.raises(ValueError):
        torch_data.DistributedSampler(range(4), **kwargs)


def test_distributed_sampler_feeds_a_data_loader():
    ds = data.ArrayDataset(np.arange(10.0)[:, None], np.arange(10))
    loader = data.DataLoader(ds, batch_size=2, sampler=data.DistributedSampler(ds, 2, 1, shuffle=False))
    assert [labels.tolist() for _, labels in loader] == [[1, 3], [5, 7], [9]]


def test_default_convert_and_get_worker_info_match_pytorch():
    Pair = collections.namedtuple("Pair", "a b")
    sample = (1, np.float64(2.0), {"x": np.ones(2), "y": "s"}, np.array(["a"]), Pair(np.arange(3), 3), "abc")
    ours, theirs = data.default_convert(sample), torch_data.default_convert(sample)
    assert type(ours) is type(theirs) is list
    assert ours[0] == 1 and isinstance(ours[1], dp.Tensor) and ours[1].dtype == np.float64
    assert isinstance(ours[2]["x"], dp.Tensor) and ours[2]["y"] == "s"
    assert isinstance(ours[3], np.ndarray) and isinstance(theirs[3], np.ndarray)
    assert type(ours[4]) is Pair and ours[4].a.tolist() == theirs[4].a.tolist() and ours[4].b == 3
    assert ours[5] == "abc"
    array_in = np.arange(4.0)
    assert np.shares_memory(data.default_convert(array_in).data, array_in)
    assert data.get_worker_info() is torch_data.get_worker_info() is None
