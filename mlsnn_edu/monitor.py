r"""Recorders of what a network does: spike activity (forward) and gradient norms (backward).

:class:`SpikeMonitor` counts, for every recorded layer, over all samples and
timesteps it sees,

.. math::

    \text{events} = \frac{1}{S}\sum_{s,t,i} [z_{s,t,i} \neq 0], \qquad
    \text{mass} = \frac{1}{S}\sum_{s,t,i} z_{s,t,i},

with S the number of samples: a spike of value k counts once in ``events`` and
k times in ``mass``. It also keeps the largest value seen, which exceeds N
where spikes pile up (the avalanche at SEW-ResNet's residual sums).

:class:`GradientNormRecorder` keeps, after every backward pass, the L2 norm of
the gradient of each residual block's parameters (and the stem's, and the head's).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn

from mlsnn_edu.train import model_input

SYNAPSE_KINDS = ((nn.Conv2d, "conv"), (nn.Linear, "linear"))


@dataclass(frozen=True)
class LayerActivity:
    """The activity of one layer, per sample, summed over timesteps.

    For a neuron or a residual sum it describes the layer's output; for a
    convolution or linear layer ("synapses") it describes the layer's input.
    """

    name: str
    kind: str  # "neuron" | "sum" | "conv" | "linear"
    events: float  # non-zero values per sample, summed over T
    mass: float  # sum of values per sample, summed over T
    max_value: float  # largest value seen
    timesteps: int  # T of the recorded tensor
    shape: tuple[int, ...]  # per-sample, per-timestep shape: (C, H, W) or (F,)
    out_shape: tuple[int, ...] | None = None  # synapses only: per-sample, per-timestep output shape

    @property
    def size(self) -> int:
        """Values per sample and timestep: the product of ``shape``."""
        return math.prod(self.shape)

    @property
    def rate(self) -> float:
        """Fraction of values that are non-zero: events / (T * size)."""
        return self.events / (self.timesteps * self.size)


class _Counter:
    """Running totals for one layer, kept as tensors on the layer's device (no sync per call)."""

    def __init__(self, name: str, kind: str) -> None:
        self.name, self.kind = name, kind
        self.events: torch.Tensor | int = 0
        self.mass: torch.Tensor | float = 0.0
        self.max_value: torch.Tensor | float = -math.inf
        self.timesteps = 1
        self.shape: tuple[int, ...] = ()
        self.out_shape: tuple[int, ...] | None = None

    @torch.no_grad()
    def add(self, values: torch.Tensor, timesteps: int, out: torch.Tensor | None = None) -> None:
        values = values.detach()
        self.events = self.events + torch.count_nonzero(values)
        self.mass = self.mass + values.sum(dtype=torch.float64)
        self.max_value = torch.maximum(
            torch.as_tensor(self.max_value, dtype=torch.float64, device=values.device),
            values.max().to(torch.float64),
        )
        self.timesteps = timesteps
        self.shape = tuple(values.shape[1:])
        if out is not None:
            self.out_shape = tuple(out.shape[1:])

    def result(self, samples: int) -> LayerActivity:
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
        )


