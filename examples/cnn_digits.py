"""A small convolutional network learns the bundled 8x8 handwritten digits (about 99% test accuracy).

    python examples/cnn_digits.py                  # 10 epochs, a few seconds on a laptop
    python examples/cnn_digits.py --epochs 20 --lr 0.002

The network (``deltaprop.nn.models.digits_cnn``) is two blocks of 3x3 convolution, batch
normalization, ReLU and 2x2 max pooling, then a linear layer: 8x8 -> 4x4 -> 2x2 -> 10 scores.
Training is the usual loop: forward, cross-entropy, backward, Adam step. Batch normalization uses
the batch's statistics while training and its running averages in ``eval()`` mode, so the test
accuracy is measured after ``model.eval()``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import deltaprop as dp
from deltaprop import nn
from deltaprop.data import ArrayDataset, DataLoader, load_digits, train_test_split


def accuracy(model, X, y) -> float:
    model.eval()
    with dp.no_grad():
        predictions = model(dp.tensor(X)).data.argmax(axis=1)
    model.train()
    return float((predictions == y).mean())


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.003)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    X, y = load_digits(as_images=True)  # (1797, 1, 8, 8) float32 in [0, 1], labels 0..9
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, seed=args.seed)
    dp.manual_seed(args.seed)
    model = nn.models.digits_cnn()
    print(model)
    print(f"{model.num_parameters()} weights; {len(X_train)} training and {len(X_test)} test images\n")
    optimizer = dp.optim.Adam(model.parameters(), lr=args.lr)

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        losses = []
        loader = DataLoader(ArrayDataset(X_train, y_train), batch_size=args.batch_size, shuffle=True, seed=args.seed + epoch)
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        print(f"epoch {epoch:3d}  loss {np.mean(losses):.4f}  test accuracy {accuracy(model, X_test, y_test):.2%}"
              f"  ({time.perf_counter() - start:.1f} s)")
    final = accuracy(model, X_test, y_test)
    print(f"\ntest accuracy {final:.2%} after {args.epochs} epochs")
    return final


if __name__ == "__main__":
    main()
