"""``Optimizer``: what every update rule shares (parameter groups, state, saving and loading).

An optimizer holds ``param_groups``, a list of dicts, each with its ``'params'`` and a value for
every option (``lr``, ``momentum``, ...): options given in a group override the constructor's
defaults, so two layers can learn at different rates. ``state`` maps a parameter to its own dict of
running quantities (a momentum buffer, Adam's moments); it is filled on the first ``step()`` that
sees the parameter's gradient. Subclasses write ``step()``, ``_check_options()`` and, when they keep
state, ``_state_fields()`` (and ``_new_state()`` where a state does not start at zero), nothing else.

``state_dict()`` follows PyTorch's layout, with parameters numbered 0, 1, ... in group order::

    {'state': {0: {'step': 3, 'exp_avg': array(...), ...}, ...},
     'param_groups': [{'lr': 0.001, 'betas': [0.9, 0.999], ..., 'params': [0, 1]}, ...]}

Every value in it is a NumPy array or a plain Python number, bool, string, None or list, so a
checkpoint can keep the arrays in safetensors and the rest in JSON (where the state's integer keys
come back as strings: ``load_state_dict`` accepts both).
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

from ..changes import Changes
from ..engine import zero_gradients
from ..errors import ConfigError, ModelFileError, ShapeError
from ..grad_mode import enable_grad
from ..tensor import Tensor
from ._checks import check_implementation_options, is_real


class Optimizer:
    """Base class of the optimizers.

    ``params`` is an iterable of parameters (``model.parameters()``), or of dicts, each holding
    ``'params'`` and any options that differ from ``defaults`` for that group.
    """

    def __init__(self, params, defaults: dict):
        self.defaults = _rate_as_number(dict(defaults))
        self._check_group(self.defaults, "")
        self.state: dict = {}
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{self._name}: params must be an iterable of parameters or of dicts, got a single "
                f"tensor; pass [tensor] instead"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{self._name}: params must be an ordered iterable (list, generator), not a set")
        groups = list(params)
        if not groups:
            raise ConfigError(f"{self._name}: got an empty parameter list, so there is nothing to optimize")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    # -- groups ----------------------------------------------------------------------------

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters, with options that default to the constructor's."""
        index = len(self.param_groups)
        if not isinstance(param_group, dict):
            raise TypeError(f"{self._name}: parameter group {index} must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ConfigError(f"{self._name}: parameter group {index} has no 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{self._name}: the params of parameter group {index} must be ordered (a list), not a set")
        else:
            params = list(params)
        if not params:
            raise ConfigError(f"{self._name}: parameter group {index} has an empty parameter list")
        names = self._names(params, index)
        if names is not None:
            params = [p for _, p in params]
        if self.param_groups and ("param_names" in self.param_groups[0]) != (names is not None):
            raise ConfigError(
                f"{self._name}: parameter group {index} has {'names' if names is not None else 'no names'} and the "
                f"optimizer's groups {'have none' if names is not None else 'have names'}; give every group "
                "(name, parameter) pairs, as named_parameters() makes, or none"
            )
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for position, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{self._name}: parameter group {index} holds a {type(p).__name__} at position "
                    f"{position}; an optimizer updates tensors (parameters) only"
                )
            if getattr(p, "is_uninitialized", False):
                raise ConfigError(
                    f"{self._name}: the parameter at position {position} of parameter group {index} is "
                    f"{p.owner}, which has no values until the layer's first input; run one forward pass "
                    "before building the optimizer"
                )
            if not p.is_leaf:
                raise ConfigError(
                    f"{self._name}: the tensor at position {position} of parameter group {index} was "
                    f"computed by an operation ('{p._op}'); an optimizer updates leaf tensors only"
                )
            if id(p) in seen:
                raise ConfigError(
                    f"{self._name}: the parameter of shape {p.shape} at position {position} of parameter "
                    f"group {index} appears twice in the optimizer"
                )
            seen.add(id(p))
        group = dict(self.defaults)
        group.update((name, value) for name, value in param_group.items() if name != "params")
        _rate_as_number(group)
        self._check_group(group, f" (parameter group {index})")
        group["params"] = params
        if names is not None:
            group["param_names"] = names
        self.param_groups.append(group)
        Changes.watch(params)  # a graph recorded before a step that changed them is refused

    def _names(self, params: list, index: int) -> list | None:
        """The names of a group given as (name, parameter) pairs (``model.named_parameters()``, which
        PyTorch takes and keeps as the group's ``param_names``), or None for a group of parameters."""
        pairs = [isinstance(p, tuple) for p in params]
        if not any(pairs):
            return None
        for position, p in enumerate(params):
            if not (isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str)):
                raise ConfigError(
                    f"{self._name}: parameter group {index} mixes (name, parameter) pairs with other entries "
                    f"(position {position} holds a {type(p).__name__}); give it pairs only, or parameters only"
                )
        return [name for name, _ in params]

    def _check_group(self, options: dict, where: str) -> None:
        """Check a group's options: PyTorch's implementation options (foreach, fused, capturable,
        differentiable), where this optimizer has them, then the subclass' :meth:`_check_options`."""
        check_implementation_options(self._name, options, where)
        self._check_options(options, where)

    def _check_options(self, options: dict, where: str) -> None:
        """Raise ConfigError for an impossible option; ``where`` ends the message (names the group)."""

    # -- stepping --------------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: set it to None (default), or (``set_to_none=False``)
        fill it with zeros in place, as PyTorch does."""
        if set_to_none:
            for group in self.param_groups:
                for p in group["params"]:
                    p.grad = None
        else:
            zero_gradients(p for group in self.param_groups for p in group["params"])

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        raise NotImplementedError(f"{self._name} does not define step()")

    def _gradients(self):
        """(options, θ, g, state) for each parameter that has a gradient, in group order, for an
        update rule written one parameter at a time: the step is noted (each parameter's
        ``_stepped``, see changes.Changes) and a parameter's first step gets
        ``self._new_state(θ, options)`` (its group's options, since the state an update keeps may
        depend on them: RMSprop's momentum buffer, Adagrad's initial accumulator). (SGD and Adam,
        which the benchmarks time, keep their own loops: they read a group's options once for all
        its parameters.)"""
        now = Changes.tick()
        states = self.state
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                p._stepped = now  # graphs recorded with the old values can no longer be differentiated
                state = states.get(p)
                if state is None:
                    state = states[p] = self._new_state(p.data, group)
                yield group, p.data, g, state

    @staticmethod
    def _evaluate(closure):
        """Run a closure that recomputes the loss (and its gradients) with recording switched on."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # -- saving and loading ----------------------------------------------------------------

    def state_dict(self) -> dict:
        """A snapshot of the state and the options, parameters numbered in group order.

        Arrays are copies, so later steps leave the snapshot alone.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            first = len(index)
            for p in group["params"]:
                index[id(p)] = len(index)
            packed = {name: to_plain(value) for name, value in group.items() if name != "params"}
            packed["params"] = list(range(first, len(index)))
            groups.append(packed)
        state = {}
        for p, entry in self.state.items():
            if id(p) in index:
                state[index[id(p)]] = {name: to_plain(value) for name, value in entry.items()}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a :meth:`state_dict`: the saved options and per-parameter state, copied.

        The saved groups must hold as many parameters as this optimizer's, and every saved array
        must have its parameter's shape; otherwise nothing is changed and the error names the group,
        the parameter and the shapes. Floating-point arrays take their parameter's dtype. A PyTorch
        optimizer's state dict with its tensors made NumPy arrays loads too: the step counts and
        numbers it keeps in 0-d tensors (``step``, NAdam's ``mu_product``) become Python numbers.
        """
        name = f"{self._name}.load_state_dict"
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            found = sorted(map(str, state_dict)) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ModelFileError(f"{name}: expected a dict with 'state' and 'param_groups' entries, got {found}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ShapeError(
                f"{name}: the saved state has {len(saved_groups)} parameter groups, this optimizer has "
                f"{len(self.param_groups)}"
            )
        by_index: dict[int, Tensor] = {}
        group_of: dict[int, int] = {}
        options = []
        for g, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            saved_params = saved.get("params") if isinstance(saved, dict) else None
            if not isinstance(saved_params, (list, tuple)):
                raise ModelFileError(
                    f"{name}: saved parameter group {g} has no list of parameter indices ('params')"
                )
            if len(saved_params) != len(group["params"]):
                raise ShapeError(
                    f"{name}: parameter group {g} holds {len(saved_params)} parameters in the saved state "
                    f"and {len(group['params'])} in this optimizer"
                )
            for i, p in zip(saved_params, group["params"]):
                by_index[_index(name, i)] = p
                group_of[_index(name, i)] = g
            merged = {key: value for key, value in group.items() if key != "params"}
            for key, value in saved.items():
                if key != "params":
                    # JSON turns tuples (Adam's betas) into lists; give them back their type.
                    if isinstance(merged.get(key), tuple) and isinstance(value, list):
                        value = tuple(value)
                    merged[key] = value
            _rate_as_number(merged)
            checked = merged
            lr = merged.get("lr")
            if is_real(lr) and lr < 0:
                # A schedule may have left a group any finite rate (OneCycleLR's linear anneal ends
                # below 0 at its last step, as PyTorch's does), and PyTorch loads it: a saved state
                # loads back whatever rate it holds; the other options are checked.
                checked = {**merged, "lr": -lr}
            self._check_group(checked, f" (loaded parameter group {g})")
            options.append(merged)

        state = {}
        for key, entry in state_dict["state"].items():
            i = _index(name, key)
            if i not in by_index:
                raise ModelFileError(
                    f"{name}: the saved state names parameter {key!r}, which no saved parameter group lists"
                )
            p = by_index[i]
            if not isinstance(entry, dict):
                raise ModelFileError(
                    f"{name}: the saved state of parameter {i} is a {type(entry).__name__}, not a dict"
                )
            kinds = self._state_fields(options[group_of[i]])
            restored = {
                field: _number(value, kinds[field]) if kinds.get(field) in ("count", "real")
                else self._restore_field(name, i, field, value, p)
                for field, value in entry.items()
            }
            self._check_state(name, i, restored, options[group_of[i]])
            state[p] = restored

        for group, merged in zip(self.param_groups, options):
            group.update(merged)
        self.state = state
        # PyTorch's load_state_dict gives the defaults a 'differentiable' (False) where the optimizer
        # has none (Adafactor), so a group added afterwards holds one: the same groups here.
        self.defaults.setdefault("differentiable", False)

    def _restore_field(self, name: str, index: int, field: str, value, p):
        """A copy of one loaded state value of parameter ``p`` (number ``index``): an array must have
        ``_state_shape(field, p)`` and takes the parameter's dtype if it is floating; anything else
        is made plain. Subclasses whose state holds more than arrays shaped like a parameter (LBFGS'
        flat vectors and their history) override it."""
        if isinstance(value, Tensor):
            value = value.data
        if not isinstance(value, np.ndarray):
            return to_plain(value)
        shape = self._state_shape(field, p.data)
        if value.shape != shape:
            raise ShapeError(
                f"{name}: state {field!r} of parameter {index} has shape {value.shape}, "
                + ("the parameter has shape" if shape == p.data.shape else "expected shape")
                + f" {shape}"
            )
        dtype = p.data.dtype if value.dtype.kind == "f" else value.dtype
        return np.array(value, dtype=dtype, copy=True)

    def _state_shape(self, field: str, x) -> tuple:
        """The shape of the state array ``field`` of a parameter whose array is ``x``: ``x``'s own,
        except in optimizers that keep reduced statistics (Adafactor's row and column variances)."""
        return x.shape

    def _state_fields(self, options: dict) -> dict:
        """The per-parameter state a step of this optimizer reads, for a group with ``options``:
        ``{name: "array" | "count" | "real"}`` (an array of the parameter's shape, a step count, a
        finite Python number). Subclasses with state override it."""
        return {}

    def _new_state(self, x, options: dict) -> dict:
        """A parameter's state before its first step (for ``_gradients``): every field of
        ``_state_fields(options)`` at zero, arrays shaped like ``x``. Subclasses whose state starts
        elsewhere (NAdam's Π at 1, Adagrad's initial accumulator) override it."""
        fields = self._state_fields(options)
        return {field: np.zeros_like(x) if kind == "array" else 0 for field, kind in fields.items()}

    def _check_state(self, name: str, index: int, entry: dict, options: dict) -> None:
        """A loaded parameter state must hold what ``step()`` will read, of the right kind; a
        hand-edited or damaged checkpoint fails here, not inside the next step."""
        for field, kind in self._state_fields(options).items():
            value = entry.get(field)
            if kind == "array" and not isinstance(value, np.ndarray):
                raise ModelFileError(f"{name}: the saved state of parameter {index} lacks the array {field!r}")
            if kind == "count" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ModelFileError(f"{name}: the saved state of parameter {index} has no valid step count {field!r}")
            if kind == "real" and (
                isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value)
            ):
                raise ModelFileError(f"{name}: the saved state of parameter {index} has no finite number {field!r}")

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for g, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {g}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        lines.append(")")
        return "\n".join(lines)


