"""What a run keeps of each epoch: its record, and the files it writes beside the checkpoint.

``metrics.json`` keeps each epoch's record as the trainer made it; ``metrics.csv``
flattens it, the activity of each layer becoming ``events/<layer>`` and
``mass/<layer>`` columns. Both are written atomically, so a reader never sees
half a file.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from mlsnn_edu.files import refuse_links, write_atomically
from mlsnn_edu.monitor import SpikeMonitor
from mlsnn_edu.training.checkpoint import CHECKPOINT_NAME
from mlsnn_edu.training.run_lock import LOCK_NAME

#: The files a run (and ``mlsnn-edu train``) writes into ``out_dir``: plain files or absent.
RUN_FILES = (CHECKPOINT_NAME, LOCK_NAME, "metrics.csv", "metrics.json", "metrics.png")


def check_run_files(out_dir: Path) -> None:
    """Refuse run files in ``out_dir`` that are links or folders, before any training."""
    for name in RUN_FILES:
        path = out_dir / name
        refuse_links(path, "out_dir")
        if path.exists() and not path.is_file():
            raise ValueError(
                f"out_dir: {path} is a folder (or another non-file), where the run writes its "
                f"{name}: move it away, or choose another out_dir"
            )


def activity_record(monitor: SpikeMonitor) -> dict[str, dict[str, float]]:
    """An epoch record's activity: events and mass per sample of every recorded layer and the
    total, and each residual sum's mass above N."""
    layers = {**monitor.summary(), "total": monitor.total()}
    return {
        name: {"events": a.events, "mass": a.mass}
        | ({"above_levels": a.above_levels} if a.kind == "sum" else {})
        for name, a in layers.items()
    }


def flat_record(record: dict) -> dict:
    """One CSV row: activity becomes columns ``events/<layer>`` and ``mass/<layer>``."""
    row = {key: value for key, value in record.items() if key != "activity"}
    for layer, activity in record.get("activity", {}).items():
        row[f"events/{layer}"] = activity["events"]
        row[f"mass/{layer}"] = activity["mass"]
    return row


def write_logs(history: list[dict], out_dir: str | Path) -> None:
    """``metrics.csv`` and ``metrics.json`` in ``out_dir`` (``mlsnn-edu train`` adds a plot)."""
    out_dir = Path(out_dir)
    rows = [flat_record(record) for record in history]

    def write_csv(path: Path) -> None:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    write_atomically(out_dir / "metrics.csv", write_csv)
    write_atomically(out_dir / "metrics.json", json.dumps(history, indent=1))
