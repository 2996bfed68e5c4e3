"""The networks: shapes, value ranges, time folding, gradient flow, and an independent ResNet18."""

from __future__ import annotations

import functools

import pytest
import torch
import torchvision
from torch import nn

from mlsnn_edu.gradients import GradientNormRecorder
from mlsnn_edu.models import MODEL_NAMES, build_model
from mlsnn_edu.models.layers import ResidualSum, SpikingNeuron, fold_time

SPIKING = [name for name in MODEL_NAMES if not name.startswith("ann_")]
TN_PAIRS = [(1, 4), (4, 1), (2, 3)]
QUICK = {"width": 4, "num_classes": 7}


def images(batch: int = 4, channels: int = 3, size: int = 32, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, channels, size, size, generator=generator)


def outputs_of(model: nn.Module, kind: type, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Run ``model`` on ``x`` and keep the output of every module of type ``kind``."""
    seen: dict[str, torch.Tensor] = {}
    handles = [
        module.register_forward_hook(lambda m, i, o, name=name: seen.__setitem__(name, o))
        for name, module in model.named_modules()
        if isinstance(module, kind)
    ]
    try:
        model(x)
    finally:
        for handle in handles:
            handle.remove()
    return seen


@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize("timesteps, levels", TN_PAIRS)
def test_every_model_gives_float_logits_and_gradients(name, timesteps, levels):
    torch.manual_seed(0)
    model = build_model(name, timesteps=timesteps, levels=levels, **QUICK)
    logits = model(images(batch=3))
    assert logits.shape == (3, 7) and logits.dtype == torch.float32
    logits.sum().backward()
    for path, parameter in model.named_parameters():
        assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), path


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_attributes_name_timesteps_levels(name):
    model = build_model(name, timesteps=2, levels=3, **QUICK)
    assert model.name == name
    if name.startswith("ann_"):
        assert (model.timesteps, model.levels) == (1, None)
    else:
        assert (model.timesteps, model.levels) == (2, 3)


@pytest.mark.parametrize("name", SPIKING)
def test_event_frames_input_and_static_input_agree_when_frames_repeat(name):
    torch.manual_seed(0)
    model = build_model(name, timesteps=3, levels=2, in_channels=2, **QUICK).eval()
    x = images(batch=2, channels=2)
    frames = x.unsqueeze(0).repeat(3, 1, 1, 1, 1)
    torch.testing.assert_close(model(frames), model(x))


@pytest.mark.parametrize("name", ["sew_resnet18", "vgg16_snn"])
def test_time_folding_keeps_samples_apart_and_time_causal(name):
    """Eval mode: each sample's logits depend only on that sample, and t=1 only on frame 1."""
    torch.manual_seed(0)
    model = build_model(name, timesteps=3, levels=2, **QUICK).eval()
    frames = torch.stack([images(batch=4, seed=t) for t in range(3)])
    together = model(frames)
    one_by_one = torch.cat([model(frames[:, i : i + 1]) for i in range(4)])
    torch.testing.assert_close(together, one_by_one, rtol=1e-4, atol=1e-5)

    changed = frames.clone()
    changed[2] = images(batch=4, seed=99)
    first = "stem.sn" if name == "sew_resnet18" else "sn1"
    before = outputs_of(model, SpikingNeuron, frames)[first].unflatten(0, (3, -1))
    after = outputs_of(model, SpikingNeuron, changed)[first].unflatten(0, (3, -1))
    torch.testing.assert_close(before[:2], after[:2])  # the past does not see the future
    assert not torch.equal(before[2], after[2])


@pytest.mark.parametrize("name", SPIKING)
@pytest.mark.parametrize("timesteps, levels", TN_PAIRS)
def test_every_neuron_emits_integers_in_0_to_N(name, timesteps, levels):
    torch.manual_seed(0)
    model = build_model(name, timesteps=timesteps, levels=levels, **QUICK)
    for path, z in outputs_of(model, SpikingNeuron, 3 * images()).items():
        assert torch.equal(z, z.round()), path
        assert z.min() >= 0 and z.max() <= levels, path


@pytest.mark.parametrize("depth", ["resnet18", "resnet34", "mobilenetv2"])
def test_sparse_block_outputs_stay_in_0_to_N_while_sew_sums_exceed_N(depth):
    levels = 2
    torch.manual_seed(0)
    sew = build_model(f"sew_{depth}", levels=levels, width=8)
    sparse = build_model(f"sparse_{depth}", levels=levels, width=8)
    sparse.load_state_dict(sew.state_dict())
    x = images(batch=8)
    sparse_sums = outputs_of(sparse, ResidualSum, x)
    sew_sums = outputs_of(sew, ResidualSum, x)
    for path, out in sparse_sums.items():
        assert torch.equal(out, out.round()) and out.min() >= 0 and out.max() <= levels, path
    for out in sew_sums.values():
        assert torch.equal(out, out.round()) and out.min() >= 0
    assert max(out.max().item() for out in sew_sums.values()) > levels


@pytest.mark.parametrize("levels", [2, 4])
@pytest.mark.parametrize(
    "theta_of", [lambda n: 1.0, lambda n: 1.0 / n], ids=["theta=1", "theta=1/N"]
)
@pytest.mark.parametrize("depth", ["resnet18", "mobilenetv2"])
def test_the_barrier_clamps_the_sum_to_n_spikes_whatever_theta(depth, theta_of, levels):
    """barrier(sum) == min(sum, N) element by element: sums count spikes, whatever theta is."""
    theta = theta_of(levels)
    torch.manual_seed(0)
    sew = build_model(f"sew_{depth}", levels=levels, width=8, theta=theta).train()
    sparse = build_model(f"sparse_{depth}", levels=levels, width=8, theta=theta).train()
    sparse.load_state_dict(sew.state_dict())
    x = images(batch=8)
    entering, leaving = {}, {}

    def keep(path: str):
        def hook(module, inputs, out) -> None:
            entering[path], leaving[path] = inputs[0] + inputs[1], out

        return hook

    for path, module in sparse.named_modules():
        if isinstance(module, ResidualSum):
            module.register_forward_hook(keep(path))
    with torch.no_grad():
        sparse(x)
    assert entering, "the network has residual sums"
    for path, total in entering.items():
        assert torch.equal(total, total.round()) and total.min() >= 0, path  # counts of spikes
        assert torch.equal(leaving[path], total.clamp(max=levels)), path
    clipped = sum(int((total > levels).sum()) for total in entering.values())
    passed_below = sum(int(((total > 0) & (total < levels)).sum()) for total in entering.values())
    assert clipped > 0 and passed_below > 0  # both branches of min(sum, N) were exercised
    first_sum = next(iter(entering))
    sew_sums = outputs_of(sew, ResidualSum, x)
    assert torch.equal(leaving[first_sum], sew_sums[first_sum].clamp(max=levels))


def torchvision_cifar_resnet(depth: int, num_classes: int = 10) -> nn.Module:
    """torchvision's ResNet with the CIFAR stem: a 3x3 stride-1 conv and no max-pool."""
    net = getattr(torchvision.models, f"resnet{depth}")(weights=None, num_classes=num_classes)
    net.conv1 = nn.Conv2d(3, 64, 3, stride=1, padding=1, bias=False)
    net.maxpool = nn.Identity()
    return net


def torchvision_to_ours(key: str) -> str:
    """torchvision's parameter names -> ours (the stem and the projection shortcuts differ)."""
    if key.startswith("conv1."):
        return "stem.conv." + key.removeprefix("conv1.")
    if key.startswith("bn1."):
        return "stem.bn." + key.removeprefix("bn1.")
    return key.replace("downsample.0.", "shortcut.conv.").replace("downsample.1.", "shortcut.bn.")


def test_ann_resnet18_has_the_standard_cifar_parameter_count():
    ours = build_model("ann_resnet18", num_classes=10, width=64)
    reference = torchvision_cifar_resnet(18)
    count = sum(p.numel() for p in ours.parameters())
    assert count == sum(p.numel() for p in reference.parameters())
    assert round(count / 1e6, 2) == 11.17


@pytest.mark.parametrize("depth", [18, 34])
def test_ann_resnet_computes_what_torchvision_computes_with_the_same_weights(depth):
    torch.manual_seed(0)
    reference = torchvision_cifar_resnet(depth, num_classes=10).eval()
    ours = build_model(f"ann_resnet{depth}", width=64).eval()
    state = {torchvision_to_ours(k): v for k, v in reference.state_dict().items()}
    ours.load_state_dict(state)  # strict: every tensor has its counterpart
    x = images(batch=2)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), reference(x), rtol=1e-4, atol=1e-4)


