"""The analytical energy model of Lemaire et al. (ICONIP 2022), for ANNs, binary and multi-level SNNs.

* :mod:`~mlsnn_edu.energy.presets`: energy per operation and per memory access
  (Horowitz, ISSCC 2014, 45 nm), as named presets;
* :mod:`~mlsnn_edu.energy.counts`: the model's equations, one function per kind of layer;
* :mod:`~mlsnn_edu.energy.layer_walk`: which layers are charged, in forward order,
  with which counts (the choices the model leaves open);
* :mod:`~mlsnn_edu.energy.estimate`: :func:`estimate_energy` charges those counts at a
  preset's energies and returns an :class:`EnergyReport` (rows, total, table);
* :mod:`~mlsnn_edu.energy.measure`: :func:`measure_activity`, the one way activity is
  measured (calibrate an untrained network, then record), and :func:`measure_energy`;
* :mod:`~mlsnn_edu.energy.calibration`: batch-norm statistics for untrained networks.

``book/energy-model.md`` (the book's appendix) lists every term with its source.
The figures are in :mod:`mlsnn_edu.figures`, the comparisons of whole networks
in :mod:`mlsnn_edu.experiments.energy`.

How a multi-level spike of value k is charged is the ``multilevel_cost`` option:

==================  ======================================  ==========================
option              a spike of value k in [1, N] costs       cost follows
==================  ======================================  ==========================
``"accumulate"``    k accumulations (k unit spikes)          the spike mass
``"event_mac"``     one event, weight times k by shift-add   the spike events
``"linear_in_N"``   V accumulations whatever k (V: the       V x the events
                    largest value, N or more after a sum)
==================  ======================================  ==========================
"""

from mlsnn_edu.energy.calibration import calibrate_batch_norm
from mlsnn_edu.energy.counts import (
    MULTILEVEL_COSTS,
    Counts,
    SynapseGeometry,
    ann_synapse_counts,
    neuron_counts,
    spike_units,
    spiking_synapse_counts,
)
from mlsnn_edu.energy.estimate import (
    ENERGY_KINDS,
    EnergyReport,
    LayerEnergy,
    comparison_table,
    energy_by_kind,
    estimate_energy,
)
from mlsnn_edu.energy.measure import measure_activity, measure_energy
from mlsnn_edu.energy.presets import (
    HOROWITZ_45NM_PJ,
    PRESET_NAMES,
    PRESETS,
    SRAM_PJ_OFFSET,
    SRAM_PJ_PER_BIT,
    EnergyPreset,
    get_preset,
)

__all__ = [
    "Counts",
    "ENERGY_KINDS",
    "EnergyPreset",
    "EnergyReport",
    "HOROWITZ_45NM_PJ",
    "LayerEnergy",
    "MULTILEVEL_COSTS",
    "PRESETS",
    "PRESET_NAMES",
    "SRAM_PJ_OFFSET",
    "SRAM_PJ_PER_BIT",
    "SynapseGeometry",
    "ann_synapse_counts",
    "calibrate_batch_norm",
    "comparison_table",
    "energy_by_kind",
    "estimate_energy",
    "get_preset",
    "measure_activity",
    "measure_energy",
    "neuron_counts",
    "spike_units",
    "spiking_synapse_counts",
]
