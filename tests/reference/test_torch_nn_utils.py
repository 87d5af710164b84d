"""nn.utils beyond gradient clipping, against PyTorch 2.13: parameters as one vector and back, the
total norm and clipping by a given norm, batch-norm fusion (both the ``*_weights`` and the
``*_eval`` forms) and skip_init; in float32 and float64, each refusal in one sentence."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.errors import ConfigError, GradError, ShapeError  # noqa: E402

DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}
TORCH = {np.float32: torch.float32, np.float64: torch.float64}


def _twin_parameters(dtype, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=shape).astype(dtype) for shape in [(3, 4), (4,), (2, 3, 2), ()]]
    return [nn.Parameter(a.copy()) for a in arrays], [torch.tensor(a.copy(), requires_grad=True) for a in arrays]


# -- parameters as one vector ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_parameters_to_vector_values_and_gradients_match_pytorch(dtype):
    ours, theirs = _twin_parameters(dtype)
    vec_ours = nn.utils.parameters_to_vector(ours)
    vec_theirs = torch.nn.utils.parameters_to_vector(theirs)
    assert vec_ours.shape == tuple(vec_theirs.shape) == (29,) and vec_ours.dtype == dtype
    np.testing.assert_array_equal(vec_ours.data, vec_theirs.detach().numpy())
    weights = np.linspace(-1, 2, 29).astype(dtype)
    (dp.tensor(weights, dtype=dtype) * vec_ours * vec_ours).sum().backward()
    (torch.from_numpy(weights) * vec_theirs * vec_theirs).sum().backward()
    for p_ours, p_theirs in zip(ours, theirs):
        np.testing.assert_allclose(p_ours.grad, p_theirs.grad.numpy(), rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


def test_parameters_to_vector_passes_gradcheck():
    ours, _ = _twin_parameters(np.float64)
    assert dp.gradcheck(lambda *ps: nn.utils.parameters_to_vector(ps) ** 2, ours)


@pytest.mark.parametrize("dtype", DTYPES)
def test_vector_to_parameters_matches_pytorch_and_keeps_each_dtype(dtype):
    ours, theirs = _twin_parameters(dtype)
    arrays = [p.data for p in ours]
    vec = np.arange(29, dtype=np.float64) / 7
    nn.utils.vector_to_parameters(dp.tensor(vec, dtype=np.float64), ours)
    torch.nn.utils.vector_to_parameters(torch.from_numpy(vec.astype(dtype)), theirs)
    for p_ours, p_theirs, array in zip(ours, theirs, arrays):
        assert p_ours.data is array and p_ours.dtype == dtype  # written in place
        np.testing.assert_allclose(p_ours.data, p_theirs.detach().numpy(), rtol=TOLERANCE[dtype])


def test_vector_to_parameters_refuses_a_graph_recorded_before_it():
    w = nn.Parameter(np.ones(3))
    loss = (w * w).sum()
    nn.utils.vector_to_parameters(dp.tensor([1.0, 2.0, 3.0], dtype=np.float64), [w])
    with pytest.raises(GradError, match="changed in place"):
        loss.backward()


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda ps: nn.utils.vector_to_parameters(np.zeros(29), ps), TypeError,
         r"vector_to_parameters: vec must be a Tensor, got ndarray"),
        (lambda ps: nn.utils.vector_to_parameters(dp.zeros(28), ps), ShapeError,
         r"vector_to_parameters: vec must be 1-d with 29 elements \(the parameters' total\), got shape \(28,\)"),
        (lambda ps: nn.utils.vector_to_parameters(dp.zeros((3, 9)), ps), ShapeError, r"got shape \(3, 9\)"),
        (lambda ps: nn.utils.parameters_to_vector([]), ConfigError, r"parameters_to_vector: got no parameters"),
    ],
)
def test_vector_refusals_are_one_sentence(call, error, match):
    ours, _ = _twin_parameters(np.float32)
    before = [p.data.copy() for p in ours]
    with pytest.raises(error, match=match):
        call(ours)
    assert all(np.array_equal(p.data, b) for p, b in zip(ours, before))


# -- norms and clipping ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.5, 0.5, float("inf"), 0.0, -1.0, -2.5, float("-inf")])
def test_get_total_norm_matches_pytorch(norm_type, dtype):
    ours, theirs = _twin_parameters(dtype, seed=3)
    total = nn.utils.get_total_norm(ours, norm_type)
    expected = torch.nn.utils.get_total_norm(theirs, norm_type)
    assert total.dtype == dtype
    assert total.item() == pytest.approx(expected.item(), rel=TOLERANCE[dtype])
    assert nn.utils.get_total_norm([]).item() == 0.0 == torch.nn.utils.get_total_norm([]).item()


def test_get_total_norm_refuses_a_non_finite_norm_when_asked():
    values = [dp.tensor([1.0, float("inf")])]
    assert nn.utils.get_total_norm(values).item() == float("inf")
    with pytest.raises(GradError, match=r"get_total_norm: the total norm of order 2 is inf; set error_if_nonfinite"):
        nn.utils.get_total_norm(values, error_if_nonfinite=True)
    with pytest.raises(ConfigError, match=r"get_total_norm: norm_type must be a number \(inf and -inf included\), got nan"):
        nn.utils.get_total_norm(values, norm_type=float("nan"))


@pytest.mark.parametrize("norm_type", [0.0, -1.0, float("-inf"), 2.0])
def test_norms_of_order_zero_and_below_count_zeros_as_pytorch_does(norm_type):
    """Order 0 is, in PyTorch's norm of the per-tensor norms, the number of tensors holding a
    non-zero; a negative order or -inf is 0 where any element is 0. Clipping then follows."""
    grads = [np.array([0.0, 2.0, -3.0]), np.zeros(2), np.array([[0.5, -0.25]])]
    ours = [dp.tensor(np.ones_like(g), dtype=np.float64, requires_grad=True) for g in grads]
    theirs = [torch.ones(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for a, b, g in zip(ours, theirs, grads):
        a.grad, b.grad = g.copy(), torch.tensor(g)
    total = nn.utils.clip_grad_norm_(ours, 0.1, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 0.1, norm_type=norm_type)
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clipping_with_a_norm_of_more_gradients_matches_pytorch(max_norm, dtype):
    # The PyTorch recipe: one norm over every gradient, then each part clipped with it.
    ours, theirs = _twin_parameters(dtype, seed=4)
    rng = np.random.default_rng(5)
    for p_ours, p_theirs in zip(ours, theirs):
        g = rng.normal(size=p_ours.shape).astype(dtype)
        p_ours.grad, p_theirs.grad = g.copy(), torch.from_numpy(g.copy())
    total_ours = nn.utils.get_total_norm([p.grad for p in ours])
    total_theirs = torch.nn.utils.get_total_norm([p.grad for p in theirs])
    nn.utils.clip_grads_with_norm_(ours[:2], max_norm, total_ours)
    torch.nn.utils.clip_grads_with_norm_(theirs[:2], max_norm, total_theirs)
    nn.utils.clip_grads_with_norm_(ours[2:], max_norm, float(total_ours.item()))  # a number serves too
    torch.nn.utils.clip_grads_with_norm_(theirs[2:], max_norm, total_theirs)
    for p_ours, p_theirs in zip(ours, theirs):
        np.testing.assert_allclose(p_ours.grad, p_theirs.grad.numpy(), rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])
    if max_norm < 1:
        assert nn.utils.get_total_norm([p.grad for p in ours]).item() == pytest.approx(max_norm, rel=1e-5)
    with pytest.raises(ConfigError, match=r"clip_grads_with_norm_: max_norm must be a non-negative number, got -1.0"):
        nn.utils.clip_grads_with_norm_(ours, -1, total_ours)


# -- batch-norm fusion ------------------------------------------------------------------------------


def _bn_pair(kind, features, dtype, affine=True, seed=0):
    rng = np.random.default_rng(seed)
    ours = getattr(nn, kind)(features, affine=affine, dtype=dtype)
    theirs = getattr(torch.nn, kind)(features, affine=affine, dtype=TORCH[dtype])
    values = {
        "running_mean": rng.normal(size=features), "running_var": rng.uniform(0.5, 2.0, size=features),
        "weight": rng.normal(size=features), "bias": rng.normal(size=features),
    }
    for name, value in values.items():
        target = getattr(ours, name)
        if target is None:  # no affine weight and bias
            continue
        (target.data if isinstance(target, dp.Tensor) else target)[...] = value
        with torch.no_grad():
            getattr(theirs, name).copy_(torch.from_numpy(value.astype(dtype)))
    return ours.eval(), theirs.eval()


def _layer_pair(kind, args, dtype, bias=True):
    dp.manual_seed(1)
    ours = getattr(nn, kind)(*args, bias=bias, dtype=dtype)
    theirs = getattr(torch.nn, kind)(*args, bias=bias, dtype=TORCH[dtype])
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data.copy()))
        if bias:
            theirs.bias.copy_(torch.from_numpy(ours.bias.data.copy()))
    return ours.eval(), theirs.eval()


FUSION_CASES = [
    ("Conv2d", (3, 4, 3), "BatchNorm2d", 4, (2, 3, 6, 6), False),
    ("Conv1d", (2, 5, 3), "BatchNorm1d", 5, (2, 2, 7), False),
    ("ConvTranspose2d", (3, 4, 2), "BatchNorm2d", 4, (2, 3, 4, 4), True),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "no-affine"])
@pytest.mark.parametrize("case", FUSION_CASES, ids=[case[0] for case in FUSION_CASES])
def test_fused_convolution_equals_conv_then_batch_norm_and_pytorchs(case, affine, bias, dtype):
    kind, args, bn_kind, features, shape, transpose = case
    conv_ours, conv_theirs = _layer_pair(kind, args, dtype, bias)
    bn_ours, bn_theirs = _bn_pair(bn_kind, features, dtype, affine)
    fused_ours = nn.utils.fuse_conv_bn_eval(conv_ours, bn_ours, transpose=transpose)
    fused_theirs = torch.nn.utils.fuse_conv_bn_eval(conv_theirs, bn_theirs, transpose=transpose)
    assert fused_ours is not conv_ours and fused_ours.weight is not conv_ours.weight
    assert fused_ours.weight.dtype == fused_ours.bias.dtype == dtype
    tolerance = TOLERANCE[dtype] * 10
    np.testing.assert_allclose(fused_ours.weight.data, fused_theirs.weight.detach().numpy(), rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(fused_ours.bias.data, fused_theirs.bias.detach().numpy(), rtol=tolerance, atol=tolerance)
    x = np.random.default_rng(2).normal(size=shape).astype(dtype)
    np.testing.assert_allclose(fused_ours(dp.tensor(x, dtype=dtype)).data, bn_ours(conv_ours(dp.tensor(x, dtype=dtype))).data,
                               rtol=tolerance * 10, atol=tolerance * 10)
    if not bias:
        assert conv_ours.bias is None  # the original is left alone


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("features", [6, 1])
def test_fused_linear_equals_linear_then_batch_norm_and_pytorchs(features, dtype):
    linear_ours, linear_theirs = _layer_pair("Linear", (4, 6), dtype)
    bn_ours, bn_theirs = _bn_pair("BatchNorm1d", features, dtype)
    fused_ours = nn.utils.fuse_linear_bn_eval(linear_ours, bn_ours)
    fused_theirs = torch.nn.utils.fuse_linear_bn_eval(linear_theirs, bn_theirs)
    tolerance = TOLERANCE[dtype] * 10
    np.testing.assert_allclose(fused_ours.weight.data, fused_theirs.weight.detach().numpy(), rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(fused_ours.bias.data, fused_theirs.bias.detach().numpy(), rtol=tolerance, atol=tolerance)
    if features == 6:
        x = np.random.default_rng(3).normal(size=(5, 4)).astype(dtype)
        np.testing.assert_allclose(fused_ours(dp.tensor(x, dtype=dtype)).data,
                                   bn_ours(linear_ours(dp.tensor(x, dtype=dtype))).data, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_weights_forms_match_pytorchs(dtype):
    rng = np.random.default_rng(6)
    w, b = rng.normal(size=(5, 3, 2, 2)).astype(dtype), rng.normal(size=5).astype(dtype)
    mean, var, gamma, beta = (rng.normal(size=5).astype(dtype), rng.uniform(0.5, 2, 5).astype(dtype),
                              rng.normal(size=5).astype(dtype), rng.normal(size=5).astype(dtype))
    t = [torch.from_numpy(a) for a in (w, b, mean, var, gamma, beta)]
    ours = nn.utils.fuse_conv_bn_weights(dp.tensor(w, dtype=dtype), None, mean, var, 1e-3, None, beta)
    theirs = torch.nn.utils.fuse_conv_bn_weights(t[0], None, t[2], t[3], 1e-3, None, t[5])
    for a, e in zip(ours, theirs):
        assert isinstance(a, nn.Parameter) and a.requires_grad == e.requires_grad
        np.testing.assert_allclose(a.data, e.detach().numpy(), rtol=TOLERANCE[dtype] * 10, atol=TOLERANCE[dtype] * 10)
    w2 = w.reshape(5, 12)
    ours = nn.utils.fuse_linear_bn_weights(w2, b, mean, var, 1e-5, gamma, beta)
    theirs = torch.nn.utils.fuse_linear_bn_weights(torch.from_numpy(w2), t[1], t[2], t[3], 1e-5, t[4], t[5])
    for a, e in zip(ours, theirs):
        np.testing.assert_allclose(a.data, e.detach().numpy(), rtol=TOLERANCE[dtype] * 10, atol=TOLERANCE[dtype] * 10)


def test_fusion_refusals_are_one_sentence():
    conv, bn = nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)
    with pytest.raises(ConfigError, match=r"fuse_conv_bn_eval: fusion is for evaluation only, and the layer \(Conv2d\) "
                                          r"is in training mode; call .eval\(\) on both first"):
        nn.utils.fuse_conv_bn_eval(conv, bn.eval())
    with pytest.raises(ConfigError, match=r"the batch norm \(BatchNorm2d\) is in training mode"):
        nn.utils.fuse_conv_bn_eval(conv.eval(), bn.train())
    with pytest.raises(ConfigError, match=r"keeps no running statistics"):
        nn.utils.fuse_conv_bn_eval(conv.eval(), nn.BatchNorm2d(4, track_running_stats=False).eval())
    with pytest.raises(ConfigError, match=r"fuse_linear_bn_eval: the batch norm has 3 features and the linear layer 6 "
                                          r"outputs; they must be equal \(or the batch norm must have 1\)"):
        nn.utils.fuse_linear_bn_eval(nn.Linear(4, 6).eval(), nn.BatchNorm1d(3).eval())


# -- skip_init --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, args", [("Linear", (3, 4)), ("Conv2d", (2, 3, 3)), ("Embedding", (5, 2))])
def test_skip_init_builds_the_module_without_drawing_its_weights(kind, args):
    dp.manual_seed(11)
    expected_next = dp.rand(3).data
    dp.manual_seed(11)
    module = nn.utils.skip_init(getattr(nn, kind), *args)
    assert np.array_equal(dp.rand(3).data, expected_next), "the initialisation drew random numbers"
    reference = getattr(torch.nn.utils.skip_init(getattr(torch.nn, kind), *args), "weight")
    assert module.weight.shape == tuple(reference.shape)
    assert "reset_parameters" not in vars(module)  # the module's own method is back
    module.reset_parameters()
    assert np.all(np.isfinite(module.weight.data))


def test_skip_init_refuses_what_is_not_a_module_class():
    with pytest.raises(ConfigError, match=r"skip_init: expected a Module class, got <function"):
        nn.utils.skip_init(lambda: None)
