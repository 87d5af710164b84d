"""nn.Module's API against PyTorch 2.13's, by running the same calls on a torch.nn model and on
the deltaprop.nn model built by the same code: names, orders, reprs, values and the class of each
error. Each ``build(nn, array)`` below serves both libraries (``array`` makes a buffer's value:
a tensor for PyTorch, a NumPy array for deltaprop, whose buffers hold arrays)."""

import copy
from collections import OrderedDict

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import nn as dnn  # noqa: E402
from deltaprop import optim as doptim  # noqa: E402


def torch_array(*shape):
    return torch.zeros(*shape)


def numpy_array(*shape):
    return np.zeros(shape, dtype=np.float32)


TWINS = [(torch.nn, torch_array), (dnn, numpy_array)]


def net(nn, array):
    """Nested custom modules, a container, a module held under two names, a parameter of the root,
    and buffers persistent and not."""

    class Inner(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 3)
            self.register_buffer("run", array(3))
            self.register_buffer("scratch", array(2), persistent=False)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = Inner()
            self.b = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
            self.shared = self.a
            self.p = nn.Parameter(array(2) + 1)

    return Net()


def both(call):
    """``call(nn, array)`` run with each library: its result, or the class of the error it raised."""
    results = []
    for nn, array in TWINS:
        try:
            results.append(call(nn, array))
        except Exception as error:  # noqa: BLE001 (the class is what is compared)
            results.append(("raised", _builtin_class(error)))
    return results


def _builtin_class(error) -> type:
    """The built-in exception class an error is (deltaprop's own derive from them)."""
    for cls in (KeyError, IndexError, TypeError, AttributeError, RuntimeError, ValueError, NotImplementedError):
        if isinstance(error, cls):
            return cls
    return type(error)


def assert_same(call):
    theirs, ours = both(call)
    assert ours == theirs


def names(pairs):
    return [name for name, _ in pairs]


# -- walking the tree --------------------------------------------------------------------------------

@pytest.mark.parametrize("walk", [
    lambda m: names(m.named_parameters()),
    lambda m: names(m.named_parameters(prefix="model", remove_duplicate=False)),
    lambda m: names(m.named_parameters(recurse=False)),
    lambda m: names(m.named_buffers()),
    lambda m: names(m.named_buffers(remove_duplicate=False)),
    lambda m: names(m.a.named_buffers(prefix="x", recurse=False)),
    lambda m: len(list(m.buffers(recurse=False))),
    lambda m: names(m.named_modules()),
    lambda m: names(m.named_modules(prefix="root", remove_duplicate=False)),
    lambda m: names(m.named_modules(memo={m.a})),
    lambda m: len(list(m.modules(remove_duplicate=False))),
    lambda m: names(m.named_children()),
    lambda m: tuple(m.get_parameter("a.fc.weight").shape),
    lambda m: tuple(m.get_buffer("shared.run").shape),
    lambda m: type(m.get_submodule("b.1")).__name__,
], ids=["parameters", "parameters-all", "parameters-own", "buffers", "buffers-all", "buffers-own", "own-buffers",
        "modules", "modules-all", "modules-memo", "modules-count", "children", "get_parameter", "get_buffer",
        "get_submodule"])
def test_walking_the_tree_lists_what_pytorch_lists(walk):
    assert_same(lambda nn, array: walk(net(nn, array)))


def test_named_modules_fills_the_memo_it_is_given_as_pytorch_does():
    def walk(nn, array):
        model = net(nn, array)
        memo = set()
        list(model.b.named_modules(memo=memo))
        return sorted(type(module).__name__ for module in memo), names(model.named_modules(memo=memo))

    assert_same(walk)


@pytest.mark.parametrize("target", ["a.fc.nope", "a.run", "a.fc.bias.x", "zz.weight", "p"])
def test_get_parameter_refuses_what_pytorch_refuses(target):
    assert_same(lambda nn, array: tuple(net(nn, array).get_parameter(target).shape))


@pytest.mark.parametrize("target", ["a.nope", "a.fc.weight", "a.scratch", "b.0.run"])
def test_get_buffer_refuses_and_finds_what_pytorch_does(target):
    assert_same(lambda nn, array: tuple(net(nn, array).get_buffer(target).shape))


@pytest.mark.parametrize("target, strict", [("b.1", False), ("b.1", True), ("b.5", False), ("b.5", True),
                                            ("", False), ("a.fc.weight", False), ("zz.y", False), ("c", False)])
