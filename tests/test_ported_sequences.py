"""PyTorch's sequence tutorials, ported by their imports (tests/ported_recurrent.py and
tests/ported_transformers.py), run with deltaprop: each learns what it teaches, in a few seconds.
tests/reference/test_torch_ported_sequences.py runs them beside PyTorch on the same weights."""

import copy
import math
import os
import tempfile

import numpy as np
import pytest

import deltaprop as torch
import ported_recurrent as rec
import ported_transformers as tfm
from deltaprop import nn


def _mean(values):
    return sum(values) / len(values)


# -- classifying names --------------------------------------------------------------------------

def test_the_one_hot_helpers_give_the_tutorials_shapes():
    letter = rec.line_to_tensor(torch, "J")[0]
    assert tuple(letter.shape) == (1, rec.N_LETTERS) and letter.sum().item() == 1.0
    assert letter[0][rec.ALL_LETTERS.find("J")].item() == 1.0
    assert rec.line_to_tensor(torch, "Jones").size() == (5, 1, rec.N_LETTERS)


def test_the_hand_written_rnn_learns_to_classify_names_with_sgd_by_hand():
    torch.manual_seed(0)
    rnn = rec.char_rnn(torch)(rec.N_LETTERS, 32, len(rec.CATEGORIES))
    output, next_hidden = rnn(rec.line_to_tensor(torch, "Albert")[0], torch.zeros(1, 32))
    assert tuple(output.shape) == (1, 3) and tuple(next_hidden.shape) == (1, 32)
    assert math.isclose(output.exp().sum().item(), 1.0, rel_tol=1e-5)  # LogSoftmax(dim=1)
    guess, guess_i = rec.category_from_output(output)
    assert rec.CATEGORIES[guess_i] == guess and isinstance(guess_i, int)
    losses = []
    for category_i, line in rec.training_examples(900):
        _, loss = rec.sgd_by_hand(torch, rnn, torch.tensor([category_i], dtype=torch.long),
                                  rec.line_to_tensor(torch, line), learning_rate=0.02)
        losses.append(loss)
    assert _mean(losses[-150:]) < 0.6 * _mean(losses[:150])
    confusion = rec.confusion_matrix(torch, rnn, rec.training_examples(60, seed=1))
    np.testing.assert_allclose(confusion.sum(1).data, 1.0, rtol=1e-6)
    assert torch.diagonal(confusion).mean().item() > 0.6  # mostly right


def test_the_nn_rnn_version_learns_with_sgd_and_clipping():
    torch.manual_seed(0)
    rnn = rec.char_rnn_module(torch)(rec.N_LETTERS, 32, len(rec.CATEGORIES))
    optimizer = torch.optim.SGD(rnn.parameters(), lr=0.15)
    criterion = nn.NLLLoss()
    examples = rec.training_examples(8 * 40)
    losses = []
    for start in range(0, len(examples), 8):
        batch_loss = 0
        for category_i, line in examples[start:start + 8]:
            output = rnn(rec.line_to_tensor(torch, line))
            batch_loss += criterion(output, torch.tensor([category_i], dtype=torch.long))
        batch_loss.backward()
        nn.utils.clip_grad_norm_(rnn.parameters(), 3)
        optimizer.step()
        optimizer.zero_grad()
        losses.append(batch_loss.item() / 8)
    assert _mean(losses[-5:]) < 0.5 * _mean(losses[:5])


# -- generating names -------------------------------------------------------------------------------

def test_the_name_generator_learns_and_samples_by_topk_and_by_multinomial():
    torch.manual_seed(0)
    rnn = rec.name_generator(torch)(rec.GENERATOR_N_LETTERS, 64, rec.GENERATOR_N_LETTERS)
    target = rec.target_tensor(torch, "Rossi")
    assert target.type() == "deltaprop.LongTensor" and target.tolist()[-1] == rec.GENERATOR_N_LETTERS - 1
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(400):
        category = rec.CATEGORIES[rng.integers(3)]
        line = rec.NAMES[category][rng.integers(8)]
        losses.append(rec.train_generator(torch, rnn, category, line, learning_rate=0.005)[1])
    assert _mean(losses[-50:]) < 0.7 * _mean(losses[:50])
    rnn.eval()
    for category in rec.CATEGORIES:
        name = rec.sample(torch, rnn, category, "S")
        assert name.startswith("S") and len(name) <= 21 and set(name) <= set(rec.GENERATOR_LETTERS)
    torch.manual_seed(1)
    drawn = rec.sample(torch, rnn, "Italian", "R", multinomial=True)
    torch.manual_seed(1)
    assert rec.sample(torch, rnn, "Italian", "R", multinomial=True) == drawn  # seeded draws repeat


# -- translation ----------------------------------------------------------------------------------

