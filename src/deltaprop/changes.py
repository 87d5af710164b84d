"""In-place changes and the gradient rules they would falsify: PyTorch's version counters, here.

An operation's gradient rule keeps what it needs from the forward pass (an input, its output, a
mask, class labels). If one of those arrays is changed in place before ``backward()`` reaches the
rule, the gradient would be computed from the new values: silently wrong. So every in-place change
made through deltaprop is noted with the time on a clock (:class:`Changes`), every recorded node
keeps the time it was made, and the backward sweep first asks :func:`check_unchanged` whether any
rule it will run keeps something changed since; if so, it refuses before a gradient moves.
"""

from __future__ import annotations

import weakref

import numpy as np

from .errors import GradError

_TRACKED = 4096


class Changes:
    """The clock of in-place changes, PyTorch's version counters in another shape.

    Each in-place change of a tensor (``x += y`` on data, ``x.zero_()``, ``x[i] = v``) advances
    ``clock`` and notes the time against the memory it changed: the array at the root of the
    tensor's ``.base`` chain, so a change through one view is seen by every view of that memory,
    as PyTorch's views share their base's version counter. A recorded node keeps the time it was
    made in ``_stamp``. A graph made after the last change needs no look: a training loop that
    steps its weights before each forward pass pays one comparison for a chain (its earliest node
    tells) and one per node for a graph that branches.
    """

    clock = 0
    changed: dict = {}  # id(root array) -> (time of its last change, weak reference to it)
    limit = _TRACKED  # entries before the dead ones are swept out
    stepped: dict = {}  # id -> weak reference, for the parameters optimizers update (``_stepped``)
    stepped_limit = _TRACKED
    reshaped: dict = {}  # id(tensor) -> (time its shape changed in place, weak reference to it, the method)
    reshaped_limit = _TRACKED

    @classmethod
    def reshape(cls, tensor, what: str) -> None:
        """``tensor`` changed its shape in place (``squeeze_``, ``t_``, ...): an operation recorded
        before that uses it would send it a gradient of the old shape."""
        cls.reshaped, cls.reshaped_limit = _swept(cls.reshaped, cls.reshaped_limit, lambda entry: entry[1])
        key = id(tensor)

        def forget(reference) -> None:  # (once the tensor is gone, backward() looks no more)
            entry = cls.reshaped.get(key)
            if entry is not None and entry[1] is reference:
                del cls.reshaped[key]

        cls.reshaped[key] = (cls.tick(), weakref.ref(tensor, forget), what)

    @classmethod
    def watch(cls, parameters) -> None:
        """Parameters an optimizer will step: their memory counts as changed from each step on.
        (Weak references by id: a WeakSet would compare tensors with ``==``, which is elementwise.)"""
        cls.stepped, cls.stepped_limit = _swept(cls.stepped, cls.stepped_limit, lambda ref: ref)
        for parameter in parameters:
            cls.stepped[id(parameter)] = weakref.ref(parameter)

    @classmethod
    def mark(cls, array) -> None:
        root = _root(array)
        if root is None:
            return
        cls.changed, cls.limit = _swept(cls.changed, cls.limit, lambda entry: entry[1])
        cls.changed[id(root)] = (cls.tick(), weakref.ref(root))

    @classmethod
    def tick(cls) -> int:
        """The clock advanced for changes their maker notes itself: an optimizer's step sets each
        parameter's ``_stepped`` to this time (one store per parameter, where ``mark`` would cost a
        dictionary entry); the parameters are known from :meth:`watch`."""
        cls.clock += 1
        return cls.clock

    @classmethod
    def since(cls, array, stamp: int, steps: dict | None = None) -> bool:
        """Whether the memory of ``array`` was changed in place after time ``stamp`` (``steps``:
        :meth:`last_steps`, for the optimizers' changes too)."""
        root = _root(array)
        if root is None:
            return False
        entry = cls.changed.get(id(root))
        if entry is not None and entry[0] > stamp and entry[1]() is root:
            return True
        step = steps.get(id(root)) if steps else None
        return step is not None and step[0] > stamp and step[1] is root

    @classmethod
    def last_steps(cls) -> dict:
        """id(root array) -> (time of the last step that changed it, the array), for every parameter
        an optimizer has stepped: a view of one (``W.T``, ``W.detach()``) shares its memory."""
        steps = {}
        for key, reference in list(cls.stepped.items()):
            parameter = reference()
            if parameter is None:
                del cls.stepped[key]
                continue
            time = getattr(parameter, "_stepped", 0)
            root = _root(parameter.data)
            if time and root is not None and time > steps.get(id(root), (0,))[0]:
                steps[id(root)] = (time, root)
        return steps



