"""F.multi_head_attention_forward against PyTorch 2.13's, with the same weights: outputs, weights and
the gradients of the inputs and every weight, with one stacked or three separate projections,
add_bias_kv's keys, add_zero_attn, masks, unbatched inputs; and its refusals. Float64, to 1e-10."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")
import torch.nn.functional as TF  # noqa: E402

import deltaprop as dp  # noqa: E402
import deltaprop.nn.functional as F  # noqa: E402
from deltaprop.errors import ConfigError, ShapeError  # noqa: E402

RNG = np.random.default_rng(23)
TOL = dict(rtol=1e-10, atol=1e-12)
E, HEADS, L, S, N, KDIM = 6, 2, 4, 5, 3, 4


def weights(separate, bias_kv):
    w = {"in_proj_weight": RNG.normal(size=(3 * E, E)) * 0.4, "in_proj_bias": RNG.normal(size=3 * E),
         "out_proj_weight": RNG.normal(size=(E, E)) * 0.4, "out_proj_bias": RNG.normal(size=E)}
    if separate:
        w.update(q_proj_weight=RNG.normal(size=(E, E)) * 0.4, k_proj_weight=RNG.normal(size=(E, KDIM)) * 0.4,
                 v_proj_weight=RNG.normal(size=(E, KDIM)) * 0.4)
    if bias_kv:
        w.update(bias_k=RNG.normal(size=(1, 1, E)), bias_v=RNG.normal(size=(1, 1, E)))
    return w


def call(lib, functional, arrays, options):
    tensors = {k: (dp.tensor(v, dtype=dp.float64, requires_grad=True) if lib is dp
                   else torch.tensor(v, requires_grad=True)) for k, v in arrays.items()}
    q, k, v = tensors.pop("query"), tensors.pop("key"), tensors.pop("value")
    args = dict(in_proj_weight=None, in_proj_bias=None, bias_k=None, bias_v=None)
    args.update(tensors)
    out, attn = functional(q, k, v, E, HEADS, args.pop("in_proj_weight"), args.pop("in_proj_bias"),
                           args.pop("bias_k"), args.pop("bias_v"), options.pop("add_zero_attn", False), 0.0,
                           args.pop("out_proj_weight"), args.pop("out_proj_bias"), **args, **options)
    return out, attn, dict(query=q, key=k, value=v, **tensors)


@pytest.mark.parametrize("separate, bias_kv, zero_attn, unbatched, masks", [
    (False, False, False, False, False),
    (True, False, False, False, True),
    (False, True, True, False, True),
    (False, False, False, True, False),
])
def test_matches_torch(separate, bias_kv, zero_attn, unbatched, masks):
    arrays = weights(separate, bias_kv)
    kdim = KDIM if separate else E
    batch = () if unbatched else (N,)
    arrays.update(query=RNG.normal(size=(L, *batch, E)), key=RNG.normal(size=(S, *batch, kdim)),
                  value=RNG.normal(size=(S, *batch, kdim)))
    options = dict(add_zero_attn=zero_attn, use_separate_proj_weight=separate)
    mask_arrays = {}
    if masks:
        mask_arrays = dict(attn_mask=np.triu(np.ones((L, S), bool), 2), key_padding_mask=np.eye(N, S, 1, dtype=bool))
    results = []
    for lib, functional in ((dp, F.multi_head_attention_forward), (torch, TF.multi_head_attention_forward)):
        extra = {k: (dp.tensor(m) if lib is dp else torch.tensor(m)) for k, m in mask_arrays.items()}
        out, attn, tensors = call(lib, functional, arrays, dict(options, **extra, average_attn_weights=False))
        w = RNG.normal(size=tuple(out.shape)) if not results else results[0][3]
        (out * (dp.tensor(w, dtype=dp.float64) if lib is dp else torch.tensor(w))).sum().backward()
        results.append((out, attn, tensors, w))
    (o_out, o_attn, o_in, _), (t_out, t_attn, t_in, _) = results
    np.testing.assert_allclose(o_out.data, t_out.detach().numpy(), **TOL)
    np.testing.assert_allclose(o_attn.data, t_attn.detach().numpy(), **TOL)
    for name in o_in:
        ours = np.zeros(t_in[name].shape) if o_in[name].grad is None else np.asarray(o_in[name].grad)
        theirs = np.zeros(t_in[name].shape) if t_in[name].grad is None else t_in[name].grad.numpy()
        np.testing.assert_allclose(ours, theirs, err_msg=name, **TOL)


def test_refusals():
    arrays = weights(False, False)
    x = dp.tensor(RNG.normal(size=(L, N, E)))
    w = {k: dp.tensor(v) for k, v in arrays.items()}
    base = (x, x, x, E, HEADS, w["in_proj_weight"], w["in_proj_bias"], None, None, False, 0.0, w["out_proj_weight"],
            w["out_proj_bias"])
    with pytest.raises(ShapeError, match="embed_dim_to_check"):
        F.multi_head_attention_forward(*base[:3], E + 1, *base[4:])
    with pytest.raises(ShapeError, match=r"static_k must have shape \(N·num_heads, S, head_dim\) = \(6, S, 3\), got "
                                         r"shape \(4, 3, 6\)"):
        F.multi_head_attention_forward(*base, static_k=x)
    with pytest.raises(ConfigError, match="needs q_proj_weight"):
        F.multi_head_attention_forward(*base, use_separate_proj_weight=True)
    with pytest.raises(ConfigError, match="divisible"):
        F.multi_head_attention_forward(*base[:4], 4, *base[5:])
