"""The sweep behind the committed results: what it trains, what it writes, how it resumes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from mlsnn_edu import cli
from mlsnn_edu.cli import reproduce as reproduce_cli
from mlsnn_edu.experiments import provenance, sweep
from mlsnn_edu.experiments.results import (
    COMMITTED_RESULTS,
    SEW_N4,
    SPARSE_N4,
    VGG_BINARY,
    ResultsError,
    load_runs,
)


def test_the_cpu_sweep_runs_each_network_once_main_comparison_first() -> None:
    runs = sweep.cpu_sweep()
    assert len({run.name for run in runs}) == len(runs)  # one file and folder per run
    first = runs[:10]
    assert {(r.network, r.width) for r in first} == {(SEW_N4, 16), (SPARSE_N4, 16)}
    seeds_at_16 = {r.seed for r in runs if r.network == SPARSE_N4 and r.width == 16}
    assert len(seeds_at_16) >= 5


def test_the_recipes_are_the_papers_and_a_named_contrast() -> None:
    paper = sweep.PAPER_RECIPE
    assert (paper.optimizer, paper.lr, paper.schedule) == ("sgd", 0.08, "cosine")
    assert (paper.train_settings()["momentum"], paper.weight_decay) == (0.9, 5e-4)
    assert sweep.RECIPES["adam-contrast"].optimizer == "adam"


def test_the_fingerprint_covers_the_training_code() -> None:
    package = Path(sweep.__file__).resolve().parents[1]
    covered = {
        p.relative_to(package).as_posix() for g in sweep.TRAINING_CODE for p in package.glob(g)
    }
    assert {"neurons.py", "models/resnet.py", "training/loop.py"} <= covered
    assert len(sweep.code_fingerprint()) == 16


TINY = replace(sweep.PAPER_RECIPE, name="tiny", epochs=2)


@pytest.mark.slow
def test_a_sweep_writes_each_run_skips_finished_ones_and_dedups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Through the real command line: two widths given twice train once; a rerun trains nothing."""
    monkeypatch.setitem(sweep.RECIPES, "tiny", TINY)
    monkeypatch.setattr(
        reproduce_cli, "grid", lambda widths, seeds: sweep.runs_for((SEW_N4,), widths, seeds)
    )
    arguments = ["reproduce", "--sweep", "--widths", "2", "2", "--seeds", "0", "0"]
    options = ["--recipe", "tiny", "--allow-uncommitted", "--no-progress", "--threads", "1"]
    paths = ["--results", str(tmp_path / "results"), "--out", str(tmp_path / "runs")]
    assert cli.main([*arguments, *options, *paths]) == 0
    assert "wrote 1 run file(s)" in capsys.readouterr().out
    (run,) = load_runs(tmp_path / "results")
    assert (run.network, run.width, run.seed, len(run.epochs)) == (SEW_N4, 2, 0, 2)
    assert run.recipe["name"] == "tiny" and run.provenance["threads"] == 1
    assert run.provenance["command"].startswith("mlsnn-edu reproduce --sweep --widths 2 2")
    assert set(run.energy_uj) == {"accumulate", "event_mac", "linear_in_N"}
    assert run.final.above_levels and run.final.mass["total"] >= run.final.events["total"]
    written = (tmp_path / "results" / "sew_resnet18_t1n4_w2_s0.json").stat().st_mtime_ns
    assert cli.main([*arguments, *options, *paths]) == 0
    assert "wrote 0 run file(s)" in capsys.readouterr().out
    assert (tmp_path / "results" / "sew_resnet18_t1n4_w2_s0.json").stat().st_mtime_ns == written


def test_a_sweep_refuses_uncommitted_library_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(provenance, "library_is_committed", lambda: False)
    with pytest.raises(ResultsError, match="uncommitted changes"):
        sweep.run_sweep([], results_dir=tmp_path, runs_dir=tmp_path / "runs", device="cpu")
    assert list(tmp_path.iterdir()) == []


def test_a_broken_run_file_is_trained_again_not_trusted(tmp_path: Path) -> None:
    run = sweep.SweepRun(SEW_N4, 2, 0)
    path = sweep.run_path(tmp_path, run)
    path.write_text("{broken")
    assert not sweep.is_done(path, sweep.PAPER_RECIPE, sweep.code_fingerprint())
    path.write_text(json.dumps({"schema": "mlsnn-edu-sweep-1"}))
    assert not sweep.is_done(path, sweep.PAPER_RECIPE, sweep.code_fingerprint())


def test_runs_of_code_shown_to_compute_the_same_count_as_todays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = sweep.code_fingerprint()
    shown = {today: {"0123456789abcdef": "abc1234"}, "fedcba9876543210": {"1" * 16: "def5678"}}
    monkeypatch.setattr(sweep, "SAME_COMPUTATION", shown)
    assert sweep.computes_as_today(today, today)
    assert sweep.computes_as_today("0123456789abcdef", today)
    assert not sweep.computes_as_today("1" * 16, today)  # shown the same as other code
    assert not sweep.computes_as_today("2" * 16, today)
    committed = COMMITTED_RESULTS / "sew_resnet18_t1n4_w16_s0.json"
    path = tmp_path / committed.name
    for code, done in (("0123456789abcdef", True), ("1" * 16, False)):
        record = json.loads(committed.read_text())
        record["code"] = code
        path.write_text(json.dumps(record))
        assert sweep.is_done(path, sweep.PAPER_RECIPE, today) is done


