"""Nested arguments as the function transforms see them: trees of tuples, lists and dicts whose
leaves are tensors (or anything else that is not one of those containers).

``grad`` of a function of a dict of parameters returns a dict of gradients; ``vmap`` maps over
every tensor of a tuple of dicts. Each transform flattens its arguments to their leaves, works on
those, and builds the results back in the same shape with :func:`rebuild`.
"""

from __future__ import annotations

from ..errors import ConfigError


def _is_container(tree) -> bool:
    return isinstance(tree, (tuple, list, dict))


def leaves(tree) -> list:
    """The leaves of ``tree``, depth first, a dict's in the order of its keys."""
    if isinstance(tree, dict):
        return [leaf for value in tree.values() for leaf in leaves(value)]
    if isinstance(tree, (tuple, list)):
        return [leaf for value in tree for leaf in leaves(value)]
    return [tree]


def rebuild(tree, values):
    """``tree`` with its leaves replaced, in order, by those of the iterator ``values``."""
    if isinstance(tree, dict):
        return type(tree)((key, rebuild(value, values)) for key, value in tree.items())
    if isinstance(tree, (tuple, list)):
        items = [rebuild(value, values) for value in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)  # (a namedtuple takes fields)
    return next(values)


def spread(caller: str, what: str, prefix, tree) -> list:
    """One entry of ``prefix`` per leaf of ``tree``: ``prefix`` has ``tree``'s shape down to where
    it holds a number or None, which then stands for every leaf below it (``in_dims=(0, None)``
    for two arguments, whatever they hold). A prefix of another shape is refused, naming ``what``."""
    if not _is_container(prefix):
        return [prefix] * len(leaves(tree))
    if isinstance(prefix, dict) != isinstance(tree, dict) or not _is_container(tree) or len(prefix) != len(tree) \
            or (isinstance(prefix, dict) and set(prefix) != set(tree)):
        raise ConfigError(f"{caller}: {what} {prefix!r} does not match the structure it stands for, "
                          f"{describe(tree)}")
    if isinstance(prefix, dict):
        return [entry for key, value in tree.items() for entry in spread(caller, what, prefix[key], value)]
    return [entry for part, value in zip(prefix, tree) for entry in spread(caller, what, part, value)]


def describe(tree) -> str:
    """``tree``'s structure in a few characters, for an error message: (*, {'w': *}) for a tuple of
    a leaf and a dict."""
    if isinstance(tree, dict):
        return "{" + ", ".join(f"{key!r}: {describe(value)}" for key, value in tree.items()) + "}"
    if isinstance(tree, (tuple, list)):
        inner = ", ".join(describe(value) for value in tree)
        return f"({inner},)" if isinstance(tree, tuple) and len(tree) == 1 else \
            (f"({inner})" if isinstance(tree, tuple) else f"[{inner}]")
    return "*"


def leaves_like(template, tree) -> list:
    """The leaves of ``tree``, a tree of ``template``'s structure (see :func:`same_structure`), in
    the order of ``template``'s: a dict's keys may come in another order."""
    if isinstance(template, dict):
        return [leaf for key in template for leaf in leaves_like(template[key], tree[key])]
    if isinstance(template, (tuple, list)):
        return [leaf for part, value in zip(template, tree) for leaf in leaves_like(part, value)]
    return [tree]


def same_structure(a, b) -> bool:
    """Whether ``a`` and ``b`` are trees of the same containers (tuples and lists alike) and keys."""
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b) and \
            all(same_structure(a[key], b[key]) for key in a)
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b) and \
            all(same_structure(x, y) for x, y in zip(a, b))
    return True

