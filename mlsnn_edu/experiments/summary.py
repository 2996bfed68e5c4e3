"""The sweep in one text table: what ``mlsnn-edu reproduce --sweep`` prints at the end."""

from __future__ import annotations

from pathlib import Path

from mlsnn_edu.experiments.results import (
    ACTIVITY_MEASURES,
    COMMITTED_RESULTS,
    SEW_N4,
    SPARSE_N4,
    load_runs,
    paired_ratios,
    runs_of,
    widths_of,
)
from mlsnn_edu.experiments.verdict import mean_interval


def summary_table(results_dir: str | Path = COMMITTED_RESULTS) -> str:
    """Per width: accuracies and the Sparse/SEW [T=1, N=4] activity ratios with 95 % intervals."""
    runs = load_runs(results_dir)
    lines = [
        "Sparse-ResNet18 / SEW-ResNet18 [T=1, N=4], trained, per test image: "
        "mean [95 % interval] (n seeds); < 1: fewer with barriers"
    ]
    for width in widths_of(runs, SPARSE_N4):
        sew_acc = [r.accuracy for r in runs_of(runs, SEW_N4, width).values()]
        sparse_acc = [r.accuracy for r in runs_of(runs, SPARSE_N4, width).values()]
        lines.append(
            f"width {width}: accuracy SEW {sum(sew_acc) / max(len(sew_acc), 1):.1f} %, "
            f"Sparse {sum(sparse_acc) / max(len(sparse_acc), 1):.1f} %"
        )
        for name, measure in ACTIVITY_MEASURES.items():
            values = paired_ratios(runs, SPARSE_N4, SEW_N4, width, measure)
            shown = str(mean_interval(values)) if len(values) > 1 else f"{values} (too few seeds)"
            lines.append(f"  {name:20s} {shown}")
    return "\n".join(lines)
