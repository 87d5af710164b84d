"""Python's protocols on tensors as PyTorch's: a one-element integer tensor is an index
(`items[t]`, `range(t)`, a NumPy array's index), a 0-d tensor formats as its number."""

import numpy as np
import pytest

import deltaprop as dp

torch = pytest.importorskip("torch", reason="PyTorch's tensors are the reference")


@pytest.mark.parametrize("value", [3, [2], [[1]], True, np.int8(2)])
def test_a_one_element_integer_tensor_is_an_index(value):
    items = [10, 20, 30, 40]
    ours, theirs = dp.tensor(value), torch.tensor(value)
    assert items[ours] == items[theirs]
    assert list(range(ours)) == list(range(theirs))
    array = np.arange(12).reshape(4, 3)
    np.testing.assert_array_equal(array[ours], array[theirs])


@pytest.mark.parametrize("value", [2.0, [1, 2], []])
def test_other_tensors_are_refused_as_indices_as_pytorch_refuses_them(value):
    for tensor in (dp.tensor(value), torch.tensor(value)):
        with pytest.raises(TypeError, match="only integer tensors of a single element can be converted to an index"):
            [10, 20, 30][tensor]


@pytest.mark.parametrize("spec", [".2f", "8.3e", "", ">10"])
def test_a_zero_d_tensor_formats_as_its_number(spec):
    assert format(dp.tensor(3.14159, dtype=np.float64), spec) == format(torch.tensor(3.14159, dtype=torch.float64), spec)
    assert f"{dp.tensor(7)}" == f"{torch.tensor(7)}" == "7"


def test_other_tensors_take_no_format_spec():
    assert format(dp.tensor([1.5]), "") == str(dp.tensor([1.5]))
    for tensor in (dp.tensor([1.5]), torch.tensor([1.5])):
        with pytest.raises(TypeError, match="unsupported format string"):
            format(tensor, ".2f")
