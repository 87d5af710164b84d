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


def test_the_classic_tutorials_import_lines_run_in_a_fresh_interpreter():
    # the DCGAN tutorial's "import torch.nn.parallel" and pytorch/examples' "import
    # torch.backends.cudnn as cudnn" failed (no such modules); the others already worked
    code = ("import deltaprop as torch\n"
            "import deltaprop.nn as nn\n"
            "import deltaprop.nn.parallel\n"
            "import deltaprop.backends.cudnn as cudnn\n"
            "import deltaprop.optim as optim\n"
            "import deltaprop.utils.data\n"
            "from deltaprop.nn import functional as F\n"
            "from deltaprop import nn, optim\n"
            "cudnn.benchmark = True\n"
            "print(torch.backends.cudnn.benchmark, nn.parallel.DataParallel is nn.DataParallel,\n"
            "      torch.utils.data.DataLoader is torch.data.DataLoader, F is torch.nn.functional)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "True"]
