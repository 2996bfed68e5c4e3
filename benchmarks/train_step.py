"""Benchmark 2: one training step of ResNet18, ANN against spiking networks.

    python benchmarks/train_step.py                  # widths 64 and 8, batch 32, 3x32x32
    python benchmarks/train_step.py --channels-last  # the same in channels_last memory format
    python benchmarks/train_step.py --quick          # tiny, to check that it runs

Contenders, all the CIFAR ResNet18 layout of :mod:`mlsnn_edu.models` on the
same random batch, each timed for forward + loss + backward + SGD step:

* ``ann``: ReLU ResNet18;
* ``sparse``, ``sew``: Sparse-ResNet18 and SEW-ResNet18 [T=1, N=4], whose
  neurons use the one-exponential surrogate in the compiled kernel of
  :mod:`mlsnn_edu.spike_kernel`; ``sparse_eager``: Sparse with that kernel off
  (eager PyTorch), to see what the kernel gains; ``sparse_definition``: Sparse
  with the surrogate as defined (N sigmoids), in eager PyTorch, to see (against
  ``sparse_eager``) what the fast form gains;
* ``ours_binary``: SEW-ResNet18 [T=4, N=1] with this library's neurons;
* ``snntorch_binary``: the same network [T=4, N=1] whose every neuron is
  ``snntorch.Leaky(beta=1, reset_mechanism="subtract")`` stepped over T = 4;
* ``sparse_all_ste``: Sparse-ResNet18 with the straight-through estimator in
  every neuron, to see what the sigmoid surrogate's backward pass costs.

Two bounds follow from the table: the ANN's own images/s over snntorch's is
the most any T = 1 network could gain over snntorch's T = 4 one without being
faster than the ANN, and ``sparse_all_ste`` is what the Sparse step would cost
if the surrogate's backward were free.

Contenders alternate within one process (A B C ... A B C ...). Peak memory is
measured afterwards, one contender per fresh subprocess (the peak resident
memory of a process only grows, so it cannot be shared), or with the CUDA
allocator's peak on a GPU. Prints a table and writes ``train_step.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import snntorch
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import (
    RESULTS,
    environment,
    interleaved,
    other_load_note,
    set_threads,
    summary,
    table,
    write_json,
)

from mlsnn_edu.models import build_model
from mlsnn_edu.neurons import MultiLevelIF
from mlsnn_edu.spike_kernel import eager_spikes

CHAPTER_WIDTH = 8  # the width the chapters train at in quick mode
#: Sparse [T=1, N=4] step time / ANN step time, at most, by width (others: the nearest listed).
TARGET_STEP_RATIO = {64: 1.05, CHAPTER_WIDTH: 1.10}
TARGET_SPEEDUP_OVER_SNNTORCH = 5.0  # Sparse images/s / snntorch binary [T=4] images/s, at least

# name -> (registry name, timesteps, levels, snntorch neurons)
CONTENDERS = {
    "ann": ("ann_resnet18", 1, 4, False),
    "sparse": ("sparse_resnet18", 1, 4, False),
    "sparse_eager": ("sparse_resnet18", 1, 4, False),
    "sparse_definition": ("sparse_resnet18", 1, 4, False),
    "sew": ("sew_resnet18", 1, 4, False),
    "ours_binary": ("sew_resnet18", 4, 1, False),
    "snntorch_binary": ("sew_resnet18", 4, 1, True),
    # A diagnostic: Sparse-ResNet18 with the straight-through estimator in every
    # neuron, i.e. without the cost of the sigmoid surrogate's backward pass.
    "sparse_all_ste": ("sparse_resnet18", 1, 4, False),
}
DEFAULT_CONTENDERS = list(CONTENDERS)


class SnntorchNeuron(nn.Module):
    """snntorch's binary IF neuron on a time-folded tensor ``[T*B, ...]``, stepped over T."""

    def __init__(self, timesteps: int) -> None:
        super().__init__()
        self.timesteps = timesteps
        self.neuron = snntorch.Leaky(beta=1.0, threshold=1.0, reset_mechanism="subtract")

    def forward(self, currents: torch.Tensor) -> torch.Tensor:
        membrane = self.neuron.init_leaky()
        spikes = []
        for current in currents.unflatten(0, (self.timesteps, -1)):
            spike, membrane = self.neuron(current, membrane)
            spikes.append(spike)
        return torch.stack(spikes).flatten(0, 1)


