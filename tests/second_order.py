"""A function's value, gradients and second derivative along a direction, in deltaprop or PyTorch
alike, for the reference tests of create_graph=True rules."""

import deltaprop as dp
from deltaprop import autograd


def derivatives(L, function, values, w, v):
    """For leaves made of ``values`` (float64) in library ``L`` (deltaprop or torch) and y =
    function(*leaves): (y, the leaves' gradients of s = Σ w·y² taken with create_graph=True, the
    leaves' gradients of t = Σ v·∇s, the second derivative along v), as NumPy arrays."""
    grad = autograd.grad if L is dp else L.autograd.grad
    leaves = [L.tensor(a, dtype=L.float64, requires_grad=True) for a in values]
    y = function(*leaves)
    s = (L.tensor(w, dtype=L.float64) * y * y).sum()
    first = grad(s, leaves, create_graph=True)
    t = sum((d * L.tensor(u, dtype=L.float64)).sum() for d, u in zip(first, v))
    second = grad(t, leaves)
    array = (lambda x: x.data) if L is dp else (lambda x: x.detach().numpy())
    return array(y), [array(d) for d in first], [array(d) for d in second]

