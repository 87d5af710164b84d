"""Measurements that need a fresh interpreter each: import time and peak memory of a run.

Run as a script, one measurement per process (``python benchmarks/probes.py memory torch``); the
parent collects the JSON line each child prints. A fresh process is the only honest way to see
what importing a library costs and how much memory one training run needs at its peak.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

IMPORTS = {
    "numpy": "import numpy",
    "deltaprop": "import deltaprop",
    "torch": "import torch",
    "sklearn": "import sklearn.neural_network",
}
HERE = os.path.dirname(os.path.abspath(__file__))


def _child_import(library: str) -> dict:
    started = time.perf_counter()
    exec(IMPORTS[library])
    return {"seconds": time.perf_counter() - started}


def _child_memory(library: str) -> dict:
    sys.path.insert(0, HERE)
    import dense

    sizes, batch, n = dense.NETWORKS["medium"]
    X, y = dense.make_data(sizes, n)
    run = {"numpy": dense.numpy_loop, "deltaprop": dense.deltaprop_loop, "torch": dense.torch_loop, "sklearn": dense.sklearn_fit}[library](sizes, X, y, batch)
    for _ in range(3):
        run()
    return {"peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    """This process's peak resident set size. On Linux, VmHWM of /proc/self/status: getrusage's
    ru_maxrss survives exec, so a child started from a big parent would report the parent's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    # ru_maxrss is the peak resident set size: kilobytes on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def run_child(kind: str, library: str, env: dict | None = None) -> dict:
    result = subprocess.run([sys.executable, os.path.abspath(__file__), kind, library], capture_output=True, text=True,
                            env=env)
    if result.returncode != 0:
        raise RuntimeError(f"{kind} probe for {library} failed: {result.stderr.strip().splitlines()[-1:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def import_times(libraries, repeats=5) -> dict:
    """Median wall time of the import statement in a fresh interpreter, every library read from
    compiled bytecode as an installed package is (pip writes it at install time).

    The children write and read their bytecode under one temporary PYTHONPYCACHEPREFIX, where
    Python then looks for every module's, so the warm-up run compiles each library alike; an
    environment with PYTHONDONTWRITEBYTECODE set (as some sandboxes have) would otherwise make an
    editable checkout compile all its sources on every import while site-packages keep theirs.
    """
    times = {}
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        for library in libraries:
            try:
                run_child("import", library, env)  # the warm-up: disk cache and bytecode
                times[library] = statistics.median(run_child("import", library, env)["seconds"] for _ in range(repeats))
            except RuntimeError:
                continue
    return times


def peak_memory(libraries) -> dict:
    memory = {}
    for library in libraries:
        try:
            memory[library] = run_child("memory", library)["peak_rss_mb"]
        except RuntimeError:
            continue
    return memory


def op_overhead(repeats=5000) -> dict:
    """Microseconds for a small elementwise op plus its backward: (x * x).sum().backward() on 4 floats."""
    import numpy as np

    import deltaprop as dp

    results = {}
    x = dp.tensor(np.ones(4, np.float32), requires_grad=True)

    def deltaprop_op():
        (x * x).sum().backward()

    candidates = {"deltaprop": deltaprop_op}
    try:
        import torch

        tx = torch.ones(4, requires_grad=True)

        def torch_op():
            (tx * tx).sum().backward()

        candidates["torch"] = torch_op
    except ImportError:
        pass
    samples = {name: [] for name in candidates}
    for _ in range(5):
        for name, op in candidates.items():
            for _ in range(200):
                op()
            started = time.perf_counter()
            for _ in range(repeats // 5):
                op()
            samples[name].append((time.perf_counter() - started) / (repeats // 5) * 1e6)
    for name, values in samples.items():
        results[name] = statistics.median(values)
    return results


if __name__ == "__main__":
    kind, library = sys.argv[1], sys.argv[2]
    result = _child_import(library) if kind == "import" else _child_memory(library)
    print(json.dumps(result))
