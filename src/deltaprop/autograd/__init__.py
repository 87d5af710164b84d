"""``deltaprop.autograd``: PyTorch's ``torch.autograd``, for gradients without ``loss.backward()``.

``grad`` returns gradients with respect to chosen tensors and leaves ``.grad`` alone; ``backward``
runs one sweep from several outputs; ``Function`` defines an operation with its own gradient rule;
``functional`` holds ``vjp``, ``jacobian``, ``jvp``, ``hessian``, ``hvp`` and ``vhp``. The grad-mode
switches, ``gradcheck`` and ``gradgradcheck`` are deltaprop's own, under the names PyTorch gives them here.
``grad(..., create_graph=True)`` returns gradients that are tensors of the graph, for second
derivatives (:mod:`.higher_order`), through the operations listed in :mod:`.differentiable_rules`.
``detect_anomaly`` and ``set_detect_anomaly`` find the operation whose gradient first gives NaN
(:mod:`deltaprop.anomaly`); ``Variable`` is PyTorch's legacy name for a tensor. ``forward_ad`` is
PyTorch's forward-mode interface, computed by reverse mode; ``grad_mode`` and ``anomaly_mode`` are
PyTorch's module paths for the switches; ``graph`` holds ``Node``, the class of every ``grad_fn``.
"""

from ..grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from ..anomaly import detect_anomaly, set_detect_anomaly
from ..gradcheck import gradcheck, gradgradcheck
from . import anomaly_mode, forward_ad, functional, grad_mode
from . import graph, profiler
from .function import Function, FunctionCtx
from .gradients import backward, grad
from .variable import Variable

__all__ = ["Function", "FunctionCtx", "backward", "enable_grad", "functional", "grad", "gradcheck", "gradgradcheck",
           "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled",
           "Variable", "detect_anomaly", "set_detect_anomaly", "profiler", "graph", "forward_ad", "grad_mode", "anomaly_mode",
           "is_multithreading_enabled", "set_multithreading_enabled"]

_multithreading = [True]


def is_multithreading_enabled() -> bool:
    """False: deltaprop's backward sweep runs on the calling thread (PyTorch's may use others)."""
    return False


class set_multithreading_enabled:
    """Records ``mode`` and changes nothing: deltaprop's backward sweep is single-threaded whatever
    it is. Called, or used as a context manager that restores the recorded mode at its end, as in PyTorch."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"autograd.set_multithreading_enabled: mode must be True or False, got {mode!r}")
        self.previous, _multithreading[0] = _multithreading[0], mode

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> bool:
        _multithreading[0] = self.previous
        return False
