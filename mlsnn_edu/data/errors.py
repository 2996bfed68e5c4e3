"""The one error a dataset raises when its files are missing, broken or cannot be fetched,
and the check of the folder the real datasets are read from (``data_root``)."""

from __future__ import annotations

from pathlib import Path

from mlsnn_edu.files import check_output_dir


class DatasetError(FileNotFoundError):
    """A dataset's files are missing, truncated or cannot be downloaded; the message says what to do."""


def check_data_root(root: str | Path, *, writable: bool = False) -> Path:
    """``root`` must be a folder, or not exist yet; with ``writable``, a place a download
    can write into.

    Checked before looking for files or asking the network, so a file given as
    ``data_root`` or a read-only place is named as such, not reported as a
    missing dataset or a failed download.
    """
    folder = Path(root).expanduser()
    if folder.exists() and not folder.is_dir():
        raise DatasetError(
            f"data_root {folder} is a file, not a folder: give the folder that holds the "
            "datasets (or, with --download, the one to fetch them into)"
        )
    if writable:
        try:
            check_output_dir(folder, "data_root")
        except ValueError as error:
            raise DatasetError(f"{error}; --download writes the dataset there") from None
    return folder
