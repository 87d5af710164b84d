"""``max_norm`` and ``norm_type`` of Embedding, EmbeddingBag, F.embedding and F.embedding_bag, and
``sparse=True`` bags, against PyTorch 2.13.

Before each lookup, PyTorch rescales in place every row the input names (each once) whose
``norm_type``-norm exceeds ``max_norm``, to max_norm / (norm + 1e-7) times itself, with no gradient
through the rescaling. Compared here: the output, the table after the call, the table's gradient (and
the per-sample weights'), the rows a sparse gradient lists, training steps with SGD and SparseAdam,
``from_pretrained``, what PyTorch refuses (and what it takes: any max_norm, any norm_type), and what
``backward()`` refuses once a table an earlier operation kept has been rescaled.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn, optim  # noqa: E402
from deltaprop.errors import ConfigError, DataError, GradError  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, TORCH_DTYPES, sample, twins  # noqa: E402

TF = torch.nn.functional
# A 2-d batch and a 1-d one, each naming some rows several times (rows 1 and 2 three times) and
# leaving rows 4 and 7 out.
ROWS = np.array([[1, 2, 2, 0], [3, 1, 5, 1], [2, 6, 0, 6]])
FLAT = np.array([1, 2, 5, 5, 2, 3, 0, 2, 6, 1])
SPARSE_ROWS = [0, 1, 2, 3, 5, 6]  # the rows ROWS and FLAT name


def _ids(cases):
    return [str(i) for i in range(len(cases))]


def _norms(table, p=2.0):
    return np.linalg.norm(np.asarray(table, dtype=np.float64), ord=p, axis=1)


def _grad(parameter):
    grad = parameter.grad
    return (grad.to_dense() if grad.is_sparse else grad).numpy()


def _compare_tables_and_gradients(ours, theirs, dtype, sparse):
    tol = TOLERANCES[dtype]
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), err_msg="table after the call", **tol)
    np.testing.assert_allclose(ours.weight.grad, _grad(theirs.weight), err_msg="table's gradient", **tol)
    if sparse:
        assert theirs.weight.grad.is_sparse
        assert ours.weight.grad.rows.tolist() == theirs.weight.grad.coalesce().indices()[0].tolist()


# -- Embedding --------------------------------------------------------------------------------------------

EMBEDDING_CASES = [
    dict(max_norm=1.0),
    dict(max_norm=1.5, norm_type=1.0),
    dict(max_norm=0.7, norm_type=math.inf),
    dict(max_norm=1.2, norm_type=3.0),
    dict(max_norm=1.0, padding_idx=2),  # the padding row (not zero here) is rescaled too, as PyTorch's is
    dict(max_norm=1.0, scale_grad_by_freq=True),
    dict(max_norm=1.0, sparse=True),
    dict(max_norm=0.9, norm_type=1.5, padding_idx=0, sparse=True),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("indices", [ROWS, FLAT], ids=["2-d", "1-d"])
@pytest.mark.parametrize("kwargs", EMBEDDING_CASES, ids=_ids(EMBEDDING_CASES))
def test_embedding_rescales_the_rows_it_reads_as_pytorchs(kwargs, indices, dtype):
    ours, theirs = twins("Embedding", dict(num_embeddings=8, embedding_dim=3, **kwargs), dtype, check_repr=True)
    before = ours.weight.data.copy()
    out, expected = ours(dp.tensor(indices)), theirs(torch.tensor(indices))
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[dtype])
    upstream = sample(out.shape, seed=3).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    _compare_tables_and_gradients(ours, theirs, dtype, kwargs.get("sparse", False))
    # rows not read are as they were; the rows read are within the bound
    unread = np.setdiff1d(np.arange(8), indices)
    np.testing.assert_array_equal(ours.weight.data[unread], before[unread])
    read = np.unique(indices)
    assert np.all(_norms(ours.weight.data[read], kwargs.get("norm_type", 2.0)) <= kwargs["max_norm"] * (1 + 1e-6))
    # the output is the rescaled rows
    np.testing.assert_array_equal(out.data, ours.weight.data[indices])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_a_row_named_many_times_is_rescaled_once(dtype):
    table = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]], dtype=dtype)
    ours = dp.tensor(table.copy(), dtype=dtype, requires_grad=True)
    theirs = torch.tensor(table.copy(), requires_grad=True)
    indices = np.array([[0, 0, 2], [0, 1, 0]])
    out = F.embedding(dp.tensor(indices), ours, max_norm=2.0)
    expected = TF.embedding(torch.tensor(indices), theirs, max_norm=2.0)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[dtype])
    once = table[0] * (2.0 / (5.0 + 1e-7))  # (rescaled twice it would be the same; four times, no different)
    np.testing.assert_allclose(ours.data[0], once, rtol=1e-6)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), **TOLERANCES[dtype])
    np.testing.assert_array_equal(ours.data[1], table[1])  # under the bound: untouched
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy())
    assert ours.grad[:, 0].tolist() == [4.0, 1.0, 1.0]  # the plain lookup's gradient: counts, no rescaling
    # a negative bound tells once from twice: each rescaling flips the row's sign
    flipped, reference = dp.tensor(table.copy(), dtype=dtype), torch.tensor(table.copy())
    F.embedding_bag(dp.tensor(indices), flipped, mode="sum", max_norm=-2.0)
    TF.embedding_bag(torch.tensor(indices), reference, mode="sum", max_norm=-2.0)
    np.testing.assert_allclose(flipped.data[0], -table[0] * (2.0 / (5.0 + 1e-7)), rtol=1e-6)
    np.testing.assert_allclose(flipped.data, reference.numpy(), **TOLERANCES[dtype])


@pytest.mark.parametrize("max_norm", [0.0, -1.0, 1e300, math.inf, math.nan, 1])
def test_any_max_norm_is_taken_as_pytorch_takes_it(max_norm):
    """0 zeroes the rows read, a negative bound flips them to that norm, NaN and inf change nothing."""
    table = sample((8, 3), seed=4)
    ours, theirs = dp.tensor(table.copy(), dtype=table.dtype), torch.tensor(table.copy())
    out = F.embedding(dp.tensor(ROWS), ours, max_norm=max_norm)
    expected = TF.embedding(torch.tensor(ROWS), theirs, max_norm=max_norm)
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, atol=1e-15)
    assert repr(nn.Embedding(8, 3, max_norm=max_norm)) == repr(torch.nn.Embedding(8, 3, max_norm=float(max_norm)))


@pytest.mark.parametrize("norm_type", [0.0, 0.5, 1.0, 2.5, -1.0, -2.5, math.inf, -math.inf, math.nan])
def test_any_norm_type_is_pytorchs_norm(norm_type):
    table = sample((8, 3), seed=5)
    table[1, 0] = 0.0  # (p = 0 counts the non-zero elements; p < 0 is 0 for a row holding a zero)
    ours, theirs = dp.tensor(table.copy(), dtype=table.dtype), torch.tensor(table.copy())
    F.embedding(dp.tensor(ROWS), ours, max_norm=0.6, norm_type=norm_type)
    TF.embedding(torch.tensor(ROWS), theirs, max_norm=0.6, norm_type=norm_type)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, atol=1e-15)
    layer, reference = nn.Embedding(8, 3, max_norm=0.6, norm_type=norm_type), torch.nn.Embedding(
        8, 3, max_norm=0.6, norm_type=norm_type)
    assert repr(layer) == repr(reference)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_the_rescaling_sends_no_gradient_and_a_table_made_in_the_graph_gets_the_lookups(dtype):
    table = sample((8, 3), seed=6).astype(dtype)
    ours, theirs = dp.tensor(table, dtype=table.dtype, requires_grad=True), torch.tensor(table, requires_grad=True)
    out = F.embedding(dp.tensor(ROWS), ours * 2, max_norm=1.0)
    expected = TF.embedding(torch.tensor(ROWS), theirs * 2, max_norm=1.0)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[dtype])
    (out * dp.tensor(sample(out.shape, seed=1), dtype=dtype)).sum().backward()
    (expected * torch.tensor(sample(out.shape, seed=1), dtype=TORCH_DTYPES[dtype])).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **TOLERANCES[dtype])
    np.testing.assert_array_equal(ours.data, table)  # (the product was rescaled, not the leaf)


def test_the_rescaling_happens_under_no_grad_and_on_a_frozen_table_too():
    table = sample((8, 3), seed=7)
    layer = nn.Embedding.from_pretrained(dp.tensor(table.copy(), dtype=table.dtype), max_norm=1.0)
    reference = torch.nn.Embedding.from_pretrained(torch.tensor(table.copy()), max_norm=1.0)
    assert not layer.weight.requires_grad and repr(layer) == repr(reference)
    with dp.no_grad():
        out = layer(dp.tensor(FLAT))
    with torch.no_grad():
        expected = reference(torch.tensor(FLAT))
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.weight.data, reference.weight.numpy(), rtol=1e-12)
    assert not np.allclose(layer.weight.data, table)


# -- EmbeddingBag ---------------------------------------------------------------------------------------

BAG_CASES = [
    (dict(mode="sum", max_norm=1.0), ROWS, None),
    (dict(mode="mean", max_norm=1.0), ROWS, None),
    (dict(mode="max", max_norm=1.0), ROWS, None),
    (dict(mode="sum", max_norm=1.3, norm_type=1.0), FLAT, [0, 3, 3, 7]),  # an empty bag
    (dict(mode="mean", max_norm=0.8, norm_type=math.inf), FLAT, [0, 4, 9]),
    (dict(mode="max", max_norm=1.2, norm_type=3.0), FLAT, [0, 1, 5]),
    (dict(mode="sum", max_norm=1.0, include_last_offset=True), FLAT, [0, 2, 6, 10]),
    (dict(mode="mean", max_norm=1.0, padding_idx=2), ROWS, None),  # padding rows rescaled, left out of the bags
    (dict(mode="max", max_norm=1.0, padding_idx=1), FLAT, [0, 3, 6]),
    (dict(mode="sum", max_norm=1.0, sparse=True), ROWS, None),
    (dict(mode="mean", max_norm=1.0, sparse=True), FLAT, [0, 2, 2, 8]),
    (dict(mode="sum", max_norm=0.9, sparse=True, padding_idx=5), FLAT, [0, 5]),
    (dict(mode="mean", sparse=True), ROWS, None),  # sparse without max_norm
    (dict(mode="sum", sparse=True, include_last_offset=True, padding_idx=0), FLAT, [0, 3, 10]),
]


def _bag_call(layer, make, indices, offsets, weights=None):
    args = [make(indices)] + ([make(np.array(offsets))] if offsets is not None else [])
    return layer(*args, **({} if weights is None else {"per_sample_weights": weights}))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kwargs, indices, offsets", BAG_CASES, ids=_ids(BAG_CASES))
def test_embedding_bag_rescales_the_rows_it_reads_as_pytorchs(kwargs, indices, offsets, dtype):
    ours, theirs = twins("EmbeddingBag", dict(num_embeddings=8, embedding_dim=3, **kwargs), dtype, check_repr=True,
                         check_state_dict=True)
    out = _bag_call(ours, dp.tensor, indices, offsets)
    expected = _bag_call(theirs, torch.tensor, indices, offsets)
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[dtype])
    upstream = sample(out.shape, seed=2).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    _compare_tables_and_gradients(ours, theirs, dtype, kwargs.get("sparse", False))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("indices, offsets, padding_idx, sparse", [
    (ROWS, None, None, False), (FLAT, [0, 2, 2, 7], None, True), (FLAT, [0, 4, 9], 2, True),
], ids=["rows", "offsets-sparse", "padding-sparse"])
def test_per_sample_weights_with_max_norm_match_pytorch(indices, offsets, padding_idx, sparse, dtype):
    table, weights = sample((8, 3), seed=5), sample(indices.shape, seed=6)
    td = dp.tensor(table, dtype=dtype, requires_grad=True)
    tt = torch.tensor(table, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    wd = dp.tensor(weights, dtype=dtype, requires_grad=True)
    wt = torch.tensor(weights, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    options = dict(mode="sum", max_norm=1.1, norm_type=2.0, padding_idx=padding_idx, sparse=sparse)
    out = F.embedding_bag(dp.tensor(indices), td, None if offsets is None else dp.tensor(offsets),
                          per_sample_weights=wd, **options)
    expected = TF.embedding_bag(torch.tensor(indices), tt, None if offsets is None else torch.tensor(offsets),
                                per_sample_weights=wt, **options)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[dtype])
    np.testing.assert_allclose(td.data, tt.detach().numpy(), **TOLERANCES[dtype])
    upstream = sample(out.shape, seed=7).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(td.grad, _grad(tt), **TOLERANCES[dtype])
    np.testing.assert_allclose(wd.grad, wt.grad.numpy(), **TOLERANCES[dtype])
    if sparse:
        assert td.grad.rows.tolist() == tt.grad.coalesce().indices()[0].tolist()


def test_a_sparse_bag_lists_only_the_rows_its_bags_read():
    layer = nn.EmbeddingBag(10, 2, mode="sum", sparse=True, padding_idx=9)
    reference = torch.nn.EmbeddingBag(10, 2, mode="sum", sparse=True, padding_idx=9)
    assert repr(layer) == repr(reference) == "EmbeddingBag(10, 2, mode='sum', padding_idx=9)"  # (no sparse in it)
    indices, offsets = [4, 9, 4, 1, 9], [0, 2, 2]
    layer(dp.tensor(indices), dp.tensor(offsets)).sum().backward()
    reference(torch.tensor(indices), torch.tensor(offsets)).sum().backward()
    assert layer.weight.grad.rows.tolist() == reference.weight.grad.coalesce().indices()[0].tolist() == [1, 4]
    np.testing.assert_array_equal(layer.weight.grad, reference.weight.grad.to_dense().numpy())


def test_max_mode_with_sparse_is_refused_as_pytorch_refuses_it():
    with pytest.raises(ConfigError, match="EmbeddingBag: mode='max' does not support sparse=True"):
        nn.EmbeddingBag(5, 3, mode="max", sparse=True)
    with pytest.raises(ConfigError, match="embedding_bag: mode='max' does not support sparse=True"):
        F.embedding_bag(dp.tensor(ROWS), dp.ones(8, 3), mode="max", sparse=True)
    reference = torch.nn.EmbeddingBag(5, 3, mode="max", sparse=True)  # PyTorch builds it, then refuses the call
    with pytest.raises(ValueError, match="max mode does not support sparse weights"):
        reference(torch.tensor([[0, 1]]))
    with pytest.raises(ValueError, match="max mode does not support sparse weights"):
        TF.embedding_bag(torch.tensor(ROWS), torch.ones(8, 3), mode="max", sparse=True)


# -- training --------------------------------------------------------------------------------------------

BATCHES = [np.array([[1, 1, 2], [0, 3, 3]]), np.array([[4, 1, 0], [4, 4, 5]]), np.array([[2, 6, 6], [1, 0, 7]]),
           np.array([[3, 3, 3], [5, 2, 1]])]
OPTIMIZERS = [("SGD", dict(lr=0.5)), ("SGD", dict(lr=0.3, momentum=0.9)), ("SparseAdam", dict(lr=0.2))]


def _train(name, kwargs, options, dtype):
    ours, theirs = twins(name, dict(num_embeddings=8, embedding_dim=3, **kwargs), dtype)
    optimizer, reference = (getattr(optim, options[0])(ours.parameters(), **options[1]),
                            getattr(torch.optim, options[0])(theirs.parameters(), **options[1]))
    targets = [sample(batch.shape[:1 if name == "EmbeddingBag" else 2] + (3,), seed=10 + i).astype(dtype)
               for i, batch in enumerate(BATCHES)]
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)
    for batch, target in zip(BATCHES, targets, strict=True):
        optimizer.zero_grad()
        reference.zero_grad()
        loss = ((ours(dp.tensor(batch)) - dp.tensor(target, dtype=dtype)) ** 2).sum()
        expected = ((theirs(torch.tensor(batch)) - torch.from_numpy(target)) ** 2).sum()
        np.testing.assert_allclose(loss.item(), expected.item(), **tol)
        loss.backward()
        expected.backward()
        optimizer.step()
        reference.step()
        np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), **tol)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("options", OPTIMIZERS, ids=["sgd", "sgd-momentum", "sparse-adam"])
@pytest.mark.parametrize("kwargs", [dict(max_norm=1.0), dict(max_norm=0.8, norm_type=1.0, padding_idx=4)],
                         ids=["max_norm", "norm_type-padding"])
def test_training_an_embedding_with_max_norm_follows_pytorch(kwargs, options, dtype):
    _train("Embedding", dict(kwargs, sparse=True), options, dtype)
    if options[0] == "SGD":
        _train("Embedding", kwargs, options, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("options", OPTIMIZERS, ids=["sgd", "sgd-momentum", "sparse-adam"])
@pytest.mark.parametrize("kwargs", [dict(mode="sum", max_norm=1.0), dict(mode="mean", max_norm=0.7, padding_idx=1),
                                    dict(mode="mean")], ids=["sum-max_norm", "mean-max_norm-padding", "mean"])
def test_training_a_sparse_bag_follows_pytorch(kwargs, options, dtype):
    _train("EmbeddingBag", dict(kwargs, sparse=True), options, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_training_a_max_bag_with_max_norm_follows_pytorch(dtype):
    _train("EmbeddingBag", dict(mode="max", max_norm=0.9), ("SGD", dict(lr=0.5, momentum=0.5)), dtype)


def test_sparse_adam_leaves_the_rows_no_bag_read_as_they_were():
    dp.manual_seed(0)
    layer = nn.EmbeddingBag(8, 3, mode="sum", sparse=True, max_norm=1.0)
    before = layer.weight.data.copy()
    optimizer = optim.SparseAdam(layer.parameters(), lr=0.1)
    for batch in BATCHES[:2]:
        optimizer.zero_grad()
        layer(dp.tensor(batch)).sum().backward()
        optimizer.step()
    unread = [6, 7]
    np.testing.assert_array_equal(layer.weight.data[unread], before[unread])
    assert not optimizer.state[layer.weight]["exp_avg"][unread].any()


# -- in-place changes and the graph ---------------------------------------------------------------------

def _both(build):
    """(deltaprop's error or None, PyTorch's error or None) for ``build(library, F)``'s backward."""
    results = []
    for library, functional, error in ((dp, F, GradError), (torch, TF, RuntimeError)):
        library.manual_seed(0)
        try:
            build(library, functional).backward()
            results.append(None)
        except error as caught:
            results.append(caught)
    return results


