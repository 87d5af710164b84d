"""Interpolation, grid sampling and depthwise convolution, forward and backward: deltaprop against
PyTorch on the CPU.

Each case is timed as what training repeats. For ``interpolate`` (nn.Upsample): the forward and the
backward of one call, with the same fixed upstream gradient in both libraries. For ``grid_sample``
(a spatial transformer's sampler): the forward alone ("fwd") and the forward and backward ("f+b"),
with the input and the grid both requiring a gradient (the grid of a spatial transformer comes from
its localisation network), the grid a fixed affine_grid of a random near-identity transform. For a depthwise
convolution (groups = channels): a training step of one layer, forward, the loss mean(y²), backward
(to the input as well, as for a layer inside a network), SGD update. Both libraries get the same
inputs, weights and thread count; they are timed alternately in one process, block by block, and
the table reports medians over blocks and the ratio of throughputs deltaprop / PyTorch (≥ 1 means
deltaprop is faster), at NumPy's BLAS thread count and at 1.

With ``--baseline DIR`` a second deltaprop (DIR holds its package, e.g. the ``src`` of another
checkout) is imported beside this one and timed in the same alternation, so that a change can be
measured against the code before it in one sitting: the table adds the old time, its ratio to
PyTorch (the same way round) and the speed-up, old time / new time.

    python benchmarks/bench_resample.py
    python benchmarks/bench_resample.py --threads 1 --repeats 21
    python benchmarks/bench_resample.py --threads 1 --clock thread   # CPU time: steadier on a busy machine
    python benchmarks/bench_resample.py --baseline /tmp/wt-main/src --json results/resample.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import deltaprop

from common import blas_threads

LEARNING_RATE = 0.01

# (name, input shape, interpolate's keyword arguments)
INTERPOLATIONS = [
    ("bilinear x2", (8, 16, 32, 32), dict(scale_factor=2, mode="bilinear", align_corners=False)),
    ("bilinear x2 corners", (8, 16, 32, 32), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ("bilinear x2", (4, 8, 64, 64), dict(scale_factor=2, mode="bilinear", align_corners=False)),
    ("bilinear to 200x200", (2, 3, 128, 128), dict(size=(200, 200), mode="bilinear", align_corners=False)),
    ("bilinear to 200x200 corners", (2, 3, 128, 128), dict(size=(200, 200), mode="bilinear", align_corners=True)),
    ("linear x2", (32, 64, 100), dict(scale_factor=2, mode="linear", align_corners=False)),
    ("linear x2 corners", (32, 64, 100), dict(scale_factor=2, mode="linear", align_corners=True)),
    ("nearest x2", (8, 16, 32, 32), dict(scale_factor=2, mode="nearest")),
    ("nearest to 100x100", (4, 8, 64, 64), dict(size=(100, 100), mode="nearest")),
    ("bilinear antialias to 112", (8, 3, 224, 224), dict(size=(112, 112), mode="bilinear", antialias=True)),
    ("bicubic antialias to 112", (8, 3, 224, 224), dict(size=(112, 112), mode="bicubic", antialias=True)),
    ("bilinear antialias to 224", (8, 3, 256, 256), dict(size=(224, 224), mode="bilinear", antialias=True)),
    ("bicubic antialias to 128", (2, 3, 1024, 1024), dict(size=(128, 128), mode="bicubic", antialias=True)),
    ("lanczos antialias x2", (2, 3, 128, 128), dict(scale_factor=2, mode="lanczos", antialias=True)),
    ("bicubic to 224", (8, 3, 112, 112), dict(size=(224, 224), mode="bicubic", align_corners=False)),
    ("bicubic x0.5 corners", (8, 3, 224, 224), dict(scale_factor=0.5, mode="bicubic", align_corners=True)),
]

# (name, input shape, grid shape, grid_sample's keyword arguments); each timed forward alone and forward+backward
GRID_SAMPLES = [
    ("bilinear zeros", (8, 3, 64, 64), (8, 64, 64, 2), dict(mode="bilinear", padding_mode="zeros")),
    ("bilinear border", (8, 3, 64, 64), (8, 64, 64, 2), dict(mode="bilinear", padding_mode="border")),
    ("bilinear zeros", (4, 16, 32, 32), (4, 48, 48, 2), dict(mode="bilinear", padding_mode="zeros")),
    ("bilinear border", (4, 16, 32, 32), (4, 48, 48, 2), dict(mode="bilinear", padding_mode="border")),
]

# (name, input shape, layer's keyword arguments besides the channels)
DEPTHWISE = [
    ("Conv2d k3 pad 1", (32, 32, 28, 28), dict(kernel_size=3, padding=1)),
    ("Conv2d k3 stride 2", (32, 64, 14, 14), dict(kernel_size=3, stride=2)),
    ("Conv1d k5", (32, 64, 100), dict(kernel_size=5)),
]


def load_baseline(directory: str):
    """The deltaprop package under ``directory``, imported as ``deltaprop_baseline`` (its imports are
    relative, so it loads beside this one)."""
    init = Path(directory) / "deltaprop" / "__init__.py"
    if not init.is_file():
        raise SystemExit(f"--baseline: no deltaprop package in {directory} (expected {init})")
    spec = importlib.util.spec_from_file_location("deltaprop_baseline", init,
                                                  submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["deltaprop_baseline"] = module
    spec.loader.exec_module(module)
    return module


def interpolation_steps(libraries: dict, shape, options) -> dict:
    """{contestant: step} for one interpolation; each step runs the forward and the backward."""
    import torch

    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.interpolate(xt, **options)
    upstream = rng.standard_normal(tuple(expected.shape)).astype(np.float32)
    expected.backward(torch.from_numpy(upstream))
    steps = {}

    def torch_step():
        xt.grad = None
        torch.nn.functional.interpolate(xt, **options).backward(torch.from_numpy(upstream))

    steps["torch"] = torch_step
    for name, dp in libraries.items():
        xd = dp.tensor(x, requires_grad=True)

        def step(dp=dp, xd=xd):
            xd.grad = None
            dp.nn.functional.interpolate(xd, **options).backward(upstream)

        step()  # the same numbers as PyTorch's before anything is timed
        ours = dp.nn.functional.interpolate(xd, **options).data
        np.testing.assert_allclose(ours, expected.detach().numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(xd.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-4)
        steps[name] = step
    return steps


def grid_sample_steps(libraries: dict, shapes, options, backward: bool) -> dict:
    """{contestant: step} for one grid_sample call, its backward too when ``backward``. The grid is
    affine_grid of θ = identity + N(0, 0.15²) noise (a few points fall outside the input)."""
    import torch

    shape, grid_shape = shapes
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    theta = (np.eye(2, 3) + rng.normal(0, 0.15, (shape[0], 2, 3))).astype(np.float32)
    points = torch.nn.functional.affine_grid(torch.from_numpy(theta), (shape[0], 1, *grid_shape[1:3]),
                                             align_corners=False).numpy()
    options = dict(options, align_corners=False)
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(points, requires_grad=True)
    expected = torch.nn.functional.grid_sample(xt, gt, **options)
    upstream = rng.standard_normal(tuple(expected.shape)).astype(np.float32)
    expected.backward(torch.from_numpy(upstream))
    steps = {}

    def torch_step():
        xt.grad = gt.grad = None
        out = torch.nn.functional.grid_sample(xt, gt, **options)
        if backward:
            out.backward(torch.from_numpy(upstream))

    steps["torch"] = torch_step
    for name, dp in libraries.items():
        xd, gd = dp.tensor(x, requires_grad=True), dp.tensor(points, requires_grad=True)

        def step(dp=dp, xd=xd, gd=gd):
            xd.grad = gd.grad = None
            out = dp.nn.functional.grid_sample(xd, gd, **options)
            if backward:
                out.backward(upstream)

        xd.grad = gd.grad = None
        out = dp.nn.functional.grid_sample(xd, gd, **options)  # the same numbers as PyTorch's first
        out.backward(upstream)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(xd.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(gd.grad, gt.grad.numpy(), rtol=1e-3, atol=1e-3)
        steps[name] = step
    return steps


def depthwise_steps(libraries: dict, shape, options) -> dict:
    """{contestant: step} for a training step of one depthwise layer, all from the same weights."""
    import torch

    channels, dims = shape[1], len(shape) - 2
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    reference = getattr(torch.nn, f"Conv{dims}d")(channels, channels, groups=channels, **options)
    weights = {key: p.detach().numpy().copy() for key, p in reference.named_parameters()}
    torch_optimizer = torch.optim.SGD(reference.parameters(), lr=LEARNING_RATE)
    xt = torch.tensor(x, requires_grad=True)  # a layer inside a network passes its input a gradient

    def torch_step():
        xt.grad = None
        torch_optimizer.zero_grad()
        y = reference(xt)
        loss = (y * y).mean()
        loss.backward()
        torch_optimizer.step()
        return float(loss.detach())

    steps, first = {}, None
    for name, dp in libraries.items():
        model = getattr(dp.nn, f"Conv{dims}d")(channels, channels, groups=channels, **options)
        for key, p in model.named_parameters():
            p.data[...] = weights[key]
        optimizer = dp.optim.SGD(model.parameters(), lr=LEARNING_RATE)
        xd = dp.tensor(x, requires_grad=True)

        def step(model=model, optimizer=optimizer, xd=xd):
            xd.grad = None
            optimizer.zero_grad()
            y = model(xd)
            loss = (y * y).mean()
            loss.backward()
            optimizer.step()
            return float(loss.item())

        first = step()
        steps[name] = step
    first_reference = torch_step()
    if abs(first - first_reference) > 1e-4 * max(1.0, abs(first_reference)):
        raise RuntimeError(f"{shape} {options}: first losses differ: deltaprop {first}, PyTorch {first_reference}")
    steps["torch"] = torch_step
    return steps


CLOCKS = {"wall": time.perf_counter, "thread": time.thread_time}


def time_block(step, count: int, clock=time.perf_counter) -> float:
    start = clock()
    for _ in range(count):
        step()
    return (clock() - start) / count


def compare(steps: dict, repeats: int, pause: float, clock=time.perf_counter) -> dict:
    """Median seconds per step of each contestant, timed in alternating blocks of about 50 ms."""
    for step in steps.values():  # warm up caches, allocators and the memory pool
        for _ in range(3):
            step()
    count = max(1, round(0.05 / max(time_block(steps["torch"], 3), time_block(steps["deltaprop"], 3))))
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            # Idle first, so that the other library's spinning worker threads have gone to sleep.
            time.sleep(pause)
            times[name].append(time_block(step, count, clock))
    return {name: statistics.median(values) for name, values in times.items()}


def measure(threads: int, repeats: int, pause: float, baseline=None, log=print, kinds=("interpolate", "grid_sample", "depthwise"),
            clock: str = "wall") -> list:
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    libraries = {"deltaprop": deltaprop} | ({"baseline": baseline} if baseline is not None else {})
    rows = []
    cases = [("interpolate", name, shape, options) for name, shape, options in INTERPOLATIONS]
    cases += [("grid_sample", f"{name} {part}", (shape, grid_shape), options)
              for name, shape, grid_shape, options in GRID_SAMPLES for part in ("fwd", "f+b")]
    cases += [("depthwise", name, shape, options) for name, shape, options in DEPTHWISE]
    with threadpool_limits(threads, user_api="blas"):
        for kind, name, shape, options in cases:
            if kind not in kinds:
                continue
            if kind == "grid_sample":
                steps = grid_sample_steps(libraries, shape, options, backward=name.endswith("f+b"))
                shape = shape[0]  # (the table shows the input's shape)
            else:
                steps = (interpolation_steps if kind == "interpolate" else depthwise_steps)(libraries, shape, options)
            seconds = compare(steps, repeats, pause, CLOCKS[clock])
            row = {"threads": threads, "clock": clock, "kind": kind, "case": name, "shape": list(shape),
                   "options": {k: v for k, v in options.items()},
                   "deltaprop_ms": seconds["deltaprop"] * 1e3, "torch_ms": seconds["torch"] * 1e3,
                   "ratio": seconds["torch"] / seconds["deltaprop"]}
            text = (f"{threads:>2}  {kind:<11} {name:<28} {str(shape):<18} {row['deltaprop_ms']:>9.3f} "
                    f"{row['torch_ms']:>9.3f} {row['ratio']:>7.2f}")
            if baseline is not None:
                row["baseline_ms"] = seconds["baseline"] * 1e3
                row["baseline_ratio"] = seconds["torch"] / seconds["baseline"]
                row["speedup"] = seconds["baseline"] / seconds["deltaprop"]
                text += f" {row['baseline_ms']:>9.3f} {row['baseline_ratio']:>7.2f} {row['speedup']:>7.2f}"
            log(text)
            rows.append(row)
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, action="append",
                        help="threads for both libraries; repeatable (default: NumPy's BLAS count, then 1)")
    parser.add_argument("--repeats", type=int, default=11, help="timed blocks per contestant (default 11)")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds idle before each timed block (default 0.05)")
    parser.add_argument("--baseline", metavar="DIR", help="also time the deltaprop package in DIR (see above)")
    parser.add_argument("--only", choices=["interpolate", "grid_sample", "depthwise"], action="append", help="run only these cases")
    parser.add_argument("--clock", choices=list(CLOCKS), default="wall",
                        help="wall time (default), or the main thread's CPU time, which a busy neighbour on a shared "
                             "machine does not inflate by preempting us (one thread only: it misses worker threads)")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    if args.clock == "thread" and any(count != 1 for count in args.threads or [0]):
        parser.error("--clock thread counts the main thread's CPU time only, so it needs --threads 1")

    import torch

    baseline = load_baseline(args.baseline) if args.baseline else None
    threads = args.threads or sorted({blas_threads(), 1}, reverse=True)
    print(f"numpy {np.__version__}, torch {torch.__version__}; deltaprop from {Path(deltaprop.__file__).parent}"
          + (f", baseline from {Path(baseline.__file__).parent}" if baseline else ""))
    print(f"times ({args.clock} clock) are medians over alternating blocks, ms per forward+backward (interpolate), per "
          "forward or forward+backward (grid_sample) or per training step (depthwise); ratio = PyTorch's time / deltaprop's (>= 1: deltaprop faster)")
    header = f"{'th':>2}  {'kind':<11} {'case':<28} {'shape':<18} {'dp ms':>9} {'torch ms':>9} {'ratio':>7}"
    if baseline is not None:
        header += f" {'old ms':>9} {'old rat':>7} {'speedup':>7}"
    print(header)
    rows = []
    for count in threads:
        rows += measure(count, args.repeats, args.pause, baseline, kinds=args.only or ("interpolate", "grid_sample", "depthwise"),
                        clock=args.clock)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"numpy": np.__version__, "torch": torch.__version__, "rows": rows}, handle, indent=2)


if __name__ == "__main__":
    main()
