"""Recurrent layers: RNN, LSTM and GRU, and their one-step cells, with PyTorch's names and shapes.

A recurrent layer applies the same cell at every position t of a sequence, carrying a hidden state
h from one position to the next:

* RNN:  h' = act(W_ih·x + b_ih + W_hh·h + b_hh), act = tanh or relu;
* LSTM: i, f, g, o = the four quarters of W_ih·x + b_ih + W_hh·h + b_hh (in that order),
  c' = σ(f)·c + σ(i)·tanh(g),  h' = σ(o)·tanh(c'); with ``proj_size`` P (an LSTM with projections),
  h' = W_hr·(σ(o)·tanh(c')) has P units while c' keeps the hidden size;
* GRU:  r, z, n are the thirds of the two products (in that order),
  r = σ(x_r + h_r),  z = σ(x_z + h_z),  n = tanh(x_n + r·(W_hn·h + b_hn)),  h' = (1 − z)·n + z·h
  (the reset gate multiplies the hidden product with its bias, as PyTorch places b_hn).

Backpropagation through time is the seeds' algorithm on the unrolled network: the cell at step t
is one more layer whose weights are shared with every other step, so a weight's gradient is the
sum of its gradients at every step. The LSTM and GRU steps are one primitive each
(:mod:`deltaprop.ops.recurrent`, the gradient rule beside the forward); the functions ``*_composed``
below compute the same steps from the elementary operations and are the reference they are tested
against.

Shapes follow PyTorch: an input (L, N, H_in) ((N, L, H_in) with ``batch_first``) or (L, H_in)
unbatched; a state (num_layers · D, N, H) with D = 2 for a bidirectional layer; the output
(L, N, D · H), the forward and backward directions side by side (P in place of H for h, h_0,
h_n and the output of an LSTM with projections). A layer also takes a
:class:`~deltaprop.nn.utils.rnn.PackedSequence` (sequences of different lengths): each sequence then
runs to its own end, the output is packed the same way, and h_n (c_n) holds each sequence's state at
its own last step, in the batch's own order, as in PyTorch.
"""

from __future__ import annotations

import functools
import math
import numbers
import warnings

import numpy as np

from .. import ops
from ..devices import on_cpu
from ..errors import ConfigError, ShapeError
from ..ops import recurrent as fused
from ..tensor import Tensor, get_default_dtype
from . import functional as F
from . import init
from .module import Module, Parameter, floating_dtype
from .utils import rnn as rnn_utils
from .utils.rnn import PackedSequence

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# -- one step, from the elementary operations ----------------------------------------------------


