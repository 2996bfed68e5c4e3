"""The results module: the verdict rule, intervals, convergence, validation on load, and the
committed sweep itself (produced by the code in this repository, with the paper's recipe).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import pytest

from mlsnn_edu.experiments import results as R
from mlsnn_edu.experiments import verdict as V
from mlsnn_edu.experiments.sweep import (
    PAPER_RECIPE,
    code_fingerprint,
    computes_as_today,
    cpu_sweep,
    recipe_for,
    run_path,
)

# --- the verdict rule, on constructed intervals -----------------------------------------------


def interval(low: float, high: float) -> V.Interval:
    return V.Interval((low + high) / 2, low, high, 5)


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.50, 0.70, V.REPRODUCED),  # wholly beyond the paper's 25 %
        (0.70, 0.90, V.REPRODUCED),  # reaches 0.75
        (0.80, 0.95, V.SMALLER),  # fewer spikes, but not 25 % fewer
        (0.87, 1.07, V.SIZE_EXCLUDED),  # no effect possible, 25 % fewer excluded
        (0.99, 1.60, V.SIZE_EXCLUDED),  # mostly more spikes: the paper's size excluded too
        (0.75, 1.07, V.INCONCLUSIVE),  # reaches the paper's size exactly
        (0.70, 1.07, V.INCONCLUSIVE),  # both possible: a 3 % effect in a 37-point spread
        (1.02, 1.10, V.NOT_REPRODUCED),  # more spikes with barriers
    ],
)
def test_the_verdict_rule_on_a_reduction_claim(low: float, high: float, expected: str) -> None:
    assert V.judge(interval(low, high), no_effect=1.0, paper=0.75) == expected


def test_the_verdict_rule_on_an_increase_and_without_evidence() -> None:
    assert V.judge(interval(2.1, 2.8), no_effect=1.0, paper=2.0) == V.REPRODUCED
    assert V.judge(interval(1.2, 1.5), no_effect=1.0, paper=2.0) == V.SMALLER
    assert V.judge(interval(0.6, 0.9), no_effect=1.0, paper=2.0) == V.NOT_REPRODUCED
    assert V.judge(None, no_effect=1.0, paper=2.0) == V.NOT_TESTABLE
    with pytest.raises(ValueError, match="differ"):
        V.judge(interval(0.5, 0.6), no_effect=1.0, paper=1.0)


def test_the_no_loss_rule() -> None:
    assert V.judge_no_loss(interval(-0.8, 0.6), margin=1.0) == V.REPRODUCED
    assert V.judge_no_loss(interval(-3.0, 0.5), margin=1.0) == V.INCONCLUSIVE
    assert V.judge_no_loss(interval(1.5, 4.0), margin=1.0) == V.NOT_REPRODUCED
    assert V.judge_no_loss(None, margin=1.0) == V.NOT_TESTABLE


def test_a_3_percent_effect_is_inconclusive_or_rules_out_the_paper_by_its_spread() -> None:
    wide = [0.72, 0.85, 0.97, 1.09, 1.22]  # mean 0.97, s = 0.197: [0.73, 1.21]
    assert V.judge(V.mean_interval(wide), no_effect=1.0, paper=0.75) == V.INCONCLUSIVE
    narrow = [0.92, 0.95, 0.97, 0.99, 1.02]  # mean 0.97, s = 0.038: [0.92, 1.02]
    assert V.judge(V.mean_interval(narrow), no_effect=1.0, paper=0.75) == V.SIZE_EXCLUDED
    # an increase claim: no effect possible, twice as much excluded
    assert V.judge(interval(0.9, 1.6), no_effect=1.0, paper=2.0) == V.SIZE_EXCLUDED


def test_the_t_interval_by_hand() -> None:
    # mean 2, s = 1, t(0.975, 2) = 4.3027: half-width 4.3027 / sqrt(3) = 2.4842
    found = V.mean_interval([1.0, 2.0, 3.0])
    assert found.mean == 2.0 and found.n == 3
    assert found.low == pytest.approx(2 - 2.4842, abs=1e-4)
    assert found.high == pytest.approx(2 + 2.4842, abs=1e-4)
    with pytest.raises(ValueError, match="at least 2 seeds"):
        V.mean_interval([1.0])


def test_seeds_needed_by_hand() -> None:
    # s = 0.2, effect 0.25: n = 4 gives 3.182 * 0.2 / 2 = 0.318; n = 5 gives 2.776 * 0.2 / 2.236 = 0.248
    assert V.seeds_needed(0.2, 0.25) == 5
    assert V.seeds_needed(0.2, -0.25) == 5


def test_stopped_improving() -> None:
    assert R.stopped_improving(
        [0.5, 0.9, 0.95, 0.95, 0.955, 0.95, 0.95, 0.95], patience=5, tolerance=0.01
    )
    assert not R.stopped_improving(
        [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97], patience=5, tolerance=0.01
    )
    assert not R.stopped_improving([0.9, 0.9], patience=5, tolerance=0.01)  # too short to tell


# --- run files: written, read back, refused when broken -----------------------------------------


def run_payload(network: R.Network, width: int, seed: int, mass: float, accuracy=0.97) -> dict:
    epochs = [
        {
            "epoch": epoch,
            "test_accuracy": accuracy,
            "events": {"sum1": mass / 2, "total": mass},
            "mass": {"sum1": mass, "total": 2 * mass},
            "above_levels": {"sum1": mass / 10},
        }
        for epoch in range(1, 8)
    ]
    return {
        "schema": R.SCHEMA,
        "network": asdict(network),
        "width": width,
        "seed": seed,
        "recipe": asdict(PAPER_RECIPE),
        "code": "0" * 16,
        "epochs": epochs,
        "energy_uj": {"accumulate": mass},
        "provenance": {"commit": "x"},
    }


def write(folder: Path, payload: dict, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(payload))
    return path


def test_runs_read_back_and_pair_by_width_and_seed(tmp_path: Path) -> None:
    write(tmp_path, run_payload(R.SEW_N4, 8, 0, 100.0), "a")
    write(tmp_path, run_payload(R.SPARSE_N4, 8, 0, 80.0), "b")
    write(tmp_path, run_payload(R.SEW_N4, 16, 0, 50.0), "c")
    write(tmp_path, run_payload(R.SPARSE_N4, 16, 1, 10.0), "d")  # no SEW partner for seed 1
    runs = R.load_runs(tmp_path)
    assert R.paired_ratios(runs, R.SPARSE_N4, R.SEW_N4, 8, R.ACTIVITY_MEASURES["mass at sum1"]) == [
        0.8
    ]
    assert R.paired_ratios(runs, R.SPARSE_N4, R.SEW_N4, 16, lambda r: r.mass["sum1"]) == []
    assert R.paired_energy_ratios(runs, R.SPARSE_N4, R.SEW_N4, 8, "accumulate") == [0.8]
    sew = R.runs_of(runs, R.SEW_N4, 8)[8, 0]
    assert sew.converged() and sew.plateau_epoch() == 1
    assert sew.sum_mass_above_levels() == pytest.approx(0.1)
    assert sew.accuracy == pytest.approx(97.0)


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda p: p.write_text(""), "is empty"),
        (lambda p: p.write_text("{not json"), "not valid JSON"),
        (lambda p: p.write_text("[1, 2]"), "JSON object"),
        (lambda p: p.write_bytes(b"\xff\xfe\x00"), "not a text file"),
    ],
)
def test_a_broken_run_file_is_named(tmp_path: Path, break_it, message: str) -> None:
    path = write(tmp_path, run_payload(R.SEW_N4, 8, 0, 1.0), "broken")
    break_it(path)
    with pytest.raises(R.ResultsError, match=message) as error:
        R.load_runs(tmp_path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p.update(schema="mlsnn-edu-sweep-1"), "schema"),
        (lambda p: p.pop("width"), "'width'"),
        (lambda p: p.update(seed="zero"), "'seed'"),
        (lambda p: p["epochs"][0].pop("mass"), "'mass'"),
        (lambda p: p["epochs"][0].update(test_accuracy=97.0), "test_accuracy"),
        (lambda p: p["epochs"][1].update(epoch=5), "epochs"),
        (lambda p: p["epochs"][0]["events"].update(total=math.nan), "events"),
        (lambda p: p["network"].pop("levels"), "'levels'"),
    ],
)
def test_a_run_file_of_the_wrong_schema_names_the_field(tmp_path: Path, change, field) -> None:
    payload = run_payload(R.SEW_N4, 8, 0, 1.0)
    change(payload)
    path = write(tmp_path, json.loads(json.dumps(payload, allow_nan=True)), "wrong")
    with pytest.raises(R.ResultsError, match=field) as error:
        R.load_run(path)
    assert str(path) in str(error.value)


def test_a_missing_or_empty_results_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(R.ResultsError, match="no results folder"):
        R.load_runs(tmp_path / "nowhere")
    with pytest.raises(R.ResultsError, match="holds no run files"):
        R.load_runs(tmp_path)
    (tmp_path / "folder.json").mkdir()
    with pytest.raises(R.ResultsError, match="is a folder"):
        R.load_runs(tmp_path)


def test_the_accuracy_gate() -> None:
    folder_runs = [
        R.parse_run(run_payload(R.SEW_N4, 8, seed, 1.0, accuracy), Path(f"{seed}.json"))
        for seed, accuracy in enumerate([0.98, 0.96, 0.90, 0.30])
    ]
    passed = [V.passes_gate(run, folder_runs) for run in folder_runs]
    assert passed == [True, True, False, False]  # 8 points below the best; near chance


# --- the committed sweep ------------------------------------------------------------------------

COMMITTED = R.load_runs()


def test_the_committed_sweep_is_the_cpu_sweep_trained_by_this_code() -> None:
    """Every run of ``cpu_sweep()`` is committed, with the paper's recipe and today's code.

    Fails when the training code changes (the fingerprint moves) until the sweep is rerun
    or the change is shown to compute the same (``sweep.SAME_COMPUTATION``).
    """
    by_path = {run.path.name: run for run in COMMITTED}
    wanted = {run_path(Path("."), run).name for run in cpu_sweep()}
    assert wanted <= set(by_path), sorted(wanted - set(by_path))
    for run in COMMITTED:
        assert run.recipe == asdict(recipe_for(run.network, PAPER_RECIPE))
        assert computes_as_today(run.code, code_fingerprint()), f"{run.path}: other training code"
        assert not run.provenance["uncommitted_changes"], run.path
        assert len(run.epochs) == run.recipe["epochs"]


def test_committed_runs_hold_sane_measurements() -> None:
    for run in COMMITTED:
        final = run.final
        assert final.mass["total"] > 0 and final.events["total"] > 0, run.path
        if run.network.model != "ann_resnet18":  # a spike of value z >= 1 adds z to the mass
            assert final.mass["total"] >= final.events["total"], run.path
        assert set(run.energy_uj) == {"accumulate", "event_mac", "linear_in_N"}
        if run.network.model == "sparse_resnet18":
            assert sum(final.above_levels.values()) == 0, "a barrier lets no sum exceed N"


def test_too_few_pairs_says_whether_the_gate_removed_them(tmp_path: Path) -> None:
    """A ratio counts gated pairs only; an accuracy difference counts every trained pair."""
    from mlsnn_edu.experiments.claims import accuracy_difference, activity_ratio

    write(tmp_path, run_payload(R.SEW_N4, 8, 0, 100.0), "a")
    write(tmp_path, run_payload(R.SPARSE_N4, 8, 0, 80.0, accuracy=0.30), "b")  # fails the gate
    runs = R.load_runs(tmp_path)
    ratio = activity_ratio(runs, 8, R.ACTIVITY_MEASURES["mass at sum1"])
    assert ratio.describe() == "too few gated pairs (0 of 1)"
    difference = accuracy_difference(runs, R.SPARSE_N4, R.SEW_N4, 8)
    assert difference.values == [pytest.approx(-67.0)]
    assert difference.describe() == "too few pairs (1 of 1)"
