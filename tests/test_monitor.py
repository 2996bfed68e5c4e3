"""The recorders against counts and norms computed by hand."""

from __future__ import annotations

import matplotlib
import pytest
import torch
from torch import nn

from mlsnn_edu.figures import plot_activity
from mlsnn_edu.models import build_model
from mlsnn_edu.models.layers import ResidualSum, SpikingNeuron, mean_over_time
from mlsnn_edu.monitor import LayerActivity, SpikeMonitor, activity_table

matplotlib.use("Agg")


class TinyNet(nn.Module):
    """x -> neuron -> (neuron output + x) with a barrier -> linear. Identity weights, no BN."""

    def __init__(self, timesteps: int, levels: int, features: int = 4) -> None:
        super().__init__()
        self.timesteps, self.levels = timesteps, levels
        self.sn = SpikingNeuron(timesteps, levels)
        self.sn.activity_name = "sn"
        self.add = ResidualSum(SpikingNeuron(timesteps, levels, surrogate="ste"))
        self.add.activity_name = "sum0"
        self.fc = nn.Linear(features, 2, bias=False)

    def forward(self, x):
        x = x.repeat(self.timesteps, 1)  # direct encoding, time folded: [T*B, F]
        return mean_over_time(self.fc(self.add(self.sn(x), x)), self.timesteps)


def test_counts_match_a_hand_computation_with_one_timestep():
    net = TinyNet(timesteps=1, levels=2)
    x = torch.tensor([[0.5, 1.7, 2.4, -1.0], [3.9, 0.0, 1.0, 0.2]])
    # neuron: z = clamp(floor(x), 0, 2)        -> [0, 1, 2, 0] and [2, 0, 1, 0]
    # sum:    z + x = [0.5, 2.7, 4.4, -1.0] and [5.9, 0.0, 2.0, 0.2]
    # barrier: clamp(floor(sum), 0, 2)          -> [0, 2, 2, 0] and [2, 0, 2, 0]
    with SpikeMonitor(net) as monitor:
        net(x)
    summary = monitor.summary()
    assert list(summary) == ["sn", "sum0"]
    assert monitor.samples == 2
    assert (summary["sn"].events, summary["sn"].mass, summary["sn"].max_value) == (2.0, 3.0, 2.0)
    assert (summary["sum0"].events, summary["sum0"].mass) == (2.0, 4.0)
    assert summary["sn"].kind == "neuron" and summary["sum0"].kind == "sum"
    assert summary["sn"].shape == (4,) and summary["sn"].timesteps == 1
    fc = monitor.synapses()["fc"]  # the linear layer's input is the barrier's output
    assert (fc.kind, fc.events, fc.mass, fc.out_shape) == ("linear", 2.0, 4.0, (2,))


def test_counts_are_summed_over_timesteps_and_accumulate_over_calls():
    net = TinyNet(timesteps=3, levels=1, features=2)
    x = torch.tensor([[0.4, 1.0]])
    # direct encoding, binary IF, soft reset; current 0.4: v = 0.4, 0.8, 1.2 -> spikes 0, 0, 1
    # current 1.0: v = 1.0 -> spike, 0 after reset; every step -> spikes 1, 1, 1
    with SpikeMonitor(net) as monitor:
        net(x)
        assert monitor.summary()["sn"].events == 4.0
        net(torch.cat([x, x]))
    summary = monitor.summary()
    assert monitor.samples == 3
    assert summary["sn"].events == 4.0 and summary["sn"].mass == 4.0  # per sample
    assert summary["sn"].timesteps == 3
    assert summary["sn"].rate == pytest.approx(4.0 / (3 * 2))


def test_hooks_are_gone_after_the_with_block():
    net = TinyNet(timesteps=1, levels=2)
    with SpikeMonitor(net) as monitor:
        net(torch.ones(1, 4))
    before = monitor.summary()
    net(torch.full((5, 4), 3.0))
    assert monitor.summary() == before and monitor.samples == 1
    assert all(not m._forward_hooks for m in net.modules())


