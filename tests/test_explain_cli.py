"""``deltaprop explain`` as a user runs it, the network file it reads and the formats it writes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from deltaprop.errors import DataError
from deltaprop.textbook import classic_network, network_from_dict
from deltaprop.textbook.classic import CLASSIC, PUBLISHED
from deltaprop.textbook.render import JSON_FIELDS


def deltaprop_command(*args, check=True):
    """Run the installed ``deltaprop`` script (or ``python -m deltaprop`` when it is not installed)."""
    script = Path(sys.executable).with_name("deltaprop")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "deltaprop"]
    result = subprocess.run(command + list(args), capture_output=True, text=True, encoding="utf-8", timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def key_paths(value, prefix="") -> set:
    """Every key of a JSON value as a path: 'layers[].nodes[].delta'."""
    paths = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= key_paths(item, path)
    elif isinstance(value, list):
        for item in value:
            paths |= key_paths(item, f"{prefix}[]")
    return paths


def test_the_default_command_prints_the_classic_worked_example():
    result = deltaprop_command("explain")
    out = result.stdout
    # the worked example's published forward values, error and updated weights
    for name in ("out_h1", "out_o1", "E_total", "w5_updated", "w1_updated"):
        assert PUBLISHED[name] in out, f"{name} = {PUBLISHED[name]} is missing from the output"
    for words in ("i1, i2", "h1, h2", "o1, o2", "w1..w4", "b1", "b2", "sigmoid", "Forward phase", "Backward phase"):
        assert words in out
    assert "--freeze-biases" in result.stderr  # the note on how to match the example's fixed biases


def test_json_output_has_exactly_the_documented_keys():
    result = deltaprop_command("explain", "--format", "json", "--steps", "3", "--freeze-biases")
    data = json.loads(result.stdout)
    assert key_paths(data) == set(JSON_FIELDS)
    assert data["format"] == "deltaprop-explain" and data["version"] == 1
    assert data["error"] == pytest.approx(float(PUBLISHED["E_total"]), abs=5e-10)
    assert [s["step"] for s in data["steps"]] == [1, 2, 3]
    w5 = data["layers"][1]["weights"][0]
    assert (w5["label"], w5["from"], w5["to"], w5["parameter"], w5["index"]) == ("w5", "h1", "o1", "2.weight", [0, 0])
    assert all(b["frozen"] and b["updated"] == b["value"] for layer in data["layers"] for b in layer["biases"])
    assert result.stderr == ""


def test_json_keys_of_a_network_without_biases_are_documented_too():
    spec = {"layers": [{"weight": [[1.0, 2.0], [0.5, -1.0], [0.1, 0.2]]}], "input": [0.3, 0.4], "target": 2, "loss": "cross_entropy"}
    data = json.loads(network_from_dict(spec).explain().to_json())
    assert key_paths(data) <= set(JSON_FIELDS)
    assert data["layers"][0]["nodes"][0]["g_prime"] is None  # softmax output: not element-wise


def test_a_network_file_with_steps_and_markdown(tmp_path):
    spec = {
        "description": "a tanh network",
        "layers": [
            {"weight": [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], "bias": [0.0, 0.1, -0.1], "activation": "tanh"},
            {"weight": [[0.7, -0.8, 0.9]], "bias": [0.05], "activation": "identity"},
        ],
        "input": [1.0, -1.0],
        "target": [0.5],
        "loss": "mse",
        "learning_rate": 0.1,
    }
    path = tmp_path / "net.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    out = deltaprop_command("explain", "--network", str(path), "--steps", "4", "--format", "markdown").stdout
    assert out.startswith("# deltaprop explain: a tanh network")
    for line in out.splitlines():
        if line.startswith("|"):
            assert line.endswith("|")
    steps = re.findall(r"^\| (\d) \| ([-\d.e]+) \|$", out, flags=re.MULTILINE)
    assert [n for n, _ in steps] == ["1", "2", "3", "4"]
    errors = [float(e) for _, e in steps]
    assert errors == sorted(errors, reverse=True)


def test_a_network_file_with_the_further_activations(tmp_path):
    spec = {
        "layers": [
            {"weight": [[0.9, -1.4], [2.0, 0.3], [-1.1, 0.8]], "bias": [0.1, -0.2, 0.3], "activation": "softplus", "beta": 2},
            {"weight": [[0.7, -0.8, 0.9], [-1.5, 1.2, 0.4]], "bias": [0.05, -0.1], "activation": "hardswish"},
        ],
        "input": [1.0, -1.0],
        "target": [0.5, -0.2],
    }
    path = tmp_path / "net.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    result = deltaprop_command("explain", "--network", str(path), "--format", "json")
    data = json.loads(result.stdout)
    hidden, output = data["layers"]
    assert (hidden["activation"], output["activation"]) == ("softplus(β=2, threshold=20)", "hardswish")
    assert "σ(βa)" in hidden["g_prime"] and "a/3 + ½" in output["g_prime"]
    a = np.array([node["a"] for node in hidden["nodes"]])
    assert [n["o"] for n in hidden["nodes"]] == pytest.approx(np.log1p(np.exp(2 * a)) / 2, rel=1e-12)
    assert [n["g_prime"] for n in hidden["nodes"]] == pytest.approx(1 / (1 + np.exp(-2 * a)), rel=1e-12)
    a = np.array([node["a"] for node in output["nodes"]])
    assert (np.abs(a) < 3).all() and a.min() < 0 < a.max()
    assert [n["g_prime"] for n in output["nodes"]] == pytest.approx(a / 3 + 0.5, rel=1e-12)
    # δ = (o − t)·g'(a) at the output, g'(a)·Σ_l w_jl δ_l at the hidden nodes
    for node, target in zip(output["nodes"], spec["target"]):
        assert node["delta"] == pytest.approx((node["o"] - target) * (node["a"] / 3 + 0.5), rel=1e-12)
    W2 = np.array(spec["layers"][1]["weight"])
    below = W2.T @ np.array([node["delta"] for node in output["nodes"]])
    for node, total in zip(hidden["nodes"], below):
        assert node["delta"] == pytest.approx(total / (1 + np.exp(-2 * node["a"])), rel=1e-12)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--steps", "0"], "--steps must be greater than 0"),
        (["--format", "xml"], "--format"),
        (["--network", "no-such-file.json"], "no-such-file.json"),
    ],
)
def test_command_line_mistakes_are_one_sentence(args, words, tmp_path):
    result = deltaprop_command("explain", *args, check=False)
    assert result.returncode in (1, 2)
    assert words in result.stderr and result.stderr.count("\n") == 1 and result.stdout == ""


def test_a_bad_network_file_names_the_key(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"layers": [{"weight": [[1, 2]], "bias": [1, 2]}], "input": [1, 2], "target": [0]}), encoding="utf-8")
    result = deltaprop_command("explain", "--network", str(path), check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"deltaprop: error: {path}: layers[0].bias has 2 values, but layers[0].weight has 1 rows (one per node)"
    )


def _classic(**changes):
    spec = json.loads(json.dumps(CLASSIC))
    for key, value in changes.items():
        if key.startswith("layer1_"):
            spec["layers"][1][key[len("layer1_"):]] = value
        elif value is None:
            del spec[key]
        else:
            spec[key] = value
    return spec


def test_a_network_file_with_shrinks_and_a_threshold(tmp_path):
    spec = {
        "layers": [
            {"weight": [[0.9, -1.4], [2.0, 0.3], [-1.1, 0.8]], "bias": [0.1, -0.2, 0.3], "activation": "softshrink",
             "lambd": 0.25},
            {"weight": [[0.7, -0.8, 0.9], [-1.5, 1.2, 0.4]], "bias": [0.05, -0.1], "activation": "threshold",
             "threshold": -0.5, "value": 2},
        ],
        "input": [1.0, -1.0],
        "target": [0.5, -0.2],
    }
    path = tmp_path / "net.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    data = json.loads(deltaprop_command("explain", "--network", str(path), "--format", "json").stdout)
    hidden, output = data["layers"]
    assert (hidden["activation"], output["activation"]) == ("softshrink(λ=0.25)", "threshold(threshold=-0.5, value=2)")
    a = np.array([node["a"] for node in hidden["nodes"]])
    assert [n["o"] for n in hidden["nodes"]] == pytest.approx(np.where(np.abs(a) > 0.25, a - np.sign(a) * 0.25, 0))
    assert [n["g_prime"] for n in hidden["nodes"]] == (np.abs(a) > 0.25).tolist()
    a = np.array([node["a"] for node in output["nodes"]])
    assert [n["o"] for n in output["nodes"]] == pytest.approx(np.where(a > -0.5, a, 2.0))
    assert [n["g_prime"] for n in output["nodes"]] == (a > -0.5).tolist()


@pytest.mark.parametrize("activation", ["hardshrink", "softshrink"])
def test_a_network_files_shrink_takes_pytorchs_default_lambd(activation):
    from deltaprop.textbook import network_from_dict

    network = network_from_dict(_classic(layer1_activation=activation))
    assert network.model[-1].lambd == 0.5
    assert network.explain().layers[1].activation == f"{activation}(λ=0.5)"


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ([1, 2], "must be a JSON object"),
        (_classic(layer1_lambd=0.5), "layers[1].lambd applies to the hardshrink and softshrink activations only"),
        (_classic(layer1_activation="threshold", layer1_threshold=0.5),
         "layers[1].value is needed by the threshold activation, which has no default for it"),
        (_classic(layer1_activation="softshrink", layer1_lambd=-1), "layers[1]: Softshrink: lambd must be a non-negative"),
        (_classic(input=None), "the key 'input' is missing"),
        (_classic(weights=[1]), "unknown key 'weights'"),
        (_classic(layers=[]), "'layers' must be a non-empty list"),
        (_classic(layers=[{"bias": [1.0]}]), "layers[0] has no 'weight' key"),
        (_classic(layer1_weight=[[1, 2, 3], [4, 5, 6]]), "layers[1].weight has 3 columns, but layers[0] has 2 outputs"),
        (_classic(layer1_weight=[[1, 2], [4]]), "'layers[1].weight[1]' has 1 numbers"),
        (_classic(layer1_weight=[[1, "2"], [3, 4]]), "'layers[1].weight[0][1]' must be a finite number"),
        (_classic(layer1_activation="swish"), "layers[1].activation must be one of"),
        (_classic(layer1_negative_slope=0.2), "layers[1].negative_slope applies to the leaky_relu activation only"),
        (_classic(layer1_alpha=0.5), "layers[1].alpha applies to the elu and celu activations only"),
        (_classic(layer1_beta=2, layer1_activation="silu"), "layers[1].beta applies to the softplus activation only"),
        (_classic(layer1_beta=0, layer1_activation="softplus"), "layers[1]: Softplus: beta"),
        (_classic(layer1_beta="2", layer1_activation="softplus"), "'layers[1].beta' must be a finite number"),
        (_classic(layer1_colour="red"), "unknown key 'layers[1].colour'"),
        (_classic(input=[1.0]), "'input' has 1 values, but layers[0].weight has 2 columns"),
        (_classic(target=[1.0, 2.0, 3.0]), "'target' has 3 values, but the last layer has 2 outputs"),
        (_classic(target=5, loss="cross_entropy", layer1_activation="softmax"), "class index 5, outside [0, 2)"),
        (_classic(layer1_activation="softmax"), "'softmax' is allowed on the last layer only, with loss 'cross_entropy'"),
        (_classic(loss="l1"), "'loss' must be one of sse, mse, cross_entropy"),
        (_classic(learning_rate=-1), "'learning_rate' must be positive"),
        (_classic(learning_rate=True), "'learning_rate' must be a finite number, got a boolean"),
        (_classic(description=3), "'description' must be a string"),
        (_classic(layer1_activation=["relu"]), "layers[1].activation must be one of"),
        (_classic(loss=["sse"]), "'loss' must be one of"),
        (_classic(learning_rate=10**400), "'learning_rate' must be a finite number, got an integer of 401 digits"),
        (_classic(target=[0.5, 0.6], loss="cross_entropy", layer1_activation="softmax"), "probabilities summing to 1"),
    ],
)
def test_network_file_errors_are_one_sentence_naming_the_key(spec, words):
    with pytest.raises(DataError) as caught:
        network_from_dict(spec, where="net.json")
    message = str(caught.value)
    assert message.startswith("net.json: ") and words in message and "\n" not in message


def test_the_classic_network_is_the_documented_json():
    network = classic_network()
    assert network.loss == "sse" and network.learning_rate == 0.5
    assert network.model[0].weight.data.tolist() == [[0.15, 0.20], [0.25, 0.30]]
    assert network.model[2].bias.data.tolist() == [0.60, 0.60]
    assert network.input.tolist() == [0.05, 0.10] and network.target.tolist() == [0.01, 0.99]


def test_every_format_shows_the_same_numbers():
    trace = classic_network().explain()
    text, markdown, html = trace.to_text(), trace.to_markdown(), trace._repr_html_()
    for value in ("0.593269992", "0.298371109", "0.35891648", "0.149780716"):
        assert value in text and value in markdown and value in html
    tables = sum(line.startswith("  ─") for line in text.splitlines())
    assert tables == html.count("<table>") == sum(line.startswith("|---") for line in markdown.splitlines())
    assert "<sub>ij</sub><sup>k</sup>" in html
    assert str(trace) == text


def test_a_network_file_that_is_not_utf8_is_a_data_error_and_a_byte_order_mark_is_fine(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe{}")
    result = deltaprop_command("explain", "--network", str(bad), check=False)
    assert result.returncode == 1 and result.stderr == f"deltaprop: error: {bad}: not UTF-8 text (byte 0 cannot be decoded); a network file is JSON\n"
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(CLASSIC).encode())
    assert "0.298371109" in deltaprop_command("explain", "--network", str(bom)).stdout


def test_a_network_file_whose_loss_does_not_fit_its_output_is_a_data_error_naming_the_file(tmp_path):
    path = tmp_path / "sigmoid_ce.json"
    path.write_text(json.dumps({"layers": [{"weight": [[0.1, 0.2], [0.25, 0.3]], "activation": "sigmoid"}],
                                "input": [0.05, 0.1], "target": 1, "loss": "cross_entropy"}), encoding="utf-8")
    result = deltaprop_command("explain", "--network", str(path), check=False)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == (
        f"deltaprop: error: {path}: loss 'cross_entropy' puts a softmax on the output layer, so the last Linear "
        f"must be followed by Softmax or nothing, not Sigmoid"
    )
