"""The classic tutorials of ported_classic.py run on PyTorch and on deltaprop from the same
weights and data (PyTorch's initial weights loaded into deltaprop's model, noise drawn once with
NumPy, loaders without shuffling): the losses, accuracies and learning rates agree to float32
tolerance, step by step.
"""

import math
import random

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these ports are compared with")

import deltaprop as dp  # noqa: E402

import ported_classic as programs  # noqa: E402
from torch_twins import load_into  # noqa: E402

LIBRARIES = (dp, torch)


def _both(make):
    """``make(dp)`` and ``make(torch)`` (a model, or a dict of models), PyTorch's weights loaded into
    deltaprop's."""
    torch.manual_seed(0)
    ours, theirs = make(dp), make(torch)
    for mine, reference in (zip(ours.values(), theirs.values()) if isinstance(ours, dict) else [(ours, theirs)]):
        load_into(mine, reference)
    return ours, theirs


def _tensors(lib, *arrays):
    return [lib.tensor(array) for array in arrays]


@pytest.fixture
def default_devices():
    yield
    dp.set_default_device(None)
    torch.set_default_device(None)


# -- Learning PyTorch with Examples ------------------------------------------------------------------------

START = [0.3, -0.5, 0.2, 0.1]


def test_polynomial_with_tensors_is_pytorchs():
    ours = programs.polynomial_with_tensors(dp, *_tensors(dp, *np.float32(START)), steps=300)
    theirs = programs.polynomial_with_tensors(torch, *_tensors(torch, *np.float32(START)), steps=300)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-4)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-4, atol=1e-6)


def test_polynomial_with_autograd_is_pytorchs(default_devices):
    ours, theirs = (programs.polynomial_with_autograd(lib, START, steps=300) for lib in LIBRARIES)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-4)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-4, atol=1e-6)


def test_polynomial_with_a_custom_function_is_pytorchs():
    ours, theirs = (programs.polynomial_with_a_function(lib, steps=500) for lib in LIBRARIES)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-4)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-4, atol=1e-8)


@pytest.mark.parametrize("optimizer", [None, "RMSprop", "SGD"])
def test_polynomial_sequential_is_pytorchs(optimizer):
    ours, theirs = _both(programs.polynomial_sequential)
    if optimizer is None:  # by hand: param -= learning_rate * param.grad
        mine, reference = (programs.train_sequential_by_hand(lib, model, steps=300)[0]
                           for lib, model in ((dp, ours), (torch, theirs)))
    else:
        lr = 1e-3 if optimizer == "RMSprop" else 1e-6
        mine, reference = (programs.train_with_an_optimizer(lib, model, getattr(lib.optim, optimizer), steps=300, lr=lr)
                           for lib, model in ((dp, ours), (torch, theirs)))
    np.testing.assert_allclose(mine, reference, rtol=1e-4)
    np.testing.assert_allclose(ours[0].weight.data, theirs[0].weight.detach().numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("which", [0, 1], ids=["Polynomial3", "DynamicNet"])
def test_polynomial_modules_are_pytorchs(which):
    ours, theirs = _both(lambda lib: programs.polynomial_module(lib)[which]())
    options = [dict(lr=1e-6), dict(lr=1e-8, momentum=0.9)][which]
    runs = []
    for lib, model in ((dp, ours), (torch, theirs)):
        random.seed(0)  # the dynamic net's random.randint draws alike
        runs.append(programs.train_with_an_optimizer(lib, model, lib.optim.SGD, steps=300, features=False, **options))
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-4)
    assert ours.string().split()[:2] == theirs.string().split()[:2] == ["y", "="]


# -- What is torch.nn really? ------------------------------------------------------------------------------


def _mnist(n_train=640, n_valid=128):
    return programs.mnist_like(n_train, n_valid)


