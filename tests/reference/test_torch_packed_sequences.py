"""nn.utils.rnn against PyTorch: padding, packing and unpacking give PyTorch's values and gradients,
and RNN, LSTM and GRU run on a packed batch as PyTorch's do (each sequence to its own length; the
packed output, h_n and c_n, and the gradients of the input, the initial states and every weight)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these functions are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop.nn.utils import rnn  # noqa: E402
from torch.nn.utils import rnn as torch_rnn  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, TORCH_DTYPES, twins  # noqa: E402


def both(array, dtype):
    """The same numbers as a deltaprop and a PyTorch tensor, both requiring a gradient."""
    return (dp.tensor(array, dtype=dtype, requires_grad=True),
            torch.tensor(array, dtype=TORCH_DTYPES[dtype], requires_grad=True))


def backward_both(ours, theirs, seed):
    """Backward of Σ w·out with the same random w for each pair of outputs."""
    total_ours, total_theirs = 0, 0
    for i, (a, b) in enumerate(zip(ours, theirs)):
        w = np.random.default_rng(seed + i).standard_normal(tuple(b.shape))
        total_ours = total_ours + (a * dp.tensor(w, dtype=a.dtype)).sum()
        total_theirs = total_theirs + (b * torch.tensor(w, dtype=b.dtype)).sum()
    total_ours.backward()
    total_theirs.backward()


def assert_same(a, b, tol, what):
    assert tuple(np.shape(a.data)) == tuple(b.shape), what
    np.testing.assert_allclose(a.data, b.detach().numpy(), err_msg=what, **tol)


# -- the functions --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("batch_first", [False, True], ids=["time-major", "batch-first"])
@pytest.mark.parametrize("lengths, enforce_sorted", [([5, 3, 3, 1], True), ([2, 5, 1, 3], False), ([4, 4, 4, 4], True)])
def test_pack_and_pad_back_match_pytorch(lengths, enforce_sorted, batch_first, dtype):
    tol = TOLERANCES[dtype]
    shape = (4, 5, 2) if batch_first else (5, 4, 2)
    ours_x, theirs_x = both(np.random.default_rng(0).standard_normal(shape), dtype)
    ours = rnn.pack_padded_sequence(ours_x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    theirs = torch_rnn.pack_padded_sequence(theirs_x, torch.tensor(lengths), batch_first=batch_first,
                                            enforce_sorted=enforce_sorted)
    assert_same(ours.data, theirs.data, tol, "data")
    np.testing.assert_array_equal(ours.batch_sizes.data, theirs.batch_sizes.numpy())
    for key in ("sorted_indices", "unsorted_indices"):
        a, b = getattr(ours, key), getattr(theirs, key)
        assert (a is None) == (b is None), key
        if a is not None:
            np.testing.assert_array_equal(a.data, b.numpy(), err_msg=key)
    padded_ours, lengths_ours = rnn.pad_packed_sequence(ours, batch_first, padding_value=-2.0, total_length=7)
    padded_theirs, lengths_theirs = torch_rnn.pad_packed_sequence(theirs, batch_first, padding_value=-2.0,
                                                                  total_length=7)
    assert_same(padded_ours, padded_theirs, tol, "padded")
    np.testing.assert_array_equal(lengths_ours.data, lengths_theirs.numpy())
    assert lengths_ours.dtype == np.int64
    backward_both([padded_ours, ours.data], [padded_theirs, theirs.data], seed=3)
    np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), **tol)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time-major", "batch-first"])
def test_pad_sequence_matches_pytorch(batch_first, padding_side, dtype):
    tol = TOLERANCES[dtype]
    rng = np.random.default_rng(1)
    pairs = [both(rng.standard_normal((n, 3, 2)), dtype) for n in (2, 4, 0, 1)]
    ours = rnn.pad_sequence([a for a, _ in pairs], batch_first, 7.5, padding_side)
    theirs = torch_rnn.pad_sequence([b for _, b in pairs], batch_first, 7.5, padding_side)
    assert_same(ours, theirs, tol, "padded")
    backward_both([ours], [theirs], seed=4)
    for i, (a, b) in enumerate(pairs):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad, b.grad.numpy(), err_msg=f"sequence {i}", **tol)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack_sequence_match_pytorch(enforce_sorted, dtype):
    tol = TOLERANCES[dtype]
    rng = np.random.default_rng(2)
    sizes = (4, 3, 3, 1) if enforce_sorted else (2, 4, 1, 3)
    pairs = [both(rng.standard_normal((n, 2)), dtype) for n in sizes]
    ours = rnn.pack_sequence([a for a, _ in pairs], enforce_sorted)
    theirs = torch_rnn.pack_sequence([b for _, b in pairs], enforce_sorted)
    assert_same(ours.data, theirs.data, tol, "data")
    np.testing.assert_array_equal(ours.batch_sizes.data, theirs.batch_sizes.numpy())
    back_ours, back_theirs = rnn.unpack_sequence(ours), torch_rnn.unpack_sequence(theirs)
    assert len(back_ours) == len(back_theirs) == len(sizes)
    for i, (a, b) in enumerate(zip(back_ours, back_theirs)):
        assert_same(a, b, tol, f"sequence {i}")
    backward_both(back_ours, back_theirs, seed=5)
    for i, (a, b) in enumerate(pairs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), err_msg=f"sequence {i}", **tol)


@pytest.mark.parametrize("batch_first", [False, True], ids=["time-major", "batch-first"])
def test_unpad_sequence_matches_pytorch(batch_first):
    x = np.random.default_rng(3).standard_normal((4, 5, 2) if batch_first else (5, 4, 2))
    ours = rnn.unpad_sequence(dp.tensor(x, dtype=np.float64), [2, 5, 1, 3], batch_first)
    theirs = torch_rnn.unpad_sequence(torch.tensor(x), torch.tensor([2, 5, 1, 3]), batch_first)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert_same(a, b, TOLERANCES[np.float64], f"sequence {i}")


# -- the layers on a packed batch -----------------------------------------------------------------------

LAYERS = [
    ("RNN", dict(input_size=3, hidden_size=4)),
    ("RNN", dict(input_size=3, hidden_size=4, nonlinearity="relu", num_layers=2, bidirectional=True)),
    ("LSTM", dict(input_size=3, hidden_size=4)),
    ("LSTM", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)),
    ("LSTM", dict(input_size=3, hidden_size=4, bias=False, batch_first=True)),
    ("GRU", dict(input_size=3, hidden_size=4)),
    ("GRU", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)),
]


@pytest.mark.parametrize("with_state", [True, False], ids=["h0", "zeros"])
@pytest.mark.parametrize("lengths, enforce_sorted", [([6, 4, 4, 1, 1], True), ([2, 6, 1, 5, 3], False)],
                         ids=["sorted", "unsorted"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs", LAYERS, ids=[f"{c[0]}-{i}" for i, c in enumerate(LAYERS)])
def test_a_packed_batch_runs_as_pytorchs(name, kwargs, dtype, lengths, enforce_sorted, with_state):
    torch.manual_seed(0)
    tol = TOLERANCES[dtype]
    ours, theirs = twins(name, kwargs, dtype, weights="pytorch")
    rng = np.random.default_rng(4)
    batch_first = kwargs.get("batch_first", False)
    shape = (5, 6, 3) if batch_first else (6, 5, 3)
    ours_x, theirs_x = both(rng.standard_normal(shape), dtype)
    packed_ours = rnn.pack_padded_sequence(ours_x, lengths, batch_first, enforce_sorted)
    packed_theirs = torch_rnn.pack_padded_sequence(theirs_x, torch.tensor(lengths), batch_first, enforce_sorted)
    D = 2 if kwargs.get("bidirectional") else 1
    state_shape = (D * kwargs.get("num_layers", 1), 5, 4)
    states = [both(rng.standard_normal(state_shape), dtype) for _ in range(2 if name == "LSTM" else 1)]
    if not with_state:
        args_ours = args_theirs = ()
    elif name == "LSTM":
        args_ours, args_theirs = (tuple(a for a, _ in states),), (tuple(b for _, b in states),)
    else:
        args_ours, args_theirs = (states[0][0],), (states[0][1],)
    out_ours, last_ours = ours(packed_ours, *args_ours)
    out_theirs, last_theirs = theirs(packed_theirs, *args_theirs)
    assert isinstance(out_ours, rnn.PackedSequence)
    assert_same(out_ours.data, out_theirs.data, tol, "output data")
    np.testing.assert_array_equal(out_ours.batch_sizes.data, out_theirs.batch_sizes.numpy())
    lasts_ours = list(last_ours) if name == "LSTM" else [last_ours]
    lasts_theirs = list(last_theirs) if name == "LSTM" else [last_theirs]
    for which, a, b in zip(("h_n", "c_n"), lasts_ours, lasts_theirs):
        assert_same(a, b, tol, which)
    padded_ours, _ = rnn.pad_packed_sequence(out_ours, batch_first)
    padded_theirs, _ = torch_rnn.pad_packed_sequence(out_theirs, batch_first)
    backward_both([padded_ours] + lasts_ours, [padded_theirs] + lasts_theirs, seed=6)
    np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), err_msg="input", **tol)
    if with_state:
        for i, (a, b) in enumerate(states):
            np.testing.assert_allclose(a.grad, b.grad.numpy(), err_msg=f"state {i}", **tol)
    reference = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, reference[key].grad.numpy(), err_msg=key, **tol)
