"""Writing files so that no reader ever sees half of one, with the permissions the umask gives.

:func:`write_atomically` writes to a temporary file beside the target, then
renames it over the target: a run killed while writing leaves the previous
file intact. The temporary file is created like any ``open(path, "w")`` would
create it, so the result is readable by others when the umask says so
(``tempfile.mkstemp`` would make every file 0600), and it is flushed to disk
before the rename, so even a power cut leaves the old file or the new one.
Nothing is written through a symbolic link: the temporary file is created with
``O_EXCL | O_NOFOLLOW``, and the rename replaces a link at the target instead of
following it. :func:`refuse_links` checks the folders below an output root too.

:func:`check_output_dir` and :func:`check_output_file` look at an output path
*before* any long work starts, and name what is wrong with it;
:func:`removed_on_failure` takes back what a failed step (a download) added.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

IMAGE_SUFFIXES = (".png", ".svg", ".pdf", ".jpg", ".jpeg")
#: How a temporary file is created: a new file, never an existing one or a link's target.
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW


def write_atomically(path: str | Path, content: str | bytes | Callable[[Path], None]) -> Path:
    """Write ``content`` (text, bytes, or a function that writes a given path) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # the suffix stays last, so writers that read the format from it (matplotlib) still can
    temporary = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        if callable(content):
            os.close(os.open(temporary, NEW_FILE_FLAGS, 0o666))
            content(temporary)
        else:
            data = content.encode("utf-8") if isinstance(content, str) else content
            descriptor = os.open(temporary, NEW_FILE_FLAGS, 0o666)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
        _flush_to_disk(temporary)  # a power cut after the rename must not leave it empty
        os.replace(temporary, path)
        _flush_to_disk(path.parent)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _flush_to_disk(path: Path) -> None:
    """fsync a file or a folder (the folder holds the rename)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def check_output_dir(path: str | Path, name: str) -> Path:
    """Make sure ``path`` is, or can become, a folder this process can write into.

    An existing folder gets a probe file written and removed; a missing one
    needs its nearest existing parent to be a writable folder (it is not
    created here, so a run that fails later leaves nothing behind). A
    read-only place fails now rather than after an hour of training. Raises
    ``ValueError`` naming ``name`` and the reason.
    """
    text = str(path).strip()
    if not text:
        raise ValueError(f"{name} must name a folder, got an empty path")
    folder = Path(text).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{name} {folder} is a file, not a folder: choose another path")
    if folder.is_dir():
        try:
            probe = folder / f".write-probe-{secrets.token_hex(4)}"
            probe.touch()
            probe.unlink()
        except OSError as error:
            reason = error.strerror or str(error)
            raise ValueError(
                f"{name} {folder} cannot be written ({reason}): choose a writable folder"
            ) from None
        return folder
    # Create the missing folders to prove it can be done, then remove them again.
    missing = missing_folders(folder)
    if not missing[-1].parent.is_dir():
        raise ValueError(f"{name} {folder} cannot be created: {missing[-1].parent} is a file")
    try:
        folder.mkdir(parents=True)
    except OSError as error:
        reason = error.strerror or str(error)
        raise ValueError(
            f"{name} {folder} cannot be created ({reason}): choose a writable folder"
        ) from None
    for created in missing:
        created.rmdir()
    return folder


def check_output_file(path: str | Path, name: str, suffixes: tuple[str, ...] = ()) -> Path:
    """Make sure ``path`` can be written as a file (with one of ``suffixes`` when given)."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise ValueError(
            f"{name} {target} is a folder: give a file name, e.g. {target / 'plot.png'}"
        )
    if suffixes and target.suffix.lower() not in suffixes:
        raise ValueError(
            f"{name} {target} must end in one of {', '.join(suffixes)} (the file's format)"
        )
    check_output_dir(target.parent, f"the folder of {name}")
    if target.exists() and not os.access(target, os.W_OK):
        raise ValueError(f"{name} {target} exists and cannot be overwritten")
    return target


def refuse_links(path: str | Path, name: str, *, below: str | Path | None = None) -> Path:
    """Raise ``ValueError`` when ``path``, or a folder between ``below`` and it, is a symbolic link.

    A link in an output folder would send a write anywhere on disk: the writers
    of this library refuse it and name it, rather than follow it or replace it.
    """
    path = Path(path)
    root = Path(below) if below is not None else path
    checked = [path]
    if below is not None:
        relative = path.relative_to(root)
        checked = [root / Path(*relative.parts[: i + 1]) for i in range(len(relative.parts))]
    for candidate in checked:
        if candidate.is_symlink():
            raise ValueError(
                f"{name}: {candidate} is a symbolic link (to {os.readlink(candidate)}); "
                "nothing is written through links: remove it, or choose another folder"
            )
    return path


def missing_folders(folder: str | Path) -> list[Path]:
    """``folder`` and each parent above it that does not exist yet, deepest first.

    Empty when ``folder`` exists. These are the folders a ``mkdir(parents=True)``
    would create, and what a step that failed should remove again.
    """
    missing: list[Path] = []
    current = Path(folder).expanduser().absolute()
    while not current.exists():
        missing.append(current)
        current = current.parent
    return missing


@contextlib.contextmanager
def removed_on_failure(folder: str | Path) -> Iterator[Path]:
    """Run the ``with`` block; if it raises, remove what it added in ``folder``, then re-raise.

    A ``folder`` that did not exist goes, and then each parent the block created
    while it is empty; in one that did exist, only the entries that were not there
    before go (links are removed, never followed; an entry that existed is left
    alone, whatever was written inside it). Ctrl+C is not a failure here: an
    interrupted download keeps its partial archive, which the next download
    checks and replaces.
    """
    folder = Path(folder).expanduser().absolute()
    missing = missing_folders(folder)
    before = set(os.listdir(folder)) if folder.is_dir() else None
    try:
        yield folder
    except Exception:
        if before is None and missing:
            shutil.rmtree(folder, ignore_errors=True)
            for parent in missing[1:]:  # deepest first, up to the folder that existed
                try:
                    parent.rmdir()
                except OSError:  # something else was written there meanwhile
                    break
        elif before is not None and folder.is_dir():
            for name in set(os.listdir(folder)) - before:
                entry = folder / name
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
        raise
