"""Execute chapter sources, check that each .ipynb twin matches its source, and
check executed chapters against the committed twins' outputs.

    python tools/notebooks.py execute [notebooks/03_*.py ...]   # all chapters when none named
    python tools/notebooks.py execute --out book/_build/executed # into a build folder
    python tools/notebooks.py drift                              # exit 1 if a twin drifted
    python tools/notebooks.py check [book/_build/executed]       # exit 1 on an error or drift

A chapter's source is ``notebooks/NN_name.py`` (jupytext py:percent). ``execute``
runs it top to bottom in a fresh kernel in quick mode (working directory
``notebooks/``), writes the executed ``.ipynb`` next to it, and prints the wall
time. With ``--out DIR`` it writes the executed notebooks to ``DIR`` instead and
leaves ``notebooks/`` alone; a chapter that fails is written up to its failing
cell and the others still run, and the command then exits 1 naming each failure.
``tools/build-book.sh`` executes every chapter this way, once, and builds the
book from that folder; ``DIR/execution.json`` records each chapter's seconds.
``--jobs N`` (default: one per core, at most 4) runs N chapters side by side,
each kernel with cores / N threads.

``drift`` converts every ``.ipynb`` back to py:percent and compares it with its
source byte for byte (the filters in ``jupytext.toml`` make that round trip exact).

``execute --out`` also runs each chapter's hand-out in the same kernel (the
student notebook, solutions stubbed, then the solutions): one execution serves
the book, the regression check and the hand-out check.

``check`` is the notebook regression check, with nbval's lax rules applied to
notebooks that are already executed (so the book's execution serves both): each
executed chapter in the folder is set against its committed twin in
``notebooks/`` (``--against`` another folder), and it fails when

* a chapter has no executed notebook, or no committed twin, or their code cells
  differ (the twin is stale: ``drift`` names it);
* a code cell's execution produced an error (unless the cell is marked
  ``# NBVAL_RAISES_EXCEPTION`` or tagged ``raises-exception``);
* the chapter's hand-out was not run, a stub raised anything but the exercise's
  ``NotImplementedError``, or a solution run after the hand-out failed its checker;
* a cell marked ``# NBVAL_CHECK_OUTPUT`` (comment line, or the tag
  ``nbval-check-output``) has outputs that differ from the committed ones.
  They are compared as nbval compares them: streams of the same name merged,
  each output's fields and MIME types compared in order; images (PNG, JPEG),
  widget views, metadata, execution counts and tracebacks are not compared.

Other cells' outputs are not compared (timings, loss curves, figures), and
``# NBVAL_SKIP`` / ``# NBVAL_IGNORE_OUTPUT`` exempt a cell as they do in nbval.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import json
import os
import re
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from mlsnn_edu.classroom.convention import Chapter, find_exercises
from mlsnn_edu.classroom.handouts import student_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXECUTED = ROOT / "book" / "_build" / "executed"  # where tools/build-book.sh executes the chapters
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}
CHAPTER = "[0-9][0-9]_*"

# nbval's cell markers (a whole comment line) and their cell-tag spellings.
CHECK, IGNORE, RAISES, SKIP = (
    "NBVAL_CHECK_OUTPUT",
    "NBVAL_IGNORE_OUTPUT",
    "NBVAL_RAISES_EXCEPTION",
    "NBVAL_SKIP",
)
TAGS = {
    "nbval-check-output": CHECK,
    "nbval-ignore-output": IGNORE,
    "nbval-raises-exception": RAISES,
    "raises-exception": RAISES,
    "nbval-skip": SKIP,
}
# What nbval leaves out of a comparison (its defaults, without nbdime): output fields
# and MIME types that change from run to run or that it cannot compare as text.
NOT_COMPARED = frozenset(
    {
        "metadata",
        "traceback",
        "prompt_number",
        "output_type",
        "name",
        "execution_count",
        "application/vnd.jupyter.widget-view+json",  # model ids are random
        "image/png",
        "image/jpeg",
    }
)


def chapter_sources() -> list[Path]:
    return sorted(NOTEBOOKS.glob(f"{CHAPTER}.py"))


def as_text(notebook: nbformat.NotebookNode) -> str:
    config = jupytext.config.load_jupytext_config(str(NOTEBOOKS))
    return jupytext.writes(notebook, fmt="py:percent", config=config)


def execute(source: Path, timeout: int = 900, out: Path | None = None) -> float:
    """Execute ``source`` in quick mode and write the executed notebook; return seconds.

    Without ``out`` the notebook is its .ipynb twin next to ``source``, whose
    spacing is normalised to the round trip. With ``out`` (a folder) it is
    ``out/<name>.ipynb`` and ``source`` is left as it is; the kernel then runs
    the chapter's hand-out and its solutions in one go (:func:`handout_run`), and
    the book's notebook is taken from that run (:func:`book_from_handout_run`).
    When a cell fails, the notebook is written up to that cell before the error
    is raised.
    """
    chapter = jupytext.read(source)
    chapter.metadata["kernelspec"] = KERNEL
    os.environ.pop("MLSNN_EDU_FULL", None)  # the committed twins are always quick mode
    notebook = chapter if out is None else handout_run(chapter, source.stem)
    target = source.with_suffix(".ipynb") if out is None else out / f"{source.stem}.ipynb"
    start = time.perf_counter()
    try:
        NotebookClient(
            notebook,
            timeout=timeout,
            # nbclient waits 60 s for a new kernel; on two cores busy with torch (the unit
            # tests' workers) one took longer, and the test failed without a fault
            startup_timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOKS)}},
        ).execute()
    finally:
        elapsed = time.perf_counter() - start
        if out is not None:  # the failing cell's error is in the notebook: check reports it
            write_notebook(book_from_handout_run(chapter, notebook), target)
    if out is None:
        write_notebook(notebook, target)
        source.write_text(as_text(notebook), encoding="utf-8")  # normalise the source's spacing
    return elapsed


# --- one execution for the book and for the hand-out -------------------------------------------
#
# Every chapter ends with its exercises, and no other code cell follows the first of them.
# So one kernel can run the hand-out as a student receives it (each solution replaced by
# a stub that raises NotImplementedError) and then each original solution cell: the
# chapter's code cells run in the book's order, with the stubs in between, which raise
# before they change anything. The book keeps the chapter's cells with the outputs of
# that run; the stubs' errors and the solutions' checker verdicts are kept for ``check``.

HANDOUT_KEY = "mlsnn_edu_handout"  # notebook metadata: what the hand-out run found


def handout_run(chapter: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The hand-out of ``chapter`` (stubs for solutions) followed by the solution cells."""
    exercises = find_exercises(chapter, name)
    if exercises:
        first = min(exercise.cell for exercise in exercises)
        solutions = {exercise.cell for exercise in exercises}
        for index, cell in enumerate(chapter.cells[first:], start=first):
            if cell.cell_type == "code" and index not in solutions:
                raise ValueError(
                    f"{name}, cell {index}: a code cell after the first exercise; exercises "
                    "close a chapter, so the hand-out and the book can share one run"
                )
    run = student_notebook(Chapter(Path(f"{name}.ipynb"), chapter, exercises))
    run.metadata = copy.deepcopy(chapter.metadata)
    run.metadata[HANDOUT_KEY] = {"stubs": len(exercises)}
    for exercise in exercises:
        solution = copy.deepcopy(chapter.cells[exercise.cell])
        solution.metadata.setdefault("tags", []).append("handout-solution")
        run.cells.append(solution)
    return run


