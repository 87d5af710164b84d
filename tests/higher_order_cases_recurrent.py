"""Second-derivative cases (see higher_order_cases.py for the form) of the rules in
autograd/differentiable_recurrent.py and autograd/differentiable_linalg.py.

Recurrent layers: every input of the case is a tensor of the layer, the input, the initial states
and the weights (in the order of PyTorch's parameters), run through ``nn.RNN``, ``nn.LSTM`` or
``nn.GRU`` with those tensors in place of its parameters (:func:`layer`), so that the finite
differences and PyTorch see the derivatives with respect to every one of them. Each option that
takes a path of its own has a case: both RNN nonlinearities, no bias, two layers, both directions,
batch_first, packed batches of sequences of different lengths (held rows), unbatched input, an
LSTM with projections (``proj_size``: h0 and c0 of different widths, two inputs of the case).

Linear algebra: the matrices are made well-conditioned (a multiple of the identity added) where
an inverse is taken, symmetric (positive-definite for cholesky) in the graph where the primitive
reads one triangle, and the eigenvectors and singular vectors enter only through functions that do
not depend on their signs (their squares, products U·Vh, projectors U·Uᵀ), PyTorch's condition for
their gradient to be defined. Standard normal draws have distinct eigenvalues and singular values.
"""

import numpy as np

_MODES = {"RNN": 1, "LSTM": 4, "GRU": 3}


def _parameter_shapes(kind: str, inputs: int, hidden: int, layers: int = 1, directions: int = 1, bias: bool = True,
                      proj: int = 0):
    """The shapes of a layer's parameters, in PyTorch's order (weight_ih, weight_hh, bias_ih, bias_hh per
    cell, and weight_hr with an LSTM's ``proj_size`` ``proj``)."""
    gates = _MODES[kind] * hidden
    shapes = []
    for layer in range(layers):
        width = inputs if layer == 0 else directions * (proj or hidden)
        for _ in range(directions):
            shapes += [(gates, width), (gates, proj or hidden)] + ([(gates,), (gates,)] if bias else [])
            shapes += [(proj, hidden)] if proj else []
    return shapes


def layer(L, kind: str, x, hx, weights, **options):
    """``L.nn.<kind>`` run on ``x`` from the states ``hx`` (None: zeros), with the tensors ``weights``
    in place of its parameters (PyTorch's order)."""
    hidden = weights[0].shape[0] // _MODES[kind]
    inputs = (x.data if hasattr(x, "batch_sizes") else x).shape[-1]
    module = getattr(L.nn, kind)(inputs, hidden, **options)
    names = [name for name, _ in module.named_parameters()]
    if L.__name__ == "torch":
        return L.func.functional_call(module, dict(zip(names, weights)), (x, hx))
    for name, weight in zip(names, weights):  # the case's tensors stand in for the parameters, as attributes
        object.__setattr__(module, name, weight)
    return module(x, hx)


def _flat(L, *tensors):
    return L.cat([t.reshape(-1) for t in tensors])


def _states(L, kind, hx, scale=0.5):
    """(h0, c0) for an LSTM (c0 a multiple of h0, so that both are in the graph), h0 otherwise."""
    return (hx, hx * scale) if kind == "LSTM" else hx


def _run(kind, **options):
    """A case function: the layer's output and its last state(s), side by side."""

    def function(L, F, x, h0, *weights):
        out, last = layer(L, kind, x, _states(L, kind, h0), list(weights), **options)
        return _flat(L, out, *(last if kind == "LSTM" else (last,)))

    return function


def _packed(kind, lengths, **options):
    """A case function on a packed batch (sequences of ``lengths``, unsorted): the packed output's
    data and the last state(s), which are each sequence's own last step's."""

    def function(L, F, x, h0, *weights):
        packed = L.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, last = layer(L, kind, packed, _states(L, kind, h0), list(weights), **options)
        return _flat(L, out.data, *(last if kind == "LSTM" else (last,)))

    return function


def _projected(lengths=None, **options):
    """A case function of an LSTM with projections (``proj_size`` among ``options``): h0 (proj_size
    wide) and c0 (hidden wide) are two inputs; the output (its data, for a packed batch of sequences
    of ``lengths``) and the last states."""

    def function(L, F, x, h0, c0, *weights):
        given = x if lengths is None else L.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, (h, c) = layer(L, "LSTM", given, (h0, c0), list(weights), **options)
        return _flat(L, out if lengths is None else out.data, h, c)

    return function


def _case(name, kind, length, batch, inputs, hidden, function=None, layers=1, directions=1, bias=True, proj=0,
          **options):
    if layers != 1:
        options["num_layers"] = layers
    if directions == 2:
        options["bidirectional"] = True
    if not bias:
        options["bias"] = False
    if proj:
        options["proj_size"] = proj
    x = (batch, length, inputs) if options.get("batch_first") else (length, batch, inputs)
    states = [(layers * directions, batch, proj or hidden)] + ([(layers * directions, batch, hidden)] if proj else [])
    shapes = [x] + states + _parameter_shapes(kind, inputs, hidden, layers, directions, bias, proj)
    return (name, function or (_projected(**options) if proj else _run(kind, **options)), shapes, "real")


