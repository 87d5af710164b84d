"""Coverage-guided fuzzing of the model-file loader with atheris (libFuzzer for Python).

    pip install atheris
    python scripts/atheris_fuzz_model_files.py -max_total_time=600

The corpus starts from valid files (a classifier, a regressor, checkpoints at the end of an epoch
and inside one); libFuzzer mutates them, steered by the coverage of deltaprop's own code. Each input
is loaded as a model, as a checkpoint and as a table model that then predicts: success and
ModelFileError are fine, any other exception is a crash that libFuzzer reports with the input that
caused it. Arguments after the script's own are passed to libFuzzer (-max_total_time, -runs, ...).
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

with atheris.instrument_imports(include=["deltaprop"]):
    import deltaprop.serialization
    import deltaprop.tabular
    from deltaprop.errors import DataError, ModelFileError

import corruption  # noqa: E402

FOLDER = Path(tempfile.mkdtemp(prefix="deltaprop-atheris-"))
ORIGINALS = corruption.make_originals(FOLDER)
INPUT = FOLDER / "input.safetensors"
X = ORIGINALS[0].X


def test_one_input(data: bytes) -> None:
    INPUT.write_bytes(data)
    for load in (deltaprop.serialization.load, deltaprop.serialization.load_checkpoint):
        try:
            load(INPUT)
        except ModelFileError:
            pass
    try:
        model = deltaprop.tabular.TabularModel.load(INPUT)
    except ModelFileError:
        return
    model.predict(X)  # a file that loads must predict on the data it was made for
    if model.task == "classification":
        model.predict_proba(X)
        try:
            model.evaluate(X, ORIGINALS[0].y)
        except DataError:
            pass  # a mutated class name: the original labels are unknown to the file, rightly


def main() -> None:
    warnings.simplefilter("ignore")
    corpus = FOLDER / "corpus"
    corpus.mkdir()
    for original in ORIGINALS:
        (corpus / original.name.replace(" ", "_")).write_bytes(original.data)
    arguments = [sys.argv[0], "-max_len=65536", "-len_control=0", *sys.argv[1:], str(corpus)]
    atheris.Setup(arguments, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
