"""deltaprop.optim without a reference framework: saving and resuming, validation, the update's
contract (in place, grads untouched, parameters without a gradient skipped), a hand-worked example
and two small problems learned to 100% training accuracy."""

import json

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, optim
from deltaprop.errors import ConfigError, ModelFileError, ShapeError

# Each optimizer with options that give it every piece of state it can have.
FACTORIES = {
    "SGD": lambda params: optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "SGD-dampening": lambda params: optim.SGD(params, lr=0.1, momentum=0.9, dampening=0.2),
    "Adam": lambda params: optim.Adam(params, lr=0.01, amsgrad=True, weight_decay=0.01),
    "AdamW": lambda params: optim.AdamW(params, lr=0.01, weight_decay=0.1),
    "RMSprop": lambda params: optim.RMSprop(params, lr=0.01, momentum=0.5, centered=True, weight_decay=0.01),
    "Adagrad": lambda params: optim.Adagrad(params, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
    "NAdam": lambda params: optim.NAdam(params, lr=0.01, weight_decay=0.01),
    "NAdam-decoupled": lambda params: optim.NAdam(params, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    "RAdam": lambda params: optim.RAdam(params, lr=0.01, betas=(0.9, 0.9), weight_decay=0.01),
    "RAdam-decoupled": lambda params: optim.RAdam(params, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    "Adamax": lambda params: optim.Adamax(params, lr=0.01, weight_decay=0.01),
    "Adadelta": lambda params: optim.Adadelta(params, lr=1.0, rho=0.8, weight_decay=0.01),
    "Rprop": lambda params: optim.Rprop(params, lr=0.01, etas=(0.4, 1.3)),
    "ASGD": lambda params: optim.ASGD(params, lr=0.05, t0=2, weight_decay=0.01),
    "Adafactor": lambda params: optim.Adafactor(params, lr=0.05, weight_decay=0.01),
}


def _model(seed: int):
    dp.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))


def _grouped(model):
    """Two parameter groups with different learning rates."""
    return [{"params": list(model[0].parameters()), "lr": 0.05}, {"params": list(model[2].parameters())}]


def _batch():
    rng = np.random.default_rng(7)
    return dp.tensor(rng.normal(size=(8, 3))), dp.tensor(rng.normal(size=(8, 2)))


def _train(model, optimizer, steps: int) -> None:
    x, y = _batch()
    loss_fn = nn.MSELoss()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()


def _through_storage(state: dict):
    """What a checkpoint does: arrays to one flat dict (safetensors), everything else to JSON."""
    arrays = {}

    def strip(value):
        if isinstance(value, np.ndarray):
            key = f"array{len(arrays)}"
            arrays[key] = value.copy()
            return {"__array__": key}
        if isinstance(value, dict):
            return {key: strip(item) for key, item in value.items()}
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value

    def restore(value):
        if isinstance(value, dict):
            if set(value) == {"__array__"}:
                return arrays[value["__array__"]]
            return {key: restore(item) for key, item in value.items()}
        if isinstance(value, list):
            return [restore(item) for item in value]
        return value

    return restore(json.loads(json.dumps(strip(state))))


# -- saving and resuming -------------------------------------------------------------------------


@pytest.mark.parametrize("storage", [False, True], ids=["in-memory", "arrays+json"])
@pytest.mark.parametrize("grouped", [False, True], ids=["one-group", "two-groups"])
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_resumed_run_continues_bitwise(name, grouped, storage):
    params = _grouped if grouped else (lambda model: model.parameters())
    straight = _model(0)
    straight_opt = FACTORIES[name](params(straight))
    _train(straight, straight_opt, 10)

    first = _model(0)
    first_opt = FACTORIES[name](params(first))
    _train(first, first_opt, 5)
    model_state, opt_state = first.state_dict(), first_opt.state_dict()
    if storage:
        opt_state = _through_storage(opt_state)

    resumed = _model(1)  # different initial weights, overwritten by the load
    resumed_opt = FACTORIES[name](params(resumed))
    resumed.load_state_dict(model_state)
    resumed_opt.load_state_dict(opt_state)
    _train(resumed, resumed_opt, 5)

    for (key, expected), actual in zip(straight.named_parameters(), resumed.parameters(), strict=True):
        assert actual.data.dtype == expected.data.dtype
        assert np.array_equal(actual.data, expected.data), f"{name}: {key} differs after resuming"
    assert straight_opt.state_dict()["param_groups"] == resumed_opt.state_dict()["param_groups"]


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_state_dict_holds_only_arrays_and_plain_values(name):
    model = _model(0)
    optimizer = FACTORIES[name](_grouped(model))
    _train(model, optimizer, 2)
    state = optimizer.state_dict()

    def check(value, where):
        if isinstance(value, dict):
            for key, item in value.items():
                assert isinstance(key, (str, int)), where
                check(item, f"{where}[{key!r}]")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                check(item, f"{where}[{i}]")
        else:
            assert type(value) in (np.ndarray, int, float, bool, str, type(None)), f"{where} is a {type(value)}"

    check(state, "state_dict")
    assert sorted(state["state"]) == list(range(4))
    assert [group["params"] for group in state["param_groups"]] == [[0, 1], [2, 3]]
    assert state["param_groups"][0]["lr"] == 0.05


def test_state_dict_is_a_snapshot():
    model = _model(0)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    _train(model, optimizer, 2)
    saved = optimizer.state_dict()
    before = saved["state"][0]["exp_avg"].copy()
    _train(model, optimizer, 2)
    assert saved["state"][0]["step"] == 2
    assert np.array_equal(saved["state"][0]["exp_avg"], before)


def test_load_state_dict_restores_options_and_casts_to_parameter_dtype():
    model = _model(0)
    optimizer = optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    _train(model, optimizer, 1)
    saved = _through_storage(optimizer.state_dict())
    saved["param_groups"][0]["lr"] = 0.002
    saved["state"]["0"]["exp_avg"] = saved["state"]["0"]["exp_avg"].astype(np.float64)
    fresh = optim.Adam(_model(0).parameters(), lr=0.5)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == 0.002
    assert fresh.param_groups[0]["betas"] == (0.8, 0.9)  # a tuple again after JSON made it a list
    first = fresh.param_groups[0]["params"][0]
    assert fresh.state[first]["exp_avg"].dtype == np.float32
    assert fresh.state[first]["step"] == 1


def _saved_adam():
    model = _model(0)
    optimizer = optim.Adam(_grouped(model), lr=0.01)
    _train(model, optimizer, 1)
    return optimizer.state_dict()


def _drop_group(state):
    state["param_groups"].pop()


def _drop_parameter(state):
    state["param_groups"][1]["params"].pop()


def _wrong_shape(state):
    state["state"][2]["exp_avg"] = np.zeros((4, 5), dtype=np.float32)


def _unknown_index(state):
    state["state"][9] = state["state"].pop(3)


def _no_groups(state):
    del state["param_groups"]


def _bad_eps(state):
    state["param_groups"][0]["eps"] = -1.0


@pytest.mark.parametrize(
    "corrupt, error, match",
    [
        (_drop_group, ShapeError, r"1 parameter groups, this optimizer has 2"),
        (_drop_parameter, ShapeError, r"parameter group 1 holds 1 parameters in the saved state and 2"),
        (_wrong_shape, ShapeError, r"'exp_avg' of parameter 2 has shape \(4, 5\), the parameter has shape \(2, 5\)"),
        (_unknown_index, ModelFileError, r"names parameter 9"),
        (_no_groups, ModelFileError, r"'state' and 'param_groups'"),
        (_bad_eps, ConfigError, r"eps must be non-negative, got -1.0 \(loaded parameter group 0\)"),
    ],
    ids=["group-count", "parameter-count", "array-shape", "unknown-index", "missing-entry", "bad-option"],
)
def test_load_state_dict_rejects_a_mismatch_and_changes_nothing(corrupt, error, match):
    saved = _saved_adam()
    corrupt(saved)
    model = _model(0)
    optimizer = optim.Adam(_grouped(model), lr=0.01)
    _train(model, optimizer, 1)
    before = optimizer.state_dict()
    with pytest.raises(error, match=match):
        optimizer.load_state_dict(saved)
    after = optimizer.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert all(np.array_equal(after["state"][i]["exp_avg"], before["state"][i]["exp_avg"]) for i in range(4))


# -- validation ---------------------------------------------------------------------------------


def _params():
    return [nn.Parameter(np.zeros(3))]


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: optim.SGD(_params(), lr=-0.1), r"SGD: lr must be non-negative, got -0.1"),
        (lambda: optim.SGD(_params(), lr=float("nan")), r"SGD: lr must be non-negative, got nan"),
        (lambda: optim.SGD(_params(), lr="0.1"), r"SGD: lr must be non-negative, got '0.1'"),
        (lambda: optim.SGD(_params(), lr=0.1, momentum=-0.5), r"SGD: momentum must be non-negative, got -0.5"),
        (lambda: optim.SGD(_params(), lr=0.1, dampening=-0.1), r"SGD: dampening must be in \[0, 1\], got -0.1"),
        (lambda: optim.SGD(_params(), lr=0.1, dampening=1.5), r"SGD: dampening must be in \[0, 1\], got 1.5"),
        (lambda: optim.SGD(_params(), lr=0.1, weight_decay=-1), r"SGD: weight_decay must be non-negative, got -1"),
        (lambda: optim.SGD(_params(), lr=0.1, nesterov=True), r"nesterov=True needs momentum > 0 .* got momentum=0"),
        (
            lambda: optim.SGD(_params(), lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
            r"nesterov=True needs .* dampening=0.1",
        ),
        (lambda: optim.SGD(_params(), lr=0.1, maximize="yes"), r"SGD: maximize must be True or False, got 'yes'"),
        (lambda: optim.Adam(_params(), betas=(1.0, 0.999)), r"Adam: betas\[0\] must be in \[0, 1\), got 1.0"),
        (lambda: optim.Adam(_params(), betas=(0.9, -0.1)), r"Adam: betas\[1\] must be in \[0, 1\), got -0.1"),
        (lambda: optim.Adam(_params(), betas=0.9), r"Adam: betas must be a pair \(beta1, beta2\), got 0.9"),
        (lambda: optim.Adam(_params(), eps=-1e-8), r"Adam: eps must be non-negative, got -1e-08"),
        (lambda: optim.Adam(_params(), lr=-1e-3), r"Adam: lr must be non-negative, got -0.001"),
        (lambda: optim.AdamW(_params(), weight_decay=-0.01), r"AdamW: weight_decay must be non-negative, got -0.01"),
        (lambda: optim.RMSprop(_params(), alpha=1.5), r"RMSprop: alpha must be in \[0, 1\], got 1.5"),
        (lambda: optim.RMSprop(_params(), momentum=-1), r"RMSprop: momentum must be non-negative, got -1"),
        (lambda: optim.RMSprop(_params(), eps=-1), r"RMSprop: eps must be non-negative, got -1"),
        (lambda: optim.Adagrad(_params(), lr_decay=-0.1), r"Adagrad: lr_decay must be non-negative, got -0.1"),
        (
            lambda: optim.Adagrad(_params(), initial_accumulator_value=-1),
            r"Adagrad: initial_accumulator_value must be non-negative, got -1",
        ),
        (lambda: optim.Adagrad(_params(), lr=-1), r"Adagrad: lr must be non-negative, got -1"),
        (lambda: optim.NAdam(_params(), momentum_decay=-1), r"NAdam: momentum_decay must be non-negative, got -1"),
        (lambda: optim.NAdam(_params(), betas=(0.9,)), r"NAdam: betas must be a pair \(beta1, beta2\), got \(0.9,\)"),
        (
            lambda: optim.NAdam(_params(), decoupled_weight_decay=1),
            r"NAdam: decoupled_weight_decay must be True or False, got 1",
        ),
        (lambda: optim.RAdam(_params(), betas=(0.9, 1.0)), r"RAdam: betas\[1\] must be in \[0, 1\), got 1.0"),
        (lambda: optim.RAdam(_params(), lr=-1), r"RAdam: lr must be non-negative, got -1"),
        (lambda: optim.Adamax(_params(), eps=-1), r"Adamax: eps must be non-negative, got -1"),
        (lambda: optim.Adamax(_params(), weight_decay=float("inf")), r"Adamax: weight_decay must be non-negative, got inf"),
        (lambda: optim.Adadelta(_params(), rho=1.5), r"Adadelta: rho must be in \[0, 1\], got 1.5"),
        (lambda: optim.Adadelta(_params(), maximize=None), r"Adadelta: maximize must be True or False, got None"),
        (
            lambda: optim.Adadelta([{"params": _params()}, {"params": _params(), "rho": -0.1}]),
            r"Adadelta: rho must be in \[0, 1\], got -0.1 \(parameter group 1\)",
        ),
        (lambda: optim.Rprop(_params(), lr=-0.1), r"Rprop: lr must be non-negative, got -0.1"),
        (lambda: optim.Rprop(_params(), etas=(1.0, 1.2)), r"Rprop: etas\[0\] must be in \(0, 1\), got 1.0"),
        (lambda: optim.Rprop(_params(), etas=(0.5, 1.0)), r"Rprop: etas\[1\] must be greater than 1, got 1.0"),
        (lambda: optim.Rprop(_params(), etas=0.5), r"Rprop: etas must be a pair \(etaminus, etaplus\), got 0.5"),
        (lambda: optim.Rprop(_params(), step_sizes=(1e-6,)), r"Rprop: step_sizes must be a pair \(min, max\)"),
        (lambda: optim.Rprop(_params(), step_sizes=(-1, 50)), r"Rprop: step_sizes\[0\] must be non-negative, got -1"),
        (lambda: optim.Rprop(_params(), step_sizes=(1, 0.5)), r"Rprop: step_sizes\[1\] must be at least 1, got 0.5"),
        (lambda: optim.ASGD(_params(), lr=-1), r"ASGD: lr must be non-negative, got -1"),
        (lambda: optim.ASGD(_params(), weight_decay=-0.1), r"ASGD: weight_decay must be non-negative, got -0.1"),
        (lambda: optim.ASGD(_params(), lambd=-1e-4), r"ASGD: lambd must be non-negative, got -0.0001"),
        (lambda: optim.ASGD(_params(), t0=float("inf")), r"ASGD: t0 must be non-negative, got inf"),
        (lambda: optim.ASGD(_params(), maximize=1), r"ASGD: maximize must be True or False, got 1"),
        (lambda: optim.Adafactor(_params(), lr=-1), r"Adafactor: lr must be non-negative, got -1"),
        (lambda: optim.Adafactor(_params(), beta2_decay=0.5), r"Adafactor: beta2_decay must be at most 0, got 0.5"),
        (lambda: optim.Adafactor(_params(), eps=(-1e-3, 1e-3)), r"Adafactor: eps\[0\] must be non-negative, got -0.001"),
        (lambda: optim.Adafactor(_params(), eps=(None, -1)), r"Adafactor: eps\[1\] must be non-negative, got -1"),
        (lambda: optim.Adafactor(_params(), eps=1e-3), r"Adafactor: eps must be a pair \(eps1 or None, eps2\), got 0.001"),
        (lambda: optim.Adafactor(_params(), d=0.5), r"Adafactor: d must be at least 1, got 0.5"),
        (lambda: optim.Adafactor(_params(), weight_decay=-1), r"Adafactor: weight_decay must be non-negative, got -1"),
        (lambda: optim.SGD([], lr=0.1), r"SGD: got an empty parameter list"),
        (lambda: optim.Adam([{"params": []}]), r"Adam: parameter group 0 has an empty parameter list"),
        (
            lambda: optim.SGD([{"params": _params()}, {"params": _params(), "lr": -2}], lr=0.1),
            r"SGD: lr must be non-negative, got -2 \(parameter group 1\)",
        ),
        (lambda: optim.SGD([{"lr": 0.1}], lr=0.1), r"parameter group 0 has no 'params' entry"),
    ],
)
def test_impossible_options_raise_config_error(build, match):
    with pytest.raises(ConfigError, match=match) as raised:
        build()
    assert isinstance(raised.value, ValueError)