def effective_gradient(g, x, maximize: bool, decay):
    """The gradient an update rule follows: ``−g`` if ``maximize``, then plus ``decay·θ`` (L2 decay).

    ``decay`` is λ as a 0-d array of θ's dtype, or ``None`` for no decay. ``g`` itself is never
    written to: it is the parameter's ``.grad``.
    """
    if maximize:
        g = np.negative(g, out=...)
    if decay is not None:
        d = np.multiply(x, decay, out=...)
        d += g
        g = d  # g + λθ
    return g


def decayed_gradient(g, x, maximize: bool, lr: float, weight_decay, decoupled: bool):
    """``effective_gradient`` for a rule that offers decoupled weight decay (NAdam's and RAdam's
    ``decoupled_weight_decay``): decoupled, λ shrinks θ itself, θ ← θ·(1 − γλ) in place (AdamW's
    rule), and the gradient gets no L2 term; otherwise λθ is added to the gradient.
    (Adam's own step writes these lines out: the benchmarks time it.)"""
    if weight_decay and decoupled:
        (shrink,) = scalars(x.dtype, 1 - lr * weight_decay)
        x *= shrink  # θ ← θ·(1 − γλ)
        return effective_gradient(g, x, maximize, None)
    decay = scalars(x.dtype, weight_decay)[0] if weight_decay else None
    return effective_gradient(g, x, maximize, decay)


