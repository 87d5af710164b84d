"""deltaprop.Generator, PyTorch's seedable source of random numbers, and generator= wherever PyTorch
takes one: the creation functions, the in-place fills and nn.init. Two generators seeded alike draw
alike, a generator's draws leave the library's own generator alone, and its state goes and comes back
as a uint8 tensor. (PyTorch's own Generator, side by side: tests/reference/test_torch_data_api.py.)"""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError

# name: a draw of the function, from the generator it is given
CREATION = {
    "rand": lambda g: dp.rand(3, 4, generator=g),
    "randn": lambda g: dp.randn(5, generator=g, dtype=np.float64),
    "randint": lambda g: dp.randint(0, 100, (6,), generator=g),
    "randint high": lambda g: dp.randint(7, size=(2, 3), generator=g),
    "randperm": lambda g: dp.randperm(20, generator=g),
    "rand_like": lambda g: dp.rand_like(dp.zeros(4), generator=g),
    "randn_like": lambda g: dp.randn_like(dp.zeros(2, 2), generator=g),
    "randint_like": lambda g: dp.randint_like(dp.zeros(5, dtype=np.int64), 3, 9, generator=g),
}

FILLS = {
    "normal_": lambda x, g: x.normal_(1.0, 2.0, generator=g),
    "uniform_": lambda x, g: x.uniform_(-1.0, 1.0, generator=g),
    "bernoulli_": lambda x, g: x.bernoulli_(0.3, generator=g),
    "exponential_": lambda x, g: x.exponential_(2.0, generator=g),
    "geometric_": lambda x, g: x.geometric_(0.4, generator=g),
    "cauchy_": lambda x, g: x.cauchy_(generator=g),
    "log_normal_": lambda x, g: x.log_normal_(generator=g),
    "random_": lambda x, g: x.random_(0, 10, generator=g),
    "random_ to": lambda x, g: x.random_(5, generator=g),
}

INIT = {
    "uniform_": lambda w, g: nn.init.uniform_(w, -0.5, 0.5, generator=g),
    "normal_": lambda w, g: nn.init.normal_(w, 0.0, 0.1, generator=g),
    "trunc_normal_": lambda w, g: nn.init.trunc_normal_(w, std=0.02, generator=g),
    "trunc_normal_ narrow": lambda w, g: nn.init.trunc_normal_(w, 1.0, 1.0, -0.5, 0.5, generator=g),
    "xavier_uniform_": lambda w, g: nn.init.xavier_uniform_(w, generator=g),
    "xavier_normal_": lambda w, g: nn.init.xavier_normal_(w, 2.0, generator=g),
    "kaiming_uniform_": lambda w, g: nn.init.kaiming_uniform_(w, a=0.1, generator=g),
    "kaiming_normal_": lambda w, g: nn.init.kaiming_normal_(w, mode="fan_out", generator=g),
    "orthogonal_": lambda w, g: nn.init.orthogonal_(w, generator=g),
    "sparse_": lambda w, g: nn.init.sparse_(w, 0.5, generator=g),
}


def _seeded(seed=7):
    return dp.Generator().manual_seed(seed)


# -- the Generator ------------------------------------------------------------------------------------

def test_manual_seed_returns_the_generator_and_sets_its_initial_seed():
    g = dp.Generator()
    assert g.manual_seed(42) is g and g.initial_seed() == 42
    assert g.manual_seed(np.int64(3)).initial_seed() == 3
    # PyTorch's range: a negative seed counts modulo 2**64, up to 2**64 - 1
    assert g.manual_seed(-1).initial_seed() == 2**64 - 1
    assert g.manual_seed(-2**63).initial_seed() == 2**63
    assert g.manual_seed(2**64 - 1).initial_seed() == 2**64 - 1


@pytest.mark.parametrize("seed, message", [
    (1.5, r"^Generator.manual_seed: seed must be an integer, got 1\.5$"),
    (True, r"^Generator.manual_seed: seed must be an integer, got True$"),
    ("3", r"^Generator.manual_seed: seed must be an integer, got '3'$"),
    (2**64, r"^Generator.manual_seed: seed must lie in \[-2\*\*63, 2\*\*64\), got 18446744073709551616$"),
    (-2**63 - 1, r"^Generator.manual_seed: seed must lie in \[-2\*\*63, 2\*\*64\), got -9223372036854775809$"),
])
def test_bad_seeds_are_refused_in_one_sentence(seed, message):
    with pytest.raises(ConfigError, match=message):
        dp.Generator().manual_seed(seed)


