"""The paper's claims against the committed runs: each measured, given an interval, and judged.

Every claim is turned into one number per seed (a ratio or a difference of two
trained networks with the same width and seed), a 95 % interval over the
seeds (:func:`~mlsnn_edu.experiments.verdict.mean_interval`), and a verdict by
the one rule of :func:`~mlsnn_edu.experiments.verdict.judge` (or, for "no
loss" claims, :func:`~mlsnn_edu.experiments.verdict.judge_no_loss`). Only
pairs whose two runs pass the accuracy gate
(:func:`~mlsnn_edu.experiments.verdict.passes_gate`) are compared. Chapter 8
prints the rows; chapters 3, 4 and 6 quote single ones.

The gradient claims are not read from the runs: they are measured on fresh
networks by :mod:`~mlsnn_edu.experiments.stem_gradients`, as chapter 4 does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mlsnn_edu.checks import check_choice, check_positive_int
from mlsnn_edu.energy import MULTILEVEL_COSTS
from mlsnn_edu.experiments.results import (
    ACTIVITY_MEASURES,
    SEW_N4,
    SPARSE_N4,
    VGG_BINARY,
    VGG_MULTILEVEL,
    Measure,
    Network,
    RunRecord,
    runs_of,
    sparse,
)
from mlsnn_edu.experiments.stem_gradients import GradientRatios
from mlsnn_edu.experiments.verdict import (
    Interval,
    judge,
    judge_no_loss,
    mean_interval,
    passes_gate,
)

#: The main comparison's width (most seeds), and the width of VGG16 and of the N axis.
MAIN_WIDTH = 16
SMALL_WIDTH = 8
#: The paper's figures.
PAPER_SUM1 = (67_848, 35_819)  # SEW -> Sparse spikes at sum1, CIFAR-10, width 64
PAPER_FEWER_SPIKES = 0.75  # "25-47 % fewer spikes": at least 25 % fewer
PAPER_LESS_ENERGY = 0.75  # "25-30 % less energy": at least 25 % less
PAPER_BINARY_OVER_MULTILEVEL = 2.0  # "2-3x less energy"
PAPER_COLLAPSE_POINTS = 5.0  # "collapses": read here as at least 5 points lost
PAPER_STARVATION = -1.0  # "starves": read here as ten times less gradient (log10 ratio)


def gated_pairs(
    runs: Iterable[RunRecord], top: Network, bottom: Network, width: int
) -> list[tuple[RunRecord, RunRecord]]:
    """Pairs (top, bottom) of the same seed at ``width`` whose runs both pass the accuracy gate."""
    runs = list(runs)
    a, b = runs_of(runs, top, width), runs_of(runs, bottom, width)
    pairs = []
    for key in sorted(a.keys() & b.keys()):
        if passes_gate(a[key], a.values()) and passes_gate(b[key], b.values()):
            pairs.append((a[key], b[key]))
    return pairs


def interval_or_none(values: list[float]) -> Interval | None:
    return mean_interval(values) if len(values) >= 2 else None


@dataclass(frozen=True)
class Comparison:
    """One measured quantity: per-seed values, their interval, and the accuracies behind them."""

    values: list[float]
    interval: Interval | None
    accuracies: tuple[float, float]  # mean final accuracy (%) of the two compared networks
    seeds: int  # pairs trained (before the gate)
    gated: bool = True  # False where every trained pair counts (accuracy differences)

    def describe(self, unit: str = "", *, accuracies: bool = False) -> str:
        """``mean [low, high], n=...``; with ``accuracies``, the two networks' accuracies too."""
        if self.interval is None:
            pairs = "gated pairs" if self.gated else "pairs"
            return f"too few {pairs} ({len(self.values)} of {self.seeds})"
        i = self.interval
        text = f"{i.mean:.2f}{unit} [{i.low:.2f}, {i.high:.2f}], n={i.n}"
        if accuracies:
            text += f" (accuracy {self.accuracies[0]:.1f} % vs {self.accuracies[1]:.1f} %)"
        return text


