"""Differentiable gradient rules of the recurrent sequence primitives (``rnn_sequence``,
``lstm_sequence``, ``gru_sequence`` of :mod:`deltaprop.ops.recurrent`), registered in
:data:`.differentiable_rules.RULES` (see that module for what a rule is).

Each primitive runs one direction of one layer over a whole sequence, its rule the seeds' backward
phase written out in NumPy. Its differentiable rule is a composition (as
:func:`.differentiable_layers.composed`): the sequence restated one step after another in
operations that have differentiable rules (the recurrent product as ``linear``, the gates as
slices, σ, tanh, relu, products and sums), then differentiated by the sweep of
:mod:`.higher_order` between the restated output and the primitive's inputs. The restated forward
equals the primitive's (tests/test_higher_order_recurrent.py checks it); it is computed once more
for the rule, which only ``create_graph=True`` pays.

Every option of the primitives is restated: the direction (``reverse``: the positions run from the
last to the first, outputs kept at their positions), no recurrent bias, the RNN's tanh or relu, an
LSTM's projection (``w_hr``: h_t one more ``linear`` of σ(o)·tanh(c_t), beside c_t in the output),
and packed batches (``batch_sizes``): at position t only the first ``batch_sizes[t]`` rows take a
step, computed on those rows alone, and the other rows keep the state they had (joined back by
``concatenate``), as the primitive holds them.

One difference from a plain composition keeps the cost of gi's gradient linear in the length:
each step reads its part of gi through an indexing node, and the gradient of a slice, as the
indexing rule makes it, is an array of gi's whole size, zeros but for the slice. Summing L of
them (and keeping each in the new graph) would cost L times gi's size. So the sweep stops at the
slices themselves (they are among its targets), and gi's gradient is their gradients stacked
along the positions: one node, of gi's size once.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..tensor import Tensor
from .differentiable_rules import kept, rule

_GATES = {"rnn_sequence": 1, "lstm_sequence": 4, "gru_sequence": 3}


def _rows(t: int, held, batch: int) -> int:
    """How many rows (the first ones) take a step at position ``t``."""
    return batch if held is None else held[t]


def _first(x: Tensor, rows: int, batch: int) -> Tensor:
    """The first ``rows`` rows of the state ``x`` (``x`` itself when that is all of them)."""
    return x if rows == batch else ops.getitem(x, slice(0, rows))


def _held(new: Tensor, old: Tensor, rows: int, batch: int) -> Tensor:
    """The state after a step taken by the first ``rows`` rows: ``new`` for those, ``old``'s rows after them."""
    return new if rows == batch else ops.concatenate([new, ops.getitem(old, slice(rows, None))], axis=0)


def _gate(gates: Tensor, k: int, hidden: int) -> Tensor:
    """The ``k``-th block of ``hidden`` columns of ``gates``."""
    return ops.getitem(gates, (slice(None), slice(k * hidden, (k + 1) * hidden)))


def _recurrent_product(h: Tensor, w_hh: Tensor, b_hh) -> Tensor:
    return ops.linear(h, w_hh, b_hh)


