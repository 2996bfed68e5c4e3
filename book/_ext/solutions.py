"""Hide every exercise's solution in the book: collapsed behind "Show the solution", no markers.

An exercise's answer lives in a code cell tagged ``solution``, between the
nbgrader markers ``### BEGIN SOLUTION`` and ``### END SOLUTION``
(:mod:`mlsnn_edu.classroom.convention`). In the book the whole cell, its
checker's verdict included, is folded into a closed toggle, and the marker
lines are removed from the code a reader can unfold: they are instructions for
the hand-out tools, not part of the answer.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx

SOLUTION_TAG = "solution"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def without_markers(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if line.strip() not in MARKERS)


def fold_solutions(app: Sphinx, doctree: nodes.document) -> None:
    for cell in doctree.findall(nodes.container):
        if cell.get("nb_element") != "cell_code":
            continue
        if SOLUTION_TAG not in (cell.get("cell_metadata") or {}).get("tags", []):
            continue
        cell["hide_mode"] = "all"  # myst-nb's HideInputCells folds the input and the output
        cell["prompt_show"] = "Show the solution"
        cell["prompt_hide"] = "Hide the solution"
        for block in cell.findall(nodes.literal_block):
            text = without_markers(block.astext())
            block.rawsource = text
            block.children = [nodes.Text(text)]


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", fold_solutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