def test_a_parameter_listed_twice_is_rejected():
    p, q = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(3))
    with pytest.raises(ConfigError, match=r"parameter of shape \(2,\) at position 2 of parameter group 0 appears twice"):
        optim.SGD([p, q, p], lr=0.1)
    with pytest.raises(ConfigError, match=r"position 0 of parameter group 1 appears twice"):
        optim.Adam([{"params": [p]}, {"params": [p, q]}])
    optimizer = optim.SGD([p], lr=0.1)
    with pytest.raises(ConfigError, match="appears twice"):
        optimizer.add_param_group({"params": [q, p]})
    assert len(optimizer.param_groups) == 1


@pytest.mark.parametrize(
    "params, match",
    [
        (nn.Parameter(np.zeros(2)), "got a single tensor"),
        ({nn.Parameter(np.zeros(2))}, "not a set"),
        ([np.zeros(2)], "holds a ndarray at position 0"),
    ],
    ids=["tensor", "set", "array"],
)
def test_params_of_the_wrong_kind_raise_type_error(params, match):
    with pytest.raises(TypeError, match=match):
        optim.SGD(params, lr=0.1)


def test_a_computed_tensor_cannot_be_optimized():
    p = nn.Parameter(np.ones(2))
    with pytest.raises(ConfigError, match="leaf tensors only"):
        optim.SGD([p * 2], lr=0.1)


