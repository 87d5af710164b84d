"""optim.swa_utils against PyTorch's on the same weights: AveragedModel's averages (SWA and EMA,
with and without the buffers, per weight and over lists), its state dict, SWALR's learning rates
(alone and after another schedule), update_bn's statistics, and the refusals."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import nn, optim  # noqa: E402
from deltaprop.errors import ConfigError, ShapeError  # noqa: E402
from deltaprop.optim import swa_utils  # noqa: E402

TS = torch.optim.swa_utils
RNG = np.random.default_rng(3)


def _pair():
    """A deltaprop model and its PyTorch twin (float64, same weights): linear, batch norm, linear."""
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                                 torch.nn.Linear(4, 2)).double()
    _copy(theirs, ours)
    return ours, theirs


def _copy(theirs, ours):
    with torch.no_grad():
        for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            p.data[...] = RNG.standard_normal(p.shape)
            q.copy_(torch.from_numpy(p.data.copy()))


def _train_step(ours, theirs, scale):
    """The same change to both models: new weights and a training batch (which moves batch norm's
    running statistics and its counter)."""
    _copy(theirs, ours)
    x = RNG.standard_normal((5, 3)) * scale
    ours.train()
    theirs.train()
    ours(dp.tensor(x, dtype=np.float64))
    theirs(torch.tensor(x))


def _assert_state_equal(ours, theirs, rtol=1e-12, atol=1e-14):
    mine, reference = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(reference)
    for key, value in reference.items():
        np.testing.assert_allclose(np.asarray(mine[key]), value.numpy(), rtol=rtol, atol=atol, err_msg=key)
        assert np.asarray(mine[key]).dtype == value.numpy().dtype, key


# (PyTorch's get_swa_multi_avg_fn refuses an integer buffer, the batch counter, so it runs without
# use_buffers only; deltaprop's averages one as its other functions do, see the next test.)
@pytest.mark.parametrize("kind, use_buffers", [
    (kind, use_buffers) for kind in ("swa", "ema_avg_fn", "ema_multi", "swa_avg_fn") for use_buffers in (False, True)
] + [("swa_multi_floats", False)])
def test_averaged_weights_follow_pytorchs(kind, use_buffers):
    ours, theirs = _pair()
    options = {
        "swa": ({}, {}),
        "ema_avg_fn": ({"avg_fn": swa_utils.get_ema_avg_fn(0.8)}, {"avg_fn": TS.get_ema_avg_fn(0.8)}),
        "ema_multi": ({"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(0.7)},
                      {"multi_avg_fn": TS.get_ema_multi_avg_fn(0.7)}),
        "swa_avg_fn": ({"avg_fn": swa_utils.get_swa_avg_fn()}, {"avg_fn": TS.get_swa_avg_fn()}),
        "swa_multi_floats": ({"multi_avg_fn": swa_utils.get_swa_multi_avg_fn()},
                             {"multi_avg_fn": TS.get_swa_multi_avg_fn()}),
    }[kind]
    averaged = swa_utils.AveragedModel(ours, use_buffers=use_buffers, **options[0])
    reference = TS.AveragedModel(theirs, use_buffers=use_buffers, **options[1])
    for step in range(5):
        _train_step(ours, theirs, scale=1 + step)
        averaged.update_parameters(ours)
        reference.update_parameters(theirs)
        # PyTorch's list form of SWA rounds its weight 1/(n + 1) to float32, even for float64 weights
        rounded = kind == "swa_multi_floats"
        _assert_state_equal(averaged, reference, rtol=1e-6 if rounded else 1e-12, atol=1e-7 if rounded else 1e-14)
    assert int(averaged.n_averaged) == 5
    x = RNG.standard_normal((4, 3))
    averaged.eval()
    reference.eval()
    np.testing.assert_allclose(averaged(dp.tensor(x, dtype=np.float64)).data, reference(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6 if rounded else 1e-12)


def test_integer_buffers_are_averaged_in_floats_and_truncated_as_pytorchs():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(np.zeros(1))
            self.register_buffer("count", np.zeros(2, dtype=np.int64))

    class TorchCounter(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
            self.register_buffer("count", torch.zeros(2, dtype=torch.int64))

    for ours_fn, theirs_fn in [(None, None), (swa_utils.get_ema_avg_fn(0.5), TS.get_ema_avg_fn(0.5))]:
        ours, theirs = Counter(), TorchCounter()
        a = swa_utils.AveragedModel(ours, avg_fn=ours_fn, use_buffers=True)
        b = TS.AveragedModel(theirs, avg_fn=theirs_fn, use_buffers=True)
        for v in (10, 3, -7, 1, 4):
            ours.count[...] = (v, -v)
            theirs.count.copy_(torch.tensor([v, -v]))
            ours.w.data[...] = v
            theirs.w.data.fill_(v)
            a.update_parameters(ours)
            b.update_parameters(theirs)
            assert a.module.count.tolist() == b.module.count.tolist()
            assert a.module.w.data.tolist() == b.module.w.data.tolist()


def test_the_state_dict_is_pytorchs_and_loads_both_ways(tmp_path):
    ours, theirs = _pair()
    averaged, reference = swa_utils.AveragedModel(ours), TS.AveragedModel(theirs)
    for _ in range(3):
        _train_step(ours, theirs, 2.0)
        averaged.update_parameters(ours)
        reference.update_parameters(theirs)
    assert list(averaged.state_dict())[:2] == ["n_averaged", "module.0.weight"]
    assert [k for k, _ in averaged.named_buffers()][0] == "n_averaged"
    assert [k for k, _ in averaged.named_parameters()] == [k for k, _ in reference.named_parameters()]
    # PyTorch's state dict into a fresh deltaprop AveragedModel, and deltaprop's file back into PyTorch's
    fresh = swa_utils.AveragedModel(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)).double())
    fresh.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    _assert_state_equal(fresh, reference)
    dp.save(averaged.state_dict(), tmp_path / "swa.dp")
    loaded = dp.load(tmp_path / "swa.dp")
    assert list(loaded) == list(reference.state_dict()) and int(np.asarray(loaded["n_averaged"])) == 3
    other = TS.AveragedModel(theirs)
    other.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in loaded.items()})
    _assert_state_equal(averaged, other)


def test_the_copy_is_deep_and_calls_go_to_it():
    ours, _ = _pair()
    averaged = swa_utils.AveragedModel(ours)
    assert averaged.module is not ours and averaged.module[0].weight is not ours[0].weight
    before = ours[0].weight.data.copy()
    averaged.module[0].weight.data[...] += 1
    np.testing.assert_array_equal(ours[0].weight.data, before)
    ours.eval()
    averaged.eval()
    x = dp.tensor(RNG.standard_normal((2, 3)), dtype=np.float64)
    averaged.module[0].weight.data[...] = before
    np.testing.assert_array_equal(averaged(x).data, ours(x).data)
    assert repr(averaged).startswith("AveragedModel(\n  (module): Sequential(")


def _lr_run(lib, schedule, epochs=9, **options):
    """The learning rates of SGD over ``epochs`` steps of SWALR, after ``schedule`` (None, or
    'before': three epochs of StepLR first, 'both': an ExponentialLR stepped alongside)."""
    weight = dp.tensor(np.ones(2), requires_grad=True) if lib is dp else torch.ones(2, requires_grad=True)
    optimizer = lib.optim.SGD([{"params": [weight]}], lr=1.0)
    swa = (swa_utils if lib is dp else TS).SWALR(optimizer, **options)
    rates = [optimizer.param_groups[0]["lr"]]
    warm = None
    if schedule == "before":
        warm = lib.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        for _ in range(3):
            optimizer.step()
            warm.step()
            rates.append(optimizer.param_groups[0]["lr"])
    elif schedule == "both":
        warm = lib.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    for _ in range(epochs):
        optimizer.step()
        swa.step()
        if schedule == "both":
            warm.step()
        rates.append(optimizer.param_groups[0]["lr"])
    return rates, swa


@pytest.mark.parametrize("schedule", [None, "before", "both"])
@pytest.mark.parametrize("options", [
    {"swa_lr": 0.1, "anneal_epochs": 4}, {"swa_lr": 0.05, "anneal_epochs": 3, "anneal_strategy": "linear"},
    {"swa_lr": 0.2, "anneal_epochs": 0}, {"swa_lr": 0.2, "anneal_epochs": 1}, {"swa_lr": 2.0},
])
def test_swalr_gives_pytorchs_rates(options, schedule):
    ours, swa_ours = _lr_run(dp, schedule, **options)
    theirs, swa_theirs = _lr_run(torch, schedule, **options)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(swa_ours.get_last_lr(), swa_theirs.get_last_lr(), rtol=1e-12)
    state = swa_theirs.state_dict()
    for key in ("_anneal_strategy", "anneal_epochs", "last_epoch", "_step_count", "base_lrs"):
        assert swa_ours.state_dict()[key] == state[key], key


def test_swalr_takes_one_rate_per_group_and_a_pytorch_state_dict():
    a, b = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    theirs = torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=1.0)
    ours = optim.SGD([{"params": [dp.zeros(1, requires_grad=True)]},
                      {"params": [dp.zeros(1, requires_grad=True)], "lr": 0.5}], lr=1.0)
    s_theirs = TS.SWALR(theirs, swa_lr=[0.1, 0.01], anneal_epochs=2)
    s_ours = swa_utils.SWALR(ours, swa_lr=[0.1, 0.01], anneal_epochs=2)
    assert [g["swa_lr"] for g in ours.param_groups] == [g["swa_lr"] for g in theirs.param_groups]
    for _ in range(3):
        theirs.step(); s_theirs.step()
        ours.step(); s_ours.step()
        np.testing.assert_allclose(s_ours.get_last_lr(), s_theirs.get_last_lr(), rtol=1e-12)
    resumed = swa_utils.SWALR(optim.SGD([{"params": [dp.zeros(1, requires_grad=True)]},
                                         {"params": [dp.zeros(1, requires_grad=True)], "lr": 0.5}], lr=1.0),
                              swa_lr=[0.1, 0.01], anneal_epochs=2)
    resumed.load_state_dict(s_theirs.state_dict())
    assert resumed.last_epoch == s_theirs.last_epoch and resumed._step_count == s_theirs._step_count


@pytest.mark.parametrize("options, exception", [
    ({"swa_lr": 0.1, "anneal_strategy": "cosine"}, "anneal_strategy must be one of 'cos', 'linear', got 'cosine'"),
    ({"swa_lr": 0.1, "anneal_epochs": -1}, "anneal_epochs must be a non-negative integer, got -1"),
    ({"swa_lr": 0.1, "anneal_epochs": 1.5}, "anneal_epochs must be a non-negative integer, got 1.5"),
    ({"swa_lr": [0.1, 0.2]}, "swa_lr lists 2 values, the optimizer has 1 parameter groups"),
])
def test_swalr_refusals_are_pytorchs_value_errors(options, exception):
    with pytest.raises(ValueError):
        TS.SWALR(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0), **options)
    with pytest.raises(ConfigError, match="^SWALR: " + exception.replace("(", r"\(").replace("[", r"\[")):
        swa_utils.SWALR(optim.SGD([dp.zeros(1, requires_grad=True)], lr=1.0), **options)


@pytest.mark.parametrize("decay", [1.5, -0.5, True])
@pytest.mark.parametrize("name", ["get_ema_avg_fn", "get_ema_multi_avg_fn"])
def test_a_decay_outside_zero_to_one_is_refused(name, decay):
    if decay is not True:
        with pytest.raises(ValueError):
            getattr(TS, name)(decay)
    with pytest.raises(ConfigError, match=rf"^{name}: decay must be a number in \[0, 1\], got "):
        getattr(swa_utils, name)(decay)


def test_the_one_weight_functions_give_pytorchs_numbers():
    a, c = RNG.standard_normal(3), RNG.standard_normal(3)
    for ours, theirs in [(swa_utils.get_ema_avg_fn(0.9), TS.get_ema_avg_fn(0.9)),
                         (swa_utils.get_swa_avg_fn(), TS.get_swa_avg_fn())]:
        got = ours(dp.tensor(a, dtype=np.float64), dp.tensor(c, dtype=np.float64), dp.tensor(3))
        assert isinstance(got, dp.Tensor)
        np.testing.assert_allclose(got.data, theirs(torch.tensor(a), torch.tensor(c), torch.tensor(3)).numpy(),
                                   rtol=1e-14)


def test_a_model_of_another_shape_is_refused():
    averaged = swa_utils.AveragedModel(nn.Linear(3, 2))
    with pytest.raises(ShapeError, match=r"^AveragedModel.update_parameters: weight 0 of the model has shape \(4, 3\)"):
        averaged.update_parameters(nn.Linear(3, 4))
    with pytest.raises(ShapeError, match="the model has 1 parameters, the averaged copy 2"):
        averaged.update_parameters(nn.Linear(3, 2, bias=False))
    with pytest.raises(TypeError, match="^AveragedModel: model must be a Module, got a list"):
        swa_utils.AveragedModel([nn.Linear(3, 2)])


@pytest.mark.parametrize("momentum", [0.1, None, 0.5])
def test_update_bn_recomputes_pytorchs_statistics(momentum):
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=momentum), nn.ReLU(),
                         nn.Sequential(nn.Linear(4, 2), nn.BatchNorm1d(2))).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4, momentum=momentum), torch.nn.ReLU(),
                                 torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.BatchNorm1d(2))).double()
    _copy(theirs, ours)
    ours.eval()
    theirs.eval()
    batches = [RNG.standard_normal((n, 3)) * 3 + 1 for n in (6, 4, 7)]
    labels = [np.zeros(len(b)) for b in batches]
    # the loader gives (x, y) pairs to one and bare tensors to the other: the first item is the input
    swa_utils.update_bn([(dp.tensor(x, dtype=np.float64), dp.tensor(y, dtype=np.float64)) for x, y in zip(batches, labels)], ours)
    TS.update_bn([torch.tensor(x) for x in batches], theirs)
    _assert_state_equal(ours, theirs)
    assert not ours.training and ours[1].momentum == momentum and ours[3][1].momentum == 0.1


def test_update_bn_through_a_data_loader_and_an_averaged_model():
    ours, theirs = _pair()
    x = RNG.standard_normal((12, 3)) * 2
    y = RNG.standard_normal((12, 2))
    averaged, reference = swa_utils.AveragedModel(ours), TS.AveragedModel(theirs)
    for _ in range(2):
        _train_step(ours, theirs, 1.5)
        averaged.update_parameters(ours)
        reference.update_parameters(theirs)
    loader = dp.data.DataLoader(dp.data.TensorDataset(dp.tensor(x, dtype=np.float64), dp.tensor(y, dtype=np.float64)), batch_size=5)
    torch_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)),
                                               batch_size=5)
    swa_utils.update_bn(loader, averaged)
    TS.update_bn(torch_loader, reference)
    _assert_state_equal(averaged, reference)


def test_update_bn_leaves_a_model_without_batch_norm_alone():
    model = nn.Sequential(nn.Linear(2, 2)).eval()
    swa_utils.update_bn([dp.ones((1, 2))], model)  # not even run
    assert not model.training


def test_swa_utils_is_reached_from_optim_and_imported_on_first_use():
    import subprocess
    import sys

    program = ("import sys, deltaprop as dp; assert 'deltaprop.optim.swa_utils' not in sys.modules; "
               "print(dp.optim.swa_utils.AveragedModel.__name__)")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120,
                            env={**__import__("os").environ,
                                 "PYTHONPATH": __import__("os").path.dirname(__import__("os").path.dirname(dp.__file__))})
    assert result.stdout.strip() == "AveragedModel", result.stderr
