r"""Walk a network layer by layer and charge each layer's counts at a preset's energies.

:func:`estimate_energy` reads the layers of a network from its modules, in
forward order, and the activity recorded by :class:`mlsnn_edu.monitor.SpikeMonitor`.
Choices the model of Lemaire et al. (ICONIP 2022) leaves open, made here:

* **The first layer** is fed by pixels (direct encoding), not spikes: it is
  computed like an ANN layer once per timestep, skipping zero pixels
  (``input_spikes=True`` when the input is already spikes, e.g. event frames).
* **The classifier** reads the global average of the last spikes, which is not
  a spike: it is a dense layer too, charged per timestep. Its logits are summed
  over timesteps without a neuron (not charged).
* **Residual sums** of spikes are event-driven: every spike unit arriving from
  the branch or the shortcut is read and added once; a SEW sum writes its
  non-zero results out; a Sparse sum's barrier neuron integrates them and is
  charged as a neuron without a bias. An ANN sum adds every element.
* **Pooling**: one accumulate (average) or compare (max) per arriving value and
  one write per departing value, which is small next to the convolutions.
* A ReLU is folded into the ANN layer's output write.

Energy per row: operations :math:`(ACC + \text{mul\_adds})E_{add} + MAC(E_{add}+E_{mul})`,
addressing the same for the address arithmetic, and each memory access at
:math:`E_{ram}` of the memory it touches.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import torch
from torch import nn

from mlsnn_edu.checks import check_choice, check_positive_int
from mlsnn_edu.energy.calibration import calibrate_batch_norm
from mlsnn_edu.energy.counts import (
    MULTILEVEL_COSTS,
    Counts,
    SynapseGeometry,
    ann_synapse_counts,
    dense_sum_counts,
    dense_synapse_counts,
    event_sum_counts,
    neuron_counts,
    pool_counts,
    spike_units,
    spiking_synapse_counts,
)
from mlsnn_edu.energy.presets import EnergyPreset, get_preset
from mlsnn_edu.monitor import SpikeMonitor, record_activity
from mlsnn_edu.neurons import MultiLevelIF

ENERGY_KINDS = ("operations", "addressing", "weights", "potentials", "biases", "io")
"""The kinds of energy each row is split into (io: input and output buffers)."""

POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
AVERAGE_POOLS = (nn.AvgPool2d, nn.AdaptiveAvgPool2d)
PASS_THROUGH = (nn.Flatten, nn.Identity, nn.Dropout)


class Row(NamedTuple):
    """A layer's counts, and the part of them paid at every timestep whatever the spikes."""

    name: str
    kind: str
    counts: Counts
    steady: Counts


def energy_by_kind(counts: Counts, preset: EnergyPreset) -> dict[str, float]:
    """Energy in pJ of ``counts`` at ``preset``'s costs, split into :data:`ENERGY_KINDS`."""
    ram = preset.ram_access_pj
    return {
        "operations": (counts.acc + counts.mul_adds) * preset.add_pj + counts.mac * preset.mac_pj(),
        "addressing": counts.addr_acc * preset.add_pj + counts.addr_mac * preset.mac_pj(),
        "weights": counts.weight_reads * ram(counts.weight_memory),
        "potentials": (counts.potential_reads + counts.potential_writes)
        * ram(counts.potential_memory),
        "biases": counts.bias_reads * ram(counts.bias_memory),
        "io": counts.input_reads * ram(counts.input_memory)
        + counts.output_writes * ram(counts.output_memory),
    }


@dataclass(frozen=True)
class LayerEnergy:
    """One row of the estimate: a layer's counts and its energy (pJ per inference) by kind.

    ``steady`` is the part of ``total`` paid at every timestep whatever the spikes
    (neuron updates, the pixels of the first layer; all of an ANN's energy).
    """

    name: str
    kind: str
    counts: Counts
    energy: dict[str, float]
    steady: float = 0.0

    @property
    def total(self) -> float:
        return sum(self.energy.values())


