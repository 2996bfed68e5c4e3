"""The library's layers, enforced: imports run downward only, without cycles, at the top of files.

Core (argument checks, settings, files, spike functions, neurons, quantization)
-> models -> data and measurement (monitor, gradients, energy) -> training ->
experiments -> faces (figures, diagrams, explorers, classroom, the command line). A
module may import from its own layer or a lower one, never from a higher one,
and the module graph has no cycle. README.md's "Layout" lists the same layers.

The checker reads every import (``import a.b``, ``from a import b``, relative
``from ..a import b``) with :mod:`ast` and is itself tested: planted
violations (an upward import, a relative upward import, a cycle, an import
hidden in a function) must each be caught, and an empty module list fails.
Chapters and benchmarks import a subpackage only through the names its
``__init__`` exports (``__all__``), never from its inner modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mlsnn_edu"

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
            "spike_kernel",
            "neurons",
            "quantization",
        ),
    ),
    ("models", ("models",)),
    ("data and measurement", ("data", "monitor", "gradients", "energy")),
    ("training", ("training",)),
    ("experiments", ("experiments",)),
    (
        "faces",
        (
            "figures",
            "energy_figures",
            "diagrams",
            "diagram_shapes",
            "explorers",
            "explorer_app",
            "classroom",
            "cli",
            "__main__",
        ),
    ),
]
#: Function-level imports allowed, with the reason: (importing module, imported module).
DEFERRED_IMPORTS = {
    # importing torchvision takes about a second; only the paper-scale CIFAR loaders need it
    ("mlsnn_edu.data.cifar", "torchvision"),
    ("mlsnn_edu.data.cifar", "torchvision.datasets"),
    # nbformat's schema checks take over a second to import; every command would wait for them
    ("mlsnn_edu.cli.assignments", "mlsnn_edu.classroom.convention"),
    ("mlsnn_edu.cli.assignments", "mlsnn_edu.classroom.handouts"),
    ("mlsnn_edu.cli.assignments", "mlsnn_edu.classroom.nbgrader"),
    ("mlsnn_edu.explorer_app", "nbformat"),
    # a GPU machine with PyTorch alone runs the sweep and tests/gpu: only event data needs
    # tonic, and only the widgets need ipywidgets (tested below, with the extras hidden)
    ("mlsnn_edu.data.dvs", "tonic.transforms"),
    ("mlsnn_edu.data.dvs", "tonic.datasets"),
    ("mlsnn_edu.explorer_app", "mlsnn_edu.explorers"),
}


class Module:
    """One module's source, its dotted name and whether it is a package's ``__init__``."""

    def __init__(self, name: str, source: str, is_package: bool = False) -> None:
        self.name, self.source, self.is_package = name, source, is_package


def read_package(root: Path = PACKAGE) -> dict[str, Module]:
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        name = ".".join(parts)
        modules[name] = Module(name, path.read_text(encoding="utf-8"), is_package)
    return modules


def absolute(module: Module, node: ast.ImportFrom) -> str:
    """The absolute name ``from ... import`` refers to, relative imports resolved."""
    if node.level == 0:
        return node.module or ""
    parts = module.name.split(".")
    base = parts if module.is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(module: Module, known: set[str]) -> list[tuple[str, bool, int]]:
    """``(imported module, at top level?, line)`` for every import in ``module``."""
    tree = ast.parse(module.source)
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = absolute(module, node)
            names = [target]
            # `from package import submodule` imports the submodule too
            names += [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
        else:
            continue
        for name in names:
            if name != "__future__":
                found.append((name, id(node) in top_level, node.lineno))
    return found


def layer_of(module: str) -> int | None:
    top = module.split(".")[1] if "." in module else ""
    for rank, (_, members) in enumerate(LAYERS):
        if top in members:
            return rank
    return None


def violations(modules: dict[str, Module]) -> list[str]:
    """Every breach of the layer rules among ``modules``; an empty list means none."""
    if not modules:
        return ["no modules found: the check would pass vacuously"]
    problems = [
        f"{name} belongs to no layer: add it to LAYERS and README's Layout"
        for name in modules
        if layer_of(name) is None
    ]
    known = set(modules)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, module in modules.items():
        for target, at_top, line in imports_of(module, known):
            if not at_top and (name, target) not in DEFERRED_IMPORTS:
                problems.append(f"{name}:{line} imports {target} inside a function")
            if target in known and target != name:
                graph[name].add(target)
    for name, targets in graph.items():
        for target in targets:
            low, high = layer_of(name), layer_of(target)
            if low is not None and high is not None and high > low:
                problems.append(f"{name} ({LAYERS[low][0]}) imports {target} ({LAYERS[high][0]})")
    problems += [f"cycle: {' -> '.join(cycle)}" for cycle in cycles(graph)]
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    state: dict[str, str] = {}
    found: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                found.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return found


MODULES = read_package()


def test_the_library_holds_its_layers() -> None:
    assert len(MODULES) > 30, "the package's modules were not found"
    assert violations(MODULES) == []


def planted(**changes: str) -> dict[str, Module]:
    """The real package with some modules' sources replaced (``a__b`` names ``mlsnn_edu.a.b``)."""
    modules = dict(MODULES)
    for key, source in changes.items():
        name = "mlsnn_edu." + key.replace("__", ".")
        original = modules[name]
        modules[name] = Module(name, original.source + "\n" + source, original.is_package)
    return modules


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"models__layers": "import mlsnn_edu.training"}, "(models) imports mlsnn_edu.training"),
        ({"models__layers": "from ..training import fit"}, "imports mlsnn_edu.training"),
        ({"neurons": "from .cli import main"}, "(core) imports mlsnn_edu.cli"),
        ({"energy__counts": "from mlsnn_edu.energy import estimate"}, "cycle: "),
        ({"checks": "def f():\n    import mlsnn_edu.settings"}, "inside a function"),
    ],
    ids=["upward", "relative upward", "relative from a top module", "cycle", "hidden"],
)
def test_the_checker_catches_a_planted_violation(changes: dict, expected: str) -> None:
    found = violations(planted(**changes))
    assert any(expected in problem for problem in found), found


