"""FractionalMaxPool2d/3d and F.fractional_max_pool2d/3d against PyTorch: with the same
``_random_samples`` the same windows (values, indices, gradients), by size and by ratio, batched
and not; the layers' options, reprs and state dicts; the refusals; gradients against finite
differences, first and second order."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.errors import ConfigError, ShapeError  # noqa: E402

F, TF = nn.functional, torch.nn.functional
RNG = np.random.default_rng(11)

CASES = [  # (n, input shape, kernel, output_size or None, output_ratio or None)
    (2, (2, 3, 9, 8), 2, (4, 5), None),
    (2, (1, 2, 7, 7), (3, 2), 3, None),
    (2, (2, 1, 10, 6), 2, None, 0.5),
    (2, (3, 8, 5), (2, 1), None, (0.7, 0.4)),  # unbatched
    (2, (1, 1, 6, 6), 2, (5, 5), None),  # no slack: every position starts a window
    (2, (2, 2, 5, 9), 1, (5, 2), None),
    (3, (2, 2, 7, 6, 8), 2, (3, 3, 4), None),
    (3, (1, 3, 6, 7, 5), (2, 3, 1), None, 0.5),
    (3, (2, 5, 6, 5), (1, 2, 2), (4, 3, 2), None),  # unbatched
]


def _call(lib_f, n, x, kernel, size, ratio, samples):
    return getattr(lib_f, f"fractional_max_pool{n}d")(x, kernel, output_size=size, output_ratio=ratio,
                                                      return_indices=True, _random_samples=samples)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n, shape, kernel, size, ratio", CASES)
def test_the_same_samples_give_pytorchs_windows_values_and_gradients(n, shape, kernel, size, ratio, dtype):
    if ratio is not None and not isinstance(ratio, tuple):
        ratio_theirs = (ratio,) * n  # (PyTorch's functional form takes a ratio for every axis only)
    else:
        ratio_theirs = ratio
    x = RNG.standard_normal(shape).astype(dtype)
    lead = shape[:2] if len(shape) == n + 2 else (1, shape[0])
    samples = RNG.random(lead + (n,)).astype(dtype)
    ours_x = dp.tensor(x, dtype=dtype, requires_grad=True)
    theirs_x = torch.tensor(x, requires_grad=True)
    out, where = _call(F, n, ours_x, kernel, size, ratio, samples)
    expected, expected_where = _call(TF, n, theirs_x, kernel, size, ratio_theirs, torch.tensor(samples))
    assert out.shape == tuple(expected.shape) and out.dtype == dtype
    np.testing.assert_array_equal(where.data, expected_where.numpy())
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    g = RNG.standard_normal(out.shape).astype(dtype)
    out.backward(g)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("n", [2, 3])
def test_the_layers_follow_pytorchs_with_their_samples_and_state_dicts(n):
    samples = RNG.random((2, 3, n))
    ours = getattr(nn, f"FractionalMaxPool{n}d")(2, output_ratio=0.5, return_indices=True, _random_samples=samples)
    theirs = getattr(torch.nn, f"FractionalMaxPool{n}d")(2, output_ratio=0.5, return_indices=True,
                                                       _random_samples=torch.tensor(samples))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["_random_samples"]
    assert (ours.kernel_size, ours.output_ratio, ours.output_size) == (theirs.kernel_size, theirs.output_ratio,
                                                                       theirs.output_size)
    x = RNG.standard_normal((2, 3) + (8,) * n)
    for _ in range(2):  # the same windows at every call
        (a, i), (b, j) = ours(dp.tensor(x, dtype=np.float64)), theirs(torch.tensor(x))
        np.testing.assert_array_equal(a.data, b.numpy())
        np.testing.assert_array_equal(i.data, j.numpy())
    plain = getattr(nn, f"FractionalMaxPool{n}d")((2,) * n, output_size=3)
    reference = getattr(torch.nn, f"FractionalMaxPool{n}d")((2,) * n, output_size=3)
    assert plain.output_size == reference.output_size and list(plain.state_dict()) == list(reference.state_dict()) == []


def test_without_samples_the_windows_are_drawn_from_deltaprops_generator():
    x = dp.tensor(RNG.standard_normal((4, 3, 12, 12)))
    pool = nn.FractionalMaxPool2d(3, output_size=5, return_indices=True)
    dp.manual_seed(5)
    first = pool(x)[1].data
    dp.manual_seed(5)
    assert np.array_equal(pool(x)[1].data, first)
    assert not np.array_equal(pool(x)[1].data, first)  # a new draw at the next call
    # each (sample, channel) has windows of its own: some pair differs in a batch this size
    assert len({first[i, c].tobytes() for i in range(4) for c in range(3)}) > 1


def test_the_with_indices_forms_return_both_whatever_return_indices_says():
    x = dp.tensor(RNG.standard_normal((1, 2, 6, 6)))
    s = RNG.random((1, 2, 2))
    values, where = F.fractional_max_pool2d_with_indices(x, 2, 3, return_indices=False, _random_samples=s)
    np.testing.assert_array_equal(values.data, F.fractional_max_pool2d(x, 2, 3, _random_samples=s).data)
    y = dp.tensor(RNG.standard_normal((1, 1, 5, 5, 5)))
    assert len(F.fractional_max_pool3d_with_indices(y, 2, 3, _random_samples=RNG.random((1, 1, 3)))) == 2


def test_gradients_against_finite_differences_first_and_second_order():
    s = RNG.random((2, 2, 2))
    x = dp.tensor(RNG.standard_normal((2, 2, 7, 6)), dtype=np.float64, requires_grad=True)

    def pool(t):
        return F.fractional_max_pool2d(t, (3, 2), output_size=(3, 4), _random_samples=s) ** 2

    assert dp.gradcheck(pool, (x,))
    assert dp.gradgradcheck(pool, (x,))
    y = dp.tensor(RNG.standard_normal((1, 2, 5, 6, 4)), dtype=np.float64, requires_grad=True)
    s3 = RNG.random((1, 2, 3))
    assert dp.gradcheck(lambda t: F.fractional_max_pool3d(t, 2, output_ratio=0.6, _random_samples=s3), (y,))


def test_overlapping_windows_that_share_a_maximum_pass_it_both_gradients():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = 5.0  # in every window of 2 at starts 0 and 1
    theirs = torch.tensor(x, requires_grad=True)
    ours = dp.tensor(x, dtype=np.float64, requires_grad=True)
    s = np.full((1, 1, 2), 0.3)
    F.fractional_max_pool2d(ours, 2, output_size=3, _random_samples=s).sum().backward()
    TF.fractional_max_pool2d(theirs, 2, output_size=3, _random_samples=torch.tensor(s)).sum().backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())
    assert ours.grad[0, 0, 1, 1] == 4.0


@pytest.mark.parametrize("call, torch_call, exception, words", [
    (lambda f: f.fractional_max_pool2d(np.zeros((1, 1, 5, 5)), 2), None, ConfigError,
     "give exactly one of output_size and output_ratio; neither was given"),
    (lambda f: f.fractional_max_pool2d(np.zeros((1, 1, 5, 5)), 2, output_size=2, output_ratio=0.5), None, ConfigError,
     "give exactly one of output_size and output_ratio; both were given"),
    (lambda f: f.fractional_max_pool2d(np.zeros((1, 1, 5, 5)), 2, output_size=5), RuntimeError, ShapeError,
     r"5 windows of 2 need at least 6 positions along H, the input of shape \(1, 1, 5, 5\) has 5"),
    (lambda f: f.fractional_max_pool2d(np.zeros((1, 1, 5, 5)), 6, output_size=1), RuntimeError, ShapeError,
     "1 windows of 6 need at least 6 positions"),
    (lambda f: f.fractional_max_pool2d(np.zeros((5, 5)), 2, output_size=2), IndexError, ShapeError,
     r"expected input of shape \(N, C, H, W\) or \(C, H, W\), got shape \(5, 5\)"),
    (lambda f: f.fractional_max_pool2d(np.zeros((1, 1, 5, 5)), 2, output_size=2, _random_samples=np.zeros((1, 1, 3))),
     RuntimeError, ShapeError, r"_random_samples must have shape \(1, 1, 2\)"),
    (lambda f: f.fractional_max_pool2d(np.zeros((1, 1, 5, 5)), 0, output_size=2), None, ConfigError,
     "kernel_size must be at least 1"),
    (lambda f: f.fractional_max_pool3d(np.zeros((1, 1, 5, 5, 5)), 2, output_ratio=(0.5, 1.0, 0.5)), None, ConfigError,
     "output_ratio must be a number between 0 and 1"),
    (lambda f: f.fractional_max_pool2d(np.zeros((1, 1, 5, 5)), 2, output_size=2,
                                       _random_samples=np.array([[[-0.5, 0.5]]])), None, ConfigError,
     r"_random_samples must lie in \[0, 1\]"),
])
def test_refusals(call, torch_call, exception, words):
    if torch_call is not None:  # PyTorch refuses it too (with the exception named)
        with pytest.raises(torch_call):
            call(_TorchF)
    with pytest.raises(exception, match=r"^fractional_max_pool[23]d: " + words):
        call(F)


class _TorchF:
    """PyTorch's functional forms on NumPy arrays, for the refusal table."""

    @staticmethod
    def fractional_max_pool2d(x, *args, _random_samples=None, **kwargs):
        s = None if _random_samples is None else torch.tensor(_random_samples, dtype=torch.float64)
        return TF.fractional_max_pool2d(torch.tensor(x), *args, _random_samples=s, **kwargs)


@pytest.mark.parametrize("make, words", [
    (lambda m: m.FractionalMaxPool2d(2), "give exactly one of output_size and output_ratio"),
    (lambda m: m.FractionalMaxPool2d(2, output_size=2, output_ratio=0.5), "give exactly one"),
    (lambda m: m.FractionalMaxPool2d(2, output_ratio=1.0), "output_ratio must be a number between 0 and 1"),
    (lambda m: m.FractionalMaxPool3d(2, output_ratio=(0.5, 0.5, 1.5)), "output_ratio must be a number between 0 and 1"),
])
def test_the_layers_refuse_their_options_as_pytorchs(make, words):
    with pytest.raises(ValueError):
        make(torch.nn)
    with pytest.raises(ConfigError, match=r"^FractionalMaxPool[23]d: " + words):
        make(nn)
