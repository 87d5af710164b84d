"""Pruning, as PyTorch's ``nn.utils.prune``: some entries of a layer's weight held at zero by a mask.

Pruning ``module.<name>`` moves the parameter to ``<name>_orig`` (the same Parameter object, so an
optimizer holding it goes on training it), adds the buffer ``<name>_mask`` (1 where an entry is
kept, 0 where it is pruned, in the weight's dtype) and registers the pruning method as a forward
pre-hook, which sets the attribute ``<name>`` = ``<name>_orig`` · ``<name>_mask`` before each
forward pass. The product is recorded on the graph, so the gradient reaching ``<name>_orig`` is the
upstream one times the mask: zero at every pruned entry. State-dict keys are PyTorch's
(``weight_orig``, ``weight_mask``).

Pruning the same tensor again gathers the methods in a :class:`PruningContainer`: the newest one
chooses only among what is still kept (entries for an unstructured method, channels along its
``dim`` for a structured one; a ``"global"`` method such as :class:`CustomFromMask` sees the whole
tensor), and its mask multiplies the old. :func:`remove` makes the pruning permanent: ``<name>`` is
a parameter again (the same object), holding the masked values.

Ranking: the entries (or channels) with the lowest scores are pruned; among equal scores the one
of lower index goes first (PyTorch's ``topk`` picks among ties in an order of its own). The random
methods draw from deltaprop's generator (``deltaprop.manual_seed``).
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

import numpy as np

from ...errors import ConfigError, ShapeError
from ...grad_mode import no_grad
from ...random import numpy_generator
from ...tensor import Tensor
from ..module import Module, Parameter

__all__ = [
    "BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured", "RandomStructured",
    "LnStructured", "CustomFromMask", "identity", "random_unstructured", "l1_unstructured", "random_structured",
    "ln_structured", "global_unstructured", "custom_from_mask", "remove", "is_pruned",
]


def _array(value) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _hooks(module: Module):
    """(key, method) for each pruning method registered as a forward pre-hook of ``module``."""
    for key, (hook, _) in module.__dict__.get("_forward_pre_hooks", {}).items():
        if isinstance(hook, BasePruningMethod):
            yield key, hook


def _hook_of(module: Module, name: str):
    """(key, method) of the pruning method of ``module.<name>``, or (None, None)."""
    return next(((key, hook) for key, hook in _hooks(module) if hook._tensor_name == name), (None, None))


# -- amounts ----------------------------------------------------------------------------------


def _checked_amount(where: str, amount):
    """``amount`` as PyTorch takes it: a fraction in [0, 1] (a float) or a count (a non-negative int)."""
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"{where}: amount must be a float in [0, 1] (a fraction) or an int (a count), got {amount!r}")
    if isinstance(amount, numbers.Integral):
        if amount < 0:
            raise ConfigError(f"{where}: amount must be a non-negative count, got {amount}")
    elif not 0.0 <= float(amount) <= 1.0:
        raise ConfigError(f"{where}: amount must be a fraction in [0, 1] when it is a float, got {amount}")
    return amount


def _count(where: str, amount, size: int) -> int:
    """How many of ``size`` entries (or channels) ``amount`` prunes: a count as it is, a fraction
    rounded as Python rounds (half to even, as PyTorch does)."""
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise ConfigError(f"{where}: amount={amount} is more than the {size} entries there are to prune")
        return int(amount)
    return round(amount * size)


def _structured_axis(where: str, t: np.ndarray, dim: int) -> int:
    """``dim`` as an axis of ``t``, which must have two axes at least (channels and what they hold)."""
    if t.ndim < 2:
        raise ConfigError(f"{where}: structured pruning needs a tensor of two or more dimensions, got shape {t.shape}")
    if not -t.ndim <= dim < t.ndim:
        raise IndexError(f"{where}: dim={dim} is out of range for a tensor of shape {t.shape}")
    return dim % t.ndim


def _channels(t: np.ndarray, axis: int, kept: np.ndarray) -> tuple:
    """The index of the channels ``kept`` (booleans or positions) along ``axis`` of ``t``."""
    return (slice(None),) * axis + (kept,)


# -- the methods ------------------------------------------------------------------------------


class BasePruningMethod(ABC):
    """A way of choosing what to prune. A subclass says its ``PRUNING_TYPE`` (``"unstructured"``,
    ``"structured"``, with a ``dim`` attribute, or ``"global"``) and computes a mask in
    ``compute_mask(t, default_mask)``: ``t`` holds the importance scores (the weight by default),
    ``default_mask`` the entries still kept (ones where nothing is pruned yet); the mask it returns
    (a tensor or an array of ``t``'s shape) prunes within those. ``apply`` prunes a module's tensor
    with it; calling the method on a module recomputes the pruned tensor (the forward pre-hook)."""

    PRUNING_TYPE: str | None = None
    _tensor_name: str | None = None  # the tensor it prunes, set by apply

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The new mask for importance scores ``t``, within ``default_mask``."""

    def apply_mask(self, module: Module) -> Tensor:
        """``<name>_orig`` · ``<name>_mask`` of ``module``: the pruned tensor, recorded on the graph."""
        if self._tensor_name is None:
            raise ConfigError(f"{type(self).__name__}.apply_mask: the method prunes no tensor yet; use "
                              "apply(module, name)")
        original = getattr(module, self._tensor_name + "_orig")
        mask = _array(getattr(module, self._tensor_name + "_mask"))
        return original * mask.astype(original.data.dtype, copy=False)

    @classmethod
    def apply(cls, module: Module, name: str, *args, importance_scores=None, **kwargs) -> "BasePruningMethod":
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)``, ranking by ``importance_scores``
        (the tensor itself by default); returns the method now registered for it (a container when
        the tensor was pruned before). Nothing changes when the mask cannot be computed."""
        return _prune(module, name, cls(*args, **kwargs), importance_scores)

    def prune(self, t, default_mask=None, importance_scores=None) -> Tensor:
        """``t`` times the mask this method computes for it (from ``importance_scores``, or ``t``)."""
        values = _array(t)
        scores = values if importance_scores is None else _array(importance_scores)
        if scores.shape != values.shape:
            raise ShapeError(f"{type(self).__name__}.prune: importance_scores has shape {scores.shape}, the tensor "
                             f"{values.shape}")
        default = np.ones_like(values) if default_mask is None else _array(default_mask)
        mask = _array(self.compute_mask(Tensor._wrap(scores), Tensor._wrap(default)))
        return (t if isinstance(t, Tensor) else Tensor._wrap(values)) * mask.astype(values.dtype, copy=False)

    def remove(self, module: Module) -> None:
        """Make the pruning permanent: ``module.<name>`` becomes the parameter (the object that was
        ``<name>_orig``) holding the masked values; ``<name>_orig`` and ``<name>_mask`` go."""
        name = self._tensor_name
        if name is None:
            raise ConfigError(f"{type(self).__name__}.remove: the method prunes no tensor; nothing to remove")
        with no_grad():
            pruned = self.apply_mask(module)
        parameter = getattr(module, name + "_orig")
        delattr(module, name + "_orig")
        delattr(module, name + "_mask")
        if name in module.__dict__:
            object.__delattr__(module, name)
        parameter.data = pruned.data
        module.register_parameter(name, parameter)


def _prune(module: Module, name: str, method: BasePruningMethod, importance_scores) -> BasePruningMethod:
    """Compute the mask of ``module.<name>`` first, then move the parameter and register the hook."""
    where = f"prune.{type(method).__name__}"
    method._tensor_name = name
    key, old = _hook_of(module, name)
    current = getattr(module, name)
    if old is None and not isinstance(module._parameters.get(name), Parameter):
        raise ConfigError(f"{where}: {type(module).__name__}'s {name!r} is not a parameter, so it cannot be pruned")
    scores = _array(current if importance_scores is None else importance_scores)
    if scores.shape != _array(current).shape:
        raise ShapeError(f"{where}: importance_scores has shape {scores.shape}, but {type(module).__name__}'s {name} "
                         f"has shape {_array(current).shape}")
    if old is None:
        combined, default = method, np.ones_like(_array(current))
    else:
        combined = PruningContainer(*(old if isinstance(old, PruningContainer) else (old,)), method)
        default = np.array(_array(getattr(module, name + "_mask")), copy=True)
    mask = _array(combined.compute_mask(Tensor._wrap(scores), Tensor._wrap(default)))
    if old is None:
        module.register_parameter(name + "_orig", module._parameters.pop(name))
        module.register_forward_pre_hook(method)
    elif isinstance(old, PruningContainer):
        old.add_pruning_method(method)  # the container registered stays; it gets the new method
        combined = old
    else:
        del module._forward_pre_hooks[key]
        module.register_forward_pre_hook(combined)
    module.register_buffer(name + "_mask", np.array(mask, dtype=_array(current).dtype, copy=True))
    setattr(module, name, combined.apply_mask(module))
    return combined


class PruningContainer(BasePruningMethod):
    """The pruning methods applied to one tensor in turn (iterative pruning); its mask is the last
    method's, computed over what the ones before kept. Iterable, indexable and sized."""

    def __init__(self, *methods) -> None:
        self._pruning_methods: tuple = ()
        for method in methods:
            self.add_pruning_method(method)

    def add_pruning_method(self, method) -> None:
        """Append ``method``, which must prune the same tensor (None is skipped, as in PyTorch)."""
        if method is None:
            return
        if not isinstance(method, BasePruningMethod):
            raise TypeError(f"PruningContainer.add_pruning_method: expected a pruning method, got a "
                            f"{type(method).__name__}")
        if self._tensor_name is None:
            self._tensor_name = method._tensor_name
        elif method._tensor_name != self._tensor_name:
            raise ConfigError(f"PruningContainer.add_pruning_method: the container prunes {self._tensor_name!r}, the "
                              f"method {method._tensor_name!r}")
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, index):
        return self._pruning_methods[index]

    def compute_mask(self, t, default_mask) -> Tensor:
        """``default_mask`` with the last method's mask put over what it still keeps."""
        if not self._pruning_methods:
            raise ConfigError("PruningContainer.compute_mask: the container holds no pruning method")
        method = self._pruning_methods[-1]
        scores, mask = _array(t), np.array(_array(default_mask), copy=True)
        kind = method.PRUNING_TYPE
        if kind == "unstructured":
            part = mask == 1  # the entries still kept, as one vector
        elif kind == "structured":
            if not hasattr(method, "dim"):
                raise ConfigError(f"PruningContainer: the structured method {type(method).__name__} has no dim")
            axis = _structured_axis(f"PruningContainer ({type(method).__name__})", scores, method.dim)
            kept = mask.sum(axis=tuple(a for a in range(mask.ndim) if a != axis)) != 0
            part = _channels(mask, axis, kept)  # the channels still kept
        elif kind == "global":
            part = (slice(None),) * mask.ndim
        else:
            raise ConfigError(f"PruningContainer: {type(method).__name__} has PRUNING_TYPE {kind!r} ('unstructured', "
                              "'structured' or 'global' expected)")
        partial = method.compute_mask(Tensor._wrap(scores[part]), Tensor._wrap(mask[part]))
        mask[part] = _array(partial)
        return Tensor._wrap(mask)


