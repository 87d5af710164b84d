"""Second derivatives through recurrent layers and linear algebra against PyTorch 2.13's, in whole
models, float64: a Hessian-vector product of an LSTM language model's loss, a penalty on the norm
of a recurrent network's gradient (RNN, GRU and LSTM with their options, packed batches among them)
differentiated with respect to its parameters, and the Hessians of losses built on log-determinants,
inverses, solves, Cholesky factors and spectra. The cases of every rule are in
tests/higher_order_cases_recurrent.py."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import autograd  # noqa: E402


def _copy(reference, ours):
    """``ours`` with ``reference``'s parameters, in float64."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    ours.to(dtype=np.float64)
    return ours


def _tensor(L, values, requires_grad=False):
    if L is dp:
        return dp.tensor(values, dtype=np.float64, requires_grad=requires_grad)
    return torch.tensor(values, dtype=torch.float64, requires_grad=requires_grad)


def _grad(L):
    return autograd.grad if L is dp else torch.autograd.grad


def _numpy(t):
    return t.data if isinstance(t, dp.Tensor) else t.detach().numpy()


class _LanguageModel:
    """Embedding → two-layer LSTM → Linear: next-token logits, built in either library."""

    def __init__(self, L, vocabulary=7, width=4, hidden=5):
        nn = L.nn
        self.embedding = nn.Embedding(vocabulary, width)
        self.lstm = nn.LSTM(width, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, vocabulary)
        self.modules = [self.embedding, self.lstm, self.head]

    def parameters(self):
        return [p for m in self.modules for p in m.parameters()]

    def loss(self, L, tokens):
        x, target = tokens[:, :-1], tokens[:, 1:]
        out, _ = self.lstm(self.embedding(x))
        logits = self.head(out)
        return L.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


def test_hessian_vector_product_of_an_lstm_language_models_loss():
    torch.manual_seed(0)
    reference = _LanguageModel(torch)
    for m in reference.modules:
        m.double()
    ours = _LanguageModel(dp)
    for theirs, mine in zip(reference.modules, ours.modules):
        _copy(theirs, mine)
    rng = np.random.default_rng(1)
    tokens = rng.integers(0, 7, (3, 6))
    vs = [rng.standard_normal(tuple(p.shape)) for p in reference.parameters()]
    results = []
    for L, model in ((dp, ours), (torch, reference)):
        params = model.parameters()
        loss = model.loss(L, dp.tensor(tokens) if L is dp else torch.tensor(tokens))
        grads = _grad(L)(loss, params, create_graph=True)
        hv = _grad(L)(sum((g * _tensor(L, v)).sum() for g, v in zip(grads, vs)), params)
        results.append((float(_numpy(loss)), [_numpy(g) for g in grads], [_numpy(h) for h in hv]))
    (loss, grads, hv), (loss_t, grads_t, hv_t) = results
    np.testing.assert_allclose(loss, loss_t, rtol=1e-12)
    assert len(hv) == len(hv_t) == 1 + 8 + 2
    for a, b in zip(grads + hv, grads_t + hv_t):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


