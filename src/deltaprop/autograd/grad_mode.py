"""PyTorch's module path ``torch.autograd.grad_mode``: the grad-mode switches of
:mod:`deltaprop.grad_mode`, under the path that ported imports name."""

from ..grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["enable_grad", "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled"]
