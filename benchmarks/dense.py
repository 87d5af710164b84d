"""Training throughput of dense networks: deltaprop against PyTorch, scikit-learn and plain NumPy.

Every contestant runs the same full training step (forward, cross-entropy, backward, SGD with
momentum 0.9) on the same float32 data; scikit-learn is timed through ``MLPClassifier.fit`` with the
same sizes, batch and solver. The figure is samples per second, the median over repeats; the
repeats of all contestants are interleaved so that a burst of load on a shared machine hits them
all alike, and every comparison is a ratio of medians taken in the same run. The contestants take
their turns in a new order each repeat (``--fixed-order`` keeps one): a turn right after PyTorch's
finds its threads still spinning, so a fixed order would slow the same contestant every repeat.
"""

from __future__ import annotations

import random
import statistics
import time
import warnings

import numpy as np

NETWORKS = {
    # name: (layer sizes, batch size, samples per timed pass)
    "tiny": ((2, 8, 2), 1, 2000),
    "small": ((64, 64, 10), 32, 6400),
    "medium": ((784, 256, 128, 10), 128, 5120),
    "wide": ((784, 1024, 1024, 10), 256, 2560),
}
LR = 0.01
MOMENTUM = 0.9


def make_data(sizes, n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], n)
    return X, y


def batches(X, y, batch):
    return [(X[i : i + batch], y[i : i + batch]) for i in range(0, len(X), batch)]


# -- the contestants: each returns a function that runs one pass over (X, y) ---------------------


def numpy_loop(sizes, X, y, batch, shuffle=False):
    """The floor of any NumPy design: the seeds' algorithm written out by hand, no autodiff.

    With ``shuffle`` each pass draws a new order and copies the data into it (``X[perm]``, the
    cheapest way by hand), then slices batches from the copy: the same work as ``fit``'s shuffling.
    """
    rng = np.random.default_rng(0)
    W = [(rng.uniform(-1, 1, (sizes[i + 1], sizes[i])) / np.sqrt(sizes[i])).astype(np.float32) for i in range(len(sizes) - 1)]
    b = [np.zeros(sizes[i + 1], np.float32) for i in range(len(sizes) - 1)]
    velocity_W = [np.zeros_like(w) for w in W]
    velocity_b = [np.zeros_like(v) for v in b]
    lr, momentum = np.float32(LR), np.float32(MOMENTUM)
    data = batches(X, y, batch)
    layers = len(W)

    def step(x, t):
        outputs = [x]  # o^0 = x; o^k = g(a^k), remembered for the backward phase
        o = x
        for k in range(layers):
            a = o @ W[k].T
            a += b[k]
            o = np.maximum(a, 0) if k < layers - 1 else a
            outputs.append(o)
        z = outputs[-1]
        e = np.exp(z - z.max(axis=1, keepdims=True))
        delta = e / e.sum(axis=1, keepdims=True)  # softmax + cross-entropy: δ = (ŷ − y) / N
        delta[np.arange(len(t)), t] -= 1
        delta /= len(t)
        for k in reversed(range(layers)):
            grad_W = delta.T @ outputs[k]  # ∂E/∂w = δ · o^(k−1)
            grad_b = delta.sum(axis=0)
            if k > 0:
                delta = delta @ W[k]  # Σ_l w_jl δ_l, then times g'(a) = [o > 0]
                delta *= outputs[k] > 0
            velocity_W[k] *= momentum
            velocity_W[k] += grad_W
            W[k] -= lr * velocity_W[k]
            velocity_b[k] *= momentum
            velocity_b[k] += grad_b
            b[k] -= lr * velocity_b[k]

    def run():
        for x, t in data:
            step(x, t)

    def run_shuffled():
        order = rng.permutation(len(X))
        for x, t in batches(X[order], y[order], batch):
            step(x, t)

    return run_shuffled if shuffle else run


def numpy_loop_shuffled(sizes, X, y, batch):
    return numpy_loop(sizes, X, y, batch, shuffle=True)