RECURRENT = [
    ("LSTM", {}), ("LSTM", {"num_layers": 2, "bidirectional": True}), ("LSTM", {"batch_first": True, "bias": False}),
    ("GRU", {}), ("GRU", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("RNN", {}), ("RNN", {"nonlinearity": "relu", "num_layers": 2}), ("RNN", {"bidirectional": True}),
]


def _gradient_penalty_step(L, model, X, H0, packed_lengths=None):
    """loss + 0.1·‖∂loss/∂θ‖², differentiated with respect to θ (the parameters) and the input."""
    x, h0 = _tensor(L, X, True), _tensor(L, H0, True)
    hx = (h0, h0.tanh()) if isinstance(model, (dp.nn.LSTM, torch.nn.LSTM)) else h0
    if packed_lengths is None:
        out, last = model(x, hx)
        data = out
    else:
        packed = L.nn.utils.rnn.pack_padded_sequence(x, packed_lengths, enforce_sorted=False)
        out, last = model(packed, hx)
        data = out.data
    last = last[0] * last[1] if isinstance(last, tuple) else last
    loss = (data.sin() ** 2).sum() + (last ** 2).sum()
    params = list(model.parameters())
    grads = _grad(L)(loss, params, create_graph=True)
    total = loss + 0.1 * sum((g ** 2).sum() for g in grads)
    return [_numpy(g) for g in _grad(L)(total, params + [x, h0])]


def _pair(kind, options):
    torch.manual_seed(2)
    reference = getattr(torch.nn, kind)(3, 4, **options).double()
    return _copy(reference, getattr(dp.nn, kind)(3, 4, **options)), reference


@pytest.mark.parametrize("kind, options", RECURRENT, ids=[f"{k} {o}" for k, o in RECURRENT])
def test_a_gradient_norm_penalty_through_a_recurrent_layer_equals_pytorchs(kind, options):
    ours, reference = _pair(kind, options)
    rng = np.random.default_rng(3)
    states = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    X = rng.standard_normal((2, 5, 3) if options.get("batch_first") else (5, 2, 3))
    H0 = rng.standard_normal((states, 2, 4))
    for a, b in zip(_gradient_penalty_step(dp, ours, X, H0), _gradient_penalty_step(torch, reference, X, H0)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("kind, options", [("LSTM", {"bidirectional": True}), ("GRU", {"num_layers": 2}),
                                           ("RNN", {"nonlinearity": "relu", "bidirectional": True})],
                         ids=["LSTM bidirectional", "GRU two layers", "RNN relu bidirectional"])
def test_a_gradient_norm_penalty_through_a_packed_batch_equals_pytorchs(kind, options):
    """Sequences of lengths 3, 5, 1 and 4, unsorted: each runs to its own end, in both directions."""
    ours, reference = _pair(kind, options)
    rng = np.random.default_rng(4)
    states = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    X, H0 = rng.standard_normal((5, 4, 3)), rng.standard_normal((states, 4, 4))
    lengths = [3, 5, 1, 4]
    ours_ = _gradient_penalty_step(dp, ours, X, H0, lengths)
    theirs = _gradient_penalty_step(torch, reference, X, H0, lengths)
    for a, b in zip(ours_, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


# -- linear algebra --------------------------------------------------------------------------------


def _hessians(loss, *arrays):
    """The Hessian of ``loss(L)`` with respect to its inputs, deltaprop's and PyTorch's."""
    ours = autograd.functional.hessian(loss(dp), tuple(_tensor(dp, a) for a in arrays))
    theirs = torch.autograd.functional.hessian(loss(torch), tuple(torch.tensor(a) for a in arrays))
    return ours, theirs


def _assert_hessians_equal(ours, theirs, rtol=1e-9, atol=1e-11):
    for row, row_t in zip(ours, theirs):
        for a, b in zip(row, row_t):
            np.testing.assert_allclose(a.data, b.numpy(), rtol=rtol, atol=atol)


def test_the_hessian_of_a_gaussians_negative_log_likelihood_equals_pytorchs():
    """−log N(x; μ, Σ) summed over samples, Σ = C·Cᵀ + I from an unconstrained C: log|det Σ| by
    slogdet and by a Cholesky factor's diagonal, the quadratic form by solve; the Hessian with
    respect to μ and C."""
    rng = np.random.default_rng(5)
    X, mu0, C0 = rng.standard_normal((6, 3)), rng.standard_normal(3) * 0.3, rng.standard_normal((3, 3)) * 0.5

    def loss(L):
        data = _tensor(L, X)

        def negative_log_likelihood(mu, C):
            sigma = C @ C.mT + _tensor(L, np.eye(3))
            centred = data - mu
            quadratic = (centred * L.linalg.solve(sigma, centred.mT).mT).sum()
            log_det = L.linalg.slogdet(sigma)[1]
            by_cholesky = 2 * (L.linalg.cholesky(sigma) * _tensor(L, np.eye(3))).sum(-1).log().sum()  # its diagonal
            return 0.5 * quadratic + 1.5 * log_det + 1.5 * by_cholesky

        return negative_log_likelihood

    ours, theirs = _hessians(loss, mu0, C0)
    _assert_hessians_equal(ours, theirs)
    assert ours[1][1].shape == (3, 3, 3, 3)


def test_the_hessian_of_matrix_inverse_losses_equals_pytorchs():
    """tr(A⁻¹) + bᵀ·A⁻¹·b + ‖A²·A⁻³‖² + det(A) + Σ pinv(B), in A and B: inv, matrix_power (negative
    too), det and pinv differentiated twice."""
    rng = np.random.default_rng(6)
    A0, B0, b = rng.standard_normal((3, 3)) + 3 * np.eye(3), rng.standard_normal((4, 3)), rng.standard_normal(3)

    def loss(L):
        def f(A, B):
            inverse = L.linalg.inv(A)
            vector = _tensor(L, b)
            power = L.linalg.matrix_power(A, 2) @ L.linalg.matrix_power(A, -3)
            return ((inverse * _tensor(L, np.eye(3))).sum() + vector @ inverse @ vector + (power ** 2).sum() + L.linalg.det(A)
                    + L.linalg.pinv(B).sum() * L.linalg.inv(A).sum())

        return f

    ours, theirs = _hessians(loss, A0, B0)
    _assert_hessians_equal(ours, theirs)


def test_the_hessian_of_spectral_functions_equals_pytorchs():
    """Gauge-invariant functions of eigh's and svd's outputs: Σ exp(λ) of a symmetric matrix, the
    nuclear norm Σ s, the projector onto the two leading left singular vectors, U·Vh (the polar
    factor) of a tall matrix, and Q·R's parts of a wide one."""
    rng = np.random.default_rng(7)
    S0, M0, W0 = rng.standard_normal((3, 3)), rng.standard_normal((4, 3)), rng.standard_normal((3, 5))

    def loss(L):
        def f(S, M, W):
            values, vectors = L.linalg.eigh(S + S.mT)
            spectral = values.exp().sum() + ((vectors ** 2) * _tensor(L, np.arange(9.0).reshape(3, 3))).sum()
            u, s, vh = L.linalg.svd(M)
            projector = u[:, :2] @ u[:, :2].mT
            polar = u[:, :3] @ vh
            q, r = L.linalg.qr(W)
            return (spectral + L.linalg.svdvals(M).sum() + (projector * M[:, :1]).sum() + (polar ** 3).sum()
                    + (q.sum() * r).sin().sum())

        return f

    ours, theirs = _hessians(loss, S0, M0, W0)
    _assert_hessians_equal(ours, theirs)


@pytest.mark.parametrize("UPLO", ["L", "U"])
def test_eigh_of_a_leaf_matrix_has_pytorchs_symmetric_second_derivatives(UPLO):
    """eigh reads one triangle of A; its gradient is the symmetric one (PyTorch's convention),
    which shows where A is a leaf rather than symmetrized in the graph, at second order too."""
    rng = np.random.default_rng(8)
    S = rng.standard_normal((4, 4))
    A0, w, v = S + S.T, rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    results = []
    for L in (dp, torch):
        A = _tensor(L, A0, True)
        values, vectors = L.linalg.eigh(A, UPLO=UPLO)
        loss = (_tensor(L, w) * vectors ** 2).sum() + (values ** 3).sum()
        (g,) = _grad(L)(loss, A, create_graph=True)
        (h,) = _grad(L)((g * _tensor(L, v)).sum(), A)
        results.append((_numpy(g), _numpy(h)))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(a, a.T, rtol=1e-9, atol=1e-11)
