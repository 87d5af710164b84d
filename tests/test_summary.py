"""model.summary(input_shape): the layers, their output shapes and parameter counts."""

import io

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn


def _mlp():
    dp.manual_seed(0)
    return nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))


def test_rows_shapes_and_counts_of_an_mlp():
    result = _mlp().summary((10,))
    assert [row.name for row in result.rows] == ["0", "1", "2", "3"]
    assert [row.output_shape for row in result.rows] == [(2, 16), (2, 16), (2, 16), (2, 3)]
    # Linear(10 -> 16): 10·16 weights + 16 biases; Linear(16 -> 3): 16·3 + 3.
    assert [row.parameters for row in result.rows] == [176, 0, 0, 51]
    assert result.total_parameters == result.trainable_parameters == 227
    assert result.non_trainable_parameters == 0
    assert result.input_shape == (2, 10)


def test_the_table_reads_as_text():
    buffer = io.StringIO()
    result = _mlp().summary(10, file=buffer)  # an int is one sample's shape, like (10,)
    text = buffer.getvalue()
    assert text.strip() == str(result)
    lines = text.splitlines()
    assert lines[0] == "Input shape: (N, 10)"
    assert any("Linear(10 -> 16)" in line and "(N, 16)" in line and line.rstrip().endswith("176") for line in lines)
    assert any(line.startswith("2") and "Dropout" in line for line in lines)
    assert "Total parameters: 227" in text
    assert "Trainable parameters: 227" in text
    assert "Non-trainable parameters: 0" in text


def test_frozen_parameters_are_counted_as_non_trainable():
    model = _mlp()
    model[0].weight.requires_grad = False  # 160 weights frozen, the bias still learns
    result = model.summary((10,))
    assert result.total_parameters == 227
    assert result.trainable_parameters == 67
    assert result.non_trainable_parameters == 160
    assert "Non-trainable parameters: 160" in str(result)
    assert [row.trainable for row in result.rows] == [False, True, True, True]


def test_batch_norm_statistics_are_buffers_not_parameters():
    """PyTorch's count (and num_parameters()): the running statistics are not parameters."""
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
    result = model.summary((4,))
    # BatchNorm1d(8): weight and bias learn (16); running mean and variance (16) are buffers;
    # the integer batch counter is neither.
    assert [row.parameters for row in result.rows] == [40, 16, 18]
    assert result.total_parameters == result.trainable_parameters == model.num_parameters() == 74
    assert result.non_trainable_parameters == 0 and result.buffer_values == 16
    assert "Buffers (running statistics, not parameters): 16 values" in str(result)
    plain = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8, affine=False)).summary((4,))
    assert [row.parameters for row in plain.rows] == [40, 0] and plain.buffer_values == 16


def test_a_shared_parameter_is_counted_once():
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 4))
    model[2].weight = model[0].weight
    result = model.summary((4,))
    assert [row.parameters for row in result.rows] == [20, 0, 4]
    assert result.total_parameters == model.num_parameters() == 24


def test_a_convolutional_model_from_image_shapes():
    dp.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 10)
    )
    result = model.summary((1, 8, 8))
    assert [row.output_shape for row in result.rows] == [(2, 4, 8, 8), (2, 4, 8, 8), (2, 4, 4, 4), (2, 64), (2, 10)]
    assert result.rows[0].parameters == 4 * 1 * 3 * 3 + 4
    assert result.total_parameters == 40 + 650
    assert "(N, 4, 8, 8)" in str(result)


def test_a_custom_module_lists_its_layers_and_own_parameters():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(3, 5)
            self.out = nn.Linear(5, 1)
            self.scale = nn.Parameter(np.ones(1, dtype=np.float32))

        def forward(self, x):
            return self.out(self.hidden(x).tanh()) * self.scale

    dp.manual_seed(0)
    result = Net().summary((3,))
    names = [row.name for row in result.rows]
    assert names == ["", "hidden", "out"]  # the model itself appears because it owns `scale`
    assert [row.parameters for row in result.rows] == [1, 20, 6]
    assert result.rows[1].output_shape == (2, 5)
    assert result.total_parameters == 27
    assert "(model)" in str(result)