def test_a_fresh_generator_starts_from_pytorchs_default_seed_and_repeats():
    assert dp.Generator().initial_seed() == 67280421310721
    np.testing.assert_array_equal(dp.rand(8, generator=dp.Generator()).data, dp.rand(8, generator=dp.Generator()).data)


def test_seed_draws_a_fresh_64_bit_seed_and_uses_it():
    g = dp.Generator()
    seeds = {g.seed() for _ in range(4)}
    assert len(seeds) == 4 and all(0 <= s < 2**64 for s in seeds)
    last = g.seed()
    assert g.initial_seed() == last
    np.testing.assert_array_equal(dp.rand(5, generator=g).data, dp.rand(5, generator=_seeded(last)).data)


@pytest.mark.parametrize("name", list(CREATION))
def test_two_generators_seeded_alike_draw_alike_and_other_seeds_differ(name):
    draw = CREATION[name]
    first, again, other = draw(_seeded(7)).data, draw(_seeded(7)).data, draw(_seeded(8)).data
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    g = _seeded(7)
    assert not np.array_equal(draw(g).data, draw(g).data)  # the stream goes on


@pytest.mark.parametrize("name", list(CREATION))
def test_a_generators_draws_leave_the_librarys_generator_alone(name):
    dp.manual_seed(11)
    before = dp.random.state_dict()
    CREATION[name](_seeded())
    assert dp.random.state_dict() == before


def test_the_default_generator_is_the_one_manual_seed_seeds():
    assert dp.manual_seed(5) is dp.default_generator
    assert dp.initial_seed() == dp.default_generator.initial_seed() == 5
    first = dp.rand(4).data
    dp.default_generator.manual_seed(5)
    np.testing.assert_array_equal(dp.rand(4, generator=dp.default_generator).data, first)
    np.testing.assert_array_equal(dp.rand(4, generator=_seeded(5)).data, first)  # the same stream as any seeded 5
    dp.manual_seed(-1)  # PyTorch's range here too
    assert dp.initial_seed() == 2**64 - 1
    s = dp.seed()
    assert dp.initial_seed() == s and 0 <= s < 2**64


def test_get_state_and_set_state_replay_the_draws_that_followed():
    g = _seeded(3)
    dp.rand(10, generator=g)
    state = g.get_state()
    assert isinstance(state, dp.Tensor) and state.dtype == np.uint8 and state.ndim == 1
    after = (dp.randn(6, generator=g).data, dp.randperm(9, generator=g).data)
    g.set_state(state)
    np.testing.assert_array_equal(dp.randn(6, generator=g).data, after[0])
    np.testing.assert_array_equal(dp.randperm(9, generator=g).data, after[1])
    other = dp.Generator().set_state(state)  # another generator takes the state, and the initial seed
    assert other.initial_seed() == 3
    np.testing.assert_array_equal(dp.randn(6, generator=other).data, after[0])
    clone = g.clone_state()
    np.testing.assert_array_equal(dp.rand(3, generator=clone).data, dp.rand(3, generator=g).data)


def test_a_state_is_kept_whole_across_an_odd_number_of_32_bit_draws():
    # NumPy buffers half of a 64-bit word after a 32-bit draw: the state must carry it
    g = _seeded(4)
    g._numpy.integers(10, size=3, dtype=np.int32)
    state = g.get_state()
    expected = g._numpy.integers(10, size=5, dtype=np.int32)
    g.set_state(state)
    np.testing.assert_array_equal(g._numpy.integers(10, size=5, dtype=np.int32), expected)


def test_the_librarys_state_goes_and_comes_back_as_pytorchs_get_rng_state():
    dp.manual_seed(9)
    state = dp.get_rng_state()
    first = dp.randn(5).data
    dp.set_rng_state(state)
    np.testing.assert_array_equal(dp.randn(5).data, first)