def book_from_handout_run(
    chapter: nbformat.NotebookNode, run: nbformat.NotebookNode
) -> nbformat.NotebookNode:
    """The chapter with the outputs of :func:`handout_run`'s execution, and what it found.

    Code cells take the outputs of their twin in the run (an exercise's solution cell,
    those of the solution appended at the end), numbered as one plain run numbers them.
    ``metadata[HANDOUT_KEY]["problems"]`` lists the stubs that did not raise the
    exercise's NotImplementedError and the solutions whose checker did not pass.
    """
    if HANDOUT_KEY not in run.metadata:  # executed as it is (no hand-out run)
        return run
    book = copy.deepcopy(chapter)
    book.metadata.update({k: v for k, v in run.metadata.items() if k != HANDOUT_KEY})
    stubs = run.metadata[HANDOUT_KEY]["stubs"]
    ran = [cell for cell in run.cells if cell.cell_type == "code"]
    student, solutions = ran[: len(ran) - stubs], ran[len(ran) - stubs :]
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    problems = []
    solution_outputs = iter(solutions)
    for count, (cell, twin) in enumerate(zip(code, student, strict=True), start=1):
        executed = twin
        if "solution" in cell.get("metadata", {}).get("tags", []):
            executed = next(solution_outputs)
            problems += _stub_problems(twin, opening(cell))
            problems += _solution_problems(executed, opening(cell))
        cell.outputs = executed.get("outputs", [])
        cell.execution_count = count if executed.get("execution_count") is not None else None
        if "execution" in executed.get("metadata", {}):
            cell.metadata["execution"] = executed.metadata["execution"]
    book.metadata[HANDOUT_KEY] = {"stubs": stubs, "problems": problems}
    return book


