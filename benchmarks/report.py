"""Print the measured results in ``benchmarks/results/*.json`` as Markdown tables, or write them
into the book.

    python benchmarks/report.py                 # every result file there
    python benchmarks/report.py gpu_epoch       # one of them
    python benchmarks/report.py --update-pages  # rewrite the book's generated tables

``--update-pages`` rewrites, between their markers, the tables of the Performance
appendix (``book/performance.md``) and the run and study times of the
instructors' page (``book/instructors.md``), each with the date, commit and
load average of its measurement, so a figure measured on old code shows it.
``tests/test_pages.py`` fails when a page and the committed results disagree.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mlsnn_edu.classroom import load_chapters

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
    baseline = report.get("baseline_kernel")
    against = f"; `closed_form_baseline`: the kernel of commit `{baseline}`" if baseline else ""
    return f"Forward + backward on {shape} ({machine(report)}{against})\n\n" + markdown(
        rows, header
    )


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
    chunks = {
        r.get("interleaved_chunk_batches") for r in report["results"].values() if "timed_s" in r
    }
    timing = (
        f"variants timed in turn, {chunks.pop()} batches at a time"
        if len(chunks) == 1 and None not in chunks
        else "variants timed one after the other: read a ratio as one draw"
    )
    title = (
        f"{report['images']} images, batch {report['batch']}, width {report['width']}, "
        f"amp {report['amp']}, channels_last {report['channels_last']}, {timing} "
        f"({machine(report)})"
    )
    return title + "\n\n" + markdown(rows, header)


def sweep_epoch(report: dict) -> str:
    baselines = {(r["network"], r["width"]): r for r in report["rows"] if r["code"] == "baseline"}

    def to_baseline(row: dict, part: str) -> float | None:
        base = baselines.get((row["network"], row["width"]))
        return row[part] / base[part] if base else None

    rows = [
        [
            r["code"],
            r["network"],
            str(r["width"]),
            fmt(r["epoch_s"]),
            fmt(r["train_s"]),
            fmt(r["load_s"], 2),
            fmt(r["evaluate_s"]),
            fmt(to_baseline(r, "train_s")),
            fmt(to_baseline(r, "evaluate_s")),
        ]
        for r in report["rows"]
    ]
    header = [
        "code",
        "network",
        "width",
        "epoch s",
        "train s",
        "(batches s)",
        "test s",
        "train × base",
        "test × base",
    ]
    baseline = f"baseline = commit `{report['baseline']}`, " if report.get("baseline") else ""
    title = (
        f"Medians over {report['repeats']} runs of {report['epochs']} epochs"
        f"{', the first left out' if report['epochs'] > 1 else ''}; "
        f"{baseline}this = the measured commit ({machine(report)}). train: the training pass; "
        "(batches): loading its batches alone, a part of it; test: the test pass with its "
        "activity record; × base: this code's time over the baseline's. The checkpoint's "
        "seconds are in the JSON file."
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
    "sweep_epoch": sweep_epoch,
}
#: The result files the Performance appendix shows, each between its own markers.
PERFORMANCE_RESULTS = (
    "neuron_op",
    "train_step",
    "train_step_2threads",
    "book_build",
    "sweep_epoch",
    "gpu_epoch",
)

ROOT = RESULTS.parents[1]
PAGES = {
    "performance": ROOT / "book" / "performance.md",
    "instructors": ROOT / "book" / "instructors.md",
}
#: Minutes a student needs, by kind of exercise (an estimate the instructors' page states).
EXERCISE_MINUTES = {"compute": 5, "implement": 15, "investigate": 20}
READING_WORDS_PER_MINUTE = 120  # technical prose with equations and code


def provenance(report: dict) -> str:
    env = report["environment"]
    load = env.get("load_average_start")
    load_text = f"{load[0]:.1f}" if load else "unknown"
    stolen = env.get("cpu_stolen_share")
    stolen_text = "" if stolen is None else f", {100 * stolen:.0f} % of CPU time taken by the host"
    return (
        f"*Measured {env['started']} on commit `{env.get('commit', 'unknown')}` "
        f"(torch {env['torch']}, load average {load_text} at start{stolen_text}).*"
    )


def result_block(name: str, results: Path = RESULTS) -> str:
    """The Markdown the Performance appendix shows for result file ``name``."""
    report = json.loads((results / f"{name}.json").read_text(encoding="utf-8"))
    return f"{provenance(report)}\n\n{FORMATS[report['benchmark']](report)}{targets(report)}\n"


def student_minutes(chapter) -> tuple[int, int]:
    """(reading, exercises) minutes for a chapter notebook: word count and exercise kinds."""
    words = sum(
        len(cell.source.split()) for cell in chapter.notebook.cells if cell.cell_type == "markdown"
    )
    kinds = {exercise.heading: exercise.kind for exercise in chapter.exercises}
    exercises = sum(EXERCISE_MINUTES.get(kind, 15) for kind in kinds.values())
    return round(words / READING_WORDS_PER_MINUTE), exercises


def chapter_times(results: Path = RESULTS, notebooks: Path = ROOT / "notebooks") -> str:
    """Per chapter: the student's time and the machine's, from one measurement of the book."""
    report = json.loads((results / "book_build.json").read_text(encoding="utf-8"))
    rows = []
    for chapter in load_chapters(notebooks):
        reading, exercises = student_minutes(chapter)
        results = report["results"]
        measured = results.get(chapter.name) or results.get(f"{chapter.name}.py", {})
        machine_s = fmt(measured.get("subprocess_s")) if measured else "not measured"
        rows.append(
            [
                chapter.name,
                f"{reading} min",
                f"{exercises} min",
                f"{reading + exercises} min",
                machine_s,
            ]
        )
    header = ["chapter", "reading", "exercises", "student time", "machine run time (s)"]
    return f"{provenance(report)}\n\n{markdown(rows, header)}\n"


def generated_blocks(results: Path = RESULTS) -> dict[str, dict[str, str]]:
    """Page -> marker name -> the Markdown between that marker pair."""
    return {
        "performance": {name: result_block(name, results) for name in PERFORMANCE_RESULTS},
        "instructors": {"chapter-times": chapter_times(results)},
    }


def begin(marker: str) -> str:
    return f"<!-- BEGIN GENERATED {marker} (python benchmarks/report.py --update-pages) -->"


def end(marker: str) -> str:
    return f"<!-- END GENERATED {marker} -->"


def block_in(text: str, marker: str) -> str:
    """What ``text`` holds between the markers of ``marker``."""
    return text.partition(begin(marker))[2].partition(end(marker))[0].strip("\n") + "\n"


def update_pages(results: Path = RESULTS) -> list[Path]:
    changed = []
    for page, blocks in generated_blocks(results).items():
        path = PAGES[page]
        text = path.read_text(encoding="utf-8")
        for marker, content in blocks.items():
            before, found, rest = text.partition(begin(marker))
            _, found_end, after = rest.partition(end(marker))
            if not (found and found_end):
                raise SystemExit(f"{path}: needs the lines {begin(marker)} and {end(marker)}")
            text = f"{before}{begin(marker)}\n\n{content}\n{end(marker)}{after}"
        if text != path.read_text(encoding="utf-8"):
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="result files (without .json)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--update-pages", action="store_true", help="rewrite the book's tables")
    args = parser.parse_args(argv)
    if args.update_pages:
        for path in update_pages(args.results):
            print(f"updated {path}")
        return 0
    paths = [args.results / f"{n}.json" for n in args.names] or sorted(args.results.glob("*.json"))
    for path in paths:
        report = json.loads(path.read_text(encoding="utf-8"))
        print(f"### {path.name}\n\n{FORMATS[report['benchmark']](report)}{targets(report)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
