"""Whole notebooks: student versions, the exercise list, and writing them out safely.

Writing is safe for a lecturer's work too: :func:`build_assignments` records
what it wrote (a digest per file, in ``OUTPUT/.mlsnn-edu-build.json``) and
refuses, naming them, to overwrite files edited since (or never written by
it) unless ``force=True`` (``--force``). It writes nothing through a symbolic
link inside the output folder. Cell ids are deterministic, so an unchanged
chapter rebuilds to identical files.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import textwrap
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from mlsnn_edu.classroom.convention import (
    RUBRIC_TAG,
    AssignmentError,
    Chapter,
    clear_cell,
    handout_metadata,
    load_chapters,
    required_exercises,
    solution_blocks,
    stable_cell_ids,
)
from mlsnn_edu.classroom.nbgrader import nbgrader_source_notebook
from mlsnn_edu.classroom.stubs import stub_source
from mlsnn_edu.files import refuse_links, write_atomically

EXPECTED_ERROR_TAG = "raises-exception"
LIST_BEGIN = "<!-- BEGIN EXERCISE LIST (mlsnn-edu assignments list --update-page) -->"
LIST_END = "<!-- END EXERCISE LIST -->"
#: What a build wrote, in the output folder: relative path -> SHA-256 of the file's bytes.
MANIFEST_NAME = ".mlsnn-edu-build.json"
MANIFEST_FORMAT = "mlsnn-edu-handouts-1"


def student_notebook(chapter: Chapter) -> NotebookNode:
    """The hand-out version of ``chapter``: stubs for solutions, no outputs, no solution tags.

    Rubric cells (tagged ``rubric``) are left out; cell ids are deterministic.
    """
    student = copy.deepcopy(chapter.notebook)
    exercises = {exercise.cell: exercise for exercise in chapter.exercises}
    kept = []
    for index, cell in enumerate(student.cells):
        if RUBRIC_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        clear_cell(cell)
        if index in exercises:
            where = f"{chapter.name}, cell {index}"
            cell.source = stub_source(cell.source, exercises[index].title, where)
            cell.metadata.setdefault("tags", []).append(EXPECTED_ERROR_TAG)
        kept.append(cell)
    student.cells = kept
    student.metadata = handout_metadata(chapter.notebook)
    return stable_cell_ids(student, chapter.name)


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
    notebooks: Path,
    output: Path,
    numbers: list[str] | None = None,
    nbgrader: bool = False,
    *,
    force: bool = False,
    rubrics: dict[str, str] | None = None,
) -> list[Path]:
    """Write the student notebooks and their README into ``output``; return the paths written.

    Every chapter is converted and checked, and every target checked (no link,
    no edited file unless ``force``), before the first file is written, so a
    refused build leaves ``output`` as it was. ``rubrics`` fill the nbgrader
    notebooks' written answers (see :func:`~mlsnn_edu.classroom.nbgrader.read_rubrics`).
    """
    chapters = load_chapters(notebooks, numbers)
    files = {output / f"{chapter.name}.ipynb": student_notebook(chapter) for chapter in chapters}
    if nbgrader:
        for chapter in chapters:
            source = output / "nbgrader" / "source" / chapter.name / f"{chapter.name}.ipynb"
            files[source] = nbgrader_source_notebook(chapter, rubrics)
    texts = {path: nbformat.writes(notebook) + "\n" for path, notebook in files.items()}
    texts[output / "README.md"] = assignments_readme(chapters)
    manifest = read_manifest(output)
    check_targets(output, texts, manifest, force)
    for path, text in texts.items():
        data = text.encode("utf-8")
        if not (path.is_file() and path.read_bytes() == data):
            write_atomically(path, data)
        manifest[path.relative_to(output).as_posix()] = _digest(data)
    write_manifest(output, manifest)
    return list(texts)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(output: Path) -> dict[str, str]:
    """What the last build wrote into ``output`` (empty if none, or if unreadable)."""
    path = output / MANIFEST_NAME
    refuse_links(path, "--output")
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = recorded.get("files") if isinstance(recorded, dict) else None
    if not isinstance(files, dict):
        return {}
    return {str(k): str(v) for k, v in files.items()}


def write_manifest(output: Path, files: dict[str, str]) -> None:
    text = json.dumps({"format": MANIFEST_FORMAT, "files": dict(sorted(files.items()))}, indent=1)
    write_atomically(output / MANIFEST_NAME, text + "\n")


def check_targets(
    output: Path, texts: dict[Path, str], manifest: dict[str, str], force: bool
) -> None:
    """Refuse links anywhere below ``output``, and files edited since the last build.

    A file is edited when it exists, differs from what this build writes, and
    is not byte for byte what the last build wrote (or no build wrote it).
    """
    edited = []
    for path, text in texts.items():
        refuse_links(path, "--output", below=output)
        if path.exists() and not path.is_file():
            raise AssignmentError(f"--output: {path} is a folder; move it away to build here")
        if not path.is_file():
            continue
        current = _digest(path.read_bytes())
        relative = path.relative_to(output).as_posix()
        if current != _digest(text.encode("utf-8")) and manifest.get(relative) != current:
            edited.append(relative)
    if edited and not force:
        shown = ", ".join(edited[:5]) + (f" and {len(edited) - 5} more" if len(edited) > 5 else "")
        raise AssignmentError(
            f"--output {output}: {len(edited)} file(s) were edited since the last build, or not "
            f"written by it: {shown}. Nothing was written; copy your edits elsewhere, or pass "
            "--force to overwrite them"
        )


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
