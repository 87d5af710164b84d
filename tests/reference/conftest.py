"""Fixtures shared by the comparisons with PyTorch."""

import pytest


@pytest.fixture
def torch_float64():
    """PyTorch's default dtype float64 for one test (optimizers that keep state in the default
    dtype, such as NAdam's product of momenta, then compute as deltaprop's float64 ones do)."""
    torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)
