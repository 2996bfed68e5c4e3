"""The energy model against counts worked out by hand from Lemaire et al.'s equations.

Every expected count below is written as the equation of the model (see
``book/energy-model.md``, the book's appendix on the model's terms) evaluated
on a hand-made spike pattern, with the arithmetic in a comment.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from mlsnn_edu import cli
from mlsnn_edu.energy import (
    ENERGY_KINDS,
    MULTILEVEL_COSTS,
    PRESETS,
    calibrate_batch_norm,
    comparison_table,
    estimate_energy,
    get_preset,
    measure_energy,
)
from mlsnn_edu.models import build_model
from mlsnn_edu.models.layers import SpikingNeuron, name_activity_layers
from mlsnn_edu.monitor import LayerActivity, SpikeMonitor

HOROWITZ = PRESETS["horowitz45nm"]


def ram(values: int, bits: int = 32) -> float:
    """Lemaire et al.'s SRAM line, written out again: 1.09e-5 pJ/bit * size + 13.2 pJ."""
    return 1.09e-5 * values * bits + 13.2


class OneLayer(nn.Module):
    """``synapse`` then a multi-level IF neuron, fed spikes ``[T, B, ...]``; returns ``[B, T, ...]``."""

    def __init__(self, synapse: nn.Module, timesteps: int, levels: int) -> None:
        super().__init__()
        self.synapse = synapse
        self.sn = SpikingNeuron(timesteps, levels)
        self.timesteps, self.levels, self.name = timesteps, levels, "one_layer"
        name_activity_layers(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spikes = self.sn(self.synapse(x.flatten(0, 1)))
        return spikes.unflatten(0, (self.timesteps, -1)).transpose(0, 1)


def run_one_layer(model: OneLayer, spikes: torch.Tensor, **options):
    """Estimate on the hand-made input; also return the output spikes (events, mass) per sample."""
    with torch.no_grad(), SpikeMonitor(model) as monitor:
        out = model(spikes)
    report = estimate_energy(model, monitor, input_spikes=True, **options)
    return report, float(torch.count_nonzero(out)), float(out.sum())


def conv_pattern() -> torch.Tensor:
    """T=2, one sample, 2 channels of 4x4: 5 events carrying 1+2+1+3+1 = 8 spikes, largest 3."""
    x = torch.zeros(2, 1, 2, 4, 4)
    x[0, 0, 0, 0, 0] = 1
    x[0, 0, 0, 1, 2] = 2
    x[0, 0, 1, 3, 3] = 1
    x[1, 0, 0, 2, 1] = 3
    x[1, 0, 1, 0, 3] = 1
    return x


def conv_layer(seed: int = 0, stride: int = 1) -> OneLayer:
    torch.manual_seed(seed)
    conv = nn.Conv2d(2, 3, 3, stride=stride, padding=1, bias=False)
    nn.init.uniform_(conv.weight, 0.0, 1.5)  # positive weights: the neurons do fire
    return OneLayer(conv, timesteps=2, levels=3)


def test_conv_layer_counts_by_hand():
    report, out_events, out_mass = run_one_layer(conv_layer(), conv_pattern())
    conv, neuron = report.layers
    assert (conv.name, conv.kind, neuron.name, neuron.kind) == ("synapse", "conv", "sn", "neuron")
    assert out_events > 0
    units_in = 8  # "accumulate": a spike of value k is k unit spikes, theta counts the mass
    cout, kernel, reach = 3, 3 * 3, math.ceil(3 / 1) * math.ceil(3 / 1)
    c = conv.counts
    assert c.acc == units_in * reach * cout == 216  # 8 * 9 * 3
    assert (c.addr_mac, c.addr_acc) == (2 * units_in, units_in * kernel) == (16, 72)
    assert c.weight_reads == units_in * cout * kernel == 216
    assert c.potential_reads == c.potential_writes == 216
    assert (c.input_reads, c.mac, c.bias_reads, c.output_writes) == (8, 0, 0, 0)
    assert (c.weight_memory, c.potential_memory, c.input_memory) == (
        54,
        48,
        32,
    )  # 3*2*3*3, 3*4*4, 2*4*4
    n = neuron.counts
    per_timestep = 2 * 3 * 4 * 4  # T * Cout * Hout * Wout = 96
    assert n.acc == per_timestep + out_mass
    assert n.potential_reads == n.potential_writes == n.bias_reads == per_timestep
    assert n.output_writes == out_mass and n.mac == 0
    # the layer of the paper is both rows together
    both = c + n
    assert both.acc == 216 + 96 + out_mass
    assert both.potential_reads == 216 + 96
    # energies: operations at 0.9 pJ per add, 3.7 + 0.9 per MAC; accesses at the SRAM line
    assert conv.energy["operations"] == pytest.approx(216 * 0.9)
    assert conv.energy["addressing"] == pytest.approx(72 * 0.9 + 16 * 4.6)
    assert conv.energy["weights"] == pytest.approx(216 * ram(54))
    assert conv.energy["potentials"] == pytest.approx(432 * ram(48))
    assert conv.energy["io"] == pytest.approx(8 * ram(32))
    assert neuron.energy["biases"] == pytest.approx(96 * ram(3))
    assert neuron.energy["io"] == pytest.approx(out_mass * ram(48))
    assert report.total == pytest.approx(conv.total + neuron.total)
    assert sum(report.by_kind().values()) == pytest.approx(report.total)


def test_conv_layer_charging_options_by_hand():
    model = conv_layer()
    _, out_events, out_mass = run_one_layer(model, conv_pattern())
    event_mac, _, _ = run_one_layer(model, conv_pattern(), multilevel_cost="event_mac")
    c, n = (row.counts for row in event_mac.layers)
    # one event per non-zero value (5), weight times k by shift-and-add: values up to 3 need
    # floor(log2(3 + 1)) - 1 = 1 extra addition per synaptic operation
    assert c.acc == 5 * 9 * 3 == 135
    assert c.mul_adds == 135
    assert c.weight_reads == 135 and c.input_reads == 5
    assert n.acc == 96 + out_events and n.output_writes == out_events
    linear, _, _ = run_one_layer(model, conv_pattern(), multilevel_cost="linear_in_N")
    c, n = (row.counts for row in linear.layers)
    assert c.acc == (5 * 3) * 9 * 3 == 405  # every event charged as N = 3 spikes
    assert c.mul_adds == 0 and c.addr_mac == 30
    assert n.output_writes == 3 * out_events


def test_strided_conv_reaches_ceil_kernel_over_stride_positions():
    report, _, _ = run_one_layer(conv_layer(stride=2), conv_pattern())
    c = report.layers[0].counts
    assert c.acc == 8 * (math.ceil(3 / 2) * math.ceil(3 / 2)) * 3 == 96
    assert c.weight_reads == 8 * 3 * 9  # the model reads the whole kernel per event
    assert c.potential_memory == 3 * 2 * 2


def test_linear_layer_counts_by_hand():
    torch.manual_seed(1)
    fc = nn.Linear(6, 4)
    nn.init.uniform_(fc.weight, 0.0, 1.0)
    model = OneLayer(fc, timesteps=3, levels=2)
    x = torch.tensor(
        [[1, 0, 2, 0, 0, 1], [0, 0, 0, 0, 0, 0], [0, 2, 0, 0, 1, 0]], dtype=torch.float32
    )
    report, out_events, out_mass = run_one_layer(model, x.unsqueeze(1))  # 5 events, 7 spikes
    c, n = (row.counts for row in report.layers)
    assert report.layers[0].kind == "linear"
    # units_in * Nout + T * Nout + units_out accumulates, units_in * Nout weight reads
    assert c.acc == 7 * 4 == 28 and c.weight_reads == 28
    assert c.potential_reads == c.potential_writes == 28 and c.input_reads == 7
    assert (c.addr_mac, c.addr_acc) == (14, 7)  # the 1x1 convolution's addressing
    assert n.acc == 3 * 4 + out_mass
    assert n.potential_reads == n.bias_reads == 12 and n.output_writes == out_mass
    assert (c.weight_memory, n.potential_memory, n.bias_memory) == (24, 4, 4)


def test_first_layer_fed_by_pixels_is_dense_frame_by_frame():
    torch.manual_seed(0)
    model = OneLayer(nn.Conv2d(1, 2, 3, padding=1, bias=False), timesteps=2, levels=1)
    pixels = torch.rand(1, 1, 4, 4) + 0.1
    pixels[..., 0, :] = 0.0  # 4 zero pixels out of 16: 12 non-zero per frame
    with torch.no_grad(), SpikeMonitor(model) as monitor:
        model(pixels.expand(2, 1, 1, 4, 4))
    c = estimate_energy(model, monitor).layers[0].counts
    frames = 2 * 12 / 16  # T times the fraction of non-zero inputs
    assert c.mac == pytest.approx(frames * (2 * 4 * 4) * (1 * 3 * 3))  # Cout*Hout*Wout * Cin*Hk*Wk
    assert c.weight_reads == c.input_reads == c.mac
    assert c.addr_acc == 2 * (
        1 * 16 + 2 * 16 + 2 * 9
    )  # T (Cin Hin Win + Cout Hout Wout + Cout Hk Wk)
    assert c.acc == 0 and c.potential_reads == 0


def records(
    *,
    events: float,
    mass: float,
    max_value: float,
    out_events: float,
    out_mass: float,
    timesteps: int,
) -> dict[str, LayerActivity]:
    """Hand-made records for :func:`conv_layer`'s model: the conv input and the neuron output."""
    return {
        "synapse": LayerActivity(
            "synapse", "conv", events, mass, max_value, timesteps, (2, 4, 4), (3, 4, 4)
        ),
        "sn": LayerActivity("sn", "neuron", out_events, out_mass, max_value, timesteps, (3, 4, 4)),
    }


def with_timesteps(timesteps: int, levels: int) -> OneLayer:
    model = conv_layer()
    model.timesteps = model.sn.timesteps = timesteps
    model.levels = model.sn.levels = levels
    return model


@settings(max_examples=60, deadline=None)
@given(
    base=st.tuples(st.integers(0, 50), st.integers(0, 3), st.integers(0, 50), st.integers(0, 3)),
    more=st.tuples(st.integers(0, 20), st.integers(0, 3), st.integers(0, 20), st.integers(0, 3)),
    rule=st.sampled_from(MULTILEVEL_COSTS),
    levels=st.integers(1, 8),
)
def test_more_spikes_never_cost_less(base, more, rule, levels):
    model = with_timesteps(2, levels)

    def report(e_in, extra_in, e_out, extra_out):  # mass = events + extra (every value >= 1)
        acts = records(
            events=e_in,
            mass=e_in + min(extra_in * e_in, (levels - 1) * e_in),
            max_value=levels,
            out_events=e_out,
            out_mass=e_out + min(extra_out * e_out, (levels - 1) * e_out),
            timesteps=2,
        )
        return estimate_energy(model, acts, input_spikes=True, multilevel_cost=rule)

    fewer = report(*base)
    plus = report(
        base[0] + more[0], max(base[1], more[1]), base[2] + more[2], max(base[3], more[3])
    )
    for kind in ENERGY_KINDS:
        assert plus.by_kind()[kind] >= fewer.by_kind()[kind] - 1e-9
    assert plus.total >= fewer.total - 1e-9


def test_per_timestep_terms_scale_with_t_at_equal_spike_mass():
    mass = 24.0
    binary = estimate_energy(
        with_timesteps(4, 1),
        records(events=mass, mass=mass, max_value=1, out_events=10, out_mass=10, timesteps=4),
        input_spikes=True,
    )
    multilevel = estimate_energy(
        with_timesteps(1, 4),
        records(events=9, mass=mass, max_value=4, out_events=4, out_mass=10, timesteps=1),
        input_spikes=True,
    )
    # event-driven terms follow the spike mass: equal
    assert binary.layers[0].counts == multilevel.layers[0].counts
    b, m = binary.layers[1].counts, multilevel.layers[1].counts
    # per-timestep neuron terms: T * Cout * Hout * Wout, four times as many at T = 4
    assert b.potential_reads == 4 * m.potential_reads == 4 * 48
    assert b.bias_reads == 4 * m.bias_reads
    assert b.acc - 10 == 4 * (m.acc - 10)
    binary_split, multilevel_split = binary.split(), multilevel.split()
    assert binary_split["every timestep"] == pytest.approx(4 * multilevel_split["every timestep"])
    assert binary_split["spikes"] == pytest.approx(multilevel_split["spikes"])  # same mass
    assert binary.total > multilevel.total


@pytest.mark.parametrize("levels", [2, 3, 4, 8])
def test_charging_options_order(levels):
    model = with_timesteps(1, levels)

    def totals(events, mass, max_value):
        acts = records(
            events=events,
            mass=mass,
            max_value=max_value,
            out_events=events,
            out_mass=mass,
            timesteps=1,
        )
        return {
            rule: estimate_energy(model, acts, input_spikes=True, multilevel_cost=rule).total
            for rule in MULTILEVEL_COSTS
        }

    mixed = totals(10, 10 + 5 * (levels - 1), levels)  # half the spikes at 1, half at N
    assert mixed["linear_in_N"] >= mixed["accumulate"]
    assert mixed["linear_in_N"] >= mixed["event_mac"]
    full = totals(10, 10 * levels, levels)  # every spike at N: one MAC beats N accumulations
    assert full["event_mac"] < full["accumulate"] == pytest.approx(full["linear_in_N"])
    ones = totals(10, 10, 1)  # every spike at 1: the small multiply is wasted (or free)
    assert ones["accumulate"] <= ones["event_mac"] < ones["linear_in_N"]


def test_charging_options_agree_for_binary_spikes():
    model = with_timesteps(4, 1)
    acts = records(events=17, mass=17, max_value=1, out_events=5, out_mass=5, timesteps=4)
    reports = [
        estimate_energy(model, acts, input_spikes=True, multilevel_cost=r) for r in MULTILEVEL_COSTS
    ]
    assert [r.layers for r in reports[1:]] == [reports[0].layers] * 2


def test_ann_resnet18_counts_the_known_multiply_accumulates():
    report = estimate_energy(build_model("ann_resnet18"), None, input_shape=(3, 32, 32))
    stem = 64 * 32 * 32 * 3 * 9
    stage1 = 4 * (64 * 32 * 32 * 64 * 9)
    # later stages: a strided conv from C/2 channels, three convs at C, a 1x1 projection
    later = sum(
        c * h * h * (c // 2) * 9 + 3 * c * h * h * c * 9 + c * h * h * c // 2
        for c, h in ((128, 16), (256, 8), (512, 4))
    )
    assert (
        report.counts().mac == stem + stage1 + later + 512 * 10 == 555_422_720
    )  # the quoted 0.56 G
    assert not report.spiking and report.counts().potential_reads == 0
    sums = [row for row in report.layers if row.kind == "sum"]
    assert len(sums) == 8 and sums[0].counts.acc == 64 * 32 * 32  # (k - 1) adds per element


def test_ann_model_ignores_recorded_activity():
    model = build_model("ann_resnet18", width=4)
    with torch.no_grad(), SpikeMonitor(model) as monitor:
        model(torch.randn(2, 3, 16, 16))
    with_activity = estimate_energy(model, monitor)
    from_shapes = estimate_energy(model, None, input_shape=(3, 16, 16))
    assert [r.counts for r in with_activity.layers] == [r.counts for r in from_shapes.layers]


@pytest.mark.parametrize("name", ["sew_resnet18", "sparse_resnet18"])
def test_residual_sum_charges_the_spikes_of_both_terms(name):
    torch.manual_seed(0)
    model = build_model(name, timesteps=2, levels=2, width=4)
    with torch.no_grad(), SpikeMonitor(model) as monitor:
        model(torch.randn(4, 3, 16, 16) * 3)
    summary = monitor.summary()
    report = estimate_energy(model, monitor)
    rows = {row.name: row.counts for row in report.layers}
    arriving = summary["layer1.0.sn2"].mass + summary["stem"].mass  # branch + identity shortcut
    n = 2 * 4 * 16 * 16  # T * C * H * W
    if name == "sew_resnet18":
        assert rows["sum0"].acc == pytest.approx(arriving)
        assert rows["sum0"].output_writes == pytest.approx(summary["sum0"].mass)
        assert summary["sum0"].mass == pytest.approx(arriving)  # a SEW sum keeps every spike
    else:  # barrier neuron: integrate arrivals, update every timestep, reset per output spike
        assert rows["sum0"].acc == pytest.approx(arriving + n + summary["sum0"].mass)
        assert rows["sum0"].bias_reads == 0
    projection = summary["layer2.0.shortcut.sn"].mass + summary["layer2.0.sn2"].mass
    assert rows["sum2"].input_reads == pytest.approx(projection)


def test_measure_energy_covers_every_layer_in_forward_order():
    model = build_model("vgg16_snn", timesteps=1, levels=4, width=2)
    report = measure_energy(model, torch.randn(3, 3, 32, 32))
    names = [row.name for row in report.layers]
    assert names[:4] == ["conv1", "sn1", "conv2", "sn2"] and names[-3:] == [
        "sn13",
        "avgpool",
        "fc",
    ]
    assert (
        report.layers[0].counts.mac > 0 and report.layers[2].counts.mac == 0
    )  # pixels, then spikes
    assert report.layers[-1].counts.acc == 0  # the classifier reads averages: dense
    table = report.table()
    assert "horowitz45nm" in table and "Horowitz, ISSCC 2014" in table and "1.09e-05" in table


def test_presets_and_bad_arguments():
    assert (
        get_preset("horowitz45nm_int8")
        .describe()
        .startswith("preset horowitz45nm_int8: add 0.03 pJ")
    )
    assert PRESETS["horowitz45nm_ops_only"].ram_access_pj(10_000) == 0.0
    assert HOROWITZ.ram_access_pj(8 * 1024 * 8 / 32) == pytest.approx(ram(2048))
    model = conv_layer()
    acts = records(events=1, mass=1, max_value=1, out_events=1, out_mass=1, timesteps=2)
    with pytest.raises(ValueError, match="preset"):
        estimate_energy(model, acts, preset="horowitz7nm")
    with pytest.raises(ValueError, match="multilevel_cost"):
        estimate_energy(model, acts, multilevel_cost="quadratic")
    with pytest.raises(ValueError, match="input_shape"):
        estimate_energy(model, None)
    with pytest.raises(ValueError, match="'sn'"):
        estimate_energy(model, {"synapse": acts["synapse"]})
    with pytest.raises(ValueError, match="reference"):
        comparison_table({"a": estimate_energy(model, acts)}, reference="b")


@pytest.mark.slow
def test_energy_command_prints_one_story(tmp_path, capsys):
    """The per-layer table is one of the compared rows, and every row says its theta and source."""
    plot = tmp_path / "energy.png"
    arguments = ["energy", "--model", "sparse_resnet18", "--width", "2", "--samples", "4"]
    assert cli.main([*arguments, "--calibration-samples", "8", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    own = "sparse_resnet18 [T=1, N=4, θ=0.25] (untrained, batch norm calibrated on 8 training"
    assert out.startswith(own) and "preset horowitz45nm" in out
    comparison = out[out.index("network ") :]
    for row in (
        "ANN with the layers of sparse_resnet18",
        "sparse_resnet18 [T=4, N=1, θ=1] (untrained",
        own,
    ):
        assert row in comparison
    assert comparison.count("sparse_resnet18 [T=1, N=4, θ=0.25]") == 1  # not a second, other row
    assert "binary [T=4, N=1, θ=1] / multi-level [T=1, N=4, θ=0.25] energy:" in out
    assert plot.stat().st_size > 0


def test_calibration_sets_batch_norm_statistics_to_the_input_average():
    torch.manual_seed(0)
    model = build_model("sparse_resnet18", timesteps=2, levels=1, width=2)
    weights = model.stem.conv.weight.clone()
    x = torch.randn(10, 3, 8, 8) + 0.5
    calibrate_batch_norm(model, x, batch_size=5)  # two equal batches: their average is the mean
    with torch.no_grad():
        expected = model.stem.conv(x).mean(dim=(0, 2, 3))  # T repeats the image: same mean
    assert torch.allclose(model.stem.bn.running_mean, expected, atol=1e-5)
    assert torch.equal(model.stem.conv.weight, weights) and not model.training
    assert model.stem.bn.momentum == 0.1  # restored


@pytest.mark.slow
def test_energy_of_a_trainer_checkpoint_is_the_saved_network_on_its_data(tmp_path, capsys):
    from mlsnn_edu.data import build_datasets
    from mlsnn_edu.experiments.energy import compare_energy, from_checkpoint
    from mlsnn_edu.training import TrainConfig, save_checkpoint

    config = TrainConfig(model="sew_resnet18", width=2, timesteps=2, levels=2).to_dict()
    torch.manual_seed(3)
    model = build_model("sew_resnet18", width=2, timesteps=2, levels=2)
    calibrate_batch_norm(model, torch.randn(8, 3, 32, 32))  # running statistics worth keeping
    payload = {"config": config, "epoch": 1, "model": model.state_dict(), "optimizer": {}}
    payload.update(scheduler={}, rng={}, history=[])
    save_checkpoint(tmp_path / "checkpoint.pt", payload)
    rows = compare_energy([from_checkpoint(tmp_path / "checkpoint.pt")], samples=4)
    test = build_datasets("digits").test
    expected = measure_energy(model, torch.stack([test[i][0] for i in range(4)]))
    ann, own = rows[0].report, rows[1].report
    assert not ann.spiking and "trained" in rows[1].label and "θ=1" in rows[1].label
    assert (own.model, own.timesteps, own.levels) == ("sew_resnet18", 2, 2)
    assert [row.counts for row in own.layers] == [row.counts for row in expected.layers]
    arguments = ["energy", "--checkpoint", str(tmp_path / "checkpoint.pt")]
    assert cli.main([*arguments, "--width", "8"]) == 1
    assert "--width cannot change a checkpoint's network" in capsys.readouterr().err
    assert cli.main([*arguments, "--model", "vgg16_snn"]) == 1
    assert "--model cannot change" in capsys.readouterr().err


def test_bad_activity_and_batches_are_clear_errors() -> None:
    from mlsnn_edu.energy.calibration import calibrate_batch_norm
    from mlsnn_edu.energy.counts import neuron_counts, spike_units
    from mlsnn_edu.energy.measure import measure_energy

    with pytest.raises(ValueError, match="events"):
        spike_units(-1.0, 2.0, 1.0, levels=1, multilevel_cost="accumulate")
    with pytest.raises(ValueError, match="neurons"):
        neuron_counts(-5, 1, timesteps=1, units_out=0.0)
    model = build_model("sparse_resnet18", width=4)
    with pytest.raises(ValueError, match="batch_size"):
        measure_energy(model, torch.zeros(2, 3, 32, 32), batch_size=0)
    with pytest.raises(ValueError, match="at least one sample"):
        calibrate_batch_norm(model, torch.zeros(0, 3, 32, 32))