def test_resnet_layers_are_named_in_forward_order():
    model = build_model("sew_resnet18", width=4)
    with SpikeMonitor(model) as monitor:
        model(torch.randn(2, 3, 32, 32))
    names = list(monitor.summary())
    assert names[:7] == [
        "stem",
        "layer1.0.sn1",
        "layer1.0.sn2",
        "sum0",
        "layer1.1.sn1",
        "layer1.1.sn2",
        "sum1",
    ]
    assert names[7:11] == ["layer2.0.sn1", "layer2.0.sn2", "layer2.0.shortcut.sn", "sum2"]
    assert [n for n in names if n.startswith("sum")] == [f"sum{k}" for k in range(8)]
    assert len(names) == 1 + 8 * 3 + 3


def test_monitor_agrees_with_counts_taken_directly_from_the_network():
    torch.manual_seed(0)
    model = build_model("sparse_resnet18", width=4, timesteps=2, levels=3)
    x = torch.randn(5, 3, 32, 32)
    outputs = {}
    handle = model.layer1[1].add.register_forward_hook(
        lambda m, i, o: outputs.setdefault("sum1", o)
    )
    with SpikeMonitor(model) as monitor:
        model(x)
    handle.remove()
    sum1 = monitor.summary()["sum1"]
    assert sum1.events == pytest.approx(torch.count_nonzero(outputs["sum1"]).item() / 5)
    assert sum1.mass == pytest.approx(outputs["sum1"].sum().item() / 5)
    assert sum1.shape == (4, 32, 32) and sum1.timesteps == 2 and sum1.max_value <= 3

    synapses = monitor.synapses()
    convs = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    assert list(synapses) == [*convs, "fc"]
    stem_conv = synapses["stem.conv"]
    assert stem_conv.events == 2 * 3 * 32 * 32  # pixels are never exactly 0; counted for T = 2
    assert stem_conv.out_shape == (4, 32, 32)
    # what a convolution reads is what the layer before it wrote
    assert synapses["layer2.0.conv1"].mass == pytest.approx(sum1.mass)
    assert synapses["layer2.0.conv1"].out_shape == (8, 16, 16)


def test_sew_sums_exceed_n_in_the_monitor_and_sparse_sums_do_not():
    torch.manual_seed(0)
    sew = build_model("sew_resnet18", width=8, levels=2)
    sparse = build_model("sparse_resnet18", width=8, levels=2)
    sparse.load_state_dict(sew.state_dict())
    x = torch.randn(8, 3, 32, 32)
    maxima = {}
    for model in (sew, sparse):
        with SpikeMonitor(model) as monitor:
            model(x)
        maxima[model.name] = max(a.max_value for n, a in monitor.summary().items() if "sum" in n)
    assert maxima["sew_resnet18"] > 2 and maxima["sparse_resnet18"] <= 2


def test_table_and_plot():
    net = TinyNet(timesteps=1, levels=2)
    with SpikeMonitor(net) as monitor:
        net(torch.tensor([[0.5, 1.7, 2.4, -1.0]]))
    lines = monitor.table().splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["sn", "sum0", "total"]
    assert lines[1].split()[1:] == ["2", "3", "2"]
    ax = plot_activity({"tiny": monitor.summary()})
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["sn", "sum0"]
    two = activity_table({"a": monitor.summary(), "b": monitor.summary()})
    assert "a events" in two and "b max" in two


def test_layer_activity_is_frozen():
    activity = LayerActivity("x", "neuron", 1.0, 1.0, 1.0, 1, (2, 2))
    with pytest.raises(AttributeError):
        activity.events = 2.0
    assert activity.size == 4 and activity.out_shape is None


def test_timesteps_are_read_through_a_wrapper():
    class Wrapper(nn.Module):  # what DistributedDataParallel looks like from outside
        def __init__(self, module):
            super().__init__()
            self.module = module

        def forward(self, x):
            return self.module(x)

    net = TinyNet(timesteps=3, levels=1, features=2)
    wrapped = Wrapper(net)
    with SpikeMonitor(wrapped) as monitor:
        wrapped(torch.tensor([[0.4, 1.0]]))
    assert monitor.samples == 1 and monitor.summary()["sn"].events == 4.0
