"""GPU paths: the same numbers on CUDA as on the CPU, and a mixed-precision training run.

Skipped without a GPU (CI has none); run them where one is present with
``python -m pytest tests/gpu``. They need only torch, torchvision,
scikit-learn, PyYAML and tqdm, so a bare GPU machine with PyTorch can run them
from a copy of the repository (``PYTHONPATH=.``).
"""

from __future__ import annotations

import pytest
import torch

from mlsnn_edu.neurons import MultiLevelIF, microstep_step, run_neuron

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")


@pytest.mark.parametrize("levels", [1, 4, 8])
def test_closed_form_on_cuda_equals_the_microstep_loop(levels: int) -> None:
    currents = torch.randn(4, 100_000, generator=torch.Generator().manual_seed(levels)) * levels
    gpu = run_neuron(currents.cuda(), levels=levels)
    loop = run_neuron(currents.cuda(), levels=levels, step=microstep_step)
    cpu = run_neuron(currents, levels=levels)
    assert torch.equal(gpu[0], loop[0])
    assert torch.equal(gpu[0].cpu(), cpu[0])


@pytest.mark.parametrize("surrogate", ["sigmoid", "ste"])
def test_neuron_forward_and_backward_on_cuda_match_the_cpu(surrogate: str) -> None:
    currents = torch.randn(3, 64, 8, 8, generator=torch.Generator().manual_seed(0)) * 3
    grads = []
    for device in ("cpu", "cuda"):
        x = currents.clone().to(device).requires_grad_()  # a leaf on each device
        spikes = MultiLevelIF(levels=4, surrogate=surrogate)(x)
        (spikes * torch.arange(8.0, device=device)).sum().backward()
        grads.append((spikes.detach().cpu(), x.grad.cpu()))
    assert torch.equal(grads[0][0], grads[1][0])
    torch.testing.assert_close(grads[0][1], grads[1][1], rtol=1e-4, atol=1e-5)


def test_sparse_resnet_on_cuda_channels_last_matches_the_cpu() -> None:
    from mlsnn_edu.models import build_model
    from mlsnn_edu.monitor import SpikeMonitor

    torch.manual_seed(0)
    model = build_model("sparse_resnet18", timesteps=1, levels=4, width=16).eval()
    images = torch.randn(8, 3, 32, 32)
    with torch.no_grad(), SpikeMonitor(model) as cpu_monitor:
        cpu_logits = model(images)
    model = model.cuda().to(memory_format=torch.channels_last)
    with torch.no_grad(), SpikeMonitor(model) as gpu_monitor:
        gpu_logits = model(images.cuda().to(memory_format=torch.channels_last))
    torch.testing.assert_close(gpu_logits.cpu(), cpu_logits, rtol=1e-3, atol=1e-3)
    for name, record in gpu_monitor.summary().items():
        if name.startswith("sum"):
            assert record.max_value <= 4  # barriers keep every block output in [0, N]
        reference = cpu_monitor.summary()[name].events
        assert abs(record.events - reference) <= 0.01 * max(reference, 1.0)  # TF32 may flip ties


def test_mixed_precision_training_resumes_on_cuda(tmp_path) -> None:
    from mlsnn_edu.training import TrainConfig, fit

    settings = dict(
        model="sparse_resnet18",
        dataset="digits",
        width=32,
        epochs=4,
        batch_size=64,
        optimizer="adam",
        lr=3e-3,
        amp=True,
        channels_last=True,
        progress=False,
        activity_samples=64,
        out_dir=str(tmp_path / "run"),
    )
    trainer = fit(TrainConfig(**settings))
    history = trainer.history
    assert len(history) == 4
    assert history[-1]["test_accuracy"] > 0.3  # ten classes: chance is 0.1
    more = fit(TrainConfig(**{**settings, "epochs": 5}))  # resumes from the checkpoint
    assert len(more.history) == 5 and more.history[:4] == history
