"""``torch.nn.parallel``'s ``DataParallel``, as PyTorch runs it on a machine without a GPU.

PyTorch's ``DataParallel`` splits each batch across GPUs; where there are none it keeps the module
and calls it, its ``device_ids`` an empty list whatever it was given. deltaprop computes on the
CPU alone, so this is that case: scripts that wrap their model (the DCGAN tutorial's
``nn.DataParallel(netG, list(range(ngpu)))``) or just ``import torch.nn.parallel`` run unchanged.
The wrapped module is the child ``module``, so the state dict's names begin ``module.`` as
PyTorch's do, and ``model.module`` is the model itself.
"""

from __future__ import annotations

from .module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """``module`` called as it is: there are no devices to split a batch across. A model file
    holds its weights alone (``module.`` names), as for a model of a custom class."""

    _in_model_files = False  # (serialization: not a layer class a file may name)

    def __init__(self, module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: module must be a Module, got {type(module).__name__}")
        self.module = module
        self.device_ids = []  # PyTorch's value without a GPU, whatever device_ids said

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
