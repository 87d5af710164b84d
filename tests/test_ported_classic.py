"""Classic PyTorch tutorials, ported by ``import deltaprop as torch``, run and learn.

The programs are in ported_classic.py, written once for either library; here they run on
deltaprop with its own random draws (``torch.manual_seed``), and the tests check what they compute:
the losses fall, the shapes and dtypes are the tutorial's, and where two of a tutorial's versions
must agree (gradients by hand and by autograd, a manual update and ``optim.SGD``, a sliced
``TensorDataset`` and a ``DataLoader``) they do. tests/reference/test_torch_ported_classic.py runs
the same programs on PyTorch from the same weights and compares.
"""

import random

import numpy as np
import pytest

import deltaprop as torch  # the port
import ported_classic as programs

F = torch.nn.functional


def _mostly_falls(losses, share=0.5):
    """The mean of the last fifth is below ``share`` times the mean of the first fifth."""
    fifth = max(1, len(losses) // 5)
    return np.mean(losses[-fifth:]) < share * np.mean(losses[:fifth])


@pytest.fixture
def default_device():
    yield
    torch.set_default_device(None)


# -- Learning PyTorch with Examples ------------------------------------------------------------------------


def test_polynomial_gradients_by_hand_and_by_autograd_agree(default_device):
    dtype = torch.float
    device = torch.device("cpu")
    torch.manual_seed(0)
    a, b, c, d = (torch.randn((), device=device, dtype=dtype) for _ in range(4))
    start = [a.item(), b.item(), c.item(), d.item()]
    by_hand, coefficients = programs.polynomial_with_tensors(torch, a, b, c, d, steps=300)
    by_autograd, same = programs.polynomial_with_autograd(torch, start, steps=300)
    assert torch.get_default_device() == torch.device("cpu")
    np.testing.assert_allclose(by_autograd, by_hand, rtol=1e-4)
    np.testing.assert_allclose(same, coefficients, rtol=1e-4, atol=1e-6)
    assert _mostly_falls(by_hand)


def test_polynomial_with_a_custom_function_prints_the_tutorials_numbers():
    """The tutorial starts from fixed values, so its printed output is a reference: '99
    209.95834350585938' and 'Result: y = -6.7e-10 + -2.208526849746704 * P3(-3.4e-10 +
    0.2554861009120941 x)'."""
    losses, (a, b, c, d) = programs.polynomial_with_a_function(torch, steps=2000)
    assert losses[99] == pytest.approx(209.95834350585938, rel=1e-5)
    assert b == pytest.approx(-2.208526849746704, rel=1e-5) and d == pytest.approx(0.2554861009120941, rel=1e-5)
    assert abs(a) < 1e-8 and abs(c) < 1e-8 and losses[-1] == pytest.approx(8.94, rel=1e-3)
    assert all(later <= earlier for earlier, later in zip(losses, losses[1:]))


def test_polynomial_sequential_by_hand_is_sgd():
    """``param -= lr * param.grad`` under no_grad() after model.zero_grad() is optim.SGD."""
    torch.manual_seed(1)
    model = programs.polynomial_sequential(torch)
    same = programs.polynomial_sequential(torch)
    same.load_state_dict(model.state_dict())
    by_hand, coefficients = programs.train_sequential_by_hand(torch, model, steps=200)
    with_sgd = programs.train_with_an_optimizer(torch, same, torch.optim.SGD, steps=200, lr=1e-6)
    np.testing.assert_allclose(with_sgd, by_hand, rtol=1e-5)
    assert programs.polynomial_features(torch)[0].shape == (2000, 3) and model(torch.ones(4, 3)).shape == (4,)
    assert len(coefficients) == 4 and _mostly_falls(by_hand)


def test_polynomial_sequential_with_rmsprop_learns():
    torch.manual_seed(2)
    model = programs.polynomial_sequential(torch)
    losses = programs.train_with_an_optimizer(torch, model, torch.optim.RMSprop, steps=2000, lr=1e-3)
    assert losses[-1] < 20 and _mostly_falls(losses, 0.01)  # the tutorial ends near 9


def test_polynomial_modules_learn_and_describe_themselves():
    torch.manual_seed(3)
    Polynomial3, DynamicNet = programs.polynomial_module(torch)
    model = Polynomial3()
    assert [name for name, _ in model.named_parameters()] == ["a", "b", "c", "d"]
    losses = programs.train_with_an_optimizer(torch, model, torch.optim.SGD, steps=300, features=False, lr=1e-6)
    assert _mostly_falls(losses) and model.string().startswith("y = ") and model.string().endswith(" x^3")
    random.seed(0)
    dynamic = DynamicNet()
    losses = programs.train_with_an_optimizer(torch, dynamic, torch.optim.SGD, steps=600, features=False, lr=1e-8,
                                              momentum=0.9)
    assert _mostly_falls(losses) and dynamic.string().endswith("x^5 ?")


# -- What is torch.nn really? ------------------------------------------------------------------------------


def _mnist(n_train=640, n_valid=128):
    return map(torch.tensor, programs.mnist_like(n_train, n_valid))


def test_logistic_regression_by_hand_learns_and_matches_cross_entropy():
    import math

    x_train, y_train, _, _ = _mnist()
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64 and x_train.shape == (640, 784)
    torch.manual_seed(0)
    weights = torch.randn(784, 10) / math.sqrt(784)
    weights.requires_grad_()
    bias = torch.zeros(10, requires_grad=True)
    losses, before, after, fused = programs.logistic_by_hand(torch, x_train, y_train, weights, bias)
    assert after[0] < before[0] / 4 and after[1] > before[1] + 0.4
    assert fused == pytest.approx(after[0], rel=1e-4, abs=1e-6)  # F.cross_entropy is log_softmax + nll
    assert _mostly_falls(losses)


def test_the_nn_module_refactors_learn():
    x_train, y_train, _, _ = _mnist()
    Mnist_Logistic, Mnist_Linear = programs.mnist_logistic(torch)
    torch.manual_seed(0)
    for model in (Mnist_Logistic(), Mnist_Linear()):
        losses = programs.fit_by_hand(torch, model, x_train, y_train)
        assert _mostly_falls(losses, 0.3)


def test_a_sliced_tensor_dataset_and_a_data_loader_serve_the_same_batches():
    x_train, y_train, _, _ = _mnist()
    _, Mnist_Linear = programs.mnist_logistic(torch)
    torch.manual_seed(0)
    first, second = Mnist_Linear(), Mnist_Linear()
    second.load_state_dict(first.state_dict())
    sliced = programs.fit_on_dataset_slices(torch, first, torch.optim.SGD(first.parameters(), lr=0.5), x_train, y_train)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train, y_train), batch_size=64)
    loaded = []
    opt = torch.optim.SGD(second.parameters(), lr=0.5)
    for epoch in range(2):
        for xb, yb in loader:
            loaded.append(programs.loss_batch(second, F.cross_entropy, xb, yb, opt)[0])
    np.testing.assert_allclose(loaded, sliced, rtol=1e-6)