def test_set_submodule_puts_a_layer_where_pytorch_puts_it(target, strict):
    def put(nn, array):
        model = net(nn, array)
        model.set_submodule(target, nn.Tanh(), strict=strict)
        return repr(model.b), names(model.named_modules())

    assert_same(put)


def test_set_submodule_refuses_what_is_no_module_as_pytorch_does():
    assert_same(lambda nn, array: net(nn, array).set_submodule("b.1", "relu"))


# -- registration --------------------------------------------------------------------------------------

def _registered(kind, name, value):
    def register(nn, array):
        module = nn.Linear(2, 2)
        if kind == "buffer":
            module.register_buffer(name, value(nn, array))
        elif kind == "parameter":
            module.register_parameter(name, value(nn, array))
        else:
            getattr(module, kind)(name, value(nn, array))
        return list(module._parameters), list(module._buffers), list(module._modules), list(module.state_dict())
    return register


NAMES = ["x", "a.b", "", 3, "training", "weight", "forward"]
VALUES = {
    "buffer": [lambda nn, array: array(2), lambda nn, array: None, lambda nn, array: "text", lambda nn, array: [1.0]],
    "parameter": [lambda nn, array: nn.Parameter(array(2)), lambda nn, array: None, lambda nn, array: array(2)],
    "add_module": [lambda nn, array: nn.ReLU(), lambda nn, array: None, lambda nn, array: 3],
    "register_module": [lambda nn, array: nn.ReLU()],
}


@pytest.mark.parametrize("kind, value", [(kind, value) for kind, values in VALUES.items() for value in values])
@pytest.mark.parametrize("name", NAMES)
def test_registering_checks_names_and_values_as_pytorch_does(kind, value, name):
    assert_same(_registered(kind, name, value))


@pytest.mark.parametrize("kind", ["buffer", "parameter", "module"])
def test_registering_before_init_is_an_attribute_error_as_in_pytorch(kind):
    def early(nn, array):
        class Early(nn.Module):
            def __init__(self):
                if kind == "buffer":
                    self.register_buffer("x", array(2))
                elif kind == "parameter":
                    self.register_parameter("x", nn.Parameter(array(2)))
                else:
                    self.x = nn.ReLU()

        Early()

    assert_same(early)


@pytest.mark.parametrize("change", [
    lambda m, nn, array: setattr(m, "run", array(5)),
    lambda m, nn, array: setattr(m, "run", None),
    lambda m, nn, array: setattr(m, "scratch", array(4)),
    lambda m, nn, array: setattr(m, "run", nn.Parameter(array(3))),
    lambda m, nn, array: setattr(m, "scratch", nn.ReLU()),
    lambda m, nn, array: delattr(m, "scratch"),
    lambda m, nn, array: (delattr(m, "scratch"), m.register_buffer("scratch", array(1))),
    lambda m, nn, array: m.register_buffer("scratch", array(1)),
    lambda m, nn, array: m.register_buffer("run", array(1), persistent=False),
    lambda m, nn, array: setattr(m, "fc", None),
    lambda m, nn, array: setattr(m.fc, "bias", None),
    lambda m, nn, array: setattr(m.fc, "weight", nn.ReLU()),
    lambda m, nn, array: setattr(m, "fc", "text"),
    lambda m, nn, array: delattr(m, "nothing"),
], ids=["new-buffer-array", "buffer-none", "non-persistent-array", "buffer-to-parameter", "buffer-to-module",
        "del-buffer", "del-and-register", "register-again", "register-non-persistent", "module-none", "parameter-none",
        "module-as-parameter", "text-as-module", "del-missing"])
def test_assigning_and_deleting_keep_the_registries_as_pytorch_does(change):
    def changed(nn, array):
        model = net(nn, array).a
        change(model, nn, array)
        return (list(model._parameters), list(model._buffers), list(model._modules), list(model.state_dict()),
                names(model.named_buffers()), names(model.named_parameters()))

    assert_same(changed)


# -- state --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [{}, {"prefix": "model."}, {"keep_vars": True}])
def test_state_dict_keys_are_pytorchs_without_the_non_persistent_buffers(options):
    assert_same(lambda nn, array: list(net(nn, array).state_dict(**options)))