def test_spiking_resnets_have_the_ann_parameters_plus_spiking_projection_neurons():
    ann = build_model("ann_resnet18", width=8)
    for name in ("sew_resnet18", "sparse_resnet18"):
        spiking = build_model(name, width=8)
        assert {k: v.shape for k, v in spiking.state_dict().items()} == {
            k: v.shape for k, v in ann.state_dict().items()
        }


def test_mobilenetv2_has_torchvisions_parameter_shapes():
    """Same layers as torchvision's MobileNetV2 (strides differ for CIFAR, not the shapes)."""
    ours = build_model("sparse_mobilenetv2", width=64, num_classes=10)
    reference = torchvision.models.mobilenet_v2(weights=None, num_classes=10)
    assert sorted(tuple(p.shape) for p in ours.parameters()) == sorted(
        tuple(p.shape) for p in reference.parameters()
    )
    assert sum(p.numel() for p in ours.parameters()) == 2_236_682


def test_vgg16_layout():
    model = build_model("vgg16_snn", width=64, timesteps=4, levels=1)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 64, 128, 128, 256, 256, 256] + [512] * 6
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 13
    names = list(dict(model.named_children()))
    pools = [name for name in names if name.startswith("pool")]
    assert [
        names.index(f"pool{k}") - names.index(f"sn{i}") for k, i in enumerate((2, 4, 7, 10), 1)
    ] == [1] * 4
    assert len(pools) == 4  # a 32x32 input ends at 2x2, averaged, not max-pooled to 1x1
    assert names[names.index("sn13") + 1] == "avgpool"
    assert model.fc.in_features == 512
    x = torch.randn(2, 3, 32, 32)
    assert model(x).shape == (2, 10)


