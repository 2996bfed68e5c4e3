"""The explorer app's pieces that need no server: its notebook and its Voilà command line.

Serving it and moving its sliders in a browser is tests/browser/test_explorer.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nbformat
import pytest

from mlsnn_edu.explore import (
    add_explore_arguments,
    explore_command,
    explorer_notebook,
    voila_command,
)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_explore_arguments(parser)
    return parser.parse_args(argv)


def test_notebook_builds_the_chapter_explorer_with_inline_figures() -> None:
    notebook = explorer_notebook("quantization")
    nbformat.validate(notebook)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert len(code) == 1
    assert "%matplotlib inline" in code[0] and code[0].rstrip().endswith("quantization_explorer()")


def test_unknown_explorer_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="quantization"):
        explorer_notebook("energy-of-everything")
    with pytest.raises(SystemExit):
        parse(["energy-of-everything"])


def test_voila_listens_on_loopback_only_on_the_given_port(tmp_path: Path) -> None:
    command = voila_command(tmp_path / "x.ipynb", 9123)
    assert "--Voila.ip=127.0.0.1" in command and "--port=9123" in command
    assert "--no-browser" in command
    assert "--no-browser" not in voila_command(tmp_path / "x.ipynb", 9123, open_browser=True)


def test_write_notebook_writes_a_runnable_notebook_and_starts_nothing(tmp_path: Path) -> None:
    target = tmp_path / "explorer.ipynb"
    assert explore_command(parse(["--write-notebook", str(target)])) == 0
    written = nbformat.read(target, as_version=4)
    nbformat.validate(written)
    sources = [cell.source for cell in explorer_notebook("quantization").cells]
    assert [cell.source for cell in written.cells] == sources


def test_port_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="--port"):
        explore_command(parse(["--port", "70000"]))