def compare(
    runs: Iterable[RunRecord],
    top: Network,
    bottom: Network,
    width: int,
    value: Callable[[RunRecord, RunRecord], float],
) -> Comparison:
    """``value(top_run, bottom_run)`` over the gated pairs, with its interval.

    A width or pair of networks without runs is a comparison of no pairs ("not
    testable here"); a width that is not a positive integer, or a network that is
    not a :class:`~mlsnn_edu.experiments.results.Network`, is refused.
    """
    check_positive_int(width, "width")
    for name, network in (("top", top), ("bottom", bottom)):
        if not isinstance(network, Network):
            raise TypeError(
                f"{name} must be a Network (e.g. SPARSE_N4 or sparse(4)), got {network!r:.60}"
            )
    runs = list(runs)
    pairs = gated_pairs(runs, top, bottom, width)
    values = [value(a, b) for a, b in pairs]
    trained = runs_of(runs, top, width).keys() & runs_of(runs, bottom, width).keys()
    accuracies = tuple(
        sum(r.accuracy for r in side) / len(side) if side else math.nan
        for side in ([a for a, _ in pairs], [b for _, b in pairs])
    )
    return Comparison(values, interval_or_none(values), accuracies, len(trained))


def activity_ratio(runs, width: int, measure: Measure) -> Comparison:
    """Sparse / SEW [T=1, N=4] of one activity measure, trained, at ``width``."""
    return compare(runs, SPARSE_N4, SEW_N4, width, lambda a, b: measure(a.final) / measure(b.final))


def energy_ratio(runs, top: Network, bottom: Network, width: int, cost: str) -> Comparison:
    """``top`` / ``bottom`` energy per inference under the charging rule ``cost``, at ``width``."""
    check_choice(cost, MULTILEVEL_COSTS, "cost")
    return compare(runs, top, bottom, width, lambda a, b: a.energy_uj[cost] / b.energy_uj[cost])


def accuracy_difference(runs, top: Network, bottom: Network, width: int) -> Comparison:
    """``top`` minus ``bottom`` final accuracy in points (no gate on closeness: the claim is it)."""
    runs = list(runs)
    a, b = runs_of(runs, top, width), runs_of(runs, bottom, width)
    keys = sorted(a.keys() & b.keys())
    values = [a[k].accuracy - b[k].accuracy for k in keys]
    accuracies = tuple(
        sum(side[k].accuracy for k in keys) / len(keys) if keys else math.nan for side in (a, b)
    )
    return Comparison(values, interval_or_none(values), accuracies, len(keys), gated=False)


def clipping_ceiling(
    runs: Iterable[RunRecord], width: int, *, of_network: bool = False
) -> list[float]:
    """Per seed: the share of a trained SEW network's residual-sum mass above N at ``width``.

    With ``of_network``: that mass as a share of the whole network's spike mass.
    """
    return [
        run.sum_mass_above_levels(of_network=of_network)
        for run in runs_of(runs, SEW_N4, width).values()
    ]


def ratio_by_epoch(runs, top: Network, bottom: Network, width: int, measure: Measure) -> dict:
    """``measure(top) / measure(bottom)`` after every epoch at ``width``, one value per gated pair."""
    by_epoch: dict[int, list[float]] = {}
    for a, b in gated_pairs(runs, top, bottom, width):
        for ea, eb in zip(a.epochs, b.epochs):
            by_epoch.setdefault(ea.epoch, []).append(measure(ea) / measure(eb))
    return by_epoch


def ratio_by_width(runs, top: Network, bottom: Network, measure: Measure) -> dict:
    """``measure(top) / measure(bottom)`` after the last epoch, per width, one value per gated pair."""
    runs = list(runs)
    widths = sorted({run.width for run in runs if run.network == top})
    found = {
        w: [measure(a.final) / measure(b.final) for a, b in gated_pairs(runs, top, bottom, w)]
        for w in widths
    }
    return {w: values for w, values in found.items() if values}


