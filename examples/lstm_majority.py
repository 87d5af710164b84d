"""An LSTM learns to tell whether a sequence of +1s and -1s has more +1s (a counting task).

    python examples/lstm_majority.py                 # 150 steps, a few seconds
    python examples/lstm_majority.py --steps 300 --length 31

Each sample is a sequence of ``--length`` (odd, so there are no ties) random signs, fed one sign
per step; the LSTM's last hidden state goes through a linear layer to two scores (more -1s, more
+1s). The network has to keep a running count in its cell state across the whole sequence: no
single step tells the answer. Training is the usual loop: forward, cross-entropy, backward, Adam.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import deltaprop as dp
from deltaprop import nn


class Counter(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 2)

    def forward(self, x):
        output, (h_n, c_n) = self.lstm(x)
        return self.head(h_n[-1])  # the last layer's state after the last step


def batch(rng, size: int, length: int):
    x = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(size, length, 1))
    return x, (x.sum(axis=(1, 2)) > 0).astype(np.int64)


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--length", type=int, default=21)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.length < 1 or args.length % 2 == 0:
        parser.error(f"--length must be a positive odd number (no ties), got {args.length}")

    dp.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = Counter(args.hidden)
    optimizer = dp.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        x, y = batch(rng, 64, args.length)
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 50 == 0:
            print(f"step {step}/{args.steps}  loss {loss.item():.4f}")
    x, y = batch(rng, 1000, args.length)
    with dp.no_grad():
        accuracy = float((model(x).data.argmax(axis=1) == y).mean())
    print(f"test accuracy {accuracy:.1%} after {args.steps} steps ({time.perf_counter() - start:.1f} s)")
    return accuracy


if __name__ == "__main__":
    main()
