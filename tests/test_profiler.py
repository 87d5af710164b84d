"""deltaprop.profiler: what it records (ops, gradient rules, steps, modules, ranges), how it nests
and sums, its table and Chrome trace, its schedule, and that it swaps nothing outside a profile."""

import json
import sys
import warnings

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import engine
from deltaprop.errors import ConfigError, GradError
from deltaprop.profiler import ProfilerAction, profile, record_function, schedule, tensorboard_trace_handler
from deltaprop.tensor import Tensor


def small_step(model, optimizer, x, y):
    optimizer.zero_grad()
    loss = dp.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()


@pytest.fixture
def network():
    dp.manual_seed(0)
    model = dp.nn.Sequential(dp.nn.Linear(2, 8), dp.nn.ReLU(), dp.nn.Linear(8, 2))
    return model, dp.optim.SGD(model.parameters(), lr=0.1), dp.randn(4, 2), dp.tensor([0, 1, 0, 1])


def counts(prof) -> dict:
    return {e.key: e.count for e in prof.key_averages()}


def test_a_training_step_s_operations_appear_with_their_call_counts(network):
    with profile() as prof:
        for _ in range(3):
            small_step(*network)
    found = counts(prof)
    assert found["linear"] == 6 and found["linear_backward"] == 6
    assert found["relu"] == 3 and found["relu_backward"] == 3
    assert found["cross_entropy"] == 3 and found["cross_entropy_backward"] == 3
    assert found["Optimizer.step#SGD.step"] == 3
    assert not any(key.startswith("nn.Module") for key in found)  # modules only with with_stack / with_modules


def test_self_time_is_total_less_the_children_and_never_more_than_total(network):
    with profile(with_modules=True) as prof:
        with record_function("outer"):
            small_step(*network)
    events = prof.events()
    assert events
    for e in events:
        assert 0 <= e.self_cpu_time_total <= e.cpu_time_total
        assert e.self_cpu_time_total == pytest.approx(e.cpu_time_total - sum(c.cpu_time_total for c in e.cpu_children))
        for child in e.cpu_children:
            assert child.cpu_parent is e and e.start_ns <= child.start_ns <= child.end_ns <= e.end_ns
    for average in prof.key_averages():
        assert 0 <= average.self_cpu_time_total <= average.cpu_time_total + 1e-9
        assert average.cpu_time == pytest.approx(average.cpu_time_total / average.count)
    outer = [e for e in events if e.name == "outer"][0]
    # Every other event lies inside the range, and the self times add up to its total.
    assert all(e is outer or e.cpu_parent is not None for e in events)
    assert sum(e.self_cpu_time_total for e in events) == pytest.approx(outer.cpu_time_total)


def test_nested_record_function_ranges_and_the_decorator(network):
    @record_function("decorated")
    def forward(model, x):
        return model(x)

    model, _, x, _ = network
    with profile() as prof:
        with record_function("a"):
            with record_function("b"):
                forward(model, x)
    by_name = {e.name: e for e in prof.events()}
    assert by_name["a"].cpu_parent is None
    assert by_name["b"].cpu_parent is by_name["a"]
    assert by_name["decorated"].cpu_parent is by_name["b"]
    assert by_name["linear"].cpu_parent is by_name["decorated"]
    assert by_name["a"].is_user_annotation and not by_name["linear"].is_user_annotation


def test_modules_are_named_per_class_in_call_order_with_stack(network):
    with profile(with_stack=True) as prof:
        small_step(*network)
    found = counts(prof)
    for name in ("nn.Module: Sequential_0", "nn.Module: Linear_0", "nn.Module: Linear_1", "nn.Module: ReLU_0"):
        assert found[name] == 1
    linear = [e for e in prof.events() if e.name == "linear"][0]
    assert linear.cpu_parent.name == "nn.Module: Linear_0"
    assert linear.stack and __file__ in linear.stack[0] or any(__file__ in frame for frame in linear.stack)


