"""EmbeddingBag and F.embedding_bag: bags by hand, finite differences in float64 for the table and
the per-sample weights, a model file and back, and errors naming the layer and the option."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, DataError, ShapeError
from deltaprop.nn import functional as F

TABLE = np.arange(12.0).reshape(4, 3)  # row i is (3i, 3i + 1, 3i + 2)


def table(requires_grad=False):
    return dp.tensor(TABLE, dtype=np.float64, requires_grad=requires_grad)


def test_bags_by_hand():
    indices, offsets = dp.tensor([0, 2, 2, 3, 1]), dp.tensor([0, 3, 3])  # bags [0, 2, 2], [], [3, 1]
    np.testing.assert_array_equal(F.embedding_bag(indices, table(), offsets, mode="sum").data,
                                  [[12, 15, 18], [0, 0, 0], [12, 14, 16]])
    np.testing.assert_array_equal(F.embedding_bag(indices, table(), offsets, mode="mean").data,
                                  [[4, 5, 6], [0, 0, 0], [6, 7, 8]])
    np.testing.assert_array_equal(F.embedding_bag(indices, table(), offsets, mode="max").data,
                                  [[6, 7, 8], [0, 0, 0], [9, 10, 11]])
    # the same bags as CSR offsets, and padding left out of the mean
    np.testing.assert_array_equal(
        F.embedding_bag(indices, table(), dp.tensor([0, 3, 3, 5]), include_last_offset=True).data,
        [[4, 5, 6], [0, 0, 0], [6, 7, 8]])
    np.testing.assert_array_equal(F.embedding_bag(dp.tensor([[0, 2, 2]]), table(), padding_idx=2).data, [[0, 1, 2]])


def test_per_sample_weights_scale_each_row():
    out = F.embedding_bag(dp.tensor([[1, 3]]), table(), mode="sum", per_sample_weights=dp.tensor([[2.0, -1.0]]))
    np.testing.assert_array_equal(out.data, [[2 * 3 - 9, 2 * 4 - 10, 2 * 5 - 11]])


INPUTS = [
    (dict(mode="sum"), np.array([[0, 2, 2], [3, 1, 0]]), None),
    (dict(mode="mean", padding_idx=1), np.array([0, 2, 2, 3, 1, 1]), [0, 3, 4]),
    (dict(mode="max"), np.array([0, 2, 3, 1, 1]), [0, 2]),
    (dict(mode="mean", include_last_offset=True), np.array([0, 2, 2, 3]), [0, 1, 4]),
]


@pytest.mark.parametrize("kwargs, indices, offsets", INPUTS, ids=[str(i) for i in range(len(INPUTS))])
def test_table_gradient_matches_finite_differences(kwargs, indices, offsets):
    weight = dp.tensor(np.random.default_rng(0).standard_normal((4, 3)), dtype=np.float64, requires_grad=True)
    assert dp.gradcheck(lambda w: F.embedding_bag(indices, w, offsets, **kwargs), [weight])


@pytest.mark.parametrize("padding_idx", [None, 2])
def test_per_sample_weight_gradients_match_finite_differences(padding_idx):
    rng = np.random.default_rng(1)
    weight = dp.tensor(rng.standard_normal((4, 3)), dtype=np.float64, requires_grad=True)
    weights = dp.tensor(rng.standard_normal(6), dtype=np.float64, requires_grad=True)
    indices, offsets = np.array([0, 2, 2, 3, 1, 2]), np.array([0, 2, 2])
    assert dp.gradcheck(lambda w, s: F.embedding_bag(indices, w, offsets, mode="sum", per_sample_weights=s,
                                                     padding_idx=padding_idx), [weight, weights])


def test_scale_grad_by_freq_divides_each_rows_gradient_by_its_count():
    # (on purpose not the derivative, so no finite differences: each row's sum is divided by its count)
    grads = []
    for scale in (False, True):
        weight = table(requires_grad=True)
        F.embedding_bag(dp.tensor([0, 2, 2, 3, 2]), weight, dp.tensor([0, 2]), scale_grad_by_freq=scale).backward(
            np.ones((2, 3)))
        grads.append(weight.grad)
    np.testing.assert_allclose(grads[1], grads[0] / np.array([1, 1, 3, 1])[:, None], rtol=1e-15)


def test_the_padding_row_starts_at_zero_and_gets_no_gradient():
    layer = nn.EmbeddingBag(5, 2, mode="sum", padding_idx=-2, dtype=np.float64)
    assert layer.padding_idx == 3 and np.all(layer.weight.data[3] == 0)
    layer(dp.tensor([[3, 1, 3]])).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad, [[0, 0], [1, 1], [0, 0], [0, 0], [0, 0]])


@pytest.mark.parametrize("layer", [
    nn.EmbeddingBag(6, 3), nn.EmbeddingBag(6, 3, mode="max", padding_idx=0, dtype=np.float64),
    nn.EmbeddingBag(6, 2, mode="sum", include_last_offset=True, scale_grad_by_freq=True, norm_type=1.0),
], ids=repr)
def test_a_model_file_round_trips(layer, tmp_path):
    layer.weight.requires_grad = layer.mode != "max"  # a frozen table comes back frozen
    dp.save(layer, tmp_path / "bag.safetensors")
    again = dp.load(tmp_path / "bag.safetensors")
    assert repr(again) == repr(layer) and again.config() == layer.config()
    assert again.weight.dtype == layer.weight.dtype and again.weight.requires_grad == layer.weight.requires_grad
    indices, offsets = dp.tensor([1, 0, 5, 5, 2]), dp.tensor([0, 2, 5] if layer.include_last_offset else [0, 2])
    np.testing.assert_array_equal(again(indices, offsets).data, layer(indices, offsets).data)


@pytest.mark.parametrize("make, message", [
    (lambda: nn.EmbeddingBag(0, 3), "EmbeddingBag: num_embeddings must be a positive integer, got 0"),
    (lambda: nn.EmbeddingBag(4, 3, mode="avg"), "EmbeddingBag: mode must be one of 'sum', 'mean' or 'max', got 'avg'"),
    (lambda: nn.EmbeddingBag(4, 3, padding_idx=4), r"EmbeddingBag: padding_idx must be an integer in \[-4, 4\)"),
    (lambda: nn.EmbeddingBag(4, 3, max_norm=[1.0]), r"EmbeddingBag: max_norm must be a number or None, got \[1.0\]"),
    (lambda: nn.EmbeddingBag(4, 3, sparse=1), "EmbeddingBag: sparse must be True or False, got 1"),
    (lambda: nn.EmbeddingBag(4, 3, mode="max", sparse=True), "EmbeddingBag: mode='max' does not support sparse=True"),
])
def test_bad_options_name_the_layer_and_option(make, message):
    with pytest.raises(ConfigError, match="^" + message):
        make()


@pytest.mark.parametrize("args, kwargs, error, message", [
    ((dp.tensor([[0, 1]]), dp.tensor([0])), {}, ShapeError, "a 2-d input holds one bag per row, so offsets must be None"),
    ((dp.tensor([0, 1]),), {}, ShapeError, "a 1-d input needs offsets"),
    ((dp.tensor([0, 1]), dp.tensor([1])), {}, DataError, r"offsets\[0\] must be 0"),
    ((dp.tensor([0, 1]), dp.tensor([0, 3])), {}, DataError, "offsets must be non-decreasing and at most the input's length 2"),
    ((dp.tensor([0, 4]), dp.tensor([0])), {}, DataError, r"index 4 is outside \[0, 4\)"),
    ((dp.tensor([[0, 1]]),), dict(per_sample_weights=dp.tensor([[1.0, 2.0]])), ConfigError,
     "per_sample_weights is only for mode='sum', got mode='mean'"),
])
def test_bad_input_names_the_layer(args, kwargs, error, message):
    with pytest.raises(error, match=r"^EmbeddingBag\(4, 3\): embedding_bag: " + message):
        nn.EmbeddingBag(4, 3)(*args, **kwargs)


def test_function_errors_name_the_function():
    with pytest.raises(DataError, match="^embedding_bag: with include_last_offset the last offset is the end of the "
                                        "input, its length 3, got 2"):
        F.embedding_bag(dp.tensor([0, 1, 2]), table(), dp.tensor([0, 2]), include_last_offset=True)
    with pytest.raises(ShapeError, match=r"^embedding_bag: per_sample_weights must have the input's shape \(1, 2\)"):
        F.embedding_bag(dp.tensor([[0, 1]]), table(), mode="sum", per_sample_weights=dp.tensor([1.0]))


# -- from_pretrained ----------------------------------------------------------------------------------------

def test_from_pretrained_keeps_the_table_and_freezes_it():
    frozen = nn.EmbeddingBag.from_pretrained(TABLE, padding_idx=1, mode="sum", include_last_offset=True)
    assert not frozen.weight.requires_grad and frozen.padding_idx == 1 and frozen.mode == "sum"
    assert frozen.include_last_offset and (frozen.num_embeddings, frozen.embedding_dim) == (4, 3)
    np.testing.assert_array_equal(frozen.weight.data, TABLE)  # the padding row as given, as in PyTorch
    assert list(frozen.parameters()) == [frozen.weight]
    assert repr(frozen) == "EmbeddingBag(4, 3, mode='sum', padding_idx=1)"
    # bags [0, 1, 3] and [2]: the padding row left out of the first
    np.testing.assert_array_equal(frozen(dp.tensor([0, 1, 3, 2]), dp.tensor([0, 3, 4])).data, [[9, 11, 13], [6, 7, 8]])
    assert nn.EmbeddingBag.from_pretrained(TABLE).mode == "mean"


def test_from_pretrained_with_freeze_false_trains_the_given_table_but_not_its_padding_row():
    given = dp.tensor(TABLE.copy(), dtype=np.float64)
    layer = nn.EmbeddingBag.from_pretrained(given, freeze=False, padding_idx=0, scale_grad_by_freq=True)
    assert layer.weight.requires_grad and layer.scale_grad_by_freq
    out = layer(dp.tensor([[0, 2, 2], [3, 0, 1]]))
    out.sum().backward()
    # mean over the bag's non-padding entries: row 2 twice in a bag of 2 (1/2 each, scaled by its count 2),
    # rows 3 and 1 once each in a bag of 2
    np.testing.assert_allclose(layer.weight.grad, [[0, 0, 0], [0.5] * 3, [0.5] * 3, [0.5] * 3], rtol=1e-12)
    dp.optim.SGD(layer.parameters(), lr=1.0).step()
    np.testing.assert_array_equal(layer.weight.data[0], TABLE[0])
    np.testing.assert_allclose(given.data[2], TABLE[2] - 0.5, rtol=1e-12)  # the given table itself, as in PyTorch


@pytest.mark.parametrize("options", [dict(mode="max"), dict(mode="mean", padding_idx=1), dict(mode="sum", padding_idx=2)])
def test_from_pretrained_gradient_matches_finite_differences(options):
    """The layer's weight is a new leaf around the given table (as in PyTorch), so finite differences
    reach it through the function it runs, with the layer's options: the layer's gradient must be that one."""
    table = np.random.default_rng(4).standard_normal((4, 3))
    indices, offsets = dp.tensor([1, 3, 0, 2, 2, 1]), dp.tensor([0, 2, 2, 5])
    upstream = np.random.default_rng(5).standard_normal((4, 3))  # four bags, the second empty
    layer = nn.EmbeddingBag.from_pretrained(table, freeze=False, **options)
    (layer(indices, offsets) * dp.tensor(upstream)).sum().backward()

    def bags(w):
        return F.embedding_bag(indices, w, offsets, **options)

    w = dp.tensor(table, dtype=np.float64, requires_grad=True)
    assert dp.gradcheck(bags, [w])
    (bags(w) * dp.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, w.grad, rtol=1e-12)
    assert np.abs(w.grad).sum() > 0


def test_a_frozen_pretrained_bag_comes_back_frozen_from_a_model_file(tmp_path):
    model = nn.Sequential(nn.EmbeddingBag.from_pretrained(TABLE.astype(np.float32), mode="max", padding_idx=3),
                          nn.Linear(3, 2))
    dp.save(model, tmp_path / "m.dp")
    loaded = dp.load(tmp_path / "m.dp")
    assert [(name, p.requires_grad) for name, p in loaded.named_parameters()] == [
        ("0.weight", False), ("1.weight", True), ("1.bias", True)]
    assert loaded[0].config() == model[0].config() and repr(loaded) == repr(model)
    x = dp.tensor([[0, 3, 2], [1, 1, 3]])
    np.testing.assert_array_equal(loaded(x).data, model(x).data)


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.EmbeddingBag.from_pretrained(np.ones(3)), ShapeError,
     "EmbeddingBag.from_pretrained: embeddings must be a 2-d table (num_embeddings, embedding_dim), got shape (3,)"),
    (lambda: nn.EmbeddingBag.from_pretrained(TABLE, mode="prod"), ConfigError,
     "EmbeddingBag: mode must be one of 'sum', 'mean' or 'max', got 'prod'"),
    (lambda: nn.EmbeddingBag.from_pretrained(TABLE, padding_idx=4), ConfigError, "EmbeddingBag: padding_idx"),
    (lambda: nn.EmbeddingBag.from_pretrained(TABLE, max_norm="1"), ConfigError, "EmbeddingBag: max_norm"),
    (lambda: nn.EmbeddingBag.from_pretrained(TABLE, mode="max", sparse=True), ConfigError, "EmbeddingBag: mode='max'"),
])
def test_from_pretrained_errors_name_the_layer_and_the_option(call, error, message):
    with pytest.raises(error) as caught:
        call()
    assert str(caught.value).startswith(message)
