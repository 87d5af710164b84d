"""The pool of large arrays (ops/_memory.py): reuse only when nothing refers to a block any more,
memory order as NumPy's, bounds, threads, and training that is bitwise the same with and without it."""

import threading

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.ops import _memory

MB = 1 << 20


@pytest.fixture(autouse=True)
def fresh_pool(monkeypatch):
    """Each test starts from an empty pool of this thread's (and puts the old one back after)."""
    monkeypatch.setattr(_memory._pool, "blocks", [])


def address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def test_a_block_is_reused_once_its_last_view_is_gone():
    a = _memory.empty((MB,), np.float32)
    first = address(a)
    del a
    b = _memory.empty((MB,), np.float32)
    assert address(b) == first
    assert _memory.held() == (1, 4 * MB)


def test_a_block_is_not_reused_while_any_view_of_it_lives():
    a = _memory.empty((MB,), np.float32)
    a[:] = 1.0
    view = a[::2].reshape(512, -1).T  # a view of a view: it still refers to the block
    del a
    b = _memory.empty((MB,), np.float32)
    b[:] = 2.0
    assert not np.shares_memory(b, view)
    assert np.all(view == 1.0)
    assert _memory.held()[0] == 2


def test_a_tensor_keeps_its_block():
    x = dp.tensor(np.ones((64, 16, 26, 26), np.float32))
    y = nn.functional.relu(x)  # 2.8 MB: from the pool
    assert y.data.base is not None and _memory.held()[0] == 1
    kept = y.data.copy()
    for _ in range(3):
        nn.functional.relu(dp.tensor(np.full((64, 16, 26, 26), 5.0, np.float32)))
    np.testing.assert_array_equal(y.data, kept)


def test_small_arrays_come_from_numpy():
    a = _memory.empty((100,), np.float64)
    b = _memory.empty_like(np.zeros((10, 10), np.float32))
    assert a.base is None and b.base is None
    assert _memory.held() == (0, 0)


@pytest.mark.parametrize("make", [
    lambda: np.zeros((64, 48, 96), np.float32),
    lambda: np.zeros((64, 48, 96), np.float32, order="F"),
    lambda: np.zeros((48, 96, 64), np.float32).transpose(2, 0, 1),  # batch-last storage
    lambda: np.zeros((64, 1, 48, 96), np.float64).transpose(3, 1, 2, 0),  # an axis of length 1
    lambda: np.zeros((64, 96, 96), np.float32)[:, ::2, :],  # not contiguous
])
def test_empty_like_keeps_the_memory_order_numpy_keeps(make):
    a = make()
    ours, numpys = _memory.empty_like(a), np.empty_like(a)
    assert ours.base is not None  # pooled: each of these is over a megabyte
    assert ours.shape == a.shape and ours.dtype == a.dtype
    assert strides(ours) == strides(numpys)
    assert strides(_memory.empty_like(a, np.bool_)) == strides(np.empty_like(a, dtype=np.bool_))


def strides(a: np.ndarray) -> tuple:
    """The strides that matter: those of axes longer than 1 (any stride serves an axis of length 1)."""
    return tuple(s for s, n in zip(a.strides, a.shape) if n > 1)


def test_zeros_like_is_zero_even_in_reused_memory():
    a = _memory.empty((MB,), np.float32)
    a[:] = 7.0
    del a
    z = _memory.zeros_like(np.ones((1024, 1024), np.float32))
    assert np.all(z == 0)


def test_a_block_serves_requests_of_half_its_size_and_more():
    a = _memory.empty((4 * MB,), np.uint8)
    del a
    b = _memory.empty((2 * MB,), np.uint8)  # half: served by the 4 MB block
    assert _memory.held() == (1, 4 * MB)
    del b
    c = _memory.empty((MB,), np.uint8)  # a quarter: a block of its own
    assert _memory.held() == (2, 5 * MB)
    del c