def test_state_dict_fills_the_destination_it_is_given():
    def fill(nn, array):
        destination = OrderedDict(first=1)
        returned = net(nn, array).a.state_dict(destination=destination, prefix="a.")
        return returned is destination, list(destination)

    assert_same(fill)


def test_keep_vars_gives_the_parameters_and_buffers_themselves():
    def kept(nn, array):
        model = net(nn, array)
        state = model.state_dict(keep_vars=True)
        return state["a.fc.weight"] is model.a.fc.weight, state["shared.run"] is model.a.run, state["p"] is model.p

    assert_same(kept)


def _as(nn, value):
    return torch.tensor(np.asarray(value)) if nn is torch.nn else np.asarray(value)


def _state(nn, model):
    return {key: (value.detach().numpy() if nn is torch.nn else value).copy() for key, value in model.state_dict().items()}


@pytest.mark.parametrize("change, strict", [
    (lambda state: None, True),
    (lambda state: state.pop("b.0.bias"), False),
    (lambda state: state.update(extra=np.zeros(1)), False),
    (lambda state: state.update(**{"a.scratch": np.zeros(2)}), False),
    (lambda state: (state.pop("p"), state.update(extra=np.zeros(1))), False),
    (lambda state: state.pop("b.0.bias"), True),
    (lambda state: state.update(extra=np.zeros(1)), True),
    (lambda state: state.update(**{"b.0.weight": np.zeros((2, 3))}), False),
], ids=["all", "missing", "unexpected", "non-persistent", "both", "strict missing", "strict unexpected", "shape"])
def test_load_state_dict_returns_and_refuses_as_pytorch(change, strict):
    def load(nn, array):
        model = net(nn, array)
        state = _state(nn, model)
        change(state)
        result = model.load_state_dict({key: _as(nn, value) for key, value in state.items()}, strict=strict)
        text = repr(result).replace("_IncompatibleKeys", "IncompatibleKeys")
        return text, str(result) == repr(result), result.missing_keys, result.unexpected_keys, tuple(result)

    assert_same(load)


def test_load_state_dict_refuses_what_is_no_mapping_as_pytorch_does():
    assert_same(lambda nn, array: nn.Linear(2, 2).load_state_dict([("weight", array(2, 2))]))


def test_load_state_dict_copies_in_place_and_casts_to_the_parameters_dtype():
    def load(nn, array):
        layer = nn.Linear(2, 2)
        weight = layer.weight
        layer.load_state_dict({"weight": _as(nn, np.ones((2, 2))), "bias": _as(nn, np.array([1, 2]))})
        return layer.weight is weight, str(layer.weight.dtype)[-7:], str(layer.bias.dtype)[-7:], layer.bias.tolist()

    assert_same(load)


def test_load_state_dict_with_assign_puts_the_given_values_in_as_pytorch_does():
    def load(nn, array):
        layer = nn.BatchNorm1d(2)
        weight, mean = layer.weight, layer.running_mean
        layer.weight.requires_grad_(False)
        values = {key: _as(nn, value) for key, value in _state(nn, layer).items()}
        values["weight"] = _as(nn, np.array([2.0, 3.0]))  # float64
        values["running_mean"] = _as(nn, np.array([5.0, 6.0], dtype=np.float32))
        layer.load_state_dict(values, assign=True)
        values["running_mean"][0] = 7.0  # assigned, so the buffer is that array (that tensor)
        shared = float(layer.running_mean[0])
        return (layer.weight is weight, layer.running_mean is mean, type(layer.weight).__name__,
                str(layer.weight.dtype)[-7:], layer.weight.requires_grad, layer.bias.requires_grad, shared,
                names(layer.named_parameters()), list(layer.state_dict()))

    assert_same(load)


def test_assigning_a_parameter_keeps_that_parameter():
    def load(nn, array):
        layer = nn.Linear(2, 2)
        given = nn.Parameter(array(2, 2) + 1)
        layer.load_state_dict({"weight": given, "bias": array(2)}, assign=True)
        return layer.weight is given, names(layer.named_parameters())

    assert_same(load)


def test_the_loaded_model_computes_what_pytorchs_does():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 2)).astype(np.float32)
    theirs, ours = net(torch.nn, torch_array), net(dnn, numpy_array)
    for assign in (False, True):
        ours.load_state_dict({key: value.detach().numpy().copy() for key, value in theirs.state_dict().items()},
                             assign=assign)
        expected = theirs.b(theirs.a.fc(torch.tensor(x)))
        np.testing.assert_allclose(ours.b(ours.a.fc(x)).data, expected.detach().numpy(), rtol=1e-6, atol=1e-6)


