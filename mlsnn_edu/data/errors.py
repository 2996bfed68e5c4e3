"""The one error a dataset raises when its files are missing, broken or cannot be fetched."""

from __future__ import annotations


class DatasetError(FileNotFoundError):
    """A dataset's files are missing, truncated or cannot be downloaded; the message says what to do."""