@dataclass
class EnergyReport:
    """The per-layer estimate of one network and its total per inference.

    Attributes:
        model: the network's name; ``spiking``: False for the ANN estimate.
        timesteps, levels: T and N (1 and ``None`` for the ANN estimate).
        preset: the energies used; ``multilevel_cost``: how a spike of value k was charged.
        layers: the rows, in forward order.
    """

    model: str
    spiking: bool
    timesteps: int
    levels: int | None
    preset: EnergyPreset
    multilevel_cost: str
    layers: list[LayerEnergy] = field(default_factory=list)

    @property
    def total(self) -> float:
        """Energy per inference, in pJ."""
        return sum(row.total for row in self.layers)

    def by_kind(self) -> dict[str, float]:
        """Energy per inference in pJ, summed over layers, for each of :data:`ENERGY_KINDS`."""
        return {kind: sum(row.energy[kind] for row in self.layers) for kind in ENERGY_KINDS}

    def split(self) -> dict[str, float]:
        """Energy per inference in pJ: ``"every timestep"`` (whatever the spikes: grows with T)
        and ``"spikes"`` (the rest: grows with the spike units)."""
        steady = sum(row.steady for row in self.layers)
        return {"every timestep": steady, "spikes": self.total - steady}

    def counts(self) -> Counts:
        """The counts summed over every layer."""
        total = Counts()
        for row in self.layers:
            total = total + row.counts
        return total

    def label(self) -> str:
        if not self.spiking:
            return f"{self.model} (ANN)"
        return f"{self.model} [T={self.timesteps}, N={self.levels}]"

    def table(self, label: str | None = None) -> str:
        """The per-layer table as text, headed by the network's ``label`` (default
        :meth:`label`; a comparison passes one that also says where the weights come from),
        then the preset's numbers and source."""
        header = (
            f"{'layer':<24} {'kind':<7} {'ACC':>8} {'MAC':>8} {'addr':>8} {'weights':>8} "
            f"{'potent.':>8} {'bias':>8} {'io':>8} {'energy nJ':>10} {'share':>6}"
        )
        total = self.total or 1.0
        lines = [
            f"{label or self.label()}, multi-level spikes charged as {self.multilevel_cost!r}",
            self.preset.describe(),
            header,
            "-" * len(header),
        ]
        for row in [*self.layers, LayerEnergy("total", "", self.counts(), self.by_kind())]:
            c = row.counts
            lines.append(
                f"{row.name:<24} {row.kind:<7} {_short(c.acc + c.mul_adds)} {_short(c.mac)} "
                f"{_short(c.addr_acc + c.addr_mac)} {_short(c.weight_reads)} "
                f"{_short(c.potential_reads + c.potential_writes)} {_short(c.bias_reads)} "
                f"{_short(c.input_reads + c.output_writes)} {row.total / 1e3:>10.1f} "
                f"{100 * row.total / total:>5.1f}%"
            )
        kinds = ", ".join(f"{k} {v / 1e3:.1f}" for k, v in self.by_kind().items())
        lines.append(f"energy by kind (nJ): {kinds}")
        lines.append(f"total: {self.total / 1e6:.3f} uJ per inference")
        return "\n".join(lines)


def _short(value: float) -> str:
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:>7.2f}{suffix}"
    return f"{value:>8.0f}"


def estimate_energy(
    model: nn.Module,
    activity: Any = None,
    *,
    preset: str | EnergyPreset = "horowitz45nm",
    multilevel_cost: str = "accumulate",
    input_spikes: bool = False,
    input_shape: Sequence[int] | None = None,
) -> EnergyReport:
    """Energy per inference of ``model``, layer by layer.

    Args:
        model: a network of :mod:`mlsnn_edu.models` (or any network built from the
            same layers: ``nn.Conv2d``, ``nn.Linear``, pooling, neurons and residual
            sums carrying ``activity_name``).
        activity: a :class:`~mlsnn_edu.monitor.SpikeMonitor` that watched ``model``
            run, or a mapping of its records (``synapses()`` by module path and
            ``summary()`` by layer name). ``None``: the ANN estimate, which needs
            only the layer shapes (give ``input_shape``, e.g. ``(3, 32, 32)``).
            An ANN model is always charged as an ANN.
        preset: a name from :data:`~mlsnn_edu.energy.presets.PRESET_NAMES` or an
            :class:`~mlsnn_edu.energy.presets.EnergyPreset`.
        multilevel_cost: ``"accumulate"``, ``"event_mac"`` or ``"linear_in_N"``: how a
            spike of value k is charged (:func:`~mlsnn_edu.energy.counts.spike_units`).
        input_spikes: the network's input is spikes (event frames), so its first
            layer is event-driven too.
        input_shape: ``(C, H, W)`` of one input, only when ``activity`` is ``None``.
    """
    preset = get_preset(preset)
    check_choice(multilevel_cost, MULTILEVEL_COSTS, "multilevel_cost")
    neurons = [m for m in model.modules() if isinstance(m, MultiLevelIF)]
    spiking = bool(neurons) and activity is not None
    if activity is None:
        activity = _shape_pass(model, input_shape)
    synapses, summary = _split_records(model, activity)
    walker = _Walker(model, synapses, summary, multilevel_cost, input_spikes, neurons)
    rows = walker.spiking_rows() if spiking else walker.ann_rows()
    report = EnergyReport(
        model=str(getattr(model, "name", type(model).__name__)),
        spiking=spiking,
        timesteps=walker.timesteps if spiking else 1,
        levels=walker.levels if spiking else None,
        preset=preset,
        multilevel_cost=multilevel_cost,
    )
    report.layers = [
        LayerEnergy(
            row.name,
            row.kind,
            row.counts,
            energy_by_kind(row.counts, preset),
            sum(energy_by_kind(row.steady, preset).values()),
        )
        for row in rows
    ]
    return report


