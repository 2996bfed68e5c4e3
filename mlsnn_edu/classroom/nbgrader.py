"""nbgrader "source" notebooks from the chapters, for courses that already grade with nbgrader.

Our solution markers are nbgrader's own (``### BEGIN SOLUTION`` / ``### END SOLUTION``),
so a chapter needs only cell metadata to become an nbgrader source notebook.
Each exercise cell is split in two:

- an *autograded answer* cell (``solution: true``): the cell up to the checker
  call, markers included, which ``nbgrader generate_assignment`` stubs;
- an *autograder tests* cell (``grade: true``, locked, :data:`TEST_POINTS`
  point): the checker call turned into ``assert check_...(...)``, because
  nbgrader awards the points when the test cell runs without an error and our
  checkers report a wrong answer by returning a false
  :class:`~mlsnn_edu.classroom.CheckResult`.

A written-answer exercise (kind ``investigate`` or ``explain``) gets, after
its last test cell, a locked prompt and a *manually graded answer* cell
(markdown, ``solution`` and ``grade``, :data:`WRITTEN_POINTS` points). The
source notebook holds the grading rubric in that cell (nbgrader gives students
"YOUR ANSWER HERE" instead): the chapter's markdown cells tagged ``rubric``
after the exercise; else the exercise's row of the table under
:data:`RUBRIC_SECTION` on the teachers' page (:func:`read_rubrics`); else a
pointer to that page.

Every cell has a deterministic id (:func:`~mlsnn_edu.classroom.convention.stable_cell_ids`);
graded cells take their ``grade_id``, so rebuilding keeps the keys nbgrader's
database holds.

Written by ``mlsnn-edu assignments build --nbgrader`` to
``OUTPUT/nbgrader/source/NN_name/NN_name.ipynb``, the layout of an nbgrader course folder.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from mlsnn_edu.classroom.convention import (
    ANY_HEADING,
    RUBRIC_TAG,
    AssignmentError,
    Chapter,
    Exercise,
    clear_cell,
    handout_metadata,
    stable_cell_ids,
)

SCHEMA_VERSION = 3  # nbgrader >= 0.6 reads it (checked with 0.9.6)
#: Points of an autograded test cell and of a manually graded written answer.
TEST_POINTS = 1
WRITTEN_POINTS = 2
#: Exercise kinds (the heading's trailing "(kind)") that also ask for a written answer.
WRITTEN_KINDS = ("investigate", "explain")
#: The teachers' page section whose table gives each written answer's rubric.
RUBRIC_SECTION = "## Rubrics for the written answers"
RUBRIC_LEVELS = ("weak", "adequate", "strong")


def read_rubrics(page: Path) -> dict[str, str]:
    """Exercise number (``"2.3"``) -> its rubric, from the table under :data:`RUBRIC_SECTION`.

    The table has one row per exercise: ``| 2.3 — title | weak | adequate | strong |``.
    """
    try:
        text = page.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise AssignmentError(f"--rubrics {page} cannot be read ({error})") from None
    _, found, section = text.partition(RUBRIC_SECTION)
    if not found:
        raise AssignmentError(f"--rubrics {page} has no section '{RUBRIC_SECTION}'")
    rubrics = {}
    for line in section.split("\n## ", 1)[0].splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 1 + len(RUBRIC_LEVELS) or not re.match(r"\d+\.\d+", cells[0]):
            continue  # prose, the header or the separator row
        levels = zip(RUBRIC_LEVELS, cells[1:])
        rubrics[cells[0].split()[0]] = "\n".join(f"- **{name}**: {text}" for name, text in levels)
    return rubrics


def nbgrader_source_notebook(
    chapter: Chapter, rubrics: dict[str, str] | None = None
) -> NotebookNode:
    """``chapter`` with each exercise cell split into an nbgrader answer cell and a test cell.

    ``rubrics`` (exercise number -> text, see :func:`read_rubrics`) fill the
    written answers' cells where the chapter has no ``rubric`` cell.
    """
    source = copy.deepcopy(chapter.notebook)
    exercises = {exercise.cell: exercise for exercise in chapter.exercises}
    last_part = {exercise.heading: exercise.cell for exercise in chapter.exercises}
    cells = []
    parts: dict[str, int] = {}
    for index, cell in enumerate(source.cells):
        if RUBRIC_TAG in cell.get("metadata", {}).get("tags", []):
            continue  # it goes into the written answer's cell below
        clear_cell(cell)
        if index not in exercises:
            cells.append(cell)
            continue
        answer, test = _split_at_checker(cell.source, f"{chapter.name}, cell {index}")
        exercise = exercises[index]
        parts[exercise.heading] = parts.get(exercise.heading, 0) + 1
        grade_id = _grade_id(exercise, parts[exercise.heading])
        cell.source = answer
        cell.metadata["nbgrader"] = _metadata(f"{grade_id}_answer", solution=True)
        test_cell = nbformat.v4.new_code_cell(test)
        test_cell.metadata["nbgrader"] = _metadata(
            f"{grade_id}_tests", grade=True, locked=True, points=TEST_POINTS
        )
        cells += [cell, test_cell]
        if exercise.kind in WRITTEN_KINDS and last_part[exercise.heading] == index:
            cells += written_answer_cells(exercise, rubric_text(chapter, index, rubrics or {}))
    source.cells = cells
    source.metadata = handout_metadata(chapter.notebook)
    return stable_cell_ids(source, chapter.name)


def written_answer_cells(exercise: Exercise, rubric: str) -> list[NotebookNode]:
    """A locked prompt and the manually graded markdown answer cell holding ``rubric``."""
    number = exercise.title.split()[0]
    prompt = nbformat.v4.new_markdown_cell(
        f"**Exercise {number}, written answer** ({WRITTEN_POINTS} points, graded by hand). "
        "In a few sentences, in the cell below: how did you find your answer, and why does "
        "it come out as it does?"
    )
    grade_id = _grade_id(exercise, 1)
    prompt.metadata["nbgrader"] = _metadata(f"{grade_id}_written_prompt", locked=True)
    answer = nbformat.v4.new_markdown_cell(rubric)
    answer.metadata["nbgrader"] = _metadata(
        f"{grade_id}_written", solution=True, grade=True, points=WRITTEN_POINTS
    )
    return [prompt, answer]


def rubric_text(chapter: Chapter, solution_cell: int, rubrics: dict[str, str]) -> str:
    """The rubric of the exercise answered at ``solution_cell``, for the graders.

    The chapter's markdown cells tagged ``rubric`` that follow the solution cell
    before the next heading; else ``rubrics[number]``; else a pointer to the
    teachers' page.
    """
    found = []
    for cell in chapter.notebook.cells[solution_cell + 1 :]:
        tags = cell.get("metadata", {}).get("tags", [])
        if RUBRIC_TAG in tags:
            found.append(cell.source.strip())
        elif cell.cell_type == "markdown" and ANY_HEADING.search(cell.source):
            break
    exercise_number = next(e.title.split()[0] for e in chapter.exercises if e.cell == solution_cell)
    header = (
        f"Rubric for graders (nbgrader shows students YOUR ANSWER HERE instead): "
        f"Exercise {exercise_number}."
    )
    body = (
        "\n\n".join(found)
        or rubrics.get(exercise_number)
        or (
            f"Grade with the rubric of Exercise {exercise_number} on the book's page "
            f'"For instructors", section "{RUBRIC_SECTION.lstrip("# ")}" (what a weak, '
            "an adequate and a strong answer says)."
        )
    )
    return f"{header}\n\n{body}"


def _metadata(
    grade_id: str,
    solution: bool = False,
    grade: bool = False,
    locked: bool = False,
    points: int | None = None,
) -> dict:
    """nbgrader's cell metadata (schema 3); ``points`` only on graded cells."""
    metadata = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": SCHEMA_VERSION,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        metadata["points"] = points
    return metadata


