"""Kill ``deltaprop train`` with SIGKILL at hundreds of random moments, resuming after each kill.

    python scripts/stress_kill_resume.py --kills 300

The run (a 300-row CSV, batches of 8, dropout, 60 epochs) is first trained without interruption;
then the same run is started, killed after a random delay, checked and resumed from its checkpoint,
again and again. After every kill the checkpoint must load (as a checkpoint and as a model), hold
finite weights and stand at or after where it stood before. Every run that reaches its end must
have weights bitwise equal to the uninterrupted run's; the kills then go on with a new run. The
loop lives in tests/reliability/killing.py, shared with the test suite (which kills 20 times).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

from killing import command, kill_at_random, same_weights  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=200, help="how many times to kill the run (default 200)")
    parser.add_argument("--epochs", type=int, default=60, help="epochs of the run (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random delays (default 0)")
    args = parser.parse_args()
    from deltaprop.serialization import load

    folder = Path(tempfile.mkdtemp(prefix="deltaprop-kill-"))
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4)).round(4)
    labels = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    data = folder / "long.csv"
    data.write_text("a,b,c,d,label\n" + "".join(f"{','.join(map(str, row))},{label}\n" for row, label in zip(X, labels)))
    options = [data, "--hidden", "16", "--dropout", "0.1", "--batch-size", "8", "--epochs", args.epochs, "--seed", "3"]

    started = time.perf_counter()
    reference = subprocess.run([sys.executable, "-m", "deltaprop", "train", *map(str, options), "--out",
                                str(folder / "reference"), "--quiet"], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    assert reference.returncode == 0, reference.stderr
    print(f"uninterrupted run: {seconds:.1f} s")

    expected = load(folder / "reference" / "model.safetensors").state_dict()
    started = time.perf_counter()
    report = kill_at_random(options, folder, args.kills, max_delay=seconds, rng=random.Random(args.seed),
                            reference=expected)
    finished = subprocess.run([sys.executable, "-m", "deltaprop", "train", *map(str, command(options, report.run))],
                              cwd=folder, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    equal = same_weights(report.run / "model.safetensors", expected)
    print(f"{report.kills} kills in {time.perf_counter() - started:.0f} s")
    print(f"checkpoint checked after {report.checkpoints_checked} kills (the others came before the first "
          f"epoch ended): always whole, loadable, finite and never behind; it had moved on after {report.advanced}")
    print(f"runs that reached their end between kills: {report.runs_completed}, each bitwise equal to the "
          f"uninterrupted run")
    print(f"temporary files left by kills during a write: {report.temporary_files}")
    print(f"last run, finished after the last kill: bitwise equal {equal}, same results printed "
          f"{finished.stdout == reference.stdout}")
    return 0 if equal and finished.stdout == reference.stdout else 1


if __name__ == "__main__":
    sys.exit(main())
