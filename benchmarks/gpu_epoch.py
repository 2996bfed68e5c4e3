"""Benchmark 4: one CIFAR-10-sized training epoch of Sparse-ResNet18 [T=1, N=4] on a GPU.

    python benchmarks/gpu_epoch.py --out DIR          # on a GPU: 50,000 images, batch 256
    python benchmarks/gpu_epoch.py --quick --out DIR  # on a CPU: a few small batches

50,000 random 3x32x32 images and labels are made on the device (no download),
and each variant trains on all of them once: SGD with momentum, mixed
precision (bf16 autocast) and ``channels_last`` on a GPU. Variants, in order:

1. ``sparse``: Sparse-ResNet18 [T=1, N=4], width 64, every spike function as
   plain PyTorch operations (what the library does everywhere);
2. ``ann``: the ReLU ResNet18, the reference;
3. ``sparse_compiled_model``, ``ann_compiled_model``: the whole model under
   ``torch.compile`` (with ``--compile``, the default on a GPU).

Each variant runs ``--warmup`` untimed batches first (cuDNN autotuning,
compilation: that time is reported apart) and then the epoch's remaining
batches, or ``--max-batches``. Variants that would start after ``--budget-s``
seconds are skipped and reported as such. Prints images/s and writes
``gpu_epoch.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

import torch
from torch import nn

# The benchmarks folder, and the checkout's root so that a bare GPU machine can run this
# from a copy of the repository without installing the package.
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
from timing import RESULTS, environment, set_threads, table, write_json

from mlsnn_edu.models import build_model

# name -> (registry name, compile the whole model)
VARIANTS = {
    "sparse": ("sparse_resnet18", False),
    "ann": ("ann_resnet18", False),
    "sparse_compiled_model": ("sparse_resnet18", True),
    "ann_compiled_model": ("ann_resnet18", True),
}


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def run_variant(name: str, images, labels, args, device: torch.device) -> dict:
    """Warm up, then time one pass over the images; returns the measurements."""
    registry_name, compile_model = VARIANTS[name]
    torch.manual_seed(0)
    model = build_model(registry_name, width=args.width, timesteps=1, levels=4).to(device)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    forward = torch.compile(model) if compile_model else model
    amp = (
        torch.autocast(device.type, dtype=torch.bfloat16) if args.amp else contextlib.nullcontext()
    )

    def step(first: int) -> torch.Tensor:
        x = images[first : first + args.batch]
        y = labels[first : first + args.batch]
        with amp:
            loss = nn.functional.cross_entropy(forward(x).float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss

    starts = list(range(0, len(images) - args.batch + 1, args.batch))  # full batches only
    warmup, timed = starts[: args.warmup], starts[args.warmup :]
    if args.max_batches:
        timed = timed[: args.max_batches]
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    begin = time.perf_counter()
    for first in warmup:
        step(first)
    synchronize(device)
    warmup_s = time.perf_counter() - begin
    begin = time.perf_counter()
    for first in timed:
        loss = step(first)
    synchronize(device)
    seconds = time.perf_counter() - begin
    timed_images = len(timed) * args.batch
    result = {
        "model": registry_name,
        "compiled_model": compile_model,
        "warmup_batches": len(warmup),
        "warmup_s": round(warmup_s, 2),
        "timed_batches": len(timed),
        "timed_images": timed_images,
        "timed_s": round(seconds, 3),
        "images_per_s": round(timed_images / seconds, 1),
        "epoch_s_estimate": round(len(images) / (timed_images / seconds), 2),
        "final_loss": round(float(loss.detach()), 4),
        "peak_memory_mb": (
            round(torch.cuda.max_memory_allocated() / 2**20) if device.type == "cuda" else None
        ),
    }
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--images", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=5, help="untimed batches per variant")
    parser.add_argument("--max-batches", type=int, default=None, help="cap the timed batches")
    parser.add_argument("--budget-s", type=float, default=150.0, help="start no variant after")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--compile", dest="compile", action="store_true", default=None)
    parser.add_argument("--no-compile", dest="compile", action="store_false")
    parser.add_argument("--no-amp", dest="amp", action="store_false", default=None)
    parser.add_argument("--no-channels-last", dest="channels_last", action="store_false")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default 2)")
    parser.add_argument("--quick", action="store_true", help="few small images: a CPU check")
    args = parser.parse_args(argv)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    on_gpu = device.type == "cuda"
    if args.quick:
        args.images, args.batch, args.width, args.warmup = 96, 32, 8, 1
    args.compile = on_gpu if args.compile is None else args.compile
    args.amp = on_gpu if args.amp is None else args.amp
    if on_gpu:
        torch.backends.cudnn.benchmark = True
    threads = set_threads(args.threads)
    env = environment(threads)
    if not on_gpu:
        print("no GPU here: measuring on the CPU (use --quick for a short check)")

    generator = torch.Generator(device=device).manual_seed(0)
    images = torch.randn(args.images, 3, 32, 32, device=device, generator=generator)
    if args.channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, 10, (args.images,), device=device, generator=generator)

    names = [n for n in args.variants if args.compile or not VARIANTS[n][1]]
    results, started = {}, time.perf_counter()

    def report() -> dict:
        """The measurements so far, also written to disk: a run cut short keeps them."""
        ann = results.get("ann", {}).get("images_per_s")
        for result in results.values():
            if ann and "images_per_s" in result:
                result["images_per_s_ratio_to_ann"] = round(result["images_per_s"] / ann, 3)
        payload = {
            "benchmark": "gpu_epoch",
            "environment": env,
            "device": str(device),
            "images": args.images,
            "batch": args.batch,
            "width": args.width,
            "timesteps": 1,
            "levels": 4,
            "amp": "bf16 autocast" if args.amp else None,
            "channels_last": args.channels_last,
            "wall_s": round(time.perf_counter() - started, 1),
            "results": results,
        }
        write_json(payload, args.out, "gpu_epoch.json")
        return payload

    for name in names:
        if time.perf_counter() - started > args.budget_s:
            results[name] = {"skipped": f"time budget of {args.budget_s:g} s spent"}
            continue
        print(f"{name}: running ...", flush=True)
        try:
            results[name] = run_variant(name, images, labels, args, device)
        except Exception as error:  # report and go on: one failing variant must not lose the rest
            results[name] = {"error": f"{type(error).__name__}: {str(error)[:300]}"}
        print(f"{name}: {results[name]}", flush=True)
        report()
    payload = report()
    rows = [{"variant": name, **result} for name, result in results.items()]
    print(
        f"one epoch of {args.images} random 3x32x32 images, batch {args.batch}, width "
        f"{args.width}, {device}"
        + (f" ({env['cuda']})" if on_gpu else "")
        + f", amp={args.amp}, channels_last={args.channels_last}"
    )
    columns = [
        ("variant", "variant"),
        ("images_per_s", "images/s"),
        ("images_per_s_ratio_to_ann", "x ANN images/s"),
        ("epoch_s_estimate", "epoch s"),
        ("warmup_s", "warm-up s"),
        ("peak_memory_mb", "peak MB"),
        ("skipped", "skipped"),
        ("error", "error"),
    ]
    print(table(rows, columns))
    print(f"wrote {Path(args.out) / 'gpu_epoch.json'}")
    return payload


if __name__ == "__main__":
    main()