def test_validation_with_fit_and_get_data():
    x_train, y_train, x_valid, y_valid = _mnist()
    train_ds = torch.utils.data.TensorDataset(x_train, y_train)
    valid_ds = torch.utils.data.TensorDataset(x_valid, y_valid)
    train_dl, valid_dl = programs.get_data(torch, train_ds, valid_ds, bs=64)
    _, Mnist_Linear = programs.mnist_logistic(torch)
    torch.manual_seed(0)
    model = Mnist_Linear()
    val_losses = programs.fit(torch, 3, model, F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.5),
                              train_dl, valid_dl)
    assert val_losses[-1] < val_losses[0] and not model.training
    with torch.no_grad():  # the tutorial's first form: sum(...) of loss tensors over the loader
        valid_loss = sum(F.cross_entropy(model(xb), yb) for xb, yb in valid_dl)
    assert (valid_loss / len(valid_dl)).item() == pytest.approx(val_losses[-1], rel=1e-5)


def test_the_tutorials_cnns_agree_and_learn():
    x_train, y_train, x_valid, y_valid = _mnist(1024, 128)
    Mnist_CNN, sequential_cnn, adaptive_cnn, Lambda, WrappedDataLoader = programs.mnist_cnns(torch)
    torch.manual_seed(0)
    cnn, sequential, adaptive = Mnist_CNN(), sequential_cnn(), adaptive_cnn()
    weights = list(cnn.state_dict().values())
    sequential.load_state_dict(dict(zip(sequential.state_dict(), weights)))
    adaptive.load_state_dict(dict(zip(adaptive.state_dict(), weights)))
    xb = x_valid[:8]
    expected = cnn(xb)
    assert expected.shape == (8, 10)
    np.testing.assert_allclose(sequential(xb).data, expected.data, rtol=1e-6)  # Lambda, AvgPool2d(4)
    np.testing.assert_allclose(adaptive(xb.view(-1, 1, 28, 28)).data, expected.data, rtol=1e-6, atol=1e-7)
    dev, preprocess = programs.to_device_preprocess(torch)
    assert str(dev) == "cpu"
    train_dl, valid_dl = programs.get_data(torch, torch.utils.data.TensorDataset(x_train, y_train),
                                           torch.utils.data.TensorDataset(x_valid, y_valid), bs=32)
    train_dl, valid_dl = WrappedDataLoader(train_dl, preprocess), WrappedDataLoader(valid_dl, preprocess)
    assert len(train_dl) == 32 and next(iter(train_dl))[0].shape == (32, 1, 28, 28)
    adaptive.to(dev)
    opt = torch.optim.SGD(adaptive.parameters(), lr=0.1, momentum=0.9)
    val_losses = programs.fit(torch, 6, adaptive, F.cross_entropy, opt, train_dl, valid_dl)
    assert val_losses[0] > 2.0 and min(val_losses[-2:]) < 1.0


