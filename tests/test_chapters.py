"""The chapters' shape, read from their sources: what a reader relies on in every chapter.

* every number the prose takes from a computation is glued by a cell of the
  same chapter (a missing name fails here, before the book build fails on it);
* every chapter opens with 2-4 learning objectives and ends with a summary and,
  but for the last, a pointer to the next chapter;
* no chapter imports what it could take from the library under another name.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
GLUE_REFERENCE = re.compile(r"\{glue(?::\w+)?\}`([A-Za-z0-9_]+)")
GLUE_CALL = re.compile(r"""\bglue\(\s*(f?)(["'])(.+?)\2""")


def cells(source: Path) -> tuple[list[str], list[str]]:
    notebook = jupytext.read(source)
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    return markdown, code


def glued_patterns(code: list[str]) -> list[re.Pattern]:
    """The names a chapter glues; an f-string's placeholders match any text."""
    patterns = []
    for source in code:
        for is_f, _, name in GLUE_CALL.findall(source):
            if is_f:
                parts = re.split(r"\{[^}]*\}", name)
                patterns.append(re.compile(".+".join(map(re.escape, parts)) + "$"))
            else:
                patterns.append(re.compile(re.escape(name) + "$"))
    return patterns


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_every_glued_name_the_prose_quotes_is_glued(source: Path) -> None:
    markdown, code = cells(source)
    referenced = {name for text in markdown for name in GLUE_REFERENCE.findall(text)}
    patterns = glued_patterns(code)
    missing = sorted(name for name in referenced if not any(p.match(name) for p in patterns))
    assert missing == [], f"{source.name} quotes names no cell glues"


def test_the_glue_check_catches_a_missing_name() -> None:
    patterns = glued_patterns(['glue("ch9_a", 1)', 'glue(f"ch9_b_{cost}", 2)'])
    text = "{glue:text}`ch9_a` and {glue:text}`ch9_b_event_mac:.1f` and {glue}`ch9_c`"
    referenced = GLUE_REFERENCE.findall(text)
    assert referenced == ["ch9_a", "ch9_b_event_mac", "ch9_c"]
    assert [n for n in referenced if not any(p.match(n) for p in patterns)] == ["ch9_c"]


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_objectives_summary_and_next_chapter(source: Path) -> None:
    markdown, _ = cells(source)
    opening = "\n".join(markdown[:2])
    assert "**Learning objectives.**" in opening, source.name
    objectives = opening.split("**Learning objectives.**", 1)[1].split("\n\n", 2)[1]
    items = re.findall(r"^\d+\. ", objectives, flags=re.MULTILINE)
    assert 2 <= len(items) <= 4, (source.name, objectives)
    text = "\n".join(markdown)
    assert "\n## Summary\n" in f"\n{text}\n", source.name
    if source != SOURCES[-1]:
        number = int(source.name[:2])
        following = SOURCES[SOURCES.index(source) + 1].stem
        assert f"**Next:** [chapter {number + 1}]({following})" in text, source.name


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_chapters_import_the_library_by_its_current_names(source: Path) -> None:
    text = source.read_text(encoding="utf-8")
    for gone in ("mlsnn_edu.train ", "mlsnn_edu.exercises", "mlsnn_edu.widgets", "mlsnn_edu.plots"):
        assert gone not in text, (source.name, gone)
