"""Give every figure a chapter draws the sentence after it as its alt text.

The chapters follow each figure cell with a markdown sentence that says what the
figure shows (``*Figure: ...*``). myst-nb renders a cell's image output with no
alt text, so a screen reader gets only the file name. This extension copies
that sentence, without its ``Figure:`` label, into the image's ``alt``, and
warns (an error under ``-W``) about a figure with no sentence after it, or any
other image without alt text.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

LABEL = re.compile(r"^\s*figure\s*[:.]\s*", re.IGNORECASE)


def code_cell_of(image: nodes.image) -> nodes.Element | None:
    """The myst-nb code cell container whose output holds ``image``, if any."""
    node = image.parent
    while node is not None:
        if isinstance(node, nodes.container) and node.get("nb_element") == "cell_code":
            return node
        node = node.parent
    return None


def sentence_after(cell: nodes.Element) -> str | None:
    """Text of the paragraph right after ``cell`` (its ``Figure:`` label removed), if any."""
    siblings = cell.parent.children
    position = siblings.index(cell)
    if position + 1 >= len(siblings) or not isinstance(siblings[position + 1], nodes.paragraph):
        return None
    text = LABEL.sub("", " ".join(siblings[position + 1].astext().split()))
    return text[:1].upper() + text[1:] or None


def describe_figures(app: Sphinx, doctree: nodes.document) -> None:
    for image in doctree.findall(nodes.image):
        if image.get("alt", "").strip():
            continue
        cell = code_cell_of(image)
        description = sentence_after(cell) if cell is not None else None
        if description:
            image["alt"] = description
        elif cell is not None:
            logger.warning(
                f"figure of code cell {cell.get('cell_index', '?')} (counting from 0) has no "
                "sentence after it: follow the cell with a markdown cell "
                "'*Figure: what the figure shows.*' (it becomes the alt text)",
                location=cell,
                type="figure_alt",
            )
        else:
            logger.warning(
                "image without alt text: write ![what it shows](path)",
                location=image,
                type="figure_alt",
            )


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", describe_figures)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