def test_the_checker_fails_without_modules_and_on_an_unlayered_module() -> None:
    assert violations({}) != []
    stray = {**MODULES, "mlsnn_edu.stray": Module("mlsnn_edu.stray", "")}
    assert any("belongs to no layer" in p for p in violations(stray))


# --- chapters and benchmarks use the packages' public names ------------------------------------

SUBPACKAGES = {name for name, module in MODULES.items() if module.is_package and "." in name}


def public_names(package: str) -> set[str]:
    tree = ast.parse(MODULES[package].source)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return {element.value for element in node.value.elts}
    return set()


def private_imports(source: str) -> list[str]:
    """Imports of a subpackage's inner module, or of a name its ``__init__`` does not export."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mlsnn_edu"):
            parts = node.module.split(".")
            inner = ".".join(parts[:2])
            if len(parts) > 2 and inner in SUBPACKAGES:
                found.append(f"line {node.lineno}: from {node.module} (use {inner})")
            elif node.module in SUBPACKAGES:
                exported = public_names(node.module)
                found += [
                    f"line {node.lineno}: {node.module}.{alias.name} is not in its __all__"
                    for alias in node.names
                    if alias.name not in exported
                ]
        elif isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name.count(".") >= 2 and ".".join(alias.name.split(".")[:2]) in SUBPACKAGES
            ]
    return found


OUTSIDERS = sorted(
    [*(ROOT / "notebooks").glob("[0-9][0-9]_*.py"), *(ROOT / "benchmarks").glob("*.py")]
)


@pytest.mark.parametrize("path", OUTSIDERS, ids=[p.stem for p in OUTSIDERS])
def test_chapters_and_benchmarks_import_public_names(path: Path) -> None:
    assert private_imports(path.read_text(encoding="utf-8")) == []


def test_the_public_name_check_catches_an_inner_import() -> None:
    assert private_imports("from mlsnn_edu.energy.counts import neuron_counts")
    assert private_imports("from mlsnn_edu.energy import not_exported_name")
    assert private_imports("import mlsnn_edu.models.layers")
    assert private_imports("from mlsnn_edu.energy import estimate_energy") == []
    assert len(OUTSIDERS) > 8


#: A module a student can read in one sitting: split a longer one into parts of one idea each.
MAX_MODULE_LINES = 400


def test_every_module_is_short_enough_to_read_in_one_sitting() -> None:
    lengths = {name: module.source.count("\n") for name, module in read_package().items()}
    assert len(lengths) > 40  # the walk found the package
    too_long = {name: n for name, n in lengths.items() if n > MAX_MODULE_LINES}
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines: {too_long}"


#: What a bare GPU image lacks that the book and its tests need.
EXTRAS = ("tonic", "ipywidgets", "IPython", "snntorch", "voila", "nbformat", "jupytext", "myst_nb")


def test_the_command_line_and_training_import_without_the_extras() -> None:
    """The command line, training, experiments and benchmarks import with the extras hidden."""
    import subprocess
    import sys

    program = f"""
import importlib.abc, sys
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {EXTRAS!r}:
            raise ModuleNotFoundError(f"hidden: {{name}}")
sys.meta_path.insert(0, Hide())
sys.path.insert(0, "benchmarks")
import mlsnn_edu.cli, mlsnn_edu.experiments, mlsnn_edu.training, timing
print("imported")
"""
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "imported" in done.stdout, done.stderr[-2000:]
