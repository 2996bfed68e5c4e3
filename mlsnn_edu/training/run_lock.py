"""The lock that keeps two runs from writing into the same folder.

``flock`` on ``out_dir/.run.lock``: the system releases it when the process
ends, however it ends, so a killed run never leaves a stale lock. The file
records who holds it, for the message the next run gets, and is never written
through a link.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import stat
import time
from pathlib import Path

from mlsnn_edu.files import missing_folders
from mlsnn_edu.training.checkpoint import CheckpointError

LOCK_NAME = ".run.lock"
#: How often acquire() tries again when the lock file is removed under it.
LOCK_ATTEMPTS = 5


class RunLock:
    """An exclusive lock on a run folder, held while a run writes into it.

    The lock is ``flock`` on ``out_dir/.run.lock``: the system releases it when
    the process ends, however it ends, so a killed run never leaves a stale
    lock. The file records who holds it, for the message the next run gets.
    """

    def __init__(self, folder: str | Path) -> None:
        self.path = Path(folder) / LOCK_NAME
        self._handle = None
        self._created: list[Path] = []  # the folders acquire() made, deepest first

    def acquire(self, announce: bool = True) -> RunLock:
        """Take the lock (or raise naming its holder); ``announce=False`` leaves the file as it
        is until :meth:`announce`, so a run refused just after taking it changes nothing."""
        self._created = missing_folders(self.path.parent)
        for _ in range(LOCK_ATTEMPTS):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self._open()
            if handle is None:
                continue
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                handle.close()
                raise CheckpointError(
                    f"{self.path.parent} is in use by another training run ({holder}); wait "
                    "for it to finish, or give this run another out_dir"
                ) from None
            if self._still_linked(handle):
                break
            handle.close()  # a run that wrote nothing removed this file meanwhile: again
        else:
            raise CheckpointError(f"{self.path} kept disappearing; is another run cleaning up?")
        self._handle = handle
        if announce:
            self.announce()
        return self

    def announce(self) -> None:
        """Write who holds the lock into it, for the message a second run gets."""
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.ctime()}
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(json.dumps(holder))
        self._handle.flush()

    def _still_linked(self, handle) -> bool:
        """Whether the locked file is still the one at :attr:`path` (see :meth:`release`)."""
        try:
            on_disk = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            return False
        held = os.fstat(handle.fileno())
        return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)

    def _open(self):
        """Open the lock file without following a link, and only if it is a file of its own.

        A link (or a hard link to a file elsewhere) would make the run overwrite
        whatever it points to with the holder's name. ``None`` when the file or its
        folder was removed meanwhile (by a run that wrote nothing): try again.
        """
        try:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
        except FileNotFoundError:  # the folder went between mkdir and open: acquire retries
            return None
        except OSError as error:
            if self.path.is_symlink():
                raise CheckpointError(
                    f"{self.path} is a symbolic link (to {os.readlink(self.path)}); a run never "
                    "writes through links: remove it, or give this run another out_dir"
                ) from None
            raise CheckpointError(
                f"{self.path} cannot be opened as the run's lock ({error.strerror or error}): "
                "remove it, or give this run another out_dir"
            ) from None
        status = os.fstat(descriptor)
        if status.st_nlink == 0:  # removed between open and now: acquire retries
            os.close(descriptor)
            return None
        if not stat.S_ISREG(status.st_mode) or status.st_nlink != 1:
            os.close(descriptor)
            what = "not a plain file" if not stat.S_ISREG(status.st_mode) else "a hard link"
            raise CheckpointError(
                f"{self.path} is {what}; a run writes its lock only into a file of its own: "
                "remove it, or give this run another out_dir"
            )
        return os.fdopen(descriptor, "r+", encoding="utf-8")

    def release(self) -> None:
        """Unlock. A run that wrote nothing (it failed in its first epoch) leaves no trace:
        the lock file goes, and so do the folders :meth:`acquire` created."""
        if self._handle is None:
            return
        try:
            wrote_nothing = [entry.name for entry in self.path.parent.iterdir()] == [LOCK_NAME]
            if wrote_nothing:
                # Before unlocking. A run that opened this file meanwhile gets the lock on
                # the removed file when it is released, sees that (_still_linked), retries.
                self.path.unlink()
        except OSError:  # the folder changed under us: leave it as it is
            wrote_nothing = False
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()
        self._handle = None
        if wrote_nothing:
            for folder in self._created:
                try:
                    folder.rmdir()
                except OSError:  # something else has been written there meanwhile
                    break

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
