"""PyTorch's dtype names as deltaprop's: `dp.bool`, `dp.uint8`, `dp.long`, ... name the NumPy
types of the same width and kind as the torch dtypes, and work wherever a dtype is taken."""

import numpy as np
import pytest

import deltaprop as dp

torch = pytest.importorskip("torch", reason="PyTorch's dtypes are the reference")

NAMES = ["bool", "uint8", "int8", "int16", "short", "int32", "int", "int64", "long", "float16", "half",
         "float32", "float", "float64", "double", "uint16", "uint32", "uint64"]


@pytest.mark.parametrize("name", NAMES)
def test_each_name_is_the_numpy_type_of_torchs_dtype(name):
    ours = np.dtype(getattr(dp, name))
    theirs = getattr(torch, name)
    assert ours.itemsize == theirs.itemsize
    assert ours.kind == ("b" if theirs is torch.bool else "f" if theirs.is_floating_point else
                         "i" if theirs.is_signed else "u")
    # and it is taken as a dtype: a conversion gives what PyTorch's gives
    values = [0.0, 1.0, 2.0, 3.0]
    converted = dp.tensor(values, dtype=dp.float64).to(getattr(dp, name))
    assert converted.dtype == ours
    expected = torch.tensor(values, dtype=torch.float64).to(theirs)
    np.testing.assert_array_equal(converted.data, expected.numpy())


def test_builtin_names_stay_out_of_a_star_import():
    namespace = {}
    exec("from deltaprop import *", namespace)
    assert "bool" not in namespace and "int" not in namespace and "float" not in namespace
    assert namespace["long"] is np.int64 and namespace["uint8"] is np.uint8
    assert dp.bool is np.bool_ and dp.int is np.int32 and dp.float is np.float32
