"""Attention and the Transformer (encoder, decoder, the whole model): finite differences in float64, a hand-worked example, model
files (round trips, hostile architectures), training with fit, configs, reprs and the errors.
(The comparison with PyTorch is in tests/reference/test_torch_attention.py.)"""

import json

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, ops
from deltaprop.errors import ConfigError, DataError, ModelFileError, ShapeError
from deltaprop.nn import functional as F


def tensor(array, requires_grad=True):
    return dp.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad, dtype=np.float64)


def rng(seed=0):
    return np.random.default_rng(seed)


def check_tree(layer, inputs, call):
    """gradcheck of ``call(layer, *inputs)`` with respect to the inputs and every parameter of the
    layer's tree (gradcheck's float64 copies are put where forward reads each weight, then restored)."""
    entries = [(module, name) for module in layer.modules() for name, p in module._parameters.items() if p is not None]
    originals = [getattr(module, name) for module, name in entries]

    def run(*args):
        for (module, name), value in zip(entries, args[len(inputs):]):
            object.__setattr__(module, name, value)
        try:
            return call(layer, *args[:len(inputs)])
        finally:
            for (module, name), value in zip(entries, originals):
                object.__setattr__(module, name, value)

    assert dp.gradcheck(run, [*inputs, *[tensor(p.data) for p in originals]])


# -- finite differences ----------------------------------------------------------------------------------


def test_safe_softmax_gradients_and_its_all_masked_row():
    x = rng().standard_normal((3, 5))
    x[1, 2] = -np.inf
    assert dp.gradcheck(lambda a: ops.safe_softmax(a, -1), [tensor(np.where(np.isinf(x), 0.0, x))])
    out = ops.safe_softmax(tensor(np.array([[-np.inf, -np.inf], [0.0, -np.inf]])), -1)
    np.testing.assert_array_equal(out.data, [[0.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(ops.safe_softmax(tensor(x), -1).data, ops.softmax(tensor(x), -1).data, rtol=1e-15)


BOOL_MASK = np.array([[True, False, True], [True, True, False], [False, True, True]])


@pytest.mark.parametrize("kwargs, float_mask", [
    (dict(), False),
    (dict(is_causal=True), False),
    (dict(scale=0.7, attn_mask=BOOL_MASK), False),
    (dict(), True),
], ids=["plain", "causal", "scale-bool-mask", "float-mask"])
def test_scaled_dot_product_attention_gradients(kwargs, float_mask):
    r = rng(1)
    inputs = [tensor(r.standard_normal(shape)) for shape in ((2, 3, 4), (2, 3, 4), (2, 3, 2))]
    if float_mask:  # the mask's gradient is checked too
        inputs.append(tensor(r.standard_normal((3, 3))))
        assert dp.gradcheck(lambda q, k, v, mask: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), inputs)
    else:
        assert dp.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kwargs), inputs)


@pytest.mark.parametrize("kwargs, same, masks", [
    (dict(), True, {}),
    (dict(batch_first=True, kdim=3, vdim=2), False, {"key_padding_mask": np.array([[0, 0, 1], [0, 0, 0]], bool)}),
    (dict(bias=False), False, {"attn_mask": np.array([[0.5, -1.0, 0.0]] * 3)}),
    (dict(add_bias_kv=True), True, {"attn_mask": np.array([[0.5, -1.0, 0.0]] * 3)}),
    (dict(add_zero_attn=True, batch_first=True), False, {"key_padding_mask": np.array([[0, 0, 1], [0, 1, 0]], bool)}),
    (dict(add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=2), False, {}),
], ids=["self", "kdim-vdim-padding", "no-bias-float-mask", "bias-kv-self", "zero-attn-padding", "bias-kv-zero-attn"])
def test_multihead_attention_gradients(kwargs, same, masks):
    dp.manual_seed(0)
    layer = nn.MultiheadAttention(4, 2, **kwargs).double()
    r = rng(2)

    def sample(features):  # (N, L, E) = (2, 3, E) with batch_first, else (L, N, E) = (3, 2, E)
        return tensor(r.standard_normal((2, 3, features) if kwargs.get("batch_first") else (3, 2, features)))

    if same:
        def call(layer, x):
            out, weights = layer(x, x, x, **masks)
            return out + ops.sum(weights)  # the weights' gradient is checked too
        check_tree(layer, [sample(4)], call)
    else:
        def call(layer, q, k, v):
            out, weights = layer(q, k, v, average_attn_weights=False, **masks)
            return ops.concatenate([ops.reshape(out, (-1,)), ops.reshape(weights, (-1,))])
        check_tree(layer, [sample(4), sample(kwargs.get("kdim", 4)), sample(kwargs.get("vdim", 4))], call)


@pytest.mark.parametrize("kwargs", [dict(), dict(norm_first=True, activation="gelu", batch_first=True)],
                         ids=["post-norm-relu", "pre-norm-gelu"])
def test_transformer_encoder_layer_gradients(kwargs):
    dp.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, **kwargs).double().eval()
    x = tensor(rng(3).standard_normal((3, 2, 4)))  # (L, N, E), or (N, L, E) = (3, 2, 4) with batch_first
    padding = np.array([[False, True], [False] * 2, [False, False]] if kwargs else [[False, False, True], [False] * 3])
    check_tree(layer, [x], lambda layer, x: layer(x, src_key_padding_mask=padding))


