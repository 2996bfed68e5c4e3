"""Benchmark 1: the cost of one multi-level neuron, forward + backward, against a ReLU.

    python benchmarks/neuron_op.py                 # 32x64x32x32 activations, N = 1, 2, 4, 8
    python benchmarks/neuron_op.py --quick         # a tiny tensor, to check that it runs
    python benchmarks/neuron_op.py --baseline-kernel 5cd190d  # also that commit's kernel

Contenders, on the same activation tensor (ResNet18's first feature map at
batch 32 by default), each timed for one forward and one backward pass:

* ``relu``: the ANN's activation, the unit every ratio is given in;
* ``closed_form``: z = clamp(floor(v), 0, N) with the sigmoid surrogate in its
  one-exponential form (:mod:`mlsnn_edu.fast_surrogate`), each pass in the
  compiled kernel of :mod:`mlsnn_edu.spike_kernel`: what the networks use;
* ``closed_form_eager``: the same in eager PyTorch (the kernel switched off),
  to see what the kernel gains;
* ``closed_form_definition``: the same with the surrogate as defined, N sigmoids
  (:func:`mlsnn_edu.surrogate.multilevel_spike`), in eager PyTorch: against
  ``closed_form_eager``, the gain of the fast form;
* ``microstep_loop``: the timestep read literally, N micro-steps that each
  fire a binary spike (sigmoid surrogate) and subtract the threshold;
* ``snntorch``: ``snntorch.Leaky(beta=1, reset_mechanism="subtract")`` run for
  T = N timesteps on the same current (direct encoding), summing its spikes;
* ``closed_form_baseline``, with ``--baseline-kernel REV`` only: ``closed_form``
  with the compiled kernel of commit ``REV``, to see what a kernel change gains.

All three spiking contenders produce the same spike counts for non-negative
currents (up to ties at the threshold for snntorch, which fires on v > theta).
Prints a table and writes ``neuron_op.json`` to ``--out`` (``benchmarks/results``).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import snntorch
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from kernel_equivalence import kernel_at
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

from mlsnn_edu import spike_kernel
from mlsnn_edu.fast_surrogate import FastSigmoidSpike
from mlsnn_edu.spike_kernel import eager_spikes
from mlsnn_edu.surrogate import multilevel_spike

TARGET_SPEEDUP_OVER_MICROSTEPS = 5.0  # closed form vs micro-step loop, at N = 8
TARGET_LEVELS = 8


def microstep_spikes(v: torch.Tensor, levels: int) -> torch.Tensor:
    """The multi-level timestep as N literal micro-steps, each a binary spike with a surrogate."""
    total = torch.zeros_like(v)
    for _ in range(levels):
        fired = multilevel_spike(v, levels=1)
        total = total + fired
        v = v - fired
    return total


def snntorch_spikes(current: torch.Tensor, timesteps: int) -> torch.Tensor:
    """snntorch's binary IF neuron (Leaky, beta = 1, subtractive reset) over T timesteps."""
    neuron = snntorch.Leaky(beta=1.0, threshold=1.0, reset_mechanism="subtract")
    membrane = neuron.init_leaky()
    total = torch.zeros_like(current)
    for _ in range(timesteps):
        spike, membrane = neuron(current, membrane)
        total = total + spike
    return total


def forward_backward(
    activation,
    x: torch.Tensor,
    upstream: torch.Tensor,
    eager: bool = False,
    kernel: ctypes.CDLL | None = None,
):
    """One contender: ``activation(x)`` forward, then the gradient with respect to ``x``
    (both passes in eager PyTorch if ``eager``, the compiled spike kernel switched off;
    in ``kernel`` instead of today's compiled kernel if given)."""

    def run() -> None:
        if eager:
            context = eager_spikes()
        elif kernel is not None:
            context = mock.patch.object(spike_kernel, "kernel", lambda: kernel)
        else:
            context = contextlib.nullcontext()
        with context:
            leaf = x.detach().requires_grad_()
            torch.autograd.grad(activation(leaf), leaf, upstream)

    return run


