"""nbgrader "source" notebooks from the chapters, for courses that already grade with nbgrader.

Our solution markers are nbgrader's own (``### BEGIN SOLUTION`` / ``### END SOLUTION``),
so a chapter needs only cell metadata to become an nbgrader source notebook.
Each exercise cell is split in two:

- an *autograded answer* cell (``solution: true``): the cell up to the checker
  call, markers included, which ``nbgrader generate_assignment`` stubs;
- an *autograder tests* cell (``grade: true``, locked, 1 point): the checker
  call turned into ``assert check_...(...)``, because nbgrader awards the points
  when the test cell runs without an error and our checkers report a wrong
  answer by returning a false :class:`~mlsnn_edu.classroom.CheckResult`.

Written by ``mlsnn-edu assignments build --nbgrader`` to
``OUTPUT/nbgrader/source/NN_name/NN_name.ipynb``, the layout of an nbgrader course folder.
"""

from __future__ import annotations

import ast
import copy
import re

import nbformat
from nbformat import NotebookNode

from mlsnn_edu.classroom.convention import (
    AssignmentError,
    Chapter,
    Exercise,
    clear_cell,
    handout_metadata,
)

SCHEMA_VERSION = 3  # nbgrader >= 0.6 reads it (checked with 0.9.6)


def nbgrader_source_notebook(chapter: Chapter) -> NotebookNode:
    """``chapter`` with each exercise cell split into an nbgrader answer cell and a test cell."""
    source = copy.deepcopy(chapter.notebook)
    exercises = {exercise.cell: exercise for exercise in chapter.exercises}
    cells = []
    parts: dict[str, int] = {}
    for index, cell in enumerate(source.cells):
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
        test_cell.metadata["nbgrader"] = _metadata(f"{grade_id}_tests", grade=True, locked=True)
        test_cell.metadata["nbgrader"]["points"] = 1
        cells += [cell, test_cell]
    source.cells = cells
    source.metadata = handout_metadata(chapter.notebook)
    return source


def _metadata(
    grade_id: str, solution: bool = False, grade: bool = False, locked: bool = False
) -> dict:
    return {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": SCHEMA_VERSION,
        "solution": solution,
        "task": False,
    }


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