# -- gradients, modes, dtypes -------------------------------------------------------------------------

def _twin_linears():
    theirs = torch.nn.Linear(3, 2)
    ours = dnn.Linear(3, 2)
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
    return theirs, ours


@pytest.mark.parametrize("zero", [lambda model: model.zero_grad(set_to_none=False),
                                  lambda model: (torch.optim if isinstance(model, torch.nn.Module) else doptim).SGD(
                                      model.parameters(), lr=0.1).zero_grad(set_to_none=False)],
                         ids=["module", "optimizer"])
def test_zero_grad_without_set_to_none_zeroes_the_gradient_in_place_as_pytorch(zero):
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    theirs, ours = _twin_linears()
    theirs(torch.tensor(x)).sum().backward()
    ours(x).sum().backward()
    held_theirs, held_ours = theirs.weight.grad, ours.weight.grad
    zero(theirs)
    zero(ours)
    assert (theirs.weight.grad is held_theirs) == (ours.weight.grad is held_ours) is True
    np.testing.assert_array_equal(ours.weight.grad, theirs.weight.grad.numpy())
    theirs(torch.tensor(x)).sum().backward()
    ours(x).sum().backward()  # and the next gradients accumulate onto the zeros as PyTorch's
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("mode", [True, False, 0, 1, None, "yes"])
def test_train_takes_a_bool_only_as_pytorch(mode):
    assert_same(lambda nn, array: [m.training for m in net(nn, array).train(mode).modules()])


def test_train_reaches_each_child_through_its_own_train_as_in_pytorch():
    def frozen(nn, array):
        class FrozenNorm(nn.Module):
            def __init__(self):
                super().__init__()
                self.norm = nn.BatchNorm1d(2)

            def train(self, mode=True):
                super().train(mode)
                self.norm.eval()  # the statistics stay frozen
                return self

        model = nn.Sequential(FrozenNorm(), nn.Dropout())
        return [m.training for m in model.train().modules()], [m.training for m in model.eval().modules()]

    assert_same(frozen)


@pytest.mark.parametrize("flag", [False, True, "no", 0])
def test_requires_grad_takes_a_bool_only_as_pytorch(flag):
    assert_same(lambda nn, array: [p.requires_grad for p in net(nn, array).requires_grad_(flag).parameters()])


@pytest.mark.parametrize("convert", [
    lambda m: m.half(), lambda m: m.double(), lambda m: m.double().float(),
    lambda m: m.type(torch.float64 if isinstance(m, torch.nn.Module) else dp.float64),
    lambda m: m.type("torch.DoubleTensor"),
], ids=["half", "double", "float", "type(dtype)", "type(name)"])
def test_dtype_conversions_convert_what_pytorchs_convert(convert):
    def dtypes(nn, array):
        model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
        weight = model[0].weight
        assert convert(model) is model
        assert model[0].weight is weight
        tensors = [*model.parameters(), *model.buffers()]
        return [str(t.dtype).removeprefix("torch.") for t in tensors]

    assert_same(dtypes)


def test_parameter_of_nothing_is_empty_as_in_pytorch():
    assert_same(lambda nn, array: (tuple(nn.Parameter().shape), str(nn.Parameter().dtype).removeprefix("torch."),
                                   nn.Parameter().requires_grad))


# -- copies and reprs ---------------------------------------------------------------------------------

def test_a_deep_copy_keeps_shared_layers_and_tied_weights_shared_as_pytorch():
    def copied(nn, array):
        model = net(nn, array)
        tied = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
        tied[1].weight = tied[0].weight
        model.a.fc(array(1, 2) + 1).sum().backward()
        model.a.fc.bias.requires_grad_(False)
        clone, tied_clone = copy.deepcopy(model), copy.deepcopy(tied)
        return (clone.a is clone.shared, clone.a.fc.weight is not model.a.fc.weight, names(clone.named_parameters()),
                list(clone.state_dict()), tied_clone[1].weight is tied_clone[0].weight, len(list(tied_clone.parameters())),
                model.a.fc.weight.grad is not None, clone.a.fc.weight.grad, clone.a.fc.bias.requires_grad,
                clone.a.fc.weight.tolist() == model.a.fc.weight.tolist())

    assert_same(copied)


