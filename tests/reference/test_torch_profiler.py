"""The profiler against PyTorch's: the same API shape, the same names and call counts where the
two libraries name the same thing, and the same schedule."""

import json

import pytest

import deltaprop as dp

torch = pytest.importorskip("torch")


def run(lib, profiler, steps=3, **options):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(2, 8), lib.nn.ReLU(), lib.nn.Linear(8, 2))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
    x, y = lib.randn(4, 2), lib.tensor([0, 1, 0, 1])
    with profiler.profile(**options) as prof:
        for _ in range(steps):
            with profiler.record_function("my_step"):
                optimizer.zero_grad()
                lib.nn.functional.cross_entropy(model(x), y).backward()
                optimizer.step()
    return prof


def test_key_averages_have_pytorch_s_fields_and_shared_names_count_alike():
    ours, theirs = run(dp, dp.profiler), run(torch, torch.profiler)
    ours_counts = {e.key: e.count for e in ours.key_averages()}
    theirs_counts = {e.key: e.count for e in theirs.key_averages()}
    for name in ("my_step", "Optimizer.step#SGD.step"):
        assert ours_counts[name] == theirs_counts[name] == 3
    assert ours_counts["linear"] == theirs_counts["aten::linear"] == 6
    assert ours_counts["relu"] == theirs_counts["aten::relu"] == 3
    for entry in ours.key_averages():
        for field in ("key", "count", "cpu_time_total", "self_cpu_time_total", "cpu_time", "input_shapes",
                      "cpu_memory_usage", "self_cpu_memory_usage"):
            assert hasattr(entry, field) and hasattr(theirs.key_averages()[0], field)
    for event in ours.events():
        for field in ("name", "key", "cpu_parent", "cpu_children", "cpu_time_total", "self_cpu_time_total"):
            assert hasattr(event, field) and hasattr(theirs.events()[0], field)


def test_module_names_as_pytorch_gives_them_with_stack():
    ours, theirs = run(dp, dp.profiler, steps=1, with_stack=True), run(torch, torch.profiler, steps=1, with_stack=True)
    names = ("nn.Module: Sequential_0", "nn.Module: Linear_0", "nn.Module: Linear_1", "nn.Module: ReLU_0")
    theirs_keys = {e.key for e in theirs.key_averages()}
    ours_keys = {e.key for e in ours.key_averages()}
    for name in names:
        assert name in theirs_keys and name in ours_keys


def test_schedule_matches_pytorch_s():
    options = [dict(wait=1, warmup=1, active=2, repeat=1, skip_first=1), dict(wait=0, warmup=0, active=1),
               dict(wait=2, warmup=0, active=3, repeat=2), dict(wait=0, warmup=2, active=1, skip_first=3)]
    for option in options:
        ours, theirs = dp.profiler.schedule(**option), torch.profiler.schedule(**option)
        assert [ours(i).name for i in range(20)] == [theirs(i).name for i in range(20)]


def test_traces_handed_on_as_pytorch_hands_them(tmp_path):
    def handed(lib, profiler):
        seen = []
        model = lib.nn.Linear(2, 2)
        with profiler.profile(schedule=profiler.schedule(wait=1, warmup=1, active=2, repeat=2),
                              on_trace_ready=lambda p: seen.append(sum(e.name.startswith("ProfilerStep") for e in p.events()))) as prof:
            for _ in range(10):
                model(lib.ones(1, 2))
                prof.step()
        return seen

    assert handed(dp, dp.profiler) == handed(torch, torch.profiler) == [2, 2]  # (PyTorch names each step ProfilerStep*)
    ours = run(dp, dp.profiler, steps=1)
    assert not any(e.key.startswith("ProfilerStep") for e in ours.key_averages())  # steps are marked with a schedule only


def test_chrome_trace_events_carry_the_same_fields(tmp_path):
    ours, theirs = run(dp, dp.profiler, steps=1), run(torch, torch.profiler, steps=1)
    ours.export_chrome_trace(str(tmp_path / "ours.json"))
    theirs.export_chrome_trace(str(tmp_path / "theirs.json"))
    ours_events = json.loads((tmp_path / "ours.json").read_text())["traceEvents"]
    theirs_events = [e for e in json.loads((tmp_path / "theirs.json").read_text())["traceEvents"] if e.get("ph") == "X"]
    for field in ("ph", "name", "ts", "dur", "pid", "tid", "cat"):
        assert all(field in e for e in ours_events) and all(field in e for e in theirs_events)
    assert "my_step" in {e["name"] for e in ours_events} & {e["name"] for e in theirs_events}
