"""Training steps of recurrent layers: deltaprop's RNN, LSTM and GRU against PyTorch's on the CPU.

One step is forward, mean squared error against a fixed target, backward and an SGD step (momentum
0.9), the same in both libraries: same layer, same initial weights (drawn once with NumPy and loaded
into both), same data. Each contestant runs in a process of its own (a *worker*, driven through a
pipe), so that ``--baseline`` can put a second deltaprop, from another source tree, beside the first
one in the same run. The workers take turns, one block of steps each, back to back, in an order
that runs through every permutation of them, round after round; the figures
are medians over blocks, and the ratios (> 1: deltaprop faster) are medians of the per-round
ratios, each round having run under the same load. No pause between blocks, unlike bench_conv.py:
on the reference machine (a 2-vCPU VM) an idle pause of 20-200 ms before a block made the block
run 1.5 to 5 times slower in both libraries (an LSTM step 14 ms without, 30 ms after 0.2 s), so
the figures would measure the machine waking up.

Every configuration runs twice: at the libraries' default threads (PyTorch's
``torch.get_num_threads()``, NumPy's BLAS as it starts) and at one thread (``torch.set_num_threads(1)``
and threadpoolctl's limit on NumPy's BLAS).

    python benchmarks/bench_recurrent.py                       # every configuration, both thread settings
    python benchmarks/bench_recurrent.py --config lstm --threads 1 --repeats 21
    python benchmarks/bench_recurrent.py --baseline /path/to/old/src   # before and after, side by side
    python benchmarks/bench_recurrent.py --profile lstm        # cProfile of deltaprop's steps, no timing
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import json
import os
import pstats
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")

CONFIGS = {
    # name: (layer, options, batch, sequence length)
    "lstm-small": ("LSTM", dict(input_size=16, hidden_size=32), 32, 20),
    "lstm": ("LSTM", dict(input_size=64, hidden_size=128), 32, 50),
    "lstm-2-bidirectional": ("LSTM", dict(input_size=32, hidden_size=64, num_layers=2, bidirectional=True), 32, 30),
    "gru-small": ("GRU", dict(input_size=16, hidden_size=32), 32, 20),
    "gru": ("GRU", dict(input_size=64, hidden_size=128), 32, 50),
    "rnn-small": ("RNN", dict(input_size=16, hidden_size=32), 32, 20),
    "rnn": ("RNN", dict(input_size=64, hidden_size=128), 32, 50),
}
LEARNING_RATE = 0.01
MOMENTUM = 0.9


def data(config: str):
    """(the layer's initial parameters in PyTorch's order, input (L, N, H_in), target (L, N, D·H))."""
    name, options, batch, length = CONFIGS[config]
    rng = np.random.default_rng(0)
    hidden = options["hidden_size"]
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[name] * hidden
    directions = 2 if options.get("bidirectional") else 1
    bound = 1 / np.sqrt(hidden)
    parameters = []
    for layer in range(options.get("num_layers", 1)):
        inputs = options["input_size"] if layer == 0 else directions * hidden
        for _ in range(directions):
            for shape in ((gates, inputs), (gates, hidden), (gates,), (gates,)):
                parameters.append(rng.uniform(-bound, bound, shape).astype(np.float32))
    x = rng.standard_normal((length, batch, options["input_size"])).astype(np.float32)
    target = rng.standard_normal((length, batch, directions * hidden)).astype(np.float32)
    return parameters, x, target


def deltaprop_step(config: str):
    import deltaprop as dp
    from deltaprop import nn

    name, options, _, _ = CONFIGS[config]
    parameters, x, target = data(config)
    model = getattr(nn, name)(**options)
    with dp.no_grad():
        for p, value in zip(model.parameters(), parameters):
            p.data[...] = value
    optimizer = dp.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    loss_fn = nn.MSELoss()
    xs, ts = dp.tensor(x), dp.tensor(target)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(xs)[0], ts)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step


def torch_step(config: str):
    import torch

    name, options, _, _ = CONFIGS[config]
    parameters, x, target = data(config)
    model = getattr(torch.nn, name)(**options)
    with torch.no_grad():
        for p, value in zip(model.parameters(), parameters):
            p.copy_(torch.from_numpy(value))
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    loss_fn = torch.nn.MSELoss()
    xs, ts = torch.from_numpy(x), torch.from_numpy(target)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(xs)[0], ts)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step


# -- a worker: one contestant in a process of its own, driven by JSON lines on stdin -------------------


def serve(library: str) -> None:
    import torch  # imported by both kinds of worker, so both carry the same thread pools
    from threadpoolctl import threadpool_limits

    default_threads = torch.get_num_threads()
    limit = None
    step = None
    for line in sys.stdin:
        command = json.loads(line)
        if command["do"] == "setup":
            threads = command["threads"]
            if limit is not None:
                limit.restore_original_limits()
                limit = None
            torch.set_num_threads(threads or default_threads)
            if threads:
                limit = threadpool_limits(threads, user_api="blas")
            step = (deltaprop_step if library == "deltaprop" else torch_step)(command["config"])
            losses = [step() for _ in range(3)]  # also warms caches and allocators up
            reply = {"losses": losses}
            if library == "deltaprop":
                import deltaprop

                reply["source"] = os.path.dirname(os.path.dirname(deltaprop.__file__))
        elif command["do"] == "time":
            start = time.perf_counter()
            for _ in range(command["steps"]):
                step()
            reply = {"seconds": (time.perf_counter() - start) / command["steps"]}
        else:
            return
        print(json.dumps(reply), flush=True)


class Worker:
    def __init__(self, label: str, library: str, src: str):
        self.label = label
        env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.process = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker", library],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)

    def ask(self, **command) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.label} worker stopped (see its error above)")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.write(json.dumps({"do": "quit"}) + "\n")
        self.process.stdin.close()
        self.process.wait()


def compare(workers, config: str, threads: int, repeats: int, pause: float, log) -> dict:
    first = {}
    for worker in workers:
        reply = worker.ask(do="setup", config=config, threads=threads)
        first[worker.label] = reply["losses"]
    reference = first["torch"]
    for label, losses in first.items():  # equal computations: the same losses, step after step
        if not np.allclose(losses, reference, rtol=2e-4, atol=1e-6):
            raise RuntimeError(f"{config}: {label}'s first losses {losses} differ from PyTorch's {reference}")
    # Steps per block: about 0.15 s of PyTorch's time.
    one = workers[-1].ask(do="time", steps=2)["seconds"]
    steps = max(2, int(0.15 / one))
    times = {worker.label: [] for worker in workers}
    # The order changes from round to round, through every permutation: a block that runs right
    # after another worker's finds that worker's BLAS threads still spinning (at the default
    # thread count), so a fixed order slows the same worker every round. With deltaprop, a
    # baseline and PyTorch in that fixed order, the baseline measured 1.2-2.0x slower than
    # the very same source tree as deltaprop.
    orders = list(itertools.permutations(workers))
    for round_ in range(repeats):
        for worker in orders[round_ % len(orders)]:
            if pause:
                time.sleep(pause)
            times[worker.label].append(worker.ask(do="time", steps=steps)["seconds"])
    row = {"config": config, "threads": threads or "default", "steps_per_block": steps,
           "ms": {label: statistics.median(t) * 1e3 for label, t in times.items()}, "ratio": {}}
    for label, t in times.items():
        if label != "torch":  # > 1: deltaprop faster than PyTorch
            row["ratio"][label] = statistics.median(p / d for d, p in zip(t, times["torch"]))
    if "before" in times:
        row["speedup"] = statistics.median(b / a for a, b in zip(times["deltaprop"], times["before"]))
    name, options, batch, length = CONFIGS[config]
    shape = ", ".join(f"{k}={v}" for k, v in options.items())
    text = f"{config:<21} {str(row['threads']):>7} " + " ".join(f"{row['ms'][w.label]:>10.2f}" for w in workers)
    text += " " + " ".join(f"{row['ratio'][w.label]:>9.2f}x" for w in workers if w.label != "torch")
    if "speedup" in row:
        text += f" {row['speedup']:>9.2f}x"
    log(text + f"   {name}({shape}), batch {batch}, length {length}")
    return row


def profile(config: str, steps: int) -> None:
    step = deltaprop_step(config)
    step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", action="append", choices=list(CONFIGS), help="a configuration (default: all)")
    parser.add_argument("--threads", type=int, action="append",
                        help="thread count (0: the libraries' defaults); default: both 0 and 1")
    parser.add_argument("--repeats", type=int, default=11, help="timed blocks per contestant (default 11)")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds idle before each block (default 0)")
    parser.add_argument("--baseline", metavar="SRC", help="a second deltaprop source tree to time beside this one")
    parser.add_argument("--profile", choices=list(CONFIGS), help="profile deltaprop's steps on this configuration")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON here")
    parser.add_argument("--worker", choices=["deltaprop", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        serve(args.worker)
        return
    if args.profile:
        sys.path.insert(0, SRC)
        profile(args.profile, 30)
        return

    import torch

    workers = [Worker("deltaprop", "deltaprop", SRC)]
    if args.baseline:
        workers.append(Worker("before", "deltaprop", os.path.abspath(args.baseline)))
    workers.append(Worker("torch", "torch", SRC))
    print(f"numpy {np.__version__}, torch {torch.__version__}, {os.cpu_count()} CPUs, PyTorch's default threads "
          f"{torch.get_num_threads()}; float32, ms per training step (median of {args.repeats} alternated blocks)")
    header = f"{'config':<21} {'threads':>7} " + " ".join(f"{w.label + ' ms':>10}" for w in workers)
    header += " " + " ".join(f"{w.label + '/pt':>10}" for w in workers if w.label != "torch")
    print(header + (f" {'speedup':>10}" if args.baseline else ""))
    rows = []
    try:
        for threads in args.threads or [0, 1]:
            for config in args.config or CONFIGS:
                rows.append(compare(workers, config, threads, args.repeats, args.pause, print))
    finally:
        for worker in workers:
            worker.close()
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()