def ceiling_by_epoch(runs, width: int) -> dict[int, list[float]]:
    """Per epoch, per SEW seed at ``width``: the share of its residual-sum mass above N."""
    by_epoch: dict[int, list[float]] = {}
    for run in runs_of(runs, SEW_N4, width).values():
        for index, epoch in enumerate(run.epochs):
            by_epoch.setdefault(epoch.epoch, []).append(run.sum_mass_above_levels(index))
    return by_epoch


# --- the claims ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimRow:
    """One row of chapter 8's table."""

    claim: str
    paper: str
    measured: str
    verdict: str
    why: str


def _accuracies(comparison: Comparison, top: str, bottom: str) -> str:
    a, b = comparison.accuracies
    return f"accuracy {top} {a:.1f} %, {bottom} {b:.1f} %"


def activity_rows(runs: list[RunRecord], width: int = MAIN_WIDTH) -> list[ClaimRow]:
    """The barrier's effect on activity, judged on events and on mass, at sum1 and overall."""
    rows = []
    paper_sum1 = PAPER_SUM1[1] / PAPER_SUM1[0]
    for where, events, mass, paper, paper_text in (
        (
            "over the whole network",
            "events, all layers",
            "mass, all layers",
            PAPER_FEWER_SPIKES,
            "25–47 % fewer spikes (ratio ≤ 0.75)",
        ),
        (
            "at sum1",
            "events at sum1",
            "mass at sum1",
            paper_sum1,
            f"{PAPER_SUM1[0]:,} → {PAPER_SUM1[1]:,} (ratio {paper_sum1:.2f})",
        ),
    ):
        found = {k: activity_ratio(runs, width, ACTIVITY_MEASURES[k]) for k in (events, mass)}
        verdicts = {k: judge(c.interval, no_effect=1.0, paper=paper) for k, c in found.items()}
        agree = len(set(verdicts.values())) == 1
        rows.append(
            ClaimRow(
                claim=f"Barrier neurons cut spiking activity {where} (Sparse / SEW, T=1, N=4)",
                paper=paper_text,
                measured=f"events {found[events].describe()}; mass {found[mass].describe()}; "
                + _accuracies(found[mass], "Sparse", "SEW"),
                verdict=verdicts[mass]
                if agree
                else f"events: {verdicts[events]}; mass: {verdicts[mass]}",
                why=f"width {width}; events and mass agree"
                if agree
                else f"width {width}; events and mass disagree",
            )
        )
    return rows


def energy_rows(runs: list[RunRecord]) -> list[ClaimRow]:
    """Sparse against SEW energy, and binary against multi-level VGG16 energy, per charging option."""
    rows = []
    for claim, top, bottom, width, paper, no_effect_side, paper_text in (
        (
            "Sparse-ResNet18 needs 25–30 % less energy than SEW-ResNet18",
            SPARSE_N4,
            SEW_N4,
            MAIN_WIDTH,
            PAPER_LESS_ENERGY,
            "Sparse / SEW",
            "ratio 0.70–0.75",
        ),
        (
            "Multi-level spikes need 2–3x less energy than binary ones (VGG16)",
            VGG_BINARY,
            VGG_MULTILEVEL,
            SMALL_WIDTH,
            PAPER_BINARY_OVER_MULTILEVEL,
            "binary / multi-level",
            "ratio 2–3",
        ),
    ):
        found = {cost: energy_ratio(runs, top, bottom, width, cost) for cost in MULTILEVEL_COSTS}
        verdicts = {
            cost: judge(c.interval, no_effect=1.0, paper=paper) for cost, c in found.items()
        }
        rows.append(
            ClaimRow(
                claim=claim,
                paper=paper_text,
                measured=f"{no_effect_side}: "
                + "; ".join(f"{cost} {c.describe()}" for cost, c in found.items())
                + "; "
                + _accuracies(found["accumulate"], top.label, bottom.label),
                verdict="; ".join(f"{cost}: {v}" for cost, v in verdicts.items()),
                why=f"width {width}; the charging of a spike of value k decides the factor",
            )
        )
    return rows