def test_reprs_of_a_tree_as_pytorch_prints_them():
    def printed(nn, array):
        class Settings(nn.Module):
            def __init__(self, children):
                super().__init__()
                if children:
                    self.inner = nn.Sequential(nn.ReLU(), Settings(False))

            def extra_repr(self):
                return "width=3\nheight=4"

        return [repr(Settings(True)), repr(Settings(False)), repr(net(nn, array)),
                repr(nn.ModuleList([nn.Linear(1, 1) for _ in range(4)] + [nn.ReLU(), nn.Tanh(), nn.Tanh()])),
                repr(nn.ModuleList([nn.ReLU()])), repr(nn.ModuleList()),
                repr(nn.ModuleList([nn.Sequential(nn.ReLU(), nn.ReLU()), nn.Sequential(nn.ReLU(), nn.ReLU())]))]

    theirs, ours = both(printed)
    assert ours == theirs


@pytest.mark.parametrize("use", [
    lambda d, P: list(d.copy()),
    lambda d, P: d.copy()["a"] is d["a"],
    lambda d, P: list(reversed(d)),
    lambda d, P: list(d.fromkeys(["x", "y"], P(2))),
    lambda d, P: (type(d | {"z": P(1), "c": P(1)}).__name__, list(d | {"z": P(1), "c": P(1)})),
    lambda d, P: (type({"z": P(1)} | d).__name__, list({"z": P(1)} | d)),
    lambda d, P: list(d.__ior__({"q": P(1)})),
    lambda d, P: (d.popitem()[0], list(d)),
    lambda d, P: (d.clear(), d.popitem()),
], ids=["copy", "copy-shares", "reversed", "fromkeys", "or", "ror", "ior", "popitem", "popitem-empty"])
def test_a_parameter_dict_answers_a_dicts_methods_as_pytorchs(use):
    def answer(nn, array):
        def parameter(*shape):
            return nn.Parameter(array(*shape))

        return use(nn.ParameterDict({"b": parameter(1), "a": parameter(2)}), parameter)

    assert_same(answer)


def test_dir_leaves_out_the_numbered_children_as_pytorchs():
    assert_same(lambda nn, array: [name in dir(nn.Sequential(nn.Linear(1, 1))) for name in ("0", "forward", "training")])


def test_the_parameter_dict_prints_the_legacy_type_name_as_pytorch():
    theirs = repr(torch.nn.ParameterDict({"b": torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))}))
    ours = repr(dnn.ParameterDict({"b": dnn.Parameter(np.zeros(2))}))
    assert ours == theirs.replace("torch.", "deltaprop.") == "ParameterDict(  (b): Parameter containing: [deltaprop.DoubleTensor of size 2])"


# Layers whose options PyTorch keeps as given, so an int prints as an int.
NUMBER_OPTIONS = [
    ("Dropout", (1,)), ("Dropout", (0,)), ("Dropout1d", (1,)), ("Dropout2d", (0,)), ("Dropout3d", (1,)),
    ("AlphaDropout", (0,)), ("FeatureAlphaDropout", (1,)), ("LeakyReLU", (1,)), ("ELU", (2,)), ("CELU", (2,)),
    ("Hardtanh", (-2, 2)), ("Hardtanh", (-1.5, 1)), ("Softplus", (2, 10)), ("Threshold", (1, 2)),
    ("Hardshrink", (1,)), ("Softshrink", (1,)), ("RReLU", (0, 1)), ("BatchNorm1d", (3, 1, 1)),
    ("BatchNorm2d", (3, 1, None)), ("InstanceNorm1d", (3, 1, 1)), ("LayerNorm", (3, 1)), ("GroupNorm", (1, 3, 1)),
    ("RMSNorm", (3, 1)), ("LocalResponseNorm", (2, 1, 1, 2)), ("GRU", (2, 3, 2, True, False, 1)),
    ("Dropout", (np.float64(0.25),)), ("LeakyReLU", (np.int64(2),)),
]


@pytest.mark.parametrize("name, arguments", NUMBER_OPTIONS, ids=lambda value: repr(value))
def test_a_layer_shows_its_options_as_pytorch_keeps_them(name, arguments):
    assert repr(getattr(dnn, name)(*arguments)) == repr(getattr(torch.nn, name)(*arguments))
