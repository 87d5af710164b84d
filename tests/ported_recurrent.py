"""Ports of PyTorch's recurrent-network tutorials, written once for either library: each function
takes the library as its first argument, named ``torch`` as in the tutorial (``nn`` is ``torch.nn``,
``F`` ``torch.nn.functional``), so its body is the tutorial's code and the port is ``import deltaprop
as torch``. The tests run them with deltaprop (tests/test_ported_sequences.py) and beside PyTorch on
the same weights (tests/reference/test_torch_ported_sequences.py).

* "NLP From Scratch: Classifying Names with a Character-Level RNN": ``char_rnn``, ``char_rnn_module``,
  the one-hot helpers and the manual SGD step (``sgd_by_hand``);
* "NLP From Scratch: Generating Names with a Character-Level RNN": ``name_generator``, ``sample``;
* "Translation with a Sequence to Sequence Network and Attention": ``seq2seq`` (EncoderRNN,
  DecoderRNN, BahdanauAttention, AttnDecoderRNN) and ``translation_loader``;
* an LSTM sentiment classifier over padded and packed batches: ``sentiment_lstm``, ``collate_reviews``.

Data are small and synthetic (nothing is downloaded). The tutorials' one change for deltaprop is
the manual step: ``p.data.add_(p.grad.data, alpha=-lr)`` is written, as docs/porting.md says,
``with torch.no_grad(): p.add_(p.grad, alpha=-lr)``, which PyTorch runs too.
"""

import string
import types

import numpy as np

ALL_LETTERS = string.ascii_letters + " .,;'"
N_LETTERS = len(ALL_LETTERS)
NAMES = {
    "English": ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson"],
    "Italian": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"],
    "Japanese": ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura"],
}
CATEGORIES = list(NAMES)


# -- classifying names ----------------------------------------------------------------------------

def line_to_tensor(torch, line, n_letters=N_LETTERS):
    """The tutorial's ``lineToTensor``: a (len(line), 1, n_letters) one-hot tensor."""
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][ALL_LETTERS.find(letter)] = 1
    return tensor


def char_rnn(torch):
    """The tutorial's hand-written RNN: ``torch.cat((input, hidden), 1)``, ``initHidden``."""
    nn = torch.nn

    class RNN(nn.Module):
        def __init__(self, input_size, hidden_size, output_size):
            super(RNN, self).__init__()
            self.hidden_size = hidden_size
            self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
            self.h2o = nn.Linear(hidden_size, output_size)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, input, hidden):
            combined = torch.cat((input, hidden), 1)
            hidden = self.i2h(combined)
            output = self.h2o(hidden)
            output = self.softmax(output)
            return output, hidden

        def initHidden(self):
            return torch.zeros(1, self.hidden_size)

    return RNN


def char_rnn_module(torch):
    """The tutorial's newer version: ``nn.RNN``, its last hidden state into a linear layer."""
    nn = torch.nn

    class CharRNN(nn.Module):
        def __init__(self, input_size, hidden_size, output_size):
            super(CharRNN, self).__init__()
            self.rnn = nn.RNN(input_size, hidden_size)
            self.h2o = nn.Linear(hidden_size, output_size)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, line_tensor):
            rnn_out, hidden = self.rnn(line_tensor)
            output = self.h2o(hidden[0])
            output = self.softmax(output)
            return output

    return CharRNN


def category_from_output(output):
    """The tutorial's ``categoryFromOutput``: ``output.topk(1)``, ``top_i[0].item()``."""
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return CATEGORIES[category_i], category_i


def training_examples(count, seed=0):
    """(category index, name) pairs drawn as the tutorial's ``randomTrainingExample`` draws them."""
    rng = np.random.default_rng(seed)
    examples = []
    for _ in range(count):
        category = CATEGORIES[rng.integers(len(CATEGORIES))]
        examples.append((CATEGORIES.index(category), NAMES[category][rng.integers(len(NAMES[category]))]))
    return examples


def sgd_by_hand(torch, rnn, category_tensor, line_tensor, learning_rate=0.005):
    """The tutorial's ``train``: the RNN over the letters, NLLLoss, and the parameters moved by hand."""
    criterion = torch.nn.NLLLoss()
    hidden = rnn.initHidden()
    rnn.zero_grad()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    loss = criterion(output, category_tensor)
    loss.backward()
    with torch.no_grad():  # (the tutorial: p.data.add_(p.grad.data, alpha=-learning_rate))
        for p in rnn.parameters():
            p.add_(p.grad, alpha=-learning_rate)
    return output, loss.item()


