"""PyTorch's module paths (``torch.nn.modules.*``, ``torch.nn.common_types``, ``torch.utils.hooks``,
``torch.utils.data.dataloader/dataset/sampler``, ``torch.types``) lead to deltaprop's own classes,
reached without slowing ``import deltaprop``."""

import subprocess
import sys

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn


def test_the_paths_import_deltaprops_own_classes():
    from deltaprop.nn.modules.activation import MultiheadAttention
    from deltaprop.nn.modules.batchnorm import BatchNorm1d, _BatchNorm, _NormBase
    from deltaprop.nn.modules.conv import Conv2d, _ConvNd, _ConvTransposeNd
    from deltaprop.nn.modules.dropout import _DropoutNd
    from deltaprop.nn.modules.instancenorm import _InstanceNorm
    from deltaprop.nn.modules.loss import _Loss, _WeightedLoss
    from deltaprop.nn.modules.module import Module
    from deltaprop.nn.modules.pooling import _AvgPoolNd, _MaxPoolNd

    assert Module is nn.Module and BatchNorm1d is nn.BatchNorm1d and Conv2d is nn.Conv2d
    assert MultiheadAttention is nn.MultiheadAttention
    assert isinstance(nn.BatchNorm1d(3), _BatchNorm) and isinstance(nn.BatchNorm2d(3), _NormBase)
    assert isinstance(nn.InstanceNorm1d(3), _NormBase) and isinstance(nn.InstanceNorm2d(3), _InstanceNorm)
    assert not isinstance(nn.InstanceNorm1d(3), _BatchNorm)
    assert isinstance(nn.Conv1d(2, 3, 3), _ConvNd) and isinstance(nn.ConvTranspose2d(2, 3, 3), _ConvTransposeNd)
    assert isinstance(nn.Dropout2d(), _DropoutNd) and isinstance(nn.MaxPool2d(2), _MaxPoolNd)
    assert isinstance(nn.AvgPool1d(2), _AvgPoolNd) and isinstance(nn.CrossEntropyLoss(), _WeightedLoss)
    assert isinstance(nn.MSELoss(), _Loss) and not isinstance(nn.MSELoss(), _WeightedLoss)
    assert dp.nn.modules.Linear is nn.Linear and dp.nn.modules.loss.CTCLoss is nn.CTCLoss


def test_a_loss_subclassed_from_the_private_base_keeps_its_reduction():
    from deltaprop.nn.modules.loss import _Loss

    class AbsoluteCube(_Loss):
        def forward(self, input, target):
            loss = (input - target).abs() ** 3
            return loss.sum() if self.reduction == "sum" else loss.mean() if self.reduction == "mean" else loss

    x = dp.tensor([1.0, -2.0, 0.5], requires_grad=True)
    y = dp.zeros(3)
    assert AbsoluteCube().reduction == "mean"
    np.testing.assert_allclose(AbsoluteCube(reduction="sum")(x, y).item(), 1 + 8 + 0.125)
    assert AbsoluteCube(reduction="none")(x, y).shape == (3,)
    AbsoluteCube()(x, y).backward()
    np.testing.assert_allclose(x.grad, [1.0, -4.0, 0.25], rtol=1e-6)
    with pytest.raises(ValueError, match="AbsoluteCube: reduction must be one of"):
        AbsoluteCube(reduction="average")


def test_size_helpers_and_state_dict_prefixes():
    from deltaprop.nn.modules.utils import _ntuple, _pair, _quadruple, _reverse_repeat_tuple, _single, _triple
    from deltaprop.nn.modules.utils import consume_prefix_in_state_dict_if_present

    assert _single(2) == (2,) and _pair(3) == (3, 3) and _triple([1, 2, 3]) == (1, 2, 3)
    assert _quadruple(0) == (0, 0, 0, 0) and _ntuple(5)(1) == (1,) * 5
    assert _reverse_repeat_tuple((1, 2), 2) == (2, 2, 1, 1)
    state = {"module.weight": 1, "module.bias": 2, "other": 3}
    consume_prefix_in_state_dict_if_present(state, "module.")
    assert state == {"weight": 1, "bias": 2, "other": 3}


def test_data_paths_hooks_and_types():
    from deltaprop.types import Device, Number, _size  # noqa: F401
    from deltaprop.nn.common_types import _size_2_t, _size_any_t  # noqa: F401
    from deltaprop.utils.data.dataloader import DataLoader, default_collate
    from deltaprop.utils.data.dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset
    from deltaprop.utils.data.sampler import BatchSampler, RandomSampler, Sampler
    from deltaprop.utils.hooks import RemovableHandle

    assert DataLoader is dp.data.DataLoader and default_collate is dp.data.default_collate
    assert (Dataset, TensorDataset, Subset, ConcatDataset, IterableDataset) == (
        dp.data.Dataset, dp.data.TensorDataset, dp.data.Subset, dp.data.ConcatDataset, dp.data.IterableDataset)
    assert (Sampler, RandomSampler, BatchSampler) == (dp.data.Sampler, dp.data.RandomSampler, dp.data.BatchSampler)
    handle = nn.Linear(2, 2).register_forward_hook(lambda *a: None)
    assert isinstance(handle, RemovableHandle)
    with pytest.raises(ImportError, match="cannot import name 'Nothing'"):
        from deltaprop.utils.data.dataset import Nothing  # noqa: F401


def test_import_deltaprop_pays_for_none_of_them():
    code = ("import sys, deltaprop, deltaprop.nn; "
            "print([m for m in sys.modules if m.startswith(('deltaprop.nn.modules', 'deltaprop.nn.common_types', "
            "'deltaprop.types', 'deltaprop.utils'))])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert dp.utils.hooks.RemovableHandle is not None and dp.nn.common_types._size_1_t is not None
    with pytest.raises(AttributeError, match="module 'deltaprop.nn' has no attribute 'nothing'"):
        dp.nn.nothing  # noqa: B018