def test_a_state_can_be_saved_in_a_safetensors_file(tmp_path):
    g = _seeded(12)
    dp.save({"rng": g.get_state()}, tmp_path / "rng.safetensors")
    expected = dp.rand(4, generator=g).data
    g.set_state(dp.load(tmp_path / "rng.safetensors")["rng"])
    np.testing.assert_array_equal(dp.rand(4, generator=g).data, expected)


@pytest.mark.parametrize("state, error, message", [
    (dp.zeros(45), TypeError, r"^Generator.set_state: the state must be a uint8 tensor from get_state\(\), got Tensor "
                              r"of float32$"),
    ([0] * 45, TypeError, r"^Generator.set_state: the state must be a uint8 tensor from get_state\(\), got list$"),
    (dp.zeros(3, dtype=np.uint8), ConfigError, r"^Generator.set_state: a state from get_state\(\) holds 45 bytes, got a "
                                               r"tensor of shape \(3,\)$"),
    (dp.zeros(45, dtype=np.uint8), ConfigError, r"^Generator.set_state: these bytes are not a state from get_state\(\)$"),
])
def test_a_bad_state_is_refused_in_one_sentence(state, error, message):
    g = _seeded(1)
    expected = dp.rand(3, generator=_seeded(1)).data
    with pytest.raises(error, match=message):
        g.set_state(state)
    np.testing.assert_array_equal(dp.rand(3, generator=g).data, expected)  # left as it was


def test_the_device_can_only_be_the_cpu():
    assert dp.Generator(device="cpu").device == "cpu"
    with pytest.raises(ConfigError, match="Generator"):
        dp.Generator(device="cuda")


@pytest.mark.parametrize("call, name", [
    (lambda g: dp.rand(2, generator=g), "rand"),
    (lambda g: dp.randperm(3, generator=g), "randperm"),
    (lambda g: dp.randint_like(dp.zeros(2), 4, generator=g), "randint"),
    (lambda g: dp.zeros(2).normal_(generator=g), "normal_"),
    (lambda g: dp.zeros(2).random_(generator=g), "random_"),
    (lambda g: nn.init.kaiming_uniform_(dp.zeros(2, 2), generator=g), "kaiming_uniform_"),
    (lambda g: nn.init.orthogonal_(dp.zeros(2, 2), generator=g), "orthogonal_"),
])
def test_anything_but_a_deltaprop_generator_is_refused_naming_the_function(call, name):
    with pytest.raises(TypeError, match=rf"^{name}: generator must be a deltaprop.Generator \(or None for the library's "
                                        r"own\), got numpy.random._generator.Generator$"):
        call(np.random.default_rng(0))


# -- the in-place fills and nn.init --------------------------------------------------------------------

def _draws_from_the_generator_given(fill, make):
    """``fill(tensor, generator)`` fills in place from the generator given: seeded alike, alike;
    seeded otherwise, otherwise; the library's generator untouched."""
    a, b, c = make(), make(), make()
    dp.manual_seed(0)
    before = dp.random.state_dict()
    assert fill(a, _seeded(2)) is a
    fill(b, _seeded(2))
    fill(c, _seeded(3))
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(a.data, c.data)
    assert dp.random.state_dict() == before


@pytest.mark.parametrize("name", list(FILLS))
def test_the_in_place_fills_draw_from_the_generator_given(name):
    _draws_from_the_generator_given(FILLS[name], lambda: dp.zeros(50, dtype=np.float64))


def test_an_in_place_fill_from_a_generator_has_the_distributions_moments():
    x = dp.zeros(100_000, dtype=np.float64).normal_(2.0, 3.0, generator=_seeded(5))
    assert abs(x.data.mean() - 2.0) < 0.05 and abs(x.data.std() - 3.0) < 0.05


@pytest.mark.parametrize("name", list(INIT))
def test_nn_inits_random_functions_draw_from_the_generator_given(name):
    init = INIT[name]
    _draws_from_the_generator_given(init, lambda: dp.zeros(6, 8))
    # without a generator, the library's: repeated by manual_seed
    dp.manual_seed(4)
    first = init(dp.zeros(6, 8), None).data
    dp.manual_seed(4)
    np.testing.assert_array_equal(init(dp.zeros(6, 8), None).data, first)
