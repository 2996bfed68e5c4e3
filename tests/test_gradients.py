"""The gradient recorder against norms of ``.grad`` computed by hand."""

from __future__ import annotations

import math

import matplotlib
import pytest
import torch
from torch import nn

from mlsnn_edu.figures import plot_gradient_norms
from mlsnn_edu.gradients import GradientNormRecorder
from mlsnn_edu.models import build_model

matplotlib.use("Agg")


def manual_block_norms(model: nn.Module) -> dict[str, float]:
    return {
        name: math.sqrt(sum(p.grad.pow(2).sum().item() for p in params))
        for name, params in model.block_parameters().items()
    }


def test_gradient_recorder_matches_norms_of_grad_after_each_backward():
    torch.manual_seed(0)
    model = build_model("sparse_resnet18", width=4)
    x, y = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 2, 3])
    with GradientNormRecorder(model) as recorder:
        expected = []
        for _ in range(2):
            model.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            expected.append(manual_block_norms(model))
    assert list(recorder.history) == ["stem"] + [
        f"layer{s}.{b}" for s in (1, 2, 3, 4) for b in (0, 1)
    ] + ["fc"]
    for name, norms in recorder.history.items():
        assert norms == pytest.approx([step[name] for step in expected], rel=1e-5)
    nn.functional.cross_entropy(model(x), y).backward()  # after the with block: not recorded
    assert all(len(norms) == 2 for norms in recorder.history.values())


def test_gradient_recorder_ignores_accumulated_grad():
    torch.manual_seed(0)
    model = build_model("vgg16_snn", width=4)
    x, y = torch.randn(2, 3, 32, 32), torch.tensor([0, 1])
    with GradientNormRecorder(model) as recorder:
        nn.functional.cross_entropy(model(x), y).backward()
        nn.functional.cross_entropy(model(x), y).backward()  # .grad now holds twice the gradient
    assert list(recorder.history)[:2] == ["conv1", "conv2"]
    first, second = recorder.history["conv1"]
    assert second == pytest.approx(first, rel=1e-5)
    assert plot_gradient_norms(recorder.history).get_yscale() == "log"
