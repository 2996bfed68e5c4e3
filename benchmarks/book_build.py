"""Benchmark 3: the whole book in quick mode, chapter by chapter: wall time and peak memory.

    python benchmarks/book_build.py                      # every notebooks/NN_*.py chapter
    python benchmarks/book_build.py notebooks/03_*.py    # some chapters
    python benchmarks/book_build.py --quick              # a one-cell stand-in chapter

Each chapter runs as ``tools/notebooks.py`` runs it (a fresh Jupyter kernel,
quick mode), but on a copy in a temporary folder, so the committed ``.ipynb``
twins are left as they are. Each execution happens in its own subprocess;
peak memory is read two ways:

* ``kernel_peak_mb``: the largest peak resident memory of a finished child of
  that subprocess (``getrusage(RUSAGE_CHILDREN)``), i.e. the kernel's own peak;
* ``tree_peak_mb``: the largest sum of resident memory over the subprocess and
  all its descendants (the kernel and any workers it starts), sampled every
  0.2 s with psutil (missed spikes shorter than that are possible).

Prints a table and writes ``book_build.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import RESULTS, environment, load_average, other_load_note, table, write_json

ROOT = Path(__file__).resolve().parents[1]
TARGET_CHAPTER_S = 180.0  # no chapter over 3 minutes
TARGET_BOOK_S = 720.0  # the whole quick-mode book under 12 minutes
TARGET_CHAPTER_MB = 3 * 1024  # no chapter over 3 GB (GiB) of peak memory
STAND_IN_CHAPTER = "# %%\nimport torch\nprint(int(torch.ones(3).sum()))\n"


def notebook_tools():
    """``tools/notebooks.py``, loaded from its file (``tools`` is not a package)."""
    spec = importlib.util.spec_from_file_location("book_tools", ROOT / "tools" / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def execute_copy(source: Path) -> None:
    """Child process: execute a copy of ``source``; print seconds and the kernel's peak."""
    tools = notebook_tools()
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / source.name
        shutil.copyfile(source, copy)
        seconds = tools.execute(copy)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kB on Linux
    print(json.dumps({"execute_s": seconds, "kernel_peak_mb": peak_kb / 1024}))


def tree_resident_mb(process) -> float:
    """Resident memory of ``process`` and all its descendants, in MiB."""
    import psutil

    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:  # it ended between listing and reading
            pass
    return total / 2**20


def measure_chapter(source: Path, env: dict) -> dict:
    """Run one chapter in a subprocess and watch its memory."""
    command = [sys.executable, __file__, "--one", str(source)]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    tree_peak = None
    try:
        import psutil

        watched = psutil.Process(child.pid)
        tree_peak = 0.0
        while child.poll() is None:
            try:
                tree_peak = max(tree_peak, tree_resident_mb(watched))
            except psutil.Error:
                break
            time.sleep(0.2)
    except ImportError:
        pass
    stdout, stderr = child.communicate()
    wall = time.perf_counter() - started
    if child.returncode != 0:
        return {"error": stderr.strip().splitlines()[-1] if stderr.strip() else "failed"}
    measured = json.loads(stdout.strip().splitlines()[-1])
    return {
        "execute_s": round(measured["execute_s"], 1),
        "subprocess_s": round(wall, 1),
        "kernel_peak_mb": round(measured["kernel_peak_mb"]),
        "tree_peak_mb": None if tree_peak is None else round(tree_peak),
        "load_average_after": load_average(),
    }


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("chapters", nargs="*", type=Path)
    parser.add_argument("--quick", action="store_true", help="a one-cell stand-in chapter only")
    parser.add_argument("--threads", type=int, default=None, help="OMP threads in the kernels")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.one:
        execute_copy(args.one.resolve())
        return None
    env = dict(os.environ)
    env.pop("MLSNN_EDU_FULL", None)
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
    threads = args.threads or os.cpu_count() or 1
    info = environment(threads)
    with tempfile.TemporaryDirectory() as folder:
        if args.quick:
            stand_in = Path(folder) / "00_stand_in.py"
            stand_in.write_text(STAND_IN_CHAPTER, encoding="utf-8")
            chapters = [stand_in]
        else:
            chapters = [c.resolve() for c in args.chapters] or notebook_tools().chapter_sources()
        started = time.perf_counter()
        results, rows = {}, []
        for source in chapters:
            print(f"{source.name}: executing ...", flush=True)
            results[source.name] = measure_chapter(source, env)
            print(f"{source.name}: {results[source.name]}", flush=True)
            rows.append({"chapter": source.name, **results[source.name]})
        total = time.perf_counter() - started

    done = [r for r in results.values() if "error" not in r]
    slowest = max((r["subprocess_s"] for r in done), default=0.0)
    largest = max((r["tree_peak_mb"] or r["kernel_peak_mb"] for r in done), default=0)
    failed = len(results) - len(done)
    targets = {
        "slowest_chapter_s": {
            "target": f"<= {TARGET_CHAPTER_S:g}",
            "measured": slowest,
            "met": slowest <= TARGET_CHAPTER_S and not failed,
        },
        "whole_book_s": {
            "target": f"<= {TARGET_BOOK_S:g}",
            "measured": round(total, 1),
            "met": total <= TARGET_BOOK_S and not failed,
        },
        "largest_chapter_peak_mb": {
            "target": f"<= {TARGET_CHAPTER_MB}",
            "measured": largest,
            "met": largest <= TARGET_CHAPTER_MB and not failed,
        },
    }
    payload = {
        "benchmark": "book_build",
        "environment": {**info, **other_load_note(info, threads)},
        "kernel_threads": args.threads or "library default",
        "chapters": len(results),
        "failed": failed,
        "total_s": round(total, 1),
        "results": results,
        "targets": targets,
    }
    columns = [
        ("chapter", "chapter"),
        ("subprocess_s", "wall s"),
        ("execute_s", "kernel run s"),
        ("kernel_peak_mb", "kernel peak MB"),
        ("tree_peak_mb", "tree peak MB"),
        ("error", "error"),
    ]
    print(f"quick-mode book build: {len(results)} chapters in {total:.0f} s")
    print(table(rows, columns))
    for name, target in targets.items():
        verdict = "met" if target["met"] else "NOT met"
        print(f"target {name}: {target['target']}, measured {target['measured']} ({verdict})")
    path = write_json(payload, args.out, "book_build.json")
    print(f"wrote {path}")
    return payload


if __name__ == "__main__":
    main()
