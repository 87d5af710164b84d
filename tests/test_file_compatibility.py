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


# Written by the code of commit fec76c1, before convolutions had groups: their configs hold no
# "groups". The expected outputs are what that code computed, in evaluation mode, for
# rng(0).normal(size=shape) as float32.
OLD_CONV_FILES = [
    ("conv1d_model_fec76c1.safetensors", (3, 2, 8),
     [[-0.2779557704925537, 0.1947057545185089], [-0.20870795845985413, -0.1668567806482315],
      [-0.2994365692138672, 0.05017979443073273]]),
    ("conv2d_model_fec76c1.safetensors", (2, 1, 5, 6),
     [[[[-0.3084803521633148, 0.1301286816596985], [0.057187750935554504, -0.15415841341018677],
        [-0.1361677497625351, -0.3053707182407379]],
       [[0.1973688304424286, 0.28217214345932007], [-0.23201687633991241, 0.009126469492912292],
        [-0.01866549253463745, -0.23407788574695587]]],
      [[[0.00015807151794433594, -0.269661009311676], [-0.23807241022586823, 0.1894221007823944],
        [-0.1828378587961197, -0.11242660880088806]],
       [[0.07662060856819153, -0.2750992178916931], [-0.11270879209041595, 0.006386488676071167],
        [-0.2956344485282898, 0.2797470688819885]]]]),
]


def test_convolutions_saved_before_groups_existed_load_as_ungrouped():
    for name, shape, expected in OLD_CONV_FILES:
        assert b"groups" not in (DATA / name).read_bytes()
        model = dp.load(DATA / name)
        convolutions = [m for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d))]
        assert len(convolutions) == 2 and all(m.groups == 1 for m in convolutions)
        model.eval()
        x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
        with dp.no_grad():
            np.testing.assert_allclose(model(dp.tensor(x)).data, expected, rtol=1e-6, atol=1e-7)
