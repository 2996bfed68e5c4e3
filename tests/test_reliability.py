"""A user's mistakes meet a clear message, never a traceback, and no run is lost or corrupted.

Command-line cases run the real entry point (``mlsnn-edu``) in a subprocess and
assert the exit status, that stderr holds no "Traceback", and the key words of
the message. The bad inputs covered, by the issue's numbering:

====  ==========================================================  =====================================
case  input                                                       what happens
====  ==========================================================  =====================================
1     ``lr=1e30``: the weights blow up                            exit 1, nothing non-finite saved, the
                                                                  last good checkpoint kept
2     resuming with a new ``lr``                                  applied from the next step, said so;
                                                                  the saved config is what ran
3     two runs into one ``out_dir`` at once                       the second fails at once, naming the
                                                                  holder
4     ``train_subset=0`` or negative                              refused
5     files written through a temporary file                      the umask's permissions (0644 / 0755)
6     extending a finished run (``epochs=1`` then ``epochs=2``)   the cosine schedule is rebuilt for the
                                                                  new total, said so
7     output paths: a file, a folder, an unwritable place         refused before any work
8     ``--download`` without network; truncated CIFAR files       the file and the fix named
9     ``energy --checkpoint`` with ``--width``/``--dataset``;     refused; damaged entries named
      hand-edited checkpoints
10    config values of the wrong type, broken YAML, a YAML        the field and what it accepts named
      scalar or list, ``--config`` a folder
11    ``width=100000``, ``timesteps=100000``, ``levels=1e9``       refused at once with what to lower
12    ``--device cuda`` without a GPU, ``--device banana``        refused
13    ``lr=1e-3`` and ``lr: 1e-3`` in YAML                        accepted
14    the offline message's advice                                the commands it names take --download
15    a corrupt or empty checkpoint                               no advice to unpickle; "empty" said
16    misleading messages (list configs, optimizer change,        each names the real problem
      ``--plot DIR``, overrides ignored, ``lr=true``)
17    library: NaN currents, integer currents, numpy integers,    one rule each, tested
      a monitor of another model
====  ==========================================================  =====================================
"""

from __future__ import annotations

import json
import os
import pickle
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from mlsnn_edu.energy import estimate_energy
from mlsnn_edu.models import build_model
from mlsnn_edu.monitor import record_activity
from mlsnn_edu.neurons import MultiLevelIF, microstep_step, multilevel_step
from mlsnn_edu.training import CheckpointError, TrainConfig, Trainer, cosine_lr, load_checkpoint
from mlsnn_edu.training.checkpoint import save_checkpoint

ROOT = Path(__file__).resolve().parents[1]
ENTRY_POINT = Path(sys.executable).parent / "mlsnn-edu"
TINY = ["width=2", "train_subset=64", "batch_size=32", "activity_samples=16", "progress=false"]


