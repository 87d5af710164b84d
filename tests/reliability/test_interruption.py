"""Interrupted training, with real processes: Ctrl-C (SIGINT) finishes the current batch, writes a
checkpoint, says how to resume and exits with 130; ``kill -9`` at any moment leaves the last
checkpoint whole. Either way the resumed run ends with weights bitwise equal to an uninterrupted
run with the same options. And every file the library writes is written atomically.
"""

from __future__ import annotations

import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from deltaprop.serialization import load, load_checkpoint

from commandline import run_cli
from killing import command, kill_at_random, same_weights

EPOCHS = 30
SRC = Path(__file__).resolve().parents[2] / "src" / "deltaprop"


@pytest.fixture(scope="module")
def long_csv(tmp_path_factory) -> Path:
    """300 rows: with batches of 8, an epoch is 27 steps and a run of 30 epochs takes a second or two."""
    path = tmp_path_factory.mktemp("long") / "long.csv"
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4)).round(4)
    labels = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    path.write_text("a,b,c,d,label\n" + "".join(f"{','.join(map(str, row))},{label}\n" for row, label in zip(X, labels)))
    return path


def options(data) -> list:
    # Dropout, so that the random stream must be restored exactly too.
    return [data, "--hidden", "16", "--dropout", "0.1", "--batch-size", "8", "--epochs", EPOCHS, "--seed", "3"]


@pytest.fixture(scope="module")
def uninterrupted(long_csv, tmp_path_factory):
    """The reference: the same options, never interrupted; its weights, its results and how long it took."""
    folder = tmp_path_factory.mktemp("uninterrupted")
    started = time.perf_counter()
    result = run_cli("train", *options(long_csv), "--out", folder / "run", "--quiet", cwd=folder)
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    return load(folder / "run" / "model.safetensors").state_dict(), result.stdout, seconds


def _lines(stream, into: queue.Queue):
    for line in stream:
        into.put(line)
    into.put(None)


def test_ctrl_c_writes_a_checkpoint_and_the_resumed_run_ends_bitwise_equal(long_csv, uninterrupted, tmp_path):
    run = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-m", "deltaprop", "train", *map(str, options(long_csv)), "--out", str(run)],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_lines, args=(process.stderr, lines), daemon=True)
    reader.start()
    seen = []
    while not (seen and seen[-1] and seen[-1].startswith("Epoch 1/")):  # the first epoch has ended
        seen.append(lines.get(timeout=120))
        assert seen[-1] is not None, "".join(filter(None, seen))
    process.send_signal(signal.SIGINT)
    process.wait(timeout=120)
    reader.join(timeout=10)
    stderr = "".join(filter(None, seen)) + "".join(iter(lambda: lines.get() or "", ""))

    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and process.stdout.read() == ""
    checkpoint = run / "checkpoint.safetensors"
    stopped = re.search(r"^Stopped: interrupted at epoch (\d+), batch (\d+); checkpoint written to (.+)\.$", stderr,
                        re.MULTILINE)
    assert stopped and stopped.group(3) == str(checkpoint), stderr
    assert stderr.rstrip().endswith(f"Resume with: deltaprop train --resume {checkpoint}")
    saved = load_checkpoint(checkpoint)
    assert (saved["state"]["epoch"], saved["state"]["batches_done"]) == (int(stopped.group(1)), int(stopped.group(2)))
    assert saved["state"]["epoch"] < EPOCHS  # really interrupted, not finished
    assert not (run / "model.safetensors").exists()

    resumed = run_cli("train", "--resume", checkpoint, "--quiet", cwd=tmp_path)  # the command it printed
    assert resumed.returncode == 0, resumed.stderr
    weights, stdout, _ = uninterrupted
    assert resumed.stdout == stdout
    assert same_weights(run / "model.safetensors", weights)


def test_a_second_ctrl_c_stops_at_once_and_keeps_the_last_checkpoint(long_csv, tmp_path):
    run = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-m", "deltaprop", "train", *map(str, options(long_csv)), "--out", str(run)],
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        if line.startswith("Epoch 2/"):
            break
    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGINT)
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 130, stderr
    assert "Traceback" not in stderr
    saved = load_checkpoint(run / "checkpoint.safetensors")
    assert saved["state"]["epoch"] >= 2
    assert not (run / "model.safetensors").exists()


def test_kill_9_at_20_random_moments_never_breaks_the_checkpoint(long_csv, uninterrupted, tmp_path):
    weights, stdout, seconds = uninterrupted
    report = kill_at_random(options(long_csv), tmp_path, kills=20, max_delay=min(seconds, 5.0),
                            rng=random.Random(20260101), reference=weights)
    assert report.kills == 20
    assert report.checkpoints_checked >= 1  # some kills came after the first epoch

    finished = run_cli("train", *command(options(long_csv), report.run), cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == stdout
    assert same_weights(report.run / "model.safetensors", weights)


# -- the audit: every write is atomic ----------------------------------------------------------------

WRITES = re.compile(r"\bopen\([^)]*['\"][wax]b?\+?['\"]|\.write_text\(|\.write_bytes\(|\.savefig\(|"
                    r"np\.save[z]?\w*\(|\.tofile\(|json\.dump\(|\bpickle\.dump")


def test_the_library_writes_files_only_through_atomic():
    """Grep the library for ways to write a file; each must go through deltaprop.atomic (temporary
    file, flush and fsync, rename): a crash then leaves the old file or the new one, never half."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "atomic.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            in_memory = "(buffer" in code  # an io.BytesIO/StringIO, then written with atomic.write_*
            if WRITES.search(code) and "atomic." not in code and not in_memory:
                offenders.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_the_audit_finds_a_plain_write():
    assert WRITES.search('target.write_text(dot, encoding="utf-8")')
    assert WRITES.search("with open(path, 'w') as handle:") and WRITES.search('open(p, "wb")')
    assert WRITES.search("figure.savefig(path)") and WRITES.search("np.save(path, x)")
    assert not WRITES.search('with open(name, "rb") as f:')
