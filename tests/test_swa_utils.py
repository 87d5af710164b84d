"""optim.swa_utils inside deltaprop's own training loop: an AveragedModel updated by a callback at
the end of each epoch of ``fit`` holds the mean of the weights those epochs ended with, SWALR
anneals the rate fit's optimizer uses, and update_bn then recomputes the batch-norm statistics."""

import numpy as np

import deltaprop as dp
from deltaprop import nn, optim
from deltaprop.optim import swa_utils
from deltaprop.training.callbacks import Callback


class Averaging(Callback):
    def __init__(self, averaged, scheduler):
        self.averaged, self.scheduler, self.seen, self.rates = averaged, scheduler, [], []

    def on_epoch_end(self, epoch, logs=None):
        self.rates.append(self.scheduler.optimizer.param_groups[0]["lr"])
        self.averaged.update_parameters(self.model)
        self.seen.append([p.data.copy() for p in self.model.parameters()])
        self.scheduler.step()


def test_an_averaged_model_follows_fit_through_a_callback():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1 * rng.standard_normal((64, 1))
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    averaged = swa_utils.AveragedModel(model)
    callback = Averaging(averaged, swa_utils.SWALR(optimizer, swa_lr=0.02, anneal_epochs=2, anneal_strategy="linear"))
    dp.fit(model, x, y, loss="mse", optimizer=optimizer, epochs=4, batch_size=16, callbacks=[callback], verbose=0,
           seed=0)
    assert int(averaged.n_averaged) == 4
    np.testing.assert_allclose(callback.rates, [0.1, 0.06, 0.02, 0.02], rtol=1e-12)
    for mine, history in zip(averaged.parameters(), zip(*callback.seen)):
        np.testing.assert_allclose(mine.data, np.mean(history, axis=0), rtol=1e-5, atol=1e-6)
    swa_utils.update_bn(dp.data.DataLoader(dp.data.TensorDataset(dp.tensor(x), dp.tensor(y)), batch_size=16),
                        averaged)
    hidden = averaged.module[0](dp.tensor(x)).data  # the statistics update_bn must find: those of all 64 samples
    np.testing.assert_allclose(averaged.module[1].running_mean, hidden.mean(axis=0), rtol=1e-4, atol=1e-5)
    assert int(averaged.module[1].num_batches_tracked) == 4
