"""Every test's temporary files under pytest's own temporary folder.

The explorer and distributed-training tests start processes that make temporary
folders of their own (Voila's, torchelastic's, the explorer's notebook); killed at
teardown, those processes cannot remove them. Pointing ``TMPDIR`` (and this
process's ``tempfile``) at pytest's base folder, which pytest itself rotates,
keeps them out of ``/tmp``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def temporary_files_under_pytest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    folder = tmp_path_factory.mktemp("tmpdir")
    previous = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = str(folder)
    try:
        yield
    finally:
        if previous[0] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = previous[0]
        tempfile.tempdir = previous[1]
