"""The assignment generator: stubs that fail until answered, everything else intact.

Synthetic notebooks pin down the stubbing rules; the real chapters are checked for
enough exercises and solutions that pass. That each hand-out runs with only its
stubbed cells failing (with ``NotImplementedError``) is checked on the real
chapters by the book build, which runs every hand-out in the same kernel as the
chapter (``tools/notebooks.py``; its tests are in ``tests/test_notebook_check.py``).
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode

from mlsnn_edu.classroom.convention import (
    AssignmentError,
    Chapter,
    find_exercises,
    load_chapters,
)
from mlsnn_edu.classroom.handouts import (
    EXPECTED_ERROR_TAG,
    build_assignments,
    exercise_listing,
    exercise_problems,
    page_listing,
    student_notebook,
)
from mlsnn_edu.classroom.nbgrader import nbgrader_source_notebook
from mlsnn_edu.classroom.stubs import stub_source
from mlsnn_edu.cli import main
from mlsnn_edu.cli.assignments import add_assignments_arguments, assignments_command

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CHAPTER_PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def cell(kind: str, source: str, *tags: str) -> NotebookNode:
    source = textwrap.dedent(source).strip("\n")
    if kind == "md":
        return nbformat.v4.new_markdown_cell(source)
    new = nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)} if tags else {})
    new.execution_count = 7
    new.outputs = [nbformat.v4.new_output("stream", name="stdout", text="old output\n")]
    return new


def chapter(*cells: NotebookNode, name: str = "09_demo") -> Chapter:
    notebook = nbformat.v4.new_notebook(cells=list(cells))
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["widgets"] = {"state": "left over from the last run"}
    return Chapter(Path(f"{name}.ipynb"), notebook, find_exercises(notebook, name))


def run(source: str, namespace: dict | None = None) -> dict:
    namespace = {} if namespace is None else namespace
    exec(compile(source, "<stub>", "exec"), namespace)
    return namespace


def expect_exercise_error(source: str, title: str, namespace: dict | None = None) -> None:
    with pytest.raises(NotImplementedError, match=f"^exercise: {title}$"):
        run(source, namespace)


def checker_namespace() -> dict:
    """A stand-in checker that calls the student's function, as the real ones do."""
    return {"check_function": lambda function: function(1.0, 2.0)}


# --- Stubbing rules -----------------------------------------------------------------------------


def test_markers_inside_a_function_become_a_raise_at_the_same_depth() -> None:
    solution = """\
        def step(v, current):
            v = v + current
            ### BEGIN SOLUTION
            spike = v >= 1.0
            return spike, v - spike
            ### END SOLUTION
        check_function(step)"""
    stub = stub_source(textwrap.dedent(solution), "9.1 — a step")
    assert "spike = v >= 1.0" not in stub and "BEGIN SOLUTION" not in stub
    assert "    v = v + current\n    # your code here\n    raise NotImplementedError" in stub
    assert stub.endswith("check_function(step)")
    expect_exercise_error(stub, "9.1 — a step", checker_namespace())


def test_a_top_level_def_keeps_its_signature_and_docstring() -> None:
    solution = '''\
        import functools

        ### BEGIN SOLUTION
        @functools.lru_cache
        def rate(
            current: float,
            theta: float = 1.0,  # threshold
        ) -> float:
            """Spikes per step."""
            # integrate and count
            return current / theta
        ### END SOLUTION
        check_function(rate)'''
    stub = stub_source(textwrap.dedent(solution), "9.2 — rate")
    assert "return current / theta" not in stub and "integrate and count" not in stub
    assert "@functools.lru_cache\ndef rate(\n    current: float," in stub
    assert '    """Spikes per step."""\n    # your code here\n    raise' in stub
    expect_exercise_error(stub, "9.2 — rate", checker_namespace())


def test_top_level_statements_become_one_raise_before_the_checker() -> None:
    solution = (
        "### BEGIN SOLUTION\nanswer = 0.6 + 0.6 - 1.0\n### END SOLUTION\ncheck_function(answer)"
    )
    stub = stub_source(solution, "9.3 — by hand")
    assert stub == (
        '# your code here\nraise NotImplementedError("exercise: 9.3 — by hand")\ncheck_function(answer)'
    )
    expect_exercise_error(stub, "9.3 — by hand")  # before check_function, which is undefined here


