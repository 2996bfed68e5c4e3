"""The committed sweep (results/sweep/) matches the schema and the settings the code runs now.

The chapters plot these files; if the sweep's settings or experiments change in
``mlsnn_edu/experiments/sweep.py``, this test fails until the results are run
again (``mlsnn-edu reproduce --sweep``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsnn_edu.energy import MULTILEVEL_COSTS
from mlsnn_edu.experiments.sweep import (
    ENERGY_PRESET,
    SCHEMA,
    SWEEP_SETTINGS,
    load_results,
    sweep_runs,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = load_results(ROOT / "results" / "sweep")
PROVENANCE = {"command", "commit", "seeds", "versions", "device", "threads", "date", "wall_s"}


def test_the_cpu_widths_are_committed() -> None:
    assert {8, 16, 32} <= {payload["width"] for payload in RESULTS}


@pytest.mark.parametrize("payload", RESULTS, ids=[f"width-{p['width']}" for p in RESULTS])
def test_a_results_file_holds_what_the_sweep_runs_now(payload: dict) -> None:
    assert payload["schema"] == SCHEMA
    assert payload["settings"] == {**SWEEP_SETTINGS, "energy_preset": ENERGY_PRESET, "theta": 1.0}
    provenance = payload["provenance"]
    assert PROVENANCE <= set(provenance)
    assert provenance["command"].startswith("mlsnn-edu reproduce --sweep")
    assert {"mlsnn_edu", "python", "torch", "numpy"} <= set(provenance["versions"])
    expected = sweep_runs((payload["width"],), tuple(provenance["seeds"]), all_levels=False)
    found = {
        (run["model"], run["timesteps"], run["levels"], run["width"], run["seed"])
        for run in payload["runs"]
    }
    wanted = {
        (r.experiment.model, r.experiment.timesteps, r.experiment.levels, r.width, r.seed)
        for r in expected
    }
    assert wanted <= found
    for run in payload["runs"]:
        assert [epoch["epoch"] for epoch in run["epochs"]] == list(
            range(1, SWEEP_SETTINGS["epochs"] + 1)
        )
        for epoch in run["epochs"]:
            assert 0.0 <= epoch["test_accuracy"] <= 1.0
            assert {"sum1", "total"} <= set(epoch["events"]) or run["model"] == "vgg16_snn"
            assert epoch["mass"]["total"] >= epoch["events"]["total"] > 0
            assert set(epoch["energy_uj"]) == set(MULTILEVEL_COSTS)
            assert all(value > 0 for value in epoch["energy_uj"].values())
