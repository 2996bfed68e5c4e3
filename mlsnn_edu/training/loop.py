r"""The training loop chapter 5 builds by hand: one epoch, and evaluation.

The loss is the cross-entropy of the logits (averaged over the T timesteps by
the model itself):

.. math::

    \mathcal{L} = -\frac{1}{B} \sum_{b} \log \operatorname{softmax}(y_b)_{c_b}

One step is forward, loss, ``zero_grad``, backward, optimizer step. Inputs from
a loader are static images ``[B, C, H, W]`` (the model repeats them T times:
direct encoding) or event frames ``[B, T, C, H, W]``, which
:func:`~mlsnn_edu.models.layers.model_input` turns into ``[T, B, C, H, W]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn
from tqdm import tqdm  # not tqdm.auto: its asyncio variant iterates a loader twice

from mlsnn_edu.models.layers import model_input


@dataclass
class EpochStats:
    """Mean loss and accuracy (fraction in [0, 1]) over one pass through a loader."""

    loss: float
    accuracy: float


class NonFiniteError(RuntimeError):
    """The loss or the weights became NaN or infinite: training stops instead of saving garbage."""


def device_of(model: nn.Module) -> torch.device:
    """Where ``model``'s parameters live (the CPU for a model without parameters)."""
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def finite_everywhere(loss: torch.Tensor) -> bool:
    """Whether ``loss`` is finite, on every process of a distributed run.

    Under ``torchrun`` each process sees its own share of the batch; they must
    all stop together, or the others would wait for this one forever.
    """
    finite = torch.isfinite(loss.detach()).to(torch.int32)
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.all_reduce(finite, op=torch.distributed.ReduceOp.MIN)
    return bool(finite)


def train_epoch(
    model: nn.Module,
    loader: Iterable,
    optimizer: torch.optim.Optimizer,
    *,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    on_step: Callable[[int, nn.Module], None] | None = None,
    progress: bool = True,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    autocast_dtype: torch.dtype | None = None,
    description: str = "train",
) -> EpochStats:
    """One pass over ``loader`` with an optimizer step per batch.

    ``on_step(step_index, model)`` runs after ``loss.backward()`` and before
    ``optimizer.step()``, so it can read the gradients. ``scheduler`` (if any)
    steps after every optimizer step. ``autocast_dtype`` (e.g. ``torch.bfloat16``
    on a GPU) turns on mixed precision. Raises :class:`NonFiniteError` when
    the loss stops being finite.
    """
    device = device_of(model)
    loss_fn = loss_fn or nn.functional.cross_entropy
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    bar = tqdm(loader, desc=description, disable=not progress, leave=False)
    for step, (x, y) in enumerate(bar):
        x, y = model_input(x.to(device, non_blocking=True)), y.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            logits = model(x)
            loss = loss_fn(logits.float(), y)
        if not finite_everywhere(loss):
            raise NonFiniteError(f"the loss became {loss.item()} at step {step} of this epoch")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if on_step is not None:
            on_step(step, model)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        batch = y.shape[0]
        total_loss += loss.item() * batch
        correct += (logits.argmax(dim=1) == y).sum().item()
        seen += batch
        bar.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{correct / seen:.3f}")
    return EpochStats(loss=total_loss / max(seen, 1), accuracy=correct / max(seen, 1))


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: Iterable, *, autocast_dtype: torch.dtype | None = None
) -> EpochStats:
    """Mean cross-entropy and accuracy over ``loader``, in eval mode, without gradients."""
    device = device_of(model)
    was_training = model.training
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    for x, y in loader:
        x, y = model_input(x.to(device, non_blocking=True)), y.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            logits = model(x).float()
        total_loss += nn.functional.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(dim=1) == y).sum().item()
        seen += y.shape[0]
    model.train(was_training)
    return EpochStats(loss=total_loss / max(seen, 1), accuracy=correct / max(seen, 1))