class Identity(BasePruningMethod):
    """Prunes nothing: the mask is all ones (a tensor made ready to be pruned, or to load a pruned
    model's state dict into)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask) -> Tensor:
        return Tensor._wrap(np.array(_array(default_mask), copy=True))

    @classmethod
    def apply(cls, module: Module, name: str) -> "BasePruningMethod":
        return super().apply(module, name)


class _Unstructured(BasePruningMethod):
    """Prunes ``amount`` entries anywhere in the tensor: those ``_order`` lists first."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount) -> None:
        self.amount = _checked_amount(f"prune.{type(self).__name__}", amount)

    def compute_mask(self, t, default_mask) -> Tensor:
        scores, mask = _array(t), np.array(_array(default_mask), copy=True)
        count = _count(f"prune.{type(self).__name__}", self.amount, scores.size)
        if count:
            mask.reshape(-1)[self._order(scores.reshape(-1))[:count]] = 0
        return Tensor._wrap(mask)


class RandomUnstructured(_Unstructured):
    """Prunes ``amount`` entries (a fraction, or a count) chosen at random."""

    def _order(self, scores: np.ndarray) -> np.ndarray:
        return numpy_generator().permutation(scores.size)

    @classmethod
    def apply(cls, module: Module, name: str, amount) -> "BasePruningMethod":
        return super().apply(module, name, amount=amount)


