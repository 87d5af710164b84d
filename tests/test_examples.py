"""The scripts in examples/ run as a reader would run them, and learn."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("script, arguments, reported", [
    ("cnn_digits.py", ["--epochs", "2"], r"test accuracy ([\d.]+)% after 2 epochs"),
    ("lstm_majority.py", ["--steps", "100"], r"test accuracy ([\d.]+)% after 100 steps"),
    ("transformer_lookup.py", ["--steps", "250"], r"test accuracy ([\d.]+)% after 250 steps"),
], ids=["cnn digits learns in two epochs", "lstm majority learns to count", "transformer lookup learns to attend"])
def test_an_example_learns(script, arguments, reported):
    done = subprocess.run([sys.executable, str(EXAMPLES / script), *arguments], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    accuracy = float(re.search(reported, done.stdout).group(1))
    assert accuracy > 90.0, done.stdout