def test_transformer_encoder_gradients():
    dp.manual_seed(0)
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, dim_feedforward=5), 2, norm=nn.LayerNorm(4))
    encoder.double().eval()
    check_tree(encoder, [tensor(rng(4).standard_normal((3, 2, 4)))],
               lambda layer, x: layer(x, mask=np.triu(np.full((3, 3), -np.inf), 1)))


@pytest.mark.parametrize("kwargs", [dict(), dict(norm_first=True, activation="gelu", batch_first=True)],
                         ids=["post-norm-relu", "pre-norm-gelu"])
def test_transformer_decoder_layer_gradients(kwargs):
    dp.manual_seed(0)
    layer = nn.TransformerDecoderLayer(4, 2, dim_feedforward=6, **kwargs).double().eval()
    tgt = tensor(rng(3).standard_normal((2, 3, 4) if kwargs else (3, 2, 4)))  # (N, T, E) or (T, N, E)
    memory = tensor(rng(4).standard_normal((2, 5, 4) if kwargs else (5, 2, 4)))
    causal = np.triu(np.full((3, 3), -np.inf), 1)
    padding = np.array([[False] * 4 + [True], [False] * 5])

    def call(layer, tgt, memory):
        return layer(tgt, memory, tgt_mask=causal, tgt_is_causal=True, memory_key_padding_mask=padding,
                     memory_mask=rng(5).standard_normal((3, 5)))

    check_tree(layer, [tgt, memory], call)


def test_transformer_gradients():
    dp.manual_seed(0)
    model = nn.Transformer(4, 2, 1, 2, dim_feedforward=5).double().eval()
    src, tgt = tensor(rng(6).standard_normal((4, 2, 4))), tensor(rng(7).standard_normal((3, 2, 4)))
    check_tree(model, [src, tgt],
               lambda model, src, tgt: model(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(3)))


# -- a hand-worked example -------------------------------------------------------------------------------


def test_attention_by_hand():
    """One query, two keys: scores q·k/√2 = (1, 0), weights (e/(e+1), 1/(e+1)), output their mix of v."""
    q = np.array([[np.sqrt(2), 0.0]])
    k = np.array([[1.0, 0.0], [0.0, 1.0]])
    v = np.array([[10.0], [20.0]])
    out = F.scaled_dot_product_attention(tensor(q), tensor(k), tensor(v))
    w = np.e / (np.e + 1)
    np.testing.assert_allclose(out.data, [[10 * w + 20 * (1 - w)]], rtol=1e-14)
    only_second = F.scaled_dot_product_attention(tensor(q), tensor(k), tensor(v), attn_mask=np.array([[False, True]]))
    np.testing.assert_allclose(only_second.data, [[20.0]], rtol=1e-14)


def test_a_query_that_may_attend_to_nothing_gets_zeros():
    layer = nn.MultiheadAttention(4, 2)
    x = dp.randn(3, 1, 4, requires_grad=True)
    out, weights = layer(x, x, x, attn_mask=np.array([[True] * 3, [False] * 3, [False] * 3]))
    assert np.all(np.isfinite(out.data)) and np.all(weights.data[0, 0] == 0)
    np.testing.assert_allclose(out.data[0], np.broadcast_to(layer.out_proj.bias.data, (1, 4)))
    out.sum().backward()
    assert np.all(np.isfinite(x.grad))


def test_dropout_acts_on_the_attention_weights_in_training_only():
    dp.manual_seed(0)
    layer = nn.MultiheadAttention(4, 2, dropout=0.5)
    x = dp.randn(6, 2, 4)
    _, weights = layer(x, x, x, average_attn_weights=False)
    assert np.mean(weights.data == 0) > 0.2  # dropped weights, the rest scaled by 2
    layer.eval()
    _, weights = layer(x, x, x)
    np.testing.assert_allclose(weights.data.sum(-1), 1.0, rtol=1e-6)


def test_an_encoder_holds_independent_deep_copies():
    layer = nn.TransformerEncoderLayer(4, 2, 8)
    encoder = nn.TransformerEncoder(layer, 3)
    assert len(encoder.layers) == 3 and all(copy is not layer for copy in encoder.layers)
    first, second = encoder.layers[0].linear1.weight, encoder.layers[1].linear1.weight
    assert first is not second
    np.testing.assert_array_equal(first.data, second.data)
    first.data[...] = 0
    assert np.any(second.data != 0)


def test_a_decoder_holds_independent_deep_copies_and_the_transformer_reinitialises_them():
    layer = nn.TransformerDecoderLayer(4, 2, 8)
    decoder = nn.TransformerDecoder(layer, 2)
    assert all(copy is not layer for copy in decoder.layers)
    np.testing.assert_array_equal(decoder.layers[0].linear1.weight.data, decoder.layers[1].linear1.weight.data)
    model = nn.Transformer(4, 2, 2, 2, 8)  # xavier_uniform_ on every matrix after the copies: all differ
    first, second = model.decoder.layers[0].linear1.weight, model.decoder.layers[1].linear1.weight
    assert first is not second and np.any(first.data != second.data)