def test_logistic_regression_by_hand_is_pytorchs():
    arrays = _mnist()
    start = (np.random.default_rng(1).standard_normal((784, 10)) / math.sqrt(784)).astype(np.float32)
    results = []
    for lib in LIBRARIES:
        x_train, y_train, _, _ = map(lib.tensor, arrays)
        weights = lib.tensor(start)
        weights.requires_grad_()
        bias = lib.zeros(10, requires_grad=True)
        results.append(programs.logistic_by_hand(lib, x_train, y_train, weights, bias))
    (losses, before, after, fused), (t_losses, t_before, t_after, t_fused) = results
    np.testing.assert_allclose(losses, t_losses, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose([*before, *after, fused], [*t_before, *t_after, t_fused], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("which", [0, 1], ids=["own-parameters", "nn.Linear"])
def test_the_nn_module_refactors_are_pytorchs(which):
    arrays = _mnist()
    ours, theirs = _both(lambda lib: programs.mnist_logistic(lib)[which]())
    mine, reference = (programs.fit_by_hand(lib, model, *map(lib.tensor, arrays[:2]))
                       for lib, model in ((dp, ours), (torch, theirs)))
    np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-6)


def test_fit_on_tensor_dataset_slices_is_pytorchs():
    arrays = _mnist()
    ours, theirs = _both(lambda lib: programs.mnist_logistic(lib)[1]())
    mine, reference = (programs.fit_on_dataset_slices(lib, model, lib.optim.SGD(model.parameters(), lr=0.5),
                                                      *map(lib.tensor, arrays[:2]))
                       for lib, model in ((dp, ours), (torch, theirs)))
    np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("which", [0, 1, 2], ids=["Mnist_CNN", "Lambda-AvgPool2d", "AdaptiveAvgPool2d-wrapped"])
def test_the_tutorials_cnns_train_as_pytorchs(which):
    arrays = _mnist(n_train=256)
    ours, theirs = _both(lambda lib: programs.mnist_cnns(lib)[which]())
    runs = []
    for lib, model in ((dp, ours), (torch, theirs)):
        x_train, y_train, x_valid, y_valid = map(lib.tensor, arrays)
        train_dl, valid_dl = programs.get_data(lib, lib.utils.data.TensorDataset(x_train, y_train),
                                               lib.utils.data.TensorDataset(x_valid, y_valid), bs=32, shuffle=False)
        if which == 2:
            _, _, _, _, WrappedDataLoader = programs.mnist_cnns(lib)
            _, preprocess = programs.to_device_preprocess(lib)
            train_dl, valid_dl = WrappedDataLoader(train_dl, preprocess), WrappedDataLoader(valid_dl, preprocess)
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        runs.append(programs.fit(lib, 3, model, lib.nn.functional.cross_entropy, opt, train_dl, valid_dl))
    np.testing.assert_allclose(runs[0], runs[1], rtol=2e-4)


# -- Training a classifier ---------------------------------------------------------------------------------


def test_the_cifar10_classifier_trains_and_scores_as_pytorchs():
    ours, theirs = _both(lambda lib: programs.cifar_net(lib)())
    runs = []
    for lib, net in ((dp, ours), (torch, theirs)):
        trainloader = lib.utils.data.DataLoader(programs.cifar_like(lib, 80, seed=0), batch_size=4, shuffle=False)
        testloader = lib.utils.data.DataLoader(programs.cifar_like(lib, 40, seed=1), batch_size=4, shuffle=False)
        printed = programs.train_classifier(lib, net, trainloader, epochs=2, lr=0.01, every=5)
        runs.append((printed, programs.score_classifier(lib, net, testloader)))
    (printed, score), (t_printed, t_score) = runs
    np.testing.assert_allclose(printed, t_printed, rtol=1e-4)
    assert score == t_score


# -- VAE -----------------------------------------------------------------------------------------------------


def test_the_vae_loss_and_its_gradients_are_pytorchs():
    rng = np.random.default_rng(0)
    x = (rng.random((6, 1, 28, 28)) > 0.5).astype(np.float64)
    recon, mu, logvar = rng.uniform(0.01, 0.99, (6, 784)), rng.standard_normal((6, 20)), rng.standard_normal((6, 20))
    values, gradients = [], []
    for lib in LIBRARIES:
        leaves = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in (recon, mu, logvar)]
        loss = programs.vae_loss_function(lib, leaves[0], lib.tensor(x, dtype=lib.float64), leaves[1], leaves[2])
        loss.backward()
        values.append(loss.item())
        gradients.append([np.asarray(leaf.grad) for leaf in leaves])
    assert values[0] == pytest.approx(values[1], rel=1e-12)
    for mine, reference in zip(*gradients):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)


