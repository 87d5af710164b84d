"""The scripts in examples/ run as a reader would run them, and learn."""

import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_cnn_digits_learns_in_two_epochs():
    done = subprocess.run([sys.executable, str(EXAMPLES / "cnn_digits.py"), "--epochs", "2"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    accuracy = float(re.search(r"test accuracy ([\d.]+)% after 2 epochs", done.stdout).group(1))
    assert accuracy > 90.0, done.stdout


def test_lstm_majority_learns_to_count():
    done = subprocess.run([sys.executable, str(EXAMPLES / "lstm_majority.py"), "--steps", "100"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    accuracy = float(re.search(r"test accuracy ([\d.]+)% after 100 steps", done.stdout).group(1))
    assert accuracy > 90.0, done.stdout


def test_transformer_lookup_learns_to_attend():
    done = subprocess.run([sys.executable, str(EXAMPLES / "transformer_lookup.py"), "--steps", "250"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    accuracy = float(re.search(r"test accuracy ([\d.]+)% after 250 steps", done.stdout).group(1))
    assert accuracy > 90.0, done.stdout
