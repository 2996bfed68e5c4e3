"""``mlsnn-edu assignments build | check | list``: student notebooks from the chapters."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlsnn_edu.files import check_output_dir

#: The teachers' page, whose rubric table ``assignments build --nbgrader`` puts in the notebooks.
DEFAULT_RUBRICS = Path("book/instructors.md")


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
    build.add_argument(
        "--force",
        action="store_true",
        help="overwrite files in OUTPUT that were edited since the last build",
    )
    build.add_argument(
        "--rubrics",
        type=Path,
        metavar="PAGE",
        help="--nbgrader: the page whose rubric table grades the written answers "
        f"(default {DEFAULT_RUBRICS} when it exists)",
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
    # here, not at the top: the classroom reads notebooks with nbformat, whose schema checks
    # take over a second to import, and every other command would wait for them
    from mlsnn_edu.classroom.convention import load_chapters
    from mlsnn_edu.classroom.handouts import (
        build_assignments,
        exercise_listing,
        exercise_problems,
        update_page,
    )
    from mlsnn_edu.classroom.nbgrader import read_rubrics

    if args.assignments_action == "build":
        check_output_dir(args.output, "--output")
        rubrics = args.rubrics or (DEFAULT_RUBRICS if DEFAULT_RUBRICS.is_file() else None)
        written = build_assignments(
            args.notebooks,
            args.output,
            args.chapters,
            args.nbgrader,
            force=args.force,
            rubrics=read_rubrics(rubrics) if args.nbgrader and rubrics else None,
        )
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
