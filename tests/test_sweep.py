"""The sweep behind the committed results: what it trains, what it writes, how it resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlsnn_edu import cli
from mlsnn_edu.experiments import sweep
from mlsnn_edu.experiments.reproduce import Experiment

TINY_EXPERIMENTS = (
    Experiment("SEW-ResNet18", "sew_resnet18", 1, 4),
    Experiment("Sparse-ResNet18", "sparse_resnet18", 1, 4),
)


def test_every_experiment_up_to_width_16_and_the_core_ones_beyond() -> None:
    runs = sweep.sweep_runs((8, 32), (0, 1), all_levels=False)
    at_8 = {(r.experiment.model, r.experiment.levels) for r in runs if r.width == 8}
    at_32 = {(r.experiment.model, r.experiment.levels) for r in runs if r.width == 32}
    assert ("sew_resnet18", 1) in at_8 and ("sew_resnet18", 1) not in at_32
    assert {("sew_resnet18", 4), ("sparse_resnet18", 4), ("vgg16_snn", 1)} <= at_32
    assert len({r.name for r in runs}) == len(runs)  # one folder per run


def test_ratios_pair_the_same_width_and_seed() -> None:
    def run(model: str, width: int, seed: int, events: float) -> dict:
        epoch = {"events": {"total": events}}
        return {
            "model": model,
            "timesteps": 1,
            "levels": 4,
            "width": width,
            "seed": seed,
            "epochs": [epoch],
        }

    results = [
        {"runs": [run("sew_resnet18", 8, 0, 100.0), run("sparse_resnet18", 8, 0, 80.0)]},
        {"runs": [run("sew_resnet18", 16, 0, 50.0), run("sparse_resnet18", 16, 1, 10.0)]},
    ]
    measured = sweep.ratios(results, sweep.SPARSE_N4, sweep.SEW_N4, lambda r: r["events"]["total"])
    assert measured == {8: [0.8]}  # width 16 has no pair: seeds 0 and 1 differ


@pytest.mark.slow
def test_a_tiny_sweep_writes_results_with_provenance_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(sweep, "PAPER_EXPERIMENTS", TINY_EXPERIMENTS)
    monkeypatch.setitem(sweep.SWEEP_SETTINGS, "epochs", 2)
    monkeypatch.setitem(sweep.SWEEP_SETTINGS, "activity_samples", 32)
    arguments = ["reproduce", "--sweep", "--widths", "2", "--seeds", "0", "--no-progress"]
    paths = ["--results", str(tmp_path / "results"), "--out", str(tmp_path / "runs")]
    assert cli.main([*arguments, *paths]) == 0
    out = capsys.readouterr().out
    assert "Sparse-ResNet18 / SEW-ResNet18" in out and "width-2.json" in out
    payload = json.loads((tmp_path / "results" / "width-2.json").read_text())
    assert payload["provenance"]["command"] == "mlsnn-edu reproduce --sweep --widths 2 --seeds 0"
    assert [run["model"] for run in payload["runs"]] == ["sew_resnet18", "sparse_resnet18"]
    first = payload["runs"][0]["epochs"]
    assert [epoch["epoch"] for epoch in first] == [1, 2]
    assert set(first[-1]["energy_uj"]) == {"accumulate", "event_mac", "linear_in_N"}
    # a second run finds every network trained and measured: it writes the same numbers
    assert cli.main([*arguments, *paths]) == 0
    again = json.loads((tmp_path / "results" / "width-2.json").read_text())
    assert again["runs"][0]["epochs"] == first