def _shape_pass(model: nn.Module, input_shape: Sequence[int] | None) -> SpikeMonitor:
    """Run ``model`` once on zeros under a monitor, in eval mode, for the layer shapes only."""
    if input_shape is None:
        raise ValueError(
            "input_shape (C, H, W of one input, e.g. (3, 32, 32)) is required when activity is None"
        )
    first = next(model.parameters(), None)
    device = first.device if first is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        return record_activity(model, torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(was_training)


def _split_records(model: nn.Module, activity: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(synapse records by module path, neuron and sum records by layer name)``."""
    if isinstance(activity, SpikeMonitor):
        if model is not activity.model and model is not activity.inner:
            watched = getattr(activity.inner, "name", type(activity.inner).__name__)
            raise ValueError(
                f"activity was recorded on another network ({watched!r}, another object than "
                f"the {getattr(model, 'name', type(model).__name__)!r} given): record the "
                "activity of this model, e.g. with record_activity(model, inputs)"
            )
        return dict(activity.synapses()), dict(activity.summary())
    if isinstance(activity, Mapping):
        synapses = {k: r for k, r in activity.items() if r.kind in ("conv", "linear")}
        summary = {k: r for k, r in activity.items() if r.kind not in ("conv", "linear")}
        return synapses, summary
    raise ValueError(
        "activity must be a SpikeMonitor that watched the model run, a mapping of its "
        f"records, or None for the ANN estimate; got {type(activity).__name__}"
    )


def _elements(shape: Sequence[int]) -> int:
    return math.prod(int(s) for s in shape)


class _Walker:
    """The layers of ``model`` in forward order, matched with their activity records."""

    def __init__(self, model, synapses, summary, multilevel_cost, input_spikes, neurons) -> None:
        self.synapses, self.summary = synapses, summary
        self.multilevel_cost, self.input_spikes = multilevel_cost, input_spikes
        self.levels = getattr(model, "levels", None) or max((m.levels for m in neurons), default=1)
        self.timesteps = getattr(model, "timesteps", 1) or 1
        self.layers: list[tuple[str, nn.Module]] = [
            (path, module)
            for path, module in model.named_modules()
            if isinstance(module, (nn.Conv2d, nn.Linear, *POOLS, *PASS_THROUGH))
            or getattr(module, "activity_name", None) is not None
        ]

    # -- records ---------------------------------------------------------------------------
    def record(self, path: str, module: nn.Module):
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            table, key = self.synapses, path
        else:
            table, key = self.summary, module.activity_name
        if key not in table:
            raise ValueError(
                f"no activity recorded for layer {key!r}: record it by running the model "
                "inside `with SpikeMonitor(model) as monitor:` and pass the monitor"
            )
        return table[key]

    def units(self, record) -> tuple[float, float]:
        return spike_units(
            record.events,
            record.mass,
            record.max_value,
            levels=self.levels,
            multilevel_cost=self.multilevel_cost,
        )

    def geometry(self, module: nn.Module, record) -> SynapseGeometry:
        if isinstance(module, nn.Linear):
            return SynapseGeometry(module.in_features, module.out_features)
        return SynapseGeometry(
            module.in_channels,
            module.out_channels,
            kernel=tuple(module.kernel_size),
            stride=tuple(module.stride),
            groups=module.groups,
            in_size=tuple(int(s) for s in record.shape[-2:]),
            out_size=tuple(int(s) for s in record.out_shape[-2:]),
        )

    def recorded_before(self, index: int) -> tuple[str, Any] | None:
        """The last neuron or sum before position ``index``: what feeds the layer there."""
        for path, module in reversed(self.layers[:index]):
            if getattr(module, "activity_name", None) is not None:
                return path, self.record(path, module)
        return None

    def next_synapse(self, index: int) -> tuple[str, nn.Module] | None:
        for path, module in self.layers[index + 1 :]:
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                return path, module
        return None

    def fed_by_average(self, index: int) -> bool:
        """Whether the layer at ``index`` reads an average pool's (non-spike) output."""
        for _, module in reversed(self.layers[:index]):
            if isinstance(module, PASS_THROUGH):
                continue
            return isinstance(module, AVERAGE_POOLS)
        return False

    def sum_inputs(self, index: int) -> tuple[Any, ...]:
        """Records of the two terms of the residual sum at ``index``: branch and shortcut.

        The monitor records them at the sum itself (``LayerActivity.inputs``).
        """
        path, module = self.layers[index]
        terms = self.record(path, module).inputs
        if len(terms) != 2:
            raise ValueError(
                f"no record of the two terms of residual sum {module.activity_name!r}: pass "
                "the SpikeMonitor (or its summary()) that watched the model run"
            )
        return terms

    # -- rows ------------------------------------------------------------------------------
    def ann_rows(self) -> list[Row]:
        """An ANN pays every count at its single timestep: all of it is steady."""
        rows = []
        for index, (path, module) in enumerate(self.layers):
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                record = self.record(path, module)
                kind = "conv" if isinstance(module, nn.Conv2d) else "linear"
                counts = ann_synapse_counts(self.geometry(module, record))
                rows.append(Row(path, kind, counts, counts))
            elif getattr(module, "activity_kind", None) == "sum":
                record = self.record(path, module)
                counts = dense_sum_counts(_elements(record.shape))
                rows.append(Row(module.activity_name, "sum", counts, counts))
            elif isinstance(module, POOLS):
                rows.append(self.pool_row(index, spiking=False))
        return rows

    def spiking_rows(self) -> list[Row]:
        rows = []
        first_synapse = True
        for index, (path, module) in enumerate(self.layers):
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                record = self.record(path, module)
                geometry = self.geometry(module, record)
                kind = "conv" if isinstance(module, nn.Conv2d) else "linear"
                dense = (first_synapse and not self.input_spikes) or self.fed_by_average(index)
                first_synapse = False
                if dense:
                    frames = record.events / geometry.inputs
                    counts = dense_synapse_counts(
                        geometry, frames=frames, timesteps=record.timesteps
                    )
                    rows.append(Row(path, kind, counts, counts))  # pixels arrive every timestep
                else:
                    units_in, mul_adds = self.units(record)
                    counts = spiking_synapse_counts(geometry, units_in, mul_adds)
                    rows.append(Row(path, kind, counts, Counts()))
            elif getattr(module, "activity_kind", None) == "neuron":
                record = self.record(path, module)
                units_out, mul_adds = self.units(record)
                shape = (_elements(record.shape), int(record.shape[0]))
                counts, steady = (
                    neuron_counts(*shape, timesteps=record.timesteps, units_out=units, mul_adds=mul)
                    for units, mul in ((units_out, mul_adds), (0.0, 0.0))
                )
                rows.append(Row(module.activity_name, "neuron", counts, steady))
            elif getattr(module, "activity_kind", None) == "sum":
                rows.append(self.sum_row(index, module))
            elif isinstance(module, POOLS):
                rows.append(self.pool_row(index, spiking=True))
        return rows

    def sum_row(self, index: int, module: nn.Module) -> Row:
        record = self.record(*self.layers[index])
        units_in = sum(self.units(term)[0] for term in self.sum_inputs(index))
        units_out, mul_adds = self.units(record)
        n = _elements(record.shape)
        barrier = isinstance(getattr(module, "after", None), MultiLevelIF)
        counts = event_sum_counts(n, units_in=units_in, units_out=units_out, barrier=barrier)
        if not barrier:
            return Row(module.activity_name, "sum", counts, Counts())
        channels, timesteps = int(record.shape[0]), record.timesteps
        steady = neuron_counts(n, channels, timesteps=timesteps, units_out=0.0, bias=False)
        neurons = neuron_counts(
            n, channels, timesteps=timesteps, units_out=units_out, mul_adds=mul_adds, bias=False
        )
        return Row(module.activity_name, "sum", counts + neurons, steady)

    def pool_row(self, index: int, *, spiking: bool) -> Row:
        path, module = self.layers[index]
        source = self.recorded_before(index)
        target = self.next_synapse(index)
        if source is None or target is None:
            raise ValueError(
                f"pooling layer {path!r} needs a recorded layer before and a synapse after it"
            )
        source_record, target_record = source[1], self.record(*target)
        n_in, n_out = _elements(source_record.shape), _elements(target_record.shape)
        if not spiking:
            counts = pool_counts(n_in, n_out, arrivals=n_in, departures=n_out)
            return Row(path, "pool", counts, counts)
        arrivals = self.units(source_record)[0]
        if isinstance(module, AVERAGE_POOLS):
            departures = target_record.events
        else:
            departures = self.units(target_record)[0]
        counts = pool_counts(n_in, n_out, arrivals=arrivals, departures=departures)
        return Row(path, "pool", counts, Counts())


def measure_activity(
    model: nn.Module,
    inputs: torch.Tensor | Iterable,
    *,
    calibrate_on: torch.Tensor | None = None,
    samples: int | None = None,
    batch_size: int = 64,
    autocast_dtype: torch.dtype | None = None,
) -> SpikeMonitor:
    """Chapter 6's lesson in one call: calibrate (an untrained network), then measure.

    With ``calibrate_on`` (training inputs), the batch norms' running statistics
    are first set to their average over those inputs
    (:func:`~mlsnn_edu.energy.calibration.calibrate_batch_norm`): an untrained
    network's activity means nothing without it. Then ``inputs`` (a batch the
    model takes, or a loader of ``(x, label)`` batches) run in eval mode
    without gradients under a :class:`~mlsnn_edu.monitor.SpikeMonitor`;
    ``samples`` stops after that many. The model's train/eval mode is restored.
    This is the one way the library measures activity for the energy model.
    """
    was_training = model.training
    try:
        if calibrate_on is not None:
            calibrate_batch_norm(model, calibrate_on)
        model.eval()
        return record_activity(
            model, inputs, samples=samples, batch_size=batch_size, autocast_dtype=autocast_dtype
        )
    finally:
        model.train(was_training)


def measure_energy(
    model: nn.Module,
    inputs: torch.Tensor,
    *,
    calibrate_on: torch.Tensor | None = None,
    batch_size: int = 64,
    **options: Any,
) -> EnergyReport:
    """:func:`measure_activity` on ``inputs``, then :func:`estimate_energy` (``options``)."""
    batch_size = check_positive_int(batch_size, "batch_size")
    monitor = measure_activity(model, inputs, calibrate_on=calibrate_on, batch_size=batch_size)
    return estimate_energy(model, monitor, **options)


def comparison_table(reports: Mapping[str, EnergyReport], reference: str | None = None) -> str:
    """One line per network: energy per inference (uJ), by kind, and the ratio to ``reference``.

    ``reference`` names one of ``reports`` (the first one by default); its line reads 1.00x.
    """
    if not reports:
        raise ValueError("reports must hold at least one EnergyReport")
    reference = next(iter(reports)) if reference is None else reference
    if reference not in reports:
        raise ValueError(
            f"reference must be one of {', '.join(map(repr, reports))}, got {reference!r}"
        )
    base = reports[reference].total
    width = max(len(name) for name in reports) + 2
    header = f"{'network':<{width}} {'uJ':>9} {'vs ' + reference:>14}  " + " ".join(
        f"{kind:>10}" for kind in ENERGY_KINDS
    )
    lines = [header, "-" * len(header)]
    for name, report in reports.items():
        kinds = " ".join(f"{value / 1e6:>10.2f}" for value in report.by_kind().values())
        ratio = base / report.total if report.total else math.inf
        lines.append(f"{name:<{width}} {report.total / 1e6:>9.2f} {ratio:>13.2f}x  {kinds}")
    lines.append(f"(ratio = energy of {reference} / energy of the network; energies by kind in uJ)")
    return "\n".join(lines)
