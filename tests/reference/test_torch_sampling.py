"""normal, bernoulli, poisson and multinomial as PyTorch's: shapes, dtypes, the zero gradient,
the refusals, and the draws' statistics (tolerances from the number of draws, a fixed seed)."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ConfigError

torch = pytest.importorskip("torch")

N = 200_000


@pytest.fixture(autouse=True)
def _seeded():
    dp.manual_seed(0)
    torch.manual_seed(0)


@pytest.mark.parametrize("call", [
    lambda lib: lib.normal(lib.zeros(2, 1), lib.ones(3)),
    lambda lib: lib.normal(lib.zeros(4, dtype=lib.float64), 2.0),
    lambda lib: lib.normal(1.0, lib.ones(3)),
    lambda lib: lib.normal(0.0, 1.0, size=(2, 5)),
    lambda lib: lib.normal(0, 1, (3,)),
    lambda lib: lib.bernoulli(lib.full((2, 3), 0.5)),
    lambda lib: lib.bernoulli(lib.zeros(4, dtype=lib.float64), 0.3),
    lambda lib: lib.poisson(lib.full((3, 2), 4.0)),
    lambda lib: lib.multinomial(lib.tensor([1.0, 2.0, 3.0]), 2),
    lambda lib: lib.multinomial(lib.tensor([[1.0, 2.0], [3.0, 1.0]]), 4, replacement=True),
    lambda lib: lib.tensor([0.2, 0.8]).multinomial(1),
    lambda lib: lib.tensor([0.2, 0.8]).bernoulli(),
])
def test_shapes_and_dtypes_are_pytorchs(call):
    ours, theirs = call(dp), call(torch)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == theirs.numpy().dtype


def test_the_gradient_through_a_draw_is_zero_as_in_pytorch():
    for lib in (dp, torch):
        mean = lib.tensor([0.0, 1.0], requires_grad=True)
        std = lib.tensor([1.0, 2.0], requires_grad=True)
        p = lib.tensor([0.3, 0.7], requires_grad=True)
        rate = lib.tensor([2.0, 3.0], requires_grad=True)
        drawn = [lib.normal(mean, std), lib.bernoulli(p), lib.poisson(rate)]
        assert all(d.requires_grad for d in drawn)
        (sum((d * d).sum() for d in drawn) + (mean * 3).sum()).backward()
        grads = [np.asarray(getattr(t.grad, "numpy", lambda: t.grad)()) for t in (mean, std, p, rate)]
        np.testing.assert_array_equal(grads[0], [3.0, 3.0])  # through the other term only
        for g in grads[1:]:
            np.testing.assert_array_equal(g, [0.0, 0.0])
    assert not dp.multinomial(dp.tensor([1.0, 1.0], requires_grad=True), 1).requires_grad


def test_normal_draws_have_the_asked_mean_and_spread():
    mean = dp.tensor([[-3.0], [0.0], [5.0]])
    std = dp.tensor([0.5, 2.0])
    draws = np.stack([dp.normal(mean, std).data for _ in range(N // 100)]).astype(np.float64)
    n = draws.shape[0]
    expected_std = np.broadcast_to(std.data, (3, 2))
    assert np.all(np.abs(draws.mean(0) - mean.data) < 5 * expected_std / np.sqrt(n))
    assert np.all(np.abs(draws.std(0) / expected_std - 1) < 5 / np.sqrt(2 * n))


def test_bernoulli_and_poisson_frequencies():
    p = np.array([0.0, 0.1, 0.5, 0.97, 1.0])
    draws = dp.bernoulli(dp.tensor(np.tile(p, (N, 1)))).data
    assert set(np.unique(draws)) <= {0.0, 1.0}
    tolerance = 5 * np.sqrt(p * (1 - p) / N) + 1e-12
    assert np.all(np.abs(draws.mean(0) - p) <= tolerance)
    assert dp.bernoulli(dp.zeros(N), 0.25).data.mean() == pytest.approx(0.25, abs=5 * np.sqrt(0.25 * 0.75 / N))
    rates = np.array([0.0, 0.5, 7.0, 1e4, 1e13])
    counts = dp.poisson(dp.tensor(np.tile(rates, (N // 10, 1)), dtype=dp.float64)).data
    n = counts.shape[0]
    assert np.all(np.abs(counts.mean(0) - rates) <= 5 * np.sqrt(rates / n))
    assert np.all(counts == np.round(counts)) and counts[:, 0].max() == 0


def test_multinomial_draws_categories_by_their_weights():
    weights = np.array([1.0, 0.0, 3.0, 6.0])
    p = weights / weights.sum()
    with_replacement = dp.multinomial(dp.tensor(weights), N, replacement=True).data
    frequencies = np.bincount(with_replacement, minlength=4) / N
    assert np.all(np.abs(frequencies - p) <= 5 * np.sqrt(p * (1 - p) / N) + 1e-12)
    rows = dp.multinomial(dp.tensor(np.tile(weights, (N // 10, 1))), 3).data  # without replacement
    assert all(len(set(row)) == 3 for row in rows[:1000]) and not (rows == 1).any()  # weight 0: never, while others remain
    n = rows.shape[0]
    first = np.bincount(rows[:, 0], minlength=4) / n  # the first draw of each row follows the weights
    assert np.all(np.abs(first - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-12)
    # the second, given the first: P(second = j) = Σ_i p_i · p_j / (1 − p_i)
    second = np.bincount(rows[:, 1], minlength=4) / n
    expected = np.array([sum(p[i] * p[j] / (1 - p[i]) for i in range(4) if i != j) for j in range(4)])
    assert np.all(np.abs(second - expected) <= 5 * np.sqrt(expected * (1 - expected) / n) + 1e-12)
    assert sorted(dp.multinomial(dp.tensor([1.0, 0.0, 2.0]), 3).tolist())[:3] == [0, 1, 2]  # zero weight last


def test_a_generator_repeats_the_draws():
    for make in (lambda g: dp.normal(dp.zeros(5), 1.0, generator=g), lambda g: dp.bernoulli(dp.full((5,), 0.5), generator=g),
                 lambda g: dp.poisson(dp.full((5,), 3.0), generator=g), lambda g: dp.multinomial(dp.ones(5), 5, generator=g)):
        first = make(dp.Generator().manual_seed(7)).data
        np.testing.assert_array_equal(first, make(dp.Generator().manual_seed(7)).data)


@pytest.mark.parametrize("call, ours, message", [
    (lambda lib: lib.multinomial(lib.tensor([0.0, 0.0]), 1), ConfigError, "positive sum"),
    (lambda lib: lib.multinomial(lib.tensor([-1.0, 2.0]), 1), ConfigError, "finite and non-negative"),
    (lambda lib: lib.multinomial(lib.tensor([1.0, float("nan")]), 1), ConfigError, "finite and non-negative"),
    (lambda lib: lib.multinomial(lib.tensor([1.0, 1.0]), 3), ConfigError, "cannot draw 3 samples without replacement"),
    (lambda lib: lib.multinomial(lib.ones(2, 2, 2), 1), dp.errors.ShapeError, "vector of weights"),
    (lambda lib: lib.multinomial(lib.tensor([1, 2]), 1), TypeError, "floating-point weights"),
    (lambda lib: lib.multinomial(lib.ones(3), 0), ConfigError, "num_samples must be a positive integer"),
    (lambda lib: lib.normal(lib.zeros(2), -1.0), ConfigError, "std must be at least 0"),
    (lambda lib: lib.normal(0.0, 1.0), TypeError, "give size="),
    (lambda lib: lib.bernoulli(lib.tensor([1.5])), ConfigError, r"probability must lie in \[0, 1\]"),
    (lambda lib: lib.bernoulli(lib.tensor([1])), TypeError, "floating-point tensor"),
    (lambda lib: lib.poisson(lib.tensor([-1.0])), ConfigError, "rates must be at least 0"),
    (lambda lib: lib.poisson(lib.tensor([2])), TypeError, "floating-point tensor"),
])
def test_what_pytorch_refuses_is_refused_in_one_sentence(call, ours, message):
    with pytest.raises((RuntimeError, TypeError, NotImplementedError)):
        call(torch)
    with pytest.raises(ours, match=message):
        call(dp)


def test_second_derivatives_pass_a_draw_as_a_constant():
    x = dp.tensor([0.5, 2.0], dtype=dp.float64, requires_grad=True)
    drawn = dp.normal(x, 1.0)
    (g,) = dp.autograd.grad((drawn * x * x).sum(), x, create_graph=True)  # ∂/∂x of d·x² with d constant: 2dx
    np.testing.assert_allclose(g.data, 2 * drawn.data * x.data)
    (h,) = dp.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h, 2 * drawn.data)