# -- the contract of step() ---------------------------------------------------------------------


def test_zero_grad_sets_none_or_zeros():
    model = _model(0)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    x, y = _batch()
    nn.MSELoss()(model(x), y).backward()
    assert all(p.grad is not None for p in model.parameters())
    optimizer.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in model.parameters())
    optimizer.zero_grad()
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_parameters_without_a_gradient_are_left_alone(name):
    used, unused = nn.Parameter(np.ones(3)), nn.Parameter(np.ones(4))
    optimizer = FACTORIES[name]([used, unused])  # the options include weight decay where there is one
    for _ in range(3):
        optimizer.zero_grad()
        (used * dp.tensor([1.0, -2.0, 3.0])).sum().backward()
        optimizer.step()
    assert unused.grad is None
    assert np.array_equal(unused.data, np.ones(4, dtype=np.float32))
    if name == "Adagrad":  # its state is made with it, as PyTorch's, and left at its start
        assert optimizer.state[unused]["step"] == 0
        assert np.array_equal(optimizer.state[unused]["sum"], np.full(4, optimizer.defaults["initial_accumulator_value"]))
    else:
        assert unused not in optimizer.state
    assert not np.allclose(used.data, 1.0)


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_step_updates_in_place_and_leaves_grad_and_graph_alone(name, maximize):
    model = _model(0)
    optimizer = FACTORIES[name](model.parameters())
    for group in optimizer.param_groups:
        group["maximize"] = maximize
    x, y = _batch()
    nn.MSELoss()(model(x), y).backward()
    arrays = [p.data for p in model.parameters()]
    starts = [p.data.copy() for p in model.parameters()]
    grads = [p.grad.copy() for p in model.parameters()]
    optimizer.step()
    for p, array, start, grad in zip(model.parameters(), arrays, starts, grads):
        assert p.data is array, "the update must write into the parameter's own array"
        assert not np.array_equal(p.data, start)
        assert np.array_equal(p.grad, grad), "step() must not modify p.grad"
        assert p.is_leaf and p.grad_fn is None
    # maximize climbs the loss: the first step moves against the direction of the minimizing one
    first_weight = next(model.parameters())
    moved = first_weight.data - starts[0]
    assert (np.sum(moved * grads[0]) > 0) == maximize