class L1Unstructured(_Unstructured):
    """Prunes the ``amount`` entries (a fraction, or a count) of smallest absolute value."""

    def _order(self, scores: np.ndarray) -> np.ndarray:
        return np.argsort(np.abs(scores), kind="stable")

    @classmethod
    def apply(cls, module: Module, name: str, amount, importance_scores=None) -> "BasePruningMethod":
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class _Structured(BasePruningMethod):
    """Prunes ``amount`` whole channels along ``dim`` (rows of a Linear weight for dim=0, its
    columns for dim=1, a convolution's filters for dim=0): those ``_order`` lists first."""

    PRUNING_TYPE = "structured"

    def compute_mask(self, t, default_mask) -> Tensor:
        where = f"prune.{type(self).__name__}"
        scores, default = _array(t), _array(default_mask)
        axis = _structured_axis(where, scores, self.dim)
        channels = scores.shape[axis]
        count = _count(where, self.amount, channels)
        if count == 0:
            return Tensor._wrap(np.array(default, copy=True))
        kept = np.sort(self._order(scores, axis)[count:])
        mask = np.zeros_like(default)
        mask[_channels(mask, axis, kept)] = 1
        return Tensor._wrap(mask * default)


class RandomStructured(_Structured):
    """Prunes ``amount`` channels (a fraction, or a count) along ``dim``, chosen at random."""

    def __init__(self, amount, dim: int = -1) -> None:
        self.amount = _checked_amount("prune.RandomStructured", amount)
        self.dim = dim

    def _order(self, scores: np.ndarray, axis: int) -> np.ndarray:
        return numpy_generator().permutation(scores.shape[axis])

    @classmethod
    def apply(cls, module: Module, name: str, amount, dim: int = -1) -> "BasePruningMethod":
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(_Structured):
    """Prunes the ``amount`` channels (a fraction, or a count) along ``dim`` of smallest L\\ ``n``
    norm, ‖c‖ₙ = (Σ|cᵢ|ⁿ)^(1/n) over each channel's entries (``n`` a number, ``inf``, ``-inf``,
    0 counting the non-zero entries, or ``"fro"``, the L2 norm)."""

    def __init__(self, amount, n, dim: int = -1) -> None:
        self.amount = _checked_amount("prune.LnStructured", amount)
        if not (n == "fro" or (isinstance(n, numbers.Real) and not isinstance(n, bool))):
            raise ConfigError(f"prune.LnStructured: n must be a number, inf, -inf or 'fro', got {n!r}")
        self.n = n
        self.dim = dim

    def _order(self, scores: np.ndarray, axis: int) -> np.ndarray:
        rows = np.moveaxis(scores, axis, 0).reshape(scores.shape[axis], -1)
        norms = np.linalg.norm(rows, ord=2 if self.n == "fro" else self.n, axis=1)
        return np.argsort(norms, kind="stable")

    @classmethod
    def apply(cls, module: Module, name: str, amount, n, dim: int, importance_scores=None) -> "BasePruningMethod":
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes where ``mask`` (of the tensor's shape) is 0."""

    PRUNING_TYPE = "global"

    def __init__(self, mask) -> None:
        self.mask = mask

    def compute_mask(self, t, default_mask) -> Tensor:
        default, given = _array(default_mask), _array(self.mask)
        if default.shape != given.shape:
            raise ShapeError(f"prune.CustomFromMask: the mask has shape {given.shape}, the tensor {default.shape}")
        return Tensor._wrap(default * given.astype(default.dtype))

    @classmethod
    def apply(cls, module: Module, name: str, mask) -> "BasePruningMethod":
        return super().apply(module, name, mask=mask)


# -- the functions ----------------------------------------------------------------------------


def identity(module: Module, name: str) -> Module:
    """Make ``module.<name>`` pruned by a mask of ones (nothing pruned); returns the module."""
    Identity.apply(module, name)
    return module


def random_unstructured(module: Module, name: str, amount) -> Module:
    """Prune ``amount`` (a fraction, or a count) of ``module.<name>``'s entries, chosen at random."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module: Module, name: str, amount, importance_scores=None) -> Module:
    """Prune the ``amount`` (a fraction, or a count) of ``module.<name>``'s entries of smallest
    absolute value (of ``importance_scores``, when given); returns the module."""
    L1Unstructured.apply(module, name, amount, importance_scores=importance_scores)
    return module


def random_structured(module: Module, name: str, amount, dim: int) -> Module:
    """Prune ``amount`` (a fraction, or a count) of ``module.<name>``'s channels along ``dim``,
    chosen at random; returns the module."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module: Module, name: str, amount, n, dim: int, importance_scores=None) -> Module:
    """Prune the ``amount`` (a fraction, or a count) of ``module.<name>``'s channels along ``dim``
    of smallest L\\ ``n`` norm (of ``importance_scores``, when given); returns the module."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module: Module, name: str, mask) -> Module:
    """Prune ``module.<name>`` where ``mask`` is 0; returns the module."""
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs) -> None:
    """Prune the (module, name) pairs of ``parameters`` as one vector: ``pruning_method(**kwargs)``
    (an unstructured method, such as ``L1Unstructured`` with ``amount``) ranks all their entries
    still kept together, so a layer loses more or fewer of its entries than another.
    ``importance_scores`` maps (module, name) pairs to scores (the tensor itself otherwise)."""
    if not isinstance(parameters, Iterable):
        raise TypeError(f"prune.global_unstructured: parameters must be an iterable of (module, name) pairs, got a "
                        f"{type(parameters).__name__}")
    parameters = list(parameters)
    if importance_scores is None:
        importance_scores = {}
    if not isinstance(importance_scores, dict):
        raise TypeError(f"prune.global_unstructured: importance_scores must be a dict of (module, name) pairs to "
                        f"scores, got a {type(importance_scores).__name__}")
    method = pruning_method(**kwargs)
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f"prune.global_unstructured: the pruning method must be unstructured, got "
                        f"{type(method).__name__} ({method.PRUNING_TYPE})")
    method._tensor_name = "temp"  # (it prunes no module's tensor: the vector alone)
    scores, defaults = [], []
    for module, name in parameters:
        current = _array(getattr(module, name))
        score = _array(importance_scores.get((module, name), current))
        if score.shape != current.shape:
            raise ShapeError(f"prune.global_unstructured: importance_scores of {type(module).__name__}'s {name} has "
                             f"shape {score.shape}, the tensor {current.shape}")
        scores.append(score.reshape(-1))
        default = getattr(module, name + "_mask", None)
        defaults.append(np.ones(current.size, current.dtype) if default is None else _array(default).reshape(-1))
    joined, default = (np.concatenate(arrays) if arrays else np.zeros(0) for arrays in (scores, defaults))
    mask = _array(PruningContainer(method).compute_mask(Tensor._wrap(joined), Tensor._wrap(default)))
    start = 0
    for module, name in parameters:
        shape = _array(getattr(module, name)).shape
        size = int(np.prod(shape))
        custom_from_mask(module, name, mask[start:start + size].reshape(shape))
        start += size


def remove(module: Module, name: str) -> Module:
    """Make the pruning of ``module.<name>`` permanent (see :meth:`BasePruningMethod.remove`) and
    take its hook away; returns the module."""
    key, method = _hook_of(module, name)
    if method is None:
        raise ConfigError(f"prune.remove: {type(module).__name__}'s {name!r} is not pruned, so there is no pruning to "
                          "remove")
    method.remove(module)
    del module._forward_pre_hooks[key]
    return module


def is_pruned(module: Module) -> bool:
    """Whether ``module`` or a module inside it has a pruned tensor."""
    return any(next(_hooks(part), None) is not None for part in module.modules())


# -- model files ------------------------------------------------------------------------------
# A model file keeps the pruning of each layer by the names of its pruned tensors: loading prunes
# them again with Identity, and the state dict then fills ``<name>_orig`` and ``<name>_mask``. The
# methods that chose the masks are not kept (pruning the loaded model further starts from the mask).


def pruned_names(module: Module) -> list:
    """The names of ``module``'s own pruned tensors, in the order they were pruned."""
    return [hook._tensor_name for _, hook in _hooks(module)]


def refresh(model: Module) -> None:
    """Recompute every pruned tensor of ``model`` from its ``_orig`` and ``_mask`` (after a load)."""
    for module in model.modules():
        for _, hook in list(_hooks(module)):
            hook(module, ())
