"""The notebook regression check (``tools/notebooks.py check``) fails on drift and on errors.

``tools/build-book.sh`` executes every chapter once, into ``book/_build/executed``;
``tools/test.sh`` then checks those notebooks against the committed twins with
nbval's lax rules instead of executing every chapter a second time under nbval.
These tests build tiny executed/committed pairs in a temporary folder and run the
real comparison on them: a drifted ``# NBVAL_CHECK_OUTPUT`` output and a cell that
raised must fail it, what nbval does not compare must not.

The same execution runs each chapter's hand-out (stubs for solutions, then the
solutions): a stub that does not raise the exercise's NotImplementedError, a
solution that fails its checker and a chapter whose hand-out never ran fail the
check too.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("notebook_tools", ROOT / "tools" / "notebooks.py")
tools = importlib.util.module_from_spec(spec)
sys.modules["notebook_tools"] = tools  # its worker processes find their function by name
spec.loader.exec_module(tools)

CHECKED = "# NBVAL_CHECK_OUTPUT\nprint(sum(range(5)))"
TIMING = "print(elapsed)"


def stdout(text: str):
    return new_output("stream", name="stdout", text=text)


def chapter(checked: list, timing: list, extra: list | None = None) -> nbformat.NotebookNode:
    """A two-code-cell chapter: a checked cell and an unchecked (timing) cell."""
    cells = [
        new_markdown_cell("# A chapter"),
        new_code_cell(CHECKED, outputs=checked, execution_count=1),
        new_code_cell(TIMING, outputs=timing, execution_count=2),
    ]
    if extra is not None:
        cells.append(new_code_cell("figure()", outputs=extra, execution_count=3))
    notebook = new_notebook(cells=cells)
    notebook.metadata[tools.HANDOUT_KEY] = {"stubs": 0, "problems": []}  # no exercises
    return notebook


def write_pair(
    tmp_path: Path, executed: nbformat.NotebookNode, committed: nbformat.NotebookNode
) -> tuple[Path, Path]:
    folders = tmp_path / "executed", tmp_path / "notebooks"
    for folder, notebook in zip(folders, (executed, committed), strict=True):
        folder.mkdir()
        nbformat.write(notebook, folder / "01_demo.ipynb")
    return folders


def run_check(executed: Path, committed: Path, capsys: pytest.CaptureFixture) -> tuple[int, str]:
    code = tools.main(["check", str(executed), "--against", str(committed)])
    return code, capsys.readouterr().out


def test_the_same_outputs_pass(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    committed = chapter([stdout("10\n")], [stdout("1.25 s\n")])
    code, out = run_check(*write_pair(tmp_path, committed, committed), capsys)
    assert code == 0, out
    assert "1 executed chapters, 0 problems" in out


def test_a_drifted_checked_output_fails(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    committed = chapter([stdout("10\n")], [stdout("1.25 s\n")])
    executed = chapter([stdout("11\n")], [stdout("1.25 s\n")])
    code, out = run_check(*write_pair(tmp_path, executed, committed), capsys)
    assert code == 1
    assert "01_demo.ipynb, code cell 1 ('print(sum(range(5)))'): stdout differs" in out
    assert "-10" in out and "+11" in out  # the diff, committed then executed
    assert "1 problems" in out


def test_a_missing_or_extra_checked_output_fails(tmp_path: Path) -> None:
    glued = new_output("display_data", data={"application/papermill.record/text/plain": "10"})
    committed = chapter([stdout("10\n"), glued], [])
    executed = chapter([stdout("10\n")], [])
    problems = tools.compare_notebooks(executed, committed, "01_demo.ipynb")
    assert len(problems) == 1 and "output fields differ" in problems[0]
    twice = chapter([stdout("10\n"), glued, glued], [])
    problems = tools.compare_notebooks(twice, committed, "01_demo.ipynb")
    assert problems == [
        "01_demo.ipynb, code cell 1 ('print(sum(range(5)))'): "
        "application/papermill.record/text/plain: 1 committed outputs, 2 executed"
    ]


def test_a_cell_that_raised_fails(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    committed = chapter([stdout("10\n")], [stdout("1.25 s\n")])
    error = new_output("error", ename="NameError", evalue="name 'elapsed' is not defined")
    executed = chapter([stdout("10\n")], [error])  # an unchecked cell: errors count anyway
    code, out = run_check(*write_pair(tmp_path, executed, committed), capsys)
    assert code == 1
    assert (
        "01_demo.ipynb, code cell 2 ('print(elapsed)'): raised NameError: "
        "name 'elapsed' is not defined" in out
    )


def test_what_nbval_lax_does_not_compare_passes(tmp_path: Path) -> None:
    # Unchecked cells, images, execution counts and how a stream was flushed may differ.
    committed = chapter(
        [stdout("10\n")],
        [stdout("1.25 s\n")],
        [new_output("display_data", data={"image/png": "AAAA", "text/plain": "<Figure>"})],
    )
    executed = chapter(
        [stdout("1"), stdout("0\n")],
        [stdout("3.50 s\n")],
        [new_output("display_data", data={"image/png": "BBBB", "text/plain": "<Figure>"})],
    )
    executed.cells[1].execution_count = 7
    executed.cells[3].source = "# NBVAL_CHECK_OUTPUT\n" + executed.cells[3].source
    committed.cells[3].source = executed.cells[3].source
    assert tools.compare_notebooks(executed, committed, "01_demo.ipynb") == []
    # ... but not a checked figure's text, and not a stream's name.
    executed.cells[3].outputs[0].data["text/plain"] = "<Figure 2>"
    assert len(tools.compare_notebooks(executed, committed, "01_demo.ipynb")) == 1
    executed.cells[3].outputs[0].data["text/plain"] = "<Figure>"
    executed.cells[1].outputs = [new_output("stream", name="stderr", text="10\n")]
    assert len(tools.compare_notebooks(executed, committed, "01_demo.ipynb")) == 1


def test_ignore_output_and_raises_exception_markers_are_honoured() -> None:
    committed = chapter([stdout("10\n")], [stdout("1.25 s\n")])
    executed = chapter([stdout("11\n")], [new_output("error", ename="E", evalue="x")])
    for notebook in (committed, executed):
        notebook.cells[1].source = CHECKED + "\n# NBVAL_IGNORE_OUTPUT"
        notebook.cells[2].metadata["tags"] = ["raises-exception"]
    assert tools.compare_notebooks(executed, committed, "01_demo.ipynb") == []


def test_stale_twins_and_missing_chapters_fail(tmp_path: Path) -> None:
    committed = chapter([stdout("10\n")], [])
    executed = chapter([stdout("10\n")], [])
    executed.cells[2].source = "print(elapsed, 's')"
    executed_dir, committed_dir = write_pair(tmp_path, executed, committed)
    nbformat.write(committed, committed_dir / "02_other.ipynb")
    problems = tools.check(executed_dir, committed_dir)
    assert len(problems) == 2
    assert problems[0].startswith("02_other.ipynb: not executed")
    assert "01_demo.ipynb: its code cells differ from the committed twin's" in problems[1]


@pytest.mark.timeout(300)
def test_executed_sources_are_checked_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """The build's executor writes a failing chapter up to its error, and check catches both
    that error and a drifted output of a chapter that ran."""
    sources = tmp_path / "sources"
    sources.mkdir()
    good = sources / "01_good.py"
    good.write_text("# %%\n# NBVAL_CHECK_OUTPUT\nprint(6 * 7)\n\n# %%\nprint('ok')\n")
    bad = sources / "02_bad.py"
    bad.write_text("# %%\nprint('before')\n\n# %%\n1 / 0\n\n# %%\nprint('never')\n")
    executed = tmp_path / "executed"
    assert tools.main(["execute", "--out", str(executed), str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "02_bad.py: FAILED" in out and "ZeroDivisionError" in out
    assert good.read_text().endswith("print('ok')\n")  # sources are left as they are
    record = json.loads((executed / "execution.json").read_text())
    assert set(record["seconds"]) == {"01_good", "02_bad"} and record["failed"] == ["02_bad.py"]

    # The committed twins: what the chapters printed when they last ran well.
    committed = tmp_path / "notebooks"
    committed.mkdir()
    twin = nbformat.read(executed / "01_good.ipynb", as_version=4)
    assert twin.cells[0].outputs[0].text == "42\n"
    nbformat.write(twin, committed / "01_good.ipynb")
    failing = nbformat.read(executed / "02_bad.ipynb", as_version=4)
    assert [c.outputs[0].output_type if c.outputs else None for c in failing.cells] == [
        "stream",
        "error",
        None,
    ]
    failing.cells[1].outputs = []
    nbformat.write(failing, committed / "02_bad.ipynb")
    assert tools.check(executed, committed) == [
        "02_bad.ipynb, code cell 2 ('1 / 0'): raised ZeroDivisionError: division by zero"
    ]

    twin.cells[0].outputs[0].text = "41\n"  # the committed output drifts from what runs now
    nbformat.write(twin, committed / "01_good.ipynb")
    problems = tools.check(executed, committed)
    assert len(problems) == 2 and problems[0].startswith(
        "01_good.ipynb, code cell 1 ('print(6 * 7)'): stdout differs"
    )


DEMO_CHAPTER = """\
# %% [markdown]
# # A demo chapter