def equivalence_check(clone: Path, commit: str, cache: Path) -> subprocess.CompletedProcess:
    """``tools/kernel_equivalence.py`` run in ``clone`` on a sample of inputs."""
    return subprocess.run(
        [sys.executable, "tools/kernel_equivalence.py", commit, "--inputs", "50000"],
        cwd=clone,
        env={**os.environ, "PYTHONPATH": str(clone), "MLSNN_EDU_CACHE": str(cache)},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_the_kernel_equivalence_check_tells_a_changed_computation_from_the_same(
    tmp_path: Path,
) -> None:
    """In a clone: its own commit is the same; a moved polynomial coefficient in the kernel
    changes the bits; a change outside the kernel is beyond what the check can show."""
    root = Path(sweep.__file__).resolve().parents[2]
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True, timeout=120)
    same = equivalence_check(clone, "HEAD", tmp_path / "cache")
    assert same.returncode == 0, same.stdout + same.stderr[-2000:]
    assert "files that differ: none" in same.stdout and "DIFFERENT" not in same.stdout
    kernel = clone / "mlsnn_edu" / "spike_kernel.c"
    source = kernel.read_text()
    assert source.count("6.9314718e-1f") == 1
    kernel.write_text(source.replace("6.9314718e-1f", "6.9314700e-1f"))
    moved = equivalence_check(clone, "HEAD", tmp_path / "cache")
    assert moved.returncode == 1 and "N = 4: DIFFERENT" in moved.stdout, moved.stdout
    kernel.write_text(source)
    neurons = clone / "mlsnn_edu" / "neurons.py"
    neurons.write_text(neurons.read_text() + "\n# changed\n")
    beyond = equivalence_check(clone, "HEAD", tmp_path / "cache")
    assert beyond.returncode == 1 and "more than the kernel changed" in beyond.stdout


@pytest.mark.slow
def test_the_earlier_code_recorded_as_the_same_is_the_same_on_a_sample(tmp_path: Path) -> None:
    """Each :data:`sweep.SAME_COMPUTATION` entry for today's code, checked again on 50,000
    inputs (the full check, all 2^32, is the entry's evidence and takes minutes)."""
    entries = sweep.SAME_COMPUTATION.get(sweep.code_fingerprint(), {})
    if not entries:
        pytest.skip("today's training code has no earlier code recorded as the same")
    root = Path(sweep.__file__).resolve().parents[2]
    for code, commit in entries.items():
        known = subprocess.run(["git", "-C", str(root), "cat-file", "-e", f"{commit}^{{commit}}"])
        if known.returncode != 0:
            pytest.skip(f"commit {commit} is not in this copy's history (a shallow clone?)")
        checked = equivalence_check(root, commit, tmp_path / "cache")
        assert checked.returncode == 0, checked.stdout + checked.stderr[-2000:]
        assert f"training code at {commit}: {code}" in checked.stdout


def test_seeds_without_widths_is_a_clear_error(capsys) -> None:
    assert cli.main(["reproduce", "--sweep", "--seeds", "0"]) != 0
    assert "--seeds needs --widths" in capsys.readouterr().err


def test_vgg16_trains_longer_under_a_name_of_its_own() -> None:
    long = sweep.recipe_for(VGG_BINARY, sweep.PAPER_RECIPE)
    assert long.epochs == 2 * sweep.PAPER_RECIPE.epochs and long.name == "paper-sgd-vgg"
    assert (long.optimizer, long.lr) == ("sgd", 0.08)
    assert sweep.recipe_for(SEW_N4, sweep.PAPER_RECIPE) is sweep.PAPER_RECIPE


def test_rewritten_result_files_leave_the_library_committed(tmp_path: Path) -> None:
    """A sweep rewriting committed run files (a rerun at a width) is not a library change;
    a changed code file is. Checked in a clone, whose working tree is its commit's."""
    root = Path(sweep.__file__).resolve().parents[2]
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True, timeout=120)
    ask = "from mlsnn_edu.experiments.provenance import library_is_committed as c; print(c())"

    def committed() -> str:
        done = subprocess.run(
            [sys.executable, "-c", ask], cwd=clone, capture_output=True, text=True, timeout=120
        )
        return done.stdout.strip() or done.stderr[-1000:]

    result = next((clone / "mlsnn_edu" / "committed_results" / "sweep").glob("*.json"))
    result.write_text(result.read_text() + "\n")
    assert committed() == "True"
    code = clone / "mlsnn_edu" / "neurons.py"
    code.write_text(code.read_text() + "\n# changed\n")
    assert committed() == "False"