@pytest.mark.parametrize("attention", [True, False], ids=["attention", "plain decoder"])
def test_the_sequence_to_sequence_network_learns_to_translate(attention):
    torch.manual_seed(0)
    models = rec.seq2seq(torch)
    _, _, source, target = rec.translation_ids()
    encoder = models.EncoderRNN(len(source) + 2, 32).to(models.device)
    decoder_class = models.AttnDecoderRNN if attention else models.DecoderRNN
    decoder = decoder_class(32, len(target) + 2).to(models.device)
    loader = rec.translation_loader(torch, batch_size=4, generator=torch.Generator().manual_seed(0))
    encoder_optimizer = torch.optim.Adam(encoder.parameters(), lr=0.01)
    decoder_optimizer = torch.optim.Adam(decoder.parameters(), lr=0.01)
    losses = [rec.train_translation_epoch(torch, loader, encoder, decoder, encoder_optimizer, decoder_optimizer)
              for _ in range(40)]
    assert losses[-1] < 0.1 * losses[0]
    encoder.eval()
    decoder.eval()
    for french, english in rec.PAIRS[:4]:
        words, attentions = rec.translate(torch, encoder, decoder, french)
        assert words == english.split(" ") + ["<EOS>"]
        if attention:
            assert tuple(attentions.shape) == (1, rec.MAX_LENGTH, len(french.split(" ")) + 1)
            np.testing.assert_allclose(attentions.sum(-1).data, 1.0, rtol=1e-5)
        else:
            assert attentions is None


# -- language modelling with nn.Transformer ---------------------------------------------------------

def test_the_transformer_language_model_learns_keeps_its_best_and_saves_it():
    torch.manual_seed(0)
    ntokens, bptt = 20, 35
    train_data = tfm.batchify(tfm.pattern_corpus(torch, 1500), 10)
    val_data = tfm.batchify(tfm.pattern_corpus(torch, 300), 5)
    assert tuple(train_data.shape) == (150, 10) and tuple(val_data.shape) == (60, 5)
    model = tfm.transformer_lm(torch)(ntokens, 32, 2, 32, 2, dropout=0.2)
    optimizer = torch.optim.SGD(model.parameters(), lr=5.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.95)
    best_val_loss, val_losses = float("inf"), []
    with tempfile.TemporaryDirectory() as tempdir:
        best_model_params_path = os.path.join(tempdir, "best_model_params.pt")
        for epoch in range(1, 4):
            tfm.train_lm_epoch(torch, model, train_data, optimizer, ntokens, bptt)
            val_loss = tfm.evaluate_lm(torch, model, val_data, ntokens, bptt)
            val_losses.append(val_loss)
            assert math.isfinite(math.exp(val_loss))  # the perplexity
            if val_loss < best_val_loss:
                best_val_loss = val_loss
                best_model = copy.deepcopy(model)
                torch.save(model.state_dict(), best_model_params_path)
            scheduler.step()
        assert scheduler.get_last_lr()[0] == pytest.approx(5.0 * 0.95**3)
        model.load_state_dict(torch.load(best_model_params_path))
    assert val_losses[-1] < 0.8 * math.log(ntokens)  # well below guessing
    assert tfm.evaluate_lm(torch, best_model, val_data, ntokens) == pytest.approx(best_val_loss, rel=1e-6)
    assert tfm.evaluate_lm(torch, model, val_data, ntokens) == pytest.approx(best_val_loss, rel=1e-6)


# -- "Let's build GPT" ------------------------------------------------------------------------------

def test_the_tiny_gpt_learns_and_generates_and_its_sdpa_variant_computes_the_same():
    text = "hello world, this is a tiny corpus of text for a tiny language model. " * 20
    chars = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    torch.manual_seed(1337)
    model = tfm.tiny_gpt(torch, len(chars))()
    twin = tfm.tiny_gpt(torch, len(chars), sdpa=True)()
    twin.load_state_dict(model.state_dict())
    heads = 2 * (3 * 32 * 8 * 4 + 32 * 32 + 32) + 2 * (32 * 128 + 128 + 128 * 32 + 32) + 2 * 2 * 2 * 32
    assert sum(p.numel() for p in model.parameters()) == (len(chars) + 16) * 32 + heads + 2 * 32 + 33 * len(chars)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    fixed = [tfm.char_batches(torch, data, 16, 8, tfm.random_starts(torch, data, 16, 8)) for _ in range(3)]
    before = tfm.estimate_loss(torch, model, fixed).item()
    assert model.training
    xb, yb = fixed[0]
    np.testing.assert_allclose(model(xb, yb)[0].data, twin(xb, yb)[0].data, rtol=1e-5, atol=1e-6)
    for _ in range(60):
        xb, yb = tfm.char_batches(torch, data, 16, 8, tfm.random_starts(torch, data, 16, 8))
        logits, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    assert tfm.estimate_loss(torch, model, fixed).item() < 0.75 * before
    out = model.generate(torch.zeros((1, 1), dtype=torch.long), max_new_tokens=20)
    assert tuple(out.shape) == (1, 21) and all(0 <= i < len(chars) for i in out[0].tolist())


