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
``step(epoch)``, deprecated in PyTorch, is taken with PyTorch's UserWarning and meaning: the
schedule goes to ``epoch``, its closed form there where it has one (``ReduceLROnPlateau.step(metric,
epoch)`` sets ``last_epoch``; ``CosineAnnealingWarmRestarts.step(epoch)`` is not deprecated).
``state_dict()`` holds plain numbers and lists only (LambdaLR's and MultiplicativeLR's functions
and CyclicLR's scale_fn are not saved: build the scheduler with them, then load the numbers);
SequentialLR's and ChainedScheduler's hold their schedules' state dicts.

A parameter group added to the optimizer after the scheduler was made (``add_param_group``) is
scaled along with the others by the schedules that only scale the current rates (StepLR,
MultiStepLR, ExponentialLR, ConstantLR, LinearLR, PolynomialLR, and ReduceLROnPlateau), as in
PyTorch; the others have no initial rate for it and refuse their next step with a ConfigError
(PyTorch's fail with zip()'s error or a KeyError, some only steps later). As PyTorch's, such a
schedule's state dict keeps the ``base_lrs`` of the groups it was made with, and a fresh schedule
over all the groups loads it.

OneCycleLR and CyclicLR are meant to be stepped once per batch, as in PyTorch; ``fit``'s
``LearningRateScheduler`` callback steps a schedule once per epoch, or after every batch with
``interval="step"``.
"""

from __future__ import annotations

import bisect
import math
import warnings

from ..errors import ConfigError, ModelFileError, ShapeError
from ..tensor import Tensor
from ._checks import check_choice, check_flag, check_int, check_real, check_whole
from .optimizer import Optimizer, to_plain


# Entries of a state dict that hold one value per parameter group.
_PER_GROUP = ("base_lrs", "_last_lr", "min_lrs", "max_lrs", "base_momentums", "max_momentums")

# Entries of a PyTorch scheduler's state dict that hold its own bookkeeping (whether get_lr() is
# called from step(), the initial step, the functions of LambdaLR and CyclicLR, which are not saved
# here either, ReduceLROnPlateau's worst value), which deltaprop has no use for: a PyTorch state
# dict loads without them.
_PYTORCH_ONLY = ("_get_lr_called_within_step", "_is_initial", "verbose", "lr_lambdas", "_scale_fn_custom", "mode_worse")


def _without_pytorch_bookkeeping(state_dict: dict) -> dict:
    return {key: value for key, value in state_dict.items() if key not in _PYTORCH_ONLY}


def _check_optimizer(owner: str, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner}: expected an optimizer from deltaprop.optim, got {type(optimizer).__name__}")


class LRScheduler:
    """Base class: subclasses compute the next learning rates in :meth:`get_lr`.

    ``last_epoch`` other than −1 resumes a schedule; every parameter group must then hold the
    ``initial_lr`` that a first scheduler recorded there (it travels in the optimizer's state dict).
    """

    # Whether a parameter group added to the optimizer after the scheduler was made
    # (add_param_group) is carried along: true of the schedules that only ever scale the current
    # rates, as in PyTorch. The others need each group's own initial rate (or function, or bounds),
    # which an added group lacks; where PyTorch's fail on it with zip()'s error or a KeyError, some
    # only after several steps, these refuse the first step in one sentence and change nothing.
    _follows_added_groups = False

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
        self._initial_step()

    def _initial_step(self) -> None:
        """The constructor's own step, which sets epoch 0 (or resumes at ``last_epoch + 1``): the
        recursive schedules leave the rate alone then. SequentialLR makes it again for the schedule
        it starts with."""
        self._step_count = 0
        self._initial = True
        try:
            self.step()
        finally:
            self._initial = False

    def get_lr(self) -> list[float]:
        """The learning rates for epoch ``last_epoch``, one per parameter group."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr()")

    def _check_groups(self, follows: bool) -> None:
        """Refuse a step over parameter groups the schedule does not know, unless it ``follows`` them."""
        known, now = len(self.base_lrs), len(self.optimizer.param_groups)
        if now != known and not follows:
            raise ConfigError(
                f"{type(self).__name__}: the optimizer has {now} parameter groups but this schedule was made for "
                f"{known}; it has no initial rate for a group added since (add_param_group), so make the "
                f"scheduler after adding every group"
            )

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch and set every parameter group's ``lr``.

        ``step(epoch)`` (deprecated in PyTorch, which warns) goes to ``epoch`` instead: the rates
        are the schedule's closed form there where it has one, else :meth:`get_lr` at that epoch,
        as in PyTorch; a UserWarning says so.
        """
        if epoch is not None:
            _warn_epoch(type(self).__name__, epoch)
            self._step_count += 1
            self._jump_to(int(epoch))
            return
        self._check_groups(self._follows_added_groups)
        self._step_count += 1
        self.last_epoch += 1
        self._set_lrs(self.get_lr())

    def _jump_to(self, epoch: int) -> None:
        """Set ``last_epoch`` to ``epoch`` and the rates to the schedule's value there: its closed
        form where it has one, else :meth:`get_lr` (which for a recursive schedule starts from the
        current rates). SequentialLR restarts a schedule at its milestone this way."""
        closed_form = getattr(self, "_closed_form_lr", None)
        self._check_groups(self._follows_added_groups and closed_form is None)  # a closed form needs base_lrs
        self.last_epoch = epoch
        self._set_lrs(closed_form() if closed_form is not None else self.get_lr())

    def _set_lrs(self, rates) -> None:
        """Give every parameter group its rate, and remember them for :meth:`get_last_lr`."""
        groups = self.optimizer.param_groups
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
    # Entries a schedule of the class has only with some options (the momentum cycle's of
    # OneCycleLR and CyclicLR): a state saved with them loads into one made without, as in PyTorch.
    _optional_entries: tuple = ()

    def state_dict(self) -> dict:
        """The schedule's counters and settings as plain numbers, strings and lists."""
        return {key: to_plain(value) for key, value in vars(self).items() if key not in self._unsaved}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a :meth:`state_dict` of a scheduler of the same class over as many parameter groups."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise ModelFileError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        state_dict = _without_pytorch_bookkeeping(state_dict)
        unknown = sorted(set(state_dict) - set(self.state_dict()) - set(self._optional_entries))
        if unknown:
            listed = ", ".join(map(str, unknown))
            raise ModelFileError(f"{name}: unexpected entries {listed} (saved by another scheduler?)")
        groups = len(self.optimizer.param_groups)
        for key in _PER_GROUP:
            if key not in state_dict:
                continue
            count = len(state_dict[key])
            # A schedule that followed groups added after it was made saved the base_lrs (and,
            # before its next step, the rates it last set; ReduceLROnPlateau, one min_lr given for
            # all, its min_lrs until a reduction) of the groups it was made with, as PyTorch's
            # does, and loads them so over all the groups.
            fewer = key in ("base_lrs", "_last_lr", "min_lrs") and self._follows_added_groups and count < groups
            if count != groups and not fewer:
                raise ShapeError(f"{name}: {key} holds {count} values, the optimizer has {groups} parameter groups")
        for key, value in state_dict.items():
            setattr(self, key, to_plain(value))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self._last_lr})"


