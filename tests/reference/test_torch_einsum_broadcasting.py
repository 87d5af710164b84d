"""einsum where a subscript is broadcast from size 1 ('a,a->' with shapes (1,) and (3,)), against
PyTorch 2.13: values, first gradients taken with create_graph=True (the differentiable rule,
autograd/differentiable_products.py's ``einsum_gradient``) and a second derivative built on them.
Each operand's gradient has the operand's shape: summed over a letter where the operand had size 1,
and at full size along a letter that every other operand carries at size 1 only.

The equations are drawn at random from a fixed seed, so the cases are the same on every run; each
has at least one letter, or one '...' dimension, at size 1 in one operand and larger in another."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import autograd  # noqa: E402
from second_order import derivatives  # noqa: E402

LETTERS = "abcde"


def _term(rng, sizes):
    """(term, shape) of one operand: up to three letters, some of them at size 1 (the same size at
    every place a letter repeats within the term, as PyTorch requires)."""
    letters = "".join(rng.choice(list(LETTERS), int(rng.integers(0, 4))))
    stretched = {c for c in dict.fromkeys(letters) if rng.random() < 0.3}  # in order: the same draws every run
    return letters, [1 if c in stretched else sizes[c] for c in letters]


def _broadcasts(terms, shapes):
    """Whether some letter (or '...' dimension, aligned from the right) has size 1 in one operand
    and a larger size in another."""
    seen = {}
    for term, shape in zip(terms, shapes):
        named = term.replace("...", "")
        ellipsis = len(shape) - len(named)
        position = term.find("...")
        keys = list(named) if position < 0 else (
            list(term[:position]) + [f"...{i}" for i in range(-ellipsis, 0)] + list(term[position + 3:]))
        for key, n in zip(keys, shape):
            seen.setdefault(key, set()).add(n)
    return any(1 in ns and len(ns) > 1 for ns in seen.values())


def draw_cases(count, seed=2024):
    """``count`` (equation, shapes) with broadcasting from size 1, one to three operands, with or
    without '...' and an explicit output."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        sizes = {c: int(rng.integers(2, 4)) for c in LETTERS}
        ellipsis = tuple(int(n) for n in rng.integers(2, 4, size=int(rng.integers(1, 3)))) if rng.random() < 0.3 else None
        terms, shapes = [], []
        for _ in range(int(rng.integers(1, 4))):
            term, shape = _term(rng, sizes)
            if ellipsis is not None and rng.random() < 0.7:
                position = int(rng.integers(0, len(term) + 1))
                dims = [1 if rng.random() < 0.4 else n for n in ellipsis[int(rng.integers(0, len(ellipsis) + 1)):]]
                term, shape = term[:position] + "..." + term[position:], shape[:position] + dims + shape[position:]
            terms.append(term)
            shapes.append(tuple(shape))
        if not _broadcasts(terms, shapes):
            continue
        equation = ",".join(terms)
        if rng.random() < 0.5:
            used = sorted(set(equation) - set(".,"))
            output = "".join(rng.permutation([c for c in used if rng.random() < 0.6]))
            equation += "->" + ("..." if "..." in equation else "") + output
        cases.append((equation, shapes))
    return cases


CASES = draw_cases(60)


def _derivatives(L, equation, values, w, v):
    """(einsum's value, the operands' gradients of s = Σ w·y² taken with create_graph=True, the
    gradients of t = Σ v·∇s): the second derivative along v."""
    return derivatives(L, lambda *xs: L.einsum(equation, *xs), values, w, v)


@pytest.mark.parametrize("equation, shapes", CASES, ids=[f"{e} {s}" for e, s in CASES])
def test_einsum_with_broadcast_subscripts_equals_pytorch(equation, shapes):
    rng = np.random.default_rng(len(equation) + sum(map(len, shapes)))
    values = [rng.standard_normal(shape) for shape in shapes]
    out_shape = torch.einsum(equation, *[torch.tensor(a) for a in values]).shape
    w = rng.standard_normal(tuple(out_shape))
    v = [rng.standard_normal(shape) for shape in shapes]
    ours, theirs = _derivatives(dp, equation, values, w, v), _derivatives(torch, equation, values, w, v)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, atol=1e-12, err_msg="value")
    for kind, mine, reference in (("first", ours[1], theirs[1]), ("second", ours[2], theirs[2])):
        for k, (a, b) in enumerate(zip(mine, reference)):
            assert a.shape == shapes[k], f"{kind} derivative of operand {k}: shape {a.shape}, not {shapes[k]}"
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"{kind} derivative of operand {k}")


def test_the_fuzz_draws_the_broadcasts_that_were_wrong():
    """The cases include a letter every other operand carries at size 1 only (what the rule got
    wrong), and a letter stretched in the operand differentiated."""
    def full_size_only_here(equation, shapes):
        terms = equation.split("->")[0].split(",")
        for k, (term, shape) in enumerate(zip(terms, shapes)):
            if "..." in term:
                continue
            for c, n in zip(term, shape):
                others = [m for j, (t, s) in enumerate(zip(terms, shapes)) if j != k and "..." not in t
                          for d, m in zip(t, s) if d == c]
                if n > 1 and others and max(others) == 1:
                    return True
        return False
    assert sum(full_size_only_here(*case) for case in CASES) >= 10


def test_a_letter_broadcast_from_size_1_by_hand():
    """einsum('a,a->', x, y) with x of shape (1,) is x·Σy: ∂/∂y = x at each of y's three places, and
    the penalty Σ(∂/∂y)² = 3x² has derivative 6x = 12 at x = 2."""
    x = dp.tensor([2.0], dtype=dp.float64, requires_grad=True)
    y = dp.tensor([1.0, 2.0, 3.0], dtype=dp.float64, requires_grad=True)
    gx, gy = autograd.grad(dp.einsum("a,a->", x, y), [x, y], create_graph=True)
    np.testing.assert_allclose(gx.data, [6.0])
    np.testing.assert_allclose(gy.data, [2.0, 2.0, 2.0])
    (second,) = autograd.grad((gy ** 2).sum(), [x])
    np.testing.assert_allclose(second.data, [12.0])
