"""PyTorch's finfo/iinfo and set_printoptions, as scripts ported from it use them."""

import math

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import printing
from deltaprop.errors import ConfigError

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _print_options_restored():
    saved = dict(printing._options)
    yield
    printing._options.clear()
    printing._options.update(saved)


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_is_pytorchs(name):
    ours, theirs = dp.finfo(getattr(dp, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        # (NumPy keeps each limit in the dtype itself: resolution 1e-6 as float32's nearest number)
        assert getattr(ours, field) == np.array(getattr(theirs, field), ours.dtype if field != "bits" else None), field
    assert dp.finfo(dp.ones(2, dtype=getattr(dp, name)).dtype).eps == theirs.eps  # finfo(x.dtype)


def test_finfo_without_a_dtype_is_the_default_dtypes():
    assert dp.finfo().eps == torch.finfo().eps == np.finfo(np.float32).eps
    dp.set_default_dtype(dp.float64)
    try:
        assert dp.finfo().eps == np.finfo(np.float64).eps
    finally:
        dp.set_default_dtype(dp.float32)


@pytest.mark.parametrize("name", ["int8", "int16", "int32", "int64", "uint8"])
def test_iinfo_is_pytorchs(name):
    ours, theirs = dp.iinfo(getattr(dp, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.min, ours.max) == (theirs.bits, theirs.min, theirs.max)


def test_finfo_of_integers_and_iinfo_of_floats_are_refused_as_in_pytorch():
    with pytest.raises(TypeError):
        torch.finfo(torch.int64)
    with pytest.raises(TypeError, match="^finfo: expected a floating-point dtype, got int64"):
        dp.finfo(dp.int64)
    with pytest.raises(TypeError):
        torch.iinfo(torch.float32)
    with pytest.raises(TypeError, match="^iinfo: expected an integer dtype, got float32"):
        dp.iinfo(dp.float32)
    with pytest.raises(ConfigError, match="^finfo: dtype must be"):
        dp.finfo("banana")


def _numbers(text):
    return text[text.index("[") + 1:text.rindex("]")].replace(" ", "").split(",")


def test_precision_and_sci_mode_show_the_digits_pytorch_shows():
    values = [1.23456789, -0.5, 2.0e5]
    for options in (dict(precision=2), dict(precision=6), dict(sci_mode=True), dict(precision=3, sci_mode=True)):
        dp.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
        dp.set_printoptions(**options)
        torch.set_printoptions(**options)
        try:
            ours, theirs = _numbers(repr(dp.tensor(values))), _numbers(repr(torch.tensor(values)))
        finally:
            torch.set_printoptions(profile="default", sci_mode=None)
        # the same numbers to the same digits (NumPy drops trailing zeros that PyTorch pads: 2.0000 vs 2.)
        assert [float(a) for a in ours] == [float(b) for b in theirs], options
        if options.get("sci_mode"):
            assert all("e" in a for a in ours) and [len(a) for a in ours] == [len(b) for b in theirs]


def test_threshold_and_edgeitems_summarise_as_pytorch_does():
    dp.set_printoptions(threshold=5, edgeitems=2)
    torch.set_printoptions(threshold=5, edgeitems=2)
    try:
        ours, theirs = repr(dp.arange(10.0)), repr(torch.arange(10.0))
    finally:
        torch.set_printoptions(profile="default")
    assert "..." in ours and "..." in theirs
    assert [a for a in _numbers(ours) if a != "..."] == ["0.", "1.", "8.", "9."] == [b for b in _numbers(theirs) if b != "..."]
    dp.set_printoptions(profile="full")
    assert "..." not in repr(dp.arange(2000.0))
    assert "[1.2346" in repr(dp.tensor([1.23456])), "the full profile keeps 4 digits"


@pytest.mark.parametrize("kwargs, message", [
    (dict(precision=-1), "precision must be an integer of at least 0"),
    (dict(threshold=2.5), "threshold must be an integer"),
    (dict(linewidth=0), "linewidth must be an integer of at least 1"),
    (dict(profile="long"), "profile must be one of 'default', 'short', 'full'"),
    (dict(sci_mode="yes"), "sci_mode must be True, False or None"),
])
def test_absurd_print_options_are_refused_in_one_sentence(kwargs, message):
    with pytest.raises(ConfigError, match=f"^set_printoptions: {message}"):
        dp.set_printoptions(**kwargs)


def test_printing_options_leave_numpys_own_alone():
    before = np.get_printoptions()
    dp.set_printoptions(precision=1, threshold=3, linewidth=20)
    assert np.get_printoptions() == before
    assert math.isclose(float(_numbers(repr(dp.tensor([0.25])))[0]), 0.2, abs_tol=0.051)
