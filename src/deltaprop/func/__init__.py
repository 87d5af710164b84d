"""``deltaprop.func``: PyTorch's ``torch.func``, function transforms built on :mod:`deltaprop.autograd`.

- ``functional_call(module, params, args)``: a module run with other weights (a dict of tensors);
- ``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian``: a function
  turned into the function that gives its derivatives (:mod:`.derivatives`); ``jvp`` and ``jacfwd``
  by reverse mode;
- ``vmap``: a function of one sample run over a batch, as a loop of calls (:mod:`.vmap`);
- ``stack_module_state``: the weights of several models stacked, for ensembles under ``vmap``.

Per-sample gradients, as in PyTorch:

    >>> import deltaprop as dp
    >>> from deltaprop.func import functional_call, grad, vmap
    >>> model = dp.nn.Linear(3, 1)
    >>> params = {name: p.detach() for name, p in model.named_parameters()}
    >>> def loss(params, x, y):
    ...     return ((functional_call(model, params, (x,)) - y) ** 2).mean()
    >>> per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, dp.ones((8, 3)), dp.zeros((8, 1)))
    >>> per_sample["weight"].shape
    (8, 1, 3)
"""

from ..nn.utils.stateless import functional_call
from .derivatives import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from .ensembling import stack_module_state
from .vmap import vmap

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "stack_module_state",
           "vjp", "vmap"]