def confusion_matrix(torch, rnn, examples):
    """The tutorial's confusion matrix: ``confusion[category_i][guess_i] += 1``, rows normalised."""
    confusion = torch.zeros(len(CATEGORIES), len(CATEGORIES))
    with torch.no_grad():
        for category_i, line in examples:
            hidden = rnn.initHidden()
            line_tensor = line_to_tensor(torch, line)
            for i in range(line_tensor.size()[0]):
                output, hidden = rnn(line_tensor[i], hidden)
            guess, guess_i = category_from_output(output)
            confusion[category_i][guess_i] += 1
    for i in range(len(CATEGORIES)):
        confusion[i] = confusion[i] / confusion[i].sum()
    return confusion


# -- generating names -----------------------------------------------------------------------------

GENERATOR_LETTERS = string.ascii_letters + " .,;'-"
GENERATOR_N_LETTERS = len(GENERATOR_LETTERS) + 1  # plus EOS


def name_generator(torch, dropout=0.1):
    """The tutorial's generator RNN: the category, the letter and the hidden state in; dropout."""
    nn = torch.nn
    n_categories = len(CATEGORIES)

    class RNN(nn.Module):
        def __init__(self, input_size, hidden_size, output_size):
            super(RNN, self).__init__()
            self.hidden_size = hidden_size
            self.i2h = nn.Linear(n_categories + input_size + hidden_size, hidden_size)
            self.i2o = nn.Linear(n_categories + input_size + hidden_size, output_size)
            self.o2o = nn.Linear(hidden_size + output_size, output_size)
            self.dropout = nn.Dropout(dropout)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, category, input, hidden):
            input_combined = torch.cat((category, input, hidden), 1)
            hidden = self.i2h(input_combined)
            output = self.i2o(input_combined)
            output_combined = torch.cat((hidden, output), 1)
            output = self.o2o(output_combined)
            output = self.dropout(output)
            output = self.softmax(output)
            return output, hidden

        def initHidden(self):
            return torch.zeros(1, self.hidden_size)

    return RNN


def category_tensor(torch, category):
    tensor = torch.zeros(1, len(CATEGORIES))
    tensor[0][CATEGORIES.index(category)] = 1
    return tensor


def input_tensor(torch, line):
    tensor = torch.zeros(len(line), 1, GENERATOR_N_LETTERS)
    for li in range(len(line)):
        tensor[li][0][GENERATOR_LETTERS.find(line[li])] = 1
    return tensor


def target_tensor(torch, line):
    """The tutorial's ``targetTensor``: the next letters' indexes and EOS, as ``torch.LongTensor``."""
    letter_indexes = [GENERATOR_LETTERS.find(line[li]) for li in range(1, len(line))]
    letter_indexes.append(GENERATOR_N_LETTERS - 1)  # EOS
    return torch.LongTensor(letter_indexes)


def train_generator(torch, rnn, category, line, learning_rate=0.0005):
    """The tutorial's ``train``: ``target_line_tensor.unsqueeze_(-1)``, the losses summed into
    ``torch.Tensor([0])``, the parameters moved by hand."""
    criterion = torch.nn.NLLLoss()
    category_t, input_line_tensor, target_line_tensor = (category_tensor(torch, category), input_tensor(torch, line),
                                                         target_tensor(torch, line))
    target_line_tensor.unsqueeze_(-1)
    hidden = rnn.initHidden()
    rnn.zero_grad()
    loss = torch.Tensor([0])
    for i in range(input_line_tensor.size(0)):
        output, hidden = rnn(category_t, input_line_tensor[i], hidden)
        loss += criterion(output, target_line_tensor[i])
    loss.backward()
    with torch.no_grad():
        for p in rnn.parameters():
            p.add_(p.grad, alpha=-learning_rate)
    return output, loss.item() / input_line_tensor.size(0)


