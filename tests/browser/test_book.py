"""Every page of the built book, opened in Chromium with the outside network blocked.

The book is rendered from the committed executed notebooks without executing
them again (``tools/build-book.sh --no-execute``), served from 127.0.0.1, and
each page must load with no request leaving the machine, no failed request, no
console error, every equation typeset by MathJax, every saved widget drawn, and
every image loaded with real alt text.
"""

from __future__ import annotations

import functools
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT, free_port

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

IMAGE_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp")
# Pages Sphinx writes besides the table of contents' files.
GENERATED_PAGES = ["index.html", "genindex.html", "search.html"]


def toc_pages(toc: Path = ROOT / "book" / "_toc.yml") -> list[str]:
    """The HTML page of every file the book's table of contents lists, root first."""
    entries = yaml.safe_load(toc.read_text(encoding="utf-8"))
    pages = [entries["root"]]

    def walk(items: list[dict]) -> None:
        for item in items:
            if "file" in item:
                pages.append(item["file"])
            for key in ("parts", "chapters", "sections"):
                walk(item.get(key, []))

    walk([entries])
    return [f"{page}.html" for page in pages]


PAGES = toc_pages() + GENERATED_PAGES


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass  # the guard records what matters


@pytest.fixture(scope="module")
def book_html(chromium_executable: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The book rendered from the committed .ipynb twins (no execution) into a temporary folder."""
    out = tmp_path_factory.mktemp("book")
    build = subprocess.run(
        ["bash", "tools/build-book.sh", "--no-execute", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if build.returncode != 0:
        pytest.fail(f"the book did not build:\n{(build.stdout + build.stderr)[-4000:]}")
    return out / "_build" / "html"


@pytest.fixture(scope="module")
def book_url(book_html: Path) -> Iterator[str]:
    """The built book served over HTTP on 127.0.0.1 for the duration of the module."""
    handler = functools.partial(QuietHandler, directory=str(book_html))
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_every_built_page_is_checked(book_html: Path) -> None:
    built = {
        path.relative_to(book_html).as_posix()
        for path in book_html.rglob("*.html")
        if not path.relative_to(book_html).parts[0].startswith("_")
    }
    assert built == set(PAGES)


WAIT_FOR_WIDGETS = """() => {
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  const drawn = document.querySelectorAll('.widget-subarea .jupyter-widgets');
  return views.length === 0 || drawn.length >= views.length;
}"""

MATH_REPORT = """async () => {
  const math = [...document.querySelectorAll('span.math, div.math')];
  if (math.length > 0) await MathJax.startup.promise;
  return {
    count: math.length,
    untypeset: math.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80)),
    tex_errors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent.slice(0, 80)),
  };
}"""

IMAGE_REPORT = """() => [...document.images].map(image => ({
  src: image.getAttribute('src').slice(0, 120),
  alt: (image.getAttribute('alt') || '').trim(),
  loaded: image.complete && image.naturalWidth > 0,
  in_widget: image.closest('.jupyter-widgets') !== null,
}))"""


def has_real_alt(image: dict) -> bool:
    """Alt text that describes: not empty and not the image's file name."""
    alt = image["alt"]
    return bool(alt) and not alt.lower().endswith(IMAGE_SUFFIXES) and alt not in image["src"]


@pytest.mark.parametrize("page_path", PAGES)
def test_page_is_complete_offline(page_path: str, book_url: str, open_guarded, artifacts) -> None:
    guard = open_guarded(book_url)
    page = guard.page
    page.goto(book_url + page_path, wait_until="load")
    page.wait_for_load_state("networkidle")
    if page.locator("span.math, div.math").count():
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    math = page.evaluate(MATH_REPORT)
    page.wait_for_function(WAIT_FOR_WIDGETS)
    page.evaluate(
        "() => document.querySelectorAll('img').forEach(image => image.loading = 'eager')"
    )
    page.wait_for_function("() => [...document.images].every(image => image.complete)")
    images = page.evaluate(IMAGE_REPORT)
    page.wait_for_load_state("networkidle")  # fonts and modules the scripts asked for

    if page_path == "index.html":
        assert page.url == book_url + "intro.html", "index.html should open the introduction"
        page.screenshot(path=artifacts / "book-front-page.png", full_page=True)
    assert guard.problems() == dict.fromkeys(guard.problems(), [])
    assert math["untypeset"] == [] and math["tex_errors"] == []
    assert [image["src"] for image in images if not image["loaded"]] == []
    # Widget outputs are drawn in the browser from saved state, with no way to pass alt text.
    figures = [image for image in images if not image["in_widget"]]
    assert [image["src"] for image in figures if not has_real_alt(image)] == []


def test_chapters_have_equations_figures_and_widgets(book_url: str, open_guarded) -> None:
    """The checks above are not vacuous: chapter 2 has equations, figures and a live widget."""
    guard = open_guarded(book_url)
    page = guard.page
    page.goto(book_url + "chapters/02_multilevel_spikes.html", wait_until="load")
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    assert page.evaluate(MATH_REPORT)["count"] > 10
    assert page.locator("mjx-container").count() > 10
    assert page.locator("img").count() >= 2
    page.wait_for_function(WAIT_FOR_WIDGETS)
    sliders = page.locator(".widget-subarea .widget-slider .widget-label")
    assert "T (timesteps)" in sliders.all_inner_texts()
    assert page.locator(".widget-subarea span.levels").inner_text().strip().isdigit()
