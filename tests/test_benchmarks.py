"""The benchmark scripts run end to end at a tiny size and write the JSON they promise.

These are smoke tests, not timed tests: the numbers are never checked, only that
each script runs from a fresh process and reports what the book's Performance
appendix reads. The scripts the selected tests need are started together, each
with one thread, when the first of them runs (their start-up, mostly imports,
is most of their time), and each test waits for its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
# test -> the script it checks and that script's extra arguments
RUNS = {
    "test_neuron_op_reports_every_contender": (
        "neuron_op.py",
        *("--levels", "2", "8", "--baseline-kernel", "HEAD"),
    ),
    "test_train_step_reports_ratios_to_the_ann": (
        "train_step.py",
        "--contenders",
        "ann",
        "sparse",
        "snntorch_binary",
    ),
    "test_gpu_epoch_runs_on_a_cpu": ("gpu_epoch.py", "--variants", "sparse", "ann"),
    "test_book_build_measures_a_stand_in_chapter": ("book_build.py",),
    "test_sweep_epoch_times_each_part_of_an_epoch": ("sweep_epoch.py", "--networks", "sparse"),
}


class Run:
    """One benchmark script running in its own process, its output in files."""

    def __init__(self, script: str, extra: tuple[str, ...], out: Path) -> None:
        self.script, self.out = script, out
        command = [sys.executable, str(BENCHMARKS / script), "--quick", "--out", str(out)]
        command += [*extra, "--threads", "1"]
        self.log = (out / "output.txt").open("w")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)

    def report(self) -> dict:
        """Wait for the script; its JSON report."""
        code = self.process.wait(timeout=600)
        self.log.close()
        assert code == 0, (self.out / "output.txt").read_text()
        return json.loads((self.out / self.script.replace(".py", ".json")).read_text())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[dict[str, Run]]:
    """The runs of every selected test of this module, started at once."""
    selected = {
        item.originalname
        for item in request.session.items
        if item.path == Path(__file__) and item.originalname in RUNS
    }
    started = {
        test: Run(RUNS[test][0], RUNS[test][1:], tmp_path_factory.mktemp("benchmark"))
        for test in sorted(selected)
    }
    yield started
    for run in started.values():
        run.stop()


def run_benchmark(runs: dict[str, Run], request: pytest.FixtureRequest) -> dict:
    return runs[request.node.originalname].report()


@pytest.mark.slow
def test_neuron_op_reports_every_contender(runs, request) -> None:
    report = run_benchmark(runs, request)
    assert report["environment"]["threads"] >= 1 and report["environment"]["torch"]
    for levels in ("2", "8"):
        contenders = report["results"][levels]
        expected = {
            "relu",
            "closed_form",
            "closed_form_eager",
            "closed_form_definition",
            "microstep_loop",
            "snntorch",
            "closed_form_baseline",  # the kernel of commit HEAD, compiled apart
        }
        assert expected <= set(contenders)
        assert contenders["relu"]["ratio_to_relu"] == pytest.approx(1.0)
        assert contenders["closed_form"]["wall_s"]["median_s"] > 0
    assert "closed_form_speedup_over_microsteps_N8" in report["targets"]
    assert report["baseline_kernel"] == "HEAD"


@pytest.mark.slow
def test_train_step_reports_ratios_to_the_ann(runs, request) -> None:
    report = run_benchmark(runs, request)
    (width,) = report["results"]
    sparse = report["results"][width]["sparse"]
    assert sparse["images_per_s"] > 0
    assert {"step_ratio_to_ann", "speedup_over_snntorch"} <= set(sparse)
    assert f"sparse_step_vs_ann_width{width}" in report["targets"]


@pytest.mark.slow
def test_gpu_epoch_runs_on_a_cpu(runs, request) -> None:
    report = run_benchmark(runs, request)
    sparse, ann = report["results"]["sparse"], report["results"]["ann"]
    assert sparse["images_per_s"] > 0 and sparse["images_per_s_ratio_to_ann"] > 0
    # interleaved: both trained on the same timed batches, in turns of --chunk
    assert sparse["timed_batches"] == ann["timed_batches"] > 0
    assert sparse["interleaved_chunk_batches"] == ann["interleaved_chunk_batches"] == 1


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["--chunk", "0"], "--chunk"),
        (["--max-batches", "0"], "--max-batches"),
        (["--images", "256", "--batch", "256", "--warmup", "1"], "no batch to time"),
    ],
)
def test_gpu_epoch_refuses_arguments_that_leave_nothing_to_time(arguments, named) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_epoch.py"), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and named in done.stderr, done.stderr[-500:]


@pytest.mark.slow
def test_book_build_measures_a_stand_in_chapter(runs, request) -> None:
    report = run_benchmark(runs, request)
    assert report["failed"] == 0
    (chapter,) = report["results"].values()
    assert chapter["execute_s"] > 0 and chapter["kernel_peak_mb"] > 0
    assert {"slowest_chapter_s", "whole_book_s", "largest_chapter_peak_mb"} <= set(
        report["targets"]
    )


@pytest.mark.slow
def test_sweep_epoch_times_each_part_of_an_epoch(runs, request) -> None:
    report = run_benchmark(runs, request)
    (row,) = report["rows"]
    assert (row["code"], row["network"], row["width"]) == ("this", "sparse", 2)
    (run,) = report["runs"]["this sparse 2"]
    assert run["library"] == str(ROOT / "mlsnn_edu")  # the checkout's code, not another copy
    assert len(run["epoch_s"]) == len(run["train_s"]) == len(run["checkpoint_s"]) == 1
    # loading the batches is part of the training pass; each part took some time
    assert 0 < run["load_s"] < run["train_s"][0] < run["epoch_s"][0]
    assert run["evaluate_s"][0] > 0 and run["checkpoint_s"][0] > 0