def test_summary_leaves_the_model_as_it_was():
    model = _mlp()
    before = model.state_dict()
    model.train()
    model.summary((10,))
    assert model.training and all(layer.training for layer in model)
    assert all("forward" not in layer.__dict__ for layer in model)  # the observing wrappers are gone
    assert all(p.grad is None for p in model.parameters())
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name])
    model.eval()
    model.summary((10,))
    assert not model.training


def test_a_wrong_input_shape_is_reported_and_the_model_restored():
    model = _mlp()
    with pytest.raises(ValueError):
        model.summary((7,))
    assert model.training
    assert all("forward" not in layer.__dict__ for layer in model)


# -- layers whose output is a tuple: the recurrent layers and LSTMCell ---------------------------------

RECURRENT = [  # (layer, its arguments, one sample's shape, the shape as the table shows it)
    ("RNN", {"input_size": 8, "hidden_size": 6}, (5, 8), "[(N, 5, 6), (1, 5, 6)]"),
    ("RNN", {"input_size": 8, "hidden_size": 6, "batch_first": True}, (5, 8), "[(N, 5, 6), (1, N, 6)]"),
    ("LSTM", {"input_size": 8, "hidden_size": 6}, (5, 8), "[(N, 5, 6), [(1, 5, 6), (1, 5, 6)]]"),
    ("LSTM", {"input_size": 8, "hidden_size": 6, "batch_first": True}, (5, 8), "[(N, 5, 6), [(1, N, 6), (1, N, 6)]]"),
    # h_n's first axis is 2 (two directions), as large as the batch: only the axis that follows it is N
    ("LSTM", {"input_size": 8, "hidden_size": 6, "batch_first": True, "bidirectional": True}, (5, 8),
     "[(N, 5, 12), [(2, N, 6), (2, N, 6)]]"),
    ("LSTM", {"input_size": 8, "hidden_size": 6, "num_layers": 2, "bidirectional": True}, (5, 8),
     "[(N, 5, 12), [(4, 5, 6), (4, 5, 6)]]"),
    # with projections h (and the output) are proj_size wide, c hidden_size wide
    ("LSTM", {"input_size": 8, "hidden_size": 6, "proj_size": 4, "batch_first": True}, (5, 8),
     "[(N, 5, 4), [(1, N, 4), (1, N, 6)]]"),
    ("GRU", {"input_size": 8, "hidden_size": 6, "batch_first": True}, (5, 8), "[(N, 5, 6), (1, N, 6)]"),
    ("GRU", {"input_size": 8, "hidden_size": 6, "num_layers": 2}, (5, 8), "[(N, 5, 6), (2, 5, 6)]"),
    ("RNNCell", {"input_size": 8, "hidden_size": 6}, (8,), "(N, 6)"),
    ("LSTMCell", {"input_size": 8, "hidden_size": 6}, (8,), "[(N, 6), (N, 6)]"),
    ("GRUCell", {"input_size": 8, "hidden_size": 6}, (8,), "(N, 6)"),
]


def _torch_shapes(out):
    """torch's output as summary records it: a tensor's shape, a list of them for a tuple."""
    return tuple(out.shape) if hasattr(out, "shape") else [_torch_shapes(item) for item in out]


@pytest.mark.parametrize("name, arguments, sample, expected", RECURRENT)
def test_a_layer_that_returns_a_tuple_shows_the_shape_of_each_tensor(name, arguments, sample, expected):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for the shapes and counts")
    dp.manual_seed(0)
    layer = getattr(nn, name)(**arguments)
    result = nn.Sequential(layer).summary(sample)
    row = result.rows[0]
    assert row.output_text == expected
    assert f"  {expected}  " in str(result)
    reference = getattr(torch.nn, name)(**arguments)
    with torch.no_grad():
        assert row.output_shape == _torch_shapes(reference(torch.zeros(2, *sample)))
    assert row.parameters == result.total_parameters == sum(p.numel() for p in layer.parameters())
    assert row.parameters == sum(p.numel() for p in reference.parameters())


