"""``functional_call``: run a module with other tensors in place of its parameters and buffers,
PyTorch's ``torch.func.functional_call`` (also ``nn.utils.stateless.functional_call``).

The module's own tensors are put back when the call returns, and when it fails. What the call
computes is recorded on the graph with the given tensors, so gradients flow to them (and not to
the module's parameters): the function transforms of :mod:`deltaprop.func` differentiate a model
with respect to a dict of weights this way, one set of weights per sample or per ensemble member.

    >>> import deltaprop as dp
    >>> from deltaprop.func import functional_call
    >>> layer = dp.nn.Linear(2, 1)
    >>> weights = {"weight": dp.tensor([[1.0, 2.0]]), "bias": dp.tensor([0.5])}
    >>> functional_call(layer, weights, (dp.tensor([[3.0, 4.0]]),))
    tensor([[11.5]])
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ...errors import ConfigError, StateDictError
from ...tensor import Tensor
from ..paths import get_submodule

_ABSENT = object()


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights: bool = True,
                    strict: bool = False):
    """``module(*args, **kwargs)`` computed with the tensors of ``parameters_and_buffers`` (a dict
    from dotted names, ``"0.weight"``, to tensors; or a tuple of such dicts, which must not share a
    name) in place of the module's parameters and buffers of those names; the others are the
    module's own. A buffer's new tensor holds the values the call updates in place (a batch norm's
    running statistics in training mode).

    ``args`` that is not a tuple is the one positional argument. With ``tie_weights`` a tensor given
    for a weight that the module shares under several names (a decoder tied to its embedding)
    stands for all of them; giving two of those names two tensors is refused. With ``strict`` every
    parameter and buffer must be given, and no other name."""
    given = _merged(parameters_and_buffers)
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    kwargs = {} if kwargs is None else kwargs
    known = {**dict(module.named_parameters(remove_duplicate=False)),
             **{name: value for name, value in module.named_buffers(remove_duplicate=False)}}
    if tie_weights:
        given = _with_tied(module, known, given)
    if strict:
        missing, unexpected = sorted(set(known) - set(given)), sorted(set(given) - set(known))
        if missing or unexpected:
            raise StateDictError(f"functional_call: with strict=True every parameter and buffer of "
                                 f"{type(module).__name__} must be given and nothing else; missing {missing}, "
                                 f"unexpected {unexpected}")
    saved = []
    try:
        for name, value in given.items():
            saved.append(_put(module, name, value))
        return module(*args, **kwargs)
    finally:
        for owner, attribute, previous, registry, registered in reversed(saved):
            if previous is _ABSENT:
                object.__delattr__(owner, attribute)
            else:
                object.__setattr__(owner, attribute, previous)
            if registry is not None:
                registry[attribute] = registered


def _merged(parameters_and_buffers) -> dict:
    """The name → tensor pairs of one dict, or of a tuple or list of dicts that share no name."""
    if isinstance(parameters_and_buffers, Mapping):
        parts = [parameters_and_buffers]
    elif isinstance(parameters_and_buffers, (tuple, list)):
        parts = list(parameters_and_buffers)
    else:
        raise TypeError(f"functional_call: parameters_and_buffers must be a dict of tensors or a tuple of dicts, got "
                        f"{type(parameters_and_buffers).__name__}")
    merged = {}
    for part in parts:
        if not isinstance(part, Mapping):
            raise ConfigError(f"functional_call: each entry of a tuple of parameters and buffers must be a dict, got "
                              f"a {type(part).__name__}")
        twice = sorted(set(part) & set(merged))
        if twice:
            raise ConfigError(f"functional_call: {twice} appear in more than one of the dicts, so which tensor to "
                              "use is ambiguous")
        for name, value in part.items():
            if not isinstance(value, (Tensor, np.ndarray)):
                raise TypeError(f"functional_call: {name!r} must be given a tensor, got a {type(value).__name__}")
            merged[name] = value
    return merged


def _with_tied(module, known: dict, given: dict) -> dict:
    """``given``, a tensor for one name of a shared weight standing for every name of it."""
    names_of = {}
    for name, value in known.items():
        if value is not None:
            names_of.setdefault(id(value), []).append(name)
    extended = dict(given)
    for names in names_of.values():
        chosen = [name for name in names if name in given]
        if len(names) < 2 or not chosen:
            continue
        if any(given[name] is not given[chosen[0]] for name in chosen[1:]):
            raise ConfigError(f"functional_call: {chosen} are one weight shared by {type(module).__name__}, but were "
                              "given different tensors; give one of the names, or pass tie_weights=False")
        extended.update((name, given[chosen[0]]) for name in names)
    return extended


def _put(module, name: str, value) -> tuple:
    """Put ``value`` at the dotted ``name`` (a parameter, a buffer, or a new attribute for the call)
    and return what restores the module: (owner, attribute, its previous value or _ABSENT, the
    registry holding it or None, its previous entry there)."""
    path, _, attribute = name.rpartition(".")
    owner = get_submodule(module, path)
    if isinstance(getattr(type(owner), attribute, None), property):
        raise ConfigError(f"functional_call: {name!r} is computed each time it is read (a parametrization); give the "
                          "tensors it is computed from instead (parametrizations.<name>.original)")
    registry = None
    if attribute in owner._parameters:
        registry, value = owner._parameters, value if isinstance(value, Tensor) else Tensor._wrap(value)
    elif attribute in owner._buffers:
        registry, value = owner._buffers, value.data if isinstance(value, Tensor) else value  # (buffers hold arrays)
    restore = (owner, attribute, owner.__dict__.get(attribute, _ABSENT), registry,
               None if registry is None else registry[attribute])
    object.__setattr__(owner, attribute, value)
    if registry is not None:
        registry[attribute] = value
    return restore
