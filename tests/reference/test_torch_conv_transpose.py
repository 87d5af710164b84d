"""Transposed convolutions against PyTorch: values, gradients, output_size, reprs, initialisation,
refused options and in-place changes."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference the transposed convolutions are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.errors import ConfigError, GradError, ShapeError  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, TORCH_DTYPES, sample, twins  # noqa: E402


CASES = [
    # (class, constructor arguments, input shape)
    ("ConvTranspose1d", dict(in_channels=3, out_channels=4, kernel_size=3), (2, 3, 6)),
    ("ConvTranspose1d", dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding=1, output_padding=1), (2, 3, 6)),
    ("ConvTranspose1d", dict(in_channels=2, out_channels=3, kernel_size=2, stride=2, dilation=3, output_padding=2,
                             bias=False), (3, 2, 5)),
    ("ConvTranspose1d", dict(in_channels=4, out_channels=6, kernel_size=3, stride=3, padding=2, groups=2), (2, 4, 7)),
    ("ConvTranspose1d", dict(in_channels=4, out_channels=4, kernel_size=4, stride=2, padding=1, groups=4), (4, 9)),  # unbatched
    ("ConvTranspose2d", dict(in_channels=3, out_channels=4, kernel_size=3), (2, 3, 5, 4)),
    ("ConvTranspose2d", dict(in_channels=16, out_channels=8, kernel_size=3, stride=2), (2, 16, 7, 7)),
    ("ConvTranspose2d", dict(in_channels=3, out_channels=2, kernel_size=4, stride=2, padding=1), (2, 3, 5, 6)),
    ("ConvTranspose2d", dict(in_channels=2, out_channels=3, kernel_size=(2, 3), stride=(1, 2), padding=(1, 0),
                             output_padding=(0, 1), dilation=(2, 1)), (2, 2, 6, 5)),
    ("ConvTranspose2d", dict(in_channels=4, out_channels=6, kernel_size=(3, 1), stride=(3, 2), padding=(1, 0),
                             output_padding=(2, 1), groups=2), (2, 4, 4, 5)),
    ("ConvTranspose2d", dict(in_channels=4, out_channels=8, kernel_size=3, stride=2, dilation=3, output_padding=2,
                             groups=4, bias=False), (2, 4, 3, 4)),
    ("ConvTranspose2d", dict(in_channels=3, out_channels=2, kernel_size=(3, 2), stride=2, padding=1, output_padding=1),
     (3, 5, 4)),  # unbatched
    ("ConvTranspose2d", dict(in_channels=2, out_channels=4, kernel_size=1, stride=3, groups=2), (2, 2, 3, 3)),
]


def compare(ours, theirs, x, dtype, **call):
    tol = TOLERANCES[dtype]
    xd = dp.tensor(x, dtype=dtype, requires_grad=True)
    xt = torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    out, expected = ours(xd, **call), theirs(xt, **call)
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
    upstream = sample(out.shape, seed=1).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(xd.grad, xt.grad.numpy(), err_msg="input", **tol)
    reference = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, reference[key].grad.numpy(), err_msg=key, **tol)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_layer_matches_pytorch(name, kwargs, shape, dtype):
    compare(*twins(name, kwargs, dtype), sample(shape), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("dims, output_size", [(2, (10, 11)), (2, [2, 3, 9, 12]), (1, (14,)), (1, [3, 13])])
def test_output_size_matches_pytorch(dims, output_size, dtype):
    name = f"ConvTranspose{dims}d"
    kwargs = dict(in_channels=3, out_channels=2, kernel_size=3, stride=(2, 3)[:dims] if dims == 2 else 2, padding=1)
    shape = (2, 3, 5, 4) if dims == 2 else ((2, 3, 7) if len(output_size) != 2 else (3, 7))
    compare(*twins(name, kwargs, dtype), sample(shape), dtype, output_size=output_size)


@pytest.mark.parametrize("dims", [1, 2])
@pytest.mark.parametrize("groups", [1, 3])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_functional_matches_pytorch_over_a_grid(dims, groups, bias):
    """Every stride, padding, output_padding and dilation of a small grid, float64."""
    ours = F.conv_transpose1d if dims == 1 else F.conv_transpose2d
    theirs = torch.nn.functional.conv_transpose1d if dims == 1 else torch.nn.functional.conv_transpose2d
    spatial = (5,) if dims == 1 else (4, 3)
    kernel = (3,) if dims == 1 else (2, 3)
    x, w, b = sample((2, 6, *spatial)), sample((6, 2, *kernel), seed=1), sample(2 * groups, seed=2)
    cases = 0
    for stride in (1, 2, 3):
        for padding in (0, 1, 2):
            for dilation in (1, 2):
                for output_padding in range(max(stride, dilation)):
                    options = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups,
                                   dilation=dilation)
                    if min((l - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
                           for l, k in zip(spatial, kernel)) < 1:
                        continue
                    xd, wd, bd = (dp.tensor(a, dtype=np.float64, requires_grad=True) for a in (x, w, b))
                    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
                    out = ours(xd, wd, bd if bias else None, **options)
                    expected = theirs(xt, wt, bt if bias else None, **options)
                    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12,
                                               err_msg=str(options))
                    upstream = sample(out.shape, seed=3)
                    out.backward(upstream)
                    expected.backward(torch.from_numpy(upstream))
                    for mine, reference, what in [(xd, xt, "input"), (wd, wt, "weight")] + ([(bd, bt, "bias")] if bias else []):
                        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=1e-10, atol=1e-12,
                                                   err_msg=f"{what} {options}")
                    cases += 1
    assert cases >= 30  # 39 to 45 combinations, by the spatial sizes


@pytest.mark.parametrize("name, kwargs", [
    ("ConvTranspose2d", dict(in_channels=16, out_channels=8, kernel_size=3, stride=2)),
    ("ConvTranspose2d", dict(in_channels=16, out_channels=8, kernel_size=3, stride=2, padding=1, output_padding=1,
                             groups=2, bias=False, dilation=2)),
    ("ConvTranspose2d", dict(in_channels=4, out_channels=4, kernel_size=(3, 1), stride=(2, 1), padding=(1, 0))),
    ("ConvTranspose1d", dict(in_channels=4, out_channels=6, kernel_size=3)),
    ("ConvTranspose1d", dict(in_channels=6, out_channels=3, kernel_size=5, dilation=2, output_padding=1, groups=3)),
])
def test_layers_print_and_name_their_parameters_as_pytorchs(name, kwargs):
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    assert [(k, p.shape) for k, p in ours.named_parameters()] == [(k, tuple(q.shape)) for k, q in theirs.named_parameters()]


@pytest.mark.parametrize("name, kwargs", [
    ("ConvTranspose2d", dict(in_channels=2, out_channels=64, kernel_size=3)),  # fan_in 576; in_channels·9 would be 18
    ("ConvTranspose2d", dict(in_channels=64, out_channels=4, kernel_size=(3, 2), groups=2)),  # fan_in 12
    ("ConvTranspose1d", dict(in_channels=1, out_channels=4096, kernel_size=1)),  # many biases: fan_in 4096
])
def test_initialisation_matches_pytorchs_statistics(name, kwargs):
    """PyTorch takes fan_in from the weight's shape (its second axis times the kernel), which for a
    transposed convolution is out_channels / groups · k; weight and bias come from U(±1/√fan_in)."""
    torch.manual_seed(0)
    dp.manual_seed(0)
    ours = [getattr(nn, name)(**kwargs) for _ in range(200)]
    theirs = [getattr(torch.nn, name)(**kwargs) for _ in range(200)]
    fan_in = torch.nn.init._calculate_fan_in_and_fan_out(theirs[0].weight)[0]
    assert fan_in == kwargs["out_channels"] // kwargs.get("groups", 1) * math.prod(ours[0].kernel_size)
    bound = 1 / math.sqrt(fan_in)
    for key in ("weight", "bias"):
        mine = np.concatenate([getattr(m, key).data.ravel() for m in ours])
        reference = np.concatenate([getattr(m, key).detach().numpy().ravel() for m in theirs])
        for values in (mine, reference):
            assert np.abs(values).max() <= bound * (1 + 1e-6)
        # The same uniform distribution: equal ranges, standard deviations bound/√3, means 0.
        np.testing.assert_allclose(np.abs(mine).max(), np.abs(reference).max(), rtol=0.05, err_msg=key)
        np.testing.assert_allclose(mine.std(), reference.std(), rtol=0.1, err_msg=key)
        np.testing.assert_allclose(mine.std(), bound / math.sqrt(3), rtol=0.1, err_msg=key)
        assert abs(mine.mean()) < 4 * bound / math.sqrt(3 * mine.size)


@pytest.mark.parametrize("kwargs, shape", [
    (dict(stride=1, output_padding=1), (1, 2, 3, 3)),  # output_padding must be below stride or dilation
    (dict(stride=(2, 1), output_padding=(1, 1)), (1, 2, 3, 3)),
    (dict(padding=3), (1, 2, 2, 2)),  # the output would be smaller than one position
])
def test_what_pytorch_refuses_is_refused(kwargs, shape):
    x, w = sample(shape), sample((2, 2, 3, 3), seed=1)
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv_transpose2d(torch.tensor(x), torch.tensor(w), **kwargs)
    with pytest.raises((ConfigError, ShapeError)):
        F.conv_transpose2d(x, w, **kwargs)


def test_what_pytorch_allows_near_the_limits_is_allowed():
    x, w = sample((1, 2, 3, 3)), sample((2, 2, 3, 3), seed=1)
    for kwargs in (dict(stride=1, dilation=2, output_padding=1), dict(padding=2), dict(stride=(3, 1), output_padding=(2, 0))):
        expected = torch.nn.functional.conv_transpose2d(torch.tensor(x), torch.tensor(w), **kwargs).numpy()
        np.testing.assert_allclose(F.conv_transpose2d(x, w, **kwargs).data, expected, rtol=1e-10, atol=1e-12)


def pair(values, requires_grad=False):
    values = np.asarray(values, dtype=np.float64)
    return dp.tensor(values, requires_grad=requires_grad, dtype=dp.float64), torch.tensor(values, requires_grad=requires_grad)


@pytest.mark.parametrize("groups", [1, 2], ids=lambda g: f"groups={g}")
@pytest.mark.parametrize("needs", ["x and w", "w only", "x only"])
@pytest.mark.parametrize("changed", ["x", "w", "b"])
def test_in_place_changes_are_refused_as_pytorch_refuses_them(groups, needs, changed):
    """The rule keeps the input and the weight (as conv2d does, and as PyTorch saves them), never the bias."""
    rng = np.random.default_rng(0)
    arrays = {"x": rng.standard_normal((2, 4, 3, 3)), "w": rng.standard_normal((4, 6 // groups, 3, 3)),
              "b": rng.standard_normal(6)}
    grads = {"x": needs != "w only", "w": needs != "x only", "b": True}
    ours = {k: pair(v, requires_grad=grads[k]) for k, v in arrays.items()}
    y = F.conv_transpose2d(*(ours[k][0] for k in "xwb"), stride=2, groups=groups).sum()
    ty = torch.nn.functional.conv_transpose2d(*(ours[k][1] for k in "xwb"), stride=2, groups=groups).sum()
    with dp.no_grad(), torch.no_grad():
        for t in ours[changed]:
            t.mul_(3.0)
    if changed == "b":  # the bias's values are no rule's business
        y.backward()
        ty.backward()
        for k in "xwb":
            if grads[k]:
                np.testing.assert_allclose(ours[k][0].grad, ours[k][1].grad.numpy(), rtol=1e-12, err_msg=k)
        return
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.backward()
    with pytest.raises(GradError, match=r"an input of 'conv_transpose2d' \(shape .*\) was changed in place"):
        y.backward()
