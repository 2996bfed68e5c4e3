"""The paper's experiments: trained runs, their results, and the claims judged against them.

* :mod:`~mlsnn_edu.experiments.results`: run files read back as typed records, paired measures;
* :mod:`~mlsnn_edu.experiments.verdict`: intervals over seeds, the accuracy gate, the verdict rule;
* :mod:`~mlsnn_edu.experiments.claims`: each claim of the paper measured and judged;
* :mod:`~mlsnn_edu.experiments.stem_gradients`: the gradient reaching the stem (the STE claims);
* :mod:`~mlsnn_edu.experiments.sweep`: ``mlsnn-edu reproduce --sweep``, one file per run;
* :mod:`~mlsnn_edu.experiments.reproduce`: ``mlsnn-edu reproduce`` (quick or paper scale);
* :mod:`~mlsnn_edu.experiments.energy`: whole networks' energy compared (``mlsnn-edu energy``).

Chapters, notebooks and benchmarks import these names from ``mlsnn_edu.experiments``.
"""

from mlsnn_edu.experiments.claims import (  # noqa: I001 (after results, which it imports)
    MAIN_WIDTH,
    PAPER_SUM1,
    SMALL_WIDTH,
    accuracy_rows,
    activity_ratio,
    activity_rows,
    claims_table,
    clipping_ceiling,
    energy_ratio,
    energy_rows,
    gradient_rows,
    ratio_by_epoch,
)
from mlsnn_edu.experiments.energy import (
    ENERGY_DEFAULTS,
    MULTILEVEL,
    compare_energy,
    untrained_networks,
)
from mlsnn_edu.experiments.provenance import record_provenance
from mlsnn_edu.experiments.results import (
    ACTIVITY_MEASURES,
    ANN,
    COMMITTED_RESULTS,
    SEW_N4,
    SPARSE_N4,
    VGG_BINARY,
    VGG_MULTILEVEL,
    Network,
    ResultsError,
    RunRecord,
    load_runs,
    runs_of,
    sew,
    sparse,
)
from mlsnn_edu.experiments.stem_gradients import stem_gradient_ratios
from mlsnn_edu.experiments.sweep import PAPER_RECIPE
from mlsnn_edu.experiments.verdict import (
    Interval,
    judge,
    judge_no_loss,
    mean_interval,
    passes_gate,
    seeds_needed,
)

__all__ = [
    "ACTIVITY_MEASURES",
    "ANN",
    "COMMITTED_RESULTS",
    "ENERGY_DEFAULTS",
    "MAIN_WIDTH",
    "MULTILEVEL",
    "PAPER_RECIPE",
    "PAPER_SUM1",
    "SEW_N4",
    "SMALL_WIDTH",
    "SPARSE_N4",
    "VGG_BINARY",
    "VGG_MULTILEVEL",
    "Interval",
    "Network",
    "ResultsError",
    "RunRecord",
    "accuracy_rows",
    "activity_ratio",
    "activity_rows",
    "claims_table",
    "clipping_ceiling",
    "compare_energy",
    "energy_ratio",
    "energy_rows",
    "gradient_rows",
    "judge",
    "judge_no_loss",
    "load_runs",
    "mean_interval",
    "passes_gate",
    "ratio_by_epoch",
    "record_provenance",
    "runs_of",
    "seeds_needed",
    "sew",
    "sparse",
    "stem_gradient_ratios",
    "untrained_networks",
]
