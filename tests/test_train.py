"""The trainer: one epoch, evaluation, checkpoints, exact resume, the non-finite stop, DDP."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mlsnn_edu.models.layers import model_input
from mlsnn_edu.training import (
    CheckpointError,
    EpochStats,
    NonFiniteError,
    TrainConfig,
    Trainer,
    apply_overrides,
    cosine_lr,
    evaluate,
    load_checkpoint,
    save_checkpoint,
    train_epoch,
)
from mlsnn_edu.training.optimization import cosine_schedule, replanned_schedule

ROOT = Path(__file__).resolve().parents[1]


def tiny_config(out_dir: Path, **changes) -> TrainConfig:
    values = dict(
        model="sparse_resnet18",
        width=4,
        epochs=3,
        batch_size=32,
        train_subset=96,
        activity_samples=32,
        out_dir=str(out_dir),
        progress=False,
    )
    return TrainConfig(**{**values, **changes})


def toy_data(n: int = 40, seed: int = 0) -> TensorDataset:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=generator)
    return TensorDataset(x, (x[:, 0] > 0).long())


def test_train_epoch_reports_the_mean_loss_and_calls_on_step_with_gradients() -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    loader = DataLoader(toy_data(), batch_size=16)
    before = evaluate(model, loader)
    norms: list[float] = []
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # lr 0: the weights stay put
    stats = train_epoch(
        model,
        loader,
        optimizer,
        progress=False,
        on_step=lambda step, m: norms.append(m.weight.grad.norm().item()),
    )
    assert len(norms) == 3  # 40 samples in batches of 16
    assert all(norm > 0 for norm in norms)
    # with lr 0 the training loss is the evaluation loss, weighted by batch size
    assert stats.loss == pytest.approx(before.loss, rel=1e-6)
    assert stats.accuracy == pytest.approx(before.accuracy)


def test_evaluate_matches_a_hand_computation_and_restores_training_mode() -> None:
    model = nn.Linear(4, 2)
    data = toy_data()
    model.train()
    stats = evaluate(model, DataLoader(data, batch_size=7))
    x, y = data.tensors
    with torch.no_grad():
        logits = model(x)
    expected_loss = nn.functional.cross_entropy(logits, y).item()
    expected_accuracy = (logits.argmax(1) == y).sum().item() / len(y)
    assert stats == EpochStats(pytest.approx(expected_loss, rel=1e-6), expected_accuracy)
    assert model.training


def test_model_input_moves_time_first_for_event_frames_only() -> None:
    frames = torch.zeros(5, 3, 2, 8, 8)  # [B, T, C, H, W]
    assert model_input(frames).shape == (3, 5, 2, 8, 8)
    images = torch.zeros(5, 3, 8, 8)
    assert model_input(images) is images


@pytest.mark.slow
def test_training_improves_a_small_network_on_the_digits(tmp_path: Path) -> None:
    config = tiny_config(tmp_path, train_subset=None, epochs=2, width=8, lr=0.05)
    trainer = Trainer(config)
    history = trainer.fit()
    assert [r["epoch"] for r in history] == [1, 2]
    assert history[-1]["test_accuracy"] > 0.3  # chance is 0.1
    assert history[-1]["lr"] == pytest.approx(0.0, abs=1e-12)  # the cosine ends at 0
    activity = history[-1]["activity"]
    assert "sum1" in activity and activity["total"]["mass"] >= activity["total"]["events"] > 0
    for name in ("metrics.csv", "metrics.json", "checkpoint.pt"):
        assert (tmp_path / name).is_file()
    header = (tmp_path / "metrics.csv").read_text().splitlines()[0].split(",")
    assert {"epoch", "test_accuracy", "events/sum1", "mass/total"} <= set(header)


def die_at_training_step(step: int):
    """A forward pre-hook that interrupts the run at its ``step``-th training forward."""
    calls = 0

    def hook(module, inputs):
        nonlocal calls
        calls += module.training
        if calls == step:
            raise KeyboardInterrupt("killed")

    return hook


def count_training_steps(model: nn.Module) -> list[int]:
    steps: list[int] = []
    model.register_forward_pre_hook(lambda m, i: steps.append(1) if m.training else None)
    return steps


@pytest.mark.slow
def test_a_run_killed_mid_epoch_resumes_to_the_same_weights(tmp_path: Path) -> None:
    uninterrupted = Trainer(tiny_config(tmp_path / "a"))
    uninterrupted.fit()

    killed = Trainer(tiny_config(tmp_path / "b"))
    killed.model.register_forward_pre_hook(die_at_training_step(5))  # step 2 of epoch 2
    with pytest.raises(KeyboardInterrupt):
        killed.fit()
    assert load_checkpoint(tmp_path / "b" / "checkpoint.pt")["epoch"] == 1

    resumed = Trainer(tiny_config(tmp_path / "b"))
    steps = count_training_steps(resumed.model)
    history = resumed.fit()
    assert len(steps) == 6  # epochs 2 and 3 only, 3 steps each: it resumed, not restarted
    assert resumed.epoch == 3
    reference = uninterrupted.model.state_dict()
    for name, tensor in resumed.model.state_dict().items():
        assert torch.equal(tensor, reference[name]), name
    assert [r["test_accuracy"] for r in history] == [
        r["test_accuracy"] for r in uninterrupted.history
    ]


def hand_cosine(k: int, total: int, lr: float) -> float:
    """eta_k = eta_0 (1 + cos(pi k / K)) / 2, written out here, not taken from the library."""
    return lr * (1 + math.cos(math.pi * k / total)) / 2


def test_cosine_lr_is_the_equation_at_every_step() -> None:
    for total, lr in ((4, 0.01), (9, 0.08), (1000, 0.1), (391 * 30, 0.08)):
        for k in sorted({0, 1, 2, total // 3, total // 2, total - 1}):
            assert cosine_lr(k, total, lr) == hand_cosine(k, total, lr), (k, total, lr)
        assert cosine_lr(total, total, lr) == cosine_lr(total + 5, total, lr) == 0.0


def retargeted_as_before(optimizer, schedule, total: int, lr: float) -> None:
    """What a resume with a new lr or epochs did before the schedule had one home.

    The schedule kept stepping from the equation's rate at the step reached.
    """
    step = schedule.last_epoch
    schedule.T_max, schedule.base_lrs = total, [lr for _ in optimizer.param_groups]
    for group in optimizer.param_groups:
        group["initial_lr"], group["lr"] = lr, hand_cosine(step, total, lr)


@pytest.mark.parametrize(
    ("first_total", "first_lr", "reached", "total", "lr"),
    [(6, 0.08, 3, 6, 0.01), (6, 0.08, 6, 18, 0.08), (30, 0.1, 15, 60, 0.05), (7, 0.3, 7, 7, 0.1)],
)
def test_a_replanned_schedule_gives_the_same_rate_at_every_step_as_before(
    first_total: int, first_lr: float, reached: int, total: int, lr: float
) -> None:
    def trained(how: str) -> list[float]:
        weight = nn.Parameter(torch.zeros(1))
        optimizer = torch.optim.SGD([weight], lr=first_lr, momentum=0.9)
        schedule = cosine_schedule(optimizer, first_total)
        for _ in range(reached):
            optimizer.step()
            schedule.step()
        if how == "before":
            retargeted_as_before(optimizer, schedule, total, lr)
        else:
            schedule = replanned_schedule(optimizer, total, lr, schedule.last_epoch)
        rates = []
        for _ in range(reached, total):
            rates.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            schedule.step()
        return rates + [optimizer.param_groups[0]["lr"]]

    rates = trained("now")
    assert rates == trained("before")  # bit for bit
    assert rates[0] == hand_cosine(reached, total, lr)
    assert rates == pytest.approx([hand_cosine(k, total, lr) for k in range(reached, total + 1)])


@pytest.mark.slow
def test_a_run_resumed_with_a_new_lr_follows_the_new_cosine_step_by_step(tmp_path: Path) -> None:
    Trainer(tiny_config(tmp_path, epochs=1, lr=0.08)).fit()  # 3 steps of 32 samples
    resumed = Trainer(tiny_config(tmp_path, epochs=3, lr=0.01))
    rates: list[float] = []
    resumed.optimizer.register_step_pre_hook(
        lambda optimizer, args, kwargs: rates.append(optimizer.param_groups[0]["lr"])
    )
    history = resumed.fit()
    assert len(rates) == 6  # steps 3 to 8 of K = 9
    assert rates[0] == hand_cosine(3, 9, 0.01)  # the new curve at the step reached
    assert rates == pytest.approx([hand_cosine(k, 9, 0.01) for k in range(3, 9)], rel=1e-12)
    assert [r["lr"] for r in history[1:]] == pytest.approx(
        [hand_cosine(6, 9, 0.01), 0.0], rel=1e-12, abs=1e-15
    )


def complete_payload(epoch: int, weight: torch.Tensor) -> dict:
    """Every entry a checkpoint must hold, with the given epoch and one weight."""
    return {
        "config": TrainConfig().to_dict(),
        "epoch": epoch,
        "model": {"w": weight},
        "optimizer": {},
        "scheduler": {},
        "rng": {},
        "history": [],
    }


def test_checkpoint_write_is_atomic_and_loads_with_weights_only(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, complete_payload(1, torch.ones(2)))
    save_checkpoint(path, complete_payload(2, torch.zeros(2)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]  # no temp file left
    payload = load_checkpoint(path)
    assert payload["epoch"] == 2 and torch.equal(payload["model"]["w"], torch.zeros(2))


def test_a_corrupt_checkpoint_gets_a_clear_error(tmp_path: Path) -> None:
    config = tiny_config(tmp_path, epochs=1)
    Trainer(config).fit()
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(path.read_bytes()[:1000])  # truncated, as by a full disk
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        Trainer(config).fit()


def test_a_checkpoint_of_another_network_is_refused(tmp_path: Path) -> None:
    Trainer(tiny_config(tmp_path, epochs=1)).fit()
    with pytest.raises(CheckpointError, match="width: 4 there, 8 here"):
        Trainer(tiny_config(tmp_path, epochs=2, width=8)).fit()


def test_a_pickled_object_is_not_loaded(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"format": "mlsnn-edu-checkpoint-1", "payload": TrainConfig()}, path)
    with pytest.raises(CheckpointError, match="Python objects other than tensors") as error:
        load_checkpoint(path)
    assert "weights_only=False" not in str(error.value)


def test_a_non_finite_loss_stops_training_with_a_clear_message(tmp_path: Path) -> None:
    trainer = Trainer(tiny_config(tmp_path, lr=1e30, epochs=2))
    with pytest.raises(NonFiniteError, match=r"epoch \d/2: .*(loss became|non-finite)"):
        trainer.fit()


def test_config_refuses_bad_values_and_unknown_keys() -> None:
    with pytest.raises(ValueError, match="optimizer must be one of 'sgd', 'adam'"):
        TrainConfig(optimizer="rmsprop")
    with pytest.raises(ValueError, match="lr"):
        TrainConfig(lr=-1.0)
    with pytest.raises(ValueError, match="unknown config key"):
        TrainConfig.from_dict({"epoch": 3})


def test_overrides_are_parsed_as_yaml_and_reach_nested_keys() -> None:
    values = apply_overrides(
        {"epochs": 1, "model_options": {"alpha": 5.0}},
        ["epochs=3", "model_options.alpha=2.5", "download=true", "train_subset=null"],
    )
    assert values == {
        "epochs": 3,
        "model_options": {"alpha": 2.5},
        "download": True,
        "train_subset": None,
    }
    with pytest.raises(ValueError, match="key=value"):
        apply_overrides({}, ["epochs"])


DDP_WORKER = """
import os, sys, torch
from mlsnn_edu.training import TrainConfig, fit
out = sys.argv[1]
config = TrainConfig(model="sparse_resnet18", width=4, epochs=2, batch_size=32,
                     train_subset=128, activity_samples=16, out_dir=out, progress=False)
trainer = fit(config)
torch.save(trainer.model.state_dict(), os.path.join(out, f"rank{os.environ['RANK']}.pt"))
"""


@pytest.mark.slow
def test_two_cpu_processes_under_torchrun_end_with_identical_weights(tmp_path: Path) -> None:
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent))
    assert torchrun is not None, "torchrun comes with torch"
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(DDP_WORKER))
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(
        [torchrun, "--standalone", "--nproc_per_node=2", str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rank0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert rank0.keys() == rank1.keys()
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), name
    # and training did move the weights away from a fresh model of the same seed
    assert load_checkpoint(tmp_path / "checkpoint.pt")["epoch"] == 2
