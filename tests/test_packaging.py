"""Packaging promises: environment.yml reaches every dependency; the command runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import tomllib
import yaml

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
