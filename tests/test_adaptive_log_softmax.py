"""nn.AdaptiveLogSoftmaxWithLoss: a distribution over every class, finite differences in float64 for
the input and every parameter, the shortcut of predict, model files, and errors naming the option."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, DataError, ShapeError


def layer(seed=0, **changes):
    dp.manual_seed(seed)
    config = dict(in_features=6, n_classes=9, cutoffs=[2, 5], div_value=2.0, head_bias=True, dtype=np.float64)
    return nn.AdaptiveLogSoftmaxWithLoss(**{**config, **changes})


def rows(n=7, width=6, seed=1):
    return np.random.default_rng(seed).standard_normal((n, width))


LABELS = np.array([0, 1, 2, 4, 5, 8, 3])  # the shortlist and both clusters


def test_the_parameters_are_pytorchs_names_and_shapes():
    model = layer()
    assert [(name, p.shape) for name, p in model.named_parameters()] == [
        ("head.weight", (4, 6)), ("head.bias", (4,)),
        ("tail.0.0.weight", (3, 6)), ("tail.0.1.weight", (3, 3)),  # h = 6 // 2, classes 2..4
        ("tail.1.0.weight", (1, 6)), ("tail.1.1.weight", (4, 1)),  # h = 6 // 4, classes 5..8
    ]
    assert model.cutoffs == [2, 5, 9] and model.shortlist_size == 2 and model.n_clusters == 2 and model.head_size == 4


def test_log_prob_is_a_distribution_and_output_picks_from_it():
    model = layer()
    x = rows()
    full = model.log_prob(x).data
    np.testing.assert_allclose(np.exp(full).sum(axis=1), np.ones(len(x)), rtol=1e-12)
    output, loss = model(x, LABELS)  # a named pair, unpacked as PyTorch's
    np.testing.assert_allclose(output.data, full[np.arange(len(x)), LABELS], rtol=1e-12)
    np.testing.assert_allclose(loss.item(), -full[np.arange(len(x)), LABELS].mean(), rtol=1e-12)
    pair = model(x, LABELS)
    assert pair.output is not None and pair.loss.shape == ()


def test_a_class_in_a_cluster_is_the_cluster_score_times_the_class_score_by_hand():
    model = layer()
    x = rows(1)
    head = x @ model.head.weight.data.T + model.head.bias.data
    head = head - np.log(np.exp(head).sum())
    scores = (x @ model.tail[1][0].weight.data.T) @ model.tail[1][1].weight.data.T
    within = scores - np.log(np.exp(scores).sum())
    # class 8 is the last of cluster 2 (classes 5..8), whose score is the head's column 2 + 1 = 3
    np.testing.assert_allclose(model(x, np.array([8])).output.data, head[:, 3] + within[:, 3], rtol=1e-12)


@pytest.mark.parametrize("what", ["loss", "output", "log_prob"])
def test_the_input_gradient_matches_finite_differences(what):
    model = layer()

    def fn(x):
        if what == "log_prob":
            return model.log_prob(x)
        return getattr(model(x, LABELS), what)

    assert dp.gradcheck(fn, [dp.tensor(rows(), dtype=np.float64, requires_grad=True)])


def test_every_parameter_gradient_matches_finite_differences():
    model = layer()
    x = rows()
    model.zero_grad()
    model(x, LABELS).loss.backward()
    eps = 1e-6
    for name, parameter in model.named_parameters():
        numeric = np.zeros_like(parameter.data)
        for index in np.ndindex(parameter.shape):
            saved = parameter.data[index]
            parameter.data[index] = saved + eps
            up = model(x, LABELS).loss.item()
            parameter.data[index] = saved - eps
            down = model(x, LABELS).loss.item()
            parameter.data[index] = saved
            numeric[index] = (up - down) / (2 * eps)
        np.testing.assert_allclose(parameter.grad, numeric, atol=1e-8, rtol=1e-6, err_msg=name)


def test_predict_takes_a_shortlist_class_from_the_head_and_the_others_from_the_full_distribution():
    model = layer()
    model.head.weight.data[2:] *= 8  # the clusters' scores win for some rows
    x = rows(30)
    predicted = model.predict(x)
    assert predicted.dtype == np.int64 and not predicted.requires_grad and predicted.shape == (30,)
    np.testing.assert_array_equal(predicted.data, np.argmax(model.log_prob(x).data, axis=1))
    assert (predicted.data < 2).any() and (predicted.data >= 2).any()
    assert model.predict(x[3]).shape == () and model.predict(x[3]).item() == predicted.data[3]
    assert model.log_prob(x[3]).shape == (9,)


def test_one_row_with_one_target_gives_a_scalar_output():
    model = layer()
    x = rows(2)
    single = model(x[1], np.array(4))
    assert single.output.shape == () and single.loss.shape == ()
    np.testing.assert_allclose(single.output.item(), model(x, np.array([0, 4])).output.data[1], rtol=1e-12)


def test_a_float32_layer_computes_in_float32():
    model = nn.AdaptiveLogSoftmaxWithLoss(6, 9, [2, 5], div_value=2.0)
    x = dp.tensor(rows(), requires_grad=True)
    result = model(x, LABELS)
    result.loss.backward()
    assert result.output.dtype == result.loss.dtype == np.float32 and x.grad.dtype == np.float32
    assert model.head.weight.dtype == np.float32


def test_a_model_file_brings_the_layer_back(tmp_path):
    model = layer(seed=3)
    model.eval()
    path = tmp_path / "adaptive.safetensors"
    dp.save(nn.Sequential(nn.Identity(), model), path)
    loaded = dp.load(path)[1]
    assert type(loaded) is nn.AdaptiveLogSoftmaxWithLoss and loaded.config() == model.config()
    assert not loaded.training and loaded.head.weight.dtype == np.float64
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    x = rows()
    np.testing.assert_array_equal(loaded(x, LABELS).output.data, model(x, LABELS).output.data)


def test_a_model_file_of_a_large_vocabulary_loads(tmp_path):
    # The product of the arguments (64·20000·200·2000·10000) is far beyond the weights in the file; the
    # loader bounds this layer by what it allocates instead.
    model = nn.AdaptiveLogSoftmaxWithLoss(64, 20000, [200, 2000, 10000])
    path = tmp_path / "vocabulary.safetensors"
    dp.save(model, path)
    assert dp.load(path).config() == model.config()


@pytest.mark.parametrize("changes, sentence", [
    (dict(cutoffs=[5, 2]), r"cutoffs must be a non-empty list of increasing integers between 1 and n_classes - 1 = 8, "
                           r"got \[5, 2\]"),
    (dict(cutoffs=[2, 2]), r"cutoffs must be .* got \[2, 2\]"),
    (dict(cutoffs=[0, 5]), r"cutoffs must be .* got \[0, 5\]"),
    (dict(cutoffs=[2, 9]), r"cutoffs must be .* got \[2, 9\]"),
    (dict(cutoffs=[]), r"cutoffs must be .* got \[\]"),
    (dict(cutoffs=[2.0, 5]), r"cutoffs must be .* got \[2.0, 5\]"),
    (dict(cutoffs=4), r"cutoffs must be .* got 4"),
    (dict(div_value=0.0), "div_value must be a positive number, got 0.0"),
    (dict(div_value=float("nan")), "div_value must be a positive number, got nan"),
    (dict(div_value=8.0), r"div_value=8.0 leaves cluster 1 no hidden features \(in_features 6 // div_value\^1 is 0\); "
                          "use a smaller div_value or fewer cutoffs"),
    (dict(div_value=4.0), r"div_value=4.0 leaves cluster 2 no hidden features \(in_features 6 // div_value\^2 is 0\)"),
    (dict(div_value=1e-300), r"div_value=1e-300 makes cluster 1's hidden features \(in_features 6 // div_value\^1\) "
                             "too many for any array"),
    (dict(head_bias="yes"), "head_bias must be True or False, got 'yes'"),
    (dict(in_features=0), "in_features must be a positive integer, got 0"),
    (dict(n_classes=2.5), "n_classes must be a positive integer, got 2.5"),
])
def test_bad_arguments_are_one_sentence(changes, sentence):
    with pytest.raises(ConfigError, match=f"^AdaptiveLogSoftmaxWithLoss: {sentence}"):
        layer(**changes)


@pytest.mark.parametrize("x, target, error, sentence", [
    (rows(), np.array([0, 1, 2, 4, 5, 9, 3]), DataError, r"target class 9 is outside \[0, 9\) for n_classes=9"),
    (rows(), np.array([0, 1, -1, 4, 5, 8, 3]), DataError, r"target class -1 is outside \[0, 9\) for n_classes=9"),
    (rows(), LABELS[:6], ShapeError, r"expected input of shape \(6, 6\) for a target of shape \(6,\), got shape \(7, 6\)"),
    (rows(width=5), LABELS, ShapeError, r"expected input of shape \(7, 6\) for a target of shape \(7,\), got shape \(7, 5\)"),
    (rows(), np.array(3), ShapeError, r"expected input of shape \(6,\) for a single class index, got shape \(7, 6\)"),
    (rows(), LABELS[:, None], ShapeError, r"target must be class indices \(N,\) or one class index, got shape \(7, 1\)"),
    (rows(), LABELS.astype(float), DataError, "target must hold integer class indices, got dtype float64"),
])
def test_bad_inputs_are_one_sentence(x, target, error, sentence):
    with pytest.raises(error, match=f"^AdaptiveLogSoftmaxWithLoss: {sentence}$"):
        layer()(x, target)


def test_log_prob_refuses_a_wrong_width_in_one_sentence():
    with pytest.raises(ShapeError, match=r"^AdaptiveLogSoftmaxWithLoss: expected input of shape \(N, 6\) or \(6,\), "
                                         r"got shape \(3, 4\)$"):
        layer().log_prob(rows(3, 4))
