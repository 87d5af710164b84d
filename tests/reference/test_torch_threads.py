"""set_num_threads and its kin as PyTorch's: the same refusals (RuntimeError), and the same number
read back after setting one."""

import pytest

import deltaprop as dp

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, None, "2"])
@pytest.mark.parametrize("name", ["set_num_threads", "set_num_interop_threads"])
def test_refusals_are_pytorchs_runtime_errors(name, bad):
    with pytest.raises(RuntimeError):
        getattr(torch, name)(bad)
    with pytest.raises(RuntimeError, match=rf"^{name}: the number of threads must be a positive integer"):
        getattr(dp, name)(bad)


def test_the_number_set_is_the_number_read_back_as_in_pytorch():
    before_ours, before_theirs = dp.get_num_threads(), torch.get_num_threads()
    try:
        for n in (1, 2, 3):
            dp.set_num_threads(n)
            torch.set_num_threads(n)
            assert dp.get_num_threads() == torch.get_num_threads() == n
    finally:
        dp.set_num_threads(before_ours)
        torch.set_num_threads(before_theirs)


def test_the_counts_are_positive_ints_as_pytorchs():
    for name in ("get_num_threads", "get_num_interop_threads"):
        ours, theirs = getattr(dp, name)(), getattr(torch, name)()
        assert type(ours) is type(theirs) is int and ours >= 1 and theirs >= 1