def _stub_problems(stub: nbformat.NotebookNode, name: str) -> list[str]:
    errors = [out for out in stub.get("outputs", []) if out.get("output_type") == "error"]
    if stub.get("execution_count") is None:
        return [f"hand-out cell ({name!r}): never ran"]
    if [e.get("ename") for e in errors] != ["NotImplementedError"] or not str(
        errors[0].get("evalue", "")
    ).startswith("exercise: "):
        found = ", ".join(f"{e.get('ename')}: {e.get('evalue')}" for e in errors) or "nothing"
        return [
            f"hand-out stub ({name!r}) should raise the exercise's NotImplementedError, raised {found}"
        ]
    return []


def _solution_problems(solution: nbformat.NotebookNode, name: str) -> list[str]:
    if solution.get("execution_count") is None:
        return [f"solution ({name!r}): never ran"]
    text = "".join(out.get("text", "") for out in solution.get("outputs", []))
    if "[pass]" not in text or "[not yet]" in text:
        return [f"solution ({name!r}) did not pass its checker after the hand-out ran: {text!r}"]
    return []


def write_notebook(notebook: nbformat.NotebookNode, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".ipynb.tmp")
    nbformat.write(notebook, tmp)
    tmp.replace(target)


def default_jobs() -> int:
    """Chapters executed side by side: one per core, at most four."""
    return max(1, min(4, os.cpu_count() or 1))