def test_fold_time_shapes_and_no_copy_for_one_timestep():
    x = images(batch=2)
    assert fold_time(x, 1) is x
    folded = fold_time(x, 3)
    assert folded.shape == (6, 3, 32, 32)
    torch.testing.assert_close(folded[2:4], x)
    with pytest.raises(ValueError, match="timesteps=2"):
        fold_time(torch.zeros(3, 2, 3, 8, 8), 2)
    with pytest.raises(ValueError, match=r"\[B, C, H, W\]"):
        fold_time(torch.zeros(3, 8, 8), 1)


def test_channels_last_gives_the_same_logits_and_keeps_the_layout():
    torch.manual_seed(0)
    model = build_model("sparse_resnet18", width=8)
    x = images(batch=4)
    expected = model(x)
    model = model.to(memory_format=torch.channels_last)
    x_last = x.contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(model(x_last), expected, rtol=1e-4, atol=1e-4)
    for path, z in outputs_of(model, SpikingNeuron, x_last).items():
        assert z.is_contiguous(memory_format=torch.channels_last), path


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"name": "resnet50"}, "sparse_resnet18"),
        ({"name": "sew_resnet18", "timesteps": 0}, "timesteps"),
        ({"name": "vgg16_snn", "levels": 0}, "levels"),
        ({"name": "sew_resnet18", "width": 0}, "width"),
        ({"name": "ann_resnet18", "num_classes": 0}, "num_classes"),
        ({"name": "sparse_resnet34", "in_channels": 1.5}, "in_channels"),
        ({"name": "sparse_resnet18", "barrier_surrogate": "tanh"}, "barrier_surrogate"),
        ({"name": "sew_resnet18", "barrier_surrogate": "ste"}, "barrier_surrogate"),
        ({"name": "sew_resnet18", "theta": -1.0}, "theta"),
        ({"name": "vgg16_snn", "alpha": 0}, "alpha"),
    ],
)
def test_bad_arguments_are_named_in_the_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_model(**kwargs)