def run_cli(*arguments: str, cwd: Path = ROOT, timeout: float = 300, **environment: str):
    """Run ``mlsnn-edu ARGUMENTS``; returns the completed process (text output)."""
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", **environment}
    return subprocess.run(
        [str(ENTRY_POINT), *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        preexec_fn=lambda: os.umask(0o022),
    )


def assert_refused(result: subprocess.CompletedProcess, *words: str, code: int = 1) -> None:
    """Exit ``code``, no traceback, and every one of ``words`` in stderr."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == code, (result.returncode, result.stderr[-2000:])
    for word in words:
        assert word in result.stderr, (word, result.stderr[-2000:])


# --- 1, 2, 6: runs that go wrong, change or grow --------------------------------------------


@pytest.mark.slow
def test_1_blown_up_weights_stop_the_run_and_keep_the_last_good_checkpoint(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert run_cli("train", *TINY, "epochs=1", f"out_dir={run}").returncode == 0
    good = load_checkpoint(run / "checkpoint.pt")
    result = run_cli("train", *TINY, "epochs=2", "lr=1.0e+30", f"out_dir={run}")
    assert_refused(result, "epoch 2/2", "non-finite", "last good checkpoint (epoch 1)", "lr=")
    kept = load_checkpoint(run / "checkpoint.pt")
    assert kept["epoch"] == 1
    assert all(torch.equal(kept["model"][k], v) for k, v in good["model"].items())
    fresh = tmp_path / "fresh"
    result = run_cli("train", *TINY, "epochs=1", "lr=1.0e+30", f"out_dir={fresh}")
    assert_refused(result, "non-finite", "no checkpoint was written")
    assert not (fresh / "checkpoint.pt").exists()


def trained_once(tmp_path: Path, **changes) -> TrainConfig:
    config = TrainConfig(
        width=2,
        train_subset=64,
        batch_size=32,
        activity_samples=16,
        progress=False,
        epochs=1,
        out_dir=str(tmp_path / "run"),
        **changes,
    )
    Trainer(config).fit()
    return config


@pytest.mark.slow
def test_2_and_6_a_new_lr_or_more_epochs_rebuild_the_schedule(tmp_path: Path) -> None:
    first = trained_once(tmp_path, lr=0.08)
    steps = 2  # 64 samples in batches of 32
    changed = TrainConfig(**{**first.to_dict(), "lr": 0.01, "epochs": 2, "progress": True})
    trainer = Trainer(changed)
    trainer.load(trainer.checkpoint_path)
    group = trainer.optimizer.param_groups[0]
    assert group["lr"] == pytest.approx(cosine_lr(steps, 2 * steps, 0.01))  # the new curve
    assert trainer.scheduler.T_max == 2 * steps and trainer.scheduler.base_lrs == [0.01]
    trainer.fit()
    saved = load_checkpoint(trainer.checkpoint_path)
    assert saved["config"]["lr"] == 0.01 and saved["config"]["epochs"] == 2  # what ran
    assert saved["history"][-1]["lr"] == pytest.approx(0.0, abs=1e-12)  # the cosine ended


@pytest.mark.slow
def test_2_the_cli_reports_the_changed_settings(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert run_cli("train", *TINY, "epochs=1", f"out_dir={run}").returncode == 0
    result = run_cli("train", *TINY[:-1], "epochs=2", "lr=0.01", f"out_dir={run}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "lr 0.08 -> 0.01" in result.stdout + result.stderr
    assert "epochs 1 -> 2" in result.stdout + result.stderr


@pytest.mark.slow
def test_16_resuming_with_another_optimizer_is_refused_clearly(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert run_cli("train", *TINY, "epochs=1", f"out_dir={run}").returncode == 0
    result = run_cli("train", *TINY, "epochs=2", "optimizer=adam", f"out_dir={run}")
    assert_refused(result, "cannot resume", "different optimizer", "'sgd' there, 'adam' here")


# --- 3, 5: the run folder -------------------------------------------------------------------


@pytest.mark.slow
def test_3_a_second_run_into_a_busy_folder_fails_at_once(tmp_path: Path) -> None:
    run = tmp_path / "run"
    first = subprocess.Popen(
        [str(ENTRY_POINT), "train", "width=4", "epochs=3", "progress=false", f"out_dir={run}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (run / ".run.lock").exists() or not (run / ".run.lock").read_text():
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.2)
        holder = json.loads((run / ".run.lock").read_text())
        started = time.monotonic()
        second = run_cli("train", "width=4", "epochs=3", "progress=false", f"out_dir={run}")
        assert_refused(second, "in use by another training run", f'"pid": {holder["pid"]}')
        assert time.monotonic() - started < 60  # at once, not after training
        assert first.poll() is None  # the first run goes on
    finally:
        first.kill()
        first.wait()


@pytest.mark.slow
def test_5_written_files_follow_the_umask(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert run_cli("train", *TINY, "epochs=1", f"out_dir={run}").returncode == 0
    for name in ("checkpoint.pt", "metrics.json", "metrics.csv", "metrics.png"):
        assert stat.S_IMODE((run / name).stat().st_mode) == 0o644, name
    handouts = tmp_path / "handouts"
    result = run_cli("assignments", "build", "--chapters", "01", "--output", str(handouts))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(handouts.stat().st_mode) == 0o755
    for path in handouts.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o755 if path.is_dir() else 0o644), path


# --- 4, 7, 10, 11, 12, 13, 16: values and paths refused before any work -----------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "arguments", "words"),
    [
        (
            "4",
            ["train", "out_dir={run}", "train_subset=0"],
            ["train_subset must be an integer >= 1, got 0"],
        ),
        (
            "4",
            ["train", "out_dir={run}", "train_subset=-5"],
            ["train_subset must be an integer >= 1"],
        ),
        ("10", ["train", "out_dir={run}", "momentum=abc"], ["momentum must be a number", "'abc'"]),
        ("10", ["train", "out_dir={run}", "seed=abc"], ["seed must be an integer >= 0", "'abc'"]),
        ("10", ["train", "out_dir={run}", "model_options=5"], ["model_options must be a mapping"]),
        ("10", ["train", "out_dir="], ["out_dir must name a folder"]),
        (
            "11",
            ["train", "out_dir={run}", "width=100000"],
            ["GiB", "Lower width, batch_size or timesteps"],
        ),
        (
            "11",
            ["train", "out_dir={run}", "timesteps=100000"],
            ["GiB", "Lower width, batch_size or timesteps"],
        ),
        (
            "11",
            ["train", "out_dir={run}", "levels=1000000000"],
            ["levels (N) must be an integer >= 1 and <= 256"],
        ),
        ("12", ["train", "out_dir={run}", "--device", "cuda"], ["sees no CUDA GPU"]),
        (
            "12",
            ["train", "out_dir={run}", "--device", "banana"],
            ["device must be one of", "'banana'"],
        ),
        ("12", ["energy", "--model", "sew_resnet18", "--device", "banana"], ["device must be"]),
        (
            "16",
            ["train", "out_dir={run}", "lr=true"],
            ["lr (learning rate) must be a number", "True"],
        ),
        ("16", ["train", "out_dir={run}", "epochs=2.5"], ["epochs must be an integer >= 1"]),
    ],
)
def test_bad_values_are_refused_before_any_work(case, arguments, words, tmp_path: Path) -> None:
    started = time.monotonic()
    arguments = [argument.replace("{run}", str(tmp_path / "run")) for argument in arguments]
    assert_refused(run_cli(*arguments), *words)
    assert time.monotonic() - started < 60, case
    assert not (tmp_path / "run").exists()  # nothing half-written


@pytest.mark.slow
def test_7_output_paths_that_cannot_be_written_are_refused_first(tmp_path: Path) -> None:
    a_file = write(tmp_path / "a_file", "x")
    a_folder = tmp_path / "a_folder"
    a_folder.mkdir()
    unwritable = "/proc/mlsnn-edu-cannot-exist/run"
    cases = [
        (["train", f"out_dir={a_file}"], "is a file, not a folder"),
        (["train", f"out_dir={unwritable}"], "cannot be created"),
        (["reproduce", "--quick", "--out", str(a_file)], "is a file, not a folder"),
        (["activity", "--samples", "4", "--plot", str(a_folder)], "is a folder"),
        (["activity", "--samples", "4", "--plot", f"{unwritable}/a.png"], "cannot be created"),
        (["activity", "--samples", "4", "--plot", str(tmp_path / "plot")], "must end in one of"),
        (["energy", "--model", "sew_resnet18", "--plot", str(a_folder)], "is a folder"),
        (["assignments", "build", "--output", str(a_file)], "is a file, not a folder"),
    ]
    for arguments, words in cases:
        started = time.monotonic()
        assert_refused(run_cli(*arguments), words)
        assert time.monotonic() - started < 60, arguments


@pytest.mark.slow
def test_10_and_16_config_files_that_cannot_be_used(tmp_path: Path) -> None:
    cases = [
        (write(tmp_path / "broken.yaml", "model: [sew\nwidth: 4\n"), "is not valid YAML at line"),
        (write(tmp_path / "scalar.yaml", "just a sentence\n"), "must hold a mapping"),
        (write(tmp_path / "list.yaml", "- a\n- b\n"), "must hold a mapping"),
        (tmp_path, "is a folder"),
        (tmp_path / "missing.yaml", "does not exist"),
    ]
    for path, words in cases:
        assert_refused(run_cli("train", "--config", str(path)), words)
    assert (
        "unknown config key" not in run_cli("train", "--config", str(tmp_path / "list.yaml")).stderr
    )


def test_overrides_may_come_before_and_after_options() -> None:
    """``train epochs=2 --device cpu width=4``: argparse alone would refuse the second part."""
    from mlsnn_edu.cli import build_parser, parse

    args = parse(build_parser(), ["train", "epochs=2", "--device", "cpu", "width=4"])
    assert args.overrides == ["epochs=2", "width=4"] and args.device == "cpu"
    with pytest.raises(SystemExit):
        parse(build_parser(), ["train", "epochs=2", "--device", "cpu", "--wdith", "4"])


def test_13_every_float_spelling_is_accepted(tmp_path: Path) -> None:
    config = write(tmp_path / "c.yaml", "lr: 1e-3\nweight_decay: 5e-4\nmomentum: .9\n")
    loaded = TrainConfig.from_yaml(config, ["label_smoothing=1e-1"])
    assert (loaded.lr, loaded.weight_decay, loaded.momentum) == (1e-3, 5e-4, 0.9)
    assert loaded.label_smoothing == 0.1
    assert TrainConfig.from_yaml(config, ["lr=2E-2"]).lr == 0.02


# --- 8, 14: datasets ------------------------------------------------------------------------


@pytest.mark.slow
def test_8_a_download_without_network_names_the_source_and_the_fix(tmp_path: Path) -> None:
    closed = "http://127.0.0.1:9"  # nothing listens there: every download fails at once
    result = run_cli(
        "train",
        "dataset=cifar10",
        f"data_root={tmp_path}",
        f"out_dir={tmp_path / 'run'}",
        "--download",
        https_proxy=closed,
        http_proxy=closed,
        HTTPS_PROXY=closed,
        HTTP_PROXY=closed,
    )
    assert_refused(result, "could not download cifar10", "extract it into")


@pytest.mark.slow
def test_8_truncated_cifar_files_are_named(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    names = [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch", "batches.meta"]
    for name in names:
        (folder / name).write_bytes(pickle.dumps({"data": np.zeros((2, 3072), np.uint8)})[:40])
    result = run_cli(
        "evaluate", "--checkpoint", str(cifar_checkpoint(tmp_path)), "--data-root", str(tmp_path)
    )
    assert_refused(result, str(folder / "data_batch_1"), "truncated or corrupt", "--download")


def cifar_checkpoint(tmp_path: Path) -> Path:
    config = TrainConfig(model="sew_resnet18", dataset="cifar10", width=2, data_root=str(tmp_path))
    model = build_model("sew_resnet18", width=2)
    path = tmp_path / "cifar.pt"
    payload = {"config": config.to_dict(), "epoch": 1, "model": model.state_dict()}
    save_checkpoint(path, {**payload, "optimizer": {}, "scheduler": {}, "rng": {}, "history": []})
    return path


@pytest.mark.slow
def test_14_every_command_the_offline_message_names_takes_download(tmp_path: Path) -> None:
    result = run_cli(
        "energy", "--model", "sew_resnet18", "--dataset", "cifar10", "--data-root", str(tmp_path)
    )
    assert_refused(result, "cifar10 is not in", "add --download to the command you ran")
    for command in ("train", "evaluate", "activity", "energy", "reproduce"):
        assert "--download" in run_cli(command, "--help").stdout, command


# --- 9, 15: checkpoints ---------------------------------------------------------------------


@pytest.mark.slow
def test_9_and_15_checkpoints_that_cannot_be_used(tmp_path: Path) -> None:
    good = cifar_checkpoint(tmp_path)
    payload = torch.load(good, weights_only=True)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:500])
    no_config = tmp_path / "no_config.pt"
    torch.save({k: v for k, v in payload.items() if k != "config"}, no_config)
    bad_model = tmp_path / "bad_model.pt"
    torch.save({**payload, "model": [1, 2, 3]}, bad_model)
    bad_config = tmp_path / "bad_config.pt"
    torch.save({**payload, "config": {**payload["config"], "width": "wide"}}, bad_config)
    cases = [
        (empty, "is empty (0 bytes)"),
        (truncated, "truncated or corrupt"),
        (no_config, "'config' entry should be a mapping, but is missing"),
        (bad_model, "'model' entry should be a mapping, but is a list"),
        (bad_config, "width must be an integer >= 1"),
    ]
    for path, words in cases:
        result = run_cli("evaluate", "--checkpoint", str(path))
        assert_refused(result, str(path), words)
        assert "weights_only=False" not in result.stderr
    result = run_cli("energy", "--checkpoint", str(good), "--width", "8", "--dataset", "digits")
    assert_refused(result, "--width --dataset cannot change a checkpoint's network")


@pytest.mark.slow
def test_16_activity_refuses_overrides_it_would_ignore(tmp_path: Path) -> None:
    result = run_cli("activity", "--checkpoint", str(cifar_checkpoint(tmp_path)), "width=999")
    assert_refused(result, "a checkpoint's network is fixed", "width=999")


# --- 17: the library -----------------------------------------------------------------------


def test_17_nan_currents_are_refused_by_the_step_and_passed_through_by_the_layer() -> None:
    current = torch.tensor([0.5, float("nan"), 2.0])
    for step in (multilevel_step, microstep_step):
        with pytest.raises(ValueError, match="NaN"):
            step(torch.zeros(3), current, levels=4)
    spikes = MultiLevelIF(levels=4)(current.reshape(1, 1, 3))
    assert spikes[0, 0, 0] == 0 and torch.isnan(spikes[0, 0, 1]) and spikes[0, 0, 2] == 2


@pytest.mark.parametrize("timesteps", [1, 2])
def test_17_one_dtype_rule_integer_currents_give_default_float_spikes(timesteps: int) -> None:
    currents = torch.tensor([[[0, 1, 3, 7]]]).expand(timesteps, 1, 4)
    spikes = MultiLevelIF(levels=4)(currents)
    assert spikes.dtype == torch.get_default_dtype()
    z, v = multilevel_step(torch.zeros(4, dtype=torch.int64), torch.tensor([0, 1, 3, 7]), levels=4)
    assert z.dtype == v.dtype == torch.get_default_dtype()
    assert z.tolist() == [0, 1, 3, 4] and v.tolist() == [0, 0, 0, 3]
    doubles = MultiLevelIF(levels=4)(currents.double())
    assert doubles.dtype == torch.float64 and torch.equal(doubles.float(), spikes)


def test_17_numpy_integers_are_integers() -> None:
    neuron = MultiLevelIF(levels=np.int64(4))
    assert neuron.levels == 4 and type(neuron.levels) is int
    assert build_model("sew_resnet18", width=np.int64(2), levels=np.int32(2)).levels == 2
    with pytest.raises(ValueError, match="levels"):
        MultiLevelIF(levels=True)


def test_17_a_monitor_of_another_model_is_refused() -> None:
    torch.manual_seed(0)
    sew, sparse = build_model("sew_resnet18", width=2), build_model("sparse_resnet18", width=2)
    monitor = record_activity(sparse.eval(), torch.randn(2, 3, 32, 32))
    with pytest.raises(ValueError, match="recorded on another network"):
        estimate_energy(sew, monitor)
    assert estimate_energy(sparse, monitor).total > 0


def test_checkpoint_errors_name_the_entry_in_the_library_too(tmp_path: Path) -> None:
    path = tmp_path / "x.pt"
    torch.save({"format": "mlsnn-edu-checkpoint-1", "config": {}}, path)
    with pytest.raises(CheckpointError, match="'epoch' entry should be an integer, but is missing"):
        load_checkpoint(path)
