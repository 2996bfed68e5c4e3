"""Student versions of the chapters: solutions out, stubs in, outputs cleared.

    mlsnn-edu assignments build [--output assignments] [--chapters 01 02 ...] [--nbgrader]
    mlsnn-edu assignments check                      # every chapter has enough graded exercises
    mlsnn-edu assignments list [--update-page FILE]  # the exercises, as the instructors' page lists them

(``python -m mlsnn_edu.assignments ...`` is the same command.)

``build`` reads every executed chapter ``notebooks/NN_name.ipynb`` and writes
``assignments/NN_name.ipynb``: the chapter with each solution replaced by a stub
that raises ``NotImplementedError("exercise: N.k — title")``, the ``solution``
tag swapped for ``raises-exception`` (read by nbclient and Jupyter Book as "this
cell is expected to fail"), and every output and execution count cleared; plus
a ``README.md`` listing the exercises.

This module is the command line and the public names; the work is done in
:mod:`mlsnn_edu.handouts`:

- :mod:`~mlsnn_edu.handouts.convention`: finding the exercises, checking the markers
- :mod:`~mlsnn_edu.handouts.stubs`: one solution cell to its stub
- :mod:`~mlsnn_edu.handouts.build`: whole notebooks, the exercise list, safe writes
- :mod:`~mlsnn_edu.handouts.nbgrader`: nbgrader source notebooks (``build --nbgrader``)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlsnn_edu.handouts.build import (
    EXPECTED_ERROR_TAG,
    assignments_readme,
    build_assignments,
    exercise_listing,
    exercise_problems,
    page_listing,
    student_notebook,
    update_page,
)
from mlsnn_edu.handouts.convention import (
    AssignmentError,
    Chapter,
    Exercise,
    find_exercises,
    load_chapters,
    required_exercises,
)
from mlsnn_edu.handouts.stubs import stub_source

__all__ = [
    "EXPECTED_ERROR_TAG",
    "AssignmentError",
    "Chapter",
    "Exercise",
    "add_assignments_arguments",
    "assignments_command",
    "assignments_readme",
    "build_assignments",
    "exercise_listing",
    "exercise_problems",
    "find_exercises",
    "load_chapters",
    "page_listing",
    "required_exercises",
    "stub_source",
    "student_notebook",
    "update_page",
]


def add_assignments_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``build``, ``check`` and ``list`` actions of ``mlsnn-edu assignments``."""
    actions = parser.add_subparsers(dest="assignments_action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="write the student notebooks and their README")
    build.add_argument(
        "--output", type=Path, default=Path("assignments"), help="folder (default: assignments)"
    )
    build.add_argument(
        "--chapters", nargs="+", metavar="NN", help="chapter numbers, e.g. 01 02 (default: all)"
    )
    build.add_argument(
        "--nbgrader",
        action="store_true",
        help="also write nbgrader source notebooks under OUTPUT/nbgrader/source/",
    )
    check = actions.add_parser(
        "check",
        help="fail unless chapters 1-4 have >= 3 graded exercises and later ones >= 2, each calls "
        "a checker, and no other cell needs a solution",
    )
    listing = actions.add_parser("list", help="print the exercises as a markdown table")
    listing.add_argument(
        "--update-page", type=Path, metavar="FILE", help="rewrite the list between FILE's markers"
    )
    for action in (build, check, listing):
        action.add_argument(
            "--notebooks",
            type=Path,
            default=Path("notebooks"),
            help="chapters (default: notebooks)",
        )


def assignments_command(args: argparse.Namespace) -> int:
    """Run ``mlsnn-edu assignments ACTION``; 0 on success, 1 on a problem (printed to stderr)."""
    try:
        if args.assignments_action == "build":
            written = build_assignments(args.notebooks, args.output, args.chapters, args.nbgrader)
            for path in written:
                print(f"wrote {path}")
            return 0
        chapters = load_chapters(args.notebooks)
        if args.assignments_action == "check":
            problems = exercise_problems(chapters)
            for problem in problems:
                print(problem, file=sys.stderr)
            total = sum(chapter.graded for chapter in chapters)
            print(f"{len(chapters)} chapters, {total} graded exercises, {len(problems)} problems")
            return 1 if problems else 0
        listing = exercise_listing(chapters)
        if args.update_page is None:
            print(listing, end="")
        else:
            changed = update_page(args.update_page, listing)
            print(f"{args.update_page}: {'updated' if changed else 'already current'}")
        return 0
    except AssignmentError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlsnn_edu.assignments",
        description="Student versions of the chapters: solutions out, stubs in, outputs cleared.",
    )
    add_assignments_arguments(parser)
    return assignments_command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
