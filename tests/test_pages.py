"""The book's generated tables match the committed measurements they come from.

``benchmarks/report.py --update-pages`` writes the Performance appendix's tables
and the instructors' chapter times from ``benchmarks/results/*.json``; a page
edited by hand, or results run again without updating the pages, fails here.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("report", ROOT / "benchmarks" / "report.py")
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)


@pytest.mark.parametrize("page", ["performance", "instructors"])
def test_generated_tables_are_current(page: str) -> None:
    text = report.PAGES[page].read_text(encoding="utf-8")
    for marker, content in report.generated_blocks()[page].items():
        assert report.begin(marker) in text, (page, marker)
        assert report.block_in(text, marker) == content, (
            f"book/{page}.md is out of date: run .venv/bin/python benchmarks/report.py --update-pages"
        )


def test_every_table_says_when_and_on_which_commit_it_was_measured() -> None:
    for name in report.PERFORMANCE_RESULTS:
        block = report.result_block(name)
        assert block.startswith("*Measured ") and " on commit `" in block, name


def test_cpu_measurements_record_their_commit() -> None:
    for name in ("neuron_op", "train_step", "train_step_2threads", "book_build", "sweep_epoch"):
        environment = json.loads((report.RESULTS / f"{name}.json").read_text())["environment"]
        assert environment.get("commit") not in (None, "unknown"), name
