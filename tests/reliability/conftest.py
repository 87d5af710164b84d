"""The bad-input corpus: files that are wrong in every way the issue lists, and one sound model.

Built once per test session in a folder of its own; the tests only read it (the command-line tests
check that a failed run left it unchanged).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

FEATURES = ["x1", "x2", "x3"]


def _csv(path: Path, header, rows) -> Path:
    path.write_text("\n".join([",".join(header), *(",".join(map(str, row)) for row in rows)]) + "\n")
    return path


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)).round(3)
    species = np.where(X[:, 0] > 0.3, "setosa", np.where(X[:, 1] > 0, "virginica", "versicolor"))
    good = [[*row, label] for row, label in zip(X, species)]
    header = [*FEATURES, "species"]

    _csv(folder / "flowers.csv", header, good)
    _csv(folder / "ragged.csv", header, [good[0], good[1][:3], *good[2:]])  # row 3 has 3 fields
    _csv(folder / "text_cell.csv", header, [good[0], [good[1][0], "abc", *good[1][2:]], *good[2:]])
    (folder / "empty.csv").write_bytes(b"")
    _csv(folder / "header_only.csv", header, [])
    missing = [list(row) for row in good]
    missing[3][1], missing[7][0] = "nan", "inf"  # rows 5 and 9 as a spreadsheet counts them
    _csv(folder / "missing.csv", header, missing)
    _csv(folder / "all_missing.csv", header, [[row[0], "", row[2], row[3]] for row in good[:5]])
    _csv(folder / "one_class.csv", header, [[*row[:3], "setosa"] for row in good])
    _csv(folder / "continuous_target.csv", header, [[*row[:3], row[0] * 2 + 0.5] for row in good])  # 0.5 at x1 = 0
    (folder / "latin1.csv").write_bytes(",".join(header).encode() + b"\n0.1,0.2,0.3,caf\xe9\n")
    huge = [list(row) for row in good]
    huge[4][2] = "1e39"
    _csv(folder / "overflow.csv", header, huge)
    (folder / "a_folder.csv").mkdir()
    _csv(folder / "unseen_label.csv", header, [good[0], [*good[1][:3], "tulip"]])
    _csv(folder / "fewer_features.csv", ["x1", "x2", "species"], [row[:2] + [row[3]] for row in good[:4]])
    _csv(folder / "extra_feature.csv", [*FEATURES, "x4"], [[*row[:3], 1.0] for row in good[:4]])
    _csv(folder / "no_header.csv", ["0.1", "0.2", "0.3", "0.4"], [row[:3] + [0.5] for row in good[:4]])
    np.savez(folder / "objects.npz", X=np.array([{"a": 1}, None], dtype=object), y=np.array([0, 1]))
    (folder / "not_an_archive.npz").write_bytes(b"PK\x03\x04 but not a zip archive")
    (folder / "lr_zero.toml").write_text("lr = 0.0\n")
    (folder / "only_target.csv").write_text("species\nsetosa\nvirginica\n")
    _csv(folder / "extra_text.csv", [*FEATURES, "note", "species"], [[*row[:3], "picked", row[3]] for row in good[:4]])
    # found by tests/reliability/test_csv_fuzz.py
    (folder / "blank_cells.csv").write_text(",\n, ,\n")
    _csv(folder / "newline_in_name.csv", ['"x1\rx"', *FEATURES[1:], "species"], good[:4])
    _csv(folder / "newline_in_extra.csv", [*FEATURES, '"note\nhere"', "species"], [[*row[:3], 1, row[3]] for row in good[:4]])
    flowers = (folder / "flowers.csv").read_text()
    (folder / "utf16.csv").write_bytes(flowers.encode("utf-16-le"))  # as some spreadsheets save "Unicode text"
    (folder / "nul_label.csv").write_bytes(flowers.replace(",setosa", ",setosa\0", 1).encode())
    _csv(folder / "dollar_labels.csv", header, [[*row[:3], "$\\frac{$" if row[3] == "setosa" else "$x$"] for row in good])
    np.savez(folder / "flowers.npz", X=X, y=species)
    np.savez(folder / "narrow.npz", X=X[:, :2], y=species)
    np.savez(folder / "features_only.npz", X=X)  # data to predict on: no targets

    import deltaprop as dp
    from deltaprop.data import LabelEncoder, StandardScaler
    from deltaprop.random import manual_seed
    from deltaprop.tabular import TabularModel, build_mlp
    from deltaprop.training import Trainer

    manual_seed(0)
    encoder, scaler = LabelEncoder().fit(species), StandardScaler().fit(X.astype(np.float32))
    network = build_mlp(3, (8,), 3)
    model = TabularModel(network, "classification", FEATURES, "species", scaler, encoder)
    Trainer(network, loss="cross_entropy", optimizer="adam", verbose=0, seed=0).fit(
        model.features(X), model.encode_target(species), epochs=3, batch_size=16)
    model.save(folder / "model.safetensors")
    dp.save(network.state_dict(), folder / "weights.safetensors")  # weights alone, no architecture
    data = (folder / "model.safetensors").read_bytes()
    (folder / "truncated.safetensors").write_bytes(data[: len(data) // 2])
    (folder / "random.safetensors").write_bytes(rng.bytes(300))
    (folder / "long_header.safetensors").write_bytes((10**6).to_bytes(8, "little") + data[8:])
    return folder
