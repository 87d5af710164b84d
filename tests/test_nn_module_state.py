"""A module's state: state_dict's destination, prefix and keep_vars, buffers that are not
persistent, load_state_dict's strictness, its assign=True and what it returns, and model files
that keep all of these (tests/reference/test_torch_module_api.py runs the same calls on PyTorch)."""

import copy
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ShapeError, StateDictError


class Scaled(nn.Module):
    """A layer with a persistent buffer (a scale) and one that is not (a cache of the last input)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.register_buffer("scale", np.full(2, 2.0, dtype=np.float32))
        self.register_buffer("last_input", np.zeros((1, 2), dtype=np.float32), persistent=False)

    def forward(self, x):
        self.last_input = x.data
        return self.fc(x) * dp.tensor(self.scale)


def test_a_buffer_that_is_not_persistent_is_walked_and_converted_but_not_saved():
    model = Scaled()
    assert list(model.state_dict()) == ["scale", "fc.weight", "fc.bias"]
    assert [name for name, _ in model.named_buffers()] == ["scale", "last_input"]
    model(dp.ones(1, 2))
    assert list(model.state_dict()) == ["scale", "fc.weight", "fc.bias"]  # a new array keeps it out of the state
    assert model.double().last_input.dtype == np.float64
    model.register_buffer("last_input", np.zeros(2))  # registered again as persistent: now saved
    assert list(model.state_dict()) == ["scale", "last_input", "fc.weight", "fc.bias"]


def test_a_name_that_leaves_the_buffers_forgets_it_was_not_persistent():
    model = Scaled()
    del model.last_input
    model.register_buffer("last_input", np.zeros(2))
    assert "last_input" in model.state_dict()
    model.register_buffer("last_input", np.zeros(2), persistent=False)
    model.last_input = nn.Parameter(np.zeros(2))  # a parameter now: saved as one
    assert "last_input" in model.state_dict() and "last_input" not in dict(model.named_buffers())


def test_state_dict_puts_prefixed_copies_in_the_destination():
    model = Scaled()
    destination = OrderedDict(kept=1)
    assert model.state_dict(destination=destination, prefix="head.") is destination
    assert list(destination) == ["kept", "head.scale", "head.fc.weight", "head.fc.bias"]
    destination["head.fc.bias"][:] = 5.0  # a copy: the model keeps its values
    assert not np.any(model.fc.bias.data == 5.0)
    plain = {}
    assert model.fc.state_dict(destination=plain) is plain and list(plain) == ["weight", "bias"]


def test_keep_vars_gives_the_parameters_and_the_buffers_own_arrays():
    model = Scaled()
    state = model.state_dict(keep_vars=True)
    assert state["fc.weight"] is model.fc.weight and isinstance(state["fc.weight"], nn.Parameter)
    assert state["scale"] is model.scale


def test_the_positional_form_is_pytorchs_deprecated_one():
    model = Scaled()
    with pytest.warns(FutureWarning, match="positional arguments are deprecated"):
        state = model.state_dict(None, "m.", True)
    assert list(state) == ["m.scale", "m.fc.weight", "m.fc.bias"] and state["m.fc.weight"] is model.fc.weight
    with pytest.raises(TypeError, match="at most 3 positional arguments"):
        model.state_dict(None, "m.", True, 4)


def test_load_state_dict_reports_all_matched_as_pytorch_prints_it():
    model = Scaled()
    result = model.load_state_dict(Scaled().state_dict())
    assert repr(result) == str(result) == "<All keys matched successfully>"
    assert result == ([], []) and not result.missing_keys and not result.unexpected_keys
    state = Scaled().state_dict()
    state.pop("scale")
    state["last_input"] = np.zeros((1, 2))  # not persistent: not expected
    result = model.load_state_dict(state, strict=False)
    assert repr(result) == "IncompatibleKeys(missing_keys=['scale'], unexpected_keys=['last_input'])"


def test_a_strict_load_that_does_not_fit_is_a_runtime_error_as_in_pytorch_and_a_shape_error():
    model = Scaled()
    state = model.state_dict()
    state.pop("fc.bias")
    with pytest.raises(StateDictError, match=r"^load_state_dict into Scaled: missing keys: fc\.bias$") as raised:
        model.load_state_dict(state)
    assert isinstance(raised.value, RuntimeError) and isinstance(raised.value, ShapeError)
    with pytest.raises(TypeError, match="load_state_dict into Scaled: state_dict must be a dict-like mapping"):
        model.load_state_dict([("fc.weight", np.zeros((2, 2)))])


def test_not_strict_a_wrong_shape_alone_is_named():
    model = Scaled()
    state = {"fc.weight": np.zeros((3, 2)), "extra": np.zeros(1)}
    with pytest.raises(StateDictError, match=r"^load_state_dict into Scaled: wrong shapes: fc\.weight \(expected \(2, 2\), "
                                             r"got \(3, 2\)\)$"):
        model.load_state_dict(state, strict=False)


def test_assign_makes_the_states_arrays_the_parameters_and_buffers():
    model = Scaled()
    weight, held = model.fc.weight, model.fc.weight.data.copy()
    model.fc.bias.requires_grad_(False)
    state = {"scale": np.array([3.0, 4.0]), "fc.weight": np.eye(2), "fc.bias": np.array([1.0, -1.0], np.float32)}
    assert model.load_state_dict(state, assign=True) == ([], [])
    assert model.fc.weight is not weight and isinstance(model.fc.weight, nn.Parameter)
    np.testing.assert_array_equal(weight.data, held)  # the old parameter is left as it was
    assert model.fc.weight.dtype == np.float64 and model.scale.dtype == np.float64  # the state's own dtypes
    assert model.fc.weight.requires_grad and not model.fc.bias.requires_grad  # each keeps the old one's flag
    state["fc.weight"][0, 0] = 7.0  # the arrays themselves: no copy
    state["scale"][1] = 9.0
    assert model.fc.weight.data[0, 0] == 7.0 and model.scale[1] == 9.0
    assert [name for name, _ in model.named_parameters()] == ["fc.weight", "fc.bias"]
    out = model(dp.tensor([[1.0, 2.0]], dtype=np.float64))
    np.testing.assert_allclose(out.data, [[(7.0 + 1.0) * 3.0, (2.0 - 1.0) * 9.0]])


def test_assign_keeps_a_tied_parameter_tied_whichever_of_its_names_is_given():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    model[1].weight = model[0].weight
    for key in ("0.weight", "1.weight"):
        state = {"0.bias": np.zeros(2, np.float32), "1.bias": np.zeros(2, np.float32), key: np.full((2, 2), 3.0)}
        model.load_state_dict(state, assign=True)
        assert model[1].weight is model[0].weight and model[0].weight.data[0, 0] == 3.0
        assert len(list(model.parameters())) == 3


def test_assign_refuses_what_a_copy_refuses_and_changes_nothing_then():
    model = Scaled()
    weight = model.fc.weight
    with pytest.raises(StateDictError, match="wrong shapes: fc.weight"):
        model.load_state_dict({**model.state_dict(), "fc.weight": np.zeros((3, 2))}, assign=True)
    assert model.fc.weight is weight


def test_a_deep_copy_keeps_the_values_and_flags_but_not_the_gradients():
    model = Scaled()
    model(dp.ones(1, 2)).sum().backward()
    model.fc.bias.requires_grad_(False)
    clone = copy.deepcopy(model)
    assert model.fc.weight.grad is not None and clone.fc.weight.grad is None  # as PyTorch's Parameter copies
    assert clone.fc.weight is not model.fc.weight and not clone.fc.bias.requires_grad
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(clone.state_dict()[key], value)
    assert list(clone.state_dict()) == list(model.state_dict()) and "last_input" in dict(clone.named_buffers())


def test_a_model_file_keeps_what_the_state_keeps(tmp_path):
    model = Scaled()
    model(dp.ones(1, 2))
    dp.save(model.state_dict(), tmp_path / "scaled.safetensors")
    again = Scaled()
    again.load_state_dict(dp.load(tmp_path / "scaled.safetensors"))
    assert sorted(dp.load(tmp_path / "scaled.safetensors")) == ["fc.bias", "fc.weight", "scale"]
    x = dp.tensor([[0.5, -1.0]])
    np.testing.assert_array_equal(again(x).data, model(x).data)


def test_a_saved_architecture_keeps_options_given_as_ints(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3), nn.LeakyReLU(1), nn.BatchNorm1d(3, eps=1, momentum=1), nn.Dropout(0),
                          nn.Hardtanh(-2, 2), nn.LayerNorm(3, eps=1))
    model(dp.randn(4, 3))
    dp.save(model, tmp_path / "model.safetensors")
    again = dp.load(tmp_path / "model.safetensors")
    assert repr(again) == repr(model)
    assert "LeakyReLU(negative_slope=1)" in repr(again) and "eps=1, momentum=1" in repr(again)
    x = dp.randn(4, 3)
    np.testing.assert_allclose(again.eval()(x).data, model.eval()(x).data, rtol=1e-6)


def test_zero_grad_without_set_to_none_writes_zeros_into_the_gradient_arrays():
    model = Scaled()
    model(dp.ones(3, 2)).sum().backward()
    held = [p.grad for p in model.parameters()]
    optimizer = dp.optim.SGD(model.parameters(), lr=0.1)
    for zero in (model.zero_grad, optimizer.zero_grad):
        zero(set_to_none=False)
        assert all(p.grad is g and not g.any() for p, g in zip(model.parameters(), held))
    model.fc.weight.grad = np.broadcast_to(np.float32(1.0), (2, 2))  # read-only memory: new zeros instead
    optimizer.zero_grad(set_to_none=False)
    assert model.fc.weight.grad.flags.writeable and not model.fc.weight.grad.any()
    model.fc.bias.grad = None
    model.zero_grad(set_to_none=False)
    assert model.fc.bias.grad is None  # none to zero: it stays None, as in PyTorch
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.zero_grad()
    assert all(p.grad is None for p in model.parameters())
