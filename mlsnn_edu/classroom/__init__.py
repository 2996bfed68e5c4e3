"""The classroom: checkers for the chapters' exercises, and the student hand-outs made from them.

* ``ch01`` ... ``ch07``: the checkers each exercise cell calls right after the
  reader's code (re-exported here: ``from mlsnn_edu.classroom import check_if_step``);
* :mod:`~mlsnn_edu.classroom.convention`: how an exercise is marked in a chapter;
* :mod:`~mlsnn_edu.classroom.stubs`: one solution cell to its student stub;
* :mod:`~mlsnn_edu.classroom.handouts`: student notebooks, the exercise list, the answer key;
* :mod:`~mlsnn_edu.classroom.nbgrader`: nbgrader source notebooks.

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

from mlsnn_edu.classroom.ch01 import (
    check_if_step,
    check_potential_after_spike,
    check_sigmoid_surrogate,
)
from mlsnn_edu.classroom.ch02 import (
    check_level_count,
    check_levels_for_target_error,
    check_multilevel_step,
)
from mlsnn_edu.classroom.ch03 import check_events_and_mass, check_mass_above_n, check_sew_bound
from mlsnn_edu.classroom.ch04 import (
    check_active_barrier_factor,
    check_masked_straight_through,
    check_surrogate_passes,
)
from mlsnn_edu.classroom.ch05 import check_cosine_lr, check_train_step
from mlsnn_edu.classroom.ch06 import (
    check_break_even_rate,
    check_layer_accumulates,
    check_spike_units,
)
from mlsnn_edu.classroom.ch07 import check_events_for_change, check_events_to_frame
from mlsnn_edu.classroom.ch08 import check_cheaper_options, check_matching_levels
from mlsnn_edu.classroom.checking import CheckResult, failed, passed
from mlsnn_edu.classroom.convention import load_chapters

__all__ = [
    "CheckResult",
    "check_active_barrier_factor",
    "check_break_even_rate",
    "check_cheaper_options",
    "check_cosine_lr",
    "check_events_and_mass",
    "check_events_for_change",
    "check_events_to_frame",
    "check_if_step",
    "check_layer_accumulates",
    "check_level_count",
    "check_levels_for_target_error",
    "check_masked_straight_through",
    "check_mass_above_n",
    "check_matching_levels",
    "check_multilevel_step",
    "check_potential_after_spike",
    "check_sew_bound",
    "check_sigmoid_surrogate",
    "check_spike_units",
    "check_surrogate_passes",
    "check_train_step",
    "failed",
    "load_chapters",
    "passed",
]
