"""The activity and energy explorer, driven in code (no kernel, no browser)."""

from __future__ import annotations

import re

from mlsnn_edu.activity_explorer import ActivityEnergyExplorer, activity_energy

SMALL = dict(width=4, samples=4)  # a few seconds on a laptop CPU


def shown(explorer: ActivityEnergyExplorer, name: str) -> float:
    text = re.search(rf"<span class='{name}'>([^<]+)</span>", explorer.summary.value).group(1)
    return float(text.replace(",", ""))


def test_sliders_recompute_what_the_library_measures() -> None:
    explorer = ActivityEnergyExplorer(timesteps=1, levels=4, **SMALL)
    assert explorer.result == activity_energy(timesteps=1, levels=4, **SMALL)
    explorer.timesteps.value = 2
    assert explorer.result == activity_energy(timesteps=2, levels=4, **SMALL)
    assert shown(explorer, "energy") == round(explorer.result.energy_uj, 2)
    assert shown(explorer, "events") == round(explorer.result.events)


def test_binary_spikes_have_equal_events_and_mass_and_multilevel_ones_do_not() -> None:
    binary = activity_energy(timesteps=2, levels=1, **SMALL)
    multilevel = activity_energy(timesteps=2, levels=4, **SMALL)
    assert binary.events == binary.mass > 0
    assert multilevel.mass > multilevel.events > 0


def test_more_timesteps_cost_more_energy_than_more_levels() -> None:
    """The paper's point, on this small network: [T=4, N=1] spends more than [T=1, N=4]."""
    many_steps = activity_energy(timesteps=4, levels=1, **SMALL)
    many_levels = activity_energy(timesteps=1, levels=4, **SMALL)
    assert many_steps.events > many_levels.events
    assert many_steps.energy_uj > many_levels.energy_uj


def test_network_toggle_switches_the_measured_network() -> None:
    explorer = ActivityEnergyExplorer(timesteps=1, levels=2, network="sparse_resnet18", **SMALL)
    explorer.network.value = "sew_resnet18"
    assert explorer.result == activity_energy("sew_resnet18", timesteps=1, levels=2, **SMALL)
    assert explorer.result != activity_energy("sparse_resnet18", timesteps=1, levels=2, **SMALL)
