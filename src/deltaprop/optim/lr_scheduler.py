"""Learning-rate schedules: change each parameter group's ``lr`` as training goes on.

A scheduler wraps an optimizer and is stepped once per epoch, after the optimizer's steps::

    scheduler = StepLR(optimizer, step_size=10, gamma=0.5)
    for epoch in range(100):
        train_one_epoch(model, optimizer)
        scheduler.step()

The semantics are PyTorch's: ``last_epoch`` counts the calls to ``step()`` (the constructor makes
the first, setting epoch 0), ``get_last_lr()`` returns the learning rates it last set, and the
schedules that PyTorch computes recursively from the current ``lr`` (StepLR, MultiStepLR,
ExponentialLR, CosineAnnealingLR) are computed the same way here, so the two give the same sequence.
``state_dict()`` holds plain numbers and lists only (LambdaLR's functions are not saved: build the
scheduler with them, then load the numbers).
"""

from __future__ import annotations

import math

from ..errors import ConfigError, ModelFileError, ShapeError
from ..tensor import Tensor
from ._checks import check_choice, check_int, check_real
from .optimizer import Optimizer, to_plain


def _check_optimizer(owner: str, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner}: expected an optimizer from deltaprop.optim, got {type(optimizer).__name__}")


class LRScheduler:
    """Base class: subclasses compute the next learning rates in :meth:`get_lr`.

    ``last_epoch`` other than −1 resumes a schedule; every parameter group must then hold the
    ``initial_lr`` that a first scheduler recorded there (it travels in the optimizer's state dict).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        name = type(self).__name__
        _check_optimizer(name, optimizer)
        check_int(name, "last_epoch", last_epoch, low=-1)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ConfigError(
                        f"{name}: last_epoch={last_epoch} resumes a schedule, but parameter group {i} has no "
                        f"'initial_lr'; load the optimizer's saved state first, or start with last_epoch=-1"
                    )
        self.base_lrs = [float(group["initial_lr"]) for group in optimizer.param_groups]
        self.last_epoch = int(last_epoch)
        self._step_count = 0
        # The constructor's own step sets epoch 0; the recursive schedules leave the rate alone then.
        self._initial = True
        try:
            self.step()
        finally:
            self._initial = False

    def get_lr(self) -> list[float]:
        """The learning rates for epoch ``last_epoch``, one per parameter group."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr()")

    def step(self) -> None:
        """Advance one epoch and set every parameter group's ``lr``."""
        self._step_count += 1
        self.last_epoch += 1
        groups = self.optimizer.param_groups
        rates = self.get_lr()
        for group, lr in zip(groups, rates, strict=True):
            group["lr"] = float(lr)
        self._last_lr = [group["lr"] for group in groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per parameter group."""
        return list(self._last_lr)

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    # -- saving and loading ------------------------------------------------------------------

    _unsaved = ("optimizer", "_initial")

    def state_dict(self) -> dict:
        """The schedule's counters and settings as plain numbers, strings and lists."""
        return {key: to_plain(value) for key, value in vars(self).items() if key not in self._unsaved}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a :meth:`state_dict` of a scheduler of the same class over as many parameter groups."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise ModelFileError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        unknown = sorted(set(state_dict) - set(self.state_dict()))
        if unknown:
            listed = ", ".join(map(str, unknown))
            raise ModelFileError(f"{name}: unexpected entries {listed} (saved by another scheduler?)")
        for key in ("base_lrs", "_last_lr", "min_lrs"):
            if key in state_dict and len(state_dict[key]) != len(self.optimizer.param_groups):
                raise ShapeError(
                    f"{name}: {key} holds {len(state_dict[key])} values, the optimizer has "
                    f"{len(self.optimizer.param_groups)} parameter groups"
                )
        for key, value in state_dict.items():
            setattr(self, key, to_plain(value))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self._last_lr})"