def test_step_returns_the_closure_loss():
    model = _model(0)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    x, y = _batch()

    def closure():
        optimizer.zero_grad()
        loss = nn.MSELoss()(model(x), y)
        loss.backward()
        return loss

    with dp.no_grad():  # the closure records its graph even so
        first = optimizer.step(closure)
    second = optimizer.step(closure)
    assert second.item() < first.item()


def test_add_param_group_takes_the_defaults():
    p, q = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(3))
    optimizer = optim.SGD([p], lr=0.1, momentum=0.9)
    optimizer.add_param_group({"params": q, "lr": 0.01})
    assert optimizer.param_groups[1]["params"] == [q]
    assert optimizer.param_groups[1]["lr"] == 0.01
    assert optimizer.param_groups[1]["momentum"] == 0.9
    assert "Parameter Group 1" in repr(optimizer)


def test_sgd_takes_pytorchs_positional_order():
    # torch.optim.SGD(params, lr, momentum, dampening, weight_decay, nesterov): weight decay before nesterov.
    p = nn.Parameter(np.zeros(2))
    group = optim.SGD([p], 0.1, 0.9, 0, 1e-4, True).param_groups[0]
    assert (group["momentum"], group["dampening"], group["weight_decay"], group["nesterov"]) == (0.9, 0, 1e-4, True)
    assert optim.SGD([p]).param_groups[0]["lr"] == 1e-3  # PyTorch's default rate
    with pytest.raises(TypeError):
        optim.SGD([p], 0.1, 0, 0, 0, False, False)  # maximize is keyword-only, as in PyTorch


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_a_rate_of_zero_is_allowed_and_its_state_loads(name):
    # A warm-up from 0 or a cosine schedule that ends at eta_min = 0 sets lr = 0; PyTorch accepts it,
    # and a checkpoint taken there must load (it was refused as "lr must be positive").
    p = nn.Parameter(np.ones(3))
    optimizer = FACTORIES[name]([p])
    for group in optimizer.param_groups:
        group["lr"] = 0.0
    p.grad = np.full(3, 0.5, dtype=np.float32)
    optimizer.step()
    state = optimizer.state_dict()
    restored = FACTORIES[name]([nn.Parameter(np.ones(3))])
    restored.load_state_dict(state)
    assert restored.param_groups[0]["lr"] == 0.0
    zero = FACTORIES[name]([nn.Parameter(np.ones(3))])
    for group in zero.param_groups:
        group.update(lr=0, weight_decay=0)  # with no decay, a rate of 0 leaves the weights alone
        if name == "Rprop":  # (lr only seeds Rprop's step sizes, which are then clipped to step_sizes[0])
            group.update(step_sizes=(0.0, 50.0))
    zero.param_groups[0]["params"][0].grad = np.ones(3, dtype=np.float32)
    zero.step()
    assert np.array_equal(zero.param_groups[0]["params"][0].data, np.ones(3, dtype=np.float32))