def test_the_pool_stays_under_its_limit(monkeypatch):
    monkeypatch.setattr(_memory, "LIMIT", 8 * MB)
    arrays = [_memory.empty((n * MB,), np.uint8) for n in (1, 2, 3)]
    del arrays  # 6 MB of free blocks
    four = _memory.empty((4 * MB,), np.uint8)  # fits none, and 10 MB would be over: the 3 MB block goes
    assert sorted(block.size for block in _memory._pool.blocks) == [MB, 2 * MB, 4 * MB]
    six = _memory.empty((6 * MB,), np.uint8)  # even with every free block gone, 10 MB: from NumPy
    assert six.base is None and np.shares_memory(four, _memory._pool.blocks[0])
    assert _memory.held() == (1, 4 * MB)
    del four
    _memory.release()
    assert _memory.held() == (0, 0)


def test_release_keeps_busy_blocks():
    busy = _memory.empty((MB,), np.uint8)
    free = _memory.empty((2 * MB,), np.uint8)
    del free
    _memory.release()
    assert _memory.held() == (1, MB) and np.shares_memory(busy, _memory._pool.blocks[0])


def test_each_thread_has_its_own_pool():
    mine = _memory.empty((MB,), np.float32)
    freed = address(mine)
    del mine  # free in this thread's pool, which the worker must not draw from
    seen = {}

    def worker():
        other = _memory.empty((MB,), np.float32)
        seen["address"] = address(other)
        seen["held"] = _memory.held()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen["held"] == (1, 4 * MB)
    assert seen["address"] != freed
    assert _memory.held() == (1, 4 * MB)


def conv_training(monkeypatch, min_bytes) -> list:
    """Losses, final parameters and kept activations of a few SGD steps of a small CNN."""
    monkeypatch.setattr(_memory, "MIN_BYTES", min_bytes)
    dp.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 5 * 5, 3),
    )
    optimizer = dp.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 1, 12, 12)).astype(np.float32), rng.integers(0, 3, 16)
    losses, kept = [], []
    for _ in range(4):
        optimizer.zero_grad()
        hidden = model[:4](dp.tensor(x))  # an activation the caller keeps across steps
        loss = nn.functional.cross_entropy(model[4:](hidden), dp.tensor(y))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        kept.append(hidden.data)
    return losses + [p.data.copy() for p in model.parameters()] + kept


def test_training_is_bitwise_the_same_with_every_array_pooled(monkeypatch):
    pooled = conv_training(monkeypatch, 0)
    assert _memory.held()[0] > 0
    monkeypatch.setattr(_memory._pool, "blocks", [])
    plain = conv_training(monkeypatch, float("inf"))
    assert _memory.held() == (0, 0)
    assert len(pooled) == len(plain)
    for ours, theirs in zip(pooled, plain):
        np.testing.assert_array_equal(ours, theirs)


def test_the_pool_checks_at_import_that_reference_counts_tell_free_from_busy(monkeypatch):
    assert _memory._calibrate() == _memory._FREE is not None
    # An interpreter whose counts don't move with a new view (as CPython 3.14 may skip increments
    # of borrowed references): the pool must stay off rather than hand out busy memory.
    monkeypatch.setattr(_memory.sys, "getrefcount", lambda obj: 2)
    assert _memory._calibrate() is None
    monkeypatch.delattr(_memory.sys, "getrefcount")
    assert _memory._calibrate() is None


@pytest.mark.parametrize("make_pieces", [lambda x: x.split(32, dim=-1), lambda x: dp.chunk(x, 3, -1)],
                         ids=["split", "chunk"])
def test_the_pieces_of_a_split_send_their_gradients_into_one_array(make_pieces):
    """Three pieces of a (64, 10, 96) input (attention's packed query/key/value): the backward pass
    allocates one array of the input's size for their gradients, not one of zeros per piece."""
    import tracemalloc

    x = dp.tensor(np.ones((64, 10, 96)), dtype=dp.float64, requires_grad=True)
    first, second, third = make_pieces(x)
    loss = first.sum() + third.sum()  # the second piece gets no gradient: its part stays zero
    tracemalloc.start()
    try:
        loss.backward()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * x.data.nbytes, peak / x.data.nbytes
    np.testing.assert_array_equal(x.grad, np.concatenate([np.ones((64, 10, 32)), np.zeros((64, 10, 32)),
                                                          np.ones((64, 10, 32))], axis=-1))


