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
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ._core import mm, operand, record
from .activation import logistic


def _operands(op: str, gi, h0, w_hh, b_hh, gates: int):
    gi, h0, w_hh = operand(gi), operand(h0), operand(w_hh)
    b_hh = None if b_hh is None else operand(b_hh)
    W = w_hh.data
    if W.ndim != 2 or W.shape[0] != gates * W.shape[1]:
        raise ShapeError(f"{op}: w_hh must have shape ({gates}·hidden, hidden), got shape {W.shape}")
    hidden = W.shape[1]
    if gi.data.ndim != 3 or gi.data.shape[2] != gates * hidden:
        raise ShapeError(f"{op}: gi must have shape (L, N, {gates * hidden}) for hidden size {hidden}, got shape {gi.data.shape}")
    if h0.data.shape != (gi.data.shape[1], hidden):
        raise ShapeError(f"{op}: h0 must have shape {(gi.data.shape[1], hidden)}, got shape {h0.data.shape}")
    if b_hh is not None and b_hh.data.shape != (gates * hidden,):
        raise ShapeError(f"{op}: b_hh must have shape ({gates * hidden},), got shape {b_hh.data.shape}")
    return gi, h0, w_hh, b_hh, W, hidden


def _order(length: int, reverse: bool):
    return range(length - 1, -1, -1) if reverse else range(length)


def _recurrent(h: np.ndarray, W: np.ndarray, b) -> np.ndarray:
    out = mm(h, W.T)
    if b is not None:
        out += b
    return out


def _wanted(*tensors) -> tuple:
    """Which of the inputs need a gradient (None for an absent bias): kept by the rules instead of
    the tensors, whose values they do not need."""
    return tuple(None if t is None else t.requires_grad for t in tensors)


def _weight_grads(delta: np.ndarray, h_before: np.ndarray, w_wanted: bool, b_wanted) -> tuple:
    """∂E/∂W_hh = Σ_t δ_tᵀ·h_{t−1} and ∂E/∂b_hh = Σ_t δ_t, over all steps and samples at once."""
    flat = delta.reshape(-1, delta.shape[-1])
    grads = (mm(flat.T, h_before.reshape(-1, h_before.shape[-1])) if w_wanted else None,)
    if b_wanted is not None:
        grads += (flat.sum(axis=0) if b_wanted else None,)
    return grads


def rnn_sequence(gi, h0, w_hh, b_hh=None, nonlinearity: str = "tanh", reverse: bool = False):
    """h_t = act(gi_t + h_{t−1}·W_hhᵀ + b_hh) at every position: (L, N, H), act tanh or relu."""
    gi, h0, w_hh, b_hh, W, hidden = _operands("rnn_sequence", gi, h0, w_hh, b_hh, 1)
    b = None if b_hh is None else b_hh.data
    G = gi.data
    length = G.shape[0]
    out = np.empty(G.shape, dtype=np.result_type(G, W))
    before = np.empty_like(out)  # the state each position started from
    h = h0.data
    for t in _order(length, reverse):
        before[t] = h
        a = G[t] + _recurrent(h, W, b)
        h = out[t] = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    tanh = nonlinearity == "tanh"
    wants = _wanted(gi, h0, w_hh, b_hh)

    def backward(g):
        delta = np.empty_like(out)
        dh = np.zeros_like(out[0])
        for t in _order(length, not reverse):
            dh = g[t] + dh
            slope = 1 - out[t] * out[t] if tanh else out[t] > 0  # act'(a), from act(a)
            delta[t] = dh * slope
            dh = mm(delta[t], W)
        return (delta if wants[0] else None, dh if wants[1] else None) + _weight_grads(delta, before, *wants[2:])

    parents = (gi, h0, w_hh) + (() if b_hh is None else (b_hh,))
    return record(out, parents, backward, "rnn_sequence")