class _LastStep(nn.Module):
    """An LSTM and a Linear on its output at the last step: forward picks ``[0]`` of the LSTM's tuple."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 16, batch_first=True)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.lstm(x)[0][:, -1])


def test_a_model_around_an_lstm_end_to_end():
    torch = pytest.importorskip("torch", reason="PyTorch counts the same layers' parameters")
    dp.manual_seed(0)
    model = _LastStep()
    assert model(np.zeros((4, 5, 8), dtype=np.float32)).shape == (4, 3)
    result = model.summary((5, 8))
    assert str(result).splitlines() == [
        "Input shape: (N, 5, 8)",
        "----------------------------------------------------------------------",
        "Layer  Type             Output shape                            Params",
        "----------------------------------------------------------------------",
        "lstm   LSTM(8 -> 16)    [(N, 5, 16), [(1, N, 16), (1, N, 16)]]   1,664",
        "head   Linear(16 -> 3)  (N, 3)                                      51",
        "----------------------------------------------------------------------",
        "Total parameters: 1,715",
        "Trainable parameters: 1,715",
        "Non-trainable parameters: 0",
    ]
    assert [row.output_shape for row in result.rows] == [[(2, 5, 16), [(1, 2, 16), (1, 2, 16)]], (2, 3)]
    torch_count = sum(p.numel() for p in torch.nn.LSTM(8, 16, batch_first=True).parameters()) + 16 * 3 + 3
    assert result.total_parameters == model.num_parameters() == torch_count == 1715


def test_an_embedding_is_summarised_on_integer_indices():
    dp.manual_seed(0)
    model = nn.Sequential(nn.Embedding(10, 4), nn.GRU(4, 6, batch_first=True))
    result = model.summary((7,), dtype=np.int64)
    assert [row.output_text for row in result.rows] == ["(N, 7, 4)", "[(N, 7, 6), (1, N, 6)]"]
    assert [row.parameters for row in result.rows] == [40, 3 * 6 * (4 + 6 + 2)]


# -- layers made of layers: MultiheadAttention holds out_proj and parameters of its own -------------------


class _Attend(nn.Module):
    """Self-attention returning its weights too, then a Linear on the attended sequence."""

    def __init__(self):
        super().__init__()
        self.attention = nn.MultiheadAttention(8, 2, batch_first=True)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        out, weights = self.attention(x, x, x)
        return self.head(out)


def test_a_layer_with_parameters_and_layers_of_its_own_shows_its_output():
    """MultiheadAttention is not a leaf (it holds out_proj), yet its row carries its own parameters,
    so it shows its output: (output, weights), or (output, None) inside an encoder layer."""
    dp.manual_seed(0)
    rows = {row.name: row for row in _Attend().summary((5, 8)).rows}
    assert rows["attention"].output_text == "[(N, 5, 8), (N, 5, 5)]"
    assert rows["attention"].parameters == 3 * 8 * 8 + 3 * 8  # in_proj; out_proj has a row of its own
    assert rows["attention.out_proj"].output_text == "(N, 5, 8)"
    encoder = nn.Sequential(nn.Linear(3, 8), nn.TransformerEncoderLayer(8, 2, 16, batch_first=True))
    rows = {row.name: row for row in encoder.summary((5, 3)).rows}
    assert rows["1.self_attn"].output_text == "[(N, 5, 8), -]"  # need_weights=False: no weights


def test_a_custom_model_with_parameters_of_its_own_shows_its_output():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(3, 2)
            self.scale = nn.Parameter(np.ones(1, dtype=np.float32))

        def forward(self, x):
            return self.linear(x) * self.scale

    result = Scaled().summary((3,))
    assert [(row.name, row.output_text) for row in result.rows] == [("", "(N, 2)"), ("linear", "(N, 2)")]


def test_summary_leaves_each_layers_own_mode_as_it_was():
    # It ran the model in eval mode and then set every layer to the model's mode, undoing a layer
    # put in eval mode on its own (a frozen BatchNorm while the rest trains).
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Dropout(0.5), nn.Linear(8, 2))
    model[1].eval()
    before = [m.training for m in model.modules()]
    model.summary((4,))
    assert [m.training for m in model.modules()] == before == [True, True, False, True, True]
    model.eval()
    model[2].train()
    before = [m.training for m in model.modules()]
    model.summary((4,))
    assert [m.training for m in model.modules()] == before