@functools.cache
def stem_gradient_norms(depth: str = "resnet18", *, saturate: bool = False, seed: int = 0) -> dict:
    """Stem gradient norm of SEW, Sparse + STE and Sparse + SG with the same weights and batch.

    ``saturate`` sets every ``bn2`` bias to 2N so each residual branch fires N
    everywhere and the residual sums sit far above the top threshold N.
    """
    levels = 4
    torch.manual_seed(seed)
    sew = build_model(f"sew_{depth}", width=8, levels=levels)
    models = {
        "sew": sew,
        "ste": build_model(f"sparse_{depth}", width=8, levels=levels),
        "sg": build_model(f"sparse_{depth}", width=8, levels=levels, barrier_surrogate="sigmoid"),
    }
    x, labels = images(batch=16, seed=seed), torch.arange(16) % 10
    norms = {}
    for key, model in models.items():
        model.load_state_dict(sew.state_dict())
        if saturate:
            for path, module in model.named_modules():
                if path.endswith("bn2"):
                    nn.init.constant_(module.bias, 2.0 * levels)
        with GradientNormRecorder(model) as recorder:
            nn.functional.cross_entropy(model(x), labels).backward()
        norms[key] = recorder.history["stem"][0]
    return norms


# Measured over seeds 0-3 and widths 4 and 8 (ResNet18, random and digit images):
# the STE/SEW ratio of stem gradient norms lay between 0.76 and 2.3.
STE_TO_SEW_FACTOR = 4.0


@pytest.mark.parametrize("seed", [0, 1])
def test_ste_barrier_passes_as_much_gradient_to_the_stem_as_sew(seed):
    norms = stem_gradient_norms(seed=seed)
    assert 1 / STE_TO_SEW_FACTOR < norms["ste"] / norms["sew"] < STE_TO_SEW_FACTOR


def test_sigmoid_barrier_starves_the_stem_when_sums_sit_far_above_n():
    """The avalanche regime: sums >= N + 2, where every sigmoid of the surrogate is flat."""
    norms = stem_gradient_norms(saturate=True)
    assert norms["ste"] > 0.1
    assert norms["sg"] < 1e-3 * norms["ste"]


def test_sigmoid_barrier_amplifies_the_gradient_when_sums_sit_on_thresholds():
    """At initialisation sums are integers in [0, N]: the surrogate peaks there at alpha/4 > 1.

    Measured, and explained in chapter 4: Sparse + SG then passes MORE gradient
    to the stem than Sparse + STE, the opposite of the saturated regime.
    """
    norms = stem_gradient_norms()
    assert norms["sg"] > norms["ste"]


@pytest.mark.slow
def test_torch_compile_traces_sparse_resnet_without_graph_breaks():
    model = build_model("sparse_resnet18", width=4, timesteps=2)
    explanation = torch._dynamo.explain(model)(images(batch=2))
    assert explanation.graph_break_count == 0


def test_time_folded_neuron_rejects_a_batch_that_is_not_a_multiple_of_t() -> None:
    from mlsnn_edu.models.layers import SpikingNeuron

    with pytest.raises(ValueError, match="timesteps=4"):
        SpikingNeuron(timesteps=4)(torch.ones(6, 3))