def _swept(table: dict, limit: int, reference) -> tuple[dict, int]:
    """``table`` (by id, each entry holding a weak reference, which ``reference(entry)`` gives),
    once it holds ``limit`` entries, without those whose object no longer exists (a live one is
    never forgotten); and the size at which to sweep next."""
    if len(table) < limit:
        return table, limit
    table = {key: entry for key, entry in table.items() if reference(entry)() is not None}
    return table, max(_TRACKED, 2 * len(table))


def _root(array):
    if type(array) is not np.ndarray:
        array = array if isinstance(array, np.ndarray) else None
    while array is not None and isinstance(array.base, np.ndarray):
        array = array.base
    return array


# The rules of these operations read their input tensors for shapes and requires_grad only: the
# values they need (if any) they keep as arrays, which are looked for as arrays.
_FLAGS_ONLY = frozenset({
    "add", "sub", "neg", "sum", "mean", "reshape", "permute", "index", "concatenate", "stack", "astype", "clone",
    "where", "linear", "conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool2d", "batch_norm", "layer_norm", "mse_loss", "l1_loss", "huber_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
    "embedding", "group_norm", "pad", "adaptive_avg_pool1d", "smooth_l1_loss", "kl_div", "split",
    # (they keep their input and weight as arrays, and never the bias, as conv1d/conv2d do)
    "conv_transpose1d", "conv_transpose2d",
    # the 3-d forms, by the same rules as their 1-d and 2-d ones
    "conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d",
    # (they keep the positions written, never the values)
    "index_put", "masked_scatter", "scatter", "scatter_add", "index_add", "index_copy", "setitem",
    "index_fill",
})

# Rules that need an input's values, or their own output, only for some gradients (PyTorch saves
# them only then): whether input ``i`` is needed, and whether the output is, given the parents.
_INPUT_NEEDED = {
    "mul": lambda parents, i: parents[1 - i].requires_grad,  # d(ab)/da = b
    "matmul": lambda parents, i: parents[1 - i].requires_grad,
    # each operand's gradient is the other operands' values contracted with the output's gradient;
    # the output is never read again (a single operand's einsum may be a view of it: 'ij->ji')
    "einsum": lambda parents, i: any(p.requires_grad for j, p in enumerate(parents) if j != i),
    "div": lambda parents, i: i == 1 or parents[1].requires_grad,  # d(a/b)/da = 1/b, d(a/b)/db = −a/b²
    "pow": lambda parents, i: i == 0 or parents[0].requires_grad,  # b·a^(b−1), and a^b·ln a
    # the dividend's gradient is 1; only the divisor's, −floor (or −trunc) of x / y, reads the values
    "remainder": lambda parents, i: parents[1].requires_grad,
    "fmod": lambda parents, i: parents[1].requires_grad,
    # start + w·(end − start): the weight for start's and end's gradients; end − start is kept as
    # computed, so the two ends' own values are never read again
    "lerp": lambda parents, i: i == 2 and (parents[0].requires_grad or parents[1].requires_grad),
}
def _linear_needs(parents, i) -> bool:
    """x·Wᵀ + b: W's gradient needs x, x's needs W, nobody's needs b. The parents are (x, W, b),
    (x, W), (W, b) or (W,): x is left out when it is data, and b is the one 1-d weight."""
    if len(parents) == 3 or (len(parents) == 2 and np.ndim(parents[1].data) == 2):
        x, weight, position = parents[0], parents[1], i
    else:
        x, weight, position = None, parents[0], i + 1
    if position == 0:
        return weight.requires_grad
    if position == 1:
        return x is not None and x.requires_grad
    return False


_INPUT_NEEDED["linear"] = _linear_needs

_OUTPUT_NEEDED = {
    "einsum": lambda parents: False,
    "div": lambda parents: False,
    "pow": lambda parents: parents[1].requires_grad,
}


