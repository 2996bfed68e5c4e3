"""Packaging promises: environment.yml reaches every dependency, the lock pins them, the command runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (requires-python allows it): the same parser, packaged
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def pip_entries() -> list[str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    entries: list[str] = []
    for dependency in environment["dependencies"]:
        if isinstance(dependency, dict):
            entries += dependency.get("pip", [])
    return entries


def test_every_pyproject_dependency_is_reachable_from_environment_yml() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    entries = pip_entries()
    installs_project = [
        e for e in entries if re.fullmatch(r"(-e\s+)?\.(\[(?P<extras>[\w,\s-]+)\])?", e)
    ]
    assert installs_project, "environment.yml must pip-install the project itself ('-e .[dev]')"
    extras = set()
    for entry in installs_project:
        match = re.search(r"\[([\w,\s-]+)\]", entry)
        extras |= {e.strip() for e in match.group(1).split(",")} if match else set()
    reachable = set(project["dependencies"])
    for extra in extras:
        reachable |= set(project["optional-dependencies"].get(extra, []))
    for requirement in project["dependencies"] + sum(project["optional-dependencies"].values(), []):
        assert requirement in reachable, f"{requirement!r} is not installed by environment.yml"


def test_environment_python_satisfies_requires_python() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    minimum = re.search(r">=\s*(3\.\d+)", project["requires-python"]).group(1)
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(
        d for d in environment["dependencies"] if isinstance(d, str) and d.startswith("python")
    )
    assert f">={minimum}" in python


def test_python_dash_m_and_console_script_give_help() -> None:
    for command in (
        [sys.executable, "-m", "mlsnn_edu", "--help"],
        [str(Path(sys.executable).parent / "mlsnn-edu"), "--help"],
    ):
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        for subcommand in ("train", "evaluate", "activity", "energy", "reproduce"):
            assert subcommand in result.stdout


def requirement_name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[\s]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_lock_pins_every_dependency_and_the_set_up_uses_it() -> None:
    """A fresh machine installs the versions the committed notebooks were executed with."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for line in (ROOT / "requirements-lock.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name.lower().replace("_", "-")] = version
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    for requirement in wanted:
        if "python_version" in requirement:
            continue  # a back-port the lock's Python does not need
        assert pins.get(requirement_name(requirement)), f"{requirement} is not pinned"
    assert "-c requirements-lock.txt" in (ROOT / "tools" / "setup-env.sh").read_text()