def test_generate_square_subsequent_mask_by_hand():
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(mask.data, [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])


# -- model files -----------------------------------------------------------------------------------------


def sequence_model(**layer_kwargs):
    dp.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, **layer_kwargs)
    return nn.Sequential(nn.Linear(3, 8), nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8)), nn.Flatten(),
                         nn.Linear(8 * 5, 2))


@pytest.mark.parametrize("layer_kwargs", [dict(), dict(norm_first=True, activation="gelu", bias=False, dropout=0.2)],
                         ids=["defaults", "options"])
def test_a_sequential_with_an_encoder_saves_and_loads(tmp_path, layer_kwargs):
    model = sequence_model(**layer_kwargs).eval()
    model[1].layers[1].train()  # a layer in its own mode comes back in it
    dp.save(model, tmp_path / "model.safetensors")
    loaded = dp.load(tmp_path / "model.safetensors")
    assert repr(loaded) == repr(model)
    assert [m.training for m in loaded.modules()] == [m.training for m in model.modules()]
    model[1].layers[1].eval(), loaded[1].layers[1].eval()
    x = dp.randn(4, 5, 3)
    np.testing.assert_array_equal(loaded(x).data, model(x).data)
    assert list(loaded.state_dict()) == list(model.state_dict())


def test_multihead_attention_saves_and_loads(tmp_path):
    dp.manual_seed(0)
    layers = nn.ModuleList([nn.MultiheadAttention(6, 3, kdim=4, vdim=5, batch_first=True).double(),
                            nn.MultiheadAttention(4, 1, bias=False, dropout=0.1)])
    dp.save(layers, tmp_path / "mha.safetensors")
    loaded = dp.load(tmp_path / "mha.safetensors")
    assert repr(loaded) == repr(layers) and loaded[0].in_proj_weight is None
    q, k, v = dp.randn(2, 3, 6).double(), dp.randn(2, 4, 4).double(), dp.randn(2, 4, 5).double()
    for ours, theirs in zip(layers[0](q, k, v), loaded[0](q, k, v)):
        np.testing.assert_array_equal(ours.data, theirs.data)


def test_multihead_attention_with_bias_kv_and_zero_attention_saves_and_loads(tmp_path):
    dp.manual_seed(0)
    layers = nn.ModuleList([nn.MultiheadAttention(6, 3, add_bias_kv=True, add_zero_attn=True).double(),
                            nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True, batch_first=True),
                            nn.MultiheadAttention(4, 1, add_zero_attn=True)])
    dp.save(layers, tmp_path / "mha.safetensors")
    loaded = dp.load(tmp_path / "mha.safetensors")
    assert repr(loaded) == repr(layers) and list(loaded.state_dict()) == list(layers.state_dict())
    assert "0.bias_k" in loaded.state_dict() and loaded[2].bias_k is None and loaded[2].add_zero_attn
    np.testing.assert_array_equal(loaded[1].bias_v.data, layers[1].bias_v.data)
    x = dp.randn(3, 2, 6).double()
    for ours, theirs in zip(layers[0](x, x, x), loaded[0](x, x, x)):
        np.testing.assert_array_equal(ours.data, theirs.data)


def test_a_multihead_attention_file_from_before_bias_kv_loads(tmp_path):
    """Files written before add_bias_kv and add_zero_attn existed have neither in the config."""
    path = saved_architecture(tmp_path, nn.Sequential(nn.MultiheadAttention(4, 2)))
    rewrite_architecture(path, lambda a: [a["children"][0]["config"].pop(key) for key in ("add_bias_kv", "add_zero_attn")])
    loaded = dp.load(path)
    assert loaded[0].bias_k is None and not loaded[0].add_zero_attn


@pytest.mark.parametrize("edit, message", [
    (lambda a: a["children"][0]["config"].update(add_bias_kv="yes"), "add_bias_kv must be True or False"),
    (lambda a: a["children"][0]["config"].update(add_zero_attn=1), "add_zero_attn must be True or False"),
    (lambda a: a["children"][0]["config"].update(add_bias_kv=True), "bias_k"),  # the file holds no bias_k
    (lambda a: a["children"][1]["config"].update(add_bias_kv=False), "bias_k"),  # it holds one no layer takes
], ids=["bias-kv-text", "zero-attn-number", "bias-kv-without-weights", "weights-without-bias-kv"])
def test_hostile_multihead_attention_files_are_refused(tmp_path, edit, message):
    dp.manual_seed(0)
    path = saved_architecture(tmp_path, nn.Sequential(nn.MultiheadAttention(4, 2),
                                                      nn.MultiheadAttention(4, 2, add_bias_kv=True)))
    rewrite_architecture(path, edit)
    with pytest.raises(ModelFileError, match=message) as caught:
        dp.load(path)
    assert str(caught.value).count(". ") == 0  # one sentence


@pytest.mark.parametrize("kwargs", [dict(), dict(norm_first=True, activation="gelu", bias=False, batch_first=True,
                                                 dtype=np.float64, layer_norm_eps=1e-6)], ids=["defaults", "options"])
