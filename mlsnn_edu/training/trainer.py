"""The :class:`Trainer`: the loop of :mod:`~mlsnn_edu.training.loop` plus what a real run needs.

* a cosine learning-rate schedule, :math:`\\eta_k = \\eta_0 (1 + \\cos(\\pi k / K)) / 2`
  over the K steps of the run;
* evaluation, activity and a checkpoint after every epoch, logs in ``out_dir``;
* resuming from ``out_dir/checkpoint.pt`` with everything exactly as it was;
* a stop, before anything is saved, when the loss, the test loss or a weight
  stops being finite, or when the run diverges (:func:`divergence`);
* a lock on ``out_dir``, so two runs never write into the same folder, and no
  write through a symbolic link there;
* under ``torchrun``, distributed data parallel training (NCCL on GPUs, gloo on CPUs).

**Divergence.** After every epoch the run stops as it does for a NaN (this
epoch not saved, the last good checkpoint kept) when

* a weight's magnitude exceeds :data:`MAX_WEIGHT` (1e6; trained networks here
  stay below 100, and batch norm hides the size of the weights before it, so a
  finite loss does not prove the weights are sane), or
* the train or test loss exceeds :data:`DIVERGENCE_FACTOR` (10) times the
  reference loss: the first epoch's train loss, or chance level
  :math:`\\ln C` for C classes when that is larger (and during the first epoch).

**Precision.** Networks are built and trained in float32 whatever
``torch.get_default_dtype()`` says: the datasets are float32.

**Changing settings on resume.** ``lr``, ``momentum``, ``weight_decay``,
``label_smoothing`` and ``epochs`` may change when a run is resumed; the new
values apply from the next step on, and the trainer says so on stderr (even
with ``progress=false``) and records it in the checkpoint's ``resumes`` entry:
the epoch it resumed after, what was kept and what changed. The other settings
(``progress``, ``device``, ``amp``, ``activity_samples``...) may change too and
are reported the same way. ``epochs`` below the epochs already trained cannot
be honoured (the run cannot be untrained) and is refused. A new ``lr`` or
``epochs`` rebuilds the cosine schedule as if the run had been planned with
them from the start: training continues from the current step on the new
curve (so extending a finished run raises the learning rate from 0 to the new
curve's value at that step). The network, the dataset, the optimizer, the batch
size, the training subset and the seed cannot change
(:data:`~mlsnn_edu.training.checkpoint.RESUME_FIXED_FIELDS`).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, Subset
from torch.utils.data.distributed import DistributedSampler
from tqdm import tqdm

from mlsnn_edu.checks import check_choice
from mlsnn_edu.data import DATASET_SHAPES, build_datasets
from mlsnn_edu.files import check_output_dir, refuse_links, write_atomically
from mlsnn_edu.models import build_model
from mlsnn_edu.monitor import record_activity
from mlsnn_edu.settings import resolve_device, seed_everything
from mlsnn_edu.training.checkpoint import (
    CHECKPOINT_NAME,
    LOCK_NAME,
    CheckpointError,
    RunLock,
    architecture_of,
    check_architecture,
    check_finite_weights,
    check_resumable,
    check_same_identity,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from mlsnn_edu.training.config import ConfigError, TrainConfig
from mlsnn_edu.training.loop import NonFiniteError, evaluate, train_epoch
from mlsnn_edu.training.resources import check_memory

#: Settings applied to the optimizer's parameter groups when they change on resume.
OPTIMIZER_SETTINGS = ("lr", "momentum", "weight_decay")
#: Divergence: a weight larger than this in magnitude stops the run.
MAX_WEIGHT = 1e6
#: Divergence: a loss this many times the reference loss stops the run.
DIVERGENCE_FACTOR = 10.0
#: The files a run (and ``mlsnn-edu train``) writes into ``out_dir``: plain files or absent.
RUN_FILES = (CHECKPOINT_NAME, LOCK_NAME, "metrics.csv", "metrics.json", "metrics.png")


class DivergenceError(NonFiniteError):
    """The run diverged: weights or losses exploded while still finite. Stops like a NaN."""


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
        """Read ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``, which ``torchrun`` sets.

        Raises ``ValueError`` naming the variable when one is not a whole number
        in its range (``WORLD_SIZE`` >= 1, 0 <= ``RANK`` < ``WORLD_SIZE``, ``LOCAL_RANK`` >= 0).
        """
        world_size = _environment_int("WORLD_SIZE", 1, minimum=1)
        rank = _environment_int("RANK", 0, minimum=0)
        if rank >= world_size:
            raise ValueError(
                f"RANK={rank} must be below WORLD_SIZE={world_size}; torchrun sets both, "
                "unset them to train in one process"
            )
        return cls(rank, world_size, _environment_int("LOCAL_RANK", 0, minimum=0))


def _environment_int(name: str, default: int, *, minimum: int) -> int:
    """The environment variable ``name`` as an integer >= ``minimum`` (``default`` if unset)."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ValueError(
            f"environment variable {name} must be an integer >= {minimum} (torchrun sets it), "
            f"got {text!r}; unset it to train in one process"
        )
    return value


