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

Each variant is built and runs ``--warmup`` untimed batches first (cuDNN
autotuning, compilation: that time is reported apart); variants that would be
built after ``--budget-s`` seconds are skipped and reported as such. Then all of
them train on the epoch's remaining batches (or ``--max-batches``) in turn,
``--chunk`` batches each time, so that a shared machine's changing speed moves
every variant alike: timed one after the other, three runs computing the same
networks on three H200 machines of one day gave Sparse 0.35, 0.46 and 0.53 ×
the ANN's images/s (the ANN alone 25,400 to 31,800). Peak memory is what a
variant's warm-up allocated beyond all that was allocated before it (the images
and the variants built earlier). Prints images/s and writes ``gpu_epoch.json``
to ``--out``.
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


class Contender:
    """One variant: its model and optimizer, warmed up, and the time its timed batches took."""

    def __init__(self, name: str, images, labels, args, device: torch.device) -> None:
        self.name, self.images, self.labels, self.args = name, images, labels, args
        self.registry_name, self.compile_model = VARIANTS[name]
        torch.manual_seed(0)
        model = build_model(self.registry_name, width=args.width, timesteps=1, levels=4)
        model = model.to(device)
        if args.channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        self.forward = torch.compile(model) if self.compile_model else model
        self.amp = (
            torch.autocast(device.type, dtype=torch.bfloat16)
            if args.amp
            else contextlib.nullcontext()
        )
        self.seconds, self.batches, self.loss = 0.0, 0, None

    def step(self, first: int) -> None:
        x = self.images[first : first + self.args.batch]
        y = self.labels[first : first + self.args.batch]
        with self.amp:
            loss = nn.functional.cross_entropy(self.forward(x).float(), y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.loss = loss

    def run(self, starts: list[int], device: torch.device) -> float:
        """Train on the batches at ``starts``; returns the seconds it took (device synchronized)."""
        synchronize(device)
        begin = time.perf_counter()
        for first in starts:
            self.step(first)
        synchronize(device)
        return time.perf_counter() - begin


def warm_up(name: str, images, labels, args, device: torch.device, warmup: list[int]):
    """Build and warm up one variant (cuDNN autotuning, compilation); returns it and its record."""
    allocated = torch.cuda.memory_allocated() if device.type == "cuda" else 0
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    contender = Contender(name, images, labels, args, device)
    warmup_s = contender.run(warmup, device)
    peak = (
        round((torch.cuda.max_memory_allocated() - allocated) / 2**20)
        if device.type == "cuda"
        else None
    )
    record = {
        "model": contender.registry_name,
        "compiled_model": contender.compile_model,
        "warmup_batches": len(warmup),
        "warmup_s": round(warmup_s, 2),
        "peak_memory_mb": peak,
    }
    return contender, record


def time_interleaved(
    contenders: list[Contender], timed: list[int], chunk: int, device, results: dict
) -> None:
    """Every contender trains on the same timed batches, ``chunk`` batches at a time in turn
    (the first to go rotates), so a machine that speeds up or slows down during the run
    moves them all alike: their ratio is what one run can measure on a shared machine.
    A contender that fails is recorded in ``results`` and leaves the turns; the rest go on."""
    chunks = [timed[i : i + chunk] for i in range(0, len(timed), chunk)]
    for index, starts in enumerate(chunks):
        if not contenders:
            return
        turn = index % len(contenders)
        for contender in contenders[turn:] + contenders[:turn]:
            try:
                contender.seconds += contender.run(starts, device)
            except Exception as error:  # e.g. out of memory: the others' timings still count
                results[contender.name]["error"] = f"{type(error).__name__}: {str(error)[:300]}"
                contenders.remove(contender)
                continue
            contender.batches += len(starts)


def timed_record(contender: Contender, images: int, batch: int, chunk: int) -> dict:
    timed_images = contender.batches * batch
    return {
        "timed_batches": contender.batches,
        "timed_images": timed_images,
        "interleaved_chunk_batches": chunk,
        "timed_s": round(contender.seconds, 3),
        "images_per_s": round(timed_images / contender.seconds, 1),
        "epoch_s_estimate": round(images / (timed_images / contender.seconds), 2),
        "final_loss": round(float(contender.loss.detach()), 4),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--images", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=5, help="untimed batches per variant")
    parser.add_argument("--max-batches", type=int, default=None, help="cap the timed batches")
    parser.add_argument("--budget-s", type=float, default=150.0, help="build no variant after")
    parser.add_argument("--chunk", type=int, default=10, help="batches per turn when timing")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--compile", dest="compile", action="store_true", default=None)
    parser.add_argument("--no-compile", dest="compile", action="store_false")
    parser.add_argument("--no-amp", dest="amp", action="store_false", default=None)
    parser.add_argument("--no-channels-last", dest="channels_last", action="store_false")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default 2)")
    parser.add_argument("--quick", action="store_true", help="few small images: a CPU check")
    args = parser.parse_args(argv)
    if args.quick:
        args.images, args.batch, args.width, args.warmup, args.chunk = 96, 32, 8, 1, 1
    for name in ("images", "batch", "width", "chunk", "max_batches"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if args.warmup < 0:
        parser.error(f"--warmup must be 0 or more, got {args.warmup}")
    starts = list(range(0, args.images - args.batch + 1, args.batch))  # full batches only
    warmup, timed = starts[: args.warmup], starts[args.warmup :][: args.max_batches]
    if not timed:
        parser.error(
            f"--images {args.images} at --batch {args.batch} leaves no batch to time after "
            f"--warmup {args.warmup}"
        )
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    on_gpu = device.type == "cuda"
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

    contenders = []
    for name in names:
        if time.perf_counter() - started > args.budget_s:
            results[name] = {"skipped": f"time budget of {args.budget_s:g} s spent"}
            continue
        print(f"{name}: warming up ...", flush=True)
        try:
            contender, results[name] = warm_up(name, images, labels, args, device, warmup)
            contenders.append(contender)
        except Exception as error:  # report and go on: one failing variant must not lose the rest
            results[name] = {"error": f"{type(error).__name__}: {str(error)[:300]}"}
        print(f"{name}: {results[name]}", flush=True)
        report()
    print(
        f"timing {len(contenders)} variant(s) in turn, {args.chunk} batches at a time", flush=True
    )
    time_interleaved(contenders, timed, args.chunk, device, results)
    for contender in contenders:
        results[contender.name] |= timed_record(contender, args.images, args.batch, args.chunk)
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
