"""``deltaprop.autograd``: PyTorch's ``torch.autograd``, for gradients without ``loss.backward()``.

``grad`` returns gradients with respect to chosen tensors and leaves ``.grad`` alone; ``backward``
runs one sweep from several outputs; ``Function`` defines an operation with its own gradient rule;
``functional`` holds ``vjp``, ``jacobian``, ``jvp``, ``hessian``, ``hvp`` and ``vhp``. The grad-mode
switches, ``gradcheck`` and ``gradgradcheck`` are deltaprop's own, under the names PyTorch gives them here.
``grad(..., create_graph=True)`` returns gradients that are tensors of the graph, for second
derivatives (:mod:`.higher_order`), through the operations listed in :mod:`.differentiable_rules`.
"""

from ..grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from ..gradcheck import gradcheck, gradgradcheck
from . import functional
from .function import Function, FunctionCtx
from .gradients import backward, grad

__all__ = ["Function", "FunctionCtx", "backward", "enable_grad", "functional", "grad", "gradcheck", "gradgradcheck",
           "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled"]
