"""Atomic writes that honour the umask, and output paths checked before any work."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mlsnn_edu.files import check_output_dir, check_output_file, write_atomically


@pytest.fixture
def umask_027():
    previous = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(previous)


def test_written_files_get_the_umasks_permissions_not_0600(tmp_path: Path, umask_027) -> None:
    text = write_atomically(tmp_path / "a.txt", "hello")
    binary = write_atomically(tmp_path / "b.bin", b"\x00\x01")
    written = write_atomically(tmp_path / "c.png", lambda path: path.write_bytes(b"png"))
    for path in (text, binary, written):
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path
    assert text.read_text() == "hello" and written.read_bytes() == b"png"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = write_atomically(tmp_path / "keep.txt", "old")

    def fail(path: Path) -> None:
        path.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(target, fail)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_the_temporary_keeps_the_suffix_writers_read_the_format_from(tmp_path: Path) -> None:
    seen = []
    write_atomically(tmp_path / "plot.svg", lambda path: seen.append(path.suffix) or path.touch())
    assert seen == [".svg"]


def test_output_folders_are_checked_without_leaving_anything(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert check_output_dir(tmp_path / "new" / "deeper", "out_dir") == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # proven creatable, then removed again
    with pytest.raises(ValueError, match="out_dir .* is a file"):
        check_output_dir(a_file, "out_dir")
    with pytest.raises(ValueError, match="cannot be created"):
        check_output_dir(a_file / "below", "out_dir")
    with pytest.raises(ValueError, match="must name a folder"):
        check_output_dir("  ", "out_dir")


def test_output_files_need_a_known_suffix_and_a_writable_folder(tmp_path: Path) -> None:
    assert check_output_file(tmp_path / "a.png", "--plot", (".png",)) == tmp_path / "a.png"
    with pytest.raises(ValueError, match="is a folder"):
        check_output_file(tmp_path, "--plot", (".png",))
    with pytest.raises(ValueError, match="must end in one of .png"):
        check_output_file(tmp_path / "a", "--plot", (".png",))
