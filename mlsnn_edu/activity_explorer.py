"""Sliders for T and N on a small residual network: its spikes and its energy.

The network is a narrow ResNet18 (SEW or Sparse) with untrained weights, fixed
by a seed, whose batch norms are calibrated on the embedded digits so every
neuron sees currents of a sensible size. The weights do not depend on T or N,
so moving a slider changes only the neurons: the spike counts and the energy
estimate show what T and N cost, not what training learned.

Like :mod:`mlsnn_edu.widgets`, the explorer is a plain object whose sliders are
attributes and whose latest result is ``explorer.result``, so tests need
neither a kernel nor a browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython import get_ipython
from IPython.display import clear_output, display

from mlsnn_edu.data.digits import digits_datasets
from mlsnn_edu.energy import calibrate_batch_norm, estimate_energy
from mlsnn_edu.models import build_model
from mlsnn_edu.monitor import SpikeMonitor, plot_activity

NETWORKS = {"SEW-ResNet18": "sew_resnet18", "Sparse-ResNet18": "sparse_resnet18"}


@dataclass(frozen=True)
class ActivityEnergy:
    """Per inference (one digit): spike events and mass over all layers, and energy."""

    events: float  # non-zero spikes, summed over layers and timesteps
    mass: float  # sum of spike values: what a binary network would need in spikes
    sum1_events: float  # events at the second residual sum (the paper's "sum1")
    energy_uj: float  # analytical energy estimate, microjoules


@lru_cache(maxsize=1)
def _test_digits() -> torch.Tensor:
    return digits_datasets()[1].tensors[0]


@lru_cache(maxsize=64)
def _measure(network: str, timesteps: int, levels: int, width: int, samples: int, seed: int):
    torch.manual_seed(seed)
    model = build_model(network, timesteps=timesteps, levels=levels, width=width)
    inputs = _test_digits()[:samples]
    calibrate_batch_norm(model, inputs)
    with torch.no_grad(), SpikeMonitor(model) as monitor:
        model(inputs)
    summary = monitor.summary()
    total = monitor.total()
    result = ActivityEnergy(
        events=total.events,
        mass=total.mass,
        sum1_events=summary["sum1"].events,
        energy_uj=estimate_energy(model, monitor).total / 1e6,
    )
    return result, summary


def activity_energy(
    network: str = "sparse_resnet18",
    *,
    timesteps: int = 1,
    levels: int = 4,
    width: int = 8,
    samples: int = 16,
    seed: int = 0,
) -> ActivityEnergy:
    """Spikes and energy per digit of ``network`` at (T, N), on the first ``samples`` test digits."""
    return _measure(network, timesteps, levels, width, samples, seed)[0]


class ActivityEnergyExplorer:
    """Sliders for T, N and the network; shows spike events, spike mass and energy per digit."""

    def __init__(
        self,
        timesteps: int = 1,
        levels: int = 4,
        network: str = "sparse_resnet18",
        width: int = 8,
        samples: int = 16,
    ) -> None:
        self.width, self.samples = width, samples
        self.timesteps = widgets.IntSlider(value=timesteps, min=1, max=4, description="T")
        self.levels = widgets.IntSlider(value=levels, min=1, max=8, description="N")
        self.network = widgets.ToggleButtons(options=NETWORKS, value=network, description="network")
        self.summary = widgets.HTML()
        self.figure_output = widgets.Output()
        self.result: ActivityEnergy
        for control in (self.timesteps, self.levels, self.network):
            control.observe(self._update, names="value")
        self.widget = widgets.VBox(
            [
                self.network,
                widgets.HBox([self.timesteps, self.levels]),
                self.summary,
                self.figure_output,
            ]
        )
        self._update()

    def _update(self, change: object = None) -> None:
        settings = dict(timesteps=self.timesteps.value, levels=self.levels.value)
        self.result, summary = _measure(
            self.network.value, **settings, width=self.width, samples=self.samples, seed=0
        )
        if get_ipython() is not None:  # a front end to draw for
            label = f"{self.network.label}, T={settings['timesteps']}, N={settings['levels']}"
            ax = plot_activity({label: summary}, field="events")
            ax.set_title(f"Spike events per digit, layer by layer: {label}")
            ax.figure.tight_layout()
            with self.figure_output:
                clear_output(wait=True)
                display(ax.figure)
            plt.close(ax.figure)
        # The numbers change last, once the figure shows the same setting.
        self.summary.value = (
            f"per digit: <b>spike events</b> <span class='events'>{self.result.events:,.0f}</span>"
            f" &nbsp; <b>spike mass</b> <span class='mass'>{self.result.mass:,.0f}</span>"
            f" &nbsp; <b>events at sum1</b> <span class='sum1'>{self.result.sum1_events:,.0f}</span>"
            f" &nbsp; <b>energy</b> <span class='energy'>{self.result.energy_uj:.2f}</span> µJ"
        )

    def _ipython_display_(self) -> None:
        display(self.widget)


def activity_explorer(**kwargs) -> ActivityEnergyExplorer:
    """Build the activity and energy explorer: leave it last in a cell to show it."""
    return ActivityEnergyExplorer(**kwargs)
