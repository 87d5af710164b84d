"""Training-step throughput of two small convolutional networks: deltaprop against PyTorch on the CPU.

One step is what training repeats: forward, cross-entropy loss, backward, SGD update (and zeroing
the gradients). Both libraries get the same architecture, the same initial weights, the same data
and the same number of threads (PyTorch's is set to NumPy's BLAS thread count). The two are timed
alternately in one process, block by block, so that a neighbour's load on a shared machine slows
both alike; the table reports medians over blocks and the ratio of throughputs (≥ 1 means deltaprop
is faster).

    python benchmarks/bench_conv.py                 # both networks
    python benchmarks/bench_conv.py --net conv2d --repeats 30
    python benchmarks/bench_conv.py --profile conv2d   # cProfile of deltaprop's steps, no timing table
    python benchmarks/bench_conv.py --malloc-top-pad 64   # both libraries with glibc's heap kept mapped

About ``--malloc-top-pad``: glibc returns the top of the heap to the kernel whenever more than a
few megabytes there are free, which happens at the end of every training step; the next step then
page-faults its arrays back in. On the reference machine (a 2-vCPU VM, where a fault costs a few
microseconds) that was 2.5 of deltaprop's 3.5 ms per conv1d step and 13 of 36 ms per conv2d step
(getrusage: about 900 and 6,000 faults per step); PyTorch keeps long-lived buffers at the top of
its heap and faulted about 50 times per step on its own. The option re-runs this script with
``MALLOC_TOP_PAD_`` set (an environment variable read by glibc, affecting both libraries in the
process alike) so the two configurations can be compared; the default run leaves the allocator
alone. The table reports both libraries' page faults per step (median over blocks) beside the times.
Since deltaprop's convolutions keep their column blocks in a per-thread workspace (ops/conv.py),
its conv1d steps fault no more, and its conv2d steps either not at all or 1,000 to 2,000 times,
depending on where PyTorch's block left glibc's heap top: the largest source of run-to-run spread.

Networks (PyTorch names):
  conv1d  batch 100, input (1, 64): Conv1d(1, 32, 3, stride 2) - ReLU - Conv1d(32, 32, 3, stride 2)
          - ReLU - Conv1d(32, 32, 3, stride 2) - ReLU - Flatten - Linear(224, 10)
  conv2d  batch 64, input (1, 28, 28): Conv2d(1, 16, 3) - ReLU - Conv2d(16, 32, 3) - ReLU
          - MaxPool2d(2) - Flatten - Linear(4608, 10)
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import statistics
import sys
import time

import numpy as np

import deltaprop as dp
from deltaprop import nn

from common import blas_threads

LEARNING_RATE = 0.01


def conv1d_net(lib):
    """The 1-d network in either library (``lib`` is deltaprop.nn or torch.nn)."""
    return lib.Sequential(
        lib.Conv1d(1, 32, 3, stride=2), lib.ReLU(),
        lib.Conv1d(32, 32, 3, stride=2), lib.ReLU(),
        lib.Conv1d(32, 32, 3, stride=2), lib.ReLU(),
        lib.Flatten(), lib.Linear(32 * 7, 10),
    )


def conv2d_net(lib):
    return lib.Sequential(
        lib.Conv2d(1, 16, 3), lib.ReLU(),
        lib.Conv2d(16, 32, 3), lib.ReLU(),
        lib.MaxPool2d(2), lib.Flatten(), lib.Linear(32 * 12 * 12, 10),
    )


NETWORKS = {
    # name: (builder, input shape without the batch axis, batch size)
    "conv1d": (conv1d_net, (1, 64), 100),
    "conv2d": (conv2d_net, (1, 28, 28), 64),
}


def make_steps(name: str):
    """(deltaprop step, PyTorch step, description) for one network, with identical starting weights."""
    import torch

    builder, shape, batch = NETWORKS[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    y = rng.integers(0, 10, batch)

    dp.manual_seed(0)
    model = builder(nn)
    reference = builder(torch.nn)
    with torch.no_grad():
        for (_, p), (_, q) in zip(model.named_parameters(), reference.named_parameters()):
            q.copy_(torch.from_numpy(p.data))

    optimizer = dp.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    xs, ys = dp.tensor(x), dp.tensor(y)

    def deltaprop_step():
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(xs), ys)
        loss.backward()
        optimizer.step()
        return loss

    torch_optimizer = torch.optim.SGD(reference.parameters(), lr=LEARNING_RATE)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def torch_step():
        torch_optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(reference(xt), yt)
        loss.backward()
        torch_optimizer.step()
        return loss

    # The same first step in both libraries: the comparison is between equal computations.
    first, first_reference = float(deltaprop_step().item()), float(torch_step().item())
    if abs(first - first_reference) > 1e-4 * max(1.0, abs(first_reference)):
        raise RuntimeError(f"{name}: first losses differ: deltaprop {first}, PyTorch {first_reference}")
    return deltaprop_step, torch_step, f"batch {batch}, input {shape}"


def time_block(step, steps: int) -> tuple:
    """Seconds and minor page faults (getrusage, whole process) per step, over ``steps`` steps."""
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = (time.perf_counter() - start) / steps
    return seconds, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / steps


def compare(name: str, repeats: int, steps: int, pause: float) -> dict:
    deltaprop_step, torch_step, description = make_steps(name)
    for _ in range(3):  # warm up caches and allocators
        deltaprop_step()
        torch_step()
    ours, theirs, our_faults, their_faults = [], [], [], []
    for _ in range(repeats):
        # The pause lets the other library's worker threads go to sleep first: OpenBLAS and OpenMP
        # threads spin for a while after their last task, and on a 2-core machine a spinning
        # neighbour slowed the other library's next block up to tenfold.
        time.sleep(pause)
        seconds, faults = time_block(deltaprop_step, steps)
        ours.append(seconds)
        our_faults.append(faults)
        time.sleep(pause)
        seconds, faults = time_block(torch_step, steps)
        theirs.append(seconds)
        their_faults.append(faults)
    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    batch = NETWORKS[name][2]
    # Per-block ratios as well: each pair ran back to back, so it shares the machine's load.
    return {
        "description": description,
        "deltaprop": batch / ours_s,  # samples per second
        "torch": batch / theirs_s,
        "deltaprop_ms": ours_s * 1e3,
        "torch_ms": theirs_s * 1e3,
        "ratio": theirs_s / ours_s,
        "ratio_median_of_pairs": statistics.median(t / o for o, t in zip(ours, theirs)),
        # Page faults per step (the allocator's churn; see --malloc-top-pad above), median of blocks.
        "deltaprop_faults": statistics.median(our_faults),
        "torch_faults": statistics.median(their_faults),
    }


def measure(repeats: int = 15, log=print, steps: int = 0, pause: float = 0.3, names=None) -> dict:
    """``{network: row}`` for each network; a row holds samples/s of both libraries and their ratio.

    (The entry point of ``benchmarks/run.py``'s conv section; the caller sets the thread count.)
    """
    table = {}
    for name in names or NETWORKS:
        row = compare(name, repeats, steps or (20 if name == "conv1d" else 4), pause)
        table[name] = row
        log(
            f"{name:<8} {row['description']:<28} {row['deltaprop_ms']:>18.3f} {row['torch_ms']:>16.3f} "
            f"{row['ratio']:>11.2f}x  (median of paired blocks {row['ratio_median_of_pairs']:.2f}x; "
            f"page faults/step {row['deltaprop_faults']:,.0f} and {row['torch_faults']:,.0f})"
        )
    return table


def profile(name: str, steps: int) -> None:
    deltaprop_step, _, _ = make_steps(name)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        deltaprop_step()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--net", choices=[*NETWORKS, "all"], default="all")
    parser.add_argument("--repeats", type=int, default=15, help="timed blocks per library (default 15)")
    parser.add_argument("--steps", type=int, default=0, help="steps per block (default: about 0.1 s worth)")
    parser.add_argument("--threads", type=int, default=0, help="threads for both libraries (default: NumPy's BLAS count)")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds idle before each timed block (default 0.3)")
    parser.add_argument("--malloc-top-pad", type=int, default=0, metavar="MB",
                        help="re-run with glibc's MALLOC_TOP_PAD_ set to this many MiB (see above)")
    parser.add_argument("--profile", choices=list(NETWORKS), help="profile deltaprop's steps on this network instead")
    parser.add_argument("--json", metavar="PATH", help="also write the table as JSON here (what benchmarks/run.py reads)")
    args = parser.parse_args(argv)

    if args.malloc_top_pad:
        pad = str(args.malloc_top_pad << 20)
        if os.environ.get("MALLOC_TOP_PAD_") != pad:  # glibc reads it at start-up only: re-execute
            os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "MALLOC_TOP_PAD_": pad})

    import torch

    threads = args.threads or blas_threads()
    torch.set_num_threads(threads)
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads, user_api="blas")
    if args.profile:
        profile(args.profile, args.steps or 50)
        return
    names = list(NETWORKS) if args.net == "all" else [args.net]
    malloc = f"; MALLOC_TOP_PAD_={os.environ['MALLOC_TOP_PAD_']}" if "MALLOC_TOP_PAD_" in os.environ else ""
    print(f"threads: {threads} (NumPy BLAS and PyTorch); numpy {np.__version__}, torch {torch.__version__}{malloc}")
    print(f"{'network':<8} {'shape':<28} {'deltaprop ms/step':>18} {'PyTorch ms/step':>16} {'throughput ratio':>17}")
    table = measure(args.repeats, steps=args.steps, pause=args.pause, names=names)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"threads": threads, "malloc_top_pad": os.environ.get("MALLOC_TOP_PAD_"), "networks": table}, handle, indent=2)


if __name__ == "__main__":
    main()
