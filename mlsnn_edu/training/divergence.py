r"""When a run stops: a weight or the test loss no longer finite, or the divergence rule.

After every epoch the run stops as it does for a NaN (this epoch not saved, the
last good checkpoint kept) when

* a weight's magnitude exceeds :data:`MAX_WEIGHT` (1e6; trained networks here
  stay below 100, and batch norm hides the size of the weights before it, so a
  finite loss does not prove the weights are sane), or
* the train loss exceeds :data:`DIVERGENCE_FACTOR` (10) times the reference
  loss: the first epoch's train loss, or chance level :math:`\ln C` for C
  classes when that is larger (and during the first epoch).

The test loss only has to stay finite. It judges the network in evaluation
mode, with batch norm's running averages, which trail the weights by many
steps while a high learning rate moves them fast: in the sweep's first epoch
an ANN at lr 0.08 scores chance on the test set with a test loss of 57, then
reaches 99 %. What the optimizer follows is the train loss.
"""

from __future__ import annotations

import math

from torch import nn

from mlsnn_edu.training.loop import NonFiniteError
from mlsnn_edu.training.networks import non_finite_tensors

#: Divergence: a weight larger than this in magnitude stops the run.
MAX_WEIGHT = 1e6
#: Divergence: a loss this many times the reference loss stops the run.
DIVERGENCE_FACTOR = 10.0


class DivergenceError(NonFiniteError):
    """The run diverged: weights or losses exploded while still finite. Stops like a NaN."""


def check_finite(model: nn.Module, test_loss: float) -> None:
    """Raise :class:`NonFiniteError` when a weight tensor or the test loss is NaN or infinite."""
    broken = non_finite_tensors(model)
    if broken:
        shown = ", ".join(broken[:3]) + (f" and {len(broken) - 3} more" if len(broken) > 3 else "")
        raise NonFiniteError(f"{len(broken)} weight tensor(s) became non-finite ({shown})")
    if not math.isfinite(test_loss):
        raise NonFiniteError(f"the test loss became {test_loss}")


def divergence(
    model: nn.Module, train_loss: float, history: list[dict], num_classes: int
) -> str | None:
    """Why the run has diverged (the rule of the module's docstring), or ``None``."""
    largest = max(
        (float(p.detach().abs().max()) for p in model.parameters() if p.numel()), default=0.0
    )
    if largest > MAX_WEIGHT:
        return f"a weight reached {largest:.3g} in magnitude (the limit is {MAX_WEIGHT:g})"
    chance = math.log(num_classes)
    reference = max(history[0]["train_loss"], chance) if history else chance
    if train_loss > DIVERGENCE_FACTOR * reference:
        return (
            f"the train loss reached {train_loss:.3g}, over {DIVERGENCE_FACTOR:g} times the "
            f"reference {reference:.3g} (the first epoch's train loss, at least ln {num_classes})"
        )
    return None