RECURRENT = [
    _case("rnn_sequence tanh", "RNN", 3, 2, 2, 3),
    _case("rnn_sequence relu", "RNN", 3, 2, 2, 3, nonlinearity="relu"),
    _case("rnn_sequence no bias bidirectional", "RNN", 3, 2, 2, 2, directions=2, bias=False),
    _case("lstm_sequence", "LSTM", 3, 2, 2, 2),
    _case("lstm_sequence two layers", "LSTM", 3, 2, 2, 2, layers=2),
    _case("lstm_sequence bidirectional batch_first", "LSTM", 3, 2, 2, 2, directions=2, batch_first=True),
    _case("gru_sequence", "GRU", 3, 2, 2, 2),
    _case("gru_sequence bidirectional no bias", "GRU", 3, 2, 2, 2, directions=2, bias=False),
    _case("rnn_sequence packed", "RNN", 4, 3, 2, 2, _packed("RNN", [2, 4, 1])),
    _case("lstm_sequence packed bidirectional", "LSTM", 3, 3, 2, 2, _packed("LSTM", [3, 1, 2], bidirectional=True),
          directions=2),
    _case("gru_sequence packed two layers", "GRU", 3, 3, 2, 2, _packed("GRU", [2, 3, 2], num_layers=2), layers=2),
    ("lstm_sequence unbatched", lambda L, F, x, h0, *w: _flat(L, layer(L, "LSTM", x, (h0, h0.tanh()), list(w))[0]),
     [(3, 2), (1, 2)] + _parameter_shapes("LSTM", 2, 2), "real"),
    _case("lstm_sequence projected", "LSTM", 3, 2, 2, 3, proj=2),
    _case("lstm_sequence projected two layers bidirectional no bias", "LSTM", 3, 2, 2, 3, layers=2, directions=2,
          bias=False, proj=1),
    _case("lstm_sequence projected packed", "LSTM", 3, 3, 2, 3, _projected([3, 1, 2], proj_size=2), proj=2),
]


def _eye(like, scale=1.0):
    """scale·I of ``like``'s last size, in its dtype."""
    return like.new_tensor(np.eye(like.shape[-1]) * scale)


def _spd(L, x):
    """x·xᵀ + I: symmetric positive-definite, in the graph."""
    return x @ x.mT + _eye(x)


def _u_vh(L, x):
    """U·Vh of the full SVD of a tall x (U's first k columns): no sign of a pair of vectors shows."""
    u, s, vh = L.linalg.svd(x)
    return u[..., :, : vh.shape[-2]] @ vh


