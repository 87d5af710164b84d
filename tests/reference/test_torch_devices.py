"""PyTorch's device questions and names, as scripts ported from it ask them: ``dp.device``,
``dp.cuda``, ``dp.backends``, ``Tensor.device``, compared with PyTorch's answers on a machine
without a GPU."""

import pickle

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("args", [("cpu",), ("cpu:0",), ("cpu", 0), ("cuda",), ("cuda:1",), ("cuda", 3), ("mps",), ("meta",)])
def test_a_device_reads_and_prints_as_pytorchs(args):
    ours, theirs = dp.device(*args), torch.device(*args)
    assert (ours.type, ours.index) == (theirs.type, theirs.index)
    assert str(ours) == str(theirs) and repr(ours) == repr(theirs)
    assert dp.device(ours) == ours and hash(dp.device(*args)) == hash(ours)
    assert pickle.loads(pickle.dumps(ours)) == ours


def test_devices_compare_as_pytorchs():
    pairs = [("cpu", "cpu:0"), ("cuda:0", "cuda:0"), ("cpu", "cpu"), ("cuda:0", "cuda:1")]
    for a, b in pairs:
        assert (dp.device(a) == dp.device(b)) == (torch.device(a) == torch.device(b))
    assert (dp.device("cpu") == "cpu") == (torch.device("cpu") == "cpu")  # a string is no device: False in both


@pytest.mark.parametrize("bad", ["foo", "cuda:x", "cpu:-1", " cpu", "CPU", "cuda:"])
def test_a_string_that_names_no_device_is_refused_in_one_sentence(bad):
    with pytest.raises(RuntimeError):
        torch.device(bad)
    with pytest.raises(ConfigError, match=r"^device: .* is not a device; expected a type such as 'cpu'"):
        dp.device(bad)


def test_bad_indexes_and_types_are_refused():
    with pytest.raises(RuntimeError, match="must not be negative"):
        torch.device("cpu", -1)
    with pytest.raises(ConfigError, match="^device: index must be a non-negative integer, got -1"):
        dp.device("cpu", -1)
    with pytest.raises(ConfigError, match="has its index already"):
        dp.device("cuda:0", 1)
    with pytest.raises(TypeError, match="^device: expected a device string"):
        dp.device(3)
    with pytest.raises(AttributeError, match="cannot be changed"):
        dp.device("cpu").type = "cuda"


def test_pytorchs_opening_lines_run_and_choose_the_cpu():
    # the usual first lines of a PyTorch script, on a machine without a GPU: the same choices
    for lib in (torch, dp):
        device = lib.device("cuda" if lib.cuda.is_available() else "mps" if lib.backends.mps.is_available() else "cpu")
        assert str(device) == "cpu"
        lib.cuda.manual_seed(0)
        lib.cuda.manual_seed_all(0)
    assert dp.cuda.device_count() == torch.cuda.device_count() == 0
    assert dp.backends.cudnn.is_available() == torch.backends.cudnn.is_available()
    for flag in ("enabled", "benchmark", "deterministic"):
        assert getattr(dp.backends.cudnn, flag) == getattr(torch.backends.cudnn, flag)
    with pytest.raises(TypeError, match="seed must be an integer"):
        dp.cuda.manual_seed_all("0")


def test_the_accelerator_lines_of_pytorchs_newer_tutorials_choose_the_cpu():
    """``torch.accelerator`` (the Blitz and the Quickstart of PyTorch 2.6+): no accelerator, as on a
    machine without a GPU, so the tutorials' line chooses "cpu"."""
    for lib in (torch, dp):
        device = lib.accelerator.current_accelerator().type if lib.accelerator.is_available() else "cpu"
        assert device == "cpu"
        tensor = lib.ones(2)
        if lib.accelerator.is_available():
            tensor = tensor.to(lib.accelerator.current_accelerator())
        assert str(tensor.device) == "cpu"
    for check_available in (False, True):
        assert dp.accelerator.current_accelerator(check_available) is None
        assert torch.accelerator.current_accelerator(check_available) is None
    assert dp.accelerator.device_count() == torch.accelerator.device_count() == 0


