"""Print the measured results in ``benchmarks/results/*.json`` as Markdown tables.

    python benchmarks/report.py            # every result file there
    python benchmarks/report.py gpu_epoch  # one of them

The book's Performance appendix (``book/performance.md``) quotes these tables;
after re-running a benchmark, paste the new table there.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def markdown(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def fmt(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 10**digits else f"{value:.0f}"
    return str(value)


def machine(report: dict) -> str:
    env = report["environment"]
    where = env.get("cuda") or f"{env['cpu_count']}-core CPU, {env['threads']} thread(s)"
    load = env.get("load_average_start")
    return f"torch {env['torch']}, {where}, load average at start {load}, {env['started']}"


def neuron_op(report: dict) -> str:
    rows = []
    for levels, contenders in report["results"].items():
        for name, stats in contenders.items():
            rows.append(
                [
                    levels,
                    name,
                    fmt(1000 * stats["wall_s"]["median_s"]),
                    fmt(1000 * stats["wall_s"]["iqr_s"], 2),
                    fmt(stats["ratio_to_relu"]),
                    fmt(stats["ratio_to_relu_cpu"]),
                    fmt(stats["speedup_over_microsteps"]),
                ]
            )
    header = [
        "N",
        "contender",
        "median ms",
        "IQR ms",
        "× ReLU",
        "× ReLU (CPU time)",
        "speed-up vs micro-steps",
    ]
    shape = "×".join(str(s) for s in report["shape"])
    return f"Forward + backward on {shape} ({machine(report)})\n\n" + markdown(rows, header)


def train_step(report: dict) -> str:
    rows = []
    for width, contenders in report["results"].items():
        for name, stats in contenders.items():
            memory = stats.get("memory", {})
            rows.append(
                [
                    width,
                    name,
                    fmt(1000 * stats["wall_s"]["median_s"]),
                    fmt(1000 * stats["wall_s"]["iqr_s"], 2),
                    fmt(stats["images_per_s"]),
                    fmt(stats.get("step_ratio_to_ann")),
                    fmt(stats.get("step_ratio_to_ann_cpu")),
                    fmt(stats.get("speedup_over_snntorch")),
                    fmt(memory.get("peak_mb"), 4),
                    fmt(memory.get("above_model_mb"), 4),
                ]
            )
    header = [
        "width",
        "contender",
        "median ms",
        "IQR ms",
        "images/s",
        "× ANN step",
        "× ANN (CPU time)",
        "× snntorch images/s",
        "peak MB",
        "MB above model",
    ]
    title = f"Batch {report['batch']}, {report['memory_format']} ({machine(report)})"
    return title + "\n\n" + markdown(rows, header)


def book_build(report: dict) -> str:
    rows = [
        [
            name,
            fmt(r.get("subprocess_s")),
            fmt(r.get("kernel_peak_mb"), 4),
            fmt(r.get("tree_peak_mb"), 4),
            r.get("error", ""),
        ]
        for name, r in report["results"].items()
    ]
    header = ["chapter", "wall s", "kernel peak MB", "tree peak MB", "error"]
    return f"Total {report['total_s']} s ({machine(report)})\n\n" + markdown(rows, header)


def gpu_epoch(report: dict) -> str:
    rows = []
    for name, r in report["results"].items():
        note = r.get("skipped") or r.get("error") or ""
        rows.append(
            [
                name,
                fmt(r.get("images_per_s"), 4),
                fmt(r.get("images_per_s_ratio_to_ann")),
                fmt(r.get("epoch_s_estimate")),
                fmt(r.get("warmup_s")),
                fmt(r.get("peak_memory_mb"), 5),
                note,
            ]
        )
    header = ["variant", "images/s", "× ANN images/s", "epoch s", "warm-up s", "peak MB", "note"]
    title = (
        f"{report['images']} images, batch {report['batch']}, width {report['width']}, "
        f"amp {report['amp']}, channels_last {report['channels_last']} ({machine(report)})"
    )
    return title + "\n\n" + markdown(rows, header)


def targets(report: dict) -> str:
    def verdict(met) -> str:
        return "–" if met is None else "met" if met else "not met"

    rows = [
        [
            name,
            t["target"],
            fmt(t["measured"]),
            verdict(t["met"]),
            fmt(t.get("measured_cpu_time")),
            verdict(t.get("met_cpu_time")),
        ]
        for name, t in report.get("targets", {}).items()
    ]
    if not rows:
        return ""
    header = ["target", "wanted", "wall clock", "verdict", "CPU time", "verdict"]
    return "\n\n" + markdown(rows, header)


FORMATS = {
    "neuron_op": neuron_op,
    "train_step": train_step,
    "book_build": book_build,
    "gpu_epoch": gpu_epoch,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="result files (without .json)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    paths = [args.results / f"{n}.json" for n in args.names] or sorted(args.results.glob("*.json"))
    for path in paths:
        report = json.loads(path.read_text(encoding="utf-8"))
        print(f"### {path.name}\n\n{FORMATS[report['benchmark']](report)}{targets(report)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
