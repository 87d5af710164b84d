"""``deltaprop.utils.benchmark`` against PyTorch 2.13's ``torch.utils.benchmark``: the same
arguments in the same order for Timer and its ways of timing, and Measurement's attributes."""

import inspect

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")
from torch.utils import benchmark as theirs  # noqa: E402

from deltaprop.utils.benchmark import Measurement, Timer  # noqa: E402


def test_the_api_has_pytorchs_shape():
    for name in ("timeit", "blocked_autorange", "adaptive_autorange"):
        ours_params = list(inspect.signature(getattr(Timer, name)).parameters)
        their_params = list(inspect.signature(getattr(theirs.Timer, name)).parameters)
        assert ours_params == their_params, name
    ours_init = list(inspect.signature(Timer).parameters)
    their_init = list(inspect.signature(theirs.Timer).parameters)
    assert [p for p in their_init if p in ours_init] == [p for p in ours_init if p in their_init]
    for attribute in ("mean", "median", "iqr", "times", "number_per_run", "raw_times", "title", "meets_confidence"):
        assert hasattr(theirs.Measurement, attribute) or attribute in ("raw_times", "number_per_run"), attribute
        assert hasattr(Measurement(1, [1.0], {"stmt": "", "setup": "", "label": None}), attribute), attribute
    m = theirs.Timer("x + 1", globals={"x": torch.ones(3)}).timeit(10)
    assert m.number_per_run == 10 and len(m.times) == 1
