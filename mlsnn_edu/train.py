r"""Training: one epoch, evaluation, and the :class:`Trainer` built around them.

The loss is the cross-entropy of the logits (averaged over the T timesteps by
the model itself):

.. math::

    \mathcal{L} = -\frac{1}{B} \sum_{b} \log \operatorname{softmax}(y_b)_{c_b}

Inputs from a loader are either static images ``[B, C, H, W]`` (the model
repeats them T times: direct encoding) or event frames ``[B, T, C, H, W]``,
which :func:`model_input` turns into the ``[T, B, C, H, W]`` the models take.
"""

from __future__ import annotations

import copy
import csv
import functools
import json
import math
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Subset
from torch.utils.data.distributed import DistributedSampler
from tqdm import tqdm  # not tqdm.auto: its asyncio variant iterates a loader twice

from mlsnn_edu._checks import check_choice, check_levels, check_timesteps
from mlsnn_edu.settings import default_device, seed_everything


@dataclass
class EpochStats:
    """Mean loss and accuracy (fraction in [0, 1]) over one pass through a loader."""

    loss: float
    accuracy: float


class NonFiniteLossError(RuntimeError):
    """The loss became NaN or infinite: training stops instead of learning from garbage."""


def model_input(x: torch.Tensor) -> torch.Tensor:
    """Loader batch -> model input: event frames ``[B, T, ...]`` become ``[T, B, ...]``."""
    return x.transpose(0, 1) if x.dim() == 5 else x


def _device_of(model: nn.Module, device: torch.device | str | None) -> torch.device:
    if device is not None:
        return torch.device(device)
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def train_epoch(
    model: nn.Module,
    loader: Iterable,
    optimizer: torch.optim.Optimizer,
    *,
    device: torch.device | str | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    on_step: Callable[[int, nn.Module], None] | None = None,
    progress: bool = True,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    autocast_dtype: torch.dtype | None = None,
    description: str = "train",
) -> EpochStats:
    """One pass over ``loader`` with an optimizer step per batch.

    ``on_step(step_index, model)`` runs after ``loss.backward()`` and before
    ``optimizer.step()``, so it can read the gradients. ``scheduler`` (if any)
    steps after every optimizer step. ``autocast_dtype`` (e.g. ``torch.bfloat16``
    on a GPU) turns on mixed precision. Raises :class:`NonFiniteLossError` when
    the loss stops being finite.
    """
    device = _device_of(model, device)
    loss_fn = loss_fn or nn.functional.cross_entropy
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    bar = tqdm(loader, desc=description, disable=not progress, leave=False)
    for step, (x, y) in enumerate(bar):
        x, y = model_input(x.to(device, non_blocking=True)), y.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            logits = model(x)
            loss = loss_fn(logits.float(), y)
        if not torch.isfinite(loss):
            raise NonFiniteLossError(
                f"the loss became {loss.item()} at step {step} of this epoch; training stopped. "
                "Lower the learning rate, check the input normalisation, or resume from the "
                "last checkpoint with a smaller lr."
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if on_step is not None:
            on_step(step, model)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        batch = y.shape[0]
        total_loss += loss.item() * batch
        correct += (logits.argmax(dim=1) == y).sum().item()
        seen += batch
        bar.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{correct / seen:.3f}")
    return EpochStats(loss=total_loss / max(seen, 1), accuracy=correct / max(seen, 1))


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: Iterable,
    *,
    device: torch.device | str | None = None,
    autocast_dtype: torch.dtype | None = None,
) -> EpochStats:
    """Mean cross-entropy and accuracy over ``loader``, in eval mode, without gradients."""
    device = _device_of(model, device)
    was_training = model.training
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    for x, y in loader:
        x, y = model_input(x.to(device, non_blocking=True)), y.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            logits = model(x).float()
        total_loss += nn.functional.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(dim=1) == y).sum().item()
        seen += y.shape[0]
    model.train(was_training)
    return EpochStats(loss=total_loss / max(seen, 1), accuracy=correct / max(seen, 1))


# --- the Trainer: configuration, checkpoints, resume, DDP, logs ------------------------------

OPTIMIZERS = ("sgd", "adam")
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


