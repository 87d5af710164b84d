"""Einstein summation, PyTorch's ``einsum``: one product-and-sum written as an equation.

``einsum('ij,jk->ik', a, b)`` multiplies a[i, j]·b[j, k] for every value of every letter and sums
over the letters missing from the output (j). The gradient of an operand is again such a sum: the
output's gradient times the other operands, summed over every letter the operand does not carry,
``einsum('ik,jk->ij', g, b)`` for ``a`` above. Three cases need more than that one sum:

* a letter repeated within the operand ('ii->i', a diagonal): the sum is computed with the letter
  once, then written onto the diagonal of a zero array (the off-diagonal elements were never read);
* a letter of the operand found nowhere else ('ij->i'): the operand was summed over it, so the
  gradient is the same along it, and is broadcast;
* a dimension of size 1 stretched against a larger one (broadcasting, as in '...ij' with batch
  shapes (2, 1) and (1, 3)): the gradient is summed over it, by leaving the letter out of the sum.

Equations are parsed into integer labels, one per letter and one per dimension covered by '...',
and run through NumPy's ``einsum`` in its sublist form, with BLAS contractions (``optimize``) for
two operands or more.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from ._core import operand, record
from .promotion import cast, result_type

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # label order: implicit output sorts by it
_ELLIPSIS = -1  # marks '...' in a parsed term until its dimensions get labels
_MAX_LABELS = 52  # NumPy's einsum takes at most 52 distinct labels


def _parse_term(op: str, term: str, offset: int, where: str) -> list:
    """The letters of one term as label numbers, with ``_ELLIPSIS`` where '...' stands."""
    labels, i = [], 0
    while i < len(term):
        c = term[i]
        if c == ".":
            if term[i : i + 3] != "...":
                raise ConfigError(f"{op}: found '.' at index {offset + i} of the equation ({where}) that is not part "
                                  "of an ellipsis '...'")
            if _ELLIPSIS in labels:
                raise ConfigError(f"{op}: {where} has a second ellipsis '...' at index {offset + i} of the equation")
            labels.append(_ELLIPSIS)
            i += 3
            continue
        if c not in _LETTERS:
            raise ConfigError(f"{op}: invalid subscript {c!r} at index {offset + i} of the equation; subscripts are "
                              "letters a-z and A-Z, terms are separated by ',' and the output follows '->'")
        labels.append(_LETTERS.index(c))
        i += 1
    return labels


def _parse(op: str, equation: str, shapes: list) -> tuple:
    """(labels of each operand, labels of the output, size of each label) for ``equation``."""
    equation = equation.replace(" ", "")
    if equation.count("->") > 1:
        raise ConfigError(f"{op}: the equation {equation!r} has more than one '->'")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ConfigError(f"{op}: the equation {equation!r} has {len(terms)} input term(s) but {len(shapes)} "
                          f"operand(s) were given")
    parsed, offset = [], 0
    for k, term in enumerate(terms):
        parsed.append(_parse_term(op, term, offset, f"operand {k}"))
        offset += len(term) + 1

    # '...' stands for the dimensions not named by letters; they are aligned from the right across
    # operands (as broadcasting aligns them) and labelled after the 52 letters.
    covered = []
    for k, (labels, shape) in enumerate(zip(parsed, shapes)):
        named = sum(label != _ELLIPSIS for label in labels)
        if _ELLIPSIS in labels and len(shape) >= named:
            covered.append(len(shape) - named)
            continue
        if _ELLIPSIS not in labels and len(shape) == named:
            covered.append(0)
            continue
        raise ShapeError(f"{op}: operand {k} of shape {tuple(shape)} has {len(shape)} dimensions, but its term "
                         f"{terms[k]!r} names {named}" + (" and no ellipsis '...' stands for the rest" if named < len(shape) else ""))
    width = max(covered, default=0)
    ellipsis_labels = list(range(len(_LETTERS), len(_LETTERS) + width))
    operands = []
    for labels, n in zip(parsed, covered):
        expanded = []
        for label in labels:
            expanded.extend(ellipsis_labels[width - n :] if label == _ELLIPSIS else [label])
        operands.append(expanded)

    if arrow:
        out = _parse_term(op, output, len(inputs) + 2, "the output")
        seen = set()
        for label in out:
            if label in seen:
                raise ConfigError(f"{op}: output subscript {_name(label)} appears more than once in {equation!r}")
            seen.add(label)
            if label != _ELLIPSIS and not any(label in labels for labels in operands):
                raise ConfigError(f"{op}: output subscript {_name(label)} of {equation!r} appears in no input term")
        position = out.index(_ELLIPSIS) if _ELLIPSIS in out else None
        if position is not None:
            out[position : position + 1] = ellipsis_labels
    else:  # implicit output: the '...' dimensions, then the letters used once, in alphabetical order
        counts = np.bincount([label for labels in operands for label in labels if label < len(_LETTERS)],
                             minlength=len(_LETTERS))
        out = ellipsis_labels + [label for label in range(len(_LETTERS)) if counts[label] == 1]

    sizes = {}
    for k, (labels, shape) in enumerate(zip(operands, shapes)):
        own = {}
        for label, n in zip(labels, shape):
            if own.setdefault(label, n) != n:
                raise ShapeError(f"{op}: subscript {_name(label)} is repeated in operand {k} of shape {tuple(shape)} "
                                 f"with different sizes, {own[label]} and {n}")
            previous = sizes.get(label, 1)
            if n != previous and 1 not in (n, previous):
                raise ShapeError(f"{op}: subscript {_name(label)} has size {n} in operand {k} (shape {tuple(shape)}), "
                                 f"which does not broadcast with size {previous} from an earlier operand")
            sizes[label] = n if previous == 1 else previous
    if len(sizes) > _MAX_LABELS:
        raise ConfigError(f"{op}: {equation!r} uses {len(sizes)} distinct subscripts (letters and '...' dimensions); "
                          f"at most {_MAX_LABELS} are supported")
    return operands, out, sizes


def _name(label: int) -> str:
    return _LETTERS[label] if 0 <= label < len(_LETTERS) else "'...'"


def _stretched(array: np.ndarray, shape: tuple) -> np.ndarray:
    """``array`` broadcast to ``shape``; itself where nothing stretches, so that an einsum that only
    permutes or takes a diagonal ('ab->ba', 'ii->i') is a writable view of its operand, as PyTorch's
    is (broadcast_to's views are read-only)."""
    return array if array.shape == shape else np.broadcast_to(array, shape)


def _sum(pairs: list, out: list) -> np.ndarray:
    """NumPy's einsum over (array, labels) pairs, labels renumbered into its range 0..51."""
    number = {}
    for label in [label for _, labels in pairs for label in labels] + out:
        number.setdefault(label, len(number))
    args = []
    for array, labels in pairs:
        args += [array, [number[label] for label in labels]]
    return np.einsum(*args, [number[label] for label in out], optimize=len(pairs) > 1)


def _equation_of_sublists(op: str, arguments: tuple) -> tuple:
    """(equation, operands) for the sublist form ``(a, [0, 1], b, [1, 2], [0, 2])``: subscript n
    becomes the letter ``_LETTERS[n]`` (0-25 A-Z, 26-51 a-z, as PyTorch maps them, so an implicit
    output comes in increasing order), Ellipsis '...'."""
    paired = len(arguments) - len(arguments) % 2  # an odd argument at the end is the output's list
    operands, terms = arguments[0:paired:2], []
    lists = list(arguments[1:paired:2]) + list(arguments[paired:])
    for k, sublist in enumerate(lists):
        owner = "the output" if k == len(operands) else f"operand {k}"
        if not isinstance(sublist, (list, tuple)):
            raise TypeError(f"{op}: in the sublist form each operand is followed by a list of its subscripts, got "
                            f"{type(sublist).__name__} for {owner}'s")
        term = ""
        for label in sublist:
            if label is Ellipsis:
                term += "..."
                continue
            if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)) or not 0 <= label < 52:
                raise ConfigError(f"{op}: subscripts in the sublist form must be integers in [0, 52) or Ellipsis, "
                                  f"got {label!r} in the list of {owner}")
            term += _LETTERS[label]
        terms.append(term)
    equation = ",".join(terms[: len(operands)])
    return (equation + "->" + terms[-1] if len(arguments) % 2 else equation), operands