def _leaf(library, *shape):
    table = sample(shape, seed=8)
    return library.tensor(table, requires_grad=True, **({"dtype": table.dtype} if library is dp else {}))


GRAPHS = {
    # an earlier operation that keeps the table's values: refused, even when no row changes (PyTorch
    # advances the table's version counter at every rescaling call)
    "square then lookup": (True, lambda L, F: (lambda w: (w ** 2).sum() + F.embedding(L.tensor(ROWS), w, max_norm=100.0)
                                               .sum())(_leaf(L, 8, 3))),
    "product then lookup": (True, lambda L, F: (lambda w, v: (w @ v).sum() + F.embedding(
        L.tensor(ROWS), w, max_norm=1.0).sum())(_leaf(L, 8, 3), _leaf(L, 3))),
    "a table that exp made, kept as its output": (True, lambda L, F: F.embedding(L.tensor(ROWS), _leaf(L, 8, 3).exp(),
                                                                                 max_norm=1.0).sum()),
    "bag with per-sample weights then lookup": (True, lambda L, F: (
        lambda w, p: F.embedding_bag(L.tensor(ROWS), w, per_sample_weights=p, mode="sum").sum()
        + F.embedding(L.tensor(ROWS), w, max_norm=0.5).sum())(_leaf(L, 8, 3), _leaf(L, 3, 4))),
    "bag with per-sample weights on a frozen table then lookup": (True, lambda L, F: (
        lambda w, p: F.embedding_bag(L.tensor(ROWS), w, per_sample_weights=p, mode="sum").sum()
        + F.embedding(L.tensor(ROWS), w, max_norm=0.5).sum())(L.tensor(sample((8, 3), seed=8)), _leaf(L, 3, 4))),
    # earlier lookups keep the indices alone: allowed
    "lookup then lookup": (False, lambda L, F: (lambda w: (F.embedding(L.tensor(ROWS), w, max_norm=1.0) ** 2).sum()
                                                + F.embedding(L.tensor(FLAT), w, max_norm=0.5).sum())(_leaf(L, 8, 3))),
    "bags then bag": (False, lambda L, F: (lambda w: F.embedding_bag(L.tensor(ROWS), w, mode="max", max_norm=1.0).sum()
                                           + F.embedding_bag(L.tensor(ROWS), w, mode="mean", max_norm=0.5).sum())(
        _leaf(L, 8, 3))),
    "product without the table's gradient": (False, lambda L, F: (
        lambda w: (w @ L.tensor(sample(3, seed=1))).sum() + F.embedding(L.tensor(ROWS), w, max_norm=1.0).sum())(
        _leaf(L, 8, 3))),
    # the table used after the lookup (tied weights): allowed
    "lookup then tied product": (False, lambda L, F: (lambda w: (F.embedding(L.tensor(ROWS), w, max_norm=1.0) @ w.T)
                                                      .sum())(_leaf(L, 8, 3))),
}


