"""Where this process stands under ``torchrun``: its rank among the processes of one run.

``torchrun`` starts one process per device and sets ``RANK``, ``WORLD_SIZE`` and
``LOCAL_RANK`` in each; a plain ``python`` start is rank 0 of 1.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Distributed:
    """Where this process stands under ``torchrun`` (rank 0 of 1 when started plainly)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def device_of_process(self, device: torch.device) -> torch.device:
        """``cuda`` without an index means this process's GPU: the one ``LOCAL_RANK`` names."""
        if device.type == "cuda" and self.enabled and device.index is None:
            return torch.device("cuda", self.local_rank)
        return device

    def join(self, device: torch.device) -> None:
        """Join the run's process group (NCCL on GPUs, gloo on CPUs), once, when distributed."""
        if self.enabled and not torch.distributed.is_initialized():
            if device.type == "cuda":
                torch.cuda.set_device(device)
            backend = "nccl" if device.type == "cuda" else "gloo"
            torch.distributed.init_process_group(backend=backend)

    def wrap(self, model: nn.Module, device: torch.device) -> nn.Module:
        """``model`` in ``DistributedDataParallel`` when distributed, else ``model`` itself."""
        if not self.enabled:
            return model
        ids = [device.index] if device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=ids)

    @classmethod
    def from_environment(cls) -> Distributed:
        """Read ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``, which ``torchrun`` sets.

        Raises ``ValueError`` naming the variable when one is not a whole number
        in its range (``WORLD_SIZE`` >= 1, 0 <= ``RANK`` < ``WORLD_SIZE``, ``LOCAL_RANK`` >= 0).
        """
        world_size = _environment_int("WORLD_SIZE", 1, minimum=1)
        rank = _environment_int("RANK", 0, minimum=0)
        if rank >= world_size:
            raise ValueError(
                f"RANK={rank} must be below WORLD_SIZE={world_size}; torchrun sets both, "
                "unset them to train in one process"
            )
        return cls(rank, world_size, _environment_int("LOCAL_RANK", 0, minimum=0))


def _environment_int(name: str, default: int, *, minimum: int) -> int:
    """The environment variable ``name`` as an integer >= ``minimum`` (``default`` if unset)."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ValueError(
            f"environment variable {name} must be an integer >= {minimum} (torchrun sets it), "
            f"got {text!r}; unset it to train in one process"
        )
    return value