def test_the_cudnn_switches_are_kept():
    before = dp.backends.cudnn.deterministic, dp.backends.cudnn.benchmark
    try:
        dp.backends.cudnn.deterministic, dp.backends.cudnn.benchmark = True, False
        assert dp.backends.cudnn.deterministic is True and dp.backends.cudnn.benchmark is False
    finally:
        dp.backends.cudnn.deterministic, dp.backends.cudnn.benchmark = before


def test_a_tensor_is_on_the_cpu_and_moves_to_its_own_device():
    ours, theirs = dp.ones(2), torch.ones(2)
    assert ours.device == dp.device("cpu") and str(ours.device) == str(theirs.device)
    assert (ours.is_cuda, ours.is_cpu) == (theirs.is_cuda, theirs.is_cpu) == (False, True)
    assert ours.to(ours.device) is ours
    model = nn.Linear(2, 2)
    assert model.to(dp.device("cpu")) is model and model.to(dp.device("cpu", 0)) is model
    assert nn.Linear(2, 2, device=dp.device("cpu")).weight.dtype == np.float32


@pytest.mark.parametrize("device", [dp.device("cuda"), dp.device("mps"), dp.device("cuda", 1)])
def test_moving_to_another_device_is_refused_in_one_sentence(device):
    with pytest.raises(ConfigError, match=rf"^Tensor\.to\(\): deltaprop computes with NumPy on the CPU, so there is no "
                                          rf"'{device.type}' device"):
        dp.ones(2).to(device)
    with pytest.raises(ConfigError, match=rf"^Linear: .*'{device.type}'"):
        nn.Linear(2, 2, device=device)


_MAKERS = {  # name: (deltaprop call, the same call in PyTorch), each given **device
    "tensor": (lambda **d: dp.tensor([1.0, 2.0], **d), lambda **d: torch.tensor([1.0, 2.0], **d)),
    "as_tensor": (lambda **d: dp.as_tensor([1.0, 2.0], **d), lambda **d: torch.as_tensor([1.0, 2.0], **d)),
    "zeros": (lambda **d: dp.zeros(2, 3, **d), lambda **d: torch.zeros(2, 3, **d)),
    "ones": (lambda **d: dp.ones((2,), **d), lambda **d: torch.ones((2,), **d)),
    "full": (lambda **d: dp.full((2,), 7, **d), lambda **d: torch.full((2,), 7, **d)),
    "empty": (lambda **d: dp.empty(0, **d), lambda **d: torch.empty(0, **d)),
    "arange": (lambda **d: dp.arange(4, **d), lambda **d: torch.arange(4, **d)),
    "linspace": (lambda **d: dp.linspace(0, 1, 3, **d), lambda **d: torch.linspace(0, 1, 3, **d)),
    "logspace": (lambda **d: dp.logspace(0, 1, 3, **d), lambda **d: torch.logspace(0, 1, 3, **d)),
    "eye": (lambda **d: dp.eye(2, **d), lambda **d: torch.eye(2, **d)),
    "zeros_like": (lambda **d: dp.zeros_like(dp.ones(2), **d), lambda **d: torch.zeros_like(torch.ones(2), **d)),
    "ones_like": (lambda **d: dp.ones_like(dp.ones(2), **d), lambda **d: torch.ones_like(torch.ones(2), **d)),
    "full_like": (lambda **d: dp.full_like(dp.ones(2), 3.0, **d), lambda **d: torch.full_like(torch.ones(2), 3.0, **d)),
    "empty_like": (lambda **d: dp.empty_like(dp.ones((0,)), **d), lambda **d: torch.empty_like(torch.ones((0,)), **d)),
    "new_zeros": (lambda **d: dp.ones(2).new_zeros(3, **d), lambda **d: torch.ones(2).new_zeros(3, **d)),
    "new_ones": (lambda **d: dp.ones(2).new_ones(3, **d), lambda **d: torch.ones(2).new_ones(3, **d)),
    "new_full": (lambda **d: dp.ones(2).new_full((3,), 2.0, **d), lambda **d: torch.ones(2).new_full((3,), 2.0, **d)),
    "new_tensor": (lambda **d: dp.ones(2).new_tensor([4.0], **d), lambda **d: torch.ones(2).new_tensor([4.0], **d)),
}
_DRAWS = {  # random makers: the same shape and dtype, seeded alike with and without the device
    "rand": lambda **d: dp.rand(2, 2, **d),
    "randn": lambda **d: dp.randn(3, **d),
    "randint": lambda **d: dp.randint(0, 5, (4,), **d),
    "randperm": lambda **d: dp.randperm(5, **d),
    "rand_like": lambda **d: dp.rand_like(dp.ones(2), **d),
    "randn_like": lambda **d: dp.randn_like(dp.ones(2), **d),
    "randint_like": lambda **d: dp.randint_like(dp.ones(2), 3, **d),
}


