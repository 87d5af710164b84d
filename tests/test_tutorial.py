"""docs/backprop.md and docs/porting.md run: every ```python block in order, in one namespace per
page, and each ```text block right after one is what that block printed (numbers to a relative
1e-7, everything else exactly).

A block that prints must be followed by its text block, so the page can show no output that the
code does not produce, and hide none that it does.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "backprop.md"
PAGES = [DOC, DOC.with_name("porting.md")]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.DOTALL | re.MULTILINE)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def blocks(text: str) -> list:
    """(language, body, start, end) of every fenced block, in order."""
    return [(m.group(1), m.group(2), m.start(), m.end()) for m in FENCE.finditer(text)]


def examples(text: str) -> list:
    """(line number, code, expected output or None) for every python block."""
    found = blocks(text)
    out = []
    for index, (language, body, start, end) in enumerate(found):
        if language != "python":
            continue
        expected = None
        if index + 1 < len(found):
            next_language, next_body, next_start, _ = found[index + 1]
            if next_language == "text" and text[end:next_start].strip() == "":
                expected = next_body
        out.append((text.count("\n", 0, start) + 1, body, expected))
    return out


def same_output(actual: str, expected: str, rel: float = 1e-7, abs_: float = 1e-12) -> bool:
    """Equal text once whitespace is normalised, with numbers compared to a tolerance."""
    a_lines = [" ".join(line.split()) for line in actual.strip().splitlines()]
    e_lines = [" ".join(line.split()) for line in expected.strip().splitlines()]
    if len(a_lines) != len(e_lines):
        return False
    for a, e in zip(a_lines, e_lines):
        if NUMBER.sub("#", a) != NUMBER.sub("#", e):
            return False
        for x, y in zip(NUMBER.findall(a), NUMBER.findall(e)):
            if not math.isclose(float(x), float(y), rel_tol=rel, abs_tol=abs_):
                return False
    return True


def test_the_comparison_catches_a_wrong_number_and_wrong_text():
    assert same_output("E: 0.298371109\n", "E:   0.298371109")
    assert not same_output("E: 0.298371109", "E: 0.298371209")
    assert not same_output("E: 0.298371109", "F: 0.298371109")
    assert not same_output("E: 1\nF: 2", "E: 1")


def test_the_tutorial_has_examples_with_output():
    found = examples(DOC.read_text(encoding="utf-8"))
    assert len(found) >= 10
    assert sum(expected is not None for _, _, expected in found) >= 10


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_the_page_runs_and_prints_what_it_shows(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # anything the page writes lands here
    namespace = {"__name__": page.stem}
    found = examples(page.read_text(encoding="utf-8"))
    assert sum(expected is not None for _, _, expected in found) >= 2
    for line, code, expected in found:
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            exec(compile(code, f"{page.name}:{line}", "exec"), namespace)  # noqa: S102 (our own docs)
        printed = captured.getvalue()
        if expected is None:
            assert printed == "", f"the block at {page.name}:{line} prints output that the page does not show:\n{printed}"
        else:
            assert same_output(printed, expected), (
                f"the block at {page.name}:{line} printed\n{printed}\nbut the page shows\n{expected}"
            )


def test_the_tutorial_documents_every_json_key():
    from deltaprop.textbook.render import JSON_FIELDS

    text = DOC.read_text(encoding="utf-8")
    missing = [key for key in JSON_FIELDS if f"`{key}`" not in text]
    assert not missing, f"docs/backprop.md does not document the JSON keys {missing}"


@pytest.mark.parametrize("key", ["layers", "input", "target", "loss", "learning_rate", "description"])
def test_the_tutorial_documents_the_network_file_keys(key):
    assert f"| `{key}` |" in DOC.read_text(encoding="utf-8")
