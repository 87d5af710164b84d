"""Kill ``deltaprop train`` with SIGKILL at random moments and resume it, again and again.

Shared by tests/reliability/test_interruption.py (20 kills) and scripts/stress_kill_resume.py
(hundreds). After every kill the run's checkpoint, if one was written yet, must load, hold finite
weights, and stand at or after the position of the one before (a run never goes back); the run is
then continued from it (or started again when the kill came before the first checkpoint). A run
that reaches its end before a kill must have weights bitwise equal to an uninterrupted run's; the
next kills then go to a new run, so that they keep landing in the middle of training.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


def train(args, cwd) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "deltaprop", "train", *map(str, args)], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def command(options: list, run: Path) -> list:
    """Continue the run from its checkpoint, or start it when there is none yet."""
    checkpoint = run / "checkpoint.safetensors"
    return ["--resume", checkpoint, "--quiet"] if checkpoint.exists() else [*options, "--out", run, "--quiet"]


def same_weights(model_file, reference: dict) -> bool:
    from deltaprop.serialization import load

    weights = load(model_file).state_dict()
    return weights.keys() == reference.keys() and all(
        weights[name].dtype == array.dtype and np.array_equal(weights[name], array) for name, array in reference.items())


@dataclass
class Report:
    run: Path  # the run the last kill left unfinished: the caller finishes it
    kills: int = 0
    checkpoints_checked: int = 0  # kills after which there was a checkpoint to check
    advanced: int = 0  # kills after which the checkpoint had moved on
    runs_completed: int = 0  # runs that reached their end between kills, each bitwise equal to the reference
    positions: list = field(default_factory=list)
    temporary_files: int = 0  # left by kills during an atomic write (harmless: never read)


def kill_at_random(options: list, folder: Path, kills: int, max_delay: float, rng, reference: dict) -> Report:
    """``kills`` times: start or resume a run in ``folder``, SIGKILL it after a random delay of at
    most ``max_delay`` seconds, check its checkpoint. ``reference``: the uninterrupted run's weights."""
    from deltaprop.serialization import load, load_checkpoint

    report = Report(run=folder / "run-0")
    last = (0, 0)
    for _ in range(kills):
        run = report.run
        process = train(command(options, run), folder)
        time.sleep(rng.uniform(0.0, max_delay))
        process.kill()
        code = process.wait()
        report.kills += 1
        assert code in (0, -9), f"the run failed by itself (exit code {code})"
        checkpoint = run / "checkpoint.safetensors"
        if checkpoint.exists():
            saved = load_checkpoint(checkpoint)  # intact: a complete file, never half of one
            for name, array in saved["model_state"].items():
                assert np.isfinite(array).all(), f"non-finite {name} in the checkpoint"
            load(checkpoint)  # and usable as a model
            position = (saved["state"]["epoch"], saved["state"]["batches_done"])
            assert position >= last, f"the checkpoint went back from {last} to {position}"
            report.advanced += position > last
            report.checkpoints_checked += 1
            report.positions.append(position)
            last = position
        if code == 0:  # the run reached its end before the kill: check it, and start another
            assert same_weights(run / "model.safetensors", reference), f"{run} ended with other weights"
            report.runs_completed += 1
            report.run, last = folder / f"run-{report.runs_completed}", (0, 0)
    report.temporary_files = sum(1 for _ in folder.glob("run-*/.*.tmp"))
    return report
