"""nn.utils.rnn: packing, padding and the recurrent layers on packed batches. Gradients against
finite differences (float64); a packed batch equal to its sequences run one at a time; the errors.
(PyTorch comparisons: tests/reference/test_torch_packed_sequences.py.)"""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, DataError, ShapeError
from deltaprop.nn.utils import rnn
from deltaprop.ops import recurrent as fused


def randn(*shape, seed=0):
    return dp.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=np.float64, requires_grad=True)


# -- the functions ---------------------------------------------------------------------------------------


def test_packing_by_hand():
    x = dp.tensor(np.arange(12.0).reshape(4, 3, 1), dtype=np.float64)  # x[t, i] = 3t + i
    packed = rnn.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
    np.testing.assert_array_equal(packed.data.data.ravel(), [1, 0, 2, 4, 3, 7, 10])
    np.testing.assert_array_equal(packed.batch_sizes.data, [3, 2, 1, 1])
    np.testing.assert_array_equal(packed.sorted_indices.data, [1, 0, 2])
    np.testing.assert_array_equal(packed.unsorted_indices.data, [1, 0, 2])
    padded, lengths = rnn.pad_packed_sequence(packed, padding_value=-1.0)
    np.testing.assert_array_equal(lengths.data, [2, 4, 1])
    np.testing.assert_array_equal(padded.data[:, :, 0], [[0, 1, 2], [3, 4, -1], [-1, 7, -1], [-1, 10, -1]])


def test_a_packed_sequence_is_a_named_tuple_that_converts_its_data():
    packed = rnn.pack_sequence([dp.tensor([1.0, 2.0]), dp.tensor([3.0])])
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert sorted_indices is None and unsorted_indices is None
    assert packed.double().data.dtype == np.float64 and packed.double().batch_sizes.dtype == np.int64
    made = rnn.PackedSequence(data, batch_sizes, dp.tensor(np.array([1, 0])))
    np.testing.assert_array_equal(made.unsorted_indices.data, [1, 0])


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packing_and_padding_gradients(batch_first, enforce_sorted):
    lengths = [4, 3, 1] if enforce_sorted else [1, 4, 3]
    x = randn(*((3, 5, 2) if batch_first else (5, 3, 2)))

    def round_trip(x):
        packed = rnn.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
        padded, _ = rnn.pad_packed_sequence(packed, batch_first, padding_value=0.5, total_length=6)
        return dp.cat([padded.reshape(-1), packed.data.reshape(-1)])

    assert dp.gradcheck(round_trip, [x])


@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_gradients(padding_side):
    sequences = [randn(3, 2, seed=1), randn(1, 2, seed=2), randn(4, 2, seed=3)]
    assert dp.gradcheck(lambda *s: rnn.pad_sequence(list(s), True, 0.0, padding_side), sequences)


def test_unpacking_gives_back_the_sequences():
    sequences = [np.random.default_rng(i).standard_normal((n, 2)) for i, n in enumerate((2, 5, 3))]
    packed = rnn.pack_sequence([dp.tensor(s, dtype=np.float64) for s in sequences], enforce_sorted=False)
    for got, expected in zip(rnn.unpack_sequence(packed), sequences):
        np.testing.assert_allclose(got.data, expected, rtol=0, atol=0)
    padded = rnn.pad_sequence([dp.tensor(s, dtype=np.float64) for s in sequences])
    for got, expected in zip(rnn.unpad_sequence(padded, [2, 5, 3]), sequences):
        np.testing.assert_allclose(got.data, expected, rtol=0, atol=0)


