"""Second and third derivatives through the elementwise, special-function, product and running
rules (autograd/differentiable_elementwise.py, differentiable_reductions.py) against PyTorch 2.13's:
the Hessian-vector product of a small GPT-style block (layer norms, a tanh-gelu MLP, a residual),
the cases PyTorch's own accuracy or the harness's finite differences cannot settle, and third
derivatives through products with zeros, running products and sums, and the special functions.
The cases of every rule are in tests/higher_order_cases_elementwise.py."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import autograd  # noqa: E402
from test_torch_higher_order import assert_products_equal, loss_hessian_vector_products  # noqa: E402


def _gpt_block(L):
    nn = L.nn

    class Block(nn.Module):
        """x + MLP(LayerNorm(x)), the MLP a tanh-gelu between two linear layers, then a head on the
        last position."""

        def __init__(self):
            super().__init__()
            self.norm = nn.LayerNorm(8)
            self.up = nn.Linear(8, 16)
            self.down = nn.Linear(16, 8)
            self.final = nn.LayerNorm(8)
            self.head = nn.Linear(8, 3)

        def forward(self, x):
            x = x + self.down(nn.functional.gelu(self.up(self.norm(x)), approximate="tanh"))
            return self.head(self.final(x)[:, -1])

    return Block()


@pytest.mark.parametrize("np_dtype, torch_dtype, tolerance",
                         [(np.float64, torch.float64, 1e-10), (np.float32, torch.float32, 1e-4)], ids=["float64", "float32"])
def test_hessian_vector_product_of_a_gpt_style_block(np_dtype, torch_dtype, tolerance):
    torch.manual_seed(5)
    reference = _gpt_block(torch).to(torch_dtype)
    ours = _gpt_block(dp)
    ours.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    ours.to(dtype=np_dtype)
    rng = np.random.default_rng(9)
    X, labels = rng.standard_normal((4, 5, 8)), rng.integers(0, 3, 4)
    vs = [rng.standard_normal(tuple(p.shape)) for p in reference.parameters()]
    assert_products_equal(*loss_hessian_vector_products(ours, reference, X, labels, vs, np_dtype, torch_dtype), 10,
                          tolerance)


def _derivatives(L, function, x0, order):
    """The first ``order`` derivatives of Σ function(x) at x0, each the gradient of the previous one's sum."""
    x = (dp.tensor(x0, dtype=np.float64, requires_grad=True) if L is dp else torch.tensor(x0, requires_grad=True))
    grad = autograd.grad if L is dp else torch.autograd.grad
    y, found = function(L, x).sum(), []
    for k in range(order):
        (y,) = grad(y, x, create_graph=k < order - 1)
        found.append(y.data if L is dp else y.detach().numpy())
        y = y.sum() if k < order - 1 else y
    return found


X = np.random.default_rng(3).standard_normal((3, 4))
ZEROS = X.copy()
ZEROS[0, 1] = ZEROS[0, 3] = ZEROS[2, 2] = 0.0
POSITIVE = np.random.default_rng(4).uniform(0.5, 3.0, (3, 4))

THIRD = [  # (name, function, input): third derivatives of Σ f(x), against PyTorch's
    ("prod two zeros", lambda L, x: x.prod(dim=1) * x[:, 0] + x.prod() * x.sum(), ZEROS),
    ("cumprod zeros", lambda L, x: x.cumprod(dim=1) * x, ZEROS),
    ("cumprod", lambda L, x: L.cumprod(x, dim=0), X),
    ("digamma", lambda L, x: L.digamma(x - 4.0), POSITIVE),  # (negative: PyTorch's accurate reflection)
    ("polygamma", lambda L, x: L.polygamma(2, x), POSITIVE),
    ("i0", lambda L, x: L.special.i0(x), X),
    ("i1", lambda L, x: L.special.i1(x * 3.0), X),
    ("erfinv", lambda L, x: L.erfinv(x.tanh() * 0.9), X),
    ("log_ndtr", lambda L, x: L.special.log_ndtr(x * 3.0), X),
    ("norm 3", lambda L, x: x.norm(3, dim=1), X),
    ("gelu tanh", lambda L, x: L.nn.functional.gelu(x, approximate="tanh"), X),
    ("atan2", lambda L, x: L.atan2(x, x * x - 0.5), X),
]


@pytest.mark.parametrize("name, function, x0", THIRD, ids=[t[0] for t in THIRD])
def test_third_derivatives_equal_pytorchs(name, function, x0):
    ours, theirs = _derivatives(dp, function, x0, 3), _derivatives(torch, function, x0, 3)
    for order, (a, b) in enumerate(zip(ours, theirs), 1):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10, err_msg=f"{name}: derivative {order}")


def test_third_derivative_of_logcumsumexp():
    """PyTorch's is NaN (its rule takes log(−g) of a positive g on the branch where() drops, whose
    gradient 0/0 reaches the result): the first two derivatives against PyTorch's, the third against
    central differences of our second."""
    function = lambda L, x: L.logcumsumexp(x * x, dim=1)  # noqa: E731
    ours, theirs = _derivatives(dp, function, X, 3), _derivatives(torch, function, X, 2)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    eps, numeric = 1e-6, np.zeros(X.size)
    for k in range(X.size):
        step = np.zeros(X.size)
        step[k] = eps
        up, down = (_derivatives(dp, function, X + s.reshape(X.shape), 2)[1].sum() for s in (step, -step))
        numeric[k] = (up - down) / (2 * eps)
    np.testing.assert_allclose(ours[2].reshape(-1), numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["lgamma", "digamma"])
def test_second_derivatives_of_the_gamma_functions_equal_pytorchs_to_its_accuracy(name):
    """Not in the case list: PyTorch's polygamma(1, ·) (digamma's slope, lgamma's second derivative)
    is ~5e-10 off for x > 0 (see tests/test_gamma_functions.py), above the cases' 1e-10; ours is
    checked against SciPy there."""
    ours = _derivatives(dp, lambda L, x: getattr(L, name)(x), POSITIVE, 3)
    theirs = _derivatives(torch, lambda L, x: getattr(L, name)(x), POSITIVE, 3)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-8)


def test_gaussian_nll_loss_past_its_variance_clamp_equals_pytorchs():
    """Variances below eps: the clamp is passed as if it were not there (PyTorch clamps under
    no_grad), so the second derivative in the variance is that of ½(log v + d²/v) at the clamped v,
    which finite differences of the first derivative (constant in v there) cannot see."""
    rng = np.random.default_rng(6)
    x0, y0, v0 = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.uniform(0.05, 1.0, (3, 4))

    def second(L):
        tensor = (lambda a: dp.tensor(a, dtype=np.float64, requires_grad=True)) if L is dp else (
            lambda a: torch.tensor(a, requires_grad=True))
        grad = autograd.grad if L is dp else torch.autograd.grad
        x, y, v = tensor(x0), tensor(y0), tensor(v0)
        loss = L.nn.functional.gaussian_nll_loss(x, y, v, eps=0.4, reduction="sum")
        gs = grad(loss, [x, y, v], create_graph=True)
        return [g.data if L is dp else g.detach().numpy() for g in gs] + [
            h.data if L is dp else h.numpy() for h in grad(sum((g * g).sum() for g in gs), [x, y, v])]

    for a, b in zip(second(dp), second(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
