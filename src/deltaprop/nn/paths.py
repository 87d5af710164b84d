"""Dotted paths into a tree of modules, as PyTorch's: ``get_submodule("encoder.0")``,
``get_parameter("encoder.0.weight")``, ``get_buffer("norm.running_mean")`` and
``set_submodule("encoder.1", layer)``. A wrong path is an AttributeError naming its part."""

from __future__ import annotations


def _where(walked: list) -> str:
    return f"'{'.'.join(walked)}'" if walked else "the model"


def get_submodule(module, target: str):
    """The sub-module at ``target`` ("" is ``module`` itself)."""
    walked = []
    for part in target.split(".") if target else []:
        child = module._modules.get(part)
        if child is None:
            if part in module._parameters or part in module._buffers or hasattr(module, part):
                raise AttributeError(f"get_submodule: '{part}' of {_where(walked)} ({type(module).__name__}) is not a "
                                     f"module, in '{target}'")
            raise AttributeError(f"get_submodule: {_where(walked)} ({type(module).__name__}) has no sub-module "
                                 f"'{part}', in '{target}'")
        module = child
        walked.append(part)
    return module


def _member(function: str, root, target: str, registry: str, kind: str):
    """The module holding the last part of ``target``, and that part, once it names one of ``kind``."""
    path, _, name = target.rpartition(".")
    module = get_submodule(root, path)
    where = f"'{path}' ({type(module).__name__})" if path else f"the model ({type(module).__name__})"
    if name not in getattr(module, registry):
        if hasattr(module, name):
            raise AttributeError(f"{function}: '{name}' of {where} is not a {kind}, in '{target}'")
        raise AttributeError(f"{function}: {where} has no attribute '{name}', in '{target}'")
    return module, name


def get_parameter(root, target: str):
    """The parameter at ``target``; one registered as None (``bias=False``) is refused, as in PyTorch."""
    module, name = _member("get_parameter", root, target, "_parameters", "parameter")
    parameter = module._parameters[name]
    if parameter is None:
        raise AttributeError(f"get_parameter: '{target}' is None, not a parameter")
    return parameter


def get_buffer(root, target: str):
    """The buffer at ``target`` (its array, or None where one is registered as None, as in PyTorch)."""
    module, name = _member("get_buffer", root, target, "_buffers", "buffer")
    return module._buffers[name]


def set_submodule(root, target: str, module, strict: bool = False) -> None:
    """Put ``module`` at ``target``: in place of the sub-module there, or (unless ``strict``) as a
    new child of the module the path leads to. A ValueError for an empty target or a value that is
    not a module, an AttributeError for a path that leads nowhere or to something not a module."""
    from .module import Module

    if not isinstance(target, str) or not target:
        raise ValueError(f"set_submodule: the target must be the dotted path of a sub-module, got {target!r}")
    if not isinstance(module, Module):
        raise ValueError(f"set_submodule: the module to set at '{target}' must be a Module, got a {type(module).__name__}")
    path, _, name = target.rpartition(".")
    parent = get_submodule(root, path)
    where = f"'{path}' ({type(parent).__name__})" if path else f"the model ({type(parent).__name__})"
    if name not in parent._modules:
        if hasattr(parent, name):
            raise AttributeError(f"set_submodule: '{name}' of {where} is not a module, in '{target}'")
        if strict:
            raise AttributeError(f"set_submodule: {where} has no sub-module '{name}' to replace (strict=True), "
                                 f"in '{target}'")
    parent.add_module(name, module)  # (in the place of the one there, or a new child)
