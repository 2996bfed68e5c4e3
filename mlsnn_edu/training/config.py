"""One training run's settings: :class:`TrainConfig`, read from YAML and ``key=value`` overrides.

Every field is checked when a config is built, so a typo or a wrong type fails
at once with the field's name and what it accepts, never after an epoch.
Numbers may be written any way Python reads them (``lr=1e-3``, ``lr: 1e-3`` in
YAML, where YAML itself would read a string); ``true``/``false`` are not
numbers. A Python caller may pass what it has at hand: NumPy integers and
floats, ``pathlib.Path`` folders. A config changed after it was built is checked
again by :meth:`TrainConfig.check` (the trainer calls it).

YAML files are read with aliases refused (``*name``, which lets a 500-byte file
expand to gigabytes, the "billion laughs") and at most :data:`MAX_CONFIG_BYTES`
long; a config is a few lines and never needs either.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import yaml

from mlsnn_edu.checks import (
    check_choice,
    check_integer,
    check_levels,
    check_positive_int,
    check_seed,
    check_timesteps,
)
from mlsnn_edu.data import EVENT_DATASETS

OPTIMIZERS = ("sgd", "adam")
DEVICES = ("auto", "cpu", "cuda")
#: The largest config file read (a config is a few hundred bytes).
MAX_CONFIG_BYTES = 1 << 20
#: The event datasets' frame side unless ``resolution`` says otherwise.
DEFAULT_RESOLUTION = 32


class ConfigError(ValueError):
    """A config file or value that cannot be used; the message says which and why."""


@dataclass
class TrainConfig:
    """Everything one training run needs; a YAML file in ``configs/`` holds one of these.

    ``batch_size`` is the global batch: under ``torchrun`` each of the W processes
    takes ``batch_size / W`` samples per step. ``timesteps`` is T: repetitions
    of a static image (direct encoding) or, for event data, the number of frames.
    ``amp`` (bf16 autocast) and ``channels_last`` take effect on a GPU only.
    ``device`` is ``"auto"`` (the GPU when there is one), ``"cpu"``, ``"cuda"``
    or ``"cuda:K"``. ``train_subset`` keeps the first n training samples (quick
    experiments); ``activity_samples`` is how many test samples the per-epoch
    activity measurement sees; ``resume`` continues from ``out_dir/checkpoint.pt``
    when it exists; ``assumptions`` lists what a config chose where the paper is
    silent.
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
    resolution: int = DEFAULT_RESOLUTION
    train_subset: int | None = None
    num_workers: int = 0
    device: str = "auto"
    amp: bool = True
    channels_last: bool = True
    activity_samples: int = 256
    resume: bool = True
    progress: bool = True
    description: str = ""
    assumptions: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> TrainConfig:
        """Check (and normalise) every field; raises :class:`ConfigError` naming the first bad one."""
        try:
            return self._check_fields()
        except ConfigError:
            raise
        except ValueError as error:  # the shared checks of mlsnn_edu.checks raise ValueError
            raise ConfigError(str(error)) from None

    def _check_fields(self) -> TrainConfig:
        for name in ("out_dir", "data_root"):
            if isinstance(getattr(self, name), os.PathLike):
                setattr(self, name, os.fspath(getattr(self, name)))
        for name in (
            "model",
            "dataset",
            "optimizer",
            "out_dir",
            "data_root",
            "device",
            "description",
        ):
            _check_text(self, name)
        for name in ("out_dir", "data_root"):
            if not getattr(self, name).strip():
                raise ConfigError(f"{name} must name a folder, got an empty value")
        check_choice(self.optimizer, OPTIMIZERS, "optimizer")
        if self.device not in DEVICES and not self.device.startswith("cuda:"):
            raise ConfigError(
                f"device must be one of {', '.join(DEVICES)} or 'cuda:K', got {self.device!r}"
            )
        self.timesteps = check_timesteps(self.timesteps)
        self.levels = check_levels(self.levels)
        for name in ("epochs", "batch_size", "width", "resolution", "activity_samples"):
            setattr(self, name, check_positive_int(getattr(self, name), name))
        if self.dataset not in EVENT_DATASETS and self.resolution != DEFAULT_RESOLUTION:
            raise ConfigError(
                f"resolution={self.resolution} sets the frame size of the event datasets "
                f"({', '.join(EVENT_DATASETS)}) only, and {self.dataset!r} is not one: its "
                "images have their own size. Drop resolution"
            )
        if self.train_subset is not None:
            self.train_subset = check_positive_int(self.train_subset, "train_subset")
        self.seed = check_seed(self.seed)
        self.num_workers = check_integer(self.num_workers, "num_workers", minimum=0)
        self.lr = _number(self.lr, "lr (learning rate)", low=0.0, low_open=True)
        self.momentum = _number(self.momentum, "momentum", low=0.0, high=1.0, high_open=True)
        self.weight_decay = _number(self.weight_decay, "weight_decay", low=0.0)
        self.label_smoothing = _number(
            self.label_smoothing, "label_smoothing", low=0.0, high=1.0, high_open=True
        )
        for name in ("download", "amp", "channels_last", "resume", "progress"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if not isinstance(self.model_options, Mapping):
            raise ConfigError(
                f"model_options must be a mapping such as {{theta: 0.5}}, got {self.model_options!r}"
            )
        self.model_options = {str(k): _plain(v) for k, v in self.model_options.items()}
        if not isinstance(self.assumptions, list):
            raise ConfigError(f"assumptions must be a list of sentences, got {self.assumptions!r}")
        return self

    @classmethod
    def from_dict(cls, values: object) -> TrainConfig:
        """Build from a mapping, refusing unknown keys (typos would otherwise be ignored)."""
        if not isinstance(values, Mapping):
            raise ConfigError(
                "a config must be a mapping of key: value lines, got "
                f"{type(values).__name__} {values!r:.80}"
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(key) for key in set(values) - known)
        if unknown:
            raise ConfigError(
                f"unknown config key(s) {', '.join(unknown)}; "
                f"known keys: {', '.join(sorted(known))}"
            )
        return cls(**values)

    @classmethod
    def from_yaml(cls, path: str | Path, overrides: Iterable[str] = ()) -> TrainConfig:
        """Read a YAML config, then apply ``key=value`` overrides (values parsed as YAML)."""
        return cls.from_dict(apply_overrides(read_yaml(path), overrides))

    def to_dict(self) -> dict:
        return asdict(self)


def read_yaml(path: str | Path, name: str = "--config") -> dict:
    """The mapping a YAML config file holds; a clear :class:`ConfigError` for anything else.

    ``name`` is how the message calls the file (the option that gave it).
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{name} {path} is a folder: give a YAML file, e.g. configs/*.yaml")
    if not path.is_file():
        raise ConfigError(f"{name} {path} does not exist")
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{name} {path} is {path.stat().st_size:,} bytes; a config is a few lines "
            f"(at most {MAX_CONFIG_BYTES:,} bytes are read): give the right file"
        )
    try:
        values = safe_yaml(path.read_text(encoding="utf-8"), f"{name} {path}")
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise ConfigError(f"{path} is not valid YAML{line}: {problem}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not a text file") from None
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ConfigError(
            f"{path} must hold a mapping of key: value lines, but holds a {type(values).__name__}"
        )
    return values


def apply_overrides(values: dict, overrides: Iterable[str]) -> dict:
    """``["epochs=2", "model_options.alpha=3"]`` applied to a copy of ``values``."""
    values = copy.deepcopy(values)
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override must look like key=value, got {item!r}")
        *parents, leaf = key.strip().split(".")
        target = values
        for parent in parents:
            target = target.setdefault(parent, {})
            if not isinstance(target, dict):
                raise ConfigError(f"override {item!r}: {parent} is not a mapping")
        try:
            target[leaf] = safe_yaml(text, f"override {item!r}") if text.strip() else ""
        except yaml.YAMLError:
            target[leaf] = text
    return values


def safe_yaml(text: str, where: str) -> object:
    """``yaml.safe_load(text)``, refusing aliases before anything is built from them.

    The parser's events are read first, which costs time linear in ``text``;
    an alias among them (``*name``) is refused with its line, so a "billion
    laughs" file never expands. (An alias to no anchor is YAML's own error.)
    """
    anchors = set()
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if getattr(event, "anchor", None) and not isinstance(event, yaml.AliasEvent):
            anchors.add(event.anchor)
        elif isinstance(event, yaml.AliasEvent) and event.anchor in anchors:
            line = event.start_mark.line + 1 if event.start_mark else "?"
            raise ConfigError(
                f"{where}: line {line} uses the YAML alias *{event.anchor}; aliases are not "
                "accepted in configs: write the value out in full"
            )
    return yaml.safe_load(text)


def _plain(value: object) -> object:
    """NumPy scalars as the Python numbers they hold (a checkpoint stores plain data only)."""
    return value.item() if isinstance(value, np.generic) else value


def _check_text(config: TrainConfig, name: str) -> None:
    value = getattr(config, name)
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be text, got {value!r}")


def _number(
    value: object,
    name: str,
    *,
    low: float,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number in the given range; text in any spelling ``float()`` reads is accepted."""
    lower = f"{'>' if low_open else '>='} {low:g}"
    upper = "" if high == math.inf else f" and {'<' if high_open else '<='} {high:g}"
    wanted = f"{name} must be a number {lower}{upper}, got {value!r}"
    if isinstance(value, bool):
        raise ConfigError(wanted)
    try:
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise ConfigError(wanted) from None
    if not math.isfinite(number):
        raise ConfigError(wanted)
    if number < low or (low_open and number == low):
        raise ConfigError(wanted)
    if number > high or (high_open and number == high):
        raise ConfigError(wanted)
    return number
