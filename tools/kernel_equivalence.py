"""Show that today's spike kernel computes, bit for bit, what an earlier commit's did.

    .venv/bin/python tools/kernel_equivalence.py 5cd190d                # all 2^32 inputs
    .venv/bin/python tools/kernel_equivalence.py 5cd190d --inputs 100000  # a quick sample

A change to ``mlsnn_edu/spike_kernel.c`` that only makes it faster moves the
training code's fingerprint, and with it every committed sweep run would need
training again. This script is the evidence that it need not: it checks that the
training code (:data:`mlsnn_edu.experiments.sweep.TRAINING_CODE`) differs from
the commit's in ``spike_kernel.c`` alone, compiles that commit's kernel with
today's flags, and runs both through :func:`mlsnn_edu.spike_kernel.staircase`
and :func:`mlsnn_edu.spike_kernel.surrogate_backward` on every float32 bit
pattern as the potential (NaNs and infinities included), at each number of
levels the sweep trains (N = 1, 2, 4, 8; theta 1, alpha 5), as compiled on this
machine. The surrogate's output is ``total(v) * grad``: with a gradient of ones
the output is the total itself, so equal outputs mean equal totals; every call
also ends in a few elements that take the kernel's tail path. A second pass on a
sample with random gradients checks the multiplication. It prints the
:data:`~mlsnn_edu.experiments.sweep.SAME_COMPUTATION` entry to record and exits
1 if any output differs.
"""

from __future__ import annotations

import argparse
import ctypes
import fnmatch
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import numpy as np
import torch
from tqdm import tqdm

from mlsnn_edu import spike_kernel
from mlsnn_edu.experiments.sweep import TRAINING_CODE, fingerprint, training_files

REPOSITORY = Path(__file__).resolve().parents[1]
PACKAGE = "mlsnn_edu"
KERNEL_SOURCE = "spike_kernel.c"
LEVELS = (1, 2, 4, 8)
THETA, ALPHA = 1.0, 5.0
CHUNK = 1 << 24  # bit patterns per call
TAIL = 37  # and this many more, so that each call ends in a partial vector group
SAMPLE = 1 << 20  # inputs of the pass with random gradients


def git(*arguments: str) -> bytes:
    return subprocess.run(
        ["git", *arguments], cwd=REPOSITORY, check=True, capture_output=True
    ).stdout


def training_files_at(commit: str) -> dict[str, bytes]:
    """The :data:`TRAINING_CODE` files at ``commit``, by path inside the package, in
    the order :func:`~mlsnn_edu.experiments.sweep.code_fingerprint` hashes them."""
    listed = git("ls-tree", "-r", "-z", "--name-only", commit, f"{PACKAGE}/").decode()
    listed = [name for name in listed.split("\0") if name]
    inside = [name.removeprefix(f"{PACKAGE}/") for name in listed]
    files = {}
    for pattern in TRAINING_CODE:
        for name in sorted(n for n in inside if fnmatch.fnmatchcase(n, pattern)):
            if name.count("/") == pattern.count("/"):  # as glob's "*", not across folders
                files[name] = git("show", f"{commit}:{PACKAGE}/{name}")
    return files


def compile_kernel(source: bytes, folder: Path) -> ctypes.CDLL:
    """``source`` compiled as :mod:`mlsnn_edu.spike_kernel` compiles its own, on one thread."""
    path, library = folder / KERNEL_SOURCE, folder / "earlier_kernel.so"
    path.write_bytes(source)
    compiler = [*shlex.split(os.environ.get("CC", "cc")), *spike_kernel.FLAGS]
    subprocess.run(
        [*compiler, spike_kernel.THREADS_FLAG, "-shared", "-fPIC", str(path), "-o", str(library)],
        check=True,
        capture_output=True,
    )
    earlier = ctypes.CDLL(str(library))
    today = spike_kernel.kernel()
    for name in ("spike_staircase", "spike_surrogate_backward", "spike_use_threads"):
        getattr(earlier, name).argtypes = getattr(today, name).argtypes
    earlier.spike_use_threads(0)  # its own OpenMP runtime would fight PyTorch's threads
    return earlier


