"""The ported sequence tutorials (tests/ported_recurrent.py, tests/ported_transformers.py) run with
deltaprop and with PyTorch from the same initial weights on the same data, dropout off: the losses
agree step by step to float32 tolerance, and so do the weights they end with."""

import numpy as np
import pytest

torch_lib = pytest.importorskip("torch")

import deltaprop  # noqa: E402
import ported_recurrent as rec  # noqa: E402
import ported_transformers as tfm  # noqa: E402
from torch_twins import load_into  # noqa: E402

DP, PT = deltaprop, torch_lib
TOLERANCE = dict(rtol=2e-4, atol=2e-5)  # float32 over tens of steps


def _twin_models(build):
    """``build(lib)`` in both frameworks, PyTorch's weights (drawn from seed 0) loaded into deltaprop's."""
    torch_lib.manual_seed(0)
    theirs = build(PT)
    ours = build(DP)
    load_into(ours, theirs)
    return ours, theirs


def _weights_agree(ours, theirs, unmoored=()):
    """The parameters agree, but for those named in ``unmoored``: whose true gradient is 0 and whose
    rounding noise Adam normalises into steps of full size, different in each framework."""
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        if name in unmoored:
            continue
        np.testing.assert_allclose(p.data, q.detach().numpy(), **TOLERANCE, err_msg=name)


def test_the_hand_written_rnn_with_sgd_by_hand_follows_pytorch():
    ours, theirs = _twin_models(lambda lib: rec.char_rnn(lib)(rec.N_LETTERS, 24, len(rec.CATEGORIES)))
    runs = []
    for lib, rnn in ((DP, ours), (PT, theirs)):
        runs.append([rec.sgd_by_hand(lib, rnn, lib.tensor([category], dtype=lib.long),
                                     rec.line_to_tensor(lib, line), learning_rate=0.05)[1]
                     for category, line in rec.training_examples(40)])
    np.testing.assert_allclose(*runs, **TOLERANCE)
    assert runs[0][-1] != runs[0][0]
    _weights_agree(ours, theirs)
    examples = rec.training_examples(30, seed=1)
    np.testing.assert_allclose(rec.confusion_matrix(DP, ours, examples).data,
                               rec.confusion_matrix(PT, theirs, examples).numpy(), **TOLERANCE)


def test_the_nn_rnn_version_follows_pytorch():
    ours, theirs = _twin_models(lambda lib: rec.char_rnn_module(lib)(rec.N_LETTERS, 24, len(rec.CATEGORIES)))
    examples = rec.training_examples(8 * 6)
    runs = []
    for lib, rnn in ((DP, ours), (PT, theirs)):
        torch, criterion = lib, lib.nn.NLLLoss()
        optimizer = torch.optim.SGD(rnn.parameters(), lr=0.15)
        losses = []
        for start in range(0, len(examples), 8):
            batch_loss = 0
            for category, line in examples[start:start + 8]:
                batch_loss += criterion(rnn(rec.line_to_tensor(torch, line)), torch.tensor([category], dtype=torch.long))
            batch_loss.backward()
            lib.nn.utils.clip_grad_norm_(rnn.parameters(), 3)
            optimizer.step()
            optimizer.zero_grad()
            losses.append(batch_loss.item() / 8)
        runs.append(losses)
    np.testing.assert_allclose(*runs, **TOLERANCE)
    _weights_agree(ours, theirs)


def test_the_name_generator_follows_pytorch():
    ours, theirs = _twin_models(lambda lib: rec.name_generator(lib, dropout=0.0)(rec.GENERATOR_N_LETTERS, 32,
                                                                                  rec.GENERATOR_N_LETTERS))
    names = [(category, name) for category in rec.CATEGORIES for name in rec.NAMES[category][:5]]
    runs = [[rec.train_generator(lib, rnn, category, name, learning_rate=0.01)[1] for category, name in names]
            for lib, rnn in ((DP, ours), (PT, theirs))]
    np.testing.assert_allclose(*runs, **TOLERANCE)
    _weights_agree(ours, theirs)
    ours.eval()
    theirs.eval()
    assert [rec.sample(DP, ours, c, "A") for c in rec.CATEGORIES] == [rec.sample(PT, theirs, c, "A") for c in rec.CATEGORIES]


@pytest.mark.parametrize("attention", [True, False], ids=["attention", "plain decoder"])
def test_the_sequence_to_sequence_network_follows_pytorch(attention):
    _, _, source, target = rec.translation_ids()

    def build(lib):
        models = rec.seq2seq(lib, dropout_p=0.0)
        decoder = (models.AttnDecoderRNN if attention else models.DecoderRNN)(24, len(target) + 2)
        container = lib.nn.ModuleDict({"encoder": models.EncoderRNN(len(source) + 2, 24), "decoder": decoder})
        return container

    ours, theirs = _twin_models(build)
    runs, translations = [], []
    for lib, pair in ((DP, ours), (PT, theirs)):
        loader = rec.translation_loader(lib, batch_size=3, sampler=False)
        optimizers = [lib.optim.Adam(pair[part].parameters(), lr=0.01) for part in ("encoder", "decoder")]
        runs.append([rec.train_translation_epoch(lib, loader, pair["encoder"], pair["decoder"], *optimizers)
                     for _ in range(6)])
        translations.append(rec.translate(lib, pair["encoder"], pair["decoder"], "il est grand"))
    np.testing.assert_allclose(*runs, **TOLERANCE)
    assert translations[0][0] == translations[1][0]
    if attention:
        np.testing.assert_allclose(translations[0][1].data, translations[1][1].numpy(), **TOLERANCE)
    # (Va's bias shifts every score alike, which the softmax undoes: its gradient is 0 but for rounding)
    _weights_agree(ours, theirs, unmoored={"decoder.attention.Va.bias"})


