"""``deltaprop.utils.benchmark``: Timer's three ways of timing, Measurement's statistics, Compare's
table, the thread count set for the timing and put back."""

import statistics

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ConfigError
from deltaprop.utils.benchmark import Compare, Measurement, Timer


def test_measurement_statistics_are_those_of_the_per_run_times():
    m = Measurement(10, [1.0, 2.0, 3.0, 10.0], {"stmt": "f()", "setup": "pass", "label": "L", "sub_label": None,
                                                 "description": "d", "env": None, "num_threads": 1})
    assert m.times == [0.1, 0.2, 0.3, 1.0]
    assert m.mean == pytest.approx(0.4) and m.median == pytest.approx(0.25)
    assert m.iqr == pytest.approx(np.percentile(m.times, 75) - np.percentile(m.times, 25))
    assert m.stmt == "f()" and m.label == "L" and m.title == "L" and m.number_per_run == 10
    assert not m.meets_confidence(0.1)
    text = repr(m)
    assert "median 250 ms" in text and "4 measurement(s), 10 run(s) each" in text


def test_timeit_counts_the_runs_it_asks_for():
    calls = []
    m = Timer(lambda: calls.append(1)).timeit(50)
    assert m.number_per_run == 50 and len(m.times) == 1 and len(calls) == 100  # (50 warm-up runs first)
    assert 0 < m.median < 0.01


def test_blocked_and_adaptive_autorange_spend_about_the_time_asked():
    x = dp.randn(32, 32)
    seen = []
    m = Timer("x @ x", globals={"x": x}, label="mm").blocked_autorange(callback=lambda n, t: seen.append((n, t)),
                                                                        min_run_time=0.05)
    assert sum(t for _, t in seen) >= 0.05 and len(m.raw_times) == len(seen)
    assert m.raw_times[0] >= 1e-3 * 0.5  # a block is long enough for the clock
    assert 0 < m.median < 1e-3
    a = Timer("x.sum()", globals={"x": x}).adaptive_autorange(threshold=0.5, min_run_time=0.01, max_run_time=1.0)
    assert len(a.times) >= 4 and sum(a.raw_times) >= 0.01
    assert statistics.median(a.times) == a.median


def test_the_thread_count_is_set_for_the_timing_and_put_back():
    before = dp.get_num_threads()
    seen = []
    Timer(lambda: seen.append(dp.get_num_threads()), num_threads=1).timeit(1)
    assert set(seen) == {1} and dp.get_num_threads() == before


def test_compare_tables_medians_by_label_row_and_column():
    def spec(sub, desc):
        return {"stmt": "s", "setup": "pass", "label": "add", "sub_label": sub, "description": desc, "env": None,
                "num_threads": 1}

    table = str(Compare([Measurement(1, [2e-6], spec("n=10", "deltaprop")), Measurement(1, [4e-6], spec("n=10", "numpy")),
                         Measurement(1, [8e-6], spec("n=100", "deltaprop"))]))
    lines = table.splitlines()
    assert lines[0] == "[ add ]"
    assert lines[1].split("|")[1:] == [" deltaprop ", " numpy"]
    assert [c.strip() for c in lines[2].split("|")] == ["n=10", "2", "4"]
    assert [c.strip() for c in lines[3].split("|")] == ["n=100", "8", ""]
    assert lines[-1] == "times in us (median)"
    with pytest.raises(TypeError, match="Compare: results must be Measurements, got a float"):
        Compare([1.0])


def test_bad_arguments_are_refused():
    with pytest.raises(ConfigError, match="Timer: num_threads must be a positive integer, got 0"):
        Timer(num_threads=0)
    with pytest.raises(ConfigError, match="only Python statements are timed in deltaprop, got language='c"):
        Timer(language="c++")
    with pytest.raises(TypeError, match="Timer: stmt must be a string of Python or a function, got a int"):
        Timer(stmt=3)
    with pytest.raises(ConfigError, match="Timer.timeit: number must be a positive integer, got 0"):
        Timer().timeit(0)
