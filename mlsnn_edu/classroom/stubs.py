"""Turn one solution cell into its student version: the answer out, a raising stub in.

- markers inside a function (indented): the lines between them become a
  ``raise`` at the same indentation;
- markers at top level around ``def`` or ``class`` statements: each definition
  keeps its signature and docstring and its body becomes the ``raise``, so the
  student fills in the body and the checker call after it fails until then;
- any other top-level statement between the markers (``answer = ...``) is
  replaced by one ``raise`` at top level.

The code around the markers (imports, the checker call) stays as it is.
"""

from __future__ import annotations

import ast
import copy
import json
import textwrap

from mlsnn_edu.classroom.convention import BEGIN, AssignmentError, solution_blocks

STUB_COMMENT = "# your code here"


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def stub_source(source: str, title: str, where: str = "cell") -> str:
    """``source`` with the code between each marker pair replaced by a stub that raises."""
    lines = source.split("\n")
    statement = f"raise NotImplementedError({json.dumps('exercise: ' + title, ensure_ascii=False)})"
    result: list[str] = []
    previous_end = -1
    for begin, end in solution_blocks(lines, where):
        result += lines[previous_end + 1 : begin]
        result += _stub_block(lines[begin + 1 : end], _indent_of(lines[begin]), statement, where)
        previous_end = end
    result += lines[previous_end + 1 :]
    stub = "\n".join(result)
    if _compiles(source) and not _compiles(stub):
        raise AssignmentError(f"{where}: the stubbed cell is not valid Python:\n{stub}")
    return stub


def _compiles(source: str) -> bool:
    try:
        compile(source, "<cell>", "exec")
    except SyntaxError:
        return False
    return True


def _stub_block(block: list[str], marker_indent: str, statement: str, where: str) -> list[str]:
    content = [line for line in block if line.strip()]
    indent = _indent_of(content[0]) if content else marker_indent
    if indent:  # inside a function body: one raise at the same depth
        return [indent + STUB_COMMENT, indent + statement]
    try:
        tree = ast.parse("\n".join(block))
    except SyntaxError as error:
        raise AssignmentError(
            f"{where}: the solution between the markers is not whole Python statements "
            f"({error.msg}, line {error.lineno} after '{BEGIN}')"
        ) from error
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    stub: list[str] = []
    for node in tree.body:
        if isinstance(node, definitions):
            stub += ([""] if stub else []) + _definition_stub(node, block, statement)
    if not stub or any(not isinstance(node, definitions) for node in tree.body):
        stub += [STUB_COMMENT, statement]
    return stub


def _definition_stub(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, lines: list[str], statement: str
) -> list[str]:
    """A ``def``/``class`` with its signature and docstring kept and its body raising."""
    first_line = min([node.lineno] + [decorator.lineno for decorator in node.decorator_list])
    body_start = node.body[0]
    header = lines[first_line - 1 : body_start.lineno - 1]
    while header and (not header[-1].strip() or header[-1].strip().startswith("#")):
        header.pop()
    body_indent = " " * body_start.col_offset
    has_docstring = ast.get_docstring(node, clean=False) is not None
    if not header or not _compiles(textwrap.dedent("\n".join([*header, body_indent + "pass"]))):
        return _unparsed_stub(node, statement, has_docstring)  # e.g. a one-line def
    stub = header + (lines[body_start.lineno - 1 : body_start.end_lineno] if has_docstring else [])
    members = [
        member
        for member in node.body
        if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    ]
    if isinstance(node, ast.ClassDef) and members:
        for number, member in enumerate(members):
            stub += ([""] if number or has_docstring else []) + _definition_stub(
                member, lines, statement
            )
        return stub
    return stub + [body_indent + STUB_COMMENT, body_indent + statement]


def _unparsed_stub(node: ast.stmt, statement: str, has_docstring: bool) -> list[str]:
    """Fallback for layouts whose header cannot be cut from the source: regenerate it."""
    placeholder = "__mlsnn_edu_stub__"
    node = copy.deepcopy(node)
    node.body = node.body[:1] if has_docstring else []
    node.body.append(ast.Expr(ast.Name(placeholder, ast.Load())))
    stub = []
    for line in ast.unparse(ast.fix_missing_locations(node)).split("\n"):
        if line.strip() == placeholder:
            stub += [_indent_of(line) + STUB_COMMENT, _indent_of(line) + statement]
        else:
            stub.append(line)
    return stub
