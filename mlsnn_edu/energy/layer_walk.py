r"""Which layers of a network the energy model charges, in forward order, and with which counts.

:class:`LayerWalker` reads the layers of a network from its modules and matches
each with the activity :class:`mlsnn_edu.monitor.SpikeMonitor` recorded, then
turns each into a row of counts (:mod:`mlsnn_edu.energy.counts`).
The choices the model of Lemaire et al. (ICONIP 2022) leaves open, made here:

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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

from torch import nn

from mlsnn_edu.energy.counts import (
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
from mlsnn_edu.neurons import MultiLevelIF

POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
AVERAGE_POOLS = (nn.AvgPool2d, nn.AdaptiveAvgPool2d)
PASS_THROUGH = (nn.Flatten, nn.Identity, nn.Dropout)


class Row(NamedTuple):
    """A layer's counts, and the part of them paid at every timestep whatever the spikes."""

    name: str
    kind: str
    counts: Counts
    steady: Counts


def _elements(shape: Sequence[int]) -> int:
    return math.prod(int(s) for s in shape)


class LayerWalker:
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
