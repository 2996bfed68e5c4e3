"""The ``mlsnn-edu`` command: every subcommand's help, a train/evaluate/activity round trip,
clear errors, and the reproduce table (on a tiny stand-in for the quick settings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlsnn_edu import cli
from mlsnn_edu.energy import PRESETS, EnergyReport
from mlsnn_edu.experiments import ENERGY_DEFAULTS, MULTILEVEL, reproduce
from mlsnn_edu.experiments.energy import Coding, EnergyRow
from mlsnn_edu.training import TrainConfig

SUBCOMMANDS = ["train", "evaluate", "activity", "energy", "reproduce", "assignments", "explore"]


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help(name: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main([name, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: mlsnn-edu {name}" in capsys.readouterr().out


def test_no_subcommand_prints_the_list(capsys: pytest.CaptureFixture) -> None:
    assert cli.main([]) == 2
    out = capsys.readouterr().out
    assert all(name in out for name in SUBCOMMANDS)


def test_energy_defaults_are_the_librarys(monkeypatch: pytest.MonkeyPatch) -> None:
    args = cli.parse(cli.build_parser(), ["energy", "--model", "sparse_resnet18"])
    for name in ("samples", "preset", "multilevel_cost"):
        assert getattr(args, name) == getattr(ENERGY_DEFAULTS, name), name
    assert args.data_root == ENERGY_DEFAULTS.data_root
    # the options of untrained networks only are None until the command fills them in
    seen = {}

    def record(networks, **options):
        seen.update(options)
        raise KeyboardInterrupt  # stop before any estimate

    monkeypatch.setattr("mlsnn_edu.cli.energy.compare_energy", record)
    assert cli.main(["energy", "--model", "sparse_resnet18"]) == 130
    assert seen["seed"] == ENERGY_DEFAULTS.seed
    assert seen["calibration_samples"] == ENERGY_DEFAULTS.calibration_samples
    assert ENERGY_DEFAULTS.coding_for() == MULTILEVEL  # theta = 1/N with N = 4
    assert ENERGY_DEFAULTS.coding_for(levels=2) == Coding(MULTILEVEL.timesteps, 2, 0.5)
    assert ENERGY_DEFAULTS.coding_for(4, 1, 1.0) == Coding(4, 1, 1.0)
    monkeypatch.setenv("MLSNN_EDU_FULL", "1")
    assert ENERGY_DEFAULTS.network_width() == ENERGY_DEFAULTS.full_width


def test_an_energy_table_is_headed_by_its_rows_label() -> None:
    report = EnergyReport("sew_resnet18", True, 1, 4, PRESETS["horowitz45nm"], "accumulate")
    row = EnergyRow("sew_resnet18 [T=1, N=4, θ=0.25] (trained, run/checkpoint.pt)", report)
    assert row.table().splitlines()[0].startswith(f"{row.label}, multi-level spikes")
    assert report.table().splitlines()[0].startswith("sew_resnet18 [T=1, N=4], multi-level")


@pytest.mark.slow
def test_train_evaluate_and_activity_round_trip(tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    overrides = ["width=4", "epochs=1", "train_subset=64", f"out_dir={run}", "progress=false"]
    assert cli.main(["train", *overrides]) == 0
    trained = json.loads((run / "metrics.json").read_text())[-1]
    assert cli.main(["evaluate", "--checkpoint", str(run / "checkpoint.pt")]) == 0
    out = capsys.readouterr().out
    assert f"accuracy {100 * trained['test_accuracy']:.2f}%" in out  # same weights, same data

    plot = tmp_path / "activity.png"
    arguments = ["activity", "--checkpoint", str(run / "checkpoint.pt"), "--samples", "16"]
    assert cli.main([*arguments, "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "sum1" in out and "total" in out and plot.is_file()


def test_activity_of_an_untrained_config(tmp_path: Path, capsys) -> None:
    config = tmp_path / "tiny.yaml"
    config.write_text("model: sew_resnet18\nwidth: 4\nlevels: 2\n")
    assert cli.main(["activity", "--config", str(config), "timesteps=2", "--samples", "8"]) == 0
    out = capsys.readouterr().out
    assert "sew_resnet18 [T=2, N=2] (untrained" in out and "8 samples" in out
    assert "layer4.1.sn2" in out


def test_missing_data_is_a_clear_error_not_a_traceback(tmp_path: Path, capsys) -> None:
    code = cli.main(["train", "dataset=cifar100", f"data_root={tmp_path}", "progress=false"])
    assert code == 1
    err = capsys.readouterr().err
    assert "mlsnn-edu train: error: cifar100 is not in" in err and "--download" in err


def test_bad_config_values_are_clear_errors(capsys) -> None:
    assert cli.main(["train", "levels=0"]) == 1
    assert "levels (N) must be an integer >= 1" in capsys.readouterr().err
    assert cli.main(["train", "epoch=3"]) == 1
    assert "unknown config key(s) epoch" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate"])
    assert exit_info.value.code == 2
    assert "--checkpoint" in capsys.readouterr().err


@pytest.mark.slow
def test_reproduce_prints_one_row_per_experiment(tmp_path: Path, monkeypatch, capsys) -> None:
    experiments = (
        reproduce.Network("VGG16 binary", "vgg16_snn", 2, 1),
        reproduce.Network("Sparse-ResNet18", "sparse_resnet18", 1, 4),
    )
    monkeypatch.setattr(reproduce, "PAPER_EXPERIMENTS", experiments)
    tiny = {**reproduce.QUICK_SETTINGS, "width": 4, "epochs": 1, "train_subset": 64}
    monkeypatch.setattr(reproduce, "QUICK_SETTINGS", tiny)
    out_root = tmp_path / "runs"
    assert cli.main(["reproduce", "--quick", "--out", str(out_root), "--no-progress"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("model"))
    assert lines[header].split() == [
        "model",
        "T",
        "N",
        "accuracy",
        "events/sample",
        "spike",
        "mass/sample",
    ]
    rows = lines[header + 2 : header + 4]
    assert rows[0].split()[:4] == ["VGG16", "binary", "2", "1"]
    assert rows[1].split()[:3] == ["Sparse-ResNet18", "1", "4"]
    assert "wall time:" in out
    for experiment in experiments:  # each run has its own checkpoint to resume from
        assert (out_root / Path(experiment.config_name("digits")).stem / "checkpoint.pt").exists()


def test_results_table_rounds_accuracy_and_activity() -> None:
    result = reproduce.Result(reproduce.PAPER_EXPERIMENTS[0], 0.9315, 67848.4, 70123.6, 1.0)
    table = reproduce.results_table([result])
    assert table.splitlines()[2].split() == [
        "VGG16",
        "binary",
        "4",
        "1",
        "93.2%",
        "67,848",
        "70,124",
    ]


def test_every_paper_config_exists_and_loads() -> None:

    root = Path(__file__).resolve().parents[1] / "configs"
    for dataset in reproduce.PAPER_DATASETS:
        for experiment in reproduce.PAPER_EXPERIMENTS:
            config = TrainConfig.from_yaml(root / experiment.config_name(dataset))
            assert (config.model, config.dataset) == (experiment.model, dataset)
            assert (config.timesteps, config.levels) == (experiment.timesteps, experiment.levels)
            assert config.width == 64 and config.assumptions  # paper scale, assumptions named
            assert (config.optimizer, config.lr) == (
                ("adam", 1e-3) if dataset == "cifar10_dvs" else ("sgd", 0.08)
            )


@pytest.mark.slow
def test_python_dash_m_is_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mlsnn_edu", "reproduce", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "--quick" in result.stdout
