"""Differential tests against PyTorch: many seeded random cases of the tensor operations (broadcast
arithmetic, reductions over dim tuples, shape operations, indexing and index assignment), each run in
both frameworks on the same inputs, comparing the result's shape, dtype and values and the gradient
of a random projection of it, in float64 and float32.

The cases come from a seeded generator (the same cases every run); a failure names the operation,
the shapes and the arguments, which is enough to reproduce it by hand. Below them, the regression
tests of the differences this review found, each with a finite-difference check in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ShapeError

torch = pytest.importorskip("torch", reason="PyTorch reference not installed: pip install -e '.[test]'")

DTYPES = {"float64": (np.float64, torch.float64), "float32": (np.float32, torch.float32)}
TOLERANCES = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-4, atol=2e-5)}
SEEDS = range(4)


def compare(label, torch_fn, dp_fn, arrays, dtype, rng):
    """Run both functions on the same inputs (float arrays cast to ``dtype`` and requiring a
    gradient; integer and boolean arrays passed as they are) and compare the results and the
    gradients of a random projection of them. Returns False where PyTorch refused the call (the
    case says nothing then), True otherwise."""
    np_dtype, torch_dtype = DTYPES[dtype]
    tolerance = TOLERANCES[dtype]
    arrays = [a.astype(np_dtype) if a.dtype.kind == "f" else a for a in arrays]
    theirs = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    ours = [dp.tensor(a, dtype=a.dtype, requires_grad=a.dtype.kind == "f") for a in arrays]
    try:
        expected = torch_fn(*theirs)
    except (RuntimeError, IndexError, ValueError, TypeError):
        return False
    got = dp_fn(*ours)
    expected = list(expected) if isinstance(expected, (tuple, list)) else [expected]
    got = list(got) if isinstance(got, (tuple, list)) else [got]
    assert len(got) == len(expected), f"{label}: {len(got)} results, PyTorch gives {len(expected)}"
    projection_t, projection_d = 0, 0
    for i, (e, g) in enumerate(zip(expected, got)):
        assert isinstance(g, dp.Tensor), f"{label}: result {i} is a {type(g).__name__}"
        assert g.shape == tuple(e.shape), f"{label}: result {i} has shape {g.shape}, PyTorch's {tuple(e.shape)}"
        assert g.dtype.name == str(e.dtype).removeprefix("torch."), f"{label}: result {i} is {g.dtype}, PyTorch's {e.dtype}"
        np.testing.assert_allclose(g.data, e.detach().numpy(), **tolerance, err_msg=f"{label}: values of result {i}")
        if e.requires_grad:
            assert g.requires_grad, f"{label}: result {i} does not require a gradient"
            direction = rng.standard_normal(g.shape).astype(np_dtype)
            projection_t = projection_t + (e * torch.tensor(direction)).sum()
            projection_d = projection_d + (g * direction).sum()
    if isinstance(projection_t, int):  # nothing differentiable came out
        return True
    projection_t.backward()
    projection_d.backward()
    for i, (t, d) in enumerate(zip(theirs, ours)):
        if not t.requires_grad:
            continue
        want = np.zeros(t.shape, np_dtype) if t.grad is None else t.grad.numpy()
        have = np.zeros(d.shape, np_dtype) if d.grad is None else d.grad
        assert have.shape == want.shape and have.dtype == want.dtype, f"{label}: gradient {i} is {have.dtype}{have.shape}"
        np.testing.assert_allclose(have, want, **tolerance, err_msg=f"{label}: gradient of input {i}")
    return True


def some_shape(rng, ndim, sizes=(1, 2, 3, 4)):
    return tuple(int(rng.choice(sizes)) for _ in range(ndim))


def sizes_for(rng):
    """Side lengths: now and then with 0 among them (empty tensors), mostly without."""
    return (0, 1, 2, 3) if rng.random() < 0.25 else (1, 2, 3, 4)


# -- broadcasting arithmetic ------------------------------------------------------------------------

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 0.5),
    "pow": lambda a, b: (a * a + 0.5) ** b,
    "maximum": lambda a, b: a.maximum(b) if isinstance(a, torch.Tensor) else dp.maximum(a, b),
    "minimum": lambda a, b: a.minimum(b) if isinstance(a, torch.Tensor) else dp.minimum(a, b),
    "maximum-method": lambda a, b: a.maximum(b),
    "remainder": lambda a, b: a % (b * b + 0.5),
    # (PyTorch's number % tensor has no rule; a tensor of that number has)
    "rmod": lambda a, b: (torch.full_like(b, 2.5) if isinstance(b, torch.Tensor) else 2.5) % (b * b + 0.5) + a,
    # PyTorch has no rule for //; div(rounding_mode='floor') is the same quotient with its zero slope
    "floor_divide": lambda a, b: (torch.div(a, b * b + 0.5, rounding_mode="floor") if isinstance(a, torch.Tensor)
                                  else a // (b * b + 0.5)),
    "div-trunc": lambda a, b: a.div(b * b + 0.5, rounding_mode="trunc"),
    "add-alpha": lambda a, b: a.add(b, alpha=2),
    "sub-alpha": lambda a, b: a.sub(b, alpha=-0.5),
}


def broadcast_pair(rng):
    """Two shapes that broadcast: one of up to 3 dims (0-d and size-0 dims included), the other
    with some of its dims set to 1 and some leading ones dropped, in either order."""
    shape = some_shape(rng, int(rng.integers(0, 4)), sizes_for(rng))
    other = [1 if rng.random() < 0.3 else n for n in shape][int(rng.integers(0, len(shape) + 1)):]
    return (shape, tuple(other)) if rng.random() < 0.5 else (tuple(other), shape)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_broadcast_arithmetic_matches_pytorch(seed, dtype):
    rng = np.random.default_rng(seed)
    for _ in range(25):
        sa, sb = broadcast_pair(rng)
        # integer-valued inputs put ties into maximum/minimum, whose gradients split them
        a, b = (np.round(rng.uniform(-2, 2, s) * 2) / 2 for s in (sa, sb))
        for name, fn in BINARY.items():
            compare(f"{name} {sa} {sb}", fn, fn, [a, b], dtype, rng)
        condition = rng.random(sa) < 0.5
        compare(f"where {sa} {sb}", torch.where, dp.where, [condition, a, b], dtype, rng)


# -- reductions -------------------------------------------------------------------------------------


def some_dims(rng, ndim):
    """A reduction's dim: an int (negative half the time), a tuple or a list of distinct dims
    (empty ones included: PyTorch reduces over all dims then), or None."""
    r = rng.random()
    if r < 0.1:
        return None
    if ndim == 0:
        return int(rng.choice([0, -1]))
    if r < 0.5:
        return int(rng.integers(-ndim, ndim))
    dims = [int(d) - ndim if rng.random() < 0.5 else int(d) for d in rng.permutation(ndim)[: rng.integers(0, ndim + 1)]]
    return tuple(dims) if r < 0.8 else dims


def reduce_kwargs(dims, keepdim):
    return {"keepdim": keepdim} if dims is None else {"dim": dims, "keepdim": keepdim}


REDUCTIONS = {
    "sum": lambda x, kw: x.sum(**kw) if kw.get("dim") is not None else x.sum(),
    "mean": lambda x, kw: x.mean(**kw) if kw.get("dim") is not None else x.mean(),
    "var": lambda x, kw: x.var(**kw),
    "std-biased": lambda x, kw: x.std(**kw, correction=0),
    "norm": lambda x, kw: x.norm(2, **kw),
    "norm1": lambda x, kw: x.norm(1, **kw),
    "norm3": lambda x, kw: x.norm(3, **kw),
    "amax": lambda x, kw: x.amax(**kw) if kw.get("dim") is not None else x.amax(),
    "amin": lambda x, kw: x.amin(**kw) if kw.get("dim") is not None else x.amin(),
}
ONE_DIM = {  # PyTorch takes one int dim only
    "max(dim)": lambda x, d, k: tuple(x.max(d, k)),
    "min(dim)": lambda x, d, k: tuple(x.min(dim=d, keepdim=k)),
    "argmax": lambda x, d, k: x.argmax(dim=d, keepdim=k),
    "prod": lambda x, d, k: x.prod(d, k),
    "logsumexp": lambda x, d, k: x.logsumexp(d, k),
    "cumsum": lambda x, d, k: x.cumsum(d),
    "cumprod": lambda x, d, k: x.cumprod(dim=d),
    "softmax": lambda x, d, k: x.softmax(d),
}


@pytest.mark.filterwarnings("ignore:.*degrees of freedom")  # (one element, corrected: NaN, as ours)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_reductions_over_dims_match_pytorch(seed, dtype):
    rng = np.random.default_rng(100 + seed)
    for _ in range(25):
        shape = some_shape(rng, int(rng.integers(0, 4)), sizes_for(rng))
        dims, keepdim = some_dims(rng, len(shape)), bool(rng.random() < 0.5)
        # integers and halves: ties for amax/amin/max, zeros for prod/cumprod/norm (their subgradients)
        x = np.round(rng.uniform(-2, 2, shape) * 2) / 2
        kw = reduce_kwargs(dims, keepdim)
        # PyTorch 2.13's var and std reduce every dim for dim=() but divide their gradients by
        # 1 - correction then (inf): the reference for an empty dims names every dim
        empty = isinstance(dims, (tuple, list)) and not dims
        reference = reduce_kwargs(list(range(len(shape))) if empty and shape else dims, keepdim)
        for name, fn in REDUCTIONS.items():
            compare(f"{name} {shape} {kw}", lambda t: fn(t, reference), lambda t: fn(t, kw), [x], dtype, rng)
        if isinstance(dims, int) and shape and 0 not in shape:
            for name, fn in ONE_DIM.items():
                compare(f"{name} {shape} dim={dims} keepdim={keepdim}", lambda t: fn(t, dims, keepdim),
                        lambda t: fn(t, dims, keepdim), [x], dtype, rng)


# -- shape operations -------------------------------------------------------------------------------


def shape_cases(rng, shape):
    """(label, function for either framework) for the shape operations on a tensor of ``shape``."""
    ndim = len(shape)
    cases = [("flatten", lambda t: t.flatten()), ("squeeze", lambda t: t.squeeze())]
    target = [int(n) for n in rng.permutation(list(shape))]
    if target and rng.random() < 0.5:
        target[int(rng.integers(0, ndim))] = -1
    cases.append((f"reshape{target}", lambda t: t.reshape(target) if target else t.reshape(())))
    new = int(rng.integers(-ndim - 1, ndim + 1))
    cases.append((f"unsqueeze({new})", lambda t: t.unsqueeze(new)))
    sizes = [int(rng.integers(0, 3)) if i < 0 or shape[i] == 1 else -1 if rng.random() < 0.5 else shape[i]
             for i in range(-int(rng.integers(0, 3)), ndim)]
    if sizes:
        cases.append((f"expand{sizes}", lambda t: t.expand(*sizes)))
    reps = [int(rng.integers(0, 3)) for _ in range(ndim + int(rng.integers(0, 2)))]
    if reps:
        cases.append((f"repeat{reps}", lambda t: t.repeat(*reps)))
    tiles = [int(rng.integers(0, 3)) for _ in range(int(rng.integers(0, ndim + 2)))]
    shift = int(rng.integers(-5, 6))
    cases += [(f"tile{tiles}", lambda t: t.tile(tiles)), (f"roll({shift})", lambda t: t.roll(shift))]
    if not ndim:
        cases += [("movedim(0, -1)", lambda t: t.movedim(0, -1)), ("swapaxes(-1, 0)", lambda t: t.swapaxes(-1, 0))]
        return cases
    d = int(rng.integers(-ndim, ndim))
    d2 = int(rng.integers(-ndim, ndim))
    perm = [int(p) - ndim if rng.random() < 0.5 else int(p) for p in rng.permutation(ndim)]
    flips = tuple(dict.fromkeys(int(a) for a in rng.integers(0, ndim, int(rng.integers(1, ndim + 1)))))
    start, end = sorted(int(a) for a in rng.integers(0, ndim, 2))
    n = shape[d]
    begin = int(rng.integers(-n, n + 1)) if n else 0
    length = int(rng.integers(0, n - begin % max(n, 1) + 1)) if n else 0
    size, chunks = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    cuts = sorted(int(c) for c in rng.integers(0, n + 1, 2))
    sections = [cuts[0], cuts[1] - cuts[0], n - cuts[1]]
    cases += [
        (f"permute{perm}", lambda t: t.permute(*perm)),
        (f"transpose({d}, {d2})", lambda t: t.transpose(d, d2)),
        (f"squeeze({d})", lambda t: t.squeeze(d)),
        (f"flip{flips}", lambda t: t.flip(flips)),
        (f"flatten({start}, {end})", lambda t: t.flatten(start, end)),
        (f"narrow({d}, {begin}, {length})", lambda t: t.narrow(d, begin, length)),
        (f"split({size}, {d})", lambda t: t.split(size, d)),
        (f"split({sections}, {d})", lambda t: t.split(sections, d)),
        (f"chunk({chunks}, {d})", lambda t: t.chunk(chunks, d)),
        (f"cat(dim={d})", lambda t: (torch.cat if isinstance(t, torch.Tensor) else dp.cat)([t, t * 2], dim=d)),
        (f"stack(dim={d2})", lambda t: (torch.stack if isinstance(t, torch.Tensor) else dp.stack)([t, -t], d2)),
    ]
    moved = [int(a) for a in rng.permutation(ndim)[: int(rng.integers(1, ndim + 1))]]
    places = [int(p) - ndim if rng.random() < 0.5 else int(p) for p in rng.permutation(ndim)[: len(moved)]]
    shifts, rolled = [int(s) for s in rng.integers(-4, 5, 2)], [d, d2]
    at = int(rng.integers(-n, n)) if n else 0
    picks = [int(i) for i in rng.integers(0, n, int(rng.integers(0, 4)))] if n else []
    cases += [
        (f"movedim({moved}, {places})", lambda t: t.movedim(moved, places)),
        (f"movedim({d}, {d2})", lambda t: t.movedim(d, d2)),
        (f"swapaxes({d}, {d2})", lambda t: t.swapaxes(d, d2)),
        (f"swapdims({d2}, {d})", lambda t: t.swapdims(d2, d)),
        (f"roll({shifts}, {rolled})", lambda t: t.roll(shifts, rolled)),
        (f"roll({shifts[0]}, {d})", lambda t: t.roll(shifts[0], d)),
        (f"select({d}, {at})", lambda t: t.select(d, at)),
        (f"unbind({d})", lambda t: t.unbind(d)),
        (f"unflatten({d}, (1, -1))", lambda t: t.unflatten(d, (1, -1))),
        (f"unflatten({d}, (-1, 1, 1))", lambda t: t.unflatten(d, (-1, 1, 1))),
        (f"index_select({d}, {picks})",
         lambda t: t.index_select(d, (torch.tensor if isinstance(t, torch.Tensor) else dp.tensor)(picks, dtype=torch.long
                                                                                                   if isinstance(t, torch.Tensor) else dp.int64))),
    ]
    if ndim >= 2:
        cases.append(("mT", lambda t: t.mT))
    if ndim >= 2:
        offset = int(rng.integers(-2, 3))
        other = (d + int(rng.integers(1, ndim))) % ndim
        cases += [
            (f"diagonal({offset}, {d}, {other})", lambda t: t.diagonal(offset, d, other)),
            (f"tril({offset})", lambda t: t.tril(offset)),
            (f"triu({offset})", lambda t: t.triu(offset)),
        ]
    return cases


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_shape_operations_match_pytorch(seed, dtype):
    rng = np.random.default_rng(200 + seed)
    for _ in range(25):
        shape = some_shape(rng, int(rng.integers(0, 5)), sizes_for(rng))
        x = rng.uniform(-2, 2, shape)
        for label, fn in shape_cases(rng, shape):
            compare(f"{label} of {shape}", fn, fn, [x], dtype, rng)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_gather_scatter_masked_fill_sort_and_topk_match_pytorch(seed, dtype):
    rng = np.random.default_rng(300 + seed)
    for _ in range(25):
        shape = some_shape(rng, int(rng.integers(1, 4)))
        ndim = len(shape)
        d = int(rng.integers(-ndim, ndim))
        x = np.round(rng.uniform(-2, 2, shape) * 2) / 2  # ties, which sort and topk break by position
        index_shape = tuple(int(rng.integers(0, 4)) if i == d % ndim else int(rng.integers(0, n + 1))
                            for i, n in enumerate(shape))
        index = rng.integers(0, shape[d], index_shape)  # repeats: the gradient adds them up
        compare(f"gather({d}) {shape} {index_shape}", lambda t, i: t.gather(d, i), lambda t, i: t.gather(d, i),
                [x, index], dtype, rng)
        mask = rng.random(shape[int(rng.integers(0, ndim + 1)):]) < 0.5
        compare(f"masked_fill {shape} {mask.shape}", lambda t, m: t.masked_fill(m, 0.5),
                lambda t, m: t.masked_fill(m, 0.5), [x, mask], dtype, rng)
        compare(f"sort({d}) {shape}", lambda t: tuple(t.sort(d, stable=True)), lambda t: tuple(t.sort(d)), [x], dtype, rng)
        compare(f"sort({d}, descending) {shape}", lambda t: tuple(t.sort(d, descending=True, stable=True)),
                lambda t: tuple(t.sort(d, descending=True)), [x], dtype, rng)
        # scatter: each position written once (one of several writes wins: which one is PyTorch's own
        # choice); scatter_add: repeats add up. src has the index's shape (PyTorch's rule fails for a
        # larger one).
        once = np.argsort(rng.random(shape), axis=d)
        once = once[tuple(slice(0, int(rng.integers(0, n + 1))) for n in shape)]
        src = rng.uniform(-2, 2, once.shape)
        compare(f"scatter({d}) {shape} {once.shape}", lambda t, i, s: t.scatter(d, i, s), lambda t, i, s: t.scatter(d, i, s),
                [x, once, src], dtype, rng)
        compare(f"scatter({d}, value) {shape} {once.shape}", lambda t, i: t.scatter(d, i, -0.5),
                lambda t, i: t.scatter(d, i, -0.5), [x, once], dtype, rng)
        compare(f"scatter_add({d}) {shape} {index_shape}", lambda t, i, s: t.scatter_add(d, i, s),
                lambda t, i, s: t.scatter_add(d, i, s), [x, index, rng.uniform(-2, 2, index_shape)], dtype, rng)
        picks = rng.integers(0, shape[d], int(rng.integers(0, 5)))
        compare(f"index_select({d}, {picks}) {shape}", lambda t, i: t.index_select(d, i), lambda t, i: t.index_select(d, i),
                [x, picks], dtype, rng)
        source = rng.uniform(-2, 2, shape[:d % ndim] + (len(picks),) + shape[d % ndim + 1:])
        alpha = float(rng.choice([1.0, -0.5, 2.0]))
        compare(f"index_add({d}, {picks}, alpha={alpha}) {shape}", lambda t, i, s: t.index_add(d, i, s, alpha=alpha),
                lambda t, i, s: t.index_add(d, i, s, alpha=alpha), [x, picks, source], dtype, rng)
        unique = rng.permutation(shape[d])[: len(picks)]  # (a repeat: one of the writes wins, PyTorch's choice)
        compare(f"index_copy({d}, {unique}) {shape}", lambda t, i, s: t.index_copy(d, i, s),
                lambda t, i, s: t.index_copy(d, i, s), [x, unique, source.take(np.arange(len(unique)), axis=d)], dtype, rng)
        compare(f"index_fill({d}, {picks}) {shape}", lambda t, i: t.index_fill(d, i, -0.5),
                lambda t, i: t.index_fill(d, i, -0.5), [x, picks], dtype, rng)
        compare(f"index_fill({d}, {picks}, tensor) {shape}", lambda t, i, v: t.index_fill(d, i, v),
                lambda t, i, v: t.index_fill(d, i, v), [x, picks, np.array(1.5)], dtype, rng)
        # scatter_reduce: x and src rounded to halves, so amax and amin meet ties (shared, as PyTorch's
        # rule shares them) and prod meets zeros; src has the index's shape (PyTorch's rule fails for a larger one)
        halves = np.round(rng.uniform(-2, 2, index_shape) * 2) / 2
        for reduce in ("sum", "prod", "mean", "amax", "amin"):
            include_self = bool(rng.random() < 0.5)
            compare(f"scatter_reduce({d}, {reduce}, include_self={include_self}) {shape} {index_shape}",
                    lambda t, i, s: t.scatter_reduce(d, i, s, reduce, include_self=include_self),
                    lambda t, i, s: t.scatter_reduce(d, i, s, reduce, include_self=include_self),
                    [x, index, halves], dtype, rng)
        compare(f"masked_select {shape} {mask.shape}", lambda t, m: t.masked_select(m), lambda t, m: t.masked_select(m),
                [x, mask], dtype, rng)
        k = int(rng.integers(0, shape[d] + 1))
        distinct = x + rng.permutation(x.size).reshape(shape) * 1e-3  # PyTorch's topk breaks ties its own way
        for largest in (True, False):
            compare(f"topk({k}, {d}, largest={largest}) {shape}", lambda t: tuple(t.topk(k, d, largest)),
                    lambda t: tuple(t.topk(k, d, largest)), [distinct], dtype, rng)


# -- indexing and index assignment ------------------------------------------------------------------


def some_index(rng, shape):
    """A random index for a tensor of ``shape``, as a list of parts: ints (negative ones too),
    slices with positive steps (PyTorch refuses negative ones), None, Ellipsis, integer arrays and
    boolean masks (at most three arrays, which then broadcast), mixed freely. Two forms where NumPy
    and PyTorch place the result's axes differently come often: integers separated from an array
    by a slice, and an Ellipsis between two arrays (standing for no dimension when the index
    covers them all: PyTorch drops it, NumPy counts it as a separator)."""
    parts, arrays, dim = [], 0, 0
    while dim < len(shape) and rng.random() > 0.15:
        n = shape[dim]
        r = rng.random()
        if r < 0.12:
            parts.append(None)
            continue
        if r < 0.35 and n:
            parts.append(int(rng.integers(-n, n)))
        elif r < 0.55 and arrays < 3:
            arrays += 1
            parts.append(("int", rng.integers(-n, n, int(rng.integers(1, 3))) if n else np.zeros(0, np.int64)))
        elif r < 0.65 and arrays < 3:
            arrays += 1
            parts.append(("bool", rng.random(n) < 0.5))
        else:
            ends = [None, *range(-n - 1, n + 2)]
            parts.append(slice(rng.choice(ends), rng.choice(ends), rng.choice([None, 1, 2, 3])))
        dim += 1
    if rng.random() < 0.3:
        after_arrays = [i + 1 for i, p in enumerate(parts) if isinstance(p, tuple)]
        between = after_arrays[:-1] if rng.random() < 0.5 else []  # just after an array, before another
        parts.insert(int(rng.choice(between)) if between else int(rng.integers(0, len(parts) + 1)), Ellipsis)
    return parts


def index_for(parts, tensor_type):
    """The index in one framework's form: arrays as that framework's tensors."""
    return tuple(tensor_type(p[1]) if isinstance(p, tuple) else p for p in parts)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_indexing_matches_pytorch(seed, dtype):
    rng = np.random.default_rng(400 + seed)
    for _ in range(50):
        shape = some_shape(rng, int(rng.integers(0, 4)), sizes_for(rng))
        x = rng.uniform(-2, 2, shape)
        parts = some_index(rng, shape)
        label = f"x{list(shape)}[{parts}]"
        compare(label, lambda t: t[index_for(parts, torch.tensor)], lambda t: t[index_for(parts, dp.tensor)], [x], dtype, rng)
        compare(label + " (NumPy arrays)", lambda t: t[index_for(parts, torch.tensor)],
                lambda t: t[index_for(parts, np.asarray)], [x], dtype, rng)
        mask = rng.random(shape) < 0.5
        compare(f"x{list(shape)}[mask]", lambda t: t[torch.tensor(mask)], lambda t: t[dp.tensor(mask)], [x], dtype, rng)


def index_around_an_ellipsis(rng, shape):
    """An index covering every dimension of ``shape``, two or three of them by arrays (integer
    arrays or masks), with an Ellipsis standing for no dimension just after one array and before
    another; the other dimensions get ints or slices, and None may come anywhere."""
    chosen = rng.choice(len(shape), int(rng.integers(2, min(3, len(shape)) + 1)), replace=False)
    parts = []
    for dim, n in enumerate(shape):
        if rng.random() < 0.15:
            parts.append(None)
        if dim in chosen:
            mask = rng.random() < 0.3
            parts.append(("bool", rng.random(n) < 0.5) if mask else ("int", rng.integers(-n, n, int(rng.integers(1, 3)))))
        elif rng.random() < 0.4:
            parts.append(int(rng.integers(-n, n)))
        else:
            parts.append(slice(rng.choice([None, 0, 1]), rng.choice([None, -1, n]), rng.choice([None, 1, 2])))
    after_arrays = [i + 1 for i, p in enumerate(parts) if isinstance(p, tuple)]
    parts.insert(int(rng.choice(after_arrays[:-1])), Ellipsis)
    return parts


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_indexing_with_arrays_around_an_empty_ellipsis_matches_pytorch(seed, dtype):
    # NumPy counts the Ellipsis as a separator between the arrays (their axis goes first); PyTorch
    # drops an Ellipsis that stands for no dimension, so the arrays stay adjacent.
    rng = np.random.default_rng(450 + seed)
    for _ in range(25):
        shape = some_shape(rng, int(rng.integers(2, 5)), (1, 2, 3))
        x = rng.uniform(-2, 2, shape)
        parts = index_around_an_ellipsis(rng, shape)
        label = f"x{list(shape)}[{parts}]"
        compare(label, lambda t: t[index_for(parts, torch.tensor)], lambda t: t[index_for(parts, dp.tensor)], [x], dtype, rng)
        compare(label + " (NumPy arrays)", lambda t: t[index_for(parts, torch.tensor)],
                lambda t: t[index_for(parts, np.asarray)], [x], dtype, rng)


@pytest.mark.parametrize("seed", SEEDS)
def test_index_assignment_matches_pytorch(seed):
    rng = np.random.default_rng(500 + seed)
    for _ in range(50):
        shape = some_shape(rng, int(rng.integers(0, 4)), sizes_for(rng))
        x = rng.uniform(-2, 2, shape)
        parts = [p for p in some_index(rng, shape) if not (isinstance(p, tuple) and p[0] == "int")]
        ints = [p for p in parts if not isinstance(p, tuple)]  # (repeated integer targets: PyTorch's order is unspecified)
        theirs, ours = torch.tensor(x), dp.tensor(x, dtype=np.float64)
        for index_parts in (parts, ints):
            try:
                selected = theirs[index_for(index_parts, torch.tensor)]
            except IndexError:
                continue
            value_shape = tuple(selected.shape)[int(rng.integers(0, selected.ndim + 1)):]
            value = rng.uniform(-5, 5, tuple(1 if rng.random() < 0.3 else n for n in value_shape))
            theirs[index_for(index_parts, torch.tensor)] = torch.tensor(value)
            ours[index_for(index_parts, dp.tensor)] = value
            np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=0, atol=0, err_msg=f"x{list(shape)}[{index_parts}] = ...")


# -- regressions: the differences this review found -------------------------------------------------

X = np.random.default_rng(7).uniform(-2, 2, (2, 3, 4))


def both(x=X):
    """The same float64 values in both frameworks, each requiring a gradient."""
    return torch.tensor(x, requires_grad=True), dp.tensor(x, dtype=np.float64, requires_grad=True)


INTEGER_AND_ARRAY = {  # an integer and an array index apart (T makes a tensor of either framework)
    "int, slice, list": lambda T: (0, slice(None), [0, 2]),
    "slice, int, None, tensor": lambda T: (slice(None), 1, None, T([0, 3, 3])),
    "int, slice, mask": lambda T: (-1, slice(None), T(np.array([True, False, True, True]))),
    "0-d tensor, slice, list": lambda T: (T(1), slice(None), [1]),
    "Ellipsis, int, slice, list": lambda T: (Ellipsis, 0, slice(1, None), [0, 1]),
    "int, None, slice, 2-d tensor": lambda T: (1, None, slice(None), T([[0, 1], [2, 3]])),
}


@pytest.mark.parametrize("index", INTEGER_AND_ARRAY.values(), ids=INTEGER_AND_ARRAY.keys())
def test_an_integer_and_an_array_apart_place_the_axes_as_pytorch(index):
    # NumPy counts the integer as an advanced index, and advanced indices split by a slice put the
    # broadcast axes first: x[0, :, [0, 2]] of shape (2, 3, 4) was (2, 3); PyTorch's is (3, 2).
    theirs, ours = both()
    expected, got = theirs[index(torch.tensor)], ours[index(dp.tensor)]
    assert got.shape == tuple(expected.shape)
    np.testing.assert_array_equal(got.data, expected.detach().numpy())
    direction = np.random.default_rng(0).standard_normal(got.shape)
    expected.backward(torch.tensor(direction))
    got.backward(direction)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=0)
    assert dp.gradcheck(lambda x: x[index(dp.tensor)], [dp.tensor(X, dtype=np.float64, requires_grad=True)])


@pytest.mark.parametrize("index", INTEGER_AND_ARRAY.values(), ids=INTEGER_AND_ARRAY.keys())
def test_assigning_through_an_integer_and_an_array_apart_writes_where_pytorch_does(index):
    theirs, ours = torch.tensor(X), dp.tensor(X, dtype=np.float64)
    shape = tuple(theirs[index(torch.tensor)].shape)
    value = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)  # a value of PyTorch's shape, all distinct
    theirs[index(torch.tensor)] = torch.tensor(value)
    ours[index(dp.tensor)] = value
    np.testing.assert_array_equal(ours.data, theirs.numpy())


DIMS_REDUCTIONS = {
    "sum": lambda x, dim, keep: x.sum(dim, keep),
    "mean": lambda x, dim, keep: x.mean(dim=dim, keepdim=keep),
    "var": lambda x, dim, keep: x.var(dim=dim, keepdim=keep),
    "std": lambda x, dim, keep: x.std(dim=dim, keepdim=keep, correction=0),
    "norm": lambda x, dim, keep: x.norm(dim=dim, keepdim=keep),
    "norm3": lambda x, dim, keep: x.norm(3, dim, keep),
    "logsumexp": lambda x, dim, keep: x.logsumexp(dim, keep),
    "var_mean": lambda x, dim, keep: (torch if isinstance(x, torch.Tensor) else dp).var_mean(x, dim, keepdim=keep)[0],
}


@pytest.mark.parametrize("keep", [False, True])
@pytest.mark.parametrize("dim", [[0, 2], [-1], (), []], ids=["list", "one-item-list", "empty-tuple", "empty-list"])
@pytest.mark.parametrize("name", DIMS_REDUCTIONS)
def test_reductions_take_dims_as_a_list_and_reduce_all_dims_for_an_empty_one(name, dim, keep):
    # A list was handed to NumPy, which wants a tuple (a TypeError in Python's words); an empty dim
    # reduced nothing (NumPy's axis=()), where PyTorch reduces every dimension.
    reduce = DIMS_REDUCTIONS[name]
    theirs, ours = both()
    # PyTorch 2.13's var and std reduce every dim for dim=(), but their gradients then divide by
    # 1 - correction (inf, or NaN): the reference is dim=None there (logsumexp wants them all named).
    every = [0, 1, 2] if name == "logsumexp" else None
    expected, got = reduce(theirs, list(dim) or every, keep), reduce(ours, dim, keep)
    assert got.shape == tuple(expected.shape)
    np.testing.assert_allclose(got.data, expected.detach().numpy(), rtol=1e-12)
    direction = np.random.default_rng(1).standard_normal(got.shape)
    expected.backward(torch.tensor(direction))
    got.backward(direction)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert dp.gradcheck(lambda x: reduce(x, dim, keep), [dp.tensor(X, dtype=np.float64, requires_grad=True)])


@pytest.mark.parametrize("reduce", [
    lambda x: x.sum((0, 0)), lambda x: x.mean(dim=[1, -2]), lambda x: x.var((2, -1)), lambda x: x.norm(dim=(0, 0)),
    lambda x: x.logsumexp((1, 1)), lambda x: x.prod((0, 0)), lambda x: x.max(axis=(2, 2)), lambda x: x.sum().sum((0, -1)),
])
def test_a_dim_named_twice_in_a_reduction_is_refused_in_one_sentence(reduce):
    with pytest.raises(ShapeError, match="more than once"):
        reduce(dp.tensor(X))


MOMENT_CALLS = {
    "(dim, unbiased=False)": lambda x, m: getattr(x, m)(1, False),
    "(dim, unbiased=True)": lambda x, m: getattr(x, m)(1, True),
    "(dim, unbiased, keepdim)": lambda x, m: getattr(x, m)(-1, False, True),
    "(dims, unbiased, keepdim)": lambda x, m: getattr(x, m)((0, 2), True, True),
    "(unbiased=False)": lambda x, m: getattr(x, m)(False),
    "(dim, keepdim=)": lambda x, m: getattr(x, m)(0, keepdim=True),
    "(dim=, unbiased=)": lambda x, m: getattr(x, m)(dim=2, unbiased=False),
    "(dim, correction=)": lambda x, m: getattr(x, m)(1, correction=0),
    "(correction=2)": lambda x, m: getattr(x, m)(correction=2),
}


@pytest.mark.parametrize("method", ["var", "std"])
@pytest.mark.parametrize("call", MOMENT_CALLS.values(), ids=MOMENT_CALLS.keys())
def test_var_and_std_take_pytorchs_positional_arguments(call, method):
    # PyTorch's var/std read (dim, unbiased, keepdim); the methods read the second argument as
    # keepdims, so x.var(1, False) gave the unbiased variance where PyTorch's is the biased one.
    theirs, ours = both()
    expected, got = call(theirs, method), call(ours, method)
    assert got.shape == tuple(expected.shape)
    np.testing.assert_allclose(got.data, expected.detach().numpy(), rtol=1e-12)
    direction = np.random.default_rng(2).standard_normal(got.shape)
    expected.backward(torch.tensor(direction))
    got.backward(direction)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_var_and_std_keep_numpys_keyword_names():
    ours = dp.tensor(X, dtype=np.float64)
    np.testing.assert_allclose(ours.var(axis=(0, 2), keepdims=True, correction=0).data, X.var(axis=(0, 2), keepdims=True))
    np.testing.assert_allclose(ours.std(axis=1, correction=1).data, X.std(axis=1, ddof=1))
    with pytest.raises(TypeError, match="unbiased .* or correction"):
        ours.var(1, True, correction=0)


@pytest.mark.parametrize("dims", [(0, 1), (-1, -3), (2, 2), (-2, 0)])
def test_transpose_swaps_any_two_dims_as_pytorch(dims):
    theirs, ours = both()
    expected, got = theirs.transpose(*dims), dp.transpose(ours, *dims)
    np.testing.assert_array_equal(got.data, expected.detach().numpy())
    got.backward(np.ones(got.shape))
    np.testing.assert_array_equal(ours.grad, np.ones(X.shape))


@pytest.mark.parametrize("dims", [(0, 0), (0, -1), (-1, -1)])
def test_a_0d_tensor_transposes_to_itself_as_in_pytorch(dims):
    # (the list of its axes was indexed with dim0 and dim1: Python's "list index out of range")
    x = dp.tensor(1.5, requires_grad=True)
    y = x.transpose(*dims)
    assert y.shape == () and y.item() == torch.tensor(1.5).transpose(*dims).item()
    y.backward()
    assert x.grad == 1.0


@pytest.mark.parametrize("call, words", [
    (lambda x: x.transpose(0, 3), "transpose: axis 3 is out of range for a tensor with 3 dimensions"),
    (lambda x: x.transpose(-4, 0), "transpose: axis -4 is out of range"),
    (lambda x: dp.transpose(x, 1, 5), "transpose: axis 5"),
    (lambda x: x.sum().transpose(0, 1), "transpose: axis 1 is out of range for a tensor with 0 dimensions"),
    (lambda x: x.size(3), "size: axis 3 is out of range for a tensor with 3 dimensions"),
    (lambda x: x.size(-4), "size: axis -4"),
    (lambda x: x.sum().size(0), "size: a 0-d tensor has no dimension 0"),
])
def test_a_dim_out_of_range_in_transpose_or_size_is_refused_in_one_sentence(call, words):
    with pytest.raises(ShapeError, match=words.replace("(", r"\(")):
        call(dp.tensor(X))


def test_size_of_a_dim_counts_from_the_end_for_a_negative_one():
    x = dp.tensor(X)
    assert [x.size(d) for d in (0, 1, 2, -1, -3)] == [2, 3, 4, 4, 2]


@pytest.mark.parametrize("write, error, words", [
    (lambda x: x.__setitem__(0, np.ones(5)), ShapeError, r"item assignment: cannot write a value of shape \(5,\) .* shape \(2, 3, 4\)"),
    (lambda x: x.__setitem__((0, slice(None), [0, 1]), np.ones((2, 3))), ShapeError, r"value of shape \(2, 3\)"),
    (lambda x: x.__setitem__(5, 1.0), IndexError, r"item assignment: index 5 is out of bounds .* \(tensor of shape \(2, 3, 4\)\)"),
    (lambda x: x.__setitem__((0, 0, 0, 0), 1.0), IndexError, r"item assignment: too many indices"),
])
def test_a_bad_index_assignment_is_refused_in_one_sentence_naming_the_shapes(write, error, words):
    # (NumPy's own words came through before: "could not broadcast input array from shape (5,) into shape (3,4)")
    with pytest.raises(error, match=words):
        write(dp.tensor(X))