class SpikeMonitor:
    """Record spike activity of a network with forward hooks.

    Recorded layers: every module with an ``activity_name`` (the networks of
    :mod:`mlsnn_edu.models`: neurons and residual sums, named ``"stem"``,
    ``"layer1.0.sn1"``, ``"sum0"``, ...) and, separately, the input of every
    ``nn.Conv2d`` and ``nn.Linear`` (named by module path) for the energy model.
    Tensors inside the network are time-folded ``[T*B, ...]``; T is read from
    ``model.timesteps`` (or ``model.module.timesteps`` under DDP; 1 when there
    is none).

    Hooks are installed on construction and removed by :meth:`close` or on
    leaving a ``with`` block; counts accumulate over every forward call::

        with SpikeMonitor(model) as mon:
            model(x)
        mon.summary()["sum1"].events
    """

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        inner = getattr(model, "module", model)  # a DistributedDataParallel wrapper holds it
        self.timesteps = int(getattr(model, "timesteps", getattr(inner, "timesteps", 1)))
        self.samples = 0
        self._layers: dict[str, _Counter] = {}
        self._synapses: dict[str, _Counter] = {}
        self._handles = [model.register_forward_hook(self._count_samples)]
        for path, module in model.named_modules():
            name = getattr(module, "activity_name", None)
            if name:
                self._handles.append(module.register_forward_hook(self._layer_hook(name, module)))
            for module_type, kind in SYNAPSE_KINDS:
                if isinstance(module, module_type):
                    self._handles.append(
                        module.register_forward_hook(self._synapse_hook(path or kind, kind))
                    )

    def _count_samples(self, module, inputs, output) -> None:
        self.samples += output.shape[0]

    def _layer_hook(self, name: str, module: nn.Module):
        def hook(_, inputs, output):
            # counters are created at the first call, so the tables follow the forward order
            counter = self._layers.setdefault(name, _Counter(name, module.activity_kind))
            counter.add(output, self.timesteps)

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
        self._synapses.clear()

    def summary(self) -> dict[str, LayerActivity]:
        """Neurons and residual sums, in forward order, by readable name."""
        return {name: c.result(self.samples) for name, c in self._layers.items()}

    def synapses(self) -> dict[str, LayerActivity]:
        """Every convolution and linear layer, by module path: the activity of its input."""
        return {name: c.result(self.samples) for name, c in self._synapses.items()}

    def total(self) -> LayerActivity:
        """All neurons and residual sums together (events and mass added, max of maxima)."""
        return total_activity(self.summary())

    def table(self) -> str:
        """A text table: one row per recorded layer."""
        return activity_table({getattr(self.model, "name", "model"): self.summary()})

    def plot(self, ax=None, field: str = "events"):
        """Bar chart of ``field`` ("events" or "mass") per layer; returns the matplotlib Axes."""
        return plot_activity(
            {getattr(self.model, "name", "model"): self.summary()}, ax=ax, field=field
        )


@torch.no_grad()
def record_activity(
    model: nn.Module,
    data: torch.Tensor | Iterable,
    *,
    device: torch.device | str | None = None,
) -> SpikeMonitor:
    """Run ``model`` (in its current train/eval mode, without gradients) and record its activity.

    ``data`` is one input tensor or an iterable of ``(x, label)`` batches (a
    DataLoader). Event frames from a loader, ``[B, T, ...]``, are turned into
    the ``[T, B, ...]`` the models take. Returns the closed monitor.
    """
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else "cpu"
    if isinstance(data, torch.Tensor):
        inputs = [data]  # already laid out as the model takes it
    else:
        inputs = (model_input(x) for x, _ in data)
    with SpikeMonitor(model) as monitor:
        for x in inputs:
            model(x.to(device))
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


