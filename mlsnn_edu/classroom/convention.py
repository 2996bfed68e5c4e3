"""The solution convention: find each chapter's exercises and check their markers.

An exercise is a markdown cell with a heading ``### Exercise N.k — title (kind)``
followed by a code cell tagged ``solution``, whose answer stands between the lines
``### BEGIN SOLUTION`` and ``### END SOLUTION`` and is followed by the checker call.
A markdown cell tagged ``rubric`` after it holds the grading rubric of a written
answer: for graders only, it never reaches a student notebook.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import nbformat
from nbformat import NotebookNode

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
SOLUTION_TAG = "solution"
RUBRIC_TAG = "rubric"
CHAPTER_GLOB = "[0-9][0-9]_*.ipynb"

EXERCISE_HEADING = re.compile(r"^#{2,4}\s+Exercise\s+(?P<title>\S.*?)\s*$", re.MULTILINE)
ANY_HEADING = re.compile(r"^#{1,6}\s", re.MULTILINE)
TRAILING_KIND = re.compile(r"\s*\((?P<kind>[^()]+)\)$")
CHECKER_CALL = re.compile(r"\b(?P<name>check_\w+)\s*\(")


class AssignmentError(ValueError):
    """A chapter breaks the solution convention; the message names the chapter and the cell."""


def required_exercises(chapter_number: int) -> int:
    """Graded exercises a chapter must have: 3 for chapters 1-4, 2 for later ones."""
    return 3 if chapter_number <= 4 else 2


@dataclass(frozen=True)
class Exercise:
    """One solution cell and the exercise heading it answers."""

    chapter: str  # notebook name without suffix, e.g. "01_if_neuron"
    cell: int  # index of the solution cell in the notebook
    heading: str  # heading after "Exercise", e.g. "1.1 — the potential after one spike (compute)"
    checker: str | None  # the check_* function the cell calls after the markers

    @property
    def title(self) -> str:
        """The heading without its trailing ``(kind)``."""
        return TRAILING_KIND.sub("", self.heading)

    @property
    def kind(self) -> str:
        """``compute``, ``implement``, ``investigate``... as the heading ends, or ``""``."""
        match = TRAILING_KIND.search(self.heading)
        return match["kind"] if match else ""


@dataclass
class Chapter:
    """A chapter notebook and its exercises."""

    path: Path
    notebook: NotebookNode
    exercises: list[Exercise]

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def number(self) -> int:
        return int(self.name[:2])

    @property
    def graded(self) -> int:
        """Distinct exercises (an exercise may span more than one solution cell)."""
        return len({exercise.heading for exercise in self.exercises})

    def recorded_seconds(self) -> float | None:
        """Kernel time of the chapter's last execution, from nbclient's cell timestamps."""
        starts, ends = [], []
        for cell in self.notebook.cells:
            timing = cell.get("metadata", {}).get("execution", {})
            if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
                starts.append(_timestamp(timing["iopub.execute_input"]))
                ends.append(_timestamp(timing["shell.execute_reply"]))
        return (max(ends) - min(starts)).total_seconds() if starts else None


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- Finding the exercises -----------------------------------------------------------------------


def _is_solution(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def find_exercises(notebook: NotebookNode, chapter: str) -> list[Exercise]:
    """The solution cells of ``notebook``, each with the exercise heading before it.

    Raises :class:`AssignmentError` when a solution cell has no exercise heading,
    an exercise heading has no solution cell (its answer would reach students
    untagged), or an untagged code cell holds solution markers.
    """
    exercises: list[Exercise] = []
    heading, heading_cell, answered = None, -1, True
    for index, cell in enumerate(notebook.cells):
        where = f"{chapter}, cell {index}"
        if cell.cell_type == "markdown" and ANY_HEADING.search(cell.source):
            if not answered:
                raise _unanswered(chapter, heading_cell, heading)
            match = EXERCISE_HEADING.search(cell.source)
            heading, heading_cell, answered = (
                (match["title"], index, False) if match else (None, -1, True)
            )
        elif _is_solution(cell):
            if heading is None:
                raise AssignmentError(
                    f"{where}: tagged '{SOLUTION_TAG}' but no '### Exercise N.k — title' heading "
                    "comes before it"
                )
            solution_blocks(cell.source.split("\n"), where)  # validates the markers
            tail = cell.source.rsplit(END, 1)[-1]
            checker = call["name"] if (call := CHECKER_CALL.search(tail)) else None
            exercises.append(Exercise(chapter, index, heading, checker))
            answered = True
        elif cell.cell_type == "code" and any(
            line.strip() in (BEGIN, END) for line in cell.source.split("\n")
        ):
            raise AssignmentError(
                f"{where}: has solution markers but no '{SOLUTION_TAG}' tag, so its answer would "
                "reach students; tag it"
            )
    if not answered:
        raise _unanswered(chapter, heading_cell, heading)
    return exercises


def _unanswered(chapter: str, cell: int, heading: str | None) -> AssignmentError:
    return AssignmentError(
        f"{chapter}, cell {cell}: 'Exercise {heading}' has no code cell tagged '{SOLUTION_TAG}' "
        'after it; tag the answer cell (# %% tags=["solution"])'
    )


def solution_blocks(lines: list[str], where: str) -> list[tuple[int, int]]:
    """Line indices of each (BEGIN, END) marker pair; errors on missing or unbalanced markers."""
    blocks: list[tuple[int, int]] = []
    start: int | None = None
    for number, line in enumerate(lines):
        if line.strip() == BEGIN:
            if start is not None:
                raise AssignmentError(
                    f"{where}: '{BEGIN}' on line {number + 1} comes before the '{END}' "
                    f"of the one on line {start + 1}"
                )
            start = number
        elif line.strip() == END:
            if start is None:
                raise AssignmentError(
                    f"{where}: '{END}' on line {number + 1} has no '{BEGIN}' before it"
                )
            blocks.append((start, number))
            start = None
    if start is not None:
        raise AssignmentError(f"{where}: '{BEGIN}' on line {start + 1} has no '{END}' after it")
    if not blocks:
        raise AssignmentError(
            f"{where}: tagged '{SOLUTION_TAG}' but has no '{BEGIN}' / '{END}' lines; "
            "put the answer between them"
        )
    return blocks


def load_chapters(notebooks: Path, numbers: list[str] | None = None) -> list[Chapter]:
    """The executed chapters ``notebooks/NN_*.ipynb`` (all, or those numbered ``numbers``)."""
    if not notebooks.is_dir():
        raise AssignmentError(
            f"notebooks folder {notebooks} does not exist; run from the repository root "
            "or pass --notebooks"
        )
    paths = sorted(notebooks.glob(CHAPTER_GLOB))
    if numbers:
        wanted = {_chapter_number(number) for number in numbers}
        missing = wanted - {path.name[:2] for path in paths}
        if missing:
            have = ", ".join(path.name[:2] for path in paths) or "none"
            raise AssignmentError(
                f"--chapters: no chapter {', '.join(sorted(missing))} in {notebooks} (have: {have})"
            )
        paths = [path for path in paths if path.name[:2] in wanted]
    if not paths:
        raise AssignmentError(f"no chapter notebooks {CHAPTER_GLOB} in {notebooks}")
    chapters = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        chapters.append(Chapter(path, notebook, find_exercises(notebook, path.stem)))
    return chapters


def _chapter_number(text: str) -> str:
    """``"1"``, ``"01"`` or ``"01_if_neuron"`` -> ``"01"``."""
    match = re.fullmatch(r"(\d{1,2})(_\w*)?", text)
    if not match:
        raise AssignmentError(f"--chapters: expected chapter numbers such as 01 or 3, got {text!r}")
    return f"{int(match[1]):02d}"


def clear_cell(cell: NotebookNode) -> None:
    """Drop outputs, execution counts, the ``solution`` tag and all other cell metadata but tags."""
    tags = [tag for tag in cell.get("metadata", {}).get("tags", []) if tag != SOLUTION_TAG]
    cell.metadata = nbformat.from_dict({"tags": tags} if tags else {})
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None


def stable_cell_ids(notebook: NotebookNode, salt: str) -> NotebookNode:
    """Give every cell of ``notebook`` an id that depends on its content only.

    A graded nbgrader cell takes its ``grade_id``; any other cell a digest of
    ``salt`` (the chapter), its type and its source, numbered when repeated.
    Rebuilding a hand-out from the same chapter gives the same ids, even after
    the chapter was executed again (which draws new random ids).
    """
    seen: dict[str, int] = {}
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            base = re.sub(r"[^A-Za-z0-9_-]", "-", grade_id)[:56]
        else:
            text = f"{salt}\0{cell.cell_type}\0{cell.source}".encode()
            base = "c" + hashlib.sha256(text).hexdigest()[:15]
        seen[base] = seen.get(base, 0) + 1
        cell["id"] = base if seen[base] == 1 else f"{base}-{seen[base]}"
    return notebook


def handout_metadata(notebook: NotebookNode) -> NotebookNode:
    """The notebook metadata a hand-out keeps: the kernel and language, not the widget state."""
    kept = ("kernelspec", "language_info")
    return nbformat.from_dict(
        {key: notebook.metadata[key] for key in kept if key in notebook.metadata}
    )
