"""Weight averaging (PyTorch's ``optim.swa_utils``): a running average of a model's weights over
training, which generalises better than the last weights (stochastic weight averaging, Izmailov et
al., 2018) or smooths them (an exponential moving average, EMA).

* :class:`AveragedModel` holds a copy of the model whose weights are the average: after the k-th
  ``update_parameters(model)``, SWA's equal-weight mean w̄_k = w̄_{k−1} + (w_k − w̄_{k−1}) / k, or
  EMA's w̄_k = decay · w̄_{k−1} + (1 − decay) · w_k (the first update copies w_1 in both);
* :class:`SWALR` anneals the learning rate to a constant ``swa_lr`` for the averaging phase;
* :func:`update_bn` recomputes the batch-norm statistics for the averaged weights, which no batch
  ever saw: one pass over the data in training mode, each batch counting equally.

A typical loop::

    swa_model = AveragedModel(model)
    swa_scheduler = SWALR(optimizer, swa_lr=0.05)
    for epoch in range(epochs):
        train_one_epoch(model, optimizer)
        if epoch >= swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
    update_bn(loader, swa_model)
"""

from __future__ import annotations

import copy
import math
import numbers

import numpy as np

from ..errors import ConfigError, ShapeError
from ..grad_mode import no_grad
from ..nn.module import Module
from ..nn.normalization import _BatchNorm
from ..tensor import Tensor
from ._checks import check_choice, check_int
from .lr_scheduler import LRScheduler, _per_group

__all__ = ["AveragedModel", "SWALR", "get_ema_avg_fn", "get_ema_multi_avg_fn", "get_swa_avg_fn",
           "get_swa_multi_avg_fn", "update_bn"]


def _data(value) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _write(target: np.ndarray, value) -> None:
    """``value`` into ``target`` in place; into an integer buffer (a batch counter) it is truncated
    toward zero, as PyTorch's copy does."""
    np.copyto(target, _data(value), casting="unsafe")


def _decay(owner: str, decay) -> float:
    if isinstance(decay, bool) or not isinstance(decay, numbers.Real) or not 0 <= decay <= 1:
        raise ConfigError(f"{owner}: decay must be a number in [0, 1], got {decay!r}")
    return float(decay)


def get_ema_avg_fn(decay: float = 0.999):
    """The EMA update of one weight, ``(averaged, current, num_averaged) -> decay·averaged + (1 −
    decay)·current``, for :class:`AveragedModel`'s ``avg_fn``."""
    decay = _decay("get_ema_avg_fn", decay)

    def ema_update(averaged, current, num_averaged):
        return Tensor._wrap(np.asarray(decay * _data(averaged) + (1 - decay) * _data(current)))

    return ema_update


def get_swa_avg_fn():
    """The SWA update of one weight, ``(averaged, current, n) -> averaged + (current − averaged) /
    (n + 1)`` (the mean of n + 1 weights), for :class:`AveragedModel`'s ``avg_fn``."""

    def swa_update(averaged, current, num_averaged):
        a = _data(averaged)
        return Tensor._wrap(np.asarray(a + (_data(current) - a) / (_data(num_averaged) + 1)))

    return swa_update


def _in_place(update):
    """A ``multi_avg_fn`` that applies the one-weight ``update`` to every pair of the two lists,
    writing each result into the averaged weight."""

    def update_all(averaged_list, current_list, num_averaged):
        for averaged, current in zip(averaged_list, current_list, strict=True):
            _write(_data(averaged), update(averaged, current, num_averaged))

    return update_all


def get_ema_multi_avg_fn(decay: float = 0.999):
    """:func:`get_ema_avg_fn`'s update over lists of weights, in place (``multi_avg_fn``)."""
    return _in_place(get_ema_avg_fn(_decay("get_ema_multi_avg_fn", decay)))


def get_swa_multi_avg_fn():
    """:func:`get_swa_avg_fn`'s update over lists of weights, in place (``multi_avg_fn``)."""
    return _in_place(get_swa_avg_fn())