def recurrent_training(monkeypatch, min_bytes, name, kwargs) -> list:
    """Losses, final parameters and kept outputs of a few SGD steps of a recurrent layer, its
    large arrays (input products, gates, states, δ) from the pool or all from NumPy."""
    monkeypatch.setattr(_memory, "MIN_BYTES", min_bytes)
    dp.manual_seed(0)
    layer = getattr(nn, name)(6, 8, **kwargs)
    optimizer = dp.optim.SGD(layer.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 5, 6)).astype(np.float32)
    target = rng.standard_normal((7, 5, 8 * (2 if kwargs.get("bidirectional") else 1))).astype(np.float32)
    losses, kept = [], []
    for _ in range(4):
        optimizer.zero_grad()
        output, _ = layer(dp.tensor(x))  # an output the caller keeps across steps
        loss = nn.functional.mse_loss(output, dp.tensor(target))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        kept.append(output.data)
    return losses + [p.data.copy() for p in layer.parameters()] + kept


@pytest.mark.parametrize("name, kwargs", [
    ("LSTM", dict(num_layers=2, bidirectional=True)), ("GRU", dict(num_layers=2, bidirectional=True)),
    ("RNN", dict(nonlinearity="relu"))], ids=["LSTM", "GRU", "RNN"])
def test_recurrent_training_is_bitwise_the_same_with_every_array_pooled(monkeypatch, name, kwargs):
    """The recurrent primitives write every element of the arrays they take from the pool (whose
    memory holds an earlier step's numbers, where a fresh array's holds zeros)."""
    pooled = recurrent_training(monkeypatch, 0, name, kwargs)
    assert _memory.held()[0] > 0
    monkeypatch.setattr(_memory._pool, "blocks", [])
    plain = recurrent_training(monkeypatch, float("inf"), name, kwargs)
    assert _memory.held() == (0, 0)
    for ours, theirs in zip(pooled, plain, strict=True):
        np.testing.assert_array_equal(ours, theirs)


# -- losses and indexing whose large arrays come from the pool ----------------------------------------
#
# A loss after a large output (a language model's logits, a sequence model's outputs) and the
# gradient of a selection (an LSTM's outputs taken from its stacked states) take their arrays from
# the pool. Pooled memory holds an earlier array's numbers, and a rule may run twice (a second
# backward() through the same graph), so each is checked with every array pooled, against the
# same computation with none pooled, after garbage was left in the pool.


