"""End to end: the showcase CNN learns the bundled 8x8 digits to at least 98% test accuracy."""

import numpy as np

import deltaprop as dp
from deltaprop import nn
from deltaprop.data import ArrayDataset, DataLoader, load_digits, train_test_split


def test_digits_cnn_reaches_98_percent_test_accuracy():
    X, y = load_digits(as_images=True)
    assert X.shape == (1797, 1, 8, 8)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, seed=0)
    dp.manual_seed(0)
    model = nn.models.digits_cnn()
    optimizer = dp.optim.Adam(model.parameters(), lr=0.003)
    first_losses, last_losses = [], []
    for epoch in range(10):
        for xb, yb in DataLoader(ArrayDataset(X_train, y_train), batch_size=32, shuffle=True, seed=epoch):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            (first_losses if epoch == 0 else last_losses).append(loss.item())
            if epoch not in (0, 9):
                last_losses.clear()
    model.eval()
    with dp.no_grad():
        accuracy = (model(dp.tensor(X_test)).data.argmax(axis=1) == y_test).mean()
    assert np.mean(last_losses) < 0.2 * np.mean(first_losses)
    assert accuracy >= 0.98
