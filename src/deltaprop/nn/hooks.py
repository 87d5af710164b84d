"""Forward hooks of modules, as PyTorch's: functions run before and after a module's forward.

``register_forward_pre_hook(hook)`` runs ``hook(module, args)`` before forward (a result other
than None replaces the positional arguments: a tuple, or one value); ``register_forward_hook(hook)``
runs ``hook(module, args, output)`` after it (a result other than None replaces the output). With
``with_kwargs=True`` the hooks get the keyword arguments too, as PyTorch's: ``hook(module, args,
kwargs)`` returning None or ``(args, kwargs)``, and ``hook(module, args, kwargs, output)``.
``prepend=True`` runs a hook before those already there. Each registration returns a handle
whose ``remove()`` (or a ``with`` block) takes the hook away.

A module without hooks pays nothing for them: calling it runs its forward directly (see
Module.__init_subclass__). Its class gets a calling path that looks for hooks the first time one of
its instances registers a hook, and Sequential calls its layers through their ``__call__`` (rather
than their forward directly) once any module has registered one (:data:`state`): from then on, in
that process, as a copied module takes its hooks along.
"""

from __future__ import annotations

import itertools


class _State:
    used = False  # whether any module has registered a hook in this process


state = _State()
_ids = itertools.count()


class RemovableHandle:
    """What a registration returns: ``remove()`` takes the hook away (once; later calls do nothing)."""

    def __init__(self, registry: dict, key: int) -> None:
        self._registry, self.id = registry, key

    def remove(self) -> None:
        self._registry.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def register(module, slot: str, hook, prepend: bool, with_kwargs: bool) -> RemovableHandle:
    """File ``hook`` in ``module``'s registry ``slot`` and give its class the hooked calling path."""
    if not callable(hook):
        raise TypeError(f"{type(module).__name__}: a hook must be callable, got a {type(hook).__name__}")
    registry = module.__dict__.get(slot)
    if registry is None:
        registry = {}
        object.__setattr__(module, slot, registry)
    key = next(_ids)
    entry = (hook, with_kwargs)
    if prepend:
        items = list(registry.items())
        registry.clear()
        registry[key] = entry
        registry.update(items)
    else:
        registry[key] = entry
    cls = type(module)
    if cls._call_is_forward:  # (its __call__ is its forward, or Module's, which calls forward)
        cls.__call__ = call_with_hooks
    state.used = True
    return RemovableHandle(registry, key)


def call_with_hooks(module, *args, **kwargs):
    """``module(*args, **kwargs)``: the pre-hooks, forward, then the hooks, each in registration order."""
    registries = module.__dict__
    pre = registries.get("_forward_pre_hooks")
    if pre:
        for hook, with_kwargs in list(pre.values()):
            if with_kwargs:
                result = hook(module, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise TypeError(f"{type(module).__name__}: a forward pre-hook with kwargs must return None "
                                        f"or a tuple (args, kwargs), got {type(result).__name__}")
                    args, kwargs = result
            else:
                result = hook(module, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
    output = module.forward(*args, **kwargs)
    post = registries.get("_forward_hooks")
    if post:
        for hook, with_kwargs in list(post.values()):
            result = hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)
            if result is not None:
                output = result
    return output
