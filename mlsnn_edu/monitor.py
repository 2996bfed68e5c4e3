r"""Spike activity of a network, recorded with forward hooks.

:class:`SpikeMonitor` counts, for every recorded layer, over all samples and
timesteps it sees,

.. math::

    \text{events} = \frac{1}{S}\sum_{s,t,i} [z_{s,t,i} \neq 0], \qquad
    \text{mass} = \frac{1}{S}\sum_{s,t,i} z_{s,t,i},

with S the number of samples: a spike of value k counts once in ``events`` and
k times in ``mass``. It also keeps the largest value seen, which exceeds N
where spikes pile up (the avalanche at SEW-ResNet's residual sums), and, at a
residual sum, the mass above N, :math:`\frac1S\sum\max(z - N, 0)`: what a
barrier neuron would clip there with the same weights. At each
residual sum it also records the two terms that meet there (branch and
shortcut), which is what the energy model charges the sum for.

:func:`record_activity` runs a network over data under a monitor: the one way
training, the command line, the energy model and the explorers measure
activity.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn

from mlsnn_edu.checks import check_positive_int
from mlsnn_edu.models.layers import model_input

SYNAPSE_KINDS = ((nn.Conv2d, "conv"), (nn.Linear, "linear"))


@dataclass(frozen=True)
class LayerActivity:
    """The activity of one layer, per sample, summed over timesteps.

    For a neuron or a residual sum it describes the layer's output; for a
    convolution or linear layer ("synapses") it describes the layer's input.
    A residual sum also carries the activity of its two terms in ``inputs``
    (branch, then shortcut).
    """

    name: str
    kind: str  # "neuron" | "sum" | "conv" | "linear" | "input"
    events: float  # non-zero values per sample, summed over T
    mass: float  # sum of values per sample, summed over T
    max_value: float  # largest value seen
    timesteps: int  # T of the recorded tensor
    shape: tuple[int, ...]  # per-sample, per-timestep shape: (C, H, W) or (F,)
    out_shape: tuple[int, ...] | None = None  # synapses only: per-sample output shape
    inputs: tuple[LayerActivity, ...] = ()  # residual sums only: branch and shortcut
    above_levels: float = 0.0  # residual sums only: mass above N per sample

    @property
    def size(self) -> int:
        """Values per sample and timestep: the product of ``shape``."""
        return math.prod(self.shape)

    @property
    def rate(self) -> float:
        """Fraction of values that are non-zero: events / (T * size)."""
        return self.events / (self.timesteps * self.size)


class _Counter:
    """Running totals for one tensor stream, kept on its device (no synchronisation per call)."""

    def __init__(self, name: str, kind: str, levels: float = math.inf) -> None:
        self.name, self.kind, self.levels = name, kind, levels
        self.events: torch.Tensor | int = 0
        self.mass: torch.Tensor | float = 0.0
        self.above_levels: torch.Tensor | float = 0.0
        self.max_value: torch.Tensor | float = -math.inf
        self.timesteps = 1
        self.shape: tuple[int, ...] = ()
        self.out_shape: tuple[int, ...] | None = None

    @torch.no_grad()
    def add(self, values: torch.Tensor, timesteps: int, out: torch.Tensor | None = None) -> None:
        values = values.detach()
        self.events = self.events + torch.count_nonzero(values)
        self.mass = self.mass + values.sum(dtype=torch.float64)
        if self.levels != math.inf:
            excess = (values - self.levels).clamp_(min=0)
            self.above_levels = self.above_levels + excess.sum(dtype=torch.float64)
        self.max_value = torch.maximum(
            torch.as_tensor(self.max_value, dtype=torch.float64, device=values.device),
            values.max().to(torch.float64),
        )
        self.timesteps = timesteps
        self.shape = tuple(values.shape[1:])
        if out is not None:
            self.out_shape = tuple(out.shape[1:])

    def result(self, samples: int, inputs: tuple[LayerActivity, ...] = ()) -> LayerActivity:
        per_sample = max(samples, 1)
        return LayerActivity(
            name=self.name,
            kind=self.kind,
            events=float(self.events) / per_sample,
            mass=float(self.mass) / per_sample,
            max_value=float(self.max_value),
            timesteps=self.timesteps,
            shape=self.shape,
            out_shape=self.out_shape,
            inputs=inputs,
            above_levels=float(self.above_levels) / per_sample,
        )


def checked_module(model: object) -> nn.Module:
    """``model`` itself, if it is a ``torch.nn.Module``; a ``TypeError`` naming it otherwise."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model


