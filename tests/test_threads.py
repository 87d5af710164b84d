"""set_num_threads and its kin: the number reaches NumPy's BLAS (read back from the library itself,
in this process and in a fresh one), refusals are PyTorch's, and ``import deltaprop`` does not load
the module."""

import ctypes
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import threads
from deltaprop.errors import ConfigError

SOURCE = os.path.dirname(os.path.dirname(dp.__file__))


def _openblas_getter():
    """NumPy's bundled OpenBLAS's own getter, found without deltaprop's help (Linux wheels only)."""
    with open("/proc/self/maps", encoding="utf-8") as maps:
        paths = {line.split()[-1] for line in maps if "libscipy_openblas" in line}
    assert paths, "NumPy's wheel's OpenBLAS is not loaded"
    library = ctypes.CDLL(sorted(paths)[0])
    getter = library.scipy_openblas_get_num_threads64_
    getter.restype = ctypes.c_int
    return getter


@pytest.fixture
def restored():
    before = dp.get_num_threads()
    yield
    dp.set_num_threads(before)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the library through /proc/self/maps")
def test_set_one_thread_and_the_blas_itself_reports_one(restored):
    getter = _openblas_getter()
    dp.set_num_threads(1)
    assert getter() == 1 and dp.get_num_threads() == 1
    dp.set_num_threads(3)
    assert getter() == 3 and dp.get_num_threads() == 3


def test_the_getter_reads_the_library_not_a_kept_number(restored):
    # what the library reports after it was changed behind deltaprop's back
    setter, getter = threads._controls()[0]
    setter(2)
    assert dp.get_num_threads() == 2 == getter()
    setter(1)
    assert dp.get_num_threads() == 1


def test_a_fresh_process_sees_the_blas_change_through_threadpoolctl():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    del threadpoolctl  # (imported in the child)
    program = ("import deltaprop as dp, numpy, threadpoolctl\n"
               "def blas(): return [i['num_threads'] for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas']\n"
               "dp.set_num_threads(3)\n"
               "three = blas()\n"
               "dp.set_num_threads(1)\n"
               "print(three, blas(), dp.get_num_threads())\n")
    env = {**os.environ, "PYTHONPATH": SOURCE}
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "[3] [1] 1"


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, None, "2"])
@pytest.mark.parametrize("name", ["set_num_threads", "set_num_interop_threads"])
def test_a_count_that_is_not_a_positive_integer_is_refused(name, bad):
    with pytest.raises(ConfigError, match=rf"^{name}: the number of threads must be a positive integer, got "):
        getattr(dp, name)(bad)
    with pytest.raises(RuntimeError):  # PyTorch's type for it
        getattr(dp, name)(bad)


def test_numpy_integers_are_counts(restored):
    dp.set_num_threads(np.int64(1))
    assert dp.get_num_threads() == 1


def test_interop_threads_are_kept_and_can_be_set_again():
    before = dp.get_num_interop_threads()
    try:
        assert before >= 1
        dp.set_num_interop_threads(3)
        dp.set_num_interop_threads(2)
        assert dp.get_num_interop_threads() == 2
    finally:
        threads._kept["interop"] = None


def test_without_a_thread_control_the_number_is_kept_with_one_warning(monkeypatch):
    monkeypatch.setattr(threads, "_found", [None])  # as under Apple's Accelerate
    monkeypatch.setattr(threads, "_warned", [])
    monkeypatch.setitem(threads._kept, "threads", None)
    assert dp.get_num_threads() == (os.cpu_count() or 1)
    with pytest.warns(UserWarning, match=r"^set_num_threads: NumPy's BLAS library offers no thread control"):
        dp.set_num_threads(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dp.set_num_threads(5)  # no second warning
    assert dp.get_num_threads() == 5


def test_import_deltaprop_does_not_load_the_module():
    program = "import sys, deltaprop; print('deltaprop.threads' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": SOURCE}, timeout=120)
    assert result.stdout.strip() == "False", result.stderr
