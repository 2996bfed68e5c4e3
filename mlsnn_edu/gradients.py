r"""Gradient norms per block, recorded after every backward pass.

:class:`GradientNormRecorder` keeps, for each residual block of a network (and
its stem and head), the L2 norm of the gradient of that block's parameters,

.. math::

    \lVert \nabla_{\theta_b} \mathcal{L} \rVert_2
    = \Big(\sum_{p \in b} \lVert \nabla_p \mathcal{L} \rVert_2^2\Big)^{1/2},

one value per ``backward()`` call: what chapter 4 compares between SEW,
Sparse + SG and Sparse + STE. :func:`mlsnn_edu.figures.plot_gradient_norms`
draws its history.
"""

from __future__ import annotations

import torch
from torch import nn


def block_parameters(model: nn.Module) -> dict[str, list[nn.Parameter]]:
    """The model's gradient groups: its ``block_parameters()`` or, failing that, its children."""
    if hasattr(model, "block_parameters"):
        return model.block_parameters()
    return {
        name: list(child.parameters())
        for name, child in model.named_children()
        if any(True for _ in child.parameters())
    }


class GradientNormRecorder:
    r"""Record :math:`\lVert \nabla_{\theta_b} L \rVert_2` for every block b after each backward.

    Blocks are the model's ``block_parameters()`` groups (``"stem"``,
    ``"layer1.0"``, ..., ``"fc"`` for the ResNets). The norm is that of the
    gradient computed by one ``backward()`` call, before it is accumulated
    into ``.grad``, so it does not depend on whether ``.grad`` was zeroed.
    A hook per block fires once all its parameters have their gradient.

    Hooks are installed on construction; :meth:`close` (or leaving a ``with``
    block) removes them. ``history`` maps each block to its list of norms, one
    per backward pass.
    """

    def __init__(self, model: nn.Module) -> None:
        self.history: dict[str, list[float]] = {}
        self._handles = []
        for name, params in block_parameters(model).items():
            trainable = [p for p in params if p.requires_grad]
            if not trainable:
                continue
            self.history[name] = []
            handle = torch.autograd.graph.register_multi_grad_hook(
                trainable, self._block_hook(name), mode="all"
            )
            self._handles.append(handle)

    def _block_hook(self, name: str):
        def hook(grads) -> None:
            norms = [torch.linalg.vector_norm(g.detach()) for g in grads if g is not None]
            if norms:
                self.history[name].append(float(torch.linalg.vector_norm(torch.stack(norms))))

        return hook

    def close(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> GradientNormRecorder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def mean(self) -> dict[str, float]:
        """Average norm per block over the recorded steps."""
        return {name: sum(v) / len(v) for name, v in self.history.items() if v}
