"""An infinite or NaN incoming gradient through the piecewise-linear activations, against PyTorch:
where the slope is 0 PyTorch selects 0 (its threshold_backward and clamp rules choose, they do not
multiply), so ±inf·0 gives 0, not NaN, and a NaN gradient is dropped there too; where the slope is
1 (or leaky_relu's s) the gradient passes, NaN and infinities included.

ReLU's rule multiplies by a 0/1 mask (its backward is a hot path): every form that selects instead
measured slower at small sizes, so its difference stays, pinned below as an expected failure.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these rules are compared with")

import deltaprop as dp  # noqa: E402

DTYPES = [np.float64, np.float32]
TORCH_DTYPES = {np.float64: torch.float64, np.float32: torch.float32}

# inputs at, below, between and above the kinks of every function below, each met by ±inf and NaN
X = np.array([-7.0, -2.0, -1.0, -0.5, 0.0, 0.5, 0.7, 1.0, 3.0, 6.0, 7.0] * 3)
G = np.repeat([np.inf, -np.inf, np.nan], 11)

FUNCTIONS = {
    "leaky_relu": (lambda x: dp.ops.leaky_relu(x, 0.1), lambda t: torch.nn.functional.leaky_relu(t, 0.1)),
    "leaky_relu slope 2": (lambda x: dp.ops.leaky_relu(x, 2.0), lambda t: torch.nn.functional.leaky_relu(t, 2.0)),
    "relu6": (dp.ops.relu6, torch.nn.functional.relu6),
    "hardtanh": (dp.ops.hardtanh, torch.nn.functional.hardtanh),
    "hardtanh wide": (lambda x: dp.ops.hardtanh(x, -2.0, 3.0), lambda t: torch.nn.functional.hardtanh(t, -2.0, 3.0)),
    "threshold": (lambda x: dp.ops.threshold(x, 0.5, 2.0), lambda t: torch.nn.functional.threshold(t, 0.5, 2.0)),
}


def _gradients(ours, theirs, dtype, g=G):
    x = dp.tensor(X, dtype=dtype, requires_grad=True)
    t = torch.tensor(X, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    with np.errstate(invalid="ignore"):
        ours(x).backward(g.astype(dtype))
    theirs(t).backward(torch.tensor(g, dtype=TORCH_DTYPES[dtype]))
    return x.grad, t.grad.numpy()


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_an_infinite_or_nan_gradient_is_selected_as_pytorch_selects_it(name, dtype):
    ours, theirs = _gradients(*FUNCTIONS[name], dtype)
    np.testing.assert_array_equal(ours, theirs)  # (NaN in the same places, inf with the same signs)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_relu_passes_an_infinite_gradient_where_the_input_is_positive(dtype):
    ours, theirs = _gradients(dp.relu, torch.relu, dtype)
    positive = X > 0
    np.testing.assert_array_equal(ours[positive], theirs[positive])


@pytest.mark.xfail(strict=True, reason="relu's backward multiplies by its mask (inf·0 is NaN) where PyTorch selects 0; "
                                      "the selecting forms measured 0.73-0.80x as fast at (32, 64)")
@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_relu_gives_zero_for_an_infinite_gradient_where_the_input_is_not_positive(dtype):
    ours, theirs = _gradients(dp.relu, torch.relu, dtype)
    np.testing.assert_array_equal(ours[X <= 0], theirs[X <= 0])
