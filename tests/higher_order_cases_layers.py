"""Second-derivative cases (see higher_order_cases.py for the form) of the rules in
autograd/differentiable_layers.py: activations, elementwise functions, selections and reductions,
normalisation layers and losses. Piecewise-linear functions are multiplied by their input, so that
their (constant) slope shows in a second derivative."""

import numpy as np


def labels(L, *values):
    return L.tensor(np.array(values))


def constant(like, values):
    """A constant of the case (a target, running statistics, class weights) in ``like``'s dtype."""
    return like.new_tensor(np.asarray(values, dtype=np.float64))


def probabilities(like, seed=3):
    p = np.random.default_rng(seed).uniform(0.1, 1.0, tuple(like.shape))
    return constant(like, p / p.sum(axis=1, keepdims=True))


def binary(like, seed=4):
    return constant(like, np.random.default_rng(seed).uniform(0.05, 0.95, tuple(like.shape)))


CASES = [
    # activations
    ("elu", lambda L, F, x: F.elu(x, alpha=0.7), [(3, 4)], "real"),
    ("elu alpha 1", lambda L, F, x: F.elu(x) * x, [(3, 4)], "real"),
    ("selu", lambda L, F, x: F.selu(x), [(3, 4)], "real"),
    ("celu", lambda L, F, x: F.celu(x, alpha=0.5), [(3, 4)], "real"),
    ("silu", lambda L, F, x: F.silu(x), [(3, 4)], "real"),
    ("mish", lambda L, F, x: F.mish(x), [(3, 4)], "real"),
    ("softplus", lambda L, F, x: F.softplus(x), [(3, 4)], "real"),
    ("softplus beta threshold", lambda L, F, x: F.softplus(x, beta=2.0, threshold=1.0), [(3, 4)], "real"),
    ("logsigmoid", lambda L, F, x: F.logsigmoid(x), [(3, 4)], "real"),
    ("softsign", lambda L, F, x: F.softsign(x), [(3, 4)], "real"),
    ("tanhshrink", lambda L, F, x: F.tanhshrink(x), [(3, 4)], "real"),
    ("softmin", lambda L, F, x: F.softmin(x, dim=1), [(3, 4)], "real"),
    ("hardswish", lambda L, F, x: F.hardswish(x * 3.0), [(3, 4)], "real"),
    ("hardtanh", lambda L, F, x: F.hardtanh(x, -0.5, 0.5) * x, [(3, 4)], "real"),
    ("relu6", lambda L, F, x: F.relu6(x * 4.0) * x, [(3, 4)], "real"),
    ("threshold", lambda L, F, x: F.threshold(x, 0.1, -1.0) * x, [(3, 4)], "real"),
    ("hardshrink", lambda L, F, x: F.hardshrink(x, 0.3) * x, [(3, 4)], "real"),
    ("softshrink", lambda L, F, x: F.softshrink(x, 0.3) * x, [(3, 4)], "real"),
    ("prelu per channel", lambda L, F, x, w: F.prelu(x, w) * x, [(2, 3, 4), (3,)], "real"),
    ("prelu one weight", lambda L, F, x, w: F.prelu(x, w), [(3, 4), (1,)], "real"),
    # elementwise functions
    ("sin", lambda L, F, x: x.sin(), [(3, 4)], "real"),
    ("cos", lambda L, F, x: x.cos(), [(3, 4)], "real"),
    ("log1p", lambda L, F, x: x.log1p(), [(3, 4)], "positive"),
    ("log2", lambda L, F, x: L.log2(x), [(3, 4)], "positive"),
    ("log10", lambda L, F, x: L.log10(x), [(3, 4)], "positive"),
    ("expm1", lambda L, F, x: x.expm1(), [(3, 4)], "real"),
    ("exp2", lambda L, F, x: L.exp2(x), [(3, 4)], "real"),
    ("reciprocal", lambda L, F, x: x.reciprocal(), [(3, 4)], "positive"),
    ("rsqrt", lambda L, F, x: x.rsqrt(), [(3, 4)], "positive"),
    ("erf", lambda L, F, x: L.erf(x), [(3, 4)], "real"),
    ("erfc", lambda L, F, x: L.erfc(x), [(3, 4)], "real"),
    ("sign", lambda L, F, x: x.sign() * x * x, [(3, 4)], "real"),
    # selections and reductions
    ("clamp", lambda L, F, x: L.clamp(x, -0.5, 0.5) * x, [(3, 4)], "real"),
    ("clamp min", lambda L, F, x: L.clamp(x, min=0.2) * x, [(3, 4)], "real"),
    ("max all", lambda L, F, x: x.max() * x, [(3, 4)], "real"),
    ("max dim", lambda L, F, x: x.max(dim=1)[0] * x[:, 0], [(3, 4)], "real"),
    ("amax keepdim", lambda L, F, x: x.amax(dim=0, keepdim=True) * x, [(3, 4)], "real"),
    ("min dim", lambda L, F, x: x.min(dim=0)[0], [(3, 4)], "real"),
    ("maximum", lambda L, F, x, y: L.maximum(x, y) * x, [(3, 4), (4,)], "real"),
    ("minimum", lambda L, F, x, y: L.minimum(x, y) * y, [(3, 1), (3, 4)], "real"),
    ("where", lambda L, F, x, y: L.where(x > 0, x * x, y), [(3, 4), (4,)], "real"),
    ("logsumexp", lambda L, F, x: L.logsumexp(x, dim=1), [(3, 4)], "real"),
    ("logsumexp keepdim", lambda L, F, x: L.logsumexp(x, dim=0, keepdim=True) * x, [(3, 4)], "real"),
    ("var", lambda L, F, x: x.var(dim=1), [(3, 4)], "real"),
    ("var all biased", lambda L, F, x: x.var(correction=0) * x, [(3, 4)], "real"),
    ("std", lambda L, F, x: x.std(dim=0), [(3, 4)], "real"),
    ("embedding", lambda L, F, w: F.embedding(labels(L, 1, 0, 1, 2), w), [(4, 3)], "real"),
    ("embedding padding_idx", lambda L, F, w: F.embedding(labels(L, 1, 0, 1, 2), w, padding_idx=1), [(4, 3)], "real"),
    # normalisation layers
    ("layer_norm", lambda L, F, x, w, b: F.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)], "real"),
    ("layer_norm two axes", lambda L, F, x: F.layer_norm(x, (3, 4)), [(2, 3, 4)], "real"),
    ("batch_norm training", lambda L, F, x, w, b: F.batch_norm(x, None, None, w, b, training=True),
     [(4, 3, 2), (3,), (3,)], "real"),
    ("batch_norm eval", lambda L, F, x, w: F.batch_norm(x, constant(x, [0.1, -0.2, 0.3]), constant(x, [0.5, 1.5, 2.0]), w,
                                                       training=False),
     [(4, 3), (3,)], "real"),
    ("group_norm", lambda L, F, x, w, b: F.group_norm(x, 2, w, b), [(2, 4, 3), (4,), (4,)], "real"),
    ("instance_norm", lambda L, F, x: F.instance_norm(x), [(2, 3, 4)], "real"),
    ("rms_norm", lambda L, F, x, w: F.rms_norm(x, (4,), w, eps=1e-3), [(3, 4), (4,)], "real"),
    ("rms_norm two axes default eps", lambda L, F, x: F.rms_norm(x, (3, 4)), [(2, 3, 4)], "real"),
    # the pieces of split, chunk and unbind (one piece unused: no gradient reaches its place)
    ("split", lambda L, F, x: (lambda a, b: a * b.sum(dim=1, keepdim=True))(*x.split([1, 3], dim=1)), [(3, 4)], "real"),
    ("chunk", lambda L, F, x: (lambda a, b, c: a * c + a.exp())(*x.chunk(3, dim=0)), [(6, 2)], "real"),
    ("unbind", lambda L, F, x: (lambda *rows: rows[0] * rows[2])(*x.unbind(1)), [(2, 3)], "real"),
    # attention's softmax (a masked-out key, and a query that may attend to none: a zero row)
    ("scaled_dot_product_attention", lambda L, F, q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=L.tensor(np.array([[True, False, True], [False, False, False]]))), [(2, 2, 3), (2, 3, 3), (2, 3, 3)],
     "real"),
    ("scaled_dot_product_attention causal", lambda L, F, q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
     [(1, 3, 2), (1, 3, 2), (1, 3, 2)], "real"),
    # losses
    ("l1_loss", lambda L, F, x, y: F.l1_loss(x, y), [(3, 4), (3, 4)], "real"),
    ("smooth_l1_loss", lambda L, F, x, y: F.smooth_l1_loss(x, y, beta=0.8, reduction="sum"), [(3, 4), (3, 4)], "real"),
    ("huber_loss", lambda L, F, x, y: F.huber_loss(x, y, delta=0.7, reduction="none"), [(3, 4), (3, 4)], "real"),
    ("binary_cross_entropy", lambda L, F, x: F.binary_cross_entropy(x.sigmoid(), binary(x)), [(3, 4)], "real"),
    ("binary_cross_entropy weight", lambda L, F, x: F.binary_cross_entropy(x.sigmoid(), binary(x),
                                                                            weight=constant(x, [0.5, 1.0, 2.0, 1.5])), [(3, 4)], "real"),
    ("bce_with_logits", lambda L, F, x, y: F.binary_cross_entropy_with_logits(x, y.sigmoid()), [(3, 4), (3, 4)], "real"),
    ("bce_with_logits weights", lambda L, F, x: F.binary_cross_entropy_with_logits(
        x, binary(x), weight=constant(x, [0.5, 1.0, 2.0, 1.5]), pos_weight=constant(x, [3.0, 0.5, 1.0, 2.0]),
        reduction="sum"), [(3, 4)], "real"),
    ("kl_div batchmean", lambda L, F, x, y: F.kl_div(F.log_softmax(x, 1), F.softmax(y, 1), reduction="batchmean"),
     [(3, 4), (3, 4)], "real"),
    ("kl_div log_target", lambda L, F, x, y: F.kl_div(F.log_softmax(x, 1), F.log_softmax(y, 1), reduction="sum",
                                                    log_target=True), [(3, 4), (3, 4)], "real"),
    ("nll_loss", lambda L, F, x: F.nll_loss(F.log_softmax(x, 1), labels(L, 0, 3, 1)), [(3, 4)], "real"),
    ("nll_loss weight ignore", lambda L, F, x: F.nll_loss(F.log_softmax(x, 1), labels(L, 0, 3, 1, 2), ignore_index=3,
                                                        weight=constant(x, [0.5, 1.0, 2.0, 1.5])), [(4, 4)], "real"),
    ("nll_loss spatial", lambda L, F, x: F.nll_loss(F.log_softmax(x, 1), L.tensor(np.array([[0, 2], [1, 1]])),
                                                    reduction="none"), [(2, 3, 2)], "real"),
    ("cross_entropy weight", lambda L, F, x: F.cross_entropy(x, labels(L, 0, 2, 1), weight=constant(x, [0.5, 2.0, 1.5])),
     [(3, 3)], "real"),
    ("cross_entropy smoothing", lambda L, F, x: F.cross_entropy(x, labels(L, 0, 2, 1, 1), label_smoothing=0.2),
     [(4, 3)], "real"),
    ("cross_entropy ignore_index", lambda L, F, x: F.cross_entropy(x, labels(L, 0, 2, 1), ignore_index=2,
                                                                   reduction="sum"), [(3, 3)], "real"),
    ("cross_entropy ignore smoothing", lambda L, F, x: F.cross_entropy(x, labels(L, 0, 2, 1, 0), ignore_index=0,
                                                                       label_smoothing=0.3), [(4, 3)], "real"),
    ("cross_entropy weight ignore", lambda L, F, x: F.cross_entropy(x, labels(L, 0, 2, 1, 0), ignore_index=1,
                                                                    weight=constant(x, [0.5, 2.0, 1.5])), [(4, 3)], "real"),
    ("cross_entropy ignore none", lambda L, F, x: F.cross_entropy(x, labels(L, 1, 2, 1, 0), ignore_index=1,
                                                                  reduction="none"), [(4, 3)], "real"),
    ("cross_entropy probabilities", lambda L, F, x: F.cross_entropy(x, probabilities(x)), [(3, 4)], "real"),
    ("cross_entropy soft target in the graph", lambda L, F, x, y: F.cross_entropy(x, F.softmax(y, 1), label_smoothing=0.1),
     [(3, 4), (3, 4)], "real"),
    ("cross_entropy spatial", lambda L, F, x: F.cross_entropy(x, L.tensor(np.array([[0, 2], [1, 1]])), reduction="none"),
     [(2, 3, 2)], "real"),
    ("cross_entropy spatial smoothing padded", lambda L, F, x: F.cross_entropy(
        x, L.tensor(np.array([[[0, -100], [2, 1]], [[1, 1], [-100, 0]]])), label_smoothing=0.2), [(2, 3, 2, 2)], "real"),
    ("cross_entropy weight smoothing ignore", lambda L, F, x: F.cross_entropy(
        x, labels(L, 0, 2, 1, 0), ignore_index=1, weight=constant(x, [0.5, 2.0, 1.5]), label_smoothing=0.2), [(4, 3)], "real"),
    ("cross_entropy spatial weight smoothing none", lambda L, F, x: F.cross_entropy(
        x, L.tensor(np.array([[0, 2, 1], [1, -100, 2]])), weight=constant(x, [0.5, 2.0, 1.5]), label_smoothing=0.1,
        reduction="none"), [(2, 3, 3)], "real"),
    ("cross_entropy spatial weight ignore sum", lambda L, F, x: F.cross_entropy(
        x, L.tensor(np.array([[0, 2, 1], [1, 1, 2]])), ignore_index=1, weight=constant(x, [0.5, 2.0, 1.5]), reduction="sum"),
     [(2, 3, 3)], "real"),
]

#: Cases PyTorch 2.13 cannot differentiate twice ("derivative for aten::hardsigmoid_backward is not
#: implemented"): checked against finite differences only.
FINITE_DIFFERENCES_ONLY = [
    ("hardsigmoid", lambda L, F, x: F.hardsigmoid(x * 3.0) * x, [(3, 4)], "real"),
]
