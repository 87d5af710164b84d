"""What the layer tests against PyTorch (tests/reference/) share: the dtypes and their torch
equivalents, the usual tolerances, ``as_array`` (either library's tensor as an array), ``sample``, ``twins`` (a deltaprop layer and its PyTorch
twin with the same weights), ``forward_backward_agree`` (outputs and gradients compared) and
``compare_functions`` (a function of one tensor and its PyTorch twin: values and input gradients).

Importing this module needs PyTorch: without it the import skips, as each reference file's own
``pytest.importorskip("torch")`` does, so a test file that imports it is skipped, not broken.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402

DTYPES = [np.float64, np.float32]
TORCH_DTYPES = {np.float64: torch.float64, np.float32: torch.float32}
# float64 tightly, float32 loosely; a file whose float32 sums run longer states its own.
TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}


def as_array(t) -> np.ndarray:
    """A copy of the values of a deltaprop or PyTorch tensor (or of an array, such as a ``.grad``)."""
    return t.detach().numpy().copy() if isinstance(t, torch.Tensor) else np.array(getattr(t, "data", t))


def sample(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def compare_functions(ours, theirs, x, dtype, tol=None, grad_tol=None):
    """Values and input gradients of ``ours(tensor)`` and ``theirs(torch tensor)`` on ``x`` in ``dtype``
    (``tol``: tolerances other than the usual ones; ``grad_tol``: the gradients' own); returns both outputs."""
    tol = tol or TOLERANCES[dtype]
    xd = dp.tensor(x, dtype=dtype, requires_grad=True)
    xt = torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    out, expected = ours(xd), theirs(xt)
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
    upstream = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(xd.grad, xt.grad.numpy(), err_msg="input", **(grad_tol or tol))
    return out, expected


def penalty_gradients_agree(ours, theirs, x, v, err_msg=""):
    """Second derivatives of ``ours(tensor)`` and ``theirs(torch tensor)`` on ``x`` (float64), as a
    gradient penalty takes them: ∂/∂x of ‖∂(Σ v·y²)/∂x‖², compared with PyTorch's."""
    xd = dp.tensor(x, dtype=np.float64, requires_grad=True)
    y = ours(xd)
    (gx,) = dp.autograd.grad((y * y * dp.tensor(v, dtype=np.float64)).sum(), xd, create_graph=True)
    (h,) = dp.autograd.grad((gx * gx).sum(), xd)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    yt = theirs(xt)
    (gt,) = torch.autograd.grad((yt * yt * torch.tensor(v)).sum(), xt, create_graph=True)
    (ht,) = torch.autograd.grad((gt * gt).sum(), xt)
    np.testing.assert_allclose(h.data, ht.numpy(), rtol=1e-10, atol=1e-12, err_msg=err_msg)


def output_size(shape, resize) -> tuple:
    """The (H, W) that ``interpolate(x of shape, **resize)`` gives: ``resize`` holds ``size`` (an int or a
    pair) or ``scale_factor`` (a number or a pair), each factor's product with the input's size floored."""
    if "size" in resize:
        size = resize["size"]
        return size if isinstance(size, tuple) else (size, size)
    factor = resize["scale_factor"]
    factors = factor if isinstance(factor, tuple) else (factor, factor)
    return tuple(int(n * f) for n, f in zip(shape[2:], factors))


def load_into(ours, theirs):
    """Load ``theirs``'s state dict (PyTorch's) into ``ours``, after checking the keys are the same, in order."""
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})


def twins(name, kwargs, dtype, *, check_repr=False, check_state_dict=False, weights="random"):
    """The deltaprop layer ``nn.<name>(**kwargs)`` and its PyTorch twin ``torch.nn.<name>(**kwargs)``, in ``dtype``.

    Always checked: the two have the same parameters (names and shapes, in order). With ``check_repr``
    their reprs are the same; with ``check_state_dict`` their state dicts have the same keys, in order.

    ``weights="random"``: both get the same random weights, ``sample(shape, seed=7)`` for every parameter
    (so that γ, β and the biases are not the trivial 1 and 0). ``weights="pytorch"``: PyTorch's own
    initial weights (seed torch first for reproducible ones) are loaded into ours through its state dict.
    """
    if weights not in ("random", "pytorch"):
        raise ValueError(f"weights must be 'random' or 'pytorch', not {weights!r}")
    dp.manual_seed(0)
    ours = getattr(nn, name)(**kwargs).to(dtype)
    theirs = getattr(torch.nn, name)(**kwargs).to(TORCH_DTYPES[dtype])
    assert [(k, p.shape) for k, p in ours.named_parameters()] == [(k, tuple(p.shape)) for k, p in theirs.named_parameters()]
    if check_state_dict:
        assert list(ours.state_dict()) == list(theirs.state_dict())
    if check_repr:
        assert repr(ours) == repr(theirs)
    if weights == "pytorch":
        load_into(ours, theirs)
        return ours, theirs
    with torch.no_grad():
        for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            p.data[...] = sample(p.shape, seed=7)
            q.copy_(torch.from_numpy(p.data.copy()))
    return ours, theirs


def forward_backward_agree(ours, theirs, x, dtype, tol, seed=1):
    """Run ``x`` through both layers and the same random upstream gradient back; compare the
    outputs (dtype and shape too), the input's gradient and every parameter's, within ``tol``."""
    xd = dp.tensor(x, dtype=dtype, requires_grad=True)
    xt = torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    out, expected = ours(xd), theirs(xt)
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
    upstream = np.random.default_rng(seed).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(xd.grad, xt.grad.numpy(), err_msg="input", **tol)
    reference = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, reference[key].grad.numpy(), err_msg=key, **tol)