LINALG = [
    ("linalg.det", lambda L, F, x: L.linalg.det(x + _eye(x, 2.0)), [(3, 3)], "real"),
    ("linalg.det batched", lambda L, F, x: L.linalg.det(x + _eye(x, 2.0)) * x[:, 0, 0], [(2, 3, 3)], "real"),
    ("linalg.slogdet", lambda L, F, x: L.linalg.slogdet(x + _eye(x, 2.0))[1], [(2, 3, 3)], "real"),
    ("linalg.inv", lambda L, F, x: L.linalg.inv(x + _eye(x, 2.0)), [(3, 3)], "real"),
    ("linalg.inv batched", lambda L, F, x: L.linalg.inv(x + _eye(x, 2.0)), [(2, 2, 2)], "real"),
    ("linalg.solve", lambda L, F, a, b: L.linalg.solve(a + _eye(a, 2.0), b), [(3, 3), (3, 2)], "real"),
    ("linalg.solve vector", lambda L, F, a, b: L.linalg.solve(a + _eye(a, 2.0), b), [(3, 3), (3,)], "real"),
    ("linalg.solve batch of vectors", lambda L, F, a, b: L.linalg.solve(a + _eye(a, 2.0), b), [(2, 3, 3), (2, 3)], "real"),
    ("linalg.solve broadcast", lambda L, F, a, b: L.linalg.solve(a + _eye(a, 2.0), b), [(3, 3), (2, 3, 2)], "real"),
    ("linalg.solve right", lambda L, F, a, b: L.linalg.solve(a + _eye(a, 2.0), b, left=False), [(3, 3), (2, 3)], "real"),
    ("linalg.matrix_power 3", lambda L, F, x: L.linalg.matrix_power(x, 3), [(3, 3)], "real"),
    ("linalg.matrix_power -2", lambda L, F, x: L.linalg.matrix_power(x + _eye(x, 2.0), -2), [(2, 3, 3)], "real"),
    ("linalg.matrix_power 0", lambda L, F, x: L.linalg.matrix_power(x, 0) * x, [(3, 3)], "real"),
    ("linalg.pinv tall", lambda L, F, x: L.linalg.pinv(x), [(4, 3)], "real"),
    ("linalg.pinv wide batched", lambda L, F, x: L.linalg.pinv(x), [(2, 2, 3)], "real"),
    ("linalg.cholesky", lambda L, F, x: L.linalg.cholesky(_spd(L, x)), [(3, 3)], "real"),
    ("linalg.cholesky upper batched", lambda L, F, x: L.linalg.cholesky(_spd(L, x), upper=True), [(2, 3, 3)], "real"),
    ("linalg.eigh eigenvalues", lambda L, F, x: L.linalg.eigh(x + x.mT)[0], [(4, 4)], "real"),
    ("linalg.eigvalsh UPLO U", lambda L, F, x: L.linalg.eigvalsh(x + x.mT, UPLO="U"), [(2, 3, 3)], "real"),
    ("linalg.eigh eigenvectors squared", lambda L, F, x: L.linalg.eigh(x + x.mT)[1] ** 2, [(4, 4)], "real"),
    ("linalg.eigh V diag(exp λ) Vᵀ", lambda L, F, x: (lambda w, v: (v * w.exp().unsqueeze(-2)) @ v.mT)(
        *L.linalg.eigh(x + x.mT, UPLO="U")), [(2, 3, 3)], "real"),
    ("linalg.qr reduced", lambda L, F, x: (lambda q, r: L.cat([q.reshape(-1), r.reshape(-1)]))(*L.linalg.qr(x)),
     [(4, 3)], "real"),
    ("linalg.qr R alone", lambda L, F, x: L.linalg.qr(x)[1], [(2, 3, 2)], "real"),
    ("linalg.qr wide", lambda L, F, x: (lambda q, r: L.cat([q.reshape(-1), r.reshape(-1)]))(*L.linalg.qr(x)),
     [(2, 3)], "real"),
    ("linalg.qr complete square", lambda L, F, x: L.linalg.qr(x, mode="complete")[0] @ x, [(3, 3)], "real"),
    ("linalg.svd S", lambda L, F, x: L.linalg.svd(x)[1], [(3, 4)], "real"),
    ("linalg.svd U squared", lambda L, F, x: L.linalg.svd(x, full_matrices=False)[0] ** 2, [(4, 3)], "real"),
    ("linalg.svd Vh squared wide", lambda L, F, x: L.linalg.svd(x, full_matrices=False)[2] ** 2, [(2, 4)], "real"),
    ("linalg.svd U·Vh full_matrices", lambda L, F, x: _u_vh(L, x), [(4, 3)], "real"),
    ("linalg.svd projector batched", lambda L, F, x: (lambda u: u[..., :2] @ u[..., :2].mT)(L.linalg.svd(x)[0]),
     [(2, 4, 3)], "real"),
    ("linalg.svdvals", lambda L, F, x: L.linalg.svdvals(x), [(4, 3)], "real"),
    ("linalg.solve_triangular lower", lambda L, F, a, b: L.linalg.solve_triangular(a + _eye(a, 3.0), b, upper=False),
     [(3, 3), (3, 2)], "real"),
    ("linalg.solve_triangular upper right unit broadcast", lambda L, F, a, b: L.linalg.solve_triangular(
        a, b, upper=True, left=False, unitriangular=True), [(2, 1, 3, 3), (4, 2, 3)], "real"),
    ("linalg.matrix_exp", lambda L, F, x: L.linalg.matrix_exp(x), [(3, 3)], "real"),
    ("linalg.matrix_exp squared batched", lambda L, F, x: L.linalg.matrix_exp(x * 2.0), [(2, 3, 3)], "real"),
    ("linalg.inv_ex", lambda L, F, x: L.linalg.inv_ex(x + _eye(x, 2.0)).inverse, [(2, 3, 3)], "real"),
    ("linalg.cholesky_ex", lambda L, F, x: L.linalg.cholesky_ex(_spd(L, x)).L, [(3, 3)], "real"),
    ("linalg.lstsq", lambda L, F, a, b: L.linalg.lstsq(a, b).solution, [(4, 3), (4, 2)], "real"),
    ("linalg.lstsq residuals", lambda L, F, a, b: L.linalg.lstsq(a, b, driver="gelsd").residuals, [(4, 3), (4,)],
     "real"),
    ("linalg.cond", lambda L, F, x: L.linalg.cond(x), [(2, 3, 3)], "real"),
    ("linalg.cond nuc", lambda L, F, x: L.linalg.cond(x + _eye(x, 2.0), "nuc"), [(3, 3)], "real"),
    ("linalg.pinv hermitian", lambda L, F, x: L.linalg.pinv(_spd(L, x), hermitian=True), [(3, 3)], "real"),
]

#: Cases PyTorch 2.13 cannot check: finite differences only.
FINITE_DIFFERENCES_ONLY = [
    # PyTorch's backward of cond through the inverse fails (an inverse it saved is changed in place)
    ("linalg.cond fro", lambda L, F, x: L.linalg.cond(x + _eye(x, 2.0), "fro"), [(2, 3, 3)], "real"),
    ("linalg.cond inf", lambda L, F, x: L.linalg.cond(x + _eye(x, 2.0), float("inf")), [(3, 3)], "real"),
]

CASES = RECURRENT + LINALG
