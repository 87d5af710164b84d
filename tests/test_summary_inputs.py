"""summary() of models with several inputs: input_shape as a list of shapes, dtypes, input_data."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError

torch = pytest.importorskip("torch", reason="PyTorch counts the parameters of the same layers")


def _torch_count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def _shapes(out):
    """An output's shape as summary records it: a tensor's shape, a list of them for a tuple."""
    if out is None:
        return None
    return tuple(out.shape) if hasattr(out, "shape") else [_shapes(item) for item in out]


def _no_wrappers_left(*classes):
    return all("forward" not in cls.__dict__ or cls.forward.__qualname__.startswith(cls.__name__) for cls in classes)


# -- MultiheadAttention(query, key, value): three shapes -----------------------------------------------


def test_multihead_attention_from_three_shapes():
    dp.manual_seed(0)
    attention = nn.MultiheadAttention(8, 2, batch_first=True)
    result = attention.summary([(5, 8), (7, 8), (7, 8)])  # queries of 5 steps, keys and values of 7
    text = str(result).splitlines()
    assert text[0] == "Input shapes: (N, 5, 8), (N, 7, 8), (N, 7, 8)"
    rows = {row.name: row for row in result.rows}
    assert rows[""].output_text == "[(N, 5, 8), (N, 5, 7)]"  # output and the weights over the 7 keys
    assert rows["out_proj"].output_text == "(N, 5, 8)"
    q, kv = np.ones((2, 5, 8), np.float32), np.ones((2, 7, 8), np.float32)
    assert rows[""].output_shape == _shapes(attention(q, kv, kv))
    assert result.input_shape == (2, 5, 8) and result.input_count == 3
    # a keyword input follows the batch too: the key padding mask (N, S) grows with it
    padding = np.zeros((3, 7), dtype=bool)
    padding[:, -2:] = True  # the last two keys are padding
    q, kv = np.ones((3, 5, 8), np.float32), np.ones((3, 7, 8), np.float32)
    data = attention.summary(input_data={"query": q, "key": kv, "value": kv, "key_padding_mask": padding})
    assert str(data).splitlines()[0] == ("Input shapes: query=(N, 5, 8), key=(N, 7, 8), value=(N, 7, 8), "
                                         "key_padding_mask=(N, 7)")
    assert data.rows[0].output_text == "[(N, 5, 8), (N, 5, 7)]"
    assert data.rows[0].output_shape == _shapes(attention(q, kv, kv, key_padding_mask=padding)) == [(3, 5, 8), (3, 5, 7)]
    reference = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    assert result.total_parameters == attention.num_parameters() == _torch_count(reference) == 288


# -- Transformer(src, tgt, tgt_mask=...): input_data as keywords -----------------------------------------


def _transformer():
    settings = dict(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=2, dim_feedforward=16,
                    batch_first=True)
    dp.manual_seed(0)
    return nn.Transformer(**settings), torch.nn.Transformer(**settings)


def test_a_transformer_with_a_causal_target_mask_passed_by_keyword():
    model, reference = _transformer()
    rng = np.random.default_rng(0)
    src, tgt = rng.normal(size=(4, 5, 8)).astype(np.float32), rng.normal(size=(4, 6, 8)).astype(np.float32)
    mask = nn.Transformer.generate_square_subsequent_mask(6)
    result = model.summary(input_data={"src": src, "tgt": tgt, "tgt_mask": mask})
    lines = str(result).splitlines()
    assert lines[0] == "Input shapes: src=(N, 5, 8), tgt=(N, 6, 8), tgt_mask=(6, 6)"  # the mask does not follow N
    rows = {row.name: row for row in result.rows}
    assert rows["encoder.norm"].output_text == "(N, 5, 8)"
    assert rows["decoder.norm"].output_text == "(N, 6, 8)"
    assert rows["decoder.layers.1.multihead_attn"].output_text == "[(N, 6, 8), -]"
    assert rows["decoder.norm"].output_shape == (4, 6, 8)  # the data's own batch in the first run
    model.eval()
    with dp.no_grad():
        assert model(src, tgt, tgt_mask=mask).shape == rows["decoder.norm"].output_shape
        memory = model.encoder(src)
    assert rows["encoder.norm"].output_shape == memory.shape
    assert result.total_parameters == model.num_parameters() == _torch_count(reference)
    assert _no_wrappers_left(nn.Transformer, nn.MultiheadAttention, nn.Linear)


def test_the_causal_mask_is_applied_in_the_summary_run():
    """The mask reached the decoder: a mask of the wrong size is refused there, naming the layer."""
    model, _ = _transformer()
    src, tgt = np.zeros((4, 5, 8), np.float32), np.zeros((4, 6, 8), np.float32)
    with pytest.raises(ConfigError, match=r"^summary: Transformer failed on the inputs of input_data in layer "
                                          r"'decoder\.layers\.0\.self_attn' \(MultiheadAttention.*attn_mask"):
        model.summary(input_data={"src": src, "tgt": tgt, "tgt_mask": np.zeros((5, 5), np.float32)})
    assert model.training and _no_wrappers_left(nn.Transformer, nn.MultiheadAttention)


# -- LSTM(input, (h0, c0)): a tuple among the positional inputs ---------------------------------------------


@pytest.mark.parametrize("batch_first", [True, False])
def test_an_lstm_given_its_initial_state(batch_first):
    dp.manual_seed(0)
    lstm = nn.LSTM(8, 6, num_layers=2, batch_first=batch_first)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 5, 8) if batch_first else (5, 3, 8)).astype(np.float32)
    h0, c0 = (rng.normal(size=(2, 3, 6)).astype(np.float32) for _ in range(2))
    result = lstm.summary(input_data=[x, (h0, c0)])
    row = result.rows[0]
    with dp.no_grad():
        assert row.output_shape == _shapes(lstm(x, (h0, c0)))
    if batch_first:  # the batch is x's first axis and h0's second
        assert str(result).splitlines()[0] == "Input shapes: (N, 5, 8), [(2, N, 6), (2, N, 6)]"
        assert row.output_text == "[(N, 5, 6), [(2, N, 6), (2, N, 6)]]"
    else:  # x's first axis is the steps, which h0 does not have: N is the number of steps, as with input_shape
        assert str(result).splitlines()[0] == "Input shapes: (N, 3, 8), [(2, 3, 6), (2, 3, 6)]"
        assert row.output_text == "[(N, 3, 6), [(2, 3, 6), (2, 3, 6)]]"
    reference = torch.nn.LSTM(8, 6, num_layers=2, batch_first=batch_first)
    assert row.parameters == result.total_parameters == _torch_count(reference)


# -- a Module of its own with forward(x, mask): integer ids and a float mask ---------------------------------


class _Tagger(nn.Module):
    """Token ids embedded, masked by a float mask per step, then a Linear per step."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 4)
        self.out = nn.Linear(4, 3)

    def forward(self, ids, mask):
        return self.out(self.embed(ids) * mask.unsqueeze(-1))