def test_sgd_momentum_by_hand():
    # w = 1, constant gradient 2, lr 0.1, momentum 0.9:
    # step 1: b = 2,              w = 1 − 0.1·2 = 0.8
    # step 2: b = 0.9·2 + 2 = 3.8, w = 0.8 − 0.1·3.8 = 0.42
    w = nn.Parameter(np.array([1.0]))
    optimizer = optim.SGD([w], lr=0.1, momentum=0.9)
    for expected in (0.8, 0.42):
        w.grad = np.array([2.0])
        optimizer.step()
        assert w.data[0] == pytest.approx(expected, abs=1e-12)
    assert optimizer.state[w]["momentum_buffer"][0] == pytest.approx(3.8, abs=1e-12)


def test_adam_first_step_by_hand():
    # After one step m̂ = g and v̂ = g², so every weight moves by lr·g / (|g| + eps) ≈ lr·sign(g).
    w = nn.Parameter(np.array([1.0, 1.0, 1.0]))
    w.grad = np.array([3.0, -0.5, 1e-3])
    optim.Adam([w], lr=0.1).step()
    np.testing.assert_allclose(w.data, 1.0 - 0.1 * w.grad / (np.abs(w.grad) + 1e-8), rtol=1e-12)


# -- learning something ---------------------------------------------------------------------------


