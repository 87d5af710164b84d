"""A one-layer Transformer learns to tell whether a sequence's first token comes back later on.

    python examples/transformer_lookup.py                # 300 steps, well under a minute
    python examples/transformer_lookup.py --steps 1200 --length 16   # longer sequences need more steps (99.0% here)

Each sample is ``--length`` tokens from a vocabulary of ``--vocab``; the label is 1 when the first
token appears again somewhere after it (half the samples), 0 otherwise. No position on its own
tells the answer, and where the repeat sits changes from sample to sample: the first position has
to look at every other one and find a token equal to its own, which is what self-attention does
(its query and a key match when the two tokens are the same). The model is PyTorch's recipe:
token embedding plus a learned position embedding, a TransformerEncoderLayer, and a linear layer
reading the first position's output. Training is the usual loop: forward, cross-entropy, backward,
Adam.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import deltaprop as dp
from deltaprop import nn


class Lookup(nn.Module):
    def __init__(self, vocab: int, length: int, width: int, heads: int):
        super().__init__()
        self.tokens = nn.Embedding(vocab, width)
        self.positions = nn.Embedding(length, width)
        self.encoder = nn.TransformerEncoderLayer(width, heads, dim_feedforward=2 * width, dropout=0.0,
                                                  batch_first=True)
        self.head = nn.Linear(width, 2)
        self.register_buffer("where", dp.tensor(np.arange(length)))

    def forward(self, x):
        h = self.tokens(x) + self.positions(self.where)  # (N, L, width)
        h = self.encoder(h)
        return self.head(h[:, 0])  # the first position has looked at all the others


def make_data(n: int, length: int, vocab: int, rng) -> tuple[np.ndarray, np.ndarray]:
    first = rng.integers(0, vocab, size=n)
    # the other positions: any token but the first one's ...
    rest = (first[:, None] + rng.integers(1, vocab, size=(n, length - 1))) % vocab
    labels = (rng.random(n) < 0.5).astype(np.int64)
    # ... except, in half the samples, one position at random that repeats it
    spot = rng.integers(0, length - 1, size=n)
    rows = np.flatnonzero(labels)
    rest[rows, spot[rows]] = first[rows]
    return np.concatenate([first[:, None], rest], axis=1), labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--length", type=int, default=10)
    parser.add_argument("--vocab", type=int, default=8)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    dp.manual_seed(0)
    model = Lookup(args.vocab, args.length, args.width, heads=4)
    optimizer = dp.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()

    started = time.perf_counter()
    for step in range(1, args.steps + 1):
        x, y = make_data(args.batch, args.length, args.vocab, rng)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        if step % 50 == 0:
            print(f"step {step:4d}  loss {loss.item():.4f}")
    seconds = time.perf_counter() - started

    x, y = make_data(2000, args.length, args.vocab, rng)
    model.eval()
    with dp.no_grad():
        predicted = model(x).data.argmax(axis=1)
    accuracy = 100.0 * float(np.mean(predicted == y))
    print(f"test accuracy {accuracy:.1f}% after {args.steps} steps ({seconds:.1f} s of training)")


if __name__ == "__main__":
    main()