class SpikeMonitor:
    """Record spike activity of a network with forward hooks.

    Recorded layers: every module with an ``activity_name`` (the networks of
    :mod:`mlsnn_edu.models`: neurons and residual sums, named ``"stem"``,
    ``"layer1.0.sn1"``, ``"sum0"``, ...), the two terms entering each residual
    sum, and the input of every ``nn.Conv2d`` and ``nn.Linear`` (named by
    module path) for the energy model. Tensors inside the network are
    time-folded ``[T*B, ...]``; T is read from ``model.timesteps`` (or
    ``model.module.timesteps`` under DDP; 1 when there is none).

    Hooks are installed on construction and removed by :meth:`close` or on
    leaving a ``with`` block; counts accumulate over every forward call::

        with SpikeMonitor(model) as mon:
            model(x)
        mon.summary()["sum1"].events
    """

    def __init__(self, model: nn.Module) -> None:
        self.model = checked_module(model)
        self.inner = getattr(model, "module", model)  # a DistributedDataParallel wrapper holds it
        self.timesteps = int(getattr(self.inner, "timesteps", 1))
        levels = getattr(self.inner, "levels", None)  # None: an ANN, whose values have no N
        self.levels = math.inf if levels is None else float(levels)
        self.samples = 0
        self._layers: dict[str, _Counter] = {}
        self._sum_terms: dict[str, tuple[_Counter, _Counter]] = {}
        self._synapses: dict[str, _Counter] = {}
        self._handles = [model.register_forward_hook(self._count_samples)]
        for path, module in self.inner.named_modules():
            name = getattr(module, "activity_name", None)
            if name:
                self._handles.append(module.register_forward_hook(self._layer_hook(name, module)))
            for module_type, kind in SYNAPSE_KINDS:
                if isinstance(module, module_type):
                    hook = self._synapse_hook(path or kind, kind)
                    self._handles.append(module.register_forward_hook(hook))

    def _count_samples(self, module, inputs, output) -> None:
        self.samples += output.shape[0]

    def _layer_hook(self, name: str, module: nn.Module):
        kind = module.activity_kind

        def hook(_, inputs, output):
            # counters are created at the first call, so the tables follow the forward order
            levels = self.levels if kind == "sum" else math.inf
            counter = self._layers.setdefault(name, _Counter(name, kind, levels))
            counter.add(output, self.timesteps)
            if kind == "sum":
                terms = self._sum_terms.setdefault(
                    name,
                    (_Counter(f"{name}.branch", "input"), _Counter(f"{name}.shortcut", "input")),
                )
                for counter, term in zip(terms, inputs):
                    counter.add(term, self.timesteps)

        return hook

    def _synapse_hook(self, name: str, kind: str):
        def hook(_, inputs, output):
            counter = self._synapses.setdefault(name, _Counter(name, kind))
            counter.add(inputs[0], self.timesteps, out=output)

        return hook

    def close(self) -> None:
        """Remove the hooks; the counts stay readable."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> SpikeMonitor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def reset(self) -> None:
        """Forget every count (the hooks stay)."""
        self.samples = 0
        self._layers.clear()
        self._sum_terms.clear()
        self._synapses.clear()

    def summary(self) -> dict[str, LayerActivity]:
        """Neurons and residual sums, in forward order, by readable name."""
        return {
            name: counter.result(
                self.samples,
                tuple(term.result(self.samples) for term in self._sum_terms.get(name, ())),
            )
            for name, counter in self._layers.items()
        }

    def synapses(self) -> dict[str, LayerActivity]:
        """Every convolution and linear layer, by module path: the activity of its input."""
        return {name: c.result(self.samples) for name, c in self._synapses.items()}

    def total(self) -> LayerActivity:
        """All neurons and residual sums together (events and mass added, max of maxima)."""
        return total_activity(self.summary())

    def table(self) -> str:
        """A text table: one row per recorded layer."""
        return activity_table({getattr(self.inner, "name", "model"): self.summary()})


@torch.no_grad()
def record_activity(
    model: nn.Module,
    data: torch.Tensor | Iterable,
    *,
    samples: int | None = None,
    batch_size: int = 256,
    device: torch.device | str | None = None,
    autocast_dtype: torch.dtype | None = None,
) -> SpikeMonitor:
    """Run ``model`` over ``data`` without gradients and record its activity.

    The model runs in its current train/eval mode. ``data`` is one input batch
    as the model takes it (``[B, C, H, W]`` or ``[T, B, C, H, W]``), fed in
    slices of ``batch_size`` samples, or an iterable of ``(x, label)`` batches
    (a DataLoader, whose event frames ``[B, T, ...]`` are turned into
    ``[T, B, ...]``). ``samples`` stops after that many samples (all when
    ``None``); ``autocast_dtype`` (e.g. ``torch.bfloat16`` on a GPU) runs in
    mixed precision. Returns the closed monitor.
    """
    checked_module(model)
    batch_size = check_positive_int(batch_size, "batch_size")
    if samples is not None:
        samples = check_positive_int(samples, "samples")
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else torch.device("cpu")
    device = torch.device(device)
    if isinstance(data, torch.Tensor):
        axis = 1 if data.dim() == 5 else 0
        if data.shape[axis] == 0:
            raise ValueError(f"data must hold at least one sample, got shape {tuple(data.shape)}")
        batches = torch.split(data, batch_size, dim=axis)
    else:
        batches = (model_input(x) for x, _ in data)
    remaining = math.inf if samples is None else samples
    with SpikeMonitor(model) as monitor:
        for x in batches:
            axis = 1 if x.dim() == 5 else 0
            if x.shape[axis] > remaining:
                x = x.narrow(axis, 0, int(remaining))
            with torch.autocast(
                device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None
            ):
                model(x.to(device))
            remaining -= x.shape[axis]
            if remaining <= 0:
                break
    return monitor


def total_activity(summary: dict[str, LayerActivity]) -> LayerActivity:
    """Sum events and mass over the layers of a summary (the paper's total activity)."""
    layers = list(summary.values())
    return LayerActivity(
        name="total",
        kind="total",
        events=sum(a.events for a in layers),
        mass=sum(a.mass for a in layers),
        max_value=max((a.max_value for a in layers), default=0.0),
        timesteps=layers[0].timesteps if layers else 1,
        shape=(sum(a.size for a in layers),),
        above_levels=sum(a.above_levels for a in layers),
    )


def activity_table(summaries: dict[str, dict[str, LayerActivity]], digits: int = 0) -> str:
    """Side-by-side text table of several models' summaries (rows: layers of the first one).

    Each model gets three columns: events and mass per sample (rounded to
    ``digits``) and the largest value seen. A final row gives the totals.
    """
    models = list(summaries)
    rows = list(next(iter(summaries.values()), {}))
    header = ["layer"] + [f"{m} {col}" for m in models for col in ("events", "mass", "max")]
    lines = [header]
    totals = {m: total_activity(s) for m, s in summaries.items()}
    for row in [*rows, "total"]:
        cells = [row]
        for m in models:
            activity = totals[m] if row == "total" else summaries[m].get(row)
            if activity is None:
                cells += ["-", "-", "-"]
            else:
                cells += [
                    f"{activity.events:,.{digits}f}",
                    f"{activity.mass:,.{digits}f}",
                    f"{activity.max_value:g}",
                ]
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths))
        )
        for line in lines
    ]
    return "\n".join(text)


@torch.no_grad()
def residual_sums(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Run ``model`` on ``x`` and return, per residual sum, the raw ``branch + shortcut``.

    That is the value entering the barrier neuron in a Sparse-ResNet (before it
    is brought back to [0, N]) and the block output in a SEW-ResNet. Tensors
    are time-folded ``[T*B, C, H, W]``, keyed by ``"sum0"``, ``"sum1"``, ...
    """
    sums: dict[str, torch.Tensor] = {}

    def keep(name: str):
        def hook(_, inputs, output):
            sums[name] = inputs[0] + inputs[1]

        return hook

    handles = [
        module.register_forward_hook(keep(module.activity_name))
        for module in model.modules()
        if getattr(module, "activity_kind", None) == "sum" and module.activity_name
    ]
    try:
        model(x)
    finally:
        for handle in handles:
            handle.remove()
    return sums
