"""Write each inline script into a page once.

sphinx-thebe registers its inline configuration script (``const THEBE_JS_URL =
...``) after the HTML builder has started; Sphinx then keeps two copies that
differ only in an empty file name (``None`` against ``""``), and the second
copy throws "Identifier 'THEBE_JS_URL' has already been declared" in every
page. This drops scripts that repeat an earlier one.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def script_key(script) -> tuple:
    attributes = tuple(sorted((name, str(value)) for name, value in script.attributes.items()))
    return (script.filename or "", script.priority, attributes)


def drop_repeated_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: object
) -> None:
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        if script_key(script) not in seen:
            seen.add(script_key(script))
            unique.append(script)
    scripts[:] = unique


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", drop_repeated_scripts, priority=900)  # after others add theirs
    return {"parallel_read_safe": True, "parallel_write_safe": True}