def test_nothing_is_recorded_or_swapped_outside_the_profile(network):
    model, optimizer, x, y = network
    plain = (dp.ops.linear, dp.nn.functional.linear, dp.matmul, type(optimizer).step, dp.nn.Linear.forward,
             dp.nn.Linear.__call__, engine.Hooks.count, Tensor._from_op)
    with profile(with_stack=True) as prof:
        assert dp.ops.linear is not plain[0] and engine.Hooks.count == plain[6] + 1
        small_step(model, optimizer, x, y)
    after = (dp.ops.linear, dp.nn.functional.linear, dp.matmul, type(optimizer).step, dp.nn.Linear.forward,
             dp.nn.Linear.__call__, engine.Hooks.count, Tensor._from_op)
    assert after == plain
    recorded = len(prof.events())
    small_step(model, optimizer, x, y)
    with record_function("outside"):
        model(x)
    assert len(prof.events()) == recorded
    assert "outside" not in counts(prof)


def test_a_failing_block_still_ends_the_profile(network):
    count = engine.Hooks.count
    with pytest.raises(ValueError, match="inside"):
        with profile() as prof:
            network[0](network[2])
            raise ValueError("inside")
    assert engine.Hooks.count == count and counts(prof)["linear"] == 2


def test_record_shapes_and_memory():
    a, b = dp.ones(3, 4), dp.ones(4, 5, requires_grad=True)
    with profile(record_shapes=True, profile_memory=True) as prof:
        (a @ b).sum().backward()
    matmul = [e for e in prof.events() if e.name == "matmul"][0]
    assert matmul.input_shapes == [[3, 4], [4, 5]]
    assert matmul.cpu_memory_usage == 3 * 5 * np.dtype(dp.get_default_dtype()).itemsize
    grouped = prof.key_averages(group_by_input_shape=True)
    assert [e.input_shapes for e in grouped if e.key == "matmul"] == [[[3, 4], [4, 5]]]
    assert "Input shapes" in grouped.table() and "Output memory" in grouped.table()
    with pytest.raises(ConfigError, match="record_shapes=True"):
        profile().key_averages(group_by_input_shape=True)


def test_table_sorts_limits_rows_and_refuses_unknown_keys(network):
    with profile() as prof:
        for _ in range(2):
            small_step(*network)
    averages = prof.key_averages()
    table = averages.table(sort_by="self_cpu_time_total", row_limit=3)
    rows = table.splitlines()[3:6]
    assert len([line for line in table.splitlines() if line and not line.startswith("-")]) == 1 + 3 + 1
    best = sorted(averages, key=lambda e: e.self_cpu_time_total, reverse=True)[:3]
    assert [row.split("  ")[0].strip() for row in rows] == [e.key for e in best]
    by_count = averages.table(sort_by="count", row_limit=1).splitlines()[3]
    assert by_count.split()[0] == max(averages, key=lambda e: e.count).key
    assert "Self CPU time total" in table
    for bad in ("cuda_time_total", "nonsense"):
        with pytest.raises(ConfigError, match="sort_by"):
            averages.table(sort_by=bad)


def test_chrome_trace_is_valid_json_with_the_fields_chrome_needs(network, tmp_path):
    with profile(record_shapes=True) as prof:
        with record_function("range"):
            small_step(*network)
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    events = trace["traceEvents"]
    assert len(events) == len(prof.events())
    for event in events:
        assert event["ph"] == "X" and isinstance(event["name"], str)
        assert isinstance(event["ts"], float) and event["dur"] >= 0 and "pid" in event and "tid" in event
    assert {"range", "linear", "linear_backward"} <= {e["name"] for e in events}
    gz = tmp_path / "trace.json.gz"
    prof.export_chrome_trace(gz)
    import gzip

    assert json.loads(gzip.decompress(gz.read_bytes()))["traceEvents"] == events


def test_an_interrupted_trace_write_leaves_no_file(network, tmp_path, monkeypatch):
    from deltaprop import atomic

    with profile() as prof:
        small_step(*network)

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", crash)
    path = tmp_path / "trace.json"
    with pytest.raises(OSError):
        prof.export_chrome_trace(path)
    assert list(tmp_path.iterdir()) == []


