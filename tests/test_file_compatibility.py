"""Files written by an earlier deltaprop still load and resume.

``tests/data/*_188f974.safetensors`` were written by the code of commit 188f974 (before model files
recorded each layer's mode, shared layers and tied weights, and before checkpoints recorded their
batch size, optimizer class and whether the run had stopped): a model with BatchNorm, Dropout and
a layer used twice, saved in evaluation mode after two epochs of SGD with momentum, and the
checkpoint of its last epoch. The expected outputs are what that code computed for the first five
rows of the same data.
"""

from pathlib import Path

import numpy as np

import deltaprop as dp
from deltaprop import nn, optim

DATA = Path(__file__).parent / "data"
EXPECTED = [
    [0.529332160949707, -0.03059084713459015],
    [0.6570204496383667, -0.09171639382839203],
    [-0.1766895055770874, 0.664524495601654],
    [1.268870234489441, -0.402229368686676],
    [1.3992432355880737, -0.49061429500579834],
]


def _data():
    X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64)


def test_a_model_file_of_the_old_format_loads_and_predicts_as_it_did():
    model = dp.load(DATA / "model_188f974.safetensors")
    assert model.metadata == {"classes": ["no", "yes"]}
    assert all(module.training for module in model.modules())  # the old format kept no mode: as it loaded then
    model.eval()
    with dp.no_grad():
        np.testing.assert_allclose(model(dp.tensor(_data()[0][:5])).data, EXPECTED, rtol=1e-6, atol=1e-7)


def test_a_checkpoint_of_the_old_format_resumes():
    dp.manual_seed(0)
    shared = nn.Linear(4, 4)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(0.2), shared, nn.Tanh(), shared, nn.Linear(4, 2))
    X, y = _data()
    history = dp.fit(model, X, y, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                     epochs=3, batch_size=8, verbose=0, resume_from=DATA / "checkpoint_188f974.safetensors")
    assert history.epoch == [1, 2, 3] and all(np.isfinite(history["loss"]))
