"""The Voilà explorers in Chromium: move T and N as a reader would, read what the page says.

``python -m mlsnn_edu explore`` (the ``mlsnn-edu explore`` command) is started on
a free port of 127.0.0.1, the sliders are moved with the keyboard, and the
numbers the page shows must be the ones the library computes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsnn_edu.explorers import ActivityEnergy, activity_energy

from .conftest import ROOT, free_port
from .pages import assert_matches_library, press

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

STARTUP_SECONDS = 120  # Voilà, then a kernel that imports torch, on 2 cores
UPDATE_MS = 60_000  # one slider move: the activity explorer runs a network
ACTIVITY_FIELDS = ("events", "mass", "energy")  # the spans the activity explorer fills


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"the explorer exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(
        f"the explorer did not answer within {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}"
    )


def stop(process: subprocess.Popen) -> None:
    """Stop the explorer and everything it started (Voilà, its kernel): they share a session.

    Killed outright: a polite SIGTERM makes Voilà wait seconds for its kernel to shut
    down, and nothing of a test server needs saving.
    """
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


@pytest.fixture
def start_explorer(chromium_executable: str, tmp_path: Path) -> Iterator[object]:
    """``start_explorer(name)`` serves explorer ``name`` and returns its URL; stopped at teardown."""
    processes: list[subprocess.Popen] = []

    def start(name: str) -> str:
        port = free_port()
        log = tmp_path / f"explorer-{name}.log"
        with log.open("w") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "mlsnn_edu", "explore", name, "--port", str(port)],
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() reaches the kernel
            )
        processes.append(process)
        url = f"http://127.0.0.1:{port}/"
        wait_until_serving(url, process, log)
        return url

    try:
        yield start
    finally:
        for process in processes:
            stop(process)


def slider_handle(page, description: str):
    label = page.locator(".widget-label").filter(has_text=re.compile(f"^{re.escape(description)}$"))
    return page.locator(".widget-slider", has=label).locator(".noUi-handle")


def move(page, description: str, key: str, times: int) -> None:
    """Focus a slider's handle and press an arrow key, as a keyboard user would."""
    handle = slider_handle(page, description)
    handle.focus()
    for _ in range(times):
        handle.press(key)


def number(text: str) -> float:
    return float(text.replace(",", ""))


def shown_activity(page) -> dict[str, float]:
    return {name: number(page.locator(f"span.{name}").inner_text()) for name in ACTIVITY_FIELDS}


def assert_activity_shows(page, result: ActivityEnergy) -> None:
    """The page's numbers match the library's to rounding (the kernel is another process)."""
    wanted = {"events": result.events, "mass": result.mass, "energy": result.energy_uj}
    deadline = time.monotonic() + UPDATE_MS / 1000
    while shown_activity(page) != pytest.approx(wanted, rel=1e-3) and time.monotonic() < deadline:
        page.wait_for_timeout(250)  # the kernel is still computing the new setting
    assert shown_activity(page) == pytest.approx(wanted, rel=1e-3)


def open_explorer(url: str, open_guarded):
    guard = open_guarded(url.rstrip("/"))  # every outside request is blocked and counted
    guard.page.goto(url, wait_until="load")
    return guard


def assert_figure_drawn(page) -> None:
    figure = page.locator(".jp-OutputArea-output img").last
    figure.wait_for(timeout=UPDATE_MS)
    assert figure.evaluate("image => image.complete && image.naturalWidth > 0")


def test_quantization_explorer_follows_t_and_n(start_explorer, open_guarded, artifacts) -> None:
    guard = open_explorer(start_explorer("quantization"), open_guarded)
    page = guard.page
    explorer = page.locator(".mlsnn-quantization")
    explorer.wait_for(timeout=STARTUP_SECONDS * 1000)  # the kernel ran the cell
    assert_matches_library(explorer)
    press(explorer, "timesteps", "ArrowRight", 2)
    after_t = assert_matches_library(explorer)
    press(explorer, "levels", "ArrowLeft", 2)
    after_n = assert_matches_library(explorer)
    assert (after_t["timesteps"], after_n["levels"]) == (3, 2)
    page.screenshot(path=artifacts / "explorer.png", full_page=True)
    assert guard.problems() == dict.fromkeys(guard.problems(), [])


def test_activity_explorer_follows_t_and_n(start_explorer, open_guarded, artifacts) -> None:
    guard = open_explorer(start_explorer("activity"), open_guarded)
    page = guard.page
    page.locator("span.energy").wait_for(timeout=STARTUP_SECONDS * 1000)
    start = activity_energy("sparse_resnet18", timesteps=1, levels=4)
    assert_activity_shows(page, start)

    move(page, "T", "ArrowRight", 1)
    assert_activity_shows(page, activity_energy("sparse_resnet18", timesteps=2, levels=4))

    move(page, "N", "ArrowLeft", 3)
    after = activity_energy("sparse_resnet18", timesteps=2, levels=1)
    assert_activity_shows(page, after)
    assert after.energy_uj != pytest.approx(start.energy_uj, rel=0.05)

    assert_figure_drawn(page)
    page.screenshot(path=artifacts / "activity-explorer.png", full_page=True)
    assert guard.problems() == dict.fromkeys(guard.problems(), [])
