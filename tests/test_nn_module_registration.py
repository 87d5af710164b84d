"""Registering parameters, buffers and modules (PyTorch's name and value checks), walking the tree
(named_modules' memo, prefix and remove_duplicate; named_parameters' and named_buffers'), dotted
paths (get_parameter, get_buffer, set_submodule), modes, dtype conversions and reprs.
(tests/reference/test_torch_module_api.py runs the same calls on PyTorch.)"""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError


def tree():
    block = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    model = nn.Sequential(block, nn.Linear(2, 1), block)  # the block held twice
    model[0].register_buffer("seen", np.zeros(2, np.float32))
    return model


# -- registering --------------------------------------------------------------------------------------

@pytest.mark.parametrize("register", [
    lambda m, name: m.register_buffer(name, np.zeros(2)),
    lambda m, name: m.register_parameter(name, nn.Parameter(np.zeros(2))),
    lambda m, name: m.add_module(name, nn.ReLU()),
    lambda m, name: m.register_module(name, nn.ReLU()),
], ids=["buffer", "parameter", "module", "register_module"])
@pytest.mark.parametrize("name, error, message", [
    (3, TypeError, r"Linear: a \w+ name must be a string, got int 3"),
    ("a.b", KeyError, r"Linear: a \w+ name must be non-empty text without '\.', got 'a\.b'"),
    ("", KeyError, r"Linear: a \w+ name must be non-empty text without '\.', got ''"),
    ("training", KeyError, r"Linear: attribute 'training' already exists; choose another \w+ name"),
    ("forward", KeyError, r"Linear: attribute 'forward' already exists"),
])
def test_a_bad_name_is_refused_in_one_sentence(register, name, error, message):
    layer = nn.Linear(2, 2)
    with pytest.raises(error, match=message):
        register(layer, name)
    assert list(layer._parameters) == ["weight", "bias"] and not layer._buffers and not layer._modules


def test_a_name_taken_by_another_kind_is_refused_and_the_same_kind_replaced():
    layer = nn.Linear(2, 2)
    with pytest.raises(KeyError, match="attribute 'weight' already exists; choose another buffer name"):
        layer.register_buffer("weight", np.zeros(2))
    with pytest.raises(KeyError, match="attribute 'weight' already exists; choose another module name"):
        layer.add_module("weight", nn.ReLU())
    replacement = nn.Parameter(np.ones((2, 2), np.float32))
    layer.register_parameter("weight", replacement)
    assert layer.weight is replacement and list(layer._parameters) == ["weight", "bias"]


@pytest.mark.parametrize("value, message", [
    ("text", "Module: cannot assign a str as buffer 'x' \\(an array, a tensor or None expected\\)"),
    ([1.0, 2.0], "cannot assign a list as buffer 'x'"),
    (True, "cannot assign a bool as buffer 'x'"),
])
def test_a_buffer_is_an_array_a_tensor_a_number_or_none(value, message):
    module = nn.Module()
    with pytest.raises(TypeError, match=message):
        module.register_buffer("x", value)
    module.register_buffer("x", dp.tensor([1.0, 2.0]))
    assert isinstance(module.x, np.ndarray) and module._buffers["x"] is module.x
    module.register_buffer("x", np.float32(3.0))
    assert module.x.shape == () and module.x == 3.0
    module.register_buffer("x", None)
    assert module.x is None and list(module.state_dict()) == []


def test_a_module_that_is_not_one_is_refused_before_its_name_as_in_pytorch():
    with pytest.raises(TypeError, match="module 'a.b' must be a Module or None, got a int"):
        nn.Module().add_module("a.b", 3)


def test_registering_before_init_says_to_call_it():
    class Early(nn.Module):
        def __init__(self):
            self.register_buffer("x", np.zeros(2))

    with pytest.raises(AttributeError, match=r"Early: call super\(\).__init__\(\) before registering a buffer"):
        Early()