def plot_activity(
    summaries: dict[str, dict[str, LayerActivity]],
    ax=None,
    field: str = "events",
    log: bool = False,
):
    """Grouped bars of ``field`` ("events", "mass" or "max_value") per layer, one colour per model."""
    import matplotlib.pyplot as plt

    if field not in ("events", "mass", "max_value"):
        raise ValueError(f"field must be one of 'events', 'mass', 'max_value', got {field!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.5))
    layers = list(next(iter(summaries.values()), {}))
    bar = 0.8 / max(len(summaries), 1)
    for index, (model, summary) in enumerate(summaries.items()):
        heights = [getattr(summary[n], field) if n in summary else 0.0 for n in layers]
        ax.bar([i + index * bar for i in range(len(layers))], heights, width=bar, label=model)
    ax.set_xticks([i + 0.4 - bar / 2 for i in range(len(layers))])
    ax.set_xticklabels(layers, rotation=90, fontsize=7)
    labels = {
        "events": "spike events per sample",
        "mass": "spike mass per sample",
        "max_value": "largest value",
    }
    ax.set_ylabel(labels[field])
    ax.set_xlabel("layer (forward order)")
    ax.set_title(f"{labels[field].capitalize()} per layer")
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    return ax


@torch.no_grad()
def residual_sums(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Run ``model`` on ``x`` and return, per residual sum, the raw ``branch + shortcut``.

    That is the value entering the barrier neuron in a Sparse-ResNet (before it
    is brought back to [0, N]) and the block output in a SEW-ResNet. Tensors
    are time-folded ``[T*B, C, H, W]``, keyed by ``"sum0"``, ``"sum1"``, ...
    """
    sums: dict[str, torch.Tensor] = {}
    handles = [
        module.register_forward_hook(
            lambda m, inputs, out, name=module.activity_name: sums.__setitem__(
                name, inputs[0] + inputs[1]
            )
        )
        for module in model.modules()
        if getattr(module, "activity_kind", None) == "sum" and module.activity_name
    ]
    try:
        model(x)
    finally:
        for handle in handles:
            handle.remove()
    return sums


def block_parameters(model: nn.Module) -> dict[str, list[nn.Parameter]]:
    """The model's gradient groups: its ``block_parameters()`` or, failing that, its children."""
    if hasattr(model, "block_parameters"):
        return model.block_parameters()
    return {
        name: list(child.parameters())
        for name, child in model.named_children()
        if any(True for _ in child.parameters())
    }


class GradientNormRecorder:
    r"""Record :math:`\lVert \nabla_{\theta_b} L \rVert_2` for every block b after each backward.

    Blocks are the model's ``block_parameters()`` groups (``"stem"``,
    ``"layer1.0"``, ..., ``"fc"`` for the ResNets). The norm is that of the
    gradient computed by one ``backward()`` call, before it is accumulated
    into ``.grad``, so it does not depend on whether ``.grad`` was zeroed.
    A hook per block fires once all its parameters have their gradient.

    Hooks are installed on construction; :meth:`close` (or leaving a ``with``
    block) removes them. ``history`` maps each block to its list of norms, one
    per backward pass.
    """

    def __init__(self, model: nn.Module) -> None:
        self.history: dict[str, list[float]] = {}
        self._handles = []
        for name, params in block_parameters(model).items():
            trainable = [p for p in params if p.requires_grad]
            if not trainable:
                continue
            self.history[name] = []
            handle = torch.autograd.graph.register_multi_grad_hook(
                trainable, self._block_hook(name), mode="all"
            )
            self._handles.append(handle)

    def _block_hook(self, name: str):
        def hook(grads) -> None:
            norms = [torch.linalg.vector_norm(g.detach()) for g in grads if g is not None]
            if norms:
                self.history[name].append(float(torch.linalg.vector_norm(torch.stack(norms))))

        return hook

    def close(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> GradientNormRecorder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def mean(self) -> dict[str, float]:
        """Average norm per block over the recorded steps."""
        return {name: sum(v) / len(v) for name, v in self.history.items() if v}

    def plot(
        self,
        ax=None,
        blocks: list[str] | None = None,
        smooth: int = 1,
        title: str = "Gradient norm per block",
    ):
        """One line per block over training steps (log scale); returns the matplotlib Axes.

        With ``smooth`` > 1 each point is the mean of the last ``smooth`` steps.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3.5))
        for name in blocks or list(self.history):
            norms = torch.tensor(self.history[name], dtype=torch.float64)
            window = min(max(smooth, 1), len(norms))
            if window > 1:
                norms = norms.unfold(0, window, 1).mean(dim=1)
            ax.plot(range(window, window + len(norms)), norms.tolist(), label=name)
        ax.set_yscale("log")
        ax.set_xlabel("training step (backward pass)")
        ax.set_ylabel("gradient L2 norm")
        ax.set_title(title)
        ax.legend(fontsize=7, ncol=2)
        return ax
