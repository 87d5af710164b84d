"""A recurrent layer's whole sequence as one primitive: backpropagation through time, written out.

Each function runs one direction of one layer over all L positions of a sequence. The products
with the input weights do not depend on the state, so the caller makes them for every position at
once, ``gi = linear(x, W_ih, b_ih)`` of shape (L, N, G·H) (G gates of H units), and the primitive
adds the recurrent product h·W_hhᵀ + b_hh step by step.

Its rule is the seeds' backward phase on the unrolled network, from the last step to the first:
the error term of a step's state is what its output receives plus what the next step sends back,
each gate's δ is that times the gate's g'(a), and the state's error term for the step before is
δ·W_hh. The δ of every step are kept in one (L, N, G·H) array, so the weight gradients are one
matrix product each over all steps (∂E/∂W_hh = Σ_t δ_tᵀ·h_{t−1}) and gi's gradient is the array itself.

Compared with the same steps recorded one elementary operation at a time (about fifteen nodes a
step for an LSTM), this records one node a layer and direction, keeps no per-step graph, and
reads each step's part of gi without indexing nodes whose gradients would be the size of the
whole sequence. ``reverse`` runs the positions from the last to the first (the backward direction
of a bidirectional layer); outputs stay at their positions.

An LSTM with projections (PyTorch's ``proj_size``) passes ``w_hr`` (P, H): its state h is
σ(o)·tanh(c_t) projected to P units, the one step that differs, with its forward and its rule
(:func:`_project`, :func:`_project_back`, :func:`_projection_grad`) beside the LSTM's.

A batch of sequences of different lengths (a packed sequence, padded) gives ``batch_sizes``: its
rows sorted by decreasing length, at position t only the first ``batch_sizes[t]`` rows have a step,
and every row after them keeps the state it had (an identity step, with the identity's rule: δ 0,
the error terms passed on as they came). So a row's last state is the one of its own last step, in
either direction, and the padded path pays one test a step for it.

How the steps are kept fast (measured in benchmarks/bench_recurrent.py):

* every step writes into arrays made once per sequence (``out=`` and in place), and the states
  each step started from are read back from the outputs instead of copied;
* the large arrays come from the pool of :mod:`deltaprop.ops._memory`, so that a training step
  does not page-fault them in again: a training step of an LSTM of hidden size 128 (length 50,
  batch 32) faulted 3,600-4,400 times with fresh arrays, 768 with these and linear's products of a
  sequence pooled (in a process where nothing else had raised glibc's limits);
* the gated cells keep their gates gate by gate, (L, G, N, H), so that every elementwise pass
  runs over dense blocks, and σ is taken in place (:func:`~deltaprop.ops.activation.logistic_`);
* the factors of each gate's δ that do not depend on the error terms are made for all positions
  at once, before the backward loop.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from . import _memory
from ._core import mm, operand, record
from .activation import logistic_


def _operands(op: str, gi, h0, w_hh, b_hh, gates: int, w_hr=None):
    """The operands as tensors, their shapes checked, with W_hh's data and the hidden size. With
    ``w_hr`` (an LSTM's projection, (P, hidden)) the states h are P wide, and w_hh (gates·hidden, P)."""
    gi, h0, w_hh = operand(gi), operand(h0), operand(w_hh)
    b_hh = None if b_hh is None else operand(b_hh)
    W = w_hh.data
    if w_hr is None:
        if W.ndim != 2 or W.shape[0] != gates * W.shape[1]:
            raise ShapeError(f"{op}: w_hh must have shape ({gates}·hidden, hidden), got shape {W.shape}")
        hidden = W.shape[1]
    else:
        hidden = _projected_hidden(op, w_hr.data, W, gates)
    if gi.data.ndim != 3 or gi.data.shape[2] != gates * hidden:
        raise ShapeError(f"{op}: gi must have shape (L, N, {gates * hidden}) for hidden size {hidden}, got shape {gi.data.shape}")
    if h0.data.shape != (gi.data.shape[1], W.shape[1]):
        raise ShapeError(f"{op}: h0 must have shape {(gi.data.shape[1], W.shape[1])}, got shape {h0.data.shape}")
    if b_hh is not None and b_hh.data.shape != (gates * hidden,):
        raise ShapeError(f"{op}: b_hh must have shape ({gates * hidden},), got shape {b_hh.data.shape}")
    return gi, h0, w_hh, b_hh, W, hidden


def _projected_hidden(op: str, R: np.ndarray, W: np.ndarray, gates: int) -> int:
    """The hidden size of an LSTM with projections, from W_hr (P, hidden), P < hidden, checked
    against W_hh (gates·hidden, P)."""
    if R.ndim != 2 or not 0 < R.shape[0] < R.shape[1]:
        raise ShapeError(f"{op}: w_hr must have shape (proj_size, hidden) with proj_size < hidden, got shape {R.shape}")
    proj, hidden = R.shape
    if W.shape != (gates * hidden, proj):
        raise ShapeError(f"{op}: w_hh must have shape {(gates * hidden, proj)} for w_hr of shape {R.shape}, got shape "
                         f"{W.shape}")
    return hidden


def _held_rows(op: str, batch_sizes, length: int, batch: int):
    """None without ``batch_sizes``; else for each position the first row with no step there
    (``batch`` where every row has one), checked: as many as the positions, non-increasing, in 1..batch."""
    if batch_sizes is None:
        return None
    sizes = [int(b) for b in np.asarray(batch_sizes.data if hasattr(batch_sizes, "data") else batch_sizes).reshape(-1)]
    if len(sizes) != length or any(not 1 <= b <= batch for b in sizes) or any(a < b for a, b in zip(sizes, sizes[1:])):
        raise ShapeError(f"{op}: batch_sizes must be {length} non-increasing counts in 1..{batch} (one per position), "
                         f"got {sizes}")
    return sizes


def _hold(rows, *pairs) -> None:
    """Rows ``rows`` onward of each new state take the old state's values: no step for them here."""
    for new, old in pairs:
        new[rows:] = old[rows:]


def _no_step_mask(held: list, shape: tuple, dtype) -> np.ndarray:
    """(L, N) ones where a row has a step and zeros where it is held, shaped to multiply the δ factors."""
    mask = np.zeros((len(held), shape[1]), dtype=dtype)
    for t, rows in enumerate(held):
        mask[t, :rows] = 1
    return mask


def _order(length: int, reverse: bool):
    return range(length - 1, -1, -1) if reverse else range(length)


def _wanted(*tensors) -> tuple:
    """Which of the inputs need a gradient (None for an absent bias): kept by the rules instead of
    the tensors, whose values they do not need."""
    return tuple(None if t is None else t.requires_grad for t in tensors)


# The state each position started from is the output of the position before it (the one after it
# in reverse), and the initial state at the first position: the rules read it from the outputs
# through these slices instead of keeping a copy of every state.
def _after_first(reverse: bool) -> tuple:
    """(the positions after the first, the positions of the states they started from, the first)."""
    return (slice(None, -1), slice(1, None), -1) if reverse else (slice(1, None), slice(None, -1), 0)


def _times_before(x: np.ndarray, states: np.ndarray, first: np.ndarray, reverse: bool) -> None:
    """x *= the state each position started from, in place (``states``: the states of all positions)."""
    rest, before, start = _after_first(reverse)
    x[rest] *= states[before]
    x[start] *= first


def _with_bias(G: np.ndarray, b, dtype) -> np.ndarray:
    """A new array G + b in ``dtype``: the pre-activations of every position, before the
    recurrent products are added to them one step at a time."""
    out = _memory.empty(G.shape, dtype)
    if b is None:
        np.copyto(out, G)
    else:
        np.add(G, b, out=out)
    return out


def _gate_major(G: np.ndarray, b, gates: int, dtype, order=None) -> np.ndarray:
    """G + b as a new (L, gates, N, H) array in ``dtype``, each gate's pre-activations dense, in
    the same pass that adds the bias; gate k of the result is gate ``order[k]`` of G."""
    length, batch, width = G.shape
    by_gate = G.reshape(length, batch, gates, width // gates).transpose(0, 2, 1, 3)
    b = None if b is None else b.reshape(gates, 1, -1)
    out = _memory.empty(by_gate.shape, dtype)
    for k, source in enumerate(range(gates) if order is None else order):
        if b is None:
            np.copyto(out[:, k], by_gate[:, source])
        else:
            np.add(by_gate[:, source], b[source], out=out[:, k])
    return out


def _weight_grads(delta: np.ndarray, states: np.ndarray, first: np.ndarray, reverse: bool, w_wanted: bool,
                  b_wanted) -> tuple:
    """∂E/∂W_hh = Σ_t δ_tᵀ·h_{t−1} and ∂E/∂b_hh = Σ_t δ_t, over all steps and samples at once.

    ``states`` holds h_t of every position (a view into the outputs), ``first`` the initial state:
    one product over the positions after the first and one for the first."""
    width, hidden = delta.shape[-1], states.shape[-1]
    grads = (None,)
    if w_wanted:
        rest, before, start = _after_first(reverse)
        grads = (mm(delta[rest].reshape(-1, width).T, states[before].reshape(-1, hidden)) + mm(delta[start].T, first),)
    if b_wanted is not None:
        grads += (delta.reshape(-1, width).sum(axis=0) if b_wanted else None,)
    return grads


def rnn_sequence(gi, h0, w_hh, b_hh=None, nonlinearity: str = "tanh", reverse: bool = False, batch_sizes=None):
    """h_t = act(gi_t + h_{t−1}·W_hhᵀ + b_hh) at every position: (L, N, H), act tanh or relu."""
    gi, h0, w_hh, b_hh, W, hidden = _operands("rnn_sequence", gi, h0, w_hh, b_hh, 1)
    G = gi.data
    length, batch = G.shape[:2]
    held = _held_rows("rnn_sequence", batch_sizes, length, batch)
    dtype = np.result_type(G, W)
    out = _with_bias(G, None if b_hh is None else b_hh.data, dtype)  # becomes h_t in place, step by step
    h = h_first = h0.data.astype(dtype, copy=True)  # a private copy: the caller may change h0 before backward()
    recurrent = np.empty((batch, hidden), dtype=dtype)
    tanh = nonlinearity == "tanh"
    zeros = None if tanh else np.zeros_like(recurrent)  # NumPy's maximum has a vector loop for two arrays only
    WT = W.T
    for t in _order(length, reverse):
        np.matmul(h, WT, out=recurrent)
        before, h = h, out[t]
        h += recurrent
        if tanh:
            np.tanh(h, out=h)
        else:
            np.maximum(h, zeros, out=h)
        if held is not None and held[t] < batch:
            _hold(held[t], (h, before))
    wants = _wanted(gi, h0, w_hh, b_hh)

    def backward(g):
        # act'(a) from act(a), for all positions at once, in the array that then receives the δ.
        delta = _memory.empty(out.shape, np.result_type(g, out))
        if tanh:
            np.multiply(out, out, out=delta)
            np.subtract(1, delta, out=delta)
        else:
            np.greater(out, 0, out=delta)
        if held is not None:
            delta *= _no_step_mask(held, out.shape, delta.dtype)[:, :, None]
        dh = np.zeros((batch, hidden), dtype=delta.dtype)
        for t in _order(length, not reverse):
            dh += g[t]  # what h_t's output receives, plus what step t + 1 sent back
            d = delta[t]
            d *= dh
            if held is None or held[t] == batch:
                np.matmul(d, W, out=dh)
            else:  # the held rows pass their error term on as it is
                np.matmul(d[:held[t]], W, out=dh[:held[t]])
        return ((delta if wants[0] else None, dh if wants[1] else None)
                + _weight_grads(delta, out, h_first, reverse, *wants[2:]))

    parents = (gi, h0, w_hh) + (() if b_hh is None else (b_hh,))
    return record(out, parents, backward, "rnn_sequence")


# lstm_sequence keeps the gates in the order g, i, f, o: σ then applies to i, f and o in one
# block, and in the rule the gates whose δ is a multiple of c's error term (g, i, f) are one block.
_LSTM_ORDER = (2, 0, 1, 3)


def lstm_sequence(gi, h0, c0, w_hh, b_hh=None, reverse: bool = False, batch_sizes=None, w_hr=None):
    """An LSTM over the sequence: (2, L, N, H), h_t at every position and then c_t at every position.

    gates_t = gi_t + h_{t−1}·W_hhᵀ + b_hh, split into i, f, g, o (in that order);
    c_t = σ(f)·c_{t−1} + σ(i)·tanh(g),  h_t = σ(o)·tanh(c_t).

    With ``w_hr`` (P, H), P < H (PyTorch's ``proj_size``), the state h is projected to P units:
    h_t = (σ(o)·tanh(c_t))·W_hrᵀ, h0 and w_hh (4·H, P) follow, and the result is (L, N, P + H),
    h_t and c_t side by side along the last axis (their widths differ).
    """
    w_hr = None if w_hr is None else operand(w_hr)
    gi, h0, w_hh, b_hh, W, H = _operands("lstm_sequence", gi, h0, w_hh, b_hh, 4, w_hr)
    c0 = operand(c0)
    if c0.data.shape != (h0.data.shape[0], H):
        raise ShapeError(f"lstm_sequence: c0 must have shape {(h0.data.shape[0], H)}, got shape {c0.data.shape}")
    G = gi.data
    length, batch = G.shape[:2]
    held = _held_rows("lstm_sequence", batch_sizes, length, batch)
    dtype = np.result_type(G, W)
    W_hr = None if w_hr is None else w_hr.data.astype(dtype, copy=False)
    P = W.shape[1]  # the width of h: H, or the projection's
    # The gates' pre-activations, gate by gate, (L, 4, N, H): each gate of a step is then one dense
    # block, and NumPy runs a pass over a dense (32, 256) block two to four times as fast as over
    # the same numbers as columns of (32, 512) rows. They become tanh(g), σ(i), σ(f), σ(o) in place.
    acts = _gate_major(G, None if b_hh is None else b_hh.data, 4, dtype, _LSTM_ORDER)
    WT = W.reshape(4, H, P)[list(_LSTM_ORDER)].reshape(4 * H, P).T  # its rows in the same order
    if W_hr is None:
        out = _memory.empty((2, length, batch, H), dtype)
        hs, cs = out  # h_t and c_t
        cells = hs  # σ(o)·tanh(c_t), which is h_t itself
    else:
        out = _memory.empty((length, batch, P + H), dtype)
        hs, cs = out[..., :P], out[..., P:]
        cells = _memory.empty(cs.shape, dtype)  # σ(o)·tanh(c_t) before the projection, which the rule needs
    tanh_c = _memory.empty(cs.shape, dtype)  # tanh(c_t), which the rule needs too
    # Private copies of the initial states: the caller may change h0 and c0 before backward().
    h = h_first = h0.data.astype(dtype, copy=True)
    c = c_first = c0.data.astype(dtype, copy=True)
    recurrent = np.empty((batch, 4, H), dtype=dtype)
    by_gate = recurrent.transpose(1, 0, 2)
    scratch = np.empty((batch, H), dtype=dtype)
    with np.errstate(over="ignore"):  # σ of gates below −88 (float32): see logistic_
        for t in _order(length, reverse):
            a = acts[t]
            np.matmul(h, WT, out=recurrent.reshape(batch, 4 * H))
            a += by_gate
            np.tanh(a[0], out=a[0])
            logistic_(a[1:])
            g, i, f, o = a
            before, h, c_next = h, hs[t], cs[t]
            np.multiply(f, c, out=c_next)
            np.multiply(i, g, out=scratch)
            c_next += scratch
            np.tanh(c_next, out=tanh_c[t])
            np.multiply(o, tanh_c[t], out=cells[t])
            if W_hr is not None:
                _project(cells[t], W_hr, h)
            if held is not None and held[t] < batch:
                _hold(held[t], (h, before), (c_next, c))
            c = c_next
    wants = _wanted(gi, h0, c0, w_hh, b_hh, w_hr)

    def backward(grad):
        # Each gate's δ is the error term it receives times a factor that does not depend on the
        # error terms: its g'(a) times what the gate multiplies in the forward pass. The factors of
        # all positions are made at once, in the array that then receives the δ step by step.
        factor = np.subtract(1, acts, out=_memory.empty(acts.shape, np.result_type(grad, acts)))
        factor *= acts  # σ' = σ(1 − σ) of i, f and o (g's is replaced next)
        g, i, f, o = (acts[:, k] for k in range(4))
        d_g, d_i, d_f, d_o = (factor[:, k] for k in range(4))
        np.multiply(g, g, out=d_g)
        np.subtract(1, d_g, out=d_g)  # tanh' = 1 − tanh²
        d_g *= i
        d_i *= g
        _times_before(d_f, cs, c_first, reverse)  # × c_{t−1}
        d_o *= tanh_c
        to_cell = np.multiply(tanh_c, tanh_c, out=_memory.empty(tanh_c.shape, factor.dtype))
        np.subtract(1, to_cell, out=to_cell)
        to_cell *= o  # ∂(σ(o)·tanh(c_t))/∂c_t
        if held is not None:
            factor *= _no_step_mask(held, G.shape, factor.dtype)[:, None, :, None]
        delta = _memory.empty(G.shape, factor.dtype)  # in gi's layout and order, for the products with W_hh
        by_sample = delta.reshape(length, batch, 4, H).transpose(0, 2, 1, 3)  # (L, 4, N, H), order i, f, g, o
        grad_h, grad_c = (grad[0], grad[1]) if W_hr is None else (grad[..., :P], grad[..., P:])
        dh = np.zeros((batch, P), dtype=factor.dtype)
        dc = np.zeros((batch, H), dtype=factor.dtype)
        scratch = np.empty_like(dc)
        # Without a projection the error term of σ(o)·tanh(c_t) is dh itself; with one it is dh·W_hr,
        # and the dh of every position are kept for W_hr's gradient.
        d_cell = dh if W_hr is None else np.empty_like(dc)
        d_hs = None if W_hr is None else _memory.empty(hs.shape, factor.dtype)
        for t in _order(length, not reverse):
            dh += grad_h[t]  # what h_t's output receives, plus what step t + 1 sent back
            dc += grad_c[t]
            if held is not None and held[t] < batch:  # the held rows pass their error terms on as they are
                kept = dh[held[t]:].copy(), dc[held[t]:].copy()
            if W_hr is not None:
                _project_back(dh, W_hr, d_cell, d_hs[t])
            np.multiply(d_cell, to_cell[t], out=scratch)
            dc += scratch
            d = factor[t]
            d[:3] *= dc  # g, i, f
            d[3] *= d_cell  # o
            dc *= f[t]
            ours = by_sample[t]
            np.copyto(ours[:2], d[1:3])
            np.copyto(ours[2], d[0])
            np.copyto(ours[3], d[3])
            np.matmul(delta[t], W, out=dh)
            if held is not None and held[t] < batch:
                dh[held[t]:], dc[held[t]:] = kept
        grads = ((delta if wants[0] else None, dh if wants[1] else None, dc if wants[2] else None)
                 + _weight_grads(delta, hs, h_first, reverse, *wants[3:5]))
        if W_hr is None:
            return grads
        return grads + (_projection_grad(d_hs, cells, held) if wants[5] else None,)

    parents = (gi, h0, c0, w_hh) + (() if b_hh is None else (b_hh,)) + (() if w_hr is None else (w_hr,))
    return record(out, parents, backward, "lstm_sequence")


# An LSTM's projection (PyTorch's proj_size), its forward and its rule beside each other.
def _project(cell: np.ndarray, W_hr: np.ndarray, h: np.ndarray) -> None:
    """h = cell·W_hrᵀ, written into ``h``: the P-wide state from the H-wide σ(o)·tanh(c_t)."""
    np.matmul(cell, W_hr.T, out=h)


def _project_back(dh: np.ndarray, W_hr: np.ndarray, d_cell: np.ndarray, d_h: np.ndarray) -> None:
    """The error term of σ(o)·tanh(c_t) from h_t's, dh·W_hr, into ``d_cell``; dh itself into
    ``d_h`` (this position's row of the array W_hr's gradient is made from)."""
    np.copyto(d_h, dh)
    np.matmul(dh, W_hr, out=d_cell)


def _projection_grad(d_hs: np.ndarray, cells: np.ndarray, held) -> np.ndarray:
    """∂E/∂W_hr = Σ_t dh_tᵀ·(σ(o)·tanh(c_t)) over the steps taken (a held row made no h_t of its own)."""
    if held is not None:
        d_hs *= _no_step_mask(held, d_hs.shape, d_hs.dtype)[:, :, None]
    return mm(d_hs.reshape(-1, d_hs.shape[-1]).T, cells.reshape(-1, cells.shape[-1]))


def gru_sequence(gi, h0, w_hh, b_hh=None, reverse: bool = False, batch_sizes=None):
    """A GRU over the sequence: h_t at every position, (L, N, H).

    With gi_t split into x_r, x_z, x_n and hh = h_{t−1}·W_hhᵀ + b_hh into h_r, h_z, h_n:
    r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r·h_n), h_t = (1 − z)·n + z·h_{t−1}.
    """
    gi, h0, w_hh, b_hh, W, H = _operands("gru_sequence", gi, h0, w_hh, b_hh, 3)
    G = gi.data
    length, batch = G.shape[:2]
    held = _held_rows("gru_sequence", batch_sizes, length, batch)
    dtype = np.result_type(G, W)
    b = None if b_hh is None else b_hh.data
    # Gate by gate, (L, 3, N, H), as in lstm_sequence. r's and z's pre-activations take their part
    # of b_hh at once; n's part is inside r·h_n, so it is added to h_n step by step.
    acts = _gate_major(G, None if b is None else np.concatenate([b[:2 * H], np.zeros(H, dtype=b.dtype)]), 3, dtype)
    b_n = None if b is None else b[2 * H:]
    out = _memory.empty((length, batch, H), dtype)
    hidden_n = _memory.empty(out.shape, dtype)  # h_n, the part of the recurrent product the reset gate scales
    h = h_first = h0.data.astype(dtype, copy=True)  # a private copy: the caller may change h0 before backward()
    recurrent = np.empty((batch, 3, H), dtype=dtype)
    by_gate = recurrent.transpose(1, 0, 2)
    scratch = np.empty((batch, H), dtype=dtype)
    WT = W.T
    with np.errstate(over="ignore"):  # σ of gates below −88 (float32): see logistic_
        for t in _order(length, reverse):
            a = acts[t]
            np.matmul(h, WT, out=recurrent.reshape(batch, 3 * H))
            rz = a[:2]
            rz += by_gate[:2]
            logistic_(rz)
            r, z, n = a
            h_n = hidden_n[t]
            if b_n is None:
                np.copyto(h_n, by_gate[2])
            else:
                np.add(by_gate[2], b_n, out=h_n)
            np.multiply(r, h_n, out=scratch)
            n += scratch
            np.tanh(n, out=n)
            h_next = out[t]
            np.subtract(h, n, out=h_next)
            h_next *= z
            h_next += n  # n + z·(h − n) = (1 − z)·n + z·h
            if held is not None and held[t] < batch:
                _hold(held[t], (h_next, h))
            h = h_next
    wants = _wanted(gi, h0, w_hh, b_hh)

    def backward(grad):
        # The factors that do not depend on the error terms, for all positions at once, made in the
        # array that then receives the δ step by step.
        r, z, n = (acts[:, k] for k in range(3))
        factor = _memory.empty(acts.shape, np.result_type(grad, acts))
        to_r, to_z, to_n = (factor[:, k] for k in range(3))
        np.subtract(1, r, out=to_r)
        to_r *= r
        to_r *= hidden_n  # ∂(n's weighted sum)/∂(r's)
        np.subtract(1, z, out=to_z)
        to_z *= z
        rest, before, start = _after_first(reverse)
        to_z[rest] *= out[before] - n[rest]  # ∂h/∂(z's weighted sum) = (h_{t−1} − n)·z(1 − z)
        to_z[start] *= h_first - n[start]
        np.multiply(n, n, out=to_n)
        np.subtract(1, to_n, out=to_n)
        to_n *= 1 - z  # ∂h/∂(n's weighted sum)
        if held is not None:
            factor *= _no_step_mask(held, G.shape, factor.dtype)[:, None, :, None]
        delta_x = _memory.empty(G.shape, factor.dtype)  # δ of gi
        delta_h = _memory.empty(G.shape, factor.dtype)  # δ of the recurrent product
        dh = np.zeros((batch, H), dtype=factor.dtype)
        scratch = np.empty_like(dh)
        for t in _order(length, not reverse):
            dh += grad[t]  # what h_t's output receives, plus what step t + 1 sent back
            if held is not None and held[t] < batch:  # the held rows pass their error term on as it is
                kept = dh[held[t]:].copy()
            d_r, d_z, d_n = factor[t]
            d_n *= dh
            d_r *= d_n
            d_z *= dh
            dx, dhh = delta_x[t], delta_h[t]
            np.copyto(dx.reshape(batch, 3, H), factor[t].transpose(1, 0, 2))
            np.copyto(dhh[:, :2 * H], dx[:, :2 * H])
            np.multiply(d_n, r[t], out=dhh[:, 2 * H:])
            dh *= z[t]
            np.matmul(dhh, W, out=scratch)
            dh += scratch
            if held is not None and held[t] < batch:
                dh[held[t]:] = kept
        return ((delta_x if wants[0] else None, dh if wants[1] else None)
                + _weight_grads(delta_h, out, h_first, reverse, *wants[2:]))

    parents = (gi, h0, w_hh) + (() if b_hh is None else (b_hh,))
    return record(out, parents, backward, "gru_sequence")