def contenders(
    levels: int, x: torch.Tensor, upstream: torch.Tensor, baseline: ctypes.CDLL | None = None
) -> dict:
    def spike(v: torch.Tensor) -> torch.Tensor:
        return FastSigmoidSpike.apply(v, levels, 1.0, 5.0)

    timed = {
        "relu": forward_backward(torch.relu, x, upstream),
        "closed_form": forward_backward(spike, x, upstream),
    }
    if baseline is not None:
        timed["closed_form_baseline"] = forward_backward(spike, x, upstream, kernel=baseline)
    return timed | {
        "closed_form_eager": forward_backward(spike, x, upstream, eager=True),
        "closed_form_definition": forward_backward(
            lambda v: multilevel_spike(v, levels=levels), x, upstream
        ),
        "microstep_loop": forward_backward(lambda v: microstep_spikes(v, levels), x, upstream),
        "snntorch": forward_backward(lambda v: snntorch_spikes(v, levels), x, upstream),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny tensor, few repeats")
    parser.add_argument("--shape", type=int, nargs="+", default=[32, 64, 32, 32])
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default 2)")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--tag", default="", help="appended to the JSON file's name")
    parser.add_argument(
        "--baseline-kernel",
        metavar="REV",
        help="also time the compiled spike kernel of git commit REV (closed_form_baseline)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.shape, args.repeats = [4, 8, 16, 16], 3
    device = torch.device(
        ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    )
    if args.baseline_kernel and (device.type != "cpu" or spike_kernel.kernel() is None):
        parser.error("--baseline-kernel compares compiled CPU kernels: it needs --device cpu")
    baseline = None
    if args.baseline_kernel:
        try:
            baseline = kernel_at(args.baseline_kernel, Path(tempfile.mkdtemp()))
        except subprocess.CalledProcessError as error:
            why = error.stderr.decode(errors="replace").strip()[-300:]
            parser.error(f"--baseline-kernel {args.baseline_kernel}: {why}")
    threads = set_threads(args.threads)
    env = environment(threads)
    generator = torch.Generator().manual_seed(0)

    results, rows = {}, []
    started = time.perf_counter()
    for levels in args.levels:
        # Potentials from just below 0 to just above N: every level is used.
        x = (torch.rand(args.shape, generator=generator) * (levels + 2) - 1).to(device)
        upstream = torch.randn(args.shape, generator=generator).to(device)
        times = interleaved(contenders(levels, x, upstream, baseline), repeats=args.repeats)
        results[str(levels)] = {}
        for name, measured in times.items():
            stats = {clock: summary(seconds) for clock, seconds in measured.items()}
            for clock in ("wall_s", "cpu_s"):
                median = stats[clock]["median_s"]
                relu = summary(times["relu"][clock])["median_s"]
                microsteps = summary(times["microstep_loop"][clock])["median_s"]
                suffix = "" if clock == "wall_s" else "_cpu"
                stats["ratio_to_relu" + suffix] = median / relu
                stats["speedup_over_microsteps" + suffix] = microsteps / median
            results[str(levels)][name] = stats
            rows.append(
                {
                    "N": levels,
                    "contender": name,
                    "median_ms": 1000 * stats["wall_s"]["median_s"],
                    "iqr_ms": 1000 * stats["wall_s"]["iqr_s"],
                    "x_relu": stats["ratio_to_relu"],
                    "x_relu_cpu": stats["ratio_to_relu_cpu"],
                    "speedup": stats["speedup_over_microsteps"],
                    "speedup_cpu": stats["speedup_over_microsteps_cpu"],
                }
            )

    targets = {}
    if str(TARGET_LEVELS) in results:
        at_target = results[str(TARGET_LEVELS)]
        for name in ("closed_form",):  # the form the networks use
            if name in at_target:
                measured = at_target[name]["speedup_over_microsteps"]
                cpu_time = at_target[name]["speedup_over_microsteps_cpu"]
                targets[f"{name}_speedup_over_microsteps_N8"] = {
                    "target": f">= {TARGET_SPEEDUP_OVER_MICROSTEPS}",
                    "measured": round(measured, 2),
                    "measured_cpu_time": round(cpu_time, 2),
                    "met": measured >= TARGET_SPEEDUP_OVER_MICROSTEPS,
                    "met_cpu_time": cpu_time >= TARGET_SPEEDUP_OVER_MICROSTEPS,
                }
    payload = {
        "benchmark": "neuron_op",
        "environment": {**env, **other_load_note(env, threads)},
        "device": str(device),
        "shape": args.shape,
        "baseline_kernel": args.baseline_kernel,
        "dtype": "float32",
        "levels": args.levels,
        "pass": "forward + backward, seconds per call; wall clock and process CPU time",
        "wall_s": round(time.perf_counter() - started, 1),
        "results": results,
        "targets": targets,
    }
    print(f"neuron op, forward + backward on {tuple(args.shape)} ({device}, {threads} threads)")
    print(
        table(
            rows,
            [
                ("N", "N"),
                ("contender", "contender"),
                ("median_ms", "median ms"),
                ("iqr_ms", "IQR ms"),
                ("x_relu", "x ReLU"),
                ("x_relu_cpu", "x ReLU (CPU time)"),
                ("speedup", "speed-up vs micro-steps"),
                ("speedup_cpu", "(CPU time)"),
            ],
        )
    )
    for name, target in targets.items():
        verdict = "met" if target["met"] else "NOT met"
        cpu = "met" if target["met_cpu_time"] else "NOT met"
        print(
            f"target {name}: {target['target']}, measured {target['measured']} ({verdict}); "
            f"by CPU time {target['measured_cpu_time']} ({cpu})"
        )
    path = write_json(payload, args.out, f"neuron_op{'_' + args.tag if args.tag else ''}.json")
    print(f"wrote {path}")
    return payload


if __name__ == "__main__":
    main()