def test_the_vae_encodes_and_decodes_as_pytorchs():
    ours, theirs = _both(lambda lib: programs.vae_class(lib)())
    x = (np.random.default_rng(0).random((5, 1, 28, 28)) > 0.7).astype(np.float32)
    (mu, logvar), (t_mu, t_logvar) = (model.encode(lib.tensor(x).view(-1, 784))
                                      for lib, model in ((dp, ours), (torch, theirs)))
    np.testing.assert_allclose(mu.data, t_mu.detach().numpy(), rtol=1e-4, atol=1e-5)
    decoded, t_decoded = ours.decode(mu), theirs.decode(t_mu)
    np.testing.assert_allclose(decoded.data, t_decoded.detach().numpy(), rtol=1e-4, atol=1e-6)


# -- DCGAN ---------------------------------------------------------------------------------------------------


def test_dcgan_steps_are_pytorchs():
    nz = 8
    ours, theirs = _both(lambda lib: dict(zip("GD", programs.dcgan_networks_on_device(lib, nz, ngf=4, ndf=4)[1:])))
    rng = np.random.default_rng(0)
    noises = [rng.standard_normal((8, nz, 1, 1)).astype(np.float32) for _ in range(4)]
    runs = []
    for lib, nets in ((dp, ours), (torch, theirs)):
        netG, netD = nets["G"], nets["D"]
        loader = lib.utils.data.DataLoader(programs.blob_images(lib, 32, seed=0), batch_size=8, shuffle=False)
        optimizerD, optimizerG = programs.dcgan_optimizers(lib, netG, netD)
        device = lib.device("cpu")
        runs.append([programs.dcgan_step(lib, netD, netG, optimizerD, optimizerG, lib.nn.BCELoss(), data,
                                         lib.tensor(noise), device) for data, noise in zip(loader, noises)])
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-4, atol=1e-6)
    for (name, p), (_, q) in zip(ours["G"].state_dict().items(), theirs["G"].state_dict().items()):
        np.testing.assert_allclose(p, q.numpy(), rtol=1e-3, atol=1e-5, err_msg=name)  # running stats too


# -- regression with ReduceLROnPlateau and early stopping; denoising autoencoder --------------------------------


def test_regression_with_plateau_and_early_stopping_is_pytorchs(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 8)).astype(np.float32)
    y = (np.sin(X[:, :1]) + X[:, 1:2] * X[:, 2:3] + 0.05 * rng.standard_normal((400, 1))).astype(np.float32)
    ours, theirs = _both(programs.regression_model)
    runs = []
    for lib, model in ((dp, ours), (torch, theirs)):
        data = lib.utils.data.TensorDataset(*_tensors(lib, X, y))
        train_loader = lib.utils.data.DataLoader(lib.utils.data.Subset(data, range(320)), batch_size=32)
        val_loader = lib.utils.data.DataLoader(lib.utils.data.Subset(data, range(320, 400)), batch_size=64)
        runs.append(programs.train_with_plateau_and_early_stopping(lib, model, train_loader, val_loader,
                                                                   str(tmp_path / f"{lib.__name__}.pth"), epochs=25))
    (history, best, reloaded), (t_history, t_best, t_reloaded) = runs
    assert len(history) == len(t_history)
    np.testing.assert_allclose(np.array(history)[:, :2], np.array(t_history)[:, :2], rtol=2e-4)
    np.testing.assert_allclose(np.array(history)[:, 2:], np.array(t_history)[:, 2:], rtol=1e-12)
    assert history[-1][2] < 1e-2  # the plateau was reached
    assert (best, reloaded) == pytest.approx((t_best, t_reloaded), rel=2e-4)


def test_the_denoising_autoencoder_is_pytorchs():
    rng = np.random.default_rng(0)
    strokes = np.random.default_rng(7).random((10, 28, 28)) > 0.7
    labels = rng.integers(0, 10, 64)
    images = strokes[labels].astype(np.float32)[:, None]
    noise = rng.standard_normal((3 * 2, 32, 784)).astype(np.float32)
    ours, theirs = _both(lambda lib: programs.denoising_autoencoder(lib)())
    runs = []
    for lib, model in ((dp, ours), (torch, theirs)):
        loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(*_tensors(lib, images, labels)), batch_size=32)
        draws = iter(noise)
        runs.append(programs.train_denoiser(lib, model, loader, lambda shape, lib=lib: lib.tensor(next(draws)),
                                            epochs=3))
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-4)
