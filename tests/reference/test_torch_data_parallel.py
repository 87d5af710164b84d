"""``nn.DataParallel`` (and ``import torch.nn.parallel``) as PyTorch runs it on a machine without a
GPU, which is deltaprop's case: the module is kept as the child ``module`` and called as it is.
The DCGAN tutorial imports torch.nn.parallel and wraps its networks when it has GPUs; the import
failed."""

import importlib

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402

from torch_twins import load_into  # noqa: E402


def _pair():
    dp.manual_seed(0)
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh())
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Tanh())
    load_into(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("device_ids", [None, [0], [0, 1]])
def test_data_parallel_calls_its_module_as_pytorchs_does_without_a_gpu(device_ids):
    ours, theirs = _pair()
    wrapped, reference = nn.DataParallel(ours, device_ids), torch.nn.DataParallel(theirs, device_ids)
    assert importlib.import_module("deltaprop.nn.parallel").DataParallel is nn.DataParallel is nn.parallel.DataParallel
    assert wrapped.module is ours and wrapped.device_ids == reference.device_ids == []
    assert list(wrapped.state_dict()) == list(reference.state_dict())  # 'module.0.weight', ...
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    out, expected = wrapped(dp.tensor(x, requires_grad=True)), reference(torch.tensor(x, requires_grad=True))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    expected.sum().backward()
    for (name, p), (_, q) in zip(wrapped.named_parameters(), reference.named_parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-5, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(ours[1].running_mean, theirs[1].running_mean.numpy(), rtol=1e-5, atol=1e-6)
    wrapped.eval()
    assert not ours.training and not ours[1].training


def test_data_parallels_state_dict_loads_into_pytorchs_and_back():
    ours, theirs = _pair()
    wrapped = nn.DataParallel(ours)
    layers = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Tanh())
    reference = torch.nn.DataParallel(layers)
    reference.load_state_dict({key: torch.from_numpy(np.asarray(value)) for key, value in wrapped.state_dict().items()})
    load_into(wrapped, reference)
    np.testing.assert_array_equal(ours[0].weight.data, theirs[0].weight.detach().numpy())


def test_data_parallel_refuses_what_is_not_a_module():
    with pytest.raises(TypeError, match="^DataParallel: module must be a Module, got function$"):
        nn.DataParallel(lambda x: x)