# -- nanoGPT ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("flash", [True, False], ids=["sdpa", "masked"])
def test_nanogpt_trains_checkpoints_crops_and_generates(flash, tmp_path):
    torch.manual_seed(1337)
    config = tfm.gpt_config(flash=flash, bias=False)
    model = tfm.nanogpt(torch)(config)
    assert model.lm_head.weight is model.transformer.wte.weight  # tied: counted once
    assert model.get_num_params() == sum(p.numel() for p in model.parameters()) - 16 * 16
    compiled = torch.compile(model)
    data = tfm.pattern_corpus(torch, 400, vocabulary=30, period=23)
    batches = [tfm.char_batches(torch, data, 16, 4, tfm.random_starts(torch, data, 16, 4)) for _ in range(40)]
    losses, optimizer = tfm.train_gpt(torch, compiled, batches, iterations=20, learning_rate=1e-2)
    # decayed: the tied embedding, the positions, four matrices a block; not: ln_1, ln_2 a block and ln_f (no biases)
    assert [len(group["params"]) for group in optimizer.param_groups] == [2 + 4 * 2, 2 * 2 + 1]
    assert _mean(losses[-3:]) < 0.7 * _mean(losses[:3])
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "model_args": vars(config),
                  "iter_num": 20, "best_val_loss": torch.tensor(losses[-1])}
    torch.save(checkpoint, str(tmp_path / "ckpt.pt"))
    checkpoint = torch.load(str(tmp_path / "ckpt.pt"), map_location="cpu")
    again = tfm.nanogpt(torch)(tfm.gpt_config(**checkpoint["model_args"]))
    state_dict = checkpoint["model"]
    for k, v in list(state_dict.items()):  # (nanoGPT strips torch.compile's prefix; deltaprop's keys have none)
        if k.startswith("_orig_mod."):
            state_dict[k[len("_orig_mod."):]] = state_dict.pop(k)
    again.load_state_dict(state_dict)
    resumed = again.configure_optimizers(0.1, 1e-2, (0.9, 0.95), "cpu")
    resumed.load_state_dict(checkpoint["optimizer"])  # train.py's resume: the run goes on as if never stopped
    for net, opt in ((model, optimizer), (again, resumed)):
        x, y = batches[-1]
        net(x, y)[1].backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    np.testing.assert_allclose(again.lm_head.weight.data, model.lm_head.weight.data, rtol=1e-6, atol=1e-7)
    assert checkpoint["best_val_loss"] == pytest.approx(losses[-1])
    again.eval()
    x, y = batches[0]
    np.testing.assert_allclose(again(x, y)[1].item(), model.eval()(x, y)[1].item(), rtol=1e-6)
    again.crop_block_size(8)
    assert tuple(again.transformer.wpe.weight.shape) == (8, 16)
    out = again.generate(torch.tensor([1], dtype=torch.long)[None, ...], 12, temperature=0.8, top_k=5)
    assert tuple(out.shape) == (1, 13)


# -- an LSTM sentiment classifier ----------------------------------------------------------------

@pytest.mark.parametrize("bidirectional", [False, True], ids=["one direction", "bidirectional"])
def test_the_lstm_sentiment_classifier_learns_from_packed_batches(bidirectional):
    torch.manual_seed(0)
    collate_fn = rec.collate_reviews(torch)
    train_loader = torch.utils.data.DataLoader(rec.review_dataset(torch, rec.reviews(160)), batch_size=16, shuffle=True,
                                       collate_fn=collate_fn)
    text, lengths, labels = next(iter(train_loader))
    assert text.shape == (16, lengths.max().item()) and labels.dtype == np.float32
    model = rec.sentiment_lstm(torch)(len(rec.WORDS), 16, 24, bidirectional=bidirectional)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    history = [rec.train_sentiment_epoch(torch, model, train_loader, optimizer) for _ in range(5)]
    assert history[-1][0] < 0.3 * history[0][0] and history[-1][1] > 0.9
    model.eval()
    test_loader = torch.utils.data.DataLoader(rec.review_dataset(torch, rec.reviews(64, seed=1)), batch_size=32,
                                      collate_fn=collate_fn)
    correct = total = 0
    with torch.no_grad():
        for text, lengths, labels in test_loader:
            preds = torch.sigmoid(model(text, lengths)) > 0.5
            correct += (preds == labels.bool()).sum().item()
            total += labels.size(0)
    assert correct / total > 0.9
    # padding does not change a review's prediction: the packed LSTM stops at its length
    words = [rec.WORDS[w] for w in "the movie was great".split()]
    alone = model(torch.LongTensor(words).unsqueeze(0), torch.LongTensor([len(words)]))
    padded = model(torch.LongTensor([words + [0, 0, 0], [1] * 7]), torch.LongTensor([len(words), 7]))
    np.testing.assert_allclose(padded[0].item(), alone.item(), rtol=1e-5)