# -- walking the tree ---------------------------------------------------------------------------------

def test_remove_duplicate_false_lists_a_shared_block_under_each_name():
    model = tree()
    assert [n for n, _ in model.named_modules()] == ["", "0", "0.0", "0.1", "1"]
    assert [n for n, _ in model.named_modules(remove_duplicate=False)] == ["", "0", "0.0", "0.1", "1", "2", "2.0", "2.1"]
    assert len(list(model.modules(remove_duplicate=False))) == 8
    assert [n for n, _ in model.named_parameters(remove_duplicate=False)] == [
        "0.0.weight", "0.0.bias", "1.weight", "1.bias", "2.0.weight", "2.0.bias"]
    assert [n for n, _ in model.named_buffers(prefix="net", remove_duplicate=False)] == ["net.0.seen", "net.2.seen"]
    assert [n for n, _ in model.named_buffers()] == ["0.seen"]


def test_a_memo_skips_its_modules_and_collects_the_others():
    model = tree()
    memo = {model[1]}
    assert [n for n, _ in model.named_modules(memo=memo, prefix="m")] == ["m", "m.0", "m.0.0", "m.0.1"]
    assert memo == {model, model[0], model[0][0], model[0][1], model[1]}


def test_recurse_false_gives_the_modules_own_buffers():
    model = tree()
    assert list(model.buffers(recurse=False)) == [] and len(list(model[0].buffers(recurse=False))) == 1
    assert [n for n, _ in model[0].named_buffers(recurse=False)] == ["seen"]


# -- dotted paths ---------------------------------------------------------------------------------------

def test_get_parameter_and_get_buffer_follow_dotted_paths():
    model = tree()
    assert model.get_parameter("0.0.weight") is model[0][0].weight
    assert model.get_buffer("2.seen") is model[0].seen
    norm = nn.BatchNorm1d(2, track_running_stats=False)
    assert norm.get_buffer("running_mean") is None  # registered as None: given as None, as in PyTorch


