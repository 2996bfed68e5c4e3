"""The shape every checker shares: run hidden cases, print pass or a hint, return the verdict."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    """What a checker found. Truthy when the answer passed."""

    exercise: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:
        """Shown nowhere in a notebook: the checker has already printed its verdict."""


def passed(
    exercise: str, message: str = "all hidden cases agree with the reference"
) -> CheckResult:
    """Report a correct answer."""
    result = CheckResult(exercise, True, message)
    print(f"[pass] {exercise}: {message}")
    return result


def failed(exercise: str, hint: str) -> CheckResult:
    """Report a wrong answer with a hint that points the way without giving the answer."""
    result = CheckResult(exercise, False, hint)
    print(f"[not yet] {exercise}: {hint}")
    return result