def sample(torch, rnn, category, start_letter="A", max_length=20, multinomial=False):
    """The tutorial's ``sample``: the most likely next letter (``output.topk(1)``), or, with
    ``multinomial``, one drawn by ``torch.multinomial(output.exp(), 1)``, until EOS."""
    with torch.no_grad():
        category_t = category_tensor(torch, category)
        input = input_tensor(torch, start_letter)
        hidden = rnn.initHidden()
        output_name = start_letter
        for i in range(max_length):
            output, hidden = rnn(category_t, input[0], hidden)
            if multinomial:
                topi = torch.multinomial(output.exp(), 1)[0][0]
            else:
                topv, topi = output.topk(1)
                topi = topi[0][0]
            if topi == GENERATOR_N_LETTERS - 1:
                break
            letter = GENERATOR_LETTERS[topi]
            output_name += letter
            input = input_tensor(torch, letter)
        return output_name


# -- translation ------------------------------------------------------------------------------------

SOS_TOKEN, EOS_TOKEN, MAX_LENGTH = 0, 1, 6
PAIRS = [["je suis grand", "i am tall"], ["je suis petit", "i am small"], ["il est grand", "he is tall"],
         ["il est petit", "he is small"], ["elle est grande", "she is tall"], ["elle est petite", "she is small"],
         ["nous sommes grands", "we are tall"], ["je suis content", "i am happy"]]


def vocabulary(sentences):
    """word -> index, after SOS (0) and EOS (1), as the tutorial's ``Lang`` numbers words."""
    index = {}
    for sentence in sentences:
        for word in sentence.split(" "):
            index.setdefault(word, len(index) + 2)
    return index


def seq2seq(torch, dropout_p=0.1):
    """The tutorial's EncoderRNN, DecoderRNN, BahdanauAttention and AttnDecoderRNN."""
    nn, F = torch.nn, torch.nn.functional
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    class EncoderRNN(nn.Module):
        def __init__(self, input_size, hidden_size, dropout_p=dropout_p):
            super(EncoderRNN, self).__init__()
            self.hidden_size = hidden_size
            self.embedding = nn.Embedding(input_size, hidden_size)
            self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, input):
            embedded = self.dropout(self.embedding(input))
            output, hidden = self.gru(embedded)
            return output, hidden

    class DecoderRNN(nn.Module):
        def __init__(self, hidden_size, output_size):
            super(DecoderRNN, self).__init__()
            self.embedding = nn.Embedding(output_size, hidden_size)
            self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
            self.out = nn.Linear(hidden_size, output_size)

        def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
            batch_size = encoder_outputs.size(0)
            decoder_input = torch.empty(batch_size, 1, dtype=torch.long, device=device).fill_(SOS_TOKEN)
            decoder_hidden = encoder_hidden
            decoder_outputs = []
            for i in range(MAX_LENGTH):
                decoder_output, decoder_hidden = self.forward_step(decoder_input, decoder_hidden)
                decoder_outputs.append(decoder_output)
                if target_tensor is not None:
                    decoder_input = target_tensor[:, i].unsqueeze(1)  # teacher forcing
                else:
                    _, topi = decoder_output.topk(1)
                    decoder_input = topi.squeeze(-1).detach()
            decoder_outputs = torch.cat(decoder_outputs, dim=1)
            decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
            return decoder_outputs, decoder_hidden, None

        def forward_step(self, input, hidden):
            output = self.embedding(input)
            output = F.relu(output)
            output, hidden = self.gru(output, hidden)
            output = self.out(output)
            return output, hidden

    class BahdanauAttention(nn.Module):
        def __init__(self, hidden_size):
            super(BahdanauAttention, self).__init__()
            self.Wa = nn.Linear(hidden_size, hidden_size)
            self.Ua = nn.Linear(hidden_size, hidden_size)
            self.Va = nn.Linear(hidden_size, 1)

        def forward(self, query, keys):
            scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
            scores = scores.squeeze(2).unsqueeze(1)
            weights = F.softmax(scores, dim=-1)
            context = torch.bmm(weights, keys)
            return context, weights

    class AttnDecoderRNN(nn.Module):
        def __init__(self, hidden_size, output_size, dropout_p=dropout_p):
            super(AttnDecoderRNN, self).__init__()
            self.embedding = nn.Embedding(output_size, hidden_size)
            self.attention = BahdanauAttention(hidden_size)
            self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
            self.out = nn.Linear(hidden_size, output_size)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
            batch_size = encoder_outputs.size(0)
            decoder_input = torch.empty(batch_size, 1, dtype=torch.long, device=device).fill_(SOS_TOKEN)
            decoder_hidden = encoder_hidden
            decoder_outputs = []
            attentions = []
            for i in range(MAX_LENGTH):
                decoder_output, decoder_hidden, attn_weights = self.forward_step(
                    decoder_input, decoder_hidden, encoder_outputs)
                decoder_outputs.append(decoder_output)
                attentions.append(attn_weights)
                if target_tensor is not None:
                    decoder_input = target_tensor[:, i].unsqueeze(1)  # teacher forcing
                else:
                    _, topi = decoder_output.topk(1)
                    decoder_input = topi.squeeze(-1).detach()
            decoder_outputs = torch.cat(decoder_outputs, dim=1)
            decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
            attentions = torch.cat(attentions, dim=1)
            return decoder_outputs, decoder_hidden, attentions

        def forward_step(self, input, hidden, encoder_outputs):
            embedded = self.dropout(self.embedding(input))
            query = hidden.permute(1, 0, 2)
            context, attn_weights = self.attention(query, encoder_outputs)
            input_gru = torch.cat((embedded, context), dim=2)
            output, hidden = self.gru(input_gru, hidden)
            output = self.out(output)
            return output, hidden, attn_weights

    return types.SimpleNamespace(EncoderRNN=EncoderRNN, DecoderRNN=DecoderRNN, AttnDecoderRNN=AttnDecoderRNN,
                                 device=device)


