"""Where a measurement comes from: the one provenance record of sweeps and benchmarks."""

from __future__ import annotations

import platform
import subprocess
import time
from pathlib import Path

import numpy as np
import torch

from mlsnn_edu import __version__, spike_kernel

PACKAGE = Path(__file__).resolve().parents[1]


def git(*arguments: str) -> str:
    """Output of ``git ARGUMENTS`` run in the package's folder, or ``"unknown"`` outside a checkout."""
    try:
        return subprocess.run(
            ["git", *arguments], capture_output=True, text=True, check=True, timeout=10, cwd=PACKAGE
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def library_is_committed() -> bool:
    """Whether the library's files in this checkout are exactly those of its commit.

    The committed results are data the library carries, not its code: a sweep that
    rewrites its own run files there leaves the library committed.
    """
    results = f":(exclude){PACKAGE / 'committed_results'}"
    status = git("status", "--porcelain", "--untracked-files=no", "--", str(PACKAGE), results)
    return status == ""


def record_provenance(command: list[str], device: torch.device | str = "cpu") -> dict:
    """Command, commit, whether the library had uncommitted changes, versions, device, threads,
    which code computed the spike functions (the compiled kernel rounds differently), date."""
    device = torch.device(device)
    compiled = device.type == "cpu" and spike_kernel.kernel() is not None
    return {
        "command": " ".join(command),
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_changes": not library_is_committed(),
        "versions": {
            "mlsnn_edu": __version__,
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
        },
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
        "spike_functions": "compiled kernel" if compiled else "eager PyTorch",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
