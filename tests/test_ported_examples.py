"""Programs of pytorch/examples, ported by ``import deltaprop as torch``, run and learn.

The programs are in ported_examples.py, written once for either library; here they run on deltaprop
with its own random draws (``torch.manual_seed``) on small made-up data, and the tests check what the
scripts compute: the losses fall, the shapes, dtypes and files are the scripts' own, and what the
scripts save comes back. tests/reference/test_torch_ported_examples.py runs the same programs on
PyTorch from the same weights and compares.
"""


import numpy as np
import pytest

import deltaprop as torch  # the port
import ported_examples as programs

TensorDataset = torch.utils.data.TensorDataset


def _falls(losses, share=0.7):
    """The mean of the last third is below ``share`` times the mean of the first third."""
    third = max(1, len(losses) // 3)
    return np.mean(losses[-third:]) < share * np.mean(losses[:third])


def _digits(n, seed=0):
    """Made-up 28x28 'digits': each class a bright square at its own place, plus noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10  # each class in every stretch of 10 (APP_MATCHER draws pairs of one class)
    images = rng.normal(0, 0.3, (n, 1, 28, 28)).astype(np.float32)
    for i, label in enumerate(labels):
        row, col = divmod(int(label), 5)
        images[i, 0, 4 + 10 * row:12 + 10 * row, 2 + 5 * col:6 + 5 * col] += 2.0
    return images, labels


def test_mnist_trains_with_adadelta_and_steplr_and_saves_its_state_dict(tmp_path):
    torch.manual_seed(1)
    images, labels = _digits(96)
    train_set = TensorDataset(torch.tensor(images[:64]), torch.tensor(labels[:64]))
    test_set = TensorDataset(torch.tensor(images[64:]), torch.tensor(labels[64:]))
    model = programs.mnist_net(torch)
    history = programs.mnist_main(torch, model, train_set, test_set, save_path=tmp_path / "mnist_cnn.pt",
                                  epochs=3, batch_size=16, log_interval=1, save_model=True)
    assert history["lr"] == pytest.approx([1.0, 0.7, 0.49])
    assert len(history["train"]) == 12 and _falls(history["train"])
    (first_loss, _), (last_loss, correct) = history["test"][0], history["test"][-1]
    assert last_loss < first_loss and correct >= 16  # of 32; chance is about 3
    state = torch.load(tmp_path / "mnist_cnn.pt")
    assert list(state) == list(model.state_dict()) and state["fc1.weight"].shape == (128, 9216)


@pytest.mark.parametrize("rnn_type", ["LSTM", "GRU", "RNN_TANH", "Transformer"])
def test_word_language_model_learns_saves_whole_to_a_file_and_loads_back(rnn_type, tmp_path):
    torch.manual_seed(1111)
    ntokens = 12
    ids = torch.tensor(np.tile(np.arange(ntokens), 60), dtype=torch.int64)  # a cycle to learn
    corpus = (ids[:480], ids[480:600], ids[600:])
    if rnn_type == "Transformer":
        model = programs.transformer_model(torch, ntokens, 16, 2, 16, 1, 0.2)
        changes = dict(lr=5)
    else:
        model = programs.rnn_model(torch, rnn_type, ntokens, 16, 16, 2, 0.2, tie_weights=True)
        changes = {}
        assert model.decoder.weight is model.encoder.weight
    history = programs.word_language_model_main(torch, model, corpus, tmp_path / "model.pt", model=rnn_type,
                                                epochs=3, batch_size=4, bptt=10, **changes)
    assert len(history["train"]) == 3 * 12 and np.isfinite(history["train"]).all()
    assert history["valid"][-1] < np.log(ntokens)  # better than guessing
    assert history["test"] == pytest.approx(min(history["valid"]), rel=0.3)  # the best model came back
    assert history["lr"][0] == changes.get("lr", 20)


def test_batchify_and_get_batch_cut_the_corpus_as_the_script_does():
    data = programs.batchify(torch.arange(23), 4)
    assert data.shape == (5, 4) and data.is_contiguous() and data[:, 1].tolist() == [5, 6, 7, 8, 9]
    source, target = programs.get_batch(data, 3, bptt=35)
    assert source.tolist() == [[3, 8, 13, 18]] and target.tolist() == [4, 9, 14, 19]
    hidden = (torch.zeros(2, requires_grad=True) * 2, torch.ones(2, requires_grad=True) * 3)
    detached = programs.repackage_hidden(torch, hidden)
    assert all(h.grad_fn is None and not h.requires_grad for h in detached)


def test_time_sequence_prediction_fits_the_sine_waves_with_lbfgs():
    torch.manual_seed(0)
    np.random.seed(0)
    data = programs.sine_waves(T=20, L=60, N=8)
    seq = programs.sequence_model(torch)
    losses, test_losses, prediction = programs.time_sequence_main(torch, seq, data, steps=2, future=20, max_iter=8)
    assert prediction.shape == (3, 59 + 20) and prediction.dtype == np.float64
    assert next(seq.parameters()).dtype == np.float64
    assert losses[-1] < 0.5 * losses[0] and test_losses[-1] < test_losses[0]
    chunks = programs.time_sequence_chunks(torch, torch.from_numpy(data[3:, :-1]))
    assert len(chunks) == 59 and chunks[0].shape == (5, 1)


def test_super_resolution_upscales_by_pixel_shuffle_and_checkpoints_each_epoch(tmp_path):
    torch.manual_seed(123)
    rng = np.random.default_rng(0)
    high = np.kron(rng.random((12, 1, 4, 4)), np.ones((3, 3))).astype(np.float32)  # smooth 12x12 images
    low = high[:, :, 1::3, 1::3].copy()
    dataset = TensorDataset(torch.tensor(low), torch.tensor(high))
    model = programs.super_resolution_net(torch, upscale_factor=3)
    weight = model.conv2.weight.data.reshape(64, -1)
    np.testing.assert_allclose(weight @ weight.T, 2 * np.eye(64), atol=1e-4)  # orthogonal, times the gain sqrt(2)
    losses, psnrs = programs.super_resolution_main(torch, model, dataset, dataset, epochs=6, lr=0.003,
                                                   save_dir=tmp_path)
    assert model(torch.tensor(low[:2])).shape == (2, 1, 12, 12)
    assert losses[-1] < 0.5 * losses[0] and psnrs[-1] > psnrs[0]
    again = torch.load(tmp_path / "model_epoch_6.pth", model=programs.super_resolution_net(torch, 3))
    np.testing.assert_array_equal(again.conv4.weight.data, model.conv4.weight.data)


def test_fast_neural_style_transformer_net_keeps_the_image_shape_and_trains():
    torch.manual_seed(42)
    transformer = programs.transformer_net(torch)
    images = torch.tensor(np.random.default_rng(0).random((2, 3, 16, 16)).astype(np.float32) * 255)
    assert transformer(images).shape == (2, 3, 16, 16)
    losses = programs.fast_neural_style_steps(torch, transformer, images, steps=3, style_weight=1e3)
    assert losses[-1] < losses[0]


def test_fast_neural_style_utilities_are_the_scripts():
    y = torch.tensor(np.random.default_rng(1).random((2, 3, 4, 5)))
    gram = programs.gram_matrix(y)
    features = y.data.reshape(2, 3, 20)
    np.testing.assert_allclose(gram.data, features @ features.transpose(0, 2, 1) / 60, rtol=1e-12)
    batch = torch.full((1, 3, 2, 2), 255.0)
    normalized = programs.normalize_batch(batch)
    expected = (1 - np.array([0.485, 0.456, 0.406])) / [0.229, 0.224, 0.225]
    np.testing.assert_allclose(normalized.data[0, :, 0, 0], expected, rtol=1e-6)
    assert batch.data.max() == 1.0  # divided in place, as the script's batch.div_(255.0)


def test_siamese_network_trains_on_pairs_and_counts_its_matches():
    torch.manual_seed(1)
    images, labels = _digits(120, seed=3)
    images = (images[:, 0] * 40 + 60).clip(0, 255).astype(np.uint8)
    train_set = programs.app_matcher(torch, images[:80], labels[:80], seed=0)
    image_1, image_2, target = train_set[0]
    assert image_1.shape == (1, 28, 28) and image_1.dtype == np.float32 and target.item() == 1.0
    assert train_set[1][2].item() == 0.0
    with pytest.warns(FutureWarning, match="xavier_uniform"):  # the script's deprecated name, as in PyTorch
        model = programs.siamese_network(torch)
    assert np.all(model.fc[0].bias.data == np.float32(0.01)) and len(model.resnet) == 5
    test_set = programs.app_matcher(torch, images[80:], labels[80:], seed=1)
    losses, tests = programs.siamese_main(torch, model, train_set, test_set, epochs=2, batch_size=16)
    # (this small tower on 80 made-up pairs stays near ln 2 in PyTorch too; the reference test compares
    # the two step by step)
    assert len(losses) == 10 and np.all(np.abs(np.array(losses) - np.log(2)) < 0.05)
    assert all(isinstance(correct, int) and 0 <= correct <= 40 for _, correct in tests)


@pytest.mark.parametrize("network", ["gcn", "gat"])
def test_graph_networks_classify_the_made_up_cora(network, tmp_path):
    programs.write_cora(tmp_path / "cora")
    torch.manual_seed(42 if network == "gcn" else 13)
    if network == "gcn":
        features, labels, adj_mat = programs.load_cora_for_gcn(torch, path=tmp_path / "cora")
        model = programs.graph_conv_network(torch, features.shape[1], 16, labels.max().item() + 1, True, 0.5)
        lr, l2 = 0.01, 5e-4
    else:
        features, labels, adj_mat = programs.load_cora_for_gat(torch, path=tmp_path / "cora")
        model = programs.graph_attention_network(torch, features.shape[1], 16, 4, labels.max().item() + 1, False, 0.6)
        lr, l2 = 0.005, 5e-4
    assert features.shape == (40, 12) and adj_mat.shape == (40, 40) and labels.dtype == np.int64
    np.testing.assert_allclose(features.sum(dim=1).data, 1, rtol=1e-6)  # rows scaled to sum to 1
    idx = torch.randperm(len(labels))
    epochs = 200 if network == "gcn" else 150  # (the scripts' defaults: 200 and 300)
    history, (test_loss, test_accuracy) = programs.graph_main(torch, model, features, labels, adj_mat, idx, epochs,
                                                              lr, l2)
    train_losses = [train[0] for train, _ in history]
    assert train_losses[-1] < 0.7 * train_losses[0] and history[-1][0][1] > 0.8
    assert history[-1][1][1] >= 0.6 and test_accuracy >= 0.5  # of 8 nodes each; chance is a third


def test_gcns_renormalised_adjacency_matrix_is_symmetric_with_its_degrees(tmp_path):
    programs.write_cora(tmp_path / "cora", nodes=6, edges=8, seed=1)
    _, _, adj_mat = programs.load_cora_for_gcn(torch, path=tmp_path / "cora")
    _, _, with_loops = programs.load_cora_for_gat(torch, path=tmp_path / "cora")
    a = with_loops.data
    d = 1 / np.sqrt(a.sum(axis=1))
    np.testing.assert_allclose(adj_mat.data, d[:, None] * a * d[None, :], rtol=1e-6)


def test_mnist_forward_forward_learns_layer_by_layer_without_backpropagation_between_them():
    torch.manual_seed(1234)
    images, labels = _digits(240, seed=5)
    x, y = torch.tensor(images[:200].reshape(200, -1)), torch.tensor(labels[:200])
    x_te, y_te = torch.tensor(images[200:].reshape(40, -1)), torch.tensor(labels[200:])
    net = programs.forward_forward_net(torch, [784, 100, 100], num_epochs=60)
    overlaid = programs.overlay_y_on_x(x, y)
    top = x.data.max()
    assert np.all(overlaid.data[np.arange(200), labels[:200]] == top) and overlaid.data[:, :10].sum() == 200 * top
    train_error, test_error = programs.forward_forward_main(torch, net, x, y, x_te, y_te, torch.randperm(x.size(0)))
    assert train_error < 0.2 and test_error < 0.3  # chance: 0.9
    assert all(layer.weight.grad is not None for layer in net.layers)