def _deltaprop_model(sizes):
    import deltaprop as dp
    from deltaprop import nn

    dp.manual_seed(0)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def deltaprop_loop(sizes, X, y, batch):
    """The plain PyTorch-style loop: forward, loss, zero_grad, backward, step."""
    from deltaprop import nn, optim

    model = _deltaprop_model(sizes)
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = nn.CrossEntropyLoss()
    data = batches(X, y, batch)

    def run():
        for x, t in data:
            loss = loss_fn(model(x), t)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return run


FIT_EPOCHS = 5


def deltaprop_fit(sizes, X, y, batch):
    """Keras-style ``fit``, shuffled, with its default callbacks: one call of FIT_EPOCHS epochs per
    pass, so its once-per-call work (checking the data, building the loader) weighs as in real use.
    Its figure is scaled to one epoch's samples like the others'."""
    from deltaprop import nn, optim
    from deltaprop.training import fit

    model = _deltaprop_model(sizes)
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = nn.CrossEntropyLoss()

    def run():
        fit(model, X, y, loss=loss_fn, optimizer=optimizer, epochs=FIT_EPOCHS, batch_size=batch, verbose=0, seed=0)

    run.epochs = FIT_EPOCHS
    return run


def torch_loop(sizes, X, y, batch):
    import torch

    torch.manual_seed(0)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = torch.nn.CrossEntropyLoss()
    data = [(torch.from_numpy(x), torch.from_numpy(t)) for x, t in batches(X, y, batch)]

    def run():
        for x, t in data:
            loss = loss_fn(model(x), t)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return run


def sklearn_fit(sizes, X, y, batch):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(hidden_layer_sizes=sizes[1:-1], solver="sgd", learning_rate_init=LR, momentum=MOMENTUM,
                          nesterovs_momentum=False, alpha=0.0, batch_size=batch, max_iter=1, shuffle=True, warm_start=True,
                          tol=0.0, n_iter_no_change=10**9, random_state=0)

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)

    return run


CONTESTANTS = {
    "numpy": numpy_loop,
    "numpy_shuffled": numpy_loop_shuffled,
    "deltaprop": deltaprop_loop,
    "deltaprop_fit": deltaprop_fit,
    "torch": torch_loop,
    "sklearn": sklearn_fit,
}


def throughput(names=None, repeats=7, contestants=None, log=print, varied=True) -> dict:
    """{network: {contestant: samples per second (median)}} with every repeat interleaved, in a
    new order each repeat (``varied``; the same for every network and process), or always in
    CONTESTANTS' order."""
    results = {}
    for network in names or NETWORKS:
        sizes, batch, n = NETWORKS[network]
        X, y = make_data(sizes, n)
        runners = {}
        for name in contestants or CONTESTANTS:
            try:
                runners[name] = CONTESTANTS[name](sizes, X, y, batch)
            except ImportError as missing:
                log(f"  {name}: skipped ({missing})")
        for run in runners.values():  # warm-up: first-call costs, caches, lazy imports
            run()
        times = {name: [] for name in runners}
        order = list(runners)
        for repeat in range(repeats):
            if varied:
                random.Random(repeat).shuffle(order)
            for name in order:
                run = runners[name]
                started = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - started)
        results[network] = {name: n * getattr(runners[name], "epochs", 1) / statistics.median(values)
                            for name, values in times.items()}
        log(f"  {network}: " + ", ".join(f"{k} {v:,.0f}/s" for k, v in results[network].items()))
    return results


def main() -> None:
    """``python benchmarks/dense.py [--repeats N] [--json PATH]``: one process's figures (run.py
    starts several and takes the medians)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--networks", nargs="+", choices=list(NETWORKS), default=list(NETWORKS))
    parser.add_argument("--json", help="write {network: {contestant: samples/s}} here")
    parser.add_argument("--fixed-order", action="store_true", help="run the contestants in one order every repeat")
    args = parser.parse_args()
    try:
        import torch

        from common import blas_threads

        torch.set_num_threads(blas_threads())  # PyTorch gets NumPy's BLAS thread count
    except ImportError:
        pass
    table = throughput(args.networks, repeats=args.repeats, log=lambda line: print(line, flush=True),
                       varied=not args.fixed_order)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(table, handle)


if __name__ == "__main__":
    main()