def lerp_(start, end, weight: float, scratch=None):
    """``start`` moved in place to ``start + weight·(end − start)``, rounded as PyTorch's ``lerp_``
    rounds it (its running averages use it): from ``start`` when weight < ½, from ``end`` otherwise,
    ``end − (end − start)·(1 − weight)``, which is ``end`` itself at weight 1 (Adam with β₁ = 0,
    Adafactor's first step), where the first form loses the digits a large ``start`` cancels.
    ``scratch`` (an array of ``start``'s shape, or None for a new one) holds the difference, and is
    returned, free for the caller."""
    scratch = np.subtract(end, start, out=... if scratch is None else scratch)  # (an array for a 0-d one too)
    if weight < 0.5:
        scratch *= np.array(weight, dtype=start.dtype)
        start += scratch
    else:
        scratch *= np.array(1 - weight, dtype=start.dtype)
        np.subtract(end, scratch, out=start)
    return scratch


def update_moments(g, m, v, beta1: float, beta2, one_minus_beta2):
    """Adam's moment estimates in place: m ← lerp(m, g, 1 − β₁) (PyTorch's rounding, see lerp_),
    v ← β₂v + (1 − β₂)g² (the last two constants as ``scalars`` makes them); returns the scratch
    array it used, free for the caller. (Adam's own step writes these lines out: the benchmarks
    time it.)"""
    scratch = lerp_(m, g, 1 - beta1)
    v *= beta2
    np.multiply(g, g, out=scratch)
    scratch *= one_minus_beta2
    v += scratch
    return scratch


