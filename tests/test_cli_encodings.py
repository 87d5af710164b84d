"""`deltaprop train` on CSV files in other encodings than plain UTF-8, through the real command:
UTF-8 with a byte-order mark trains as plain UTF-8 does; UTF-16 is refused in one sentence that
names it."""

import codecs

import pytest

from deltaprop.tabular import TabularModel
from test_cli import assert_one_sentence_error, run

TEXT = "a,b,label\n" + "".join(f"{i % 7},{(i * 3) % 5},{'yes' if i % 2 else 'no'}\n" for i in range(40))


def test_utf8_with_a_byte_order_mark_trains_as_plain_utf8(tmp_path):
    (tmp_path / "bom.csv").write_bytes(codecs.BOM_UTF8 + TEXT.encode("utf-8"))
    (tmp_path / "plain.csv").write_bytes(TEXT.encode("utf-8"))
    results = {}
    for name in ("bom", "plain"):
        result = run("train", f"{name}.csv", "--epochs", 2, "--hidden", 4, "--out", name, "--quiet", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        results[name] = result.stdout
        # the mark is not part of the first column's name
        assert TabularModel.load(tmp_path / name / "model.safetensors").feature_names == ["a", "b"]
    assert results["bom"] == results["plain"]


@pytest.mark.parametrize("bom, encoding, mark", [
    (codecs.BOM_UTF16_LE, "utf-16-le", "FF FE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "FE FF"),
])
def test_utf16_is_named_in_the_error(tmp_path, bom, encoding, mark):
    (tmp_path / "wide.csv").write_bytes(bom + TEXT.encode(encoding))
    result = run("train", "wide.csv", "--epochs", 1, "--out", "never", cwd=tmp_path)
    assert_one_sentence_error(result, 1, rf"wide.csv: is UTF-16 text \(it starts with the byte-order mark {mark}\), "
                                         r"not UTF-8; save the file as UTF-8$")
    assert not (tmp_path / "never").exists()


def test_a_config_file_with_a_utf8_byte_order_mark_reads_as_plain_utf8(tmp_path):
    """A TOML config file saved with a BOM (as Notepad saves UTF-8) was refused as invalid TOML."""
    (tmp_path / "data.csv").write_bytes(TEXT.encode("utf-8"))
    options = 'data = "data.csv"\ntarget = "label"\nepochs = 2\nhidden = [4]\n'
    (tmp_path / "bom.toml").write_bytes(codecs.BOM_UTF8 + options.encode("utf-8"))
    (tmp_path / "plain.toml").write_bytes(options.encode("utf-8"))
    results = {}
    for name in ("bom", "plain"):
        result = run("train", "--config", f"{name}.toml", "--out", name, "--quiet", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        results[name] = result.stdout
    assert results["bom"] == results["plain"]


@pytest.mark.parametrize("bom, encoding, mark", [
    (codecs.BOM_UTF16_LE, "utf-16-le", "FF FE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "FE FF"),
])
def test_a_utf16_config_file_is_named_in_the_error(tmp_path, bom, encoding, mark):
    (tmp_path / "wide.toml").write_bytes(bom + "epochs = 2\n".encode(encoding))
    result = run("train", "--config", "wide.toml", "--out", "never", cwd=tmp_path)
    assert_one_sentence_error(result, 2, rf"config file wide.toml is UTF-16 text \(it starts with the byte-order mark "
                                         rf"{mark}\), not UTF-8; save it as UTF-8$")
    assert not (tmp_path / "never").exists()
