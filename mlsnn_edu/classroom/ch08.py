"""Checkers for chapter 8, the paper's claims against the committed results."""

from __future__ import annotations

from pathlib import Path

from mlsnn_edu.classroom.checking import CheckResult, failed, passed
from mlsnn_edu.energy import MULTILEVEL_COSTS
from mlsnn_edu.experiments.results import (
    COMMITTED_RESULTS,
    SEW_N4,
    SPARSE_N4,
    load_runs,
    paired_energy_ratios,
    widths_of,
)
from mlsnn_edu.quantization import num_levels


def cheaper_options(results_dir: Path = COMMITTED_RESULTS) -> set[str]:
    """Charging options under which trained Sparse-ResNet18 costs less than SEW at every width."""
    runs = load_runs(results_dir)
    cheaper = set()
    for cost in MULTILEVEL_COSTS:
        ratios = [
            paired_energy_ratios(runs, SPARSE_N4, SEW_N4, width, cost)
            for width in widths_of(runs, SPARSE_N4)
        ]
        means = [sum(values) / len(values) for values in ratios if values]
        if means and all(mean < 1 for mean in means):
            cheaper.add(cost)
    return cheaper


def check_cheaper_options(answer: set[str], results_dir: Path = COMMITTED_RESULTS) -> CheckResult:
    """Exercise 8.1: the options under which Sparse is cheaper than SEW at every width."""
    name = "Exercise 8.1 (the verdicts' sensitivity)"
    if not isinstance(answer, set) or not answer <= set(MULTILEVEL_COSTS):
        return failed(name, f"give a set of option names, from {', '.join(MULTILEVEL_COSTS)}")
    expected = cheaper_options(results_dir)
    if answer == expected:
        return passed(name, "the energy verdict depends on how a spike of value k is charged")
    if answer > expected:
        return failed(name, "one of these options leaves SEW cheaper at some width: check each")
    return failed(name, "a ratio below 1 means Sparse is cheaper: look at every width's mean")


def check_matching_levels(answer: int) -> CheckResult:
    """Exercise 8.2: the N of a one-timestep neuron with as many levels as [T=4, N=1]."""
    name = "Exercise 8.2 (levels of no loss)"
    if answer == 4 and num_levels(1, answer) == num_levels(4, 1):
        return passed(
            name, "N T + 1 = 5 levels both ways: the paper's [T=1, N=4] against [T=4, N=1]"
        )
    return failed(name, "count the levels N T + 1 of [T=4, N=1], then solve N * 1 + 1 for N")