@contextlib.contextmanager
def float32_default():
    """Build modules in float32 whatever the default dtype (the datasets are float32)."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def build_network(config: TrainConfig) -> nn.Module:
    """The network ``config`` describes, sized for its dataset (classes, input channels)."""
    check_choice(config.dataset, tuple(DATASET_SHAPES), "dataset")
    num_classes, in_channels = DATASET_SHAPES[config.dataset]
    with float32_default():
        return build_model(
            config.model,
            num_classes=num_classes,
            timesteps=config.timesteps,
            levels=config.levels,
            width=config.width,
            in_channels=in_channels,
            **config.model_options,
        ).float()


def network_architecture(model: nn.Module, config: TrainConfig) -> dict:
    """The architecture record of ``model``, built from ``config``, for its checkpoint."""
    num_classes, in_channels = DATASET_SHAPES[config.dataset]
    return architecture_of(model, config.to_dict(), num_classes, in_channels)


def load_trained(
    path: str | Path, device: torch.device | str = "cpu"
) -> tuple[nn.Module, TrainConfig]:
    """The network saved in the checkpoint at ``path`` (in eval mode) and its configuration.

    Refuses weights holding NaN or infinite values (a diverged run) and weights
    recorded for another architecture than the checkpoint's config builds.
    """
    path = Path(path)
    payload = load_checkpoint(path)
    try:
        config = TrainConfig.from_dict(payload["config"])
        model = build_network(config)
    except ValueError as error:
        raise CheckpointError(f"{path} holds a config that cannot be used: {error}") from None
    _load_weights(model, payload, path, config.model)
    return model.to(device).eval(), config


def load_weights(model: nn.Module, path: str | Path) -> nn.Module:
    """Load the weights of the checkpoint at ``path`` into ``model``, after checking them.

    ``model`` must be the network the checkpoint records (the same model, T, N,
    width and options): the weights of a Sparse-ResNet18 fit a SEW-ResNet18 by
    name and shape, and are refused here. Non-finite weights are refused too.
    """
    path = Path(path)
    _load_weights(model, load_checkpoint(path), path, type(model).__name__)
    return model


def _load_weights(model: nn.Module, payload: dict, path: Path, label: str) -> None:
    check_architecture(payload, model, path)
    check_finite_weights(payload["model"], path)
    try:
        model.load_state_dict(payload["model"])
    except (RuntimeError, TypeError, AttributeError, ValueError) as error:
        first_line = (
            str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        )
        raise CheckpointError(
            f"{path}: the saved weights do not fit {label}: {first_line}"
        ) from None


def non_finite_tensors(model: nn.Module) -> list[str]:
    """Names of the parameters and buffers of ``model`` holding NaN or infinite values."""
    named = [*model.named_parameters(), *model.named_buffers()]
    return [name for name, t in named if t.is_floating_point() and not torch.isfinite(t).all()]


class Trainer:
    """Train ``config.model`` on ``config.dataset``; checkpoint every epoch; resume by itself.

    Started under ``torchrun`` it joins the process group, wraps the model in
    ``DistributedDataParallel`` and gives each process its share of every
    epoch; only rank 0 writes checkpoints and logs. Use :func:`fit` for the
    whole run in one call.
    """

    def __init__(self, config: TrainConfig, device: torch.device | str | None = None) -> None:
        if not isinstance(config, TrainConfig):
            raise TypeError(
                "Trainer(config): config must be a TrainConfig, e.g. TrainConfig(epochs=2) or "
                f"TrainConfig.from_yaml('configs/....yaml'), got {type(config).__name__} "
                f"{config!r:.60}"
            )
        config.check()  # a config changed since it was built is checked again
        self.config = config
        self._settings = config.to_dict()
        self.dist = Distributed.from_environment()
        self.device = resolve_device(config.device if device is None else device)
        if self.device.type == "cuda" and self.dist.enabled and self.device.index is None:
            self.device = torch.device("cuda", self.dist.local_rank)
        self.out_dir = check_output_dir(config.out_dir, "out_dir")
        self.checkpoint_path = self.out_dir / CHECKPOINT_NAME
        check_run_files(self.out_dir)
        if config.batch_size % self.dist.world_size:
            raise ConfigError(
                f"batch_size ({config.batch_size}) must be divisible by the number of "
                f"processes ({self.dist.world_size})"
            )
        check_memory(config, self.device, config.batch_size // self.dist.world_size)
        if self.dist.enabled and not torch.distributed.is_initialized():
            if self.device.type == "cuda":
                torch.cuda.set_device(self.device)
            backend = "nccl" if self.device.type == "cuda" else "gloo"
            torch.distributed.init_process_group(backend=backend)
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
            self.optimizer, T_max=self.total_steps
        )
        self.epoch = 0
        self.history: list[dict] = []
        self.resumes: list[dict] = []

    @property
    def total_steps(self) -> int:
        """Optimizer steps in the whole run: the length of the cosine schedule."""
        return self.config.epochs * len(self.train_loader)

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
        loader = functools.partial(DataLoader, num_workers=config.num_workers, pin_memory=pin)
        return (
            loader(train, per_process, sampler=self.sampler, drop_last=False),
            loader(self.data.test, per_process, shuffle=False),
        )

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
            "architecture": network_architecture(self.model, self.config),
            "resumes": self.resumes,
        }

    def save(self) -> None:
        if self.dist.is_main:
            save_checkpoint(self.checkpoint_path, self.state())

    def load(self, path: str | Path) -> None:
        """Continue from the checkpoint at ``path`` (model, optimizer, schedule, epoch, RNG)."""
        path = Path(path)
        payload = load_checkpoint(path)
        saved = payload["config"]
        check_same_identity(saved, self.config.to_dict(), path)
        check_resumable(payload, path)
        if self.config.epochs < payload["epoch"]:
            raise CheckpointError(
                f"cannot resume {path} with epochs={self.config.epochs}: it has already "
                f"trained {payload['epoch']} epochs, which cannot be undone. Give epochs >= "
                f"{payload['epoch']}, or start a new run (another out_dir, or resume=false)"
            )
        check_architecture(payload, self.model, path)
        check_finite_weights(payload["model"], path)
        try:
            self.model.load_state_dict(payload["model"])
            self.optimizer.load_state_dict(payload["optimizer"])
            self.scheduler.load_state_dict(payload["scheduler"])
        except (RuntimeError, ValueError, KeyError, TypeError) as error:
            raise CheckpointError(
                f"{path} does not fit this model and optimizer: {error}"
            ) from None
        self.epoch = int(payload["epoch"])
        self.history = list(payload["history"])
        self.resumes = list(payload.get("resumes", []))
        set_rng_state(payload["rng"])
        self._apply_changed_settings(saved, path)

    def _apply_changed_settings(self, saved: dict, path: Path) -> None:
        """Apply the settings that differ from the checkpoint's, say so, and record it."""
        config = self.config
        current = config.to_dict()
        changed = {
            name: (saved.get(name), value)
            for name, value in current.items()
            if saved.get(name) != value and not (name == "momentum" and config.optimizer != "sgd")
        }
        message = (
            f"resuming {path} after epoch {self.epoch} of {config.epochs}: kept the weights, "
            "the optimizer's state, the schedule's position and the random state"
        )
        if not changed:
            self._say(message)
            return
        self._notice(f"{message}; changed {describe_changes(changed)}, from the next step on")
        self.resumes.append(
            {"after_epoch": self.epoch, "changed": {k: list(v) for k, v in changed.items()}}
        )
        for group in self.optimizer.param_groups:
            for name in OPTIMIZER_SETTINGS:
                if name in changed and name in group:
                    group[name] = getattr(config, name)
        if "lr" in changed or "epochs" in changed:
            step = self.scheduler.last_epoch
            self.scheduler.T_max = self.total_steps
            self.scheduler.base_lrs = [config.lr for _ in self.optimizer.param_groups]
            for group in self.optimizer.param_groups:
                group["initial_lr"] = config.lr
                group["lr"] = cosine_lr(step, self.total_steps, config.lr)

    # -- the run ------------------------------------------------------------------------------

    def fit(self, on_epoch: Callable[[int, dict], None] | None = None) -> list[dict]:
        """Train until ``config.epochs``; returns one record per epoch.

        Resumes from ``out_dir/checkpoint.pt`` when it exists and
        ``config.resume`` is true. ``on_epoch(epoch, record)`` runs after each
        epoch, on every process, just before the epoch's checkpoint is written:
        a run stopped while it runs repeats that epoch, identically, when resumed.
        """
        self._check_unchanged_config()
        # Only rank 0 writes; it holds out_dir for the whole run, so a second run fails at once.
        lock = RunLock(self.out_dir) if self.dist.is_main else None
        if lock is not None:
            lock.acquire(announce=False)  # a refused resume leaves the folder as it was
        try:
            if self.config.resume and self.checkpoint_path.exists():
                self.load(self.checkpoint_path)
            if lock is not None:
                lock.announce()
            return self._fit(on_epoch)
        finally:
            if lock is not None:
                lock.release()

    def _check_unchanged_config(self) -> None:
        """Refuse a config changed after this trainer was built: its network is already built."""
        changed = {
            name: (old, getattr(self.config, name))
            for name, old in self._settings.items()
            if getattr(self.config, name) != old
        }
        if changed:
            raise ValueError(
                f"the config changed after this Trainer was built ({describe_changes(changed)}); "
                "build a new Trainer(config) for the new settings"
            )

    def _fit(self, on_epoch: Callable[[int, dict], None] | None) -> list[dict]:
        config = self.config
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
                    scheduler=self.scheduler,
                    progress=config.progress and self.dist.is_main,
                    loss_fn=loss_fn,
                    autocast_dtype=self.autocast_dtype,
                    description=label,
                )
                if self.dist.enabled:
                    # batch-norm running statistics saw only this rank's batches: take rank 0's
                    for buffer in self.model.buffers():
                        torch.distributed.broadcast(buffer, src=0)
                test = evaluate(self.model, self.test_loader, autocast_dtype=self.autocast_dtype)
                self._check_finite(test.loss)
                self._check_divergence(train.loss, test.loss)
            except NonFiniteError as error:
                raise NonFiniteError(self._non_finite_advice(label, error)) from None
            activity = self.measure_activity()
            self.epoch += 1
            record = {
                "epoch": self.epoch,
                "train_loss": train.loss,
                "train_accuracy": train.accuracy,
                "test_loss": test.loss,
                "test_accuracy": test.accuracy,
                "lr": self.optimizer.param_groups[0]["lr"],  # at the end of the epoch
                "seconds": time.perf_counter() - start,
                "activity": activity,
            }
            self.history.append(record)
            if on_epoch is not None:
                on_epoch(self.epoch, record)  # before the checkpoint, which then covers it
            self._save_epoch()
            self._say(
                f"{label}: train loss {train.loss:.3f} acc {train.accuracy:.3f} | "
                f"test loss {test.loss:.3f} acc {test.accuracy:.3f}"
            )
        return self.history

    def _check_finite(self, test_loss: float) -> None:
        broken = non_finite_tensors(self.model)
        if broken:
            shown = ", ".join(broken[:3]) + (
                f" and {len(broken) - 3} more" if len(broken) > 3 else ""
            )
            raise NonFiniteError(f"{len(broken)} weight tensor(s) became non-finite ({shown})")
        if not math.isfinite(test_loss):
            raise NonFiniteError(f"the test loss became {test_loss}")

    def _check_divergence(self, train_loss: float, test_loss: float) -> None:
        """Raise :class:`DivergenceError` by the rule of the module's docstring."""
        reason = divergence(
            self.model, train_loss, test_loss, self.history, DATASET_SHAPES[self.config.dataset][0]
        )
        if self.dist.enabled:  # every process stops together, or the others would wait forever
            flag = torch.tensor([1.0 if reason else 0.0], device=self.device)
            torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
            if flag.item() and not reason:
                reason = "another process of this run saw its loss explode"
        if reason:
            raise DivergenceError(f"the run diverged: {reason}")

    def _save_epoch(self) -> None:
        """The checkpoint, then the logs; a failed write names the epoch the checkpoint keeps."""
        try:
            self.save()
        except CheckpointError as error:
            kept = f"epoch {self.epoch - 1}" if self.epoch > 1 else "none yet"
            raise CheckpointError(
                f"epoch {self.epoch} was trained but not saved: {error} (it holds: {kept})"
            ) from None
        if self.dist.is_main:
            try:
                write_logs(self.history, self.out_dir)
            except OSError as error:
                raise CheckpointError(
                    f"epoch {self.epoch} was saved in {self.checkpoint_path}, but its logs "
                    f"could not be written to {self.out_dir} ({error.strerror or error}); free "
                    "some disk space and run again: it resumes and rewrites them"
                ) from None

    def _non_finite_advice(self, label: str, error: Exception) -> str:
        if self.epoch > 0:
            kept = f"the last good checkpoint (epoch {self.epoch}) stays in {self.checkpoint_path}"
        else:
            kept = "no checkpoint was written"
        return (
            f"{label}: {error}; training stopped and this epoch was not saved: {kept}. "
            f"Lower the learning rate (lr={self.config.lr:g} now; resuming with a smaller "
            "lr=... applies it), or check the input normalisation."
        )

    @torch.no_grad()
    def measure_activity(self) -> dict[str, dict[str, float]]:
        """Events and mass per sample of every recorded layer, on the first test samples."""
        self.model.eval()
        monitor = record_activity(
            self.model,
            self.test_loader,
            samples=self.config.activity_samples,
            autocast_dtype=self.autocast_dtype,
        )
        layers = {**monitor.summary(), "total": monitor.total()}
        return {
            name: {"events": a.events, "mass": a.mass}
            | ({"above_levels": a.above_levels} if a.kind == "sum" else {})
            for name, a in layers.items()
        }

    def _say(self, message: str) -> None:
        if self.dist.is_main and self.config.progress:
            tqdm.write(message)

    def _notice(self, message: str) -> None:
        """What a user must hear even with ``progress=false``: to stderr, from rank 0."""
        if self.dist.is_main:
            tqdm.write(message, file=sys.stderr)

    def close(self) -> None:
        """Leave the process group this trainer joined (nothing to do when not distributed)."""
        if self.dist.enabled and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def check_run_files(out_dir: Path) -> None:
    """Refuse run files in ``out_dir`` that are links or folders, before any training."""
    for name in RUN_FILES:
        path = out_dir / name
        refuse_links(path, "out_dir")
        if path.exists() and not path.is_file():
            raise ValueError(
                f"out_dir: {path} is a folder (or another non-file), where the run writes its "
                f"{name}: move it away, or choose another out_dir"
            )


