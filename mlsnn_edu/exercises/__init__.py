"""Checkers that the chapters' exercise cells call right after the reader's code.

The solution convention, shared by every chapter: an exercise is a markdown
cell whose heading starts ``### Exercise`` followed by one code cell tagged
``solution``. In that cell the answer stands between the lines
``### BEGIN SOLUTION`` and ``### END SOLUTION``; after the markers comes the
checker call, e.g. ``check_potential_after_spike(answer)``. Student versions
replace what lies between the markers with
``raise NotImplementedError("exercise: ...")`` and keep the checker call.

A checker tests the answer against the library's reference on hidden cases,
prints ``[pass]`` or ``[not yet]`` with a hint (never the answer) and returns a
:class:`CheckResult`.
"""

from mlsnn_edu.exercises._core import CheckResult, failed, passed
from mlsnn_edu.exercises.ch01 import (
    check_if_step,
    check_potential_after_spike,
    check_sigmoid_surrogate,
)
from mlsnn_edu.exercises.ch02 import (
    check_level_count,
    check_levels_for_target_error,
    check_multilevel_step,
)
from mlsnn_edu.exercises.ch03 import check_events_and_mass, check_mass_above_n, check_sew_bound
from mlsnn_edu.exercises.ch04 import (
    check_active_barrier_factor,
    check_straight_through,
    check_surrogate_passes,
)
from mlsnn_edu.exercises.ch05 import check_cosine_lr, check_train_step
from mlsnn_edu.exercises.ch06 import (
    check_break_even_rate,
    check_layer_accumulates,
    check_spike_units,
)
from mlsnn_edu.exercises.ch07 import check_events_for_change, check_events_to_frame

__all__ = [
    "CheckResult",
    "failed",
    "passed",
    "check_active_barrier_factor",
    "check_break_even_rate",
    "check_cosine_lr",
    "check_events_and_mass",
    "check_events_for_change",
    "check_events_to_frame",
    "check_if_step",
    "check_layer_accumulates",
    "check_level_count",
    "check_levels_for_target_error",
    "check_mass_above_n",
    "check_multilevel_step",
    "check_potential_after_spike",
    "check_sew_bound",
    "check_sigmoid_surrogate",
    "check_spike_units",
    "check_straight_through",
    "check_surrogate_passes",
    "check_train_step",
]
