"""Reading an index (``x[index]``, ``x[index] = v``) as PyTorch 2.13 reads it, for NumPy to apply.

NumPy and PyTorch agree on most indices. Where they part, the index is rewritten into the NumPy
index that gives PyTorch's result, or refused in one sentence where the two would give different
answers to the same code and PyTorch itself has deprecated its reading:

- integers and arrays apart (``x[0, :, [0, 2]]``): PyTorch's axes, through :func:`integers_first`;
- an Ellipsis that stands for no dimension: PyTorch drops it, so arrays on either side of it stay
  adjacent and their axis stays in place; NumPy counts it as a separator and puts that axis first;
- a uint8 array: PyTorch reads a mask (deprecated), NumPy positions: refused;
- a short list holding sequences, tensors, slices, None or ... as the whole index
  (``x[[[0, 1], [1, 0]]]``): PyTorch reads a tuple (deprecated; "will be a tensor index"), NumPy
  one array: refused;
- a second Ellipsis: NumPy refuses it, PyTorch 2.13 reads it its own undocumented way: refused.

A negative slice step, which PyTorch refuses, is left to NumPy (it reverses; getitem's gradient
rule puts the gradient back through the same slice).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor

# PyTorch reads a non-tuple sequence shorter than this as a tuple when it holds a sequence,
# tensor, slice, None or Ellipsis (NumPy's old rule, which NumPy itself has dropped).
_TUPLE_LIKE_LENGTH = 32


def read_index(index, ndim: int, owner: str):
    """``(index, parts)``: ``index`` with NumPy arrays for its tensors and rewritten where PyTorch
    reads it differently, and ``parts`` as :func:`integers_first` gives them (None where NumPy can
    apply ``index`` as it is). ``owner`` begins the sentence of a refusal."""
    if isinstance(index, Tensor):  # the common forms first (one array, one mask, one slice): few tests
        index = index.data
    if isinstance(index, np.ndarray):
        if index.dtype.char == "B":
            raise _uint8_refusal(owner)
        return index, None
    if not isinstance(index, tuple):
        return (_list_index(index, owner) if isinstance(index, list) else index), None
    integers = arrays = tensors = False
    ellipses = 0
    for part in index:  # one pass of cheap tests: an index is read on every call of getitem
        kind = type(part)
        if kind is int:
            integers = True
        elif kind is slice or part is None:
            continue
        elif part is Ellipsis:
            ellipses += 1
        else:
            if isinstance(part, Tensor):
                tensors, part = True, part.data
                kind = type(part)
            if kind is np.ndarray:
                if part.dtype.char == "B":
                    raise _uint8_refusal(owner)
                if part.ndim or part.dtype.kind not in "iu":
                    arrays = True
                else:
                    integers = True
            elif kind is list or kind is bool or kind is np.bool_:
                arrays = True
            elif isinstance(part, np.integer):
                integers = True
    if tensors:  # (a tuple is rebuilt only where it holds tensors: slices alone are the usual index)
        index = tuple(part.data if isinstance(part, Tensor) else part for part in index)
    if ellipses > 1:
        raise IndexError(f"{owner}: an index can hold one Ellipsis (...) at most, this one holds {ellipses}")
    if arrays and ellipses and _dimensions(index) == ndim:
        index = tuple(part for part in index if part is not Ellipsis)  # PyTorch's reading of it
    return index, (integers_first(index) if integers and arrays else None)


def _dimensions(index: tuple) -> int:
    """How many of the tensor's dimensions ``index`` (a tuple) indexes outside its Ellipsis."""
    n = 0
    for part in index:
        if part is None or part is Ellipsis or isinstance(part, (bool, np.bool_)):
            continue
        if isinstance(part, (np.ndarray, list)):
            array = np.asarray(part)
            n += array.ndim if array.dtype == np.bool_ else 1
        else:
            n += 1
    return n


def _list_index(index: list, owner: str) -> np.ndarray:
    """A list as the whole index: one integer (or boolean) array, as NumPy and PyTorch read it,
    unless PyTorch would read it as a tuple."""
    if len(index) < _TUPLE_LIKE_LENGTH:
        for part in index:
            if type(part) is int:  # (the usual list: no further test)
                continue
            if part is None or part is Ellipsis or isinstance(part, (list, tuple, slice, np.ndarray, Tensor)):
                raise IndexError(
                    f"{owner}: a list holding lists, arrays, tensors, slices, None or ... as the whole index is "
                    f"read by PyTorch as a tuple (x[[a, b]] as x[a, b], deprecated) and by NumPy as one array; "
                    f"write x[tuple(index)] for the first or x[deltaprop.tensor(index)] for the second")
    array = np.asarray(index)
    if array.size == 0:  # an empty list selects nothing (NumPy would read it as floats)
        array = array.astype(np.intp)
    return array


def _uint8_refusal(owner: str) -> IndexError:
    return IndexError(f"{owner}: a uint8 index is ambiguous, PyTorch reads it as a boolean mask (deprecated) and "
                      f"NumPy as positions; convert it with .bool() (a NumPy array: .astype(bool)) for a mask "
                      f"or .long() (.astype(np.int64)) for positions")


def _is_integer(part) -> bool:
    """An integer index: a Python or NumPy integer (not a bool), or a 0-d integer array (a 0-d
    integer tensor, which PyTorch also takes as an integer)."""
    if isinstance(part, np.ndarray):
        return part.ndim == 0 and part.dtype.kind in "iu"
    return isinstance(part, (int, np.integer)) and not isinstance(part, bool)


def integers_first(index: tuple) -> tuple:
    """``index``, a tuple that mixes integers with arrays (lists, or True/False), as (basic part,
    advanced part), to apply one after the other.

    NumPy counts an integer as an advanced index when arrays are present, so an integer and an
    array apart (split by a slice, None or ...) put the broadcast axes first: x[0, :, [0, 2]] on
    (2, 3, 4) has shape (2, 3) in NumPy, (3, 2) in PyTorch, which selects with the integer first
    and indexes what remains. The basic part (integers, slices, None, ..., a full slice for each
    axis an array indexes) gives a view; the advanced part indexes that view with the arrays.
    """
    basic, advanced = [], []
    for part in index:
        if _is_integer(part):
            basic.append(int(part))
        elif part is None or isinstance(part, slice):
            basic.append(part)
            advanced.append(slice(None))  # the axis it left (None's new one included) is there in the view
        elif part is Ellipsis:
            basic.append(part)
            advanced.append(part)
        else:  # an array, list or True/False: a boolean one indexes as many axes as it has (none
            # for True/False, which add one), an integer one a single axis
            array = np.asarray(part)
            basic.extend([slice(None)] * (array.ndim if array.dtype == np.bool_ else 1))
            advanced.append(part)
    if Ellipsis not in basic:  # (with integers alone NumPy would give a scalar, not a view of an array)
        basic.append(Ellipsis)
    return tuple(basic), tuple(advanced)


def index_error(owner: str, index, error: IndexError, shape: tuple) -> IndexError:
    """NumPy's refusal of ``index`` as one sentence naming ``owner`` and the tensor's shape, in our
    own words where the index holds a float (which NumPy's sentence does not name)."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, (float, np.floating)) or (
                isinstance(part, (list, np.ndarray)) and np.asarray(part).dtype.kind == "f"):
            shown = part if isinstance(part, (float, np.floating)) else "an array of floats"
            return IndexError(f"{owner}: a float index ({shown}) is not a position; use an integer, "
                              f"or an integer array (.long()) (tensor of shape {shape})")
    return IndexError(f"{owner}: {error} (tensor of shape {shape})")
