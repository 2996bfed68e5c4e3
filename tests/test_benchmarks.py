"""The benchmark scripts run end to end at a tiny size and write the JSON they promise.

These are smoke tests, not timed tests: the numbers are never checked, only that
each script runs from a fresh process and reports what the book's Performance
appendix reads.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"


def run_benchmark(script: str, out: Path, *extra: str) -> dict:
    command = [sys.executable, str(BENCHMARKS / script), "--quick", "--out", str(out), *extra]
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=600)
    name = script.replace(".py", ".json")
    return json.loads((out / name).read_text())


@pytest.mark.slow
def test_neuron_op_reports_every_contender(tmp_path: Path) -> None:
    report = run_benchmark("neuron_op.py", tmp_path, "--levels", "2", "8")
    assert report["environment"]["threads"] >= 1 and report["environment"]["torch"]
    for levels in ("2", "8"):
        contenders = report["results"][levels]
        expected = {"relu", "closed_form", "closed_form_definition", "microstep_loop", "snntorch"}
        assert expected <= set(contenders)
        assert contenders["relu"]["ratio_to_relu"] == pytest.approx(1.0)
        assert contenders["closed_form"]["wall_s"]["median_s"] > 0
    assert "closed_form_speedup_over_microsteps_N8" in report["targets"]


@pytest.mark.slow
def test_train_step_reports_ratios_to_the_ann(tmp_path: Path) -> None:
    report = run_benchmark(
        "train_step.py", tmp_path, "--contenders", "ann", "sparse", "snntorch_binary"
    )
    (width,) = report["results"]
    sparse = report["results"][width]["sparse"]
    assert sparse["images_per_s"] > 0
    assert {"step_ratio_to_ann", "speedup_over_snntorch"} <= set(sparse)
    assert f"sparse_step_vs_ann_width{width}" in report["targets"]


@pytest.mark.slow
def test_gpu_epoch_runs_on_a_cpu(tmp_path: Path) -> None:
    report = run_benchmark("gpu_epoch.py", tmp_path, "--variants", "sparse", "ann")
    assert report["results"]["sparse"]["images_per_s"] > 0
    assert report["results"]["sparse"]["images_per_s_ratio_to_ann"] > 0


@pytest.mark.slow
def test_book_build_measures_a_stand_in_chapter(tmp_path: Path) -> None:
    report = run_benchmark("book_build.py", tmp_path)
    assert report["failed"] == 0
    (chapter,) = report["results"].values()
    assert chapter["execute_s"] > 0 and chapter["kernel_peak_mb"] > 0
    assert {"slowest_chapter_s", "whole_book_s", "largest_chapter_peak_mb"} <= set(
        report["targets"]
    )
