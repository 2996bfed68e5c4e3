"""Checkers for chapter 4, the barrier neuron and the straight-through estimator."""

from __future__ import annotations

import torch

from mlsnn_edu.classroom.checking import (
    CheckResult,
    as_number,
    as_whole_number,
    failed,
    passed,
    received,
    reports_wrong_answers,
)
from mlsnn_edu.data.digits import digits_datasets
from mlsnn_edu.models import build_model
from mlsnn_edu.monitor import residual_sums
from mlsnn_edu.settings import seed_everything
from mlsnn_edu.surrogate import StraightThroughSpike, sigmoid_surrogate_derivative

#: Relative tolerance of exercise 4.3. The sums are integers, so the answer is exact up to
#: float rounding; wrong readings lie 0.4-3 % away (see :func:`plausible_mistakes`).
FACTOR_TOLERANCE = 1e-3


def surrogate_passing_sums(levels: int = 4, alpha: float = 5.0, at_least: float = 0.5) -> set[int]:
    """Integer sums in [0, 2N] where the sigmoid surrogate is at least ``at_least``."""
    values = torch.arange(0, 2 * levels + 1, dtype=torch.float64)
    factors = sigmoid_surrogate_derivative(values, levels, 1.0, alpha)
    return {int(s) for s, g in zip(values, factors) if g >= at_least}


@reports_wrong_answers
def check_surrogate_passes(answer) -> CheckResult:
    """Exercise 4.1: the integer sums where the surrogate passes at least half the gradient."""
    name = "Exercise 4.1 (where the surrogate passes)"
    expected = surrogate_passing_sums()
    try:
        if isinstance(answer, (str, bytes)):
            raise TypeError
        items = list(answer)
    except TypeError:  # not a collection (a number, a 0-d tensor, text)
        return failed(name, f"give a set of integers, e.g. {{0, 5}}; got {received(answer)}")
    answer = {as_whole_number(s, name, "a set of whole numbers, e.g. {0, 5}") for s in items}
    if answer == expected:
        return passed(name, "only the sums sitting on a threshold, 1 to N")
    if 0 in answer:
        return failed(name, "at s = 0 the nearest threshold is a whole unit away: evaluate it")
    if answer and max(answer) > max(expected):
        return failed(name, "above N there is no threshold left: evaluate s = N + 1 and beyond")
    return failed(name, "evaluate sigmoid_surrogate_derivative at each integer from 0 to 2N")


def check_masked_straight_through(function: type[torch.autograd.Function]) -> CheckResult:
    """Exercise 4.2: staircase forward; backward passes the gradient only where 0 <= v <= N theta.

    The reference is the library's ``StraightThroughSpike`` with ``mask=True``
    (``MultiLevelIF(surrogate="ste", ste_mask=True)``).
    """
    name = "Exercise 4.2 (masked straight-through spike)"
    if not (isinstance(function, type) and issubclass(function, torch.autograd.Function)):
        return failed(
            name,
            "pass the class itself, a subclass of torch.autograd.Function with forward and "
            f"backward; got {received(function)}",
        )
    generator = torch.Generator().manual_seed(42)
    for levels, theta in ((1, 1.0), (4, 1.0), (3, 0.5)):
        random = torch.randn(200, generator=generator) * 3 * levels * theta
        edges = torch.tensor([0.0, levels * theta, -theta, (levels + 1) * theta])
        v = torch.cat([random, edges]).requires_grad_()
        upstream = torch.randn(len(v), generator=generator)
        try:
            z = function.apply(v, levels, theta)
            (gradient,) = torch.autograd.grad(z, v, upstream)
        except NotImplementedError:
            raise  # an unfinished exercise shows as such, as in every checker
        except Exception as error:  # the reader's code may fail in any way: report it as a hint
            return failed(
                name,
                f"calling it failed ({type(error).__name__}: {error}); save v in forward "
                "(ctx.save_for_backward) and return one value per forward input from backward: "
                "the gradient for v, then None, None",
            )
        leaf = v.detach().clone().requires_grad_()
        expected_z = StraightThroughSpike.apply(leaf, levels, theta, True)
        (expected,) = torch.autograd.grad(expected_z, leaf, upstream)
        if not torch.equal(z.detach(), expected_z.detach()):
            return failed(name, "forward is the staircase: floor(v / theta), clamped to [0, N]")
        if torch.allclose(gradient, torch.zeros_like(gradient)):
            return failed(name, "that is the staircase's true derivative (0): pass the gradient on")
        if torch.allclose(gradient, upstream):
            return failed(
                name, "that is the plain STE: set the gradient to 0 where v < 0 or v > N theta"
            )
        if not torch.allclose(gradient, expected):
            return failed(
                name, "check the edges: v = 0 and v = N theta still pass the gradient (<=, not <)"
            )
    return passed(name, "inside [0, N theta] the barrier is the identity for the gradient")


