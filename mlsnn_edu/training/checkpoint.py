"""Checkpoints that survive a crash and never run code, and a lock that keeps two runs apart.

A checkpoint is one ``torch.save`` file holding plain data and tensors only:
the run's config, epoch, model, optimizer and scheduler state, every random
generator's state and the history. It is written atomically (a run killed
while writing leaves the previous checkpoint intact) and read with
``torch.load(weights_only=True)``, which refuses any pickled object that could
run code.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import socket
import time
from pathlib import Path

import numpy as np
import torch

from mlsnn_edu.files import write_atomically

CHECKPOINT_FORMAT = "mlsnn-edu-checkpoint-1"
CHECKPOINT_NAME = "checkpoint.pt"
LOCK_NAME = ".run.lock"
#: Fields that fix the network and its data: a checkpoint resumes only under the same values.
IDENTITY_FIELDS = (
    "model",
    "dataset",
    "timesteps",
    "levels",
    "width",
    "model_options",
    "resolution",
)
#: Fields that fix the order of the data and the optimizer's state: they cannot change on resume.
RESUME_FIXED_FIELDS = ("optimizer", "batch_size", "train_subset", "seed")
#: What a checkpoint must hold, and the type of each entry.
CHECKPOINT_ENTRIES = {
    "config": (dict, "a mapping"),
    "epoch": (int, "an integer"),
    "model": (dict, "a mapping"),
    "optimizer": (dict, "a mapping"),
    "scheduler": (dict, "a mapping"),
    "rng": (dict, "a mapping"),
    "history": (list, "a list"),
}


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read or does not belong to this configuration."""


def rng_state() -> dict:
    """Every random generator a run draws from, as ``torch.load(weights_only=True)`` reads it."""
    kind, keys, position, has_gauss, cached = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached],
        "torch": torch.get_rng_state(),
        # only when this process uses a GPU: asking would start CUDA on every GPU machine
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else [],
    }


def set_rng_state(state: dict) -> None:
    """Restore what :func:`rng_state` saved."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, position, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        # a machine with fewer GPUs than the one that saved restores those it has
        for index, generator in enumerate(state["cuda"][: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(generator, index)


def save_checkpoint(path: str | Path, payload: dict) -> None:
    """Write ``payload`` atomically to ``path``, tagged with :data:`CHECKPOINT_FORMAT`."""
    write_atomically(
        path, lambda temporary: torch.save({"format": CHECKPOINT_FORMAT, **payload}, temporary)
    )


def load_checkpoint(path: str | Path) -> dict:
    """Read and check a checkpoint: tensors and plain data only, every entry of the right type."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(
            f"{path} is a folder: give the checkpoint file ({path / CHECKPOINT_NAME}?)"
        )
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path} is empty (0 bytes): delete it, or point out_dir elsewhere")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # zip, pickle and EOF errors all mean the same here
        # PyTorch's own message suggests weights_only=False: never repeat that advice for
        # a file of unknown origin, since loading a pickle can run any code.
        if "Unsupported global" in str(error) or "weights_only" in str(error):
            reason = (
                "it holds Python objects other than tensors and plain data, which could run code"
            )
        else:
            reason = f"truncated or corrupt ({type(error).__name__})"
        raise CheckpointError(
            f"{path} is not a readable mlsnn-edu checkpoint: {reason}. It was not loaded; "
            "delete it to start again, or point out_dir elsewhere."
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path} is not an mlsnn-edu checkpoint (expected format {CHECKPOINT_FORMAT!r})"
        )
    for entry, (kind, described) in CHECKPOINT_ENTRIES.items():
        if not isinstance(payload.get(entry), kind):
            found = "missing" if entry not in payload else f"a {type(payload[entry]).__name__}"
            raise CheckpointError(
                f"{path} is damaged: its {entry!r} entry should be {described}, but is {found}"
            )
    return payload


def check_same_identity(saved: dict, current: dict, path: Path) -> None:
    """Refuse to resume a checkpoint written for another network, dataset or data order."""
    advice = {
        IDENTITY_FIELDS: "it belongs to another run. Use another out_dir, or resume=false "
        "to overwrite it.",
        RESUME_FIXED_FIELDS: "the optimizer's state and the order of the data depend on "
        "them. Keep the saved values, or start a new run (another out_dir, or resume=false).",
    }
    for fields, why in advice.items():
        differing = [name for name in fields if saved.get(name) != current[name]]
        if differing:
            details = ", ".join(
                f"{n}: {saved.get(n)!r} there, {current[n]!r} here" for n in differing
            )
            raise CheckpointError(
                f"cannot resume {path} with a different {' / '.join(differing)} ({details}): {why}"
            )


class RunLock:
    """An exclusive lock on a run folder, held while a run writes into it.

    The lock is ``flock`` on ``out_dir/.run.lock``: the system releases it when
    the process ends, however it ends, so a killed run never leaves a stale
    lock. The file records who holds it, for the message the next run gets.
    """

    def __init__(self, folder: str | Path) -> None:
        self.path = Path(folder) / LOCK_NAME
        self._handle = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise CheckpointError(
                f"{self.path.parent} is in use by another training run ({holder}); wait for "
                "it to finish, or give this run another out_dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.ctime()}
        handle.write(json.dumps(holder))
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
