"""Packaging promises: environment.yml reaches every dependency, the lock pins them, the command runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from mlsnn_edu.experiments import COMMITTED_RESULTS

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
    # Both start together: each is mostly the CLI's imports, one core apiece.
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for command in (
            [sys.executable, "-m", "mlsnn_edu", "--help"],
            [str(Path(sys.executable).parent / "mlsnn-edu"), "--help"],
        )
    ]
    for process in processes:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        for subcommand in ("train", "evaluate", "activity", "energy", "reproduce"):
            assert subcommand in stdout


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


@pytest.mark.slow
def test_an_installed_copy_finds_the_committed_results(tmp_path: Path) -> None:
    """The route a student's ``pip install`` takes: the wheel carries every package and the runs.

    The wheel is built from this checkout and unpacked; the library is then
    imported from the unpacked copy, in a folder with no checkout around it,
    and reads the committed sweep from its package data, and builds its spike kernel
    from the C source the wheel carries.
    """
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "wheel"),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "wheel").glob("mlsnn_edu-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "installed")
    assert any(n.startswith("mlsnn_edu/committed_results/sweep/") for n in names)
    assert "mlsnn_edu/experiments/__init__.py" in names
    assert "mlsnn_edu/spike_kernel.c" in names
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import mlsnn_edu, mlsnn_edu.experiments as e; from mlsnn_edu import spike_kernel; "
        "print(mlsnn_edu.__file__); print(len(e.load_runs())); print(spike_kernel.kernel())"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=elsewhere,
        env={
            **os.environ,
            "PYTHONPATH": str(tmp_path / "installed"),
            "MLSNN_EDU_CACHE": str(tmp_path / "cache"),  # the kernel built from the wheel's source
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout.splitlines()
    assert out[0].startswith(str(tmp_path / "installed"))
    assert int(out[1]) == len(list(COMMITTED_RESULTS.glob("*.json"))) > 0
    assert str(tmp_path / "cache" / "kernels") in out[2]
