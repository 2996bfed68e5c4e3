"""The book the main command builds, read in Chromium with every outside request blocked.

``tools/build-book.sh`` (the README's main command) executes every chapter and
builds ``book/_build/html``; ``tools/test.sh`` runs it before these tests, which
refuse any other build (``book/_build/build-info.json`` says who built it). Every
page must load with no request leaving the machine, no failed request, no
console error, every equation typeset by MathJax and every image loaded with
real alt text. Every chapter page must show at least as many figures as it has
``*Figure: ...*`` captions, no cell output with a traceback, an error or a
warning, and no solution unless the reader unfolds it. Chapter 2's quantization
explorer and chapter 3's activity explorer must recompute in the static page.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from mlsnn_edu.classroom.convention import BEGIN, END, load_chapters

from .conftest import ROOT, free_port
from .pages import assert_matches_library, drag, press, shown_settings

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

BUILD = ROOT / "book" / "_build"
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
CHAPTER_PAGES = [page for page in PAGES if page.startswith("chapters/")]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass  # the guard records what matters


@pytest.fixture(scope="module")
def book_html(chromium_executable: str) -> Path:
    """The book as the main command built it; any other build is refused."""
    info_path = BUILD / "build-info.json"
    if not info_path.is_file():
        pytest.fail(
            "no book built by the main command here: run `bash tools/build-book.sh` "
            "(`bash tools/test.sh` does it before these tests)"
        )
    info = json.loads(info_path.read_text(encoding="utf-8"))
    assert info["built_by"] == "tools/build-book.sh" and info["executed"] is True
    return BUILD / "html"


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

# A figure a reader sees: a loaded image, or an explorer's drawing, with a size on the page.
FIGURE_REPORT = """() => {
  const shown = element => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const images = [...document.querySelectorAll('.cell_output img')]
    .filter(image => image.complete && image.naturalWidth > 0 && shown(image));
  const drawings = [...document.querySelectorAll('.cell_output svg[role="img"]')].filter(shown);
  const captions = [...document.querySelectorAll('article p > em:first-child')]
    .filter(em => /^Figure:/.test(em.textContent.trim()));
  return {figures: images.length + drawings.length, captions: captions.length};
}"""

OUTPUT_TEXTS = """() => [...document.querySelectorAll('.cell_output')].map(output => ({
  text: output.innerText.slice(0, 4000),
  stderr: output.querySelector('.stderr, .output.error, .output.traceback') !== null,
}))"""


def has_real_alt(image: dict) -> bool:
    """Alt text that describes: not empty and not the image's file name."""
    alt = image["alt"]
    return bool(alt) and not alt.lower().endswith(IMAGE_SUFFIXES) and alt not in image["src"]


def open_page(guard, url: str) -> object:
    page = guard.page
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    if page.locator("span.math, div.math").count():
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    return page


@pytest.mark.parametrize("page_path", PAGES)
def test_page_is_complete_offline(page_path: str, book_url: str, open_guarded, artifacts) -> None:
    guard = open_guarded(book_url)
    page = open_page(guard, book_url + page_path)
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
    page.screenshot(path=artifacts / f"book-{page_path.replace('/', '-')}.png", full_page=True)
    assert guard.problems() == dict.fromkeys(guard.problems(), [])
    assert math["untypeset"] == [] and math["tex_errors"] == []
    assert [image["src"] for image in images if not image["loaded"]] == []
    # Widget outputs are drawn in the browser from saved state, with no way to pass alt text.
    figures = [image for image in images if not image["in_widget"]]
    assert [image["src"] for image in figures if not has_real_alt(image)] == []


@pytest.mark.parametrize("page_path", CHAPTER_PAGES)
def test_chapter_shows_every_figure_and_no_error(page_path: str, book_url: str, open_guarded):
    page = open_page(open_guarded(book_url), book_url + page_path)
    counted = page.evaluate(FIGURE_REPORT)
    assert counted["captions"] >= 1, "a chapter without figure captions: is this the book?"
    assert counted["figures"] >= counted["captions"], counted
    for output in page.evaluate(OUTPUT_TEXTS):
        assert not output["stderr"], output["text"]
        assert "Traceback" not in output["text"], output["text"]
        assert not re.search(r"\b\w*Error\b|\bWarning\b|warnings\.warn", output["text"]), output


VISIBLE_SEARCH_FIELDS = (
    "() => [...document.querySelectorAll('.search-button-field')]"
    ".filter(field => field.checkVisibility()).length"
)


def test_a_laptop_screen_shows_one_search_field_not_two(book_url, open_guarded) -> None:
    """pydata-sphinx-theme 0.17 adds a site header with a second search field above the
    book theme's sidebar, which has its own; ``book/_static/layout.css`` hides it."""
    page = open_page(open_guarded(book_url), book_url + "intro.html")
    assert page.evaluate(VISIBLE_SEARCH_FIELDS) == 1
    assert page.locator(".bd-sidebar-primary .search-button-field").first.is_visible()


def solution_lines(chapter_name: str) -> list[str]:
    """Lines only a solution holds: between its markers, long enough to be telling, and
    found nowhere else in the chapter (a line the chapter shows anyway gives nothing away)."""
    (chapter,) = load_chapters(ROOT / "notebooks", [chapter_name[:2]])
    solutions = {exercise.cell for exercise in chapter.exercises}
    elsewhere = "\n".join(
        cell.source for index, cell in enumerate(chapter.notebook.cells) if index not in solutions
    )
    lines = []
    for index in sorted(solutions):
        source = chapter.notebook.cells[index].source.split("\n")
        begin, end = source.index(BEGIN), source.index(END)
        lines += [
            line.strip()
            for line in source[begin + 1 : end]
            if len(line.strip()) >= 12 and line.strip() not in elsewhere
        ]
    return lines