@pytest.mark.parametrize("name", list(GRAPHS))
def test_backward_after_a_rescaling_is_refused_where_pytorchs_is(name):
    refused, build = GRAPHS[name]
    ours, theirs = _both(build)
    assert (theirs is not None) == refused, theirs
    assert (ours is not None) == refused, ours
    if refused:
        assert "changed in place" in str(ours) and "modified by an inplace operation" in str(theirs)


def test_gradients_of_two_rescaling_lookups_of_one_table_equal_pytorchs():
    grads = []
    for library, functional in ((dp, F), (torch, TF)):
        w = _leaf(library, 8, 3)
        first = functional.embedding(library.tensor(ROWS), w, max_norm=1.0)
        second = functional.embedding(library.tensor(FLAT), w, max_norm=0.5)
        ((first ** 2).sum() + (second * 3).sum()).backward()
        grads.append((np.array(w.detach().numpy() if library is torch else w.data), np.asarray(w.grad)))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-12)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-12)


# -- the other entry points -----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_embedding_renorm_is_pytorchs(dtype):
    table = sample((8, 3), seed=9).astype(dtype)
    ours, theirs = dp.tensor(table.copy(), dtype=table.dtype), torch.tensor(table.copy())
    assert dp.embedding_renorm_(ours, dp.tensor(ROWS), 1.0, 2.0) is ours
    assert torch.embedding_renorm_(theirs, torch.tensor(ROWS), 1.0, 2.0) is theirs
    np.testing.assert_allclose(ours.data, theirs.numpy(), **TOLERANCES[dtype])
    dp.embedding_renorm_(ours, dp.tensor([7], dtype=dp.int32), 0.3, 1.0)
    torch.embedding_renorm_(theirs, torch.tensor([7], dtype=torch.int32), 0.3, 1.0)
    np.testing.assert_allclose(ours.data, theirs.numpy(), **TOLERANCES[dtype])
    leaf = dp.tensor(table, dtype=table.dtype, requires_grad=True)
    with pytest.raises(GradError, match="embedding_renorm_: an in-place change"):
        dp.embedding_renorm_(leaf, dp.tensor([0]), 1.0, 2.0)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        torch.embedding_renorm_(torch.tensor(table, requires_grad=True), torch.tensor([0]), 1.0, 2.0)
    with dp.no_grad():
        dp.embedding_renorm_(leaf, dp.tensor([0]), 1.0, 2.0)
    assert abs(np.linalg.norm(leaf.data[0]) - 1.0) < 1e-5


