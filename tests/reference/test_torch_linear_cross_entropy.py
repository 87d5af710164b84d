"""F.linear_cross_entropy and nn.LinearCrossEntropyLoss against PyTorch 2.13: the same input,
weights and targets give the same loss and the same gradients for the input, the linear weight and
bias and (for probabilities) the target, for every reduction, class weights, ignore_index, label
smoothing, K-dimensional weights and unbatched input; errors where PyTorch refuses."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these losses are compared with")
if not hasattr(torch.nn.functional, "linear_cross_entropy"):
    pytest.skip("this PyTorch has no linear_cross_entropy", allow_module_level=True)

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.errors import ConfigError, ShapeError  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402

RNG = np.random.default_rng(11)
TF = torch.nn.functional

# (input shape, linear weight shape, target: "labels" or "probs")
LAYOUTS = [
    ((6, 4), (5, 4), "labels"),
    ((6, 4), (5, 4), "probs"),
    ((4,), (5, 4), "labels"),
    ((4,), (5, 4), "probs"),
    ((6, 4), (5, 3, 4), "labels"),
    ((6, 4), (5, 3, 2, 4), "probs"),
]
OPTIONS = [
    {},
    {"reduction": "sum"},
    {"reduction": "none"},
    {"weight": "w"},
    {"weight": "w", "reduction": "none"},
    {"label_smoothing": 0.3},
    {"label_smoothing": 0.2, "weight": "w"},
    {"ignore_index": 2},
    {"ignore_index": 2, "weight": "w", "label_smoothing": 0.1},
    {"bias": True},
    {"bias": True, "options": True},
]

# (ignore_index with probabilities: refused by both, see test_ignore_index_with_probabilities_is_refused)
CASES = [layout + (options,) for layout in LAYOUTS for options in OPTIONS
         if not ("ignore_index" in options and layout[2] == "probs")]


def target_for(kind, x_shape, w_shape):
    classes, rest = w_shape[0], w_shape[1:-1]
    batch = x_shape[:-1]
    if kind == "labels":
        labels = RNG.integers(0, classes, batch + rest)
        labels.flat[0] = 2  # so that ignore_index=2 leaves something out
        return labels
    logits = RNG.standard_normal(batch + (classes,) + rest)
    return np.exp(logits) / np.exp(logits).sum(axis=len(batch), keepdims=True)


@pytest.mark.filterwarnings("ignore:linear_cross_entropy")  # (PyTorch's note that it will not chunk these)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("x_shape, w_shape, kind, options", CASES, ids=[f"{c[:3]}-{','.join(c[3]) or 'default'}" for c in CASES])
def test_values_and_gradients_match_pytorch(x_shape, w_shape, kind, options, dtype):
    x = RNG.standard_normal(x_shape).astype(dtype)
    W = RNG.standard_normal(w_shape).astype(dtype)
    b = RNG.standard_normal(w_shape[:-1]).astype(dtype)
    w = RNG.uniform(0.2, 2.0, w_shape[0]).astype(dtype)
    t = target_for(kind, x_shape, w_shape)
    t = t.astype(dtype) if kind == "probs" else t
    kwargs = {key: value for key, value in options.items() if key not in ("weight", "bias", "options")}
    grad_t = kind == "probs"

    tx, tW, tb = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    tt = torch.tensor(t, requires_grad=grad_t)
    tkw = dict(kwargs, linear_bias=tb if options.get("bias") else None,
               weight=torch.tensor(w) if "weight" in options else None,
               options=torch.nn.LinearCrossEntropyOptions() if options.get("options") else None)
    if options.get("options") and x.ndim == 1:
        tkw["options"] = None  # (PyTorch's chunked path wants a batch; the values are the same)
    expected = TF.linear_cross_entropy(tx, tW, tt, **tkw)

    dx, dW, db = (dp.tensor(a, dtype=dtype, requires_grad=True) for a in (x, W, b))
    dt = dp.tensor(t, dtype=t.dtype, requires_grad=grad_t)
    dkw = dict(kwargs, linear_bias=db if options.get("bias") else None,
               weight=dp.tensor(w, dtype=dtype) if "weight" in options else None,
               options=nn.LinearCrossEntropyOptions() if options.get("options") else None)
    got = F.linear_cross_entropy(dx, dW, dt, **dkw)

    rtol, atol = (1e-10, 1e-12) if dtype == "float64" else (2e-5, 2e-6)
    assert got.shape == tuple(expected.shape)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got.numpy(), expected.detach().numpy(), rtol=rtol, atol=atol)
    seed = RNG.standard_normal(tuple(expected.shape)).astype(dtype)
    expected.backward(torch.tensor(seed))
    got.backward(dp.tensor(seed, dtype=dtype))
    pairs = [(dx, tx), (dW, tW)] + ([(db, tb)] if options.get("bias") else []) + ([(dt, tt)] if grad_t else [])
    for mine, theirs in pairs:
        np.testing.assert_allclose(np.asarray(mine.grad), theirs.grad.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("settings", [
    dict(in_features=4, num_classes=5),
    dict(in_features=4, num_classes=5, bias=True, reduction="sum"),
    dict(in_features=4, num_classes=5, out_features=(3, 2), bias=True, label_smoothing=0.2),
    dict(in_features=4, num_classes=5, ignore_index=1, weight=[1.0, 2.0, 0.5, 1.0, 3.0]),
], ids=str)
def test_the_module_matches_pytorch_with_the_same_weights(settings):
    theirs_settings = dict(settings)
    if "weight" in settings:
        theirs_settings["weight"] = torch.tensor(settings["weight"], dtype=torch.float64)
    theirs = torch.nn.LinearCrossEntropyLoss(**theirs_settings, dtype=torch.float64)
    mine = nn.LinearCrossEntropyLoss(**settings, dtype="float64")
    assert list(mine.state_dict()) == list(theirs.state_dict())
    mine.linear.weight.data[...] = theirs.linear.weight.detach().numpy()
    if theirs.linear.bias is not None:
        mine.linear.bias.data[...] = theirs.linear.bias.detach().numpy()
    assert repr(mine).splitlines()[1].strip() == repr(theirs).splitlines()[1].strip()
    x = RNG.standard_normal((6, 4))
    t = RNG.integers(0, 5, (6,) + tuple(settings.get("out_features", ())))
    tx = torch.tensor(x, requires_grad=True)
    expected = theirs(tx, torch.tensor(t))
    dx = dp.tensor(x, dtype="float64", requires_grad=True)
    got = mine(dx, dp.tensor(t))
    np.testing.assert_allclose(got.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    expected.backward()
    got.backward()
    np.testing.assert_allclose(np.asarray(dx.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(mine.linear.weight.grad), theirs.linear.weight.grad.numpy(), rtol=1e-10,
                               atol=1e-12)


def test_ignore_index_with_probabilities_is_refused():
    x, W = RNG.standard_normal((3, 4)), RNG.standard_normal((5, 4))
    p = np.full((3, 5), 0.2)
    with pytest.raises(RuntimeError):
        TF.linear_cross_entropy(torch.tensor(x), torch.tensor(W), torch.tensor(p), ignore_index=-100)
    with pytest.raises(ConfigError, match="linear_cross_entropy: ignore_index"):
        F.linear_cross_entropy(x, W, p, ignore_index=-100)


@pytest.mark.parametrize("x_shape, w_shape, b_shape", [
    ((3, 4), (5, 3), None),        # in_features differ
    ((4,), (5, 2, 4), None),       # K-dimensional weight, unbatched input
    ((3, 4), (5, 4), (4,)),        # bias of the wrong shape
    ((3, 4), (4,), None),          # a weight vector
])
def test_shapes_pytorch_refuses_are_refused(x_shape, w_shape, b_shape):
    x, W = RNG.standard_normal(x_shape), RNG.standard_normal(w_shape)
    b = None if b_shape is None else RNG.standard_normal(b_shape)
    t = np.zeros(x_shape[:-1] + tuple(w_shape[1:-1]), dtype=np.int64)
    with pytest.raises(RuntimeError):
        TF.linear_cross_entropy(torch.tensor(x), torch.tensor(W), torch.tensor(t),
                                linear_bias=None if b is None else torch.tensor(b))
    with pytest.raises(ShapeError, match="linear_cross_entropy"):
        F.linear_cross_entropy(x, W, t, linear_bias=b)