@pytest.mark.parametrize("page_path", CHAPTER_PAGES)
def test_solutions_stay_folded_and_markers_never_show(page_path, book_url, open_guarded):
    page = open_page(open_guarded(book_url), book_url + page_path)
    html = page.content()
    assert BEGIN not in html and END not in html  # not even inside the folded toggle
    visible = page.evaluate("() => document.body.innerText")
    lines = solution_lines(Path(page_path).stem)
    assert lines, "every chapter has exercises"
    assert [line for line in lines if line in visible] == []
    toggles = page.locator("details summary", has_text="Show the solution")
    (chapter,) = load_chapters(ROOT / "notebooks", [Path(page_path).stem[:2]])
    assert toggles.count() == len(chapter.exercises)
    toggles.first.click()  # a reader who asks for it gets the answer, still without markers
    assert any(line in page.evaluate("() => document.body.innerText") for line in lines)
    assert BEGIN not in page.evaluate("() => document.body.innerText")


def test_chapter_two_explorer_recomputes_in_the_static_page(book_url, open_guarded, artifacts):
    guard = open_guarded(book_url)
    page = open_page(guard, book_url + "chapters/02_multilevel_spikes.html")
    explorer = page.locator(".mlsnn-quantization").first
    explorer.scroll_into_view_if_needed()
    start = assert_matches_library(explorer)
    redraw_ms = []
    seen = [start]
    for name, key, times in (
        ("timesteps", "ArrowRight", 1),
        ("timesteps", "ArrowRight", 2),
        ("levels", "ArrowLeft", 2),
        ("levels", "ArrowRight", 5),
        ("theta", "ArrowLeft", 3),
        ("theta", "ArrowRight", 7),
        ("low", "ArrowRight", 4),
        ("high", "ArrowLeft", 9),
    ):
        redraw_ms.append(press(explorer, name, key, times))
        seen.append(assert_matches_library(explorer))
    for name, fraction in (("timesteps", 0.8), ("levels", 0.3), ("theta", 0.6), ("high", 0.7)):
        drag(explorer, name, fraction)
        seen.append(assert_matches_library(explorer))
    assert len({tuple(s.values()) for s in seen}) == len(seen)  # every move changed something
    explorer.screenshot(path=artifacts / "book-explorer-chapter2.png")
    weight = len(explorer.evaluate("root => root.outerHTML")) + len(
        explorer.evaluate("root => root.nextElementSibling.outerHTML")
    )
    (artifacts / "explorer-measurements.json").write_text(
        json.dumps({"redraw_ms": redraw_ms, "explorer_html_bytes": weight}, indent=1)
    )
    assert max(redraw_ms) < 2000
    assert guard.problems() == dict.fromkeys(guard.problems(), [])


GRID_POINT = re.compile(
    r"grid point (\w+) T=(\d) N=(\d): events ([\d,]+),\s+mass ([\d,]+),\s+"
    r"events at sum1 ([\d,]+),\s+energy ([\d.]+) uJ"
)


def grid_points_printed(page_text: str) -> dict[tuple[str, int, int], dict[str, float]]:
    """The grid points chapter 3 printed in this build: ``grid point <net> T=<t> N=<n>: ...``."""
    points = {}
    for match in GRID_POINT.finditer(page_text):
        network, t, n, *values = match.groups()
        numbers = [float(v.replace(",", "")) for v in values]
        points[network, int(t), int(n)] = dict(zip(("events", "mass", "sum1", "energy"), numbers))
    return points


def test_chapter_three_activity_grid_shows_what_the_chapter_prints(book_url, open_guarded):
    guard = open_guarded(book_url)
    page = open_page(guard, book_url + "chapters/03_spike_avalanche.html")
    explorer = page.locator(".mlsnn-activity").first
    explorer.scroll_into_view_if_needed()
    printed = grid_points_printed(page.evaluate("() => document.body.innerText"))
    assert len(printed) >= 2
    for (network, timesteps, levels), values in printed.items():
        explorer.locator(f'input[name="network"][value="{network}"]').check()
        for name, wanted in (("timesteps", timesteps), ("levels", levels)):
            handle = explorer.locator(f'input[type="range"][name="{name}"]')
            handle.focus()
            for _ in range(8):
                current = int(explorer.locator(f'output[data-for="{name}"]').inner_text())
                if current == wanted:
                    break
                handle.press("ArrowRight" if current < wanted else "ArrowLeft")
        shown = {
            name: float(explorer.locator(f"span.{name}").inner_text().replace(",", ""))
            for name in ("events", "mass", "sum1", "energy")
        }
        assert shown == pytest.approx(values, abs=0.5), (network, timesteps, levels)
        assert f"T={timesteps}, N={levels}" in explorer.locator("svg").get_attribute("aria-label")
    assert guard.problems() == dict.fromkeys(guard.problems(), [])


def test_settings_are_read_from_the_outputs_beside_the_sliders(book_url, open_guarded) -> None:
    """The explorer's labels are visible text a reader can see, next to each slider."""
    page = open_page(open_guarded(book_url), book_url + "chapters/02_multilevel_spikes.html")
    explorer = page.locator(".mlsnn-quantization").first
    for label in ("T (timesteps)", "N (levels)", "θ (threshold)", "inputs from", "inputs to"):
        assert explorer.locator("label", has_text=label).is_visible()
    assert set(shown_settings(explorer)) == {"timesteps", "levels", "theta", "low", "high"}