ERRORS = [
    (lambda x: rnn.pack_padded_sequence(x, [2, 4, 1]), DataError,
     "pack_padded_sequence: lengths must be in decreasing order with enforce_sorted=True, got [2, 4, 1]; pass "
     "enforce_sorted=False to have the batch sorted"),
    (lambda x: rnn.pack_padded_sequence(x, [4, 0, 1], enforce_sorted=False), DataError,
     "pack_padded_sequence: every length must be at least 1, got lengths [4, 0, 1]"),
    (lambda x: rnn.pack_padded_sequence(x, [5, 2, 1]), ShapeError,
     "pack_padded_sequence: a length of 5 is longer than the padded sequences (4 steps, input of shape (4, 3, 1))"),
    (lambda x: rnn.pack_padded_sequence(x, [4, 2]), ShapeError,
     "pack_padded_sequence: got 2 lengths for a batch of 3 sequences (input of shape (4, 3, 1))"),
    (lambda x: rnn.pack_padded_sequence(x, [4.0, 2.0, 1.0]), DataError,
     "pack_padded_sequence: lengths must be a 1-d sequence of integers, got float64 of shape (3,)"),
    (lambda x: rnn.pad_packed_sequence(rnn.pack_padded_sequence(x, [4, 2, 1]), total_length=3), ConfigError,
     "pad_packed_sequence: total_length must be at least the length of the longest sequence (4), got 3"),
    (lambda x: rnn.pad_sequence([x[0], x[:, :, 0]]), ShapeError,
     "pad_sequence: every sequence must have the shape (L, 1) of the first, but sequence 1 has shape (4, 3)"),
    (lambda x: rnn.pad_sequence([]), ShapeError,
     "pad_sequence: got no sequences; pass a list of at least one (L, *) tensor"),
    (lambda x: rnn.pad_sequence([x], padding_side="middle"), ConfigError,
     "pad_sequence: padding_side must be 'right' or 'left', got 'middle'"),
    (lambda x: nn.GRU(2, 3)(rnn.pack_padded_sequence(x, [4, 2, 1])), ShapeError,
     "GRU(2 -> 3) expected a PackedSequence whose data has shape (steps, 2), got shape (7, 1)"),
    (lambda x: nn.LSTM(1, 3)(rnn.pack_padded_sequence(x, [4, 2, 1]), (np.zeros((1, 2, 3)),) * 2), ShapeError,
     "LSTM(1 -> 3): h_0 must have shape (1, 3, 3) for a packed batch of 3 sequences, got shape (1, 2, 3)"),
]


@pytest.mark.parametrize("call, error, message", ERRORS, ids=range(len(ERRORS)))
def test_errors_are_one_sentence_naming_what_is_wrong(call, error, message):
    x = dp.tensor(np.zeros((4, 3, 1)))
    with pytest.raises(error) as caught:
        call(x)
    assert str(caught.value) == message


def test_the_primitives_refuse_batch_sizes_that_do_not_fit():
    with pytest.raises(ShapeError, match=r"rnn_sequence: batch_sizes must be 3 non-increasing counts in 1\.\.2 "
                                         r"\(one per position\), got \[2, 1, 2\]"):
        fused.rnn_sequence(np.zeros((3, 2, 4)), np.zeros((2, 4)), np.zeros((4, 4)), batch_sizes=[2, 1, 2])


# -- the layers on packed batches -------------------------------------------------------------------------


PRIMITIVES = ["rnn", "lstm", "gru"]


