"""The pytorch/examples programs of ported_examples.py run on PyTorch and on deltaprop from the same
weights and data (PyTorch's initial weights loaded into deltaprop's model, the data made once with
NumPy, loaders without shuffling, dropout set to 0 where a script has it): the losses, accuracies,
learning rates and predictions agree to float32 tolerance (float64 for time_sequence_prediction), step
by step.
"""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these ports are compared with")

import deltaprop as dp  # noqa: E402

import ported_examples as programs  # noqa: E402
from test_ported_examples import _digits  # noqa: E402
from torch_twins import load_into  # noqa: E402

LIBRARIES = (dp, torch)


def _both(make, *args, **kwargs):
    """``make(dp, ...)`` and ``make(torch, ...)``, PyTorch's weights loaded into deltaprop's, every
    dropout off."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # (the siamese network's nn.init.xavier_uniform)
        ours, theirs = make(dp, *args, **kwargs), make(torch, *args, **kwargs)
    load_into(ours, theirs)
    for model in (ours, theirs):
        for module in model.modules():
            if type(module).__name__ == "Dropout":
                module.p = 0.0
            if type(module).__name__ == "MultiheadAttention":
                module.dropout = 0.0
    return ours, theirs


def _datasets(lib, *arrays):
    return lib.utils.data.TensorDataset(*(lib.tensor(array) for array in arrays))


def test_mnist_is_pytorchs(tmp_path):
    images, labels = _digits(48)
    ours, theirs = _both(programs.mnist_net)
    runs = [programs.mnist_main(lib, model, _datasets(lib, images[:32], labels[:32]),
                                _datasets(lib, images[32:], labels[32:]), save_path=tmp_path / f"{lib.__name__}.pt",
                                epochs=2, batch_size=16, log_interval=1, save_model=True)
            for lib, model in ((dp, ours), (torch, theirs))]
    np.testing.assert_allclose(runs[0]["train"], runs[1]["train"], rtol=1e-4)
    np.testing.assert_allclose([loss for loss, _ in runs[0]["test"]], [loss for loss, _ in runs[1]["test"]], rtol=1e-4)
    assert [correct for _, correct in runs[0]["test"]] == [correct for _, correct in runs[1]["test"]]
    np.testing.assert_allclose(runs[0]["lr"], runs[1]["lr"], rtol=1e-12)
    saved = torch.load(tmp_path / "torch.pt")
    ours_saved = dp.load(tmp_path / "deltaprop.pt")
    np.testing.assert_allclose(ours_saved["fc2.weight"], saved["fc2.weight"].numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("rnn_type", ["LSTM", "GRU", "RNN_TANH", "Transformer"])
def test_word_language_model_is_pytorchs(rnn_type, tmp_path):
    ntokens = 12
    ids = np.random.default_rng(0).integers(0, ntokens, 400)
    if rnn_type == "Transformer":
        ours, theirs = _both(programs.transformer_model, ntokens, 16, 2, 16, 1, 0.0)
        changes = dict(lr=5)
    else:
        ours, theirs = _both(programs.rnn_model, rnn_type, ntokens, 16, 16, 2, 0.0, tie_weights=True)
        changes = {}
    runs = []
    for lib, model in ((dp, ours), (torch, theirs)):
        corpus = lib.tensor(ids, dtype=lib.int64)
        runs.append(programs.word_language_model_main(lib, model, (corpus[:240], corpus[240:320], corpus[320:]),
                                                      tmp_path / f"{lib.__name__}.pt", model=rnn_type, epochs=2,
                                                      batch_size=4, bptt=10, **changes))
    for key in ("train", "valid", "lr"):
        np.testing.assert_allclose(runs[0][key], runs[1][key], rtol=2e-4)
    np.testing.assert_allclose(runs[0]["test"], runs[1]["test"], rtol=2e-4)


def test_time_sequence_prediction_is_pytorchs():
    data = programs.sine_waves(T=20, L=40, N=6)
    ours, theirs = _both(programs.sequence_model)
    runs = [programs.time_sequence_main(lib, model, data, steps=2, future=10, max_iter=5)
            for lib, model in ((dp, ours), (torch, theirs))]
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-9)  # float64 throughout: model.double()
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-8)
    np.testing.assert_allclose(runs[0][2], runs[1][2], rtol=1e-8, atol=1e-10)


def test_super_resolution_is_pytorchs():
    rng = np.random.default_rng(0)
    high = np.kron(rng.random((6, 1, 3, 3)), np.ones((3, 3))).astype(np.float32)
    low = high[:, :, 1::3, 1::3].copy()
    ours, theirs = _both(programs.super_resolution_net, 3)
    runs = [programs.super_resolution_main(lib, model, _datasets(lib, low, high), _datasets(lib, low, high), epochs=3,
                                           lr=0.003)
            for lib, model in ((dp, ours), (torch, theirs))]
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-4)
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-5)


def test_fast_neural_style_is_pytorchs():
    images = np.random.default_rng(0).random((2, 3, 12, 12)).astype(np.float32) * 255
    ours, theirs = _both(programs.transformer_net)
    runs = [programs.fast_neural_style_steps(lib, model, lib.tensor(images), steps=2, style_weight=1e3)
            for lib, model in ((dp, ours), (torch, theirs))]
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-4)
    y = np.random.default_rng(1).random((2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(programs.gram_matrix(dp.tensor(y)).data, programs.gram_matrix(torch.tensor(y)).numpy(),
                               rtol=1e-6)
    np.testing.assert_allclose(programs.normalize_batch(dp.tensor(y * 255)).data,
                               programs.normalize_batch(torch.tensor(y * 255)).numpy(), rtol=1e-5, atol=1e-6)


def test_siamese_network_is_pytorchs():
    images, labels = _digits(60, seed=3)
    images = (images[:, 0] * 40 + 60).clip(0, 255).astype(np.uint8)
    ours, theirs = _both(programs.siamese_network)
    runs = []
    for lib, model in ((dp, ours), (torch, theirs)):
        train_set = programs.app_matcher(lib, images[:40], labels[:40], seed=0)
        test_set = programs.app_matcher(lib, images[40:], labels[40:], seed=1)
        runs.append(programs.siamese_main(lib, model, train_set, test_set, epochs=2, batch_size=16))
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-5)
    np.testing.assert_allclose([loss for loss, _ in runs[0][1]], [loss for loss, _ in runs[1][1]], rtol=1e-5)
    assert [correct for _, correct in runs[0][1]] == [correct for _, correct in runs[1][1]]


@pytest.mark.parametrize("network", ["gcn", "gat"])
def test_graph_networks_are_pytorchs(network, tmp_path):
    programs.write_cora(tmp_path / "cora")
    idx = np.random.default_rng(0).permutation(40)
    runs = []
    if network == "gcn":
        ours, theirs = _both(programs.graph_conv_network, 12, 16, 3, True, 0.0)
    else:
        ours, theirs = _both(programs.graph_attention_network, 12, 8, 2, 3, False, 0.0)
    for lib, model in ((dp, ours), (torch, theirs)):
        load = programs.load_cora_for_gcn if network == "gcn" else programs.load_cora_for_gat
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (PyTorch's note that its sparse invariant checks are off)
            features, labels, adj_mat = load(lib, path=tmp_path / "cora")
        runs.append(programs.graph_main(lib, model, features, labels, adj_mat, lib.tensor(idx), 20, 0.01, 5e-4))
    np.testing.assert_allclose(np.array(runs[0][0]), np.array(runs[1][0]), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-4, atol=1e-6)


def test_mnist_forward_forward_is_pytorchs():
    images, labels = _digits(60, seed=5)
    rnd = np.random.default_rng(0).permutation(40)
    torch.manual_seed(0)
    ours, theirs = (programs.forward_forward_net(lib, [784, 20, 20], num_epochs=15) for lib in LIBRARIES)
    for mine, reference in zip(ours.layers, theirs.layers):
        load_into(mine, reference)
    errors = []
    for lib, net in ((dp, ours), (torch, theirs)):
        x, y = lib.tensor(images[:40].reshape(40, -1)), lib.tensor(labels[:40])
        x_te, y_te = lib.tensor(images[40:].reshape(20, -1)), lib.tensor(labels[40:])
        errors.append(programs.forward_forward_main(lib, net, x, y, x_te, y_te, lib.tensor(rnd)))
    np.testing.assert_allclose(errors[0], errors[1], atol=1e-6)
    for mine, reference in zip(ours.layers, theirs.layers):
        np.testing.assert_allclose(mine.weight.data, reference.weight.detach().numpy(), rtol=1e-3, atol=1e-5)