def kernel_at(commit: str, folder: Path) -> ctypes.CDLL:
    """The spike kernel of ``commit``, compiled into ``folder`` as today's is compiled."""
    return compile_kernel(git("show", f"{commit}:{PACKAGE}/{KERNEL_SOURCE}"), folder)


def bit_patterns(count: int | None) -> Iterator[np.ndarray]:
    """Every uint32, a chunk at a time (each overlapping the next by :data:`TAIL`), or
    ``count`` spread evenly over them and the specials."""
    if count is None:
        for start in range(0, 1 << 32, CHUNK):  # the last chunk's tail wraps round to 0
            yield np.arange(start, start + CHUNK + TAIL, dtype=np.uint64).astype(np.uint32)
        return
    spread = np.linspace(0, (1 << 32) - 1, count).astype(np.uint32)
    specials = np.array([0.0, -0.0, 1.0, 4.0, 8.0, np.inf, -np.inf, np.nan], dtype=np.float32)
    yield np.concatenate([spread, specials.view(np.uint32)])


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    both_nan = a.isnan() & b.isnan()
    return bool(((a.view(torch.int32) == b.view(torch.int32)) | both_nan).all())


def outputs(v: torch.Tensor, grad: torch.Tensor, levels: int) -> tuple[torch.Tensor, ...]:
    return (
        spike_kernel.staircase(v, levels, THETA),
        spike_kernel.surrogate_backward(v, grad, levels, THETA, ALPHA),
    )


def same_outputs(
    earlier_kernel: ctypes.CDLL, levels: int, v: torch.Tensor, grad: torch.Tensor
) -> bool:
    """Whether today's kernel and ``earlier_kernel`` give the same bits at ``v``."""
    now = outputs(v, grad, levels)
    with mock.patch.object(spike_kernel, "kernel", lambda: earlier_kernel):
        before = outputs(v, grad, levels)
    return all(same_bits(a, b) for a, b in zip(now, before))


def random_sample(levels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Potentials around the thresholds and random gradients, :data:`SAMPLE` of each."""
    generator = torch.Generator().manual_seed(levels)
    v = torch.randn(SAMPLE, generator=generator).mul_(levels).add_(levels / 2)
    return v, torch.randn(SAMPLE, generator=generator)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commit", help="the commit whose training code to compare with")
    parser.add_argument(
        "--inputs", type=int, help="compare on this many inputs, not all 2^32 (a quick check)"
    )
    args = parser.parse_args()
    if args.inputs is not None and args.inputs < 2:
        parser.error(f"--inputs must be at least 2, not {args.inputs}")
    if spike_kernel.kernel() is None:
        parser.error("today's kernel cannot be built here: nothing to compare")

    earlier, today = training_files_at(args.commit), training_files()
    changed = sorted(
        name for name in earlier.keys() | today.keys() if earlier.get(name) != today.get(name)
    )
    earlier_code, today_code = fingerprint(earlier.items()), fingerprint(today.items())
    print(f"training code at {args.commit}: {earlier_code}; today: {today_code}")
    print(f"files that differ: {', '.join(changed) or 'none'}")
    if set(changed) - {KERNEL_SOURCE} or KERNEL_SOURCE not in earlier:
        print("more than the kernel changed: this script cannot show the computation the same")
        return 1

    chunks = 1 if args.inputs else (1 << 32) // CHUNK
    differing = []
    with tempfile.TemporaryDirectory() as folder:
        earlier_kernel = compile_kernel(earlier[KERNEL_SOURCE], Path(folder))
        for levels in LEVELS:
            equal = True
            for patterns in tqdm(
                bit_patterns(args.inputs), f"N = {levels}", total=chunks, disable=chunks == 1
            ):
                v = torch.from_numpy(patterns.view(np.float32))
                equal &= same_outputs(earlier_kernel, levels, v, torch.ones_like(v))
            equal &= same_outputs(earlier_kernel, levels, *random_sample(levels))
            verdict = "the same bits" if equal else "DIFFERENT"
            print(f"N = {levels}: {verdict} on {chunks} chunk(s) of inputs and a random sample")
            if not equal:
                differing.append(levels)
    if differing:
        return 1
    print(f"SAME_COMPUTATION entry: {{{today_code!r}: {{{earlier_code!r}: {args.commit!r}}}}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
