"""scaled_dot_product_attention, MultiheadAttention, the Transformer's encoder and decoder layers and
stacks, and the whole Transformer against PyTorch: the same inputs and weights (PyTorch's state_dict loaded into ours), the same
outputs and attention weights, and the same gradients of every input and parameter."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.errors import ConfigError  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402
from torch_twins import DTYPES, TORCH_DTYPES, load_into, sample  # noqa: E402

TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=2e-5)}
# PyTorch warns of a boolean padding mask beside a floating attention mask (tested on purpose), and
# that its nested-tensor speed path is off without batch_first.
pytestmark = [pytest.mark.filterwarnings("ignore:Support for mismatched"),
              pytest.mark.filterwarnings("ignore:enable_nested_tensor")]


def pair(array, dtype, requires_grad=True):
    """The same numbers as a deltaprop tensor and a torch tensor."""
    ours = dp.tensor(np.asarray(array), dtype=dtype, requires_grad=requires_grad)
    theirs = torch.tensor(np.asarray(array), dtype=TORCH_DTYPES[dtype], requires_grad=requires_grad)
    return ours, theirs


def keep_mask(shape, seed=3, diagonal=True):
    """A boolean mask with some False, each row of the last two axes keeping at least one True."""
    mask = np.random.default_rng(seed).random(shape) > 0.4
    mask[..., 0] = True if diagonal else mask[..., 0]
    return mask


def backward_both(ours, theirs, dtype, seed=1):
    """Run backward on Σ g·out for the same random g (over several outputs at once)."""
    total_ours, total_theirs = 0, 0
    for index, (a, b) in enumerate(zip(ours, theirs)):
        g = sample(a.shape, seed + index)
        np.testing.assert_allclose(a.data, b.detach().numpy(), **TOLERANCES[dtype])
        total_ours = total_ours + (a * dp.tensor(g, dtype=dtype)).sum()
        total_theirs = total_theirs + (b * torch.tensor(g, dtype=TORCH_DTYPES[dtype])).sum()
    total_ours.backward()
    total_theirs.backward()


def assert_grads(pairs, dtype):
    for name, (a, b) in pairs.items():
        assert a.grad is not None, name
        np.testing.assert_allclose(a.grad, b.grad.numpy(), err_msg=name, **TOLERANCES[dtype])


# -- scaled_dot_product_attention --------------------------------------------------------------------

SDPA_CASES = {
    "plain": dict(q=(2, 3, 4, 5), k=(2, 3, 6, 5), v=(2, 3, 6, 7)),
    "unbatched": dict(q=(4, 5), k=(6, 5), v=(6, 2)),
    "bool-mask": dict(q=(2, 3, 4, 5), k=(2, 3, 6, 5), v=(2, 3, 6, 5), mask=("bool", (4, 6))),
    "bool-mask-per-head": dict(q=(2, 3, 4, 5), k=(2, 3, 6, 5), v=(2, 3, 6, 5), mask=("bool", (2, 3, 4, 6))),
    "float-mask": dict(q=(2, 3, 4, 5), k=(2, 3, 6, 5), v=(2, 3, 6, 5), mask=("float", (3, 1, 6))),
    "fully-masked-row": dict(q=(2, 4, 5), k=(2, 6, 5), v=(2, 6, 5), mask=("none-in-row-1", (4, 6))),
    "causal": dict(q=(2, 3, 5, 4), k=(2, 3, 5, 4), v=(2, 3, 5, 4), is_causal=True),
    "causal-rectangular": dict(q=(2, 3, 4), k=(2, 6, 4), v=(2, 6, 3), is_causal=True),
    "scale": dict(q=(2, 4, 5), k=(2, 6, 5), v=(2, 6, 5), scale=0.3),
    "broadcast-batch": dict(q=(2, 1, 4, 5), k=(3, 6, 5), v=(3, 6, 5)),
    "grouped-query": dict(q=(2, 4, 3, 5), k=(2, 2, 6, 5), v=(2, 2, 6, 5), enable_gqa=True),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("case", SDPA_CASES, ids=str)
def test_scaled_dot_product_attention(case, dtype):
    spec = SDPA_CASES[case]
    tensors = {name: pair(sample(spec[name], seed), dtype) for seed, name in enumerate("qkv")}
    kwargs = {key: spec[key] for key in ("is_causal", "scale", "enable_gqa") if key in spec}
    ours_kw, theirs_kw = dict(kwargs), dict(kwargs)
    if "mask" in spec:
        kind, shape = spec["mask"]
        if kind == "float":
            tensors["mask"] = pair(sample(shape, 9), dtype)
            ours_kw["attn_mask"], theirs_kw["attn_mask"] = tensors["mask"]
        else:
            mask = keep_mask(shape)
            if kind == "none-in-row-1":
                mask[1] = False  # query 1 may attend to nothing: zeros, in both
            ours_kw["attn_mask"], theirs_kw["attn_mask"] = mask, torch.from_numpy(mask)
    q, k, v = (tensors[name] for name in "qkv")
    out = F.scaled_dot_product_attention(q[0], k[0], v[0], **ours_kw)
    expected = torch.nn.functional.scaled_dot_product_attention(q[1], k[1], v[1], **theirs_kw)
    assert out.shape == tuple(expected.shape) and out.dtype == dtype
    backward_both([out], [expected], dtype)
    assert_grads(tensors, dtype)


# -- MultiheadAttention --------------------------------------------------------------------------------


def twins(ours_class, theirs_class, kwargs, dtype, seed=7):
    """The deltaprop layer and its PyTorch twin, with PyTorch's random weights (biases too) loaded into ours.

    Not torch_twins.twins: the classes are given (not names), and the weights are PyTorch's, drawn from
    torch.manual_seed(seed) and scaled by 0.5, then loaded into ours through the state dict."""
    torch.manual_seed(seed)
    theirs = theirs_class(**kwargs).to(TORCH_DTYPES[dtype])
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    dp.manual_seed(0)
    ours = ours_class(**kwargs).to(dtype)
    load_into(ours, theirs)  # asserts the state-dict keys are the same, in order
    return ours, theirs


def parameter_pairs(ours, theirs):
    reference = dict(theirs.named_parameters())
    return {name: (p, reference[name]) for name, p in ours.named_parameters()}


MHA_CASES = {
    "seq-first": dict(kwargs=dict(), L=4, S=4, N=3),
    "batch-first": dict(kwargs=dict(batch_first=True), L=4, S=4, N=3),
    "self-attention": dict(kwargs=dict(), L=4, S=4, N=2, same=True),
    "cross-attention": dict(kwargs=dict(batch_first=True), L=3, S=5, N=2),
    "kdim-vdim": dict(kwargs=dict(kdim=3, vdim=5), L=4, S=6, N=2),
    "no-bias": dict(kwargs=dict(bias=False, batch_first=True), L=4, S=5, N=2),
    "key-padding-bool": dict(kwargs=dict(batch_first=True), L=4, S=5, N=2, padding="bool"),
    "key-padding-float": dict(kwargs=dict(), L=4, S=5, N=2, padding="float"),
    "attn-mask-bool": dict(kwargs=dict(), L=4, S=5, N=2, mask=("bool", 2)),
    "attn-mask-float": dict(kwargs=dict(batch_first=True), L=4, S=5, N=2, mask=("float", 2)),
    "attn-mask-per-head": dict(kwargs=dict(), L=4, S=5, N=2, mask=("bool", 3)),
    "both-masks": dict(kwargs=dict(kdim=3, vdim=3), L=4, S=5, N=2, mask=("float", 3), padding="bool"),
    "causal": dict(kwargs=dict(batch_first=True), L=5, S=5, N=2, mask=("causal", 2)),
    "no-weights": dict(kwargs=dict(), L=4, S=5, N=2, need_weights=False, padding="bool"),
    "per-head-weights": dict(kwargs=dict(), L=4, S=5, N=2, average=False, mask=("bool", 2)),
    "unbatched": dict(kwargs=dict(), L=4, S=5, N=None, mask=("bool", 2), padding="bool"),
    "unbatched-per-head": dict(kwargs=dict(kdim=3, vdim=2), L=4, S=5, N=None, average=False, mask=("bool", 3)),
    # add_bias_kv appends a learned key and value to every sequence, add_zero_attn a zero one; the
    # masks get a column that allows each
    "bias-kv": dict(kwargs=dict(add_bias_kv=True), L=4, S=5, N=2, mask=("bool", 2), padding="bool"),
    "bias-kv-self-attention": dict(kwargs=dict(add_bias_kv=True, batch_first=True), L=4, S=4, N=2, same=True),
    "zero-attn": dict(kwargs=dict(add_zero_attn=True, batch_first=True), L=4, S=5, N=2, mask=("float", 3)),
    "zero-attn-padding-float": dict(kwargs=dict(add_zero_attn=True), L=3, S=5, N=2, padding="float",
                                    average=False),
    "bias-kv-zero-attn": dict(kwargs=dict(add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=5), L=4, S=6, N=2,
                              mask=("float", 2), padding="bool"),
    "bias-kv-zero-attn-no-weights": dict(kwargs=dict(add_bias_kv=True, add_zero_attn=True, bias=False), L=4, S=5,
                                         N=2, need_weights=False, mask=("bool", 3)),
    "bias-kv-zero-attn-unbatched": dict(kwargs=dict(add_bias_kv=True, add_zero_attn=True), L=4, S=5, N=None,
                                        average=False, mask=("bool", 2), padding="bool"),
}
EMBED, HEADS = 6, 2


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("case", MHA_CASES, ids=str)
def test_multihead_attention(case, dtype):
    spec = MHA_CASES[case]
    kwargs = dict(embed_dim=EMBED, num_heads=HEADS, **spec["kwargs"])
    ours, theirs = twins(nn.MultiheadAttention, torch.nn.MultiheadAttention, kwargs, dtype)
    L, S, N = spec["L"], spec["S"], spec["N"]
    batch_first = kwargs.get("batch_first", False)

    def shape(length, features):
        if N is None:
            return (length, features)
        return (N, length, features) if batch_first else (length, N, features)

    inputs = {"query": pair(sample(shape(L, EMBED), 1), dtype)}
    if spec.get("same"):
        inputs["key"] = inputs["value"] = inputs["query"]
    else:
        inputs["key"] = pair(sample(shape(S, kwargs.get("kdim", EMBED)), 2), dtype)
        inputs["value"] = pair(sample(shape(S, kwargs.get("vdim", EMBED)), 3), dtype)
    ours_kw, theirs_kw = {}, {}
    if "mask" in spec:
        kind, ndim = spec["mask"]
        mask_shape = (L, S) if ndim == 2 else (HEADS * (N or 1), L, S)
        if kind == "causal":
            blocked = np.triu(np.ones((L, S), dtype=bool), 1)
            ours_kw.update(attn_mask=blocked, is_causal=True)
            theirs_kw.update(attn_mask=torch.from_numpy(blocked), is_causal=True)
        elif kind == "bool":
            blocked = ~keep_mask(mask_shape, seed=4)  # True: not allowed, PyTorch MultiheadAttention's sense
            ours_kw["attn_mask"], theirs_kw["attn_mask"] = blocked, torch.from_numpy(blocked)
        else:
            values = sample(mask_shape, 4)
            ours_kw["attn_mask"] = values.astype(dtype)
            theirs_kw["attn_mask"] = torch.tensor(values, dtype=TORCH_DTYPES[dtype])
    if "padding" in spec:
        padding_shape = (S,) if N is None else (N, S)
        if spec["padding"] == "bool":
            padded = np.zeros(padding_shape, dtype=bool)
            padded[..., -2:] = True  # the last two keys of every sequence are padding
            padded[..., :1] = False
            ours_kw["key_padding_mask"], theirs_kw["key_padding_mask"] = padded, torch.from_numpy(padded)
        else:
            values = sample(padding_shape, 5)
            ours_kw["key_padding_mask"] = values.astype(dtype)
            theirs_kw["key_padding_mask"] = torch.tensor(values, dtype=TORCH_DTYPES[dtype])
    for key in ("need_weights", "average"):
        if key in spec:
            name = "average_attn_weights" if key == "average" else key
            ours_kw[name] = theirs_kw[name] = spec[key]
    q, k, v = (inputs[name] for name in ("query", "key", "value"))
    out, weights = ours(q[0], k[0], v[0], **ours_kw)
    expected, expected_weights = theirs(q[1], k[1], v[1], **theirs_kw)
    assert out.shape == tuple(expected.shape) and out.dtype == dtype
    if expected_weights is None:
        assert weights is None
        backward_both([out], [expected], dtype)
    else:
        assert weights.shape == tuple(expected_weights.shape)
        backward_both([out, weights], [expected, expected_weights], dtype)
    assert_grads({**{name: inputs[name] for name in ("query", "key", "value")}, **parameter_pairs(ours, theirs)}, dtype)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("padding", [False, True])
def test_multihead_attention_refuses_is_causal_without_a_mask_as_pytorch_does(need_weights, train, padding):
    """is_causal is a hint about attn_mask: without one PyTorch raises, on every path."""
    ours, theirs = twins(nn.MultiheadAttention, torch.nn.MultiheadAttention, dict(embed_dim=4, num_heads=2),
                         np.float64)
    ours.train(train), theirs.train(train)
    x = sample((3, 2, 4))
    extra = dict(key_padding_mask=np.zeros((2, 3), dtype=bool)) if padding else {}
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        theirs(*[torch.tensor(x)] * 3, need_weights=need_weights, is_causal=True,
               **{key: torch.from_numpy(value) for key, value in extra.items()})
    with pytest.raises(ConfigError, match=r"^MultiheadAttention\(embed_dim=4, num_heads=2\): is_causal=True needs "
                                          r"attn_mask") as caught:
        ours(x, x, x, need_weights=need_weights, is_causal=True, **extra)
    assert str(caught.value).count(". ") == 0  # one sentence


@pytest.mark.parametrize("run, message", [
    (lambda m, x: m.TransformerEncoderLayer(4, 2, 8)(x, is_causal=True), "TransformerEncoderLayer"),
    (lambda m, x: m.TransformerEncoder(m.TransformerEncoderLayer(4, 2, 8), 2, enable_nested_tensor=False)(
        x, is_causal=True), "TransformerEncoderLayer"),
    (lambda m, x: m.TransformerDecoderLayer(4, 2, 8)(x, x, tgt_is_causal=True), "TransformerDecoderLayer"),
    (lambda m, x: m.TransformerDecoderLayer(4, 2, 8)(x, x, memory_is_causal=True), "TransformerDecoderLayer"),
    (lambda m, x: m.Transformer(4, 2, 1, 1, 8)(x, x, tgt_is_causal=True), "TransformerDecoderLayer"),
    (lambda m, x: m.Transformer(4, 2, 1, 1, 8)(x, x, src_is_causal=True), "TransformerEncoderLayer"),
], ids=["encoder-layer", "encoder", "decoder-layer-tgt", "decoder-layer-memory", "transformer-tgt",
        "transformer-src"])
def test_the_transformers_layers_refuse_a_causal_hint_without_its_mask_as_pytorch_does(run, message):
    x = sample((3, 2, 4))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        run(torch.nn, torch.tensor(x, dtype=torch.float32))
    with pytest.raises(ConfigError, match=f"^{message}.*is_causal=True needs") as caught:
        run(nn, x.astype(np.float32))
    assert str(caught.value).count(". ") == 0


def test_multihead_attention_dropout_is_off_in_eval_mode():
    kwargs = dict(embed_dim=4, num_heads=2, dropout=0.5)
    ours, theirs = twins(nn.MultiheadAttention, torch.nn.MultiheadAttention, kwargs, np.float64)
    ours.eval(), theirs.eval()
    x = sample((3, 2, 4))
    np.testing.assert_allclose(ours(x, x, x)[0].data, theirs(*[torch.tensor(x)] * 3)[0].detach().numpy(), rtol=1e-10)


# -- TransformerEncoderLayer and TransformerEncoder --------------------------------------------------------

LAYER_CASES = {
    "post-norm-relu": dict(kwargs=dict()),
    "pre-norm-relu": dict(kwargs=dict(norm_first=True)),
    "post-norm-gelu": dict(kwargs=dict(activation="gelu", batch_first=True)),
    "pre-norm-gelu": dict(kwargs=dict(activation="gelu", norm_first=True, batch_first=True)),
    "no-bias": dict(kwargs=dict(bias=False, layer_norm_eps=1e-3)),
    "masks": dict(kwargs=dict(batch_first=True), mask=True, padding=True),
    "causal": dict(kwargs=dict(norm_first=True), causal=True),
    "unbatched": dict(kwargs=dict(), unbatched=True, mask=True),
}
D_MODEL, NHEAD, WIDTH, LENGTH, BATCH = 8, 2, 12, 5, 3


def encoder_inputs(spec, batch_first, dtype):
    shape = (LENGTH, D_MODEL) if spec.get("unbatched") else (
        (BATCH, LENGTH, D_MODEL) if batch_first else (LENGTH, BATCH, D_MODEL))
    src = pair(sample(shape, 1), dtype)
    ours_kw, theirs_kw = {}, {}
    if spec.get("mask"):
        values = sample((LENGTH, LENGTH), 4)
        ours_kw["mask"], theirs_kw["mask"] = values.astype(dtype), torch.tensor(values, dtype=TORCH_DTYPES[dtype])
    if spec.get("causal"):
        causal = torch.nn.Transformer.generate_square_subsequent_mask(LENGTH, dtype=TORCH_DTYPES[dtype])
        ours_kw.update(mask=causal.numpy(), is_causal=True)
        theirs_kw.update(mask=causal, is_causal=True)
    if spec.get("padding"):
        padded = np.zeros((BATCH, LENGTH), dtype=bool)
        padded[1, -2:] = True
        ours_kw["src_key_padding_mask"], theirs_kw["src_key_padding_mask"] = padded, torch.from_numpy(padded)
    return src, ours_kw, theirs_kw


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("case", LAYER_CASES, ids=str)
def test_transformer_encoder_layer(case, dtype):
    spec = LAYER_CASES[case]
    kwargs = dict(d_model=D_MODEL, nhead=NHEAD, dim_feedforward=WIDTH, **spec["kwargs"])
    ours, theirs = twins(nn.TransformerEncoderLayer, torch.nn.TransformerEncoderLayer, kwargs, dtype)
    ours.eval(), theirs.eval()  # dropout off in both
    src, ours_kw, theirs_kw = encoder_inputs(spec, kwargs.get("batch_first", False), dtype)
    rename = {"mask": "src_mask"}
    out = ours(src[0], **{rename.get(k, k): v for k, v in ours_kw.items()})
    expected = theirs(src[1], **{rename.get(k, k): v for k, v in theirs_kw.items()})
    assert out.shape == tuple(expected.shape) and out.dtype == dtype
    backward_both([out], [expected], dtype)
    assert_grads({"src": src, **parameter_pairs(ours, theirs)}, dtype)


ENCODER_CASES = {
    "two-layers": dict(kwargs=dict(), norm=False),
    "two-layers-final-norm-masks": dict(kwargs=dict(batch_first=True, norm_first=True), norm=True, mask=True,
                                        padding=True),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("case", ENCODER_CASES, ids=str)
def test_transformer_encoder(case, dtype):
    spec = ENCODER_CASES[case]
    kwargs = dict(d_model=D_MODEL, nhead=NHEAD, dim_feedforward=WIDTH, **spec["kwargs"])

    def ours_class(**kwargs):
        return nn.TransformerEncoder(nn.TransformerEncoderLayer(**kwargs), 2,
                                     norm=nn.LayerNorm(D_MODEL) if spec["norm"] else None)

    def theirs_class(**kwargs):
        return torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(**kwargs), 2, enable_nested_tensor=False,
                                           norm=torch.nn.LayerNorm(D_MODEL) if spec["norm"] else None)

    ours, theirs = twins(ours_class, theirs_class, kwargs, dtype)
    ours.eval(), theirs.eval()
    src, ours_kw, theirs_kw = encoder_inputs(spec, kwargs.get("batch_first", False), dtype)
    out, expected = ours(src[0], **ours_kw), theirs(src[1], **theirs_kw)
    backward_both([out], [expected], dtype)
    assert_grads({"src": src, **parameter_pairs(ours, theirs)}, dtype)


# -- TransformerDecoderLayer, TransformerDecoder and Transformer ----------------------------------------

DECODER_CASES = {
    "post-norm-relu": dict(kwargs=dict()),
    "pre-norm-relu": dict(kwargs=dict(norm_first=True)),
    "post-norm-gelu": dict(kwargs=dict(activation="gelu", batch_first=True)),
    "pre-norm-gelu": dict(kwargs=dict(activation="gelu", norm_first=True, batch_first=True)),
    "no-bias": dict(kwargs=dict(bias=False, layer_norm_eps=1e-3)),
    "causal": dict(kwargs=dict(), causal=True),
    "masks": dict(kwargs=dict(batch_first=True, norm_first=True), causal=True, memory_mask=True, padding=True),
    "unbatched": dict(kwargs=dict(), unbatched=True, causal=True, memory_mask=True),
}
TARGET = 4  # the decoder's sequence is shorter than the encoder's (LENGTH): the memory mask is (T, S)


def decoder_inputs(spec, batch_first, dtype):
    """tgt and memory as pairs, and the masks as keyword arguments for ours and PyTorch's."""
    def shape(length):
        if spec.get("unbatched"):
            return (length, D_MODEL)
        return (BATCH, length, D_MODEL) if batch_first else (length, BATCH, D_MODEL)

    tgt, memory = pair(sample(shape(TARGET), 1), dtype), pair(sample(shape(LENGTH), 2), dtype)
    ours_kw, theirs_kw = {}, {}
    if spec.get("causal"):
        causal = torch.nn.Transformer.generate_square_subsequent_mask(TARGET, dtype=TORCH_DTYPES[dtype])
        ours_kw.update(tgt_mask=causal.numpy(), tgt_is_causal=True)
        theirs_kw.update(tgt_mask=causal, tgt_is_causal=True)
    if spec.get("memory_mask"):
        values = sample((TARGET, LENGTH), 4)
        ours_kw["memory_mask"], theirs_kw["memory_mask"] = values.astype(dtype), torch.tensor(values,
                                                                                            dtype=TORCH_DTYPES[dtype])
    if spec.get("padding"):
        for option, length in (("tgt_key_padding_mask", TARGET), ("memory_key_padding_mask", LENGTH)):
            padded = np.zeros((BATCH, length), dtype=bool)
            padded[1, -2:] = True
            ours_kw[option], theirs_kw[option] = padded, torch.from_numpy(padded)
    return tgt, memory, ours_kw, theirs_kw


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("case", DECODER_CASES, ids=str)
def test_transformer_decoder_layer(case, dtype):
    spec = DECODER_CASES[case]
    kwargs = dict(d_model=D_MODEL, nhead=NHEAD, dim_feedforward=WIDTH, **spec["kwargs"])
    ours, theirs = twins(nn.TransformerDecoderLayer, torch.nn.TransformerDecoderLayer, kwargs, dtype)
    ours.eval(), theirs.eval()  # dropout off in both
    tgt, memory, ours_kw, theirs_kw = decoder_inputs(spec, kwargs.get("batch_first", False), dtype)
    out, expected = ours(tgt[0], memory[0], **ours_kw), theirs(tgt[1], memory[1], **theirs_kw)
    assert out.shape == tuple(expected.shape) and out.dtype == dtype
    backward_both([out], [expected], dtype)
    assert_grads({"tgt": tgt, "memory": memory, **parameter_pairs(ours, theirs)}, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("case", ["post-norm-relu", "masks"], ids=str)
def test_transformer_decoder(case, dtype):
    """Two layers and a final norm; the memory, masks and causal hint reach every layer."""
    spec = DECODER_CASES[case]
    kwargs = dict(d_model=D_MODEL, nhead=NHEAD, dim_feedforward=WIDTH, **spec["kwargs"])

    def ours_class(**kwargs):
        return nn.TransformerDecoder(nn.TransformerDecoderLayer(**kwargs), 2, norm=nn.LayerNorm(D_MODEL))

    def theirs_class(**kwargs):
        return torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(**kwargs), 2,
                                           norm=torch.nn.LayerNorm(D_MODEL))

    ours, theirs = twins(ours_class, theirs_class, kwargs, dtype)
    ours.eval(), theirs.eval()
    tgt, memory, ours_kw, theirs_kw = decoder_inputs(spec, kwargs.get("batch_first", False), dtype)
    out, expected = ours(tgt[0], memory[0], **ours_kw), theirs(tgt[1], memory[1], **theirs_kw)
    backward_both([out], [expected], dtype)
    assert_grads({"tgt": tgt, "memory": memory, **parameter_pairs(ours, theirs)}, dtype)


