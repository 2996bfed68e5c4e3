"""Training: the loop chapter 5 builds, and the trainer that runs the paper's experiments.

* :mod:`~mlsnn_edu.training.loop`: one epoch and evaluation (what chapter 5 writes by hand);
* :mod:`~mlsnn_edu.training.config`: :class:`TrainConfig`, YAML configs and overrides;
* :mod:`~mlsnn_edu.training.checkpoint`: atomic, code-free checkpoints;
* :mod:`~mlsnn_edu.training.run_lock`: one run at a time in an ``out_dir``;
* :mod:`~mlsnn_edu.training.resources`: will a run fit in memory?
* :mod:`~mlsnn_edu.training.trainer`: :class:`Trainer`, the run: epochs, evaluation, activity,
  a checkpoint per epoch, resuming; with its parts :mod:`~mlsnn_edu.training.optimization`,
  :mod:`~mlsnn_edu.training.divergence`, :mod:`~mlsnn_edu.training.resume`,
  :mod:`~mlsnn_edu.training.networks`, :mod:`~mlsnn_edu.training.distributed` and
  :mod:`~mlsnn_edu.training.logs`.
"""

from mlsnn_edu.training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from mlsnn_edu.training.config import ConfigError, TrainConfig, apply_overrides
from mlsnn_edu.training.loop import EpochStats, NonFiniteError, evaluate, train_epoch
from mlsnn_edu.training.networks import build_network, load_trained, load_weights
from mlsnn_edu.training.optimization import cosine_lr
from mlsnn_edu.training.trainer import Trainer, fit

__all__ = [
    "CheckpointError",
    "ConfigError",
    "EpochStats",
    "NonFiniteError",
    "TrainConfig",
    "Trainer",
    "apply_overrides",
    "build_network",
    "cosine_lr",
    "evaluate",
    "fit",
    "load_checkpoint",
    "load_trained",
    "load_weights",
    "save_checkpoint",
    "train_epoch",
]
