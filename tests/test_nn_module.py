"""Module, Parameter and the containers: registration, walking the tree, state, modes, dtypes, repr."""

import json
import warnings

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, ShapeError


class Net(nn.Module):
    """Two levels of nesting, a container, a plain attribute and a buffer."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
        self.head = nn.Linear(3, 2)
        self.scale = nn.Parameter(np.ones(2))
        self.note = "not registered"
        self.plain = dp.tensor([1.0, 2.0], requires_grad=True)  # a Tensor, not a Parameter
        self.register_buffer("running", np.zeros(2, dtype=np.float32))
        self.register_buffer("count", np.zeros(1, dtype=np.int64))

    def forward(self, x, factor=1.0):
        return self.head(self.encoder(x)) * self.scale * factor


# A module's own parameters come before its children's, as in PyTorch.
NET_PARAMETERS = ["scale", "encoder.0.weight", "encoder.0.bias", "head.weight", "head.bias"]


# -- registration and walking the tree --------------------------------------------------------------

def test_assignment_registers_parameters_and_modules_with_dotted_names():
    net = Net()
    assert [name for name, _ in net.named_parameters()] == NET_PARAMETERS
    assert list(net.parameters()) == [p for _, p in net.named_parameters()]
    assert [name for name, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert [name for name, _ in net.head.named_parameters()] == ["weight", "bias"]
    assert [name for name, _ in net.named_parameters(prefix="model")] == ["model." + n for n in NET_PARAMETERS]
    assert net.encoder[0].weight is dict(net.named_parameters())["encoder.0.weight"]
    assert net.num_parameters() == 4 * 3 + 3 + 3 * 2 + 2 + 2


def test_children_and_modules():
    net = Net()
    assert list(net.children()) == [net.encoder, net.head]
    assert [name for name, _ in net.named_children()] == ["encoder", "head"]
    assert list(net.modules()) == [net, net.encoder, net.encoder[0], net.encoder[1], net.head]
    assert [name for name, _ in net.named_modules()] == ["", "encoder", "encoder.0", "encoder.1", "head"]


def test_reassigning_or_deleting_an_attribute_unregisters_it():
    net = Net()
    net.head = nn.Identity()
    assert "head.weight" not in dict(net.named_parameters())
    net.scale = None
    assert "scale" not in dict(net.named_parameters())
    del net.encoder
    assert list(net.children()) == [net.head]
    assert not hasattr(net, "encoder")


def test_assigning_a_new_array_to_a_buffer_keeps_it_registered():
    net = Net()
    net.running = np.full(2, 5.0, dtype=np.float32)
    np.testing.assert_array_equal(net.state_dict()["running"], [5.0, 5.0])
    assert net.double().running.dtype == np.float64
    net.running = dp.tensor([1.0, 2.0])  # a tensor too, as in PyTorch (its array is kept)
    np.testing.assert_array_equal(net.state_dict()["running"], [1.0, 2.0])
    assert isinstance(net.running, np.ndarray)
    with pytest.raises(TypeError, match="cannot assign a str as buffer 'running'"):  # as PyTorch refuses it
        net.running = "not an array"  # (it was a plain attribute: the buffer left state_dict silently)
    np.testing.assert_array_equal(net.state_dict()["running"], [1.0, 2.0])


def test_assigning_a_tensor_to_a_parameter_is_refused():
    # It would silently drop the weight from parameters(), the optimizer and state_dict().
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign a Tensor as parameter 'weight'"):
        layer.weight = dp.tensor(np.eye(2, dtype=np.float32), requires_grad=True)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    layer.weight = nn.Parameter(np.eye(2, dtype=np.float32))  # a Parameter replaces it
    assert np.array_equal(dict(layer.named_parameters())["weight"].data, np.eye(2))
    layer.bias = None  # and None removes it, as bias=False would
    assert list(layer.state_dict()) == ["weight"]


def test_a_shared_layer_is_in_the_state_dict_under_every_path():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(list(model.parameters())) == 2  # parameters() lists each once
    state = model.state_dict()
    state["0.weight"] = np.full((2, 2), 3.0)
    state["2.weight"] = np.full((2, 2), 3.0)
    model.load_state_dict(state)
    assert np.all(shared.weight.data == 3.0)
    # A state with one path of the shared weights (as saved before every path was listed) loads too.
    model.load_state_dict({"0.weight": np.ones((2, 2)), "0.bias": np.zeros(2)})
    assert np.all(shared.weight.data == 1.0)
    with pytest.raises(ShapeError, match="missing keys: 2.weight, 2.bias"):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)).load_state_dict({"0.weight": np.ones((2, 2)), "0.bias": np.zeros(2)})


def test_load_state_dict_writes_buffers_in_place():
    norm = nn.BatchNorm1d(3)
    held = norm.running_mean
    norm.load_state_dict({**norm.state_dict(), "running_mean": np.arange(3.0)})
    assert norm.running_mean is held
    np.testing.assert_array_equal(held, [0.0, 1.0, 2.0])


def test_module_zero_grad_to_none_or_zeros():
    layer = nn.Linear(2, 1)
    layer(dp.tensor(np.ones((1, 2)))).sum().backward()
    layer.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in layer.parameters())
    layer.zero_grad()
    assert all(p.grad is None for p in layer.parameters())


def test_assigning_before_init_is_an_error():
    class Broken(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(np.ones(2))

    with pytest.raises(AttributeError, match="super"):
        Broken()


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    assert len(list(model.parameters())) == 2
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]  # every path, as in PyTorch
    assert list(model.modules()).count(shared) == 1

    tied = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    tied[1].weight = tied[0].weight
    assert [name for name, _ in tied.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    # The shared weight collects the gradient of both uses.
    tied(dp.randn(2, 4)).sum().backward()
    assert tied[0].weight.grad is not None and tied[0].weight.grad.shape == (4, 4)


def test_parameter():
    p = nn.Parameter([[1, 2], [3, 4]])
    assert p.requires_grad and p.dtype == np.float32 and p.is_leaf
    assert nn.Parameter(np.zeros(3), requires_grad=False).requires_grad is False
    assert nn.Parameter(np.zeros(3, dtype=np.float64)).dtype == np.float64
    assert repr(p).startswith("Parameter containing:\ntensor(")


def test_call_runs_forward_with_arguments():
    net = Net()
    x = dp.randn(5, 4)
    np.testing.assert_allclose(net(x, factor=2.0).data, 2 * net.forward(x).data, rtol=1e-6)


def test_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        nn.Module()(dp.randn(2))


def test_apply_visits_every_module_children_first():
    net = Net()
    visited = []
    assert net.apply(lambda m: visited.append(type(m).__name__)) is net
    assert visited == ["Linear", "ReLU", "Sequential", "Linear", "Net"]  # each subtree in order, then its root (PyTorch)


def test_linear_is_one_primitive_and_skips_the_gradient_of_data():
    layer = nn.Linear(3, 2)
    x = dp.randn(4, 3)
    out = layer(x)
    assert out.grad_fn.name() == "LinearBackward0"
    assert out._parents == (x, layer.weight, layer.bias)  # x·Wᵀ + b is one node, not three
    out.sum().backward()
    assert x.grad is None and layer.weight.grad.shape == (2, 3) and layer.bias.grad.shape == (2,)


@pytest.mark.parametrize("order", ["C", "F"])
def test_linear_input_gradient_keeps_the_input_memory_order(order):
    """A column-major input (a flattened feature map stored batch-last) gets a column-major
    gradient, the same numbers as for a row-major one, so nothing below has to transpose it."""
    rng = np.random.default_rng(0)
    data, w, g = rng.standard_normal((6, 5)), rng.standard_normal((4, 5)), rng.standard_normal((6, 4))
    x = dp.tensor(np.array(data, order=order), requires_grad=True, dtype=np.float64)
    weight = dp.tensor(w, requires_grad=True, dtype=np.float64)
    nn.functional.linear(x, weight).backward(g)
    np.testing.assert_allclose(x.grad, g @ w, rtol=1e-12)
    assert x.grad.flags.f_contiguous == (order == "F") and x.grad.flags.c_contiguous == (order == "C")
    assert dp.gradcheck(nn.functional.linear, [x, weight])


@pytest.mark.parametrize("layer, function", [
    (nn.ReLU(), "relu"), (nn.LeakyReLU(0.2), "leaky_relu"), (nn.Sigmoid(), "sigmoid"), (nn.Tanh(), "tanh"),
    (nn.Softmax(dim=0), "softmax"), (nn.LogSoftmax(dim=1), "log_softmax"), (nn.GELU("tanh"), "gelu"),
    (nn.ELU(0.5), "elu"), (nn.Identity(), "identity"), (nn.Flatten(0, 1), "flatten"),
    (nn.Dropout(0.3).eval(), "dropout"),
    (nn.SiLU(), "silu"), (nn.Softplus(2.0, 1.0), "softplus"), (nn.Mish(), "mish"), (nn.SELU(), "selu"),
    (nn.CELU(0.5), "celu"), (nn.Hardtanh(-0.5, 0.5), "hardtanh"), (nn.ReLU6(), "relu6"), (nn.LogSigmoid(), "logsigmoid"),
    (nn.Softsign(), "softsign"), (nn.Hardswish(), "hardswish"), (nn.Hardsigmoid(), "hardsigmoid"),
    (nn.Softmin(dim=1), "softmin"), (nn.Tanhshrink(), "tanhshrink"), (nn.Threshold(0.1, -2.0), "threshold"),
])
def test_every_layer_has_its_function_form(layer, function):
    x = dp.randn(3, 4, 2)
    arguments = dict(layer.config())
    if function == "dropout":
        arguments["training"] = False
    np.testing.assert_array_equal(getattr(nn.functional, function)(x, **arguments).data, layer(x).data)


# The activations PyTorch computes for floating-point tensors only (its "not implemented for 'Long'").
FLOATING_ONLY = {"celu", "elu", "gelu", "hardsigmoid", "hardswish", "leaky_relu", "logsigmoid", "mish", "selu",
                 "silu", "softplus"}


@pytest.mark.parametrize("name", sorted(nn.activation.ELEMENTWISE))
def test_an_activation_of_integers_computes_what_it_computes_of_their_floats_or_refuses(name):
    # GELU gave [[0, 0, 0, 2]] (int64): its values were cast back to the integers' dtype. fit hands
    # integer features on to the first layer as they are: a layer PyTorch refuses them for refuses them.
    values = np.array([[-2, 0, 1, 3]])
    layer = nn.activation.ELEMENTWISE[name]()
    if name in FLOATING_ONLY:
        with pytest.raises(TypeError, match=r"not implemented for int64 tensors.*\.float\(\)"):
            layer(values)
    else:
        np.testing.assert_allclose(layer(values).data, layer(values.astype(np.float32)).data, rtol=1e-6)


@pytest.mark.parametrize("loss, function", [
    (nn.MSELoss(), "mse_loss"), (nn.L1Loss(reduction="sum"), "l1_loss"), (nn.HuberLoss(delta=0.3), "huber_loss"),
    (nn.BCEWithLogitsLoss(pos_weight=[2.0, 1.0]), "binary_cross_entropy_with_logits"),
])
def test_every_loss_has_its_function_form(loss, function):
    x, y = dp.randn(5, 2), dp.rand(5, 2)
    np.testing.assert_allclose(getattr(nn.functional, function)(x, y, **loss.config()).data, loss(x, y).data)


def test_fused_losses_are_one_primitive():
    logits = dp.randn(4, 3, requires_grad=True)
    assert nn.CrossEntropyLoss()(logits, [0, 1, 2, 0]).grad_fn.name() == "CrossEntropyBackward0"
    assert nn.BCEWithLogitsLoss()(logits, dp.rand(4, 3))._op == "binary_cross_entropy_with_logits"


# -- state -----------------------------------------------------------------------------------------

def test_state_dict_holds_parameters_and_buffers_by_dotted_name():
    net = Net()
    state = net.state_dict()
    assert sorted(state) == sorted(NET_PARAMETERS + ["running", "count"])
    assert all(isinstance(value, np.ndarray) for value in state.values())
    np.testing.assert_array_equal(state["head.weight"], net.head.weight.data)


def test_state_dict_is_a_snapshot():
    net = Net()
    snapshot = net.state_dict()
    before = {name: value.copy() for name, value in snapshot.items()}
    # "Training": an in-place update of every parameter and buffer.
    net(dp.randn(3, 4)).sum().backward()
    for parameter in net.parameters():
        parameter.data -= 0.5 * parameter.grad
    net.running += 1.0
    for name, value in snapshot.items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)
    # And writing into the snapshot leaves the model alone.
    snapshot["head.bias"][:] = 100.0
    assert not np.any(net.head.bias.data == 100.0)


def test_load_state_dict_round_trip_copies_in_place():
    source, target = Net(), Net()
    weight_array = target.head.weight.data
    source.running[:] = 3.0
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert target.head.weight.data is weight_array  # copied into, not replaced
    state = source.state_dict()
    target.load_state_dict(state)
    state["head.weight"][:] = 7.0
    assert not np.any(target.head.weight.data == 7.0)


def test_load_state_dict_accepts_tensors_and_keeps_the_parameter_dtype():
    layer = nn.Linear(2, 2)
    layer.load_state_dict({"weight": dp.tensor(np.eye(2), dtype=np.float64), "bias": [1, 2]})
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    np.testing.assert_array_equal(layer.weight.data, np.eye(2))
    np.testing.assert_array_equal(layer.bias.data, [1.0, 2.0])


@pytest.mark.parametrize("change, words", [
    (lambda s: s.pop("head.bias"), ["missing keys: head.bias"]),
    (lambda s: s.update({"head.extra": np.zeros(1)}), ["unexpected keys: head.extra"]),
    (lambda s: s.update({"head.weight": np.zeros((3, 2))}),
     ["wrong shapes: head.weight (expected (2, 3), got (3, 2))"]),
    (lambda s: (s.pop("scale"), s.pop("running"), s.update({"other": 1.0})),
     ["missing keys: scale, running", "unexpected keys: other"]),
])
def test_strict_load_state_dict_names_the_problem_keys(change, words):
    net = Net()
    state = net.state_dict()
    change(state)
    with pytest.raises(ShapeError) as error:
        net.load_state_dict(state)
    for expected in words:
        assert expected in str(error.value)
    assert "Net" in str(error.value)


def test_non_strict_load_state_dict_reports_and_loads_the_rest():
    net = Net()
    state = Net().state_dict()
    state.pop("head.bias")
    state["surplus"] = np.zeros(3)
    result = net.load_state_dict(state, strict=False)
    assert result == (["head.bias"], ["surplus"])
    assert result.missing_keys == ["head.bias"] and result.unexpected_keys == ["surplus"]
    np.testing.assert_array_equal(net.head.weight.data, state["head.weight"])
    # A wrongly shaped array is an error even when not strict: nothing could be loaded into it.
    state["head.weight"] = np.zeros(5)
    with pytest.raises(ShapeError, match="head.weight"):
        net.load_state_dict(state, strict=False)


# -- modes and gradients ---------------------------------------------------------------------------

def test_train_and_eval_reach_every_module():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5), nn.ReLU()))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    assert model.train() is model
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not model[1][0].training
    x = dp.ones(20, 2)
    np.testing.assert_array_equal(model[1][0](x).data, x.data)  # dropout is off in eval mode


def test_zero_grad_forgets_every_gradient():
    net = Net()
    net(dp.randn(3, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


# -- dtypes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("convert, dtype", [
    (lambda m: m.double(), np.float64),
    (lambda m: m.to(np.float64), np.float64),
    (lambda m: m.to("float64"), np.float64),
    (lambda m: m.to(dp.float16), np.float16),
    (lambda m: m.double().float(), np.float32),
])
def test_to_converts_parameters_grads_and_float_buffers(convert, dtype):
    net = Net()
    net(dp.randn(3, 4)).sum().backward()
    assert convert(net) is net
    for name, parameter in net.named_parameters():
        assert parameter.dtype == dtype, name
        assert parameter.grad.dtype == dtype, name
    assert net.running.dtype == dtype
    assert net.count.dtype == np.int64  # integer buffers are counts, not weights
    assert dict(net.named_buffers())["running"].dtype == dtype


def test_double_model_computes_in_float64():
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh()).double()
    out = model(dp.randn(4, 3))  # float32 data is taken in the model's dtype
    assert out.dtype == np.float64


def test_loss_weights_follow_the_module_dtype():
    loss = nn.CrossEntropyLoss(weight=[1.0, 2.0]).double()
    assert loss.weight.dtype == np.float64
    assert nn.BCEWithLogitsLoss(pos_weight=[2.0]).double().pos_weight.dtype == np.float64


@pytest.mark.parametrize("dtype", [np.int32, "int64", bool, None, "text"])
def test_to_refuses_a_non_float_dtype(dtype):
    with pytest.raises(ConfigError, match="dtype"):
        nn.Linear(2, 2).to(dtype)


# -- repr ------------------------------------------------------------------------------------------

def test_repr_reads_like_pytorch():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Sequential(nn.Dropout(0.25), nn.Linear(3, 2, bias=False)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.25, inplace=False)\n"
        "    (1): Linear(in_features=3, out_features=2, bias=False)\n"
        "  )\n"
        ")"
    )
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Tanh()

        def extra_repr(self):
            return "width=3"

    assert repr(Block()) == "Block(\n  width=3\n  (inner): Tanh()\n)"
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"


# -- containers ------------------------------------------------------------------------------------

def test_sequential_indexing_slicing_iteration():
    layers = [nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2), nn.Sigmoid()]
    model = nn.Sequential(*layers)
    assert len(model) == 4
    assert model[0] is layers[0] and model[-1] is layers[-1]
    assert list(model) == layers
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    assert list(model[::2]) == [layers[0], layers[2]]
    with pytest.raises(IndexError):
        model[4]
    x = dp.randn(5, 4)
    expected = x
    for layer in layers:
        expected = layer(expected)
    np.testing.assert_allclose(model(x).data, expected.data)
    np.testing.assert_allclose(model[2:](model[:2](x)).data, expected.data)


def test_sequential_append_registers_the_layer():
    model = nn.Sequential(nn.Linear(2, 3))
    assert model.append(nn.Tanh()).append(nn.Linear(3, 1)) is model
    assert len(model) == 3
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert model(dp.randn(4, 2)).shape == (4, 1)


@pytest.mark.parametrize("build", [
    lambda: nn.Sequential(nn.ReLU(), lambda x: x),
    lambda: nn.Sequential().append(3),
    lambda: nn.ModuleList([nn.ReLU(), "relu"]),
    lambda: nn.ModuleList().append(np.zeros(2)),
])
def test_containers_hold_only_modules(build):
    with pytest.raises(TypeError, match="not a Module"):
        build()


def test_empty_sequential_is_the_identity():
    x = dp.randn(2, 3)
    assert nn.Sequential()(x) is x


def test_module_list_registers_its_items():
    class Tower(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(3, 3) for _ in range(2)])
            self.blocks.append(nn.Linear(3, 1))

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    tower = Tower()
    assert len(tower.blocks) == 3
    assert [name for name, _ in tower.named_parameters()][:2] == ["blocks.0.weight", "blocks.0.bias"]
    assert len(list(tower.parameters())) == 6
    assert tower.blocks[-1].out_features == 1
    assert isinstance(tower.blocks[:2], nn.ModuleList) and len(tower.blocks[:2]) == 2
    tower.blocks.extend([nn.ReLU()])
    assert len(tower.blocks) == 4
    assert tower(dp.randn(2, 3)).shape == (2, 1)


# -- config ----------------------------------------------------------------------------------------

LAYERS = [
    nn.Linear(5, 3), nn.Linear(4, 2, bias=False), nn.Linear(3, 3, dtype=np.float64),
    nn.ReLU(), nn.LeakyReLU(0.3), nn.Sigmoid(), nn.Tanh(), nn.Softmax(dim=0), nn.LogSoftmax(dim=1),
    nn.GELU(approximate="tanh"), nn.ELU(alpha=0.5), nn.Identity(), nn.Flatten(0, 2), nn.Dropout(0.2), nn.Dropout(1, inplace=True),
    nn.SiLU(), nn.Softplus(beta=0.5, threshold=4.0), nn.Mish(), nn.SELU(), nn.CELU(alpha=2.0),
    nn.Hardtanh(min_val=-2.0, max_val=float("inf")), nn.ReLU6(), nn.PReLU(num_parameters=4, init=-0.5, dtype=np.float64),
    nn.LogSigmoid(), nn.Softsign(), nn.Hardswish(), nn.Hardsigmoid(), nn.Softmin(dim=0), nn.Tanhshrink(),
    nn.Threshold(0.5, -1.0),
    nn.MSELoss(reduction="sum"), nn.L1Loss(reduction="none"), nn.HuberLoss(delta=0.5),
    nn.BCELoss(weight=[0.5, 2.0]), nn.BCEWithLogitsLoss(reduction="sum", pos_weight=[3.0, 1.0]),
    nn.CrossEntropyLoss(weight=[1.0, 2.0, 0.5], label_smoothing=0.1), nn.NLLLoss(weight=[1.0, 3.0]),
    nn.Unflatten(-1, (2, -1)), nn.Dropout1d(0.3), nn.Dropout2d(inplace=True), nn.SmoothL1Loss(reduction="sum", beta=0.5),
    nn.KLDivLoss(reduction="batchmean", log_target=True),
    nn.GLU(dim=1), nn.Hardshrink(0.3), nn.Softshrink(lambd=1.5), nn.Softmax2d(), nn.AlphaDropout(0.1),
    nn.Bilinear(3, 4, 2), nn.Bilinear(2, 2, 5, bias=False, dtype=np.float64),
    nn.MarginRankingLoss(margin=0.5, reduction="sum"), nn.HingeEmbeddingLoss(2.0), nn.CosineEmbeddingLoss(-0.5),
    nn.TripletMarginLoss(margin=0.5, p=1.0, eps=0.0, swap=True, reduction="none"), nn.SoftMarginLoss(reduction="sum"),
    nn.MultiLabelSoftMarginLoss(weight=[1.0, 0.5, 2.0]), nn.PoissonNLLLoss(log_input=False, full=True, eps=1e-6),
    nn.GaussianNLLLoss(full=True, eps=1e-3, reduction="none"),
    nn.MultiMarginLoss(p=2, margin=0.5, weight=[1.0, 2.0, 0.5], reduction="sum"), nn.MultiLabelMarginLoss(reduction="none"),
    nn.TripletMarginWithDistanceLoss(margin=0.5, swap=True),
    nn.RReLU(0.1, 0.2, inplace=True), nn.RReLU(), nn.FeatureAlphaDropout(0.3), nn.Dropout3d(0.25),
    nn.CTCLoss(blank=2, reduction="sum", zero_infinity=True),
]
with warnings.catch_warnings():  # (NLLLoss2d is deprecated, as in PyTorch, and says so when made)
    warnings.simplefilter("ignore", FutureWarning)
    LAYERS.append(nn.NLLLoss2d(weight=[1.0, 3.0], ignore_index=2))


@pytest.mark.filterwarnings("ignore:nn.NLLLoss2d is deprecated:FutureWarning")  # (rebuilding one warns again)
@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_config_rebuilds_an_equal_layer(layer):
    config = json.loads(json.dumps(layer.config()))  # what a saved architecture holds
    rebuilt = type(layer)(**config)
    assert rebuilt.config() == layer.config()
    assert repr(rebuilt) == repr(layer)
    ours, theirs = layer.state_dict(), rebuilt.state_dict()
    assert list(ours) == list(theirs)
    for name in ours:
        assert ours[name].shape == theirs[name].shape and ours[name].dtype == theirs[name].dtype, name
        if name in dict(layer.named_buffers()):
            np.testing.assert_array_equal(ours[name], theirs[name])


def test_every_layer_is_covered_by_the_config_test():
    """New layers in these files must join LAYERS above (conv and friends are tested with their file)."""
    mine = {"deltaprop.nn.layers", "deltaprop.nn.activation", "deltaprop.nn.loss"}
    classes = {getattr(nn, name) for name in nn.__all__}
    layer_classes = {c for c in classes if isinstance(c, type) and issubclass(c, nn.Module) and c.__module__ in mine}
    assert layer_classes == {type(layer) for layer in LAYERS}


def test_prelu_takes_its_weight_through_the_function_form():
    layer = nn.PReLU(num_parameters=3, init=0.2)
    x = dp.randn(2, 3, 4)
    np.testing.assert_array_equal(nn.functional.prelu(x, layer.weight).data, layer(x).data)
    assert [name for name, _ in layer.named_parameters()] == ["weight"] and layer.weight.shape == (3,)
    np.testing.assert_array_equal(layer.weight.data, np.full(3, 0.2, np.float32))


def test_container_config_is_empty_and_children_carry_the_architecture():
    assert nn.Sequential(nn.ReLU()).config() == {}
    assert nn.ModuleList([nn.ReLU()]).config() == {}


def test_a_child_held_twice_is_one_child_as_in_pytorch():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.Tanh(), layer)
    assert [name for name, _ in model.named_children()] == ["0", "1"]
    visits = []
    model.apply(lambda m: visits.append(type(m).__name__))
    assert visits == ["Linear", "Tanh", "Sequential"]  # PyTorch's apply visits the shared layer once
    assert model(np.ones((1, 2), dtype=np.float32)).shape == (1, 2)  # and the forward still uses it twice


def test_a_sequential_of_named_layers_as_in_pytorch():
    from collections import OrderedDict

    torch = pytest.importorskip("torch")
    layers = [("fc1", (2, 3)), ("act", None), ("fc2", (3, 1))]
    ours = nn.Sequential(OrderedDict((n, nn.Linear(*s) if s else nn.ReLU()) for n, s in layers))
    theirs = torch.nn.Sequential(OrderedDict((n, torch.nn.Linear(*s) if s else torch.nn.ReLU()) for n, s in layers))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert ours.fc2 is ours[2] and isinstance(ours.act, nn.ReLU)
    # a slice keeps the names of the layers it takes, named or numbered
    assert list(ours[1:].state_dict()) == list(theirs[1:].state_dict()) == ["fc2.weight", "fc2.bias"]
    numbered, numbered_torch = nn.Sequential(nn.ReLU(), nn.Linear(2, 2)), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 2))
    assert list(numbered[1:].state_dict()) == list(numbered_torch[1:].state_dict()) == ["1.weight", "1.bias"]
    assert nn.Sequential({"only": nn.Tanh()}).only is not None  # a plain dict keeps its order too


@pytest.mark.parametrize("layers, error, message", [
    ({"a.b": nn.ReLU()}, KeyError, "without '.'"),
    ({"": nn.ReLU()}, KeyError, "non-empty"),
    ({"forward": nn.ReLU()}, KeyError, "attribute 'forward' already exists"),
    ({"x": 3}, TypeError, "item 0 is a int, not a Module"),
])
def test_bad_layer_names_are_refused(layers, error, message):
    with pytest.raises(error, match=message):
        nn.Sequential(layers)


def test_a_layer_put_in_place_of_another_keeps_its_place_as_in_pytorch():
    from collections import OrderedDict

    torch = pytest.importorskip("torch")
    ours = nn.Sequential(OrderedDict(fc1=nn.Linear(3, 4), act=nn.ReLU(), fc2=nn.Linear(4, 2)))
    theirs = torch.nn.Sequential(OrderedDict(fc1=torch.nn.Linear(3, 4), act=torch.nn.ReLU(), fc2=torch.nn.Linear(4, 2)))
    ours.act = nn.Tanh()  # (it moved to the end: the network ran fc1, fc2, tanh)
    theirs.act = torch.nn.Tanh()
    ours.add_module("fc1", nn.Linear(3, 4))
    theirs.add_module("fc1", torch.nn.Linear(3, 4))
    assert list(ours._modules) == list(theirs._modules) == ["fc1", "act", "fc2"]
    ours.load_state_dict({name: value.numpy() for name, value in theirs.state_dict().items()})
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    # and a parameter replaced keeps its place in state_dict
    layer = nn.Linear(3, 2)
    layer.weight = nn.Parameter(np.zeros((2, 3), np.float32))
    assert list(layer.state_dict()) == ["weight", "bias"]


def test_a_module_name_that_is_not_text_is_a_type_error_as_in_pytorch():
    from collections import OrderedDict

    with pytest.raises(TypeError, match="a module name must be a string, got int 0"):
        nn.Sequential(OrderedDict([(0, nn.ReLU())]))


def test_none_keeps_a_layers_place_and_what_is_no_layer_is_refused_as_in_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 3))
    for model, tanh in ((ours, nn.Tanh()), (theirs, torch.nn.Tanh())):
        setattr(model, "1", None)
        setattr(model, "1", tanh)  # (it went to the end: Linear, Linear, Tanh ran)
    assert list(ours._modules) == list(theirs._modules) == ["0", "1", "2"]
    assert isinstance(ours[1], nn.Tanh)
    layer = nn.Linear(2, 2)
    layer.weight = None
    layer.weight = nn.Parameter(np.eye(2, dtype=np.float32))
    assert list(layer.state_dict()) == ["weight", "bias"]
    with pytest.raises(TypeError, match="cannot assign a str as the layer '1'"):
        setattr(ours, "1", "relu")
    with pytest.raises(TypeError, match="cannot assign a function as the layer '1'"):
        setattr(ours, "1", dp.nn.functional.relu)
    assert isinstance(ours[1], nn.Tanh)  # refused: nothing changed


def test_a_parameter_put_in_place_of_a_buffer_becomes_a_parameter_as_in_pytorch():
    norm = nn.BatchNorm1d(2)
    norm.running_mean = nn.Parameter(np.zeros(2, np.float32))
    assert "running_mean" in dict(norm.named_parameters())
    assert "running_mean" not in dict(norm.named_buffers())
    norm.num_batches_tracked = norm.num_batches_tracked + 1  # a NumPy number for a 0-d buffer: kept as one
    assert int(norm.state_dict()["num_batches_tracked"]) == 1


def test_load_state_dict_refuses_values_that_are_not_numbers_before_copying_any():
    """A state dict with text in one entry raised NumPy's 'could not convert string to float' after
    copying the entries before it: a half-loaded model. Now one sentence names the key and dtype,
    and the model keeps every weight it had."""
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    before = {key: value.copy() for key, value in model.state_dict().items()}
    state = {key: np.zeros_like(value) for key, value in before.items()}
    state["1.bias"] = np.array(["a", "b"])
    for strict in (True, False):
        with pytest.raises(ValueError, match=r"^load_state_dict into Sequential: values that are not numbers: "
                                             r"1\.bias \(<U1\)$"):
            model.load_state_dict(state, strict=strict)
        for key, value in model.state_dict().items():
            np.testing.assert_array_equal(value, before[key])