# -- Training a classifier ---------------------------------------------------------------------------------


def test_the_cifar10_classifier_trains_saves_reloads_and_scores(tmp_path):
    torch.manual_seed(0)
    trainset, testset = programs.cifar_like(torch, 240, seed=0), programs.cifar_like(torch, 40, seed=1)
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=4, shuffle=True, num_workers=2)
    testloader = torch.utils.data.DataLoader(testset, batch_size=4, shuffle=False, num_workers=2)
    images, labels = next(iter(trainloader))
    assert images.shape == (4, 3, 32, 32) and labels.dtype == np.int64 and labels.size(0) == 4  # a tensor
    assert ' '.join(f'{programs.CLASSES[labels[j]]:5s}' for j in range(4)).split()[0] in programs.CLASSES
    Net = programs.cifar_net(torch)
    net = Net()
    # (lr 0.01 where the tutorial's is 0.001: its 25,000 steps are 240 here)
    printed = programs.train_classifier(torch, net, trainloader, epochs=4, lr=0.01, every=10)
    assert len(printed) == 24 and printed[0] > 2.0 and printed[-1] < 1.0
    PATH = str(tmp_path / "cifar_net.pth")
    torch.save(net.state_dict(), PATH)
    again = Net()
    again.load_state_dict(torch.load(PATH, weights_only=True))
    with torch.no_grad():
        np.testing.assert_array_equal(again(images).data, net(images).data)
    percent, correct, total, correct_pred, total_pred = programs.score_classifier(torch, again, testloader)
    assert total == 40 and sum(total_pred.values()) == total and sum(correct_pred.values()) == correct
    assert percent == 100 * correct // total and correct > 20  # chance is 4 of 40
    device = torch.device('cuda:0' if torch.cuda.is_available() else 'cpu')
    inputs, labels = images.to(device), labels.to(device)
    assert net.to(device)(inputs).shape == (4, 10)


# -- VAE -----------------------------------------------------------------------------------------------------


def test_the_vae_learns_and_samples():
    torch.manual_seed(1)
    train_loader = torch.utils.data.DataLoader(programs.mnist_images(torch, 256, seed=0), batch_size=32, shuffle=True)
    test_loader = torch.utils.data.DataLoader(programs.mnist_images(torch, 64, seed=1), batch_size=32, shuffle=False)
    model = programs.vae_class(torch)().to(torch.device("cpu"))
    train_losses, test_losses, comparison = programs.train_vae(torch, model, train_loader, test_loader, epochs=3)
    assert train_losses[-1] < 0.85 * train_losses[0] and test_losses[-1] < test_losses[0]
    assert comparison.shape == (16, 1, 28, 28)
    with torch.no_grad():
        sample = torch.randn(64, 20).to(torch.device("cpu"))
        sample = model.decode(sample).cpu()
    assert sample.view(64, 1, 28, 28).shape == (64, 1, 28, 28)
    assert 0 < sample.min().item() and sample.max().item() < 1