class AveragedModel(Module):
    """A copy of ``model`` (``module``, made with ``copy.deepcopy``) whose weights
    :meth:`update_parameters` averages; calling it runs the copy.

    The average is SWA's mean by default; ``avg_fn(averaged, current, num_averaged)`` returns
    another for one weight, ``multi_avg_fn(averaged_list, current_list, num_averaged)`` updates
    lists in place (see :func:`get_ema_multi_avg_fn`). With ``use_buffers=True`` the buffers (batch
    norm's running statistics) are averaged too; otherwise each update copies the model's. The buffer
    ``n_averaged`` (int64) counts the updates, and the state dict holds it and the copy's entries
    under ``module.``, as PyTorch's. ``device`` can only be the CPU.
    """

    def __init__(self, model: Module, device=None, avg_fn=None, multi_avg_fn=None, use_buffers: bool = False):
        super().__init__()
        if not isinstance(model, Module):
            raise TypeError(f"AveragedModel: model must be a Module, got a {type(model).__name__}")
        for name, function in (("avg_fn", avg_fn), ("multi_avg_fn", multi_avg_fn)):
            if function is not None and not callable(function):
                raise TypeError(f"AveragedModel: {name} must be a function or None, got a {type(function).__name__}")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module.to(device)
        self.register_buffer("n_averaged", np.zeros((), dtype=np.int64))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = bool(use_buffers)

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _averaged(self, model: Module) -> list:
        """(averaged array, model's array) of every weight averaged: the parameters, and the buffers
        with ``use_buffers``, checked to correspond."""
        def arrays(module):
            found = [p.data for p in module.parameters()]
            return found + list(module.buffers()) if self.use_buffers else found

        ours, theirs = arrays(self.module), arrays(model)
        if len(ours) != len(theirs):
            what = "parameters and buffers" if self.use_buffers else "parameters"
            raise ShapeError(f"AveragedModel.update_parameters: the model has {len(theirs)} {what}, the averaged copy "
                             f"{len(ours)}; pass the model the AveragedModel was made from")
        for index, (mine, other) in enumerate(zip(ours, theirs)):
            if np.shape(mine) != np.shape(other):
                raise ShapeError(f"AveragedModel.update_parameters: weight {index} of the model has shape "
                                 f"{np.shape(other)}, the averaged copy's {np.shape(mine)}")
        return list(zip(ours, theirs))

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current weights into the average (the first call copies them)."""
        pairs = self._averaged(model)
        count = Tensor._wrap(self.n_averaged.copy())
        if int(self.n_averaged) == 0:
            for mine, other in pairs:
                _write(mine, other)
        elif self.multi_avg_fn is not None:
            # tensors around the arrays themselves: the function's in-place changes land in the copy
            averaged = [Tensor._wrap(mine) for mine, _ in pairs]
            self.multi_avg_fn(averaged, [Tensor._wrap(other) for _, other in pairs], count)
            for tensor, (mine, _) in zip(averaged, pairs):
                if tensor.data is not mine:  # (a function that replaced a tensor's array)
                    _write(mine, tensor)
        else:
            update = self.avg_fn if self.avg_fn is not None else get_swa_avg_fn()
            for mine, other in pairs:
                _write(mine, update(Tensor._wrap(mine), Tensor._wrap(other), count))
        if not self.use_buffers:
            # the buffers follow the model's, as PyTorch keeps them (update_bn recomputes them)
            for mine, other in zip(self.module.buffers(), model.buffers()):
                _write(mine, other)
        self.n_averaged[...] += 1


def _anneal_cos(t: float) -> float:
    return (1 - math.cos(math.pi * t)) / 2


def _anneal_linear(t: float) -> float:
    return t


class SWALR(LRScheduler):
    """Anneal each parameter group's learning rate to ``swa_lr`` (a number, or one per group, kept
    in the group as ``"swa_lr"``) over ``anneal_epochs`` steps, then hold it there.

    Step k moves the rate a fraction α(t) of the way from where the annealing started to ``swa_lr``,
    t = min(1, k / anneal_epochs) (with 0 epochs the first step lands on ``swa_lr``), α(t) = (1 −
    cos(π·t)) / 2 for ``anneal_strategy='cos'``, t for ``'linear'``. As in PyTorch, each step
    computes the starting rate back from the current one, lr₀ = (lr − α(t')·swa_lr) / (1 − α(t'))
    with t' the previous step's, so that a rate another schedule set before the annealing began (or
    between its steps) is where it starts from.
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs: int = 10, anneal_strategy: str = "cos",
                 last_epoch: int = -1):
        owner = "SWALR"
        rates = _per_group(owner, "swa_lr", swa_lr, optimizer)
        check_choice(owner, "anneal_strategy", anneal_strategy, ("cos", "linear"))
        check_int(owner, "anneal_epochs", anneal_epochs)
        for group, rate in zip(optimizer.param_groups, rates):
            group["swa_lr"] = rate
        self._anneal_strategy = anneal_strategy
        self.anneal_epochs = int(anneal_epochs)
        super().__init__(optimizer, last_epoch)

    def _anneal(self, t: float) -> float:
        return (_anneal_cos if self._anneal_strategy == "cos" else _anneal_linear)(t)

    def get_lr(self) -> list[float]:
        step = self._step_count - 1  # 0 at the constructor's own step
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        before = self._anneal(max(0.0, min(1.0, (step - 1) / span)))
        now = self._anneal(max(0.0, min(1.0, step / span)))
        rates = []
        for group in self.optimizer.param_groups:
            lr, swa_lr = group["lr"], group["swa_lr"]
            start = lr if before == 1 else (lr - before * swa_lr) / (1 - before)
            rates.append(swa_lr * now + start * (1 - now))
        return rates


def update_bn(loader, model: Module, device=None) -> None:
    """Recompute the running statistics of every batch norm in ``model`` from one pass over
    ``loader`` in training mode: each is reset, then averaged over all batches with equal weights
    (``momentum`` None for the pass); the momenta and the model's mode are put back after. A batch
    that is a list or tuple gives its first item to the model. A model without batch norm is left
    alone. ``device`` can only be the CPU. No gradient is recorded."""
    norms = [module for module in model.modules() if isinstance(module, _BatchNorm)]
    if not norms:
        return
    momenta = [norm.momentum for norm in norms]
    was_training = model.training
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None
    model.train()
    try:
        with no_grad():
            for batch in loader:
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                if device is not None and isinstance(batch, Tensor):
                    batch = batch.to(device)
                model(batch)
    finally:
        for norm, momentum in zip(norms, momenta):
            norm.momentum = momentum
        model.train(was_training)
