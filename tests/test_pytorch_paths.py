"""PyTorch's module paths that scripts import from, under deltaprop's name."""

import subprocess
import sys

import deltaprop as dp


def test_utils_data_is_the_data_package():
    import deltaprop.utils.data as data

    assert data is dp.data and dp.utils.data is dp.data
    from deltaprop.utils.data import DataLoader, Dataset, TensorDataset, random_split

    assert (DataLoader, Dataset, TensorDataset, random_split) == (
        dp.data.DataLoader, dp.data.Dataset, dp.data.TensorDataset, dp.data.random_split)


def test_a_fresh_interpreter_imports_from_it_first():
    # ("from torch.utils.data import ..." as a script's first line: nothing imported deltaprop.data before)
    code = ("from deltaprop.utils.data import DataLoader, TensorDataset\n"
            "import numpy as np\n"
            "batches = list(DataLoader(TensorDataset(np.arange(6.0).reshape(3, 2)), batch_size=2))\n"
            "print(len(batches), batches[0][0].shape)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "(2,", "2)"]