@dataclass
class TrainConfig:
    """Everything one training run needs; a YAML file in ``configs/`` holds one of these.

    ``batch_size`` is the global batch: under ``torchrun`` each of the W processes
    takes ``batch_size / W`` samples per step. ``timesteps`` is T: repetitions
    of a static image (direct encoding) or, for event data, the number of frames.
    ``amp`` (bf16 autocast) and ``channels_last`` take effect on a GPU only.
    ``train_subset`` keeps the first n training samples (quick experiments);
    ``activity_samples`` is how many test samples the per-epoch activity
    measurement sees; ``resume`` continues from ``out_dir/checkpoint.pt`` when
    it exists; ``assumptions`` lists what a config chose where the paper is silent.
    """

    model: str = "sparse_resnet18"
    dataset: str = "digits"
    timesteps: int = 1
    levels: int = 4
    width: int = 16
    model_options: dict = field(default_factory=dict)
    epochs: int = 4
    batch_size: int = 64
    optimizer: str = "sgd"
    lr: float = 0.08
    momentum: float = 0.9
    weight_decay: float = 5e-4
    label_smoothing: float = 0.0
    seed: int = 0
    out_dir: str = "runs/quick"
    data_root: str = "data"
    download: bool = False
    resolution: int = 32
    train_subset: int | None = None
    num_workers: int = 0
    amp: bool = True
    channels_last: bool = True
    activity_samples: int = 256
    resume: bool = True
    progress: bool = True
    description: str = ""
    assumptions: list = field(default_factory=list)

    def __post_init__(self) -> None:
        check_choice(self.optimizer, OPTIMIZERS, "optimizer")
        check_timesteps(self.timesteps)
        check_levels(self.levels)
        for name in ("epochs", "batch_size", "width", "resolution", "activity_samples"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr (learning rate) must be a finite number > 0, got {self.lr!r}")
        if not 0.0 <= float(self.label_smoothing) < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing!r}")

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """Build from a mapping, refusing unknown keys (typos would otherwise be ignored)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"unknown config key(s) {', '.join(unknown)}; "
                f"known keys: {', '.join(sorted(known))}"
            )
        return cls(**values)

    @classmethod
    def from_yaml(cls, path: str | Path, overrides: Iterable[str] = ()) -> TrainConfig:
        """Read a YAML config, then apply ``key=value`` overrides (values parsed as YAML)."""
        import yaml

        with open(path, encoding="utf-8") as handle:
            values = yaml.safe_load(handle) or {}
        return cls.from_dict(apply_overrides(values, overrides))

    def to_dict(self) -> dict:
        return asdict(self)


def apply_overrides(values: dict, overrides: Iterable[str]) -> dict:
    """``["epochs=2", "model_options.alpha=3"]`` applied to a copy of ``values``."""
    import yaml

    values = copy.deepcopy(values)
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ValueError(f"override must look like key=value, got {item!r}")
        *parents, leaf = key.strip().split(".")
        target = values
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = yaml.safe_load(text)
    return values


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read or does not belong to this configuration."""


def rng_state() -> dict:
    """Every random generator a run draws from, as ``torch.load(weights_only=True)`` reads it."""
    kind, keys, position, has_gauss, cached = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(state: dict) -> None:
    """Restore what :func:`rng_state` saved."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, position, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: str | Path, payload: dict) -> None:
    """Write atomically: to a temporary file in the same folder, then rename over ``path``.

    A run killed while writing leaves the previous checkpoint intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(handle)
    try:
        torch.save({"format": CHECKPOINT_FORMAT, **payload}, temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint with ``torch.load(weights_only=True)``: tensors and plain data only."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # zip, pickle and EOF errors all mean the same here
        raise CheckpointError(
            f"{path} is not a readable checkpoint (truncated or corrupt: {error}). "
            "Delete it to start again, or point out_dir elsewhere."
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path} is not an mlsnn-edu checkpoint (expected format {CHECKPOINT_FORMAT!r})"
        )
    return payload


