"""Serve the book's JavaScript from the build itself, so a page needs no CDN.

Sphinx loads MathJax, and myst-nb the Jupyter widgets HTML manager (with
RequireJS), from CDNs by default. This extension points both at files under
``_static/book-assets/`` and copies those files there from the npm packages that
``tools/book-assets.sh`` installs (pinned by ``tools/book-assets/package-lock.json``).

The files are copied at the end of the build rather than listed in
``html_static_path``: Jupyter Book adds every ``.js`` file found in a static
folder to every page, and MathJax ships hundreds that load on demand.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

ASSETS = "book-assets"  # under the build's _static/ (the theme has its own vendor/)
MATHJAX_ENTRY = "tex-mml-chtml.js"
# MathJax loads these folders on demand (TeX extensions, fonts, menu, accessibility).
MATHJAX_FOLDERS = ("a11y", "adaptors", "input", "output", "sre", "ui")
# Fonts the widget CSS refers to sit next to the bundle, with hashed names.
WIDGET_FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".eot", ".svg")
WIDGET_SETUP = Path(__file__).with_name("widget_setup.js")  # RequireJS paths, MathJax 2 shim


def node_modules(app: Sphinx) -> Path:
    """Where tools/book-assets.sh installs the packages: <repo>/tools/book-assets/node_modules."""
    return Path(app.srcdir).resolve().parent / "tools" / "book-assets" / "node_modules"


def use_local_scripts(app: Sphinx, config: Config) -> None:
    """Point MathJax and the widget manager at _static/book-assets/ (paths are relative to _static)."""
    modules = node_modules(app)
    if not (modules / "mathjax" / "es5" / MATHJAX_ENTRY).is_file():
        raise ExtensionError(
            f"the book's JavaScript assets are not installed ({modules} is missing or "
            "incomplete): run `bash tools/book-assets.sh` first (it runs `npm ci`)"
        )
    config.mathjax_path = f"{ASSETS}/mathjax/{MATHJAX_ENTRY}"
    config.nb_ipywidgets_js = {  # loaded in this order
        f"{ASSETS}/require.js": {},
        f"{ASSETS}/{WIDGET_SETUP.name}": {},
        f"{ASSETS}/html-manager/embed-amd.js": {},
    }


def copy_assets(app: Sphinx, exception: Exception | None) -> None:
    """Copy the files the pages load into <outdir>/_static/book-assets/."""
    if exception is not None or app.builder.format != "html":
        return
    modules = node_modules(app)
    target = Path(app.outdir) / "_static" / ASSETS
    mathjax = modules / "mathjax" / "es5"
    (target / "mathjax").mkdir(parents=True, exist_ok=True)
    shutil.copy2(mathjax / MATHJAX_ENTRY, target / "mathjax" / MATHJAX_ENTRY)
    for folder in MATHJAX_FOLDERS:
        shutil.copytree(mathjax / folder, target / "mathjax" / folder, dirs_exist_ok=True)
    shutil.copy2(modules / "requirejs" / "require.js", target / "require.js")
    shutil.copy2(WIDGET_SETUP, target / WIDGET_SETUP.name)
    manager = modules / "@jupyter-widgets" / "html-manager" / "dist"
    (target / "html-manager").mkdir(exist_ok=True)
    for path in manager.iterdir():
        if path.name == "embed-amd.js" or path.suffix in WIDGET_FONT_SUFFIXES:
            shutil.copy2(path, target / "html-manager" / path.name)
    logger.info(f"offline assets: MathJax, RequireJS and the widget manager copied to {target}")


def setup(app: Sphinx) -> dict:
    # Run before myst-nb reads its configuration (default priority 500).
    app.connect("config-inited", use_local_scripts, priority=100)
    app.connect("build-finished", copy_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