@pytest.mark.parametrize("name", sorted(_MAKERS))
@pytest.mark.parametrize("device", ["cpu", "cpu:0", "torch.device", "dp.device"])
def test_makers_take_pytorchs_device_argument(name, device):
    # torch.zeros(n, device=x.device): the CPU makes the same tensor as no device at all
    ours, theirs = _MAKERS[name]
    place = {"torch.device": torch.device("cpu"), "dp.device": dp.device("cpu")}.get(device, device)
    made = ours(device=place)
    expected = theirs(device=torch.device("cpu") if device == "dp.device" else place)
    np.testing.assert_array_equal(made.data, expected.numpy())
    assert made.dtype == expected.numpy().dtype and made.device == dp.device("cpu")


@pytest.mark.parametrize("name", sorted(_DRAWS))
def test_random_makers_take_the_cpu_and_draw_as_without_it(name):
    dp.manual_seed(3)
    plain = _DRAWS[name]()
    dp.manual_seed(3)
    placed = _DRAWS[name](device=dp.device("cpu"))
    np.testing.assert_array_equal(plain.data, placed.data)


@pytest.mark.parametrize("name", sorted(_MAKERS) + sorted(_DRAWS))
def test_makers_refuse_another_device_naming_themselves(name):
    make = _MAKERS[name][0] if name in _MAKERS else _DRAWS[name]
    with pytest.raises(ConfigError, match=rf"^{name}: deltaprop computes with NumPy on the CPU, so there is no 'cuda' device"):
        make(device="cuda:0")


@pytest.fixture
def default_devices():
    """Both libraries' default devices put back as they were after a test that sets them."""
    yield
    dp.set_default_device(None)
    torch.set_default_device(None)


@pytest.mark.parametrize("choice", ["cpu", "cpu:0", "torch.device", "dp.device", None])
def test_set_default_device_takes_the_cpu_and_reads_back_as_pytorchs(choice, default_devices):
    """"Learning PyTorch with Examples" opens with torch.set_default_device(device); it was missing."""
    assert repr(dp.get_default_device()) == repr(torch.get_default_device()) == "device(type='cpu')"
    ours = {"torch.device": torch.device("cpu", 0), "dp.device": dp.device("cpu", 0)}.get(choice, choice)
    theirs = torch.device("cpu", 0) if choice == "dp.device" else ours
    dp.set_default_device(ours)
    torch.set_default_device(theirs)
    assert repr(dp.get_default_device()) == repr(torch.get_default_device())
    assert isinstance(dp.get_default_device(), dp.device) and dp.zeros(2).device == dp.device("cpu")


@pytest.mark.parametrize("bad, error, message", [
    ("cuda", ConfigError, r"^set_default_device: deltaprop computes with NumPy on the CPU, so there is no 'cuda' "),
    (dp.device("mps"), ConfigError, r"^set_default_device: .*no 'mps' device"),
    ("banana", ConfigError, r"^set_default_device: 'banana' is not a device"),
    (1.5, ConfigError, r"^set_default_device: 1.5 is not a device"),
])
def test_set_default_device_refuses_another_device_in_one_sentence(bad, error, message, default_devices):
    dp.set_default_device("cpu:0")
    with pytest.raises(error, match=message):
        dp.set_default_device(bad)
    assert dp.get_default_device() == dp.device("cpu:0")  # unchanged by the refused call