def test_a_def_mixed_with_statements_keeps_the_def_and_raises_at_top_level() -> None:
    solution = """\
        ### BEGIN SOLUTION
        def helper(x):
            return 2 * x
        answer = helper(3)
        ### END SOLUTION
        check_function(answer)"""
    stub = stub_source(textwrap.dedent(solution), "9.4 — mixed")
    assert stub.startswith("def helper(x):\n    # your code here\n    raise")
    assert "answer = helper(3)" not in stub
    expect_exercise_error(stub, "9.4 — mixed")


def test_a_class_keeps_its_methods_as_raising_stubs() -> None:
    solution = '''\
        ### BEGIN SOLUTION
        class Barrier:
            """Clamp to [0, levels]."""

            scale = 2

            def __init__(self, levels):
                self.levels = levels

            def forward(self, x):
                return min(max(x, 0), self.levels)
        ### END SOLUTION
        check_function(lambda a, b: Barrier(4).forward(a))'''
    stub = stub_source(textwrap.dedent(solution), "9.5 — barrier")
    assert "def __init__(self, levels):" in stub and "def forward(self, x):" in stub
    assert "self.levels = levels" not in stub and "scale = 2" not in stub
    expect_exercise_error(stub, "9.5 — barrier", checker_namespace())


def test_a_one_line_def_is_regenerated_as_a_stub() -> None:
    solution = "### BEGIN SOLUTION\ndef double(x, y): return 2 * x\n### END SOLUTION\ncheck_function(double)"
    stub = stub_source(solution, "9.6 — one line")
    assert "return 2 * x" not in stub and stub.startswith("def double(x, y):\n")
    expect_exercise_error(stub, "9.6 — one line", checker_namespace())


def test_quotes_in_the_title_stay_valid_python() -> None:
    stub = stub_source("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", 'the "soft" reset \\ why')
    expect_exercise_error(stub, r'the "soft" reset \\ why')


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("answer = 1\ncheck(answer)", "no '### BEGIN SOLUTION' / '### END SOLUTION' lines"),
        ("### BEGIN SOLUTION\nanswer = 1\ncheck(answer)", "on line 1 has no '### END SOLUTION'"),
        (
            "answer = 1\n### END SOLUTION",
            "'### END SOLUTION' on line 2 has no '### BEGIN SOLUTION'",
        ),
        (
            "### BEGIN SOLUTION\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION",
            "'### BEGIN SOLUTION' on line 2 comes before",
        ),
        ("if True:\n### BEGIN SOLUTION\nelse:\n### END SOLUTION", "not whole Python statements"),
    ],
)
def test_broken_markers_are_reported_with_chapter_and_cell(source: str, problem: str) -> None:
    broken = [cell("md", "### Exercise 9.1 — x (compute)"), cell("code", source, "solution")]
    with pytest.raises(AssignmentError, match="09_demo, cell 1") as error:
        student_notebook(chapter(*broken))
    assert problem in str(error.value)


