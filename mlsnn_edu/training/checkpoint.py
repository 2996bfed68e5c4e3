"""Checkpoints that survive a crash and never run code.

A checkpoint is one ``torch.save`` file holding plain data and tensors only:
the run's config, epoch, model, optimizer and scheduler state, every random
generator's state and the history. It is written atomically (a run killed
while writing leaves the previous checkpoint intact) and read with
``torch.load(weights_only=True)``, which refuses any pickled object that could
run code.

A checkpoint also records the architecture of its network
(:func:`architecture_of`): the model's name, T, N, width, options, classes and
input channels, and a digest of its layers (:func:`structure_digest`). Loading
checks it, so the weights of a Sparse-ResNet18 never load into a SEW-ResNet18,
whose parameters have the same names and shapes. Checkpoints written before
this entry existed load without that check. It also records ``resumes``: each
time a run was resumed with changed settings, after which epoch and what changed.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mlsnn_edu.checks import first_line
from mlsnn_edu.files import write_atomically

CHECKPOINT_FORMAT = "mlsnn-edu-checkpoint-1"
CHECKPOINT_NAME = "checkpoint.pt"
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
#: The config fields an architecture record repeats (with num_classes, in_channels, structure).
ARCHITECTURE_FIELDS = ("model", "timesteps", "levels", "width", "model_options")
#: The settings of a spiking neuron that a structure digest includes.
NEURON_SETTINGS = ("timesteps", "levels", "theta", "surrogate", "alpha", "ste_mask")
#: What every epoch record of a history holds, and the type of each value.
HISTORY_FIELDS = {
    "epoch": int,
    "train_loss": float,
    "train_accuracy": float,
    "test_loss": float,
    "test_accuracy": float,
    "lr": float,
    "seconds": float,
    "activity": Mapping,
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
    """Write ``payload`` atomically to ``path``, tagged with :data:`CHECKPOINT_FORMAT`.

    A write that fails (a full disk, a quota, a vanished folder) raises a
    :class:`CheckpointError` that says so; the previous checkpoint at ``path``
    is left exactly as it was.
    """
    path = Path(path)
    try:
        write_atomically(
            path, lambda temporary: torch.save({"format": CHECKPOINT_FORMAT, **payload}, temporary)
        )
    except (OSError, RuntimeError) as error:
        reason = getattr(error, "strerror", None) or first_line(error)
        raise CheckpointError(
            f"{path} could not be written ({reason}); the previous checkpoint there, if any, "
            "is unchanged. Free some disk space (or fix the folder) and run again to resume"
        ) from None


def load_checkpoint(path: str | Path, advice: str = "") -> dict:
    """Read and check a checkpoint: tensors and plain data only, every entry of the right type.

    A file that cannot be used raises :class:`CheckpointError` saying why: missing,
    a folder, empty, unreadable (the system's reason), not a PyTorch file or cut
    short, holding pickled objects (never unpickled), or an entry of the wrong type;
    ``advice``, what the caller's user can do about it, ends the message.
    """
    try:
        return _read_checkpoint(Path(path))
    except CheckpointError as error:
        if not advice:
            raise
        raise CheckpointError(f"{error}. {advice}") from None


def _read_checkpoint(path: Path) -> dict:
    if path.is_dir():
        raise CheckpointError(
            f"{path} is a folder: give the checkpoint file ({path / CHECKPOINT_NAME}?)"
        )
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path} is empty (0 bytes): it was not loaded")
    try:
        with path.open("rb") as file:
            payload = torch.load(file, map_location="cpu", weights_only=True)
    except OSError as error:  # the file exists, but the system refuses to read it
        raise CheckpointError(
            f"{path} cannot be read ({error.strerror or error}): check its permissions"
        ) from None
    except Exception as error:  # zip, pickle, decoding and EOF errors all mean the same here
        # PyTorch's own message suggests weights_only=False: never repeat that advice for
        # a file of unknown origin, since loading a pickle can run any code.
        if "Unsupported global" in str(error):
            reason = (
                "it holds Python objects other than tensors and plain data, which could run "
                "code, so it was not unpickled"
            )
        else:
            reason = f"not a PyTorch file, or truncated or corrupt ({type(error).__name__})"
        raise CheckpointError(
            f"{path} is not a readable mlsnn-edu checkpoint: {reason}. It was not loaded"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path} is not an mlsnn-edu checkpoint (expected format {CHECKPOINT_FORMAT!r})"
        )
    for entry, (kind, described) in CHECKPOINT_ENTRIES.items():
        if not isinstance(payload.get(entry), kind) or isinstance(payload.get(entry), bool):
            found = "missing" if entry not in payload else f"a {type(payload[entry]).__name__}"
            raise CheckpointError(
                f"{path} is damaged: its {entry!r} entry should be {described}, but is {found}"
            )
    if "architecture" in payload:
        _check_recorded_architecture(payload, path)
    return payload


# --- the architecture a checkpoint records ----------------------------------------------------


def structure_digest(model: nn.Module) -> str:
    """A digest of every module's name and type, and of each neuron's settings.

    Equal for equal architectures. Only names, class names and the neurons'
    :data:`NEURON_SETTINGS` go in (not PyTorch's printed form of its own layers,
    which changes between versions); parameter shapes are checked on loading.
    """
    lines = []
    for name, module in model.named_modules():
        settings = {key: getattr(module, key) for key in NEURON_SETTINGS if hasattr(module, key)}
        lines.append(f"{name}:{type(module).__name__}:{sorted(settings.items())}")
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:32]


def architecture_of(model: nn.Module, config: dict, num_classes: int, in_channels: int) -> dict:
    """What a checkpoint records of its network (see the module's docstring)."""
    return {
        **{name: config[name] for name in ARCHITECTURE_FIELDS},
        "num_classes": num_classes,
        "in_channels": in_channels,
        "structure": structure_digest(model),
    }


def describe_architecture(architecture: Mapping) -> str:
    """``"sparse_resnet18 [T=1, N=4, width 8]"``, from a record or a config."""
    return (
        f"{architecture.get('model')} [T={architecture.get('timesteps')}, "
        f"N={architecture.get('levels')}, width {architecture.get('width')}]"
    )


def _check_recorded_architecture(payload: dict, path: Path) -> None:
    """The recorded architecture must be a mapping that agrees with the saved config."""
    recorded, config = payload["architecture"], payload["config"]
    if not isinstance(recorded, dict) or not isinstance(recorded.get("structure"), str):
        raise CheckpointError(
            f"{path} is damaged: its 'architecture' entry should be a mapping with a "
            f"'structure' digest, but is {recorded!r:.80}"
        )
    differing = [n for n in ARCHITECTURE_FIELDS if recorded.get(n) != config.get(n)]
    if differing:
        details = ", ".join(
            f"{n}: {recorded.get(n)!r} saved, {config.get(n)!r} in its config" for n in differing
        )
        raise CheckpointError(
            f"{path}: its weights belong to {describe_architecture(recorded)}, but its config "
            f"was changed ({details}); restore the config, or train the new network from scratch"
        )


def check_architecture(payload: dict, model: nn.Module, path: Path) -> None:
    """Refuse to load ``payload``'s weights into ``model`` unless it is the recorded network."""
    recorded = payload.get("architecture")
    if recorded is None:
        return  # written before architectures were recorded: only names and shapes are checked
    if recorded["structure"] != structure_digest(model):
        raise CheckpointError(
            f"{path} holds the weights of {describe_architecture(recorded)} (options "
            f"{recorded.get('model_options')}), and this {type(model).__name__} is built "
            "differently (another model, T, N, width or option): build the network the "
            "checkpoint records, e.g. with mlsnn_edu.training.load_trained"
        )


def weights_mismatch(model: nn.Module, state: Mapping[str, object]) -> str:
    """How the saved ``state`` fails to fit ``model``: missing, unexpected and mis-shaped entries.

    Empty when every name and shape agrees. At most three of each kind are named,
    shapes as ``[out, in, kh, kw]``.
    """
    expected = model.state_dict()
    problems = []
    for label, names in (
        ("missing", [n for n in expected if n not in state]),
        ("unexpected", [n for n in state if n not in expected]),
    ):
        if names:
            more = f" and {len(names) - 3} more" if len(names) > 3 else ""
            problems.append(f"{label} {', '.join(map(str, names[:3]))}{more}")
    shapes = [
        f"{name} {list(getattr(state[name], 'shape', ['not a tensor']))} saved, "
        f"{list(tensor.shape)} here"
        for name, tensor in expected.items()
        if name in state and getattr(state[name], "shape", None) != tensor.shape
    ]
    if shapes:
        more = f" and {len(shapes) - 3} more" if len(shapes) > 3 else ""
        problems.append(f"shapes differ: {'; '.join(shapes[:3])}{more}")
    return "; ".join(problems)


def load_model_weights(model: nn.Module, payload: dict, path: Path, label: str) -> None:
    """Load ``payload``'s weights into ``model`` after every check: architecture, finite, fit."""
    check_architecture(payload, model, path)
    check_finite_weights(payload["model"], path)
    mismatch = weights_mismatch(model, payload["model"])
    if mismatch:
        raise CheckpointError(f"{path}: the saved weights do not fit {label}: {mismatch}")
    try:
        model.load_state_dict(payload["model"])
    except (RuntimeError, TypeError, AttributeError, ValueError) as error:
        raise CheckpointError(
            f"{path}: the saved weights do not fit {label}: {first_line(error)}"
        ) from None


def non_finite_entries(state: Mapping[str, torch.Tensor]) -> list[str]:
    """Names of the floating-point tensors of ``state`` holding NaN or infinite values."""
    return [
        name
        for name, tensor in state.items()
        if isinstance(tensor, torch.Tensor)
        and tensor.is_floating_point()
        and not torch.isfinite(tensor).all()
    ]


def check_finite_weights(state: Mapping[str, torch.Tensor], path: Path) -> None:
    """Refuse the weights of a run that diverged (NaN or infinite values)."""
    broken = non_finite_entries(state)
    if broken:
        shown = ", ".join(broken[:3]) + (f" and {len(broken) - 3} more" if len(broken) > 3 else "")
        raise CheckpointError(
            f"{path} holds non-finite weights ({len(broken)} tensor(s): {shown}): the run it "
            "comes from diverged. Use an earlier checkpoint, or train again with a smaller lr"
        )


# --- what resuming needs beyond the weights ----------------------------------------------------


def check_resumable(payload: dict, path: Path) -> None:
    """Check the entries a resumed run reads besides the weights: the history and RNG states.

    A hand-edited history or random state is named here, before any training,
    rather than as a traceback after the next epoch.
    """
    epoch = payload["epoch"]
    if epoch < 0:
        raise CheckpointError(f"{path} is damaged: its 'epoch' entry is {epoch}, not >= 0")
    _check_history(payload["history"], epoch, path)
    _check_rng(payload["rng"], path)


def _check_history(history: list, epoch: int, path: Path) -> None:
    if len(history) != epoch:
        raise CheckpointError(
            f"{path} is damaged: its 'history' holds {len(history)} epoch record(s) but it was "
            f"saved after epoch {epoch}; restore it, or start a new run (another out_dir)"
        )
    for number, record in enumerate(history, start=1):
        where = f"{path} is damaged: 'history' record {number}"
        if not isinstance(record, Mapping):
            raise CheckpointError(f"{where} should be a mapping, but is {record!r:.60}")
        for name, kind in HISTORY_FIELDS.items():
            value = record.get(name)
            number_ok = kind is float and isinstance(value, (int, float))
            if isinstance(value, bool) or not (number_ok or isinstance(value, kind)):
                raise CheckpointError(f"{where} has {name}={value!r:.60}, not a {kind.__name__}")
            if kind is float and not math.isfinite(value):
                raise CheckpointError(f"{where} has {name}={value!r}, not a finite number")
        if record["epoch"] != number:
            raise CheckpointError(f"{where} says epoch {record['epoch']}, expected {number}")


def _check_rng(state: dict, path: Path) -> None:
    """The saved random states must be what :func:`set_rng_state` restores."""
    try:
        version, internal, gauss = state["python"]
        random.Random().setstate((version, tuple(internal), gauss))
        kind, keys, position, has_gauss, cached = state["numpy"]
        np.random.RandomState().set_state(
            (kind, keys.numpy().astype(np.uint32), position, has_gauss, cached)
        )
        generator = torch.Generator()
        generator.set_state(state["torch"])
        if not isinstance(state["cuda"], list) or not all(
            isinstance(s, torch.Tensor) and s.dtype == torch.uint8 for s in state["cuda"]
        ):
            raise TypeError("cuda states must be a list of byte tensors")
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as error:
        raise CheckpointError(
            f"{path} is damaged: its 'rng' entry (the random generators' states) cannot be "
            f"restored ({first_line(error)}); restore it, or start a new run (another out_dir)"
        ) from None


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