def lstm_sequence(gi, h0, c0, w_hh, b_hh=None, reverse: bool = False):
    """An LSTM over the sequence: (L, N, 2H), h_t and c_t side by side at every position.

    gates_t = gi_t + h_{t−1}·W_hhᵀ + b_hh, split into i, f, g, o (in that order);
    c_t = σ(f)·c_{t−1} + σ(i)·tanh(g),  h_t = σ(o)·tanh(c_t).
    """
    gi, h0, w_hh, b_hh, W, H = _operands("lstm_sequence", gi, h0, w_hh, b_hh, 4)
    c0 = operand(c0)
    if c0.data.shape != h0.data.shape:
        raise ShapeError(f"lstm_sequence: c0 must have h0's shape {h0.data.shape}, got shape {c0.data.shape}")
    b = None if b_hh is None else b_hh.data
    G = gi.data
    length, batch = G.shape[:2]
    dtype = np.result_type(G, W)
    out = np.empty((length, batch, 2 * H), dtype=dtype)
    acts = np.empty(G.shape, dtype=dtype)  # σ(i), σ(f), tanh(g), σ(o) at every position
    c_before = np.empty((length, batch, H), dtype=dtype)  # the cell state each position started from
    h_before = np.empty_like(c_before)
    h, c = h0.data, c0.data
    for t in _order(length, reverse):
        h_before[t], c_before[t] = h, c
        a = _recurrent(h, W, b)
        a += G[t]
        act = logistic(a)
        act[:, 2 * H:3 * H] = np.tanh(a[:, 2 * H:3 * H])
        acts[t] = act
        i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
        c = out[t, :, H:] = f * c + i * g
        h = out[t, :, :H] = o * np.tanh(c)
    wants = _wanted(gi, h0, c0, w_hh, b_hh)

    def backward(grad):
        # What each gate's δ is multiplied by, for all positions at once (it does not depend on
        # the error terms): the gate's g'(a) times what the gate multiplies in the forward pass.
        i, f, g, o = acts[..., :H], acts[..., H:2 * H], acts[..., 2 * H:3 * H], acts[..., 3 * H:]
        tanh_c = np.tanh(out[..., H:])
        to_cell = o * (1 - tanh_c * tanh_c)  # ∂h/∂c
        by_dc = np.concatenate([g * i * (1 - i), c_before * f * (1 - f), i * (1 - g * g)], axis=-1)
        by_dc = by_dc.reshape(length, batch, 3, H)
        by_dh = tanh_c * o * (1 - o)  # the output gate's
        delta = np.empty(acts.shape, dtype=grad.dtype)
        dh = np.zeros((batch, H), dtype=grad.dtype)
        dc = np.zeros_like(dh)
        for t in _order(length, not reverse):
            dh = grad[t, :, :H] + dh  # what h_t's output receives, plus what step t + 1 sends back
            dc = grad[t, :, H:] + dc + dh * to_cell[t]
            d = delta[t]
            np.multiply(dc[:, None, :], by_dc[t], out=d[:, :3 * H].reshape(batch, 3, H))  # i, f, g
            np.multiply(dh, by_dh[t], out=d[:, 3 * H:])  # o
            dc = dc * f[t]
            dh = mm(d, W)
        return ((delta if wants[0] else None, dh if wants[1] else None, dc if wants[2] else None)
                + _weight_grads(delta, h_before, *wants[3:]))

    parents = (gi, h0, c0, w_hh) + (() if b_hh is None else (b_hh,))
    return record(out, parents, backward, "lstm_sequence")


def gru_sequence(gi, h0, w_hh, b_hh=None, reverse: bool = False):
    """A GRU over the sequence: h_t at every position, (L, N, H).

    With gi_t split into x_r, x_z, x_n and hh = h_{t−1}·W_hhᵀ + b_hh into h_r, h_z, h_n:
    r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r·h_n), h_t = (1 − z)·n + z·h_{t−1}.
    """
    gi, h0, w_hh, b_hh, W, H = _operands("gru_sequence", gi, h0, w_hh, b_hh, 3)
    b = None if b_hh is None else b_hh.data
    G = gi.data
    length, batch = G.shape[:2]
    dtype = np.result_type(G, W)
    out = np.empty((length, batch, H), dtype=dtype)
    acts = np.empty(G.shape, dtype=dtype)  # r, z, n at every position
    hidden_n = np.empty_like(out)  # h_n, the part of the recurrent product the reset gate scales
    before = np.empty_like(out)
    h = h0.data
    for t in _order(length, reverse):
        before[t] = h
        hh = _recurrent(h, W, b)
        x = G[t]
        act = acts[t]
        act[:, :2 * H] = logistic(x[:, :2 * H] + hh[:, :2 * H])
        r, z = act[:, :H], act[:, H:2 * H]
        hidden_n[t] = hh[:, 2 * H:]
        n = act[:, 2 * H:] = np.tanh(x[:, 2 * H:] + r * hidden_n[t])
        h = out[t] = n + z * (h - n)
    wants = _wanted(gi, h0, w_hh, b_hh)

    def backward(grad):
        # The factors that do not depend on the error terms, for all positions at once.
        r, z, n = acts[..., :H], acts[..., H:2 * H], acts[..., 2 * H:]
        to_n = (1 - z) * (1 - n * n)  # ∂h/∂(n's weighted sum)
        to_r = hidden_n * r * (1 - r)  # ∂(n's weighted sum)/∂(r's)
        to_z = (before - n) * z * (1 - z)  # ∂h/∂(z's weighted sum)
        delta_x = np.empty(acts.shape, dtype=grad.dtype)  # δ of gi
        delta_h = np.empty_like(delta_x)  # δ of the recurrent product
        dh = np.zeros((batch, H), dtype=grad.dtype)
        for t in _order(length, not reverse):
            dh = grad[t] + dh  # what h_t's output receives, plus what step t + 1 sends back
            dx, dhh = delta_x[t], delta_h[t]
            dn = dx[:, 2 * H:] = dh * to_n[t]
            dx[:, :H] = dn * to_r[t]
            dx[:, H:2 * H] = dh * to_z[t]
            dhh[:, :2 * H] = dx[:, :2 * H]
            dhh[:, 2 * H:] = dn * r[t]
            dh = dh * z[t] + mm(dhh, W)
        return (delta_x if wants[0] else None, dh if wants[1] else None) + _weight_grads(delta_h, before, *wants[2:])

    parents = (gi, h0, w_hh) + (() if b_hh is None else (b_hh,))
    return record(out, parents, backward, "gru_sequence")