def test_a_transformer_saves_and_loads(tmp_path, kwargs):
    dp.manual_seed(0)
    model = nn.Transformer(8, 2, 2, 1, 16, **kwargs).eval()
    model.decoder.layers[0].train()  # a layer in its own mode comes back in it
    dp.save(model, tmp_path / "transformer.safetensors")
    loaded = dp.load(tmp_path / "transformer.safetensors")
    assert type(loaded) is nn.Transformer and loaded.config() == model.config() and repr(loaded) == repr(model)
    assert [m.training for m in loaded.modules()] == [m.training for m in model.modules()]
    assert list(loaded.state_dict()) == list(model.state_dict())
    model.decoder.layers[0].eval(), loaded.decoder.layers[0].eval()
    batch_first = kwargs.get("batch_first", False)
    src, tgt = (dp.randn(3, 5, 8), dp.randn(3, 4, 8)) if batch_first else (dp.randn(5, 3, 8), dp.randn(4, 3, 8))
    np.testing.assert_array_equal(loaded(src, tgt).data, model(src, tgt).data)


def test_a_transformer_converted_to_float64_after_construction_saves_and_loads_whole(tmp_path):
    dp.manual_seed(0)
    model = nn.Transformer(8, 2, 1, 1, 16).double().eval()
    assert model.config()["dtype"] == "float64"
    dp.save(model, tmp_path / "transformer.safetensors")
    loaded = dp.load(tmp_path / "transformer.safetensors").eval()  # the architecture, not the weights alone
    assert all(p.dtype == np.float64 for p in loaded.parameters())
    src, tgt = dp.randn(5, 3, 8, dtype=np.float64), dp.randn(4, 3, 8, dtype=np.float64)
    np.testing.assert_array_equal(loaded(src, tgt).data, model(src, tgt).data)