@pytest.mark.parametrize("call, message", [
    (lambda m: m.get_parameter("0.0.nothing"), "get_parameter: '0.0' (Linear) has no attribute 'nothing', in '0.0.nothing'"),
    (lambda m: m.get_parameter("0.seen"), "get_parameter: 'seen' of '0' (Sequential) is not a parameter, in '0.seen'"),
    (lambda m: m.get_parameter("3.weight"), "get_submodule: the model (Sequential) has no sub-module '3', in '3'"),
    (lambda m: m.get_parameter("training"), "get_parameter: 'training' of the model (Sequential) is not a parameter, in 'training'"),
    (lambda m: m.get_buffer("0.0.weight"), "get_buffer: 'weight' of '0.0' (Linear) is not a buffer, in '0.0.weight'"),
    (lambda m: m.get_buffer("seen"), "get_buffer: the model (Sequential) has no attribute 'seen', in 'seen'"),
], ids=["no-parameter", "buffer-as-parameter", "no-module", "attribute-as-parameter", "parameter-as-buffer", "no-buffer"])
def test_a_wrong_path_names_its_wrong_part(call, message):
    with pytest.raises(AttributeError, match="^" + message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.") + "$"):
        call(tree())


def test_get_parameter_refuses_an_absent_optional_weight():
    with pytest.raises(AttributeError, match="get_parameter: 'bias' is None, not a parameter"):
        nn.Linear(2, 2, bias=False).get_parameter("bias")


def test_set_submodule_replaces_in_place_or_adds_a_child():
    model = tree()
    model.set_submodule("0.1", nn.Tanh())
    assert isinstance(model[2][1], nn.Tanh) and list(model[0]._modules) == ["0", "1"]  # (the shared block)
    model.set_submodule("1.extra", nn.ReLU())
    assert isinstance(model[1].extra, nn.ReLU)
    with pytest.raises(AttributeError, match=r"set_submodule: '0' \(Sequential\) has no sub-module '5' to replace "
                                             r"\(strict=True\), in '0\.5'"):
        model.set_submodule("0.5", nn.ReLU(), strict=True)
    with pytest.raises(AttributeError, match=r"set_submodule: 'weight' of '1' \(Linear\) is not a module"):
        model.set_submodule("1.weight", nn.ReLU())
    with pytest.raises(ValueError, match="set_submodule: the target must be the dotted path of a sub-module, got ''"):
        model.set_submodule("", nn.ReLU())
    with pytest.raises(ValueError, match="set_submodule: the module to set at '0.1' must be a Module, got a str"):
        model.set_submodule("0.1", "relu")


# -- modes, flags and dtypes ----------------------------------------------------------------------------

@pytest.mark.parametrize("mode", [0, 1, None, "eval", np.bool_(True)])
def test_train_takes_true_or_false_only(mode):
    model = tree()
    with pytest.raises(ValueError, match=f"Sequential.train: mode must be True or False, got {mode!r}"):
        model.train(mode)
    assert all(m.training for m in model.modules())


def test_train_goes_through_each_childs_own_train():
    calls = []

    class Logged(nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    model = nn.Sequential(nn.Sequential(Logged()), Logged())
    model.eval()
    model.train()
    assert calls == [False, False, True, True]


@pytest.mark.parametrize("flag", ["no", 0, None])
def test_requires_grad_takes_true_or_false_only(flag):
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=f"requires_grad_: requires_grad must be True or False, got {flag!r}"):
        layer.requires_grad_(flag)
    assert layer.weight.requires_grad_(np.bool_(False)).requires_grad is False


def test_half_and_type_convert_parameters_gradients_and_buffers():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    weight = model[0].weight
    model(dp.randn(3, 2)).sum().backward()
    assert model.half() is model and model[0].weight is weight
    assert weight.dtype == np.float16 and weight.grad.dtype == np.float16
    assert model[1].running_var.dtype == np.float16 and model[1].num_batches_tracked.dtype == np.int64
    assert model.type("deltaprop.DoubleTensor") is model
    assert weight.dtype == np.float64 and model[1].num_batches_tracked.dtype == np.float64  # every buffer, as PyTorch's
    with pytest.raises(ConfigError, match="Sequential.type"):
        model.type(np.int32)


def test_parameter_of_nothing_is_an_empty_weight_of_the_default_dtype():
    empty = nn.Parameter()
    assert empty.shape == (0,) and empty.dtype == dp.get_default_dtype() and empty.requires_grad


# -- reprs ----------------------------------------------------------------------------------------------

def test_settings_of_several_lines_are_indented_as_pytorch_indents_them():
    class Settings(nn.Module):
        def __init__(self, inner=None):
            super().__init__()
            if inner is not None:
                self.inner = inner

        def extra_repr(self):
            return "a=1\nb=2"

    assert repr(Settings()) == "Settings(\n  a=1\n  b=2\n)"
    assert repr(Settings(Settings())) == "Settings(\n  a=1\n  b=2\n  (inner): Settings(\n    a=1\n    b=2\n  )\n)"


def test_dir_lists_named_children_but_not_numbered_ones():
    model = nn.Sequential(nn.Linear(2, 2))
    model.head = nn.ReLU()
    assert "head" in dir(model) and "forward" in dir(model) and "0" not in dir(model)


def test_a_module_list_prints_a_run_of_alike_layers_once():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)])
    assert repr(layers) == ("ModuleList(\n  (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)\n  (2): ReLU()\n"
                            "  (3): Linear(in_features=2, out_features=2, bias=True)\n)")
    assert repr(nn.ModuleList([nn.Sequential(nn.ReLU())] * 3)) == (
        "ModuleList(\n  (0-2): 3 x Sequential(\n    (0): ReLU()\n  )\n)")
    assert repr(nn.ModuleList()) == "ModuleList()"
