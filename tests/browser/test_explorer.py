"""The Voilà explorer in Chromium: move T and N as a reader would, read what the page says.

``python -m mlsnn_edu.explore`` (what ``mlsnn-edu explore`` runs) is started on
a free port of 127.0.0.1, the sliders are moved with the keyboard, and the level
count and errors the page shows must be the ones the library computes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsnn_edu.quantization import QuantizationError
from mlsnn_edu.widgets import QuantizationExplorer

from .conftest import ROOT, free_port

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

STARTUP_SECONDS = 120  # Voilà, then a kernel that imports torch, on 2 cores
# Voilà's own page template links FontAwesome's stylesheets from a CDN. They are
# blocked like every outside request (the sliders need no icons); these two are
# the only outside requests the explorer may attempt.
VOILA_CDN_STYLESHEETS = ("https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@",)


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
    """Stop the explorer and everything it started (Voilà, its kernel): they share a session."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    try:  # the kernel may outlive Voilà by a moment
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture
def explorer_url(chromium_executable: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = tmp_path / "explorer.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "mlsnn_edu.explore", "--port", str(port)],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches the kernel too
            env={**os.environ, "MPLBACKEND": "Agg"},
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_until_serving(url, process, log)
        yield url
    finally:
        stop(process)


def expected(timesteps: int, levels: int) -> QuantizationError:
    """What the library computes for the explorer's default settings and these T, N."""
    return QuantizationExplorer(timesteps=timesteps, levels=levels).result


def slider_handle(page, description: str):
    slider = page.locator(".widget-slider", has=page.locator(".widget-label", has_text=description))
    return slider.locator(".noUi-handle")


def assert_shows(page, result: QuantizationError) -> None:
    from playwright.sync_api import expect

    expect(page.locator("span.levels")).to_have_text(str(result.levels))
    expect(page.locator("span.mse")).to_have_text(f"{result.mse:.5f}")
    expect(page.locator("span.max-error")).to_have_text(f"{result.max_abs:.4f}")


def test_moving_t_and_n_updates_levels_and_error(
    explorer_url: str, open_guarded, artifacts
) -> None:
    guard = open_guarded(explorer_url.rstrip("/"), allowed_outside=VOILA_CDN_STYLESHEETS)
    page = guard.page
    page.goto(explorer_url, wait_until="load")
    page.locator("span.levels").wait_for(timeout=STARTUP_SECONDS * 1000)  # kernel ran the cell
    assert_shows(page, expected(timesteps=1, levels=4))

    t_handle = slider_handle(page, "T (timesteps)")
    t_handle.focus()
    t_handle.press("ArrowRight")
    t_handle.press("ArrowRight")
    assert_shows(page, expected(timesteps=3, levels=4))

    n_handle = slider_handle(page, "N (levels)")
    n_handle.focus()
    n_handle.press("ArrowLeft")
    n_handle.press("ArrowLeft")
    after = expected(timesteps=3, levels=2)
    assert_shows(page, after)
    assert after.levels == 7 and after != expected(timesteps=1, levels=4)

    # The redrawn staircase is shown too.
    figure = page.locator(".jp-OutputArea-output img").last
    figure.wait_for()
    assert figure.evaluate("image => image.complete && image.naturalWidth > 0")
    page.screenshot(path=artifacts / "explorer.png", full_page=True)
    assert guard.problems() == dict.fromkeys(guard.problems(), [])