def test_a_module_of_two_inputs_with_a_dtype_each():
    dp.manual_seed(0)
    model = _Tagger()
    result = model.summary([(7,), (7,)], dtypes=[np.int64, np.float32])
    assert str(result).splitlines()[0] == "Input shapes: (N, 7), (N, 7)"
    assert [(row.name, row.output_text) for row in result.rows] == [("embed", "(N, 7, 4)"), ("out", "(N, 7, 3)")]
    direct = model(dp.tensor(np.zeros((2, 7), np.int64)), dp.tensor(np.ones((2, 7), np.float32)))
    assert result.rows[-1].output_shape == direct.shape == (2, 7, 3)
    assert result.total_parameters == _torch_count(torch.nn.Embedding(20, 4)) + _torch_count(torch.nn.Linear(4, 3))
    # the same through input_data, with a batch of 5 ids in range
    ids = np.random.default_rng(0).integers(0, 20, size=(5, 7))
    data = model.summary(input_data=[ids, np.ones((5, 7), np.float32)])
    assert [row.output_text for row in data.rows] == ["(N, 7, 4)", "(N, 7, 3)"]
    assert data.rows[-1].output_shape == (5, 7, 3)


def test_one_dtype_serves_every_input():
    class Add(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(3, 2, dtype=np.float64)

        def forward(self, x, y):
            return self.linear(x + y)

    result = Add().summary([(3,), (3,)], dtype=np.float64)
    assert result.rows[0].output_text == "(N, 2)" and result.total_parameters == 8


def test_one_array_as_input_data_reads_as_its_shape():
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 3))
    by_shape, by_data = model.summary((10,)), model.summary(input_data=np.zeros((2, 10), np.float32))
    assert str(by_data) == str(by_shape)
    assert str(by_data).splitlines()[0] == "Input shape: (N, 10)"
    assert model.summary(input_data=dp.tensor(np.zeros((6, 10), np.float32))).rows[-1].output_shape == (6, 3)