def _exercise_sums(mode: str = "train") -> dict[str, torch.Tensor]:
    """The sums entering each barrier of exercise 4.3's network, in ``mode``."""
    seed_everything(4)
    model = build_model(
        "sparse_resnet18",
        width=8,
        levels=4,
        timesteps=1,
        num_classes=10,
        barrier_surrogate="sigmoid",
    )
    model.train(mode == "train")
    test = digits_datasets()[1]
    x = torch.stack([test[i][0] for i in range(64)])
    with torch.no_grad():
        return residual_sums(model, x)


def _mean_factor(sums: torch.Tensor, *, zeros: bool = False) -> float:
    """Mean sigmoid-surrogate factor dz/ds (N = 4, theta = 1, alpha = 5), zero sums left out."""
    values = sums if zeros else sums[sums != 0]
    return float(sigmoid_surrogate_derivative(values, 4, 1.0, 5.0).mean())


def active_barrier_factor() -> float:
    """The reference answer of exercise 4.3, computed as the exercise describes."""
    return _mean_factor(_exercise_sums()["sum1"])


def plausible_mistakes() -> dict[str, float]:
    """Answers a student reaches by a wrong reading of exercise 4.3, each with its hint.

    They all lie within a few per cent of the right answer (every active sum sits
    near a threshold, where the factor is about alpha / 4), which is why the
    checker's tolerance is tight and it names the mistake instead.
    """
    train = _exercise_sums()
    mistakes = {
        "that is the mean over every sum, zeros included: leave out the zero sums, "
        "the silent part of the network": _mean_factor(train["sum1"], zeros=True),
        "that is the network in eval mode (running batch-norm statistics): put it in "
        "train mode, as the exercise says": _mean_factor(_exercise_sums("eval")["sum1"]),
    }
    for name, sums in train.items():
        if name != "sum1":
            mistakes[f"that is {name}'s factor: read the sums entering the barrier at sum1"] = (
                _mean_factor(sums)
            )
    on_threshold = sigmoid_surrogate_derivative(torch.arange(1.0, 5.0), 4, 1.0, 5.0)
    for s, factor in zip(range(1, 5), on_threshold):
        mistakes[
            f"that is the factor at one sum (s = {s}), printed in the chapter: average the "
            "factor over this network's non-zero sums"
        ] = float(factor)
    return mistakes


@reports_wrong_answers
def check_active_barrier_factor(answer: float) -> CheckResult:
    """Exercise 4.3: mean surrogate factor over the non-zero sums entering the barrier at sum1."""
    name = "Exercise 4.3 (amplify or attenuate)"
    answer = as_number(answer, name, "one number: the mean of the surrogate factors")
    expected = active_barrier_factor()
    if abs(answer - expected) <= FACTOR_TOLERANCE * expected:
        return passed(name, "above 1: where the network is active, this barrier amplifies")
    hint, value = min(plausible_mistakes().items(), key=lambda item: abs(answer - item[1]))
    if abs(answer - value) <= FACTOR_TOLERANCE * abs(value):
        return failed(name, hint)
    return failed(
        name, "check the seed, the width, the 64 images, train mode and that you read sum1"
    )