@functools.lru_cache(maxsize=256)
def scalars(dtype, *values) -> tuple:
    """``values`` as 0-d arrays of ``dtype``, for the update loops' in-place arithmetic.

    NumPy converts a Python float operand anew on every ufunc call, which on a small parameter costs
    about as much as the arithmetic itself: with the constants converted once per group, an Adam
    step on a 2-8-2 network took half the time (17 µs instead of 32 µs). The values and the rounding
    are unchanged, since a Python float meets a float32 array as float32 anyway. The arrays are
    memoized (the same hyperparameters give the same constants every step) and only ever read.

    NumPy arithmetic on 0-d arrays returns a NumPy scalar, not an array: ``g - m`` for a 0-d
    parameter (a learnable temperature) would give a scratch that ``*=`` rebinds and ``out=``
    refuses. The update loops therefore make the arrays they write into with ``out=...`` (an array
    whatever the shape, at no cost) or ``np.array``, never by a bare operator.
    """
    return tuple(np.array(value, dtype=dtype) for value in values)


def _index(owner: str, key) -> int:
    """A parameter index from a state dict: an int, or its decimal string after a JSON round trip."""
    if isinstance(key, numbers.Integral) and not isinstance(key, bool):
        return int(key)
    if isinstance(key, str) and key.isdigit():
        return int(key)
    raise ModelFileError(f"{owner}: parameter indices must be integers, got {key!r}")


def _rate_as_number(options: dict) -> dict:
    """``options`` with a learning rate given as a 0-d tensor or array (PyTorch takes
    ``lr=torch.tensor(0.01)``, and keeps it so in its state dict) made the Python float every
    group holds here; returns ``options``."""
    lr = options.get("lr")
    if isinstance(lr, Tensor):
        lr = lr.data
    if isinstance(lr, (np.ndarray, np.generic)) and lr.ndim == 0 and lr.dtype.kind in "fiu":
        options["lr"] = float(lr)
    return options


def _number(value, kind: str):
    """A loaded step count or real number as the Python int or float a step reads. PyTorch keeps
    them in 0-d tensors (a float32 ``step``), which a state dict converted to NumPy holds as 0-d
    arrays or NumPy scalars, and JSON may give a count back as 3.0. Anything else is returned as it
    is, for :meth:`Optimizer._check_state` to refuse."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        value = value.item()
    if kind == "count" and isinstance(value, float) and value.is_integer():
        value = int(value)
    return value


def to_plain(value):
    """``value`` as something safetensors + JSON can hold: arrays copied, NumPy scalars made Python."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: to_plain(item) for key, item in value.items()}
    return value