# -- DCGAN ---------------------------------------------------------------------------------------------------


def test_dcgan_initialises_and_trains_its_networks():
    torch.manual_seed(999)
    torch.use_deterministic_algorithms(True)  # the tutorial's "Needed for reproducible results"
    try:
        nz = 16
        device, netG, netD = programs.dcgan_networks_on_device(torch, nz, ngf=8, ndf=8)
    finally:
        torch.use_deterministic_algorithms(False)
    convolution = netD.main[2].weight.data
    assert abs(convolution.std() - 0.02) < 0.004 and abs(convolution.mean()) < 0.004  # weights_init
    assert abs(netG.main[1].weight.data.mean() - 1) < 0.02 and not netG.main[1].bias.data.any()
    dataloader = torch.utils.data.DataLoader(programs.blob_images(torch, 64, seed=0), batch_size=16, shuffle=True,
                                             num_workers=2)
    criterion = torch.nn.BCELoss()
    optimizerD, optimizerG = programs.dcgan_optimizers(torch, netG, netD)
    fixed_noise = torch.randn(64, nz, 1, 1, device=device)
    results = []
    for epoch in range(2):
        for i, data in enumerate(dataloader, 0):
            noise = torch.randn(data[0].size(0), nz, 1, 1, device=device)
            results.append(programs.dcgan_step(torch, netD, netG, optimizerD, optimizerG, criterion, data, noise,
                                               device))
    errD, errG, D_x, D_G_z1, D_G_z2 = np.array(results).T
    assert np.all(np.isfinite(results)) and np.all((0 < D_x) & (D_x < 1))
    assert errD[-1] < errD[0] and D_x[-1] > D_x[0]  # the discriminator learns first
    with torch.no_grad():
        fake = netG(fixed_noise).detach().cpu()
    assert fake.shape == (64, 3, 32, 32) and fake.abs().max().item() <= 1


# -- regression with ReduceLROnPlateau and early stopping; denoising autoencoder --------------------------------


def _regression_run(path):
    torch.manual_seed(42)
    X, y = programs.regression_data(torch)
    train_ds, val_ds = torch.utils.data.random_split(torch.utils.data.TensorDataset(X, y), [320, 80])
    train_loader = torch.utils.data.DataLoader(train_ds, batch_size=32, shuffle=True)
    val_loader = torch.utils.data.DataLoader(val_ds, batch_size=64)
    model = programs.regression_model(torch)
    return programs.train_with_plateau_and_early_stopping(torch, model, train_loader, val_loader, path)


def test_regression_with_plateau_and_early_stopping_repeats_under_its_seed(tmp_path):
    torch.use_deterministic_algorithms(True)
    try:
        history, best, reloaded = _regression_run(tmp_path / "best_model.pth")
        again = _regression_run(tmp_path / "again.pth")
    finally:
        torch.use_deterministic_algorithms(False)
    assert again == (history, best, reloaded)  # the same numbers, run after run
    train, val, lrs, last_lrs = map(np.array, zip(*history))
    assert lrs.tolist() == last_lrs.tolist() and lrs[0] == 1e-2 and lrs[-1] < 1e-2  # the plateau halved it
    assert set(np.round(np.log2(1e-2 / lrs), 6)) <= set(range(40))  # by factors of 0.5
    assert reloaded == pytest.approx(best, rel=1e-6) and best == val.min() and best < 0.5 * val[0]


def test_a_denoising_autoencoder_learns():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    strokes = np.random.default_rng(7).random((10, 28, 28)) > 0.7
    labels = rng.integers(0, 10, 256)
    images = torch.tensor(strokes[labels], dtype=torch.float32).unsqueeze(1)
    train_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, torch.tensor(labels)),
                                               batch_size=32, shuffle=True)
    model = programs.denoising_autoencoder(torch)()
    losses = programs.train_denoiser(torch, model, train_loader, lambda shape: torch.randn(shape), epochs=6)
    assert losses[-1] < 0.7 * losses[0]
    noisy = torch.clip(images[:4] + 0.3 * torch.randn_like(images[:4]), 0., 1.)
    output = model(noisy.view(4, -1)).view(4, 1, 28, 28).detach().numpy()
    assert output.shape == (4, 1, 28, 28) and isinstance(output, np.ndarray)