def describe_changes(changed: dict[str, tuple[object, object]]) -> str:
    """``"lr 0.08 -> 0.01, progress True -> False"``."""
    return ", ".join(f"{name} {old!r} -> {new!r}" for name, (old, new) in changed.items())


def divergence(
    model: nn.Module, train_loss: float, test_loss: float, history: list[dict], num_classes: int
) -> str | None:
    """Why the run has diverged (the rule of the module's docstring), or ``None``."""
    largest = max(
        (float(p.detach().abs().max()) for p in model.parameters() if p.numel()), default=0.0
    )
    if largest > MAX_WEIGHT:
        return f"a weight reached {largest:.3g} in magnitude (the limit is {MAX_WEIGHT:g})"
    chance = math.log(num_classes)
    reference = max(history[0]["train_loss"], chance) if history else chance
    for name, loss in (("train", train_loss), ("test", test_loss)):
        if loss > DIVERGENCE_FACTOR * reference:
            return (
                f"the {name} loss reached {loss:.3g}, over {DIVERGENCE_FACTOR:g} times the "
                f"reference {reference:.3g} (the first epoch's train loss, at least ln {num_classes})"
            )
    return None


def cosine_lr(step: int, total_steps: int, base_lr: float) -> float:
    r"""The cosine schedule :math:`\eta_k = \eta_0 (1 + \cos(\pi k / K)) / 2` (0 from step K on)."""
    if step >= total_steps:
        return 0.0
    return base_lr * (1 + math.cos(math.pi * step / total_steps)) / 2


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
    """``metrics.csv`` and ``metrics.json`` in ``out_dir`` (``mlsnn-edu train`` adds a plot)."""
    out_dir = Path(out_dir)
    rows = [flat_record(record) for record in history]

    def write_csv(path: Path) -> None:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    write_atomically(out_dir / "metrics.csv", write_csv)
    write_atomically(out_dir / "metrics.json", json.dumps(history, indent=1))