def rnn_tanh_cell_composed(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    return ops.tanh(ops.add(ops.linear(x, w_ih, b_ih), ops.linear(h, w_hh, b_hh)))


def rnn_relu_cell_composed(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    return ops.relu(ops.add(ops.linear(x, w_ih, b_ih), ops.linear(h, w_hh, b_hh)))


def lstm_cell_composed(x, state, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None):
    """(h', c') from (h, c): the LSTM step as linear, chunk, sigmoid, tanh, mul and add (and h'
    projected by ``w_hr``, one more linear, for an LSTM with projections)."""
    h, c = state
    i, f, g, o = ops.chunk(ops.add(ops.linear(x, w_ih, b_ih), ops.linear(h, w_hh, b_hh)), 4, -1)
    c_next = ops.add(ops.mul(ops.sigmoid(f), c), ops.mul(ops.sigmoid(i), ops.tanh(g)))
    h_next = ops.mul(ops.sigmoid(o), ops.tanh(c_next))
    return (h_next if w_hr is None else ops.linear(h_next, w_hr)), c_next


def gru_cell_composed(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' from h: the GRU step as linear, chunk, sigmoid, tanh, mul, add and sub."""
    x_r, x_z, x_n = ops.chunk(ops.linear(x, w_ih, b_ih), 3, -1)
    h_r, h_z, h_n = ops.chunk(ops.linear(h, w_hh, b_hh), 3, -1)
    r = ops.sigmoid(ops.add(x_r, h_r))
    z = ops.sigmoid(ops.add(x_z, h_z))
    n = ops.tanh(ops.add(x_n, ops.mul(r, h_n)))
    return ops.add(n, ops.mul(z, ops.sub(h, n)))  # (1 − z)·n + z·h


STEPS = {"RNN_TANH": rnn_tanh_cell_composed, "RNN_RELU": rnn_relu_cell_composed, "LSTM": lstm_cell_composed,
         "GRU": gru_cell_composed}
# The layers run each (layer, direction) as one primitive of ops/recurrent.py; False makes them
# run the steps above instead, one elementary operation at a time (the reference the tests use).
FUSED = True


def _fused_direction(mode: str, layer_input, state, weights, reverse: bool, batch_sizes=None):
    """(the outputs h_t at every position, the last state) of one direction of one layer. With
    ``batch_sizes`` (a packed batch, padded, its rows sorted by decreasing length) each row keeps its
    state where its sequence has no step, so the state at the last position is each one's own last.
    An LSTM with projections has W_hr after the four weights of the others."""
    w_ih, w_hh, b_ih, b_hh, *projection = weights
    gi = ops.linear(layer_input, w_ih, b_ih)  # the input products of every position at once
    if mode == "LSTM" and projection:
        return _projected_lstm(gi, state, w_hh, b_hh, projection[0], reverse, batch_sizes)
    if mode == "LSTM":
        both = fused.lstm_sequence(gi, state[0], state[1], w_hh, b_hh, reverse, batch_sizes)  # (2, L, N, H): h_t, c_t
        last = ops.getitem(both, (slice(None), 0 if reverse else -1))
        return ops.getitem(both, 0), (ops.getitem(last, 0), ops.getitem(last, 1))
    if mode == "GRU":
        out = fused.gru_sequence(gi, state, w_hh, b_hh, reverse, batch_sizes)
    else:
        out = fused.rnn_sequence(gi, state, w_hh, b_hh, "tanh" if mode == "RNN_TANH" else "relu", reverse,
                                 batch_sizes)
    return out, ops.getitem(out, 0 if reverse else -1)


def _projected_lstm(gi, state, w_hh, b_hh, w_hr, reverse: bool, batch_sizes):
    """:func:`_fused_direction` of an LSTM with projections, whose primitive puts h_t (P wide) and
    c_t (H wide) side by side along the last axis: (L, N, P + H)."""
    both = fused.lstm_sequence(gi, state[0], state[1], w_hh, b_hh, reverse, batch_sizes, w_hr)
    width = w_hr.shape[0]
    last = ops.getitem(both, 0 if reverse else -1)
    h_part, c_part = (slice(None), slice(None, width)), (slice(None), slice(width, None))
    return ops.getitem(both, (slice(None),) + h_part), (ops.getitem(last, h_part), ops.getitem(last, c_part))


def _composed_direction(mode: str, layer_input, state, weights, reverse: bool):
    """What :func:`_fused_direction` computes, one step and one elementary operation at a time."""
    length = layer_input.shape[0]
    outputs = [None] * length
    for t in range(length - 1, -1, -1) if reverse else range(length):
        state = STEPS[mode](ops.getitem(layer_input, t), state, *weights)
        outputs[t] = state[0] if mode == "LSTM" else state
    return ops.stack(outputs), state


# -- options shared by the cells and the layers ------------------------------------------------------


def _positive(owner: str, option: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ConfigError(f"{owner}: {option} must be a positive integer, got {value!r}")
    return int(value)


def _nonlinearity(owner: str, value) -> str:
    if value not in ("tanh", "relu"):
        raise ConfigError(f"{owner}: nonlinearity must be 'tanh' or 'relu', got {value!r}")
    return value


def _shape(x) -> tuple:
    return tuple(np.shape(x.data if isinstance(x, Tensor) else x))


def _state(x, dtype) -> Tensor:
    """A given initial state as a tensor: data (not requiring a gradient) in the layer's dtype."""
    if isinstance(x, Tensor) and x.requires_grad:
        return x
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    return Tensor._wrap(np.asarray(data, dtype=dtype))


def _as_input(x, dtype):
    """The input as a tensor (data in the layer's dtype, as Linear takes it)."""
    if isinstance(x, Tensor) and x.requires_grad:
        return x
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    return Tensor._wrap(data if data.dtype == dtype else data.astype(dtype))


class _Weights(Module):
    """What the cells and the layers share: the weights of a set of (layer, direction) cells, their
    PyTorch initialisation U(−1/√hidden, 1/√hidden), and the checks of the options."""

    def _make(self, suffixes_and_inputs, bias: bool, dtype, chunks: int | None = None, proj_size: int = 0) -> None:
        """The parameters of each cell, in PyTorch's order: weight_ih, weight_hh, the biases, and
        weight_hr (proj_size, hidden) with ``proj_size``, which h then has as its width."""
        gates = (_GATES[self.mode] if chunks is None else chunks) * self.hidden_size
        self._cells = []
        for suffix, inputs in suffixes_and_inputs:
            shapes = {f"weight_ih{suffix}": (gates, inputs), f"weight_hh{suffix}": (gates, proj_size or self.hidden_size)}
            if bias:
                shapes.update({f"bias_ih{suffix}": (gates,), f"bias_hh{suffix}": (gates,)})
            if proj_size:
                shapes[f"weight_hr{suffix}"] = (proj_size, self.hidden_size)
            for name, shape in shapes.items():
                self.register_parameter(name, Parameter(np.empty(shape, dtype=dtype)))
            self._cells.append(list(shapes))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            init.uniform_(parameter, -bound, bound)

    def _weights(self, index: int) -> tuple:
        """(w_ih, w_hh, b_ih, b_hh) of cell ``index`` (the biases None without bias), and w_hr
        after them with projections."""
        weights = [getattr(self, name) for name in self._cells[index]]
        if not self.bias:
            weights[2:2] = [None, None]
        return tuple(weights)

    @property
    def _name(self) -> str:
        return type(self).__name__


# -- the cells ---------------------------------------------------------------------------------------


class RNNCellBase(_Weights):
    """Base class of the cells (PyTorch's ``nn.RNNCellBase``, for isinstance checks and cells of
    one's own): ``weight_ih`` (num_chunks·hidden, input), ``weight_hh`` (num_chunks·hidden, hidden)
    and, with ``bias``, ``bias_ih`` and ``bias_hh``, drawn from U(−1/√hidden, 1/√hidden). A
    subclass defines ``forward``."""

    _in_model_files = False  # (a base class: a model file names the cell)

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        on_cpu(name, device)
        self.input_size = _positive(name, "input_size", input_size)
        self.hidden_size = _positive(name, "hidden_size", hidden_size)
        self.bias = bool(bias)
        self._make([("", self.input_size)], self.bias, floating_dtype(name, get_default_dtype() if dtype is None else dtype),
                   _positive(name, "num_chunks", num_chunks))

    def describe(self) -> str:
        return f"{type(self).__name__}({self.input_size} -> {self.hidden_size})"

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class _Cell(RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, _GATES[self.mode], device, dtype)

    def _prepare(self, input, hx, states: int):
        """(input as (N, H_in), the states as (N, H), whether the input was unbatched), checked."""
        dtype = self.weight_ih.dtype
        shape = _shape(input)
        if len(shape) not in (1, 2) or shape[-1] != self.input_size:
            raise ShapeError(f"{self.describe()} expected input of shape (N, {self.input_size}) or ({self.input_size},), "
                             f"got shape {shape}")
        unbatched = len(shape) == 1
        x = _as_input(input, dtype)
        if unbatched:
            x = ops.reshape(x, (1, self.input_size))
        batch = (1,) if unbatched else shape[:1]
        expected = (*(() if unbatched else batch), self.hidden_size)
        if hx is None:
            zeros = Tensor._wrap(np.zeros((batch[0], self.hidden_size), dtype=dtype))
            return x, (zeros,) * states, unbatched
        given = hx if states > 1 else (hx,)
        if states > 1 and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise ShapeError(f"{self.describe()}: hx must be a pair (h, c) of states of shape {expected}, got "
                             f"{type(hx).__name__}")
        result = []
        for which, value in zip(("h", "c"), given):
            if _shape(value) != expected:
                label = f"the state {which}" if states > 1 else "hx"
                raise ShapeError(f"{self.describe()}: {label} must have shape {expected} for input of shape {shape}, "
                                 f"got shape {_shape(value)}")
            value = _state(value, dtype)
            result.append(ops.reshape(value, (1, self.hidden_size)) if unbatched else value)
        return x, tuple(result), unbatched

    def config(self) -> dict:
        return {"input_size": self.input_size, "hidden_size": self.hidden_size, "bias": self.bias,
                "dtype": self.weight_ih.dtype.name}


class RNNCell(_Cell):
    """One step of an Elman RNN: h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), act tanh or relu.

    ``weight_ih`` (hidden, input), ``weight_hh`` (hidden, hidden), ``bias_ih`` and ``bias_hh``
    (hidden,); input (N, input_size) or (input_size,), hx of the matching (N, hidden) or (hidden,),
    zeros when not given.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh", device=None,
                 dtype=None):
        self.nonlinearity = _nonlinearity("RNNCell", nonlinearity)
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), unbatched = self._prepare(input, hx, 1)
        out = STEPS[self.mode](x, h, *self._weights(0))
        return ops.reshape(out, (self.hidden_size,)) if unbatched else out

    def config(self) -> dict:
        return {**super().config(), "nonlinearity": self.nonlinearity}

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity}")


class LSTMCell(_Cell):
    """One LSTM step: (h', c') from x and (h, c), gates i, f, g, o in that order along the rows of
    ``weight_ih`` (4·hidden, input) and ``weight_hh`` (4·hidden, hidden)."""

    mode = "LSTM"

    def forward(self, input, hx=None):
        x, state, unbatched = self._prepare(input, hx, 2)
        h, c = STEPS["LSTM"](x, state, *self._weights(0))
        if unbatched:
            return ops.reshape(h, (self.hidden_size,)), ops.reshape(c, (self.hidden_size,))
        return h, c


class GRUCell(_Cell):
    """One GRU step: h' from x and h, gates r, z, n in that order along the rows of ``weight_ih``
    (3·hidden, input) and ``weight_hh`` (3·hidden, hidden)."""

    mode = "GRU"

    def forward(self, input, hx=None):
        x, (h,), unbatched = self._prepare(input, hx, 1)
        out = STEPS["GRU"](x, h, *self._weights(0))
        return ops.reshape(out, (self.hidden_size,)) if unbatched else out


# -- the layers ----------------------------------------------------------------------------------------


def _projection(owner: str, proj_size, hidden_size: int) -> int:
    """An LSTM's ``proj_size``: 0 (no projections) or a width below ``hidden_size``, as PyTorch takes it."""
    if isinstance(proj_size, bool) or not isinstance(proj_size, (int, np.integer)) or proj_size < 0:
        raise ConfigError(f"{owner}: proj_size must be a non-negative integer (0 for no projections), got "
                          f"{proj_size!r}")
    if proj_size >= hidden_size:
        raise ConfigError(f"{owner}: proj_size must be smaller than hidden_size={hidden_size}, got "
                          f"proj_size={proj_size!r}")
    return int(proj_size)


def _no_projection(owner: str, proj_size) -> None:
    """RNN and GRU take ``proj_size`` only to refuse it (even 0), as PyTorch's do."""
    if proj_size is not None:
        raise ConfigError(f"{owner}: proj_size is an option of LSTM only (PyTorch's {owner} refuses it too), got "
                          f"proj_size={proj_size!r}; leave it out")


class RNNBase(_Weights):
    """Base class of RNN, LSTM and GRU (PyTorch's ``nn.RNNBase``): ``mode`` is 'RNN_TANH',
    'RNN_RELU', 'LSTM' or 'GRU'; the other arguments are the layers' (see :class:`LSTM`)."""

    _in_model_files = False  # (a base class: a model file names the layer)

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        on_cpu(name, device)
        if mode not in _GATES:
            raise ConfigError(f"{name}: mode must be one of {', '.join(map(repr, _GATES))}, got {mode!r}")
        self.mode = mode
        self.input_size = _positive(name, "input_size", input_size)
        self.hidden_size = _positive(name, "hidden_size", hidden_size)
        self.num_layers = _positive(name, "num_layers", num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0.0 <= dropout <= 1.0:
            raise ConfigError(f"{name}: dropout must be a probability in [0, 1], got {dropout!r}")
        self.proj_size = _projection(name, proj_size, self.hidden_size)
        if self.proj_size and mode != "LSTM":
            raise ConfigError(f"{name}: proj_size is an option of LSTM only, got proj_size={proj_size!r} with "
                              f"mode {mode!r}")
        if dropout > 0 and self.num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} acts between stacked layers only, so it does nothing with "
                          "num_layers=1 (PyTorch warns the same)", UserWarning, stacklevel=3)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)  # (PyTorch's RNNs keep it as a float too)
        self.bidirectional = bool(bidirectional)
        directions = 2 if self.bidirectional else 1
        cells = []
        for layer in range(self.num_layers):
            inputs = self.input_size if layer == 0 else directions * self._output_width
            for direction in range(directions):
                cells.append((f"_l{layer}" + ("_reverse" if direction else ""), inputs))
        self._make(cells, self.bias, floating_dtype(name, get_default_dtype() if dtype is None else dtype),
                   proj_size=self.proj_size)

    @property
    def _output_width(self) -> int:
        """The width of h in each direction: proj_size for an LSTM with projections, else hidden_size."""
        return self.proj_size or self.hidden_size

    def _state_shapes(self, batch: tuple) -> list:
        """The shapes of h_0 (and c_0 for an LSTM), (layers · D, *batch, width): c keeps the hidden
        size where h has proj_size."""
        count = (2 if self.bidirectional else 1) * self.num_layers
        shapes = [(count, *batch, self._output_width)]
        return shapes + [(count, *batch, self.hidden_size)] if self.mode == "LSTM" else shapes

    def flatten_parameters(self) -> None:
        """Nothing to do (PyTorch packs its weights for cuDNN here); kept so that code calling it runs."""

    @property
    def all_weights(self) -> list:
        """The parameters of each (layer, direction), as lists in PyTorch's order."""
        return [[getattr(self, name) for name in names] for names in self._cells]

    def _check(self, input, hx):
        """(input as (L, N, H_in), the initial states as (layers · D, N, H) or None, whether unbatched)."""
        shape = _shape(input)
        layout = "(N, L, " if self.batch_first else "(L, N, "
        if len(shape) not in (2, 3) or shape[-1] != self.input_size:
            raise ShapeError(f"{self.describe()} expected input of shape {layout}{self.input_size}) or "
                             f"(L, {self.input_size}), got shape {shape}")
        unbatched = len(shape) == 2
        if shape[1 if self.batch_first and not unbatched else 0] == 0:
            raise ShapeError(f"{self.describe()}: the input sequence is empty (length 0, input of shape {shape}); "
                             "a recurrent layer needs at least one step")
        dtype = self.weight_ih_l0.dtype
        x = _as_input(input, dtype)
        if unbatched:
            x = ops.reshape(x, (shape[0], 1, shape[1]))
        elif self.batch_first:
            x = ops.permute(x, (1, 0, 2))
        batch = 1 if unbatched else shape[0 if self.batch_first else 1]
        if hx is None:
            return x, None, unbatched
        shapes = self._state_shapes(() if unbatched else (batch,))
        given = self._initial_states(hx, shapes, dtype, f"for input of shape {shape}")
        if unbatched:
            given = [ops.reshape(value, (expected[0], 1, expected[-1])) for value, expected in zip(given, shapes)]
        return x, tuple(given), unbatched

    def _initial_states(self, hx, shapes: list, dtype, what: str) -> list:
        """h_0 (and c_0 for an LSTM) checked to have the shapes ``shapes`` and converted to ``dtype``."""
        lstm = self.mode == "LSTM"
        if lstm and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            expected = f"of shape {shapes[0]}" if shapes[0] == shapes[1] else f"of shapes {shapes[0]} and {shapes[1]}"
            raise ShapeError(f"{self.describe()}: the initial state must be a pair (h_0, c_0) {expected}, "
                             f"got {type(hx).__name__}")
        given = []
        for which, value, expected in zip(("h_0", "c_0"), hx if lstm else (hx,), shapes):
            if _shape(value) != expected:
                raise ShapeError(f"{self.describe()}: {which} must have shape {expected} {what}, "
                                 f"got shape {_shape(value)}")
            given.append(_state(value, dtype))
        return given

    def _check_packed(self, input: PackedSequence, hx):
        """(the packed steps as a padded (L, N, H_in) batch in sorted order, the initial states in
        that order or None, the counts of ``batch_sizes``), checked."""
        shape = _shape(input.data)
        if len(shape) != 2 or shape[1] != self.input_size:
            raise ShapeError(f"{self.describe()} expected a PackedSequence whose data has shape (steps, "
                             f"{self.input_size}), got shape {shape}")
        sizes = rnn_utils._counts(input.batch_sizes)
        dtype = self.weight_ih_l0.dtype
        x = rnn_utils.padded_sorted(input._replace(data=_as_input(input.data, dtype)))
        if hx is None:
            return x, None, sizes
        given = self._initial_states(hx, self._state_shapes((int(sizes[0]),)), dtype,
                                     f"for a packed batch of {int(sizes[0])} sequences")
        if input.sorted_indices is not None:  # the states come in the batch's own order, the rows run sorted
            given = [ops.index_select(value, 1, input.sorted_indices) for value in given]
        return x, tuple(given), sizes

    def _forward_packed(self, input: PackedSequence, hx):
        """PyTorch's packed form: each sequence runs to its own length; a PackedSequence out, and the
        states of each sequence's last step (in the batch's own order)."""
        x, given, sizes = self._check_packed(input, hx)
        output, h_n, c_n = self._layers(x, given, sizes)
        steps = rnn_utils.packed_positions(sizes)
        data = ops.index_select(ops.reshape(output, (-1, output.shape[-1])), 0, steps)
        output = input._replace(data=data)
        if input.unsorted_indices is not None:
            h_n = ops.index_select(h_n, 1, input.unsorted_indices)
            c_n = None if c_n is None else ops.index_select(c_n, 1, input.unsorted_indices)
        return (output, (h_n, c_n)) if self.mode == "LSTM" else (output, h_n)

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        x, given, unbatched = self._check(input, hx)
        lstm = self.mode == "LSTM"
        length = x.shape[0]
        directions = 2 if self.bidirectional else 1
        output, h_n, c_n = self._layers(x, given)
        if unbatched:
            output = ops.reshape(output, (length, directions * self._output_width))
            h_n = ops.reshape(h_n, (h_n.shape[0], self._output_width))
            c_n = ops.reshape(c_n, (c_n.shape[0], self.hidden_size)) if lstm else None
        elif self.batch_first:
            output = ops.permute(output, (1, 0, 2))
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _layers(self, x, given, batch_sizes=None) -> tuple:
        """(the last layer's outputs (L, N, D·H) (D·proj_size with projections), h_n, c_n or None) of
        the stacked layers over the time-major batch ``x``; packed batches (``batch_sizes``) run on the
        fused primitives only."""
        lstm = self.mode == "LSTM"
        batch = x.shape[1]
        directions = 2 if self.bidirectional else 1
        zeros = Tensor._wrap(np.zeros((batch, self.hidden_size), dtype=self.weight_ih_l0.dtype))
        h_zeros = zeros if not self.proj_size else Tensor._wrap(np.zeros((batch, self.proj_size), dtype=zeros.dtype))
        if batch_sizes is not None:
            run = functools.partial(_fused_direction, batch_sizes=batch_sizes)
        else:
            run = _fused_direction if FUSED else _composed_direction
        finals = []  # the last state of every (layer, direction)
        layer_input = x
        for layer in range(self.num_layers):
            if layer and self.dropout and self.training:
                layer_input = F.dropout(layer_input, self.dropout, True)
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                if given is None:
                    state = (h_zeros, zeros) if lstm else zeros
                else:
                    state = tuple(ops.getitem(s, index) for s in given) if lstm else ops.getitem(given[0], index)
                out, last = run(self.mode, layer_input, state, self._weights(index), bool(direction))
                outputs.append(out)
                finals.append(last)
            layer_input = outputs[0] if directions == 1 else ops.concatenate(outputs, axis=-1)
        h_n = ops.stack([last[0] for last in finals] if lstm else finals)
        c_n = ops.stack([last[1] for last in finals]) if lstm else None
        return layer_input, h_n, c_n

    def describe(self) -> str:
        details = [f"{self.num_layers} layers"] if self.num_layers != 1 else []
        details += ["bidirectional"] if self.bidirectional else []
        details += [f"projected to {self.proj_size}"] if self.proj_size else []
        return f"{type(self).__name__}({self.input_size} -> {self.hidden_size}{''.join(', ' + d for d in details)})"

    def config(self) -> dict:
        return {
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bias": self.bias,
            "batch_first": self.batch_first,
            "dropout": self.dropout,
            "bidirectional": self.bidirectional,
            "dtype": self.weight_ih_l0.dtype.name,
        }

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(RNNBase):
    """An Elman RNN of ``num_layers`` stacked layers: h_t = act(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh).

    Returns ``(output, h_n)``: the last layer's h_t at every step, (L, N, D·hidden) (batch first
    with ``batch_first``), and every layer's last state, (num_layers·D, N, hidden). Parameters
    ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (``_reverse`` for the
    backward direction), as PyTorch names them.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, proj_size=None):
        _no_projection("RNN", proj_size)
        nonlinearity = _nonlinearity("RNN", nonlinearity)
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity

    def config(self) -> dict:
        return {**super().config(), "nonlinearity": self.nonlinearity}


class LSTM(RNNBase):
    """A long short-term memory network of ``num_layers`` stacked layers.

    ``forward(input, (h_0, c_0))`` returns ``(output, (h_n, c_n))``: the last layer's h_t at every
    step and every layer's last (h, c). Gates i, f, g, o in that order along the rows of the
    weights (4·hidden of them).

    With ``proj_size`` P (0 < P < hidden, PyTorch's LSTM with projections) each layer and direction
    also has ``weight_hr_l{k}`` (P, hidden): h_t = W_hr·(σ(o)·tanh(c_t)) has P units, so
    ``weight_hh_l{k}`` is (4·hidden, P), the layers after the first take D·P inputs, the output is
    (L, N, D·P) and h_0/h_n are (num_layers·D, N, P), while c_0/c_n keep the hidden size.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)

    def config(self) -> dict:
        return {**super().config(), "proj_size": self.proj_size}


class GRU(RNNBase):
    """A gated recurrent unit network of ``num_layers`` stacked layers; returns ``(output, h_n)`` as
    :class:`RNN` does. Gates r, z, n in that order along the rows of the weights (3·hidden of them)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None, proj_size=None):
        _no_projection("GRU", proj_size)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0,
                         device, dtype)
