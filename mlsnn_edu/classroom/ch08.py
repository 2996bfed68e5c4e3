"""Checkers for chapter 8, the paper's claims against the committed results."""

from __future__ import annotations

from pathlib import Path

from mlsnn_edu.classroom.checking import (
    CheckResult,
    as_whole_number,
    failed,
    passed,
    received,
    reports_wrong_answers,
)
from mlsnn_edu.energy import MULTILEVEL_COSTS
from mlsnn_edu.experiments.claims import MAIN_WIDTH, energy_ratio
from mlsnn_edu.experiments.results import COMMITTED_RESULTS, SEW_N4, SPARSE_N4, load_runs
from mlsnn_edu.quantization import num_levels


def cheaper_options(results_dir: Path = COMMITTED_RESULTS) -> set[str]:
    """Charging options whose Sparse / SEW energy interval lies wholly below 1 (main width)."""
    runs = load_runs(results_dir)
    cheaper = set()
    for cost in MULTILEVEL_COSTS:
        interval = energy_ratio(runs, SPARSE_N4, SEW_N4, MAIN_WIDTH, cost).interval
        if interval is not None and interval.high < 1:
            cheaper.add(cost)
    return cheaper


def mean_cheaper_options(results_dir: Path = COMMITTED_RESULTS) -> set[str]:
    """The tempting wrong reading: options whose *mean* ratio is below 1."""
    runs = load_runs(results_dir)
    found = {c: energy_ratio(runs, SPARSE_N4, SEW_N4, MAIN_WIDTH, c) for c in MULTILEVEL_COSTS}
    return {
        c
        for c, comparison in found.items()
        if comparison.values and (sum(comparison.values) / len(comparison.values) < 1)
    }


@reports_wrong_answers
def check_cheaper_options(answer: set[str], results_dir: Path = COMMITTED_RESULTS) -> CheckResult:
    """Exercise 8.1: the options under which Sparse is surely cheaper than SEW (interval < 1)."""
    name = "Exercise 8.1 (the verdicts' sensitivity)"
    options = f"give a set of option names, from {', '.join(MULTILEVEL_COSTS)}"
    try:
        if isinstance(answer, (str, bytes)):
            raise TypeError
        answer = set(answer)
    except TypeError:  # not a collection of names (text, a number, a list of pairs)
        return failed(name, f"{options}; got {received(answer)}")
    if not answer <= set(MULTILEVEL_COSTS):
        unknown = ", ".join(sorted(map(repr, answer - set(MULTILEVEL_COSTS))))
        return failed(name, f"{options}; {unknown} is not one")
    expected = cheaper_options(results_dir)
    if answer == expected:
        return passed(name, "the energy verdict depends on how a spike of value k is charged")
    if answer == mean_cheaper_options(results_dir) != expected:
        return failed(name, "a mean below 1 is not enough: where does the whole interval lie?")
    if answer > expected:
        return failed(name, "one of these options has an interval that reaches 1 or beyond")
    return failed(name, "an interval wholly below 1 means Sparse is surely cheaper: check each")


@reports_wrong_answers
def check_matching_levels(answer: int) -> CheckResult:
    """Exercise 8.2: the N of a one-timestep neuron with as many levels as [T=4, N=1]."""
    name = "Exercise 8.2 (levels of no loss)"
    answer = as_whole_number(answer, name, "N, a whole number of levels")
    if answer == 4 and num_levels(1, answer) == num_levels(4, 1):
        return passed(
            name, "N T + 1 = 5 levels both ways: the paper's [T=1, N=4] against [T=4, N=1]"
        )
    return failed(name, "count the levels N T + 1 of [T=4, N=1], then solve N * 1 + 1 for N")
