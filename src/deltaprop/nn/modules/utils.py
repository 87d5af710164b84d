"""PyTorch's ``torch.nn.modules.utils``: the helpers layers use to take an int or a tuple for a
size (``_pair(3) == (3, 3)``), and the one for state dicts saved from a wrapped model."""

from __future__ import annotations

import collections.abc
import itertools

__all__ = ["consume_prefix_in_state_dict_if_present"]


def _ntuple(n: int, name: str = "parse"):
    """A function that makes a tuple of ``n`` from one value, and leaves an iterable as a tuple."""

    def parse(x):
        if isinstance(x, collections.abc.Iterable) and not isinstance(x, str):
            return tuple(x)
        return tuple(itertools.repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n: int) -> tuple:
    """Each entry of ``t`` ``n`` times, last entry first: the order ``F.pad`` takes per-side sizes in."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size, defaults) -> list:
    """``out_size`` with each None replaced by the matching entry of the last dimensions of ``defaults``."""
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"_list_with_default: defaults must be longer than out_size ({len(out_size)}), got "
                         f"{len(defaults)} entries")
    return [d if v is None else v for v, d in zip(out_size, defaults[-len(out_size):])]


def consume_prefix_in_state_dict_if_present(state_dict: dict, prefix: str) -> None:
    """Strip ``prefix`` (``"module."`` of a model saved through DataParallel) from the keys of
    ``state_dict`` that start with it, in place, and from its ``_metadata`` if it has one."""
    for key in [k for k in state_dict if k.startswith(prefix)]:
        state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        for key in [k for k in metadata if k.startswith(prefix) or k == prefix.rstrip(".")]:
            metadata[key[len(prefix):] if key.startswith(prefix) else ""] = metadata.pop(key)