def execute_into(out: Path, sources: list[Path], jobs: int = 1) -> list[str]:
    """Execute each source into ``out``, carrying on past a failure; return the failures.

    With ``jobs`` > 1 that many chapters run side by side, the longest first (as
    their committed twins last ran), each kernel with ``cores // jobs`` threads:
    on two cores, two single-threaded kernels finish the book in about 60 % of
    the time one two-threaded kernel takes. ``out/execution.json`` records each
    chapter's seconds (under that sharing) and the failed chapters.
    """
    out.mkdir(parents=True, exist_ok=True)
    threads = max(1, (os.cpu_count() or 1) // max(jobs, 1))
    ordered = sorted(sources, key=_last_seconds, reverse=True)
    jobs = min(jobs, len(ordered))
    print(f"executing {len(ordered)} chapter(s) into {out}, {jobs} at a time", flush=True)
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            futures = [pool.submit(_execute_one, source, out, threads) for source in ordered]
            for source, future in zip(ordered, futures, strict=True):
                future.add_done_callback(
                    lambda done, name=source.name: _report(name, *done.result())
                )
            results = [future.result() for future in futures]
    else:
        results = []
        for source in ordered:
            results.append(_execute_one(source, out, None))
            _report(source.name, *results[-1])
    seconds = {source.stem: elapsed for source, (elapsed, _) in zip(ordered, results, strict=True)}
    failures = [failure for _, failure in results if failure is not None]
    record = {
        "seconds": dict(sorted(seconds.items())),
        "failed": [f.split(":", 1)[0] for f in failures],
        "jobs": jobs,
    }
    (out / "execution.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return failures


def _last_seconds(source: Path) -> float:
    twin = source.with_suffix(".ipynb")
    if not twin.exists():
        return 0.0
    notebook = nbformat.read(twin, as_version=4)
    return Chapter(twin, notebook, []).recorded_seconds() or 0.0


def _execute_one(source: Path, out: Path, threads: int | None) -> tuple[float, str | None]:
    """Execute one chapter into ``out``: (seconds, the failure or None). Runs in a worker."""
    if threads is not None:  # the kernels this process starts inherit its environment
        os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(threads)
    start = time.perf_counter()
    try:
        elapsed = round(execute(source, out=out), 1)
    except CellExecutionError as error:  # nbclient's message carries the traceback
        return round(time.perf_counter() - start, 1), f"{source.name}: a cell failed\n{error}"
    return elapsed, None


def _report(name: str, seconds: float, failure: str | None) -> None:
    print(f"{name}: {'FAILED after ' if failure else ''}{seconds:.1f} s", flush=True)


def drift() -> list[str]:
    """Names of chapters whose .ipynb does not convert back to their .py exactly."""
    problems = []
    for source in chapter_sources():
        twin = source.with_suffix(".ipynb")
        if not twin.exists():
            problems.append(f"{source.name}: no executed twin {twin.name}")
        elif as_text(nbformat.read(twin, as_version=4)) != source.read_text(encoding="utf-8"):
            problems.append(
                f"{twin.name} differs from {source.name}: re-run tools/notebooks.py execute"
            )
    return problems


def markers(cell: nbformat.NotebookNode) -> set[str]:
    """nbval's markers on ``cell``: whole comment lines, or cell tags."""
    found = set()
    for line in cell.source.splitlines():
        line = line.strip()
        if line.startswith("#") and line.lstrip("#").strip() in (CHECK, IGNORE, RAISES, SKIP):
            found.add(line.lstrip("#").strip())
    found.update(TAGS[tag] for tag in cell.get("metadata", {}).get("tags", []) if tag in TAGS)
    return found


def merged_streams(outputs: list) -> list[dict]:
    """The outputs with same-named streams merged into the first, ``\\r`` and ``\\b`` applied.

    This is nbval's ``coalesce_streams``: how text reached the stream (one print
    or several flushes) is not part of the output.
    """
    merged: list[dict] = []
    streams: dict[str, dict] = {}
    for output in outputs:
        output = dict(output)
        if output.get("output_type") == "stream":
            if output["name"] in streams:
                streams[output["name"]]["text"] += output["text"]
                continue
            streams[output["name"]] = output
        merged.append(output)
    for output in streams.values():
        text = output["text"]
        while True:  # a backspace erases the character before it
            shorter = re.sub(r"[^\n]\x08", "", text)
            if shorter == text:
                break
            text = shorter
        output["text"] = re.sub(r"^.*\r(?=[^\n])", "", text, flags=re.MULTILINE)
    return merged


def comparable(outputs: list) -> dict[str, list]:
    """Outputs as nbval compares them: each field or MIME type -> its values, in order.

    A stream's text is filed under its name (``stdout``, ``stderr``); the fields
    in ``NOT_COMPARED`` are left out.
    """
    values: dict[str, list] = defaultdict(list)
    for output in merged_streams(outputs):
        if output.get("output_type") == "stream":
            output = {output["name"]: output["text"]}
        for key, value in output.items():
            if key in NOT_COMPARED:
                continue
            if key == "data":
                for mime, content in value.items():
                    if mime not in NOT_COMPARED:
                        values[mime].append(content)
            else:
                values[key].append(value)
    return dict(values)


def as_lines(value: object) -> list[str]:
    text = value if isinstance(value, str) else json.dumps(value, indent=1, sort_keys=True)
    return text.splitlines()


def output_differences(executed: list, committed: list) -> list[str]:
    """How ``executed`` outputs differ from the ``committed`` ones (empty when they agree)."""
    new, old = comparable(executed), comparable(committed)
    if set(new) != set(old):
        return [
            f"output fields differ: committed {sorted(old)}, executed {sorted(new)}"
            + "".join(f"\n    executed {key}: {new[key]!r}" for key in sorted(set(new) - set(old)))
        ]
    problems = []
    for key in sorted(old):
        if len(new[key]) != len(old[key]):
            problems.append(f"{key}: {len(old[key])} committed outputs, {len(new[key])} executed")
            continue
        for was, now in zip(old[key], new[key], strict=True):
            if was != now:
                diff = difflib.unified_diff(
                    as_lines(was), as_lines(now), "committed", "executed", lineterm=""
                )
                problems.append(f"{key} differs:\n    " + "\n    ".join(list(diff)[:40]))
    return problems


def opening(cell: nbformat.NotebookNode) -> str:
    """The first line of code in ``cell`` (past its comments), to name it in a report."""
    lines = [line.strip() for line in cell.source.splitlines()]
    return next((line[:60] for line in lines if line and not line.startswith("#")), "")


def compare_notebooks(
    executed: nbformat.NotebookNode, committed: nbformat.NotebookNode, name: str
) -> list[str]:
    """nbval-lax problems of one executed chapter against its committed twin."""
    problems = []
    handout = executed.metadata.get(HANDOUT_KEY)
    if handout is None:
        problems.append(
            f"{name}: its hand-out was not run (execute it with tools/notebooks.py execute --out)"
        )
    else:
        problems += [f"{name}: {problem}" for problem in handout["problems"]]
    new_cells = [cell for cell in executed.cells if cell.cell_type == "code"]
    old_cells = [cell for cell in committed.cells if cell.cell_type == "code"]
    for number, cell in enumerate(new_cells, start=1):
        found = markers(cell)
        errors = [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]
        if errors and not found & {RAISES, SKIP}:
            error = errors[0]
            problems.append(
                f"{name}, code cell {number} ({opening(cell)!r}): raised "
                f"{error.get('ename')}: {error.get('evalue')}"
            )
    if [cell.source for cell in new_cells] != [cell.source for cell in old_cells]:
        problems.append(
            f"{name}: its code cells differ from the committed twin's "
            "(tools/notebooks.py drift names the stale twin); outputs not compared"
        )
        return problems
    for number, (new, old) in enumerate(zip(new_cells, old_cells, strict=True), start=1):
        found = markers(new)
        if CHECK not in found or found & {IGNORE, SKIP}:
            continue
        for difference in output_differences(new.get("outputs", []), old.get("outputs", [])):
            problems.append(f"{name}, code cell {number} ({opening(new)!r}): {difference}")
    return problems


def check(executed_dir: Path = EXECUTED, committed_dir: Path = NOTEBOOKS) -> list[str]:
    """Every nbval-lax problem of the executed chapters in ``executed_dir``."""
    executed = {path.name: path for path in executed_dir.glob(f"{CHAPTER}.ipynb")}
    committed = {path.name: path for path in committed_dir.glob(f"{CHAPTER}.ipynb")}
    problems = [
        f"{name}: not executed in {executed_dir} (run bash tools/build-book.sh)"
        for name in sorted(set(committed) - set(executed))
    ]
    problems += [
        f"{name}: executed, but no committed twin in {committed_dir}"
        for name in sorted(set(executed) - set(committed))
    ]
    for name in sorted(set(executed) & set(committed)):
        problems += compare_notebooks(
            nbformat.read(executed[name], as_version=4),
            nbformat.read(committed[name], as_version=4),
            name,
        )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("execute", help="execute chapter sources into their .ipynb twins")
    run.add_argument("sources", nargs="*", type=Path)
    run.add_argument(
        "--out", type=Path, help="write the executed notebooks here, not next to the sources"
    )
    run.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        help="with --out: chapters executed side by side (default: one per core, at most 4)",
    )
    sub.add_parser("drift", help="check that every .ipynb converts back to its .py source")
    regression = sub.add_parser(
        "check", help="check executed chapters against the committed twins (nbval's lax rules)"
    )
    regression.add_argument("executed", nargs="?", type=Path, default=EXECUTED)
    regression.add_argument("--against", type=Path, default=NOTEBOOKS)
    args = parser.parse_args(argv)
    if args.command == "execute":
        sources = [source.resolve() for source in args.sources] or chapter_sources()
        if args.out is not None:
            failures = execute_into(args.out.resolve(), sources, jobs=max(1, args.jobs))
            for failure in failures:
                print(failure)
            return 1 if failures else 0
        for source in sources:
            print(f"{source.name}: executing ...", flush=True)
            print(f"{source.name}: {execute(source):.1f} s", flush=True)
        return 0
    if args.command == "check":
        if not args.executed.is_dir():
            print(f"no executed chapters in {args.executed}: run bash tools/build-book.sh")
            return 1
        problems = check(args.executed, args.against)
        for problem in problems:
            print(problem)
        count = len(list(args.executed.glob(f"{CHAPTER}.ipynb")))
        print(f"notebook regression: {count} executed chapters, {len(problems)} problems")
        return 1 if problems else 0
    problems = drift()
    for problem in problems:
        print(problem)
    print(f"drift check: {len(chapter_sources())} chapters, {len(problems)} drifted")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