class LambdaLR(LRScheduler):
    """lr = initial_lr · λ(epoch), with one function λ for all groups or one per group."""

    _unsaved = ("optimizer", "_initial", "lr_lambdas")

    def __init__(self, optimizer: Optimizer, lr_lambda, last_epoch: int = -1):
        _check_optimizer("LambdaLR", optimizer)
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ConfigError(
                    f"LambdaLR: expected {groups} functions in lr_lambda (one per parameter group), "
                    f"got {len(lr_lambda)}"
                )
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        for function in self.lr_lambdas:
            if not callable(function):
                raise ConfigError(f"LambdaLR: lr_lambda must be a function of the epoch, got {function!r}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * function(self.last_epoch) for base, function in zip(self.base_lrs, self.lr_lambdas)]


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    lr(epoch) = initial_lr · gamma^⌊epoch / step_size⌋, computed as PyTorch does: the current lr
    is multiplied by gamma at epochs step_size, 2·step_size, ...
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        check_int("StepLR", "step_size", step_size, low=1)
        check_real("StepLR", "gamma", gamma, low_closed=False)
        self.step_size = int(step_size)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each milestone epoch (twice if it is listed twice).

    lr(epoch) = initial_lr · gamma^(number of milestones ≤ epoch).
    """

    def __init__(self, optimizer: Optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        milestones = list(milestones)
        for milestone in milestones:
            check_int("MultiStepLR", "each milestone", milestone)
        check_real("MultiStepLR", "gamma", gamma, low_closed=False)
        self.milestones = sorted(int(milestone) for milestone in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        hits = self.milestones.count(self.last_epoch)
        if hits == 0:
            return self._current_lrs()
        return [lr * self.gamma**hits for lr in self._current_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch: lr(epoch) = initial_lr · gamma^epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        check_real("ExponentialLR", "gamma", gamma, low_closed=False)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    """Anneal the learning rate along half a cosine, from initial_lr to ``eta_min`` in ``T_max`` epochs.

    The closed form is lr(t) = η_min + ½(η₀ − η_min)(1 + cos(π·t / T_max)). As in PyTorch, the
    rate is computed recursively from the current lr, so that a rate changed by hand carries on::

        lr(t) = η_min + (lr(t−1) − η_min) · (1 + cos(π·t / T_max)) / (1 + cos(π·(t−1) / T_max))

    except where the denominator vanishes (t − 1 = T_max, 3·T_max, ...: the bottom of a cycle),
    where lr(t) = lr(t−1) + ½(η₀ − η_min)(1 − cos(π / T_max)). Past T_max the cosine climbs back up
    (no restarts); both forms agree to rounding.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        check_int("CosineAnnealingLR", "T_max", T_max, low=1)
        check_real("CosineAnnealingLR", "eta_min", eta_min)
        self.T_max = int(T_max)
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._initial:
            return self._current_lrs()
        if (t - 1 - period) % (2 * period) == 0:
            rise = (1 - math.cos(math.pi / period)) / 2
            return [lr + (base - eta_min) * rise for lr, base in zip(self._current_lrs(), self.base_lrs)]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rate by ``factor`` when a metric has stopped improving.

    ``step(metric)`` is called once per epoch with, say, the validation loss. A value is an
    improvement when it beats the best so far by more than the threshold:

    - mode 'min', threshold_mode 'rel': metric < best · (1 − threshold); 'abs': metric < best − threshold
    - mode 'max', threshold_mode 'rel': metric > best · (1 + threshold); 'abs': metric > best + threshold

    After more than ``patience`` epochs in a row without improvement, every group's lr becomes
    max(lr · factor, min_lr) (a change smaller than ``eps`` is skipped), and the count pauses for
    ``cooldown`` epochs. ``best`` starts at +∞ ('min') or −∞ ('max'); JSON writes those as
    ``Infinity``, which Python's json module reads back.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr=0,
        eps: float = 1e-8,
    ):
        name = "ReduceLROnPlateau"
        _check_optimizer(name, optimizer)
        check_choice(name, "mode", mode, ("min", "max"))
        check_choice(name, "threshold_mode", threshold_mode, ("rel", "abs"))
        check_real(name, "factor", factor, high=1)
        check_int(name, "patience", patience)
        check_int(name, "cooldown", cooldown)
        check_real(name, "threshold", threshold)
        check_real(name, "eps", eps)
        groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != groups:
                raise ConfigError(
                    f"{name}: min_lr lists {len(min_lr)} values, the optimizer has {groups} parameter groups"
                )
            min_lrs = list(min_lr)
        else:
            min_lrs = [min_lr] * groups
        for value in min_lrs:
            check_real(name, "min_lr", value)
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = int(patience)
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = int(cooldown)
        self.min_lrs = [float(value) for value in min_lrs]
        # One min_lr for all groups also covers groups added later (add_param_group), as in PyTorch.
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else float(min_lr)
        self.eps = eps
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._initial = False
        self._last_lr = self._current_lrs()

    def step(self, metrics) -> None:  # type: ignore[override]
        """Record one epoch's metric and reduce the learning rates if it has plateaued."""
        current = float(metrics.item() if isinstance(metrics, Tensor) else metrics)
        groups = len(self.optimizer.param_groups)
        if len(self.min_lrs) != groups:  # checked before anything changes, so a refused step changes nothing
            if self.default_min_lr is None:
                raise ConfigError(
                    f"ReduceLROnPlateau: min_lrs holds {len(self.min_lrs)} values but the optimizer now has "
                    f"{groups} parameter groups; set min_lrs to one value per group"
                )
            self.min_lrs = [self.default_min_lr] * groups
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # epochs in cooldown do not count as bad
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                old = float(group["lr"])
                new = max(old * self.factor, min_lr)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, value: float) -> bool:
        best, threshold = self.best, self.threshold
        if self.mode == "min":
            return value < (best * (1 - threshold) if self.threshold_mode == "rel" else best - threshold)
        return value > (best * (1 + threshold) if self.threshold_mode == "rel" else best + threshold)
