"""Module.get_submodule's dotted paths, and linear's refusal of a weight that is not a matrix."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ShapeError


def _model(nn):
    return nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))


def test_get_submodule_follows_dotted_paths_as_pytorchs():
    model = _model(dp.nn)
    assert model.get_submodule("") is model
    assert model.get_submodule("0") is model[0]
    assert model.get_submodule("1.1") is model[1][1]
    torch = pytest.importorskip("torch")
    theirs = _model(torch.nn)
    for path in ("", "0", "1", "1.0", "1.1"):
        assert type(model.get_submodule(path)).__name__ == type(theirs.get_submodule(path)).__name__, path


@pytest.mark.parametrize("path, message", [
    ("2", "get_submodule: the model (Sequential) has no sub-module '2', in '2'"),
    ("1.5", "get_submodule: '1' (Sequential) has no sub-module '5', in '1.5'"),
    ("0.weight", "get_submodule: 'weight' of '0' (Linear) is not a module, in '0.weight'"),
    ("1.1.bias.x", "get_submodule: 'bias' of '1.1' (Linear) is not a module"),
    ("1.", "has no sub-module '', in '1.'"),
])
def test_get_submodule_names_the_missing_part(path, message):
    with pytest.raises(AttributeError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        _model(dp.nn).get_submodule(path)
    torch = pytest.importorskip("torch")
    with pytest.raises(AttributeError):  # refused there too
        _model(torch.nn).get_submodule(path)


def test_linear_refuses_a_weight_that_is_not_a_matrix_or_a_vector_clearly_as_pytorch_refuses_it():
    weight = np.float32(2.0)
    with pytest.raises(ShapeError, match=r"linear: the weight must be a matrix of shape \(out_features, in_features\) "
                                         r"or a vector of shape \(in_features,\), got shape \(\)"):
        dp.nn.functional.linear(dp.ones((4, 3)), dp.tensor(weight))
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.nn.functional.linear(torch.ones(4, 3), torch.tensor(weight))


def test_linear_of_a_weight_vector_is_the_weighted_sum_as_in_pytorch():
    """PyTorch takes a weight of shape (in_features,): x @ w, the output axis dropped (the cases with
    gradients and biases are in tests/reference/test_torch_linear_shapes.py)."""
    out = dp.nn.functional.linear(dp.ones((4, 3)), dp.tensor(np.ones(3, dtype=np.float32)))
    assert out.shape == (4,)
    np.testing.assert_allclose(out.data, [3.0] * 4)
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.linear(torch.ones(4, 3), torch.ones(3))
    np.testing.assert_allclose(out.data, expected.numpy())


def test_linear_of_a_vector_input_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, W, b = rng.standard_normal(3), rng.standard_normal((2, 3)), rng.standard_normal(2)
    ours = [dp.tensor(v, dtype=np.float64, requires_grad=True) for v in (x, W, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (x, W, b)]
    out, expected = dp.nn.functional.linear(*ours), torch.nn.functional.linear(*theirs)
    assert out.shape == tuple(expected.shape) == (2,)
    out.backward(np.array([1.0, -2.0]))
    expected.backward(torch.tensor([1.0, -2.0], dtype=torch.float64))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-12)
