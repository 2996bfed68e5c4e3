"""Execute chapter sources into their .ipynb twins, and check that the two agree.

    python tools/notebooks.py execute [notebooks/03_*.py ...]   # all chapters when none named
    python tools/notebooks.py drift                              # exit 1 if a twin drifted

A chapter's source is ``notebooks/NN_name.py`` (jupytext py:percent). ``execute``
runs it top to bottom in a fresh kernel in quick mode, writes the executed
``.ipynb`` next to it, and prints the wall time. ``drift`` converts every
``.ipynb`` back to py:percent and compares it with its source byte for byte
(the filters in ``jupytext.toml`` make that round trip exact).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def chapter_sources() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))


def as_text(notebook: nbformat.NotebookNode) -> str:
    config = jupytext.config.load_jupytext_config(str(NOTEBOOKS))
    return jupytext.writes(notebook, fmt="py:percent", config=config)


def execute(source: Path, timeout: int = 900) -> float:
    """Execute ``source`` into its .ipynb twin; return the wall time in seconds."""
    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = KERNEL
    os.environ.pop("MLSNN_EDU_FULL", None)  # the committed twins are always quick mode
    start = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    ).execute()
    elapsed = time.perf_counter() - start
    target = source.with_suffix(".ipynb")
    tmp = target.with_suffix(".ipynb.tmp")
    nbformat.write(notebook, tmp)
    tmp.replace(target)
    source.write_text(as_text(notebook), encoding="utf-8")  # normalise the source's spacing
    return elapsed


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("execute", help="execute chapter sources into their .ipynb twins")
    run.add_argument("sources", nargs="*", type=Path)
    sub.add_parser("drift", help="check that every .ipynb converts back to its .py source")
    args = parser.parse_args(argv)
    if args.command == "execute":
        for source in args.sources or chapter_sources():
            print(f"{source.name}: executing ...", flush=True)
            print(f"{source.name}: {execute(source.resolve()):.1f} s", flush=True)
        return 0
    problems = drift()
    for problem in problems:
        print(problem)
    print(f"drift check: {len(chapter_sources())} chapters, {len(problems)} drifted")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
