"""Second and third derivatives through the selections and products where PyTorch gives no reference:
scatter_reduce's product with two zeros sent to one place (PyTorch: "Double backward is unsupported
for src when >1 zeros in src are scattered to the same position"), against finite differences of
first derivatives, and a third derivative through einsum against its closed form. The one-operation
cases are in tests/higher_order_cases_selections.py."""

import numpy as np

import deltaprop as dp
from deltaprop import autograd


def T(values, **options):
    return dp.tensor(values, dtype=np.float64, **options)


INDEX = np.array([[0, 2, 0], [0, 0, 1], [0, 1, 1]])


def _t(X, S, w, vx, vs, create_graph):
    """(t = Σ v·∇s for s = Σ w·y·(y + 1), y the product scatter) and the leaves, by either sweep. (A
    linear term: through y² alone, every second derivative at a place whose product is 0 is 0.)"""
    x, s = T(X, requires_grad=True), T(S, requires_grad=True)
    y = x.scatter_reduce(0, dp.tensor(INDEX), s, "prod")
    gx, gs = autograd.grad((T(w) * y * (y + 1.0)).sum(), [x, s], create_graph=create_graph)
    return (gx * T(vx)).sum() + (gs * T(vs)).sum(), (x, s)


def test_scatter_reduce_prod_with_two_zeros_at_a_place_by_finite_differences():
    rng = np.random.default_rng(3)
    X, S = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    S[0, 0] = S[1, 0] = 0.0  # two of the four values at place (0, 0): its product and first derivatives 0 but two
    S[2, 1] = 0.0  # one zero at place (1, 1)
    w, vx, vs = rng.standard_normal((3, 3)), rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    t, leaves = _t(X, S, w, vx, vs, create_graph=True)
    second = autograd.grad(t, leaves)
    eps = 1e-6
    for i, base in enumerate((X, S)):
        numeric = np.zeros(base.size)
        for k in range(base.size):
            values = []
            for step in (eps, -eps):
                moved = [X.copy(), S.copy()]
                moved[i].reshape(-1)[k] += step
                values.append(float(_t(*moved, w, vx, vs, create_graph=False)[0].data))
            numeric[k] = (values[0] - values[1]) / (2 * eps)
        np.testing.assert_allclose(second[i].data.reshape(-1), numeric, rtol=1e-6, atol=1e-7, err_msg=f"input {i}")
    # the two zeros' mixed second derivative is the product of the others there, which the one-zero rule of
    # dividing the product by the value (or the product of the non-zero others) would not give
    assert np.all(second[1].data[:2, 0] != 0)


def test_third_derivative_through_einsum():
    """d³/dx³ of einsum('i,i,i->', x, x, x) = Σ x³ is 6 everywhere: each pass runs einsum's rule on
    the einsums the previous pass recorded."""
    x = T(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    (g,) = autograd.grad(dp.einsum("i,i,i->", x, x, x), x, create_graph=True)
    np.testing.assert_allclose(g.data, 3 * x.data ** 2)
    (h,) = autograd.grad(g.sum(), x, create_graph=True)
    np.testing.assert_allclose(h.data, 6 * x.data)
    (third,) = autograd.grad(h.sum(), x)
    np.testing.assert_allclose(third.data, [6.0, 6.0, 6.0])
