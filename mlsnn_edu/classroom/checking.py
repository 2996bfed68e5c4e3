"""The shape every checker shares: run hidden cases, print pass or a hint, return the verdict.

An answer of the wrong kind (``None`` from an unfinished function, a tensor where a
number belongs, a pair of the wrong length, an array of the wrong shape) is a wrong
answer too: the ``as_*`` readers raise :class:`WrongAnswer` saying what was expected
and what was received, and :func:`reports_wrong_answers` turns that into the
checker's ``[not yet]``, never a traceback from inside the checker. What the
reader's own code raises (a hand-out stub's ``NotImplementedError`` included) still
propagates, so its traceback points at the reader's line.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch


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


class WrongAnswer(Exception):
    """An answer of the wrong kind; :func:`reports_wrong_answers` reports it as not passed."""

    def __init__(self, exercise: str, hint: str) -> None:
        super().__init__(hint)
        self.exercise, self.hint = exercise, hint


def reports_wrong_answers(check: Callable[..., CheckResult]) -> Callable[..., CheckResult]:
    """Decorate a checker: a :class:`WrongAnswer` inside it becomes its ``[not yet]``."""

    @functools.wraps(check)
    def run(*args, **kwargs) -> CheckResult:
        try:
            return check(*args, **kwargs)
        except WrongAnswer as wrong:
            return failed(wrong.exercise, wrong.hint)

    return run


def received(value: object) -> str:
    """``value`` described for a hint: its type, and its shape or a short repr."""
    if isinstance(value, type):
        return f"the class {value.__name__}"
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"a {type(value).__name__} of shape {tuple(shape)}"
    return f"{type(value).__name__} {value!r:.40}"


def as_number(value: object, exercise: str, what: str = "one number") -> float:
    """``value`` as a finite float: any real number (NumPy's too) or a one-element tensor/array.

    ``True``/``False``, NaN, infinities and anything else raise :class:`WrongAnswer`.
    """
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    elif isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise WrongAnswer(exercise, f"expected {what}, got {received(value)}")
    if not math.isfinite(float(value)):
        raise WrongAnswer(exercise, f"expected {what}, a finite number; got {value}")
    return float(value)


def as_whole_number(value: object, exercise: str, what: str = "a whole number") -> int:
    """``value`` as an ``int``: an integer, or a number that is one (``4.0``)."""
    number = as_number(value, exercise, what)
    if not number.is_integer():
        raise WrongAnswer(exercise, f"expected {what}, got {number}")
    return int(number)


def as_function(value: object, exercise: str, signature: str) -> Callable:
    """``value`` itself if it can be called; the hint names the ``signature`` expected."""
    if not callable(value):
        raise WrongAnswer(exercise, f"expected a function {signature}, got {received(value)}")
    return value


def as_pair(value: object, exercise: str, names: str) -> tuple:
    """``value`` as a 2-tuple (a tuple or list of two); ``names`` reads e.g. ``(z, v_next)``."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise WrongAnswer(exercise, f"return a pair {names}, got {received(value)}")
    return tuple(value)


def as_tensor(
    value: object, exercise: str, what: str, shape: tuple[int, ...], dtype: torch.dtype
) -> torch.Tensor:
    """``value`` as a tensor of exactly ``shape`` (no broadcasting), converted to ``dtype``."""
    try:
        if value.is_complex() if torch.is_tensor(value) else np.iscomplexobj(value):
            raise TypeError  # a cast would drop the imaginary part in silence
        tensor = torch.as_tensor(value, dtype=dtype)
    except (TypeError, ValueError, RuntimeError):
        raise WrongAnswer(exercise, f"{what}: expected a tensor, got {received(value)}") from None
    if tuple(tensor.shape) != tuple(shape):
        raise WrongAnswer(
            exercise, f"{what}: expected shape {tuple(shape)}, got {tuple(tensor.shape)}"
        )
    return tensor
