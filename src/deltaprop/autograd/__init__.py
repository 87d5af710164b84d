"""``deltaprop.autograd``: PyTorch's ``torch.autograd``, for gradients without ``loss.backward()``.

``grad`` returns gradients with respect to chosen tensors and leaves ``.grad`` alone; ``backward``
runs one sweep from several outputs; ``Function`` defines an operation with its own gradient rule;
``functional`` holds ``vjp``, ``jacobian``, ``jvp``, ``hessian``, ``hvp`` and ``vhp``. The grad-mode
switches, ``gradcheck`` and ``gradgradcheck`` are deltaprop's own, under the names PyTorch gives them here.
``grad(..., create_graph=True)`` returns gradients that are tensors of the graph, for second
derivatives (:mod:`.higher_order`), through the operations listed in :mod:`.differentiable_rules`.
``detect_anomaly`` and ``set_detect_anomaly`` find the operation whose gradient first gives NaN
(:mod:`deltaprop.anomaly`); ``Variable`` is PyTorch's legacy name for a tensor.
"""

from ..grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from ..anomaly import detect_anomaly, set_detect_anomaly
from ..gradcheck import gradcheck, gradgradcheck
from . import functional
from . import profiler
from .function import Function, FunctionCtx
from .gradients import backward, grad
from .variable import Variable

__all__ = ["Function", "FunctionCtx", "backward", "enable_grad", "functional", "grad", "gradcheck", "gradgradcheck",
           "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled",
           "Variable", "detect_anomaly", "set_detect_anomaly", "profiler"]