def test_answers_that_would_leak_to_students_are_errors() -> None:
    untagged = [
        cell("md", "### Exercise 9.1 — x"),
        cell("code", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION"),
    ]
    with pytest.raises(
        AssignmentError, match="09_demo, cell 1: has solution markers but no 'solution' tag"
    ):
        chapter(*untagged)
    forgotten_tag = [
        cell("md", "### Exercise 9.1 — x"),
        cell("code", "x = 1"),
        cell("md", "## Next"),
    ]
    with pytest.raises(AssignmentError, match="cell 0: 'Exercise 9.1 — x' has no code cell tagged"):
        chapter(*forgotten_tag)
    no_heading = [
        cell("md", "## Not an exercise"),
        cell("code", "### BEGIN SOLUTION\n### END SOLUTION", "solution"),
    ]
    with pytest.raises(AssignmentError, match="cell 1: tagged 'solution' but no '### Exercise"):
        chapter(*no_heading)


# --- Whole notebooks -----------------------------------------------------------------------------


def demo_chapter(name: str = "09_demo") -> Chapter:
    return chapter(
        cell("md", "# 9. A demo chapter"),
        cell("code", "import math\nprint(math.pi)", "hide-input"),
        cell("md", "### Exercise 9.1 — the answer (compute)\n\nWork it out."),
        cell(
            "code",
            "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION\ncheck_answer(answer)",
            "solution",
        ),
        cell("md", "### Exercise 9.2 — a function (implement)"),
        cell(
            "code",
            "### BEGIN SOLUTION\ndef f(x):\n    return x\n### END SOLUTION\ncheck_f(f)",
            "solution",
            "hide-output",
        ),
        cell("md", "Part two of the same exercise."),
        cell("code", "### BEGIN SOLUTION\ng = 1\n### END SOLUTION\ncheck_g(g)", "solution"),
        name=name,
    )


def test_student_notebook_clears_outputs_and_keeps_everything_else() -> None:
    original = demo_chapter()
    student = student_notebook(original)
    assert [exercise.cell for exercise in original.exercises] == [3, 5, 7]
    assert len(student.cells) == len(original.notebook.cells)
    for index, (before, after) in enumerate(zip(original.notebook.cells, student.cells)):
        assert after.cell_type == before.cell_type
        if after.cell_type == "code":
            assert after.outputs == [] and after.execution_count is None
        tags = after.metadata.get("tags", [])
        assert "solution" not in tags
        if index in (3, 5, 7):
            assert EXPECTED_ERROR_TAG in tags and "NotImplementedError" in after.source
        else:
            assert after.source == before.source and EXPECTED_ERROR_TAG not in tags
    assert student.cells[1].metadata["tags"] == ["hide-input"]
    assert student.cells[5].metadata["tags"] == ["hide-output", EXPECTED_ERROR_TAG]
    assert set(student.metadata) == {"kernelspec"}  # the widget state of the last run is gone
    assert original.notebook.cells[3].outputs, "the chapter itself is left untouched"
    nbformat.validate(student)


def test_graded_exercises_count_headings_not_cells() -> None:
    demo = demo_chapter()
    assert demo.graded == 2
    assert [(e.title, e.kind, e.checker) for e in demo.exercises][:2] == [
        ("9.1 — the answer", "compute", "check_answer"),
        ("9.2 — a function", "implement", "check_f"),
    ]
    listing = exercise_listing([demo])
    assert listing.count("| 09_demo |") == 2
    assert exercise_problems([demo]) == []  # chapter 9 needs 2
    early = demo_chapter("03_demo")
    assert exercise_problems([early]) == [
        "03_demo: 2 graded exercise(s), chapter 3 needs at least 3"
    ]


def test_a_later_cell_that_needs_a_solution_is_a_problem() -> None:
    cells = demo_chapter().notebook.cells
    cells.insert(1, cell("code", "g = 2"))  # given to students before the exercises
    cells.append(cell("code", "answer = 1\nprint(answer)"))  # defines its own answer
    cells.append(cell("code", "print(f(answer), g, math.pi)"))
    assert exercise_problems([chapter(*cells)]) == [
        "09_demo, cell 10: uses f, which only a solution defines, "
        "so the student version would fail there"
    ]


def write_chapters(folder: Path, *chapters: Chapter) -> None:
    folder.mkdir()
    for item in chapters:
        nbformat.write(item.notebook, folder / item.path.name)


def test_build_writes_student_notebooks_and_readme(tmp_path: Path) -> None:
    write_chapters(tmp_path / "notebooks", demo_chapter("08_demo"), demo_chapter("09_demo"))
    written = build_assignments(tmp_path / "notebooks", tmp_path / "out", ["9"])
    assert sorted(path.name for path in written) == ["09_demo.ipynb", "README.md"]
    student = nbformat.read(tmp_path / "out" / "09_demo.ipynb", as_version=4)
    assert 'raise NotImplementedError("exercise: 9.1 — the answer")' in student.cells[3].source
    readme = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert "| 09_demo | 9.2 — a function | implement | `check_f` |" in readme
    assert "08_demo" not in readme
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [
        ".mlsnn-edu-build.json",  # what this build wrote, to tell edited files apart
        "09_demo.ipynb",
        "README.md",
    ]
    with pytest.raises(AssignmentError, match=r"--chapters: no chapter 07 .*\(have: 08, 09\)"):
        build_assignments(tmp_path / "notebooks", tmp_path / "out", ["07"])


def test_a_broken_chapter_leaves_the_output_untouched(tmp_path: Path) -> None:
    broken = demo_chapter("09_broken")
    broken.notebook.cells[3].source = "answer = 42  # markers forgotten"
    write_chapters(tmp_path / "notebooks", demo_chapter("08_demo"), broken)
    with pytest.raises(AssignmentError, match="09_broken, cell 3"):
        build_assignments(tmp_path / "notebooks", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def parse_command(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_assignments_arguments(parser)
    return parser.parse_args(argv)


def test_command_line_build_check_and_list(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    notebooks = tmp_path / "notebooks"
    write_chapters(notebooks, demo_chapter("03_demo"), demo_chapter("09_demo"))
    output = tmp_path / "handout"
    assert (
        assignments_command(
            parse_command("build", "--notebooks", str(notebooks), "--output", str(output))
        )
        == 0
    )
    assert (output / "03_demo.ipynb").exists() and (output / "09_demo.ipynb").exists()
    assert assignments_command(parse_command("check", "--notebooks", str(notebooks))) == 1
    assert "03_demo: 2 graded exercise(s), chapter 3 needs at least 3" in capsys.readouterr().err
    assert assignments_command(parse_command("list", "--notebooks", str(notebooks))) == 0
    assert "| 09_demo | 9.1 — the answer | compute | `check_answer` |" in capsys.readouterr().out
    missing = ["assignments", "build", "--notebooks", str(tmp_path / "missing")]
    assert main([*missing, "--output", str(output)]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_nbgrader_export_splits_answer_and_test_cells() -> None:
    source = nbgrader_source_notebook(demo_chapter())
    graded = [c for c in source.cells if "nbgrader" in c.metadata]
    assert [c.metadata["nbgrader"]["grade_id"] for c in graded] == [
        "ex_9_1_answer", "ex_9_1_tests", "ex_9_2_answer", "ex_9_2_tests", "ex_9_2_part2_answer", "ex_9_2_part2_tests"
    ]  # fmt: skip
    answer, test = graded[0], graded[1]
    assert answer.source == "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION"
    assert answer.metadata["nbgrader"]["solution"] and not answer.metadata["nbgrader"]["grade"]
    assert test.source == "assert check_answer(answer)"
    assert test.metadata["nbgrader"]["grade"] and test.metadata["nbgrader"]["locked"]
    assert test.metadata["nbgrader"]["points"] == 1
    for item in graded:  # the keys nbgrader's schema 3 requires, and nothing it rejects
        assert {"schema_version", "grade", "locked", "solution"} <= set(item.metadata["nbgrader"])
        assert set(item.metadata["nbgrader"]) <= {
            "schema_version", "grade", "locked", "solution", "task", "grade_id", "points"
        }  # fmt: skip
    assert all(c.outputs == [] for c in source.cells if c.cell_type == "code")
    nbformat.validate(source)


def test_nbgrader_test_cell_fails_on_a_wrong_answer() -> None:
    source = nbgrader_source_notebook(demo_chapter())
    answer, test = [c.source for c in source.cells if "nbgrader" in c.metadata][:2]
    namespace = run(answer, {"check_answer": lambda value: value == 42})
    run(test, namespace)
    namespace["answer"] = 41
    with pytest.raises(AssertionError):
        run(test, namespace)


# --- The real chapters ---------------------------------------------------------------------------


def test_every_chapter_has_enough_graded_exercises() -> None:
    chapters = load_chapters(NOTEBOOKS)
    assert [c.name for c in chapters] == [path.stem for path in CHAPTER_PATHS]
    assert exercise_problems(chapters) == []


def test_every_solution_passed_its_checker_when_the_chapter_last_ran() -> None:
    """The committed twins hold each solution cell's output: the checker's verdict."""
    for item in load_chapters(NOTEBOOKS):
        for exercise in item.exercises:
            outputs = item.notebook.cells[exercise.cell].outputs
            text = "".join(output.get("text", "") for output in outputs)
            where = f"{item.name}, Exercise {exercise.title}"
            assert "[pass]" in text and "[not yet]" not in text, f"{where}: printed {text!r}"
            assert not any(output.output_type == "error" for output in outputs), where


def test_student_versions_hold_no_solution_and_stub_every_exercise() -> None:
    for item in load_chapters(NOTEBOOKS):
        student = student_notebook(item)
        stubbed = [
            i
            for i, c in enumerate(student.cells)
            if EXPECTED_ERROR_TAG in c.metadata.get("tags", [])
        ]
        assert stubbed == [exercise.cell for exercise in item.exercises]
        for index in stubbed:
            assert 'raise NotImplementedError("exercise: ' in student.cells[index].source
        for cell in student.cells:
            assert "### BEGIN SOLUTION" not in cell.source
            assert "### END SOLUTION" not in cell.source


def test_instructors_page_lists_the_current_exercises() -> None:
    page = ROOT / "book" / "instructors.md"
    assert page_listing(page) == exercise_listing(load_chapters(NOTEBOOKS)), (
        "book/instructors.md is out of date: run "
        "`.venv/bin/mlsnn-edu assignments list --update-page book/instructors.md`"
    )