@pytest.mark.parametrize("freeze", [True, False])
def test_from_pretrained_passes_max_norm_norm_type_and_sparse_on(freeze):
    table = sample((8, 3), seed=11)
    layer = nn.Embedding.from_pretrained(dp.tensor(table.copy(), dtype=table.dtype), freeze=freeze, max_norm=1.0,
                                         norm_type=1.0, sparse=True)
    reference = torch.nn.Embedding.from_pretrained(torch.tensor(table.copy()), freeze=freeze, max_norm=1.0,
                                                   norm_type=1.0, sparse=True)
    bag = nn.EmbeddingBag.from_pretrained(dp.tensor(table.copy(), dtype=table.dtype), freeze=freeze, max_norm=1.0,
                                          norm_type=3.0, mode="sum", sparse=True)
    bag_reference = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(table.copy()), freeze=freeze, max_norm=1.0,
                                                          norm_type=3.0, mode="sum", sparse=True)
    for ours, theirs in ((layer, reference), (bag, bag_reference)):
        assert repr(ours) == repr(theirs)
        assert (ours.max_norm, ours.norm_type, ours.sparse) == (theirs.max_norm, theirs.norm_type, theirs.sparse)
        out, expected = ours(dp.tensor(ROWS)), theirs(torch.tensor(ROWS))
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-12)
        if not freeze:
            out.sum().backward()
            expected.sum().backward()
            assert ours.weight.grad.rows.tolist() == theirs.weight.grad.coalesce().indices()[0].tolist()
            np.testing.assert_allclose(ours.weight.grad, _grad(theirs.weight), rtol=1e-12)


