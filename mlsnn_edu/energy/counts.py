r"""The model's equations: how many operations and memory accesses one layer costs.

Lemaire et al., "An analytical estimation of spiking neural networks energy
efficiency" (ICONIP 2022). Every count is per inference (one sample, all T
timesteps). Notation: :math:`C_{in}, C_{out}` channels, :math:`H_k \times W_k`
kernel, stride :math:`S`, :math:`H_{out} \times W_{out}` output size, T
timesteps, :math:`u_{in}, u_{out}` the spike units entering and
leaving the layer (see :func:`spike_units`). A fully connected layer is the
convolution with every size 1.

A spiking synaptic layer (conv or linear fed by spikes) charges, per incoming unit,

* accumulates :math:`u_{in}\lceil H_k/S\rceil\lceil W_k/S\rceil C_{out}`
  (each event reaches at most that many output positions),
* addressing: :math:`2u_{in}` multiply-accumulates and
  :math:`u_{in} H_k W_k` accumulates,
* weight reads :math:`u_{in} C_{out} H_k W_k` (from a memory of all the layer's weights),
* potential reads and writes :math:`u_{in} C_{out} H_k W_k` each (memory
  :math:`C_{out} H_{out} W_{out}`),
* :math:`u_{in}` reads of the input buffer.

The neurons behind it charge, per timestep and per emitted unit (:func:`neuron_counts`),

* accumulates :math:`T C_{out} H_{out} W_{out} + u_{out}` (integrate the bias
  and compare to the threshold once per neuron and timestep; one reset per unit),
* potential reads and writes :math:`T C_{out} H_{out} W_{out}` each,
  bias reads :math:`T C_{out} H_{out} W_{out}`,
* :math:`u_{out}` writes to the output buffer.

Lemaire et al. write both parts as one layer; here they are two rows (the
synapse and its neurons) because a barrier neuron has neurons but no synapse.
The sums are the same.

An ANN layer (and a spiking layer fed by non-spike values, :func:`dense_synapse_counts`)
charges :math:`C_{out}H_{out}W_{out}C_{in}H_kW_k` multiply-accumulates, as many
weight and input reads, :math:`C_{out}H_{out}W_{out}` bias accumulates, bias reads
and output writes, and :math:`C_{in}H_{in}W_{in} + C_{out}H_{out}W_{out} + C_{out}H_kW_k`
addressing accumulates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from mlsnn_edu.checks import check_choice, check_levels, check_timesteps

MULTILEVEL_COSTS = ("accumulate", "event_mac", "linear_in_N")
"""How a spike of value k in [1, N] is charged: see :func:`spike_units`."""

OPERATION_FIELDS = ("acc", "mac", "mul_adds")
ADDRESSING_FIELDS = ("addr_acc", "addr_mac")
ACCESS_FIELDS = (
    "weight_reads",
    "potential_reads",
    "potential_writes",
    "bias_reads",
    "input_reads",
    "output_writes",
)
MEMORY_FIELDS = (
    "weight_memory",
    "potential_memory",
    "bias_memory",
    "input_memory",
    "output_memory",
)


@dataclass(frozen=True)
class Counts:
    """Operations and memory accesses of one layer per inference, and the size of each memory.

    ``mul_adds`` are the additions spent multiplying weights by small spike values
    (``"event_mac"``). Memory sizes are numbers of stored values; adding two
    ``Counts`` adds the counts and keeps the larger size of each memory.
    """

    acc: float = 0.0
    mac: float = 0.0
    mul_adds: float = 0.0
    addr_acc: float = 0.0
    addr_mac: float = 0.0
    weight_reads: float = 0.0
    potential_reads: float = 0.0
    potential_writes: float = 0.0
    bias_reads: float = 0.0
    input_reads: float = 0.0
    output_writes: float = 0.0
    weight_memory: int = 0
    potential_memory: int = 0
    bias_memory: int = 0
    input_memory: int = 0
    output_memory: int = 0

    def __add__(self, other: Counts) -> Counts:
        merged = {}
        for field in fields(self):
            a, b = getattr(self, field.name), getattr(other, field.name)
            merged[field.name] = max(a, b) if field.name in MEMORY_FIELDS else a + b
        return Counts(**merged)

    def as_dict(self) -> dict[str, float]:
        """Every count (not the memory sizes) by name."""
        return {
            name: getattr(self, name)
            for name in (*OPERATION_FIELDS, *ADDRESSING_FIELDS, *ACCESS_FIELDS)
        }


@dataclass(frozen=True)
class SynapseGeometry:
    """The shape of a conv or linear layer (a linear layer has every spatial size 1)."""

    in_channels: int
    out_channels: int
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    groups: int = 1
    in_size: tuple[int, int] = (1, 1)
    out_size: tuple[int, int] = (1, 1)

    @property
    def fan_out_maps(self) -> int:
        """Output maps one input channel reaches: :math:`C_{out}` (divided by ``groups``)."""
        return self.out_channels // self.groups

    @property
    def kernel_area(self) -> int:
        return self.kernel[0] * self.kernel[1]

    @property
    def inputs(self) -> int:
        return self.in_channels * self.in_size[0] * self.in_size[1]

    @property
    def outputs(self) -> int:
        return self.out_channels * self.out_size[0] * self.out_size[1]

    @property
    def weights(self) -> int:
        return self.out_channels * (self.in_channels // self.groups) * self.kernel_area

    @property
    def dense_macs(self) -> int:
        r""":math:`C_{out}H_{out}W_{out} \cdot (C_{in}/g) H_k W_k`, one per weight use."""
        return self.outputs * (self.in_channels // self.groups) * self.kernel_area


def spike_units(
    events: float, mass: float, max_value: float, *, levels: int, multilevel_cost: str
) -> tuple[float, float]:
    r"""How many units a spike stream is charged as, and the extra adds per synaptic operation.

    The stream has ``events`` non-zero values and ``mass`` (their sum) per
    inference; its values go up to :math:`V = \max(N, \lceil \text{max\_value}\rceil)`
    (N for a neuron's spikes, more after a SEW residual sum).

    * ``"accumulate"``: a spike of value k is k unit spikes (the N micro-steps
      read literally): :math:`u = \text{mass}`, no multiply.
    * ``"event_mac"``: a spike of value k is one event carrying k; each synaptic
      operation multiplies the weight by k with shift-and-add, which needs at most
      :math:`\lfloor \log_2(V+1)\rfloor - 1` additions: :math:`u = \text{events}`.
    * ``"linear_in_N"``: every event is charged as V unit spikes whatever its
      value (the pessimistic reading): :math:`u = V \cdot \text{events}`.

    With binary spikes (every value 1, N = 1) the three agree.
    Returns ``(u, mul_adds_per_operation)``.
    """
    check_choice(multilevel_cost, MULTILEVEL_COSTS, "multilevel_cost")
    check_levels(levels)
    for name, value in (("events", events), ("mass", mass), ("max_value", max_value)):
        if not value >= 0:
            raise ValueError(f"{name} (spike activity per inference) must be >= 0, got {value!r}")
    largest = max(levels, math.ceil(max_value))
    if multilevel_cost == "accumulate":
        return float(mass), 0.0
    if multilevel_cost == "event_mac":
        return float(events), float(math.floor(math.log2(largest + 1)) - 1)
    return float(events) * largest, 0.0


def spiking_synapse_counts(
    geometry: SynapseGeometry, units_in: float, mul_adds: float = 0.0
) -> Counts:
    """Event-driven conv or linear layer fed by ``units_in`` spike units (module docstring).

    ``mul_adds`` extra additions per synaptic accumulate model the small multiply
    of ``"event_mac"``. The stride term follows the model: an event reaches
    :math:`\\lceil H_k/S\\rceil\\lceil W_k/S\\rceil` output positions, while weights and
    potentials are counted for the whole kernel (borders ignored: upper bounds).
    """
    g = geometry
    reach = math.ceil(g.kernel[0] / g.stride[0]) * math.ceil(g.kernel[1] / g.stride[1])
    synaptic = units_in * reach * g.fan_out_maps
    touched = units_in * g.fan_out_maps * g.kernel_area
    return Counts(
        acc=synaptic,
        mul_adds=synaptic * mul_adds,
        addr_mac=2 * units_in,
        addr_acc=units_in * g.kernel_area,
        weight_reads=touched,
        potential_reads=touched,
        potential_writes=touched,
        input_reads=units_in,
        weight_memory=g.weights,
        potential_memory=g.outputs,
        input_memory=g.inputs,
    )


def dense_synapse_counts(geometry: SynapseGeometry, *, frames: float, timesteps: int) -> Counts:
    r"""A layer fed by non-spike values, computed frame by frame like an ANN layer.

    ``frames`` is the number of timesteps times the fraction of non-zero inputs
    (``events / inputs``): zero inputs are skipped. Multiply-accumulates, weight
    reads and input reads are ``frames * dense_macs``; addressing is
    :math:`T(C_{in}H_{in}W_{in} + C_{out}H_{out}W_{out} + C_{out}H_kW_k)` accumulates.
    The result goes into the neurons' potentials, charged by :func:`neuron_counts`.
    """
    g = geometry
    macs = frames * g.dense_macs
    return Counts(
        mac=macs,
        addr_acc=timesteps * (g.inputs + g.outputs + g.out_channels * g.kernel_area),
        weight_reads=macs,
        input_reads=macs,
        weight_memory=g.weights,
        input_memory=g.inputs,
    )


def ann_synapse_counts(geometry: SynapseGeometry) -> Counts:
    """An ANN conv or linear layer: the dense layer for one frame, plus bias and output.

    Bias: :math:`C_{out}H_{out}W_{out}` accumulates and bias reads (batch norm folds
    into a bias). Output: :math:`C_{out}H_{out}W_{out}` writes. The ReLU that may
    follow is folded into the output write (not charged).
    """
    g = geometry
    return dense_synapse_counts(g, frames=1.0, timesteps=1) + Counts(
        acc=g.outputs,
        bias_reads=g.outputs,
        output_writes=g.outputs,
        bias_memory=g.out_channels,
        output_memory=g.outputs,
    )


def neuron_counts(
    neurons: int,
    channels: int,
    *,
    timesteps: int,
    units_out: float,
    mul_adds: float = 0.0,
    bias: bool = True,
) -> Counts:
    r"""IF neurons (``neurons`` of them, ``channels`` biases) updated every timestep.

    Accumulates :math:`T n + u_{out}` (the threshold compare is part of the
    per-timestep update; one reset per unit, which under ``"event_mac"`` subtracts
    :math:`k\theta` with a small multiply, θ the threshold), potential reads and writes :math:`T n`
    each, bias reads :math:`T n` (``bias=False`` for a barrier neuron, which has no
    batch norm before it), and :math:`u_{out}` output writes.
    """
    check_timesteps(timesteps)
    if not (neurons >= 0 and units_out >= 0):
        raise ValueError(f"neurons and units_out must be >= 0, got {neurons!r} and {units_out!r}")
    updates = timesteps * neurons
    return Counts(
        acc=updates + units_out,
        mul_adds=units_out * mul_adds,
        potential_reads=updates,
        potential_writes=updates,
        bias_reads=updates if bias else 0.0,
        output_writes=units_out,
        potential_memory=neurons,
        bias_memory=channels if bias else 0,
        output_memory=neurons,
    )


def event_sum_counts(elements: int, *, units_in: float, units_out: float, barrier: bool) -> Counts:
    r"""A residual sum of spike streams, ``units_in`` units arriving from both inputs.

    Each arriving unit is read from its input buffer and added (:math:`u_{in}`
    accumulates and reads). Without a barrier (SEW) the sums leave as
    :math:`u_{out}` output writes. With a barrier (Sparse) each arriving unit is
    added into the barrier's potential (:math:`u_{in}` potential reads and
    writes); the barrier's own update, reset and output are :func:`neuron_counts`.
    """
    if barrier:
        return Counts(
            acc=units_in,
            potential_reads=units_in,
            potential_writes=units_in,
            input_reads=units_in,
            potential_memory=elements,
            input_memory=elements,
        )
    return Counts(
        acc=units_in,
        input_reads=units_in,
        output_writes=units_out,
        input_memory=elements,
        output_memory=elements,
    )


def dense_sum_counts(elements: int, inputs: int = 2) -> Counts:
    """ANN residual sum of ``inputs`` maps: ``(inputs - 1)`` accumulates per element,
    ``inputs`` reads and one write per element."""
    return Counts(
        acc=(inputs - 1) * elements,
        input_reads=inputs * elements,
        output_writes=elements,
        input_memory=elements,
        output_memory=elements,
    )


def pool_counts(
    in_elements: int, out_elements: int, *, arrivals: float, departures: float
) -> Counts:
    """Pooling: one accumulate (average) or compare (max) and one read per arriving value,
    one write per departing value. ANN: every element arrives and leaves once; SNN:
    the spike units of the input and the non-zero outputs."""
    return Counts(
        acc=arrivals,
        input_reads=arrivals,
        output_writes=departures,
        input_memory=in_elements,
        output_memory=out_elements,
    )
