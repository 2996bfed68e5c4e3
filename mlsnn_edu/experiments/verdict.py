r"""From per-seed numbers to a verdict: the interval over seeds, the accuracy gate, the rule.

* :func:`mean_interval` — the mean over seeds with its 95 % t-interval,

  .. math::

      \bar r \pm t_{0.975,\,n-1}\, s / \sqrt{n};

* :func:`passes_gate` — which runs count as trained networks;
* :func:`judge` and :func:`judge_no_loss` — the verdict rule of chapter 8, stated once here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from mlsnn_edu.experiments.results import RunRecord


@dataclass(frozen=True)
class Interval:
    """A mean over n seeds with its 95 % t-interval [low, high]."""

    mean: float
    low: float
    high: float
    n: int

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.mean:.2f} [{self.low:.2f}, {self.high:.2f}] (n={self.n})"


def mean_interval(values: Iterable[float], confidence: float = 0.95) -> Interval:
    r"""Mean and t-interval :math:`\bar x \pm t_{(1+c)/2,\,n-1}\, s/\sqrt n` over seeds (n >= 2)."""
    _check_confidence(confidence)
    if isinstance(values, (str, bytes)):
        raise TypeError(f"values must be numbers, one per seed, got the text {values!r:.40}")
    x = np.asarray(list(values), dtype=float)
    if x.ndim != 1:
        raise ValueError(f"values must be one number per seed, got shape {x.shape}")
    if x.size < 2:
        raise ValueError(f"an interval needs at least 2 seeds, got {x.size}")
    if not np.isfinite(x).all():
        raise ValueError(f"values must be finite numbers, got {x.tolist()!r:.80}")
    mean = float(x.mean())
    half = float(stats.t.ppf((1 + confidence) / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return Interval(mean, mean - half, mean + half, int(x.size))


def seeds_needed(spread: float, effect: float, confidence: float = 0.95) -> int:
    r"""Seeds n for a 95 % interval narrower than the effect: :math:`t_{n-1}\, s/\sqrt n < |effect|`.

    ``spread`` is the standard deviation s over seeds; the interval around a
    true effect of that size then excludes no effect.
    """
    _check_confidence(confidence)
    if not (math.isfinite(spread) and spread >= 0):
        raise ValueError(
            f"spread (a standard deviation) must be a finite number >= 0, got {spread}"
        )
    if not math.isfinite(effect) or effect == 0:
        raise ValueError(f"effect must be a finite, non-zero number, got {effect}")
    for n in range(2, 10_000):
        if stats.t.ppf((1 + confidence) / 2, n - 1) * spread / math.sqrt(n) < abs(effect):
            return n
    return 10_000


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1 (0.95), got {confidence}")


def _check_interval(interval: object) -> None:
    if interval is not None and not isinstance(interval, Interval):
        hint = " (a Comparison's is its .interval)" if hasattr(interval, "interval") else ""
        raise TypeError(f"interval must be an Interval or None{hint}, got {interval!r:.60}")


# --- the accuracy gate and the verdict rule ------------------------------------------------------

#: A run counts as trained when it is within this many points of its group's best run ...
GATE_MARGIN = 5.0
#: ... and this many points above chance (10 % on ten classes).
GATE_ABOVE_CHANCE = 40.0


def passes_gate(run: RunRecord, group: Iterable[RunRecord], chance: float = 10.0) -> bool:
    """The accuracy gate: converged, within :data:`GATE_MARGIN` of the group's best, far above chance."""
    accuracies = [other.accuracy for other in group]
    if not accuracies:
        raise ValueError("group must hold the runs to compare with (the run's own included)")
    best = max(accuracies)
    return (
        run.converged()
        and run.accuracy >= best - GATE_MARGIN
        and run.accuracy >= chance + GATE_ABOVE_CHANCE
    )


REPRODUCED = "reproduced"
SMALLER = "reproduced in direction, smaller"
SIZE_EXCLUDED = "inconclusive, paper's size excluded"
INCONCLUSIVE = "inconclusive"
NOT_REPRODUCED = "not reproduced"
NOT_TESTABLE = "not testable here"
VERDICTS = (REPRODUCED, SMALLER, SIZE_EXCLUDED, INCONCLUSIVE, NOT_REPRODUCED, NOT_TESTABLE)


def judge(interval: Interval | None, *, no_effect: float, paper: float) -> str:
    """The verdict on an effect claim, from the 95 % interval of what was measured.

    ``no_effect`` is the value with no effect (1 for a ratio, 0 for a
    difference); ``paper`` is the paper's effect at its smallest (0.75 for
    "at least 25 % fewer"). With the interval [low, high]:

    * it contains both ``no_effect`` and ``paper``: **inconclusive**;
    * it contains ``no_effect`` but stops short of ``paper``: **inconclusive, paper's size
      excluded** (at 95 % confidence, no effect is compatible with the runs and the
      paper's size is not; the interval may even lie mostly on the other side);
    * it lies wholly on the other side of ``no_effect`` from ``paper``: **not reproduced**;
    * it lies on the paper's side and reaches ``paper`` (or beyond): **reproduced**;
    * it lies on the paper's side without reaching ``paper``: **reproduced in direction, smaller**.

    ``interval`` None (the runs failed the accuracy gate, or none exist) is **not testable here**.
    """
    if not (math.isfinite(paper) and math.isfinite(no_effect)) or paper == no_effect:
        raise ValueError(
            f"paper and no_effect must be finite and differ, got paper={paper}, "
            f"no_effect={no_effect}"
        )
    _check_interval(interval)
    if interval is None:
        return NOT_TESTABLE
    paper_side_is_below = paper < no_effect
    if no_effect in interval:
        short_of_paper = interval.low > paper if paper_side_is_below else interval.high < paper
        return SIZE_EXCLUDED if short_of_paper else INCONCLUSIVE
    if (interval.high < no_effect) != paper_side_is_below:
        return NOT_REPRODUCED
    reaches = interval.low <= paper if paper_side_is_below else interval.high >= paper
    return REPRODUCED if reaches else SMALLER


def judge_no_loss(interval: Interval | None, *, margin: float) -> str:
    """The verdict on a "no loss" claim (two accuracies equal), from the interval of their difference.

    **reproduced** when the whole interval lies within ``±margin`` points;
    **not reproduced** when it lies wholly outside; **inconclusive** otherwise;
    **not testable here** without an interval.
    """
    if not (math.isfinite(margin) and margin > 0):
        raise ValueError(f"margin must be a finite number > 0, got {margin}")
    _check_interval(interval)
    if interval is None:
        return NOT_TESTABLE
    if -margin <= interval.low and interval.high <= margin:
        return REPRODUCED
    if interval.low > margin or interval.high < -margin:
        return NOT_REPRODUCED
    return INCONCLUSIVE