class Translator(nn.Module):
    """A model of one's own around a Transformer: saved by its state dict (its class is no layer of the library)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 8)
        self.transformer = nn.Transformer(8, 2, 1, 2, 16, dropout=0.0, batch_first=True)
        self.head = nn.Linear(8, 10)

    def forward(self, src, tgt):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1])
        return self.head(self.transformer(self.embed(src), self.embed(tgt), tgt_mask=mask, tgt_is_causal=True))


def test_a_model_of_ones_own_saves_and_loads_its_state_dict(tmp_path):
    dp.manual_seed(0)
    model = Translator()
    dp.save(model.state_dict(), tmp_path / "translator.safetensors")
    dp.manual_seed(1)
    other = Translator()
    other.load_state_dict(dp.load(tmp_path / "translator.safetensors"))
    src, tgt = rng(0).integers(0, 10, (2, 5)), rng(1).integers(0, 10, (2, 4))
    np.testing.assert_array_equal(other(src, tgt).data, model(src, tgt).data)


def test_a_layer_with_an_activation_of_its_own_saves_its_weights_only(tmp_path):
    dp.manual_seed(0)
    model = nn.Sequential(nn.TransformerEncoderLayer(4, 2, 8, activation=F.silu))
    dp.save(model, tmp_path / "custom.safetensors")
    with pytest.raises(ModelFileError, match="custom class"):
        dp.load(tmp_path / "custom.safetensors")
    other = nn.Sequential(nn.TransformerEncoderLayer(4, 2, 8, activation=F.silu))
    dp.load(tmp_path / "custom.safetensors", model=other)
    np.testing.assert_array_equal(other[0].linear1.weight.data, model[0].linear1.weight.data)


def test_a_replaced_child_makes_the_layer_a_custom_one(tmp_path):
    layer = nn.MultiheadAttention(4, 2)
    layer.out_proj = nn.Linear(4, 4, bias=False)  # no longer what MultiheadAttention(4, 2) builds
    from deltaprop.serialization import architecture_of

    assert architecture_of(layer) is None and architecture_of(nn.MultiheadAttention(4, 2)) is not None


def saved_architecture(tmp_path, model):
    path = tmp_path / "model.safetensors"
    dp.save(model, path)
    return path


def rewrite_architecture(path, change):
    """The file at ``path`` with its architecture passed through ``change`` (a hostile edit)."""
    from deltaprop.serialization import _read, _write

    tensors, info = _read(path)
    change(info["architecture"])
    _write(path, tensors, info)


@pytest.mark.parametrize("edit, message", [
    (lambda a: a["children"][0]["config"].update(d_model=2**15), "larger than|far more weights"),
    (lambda a: a["children"][0]["config"].update(d_model=64, dim_feedforward=60_000), "far more weights"),
    (lambda a: a["children"][0]["children"][0]["config"].update(embed_dim=8),
     r"layer '0\.self_attn\.out_proj' \(Linear\) argument in_features does not fit layer '0\.self_attn' "
     r"\(MultiheadAttention\): .*holds in_features=4 where its arguments build in_features=8"),
    (lambda a: a["children"][0]["children"][0].pop("names"), "do not match"),
    (lambda a: a["children"][0]["config"].update(nhead=3), "divisible"),
], ids=["huge-d-model", "huge-feed-forward", "child-mismatch", "no-names", "bad-heads"])
def test_hostile_layer_files_are_refused(tmp_path, edit, message):
    path = saved_architecture(tmp_path, nn.Sequential(nn.TransformerEncoderLayer(4, 2, 8)))
    rewrite_architecture(path, edit)
    with pytest.raises(ModelFileError, match=message):
        dp.load(path)


def small_transformer():
    dp.manual_seed(0)
    return nn.Transformer(4, 2, 1, 1, 8)


def decoder_layer_entry(architecture):
    return architecture["children"][1]["children"][0]["children"][0]  # decoder.layers.0


@pytest.mark.parametrize("edit, message", [
    (lambda a: a["config"].update(num_encoder_layers=10**5), "larger than|far more weights"),
    (lambda a: a["config"].update(num_encoder_layers=20_000, num_decoder_layers=20_000), "far more weights"),
    (lambda a: a["config"].update(d_model=2**15), "larger than|far more weights"),
    (lambda a: a["config"].update(d_model=64, dim_feedforward=60_000), "far more weights"),
    (lambda a: a["config"].update(num_decoder_layers=2), "do not match"),
    (lambda a: a["config"].update(custom_encoder="nn.Linear"),
     r"custom_encoder in a model file says whether the stored encoder is one of the model's own, true or false, "
     r"got 'nn\.Linear'"),
    (lambda a: a["children"].reverse(), "do not match"),
    (lambda a: decoder_layer_entry(a)["config"].update(dim_feedforward=4),
     r"layer 'decoder\.layers\.0\.linear1' \(Linear\) argument out_features does not fit layer 'decoder\.layers\.0'"),
    (lambda a: decoder_layer_entry(a).update({"class": "TransformerEncoderLayer"}), "do not match"),
    (lambda a: decoder_layer_entry(a)["children"][1]["config"].update(embed_dim=8),
     r"argument in_features does not fit layer 'decoder\.layers\.0\.multihead_attn' \(MultiheadAttention\)"),
    (lambda a: decoder_layer_entry(a)["config"].update(d_model=2**15), "larger than|far more weights"),
], ids=["many-layers", "many-layers-each", "huge-d-model", "huge-feed-forward", "layer-count-mismatch", "custom-encoder", "swapped",
        "layer-mismatch", "encoder-layer-in-decoder", "attention-mismatch", "huge-decoder-layer"])
def test_hostile_transformer_files_are_refused(tmp_path, edit, message):
    path = saved_architecture(tmp_path, small_transformer())
    rewrite_architecture(path, edit)
    with pytest.raises(ModelFileError, match=message) as caught:
        dp.load(path)
    assert str(caught.value).count(". ") == 0  # one sentence


def test_a_transformer_file_claiming_many_layers_is_refused_before_building_them(tmp_path, monkeypatch):
    """Within the size bound a big file allows tens of thousands of tiny layers: the stored stacks are
    counted before the Transformer its arguments describe is built, not after (seconds, and more)."""
    built, original = [], nn.TransformerEncoder.__init__

    def counting(self, encoder_layer, num_layers, *args, **kwargs):
        built.append(num_layers)
        original(self, encoder_layer, num_layers, *args, **kwargs)

    monkeypatch.setattr(nn.TransformerEncoder, "__init__", counting)
    dp.manual_seed(0)
    path = saved_architecture(tmp_path, nn.Sequential(nn.Linear(300, 300), nn.Transformer(4, 2, 1, 1, 8)))
    rewrite_architecture(path, lambda a: a["children"][1]["config"].update(num_encoder_layers=20_000, d_model=2,
                                                                          nhead=1, dim_feedforward=1))
    built.clear()
    with pytest.raises(ModelFileError, match="do not match"):
        dp.load(path)
    assert max(built, default=0) < 20_000


def test_an_encoder_file_claiming_more_layers_than_it_holds_is_refused(tmp_path):
    path = saved_architecture(tmp_path, nn.Sequential(nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), 2)))
    rewrite_architecture(path, lambda a: a["children"][0]["config"].update(num_layers=10**4))
    with pytest.raises(ModelFileError, match="TransformerEncoder"):
        dp.load(path)


def test_the_size_bound_counts_the_real_weights():
    from deltaprop.serialization import _size_bound

    for layer in (nn.MultiheadAttention(8, 2), nn.MultiheadAttention(8, 4, kdim=3, vdim=50),
                  nn.MultiheadAttention(1, 1, add_bias_kv=True), nn.MultiheadAttention(4, 2, kdim=1, vdim=1, add_bias_kv=True),
                  nn.TransformerEncoderLayer(8, 2, 32), nn.TransformerEncoderLayer(16, 4, 8, bias=False),
                  nn.TransformerDecoderLayer(8, 2, 32), nn.Transformer(8, 2, 2, 3, 16),
                  nn.Transformer(16, 4, 1, 1, 8, bias=False)):
        assert _size_bound(type(layer).__name__, layer.config()) >= layer.num_parameters()
    # a file may leave arguments to their defaults: Transformer() is 512 wide with 6 + 6 layers
    assert _size_bound("Transformer", {}) >= nn.Transformer().num_parameters()


# -- training ----------------------------------------------------------------------------------------------


def test_fit_trains_a_tiny_transformer():
    """Which of two marked positions holds the larger number: a question about pairs of positions."""
    r = rng(5)
    X = r.standard_normal((256, 5, 3)).astype(np.float32)
    y = (X[:, 1, 0] > X[:, 3, 0]).astype(np.int64)
    model = sequence_model(dropout=0.0)
    history = dp.fit(model, X, y, loss="cross_entropy", optimizer=dp.optim.Adam(model.parameters(), lr=3e-3),
                     epochs=8, batch_size=32, verbose=0, seed=0, metrics=["accuracy"])
    losses = history.history["loss"]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:])) and losses[-1] < 0.5 * losses[0]
    assert history.history["accuracy"][-1] > 0.85


# -- configs, reprs and errors -------------------------------------------------------------------------------

CONFIG_LAYERS = [
    nn.MultiheadAttention(6, 2),
    nn.MultiheadAttention(6, 3, dropout=0.1, bias=False, kdim=2, vdim=4, batch_first=True, dtype=np.float64),
    nn.MultiheadAttention(6, 2, add_bias_kv=True, add_zero_attn=True),
    nn.TransformerEncoderLayer(8, 2),
    nn.TransformerEncoderLayer(8, 4, 16, 0.0, "gelu", 1e-6, True, True, False),
    nn.TransformerDecoderLayer(8, 2),
    nn.TransformerDecoderLayer(8, 4, 16, 0.0, "gelu", 1e-6, True, True, False, dtype=np.float64),
    nn.Transformer(8, 2, 1, 2, 16),
    nn.Transformer(8, 4, 2, 1, 16, 0.2, "gelu", layer_norm_eps=1e-6, batch_first=True, norm_first=True, bias=False),
]


@pytest.mark.parametrize("layer", CONFIG_LAYERS, ids=repr)
def test_config_rebuilds_an_equal_layer(layer):
    config = json.loads(json.dumps(layer.config()))
    rebuilt = type(layer)(**config)
    assert rebuilt.config() == layer.config() and repr(rebuilt) == repr(layer)
    ours, theirs = layer.state_dict(), rebuilt.state_dict()
    assert list(ours) == list(theirs) and all(ours[k].shape == theirs[k].shape for k in ours)


def test_every_attention_layer_is_covered():
    classes = {getattr(nn, name) for name in nn.__all__}
    mine = {c for c in classes if isinstance(c, type) and c.__module__ in ("deltaprop.nn.attention",
                                                                           "deltaprop.nn.transformer")}
    assert mine == {nn.MultiheadAttention, nn.TransformerEncoderLayer, nn.TransformerEncoder,
                    nn.TransformerDecoderLayer, nn.TransformerDecoder, nn.Transformer}


def test_reprs():
    assert repr(nn.MultiheadAttention(4, 2, kdim=3, vdim=3, batch_first=True)) == (
        "MultiheadAttention(\n  embed_dim=4, num_heads=2, kdim=3, vdim=3, batch_first=True\n"
        "  (out_proj): Linear(in_features=4, out_features=4, bias=True)\n)")
    text = repr(nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, norm_first=True), 2))
    # the layers print alike, so the ModuleList prints them once, as PyTorch's does
    assert text.startswith("TransformerEncoder(\n  (layers): ModuleList(\n    (0-1): 2 x TransformerEncoderLayer(\n"
                           "      activation=relu, norm_first=True\n")


@pytest.mark.parametrize("build, error, message", [
    (lambda: nn.MultiheadAttention(6, 4), ConfigError, r"MultiheadAttention: embed_dim \(6\) must be divisible by"),
    (lambda: nn.MultiheadAttention(6, 0), ConfigError, "num_heads must be a positive integer"),
    (lambda: nn.MultiheadAttention(4, 2, add_bias_kv="yes"), ConfigError,
     "MultiheadAttention: add_bias_kv must be True or False, got 'yes'"),
    (lambda: nn.MultiheadAttention(4, 2, add_zero_attn=None), ConfigError,
     "MultiheadAttention: add_zero_attn must be True or False, got None"),
    (lambda: nn.MultiheadAttention(4, 2, dropout=1.5), ConfigError, "dropout must be a probability"),
    (lambda: nn.TransformerEncoderLayer(6, 4), ConfigError, r"TransformerEncoderLayer: d_model \(6\) must be divis"),
    (lambda: nn.TransformerEncoderLayer(4, 2, activation="tanh"), ConfigError, "activation must be 'relu', 'gelu'"),
    (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2), 0), ConfigError, "num_layers must be a positive"),
    (lambda: nn.TransformerEncoder("layer", 2), ConfigError, "encoder_layer must be a layer"),
    (lambda: nn.TransformerDecoderLayer(6, 4), ConfigError, r"TransformerDecoderLayer: d_model \(6\) must be divis"),
    (lambda: nn.TransformerDecoderLayer(4, 2, activation="tanh"), ConfigError, "TransformerDecoderLayer: activation"),
    (lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2), 0), ConfigError, "TransformerDecoder: num_layers"),
    (lambda: nn.TransformerDecoder(None, 2), ConfigError, "TransformerDecoder: decoder_layer must be a layer"),
    (lambda: nn.Transformer(4, 2, custom_encoder="encoder"), ConfigError,
     r"^Transformer: custom_encoder must be a layer \(a Module\) or a function to call in its place, got str$"),
    (lambda: nn.Transformer(4, 2, custom_decoder=3), ConfigError,
     r"^Transformer: custom_decoder must be a layer \(a Module\) or a function to call in its place, got int$"),
    (lambda: nn.Transformer(4, 2, num_decoder_layers=0), ConfigError, "num_decoder_layers must be a positive"),
    (lambda: nn.Transformer(6, 4), ConfigError, r"^Transformer: d_model \(6\) must be divisible"),
    (lambda: nn.Transformer.generate_square_subsequent_mask(-1), ConfigError, "sz must be a positive integer"),
], ids=["heads", "zero-heads", "bias-kv", "zero-attn", "dropout", "layer-heads", "activation", "layers", "not-a-layer",
        "decoder-heads", "decoder-activation", "decoder-layers", "decoder-not-a-layer", "custom-encoder",
        "custom-decoder", "transformer-layers", "transformer-heads", "mask-size"])
def test_configuration_errors(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize("options, message", [
    ({"d_model": 8, "nhead": 3}, r"^Transformer: d_model \(8\) must be divisible by nhead \(3\)"),
    ({"d_model": 8, "nhead": 2, "activation": "tanh"}, "^Transformer: activation must be 'relu', 'gelu' or a function"),
    ({"d_model": 8, "nhead": 2, "dropout": 2}, r"^Transformer: dropout must be a probability in \[0, 1\]"),
])
def test_a_transformers_argument_errors_name_the_transformer(options, message):
    # (they named the TransformerEncoderLayer it builds, a layer the user never wrote)
    with pytest.raises(ConfigError, match=message):
        nn.Transformer(**options)


def test_the_square_subsequent_mask_takes_pytorchs_arguments():
    # PyTorch's signature is (sz, device=None, dtype=None), and sz=0 gives an empty mask there.
    torch = pytest.importorskip("torch")
    ours = nn.Transformer.generate_square_subsequent_mask(4, "cpu", dtype=np.float64)
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(4, "cpu", dtype=torch.float64)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert nn.Transformer.generate_square_subsequent_mask(0).shape == tuple(torch.nn.Transformer.generate_square_subsequent_mask(0).shape)
    with pytest.raises(ConfigError, match="is not a device"):  # a dtype where the device goes is not taken for one
        nn.Transformer.generate_square_subsequent_mask(4, np.float64)
    with pytest.raises(ConfigError, match="no 'cuda' device"):
        nn.Transformer.generate_square_subsequent_mask(4, device="cuda")


def decoder_call(tgt=(3, 2, 4), memory=(5, 2, 4), **kwargs):
    layer = nn.TransformerDecoderLayer(4, 2, 8)
    return lambda: layer(dp.randn(*tgt), dp.randn(*memory), **kwargs)


def transformer_call(src=(5, 2, 4), tgt=(3, 2, 4), **kwargs):
    model = nn.Transformer(4, 2, 1, 1, 8, batch_first=kwargs.pop("batch_first", False))
    return lambda: model(dp.randn(*src), dp.randn(*tgt), **kwargs)


@pytest.mark.parametrize("call, message", [
    (decoder_call(tgt=(3, 2, 5)), r"TransformerDecoderLayer\(d_model=4, nhead=2\) expected tgt and memory of shapes "
                                  r"\(length, N, E\) .* got tgt \(3, 2, 5\), memory \(5, 2, 4\)"),
    (decoder_call(memory=(5, 3, 4)), r"TransformerDecoderLayer\(d_model=4, nhead=2\) .*one batch size N"),
    (decoder_call(memory=(5, 4)), r"TransformerDecoderLayer\(d_model=4, nhead=2\) .*all unbatched"),
    (decoder_call(tgt_mask=np.zeros((3, 5), dtype=bool)), r"attn_mask must have shape \(L, S\) = \(3, 3\)"),
    (decoder_call(memory_mask=np.zeros((3, 3), dtype=bool)), r"attn_mask must have shape \(L, S\) = \(3, 5\)"),
    (lambda: nn.TransformerEncoderLayer(4, 2, 8)(dp.randn(3, 2, 6)),
     r"TransformerEncoderLayer\(d_model=4, nhead=2\) expected src of shapes"),
    (transformer_call(src=(5, 3, 4)), r"Transformer\(d_model=4, nhead=2\) expected src and tgt .*one batch size N"),
    (transformer_call(src=(2, 5, 4), batch_first=True), r"Transformer\(d_model=4, nhead=2\) expected src and tgt of "
                                                        r"shapes \(N, length, E\)"),
    (transformer_call(tgt=(3, 2, 8)), r"Transformer\(d_model=4, nhead=2\) .*E = d_model = 4"),
], ids=["decoder-features", "decoder-batch", "decoder-ranks", "decoder-tgt-mask", "decoder-memory-mask",
        "encoder-features", "transformer-batch", "transformer-batch-first", "transformer-features"])
def test_decoder_and_transformer_shape_errors(call, message):
    with pytest.raises(ShapeError, match=message):
        call()


sdpa = F.scaled_dot_product_attention


def mha_call(query=(3, 2, 4), key=(3, 2, 4), value=(3, 2, 4), **kwargs):
    layer = nn.MultiheadAttention(4, 2)
    return lambda: layer(dp.randn(*query), dp.randn(*key), dp.randn(*value), **kwargs)


@pytest.mark.parametrize("call, error, message", [
    (mha_call(query=(3, 2, 5)), ShapeError, r"MultiheadAttention\(embed_dim=4, num_heads=2\) expected query, key and"),
    (mha_call(key=(3, 4)), ShapeError, "expected query, key and value"),
    (mha_call(key=(5, 2, 4)), ShapeError, "key and value must have the same length"),
    (mha_call(key=(3, 1, 4), value=(3, 1, 4)), ShapeError, "the query the same batch size"),
    (mha_call(attn_mask=np.zeros((3, 4), dtype=bool)), ShapeError, r"attn_mask must have shape \(L, S\) = \(3, 3\)"),
    (mha_call(attn_mask=np.zeros((2, 3, 3), dtype=bool)), ShapeError, r"\(N·num_heads, L, S\) = \(4, 3, 3\)"),
    (mha_call(key_padding_mask=np.zeros((3, 2), dtype=bool)), ShapeError, r"key_padding_mask must have shape \(N, S\)"),
    (mha_call(attn_mask=np.zeros((3, 3), dtype=np.int64)), DataError, "attn_mask must be boolean"),
    (lambda: F.scaled_dot_product_attention(dp.randn(2, 3, 4), dp.randn(2, 5, 3), dp.randn(2, 5, 4)), ShapeError,
     r"scaled_dot_product_attention: expected query \(..., L, E\), key \(..., S, E\)"),
    (lambda: sdpa(dp.randn(3, 4), dp.randn(5, 4), dp.randn(5, 4), attn_mask=np.ones((3, 4), bool)),
     ShapeError, r"attn_mask of shape \(3, 4\) does not broadcast to the attention weights' shape \(3, 5\)"),
    (lambda: sdpa(dp.randn(3, 4), dp.randn(3, 4), dp.randn(3, 4), attn_mask=np.ones((3, 3), bool), is_causal=True),
     ConfigError, "attn_mask or is_causal=True, not both"),
    (lambda: F.scaled_dot_product_attention(dp.randn(2, 3, 4), dp.randn(3, 5, 4), dp.randn(3, 5, 4)), ShapeError,
     "cannot be broadcast together"),
    (lambda: F.scaled_dot_product_attention(dp.randn(3, 3, 4), dp.randn(2, 5, 4), dp.randn(2, 5, 4), enable_gqa=True),
     ShapeError, "must be a multiple of the key and value heads"),
    (lambda: F.scaled_dot_product_attention(dp.randn(3, 4), dp.randn(3, 4), dp.randn(3, 4), dropout_p=2), ConfigError,
     "dropout_p must be a probability"),
    (lambda: sdpa(dp.randn(3, 4), dp.randn(3, 4), dp.randn(3, 4), scale="0.5"), ConfigError,
     "scaled_dot_product_attention: scale must be a real number, got '0.5'"),
    (lambda: sdpa(dp.randn(3, 4), dp.randn(3, 4), dp.randn(3, 4), scale=[0.5]), ConfigError,
     "scaled_dot_product_attention: scale must be a real number"),
], ids=["embed", "ndim", "key-length", "batch", "mask-2d", "mask-3d", "padding", "mask-dtype", "sdpa-features",
        "sdpa-mask", "sdpa-causal-and-mask", "sdpa-batch", "sdpa-gqa", "sdpa-dropout", "sdpa-scale-text",
        "sdpa-scale-list"])
def test_shape_and_mask_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_is_causal_is_a_hint_about_the_mask_it_comes_with():
    """With the causal mask, is_causal=True changes nothing; without a mask it is refused (as in PyTorch)."""
    layer = nn.MultiheadAttention(4, 2)
    x = dp.randn(4, 2, 4)
    blocked = np.triu(np.ones((4, 4), dtype=bool), 1)
    for ours, theirs in zip(layer(x, x, x, attn_mask=blocked, is_causal=True), layer(x, x, x, attn_mask=blocked)):
        np.testing.assert_array_equal(ours.data, theirs.data)
    with pytest.raises(ConfigError, match=r"is_causal=True needs attn_mask, the causal mask it is a hint about"):
        layer(x, x, x, is_causal=True)


def test_bias_kv_and_zero_attention_by_hand():
    """One head of width 1, identity projections: the query attends to its keys, then to bias_k (value
    bias_v), then to a zero key (value 0); the weights are a softmax over all of them."""
    layer = nn.MultiheadAttention(1, 1, bias=False, add_bias_kv=True, add_zero_attn=True).double()
    layer.load_state_dict({"in_proj_weight": np.ones((3, 1)), "bias_k": np.full((1, 1, 1), 2.0),
                           "bias_v": np.full((1, 1, 1), 5.0), "out_proj.weight": np.ones((1, 1))})
    q, k, v = (tensor(np.array(a, dtype=float).reshape(-1, 1), requires_grad=False)
               for a in ([1.0], [0.0, 1.0], [3.0, -1.0]))
    out, weights = layer(q, k, v)
    scores = np.array([0.0, 1.0, 2.0, 0.0])  # q·k for k = 0, 1, bias_k = 2, zero key
    expected = np.exp(scores) / np.exp(scores).sum()
    np.testing.assert_allclose(weights.data, [expected], rtol=1e-12)
    np.testing.assert_allclose(out.data, [[expected @ [3.0, -1.0, 5.0, 0.0]]], rtol=1e-12)