# %%
# NBVAL_CHECK_OUTPUT
import random

random.seed(0)
print(random.randint(0, 99))


def check_answer(answer, expected):
    print("[pass] demo" if answer == expected else "[not yet] demo: look again")


# %% [markdown]
# ### Exercise 9.1 — six times seven (compute)

# %% tags=["solution"]
### BEGIN SOLUTION
answer = 6 * 7
### END SOLUTION
check_answer(answer, 42)

# %% [markdown]
# ### Exercise 9.2 — a draw after the chapter (compute)

# %% tags=["solution"]
### BEGIN SOLUTION
answer = random.randint(0, 99)
### END SOLUTION
check_answer(answer, EXPECTED)
"""


@pytest.mark.timeout(300)
def test_one_run_serves_the_book_and_checks_the_hand_out(tmp_path: Path) -> None:
    """The book's outputs are a plain run's; the hand-out's stubs raise; checkers are read."""
    import random

    random.seed(0)
    first, second = random.randint(0, 99), random.randint(0, 99)
    source = tmp_path / "09_demo.py"
    for expected, problems in ((second, 0), (second + 1, 1)):
        source.write_text(DEMO_CHAPTER.replace("EXPECTED", str(expected)))
        out = tmp_path / f"executed-{problems}"
        assert tools.main(["execute", "--out", str(out), str(source)]) == 0
        book = nbformat.read(out / "09_demo.ipynb", as_version=4)
        code = [cell for cell in book.cells if cell.cell_type == "code"]
        assert len(code) == 3 and [cell.execution_count for cell in code] == [1, 2, 3]
        assert code[0].outputs[0].text == f"{first}\n"
        # the stub of 9.2 ran before the solutions and drew nothing: the solution's draw is
        # the one a plain run makes
        assert code[1].outputs[0].text == "[pass] demo\n"
        found = book.metadata[tools.HANDOUT_KEY]
        assert found["stubs"] == 2 and len(found["problems"]) == problems
        if problems:
            assert "did not pass its checker" in found["problems"][0]
            assert "[not yet] demo" in code[2].outputs[0].text
            assert tools.compare_notebooks(book, book, "09_demo.ipynb") == [
                f"09_demo.ipynb: {found['problems'][0]}"
            ]
        else:
            assert code[2].outputs[0].text == "[pass] demo\n"
            assert tools.compare_notebooks(book, book, "09_demo.ipynb") == []