def einsum(equation, *operands):
    """Einstein summation over ``operands`` as ``equation`` says (PyTorch's ``einsum``).

    Terms are letters (a-z, A-Z), one per dimension, separated by commas; '...' stands for the
    dimensions a term does not name, and these broadcast across operands, as do dimensions of size
    1. An output after '->' lists the letters kept, in order; without it the output is the '...'
    dimensions followed by the letters used once, alphabetically. A letter repeated in one term
    reads a diagonal ('ii->i'). The operands may also be given as one list. Mixed dtypes are
    computed in PyTorch's promoted dtype (float32 with int64: float32), where PyTorch refuses them.

    The sublist form of PyTorch and NumPy is taken too: ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` is
    ``einsum('ij,jk->ik', a, b)``, subscripts being integers 0-51 (Ellipsis for '...'), and the
    output's list optional.
    """
    op = "einsum"
    sublists = None
    if not isinstance(equation, str):
        sublists = (equation, *operands)
        equation, operands = _equation_of_sublists(op, sublists)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)) and sublists is None:
        operands = tuple(operands[0])
    tensors = tuple(operand(x) for x in operands)
    shapes = [np.shape(t.data) for t in tensors]
    try:
        labels, out_labels, sizes = _parse(op, equation, shapes)
    except (ConfigError, ShapeError) as error:
        if sublists is None:
            raise
        raise type(error)(f"{error} (the sublists as the equation {equation!r}, subscript 0 written A, 26 a)") from None
    # In PyTorch's promoted dtype (ops.promotion; PyTorch itself refuses mixed dtypes), with
    # dimensions of size 1 stretched to their subscript's size, as views (no copy).
    dtype = result_type(*(np.asarray(t.data) for t in tensors)) if tensors else None
    full = [_stretched(cast(np.asarray(t.data), dtype), tuple(sizes[label] for label in term))
            for t, term in zip(tensors, labels)]
    out = _sum(list(zip(full, labels)), out_labels)

    def gradient(k: int, g: np.ndarray) -> np.ndarray:
        term, shape = labels[k], shapes[k]
        others = [label for j, t in enumerate(labels) if j != k for label in t]
        unique = list(dict.fromkeys(term))
        own_size = {label: n for label, n in zip(term, shape)}
        # Summed by einsum: letters found elsewhere, at full size. Left out: letters of this operand
        # alone (the gradient is broadcast along them), and stretched ones (summed down to size 1).
        kept = [label for label in unique
                if (label in out_labels or label in others) and own_size[label] == sizes[label]]
        pairs = [(g, out_labels)] + [(full[j], labels[j]) for j in range(len(labels)) if j != k]
        summed = _sum(pairs, kept)
        missing = [i for i, label in enumerate(unique) if label not in kept]
        summed = np.broadcast_to(np.expand_dims(summed, missing), tuple(own_size[label] for label in unique))
        if len(unique) == len(term):
            return np.transpose(summed, [unique.index(label) for label in term])
        # A repeated letter: write onto the diagonal, a strided view of a zero array whose step
        # along each letter is the sum of the steps of that letter's dimensions.
        grad = np.zeros(shape, dtype=summed.dtype)
        steps = [sum(step for step, l in zip(grad.strides, term) if l == label) for label in unique]
        diagonal = np.lib.stride_tricks.as_strided(grad, summed.shape, steps, writeable=True)
        diagonal[...] = summed
        return grad

    def backward(g):
        return tuple(gradient(k, g) if t.requires_grad else None for k, t in enumerate(tensors))

    return record(out, tensors, backward, op)