def check_unchanged(order) -> None:
    """Refuse a backward sweep through a rule whose saved values were changed in place after the
    operation used them (its gradient would be computed from the new values, silently wrong).

    Memory changed after the node was made is suspect; it is refused only when the rule needs it:
    a rule that kept only a mask, or only shapes, or needs the value for a gradient nobody asked
    for, is unaffected by the change, as in PyTorch. What a rule keeps besides its inputs and
    output (class labels, an index, a condition, bounds) it keeps for its values.
    """
    clock = Changes.clock
    steps = None
    for node in order:
        stamp = node._stamp
        if stamp >= clock:
            continue
        if steps is None:
            steps = Changes.last_steps()
        op, parents = node._op, node._parents
        kept = _kept(node._backward)
        if Changes.since(node.data, stamp, steps) and (_OUTPUT_NEEDED[op](parents) if op in _OUTPUT_NEEDED
                                                       else _holds(_not_inputs(kept, parents), node.data, None)):
            raise GradError(f"backward: the output of '{op}' (shape {node.data.shape}) was changed in place after "
                            f"it was computed, and its gradient rule needs that output; change a copy instead "
                            f"(y = y + 1, not y += 1 under no_grad())")
        for i, parent in enumerate(parents):
            if Changes.since(parent.data, stamp, steps) and needs_input(node, i, kept):
                raise GradError(f"backward: an input of '{op}' (shape {np.shape(parent.data)}) was changed in "
                                f"place after the operation used it, and its gradient rule needs that input's values; "
                                f"change a copy (x = x + 1), or run the forward pass again after the change")
        if Changes.reshaped:
            _check_shapes(node, op, parents, stamp)
        ours = [node.data] + [parent.data for parent in parents]
        for item in kept or ():
            array = item if isinstance(item, np.ndarray) else getattr(item, "data", None) if hasattr(item, "_pending") else None
            if (isinstance(array, np.ndarray) and Changes.since(array, stamp, steps)
                    and not any(array is mine or (isinstance(mine, np.ndarray) and np.may_share_memory(array, mine))
                                for mine in ours)):
                raise GradError(f"backward: a value that '{op}' kept for its gradient (shape {array.shape}: its class "
                                f"labels, an index, a condition, a bound or a lookup table) was changed in place after "
                                f"the operation used it; change a copy, or run the forward pass again after the change")


def _not_inputs(kept, parents):
    """What a rule keeps besides its inputs' arrays, whose need the inputs' own test decides (an
    operation recorded by an in-place change has its output in its input's memory: that it keeps
    the input says nothing of the output)."""
    if kept is None:
        return None
    return [item for item in kept if not any(item is parent.data for parent in parents)]


def needs_input(node, i: int, kept=False) -> bool:
    """Whether the rule of ``node`` needs the values of its input ``i`` (``kept``: what the rule
    keeps, as :func:`_kept` gives it, when the caller has it already)."""
    op, parents = node._op, node._parents
    if op in _INPUT_NEEDED:
        return _INPUT_NEEDED[op](parents, i)
    parent = parents[i]
    return _holds(_kept(node._backward) if kept is False else kept, parent.data, parent, op not in _FLAGS_ONLY)


def _check_shapes(node, op: str, parents: tuple, stamp: int) -> None:
    """Refuse a rule that would send a gradient of the old shape to a tensor that has changed its
    shape in place since the operation used it."""
    for parent in parents:
        entry = Changes.reshaped.get(id(parent))
        if entry is not None and entry[0] > stamp and entry[1]() is parent and parent.requires_grad:
            raise GradError(f"backward: '{op}' used a tensor that {entry[2]}() reshaped in place afterwards (now shape "
                            f"{np.shape(parent.data)}), so its gradient would have the old shape; change the shape "
                            f"before the first use, or make a new tensor (y = x.{entry[2][:-1]}(...))")


def _kept(rule, depth: int = 0):
    """What ``rule`` keeps in its closure (tuples and lists opened, nested rules followed), or None
    for a rule that is not a plain function: nothing to look into."""
    cells = getattr(rule, "__closure__", False)
    if cells is False:
        return None
    kept = []
    for cell in cells or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        for item in value if isinstance(value, (tuple, list)) else (value,):
            if callable(item) and depth < 2 and getattr(item, "__closure__", None):
                kept.extend(_kept(item, depth + 1) or ())
            else:
                kept.append(item)
    return kept


def _holds(kept, array, tensor, values_needed: bool = True) -> bool:
    """Whether a rule that keeps ``kept`` keeps ``array`` (or a view of it), or ``tensor`` itself
    when its values are needed (``kept`` None: the rule could not be looked into, so it may)."""
    if kept is None:
        return True
    for item in kept:
        if tensor is not None and item is tensor:
            if values_needed:
                return True
        elif item is array or (isinstance(item, np.ndarray) and isinstance(array, np.ndarray)
                               and np.may_share_memory(item, array)):
            return True
    return False