def test_a_stub_that_raises_something_else_is_a_problem() -> None:
    """A hand-out cell that fails before its stub (a name only a solution defines) is caught."""
    solution = "### BEGIN SOLUTION\nx = 1\n### END SOLUTION\ncheck(x)"
    chapter_notebook = new_notebook(
        cells=[
            new_markdown_cell("### Exercise 9.1 — x (compute)"),
            new_code_cell(solution, metadata={"tags": ["solution"]}),
        ]
    )
    run = tools.handout_run(chapter_notebook, "09_demo")
    assert "NotImplementedError" in run.cells[1].source  # the stub
    assert run.cells[2].source == solution  # the solution, appended
    run.cells[1].execution_count, run.cells[2].execution_count = 1, 2
    run.cells[1].outputs = [
        new_output("error", ename="NameError", evalue="name 'y' is not defined")
    ]
    run.cells[2].outputs = [stdout("[pass] x\n")]
    book = tools.book_from_handout_run(chapter_notebook, run)
    assert book.cells[1].outputs == [stdout("[pass] x\n")]
    (problem,) = book.metadata[tools.HANDOUT_KEY]["problems"]
    assert "should raise the exercise's NotImplementedError, raised NameError" in problem


def test_a_chapter_whose_hand_out_never_ran_fails_the_check() -> None:
    executed = chapter([stdout("10\n")], [])
    del executed.metadata[tools.HANDOUT_KEY]
    (problem,) = tools.compare_notebooks(executed, chapter([stdout("10\n")], []), "01_demo.ipynb")
    assert "its hand-out was not run" in problem


def test_code_after_the_first_exercise_is_refused() -> None:
    notebook = new_notebook(
        cells=[
            new_markdown_cell("### Exercise 9.1 — x (compute)"),
            new_code_cell(
                "### BEGIN SOLUTION\nx = 1\n### END SOLUTION\ncheck(x)",
                metadata={"tags": ["solution"]},
            ),
            new_code_cell("print(x)"),
        ]
    )
    with pytest.raises(ValueError, match="cell 2: a code cell after the first exercise"):
        tools.handout_run(notebook, "09_demo")