def _warn_epoch(owner: str, epoch) -> None:
    """Check the ``epoch`` of a ``step(epoch)`` and warn, as PyTorch does, that the argument is deprecated."""
    check_int(owner, "the epoch given to step()", epoch)
    warnings.warn(
        f"{owner}.step(epoch) is deprecated, as in PyTorch: call step() once per epoch instead (given an epoch, the "
        "schedule jumps there, to its closed form where it has one)",
        UserWarning,
        stacklevel=3,
    )


def _per_group_functions(owner: str, optimizer: Optimizer, lr_lambda) -> list:
    """``lr_lambda`` as one function per parameter group (one given for all, or a list of them)."""
    groups = len(optimizer.param_groups)
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != groups:
            raise ConfigError(
                f"{owner}: expected {groups} functions in lr_lambda (one per parameter group), got {len(lr_lambda)}"
            )
        functions = list(lr_lambda)
    else:
        functions = [lr_lambda] * groups
    for function in functions:
        if not callable(function):
            raise ConfigError(f"{owner}: lr_lambda must be a function of the epoch, got {function!r}")
    return functions


class LambdaLR(LRScheduler):
    """lr = initial_lr · λ(epoch), with one function λ for all groups or one per group."""

    _unsaved = ("optimizer", "_initial", "lr_lambdas")

    def __init__(self, optimizer: Optimizer, lr_lambda, last_epoch: int = -1):
        _check_optimizer("LambdaLR", optimizer)
        self.lr_lambdas = _per_group_functions("LambdaLR", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * function(self.last_epoch) for base, function in zip(self.base_lrs, self.lr_lambdas)]


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    lr(epoch) = initial_lr · gamma^⌊epoch / step_size⌋, computed as PyTorch does: the current lr
    is multiplied by gamma at epochs step_size, 2·step_size, ...
    """

    _follows_added_groups = True

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        # a whole float (the language-modelling tutorial's StepLR(optimizer, 1.0, gamma=0.95)) is the
        # integer it holds; a fractional one is refused, as PyTorch's stepwise and closed forms disagree on it
        self.step_size = check_whole("StepLR", "step_size", step_size, low=1)
        check_real("StepLR", "gamma", gamma, low_closed=False)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each milestone epoch (twice if it is listed twice).

    lr(epoch) = initial_lr · gamma^(number of milestones ≤ epoch).
    """

    _follows_added_groups = True

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

    def _closed_form_lr(self) -> list[float]:
        passed = bisect.bisect_right(self.milestones, self.last_epoch)
        return [base * self.gamma**passed for base in self.base_lrs]

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a :meth:`state_dict`; PyTorch's, whose milestones are a Counter (a dict of
        milestone: times listed, its keys strings after JSON), loads too."""
        milestones = state_dict.get("milestones") if isinstance(state_dict, dict) else None
        if isinstance(milestones, dict):
            try:
                listed = sorted(int(key) for key, times in milestones.items() for _ in range(int(times)))
            except (TypeError, ValueError):
                raise ModelFileError(
                    f"MultiStepLR.load_state_dict: milestones must map epochs to counts, got {milestones!r}"
                ) from None
            state_dict = {**state_dict, "milestones": listed}
        super().load_state_dict(state_dict)


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch: lr(epoch) = initial_lr · gamma^epoch."""

    _follows_added_groups = True

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        check_real("ExponentialLR", "gamma", gamma, low_closed=False)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


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

    def _closed_form_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]


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

    _follows_added_groups = True  # (a group added since is reduced too, as in PyTorch; see step)

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
        min_lrs = _per_group(name, "min_lr", min_lr, optimizer)
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = int(patience)
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = int(cooldown)
        self.min_lrs = min_lrs
        # One min_lr for all groups also covers groups added later (add_param_group), as in PyTorch.
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else float(min_lr)
        self.eps = eps
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._initial = False
        self._last_lr = self._current_lrs()

    def step(self, metrics, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record one epoch's metric and reduce the learning rates if it has plateaued.

        ``epoch`` (deprecated in PyTorch, which warns, as this does) sets ``last_epoch`` instead of
        counting one more."""
        if epoch is not None:
            _warn_epoch("ReduceLROnPlateau", epoch)
        current = float(metrics.item() if isinstance(metrics, Tensor) else metrics)
        better = self._is_better(current)
        bad_epochs = 0 if better or self.cooldown_counter > 0 else self.num_bad_epochs + 1
        reduce = bad_epochs > self.patience
        groups = len(self.optimizer.param_groups)
        # As PyTorch, min_lrs follows groups added since (add_param_group) only when a reduction
        # comes, and only if one min_lr was given for all; checked before anything changes, so a
        # refused step changes nothing
        if reduce and len(self.min_lrs) != groups and self.default_min_lr is None:
            raise ConfigError(
                f"ReduceLROnPlateau: min_lrs holds {len(self.min_lrs)} values but the optimizer now has "
                f"{groups} parameter groups; set min_lrs to one value per group"
            )
        self.last_epoch = self.last_epoch + 1 if epoch is None else int(epoch)
        if better:
            self.best = current
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1  # epochs in cooldown do not count as bad
        self.num_bad_epochs = bad_epochs
        if reduce:
            if len(self.min_lrs) != groups:
                self.min_lrs = [self.default_min_lr] * groups
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


def _per_group(owner: str, name: str, value, optimizer: Optimizer, **bounds) -> list[float]:
    """One value for every parameter group: ``value`` repeated, or a list of one per group, each
    checked with :func:`check_real` (``bounds`` its interval)."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ConfigError(f"{owner}: {name} lists {len(value)} values, the optimizer has {groups} parameter groups")
        values = list(value)
    else:
        values = [value] * groups
    for item in values:
        check_real(owner, name, item, **bounds)
    return [float(item) for item in values]


def _momentum_key(owner: str, optimizer: Optimizer) -> str:
    """What a momentum cycle changes: beta1 of ``betas`` (the Adam family) or ``momentum``."""
    if "betas" in optimizer.defaults:
        return "betas"
    if "momentum" in optimizer.defaults:
        return "momentum"
    raise ConfigError(
        f"{owner}: cycle_momentum=True needs an optimizer with momentum or betas, and "
        f"{type(optimizer).__name__} has neither; pass cycle_momentum=False"
    )


def _set_momentum(group: dict, use_beta1: bool, momentum: float) -> None:
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _start_momentum(groups: list, use_beta1: bool, max_momentums: list, base_momentums: list) -> None:
    """A momentum cycle's start: each group's momentum at its upper bound, both bounds recorded in
    the group (where they travel with the optimizer's state dict)."""
    for high, low, group in zip(max_momentums, base_momentums, groups):
        _set_momentum(group, use_beta1, high)
        group["max_momentum"] = high
        group["base_momentum"] = low


class MultiplicativeLR(LRScheduler):
    """Multiply the learning rate by λ(epoch) every epoch, with one function λ for all groups or
    one per group: lr(t) = lr(t − 1) · λ(t), for t ≥ 1.

    The functions are not saved in :meth:`state_dict` (as for :class:`LambdaLR`).
    """

    _unsaved = ("optimizer", "_initial", "lr_lambdas")

    def __init__(self, optimizer: Optimizer, lr_lambda, last_epoch: int = -1):
        _check_optimizer("MultiplicativeLR", optimizer)
        self.lr_lambdas = _per_group_functions("MultiplicativeLR", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._initial:
            return self._current_lrs()
        return [lr * function(self.last_epoch) for lr, function in zip(self._current_lrs(), self.lr_lambdas)]


class ConstantLR(LRScheduler):
    """Multiply the learning rate by ``factor`` until epoch ``total_iters``, then restore it:
    lr(t) = initial_lr · factor for t < total_iters, initial_lr afterwards.

    Computed as PyTorch does, from the current rate (× factor at epoch 0, ÷ factor at total_iters),
    so a change made by another schedule carries on. PyTorch accepts factor = 0 and then divides by
    zero at total_iters; here factor must be positive.
    """

    _follows_added_groups = True

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1):
        check_real("ConstantLR", "factor", factor, high=1, low_closed=False, high_closed=True)
        check_int("ConstantLR", "total_iters", total_iters)
        self.factor = factor
        self.total_iters = int(total_iters)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr * (1.0 / self.factor) for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        factor = self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)
        return [base * factor for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the learning rate by a factor that moves linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` epochs, then stays:

        lr(t) = initial_lr · (s + (e − s) · min(t, total_iters) / total_iters)

    computed recursively from the current rate, as PyTorch does (a warm-up before another
    schedule, in :class:`SequentialLR`, is its common use).
    """

    _follows_added_groups = True

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ):
        check_real("LinearLR", "start_factor", start_factor, high=1, low_closed=False, high_closed=True)
        check_real("LinearLR", "end_factor", end_factor, high=1, high_closed=True)
        check_int("LinearLR", "total_iters", total_iters, low=1)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = int(total_iters)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, start, end = self.last_epoch, self.start_factor, self.end_factor
        if t == 0:
            return [lr * start for lr in self._current_lrs()]
        if self._initial or t > self.total_iters:
            return self._current_lrs()
        ratio = 1.0 + (end - start) / (self.total_iters * start + (t - 1) * (end - start))
        return [lr * ratio for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        done = min(self.total_iters, self.last_epoch) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * done
        return [base * factor for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the learning rate to 0 in ``total_iters`` epochs along a polynomial, then keep it there:

        lr(t) = initial_lr · (1 − min(t, total_iters) / total_iters)^power

    computed recursively from the current rate, as PyTorch does.
    """

    _follows_added_groups = True

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1):
        check_int("PolynomialLR", "total_iters", total_iters, low=1)
        check_real("PolynomialLR", "power", power)
        self.total_iters = int(total_iters)
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, total = self.last_epoch, self.total_iters
        if self._initial or t > total:
            return self._current_lrs()
        decay = ((1.0 - t / total) / (1.0 - (t - 1) / total)) ** self.power
        return [lr * decay for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        left = 1.0 - min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * left**self.power for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing from initial_lr to ``eta_min`` that restarts (SGDR, Loshchilov & Hutter):

        lr = η_min + ½(η₀ − η_min)(1 + cos(π·T_cur / T_i))

    T_cur counts the epochs since the last restart and T_i is the length of the current cycle:
    T_0 first, multiplied by ``T_mult`` at each restart. ``step()`` advances one epoch;
    ``step(epoch)`` jumps to ``epoch``, which may be fractional (``epoch + batch / batches`` for
    a per-batch schedule), and may go back.
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1):
        check_int("CosineAnnealingWarmRestarts", "T_0", T_0, low=1)
        check_int("CosineAnnealingWarmRestarts", "T_mult", T_mult, low=1)
        check_real("CosineAnnealingWarmRestarts", "eta_min", eta_min)
        self.T_0 = int(T_0)
        self.T_i = int(T_0)
        self.T_mult = int(T_mult)
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]

    def step(self, epoch=None) -> None:
        """Advance one epoch, or go to ``epoch`` (a non-negative number, fractions allowed)."""
        if epoch is not None:
            check_real("CosineAnnealingWarmRestarts", "epoch", epoch)
        self._check_groups(False)
        # (no _step_count += 1: PyTorch's step of this schedule never counts, so its state dict keeps 0)
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur %= self.T_i  # as PyTorch: a resume with last_epoch restarts a cycle here
                self.T_i *= self.T_mult
        elif epoch >= self.T_0:
            if self.T_mult == 1:
                self.T_cur = epoch % self.T_0
            else:
                # cycles before epoch: n with T_0·(T_mult^n − 1)/(T_mult − 1) ≤ epoch
                n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                self.T_i = self.T_0 * self.T_mult**n
        else:
            self.T_i = self.T_0
            self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self._set_lrs(self.get_lr())


class CyclicLR(LRScheduler):
    """Cycle the learning rate between ``base_lr`` and ``max_lr`` (Smith), stepped once per batch in
    PyTorch's use (in ``fit``, ``LearningRateScheduler(scheduler, interval="step")``; with the
    callback's default interval, a step is an epoch).

    With L = step_size_up + step_size_down, at step t: cycle c = ⌊1 + t/L⌋, x = 1 + t/L − c (the
    position in the cycle), and the height h = x·L/step_size_up on the way up, (1 − x)·L/step_size_down
    on the way down. Then lr = base_lr + (max_lr − base_lr)·h·s, where the scale s is 1
    ('triangular'), 1/2^(c−1) ('triangular2', halved each cycle), γ^t ('exp_range'), or
    ``scale_fn`` of c or t (``scale_mode``). With ``cycle_momentum`` the momentum (SGD, RMSprop) or
    beta1 (the Adam family) moves the other way: max_momentum − (max_momentum − base_momentum)·h·s.

    ``base_lr`` replaces the optimizer's rates when the schedule starts (last_epoch = −1), and the
    momentum bounds are recorded in each parameter group (``base_momentum``, ``max_momentum``).
    ``scale_fn`` is not saved in :meth:`state_dict`.
    """

    _unsaved = ("optimizer", "_initial", "scale_fn")
    _optional_entries = ("use_beta1", "base_momentums", "max_momentums")

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr,
        max_lr,
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn=None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum=0.8,
        max_momentum=0.9,
        last_epoch: int = -1,
    ):
        name = "CyclicLR"
        _check_optimizer(name, optimizer)
        check_int(name, "last_epoch", last_epoch, low=-1)
        base_lrs = _per_group(name, "base_lr", base_lr, optimizer)
        self.max_lrs = _per_group(name, "max_lr", max_lr, optimizer)
        check_int(name, "step_size_up", step_size_up, low=1)
        if step_size_down is not None:
            check_int(name, "step_size_down", step_size_down)
        if scale_fn is None:
            check_choice(name, "mode", mode, ("triangular", "triangular2", "exp_range"))
        elif not callable(scale_fn):
            raise ConfigError(f"{name}: scale_fn must be a function of the cycle or the step, got {scale_fn!r}")
        check_choice(name, "scale_mode", scale_mode, ("cycle", "iterations"))
        check_real(name, "gamma", gamma, low_closed=False)
        check_flag(name, "cycle_momentum", cycle_momentum)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        self.mode = mode
        self.gamma = gamma
        self.scale_fn = scale_fn
        # The built-in modes fix what they scale by, whatever scale_mode says (as in PyTorch).
        if scale_fn is None:
            scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.scale_mode = scale_mode
        self.cycle_momentum = bool(cycle_momentum)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        if self.cycle_momentum:
            self.use_beta1 = _momentum_key(name, optimizer) == "betas"
            self.base_momentums = _per_group(name, "base_momentum", base_momentum, optimizer)
            self.max_momentums = _per_group(name, "max_momentum", max_momentum, optimizer)
            if last_epoch == -1:
                _start_momentum(optimizer.param_groups, self.use_beta1, self.max_momentums, self.base_momentums)
        super().__init__(optimizer, last_epoch)
        # The constructor's step used the recorded initial_lr, as PyTorch's does; base_lr from now on.
        self.base_lrs = base_lrs

    def _scale(self, cycle: int) -> float:
        at = cycle if self.scale_mode == "cycle" else self.last_epoch
        if self.scale_fn is not None:
            return self.scale_fn(at)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (at - 1))
        return self.gamma**at

    def get_lr(self) -> list[float]:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            height = x / self.step_ratio
        else:
            height = (x - 1) / (self.step_ratio - 1)
        scale = self._scale(cycle)
        rates = [base + (top - base) * height * scale for base, top in zip(self.base_lrs, self.max_lrs, strict=True)]
        if self.cycle_momentum:
            for group, low, high in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums, strict=True):
                _set_momentum(group, self.use_beta1, high - (high - low) * height * scale)
        return rates


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topsakal): warm the learning rate up from max_lr/div_factor to
    ``max_lr``, then anneal it to max_lr/(div_factor·final_div_factor), over ``total_steps`` steps
    (or ``epochs · steps_per_epoch``). PyTorch steps it once per batch, as ``fit`` does with
    ``LearningRateScheduler(scheduler, interval="step")``; with the callback's default interval a
    step is an epoch, so give ``total_steps=epochs`` there.

    With T = total_steps and p = pct_start, the phases end at steps p·T − 1 and T − 1 (three_phase:
    p·T − 1, 2p·T − 2 and T − 1, the second going back down to the initial rate and the third
    annealing to the minimum). Within a phase from step a to b, at step t, with q = (t − a)/(b − a)::

        cos:     lr = end + (start − end)·(1 + cos(π·q))/2
        linear:  lr = start + (end − start)·q

    With ``cycle_momentum`` the momentum (SGD, RMSprop) or beta1 (the Adam family) moves the other
    way, between ``max_momentum`` and ``base_momentum``. The bounds are recorded in each parameter
    group (``initial_lr``, ``max_lr``, ``min_lr``, ``max_momentum``, ``base_momentum``) and travel
    with the optimizer's state dict. A step past total_steps raises ConfigError and changes nothing.
    """

    _optional_entries = ("use_beta1",)

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ):
        name = "OneCycleLR"
        _check_optimizer(name, optimizer)
        check_int(name, "last_epoch", last_epoch, low=-1)
        if total_steps is not None:
            check_int(name, "total_steps", total_steps, low=1)
            self.total_steps = int(total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            check_int(name, "epochs", epochs, low=1)
            check_int(name, "steps_per_epoch", steps_per_epoch, low=1)
            self.total_steps = int(epochs) * int(steps_per_epoch)
        else:
            raise ConfigError(f"{name}: give total_steps, or both epochs and steps_per_epoch")
        check_real(name, "pct_start", pct_start, high=1, high_closed=True)
        check_choice(name, "anneal_strategy", anneal_strategy, ("cos", "linear"))
        check_real(name, "div_factor", div_factor, low_closed=False)
        check_real(name, "final_div_factor", final_div_factor, low_closed=False)
        check_flag(name, "three_phase", three_phase)
        check_flag(name, "cycle_momentum", cycle_momentum)
        max_lrs = _per_group(name, "max_lr", max_lr, optimizer)
        total = self.total_steps
        if three_phase:
            phases = [
                (float(pct_start * total) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (float(2 * pct_start * total) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                (total - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            phases = [
                (float(pct_start * total) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (total - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        keys = ("end_step", "start_lr", "end_lr", "start_momentum", "end_momentum")
        self._schedule_phases = [dict(zip(keys, phase)) for phase in phases]
        start = 0.0
        for i, phase in enumerate(self._schedule_phases):
            if phase["end_step"] == start:  # PyTorch divides by zero when it gets there
                raise ConfigError(
                    f"{name}: pct_start={pct_start!r} with total_steps={total} leaves phase {i + 1} of the "
                    f"schedule without steps; choose another pct_start"
                )
            start = phase["end_step"]
        self._anneal_func_type = anneal_strategy
        self.cycle_momentum = bool(cycle_momentum)
        groups = optimizer.param_groups
        if last_epoch == -1:
            for top, group in zip(max_lrs, groups):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        if self.cycle_momentum:
            self.use_beta1 = _momentum_key(name, optimizer) == "betas"
            max_momentums = _per_group(name, "max_momentum", max_momentum, optimizer)
            base_momentums = _per_group(name, "base_momentum", base_momentum, optimizer)
            if last_epoch == -1:
                _start_momentum(groups, self.use_beta1, max_momentums, base_momentums)
        if last_epoch != -1:
            needed = ["max_lr", "min_lr"] + (["max_momentum", "base_momentum"] if self.cycle_momentum else [])
            for i, group in enumerate(groups):
                missing = [key for key in needed if key not in group]
                if missing:
                    raise ConfigError(
                        f"{name}: last_epoch={last_epoch} resumes a schedule, but parameter group {i} has no "
                        f"{missing[0]!r}; load the optimizer's saved state first, or start with last_epoch=-1"
                    )
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, fraction: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)
        return (end - start) * fraction + start

    def step(self, epoch: int | None = None) -> None:
        """Advance one step (or go to step ``epoch``, deprecated as in PyTorch); a step past
        ``total_steps`` raises ConfigError and changes nothing."""
        if epoch is not None:
            check_int("OneCycleLR", "the epoch given to step()", epoch)
        to = self.last_epoch + 1 if epoch is None else int(epoch)
        if to > self.total_steps:
            raise ConfigError(
                f"OneCycleLR: step {to} is past the end of the schedule (total_steps="
                f"{self.total_steps}); make total_steps (or epochs · steps_per_epoch) cover every step"
            )
        super().step(epoch)

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        rates = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end = phase["end_step"]
                if t <= end or i == last:
                    fraction = (t - start) / (end - start)
                    rates.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], fraction))
                    if self.cycle_momentum:
                        momentum = self._anneal(group[phase["start_momentum"]], group[phase["end_momentum"]], fraction)
                        _set_momentum(group, self.use_beta1, momentum)
                    break
                start = end
        return rates


class _Composite(LRScheduler):
    """What SequentialLR and ChainedScheduler share: a list of schedules over one optimizer, whose
    states are saved inside this one's."""

    def _check_schedulers(self, owner: str, optimizer: Optimizer, schedulers) -> list:
        if isinstance(schedulers, LRScheduler) or not isinstance(schedulers, (list, tuple)):
            raise ConfigError(f"{owner}: schedulers must be a list of schedulers, got {type(schedulers).__name__}")
        if not schedulers:
            raise ConfigError(f"{owner}: got an empty list of schedulers")
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler):
                raise ConfigError(
                    f"{owner}: scheduler {i} is a {type(scheduler).__name__}, not a deltaprop.optim.lr_scheduler schedule"
                )
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ConfigError(
                    f"{owner}: scheduler {i} is a ReduceLROnPlateau, which steps with a metric; step it on its own"
                )
            if scheduler.optimizer is not optimizer:
                raise ConfigError(f"{owner}: scheduler {i} ({type(scheduler).__name__}) belongs to another optimizer")
        return list(schedulers)

    def state_dict(self) -> dict:
        """This schedule's counters, with each scheduler's own state dict in ``_schedulers``."""
        state = {key: to_plain(value) for key, value in vars(self).items() if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise ModelFileError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        state_dict = _without_pytorch_bookkeeping(state_dict)
        unknown = sorted(set(state_dict) - set(self.state_dict()))
        if unknown:
            raise ModelFileError(f"{name}: unexpected entries {', '.join(map(str, unknown))} (saved by another scheduler?)")
        saved = state_dict.get("_schedulers")
        if not isinstance(saved, list) or len(saved) != len(self._schedulers):
            count = len(saved) if isinstance(saved, list) else "no"
            raise ShapeError(f"{name}: the saved state holds {count} schedulers, this one has {len(self._schedulers)}")
        for scheduler, state in zip(self._schedulers, saved):
            scheduler.load_state_dict(state)
        for key, value in state_dict.items():
            if key != "_schedulers":
                setattr(self, key, to_plain(value))

    def __repr__(self) -> str:
        inner = ", ".join(type(scheduler).__name__ for scheduler in self._schedulers)
        return f"{type(self).__name__}([{inner}], last_lr={self._last_lr})"


class SequentialLR(_Composite):
    """Run one schedule after another: ``schedulers[0]`` until ``milestones[0]``, then
    ``schedulers[1]``, restarted at its epoch 0, and so on (a linear warm-up, then a cosine, say)::

        SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, T_max=95)], milestones=[5])

    At a milestone the next schedule restarts from its closed form at epoch 0 (its initial_lr,
    scaled as it scales it), or from :meth:`get_lr` where it has no closed form, as in PyTorch.
    """

    def __init__(self, optimizer: Optimizer, schedulers, milestones, last_epoch: int = -1):
        name = "SequentialLR"
        _check_optimizer(name, optimizer)
        check_int(name, "last_epoch", last_epoch, low=-1)
        schedulers = self._check_schedulers(name, optimizer, schedulers)
        milestones = list(milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ConfigError(
                f"{name}: expected {len(schedulers) - 1} milestones (one fewer than the {len(schedulers)} "
                f"schedulers), got {len(milestones)}"
            )
        for milestone in milestones:
            check_int(name, "each milestone", milestone)
        if milestones != sorted(milestones):
            raise ConfigError(f"{name}: milestones must be in increasing order, got {milestones}")
        self._schedulers = schedulers
        self._milestones = [int(milestone) for milestone in milestones]
        self.last_epoch = int(last_epoch) + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:  # back to the rates the schedules started from
            group["lr"] = group["initial_lr"]
        _undo_initial_steps(self)
        first = self._schedulers[bisect.bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        """Advance one epoch: step the schedule in charge, or restart the next one at a milestone."""
        epoch = self.last_epoch + 1  # counted once the schedule in charge has taken the step
        i = bisect.bisect_right(self._milestones, epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == epoch:
            scheduler._jump_to(0)
        else:
            scheduler.step()
        self.last_epoch = epoch
        self._last_lr = scheduler.get_last_lr()


def _undo_initial_steps(scheduler) -> None:
    """Take back the epoch each inner schedule's constructor counted (nested lists included)."""
    inner = getattr(scheduler, "_schedulers", None)
    if inner is not None:
        for each in inner:
            _undo_initial_steps(each)
    else:
        scheduler.last_epoch -= 1


class ChainedScheduler(_Composite):
    """Step several schedules together, each changing the rate the previous one left: their effects
    multiply (an ExponentialLR decay with a ConstantLR warm-up, say). ``optimizer`` defaults to the
    first schedule's. It keeps no epoch count of its own."""

    def __init__(self, schedulers, optimizer: Optimizer | None = None):
        name = "ChainedScheduler"
        if optimizer is None and isinstance(schedulers, (list, tuple)) and schedulers:
            optimizer = getattr(schedulers[0], "optimizer", None)
        if optimizer is not None:
            _check_optimizer(name, optimizer)
        self._schedulers = self._check_schedulers(name, optimizer, schedulers)
        self.optimizer = optimizer
        self._last_lr = self._current_lrs()

    def step(self) -> None:
        """Step every schedule, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._current_lrs()
