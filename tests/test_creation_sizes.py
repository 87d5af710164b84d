"""Creation functions refuse a size no tensor can have in one sentence naming the function and the
size: a negative one (as PyTorch does) and one whose bytes overflow NumPy's sizes (2**63 - 1). A size
that is merely large is left to NumPy, whose MemoryError is then the honest answer."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import creation
from deltaprop.errors import ConfigError
from deltaprop.nn import functional as F

# name: a function of the size (a tuple)
MAKERS = {
    "zeros": lambda size: dp.zeros(*size),
    "ones": lambda size: dp.ones(size),
    "empty": lambda size: dp.empty(*size),
    "full": lambda size: dp.full(size, 1.5),
    "rand": lambda size: dp.rand(*size),
    "randn": lambda size: dp.randn(size),
    "randint": lambda size: dp.randint(0, 5, size),
}
TORCH = {"full": lambda size: __import__("torch").full(size, 1.5), "randint": lambda size: __import__("torch").randint(0, 5, size)}
NEGATIVE = [(-1,), (2, -3)]
OVERFLOWING = [(2**62, 2**62), (2**63,), (2**61, 8, 1), (2**61,)]  # (the last one only by its bytes)


@pytest.mark.parametrize("size", NEGATIVE)
@pytest.mark.parametrize("name", MAKERS)
def test_a_negative_size_is_refused_naming_the_function_and_size(name, size):
    with pytest.raises(ConfigError, match=rf"^{name}: size {repr(size).replace('(', '[(]').replace(')', '[)]')} "
                                          r"has a negative dimension"):
        MAKERS[name](size)
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="negative|non-negative"):  # PyTorch refuses it too
        TORCH.get(name, lambda size: getattr(torch, name)(size))(size)


@pytest.mark.parametrize("size", OVERFLOWING)
@pytest.mark.parametrize("name", MAKERS)
def test_a_size_whose_bytes_overflow_is_refused_naming_the_function_and_size(name, size):
    with pytest.raises(ConfigError, match=rf"^{name}: size .*{size[0]}.* needs more than 2\*\*63 - 1 bytes"):
        MAKERS[name](size)


def test_randperm_refuses_a_negative_or_overflowing_n():
    with pytest.raises(ConfigError, match=r"^randperm: n must be a non-negative integer, got -1"):
        dp.randperm(-1)
    with pytest.raises(ConfigError, match=r"^randperm: size \(4611686018427387904,\) needs more than 2\*\*63 - 1 bytes"):
        dp.randperm(2**62)


def test_one_hot_refuses_a_result_whose_bytes_overflow():
    with pytest.raises(ConfigError, match=r"^one_hot: size \(2, 4611686018427387904\) needs more than 2\*\*63 - 1 bytes"):
        F.one_hot(dp.tensor([0, 1]), 2**62)
    with pytest.raises(ConfigError, match=r"^one_hot: num_classes must be a non-negative integer or -1"):
        F.one_hot(dp.tensor([0, 1]), -5)


@pytest.mark.parametrize("size, itemsize", [((2**40,), 4), ((2**20, 2**20, 2**19), 8), ((2**59,), 8), ((0, 2**70), 8)])
def test_a_large_but_possible_size_passes_the_check(size, itemsize):
    """Left to NumPy (the check itself, not the allocation: a MemoryError, if it came, would be honest)."""
    assert creation.checked_size("zeros", size, itemsize) == size


@pytest.mark.parametrize("name", MAKERS)
def test_ordinary_sizes_still_work(name):
    assert MAKERS[name]((2, 3)).shape == (2, 3)
    assert MAKERS[name]((0,)).shape == (0,)
    assert dp.zeros(np.int64(2), 3).shape == (2, 3) and dp.randperm(0).shape == (0,)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
@pytest.mark.parametrize("size", [2.0, 1.5, None])
def test_a_size_that_is_not_an_integer_or_a_sequence_is_refused_in_one_sentence(name, size):
    # (NumPy's own words were "'float' object is not iterable")
    with pytest.raises(ValueError, match=rf"^{name}: a size is an integer or a tuple of integers, got "):
        getattr(dp, name)(size)
    with pytest.raises(ValueError, match=r"^full: a size is an integer or a tuple of integers, got 2.0$"):
        dp.full(2.0, 1.5)


def test_fill_takes_a_number_or_a_0d_tensor_and_refuses_a_tensor_with_dimensions():
    t = dp.zeros(3)
    assert t.fill_(dp.tensor(2.5)) is t
    np.testing.assert_array_equal(t.data, [2.5, 2.5, 2.5])
    for value in (dp.tensor([1.0, 2.0]), [[5.0]], dp.tensor([7.0])):
        with pytest.raises(ValueError, match=r"^fill_: the value must be a number or a 0-d tensor, got one of shape \("):
            t.fill_(value)
    np.testing.assert_array_equal(t.data, [2.5, 2.5, 2.5])  # nothing written


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
@pytest.mark.parametrize("size", [(2, 3), [4], (), np.array([1, 2])])
def test_the_size_keyword_is_taken_as_pytorchs(name, size):
    # pytorch/examples' GAT: nn.Parameter(torch.empty(size=(in_features, n_hidden * n_heads)))
    made = getattr(dp, name)(size=size, dtype=np.float64)
    assert made.shape == tuple(int(n) for n in size) and made.dtype == np.float64
    with pytest.raises(TypeError, match=rf"^{name}\(\) got multiple values for argument 'size'$"):
        getattr(dp, name)(2, size=(2, 3))
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument 'size' must be a tuple of ints, not int$"):
        getattr(dp, name)(size=3)


def test_full_takes_its_size_and_fill_value_by_pytorchs_names():
    made = dp.full(size=(2, 3), fill_value=0.5)
    assert made.shape == (2, 3) and made.dtype == np.float32 and np.all(made.data == 0.5)
    assert dp.full((2,), 7).dtype == np.int64
    with pytest.raises(TypeError, match=r"^full\(\) got multiple values for argument 'size'$"):
        dp.full((2,), size=(2,), fill_value=1)
    with pytest.raises(TypeError, match=r"^full\(\) missing its required argument 'fill_value'$"):
        dp.full((2,))