def test_the_transformer_language_model_follows_pytorch():
    ntokens = 20
    ours, theirs = _twin_models(lambda lib: tfm.transformer_lm(lib)(ntokens, 16, 2, 32, 2, dropout=0.0))
    runs, validations = [], []
    for lib, model in ((DP, ours), (PT, theirs)):
        torch = lib
        train_data = tfm.batchify(tfm.pattern_corpus(torch, 600), 6)
        val_data = tfm.batchify(tfm.pattern_corpus(torch, 200), 4)
        optimizer = torch.optim.SGD(model.parameters(), lr=5.0)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.95)
        losses = []
        for epoch in range(2):
            losses += tfm.train_lm_epoch(lib, model, train_data, optimizer, ntokens, bptt=20)
            scheduler.step()
        runs.append(losses)
        validations.append(tfm.evaluate_lm(lib, model, val_data, ntokens, bptt=20))
    np.testing.assert_allclose(*runs, **TOLERANCE)
    np.testing.assert_allclose(validations[0], validations[1], **TOLERANCE)
    assert max(runs[0]) - min(runs[0]) > 0.01  # the model moved


@pytest.mark.parametrize("sdpa", [False, True], ids=["masked heads", "scaled_dot_product_attention"])
def test_the_tiny_gpt_follows_pytorch(sdpa):
    vocabulary = 12
    ours, theirs = _twin_models(lambda lib: tfm.tiny_gpt(lib, vocabulary, n_embd=16, n_head=2, block_size=8, sdpa=sdpa)())
    data = np.random.default_rng(0).integers(0, vocabulary, size=200)
    starts = np.random.default_rng(1).integers(0, len(data) - 8, size=(10, 4))
    runs = []
    for lib, model in ((DP, ours), (PT, theirs)):
        torch = lib
        tokens = torch.tensor(data, dtype=torch.long)
        batches = [tfm.char_batches(torch, tokens, 8, 4, ix.tolist()) for ix in starts]
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
        losses = [tfm.estimate_loss(lib, model, batches[:2]).item()]
        for xb, yb in batches:
            logits, loss = model(xb, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        runs.append(losses)
    np.testing.assert_allclose(*runs, **TOLERANCE)
    _weights_agree(ours, theirs)


@pytest.mark.parametrize("flash", [True, False], ids=["sdpa", "masked"])
@pytest.mark.parametrize("bias", [True, False], ids=["biases", "no biases"])
def test_nanogpt_follows_pytorch(flash, bias):
    config = dict(block_size=8, vocab_size=16, n_layer=2, n_head=2, n_embd=16, dropout=0.0, bias=bias, flash=flash)
    ours, theirs = _twin_models(lambda lib: tfm.nanogpt(lib)(tfm.gpt_config(**config)))
    assert ours.get_num_params() == theirs.get_num_params()
    data = np.random.default_rng(0).integers(0, 16, size=200)
    starts = np.random.default_rng(1).integers(0, len(data) - 8, size=(12, 3))
    runs = []
    for lib, model in ((DP, ours), (PT, theirs)):
        torch = lib
        tokens = torch.tensor(data, dtype=torch.long)
        batches = [tfm.char_batches(torch, tokens, 8, 3, ix.tolist()) for ix in starts]
        losses, optimizer = tfm.train_gpt(lib, model, batches, iterations=6, learning_rate=3e-3)
        runs.append(losses)
        assert [len(group["params"]) for group in optimizer.param_groups] == [
            len(group["params"]) for group in runs[0] and optimizer.param_groups]
    np.testing.assert_allclose(*runs, **TOLERANCE)
    _weights_agree(ours, theirs)


@pytest.mark.parametrize("bidirectional", [False, True], ids=["one direction", "bidirectional"])
def test_the_lstm_sentiment_classifier_follows_pytorch(bidirectional):
    ours, theirs = _twin_models(lambda lib: rec.sentiment_lstm(lib)(len(rec.WORDS), 8, 12, bidirectional=bidirectional))
    samples = rec.reviews(48)
    runs = []
    for lib, model in ((DP, ours), (PT, theirs)):
        loader = lib.utils.data.DataLoader(rec.review_dataset(lib, samples), batch_size=16,
                                           collate_fn=rec.collate_reviews(lib))
        optimizer = lib.optim.Adam(model.parameters(), lr=0.01)
        runs.append([rec.train_sentiment_epoch(lib, model, loader, optimizer) for _ in range(3)])
    np.testing.assert_allclose(*runs, **TOLERANCE)
    _weights_agree(ours, theirs)