def test_import_torch_backends_cudnn_as_cudnn_ports():
    """pytorch/examples' dcgan/main.py: import torch.backends.cudnn as cudnn; cudnn.benchmark = True.
    dp.backends was one module, so importing its cudnn failed."""
    import importlib

    cudnn = importlib.import_module("deltaprop.backends.cudnn")
    mps = importlib.import_module("deltaprop.backends.mps")
    assert cudnn is dp.backends.cudnn and mps is dp.backends.mps
    assert (mps.is_available(), mps.is_built()) == (torch.backends.mps.is_available(), torch.backends.mps.is_built())
    before = cudnn.benchmark
    try:
        cudnn.benchmark = True
        assert dp.backends.cudnn.benchmark is True
    finally:
        cudnn.benchmark = before


@pytest.fixture
def determinism():
    """Both libraries' deterministic-algorithms switches put back off after a test."""
    yield
    dp.use_deterministic_algorithms(False)
    torch.use_deterministic_algorithms(False)


@pytest.mark.parametrize("calls", [[(True, {})], [(True, {"warn_only": True})], [(False, {"warn_only": True})],
                                   [(True, {}), (False, {})], [(True, {"warn_only": True}), (True, {})]])
def test_use_deterministic_algorithms_records_the_switch_as_pytorch(calls, determinism):
    """The DCGAN tutorial's torch.use_deterministic_algorithms(True) was missing."""
    assert dp.are_deterministic_algorithms_enabled() is torch.are_deterministic_algorithms_enabled() is False
    for mode, kwargs in calls:
        assert dp.use_deterministic_algorithms(mode, **kwargs) is torch.use_deterministic_algorithms(mode, **kwargs)
    assert dp.are_deterministic_algorithms_enabled() is torch.are_deterministic_algorithms_enabled()
    assert dp.is_deterministic_algorithms_warn_only_enabled() is torch.is_deterministic_algorithms_warn_only_enabled()


@pytest.mark.parametrize("args, kwargs, name", [((1,), {}, "mode"), ((None,), {}, "mode"),
                                               ((np.bool_(True),), {}, "mode"), ((True,), {"warn_only": 1}, "warn_only")])
def test_use_deterministic_algorithms_refuses_what_is_not_a_bool(args, kwargs, name, determinism):
    with pytest.raises(TypeError):
        torch.use_deterministic_algorithms(*args, **kwargs)
    with pytest.raises(TypeError, match=rf"^use_deterministic_algorithms: {name} must be True or False, got "):
        dp.use_deterministic_algorithms(*args, **kwargs)
    assert dp.are_deterministic_algorithms_enabled() is False


def test_float32_matmul_precision_is_kept_as_pytorchs_and_changes_nothing():
    before = torch.get_float32_matmul_precision()
    assert dp.get_float32_matmul_precision() == before == "highest"
    x = dp.tensor(np.random.default_rng(0).standard_normal((4, 5)), dtype=np.float32)
    exact = (x @ x.T).data
    try:
        for precision in ("high", "medium", "highest"):
            torch.set_float32_matmul_precision(precision)
            dp.set_float32_matmul_precision(precision)
            assert dp.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == precision
            np.testing.assert_array_equal((x @ x.T).data, exact)
        for lib in (torch, dp):
            with pytest.warns(UserWarning, match="fast'? is not one of 'highest', 'high'"):
                lib.set_float32_matmul_precision("fast")
            assert lib.get_float32_matmul_precision() == "highest"
    finally:
        torch.set_float32_matmul_precision(before)
        dp.set_float32_matmul_precision("highest")


def test_the_accelerator_questions_are_answered_as_pytorchs_without_one():
    # pytorch/examples' mnist: use_accel = not args.no_accel and torch.accelerator.is_available()
    for name in ("is_available", "current_accelerator", "device_count"):
        assert getattr(dp.accelerator, name)() == getattr(torch.accelerator, name)()
    assert dp.accelerator.current_accelerator(check_available=True) is None
    assert torch.accelerator.current_accelerator(check_available=True) is None
    for name in ("current_device_index", "synchronize"):
        with pytest.raises(RuntimeError):
            getattr(torch.accelerator, name)()
        with pytest.raises(RuntimeError, match=rf"^accelerator\.{name}: there is no accelerator device"):
            getattr(dp.accelerator, name)()
    import deltaprop.accelerator as accelerator

    assert accelerator is dp.accelerator