def _grade_id(exercise: Exercise, part: int) -> str:
    """``"ex_1_1"`` for exercise 1.1, ``"ex_1_1_part2"`` for its second solution cell.

    Stable while the chapter is edited around it, as nbgrader's database expects.
    """
    label = re.sub(r"[^A-Za-z0-9]+", "_", exercise.title.split()[0]).strip("_")
    return f"ex_{label}" + (f"_part{part}" if part > 1 else "")


def _split_at_checker(source: str, where: str) -> tuple[str, str]:
    """Split ``source`` before its last top-level ``check_*(...)`` call; assert on the call."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise AssignmentError(
            f"{where}: cannot export to nbgrader, not plain Python ({error.msg})"
        ) from error
    call = tree.body[-1] if tree.body else None
    if not (
        isinstance(call, ast.Expr)
        and isinstance(call.value, ast.Call)
        and isinstance(call.value.func, ast.Name)
        and call.value.func.id.startswith("check_")
    ):
        raise AssignmentError(
            f"{where}: cannot export to nbgrader; the cell must end with a call such as "
            "check_if_step(if_step)"
        )
    lines = source.split("\n")
    first = call.lineno - 1
    answer = "\n".join(lines[:first]).rstrip()
    test = lines[first][: call.col_offset] + "assert " + "\n".join(lines[first:])[call.col_offset :]
    return answer, test.rstrip()