def translation_ids(pairs=PAIRS):
    """The tutorial's ``get_dataloader`` arrays: (input_ids, target_ids), int32, EOS-terminated, 0-padded."""
    source, target = vocabulary(p[0] for p in pairs), vocabulary(p[1] for p in pairs)
    input_ids = np.zeros((len(pairs), MAX_LENGTH), dtype=np.int32)
    target_ids = np.zeros((len(pairs), MAX_LENGTH), dtype=np.int32)
    for idx, (inp, tgt) in enumerate(pairs):
        inp_ids = [source[w] for w in inp.split(" ")] + [EOS_TOKEN]
        tgt_ids = [target[w] for w in tgt.split(" ")] + [EOS_TOKEN]
        input_ids[idx, :len(inp_ids)] = inp_ids
        target_ids[idx, :len(tgt_ids)] = tgt_ids
    return input_ids, target_ids, source, target


def translation_loader(torch, batch_size, sampler=True, generator=None):
    """The tutorial's ``TensorDataset(torch.LongTensor(input_ids), ...)`` behind a ``RandomSampler``
    (or, for runs compared step by step, in order)."""
    data = torch.utils.data
    input_ids, target_ids, _, _ = translation_ids()
    train_data = data.TensorDataset(torch.LongTensor(input_ids), torch.LongTensor(target_ids))
    train_sampler = data.RandomSampler(train_data, generator=generator) if sampler else data.SequentialSampler(train_data)
    return data.DataLoader(train_data, sampler=train_sampler, batch_size=batch_size)


def train_translation_epoch(torch, dataloader, encoder, decoder, encoder_optimizer, decoder_optimizer):
    """The tutorial's ``train_epoch``: NLLLoss of ``decoder_outputs.view(-1, ...)``; the mean loss."""
    criterion = torch.nn.NLLLoss()
    total_loss = 0
    for input_tensor, target_tensor in dataloader:
        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()
        encoder_outputs, encoder_hidden = encoder(input_tensor)
        decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, target_tensor)
        loss = criterion(decoder_outputs.view(-1, decoder_outputs.size(-1)), target_tensor.view(-1))
        loss.backward()
        encoder_optimizer.step()
        decoder_optimizer.step()
        total_loss += loss.item()
    return total_loss / len(dataloader)


def translate(torch, encoder, decoder, sentence):
    """The tutorial's ``evaluate``: ``torch.tensor(indexes, dtype=torch.long, device=device).view(1, -1)``
    through the encoder and a free-running decoder; the words and the attention weights."""
    _, _, source, target = translation_ids()
    words_of = {index: word for word, index in target.items()}
    with torch.no_grad():
        indexes = [source[word] for word in sentence.split(" ")] + [EOS_TOKEN]
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        input_tensor = torch.tensor(indexes, dtype=torch.long, device=device).view(1, -1)
        encoder_outputs, encoder_hidden = encoder(input_tensor)
        decoder_outputs, decoder_hidden, decoder_attn = decoder(encoder_outputs, encoder_hidden)
        _, topi = decoder_outputs.topk(1)
        decoded_ids = topi.squeeze()
        decoded_words = []
        for idx in decoded_ids:
            if idx.item() == EOS_TOKEN:
                decoded_words.append("<EOS>")
                break
            decoded_words.append(words_of[idx.item()])
    return decoded_words, decoder_attn


