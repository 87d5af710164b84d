"""F.multi_head_attention_forward's static_k and static_v (keys and values already projected and
split into heads, (N·num_heads, S, head_dim)) against PyTorch 2.13's: outputs, attention weights and
the gradients of every input and weight (None where PyTorch's is None), float32 and float64, with
one stacked or three separate projections, masks, add_zero_attn, statics of another length than the
key, unbatched inputs; and the combinations PyTorch refuses, refused here too."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")
import torch.nn.functional as TF  # noqa: E402

import deltaprop as dp  # noqa: E402
import deltaprop.nn.functional as F  # noqa: E402
from deltaprop.errors import ConfigError, ShapeError  # noqa: E402
from torch_twins import DTYPES, TORCH_DTYPES, sample  # noqa: E402

TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=2e-5)}
E, HEADS, L, S, N, KDIM = 6, 2, 4, 5, 3, 4
HEAD_DIM = E // HEADS
pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched")


def arrays(separate=False, bias_kv=False, unbatched=False, length=S, static=("k", "v"), static_length=S):
    """The weights, inputs and statics of one call, as NumPy arrays."""
    batch = () if unbatched else (N,)
    kdim = KDIM if separate else E
    values = {"in_proj_weight": sample((3 * E, E), 1) * 0.4, "in_proj_bias": sample(3 * E, 2),
              "out_proj_weight": sample((E, E), 3) * 0.4, "out_proj_bias": sample(E, 4),
              "query": sample((L, *batch, E), 5), "key": sample((length, *batch, kdim), 6),
              "value": sample((length, *batch, kdim), 7)}
    if separate:
        values.update(q_proj_weight=sample((E, E), 8) * 0.4, k_proj_weight=sample((E, kdim), 9) * 0.4,
                      v_proj_weight=sample((E, kdim), 10) * 0.4)
    if bias_kv:
        values.update(bias_k=sample((1, 1, E), 11), bias_v=sample((1, 1, E), 12))
    heads = HEADS * (1 if unbatched else N)
    for index, which in enumerate(static):
        values[f"static_{which}"] = sample((heads, static_length, HEAD_DIM), 13 + index)
    return values


def call(library, values, dtype, options, shared=None):
    """multi_head_attention_forward of ``library`` on ``values``, each a leaf that requires a gradient
    but those ``shared`` maps to another's name (the value that is the key's tensor itself, say);
    the output, the weights and the leaves."""
    if library is dp:
        def leaf(array):
            return dp.tensor(array, dtype=dtype, requires_grad=True)
        functional, wrap = F.multi_head_attention_forward, dp.from_numpy
    else:
        def leaf(array):
            return torch.tensor(array, dtype=TORCH_DTYPES[dtype], requires_grad=True)
        functional, wrap = TF.multi_head_attention_forward, torch.from_numpy
    shared = shared or {}
    tensors = {name: leaf(array) for name, array in values.items() if name not in shared}
    tensors.update({name: tensors[other] for name, other in shared.items()})
    masks = {name: (wrap(mask) if mask.dtype == bool else wrap(mask.astype(dtype))) for name, mask in
             options.pop("masks", {}).items()}
    arguments = dict(tensors)
    query, key, value = (arguments.pop(name) for name in ("query", "key", "value"))
    out, weights = functional(query, key, value, E, HEADS, arguments.pop("in_proj_weight"),
                              arguments.pop("in_proj_bias"), arguments.pop("bias_k", None),
                              arguments.pop("bias_v", None), options.pop("add_zero_attn", False), 0.0,
                              arguments.pop("out_proj_weight"), arguments.pop("out_proj_bias"), **arguments, **masks,
                              **options)
    return out, weights, tensors


CASES = {
    "both": dict(),
    "keys-only-key-is-value": dict(values=dict(static=("k",)), shared={"value": "key"}),
    "values-only": dict(values=dict(static=("v",))),
    "self-attention": dict(values=dict(length=L), shared={"key": "query", "value": "query"}),
    "longer-statics-padding-zero-attn": dict(values=dict(static_length=7), add_zero_attn=True,
                                             masks=dict(key_padding_mask=np.eye(N, 7, 2, dtype=bool))),
    "masks-zero-attn-per-head": dict(add_zero_attn=True, average_attn_weights=False,
                                     masks=dict(attn_mask=sample((L, S), 20), key_padding_mask=np.eye(N, S, 1, dtype=bool))),
    "bool-causal-mask": dict(masks=dict(attn_mask=np.triu(np.ones((L, S), bool), 1)), is_causal=True),
    "separate-weights": dict(values=dict(separate=True), use_separate_proj_weight=True,
                             masks=dict(attn_mask=np.triu(np.ones((L, S), bool), 2))),
    "separate-weights-keys-only": dict(values=dict(separate=True, static=("k",)), use_separate_proj_weight=True),
    "unbatched": dict(values=dict(unbatched=True), masks=dict(key_padding_mask=np.arange(S) == 3)),
    "no-weights": dict(need_weights=False),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("case", CASES)
def test_static_keys_and_values_give_pytorchs_outputs_and_gradients(case, dtype):
    spec = dict(CASES[case])
    values, shared = arrays(**spec.pop("values", {})), spec.pop("shared", None)
    results = []
    for library in (dp, torch):
        out, weights, tensors = call(library, values, dtype, {**spec, "masks": dict(spec.get("masks", {}))}, shared)
        g = sample(tuple(out.shape), 30)
        (out * (dp.tensor(g, dtype=dtype) if library is dp else torch.tensor(g, dtype=TORCH_DTYPES[dtype]))).sum().backward()
        results.append((out, weights, tensors))
    (ours, ours_weights, ours_in), (theirs, theirs_weights, theirs_in) = results
    tolerance = TOLERANCES[dtype]
    assert ours.dtype == dtype
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), **tolerance)
    if spec.get("need_weights", True):
        np.testing.assert_allclose(ours_weights.data, theirs_weights.detach().numpy(), **tolerance)
    else:
        assert ours_weights is None and theirs_weights is None
    assert ours_in["static_k" if "static_k" in ours_in else "static_v"].grad is not None
    for name, tensor in ours_in.items():
        reference = theirs_in[name].grad
        # (a projection a static replaces is made and unused: its weights and input get no gradient)
        assert (tensor.grad is None) == (reference is None), name
        if reference is not None:
            np.testing.assert_allclose(tensor.grad, reference.numpy(), err_msg=name, **tolerance)


def test_a_static_replaces_the_projection_whatever_the_key_holds():
    """The key is projected and then unused: another key of the same shape gives the same output."""
    values = arrays()
    outputs = []
    for key in (values["key"], -3 * values["key"]):
        out, _, _ = call(dp, {**values, "key": key}, np.float64, {})
        outputs.append(out.data)
    np.testing.assert_array_equal(outputs[0], outputs[1])


REFUSALS = {
    "bias-kv-static-k": (dict(bias_kv=True, static=("k",)), {}, ConfigError,
                         "bias_k and bias_v cannot be appended to static_k or static_v"),
    "bias-kv-static-v": (dict(bias_kv=True, static=("v",)), {}, ConfigError,
                         "bias_k and bias_v cannot be appended to static_k or static_v"),
    "too-few-heads": ("static_k", (N * HEADS - 1, S, HEAD_DIM), ShapeError,
                      r"static_k must have shape \(N·num_heads, S, head_dim\) = \(6, S, 3\), got shape \(5, 5, 3\)"),
    "head-dim": ("static_v", (N * HEADS, S, HEAD_DIM + 1), ShapeError,
                 r"static_v must have shape \(N·num_heads, S, head_dim\) = \(6, S, 3\), got shape \(6, 5, 4\)"),
    "per-batch-and-head": ("static_k", (N, HEADS, S, HEAD_DIM), ShapeError,
                           r"static_k must have shape .* got shape \(3, 2, 5, 3\)"),
    "longer-keys-than-values": (dict(static=("k",), static_length=7), {}, ShapeError,
                                r"the keys and values must be as many, got 7 keys \(static_k\) and 5 values \(value\)"),
    "longer-values-than-keys": (dict(static=("v",), static_length=7), {}, ShapeError,
                                r"the keys and values must be as many, got 5 keys \(key\) and 7 values \(static_v\)"),
    "mask-of-the-key": (dict(static_length=7), dict(attn_mask=np.zeros((L, S))), ShapeError,
                        r"an attn_mask with static_k needs the key as long as static_k .* got 5 and 7 steps"),
    "mask-of-static-k": (dict(static_length=7), dict(attn_mask=np.zeros((L, 7))), ShapeError,
                         r"an attn_mask with static_k needs the key as long as static_k .* got 5 and 7 steps"),
    "padding-of-the-key": (dict(static_length=7), dict(key_padding_mask=np.zeros((N, S), bool)), ShapeError,
                           r"key_padding_mask must have shape \(N, S\) = \(3, 7\), got shape \(3, 5\)"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_what_pytorch_refuses_with_statics_is_refused(case):
    made, masks, error, message = REFUSALS[case]
    if isinstance(made, str):  # a static of the wrong shape in place of a good one
        values = arrays()
        values[made] = sample(masks, 40)
        masks = {}
    else:
        values = arrays(**made)
    with pytest.raises(error, match=f"^multi_head_attention_forward: {message}"):
        call(dp, values, np.float64, {"masks": masks})
    with pytest.raises((RuntimeError, AssertionError, IndexError)):
        call(torch, values, np.float64, {"masks": masks})


def test_a_one_key_mask_over_longer_statics_is_refused_where_pytorch_broadcasts_it():
    """PyTorch checks attn_mask against the key (one step here) and then broadcasts it over static_k's
    seven; deltaprop asks for the key as long as static_k, as for every other attn_mask."""
    values = arrays(length=1, static_length=7)
    masks = {"attn_mask": np.zeros((L, 1))}
    with pytest.raises(ShapeError, match=r"an attn_mask with static_k needs the key as long as static_k .* got 1 and "
                                         "7 steps"):
        call(dp, values, np.float64, {"masks": dict(masks)})
    _, weights, _ = call(torch, values, np.float64, {"masks": dict(masks)})
    assert tuple(weights.shape) == (N, L, 7)