TRANSFORMER_CASES = {
    "post-norm": dict(kwargs=dict()),
    "pre-norm-gelu-masks": dict(kwargs=dict(norm_first=True, activation="gelu", batch_first=True), causal=True,
                                memory_mask=True, padding=True),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("case", TRANSFORMER_CASES, ids=str)
def test_transformer(case, dtype):
    spec = TRANSFORMER_CASES[case]
    kwargs = dict(d_model=D_MODEL, nhead=NHEAD, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=WIDTH,
                  **spec["kwargs"])
    ours, theirs = twins(nn.Transformer, torch.nn.Transformer, kwargs, dtype)
    ours.eval(), theirs.eval()
    tgt, src, ours_kw, theirs_kw = decoder_inputs(spec, kwargs.get("batch_first", False), dtype)
    if spec.get("padding"):  # the source's padding masks both its self-attention and the decoder's view of it
        ours_kw["src_key_padding_mask"] = ours_kw["memory_key_padding_mask"]
        theirs_kw["src_key_padding_mask"] = theirs_kw["memory_key_padding_mask"]
    out, expected = ours(src[0], tgt[0], **ours_kw), theirs(src[1], tgt[1], **theirs_kw)
    assert out.shape == tuple(expected.shape) and out.dtype == dtype
    backward_both([out], [expected], dtype)
    assert_grads({"src": src, "tgt": tgt, **parameter_pairs(ours, theirs)}, dtype)


@pytest.mark.parametrize("size", [1, 5])
def test_generate_square_subsequent_mask_equals_pytorchs(size):
    ours = nn.Transformer.generate_square_subsequent_mask(size)
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(size)
    assert ours.dtype == np.float32 and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    doubled = nn.Transformer.generate_square_subsequent_mask(size, dtype=np.float64)
    np.testing.assert_array_equal(doubled.data, torch.nn.Transformer.generate_square_subsequent_mask(
        size, dtype=torch.float64).numpy())


@pytest.mark.parametrize("build", [
    lambda m: m.MultiheadAttention(6, 3, kdim=4, vdim=5),
    lambda m: m.MultiheadAttention(6, 3, bias=False),
    lambda m: m.MultiheadAttention(6, 3, add_bias_kv=True),
    lambda m: m.MultiheadAttention(6, 3, kdim=4, vdim=5, add_bias_kv=True, add_zero_attn=True, bias=False),
    lambda m: m.MultiheadAttention(6, 3, add_zero_attn=True),
    lambda m: m.TransformerEncoderLayer(8, 2, 16, bias=False),
    lambda m: m.TransformerEncoder(m.TransformerEncoderLayer(8, 2, 16), 3, norm=m.LayerNorm(8)),
    lambda m: m.TransformerDecoderLayer(8, 2, 16),
    lambda m: m.TransformerDecoderLayer(8, 2, 16, bias=False),
    lambda m: m.TransformerDecoder(m.TransformerDecoderLayer(8, 2, 16), 2, norm=m.LayerNorm(8)),
    lambda m: m.Transformer(8, 2, 2, 3, 16),
    lambda m: m.Transformer(8, 2, 1, 1, 16, bias=False),
], ids=["mha-kdim-vdim", "mha-no-bias", "mha-bias-kv", "mha-bias-kv-zero-attn", "mha-zero-attn", "layer-no-bias", "encoder", "decoder-layer", "decoder-layer-no-bias",
        "decoder", "transformer", "transformer-no-bias"])
def test_state_dict_keys_and_shapes_equal_pytorchs(build):
    ours, theirs = build(nn).state_dict(), build(torch.nn).state_dict()
    assert list(ours) == list(theirs)
    assert all(ours[key].shape == tuple(theirs[key].shape) for key in ours)


def test_initialisation_follows_pytorch():
    """Glorot-uniform input projections, zero biases, out_proj as Linear (uniform ±1/√E)."""
    dp.manual_seed(0)
    layer = nn.MultiheadAttention(64, 4)
    bound = np.sqrt(6 / (64 + 3 * 64))  # fans of the stacked (3E, E) matrix, as torch's xavier_uniform_ takes them
    weight = layer.in_proj_weight.data
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
    assert np.all(layer.in_proj_bias.data == 0) and np.all(layer.out_proj.bias.data == 0)
    assert np.abs(layer.out_proj.weight.data).max() <= 1 / np.sqrt(64)
    separate = nn.MultiheadAttention(8, 2, kdim=3, vdim=5)
    assert separate.in_proj_weight is None
    assert np.abs(separate.k_proj_weight.data).max() <= np.sqrt(6 / (3 + 8))


def test_bias_k_and_bias_v_are_initialised_as_pytorchs():
    """Glorot normal over a (1, 1, E) tensor: fan_in = fan_out = E, so std = 1/√E, mean 0."""
    E = 1024
    dp.manual_seed(0)
    layer = nn.MultiheadAttention(E, 4, add_bias_kv=True)
    torch.manual_seed(0)
    reference = torch.nn.MultiheadAttention(E, 4, add_bias_kv=True)
    for name in ("bias_k", "bias_v"):
        data, theirs = getattr(layer, name).data, getattr(reference, name).detach().numpy()
        assert data.shape == theirs.shape == (1, 1, E) and data.dtype == np.float32
        # E draws: the sample std is within a few of its standard errors (1/√(2E) relative) of 1/√E
        assert abs(data.std() * np.sqrt(E) - 1) < 0.1 and abs(theirs.std() * np.sqrt(E) - 1) < 0.1
        assert abs(data.mean()) < 4 / E
        # normal, not uniform of the same variance (which never passes √3/√E): 1024 normal draws all
        # within 2.2 standard deviations happen with probability 0.972^1024, about 1e-13
        assert np.abs(data).max() * np.sqrt(E) > 2.2 and np.abs(theirs).max() * np.sqrt(E) > 2.2
    assert not np.array_equal(layer.bias_k.data, layer.bias_v.data)


def test_transformer_initialisation_follows_pytorch():
    """Every matrix Glorot uniform (torch's _reset_parameters), biases as the layers leave them."""
    dp.manual_seed(0)
    model = nn.Transformer(16, 2, 1, 1, 64)
    torch.manual_seed(0)
    reference = dict(torch.nn.Transformer(16, 2, 1, 1, 64).named_parameters())
    for name, parameter in model.named_parameters():
        data = parameter.data
        if data.ndim > 1:
            fan_out, fan_in = data.shape
            bound = np.sqrt(6 / (fan_in + fan_out))
            assert np.abs(data).max() <= bound and np.abs(data).max() > 0.8 * bound, name
        elif "attn" in name or "norm" in name:  # attention biases zero, norm weights one: as torch's
            np.testing.assert_array_equal(data, reference[name].detach().numpy(), err_msg=name)
        else:  # the feed-forward biases as Linear draws them, U(±1/√fan_in)
            fan_in = 16 if name.endswith("linear1.bias") else 64
            assert np.abs(data).max() <= 1 / np.sqrt(fan_in), name