# -- an LSTM sentiment classifier -------------------------------------------------------------------

POSITIVE, NEGATIVE = ["good", "great", "fun", "love", "nice"], ["bad", "awful", "boring", "hate", "poor"]
NEUTRAL = ["the", "movie", "was", "a", "plot", "it", "and"]
WORDS = {word: index for index, word in enumerate(["<pad>", *POSITIVE, *NEGATIVE, *NEUTRAL])}


def reviews(count, seed=0):
    """(word indexes, label) pairs: neutral words and one or two that carry the sentiment, 3 to 10 long."""
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(count):
        label = float(rng.random() < 0.5)
        words = list(rng.choice(NEUTRAL, rng.integers(2, 9))) + list(rng.choice(POSITIVE if label else NEGATIVE,
                                                                                rng.integers(1, 3)))
        rng.shuffle(words)
        samples.append(([WORDS[w] for w in words], label))
    return samples


def review_dataset(torch, samples):
    """A ``Dataset`` of one review a sample: (a LongTensor of word indexes, a 0-d float label)."""
    data = torch.utils.data

    class ReviewDataset(data.Dataset):
        def __len__(self):
            return len(samples)

        def __getitem__(self, idx):
            words, label = samples[idx]
            return torch.tensor(words, dtype=torch.long), torch.tensor(label)

    return ReviewDataset()


def collate_reviews(torch):
    """The usual ``collate_fn``: the lengths, the texts by ``pad_sequence(batch_first=True)``, the labels stacked."""
    pad_sequence = torch.nn.utils.rnn.pad_sequence

    def collate_fn(batch):
        texts, labels = zip(*batch)
        lengths = torch.tensor([len(t) for t in texts])
        padded = pad_sequence(texts, batch_first=True, padding_value=0)
        return padded, lengths, torch.stack(labels)

    return collate_fn


def sentiment_lstm(torch):
    """Embedding, an LSTM over ``pack_padded_sequence(..., enforce_sorted=False)``, ``hidden[-1]``
    (both directions' last states concatenated when bidirectional) into one logit."""
    nn = torch.nn
    pack_padded_sequence, pad_packed_sequence = nn.utils.rnn.pack_padded_sequence, nn.utils.rnn.pad_packed_sequence

    class SentimentLSTM(nn.Module):
        def __init__(self, vocab_size, embed_dim, hidden_dim, output_dim=1, n_layers=1, bidirectional=False, dropout=0.0):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
            self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=n_layers, bidirectional=bidirectional,
                                dropout=dropout, batch_first=True)
            self.fc = nn.Linear(hidden_dim * (2 if bidirectional else 1), output_dim)
            self.bidirectional = bidirectional

        def forward(self, text, lengths):
            embedded = self.embedding(text)
            packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
            packed_output, (hidden, cell) = self.lstm(packed)
            output, output_lengths = pad_packed_sequence(packed_output, batch_first=True)
            if self.bidirectional:
                hidden = torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)
            else:
                hidden = hidden[-1]
            return self.fc(hidden).squeeze(1)

    return SentimentLSTM


def binary_accuracy(torch, preds, y):
    """``(torch.sigmoid(preds) > 0.5).float()`` compared with the labels: the fraction right."""
    rounded_preds = (torch.sigmoid(preds) > 0.5).float()
    correct = (rounded_preds == y).float()
    return correct.sum() / len(correct)


def train_sentiment_epoch(torch, model, loader, optimizer):
    """One epoch of BCEWithLogitsLoss and Adam: the mean loss and accuracy over the batches."""
    criterion = torch.nn.BCEWithLogitsLoss()
    model.train()
    epoch_loss, epoch_acc = 0.0, 0.0
    for text, lengths, labels in loader:
        optimizer.zero_grad()
        predictions = model(text, lengths)
        loss = criterion(predictions, labels)
        acc = binary_accuracy(torch, predictions, labels)
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item()
        epoch_acc += acc.item()
    return epoch_loss / len(loader), epoch_acc / len(loader)