def with_snntorch_neurons(model: nn.Module) -> nn.Module:
    """Replace every spiking neuron of ``model`` by :class:`SnntorchNeuron`."""
    for parent in list(model.modules()):
        for child_name, child in list(parent.named_children()):
            if isinstance(child, MultiLevelIF):
                setattr(parent, child_name, SnntorchNeuron(child.timesteps))
    return model


def build(name: str, width: int, device: torch.device, channels_last: bool) -> nn.Module:
    registry_name, timesteps, levels, snntorch_neurons = CONTENDERS[name]
    torch.manual_seed(0)
    model = build_model(registry_name, width=width, timesteps=timesteps, levels=levels)
    if snntorch_neurons:
        model = with_snntorch_neurons(model)
    for module in model.modules():
        if isinstance(module, MultiLevelIF):
            if name == "sparse_all_ste":
                module.surrogate = "ste"
            if name == "sparse_definition":
                module.fast = False
    model = model.to(device).train()
    return model.to(memory_format=torch.channels_last) if channels_last else model


def step_ratio_target(width: int) -> float:
    """The step-time ratio Sparse / ANN wanted at ``width`` (the nearest listed width's)."""
    nearest = min(TARGET_STEP_RATIO, key=lambda listed: abs(listed - width))
    return TARGET_STEP_RATIO[nearest]


def training_step(name: str, width: int, batch: int, device: torch.device, channels_last: bool):
    """A closure doing one SGD step of contender ``name`` on a fixed random batch."""
    model = build(name, width, device, channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    generator = torch.Generator().manual_seed(1)
    images = torch.randn(batch, 3, 32, 32, generator=generator).to(device)
    if channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, 10, (batch,), generator=generator).to(device)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with eager_spikes() if name == "sparse_eager" else contextlib.nullcontext():
            loss = nn.functional.cross_entropy(model(images), labels)
            loss.backward()
        optimizer.step()

    return step


def peak_memory_mb(name: str, width: int, batch: int, device: torch.device, args) -> dict:
    """Peak memory of three training steps of one contender."""
    if device.type == "cuda":
        step = training_step(name, width, batch, device, args.channels_last)
        torch.cuda.synchronize()
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        for _ in range(3):
            step()
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated()
        return {"peak_mb": peak / 2**20, "above_model_mb": (peak - before) / 2**20}
    command = [
        sys.executable,
        __file__,
        "--memory-probe",
        name,
        "--widths",
        str(width),
        "--batch",
        str(batch),
        "--threads",
        str(args.threads or 2),
    ] + (["--channels-last"] if args.channels_last else [])
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def memory_probe(name: str, width: int, batch: int, channels_last: bool) -> None:
    """Child process: print the peak resident memory of three steps, as one JSON line."""
    step = training_step(name, width, batch, torch.device("cpu"), channels_last)
    before = resident_mb()
    for _ in range(3):
        step()
    peak = peak_resident_mb()
    print(json.dumps({"peak_mb": peak, "above_model_mb": peak - before}))