def accuracy_rows(runs: list[RunRecord]) -> list[ClaimRow]:
    """The accuracy claims: VGG16 no loss, Sparse within 0.5 point of SEW, collapse at N = 1."""
    vgg = accuracy_difference(runs, VGG_MULTILEVEL, VGG_BINARY, SMALL_WIDTH)
    barrier = accuracy_difference(runs, SPARSE_N4, SEW_N4, MAIN_WIDTH)
    collapse = accuracy_difference(runs, sparse(4), sparse(1), SMALL_WIDTH)
    return [
        ClaimRow(
            "VGG16 [T=1, N=4] is as accurate as [T=4, N=1]",
            "93.13 % against 93.15 % on CIFAR-10",
            f"multi-level minus binary: {vgg.describe(' points')}; "
            + _accuracies(vgg, "multi-level", "binary"),
            judge_no_loss(vgg.interval, margin=1.0),
            f"width {SMALL_WIDTH}; no loss read as the whole interval within ±1 point",
        ),
        ClaimRow(
            "Sparse-ResNet18 stays within 0.5 % of SEW-ResNet18's accuracy (N = 4)",
            "within 0.5 point",
            f"Sparse minus SEW: {barrier.describe(' points')}; "
            + _accuracies(barrier, "Sparse", "SEW"),
            judge_no_loss(barrier.interval, margin=0.5),
            f"width {MAIN_WIDTH}; the whole interval must lie within ±0.5 point",
        ),
        ClaimRow(
            "Accuracy collapses at T=1, N=1",
            "a collapse (read as ≥ 5 points lost)",
            f"Sparse N=4 minus N=1: {collapse.describe(' points')}; "
            + _accuracies(collapse, "N=4", "N=1"),
            judge(collapse.interval, no_effect=0.0, paper=PAPER_COLLAPSE_POINTS),
            f"width {SMALL_WIDTH}; two levels per neuron and timestep",
        ),
    ]


def gradient_rows(at_init: GradientRatios, saturated: GradientRatios) -> list[ClaimRow]:
    """The STE claims, from :func:`~mlsnn_edu.experiments.stem_gradients.stem_gradient_ratios` in both regimes."""
    rows = []
    for regime, ratios in (("at initialisation", at_init), ("with saturated sums", saturated)):
        starve = mean_interval(ratios.sg_over_ste)
        rows.append(
            ClaimRow(
                f"Without the STE the gradient starves in the early blocks ({regime})",
                "training stalls (read as ≥ 10x less gradient at the stem)",
                f"log10(SG / STE) {starve.mean:.2f} [{starve.low:.2f}, {starve.high:.2f}], "
                f"n={starve.n}",
                judge(starve, no_effect=0.0, paper=PAPER_STARVATION),
                "same weights and batch per seed, width 8",
            )
        )
        if ratios is saturated:
            continue  # saturating SEW's sums changes its forward pass too: no like-for-like
        keep = mean_interval(ratios.ste_over_sew)
        rows.append(
            ClaimRow(
                f"The STE keeps SEW's gradient ({regime})",
                "STE matches SEW's gradient magnitude (read as within 2x)",
                f"log10(STE / SEW) {keep.mean:.2f} [{keep.low:.2f}, {keep.high:.2f}], n={keep.n}",
                judge_no_loss(keep, margin=math.log10(2)),
                "same weights and batch per seed, width 8",
            )
        )
    return rows


def claims_table(rows: list[ClaimRow]) -> str:
    """Chapter 8's table, in Markdown."""
    lines = ["| claim (paper) | paper | measured here | verdict | scale |", "|---|---|---|---|---|"]
    lines += [f"| {r.claim} | {r.paper} | {r.measured} | **{r.verdict}** | {r.why} |" for r in rows]
    return "\n".join(lines)
