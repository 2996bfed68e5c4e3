"""The :class:`Trainer`: the loop of :mod:`~mlsnn_edu.training.loop` plus what a real run needs.

* a cosine learning-rate schedule, :math:`\\eta_k = \\eta_0 (1 + \\cos(\\pi k / K)) / 2`
  over the K steps of the run;
* evaluation, activity and a checkpoint after every epoch, logs in ``out_dir``;
* resuming from ``out_dir/checkpoint.pt`` with everything exactly as it was;
* a stop, before anything is saved, when the loss, the test loss or a weight
  stops being finite, or when the run diverges
  (:func:`~mlsnn_edu.training.divergence.divergence`);
* a lock on ``out_dir``, so two runs never write into the same folder, and no
  write through a symbolic link there;
* under ``torchrun``, distributed data parallel training (NCCL on GPUs, gloo on CPUs).

**Precision.** Networks are built and trained in float32 whatever
``torch.get_default_dtype()`` says: the datasets are float32.

Its parts, one idea each: :mod:`~mlsnn_edu.training.optimization` (the optimizer
and the cosine schedule), :mod:`~mlsnn_edu.training.divergence` (when a run stops),
:mod:`~mlsnn_edu.training.resume` (settings changed on resume),
:mod:`~mlsnn_edu.training.networks` (building and loading the network),
:mod:`~mlsnn_edu.training.distributed` (``torchrun``) and
:mod:`~mlsnn_edu.training.logs` (the files in ``out_dir``).
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, Subset
from torch.utils.data.distributed import DistributedSampler
from tqdm import tqdm

from mlsnn_edu.checks import first_line
from mlsnn_edu.data import DATASET_SHAPES, build_datasets
from mlsnn_edu.energy import measure_activity
from mlsnn_edu.files import check_output_dir
from mlsnn_edu.monitor import SpikeMonitor
from mlsnn_edu.settings import resolve_device, seed_everything
from mlsnn_edu.training.checkpoint import (
    CHECKPOINT_NAME,
    CheckpointError,
    check_resumable,
    check_same_identity,
    load_checkpoint,
    load_model_weights,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from mlsnn_edu.training.config import ConfigError, TrainConfig
from mlsnn_edu.training.distributed import Distributed
from mlsnn_edu.training.divergence import DivergenceError, check_finite, divergence
from mlsnn_edu.training.logs import activity_record, check_run_files, write_logs
from mlsnn_edu.training.loop import EpochStats, NonFiniteError, evaluate, train_epoch
from mlsnn_edu.training.networks import build_network, network_architecture
from mlsnn_edu.training.optimization import build_optimizer, cosine_schedule
from mlsnn_edu.training.resources import check_memory
from mlsnn_edu.training.resume import apply_changed_settings, changed_settings, describe_changes
from mlsnn_edu.training.run_lock import RunLock


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
        self.device = self.dist.device_of_process(self.device)
        self.out_dir = check_output_dir(config.out_dir, "out_dir")
        self.checkpoint_path = self.out_dir / CHECKPOINT_NAME
        check_run_files(self.out_dir)
        if config.batch_size % self.dist.world_size:
            raise ConfigError(
                f"batch_size ({config.batch_size}) must be divisible by the number of "
                f"processes ({self.dist.world_size})"
            )
        check_memory(config, self.device, config.batch_size // self.dist.world_size)
        self.dist.join(self.device)
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
        self.network = self.dist.wrap(self.model, self.device)
        self.train_loader, self.test_loader = self._loaders()
        self.optimizer = build_optimizer(self.model, config)
        self.scheduler = cosine_schedule(self.optimizer, self.total_steps)
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
        payload = load_checkpoint(
            path,
            advice="To train this run from scratch instead, delete it, or give another out_dir "
            "(or resume=false, which overwrites it)",
        )
        saved = payload["config"]
        check_same_identity(saved, self.config.to_dict(), path)
        check_resumable(payload, path)
        if self.config.epochs < payload["epoch"]:
            raise CheckpointError(
                f"cannot resume {path} with epochs={self.config.epochs}: it has already "
                f"trained {payload['epoch']} epochs, which cannot be undone. Give epochs >= "
                f"{payload['epoch']}, or start a new run (another out_dir, or resume=false)"
            )
        load_model_weights(self.model, payload, path, type(self.model).__name__)
        try:
            self.optimizer.load_state_dict(payload["optimizer"])
            self.scheduler.load_state_dict(payload["scheduler"])
        except (RuntimeError, ValueError, KeyError, TypeError) as error:
            raise CheckpointError(
                f"{path} does not fit this optimizer and schedule: {first_line(error)}"
            ) from None
        self.epoch = int(payload["epoch"])
        self.history = list(payload["history"])
        self.resumes = list(payload.get("resumes", []))
        set_rng_state(payload["rng"])
        self._apply_changed_settings(saved, path)

    def _apply_changed_settings(self, saved: dict, path: Path) -> None:
        """Apply the settings that differ from the checkpoint's, say so, and record it."""
        config = self.config
        changed = changed_settings(saved, config)
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
        self.scheduler = apply_changed_settings(
            changed, config, self.optimizer, self.scheduler, self.total_steps
        )

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
                test, monitor = self._evaluate()
                check_finite(self.model, test.loss)
                self._check_divergence(train.loss)
            except NonFiniteError as error:
                raise NonFiniteError(self._non_finite_advice(label, error)) from None
            activity = activity_record(monitor) if monitor else self.measure_activity()
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

    def _check_divergence(self, train_loss: float) -> None:
        """Raise :class:`DivergenceError` by the rule of :mod:`~mlsnn_edu.training.divergence`."""
        reason = divergence(
            self.model, train_loss, self.history, DATASET_SHAPES[self.config.dataset][0]
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
        config, again = self.config, "resuming with smaller values applies them"
        kept = f"the last good checkpoint (epoch {self.epoch}) stays in {self.checkpoint_path}"
        if self.epoch == 0:
            kept, again = "no checkpoint was written", "then run again"
        return (
            f"{label}: {error}; training stopped and this epoch was not saved: {kept}. "
            f"Lower the learning rate or the weight decay (lr={config.lr:g}, "
            f"weight_decay={config.weight_decay:g} now; {again}), or check the input "
            "normalisation."
        )

    def _evaluate(self) -> tuple[EpochStats, SpikeMonitor | None]:
        """The test loss and accuracy, and the activity when it covers the whole test set.

        Then the evaluation's own forward passes (eval mode, no gradients, the same
        batches) are what :meth:`measure_activity` would run again: recording them
        gives the same numbers without a second pass (the sweep's case).
        """
        if self.config.activity_samples < len(self.test_loader.dataset):
            return evaluate(self.model, self.test_loader, autocast_dtype=self.autocast_dtype), None
        with SpikeMonitor(self.model) as monitor:
            test = evaluate(self.model, self.test_loader, autocast_dtype=self.autocast_dtype)
        return test, monitor

    def measure_activity(self) -> dict[str, dict[str, float]]:
        """Events and mass per sample of every recorded layer, on the first test samples.

        Measured as everything in the library is (:func:`mlsnn_edu.energy.measure_activity`):
        in eval mode, without gradients; a network in training needs no calibration.
        """
        monitor = measure_activity(
            self.model,
            self.test_loader,
            samples=self.config.activity_samples,
            autocast_dtype=self.autocast_dtype,
        )
        return activity_record(monitor)

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


def fit(config: TrainConfig, on_epoch: Callable[[int, dict], None] | None = None) -> Trainer:
    """Build a :class:`Trainer` for ``config``, train it to the end, and return it."""
    trainer = Trainer(config)
    try:
        trainer.fit(on_epoch=on_epoch)
    finally:
        trainer.close()
    return trainer