def restated(node) -> tuple:
    """(the output of ``node``'s primitive computed again step by step in operations with
    differentiable rules, the slice of gi that each position read, in position order).

    Each slice is gi[t] (its first ``batch_sizes[t]`` rows for a packed batch)."""
    values = kept(node)
    op = node._op
    parents = node._parents
    gi = parents[0]
    w_hr = None
    if op == "lstm_sequence":
        h0, c0, w_hh, *rest = parents[1:]
        if values["W_hr"] is not None:  # (the projection is the last parent)
            *rest, w_hr = rest
        b_hh = rest[0] if rest else None
    else:
        h0, w_hh = parents[1:3]
        b_hh = parents[3] if len(parents) > 3 else None
        c0 = None
    reverse, held = bool(values["reverse"]), values["held"]
    length, batch = gi.data.shape[:2]
    hidden = w_hh.data.shape[0] // _GATES[op]
    order = range(length - 1, -1, -1) if reverse else range(length)
    dtype = np.result_type(gi.data, w_hh.data)
    h = h0 if h0.data.dtype == dtype else ops.astype(h0, dtype)
    c = None if c0 is None else (c0 if c0.data.dtype == dtype else ops.astype(c0, dtype))
    hs, cs, pieces = [None] * length, [None] * length, [None] * length
    for t in order:
        rows = _rows(t, held, batch)
        piece = ops.getitem(gi, t if rows == batch else (t, slice(0, rows)))
        pieces[t] = piece
        before = _first(h, rows, batch)
        if op == "rnn_sequence":
            pre = ops.add(piece, _recurrent_product(before, w_hh, b_hh))
            new = ops.tanh(pre) if values["tanh"] else ops.relu(pre)
            h = hs[t] = _held(new, h, rows, batch)
        elif op == "lstm_sequence":
            gates = ops.add(piece, _recurrent_product(before, w_hh, b_hh))
            i, f, g, o = (_gate(gates, k, hidden) for k in range(4))
            c_new = ops.add(ops.mul(ops.sigmoid(f), _first(c, rows, batch)), ops.mul(ops.sigmoid(i), ops.tanh(g)))
            h_new = ops.mul(ops.sigmoid(o), ops.tanh(c_new))
            h_new = h_new if w_hr is None else ops.linear(h_new, w_hr)
            h, c = hs[t], cs[t] = _held(h_new, h, rows, batch), _held(c_new, c, rows, batch)
        else:  # gru_sequence
            x_r, x_z, x_n = (_gate(piece, k, hidden) for k in range(3))
            h_r, h_z, h_n = (_gate(_recurrent_product(before, w_hh, b_hh), k, hidden) for k in range(3))
            r = ops.sigmoid(ops.add(x_r, h_r))
            z = ops.sigmoid(ops.add(x_z, h_z))
            n = ops.tanh(ops.add(x_n, ops.mul(r, h_n)))
            new = ops.add(n, ops.mul(z, ops.sub(before, n)))  # (1 − z)·n + z·h, as the primitive
            h = hs[t] = _held(new, h, rows, batch)
    out = ops.stack(hs)
    if op == "lstm_sequence":  # h_t and c_t: stacked, or side by side where a projection makes them differ
        out = ops.stack([out, ops.stack(cs)]) if w_hr is None else ops.concatenate([out, ops.stack(cs)], axis=-1)
    return out, pieces


@rule(*_GATES)
def _sequence(node, g):
    from .higher_order import differentiable_gradients  # (that module imports this one)

    parents = node._parents
    gi = parents[0]
    out, pieces = restated(node)
    others, seen = [], {id(gi)}
    for p in parents[1:]:  # an input passed twice (h0 as c0) gets its gradient once: it is one tensor
        if p.requires_grad and id(p) not in seen:
            seen.add(id(p))
            others.append(p)
    targets = (pieces if gi.requires_grad else []) + others
    grads = differentiable_gradients([out], [g], targets, within=True)
    found = dict(zip(map(id, others), grads[len(targets) - len(others):]))
    result = [None] + [found.pop(id(p), None) for p in parents[1:]]
    if gi.requires_grad:
        batch, width = gi.data.shape[1:]
        steps = []
        for piece, grad in zip(pieces, grads):
            if grad is None:  # (no path from the output: a zero gradient)
                grad = Tensor._wrap(np.zeros(piece.data.shape, dtype=gi.data.dtype))
            rows = piece.data.shape[0]
            if rows < batch:  # the rows that took no step there: no gradient
                grad = ops.concatenate([grad, np.zeros((batch - rows, width), dtype=grad.data.dtype)], axis=0)
            steps.append(grad)
        result[0] = ops.stack(steps)
    return tuple(result)