def resident_mb() -> float:
    """Current resident memory of this process (Linux /proc; 0 where unavailable)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * resource.getpagesize() / 2**20


def peak_resident_mb() -> float:
    """Peak resident memory of this process since it started, in MiB.

    Linux's ``VmHWM``, not ``getrusage``: a child started by vfork + exec inherits
    its parent's ``ru_maxrss``, which would report the benchmark's own peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux, bytes on macOS


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny widths and batch, 2 repeats")
    parser.add_argument("--widths", type=int, nargs="+", default=[64, CHAPTER_WIDTH])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=None, help="timed steps per contender")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default 2)")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--contenders", nargs="+", default=DEFAULT_CONTENDERS, choices=CONTENDERS)
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory probes")
    parser.add_argument("--memory-probe", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--tag", default="", help="appended to the JSON file's name")
    args = parser.parse_args(argv)
    threads = set_threads(args.threads)
    if args.memory_probe:
        memory_probe(args.memory_probe, args.widths[0], args.batch, args.channels_last)
        return None
    if args.quick:
        args.widths, args.batch, args.no_memory = [4], 4, True
    device = torch.device(
        ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    )
    env = environment(threads)
    names = list(args.contenders)
    started = time.perf_counter()
    results, rows = {}, []
    for width in args.widths:
        repeats = args.repeats or (2 if args.quick else 9 if width >= 32 else 21)
        steps = {
            name: training_step(name, width, args.batch, device, args.channels_last)
            for name in names
        }
        times = interleaved(steps, repeats=repeats, warmup=1)
        del steps
        per_width = {}
        for name in names:
            stats = {clock: summary(seconds) for clock, seconds in times[name].items()}
            stats["images_per_s"] = args.batch / stats["wall_s"]["median_s"]
            per_width[name] = stats
        for name, stats in per_width.items():
            for clock, suffix in (("wall_s", ""), ("cpu_s", "_cpu")):
                median = stats[clock]["median_s"]
                if "ann" in per_width:
                    stats["step_ratio_to_ann" + suffix] = (
                        median / per_width["ann"][clock]["median_s"]
                    )
                if "snntorch_binary" in per_width:
                    snn = per_width["snntorch_binary"][clock]["median_s"]
                    stats["speedup_over_snntorch" + suffix] = snn / median
            if not args.no_memory:
                stats["memory"] = peak_memory_mb(name, width, args.batch, device, args)
            rows.append(
                {
                    "width": width,
                    "contender": name,
                    "median_ms": 1000 * stats["wall_s"]["median_s"],
                    "iqr_ms": 1000 * stats["wall_s"]["iqr_s"],
                    "images_per_s": stats["images_per_s"],
                    "x_ann": stats.get("step_ratio_to_ann"),
                    "x_ann_cpu": stats.get("step_ratio_to_ann_cpu"),
                    "vs_snntorch": stats.get("speedup_over_snntorch"),
                    "peak_mb": stats.get("memory", {}).get("peak_mb"),
                }
            )
        results[str(width)] = per_width

    targets = {}
    for width, per_width in results.items():
        for name in ("sparse",):  # the form the networks use
            stats = per_width.get(name, {})
            if "step_ratio_to_ann" in stats:
                measured = stats["step_ratio_to_ann"]
                cpu_time = stats["step_ratio_to_ann_cpu"]
                wanted = step_ratio_target(int(width))
                targets[f"{name}_step_vs_ann_width{width}"] = {
                    "target": f"<= {wanted}",
                    "measured": round(measured, 3),
                    "measured_cpu_time": round(cpu_time, 3),
                    "met": measured <= wanted,
                    "met_cpu_time": cpu_time <= wanted,
                }
            if "speedup_over_snntorch" in stats:
                measured = stats["speedup_over_snntorch"]
                cpu_time = stats["speedup_over_snntorch_cpu"]
                targets[f"{name}_images_per_s_vs_snntorch_width{width}"] = {
                    "target": f">= {TARGET_SPEEDUP_OVER_SNNTORCH}",
                    "measured": round(measured, 2),
                    "measured_cpu_time": round(cpu_time, 2),
                    "met": measured >= TARGET_SPEEDUP_OVER_SNNTORCH,
                    "met_cpu_time": cpu_time >= TARGET_SPEEDUP_OVER_SNNTORCH,
                }
    payload = {
        "benchmark": "train_step",
        "environment": {**env, **other_load_note(env, threads)},
        "device": str(device),
        "batch": args.batch,
        "input": [3, 32, 32],
        "memory_format": "channels_last" if args.channels_last else "contiguous",
        "step": "zero_grad + forward + cross-entropy + backward + SGD(momentum) step",
        "contenders": {name: CONTENDERS[name][:4] for name in names},
        "wall_s": round(time.perf_counter() - started, 1),
        "results": results,
        "targets": targets,
    }
    print(
        f"ResNet18 training step, batch {args.batch}, 3x32x32, {device}, {threads} threads, "
        f"{payload['memory_format']}"
    )
    columns = [
        ("width", "width"),
        ("contender", "contender"),
        ("median_ms", "median ms"),
        ("iqr_ms", "IQR ms"),
        ("images_per_s", "images/s"),
        ("x_ann", "x ANN"),
        ("x_ann_cpu", "x ANN (CPU time)"),
        ("vs_snntorch", "x snntorch images/s"),
        ("peak_mb", "peak MB"),
    ]
    print(table(rows, columns))
    for name, target in targets.items():
        verdict = "met" if target["met"] else "NOT met"
        cpu = "met" if target["met_cpu_time"] else "NOT met"
        print(
            f"target {name}: {target['target']}, measured {target['measured']} ({verdict}); "
            f"by CPU time {target['measured_cpu_time']} ({cpu})"
        )
    suffix = ("_channels_last" if args.channels_last else "") + (f"_{args.tag}" if args.tag else "")
    path = write_json(payload, args.out, f"train_step{suffix}.json")
    print(f"wrote {path}")
    return payload


if __name__ == "__main__":
    main()