def _primitive(kind, reverse, sizes):
    def run(gi, h0, c0, w, b):
        if kind == "lstm":
            return fused.lstm_sequence(gi, h0, c0, w, b, reverse, batch_sizes=sizes)
        if kind == "gru":
            return fused.gru_sequence(gi, h0, w, b, reverse, batch_sizes=sizes)
        return fused.rnn_sequence(gi, h0, w, b, "tanh", reverse, batch_sizes=sizes)
    return run


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("kind", PRIMITIVES)
def test_a_packed_batch_is_its_sequences_run_one_at_a_time(kind, reverse):
    """Row i of a batch with batch_sizes runs its first lengths[i] positions only: its outputs there
    and its last state (at the last position forwards, the first in reverse) are those of that
    sequence alone."""
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    lengths = [5, 3, 3, 1]
    sizes = [sum(n > t for n in lengths) for t in range(5)]
    gi, h0, c0, w, b = randn(5, 4, gates * 3, seed=1), randn(4, 3, seed=2), randn(4, 3, seed=3), \
        randn(gates * 3, 3, seed=4), randn(gates * 3, seed=5)
    out = _primitive(kind, reverse, sizes)(gi, h0, c0, w, b).data
    for i, n in enumerate(lengths):
        alone = _primitive(kind, reverse, None)(gi.data[:n, i:i + 1], h0.data[i:i + 1], c0.data[i:i + 1], w, b).data
        ours = out[:, :n, i:i + 1] if kind == "lstm" else out[:n, i:i + 1]
        np.testing.assert_allclose(ours, alone, rtol=1e-12, atol=1e-14)
        last = (slice(None), 0 if reverse else -1) if kind == "lstm" else (0 if reverse else -1,)
        alone_last = (slice(None), 0 if reverse else n - 1) if kind == "lstm" else (0 if reverse else n - 1,)
        np.testing.assert_allclose(out[last][..., i, :], alone[alone_last][..., 0, :], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("kind", PRIMITIVES)
def test_packed_primitives_gradients(kind, reverse):
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    inputs = [randn(5, 4, gates * 3, seed=1), randn(4, 3, seed=2), randn(4, 3, seed=3), randn(gates * 3, 3, seed=4),
              randn(gates * 3, seed=5)]
    assert dp.gradcheck(_primitive(kind, reverse, [4, 3, 3, 1, 1]), inputs)


LAYERS = [
    ("RNN", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(batch_first=True)),
    ("GRU", dict(num_layers=2, bidirectional=True)),
]


@pytest.mark.parametrize("name, kwargs", LAYERS, ids=[c[0] + str(i) for i, c in enumerate(LAYERS)])
def test_packed_layer_gradients(name, kwargs):
    dp.manual_seed(0)
    layer = getattr(nn, name)(2, 3, **kwargs).double()
    names = [key for key, _ in layer.named_parameters()]
    weights = [dp.tensor(p.data, dtype=np.float64, requires_grad=True) for p in layer.parameters()]
    states = 2 if name == "LSTM" else 1
    layers = (2 if kwargs.get("bidirectional") else 1) * kwargs.get("num_layers", 1)
    inputs = [randn(4, 5, 2)] + [randn(layers, 4, 3, seed=s) for s in range(states)] + weights
    batch_first = kwargs.get("batch_first", False)

    def run(x, *rest):
        for key, value in zip(names, rest[states:]):
            object.__setattr__(layer, key, value)
        packed = rnn.pack_padded_sequence(x if batch_first else x.permute(1, 0, 2), [2, 5, 1, 4], batch_first,
                                          enforce_sorted=False)
        out, last = layer(packed, tuple(rest[:states]) if states == 2 else rest[0])
        lasts = last if isinstance(last, tuple) else (last,)
        return dp.cat([out.data.reshape(-1)] + [s.reshape(-1) for s in lasts])

    assert dp.gradcheck(run, inputs)


def test_a_packed_batch_gives_each_sequence_its_own_last_state():
    dp.manual_seed(0)
    layer = nn.LSTM(2, 3, bidirectional=True).double()
    sequences = [np.random.default_rng(i).standard_normal((n, 2)) for i, n in enumerate((2, 5, 3))]
    packed = rnn.pack_sequence([dp.tensor(s, dtype=np.float64) for s in sequences], enforce_sorted=False)
    out, (h_n, c_n) = layer(packed)
    padded, lengths = rnn.pad_packed_sequence(out)
    for i, s in enumerate(sequences):
        alone, (h, c) = layer(dp.tensor(s[:, None], dtype=np.float64))
        np.testing.assert_allclose(padded.data[:len(s), i], alone.data[:, 0], rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(padded.data[len(s):, i], 0.0)
        np.testing.assert_allclose(h_n.data[:, i], h.data[:, 0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(c_n.data[:, i], c.data[:, 0], rtol=1e-12, atol=1e-14)


def test_a_packed_batch_of_float64_steps_runs_in_the_layers_dtype():
    layer = nn.GRU(2, 3)
    packed = rnn.pack_sequence([dp.tensor(np.ones((3, 2)), dtype=np.float64), dp.tensor(np.ones((1, 2)), dtype=np.float64)])
    out, h_n = layer(packed)
    assert out.data.dtype == np.float32 and h_n.dtype == np.float32
    np.testing.assert_array_equal(out.batch_sizes.data, [2, 1, 1])
