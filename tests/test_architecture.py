"""The library's layers, enforced: imports run downward only, without cycles, at the top of files.

Core (argument checks, settings, files, spike functions, neurons, quantization)
-> models -> data and measurement (monitor, gradients, energy) -> training ->
experiments -> faces (figures, diagrams, explorers, classroom, the command line). A
module may import from its own layer or a lower one, never from a higher one,
and the module graph has no cycle. README.md's "Layout" lists the same layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mlsnn_edu"

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "core",
        (
            "",
            "checks",
            "settings",
            "files",
            "surrogate",
            "fast_surrogate",
            "neurons",
            "quantization",
        ),
    ),
    ("models", ("models",)),
    ("data and measurement", ("data", "monitor", "gradients", "energy")),
    ("training", ("training",)),
    ("experiments", ("experiments",)),
    ("faces", ("figures", "diagrams", "explorers", "classroom", "cli", "__main__")),
]
#: Function-level imports allowed, with the reason: (importing module, imported module).
DEFERRED_IMPORTS = {
    # importing torchvision takes about a second; only the paper-scale CIFAR loaders need it
    ("mlsnn_edu.data.cifar", "torchvision"),
    ("mlsnn_edu.data.cifar", "torchvision.datasets"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    for rank, (_, members) in enumerate(LAYERS):
        if top in members:
            return rank
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS and README's Layout")


def imports_of(module: str) -> list[tuple[str, bool, int]]:
    """``(imported module, at top level?, line)`` for every import in ``module``'s file."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module.startswith("mlsnn_edu"):  # `from package import submodule`
                names += [
                    f"{node.module}.{alias.name}"
                    for alias in node.names
                    if f"{node.module}.{alias.name}" in MODULES
                ]
        else:
            continue
        for name in names:
            if name != "__future__":
                found.append((name, id(node) in top_level, node.lineno))
    return found


def internal_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for module in MODULES:
        for name, _, _ in imports_of(module):
            if name.startswith("mlsnn_edu") and name in MODULES and name != module:
                graph[module].add(name)
    return graph


def test_every_module_belongs_to_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


def test_no_module_imports_from_a_higher_layer() -> None:
    upward = [
        f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in internal_graph().items()
        for target in targets
        if layer_of(target) > layer_of(module)
    ]
    assert upward == []


def test_the_module_graph_has_no_cycle() -> None:
    graph = internal_graph()
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_imports_stand_at_the_top_of_every_module() -> None:
    hidden = [
        f"{module}:{line} imports {name} inside a function"
        for module in MODULES
        for name, at_top, line in imports_of(module)
        if not at_top and (module, name) not in DEFERRED_IMPORTS
    ]
    assert hidden == []


@pytest.mark.parametrize(
    ("module", "target"),
    [("mlsnn_edu.models.layers", "mlsnn_edu.training"), ("mlsnn_edu.neurons", "mlsnn_edu.cli")],
)
def test_the_layer_check_would_catch_an_upward_import(module: str, target: str) -> None:
    assert layer_of(target) > layer_of(module)