def _dirty_pool(nbytes: int = 8 * MB) -> None:
    """Leave one free block of NaNs in the pool, which the next requests of up to its size reuse."""
    block = _memory.empty((nbytes // 8,), np.float64)
    block[:] = np.nan
    del block


def _twice(loss_of, x: np.ndarray) -> tuple:
    """(loss, the gradient after one backward(), after a second through the same graph)."""
    leaf = dp.tensor(x, requires_grad=True)
    loss = loss_of(leaf)
    loss.backward()
    first = leaf.grad.copy()
    loss.backward()
    return loss.item(), first, leaf.grad.copy()


LOSSES = {
    "cross_entropy": lambda z, rng: nn.functional.cross_entropy(z, dp.tensor(rng.integers(0, z.shape[1], z.shape[0]))),
    "cross_entropy padded smoothed": lambda z, rng: nn.functional.cross_entropy(
        z, dp.tensor(rng.integers(0, 3, z.shape[0])), ignore_index=0, label_smoothing=0.1),
    "cross_entropy padded weighted": lambda z, rng: nn.functional.cross_entropy(
        z, dp.tensor(rng.integers(0, 3, z.shape[0])), ignore_index=0, weight=dp.tensor(rng.random(z.shape[1]).astype(np.float32))),
    "cross_entropy weighted smoothed": lambda z, rng: nn.functional.cross_entropy(
        z, dp.tensor(rng.integers(0, 3, z.shape[0])), label_smoothing=0.1, weight=dp.tensor(rng.random(z.shape[1]).astype(np.float32))),
    # a class per pixel: logits (7, 10, 100, 100), and with padding labels beside smoothing
    "cross_entropy per pixel": lambda z, rng: nn.functional.cross_entropy(
        z.reshape(7, 10, 100, 100), dp.tensor(rng.integers(0, 10, (7, 100, 100)))),
    "cross_entropy per pixel padded smoothed": lambda z, rng: nn.functional.cross_entropy(
        z.reshape(7, 10, 100, 100), dp.tensor(np.where(rng.random((7, 100, 100)) < 0.2, -100, rng.integers(0, 10, (7, 100, 100)))),
        label_smoothing=0.1),
    # log_softmax and nll_loss per pixel, softmax along either axis: their arrays come from the pool too
    "log_softmax nll_loss per pixel": lambda z, rng: nn.functional.nll_loss(
        nn.functional.log_softmax(z.reshape(7, 10, 100, 100), dim=1), dp.tensor(rng.integers(0, 10, (7, 100, 100)))),
    "softmax rows": lambda z, rng: (nn.functional.softmax(z, dim=1) * dp.tensor(rng.standard_normal(z.shape).astype(np.float32))).sum(),
    "softmax columns": lambda z, rng: (nn.functional.softmax(z, dim=0) * dp.tensor(rng.standard_normal(z.shape).astype(np.float32))).sum(),
    "mse_loss": lambda z, rng: nn.functional.mse_loss(z, dp.tensor(rng.standard_normal(z.shape).astype(np.float32))),
    "l1_loss": lambda z, rng: nn.functional.l1_loss(z, dp.tensor(rng.standard_normal(z.shape).astype(np.float32))),
    "index": lambda z, rng: (z[3:-5, ::2] * 2.0).sum(),
    "index_by_array": lambda z, rng: (z[np.array([0, 5, 5, 9])] ** 2).sum(),
}


@pytest.mark.parametrize("name", LOSSES)
def test_large_losses_and_selections_are_the_same_pooled_or_not_and_run_twice(monkeypatch, name):
    z = np.random.default_rng(1).standard_normal((700, 1000)).astype(np.float32)  # 2.8 MB: pooled
    results = []
    for min_bytes in (0, float("inf")):
        monkeypatch.setattr(_memory, "MIN_BYTES", min_bytes)
        monkeypatch.setattr(_memory._pool, "blocks", [])
        _dirty_pool()
        results.append(_twice(lambda leaf: LOSSES[name](leaf, np.random.default_rng(2)), z))
        assert (_memory.held()[0] > 0) == (min_bytes == 0)
    (loss, first, second), (plain_loss, plain_first, plain_second) = results
    assert loss == plain_loss
    np.testing.assert_array_equal(first, plain_first)
    np.testing.assert_array_equal(second, plain_second)
    np.testing.assert_allclose(second, 2 * first, rtol=1e-6, atol=0)  # the second sweep read the same arrays
    assert np.isfinite(first).all()


def test_cross_entropy_of_integer_logits_is_that_of_their_floating_values():
    z = np.array([[1, 2, 3], [3, 2, 1], [0, 0, 5]])
    labels = dp.tensor(np.array([0, 1, 2]))
    expected = nn.functional.cross_entropy(dp.tensor(z.astype(np.float64), dtype=dp.float64), labels).item()
    assert nn.functional.cross_entropy(dp.tensor(z), labels).item() == pytest.approx(expected, rel=1e-12)
    for options in ({"label_smoothing": 0.2}, {"ignore_index": 1, "label_smoothing": 0.1}):
        expected = nn.functional.cross_entropy(dp.tensor(z.astype(np.float64), dtype=dp.float64), labels, **options)
        assert nn.functional.cross_entropy(dp.tensor(z), labels, **options).item() == pytest.approx(expected.item(), rel=1e-12)
    # a class per place: the same three samples as (1, 3, 3) logits, the classes on axis 1
    per_place, place_labels = z.T[None], dp.tensor(np.array([[0, 1, 2]]))
    for options in ({}, {"label_smoothing": 0.2}, {"ignore_index": 1}):
        expected = nn.functional.cross_entropy(dp.tensor(z.astype(np.float64), dtype=dp.float64), labels, **options)
        assert nn.functional.cross_entropy(dp.tensor(per_place), place_labels, **options).item() == pytest.approx(expected.item(), rel=1e-12)
