"""Small PyTorch-parity edges that need no reference framework: how a 0-d result of all()/any()
reads as a Python truth value, the dtypes of creation functions under the default dtype, and the
sentences of the errors."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp


# -- all() and any() give a 0-d boolean tensor, which still reads as a truth value ---------------

def test_all_and_any_of_the_whole_tensor_are_0d_boolean_tensors():
    x = dp.tensor([[1.0, 0.0], [2.0, 3.0]])
    for result, expected in [(x.all(), False), (x.any(), True), (dp.all(x > -1), True), (dp.any(x > 5), False)]:
        assert isinstance(result, dp.Tensor) and result.shape == () and result.dtype == np.bool_
        assert result.item() is expected


def test_a_0d_truth_result_reads_as_a_python_bool():
    yes, no = dp.tensor([1, 2]).all(), dp.tensor([0, 0]).any()
    assert bool(yes) is True and bool(no) is False
    assert (not yes) is False and (not no) is True
    assert (yes and "then") == "then" and (no or "else") == "else"
    assert yes  # assert reads it too
    taken = []
    if yes:
        taken.append("all")
    if no:
        taken.append("any")
    assert taken == ["all"]


def test_all_along_a_dim_of_an_empty_axis_is_true():
    result = dp.zeros((0, 3)).all(dim=0)
    assert result.dtype == np.bool_ and result.data.tolist() == [True, True, True]