def test_a_model_file_keeps_max_norm_norm_type_and_sparse(tmp_path):
    dp.manual_seed(0)
    model = nn.Sequential(nn.EmbeddingBag(8, 3, max_norm=1.0, norm_type=1.5, mode="sum", sparse=True, padding_idx=0),
                          nn.Linear(3, 2))
    tied = nn.Embedding(8, 3, max_norm=0.5, norm_type=3.0, sparse=True, padding_idx=1)
    for layer in (model, nn.Sequential(tied)):
        path = tmp_path / "model.safetensors"
        dp.save(layer, path)
        loaded = dp.load(path)
        assert repr(loaded) == repr(layer)
        assert [m.config() for m in loaded] == [m.config() for m in layer]
        first = loaded[0]
        assert (first.max_norm, first.norm_type, first.sparse) == (layer[0].max_norm, layer[0].norm_type, True)
        np.testing.assert_array_equal(loaded(dp.tensor(ROWS)).data, layer(dp.tensor(ROWS)).data)
    assert tied.config()["max_norm"] == 0.5 and "max_norm" not in nn.Embedding(8, 3).config()


def test_refusals_are_pytorchs():
    table = dp.ones(8, 3)
    for bad in ["1.0", [1.0]]:
        with pytest.raises(ConfigError, match="Embedding: max_norm must be a number or None"):
            nn.Embedding(8, 3, max_norm=bad)
        with pytest.raises(ConfigError, match="embedding_bag: max_norm must be a number or None"):
            F.embedding_bag(dp.tensor(ROWS), table, max_norm=bad)
        with pytest.raises(TypeError):
            TF.embedding(torch.tensor(ROWS), torch.ones(8, 3), max_norm=bad)
    with pytest.raises(ConfigError, match="embedding: norm_type must be a number, got 'fro'"):
        F.embedding(dp.tensor(ROWS), table, max_norm=1.0, norm_type="fro")
    with pytest.raises(DataError, match="embedding: max_norm rescales rows of the table, which needs a floating"):
        F.embedding(dp.tensor(ROWS), dp.tensor(np.ones((8, 3), dtype=np.int64)), max_norm=1.0)
    with pytest.raises(RuntimeError, match="floating point"):
        TF.embedding(torch.tensor(ROWS), torch.ones(8, 3, dtype=torch.long), max_norm=1.0)
    # an index outside the table is refused before any row is rescaled (PyTorch rescales the rows below it first)
    wide = dp.tensor(np.full((8, 3), 5.0), dtype=dp.float64)
    with pytest.raises(DataError, match="index 8 is outside"):
        F.embedding(dp.tensor([0, 8]), wide, max_norm=1.0)
    np.testing.assert_array_equal(wide.data, 5.0)
    # a 0-d tensor is read as its number, as PyTorch reads it
    assert nn.Embedding(8, 3, max_norm=dp.tensor(1.5)).max_norm == 1.5
