"""Whole notebooks: student versions, the exercise list, and writing them out safely."""

from __future__ import annotations

import ast
import copy
import textwrap
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from mlsnn_edu.classroom.convention import (
    AssignmentError,
    Chapter,
    clear_cell,
    handout_metadata,
    load_chapters,
    required_exercises,
    solution_blocks,
)
from mlsnn_edu.classroom.nbgrader import nbgrader_source_notebook
from mlsnn_edu.classroom.stubs import stub_source
from mlsnn_edu.files import write_atomically

EXPECTED_ERROR_TAG = "raises-exception"
LIST_BEGIN = "<!-- BEGIN EXERCISE LIST (mlsnn-edu assignments list --update-page) -->"
LIST_END = "<!-- END EXERCISE LIST -->"


def student_notebook(chapter: Chapter) -> NotebookNode:
    """The hand-out version of ``chapter``: stubs for solutions, no outputs, no solution tags."""
    student = copy.deepcopy(chapter.notebook)
    exercises = {exercise.cell: exercise for exercise in chapter.exercises}
    for index, cell in enumerate(student.cells):
        clear_cell(cell)
        if index in exercises:
            where = f"{chapter.name}, cell {index}"
            cell.source = stub_source(cell.source, exercises[index].title, where)
            cell.metadata.setdefault("tags", []).append(EXPECTED_ERROR_TAG)
    student.metadata = handout_metadata(chapter.notebook)
    return student


def exercise_problems(chapters: list[Chapter]) -> list[str]:
    """What stops the chapters from being graded: too few exercises, no checker call, or
    a later cell that needs a solution (it would fail in the student version)."""
    problems = []
    for chapter in chapters:
        problems += solution_dependencies(chapter)
        needed = required_exercises(chapter.number)
        if chapter.graded < needed:
            problems.append(
                f"{chapter.name}: {chapter.graded} graded exercise(s), chapter {chapter.number} "
                f"needs at least {needed}"
            )
        for exercise in chapter.exercises:
            if exercise.checker is None:
                problems.append(
                    f"{chapter.name}, cell {exercise.cell} (Exercise {exercise.title}): "
                    "no check_*(...) call after the solution markers"
                )
    return problems


def solution_dependencies(chapter: Chapter) -> list[str]:
    """Cells outside the exercises that read a name which, so far, only a solution has defined."""
    exercise_cells = {exercise.cell for exercise in chapter.exercises}
    answered: set[str] = set()  # bound between the markers of earlier exercises
    defined: set[str] = set()  # bound by earlier cells that students receive as they are
    problems = []
    for index, cell in enumerate(chapter.notebook.cells):
        if cell.cell_type != "code":
            continue
        if index in exercise_cells:
            lines = cell.source.split("\n")
            for begin, end in solution_blocks(lines, f"{chapter.name}, cell {index}"):
                answered |= _names(textwrap.dedent("\n".join(lines[begin + 1 : end])), ast.Store)
            continue
        bound = _names(cell.source, ast.Store)
        if needed := (_names(cell.source, ast.Load) & answered) - defined - bound:
            problems.append(
                f"{chapter.name}, cell {index}: uses {', '.join(sorted(needed))}, which only a "
                "solution defines, so the student version would fail there"
            )
        defined |= bound
    return problems


def _names(source: str, context: type[ast.expr_context]) -> set[str]:
    """Names that ``source`` binds (``ast.Store``) or reads (``ast.Load``); none if it does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, context):
            names.add(node.id)
        elif context is ast.Store and isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        ):
            names.add(node.name)
        elif context is ast.Store and isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


def exercise_listing(chapters: list[Chapter]) -> str:
    """A markdown table of every exercise, the same for the README and the instructors' page."""
    rows = ["| Chapter | Exercise | Kind | Checker |", "|---|---|---|---|"]
    for chapter in chapters:
        seen = set()
        for exercise in chapter.exercises:
            if exercise.heading in seen:
                continue
            seen.add(exercise.heading)
            checker = f"`{exercise.checker}`" if exercise.checker else "—"
            rows.append(f"| {chapter.name} | {exercise.title} | {exercise.kind} | {checker} |")
    return "\n".join(rows) + "\n"


def assignments_readme(chapters: list[Chapter]) -> str:
    """The README written next to the student notebooks."""
    times = ["| Notebook | Graded exercises | Run time of the full chapter |", "|---|---|---|"]
    for chapter in chapters:
        seconds = chapter.recorded_seconds()
        shown = (
            f"{seconds:.0f} s (last recorded execution)" if seconds is not None else "not recorded"
        )
        times.append(f"| `{chapter.name}.ipynb` | {chapter.graded} | {shown} |")
    return "\n".join(
        [
            "# Assignments: student versions of the chapters",
            "",
            "Generated by `mlsnn-edu assignments build` from the executed chapters in `notebooks/`;",
            "do not edit by hand. Each notebook is its chapter with every solution replaced by a stub",
            'that raises `NotImplementedError("exercise: ...")` and every output cleared. A student',
            "replaces the stub, runs the cell, and the checker call that follows prints `[pass]` or",
            "`[not yet]` with a hint.",
            "",
            *times,
            "",
            "## Exercises",
            "",
            exercise_listing(chapters),
        ]
    )


def build_assignments(
    notebooks: Path, output: Path, numbers: list[str] | None = None, nbgrader: bool = False
) -> list[Path]:
    """Write the student notebooks and their README into ``output``; return the paths written.

    Every chapter is converted and checked before the first file is written, so a
    broken chapter leaves ``output`` as it was.
    """
    chapters = load_chapters(notebooks, numbers)
    files = {output / f"{chapter.name}.ipynb": student_notebook(chapter) for chapter in chapters}
    if nbgrader:
        for chapter in chapters:
            source = output / "nbgrader" / "source" / chapter.name / f"{chapter.name}.ipynb"
            files[source] = nbgrader_source_notebook(chapter)
    texts = {path: nbformat.writes(notebook) + "\n" for path, notebook in files.items()}
    texts[output / "README.md"] = assignments_readme(chapters)
    for path, text in texts.items():
        write_atomically(path, text)
    return list(texts)


def update_page(page: Path, listing: str) -> bool:
    """Replace the exercise list between the markers in ``page``; return whether it changed."""
    text = page.read_text(encoding="utf-8")
    before, found_begin, rest = text.partition(LIST_BEGIN)
    old, found_end, after = rest.partition(LIST_END)
    if not (found_begin and found_end):
        raise AssignmentError(f"{page}: needs the lines {LIST_BEGIN} and {LIST_END}")
    new = f"{before}{LIST_BEGIN}\n\n{listing}\n{LIST_END}{after}"
    if new != text:
        write_atomically(page, new)
    return new != text


def page_listing(page: Path) -> str:
    """The exercise list currently between the markers in ``page``."""
    text = page.read_text(encoding="utf-8")
    return text.partition(LIST_BEGIN)[2].partition(LIST_END)[0].strip() + "\n"