def test_schedule_actions_and_the_trace_handed_on(network, tmp_path):
    s = schedule(wait=1, warmup=1, active=2, repeat=1, skip_first=1)
    N, W, R, S = ProfilerAction.NONE, ProfilerAction.WARMUP, ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE
    assert [s(i) for i in range(8)] == [N, N, W, R, S, N, N, N]
    assert [schedule(wait=0, warmup=0, active=2)(i) for i in range(4)] == [R, S, R, S]
    seen = []
    with profile(schedule=s, on_trace_ready=lambda p: seen.append(counts(p))) as prof:
        for _ in range(8):
            small_step(*network)
            prof.step()
    assert len(seen) == 1
    assert seen[0]["linear"] == 4 and seen[0]["ProfilerStep*"] == 2  # steps 3 and 4, summed as PyTorch sums them
    assert {e.name for e in prof.events() if e.name.startswith("ProfilerStep")} == {"ProfilerStep#3", "ProfilerStep#4"}
    with profile(schedule=schedule(wait=0, warmup=0, active=1), on_trace_ready=tensorboard_trace_handler(tmp_path / "tb", "w")) as prof:
        for _ in range(2):
            small_step(*network)
            prof.step()
    files = sorted((tmp_path / "tb").iterdir())  # (two steps, and the step begun when the block ends, as PyTorch)
    assert len(files) == 3 and all(f.name.startswith("w.") and f.name.endswith(".pt.trace.json") for f in files)
    assert json.loads(files[0].read_text())["traceEvents"]
    for bad in (dict(wait=-1, warmup=0, active=1), dict(wait=0, warmup=0, active=0), dict(wait=0, warmup=1.5, active=1)):
        with pytest.raises(ConfigError, match="schedule"):
            schedule(**bad)


def test_start_stop_without_a_schedule_hands_the_trace_on_at_the_end(network):
    seen = []
    prof = profile(on_trace_ready=seen.append)
    prof.start()
    small_step(*network)
    prof.stop()
    assert seen == [prof] and counts(prof)["linear"] == 2


def test_activities_and_bad_options():
    from deltaprop.profiler import ProfilerActivity, supported_activities

    assert supported_activities() == {ProfilerActivity.CPU}
    with pytest.warns(UserWarning, match="no CUDA"):
        profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ConfigError, match="activities"):
            profile(activities=[ProfilerActivity.CUDA])
    with pytest.raises(TypeError, match="record_shapes"):
        profile(record_shapes=1)
    with pytest.raises(TypeError, match="activities"):
        profile(activities=["cpu"])
    with pytest.raises(TypeError, match="name"):
        record_function(3)
    with profile():
        with pytest.raises(RuntimeError, match="already recording"):
            profile().start()


def test_the_older_autograd_path(network):
    with dp.autograd.profiler.profile(record_shapes=True) as prof:
        with dp.autograd.profiler.record_function("mine"):
            small_step(*network)
    assert counts(prof)["mine"] == 1 and counts(prof)["linear"] == 2
    assert len(prof.function_events) == len(prof.events())
    with dp.autograd.profiler.profile(enabled=False) as off:
        small_step(*network)
    assert len(off.events()) == 0


def test_anomaly_mode_and_the_profiler_together():
    x = dp.tensor([0.0, 1.0], requires_grad=True)
    with profile() as prof, dp.autograd.detect_anomaly():
        y = (dp.sqrt(x) * 0).sum()
        with pytest.raises(GradError, match="'sqrt' returned NaN"):
            y.backward()
    assert counts(prof)["sqrt_backward"] == 1
    assert engine.Hooks.count == 0 or engine.Hooks.count >= 0
    from deltaprop.watching import Watch

    assert Watch.runners == ()


def test_second_derivatives_are_timed_and_unchanged():
    x = dp.tensor([0.5, 1.5], dtype=dp.float64, requires_grad=True)
    (g,) = dp.autograd.grad((x ** 3).sum(), x, create_graph=True)
    (plain,) = dp.autograd.grad(g.sum(), x)
    with profile() as prof:
        (g,) = dp.autograd.grad((x ** 3).sum(), x, create_graph=True)
        (h,) = dp.autograd.grad(g.sum(), x)
    np.testing.assert_array_equal(h.data if hasattr(h, "data") else h, plain.data if hasattr(plain, "data") else plain)
    assert counts(prof)["pow_backward"] >= 1


def test_the_profiler_is_not_imported_with_deltaprop():
    import subprocess

    code = "import sys, deltaprop; print('deltaprop.profiler' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
