"""EmbeddingBag and F.embedding_bag against PyTorch: the same table, bags and weights give the same
output and the same gradients (table and per-sample weights), in float64 and float32."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, TORCH_DTYPES, sample, twins  # noqa: E402

INDICES = np.array([1, 2, 4, 5, 4, 3, 2, 2, 0, 5])
ROWS = np.array([[1, 2, 2, 0], [4, 4, 4, 4], [3, 1, 5, 0]])
CASES = [
    (dict(mode="sum"), ROWS, None),
    (dict(mode="mean"), ROWS, None),
    (dict(mode="max"), ROWS, None),  # a row picked twice in a bag: its gradient once
    (dict(mode="sum"), INDICES, [0, 2, 2, 5, 9]),  # an empty bag: zeros
    (dict(mode="mean"), INDICES, [0, 3, 3, 7]),
    (dict(mode="max"), INDICES, [0, 1, 4, 4]),
    (dict(mode="sum", include_last_offset=True), INDICES, [0, 2, 5, 10]),
    (dict(mode="mean", include_last_offset=True), INDICES, [0, 4, 4, 10]),
    (dict(mode="mean", padding_idx=2), ROWS, None),
    (dict(mode="max", padding_idx=4), ROWS, None),  # a bag of padding alone: zeros
    (dict(mode="sum", padding_idx=-1), INDICES, [0, 3, 6]),
]
# scale_grad_by_freq: PyTorch 2.13's CPU kernel divides some rows by another index's count (its issue
# #190063, fixed after 2.13), so these compare with its unscaled gradient divided by each row's count, the
# documented rule (and what its nn.Embedding and its CUDA kernel compute)
SCALED = [
    (dict(mode="sum"), INDICES, [0, 3, 6]),
    (dict(mode="mean", padding_idx=0), ROWS, None),
    (dict(mode="sum"), np.array([1, 1, 3]), [0]),  # the issue's own example: rows 1 and 3 both get 1
]


def run(layer, make, indices, offsets, dtype, weights=None):
    args = [make(indices)] + ([make(np.array(offsets))] if offsets is not None else [])
    kwargs = {} if weights is None else {"per_sample_weights": weights}
    return layer(*args, **kwargs)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kwargs, indices, offsets", CASES, ids=[str(i) for i in range(len(CASES))])
def test_layer_matches_pytorch(kwargs, indices, offsets, dtype):
    ours, theirs = twins("EmbeddingBag", dict(num_embeddings=6, embedding_dim=3, **kwargs), dtype, check_repr=True,
                         check_state_dict=True)
    out = run(ours, dp.tensor, indices, offsets, dtype)
    expected = run(theirs, torch.tensor, indices, offsets, dtype)
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[dtype])
    upstream = sample(out.shape, seed=2).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), **TOLERANCES[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("indices, offsets, padding_idx", [
    (ROWS, None, None), (INDICES, [0, 2, 2, 7], None), (INDICES, [0, 4, 9], 2),
], ids=["rows", "offsets", "padding"])
def test_per_sample_weights_match_pytorch(indices, offsets, padding_idx, dtype):
    table, weights = sample((6, 3), seed=5), sample(indices.shape, seed=6)
    td, tt = dp.tensor(table, dtype=dtype, requires_grad=True), torch.tensor(table, dtype=TORCH_DTYPES[dtype],
                                                                              requires_grad=True)
    wd, wt = dp.tensor(weights, dtype=dtype, requires_grad=True), torch.tensor(weights, dtype=TORCH_DTYPES[dtype],
                                                                                requires_grad=True)
    out = F.embedding_bag(dp.tensor(indices), td, None if offsets is None else dp.tensor(offsets), mode="sum",
                          per_sample_weights=wd, padding_idx=padding_idx)
    expected = torch.nn.functional.embedding_bag(torch.tensor(indices), tt, None if offsets is None else torch.tensor(offsets),
                                                 mode="sum", per_sample_weights=wt, padding_idx=padding_idx)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[dtype])
    upstream = sample(out.shape, seed=7).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(td.grad, tt.grad.numpy(), **TOLERANCES[dtype])
    np.testing.assert_allclose(wd.grad, wt.grad.numpy(), **TOLERANCES[dtype])


def test_the_initial_table_is_normal_with_a_zero_padding_row_as_in_pytorch():
    dp.manual_seed(0)
    layer = dp.nn.EmbeddingBag(2000, 8, padding_idx=3)
    assert np.all(layer.weight.data[3] == 0)
    rest = np.delete(layer.weight.data, 3, axis=0)
    assert abs(rest.mean()) < 0.02 and abs(rest.std() - 1) < 0.02


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kwargs, indices, offsets", SCALED, ids=[str(i) for i in range(len(SCALED))])
def test_scale_grad_by_freq_divides_by_each_rows_count(kwargs, indices, offsets, dtype):
    ours, theirs = twins("EmbeddingBag", dict(num_embeddings=6, embedding_dim=3, scale_grad_by_freq=True, **kwargs),
                         dtype, check_repr=True)
    theirs.scale_grad_by_freq = False
    out = run(ours, dp.tensor, indices, offsets, dtype)
    expected = run(theirs, torch.tensor, indices, offsets, dtype)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[dtype])
    upstream = sample(out.shape, seed=2).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    counts = np.maximum(np.bincount(indices.ravel(), minlength=6), 1)[:, None]
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy() / counts, **TOLERANCES[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("freeze", [True, False])
@pytest.mark.parametrize("kwargs, indices, offsets", [
    (dict(), ROWS, None),
    (dict(mode="max", padding_idx=4), ROWS, None),
    (dict(mode="sum", include_last_offset=True), INDICES, [0, 2, 5, 10]),
    (dict(mode="mean", padding_idx=2, norm_type=1.0), INDICES, [0, 3, 3, 7]),
], ids=["mean", "max-padding", "sum-last-offset", "mean-padding"])
def test_from_pretrained_matches_pytorch(kwargs, indices, offsets, freeze, dtype):
    table = sample((6, 3), seed=8)
    ours = nn.EmbeddingBag.from_pretrained(dp.tensor(table, dtype=dtype), freeze=freeze, **kwargs)
    theirs = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(table, dtype=TORCH_DTYPES[dtype]), freeze=freeze, **kwargs)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.weight.requires_grad == theirs.weight.requires_grad and ours.weight.dtype == dtype
    assert ours.include_last_offset == theirs.include_last_offset and ours.padding_idx == theirs.padding_idx
    np.testing.assert_array_equal(ours.weight.data, theirs.weight.detach().numpy())
    out = run(ours, dp.tensor, indices, offsets, dtype)
    expected = run(theirs, torch.tensor, indices, offsets, dtype)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[dtype])
    if not freeze:
        upstream = sample(out.shape, seed=2).astype(dtype)
        out.backward(upstream)
        expected.backward(torch.from_numpy(upstream))
        np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), **TOLERANCES[dtype])