def _accuracy(model, x: np.ndarray, labels: np.ndarray) -> float:
    with dp.no_grad():
        return float((model(dp.tensor(x)).data.argmax(axis=1) == labels).mean())


def _fit(model, optimizer, x: np.ndarray, labels: np.ndarray, max_steps: int) -> float:
    """Full-batch training until every training point is classified correctly (or max_steps)."""
    inputs, targets = dp.tensor(x), dp.tensor(labels)
    loss_fn = nn.CrossEntropyLoss()
    for step in range(max_steps):
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
        if step % 25 == 24 and _accuracy(model, x, labels) == 1.0:
            break
    return _accuracy(model, x, labels)


def _spirals(points_per_class: int = 150, seed: int = 0):
    """Two interleaved spirals, two turns each, one rotated half a turn from the other."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.1, 1.0, points_per_class)
    xs, labels = [], []
    for label in (0, 1):
        angle = 4 * np.pi * t + label * np.pi
        points = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
        xs.append(points + rng.normal(scale=0.01, size=points.shape))
        labels.append(np.full(points_per_class, label))
    return np.concatenate(xs).astype(np.float32), np.concatenate(labels)


XOR_OPTIMIZERS = {
    "SGD-momentum": lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
    "Adam": lambda params: optim.Adam(params, lr=0.05),
    "RMSprop": lambda params: optim.RMSprop(params, lr=0.01),
    "Adagrad": lambda params: optim.Adagrad(params, lr=0.3),
    "NAdam": lambda params: optim.NAdam(params, lr=0.05),
    "RAdam": lambda params: optim.RAdam(params, lr=0.05),
    "Adamax": lambda params: optim.Adamax(params, lr=0.05),
    "Adadelta": lambda params: optim.Adadelta(params, lr=1.0),
    "Rprop": lambda params: optim.Rprop(params, lr=0.01),
    "ASGD": lambda params: optim.ASGD(params, lr=0.3),
    "Adafactor": lambda params: optim.Adafactor(params, lr=0.05),
}


@pytest.mark.parametrize("name", sorted(XOR_OPTIMIZERS))
def test_xor_is_learned(name):
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    labels = np.array([0, 1, 1, 0])
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    assert _fit(model, XOR_OPTIMIZERS[name](model.parameters()), x, labels, max_steps=2000) == 1.0


SPIRAL_OPTIMIZERS = {
    "SGD-nesterov": lambda params: optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True),
    "Adam": lambda params: optim.Adam(params, lr=0.02),
    "AdamW": lambda params: optim.AdamW(params, lr=0.02),
    "RMSprop": lambda params: optim.RMSprop(params, lr=0.005),
}


@pytest.mark.parametrize("name", sorted(SPIRAL_OPTIMIZERS))
def test_two_spirals_are_learned(name):
    x, labels = _spirals()
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))
    assert _accuracy(model, x, labels) < 0.8  # not already solved by the initial weights
    assert _fit(model, SPIRAL_OPTIMIZERS[name](model.parameters()), x, labels, max_steps=4000) == 1.0


@pytest.mark.parametrize(
    "make, damage",
    [
        (lambda ps: optim.Adam(ps, lr=0.01), lambda entry: entry.pop("exp_avg")),
        (lambda ps: optim.Adam(ps, lr=0.01), lambda entry: entry.update(step="3")),
        (lambda ps: optim.SGD(ps, lr=0.01, momentum=0.9), lambda entry: entry.pop("momentum_buffer")),
        (lambda ps: optim.RMSprop(ps, lr=0.01, centered=True), lambda entry: entry.pop("grad_avg")),
        (lambda ps: optim.Adagrad(ps, lr=0.01), lambda entry: entry.update(step=-1)),
        (lambda ps: optim.NAdam(ps, lr=0.01), lambda entry: entry.pop("mu_product")),
        (lambda ps: optim.NAdam(ps, lr=0.01), lambda entry: entry.update(mu_product=float("nan"))),
        (lambda ps: optim.NAdam(ps, lr=0.01), lambda entry: entry.update(mu_product="0.9")),
        (lambda ps: optim.RAdam(ps, lr=0.01), lambda entry: entry.pop("exp_avg_sq")),
        (lambda ps: optim.Adamax(ps, lr=0.01), lambda entry: entry.pop("exp_inf")),
        (lambda ps: optim.Adadelta(ps), lambda entry: entry.pop("acc_delta")),
        (lambda ps: optim.Rprop(ps), lambda entry: entry.pop("step_size")),
        (lambda ps: optim.ASGD(ps), lambda entry: entry.update(eta=None)),
        (lambda ps: optim.ASGD(ps), lambda entry: entry.pop("ax")),
        (lambda ps: optim.Adafactor(ps), lambda entry: entry.pop("col_var")),
    ],
)
def test_a_damaged_parameter_state_is_refused_at_load_not_at_the_next_step(make, damage):
    from deltaprop.errors import ModelFileError

    layer = nn.Linear(3, 2)
    optimizer = make(layer.parameters())
    layer(np.ones((4, 3), np.float32)).sum().backward()
    optimizer.step()
    saved = optimizer.state_dict()
    damage(saved["state"][0])
    fresh = make(layer.parameters())
    before = {p: dict(entry) for p, entry in fresh.state.items()}  # (Adagrad's, made with it)
    with pytest.raises(ModelFileError, match="parameter 0"):
        fresh.load_state_dict(saved)
    assert fresh.state.keys() == before.keys()  # nothing was half-loaded
    assert all(fresh.state[p][key] is value for p, entry in before.items() for key, value in entry.items())
