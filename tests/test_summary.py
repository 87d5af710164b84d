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