def test_where_one_sample_more_cannot_be_run_the_sizes_are_shown_as_they_are():
    """tgt_mask is (6, 6) and the batch is 6: the mask grows with the batch, the decoder refuses it, and
    the table shows the sizes of the run on the data as given, saying why there is no N."""
    model, _ = _transformer()
    data = {"src": np.zeros((6, 5, 8), np.float32), "tgt": np.zeros((6, 6, 8), np.float32),
            "tgt_mask": nn.Transformer.generate_square_subsequent_mask(6)}
    result = model.summary(input_data=data)
    assert not result.batch_found
    lines = str(result).splitlines()
    assert lines[:2] == ["Input shapes: src=(6, 5, 8), tgt=(6, 6, 8), tgt_mask=(6, 6)",
                         "(the run with one sample more failed, so the batch axis is not marked N)"]
    assert {row.name: row.output_text for row in result.rows}["decoder.norm"] == "(6, 6, 8)"


# -- errors: one sentence naming the argument ------------------------------------------------------------------


def _attention():
    dp.manual_seed(0)
    return nn.MultiheadAttention(8, 2, batch_first=True)


@pytest.mark.parametrize("arguments, message", [
    ({"input_shape": [(5, 8), 8]}, r"input_shape \[\(5, 8\), 8\] mixes sizes and shapes"),
    ({"input_shape": [(5, 8), (7, -8), (7, 8)]}, r"input_shape\[1\] must be one sample's shape.*\(7, -8\)"),
    ({"input_shape": [(5, 8), (7, 8.0), (7, 8)]}, r"input_shape\[1\] must be one sample's shape"),
    ({"input_shape": [(5, 8), (7, True), (7, 8)]}, r"input_shape\[1\] must be one sample's shape"),
    ({"input_shape": "5, 8"}, r"input_shape must be one sample's shape .* not str"),
    ({"input_shape": [(5, 8), (7, 8)]}, r"input_shape gives 2 positional inputs, which MultiheadAttention\.forward"
                                        r"\(query, key, value, .*\) cannot take: missing a required argument: 'value'"),
    ({"input_shape": [(5, 8)] * 9}, r"input_shape gives 9 positional inputs, which .* too many positional"),
    ({"input_shape": [(5, 8)] * 3, "dtypes": [np.float32]},
     r"dtypes must be a list .* input_shape gives 3 inputs and dtypes has 1 entry$"),
    ({"input_shape": [(5, 8)] * 3, "dtypes": [np.float32] * 3, "dtype": np.float32},
     r"give dtype .* or dtypes .*, not both"),
    ({"input_shape": [(5, 8)] * 3, "dtypes": ["float32", "nonsense", None]}, r"dtypes\[1\] must be a floating-point, integer or boolean type .*, got 'nonsense'"),
    ({"input_shape": (5, 8), "input_data": np.zeros((2, 5, 8))}, r"give input_shape .* or input_data .*, not both"),
    ({}, r"give input_shape .* or input_data .*, one of them"),
    ({"input_data": np.zeros((2, 5, 8)), "dtype": np.float64}, r"dtype and dtypes are for input_shape"),
    ({"input_data": [None, 1]}, r"input_data must hold at least one tensor or array"),
    ({"input_data": {"query": np.zeros((2, 5, 8)), "key": np.zeros((2, 5, 8)),
                     "value": np.zeros((2, 5, 8)), "mask": np.zeros((2, 5))}},
     r"input_data gives 0 positional inputs and the keywords query, key, value, mask, which .* cannot take: "
     r"got an unexpected keyword argument 'mask'"),
])
def test_malformed_inputs_are_refused_in_one_sentence(arguments, message):
    attention = _attention()
    with pytest.raises(ConfigError, match=r"^summary: " + message) as caught:
        attention.summary(**arguments)
    assert "\n" not in str(caught.value)
    assert attention.training and _no_wrappers_left(nn.MultiheadAttention, nn.Linear)


class _Gate(nn.Module):
    def __init__(self, features=8):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(features, 2))

    def forward(self, x, gate):
        return self.body(x) * gate


def test_a_model_failing_on_the_inputs_names_the_innermost_layer_that_raised():
    with pytest.raises(ConfigError, match=r"^summary: _Gate failed on the inputs of input_shape in layer 'body\.2' "
                                          r"\(Linear\(9 -> 2\)\): layer 2 of Sequential: Linear\(9 -> 2\) expected"):
        _Gate(features=9).summary([(4,), (2,)])  # the last Linear does not fit the 8 features before it
    model = _Gate()
    assert model.summary([(4,), (2,)]).rows[-1].output_text == "(N, 2)"
    # the product in _Gate's own forward fails: no layer raised, the model did
    with pytest.raises(ConfigError, match=r"^summary: _Gate failed on the inputs of input_shape in its own forward: "):
        model.summary([(4,), (3,)])
    assert model.training and _no_wrappers_left(_Gate, nn.Sequential, nn.Linear, nn.ReLU)
    assert all(p.grad is None for p in model.parameters())