def check_same_identity(saved: dict, config: TrainConfig, path: Path) -> None:
    """Refuse to resume a checkpoint written for another network or dataset."""
    current = config.to_dict()
    differing = [name for name in IDENTITY_FIELDS if saved.get(name) != current[name]]
    if differing:
        details = ", ".join(f"{n}: {saved.get(n)!r} there, {current[n]!r} here" for n in differing)
        raise CheckpointError(
            f"the checkpoint {path} belongs to another run ({details}). "
            "Use another out_dir, or resume=false to overwrite it."
        )


@dataclass
class Distributed:
    """Where this process stands under ``torchrun`` (rank 0 of 1 when started plainly)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_environment(cls) -> Distributed:
        """Read ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``, which ``torchrun`` sets."""
        return cls(
            rank=int(os.environ.get("RANK", 0)),
            world_size=int(os.environ.get("WORLD_SIZE", 1)),
            local_rank=int(os.environ.get("LOCAL_RANK", 0)),
        )


def build_network(config: TrainConfig) -> nn.Module:
    """The network ``config`` describes, sized for its dataset (classes, input channels)."""
    from mlsnn_edu.data import DATASET_SHAPES
    from mlsnn_edu.models import build_model

    check_choice(config.dataset, tuple(DATASET_SHAPES), "dataset")
    num_classes, in_channels = DATASET_SHAPES[config.dataset]
    return build_model(
        config.model,
        num_classes=num_classes,
        timesteps=config.timesteps,
        levels=config.levels,
        width=config.width,
        in_channels=in_channels,
        **config.model_options,
    )


def load_trained(
    path: str | Path, device: torch.device | str = "cpu"
) -> tuple[nn.Module, TrainConfig]:
    """The network saved in the checkpoint at ``path`` (in eval mode) and its configuration."""
    path = Path(path)
    payload = load_checkpoint(path)
    config = TrainConfig.from_dict(payload["config"])
    model = build_network(config)
    try:
        model.load_state_dict(payload["model"])
    except RuntimeError as error:
        raise CheckpointError(f"{path} does not fit {config.model}: {error}") from None
    return model.to(device).eval(), config


class Trainer:
    """Train ``config.model`` on ``config.dataset``; checkpoint every epoch; resume by itself.

    Started under ``torchrun`` it joins the process group (NCCL on GPUs, gloo on
    CPUs), wraps the model in ``DistributedDataParallel`` and gives each process
    its share of every epoch; only rank 0 writes checkpoints and logs. Use
    :func:`fit` for the whole run in one call.
    """

    def __init__(self, config: TrainConfig, device: torch.device | str | None = None) -> None:
        from mlsnn_edu.data import build_datasets

        self.config = config
        self.dist = Distributed.from_environment()
        if device is None:
            device = default_device()
            if device.type == "cuda" and self.dist.enabled:
                device = torch.device("cuda", self.dist.local_rank)
        self.device = torch.device(device)
        if self.dist.enabled and not torch.distributed.is_initialized():
            if self.device.type == "cuda":
                torch.cuda.set_device(self.device)
            backend = "nccl" if self.device.type == "cuda" else "gloo"
            torch.distributed.init_process_group(backend=backend)
        if config.batch_size % self.dist.world_size:
            raise ValueError(
                f"batch_size ({config.batch_size}) must be divisible by the number of "
                f"processes ({self.dist.world_size})"
            )
        seed_everything(config.seed)
        self.model = build_network(config).to(self.device)
        if self.dist.enabled and not self.dist.is_main:
            torch.distributed.barrier()  # wait while rank 0 downloads, if asked to
        self.data = build_datasets(
            config.dataset,
            root=config.data_root,
            download=config.download and self.dist.is_main,
            timesteps=config.timesteps,
            resolution=config.resolution,
            seed=config.seed,
        )
        if self.dist.enabled and self.dist.is_main:
            torch.distributed.barrier()
        on_gpu = self.device.type == "cuda"
        if on_gpu and config.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.autocast_dtype = torch.bfloat16 if on_gpu and config.amp else None
        self.network = self.model
        if self.dist.enabled:
            ids = [self.device.index] if on_gpu else None
            self.network = nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        self.train_loader, self.test_loader = self._loaders()
        self.optimizer = self._optimizer()
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
            self.optimizer, T_max=config.epochs * len(self.train_loader)
        )
        self.epoch = 0
        self.history: list[dict] = []
        self.out_dir = Path(config.out_dir)
        self.checkpoint_path = self.out_dir / CHECKPOINT_NAME

    def _loaders(self) -> tuple[DataLoader, DataLoader]:
        config, dist = self.config, self.dist
        train = self.data.train
        if config.train_subset is not None:
            train = Subset(train, range(min(config.train_subset, len(train))))
        # the order of each epoch depends only on (seed, epoch): resuming replays it exactly
        self.sampler = DistributedSampler(
            train, num_replicas=dist.world_size, rank=dist.rank, shuffle=True, seed=config.seed
        )
        pin = self.device.type == "cuda"
        per_process = config.batch_size // dist.world_size
        train_loader = DataLoader(
            train,
            per_process,
            sampler=self.sampler,
            num_workers=config.num_workers,
            pin_memory=pin,
            drop_last=False,
        )
        test_loader = DataLoader(
            self.data.test,
            per_process,
            shuffle=False,
            num_workers=config.num_workers,
            pin_memory=pin,
        )
        return train_loader, test_loader

    def _optimizer(self) -> torch.optim.Optimizer:
        config = self.config
        if config.optimizer == "sgd":
            return torch.optim.SGD(
                self.model.parameters(),
                lr=config.lr,
                momentum=config.momentum,
                weight_decay=config.weight_decay,
            )
        return torch.optim.Adam(
            self.model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )

    # -- checkpoints --------------------------------------------------------------------------

    def state(self) -> dict:
        """What a checkpoint holds: enough to continue as if nothing had happened."""
        return {
            "config": self.config.to_dict(),
            "epoch": self.epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "rng": rng_state(),
            "history": self.history,
        }

    def save(self) -> None:
        if self.dist.is_main:
            save_checkpoint(self.checkpoint_path, self.state())

    def load(self, path: str | Path) -> None:
        """Continue from the checkpoint at ``path`` (model, optimizer, schedule, epoch, RNG)."""
        path = Path(path)
        payload = load_checkpoint(path)
        check_same_identity(payload["config"], self.config, path)
        try:
            self.model.load_state_dict(payload["model"])
            self.optimizer.load_state_dict(payload["optimizer"])
            self.scheduler.load_state_dict(payload["scheduler"])
        except (RuntimeError, ValueError, KeyError) as error:
            raise CheckpointError(f"{path} does not fit this model: {error}") from None
        self.epoch = int(payload["epoch"])
        self.history = list(payload["history"])
        set_rng_state(payload["rng"])

    # -- the run ------------------------------------------------------------------------------

    def fit(self, on_epoch: Callable[[int, dict], None] | None = None) -> list[dict]:
        """Train until ``config.epochs``; returns one record per epoch.

        Resumes from ``out_dir/checkpoint.pt`` when it exists and
        ``config.resume`` is true. ``on_epoch(epoch, record)`` runs after each
        epoch's checkpoint is written.
        """
        config = self.config
        if config.resume and self.checkpoint_path.exists():
            self.load(self.checkpoint_path)
            self._say(f"resuming {self.checkpoint_path} after epoch {self.epoch}")
        loss_fn = functools.partial(
            nn.functional.cross_entropy, label_smoothing=config.label_smoothing
        )
        while self.epoch < config.epochs:
            label = f"epoch {self.epoch + 1}/{config.epochs}"
            self.sampler.set_epoch(self.epoch)
            start = time.perf_counter()
            try:
                train = train_epoch(
                    self.network,
                    self.train_loader,
                    self.optimizer,
                    device=self.device,
                    scheduler=self.scheduler,
                    progress=config.progress and self.dist.is_main,
                    loss_fn=loss_fn,
                    autocast_dtype=self.autocast_dtype,
                    description=label,
                )
            except NonFiniteLossError as error:
                raise NonFiniteLossError(f"{label}: {error}") from None
            if self.dist.enabled:
                # batch-norm running statistics saw only this rank's batches: take rank 0's
                for buffer in self.model.buffers():
                    torch.distributed.broadcast(buffer, src=0)
            test = evaluate(
                self.model, self.test_loader, device=self.device, autocast_dtype=self.autocast_dtype
            )
            activity = self.measure_activity()
            self.epoch += 1
            record = {
                "epoch": self.epoch,
                "train_loss": train.loss,
                "train_accuracy": train.accuracy,
                "test_loss": test.loss,
                "test_accuracy": test.accuracy,
                "lr": self.optimizer.param_groups[0]["lr"],
                "seconds": time.perf_counter() - start,
                "activity": activity,
            }
            self.history.append(record)
            self.save()
            if self.dist.is_main:
                write_logs(self.history, self.out_dir)
            self._say(
                f"{label}: train loss {train.loss:.3f} acc {train.accuracy:.3f} | "
                f"test loss {test.loss:.3f} acc {test.accuracy:.3f}"
            )
            if on_epoch is not None:
                on_epoch(self.epoch, record)
        return self.history

    @torch.no_grad()
    def measure_activity(self) -> dict[str, dict[str, float]]:
        """Events and mass per sample of every recorded layer, on the first test samples."""
        from mlsnn_edu.monitor import SpikeMonitor

        self.model.eval()
        remaining = self.config.activity_samples
        with SpikeMonitor(self.model) as monitor:
            for x, _ in self.test_loader:
                x = model_input(x[:remaining].to(self.device))
                with torch.autocast(
                    self.device.type,
                    dtype=self.autocast_dtype,
                    enabled=self.autocast_dtype is not None,
                ):
                    self.model(x)
                remaining -= x.shape[1] if x.dim() == 5 else x.shape[0]
                if remaining <= 0:
                    break
        layers = {**monitor.summary(), "total": monitor.total()}
        return {name: {"events": a.events, "mass": a.mass} for name, a in layers.items()}

    def _say(self, message: str) -> None:
        if self.dist.is_main and self.config.progress:
            tqdm.write(message)

    def close(self) -> None:
        """Leave the process group this trainer joined (no-op when not distributed)."""
        if self.dist.enabled and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def fit(config: TrainConfig, on_epoch: Callable[[int, dict], None] | None = None) -> Trainer:
    """Build a :class:`Trainer` for ``config``, train it to the end, and return it."""
    trainer = Trainer(config)
    try:
        trainer.fit(on_epoch=on_epoch)
    finally:
        trainer.close()
    return trainer


# --- logs ------------------------------------------------------------------------------------


def flat_record(record: dict) -> dict:
    """One CSV row: activity becomes columns ``events/<layer>`` and ``mass/<layer>``."""
    row = {key: value for key, value in record.items() if key != "activity"}
    for layer, activity in record.get("activity", {}).items():
        row[f"events/{layer}"] = activity["events"]
        row[f"mass/{layer}"] = activity["mass"]
    return row


def write_logs(history: list[dict], out_dir: str | Path) -> None:
    """``metrics.csv``, ``metrics.json`` and ``metrics.png`` in ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [flat_record(record) for record in history]
    with open(out_dir / "metrics.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (out_dir / "metrics.json").write_text(json.dumps(history, indent=1), encoding="utf-8")
    figure = plot_history(history)
    figure.savefig(out_dir / "metrics.png", dpi=100, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)


def plot_history(history: list[dict]):
    """Loss and accuracy per epoch (train and test) side by side; returns the figure."""
    import matplotlib.pyplot as plt

    epochs = [r["epoch"] for r in history]
    figure, (loss_ax, accuracy_ax) = plt.subplots(1, 2, figsize=(9, 3.2))
    for split in ("train", "test"):
        loss_ax.plot(epochs, [r[f"{split}_loss"] for r in history], marker="o", label=split)
        accuracy_ax.plot(
            epochs, [100 * r[f"{split}_accuracy"] for r in history], marker="o", label=split
        )
    loss_ax.set(title="Cross-entropy loss per epoch", xlabel="epoch", ylabel="loss")
    accuracy_ax.set(title="Accuracy per epoch", xlabel="epoch", ylabel="accuracy (%)")
    for ax in (loss_ax, accuracy_ax):
        ax.legend()
        ax.grid(alpha=0.3)
    figure.tight_layout()
    return figure
