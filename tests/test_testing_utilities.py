"""``deltaprop.testing`` on its own: messages, reproducible draws, refusals (PyTorch's decisions
are compared in tests/reference/test_torch_testing.py)."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import testing
from deltaprop.errors import ConfigError


def test_the_package_reaches_testing_lazily():
    assert dp.testing is testing
    assert set(testing.__all__) == {"assert_allclose", "assert_close", "make_tensor"}


def test_messages_say_what_differs():
    with pytest.raises(AssertionError, match=r"the numbers are not close: expected 1\.1, got 1\.0; absolute "
                                             r"difference 0\.100000000000000\d+, .*\(rtol=1e-07, atol=1e-07\)"):
        testing.assert_close(1.0, 1.1)
    with pytest.raises(AssertionError, match=r"the values are not equal: 1 of 2 elements \(50\.0%\) differ; the "
                                             r"greatest absolute difference is 1\.0 at index \(1,\)"):
        testing.assert_close(dp.tensor([1, 2]), dp.tensor([1, 3]))
    with pytest.raises(AssertionError, match=r"different shapes, \(2,\) and \(3,\)"):
        testing.assert_close(dp.zeros(2), dp.zeros(3))
    with pytest.raises(AssertionError, match="different dtypes, float32 and float64"):
        testing.assert_close(dp.zeros(2), dp.zeros(2, dtype=dp.float64))
    with pytest.raises(AssertionError, match="greatest absolute difference is nan at index"):
        testing.assert_close(dp.tensor([1.0, np.nan]), dp.tensor([1.0, 1.0]))
    with pytest.raises(TypeError, match="cannot compare a Tensor with a ndarray"):
        testing.assert_close(dp.zeros(2), np.zeros(2, np.float32))
    with pytest.raises(ConfigError, match="give both rtol and atol, or neither"):
        testing.assert_close(dp.zeros(2), dp.zeros(2), atol=1e-3)
    with pytest.warns(FutureWarning, match="assert_allclose is deprecated"):
        testing.assert_allclose(dp.zeros(2), [0.0, 0.0])


def test_make_tensor_is_seeded_by_manual_seed_and_takes_both_shape_forms():
    dp.manual_seed(3)
    a = testing.make_tensor(2, 3, dtype=dp.float32, device="cpu")
    dp.manual_seed(3)
    b = testing.make_tensor((2, 3), dtype=dp.float32, device=dp.device("cpu"))
    np.testing.assert_array_equal(a.data, b.data)
    assert testing.make_tensor([], dtype=dp.int64, device="cpu").shape == ()


def test_make_tensor_keeps_inside_its_range_and_away_from_zero():
    dp.manual_seed(0)
    small = testing.make_tensor(10000, dtype=dp.float16, device="cpu", low=8.99, high=9)
    assert (small.data < 9).all() and (small.data >= 8.99).all()
    tiny = testing.make_tensor(1000, dtype=dp.float32, device="cpu", low=0, high=1e-40, exclude_zero=True)
    assert (tiny.data > 0).all()
    flags = testing.make_tensor(100, dtype=dp.bool, device="cpu", exclude_zero=True)
    assert flags.data.all()


def test_make_tensor_refusals_name_the_argument():
    with pytest.raises(ConfigError, match="no 'cuda' device"):
        testing.make_tensor(2, dtype=dp.float32, device="cuda")
    with pytest.raises(ConfigError, match="make_tensor: dtype cannot be deltaprop.bfloat16"):
        testing.make_tensor(2, dtype=dp.bfloat16, device="cpu")
    with pytest.raises(ConfigError, match="low must be less than high, got low=3 and high=3"):
        testing.make_tensor(2, dtype=dp.int64, device="cpu", low=3, high=3)
    with pytest.raises(ConfigError, match="memory_format must be None"):
        testing.make_tensor(2, dtype=dp.float32, device="cpu", memory_format="channels_last")
    with pytest.raises(TypeError, match="shape must be non-negative integers"):
        testing.make_tensor(2.5, dtype=dp.float32, device="cpu")
