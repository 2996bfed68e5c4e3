"""Small timing helpers shared by the benchmark scripts.

Every benchmark runs its contenders interleaved (A B C A B C ...) in one
process, so that a burst of load from something else on the machine slows all
of them alike and the ratios between them stay meaningful; it then reports the
median and the interquartile range (IQR) of each contender's times.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from mlsnn_edu.experiments import record_provenance

RESULTS = Path(__file__).resolve().parent / "results"


def synchronize() -> None:
    """Wait for queued GPU work, so a timer measures the work and not its launch."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def interleaved(
    contenders: dict[str, Callable[[], object]], *, repeats: int, warmup: int = 1
) -> dict[str, dict[str, list[float]]]:
    """Time each contender ``repeats`` times, round-robin.

    Returns, per contender, ``"wall_s"`` (wall-clock seconds per call) and
    ``"cpu_s"`` (CPU seconds this process used per call, all its threads
    together). On a machine shared with other work the wall clock also counts
    the time the scheduler gave to others; with one thread, CPU time does not.
    ``warmup`` untimed rounds come first (lazy initialisation, compilation, caches).
    """
    for _ in range(warmup):
        for run in contenders.values():
            run()
            synchronize()
    times = {name: {"wall_s": [], "cpu_s": []} for name in contenders}
    for _ in range(repeats):
        for name, run in contenders.items():
            synchronize()
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            synchronize()
            times[name]["wall_s"].append(time.perf_counter() - wall)
            times[name]["cpu_s"].append(time.process_time() - cpu)
    return times


def summary(seconds: list[float]) -> dict[str, float]:
    """Median, quartiles and extremes of a list of times (seconds)."""
    ordered = sorted(seconds)
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return {
        "median_s": statistics.median(ordered),
        "q1_s": q1,
        "q3_s": q3,
        "iqr_s": q3 - q1,
        "min_s": ordered[0],
        "max_s": ordered[-1],
        "repeats": len(ordered),
    }


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages (None where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def cpu_ticks() -> list[int] | None:
    """CPU time since boot, all cores, as [stolen, total] ticks (Linux ``/proc/stat``; else None).

    Stolen ticks are those a virtual machine's host gave to other machines while
    this one had work to run: the load average does not show them.
    """
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    ticks = [int(x) for x in fields[1:]]
    return [ticks[7] if len(ticks) > 7 else 0, sum(ticks[:8])]


def environment(threads: int) -> dict:
    """What a reader needs to judge a measurement: versions, threads, device, load."""
    info = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "threads": threads,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "load_average_start": load_average(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "commit": commit(),
        "cpu_ticks_start": cpu_ticks(),
    }
    return info


def commit() -> str:
    """The commit the measured code comes from, ``+changes`` when the library differs from it.

    Read from the library's one provenance record (``record_provenance``), which the
    sweep's results carry too.
    """
    record = record_provenance(sys.argv)
    head = record["commit"][:8] if record["commit"] != "unknown" else "unknown"
    return f"{head}+changes" if record["uncommitted_changes"] else head


def set_threads(threads: int | None) -> int:
    """Use ``threads`` CPU threads (default: all cores, at most 2 as on the reference laptop)."""
    threads = threads or min(2, os.cpu_count() or 1)
    torch.set_num_threads(threads)
    return threads


def other_load_note(env: dict, threads: int) -> dict:
    """Load averages at start and end, whether other work shared the machine, and the share
    of CPU time a virtual machine's host stole during the run (``env``: :func:`environment`'s)."""
    start, end = env["load_average_start"], load_average()
    busy = None
    if start is not None and end is not None:
        # Our own run accounts for about `threads` runnable threads.
        busy = max(start[0], end[0]) > threads + 0.5
    note = {"load_average_end": end, "other_load_present": busy}
    before, after = env.get("cpu_ticks_start"), cpu_ticks()
    if before and after and after[1] > before[1]:
        note["cpu_stolen_share"] = round((after[0] - before[0]) / (after[1] - before[1]), 3)
    return note


def write_json(payload: dict, out_dir: Path | str, name: str) -> Path:
    """Write ``payload`` to ``out_dir/name`` (pretty-printed) and return the path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path


def table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    """A plain-text table of ``rows`` with ``columns`` given as (key, header) pairs."""
    header = [title for _, title in columns]
    body = [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max(len(cell) for cell in column) for column in zip(header, *body)]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(header, widths))]
    lines.append("-+-".join("-" * width for width in widths))
    lines += [" | ".join(cell.ljust(width) for cell, width in zip(line, widths)) for line in body]
    return "\n".join(lines)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)
