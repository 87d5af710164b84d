"""A ``src``/``source`` of another dtype than the input's is refused by the scatters, ``index_add`` and
``index_copy``, as PyTorch refuses a tensor of another dtype, whether it comes as a tensor or as a
NumPy array (which was once cast silently: 1.7 written into an int64 tensor became 1). A NumPy
array of the input's dtype, and a list (which has no dtype of its own), are taken.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these refusals are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop.errors import DataError  # noqa: E402

INDEX = np.array([[0, 1, 0]])
ROWS = np.array([1])

# name -> (the call with src, the word the sentence uses for it)
CALLS = {
    "scatter": (lambda x, src, lib: x.scatter(0, lib.tensor(INDEX), src), "src"),
    "scatter_": (lambda x, src, lib: x.scatter_(0, lib.tensor(INDEX), src), "src"),
    "scatter_add": (lambda x, src, lib: x.scatter_add(0, lib.tensor(INDEX), src), "src"),
    "scatter_reduce": (lambda x, src, lib: x.scatter_reduce(0, lib.tensor(INDEX), src, "amax"), "src"),
    "index_add": (lambda x, src, lib: x.index_add(0, lib.tensor(ROWS), src), "source"),
    "index_copy": (lambda x, src, lib: x.index_copy(0, lib.tensor(ROWS), src), "source"),
}
PAIRS = [(np.float32, np.float64), (np.int64, np.float64), (np.float64, np.float32), (np.float32, np.int64)]
TORCH = {np.float32: torch.float32, np.float64: torch.float64, np.int64: torch.int64}


@pytest.mark.parametrize("dtype, src_dtype", PAIRS, ids=[f"{a.__name__}<-{b.__name__}" for a, b in PAIRS])
@pytest.mark.parametrize("given", ["array", "tensor"])
@pytest.mark.parametrize("name", list(CALLS))
def test_a_src_of_another_dtype_is_refused_in_one_sentence_as_pytorch_refuses_it(name, given, dtype, src_dtype):
    call, word = CALLS[name]
    x = dp.zeros(2, 3, dtype=dtype)
    src = np.full((1, 3), 1.7).astype(src_dtype)
    with pytest.raises(DataError, match=rf"{name.rstrip('_')}: {word} has dtype {np.dtype(src_dtype)} and the input "
                                        rf"{np.dtype(dtype)}; they must be the same, as in PyTorch"):
        call(x, src if given == "array" else dp.tensor(src, dtype=src_dtype), dp)
    np.testing.assert_array_equal(x.data, np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="dtype|scalar type"):
        call(torch.zeros(2, 3, dtype=TORCH[dtype]), torch.tensor(src), torch)


@pytest.mark.parametrize("name", list(CALLS))
def test_an_array_of_the_inputs_dtype_and_a_list_are_taken(name):
    call, _ = CALLS[name]
    src = np.array([[1.5, 2.5, 3.5]], dtype=np.float32)
    ours = call(dp.zeros(2, 3), src, dp)
    theirs = call(torch.zeros(2, 3), torch.tensor(src), torch)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    np.testing.assert_array_equal(call(dp.zeros(2, 3), src.tolist(), dp).data, theirs.numpy())
