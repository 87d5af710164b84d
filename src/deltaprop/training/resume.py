"""Resuming a run: what a checkpoint must hold before anything is restored, and what a resumed
run may not change (the batch size inside an epoch, the optimizer, the validation split, the
sample weights). The checkpoint itself is written and read by :class:`~.trainer.Trainer`.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ModelFileError


def check_resume_state(state, path) -> None:
    """The fields the loop needs before it can restore anything, checked (the file is untrusted)."""
    if not isinstance(state, dict):
        raise ModelFileError(f"{path}: the checkpoint holds no training state")
    for key in ("seed", "epoch", "batches_done"):
        value = state.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ModelFileError(f"{path}: the checkpoint's {key!r} must be a non-negative integer, got {value!r}")
    running = state.get("running")
    if state["batches_done"] and not (
        isinstance(running, dict)
        and isinstance(running.get("loss"), (int, float)) and isinstance(running.get("count"), int)
        # the metrics' running values, or (a checkpoint from before they ran) the epoch's outputs so far
        and (isinstance(running.get("metrics"), dict) if "metrics" in running else
             all(running.get(key) is None or isinstance(running.get(key), np.ndarray) for key in ("outputs", "labels")))
    ):
        raise ModelFileError(f"{path}: the checkpoint stopped inside an epoch but its running totals are malformed")
    if state.get("stopped") is not None and not isinstance(state["stopped"], str):
        raise ModelFileError(f"{path}: the checkpoint's reason for stopping is not text")
    if state.get("batch_size") is not None and (isinstance(state["batch_size"], bool) or not isinstance(state["batch_size"], int)):
        raise ModelFileError(f"{path}: the checkpoint's batch size is not an integer")
    if state.get("sample_weight_sha256") is not None and not isinstance(state["sample_weight_sha256"], str):
        raise ModelFileError(f"{path}: the checkpoint's fingerprint of its sample weights is not text")
    seconds = state.get("train_seconds")  # (absent from a checkpoint written before it was recorded)
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
                                or not 0 <= seconds < float("inf")):
        raise ModelFileError(f"{path}: the checkpoint's training time must be a non-negative number of seconds, "
                             f"got {seconds!r}")


def check_resume_settings(state, path, epochs: int, batch_size: int, optimizer, validation_split: float,
                           weights_digest: str | None) -> None:
    """What a resumed run cannot change and still continue the run it resumes."""
    finished = state["epoch"] - 1 if state["batches_done"] else state["epoch"]
    if epochs < finished:
        raise ConfigError(f"fit: epochs={epochs}, but the checkpoint {path} has finished {finished} epochs already; "
                          f"give at least as many")
    saved_batch = state.get("batch_size")
    if state["batches_done"] and saved_batch is not None and saved_batch != batch_size:
        raise ConfigError(
            f"fit: the checkpoint {path} was written part-way through epoch {state['epoch']} with batch_size={saved_batch}; "
            f"resume it with that batch size (with batch_size={batch_size} its {state['batches_done']} batches done "
            f"would be other samples)")
    if "validation_split" in state:
        if state["validation_split"] != validation_split:
            raise ConfigError(f"fit: the checkpoint {path} was trained with validation_split={state['validation_split']}, "
                              f"this run asks for {validation_split}; resume with the same split")
    elif validation_split:
        raise ConfigError(f"fit: the checkpoint {path} comes from a deltaprop that drew validation_split's rows at "
                          f"random; it now takes the last rows, so the resumed run would train on other rows: pass "
                          f"the validation rows as validation_data, or start a new run")
    saved_class = state.get("optimizer_class")
    if saved_class is not None and saved_class != type(optimizer).__name__:
        raise ConfigError(f"fit: the checkpoint {path} was trained with {saved_class}, this run's optimizer is "
                          f"{type(optimizer).__name__}; resume with the same optimizer")
    # A checkpoint from before sample weights existed was trained without them.
    saved_digest = state.get("sample_weight_sha256")
    if saved_digest != weights_digest:
        if saved_digest is None:
            what = "was trained without sample weights, this run gives sample_weight or class_weight"
        elif weights_digest is None:
            what = "was trained with sample weights (sample_weight or class_weight), this run gives none"
        else:
            what = "was trained with other sample weights (sample_weight times class_weight) than this run's"
        raise ConfigError(f"fit: the checkpoint {path} {what}; resume with the same weights")


def encode_sums(sums):
    """The running sums of an epoch under way, as a checkpoint stores them."""
    if sums is None:
        return None
    return {"loss": sums["loss"], "count": sums["count"], "metrics": sums["metrics"].state_dict()}


def decode_sums(encoded, running):
    """The running sums back from a checkpoint, the metrics' into ``running`` (fresh accumulators).
    A checkpoint written before metrics ran batch by batch holds the epoch's outputs and targets
    so far instead, which the accumulators take as one batch."""
    if "metrics" in encoded:
        running.load_state_dict(encoded["metrics"])
    elif encoded.get("outputs") is not None:
        running.update(encoded["outputs"], encoded["labels"])
    return {"loss": encoded["loss"], "count": encoded["count"], "metrics": running}
