r"""The spike function on a GPU: one Triton kernel forward, one backward.

In eager PyTorch the staircase :math:`z = \mathrm{clamp}(\lfloor v/\theta\rfloor, 0, N)`
is three passes over the activations and the backward pass of
:mod:`mlsnn_edu.fast_surrogate`,

.. math::

    \frac{\partial L}{\partial v} = \frac{\partial L}{\partial z}
    \sum_{k=1}^{N} \frac{(\alpha/\theta)\, c_k^2}{\left(c_k^2\, r + 1/r\right)^2},
    \qquad r = 2^{\,\log_2(e)\,\alpha (v/\theta - m)/2},\quad
    c_k^2 = e^{\alpha(m - k)},\quad m = \tfrac{N+1}{2},

about :math:`3N + 6`, each a kernel that reads and writes the whole tensor. On a
GPU these passes, not the convolutions, are what a Sparse-ResNet18 step spends
beyond the ANN's. The two kernels below each make one pass; they are written in
Triton, which PyTorch's CUDA builds carry, and compiled on first use.

Forward, the kernel gives the same values as :func:`mlsnn_edu.surrogate.staircase`
on a GPU, which divides by a number as a product with its float32 reciprocal:
that product rounded to the tensor's dtype, floor and clamp. Backward, it computes in float32 with the GPU's own
:math:`2^x` and reciprocal, so it agrees with
:func:`mlsnn_edu.fast_surrogate.one_exponential_derivative` to float32 rounding,
rounds the surrogate to the tensor's dtype and multiplies, as the eager path does.

It serves contiguous float32, bfloat16 and float16 CUDA tensors outside
``torch.compile`` where Triton imports; a kernel that fails to build warns once
and leaves that dtype to the eager path, which computes the same function.
``mlsnn_edu.spike_kernel.eager_spikes()`` switches it off with the CPU kernel.
"""

from __future__ import annotations

import functools
import math
import warnings

import torch

from mlsnn_edu import spike_kernel

try:
    import triton
    import triton.language as tl
except ImportError:  # a CPU build of PyTorch without Triton: the eager path serves
    triton = None

#: Elements per Triton program.
BLOCK = 1024
#: The dtypes the kernels read and write.
DTYPES = (torch.float32, torch.bfloat16, torch.float16)

if triton is not None:

    @triton.jit
    def _staircase(v_ptr, z_ptr, n, inverse_theta, LEVELS: tl.constexpr, BLOCK: tl.constexpr):
        offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        inside = offsets < n
        v = tl.load(v_ptr + offsets, mask=inside)
        # as eager PyTorch on a GPU: times 1/theta in float32, rounded to the tensor's dtype
        quotient = (v.to(tl.float32) * inverse_theta).to(v.dtype).to(tl.float32)
        z = tl.maximum(tl.floor(quotient), 0.0, propagate_nan=tl.PropagateNan.ALL)
        z = tl.minimum(z, LEVELS, propagate_nan=tl.PropagateNan.ALL)  # NaN stays, as in clamp
        tl.store(z_ptr + offsets, z.to(v.dtype), mask=inside)

    @triton.jit
    def _surrogate_backward(
        v_ptr,
        grad_ptr,
        out_ptr,
        c_squared_ptr,
        weights_ptr,
        n,
        scale,
        offset,
        LEVELS: tl.constexpr,
        BLOCK: tl.constexpr,
    ):
        offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        inside = offsets < n
        v = tl.load(v_ptr + offsets, mask=inside)
        grad = tl.load(grad_ptr + offsets, mask=inside).to(tl.float32)
        r = tl.exp2(v.to(tl.float32) * scale - offset)
        inverse_r = 1.0 / r
        total = tl.zeros_like(r)
        for k in tl.static_range(LEVELS):
            c_squared = tl.load(c_squared_ptr + k)
            denominator = inverse_r + c_squared * r
            total += tl.load(weights_ptr + k) / (denominator * denominator)
        surrogate = total.to(v.dtype).to(tl.float32)  # the eager path rounds it too
        tl.store(out_ptr + offsets, (surrogate * grad).to(v.dtype), mask=inside)


def _grid(n: int) -> tuple[int]:
    return (triton.cdiv(n, BLOCK),)


def staircase(v: torch.Tensor, levels: int, theta: float) -> torch.Tensor:
    r""":math:`\mathrm{clamp}(\lfloor v/\theta\rfloor, 0, N)` in one kernel (``serves(v)`` must hold)."""
    z = torch.empty_like(v)
    if v.numel():
        inverse = float(1 / torch.tensor(theta, dtype=torch.float32))  # float32 arithmetic
        _staircase[_grid(v.numel())](v, z, v.numel(), inverse, LEVELS=levels, BLOCK=BLOCK)
    return z


@functools.cache
def _constants(levels: int, theta: float, alpha: float, device: torch.device):
    return tuple(c.to(device) for c in spike_kernel.surrogate_constants(levels, theta, alpha))


def surrogate_backward(
    v: torch.Tensor, grad_output: torch.Tensor, levels: int, theta: float, alpha: float
) -> torch.Tensor:
    """``grad_output`` times the one-exponential sigmoid surrogate at ``v``, in one kernel.

    ``grad_output`` must be contiguous, of ``v``'s shape and dtype, and ``serves(v)`` hold.
    """
    slope = alpha / 2 * math.log2(math.e)
    c_squared, weights = _constants(levels, theta, alpha, v.device)
    out = torch.empty_like(v)
    if v.numel():
        _surrogate_backward[_grid(v.numel())](
            *(v, grad_output, out, c_squared, weights, v.numel()),
            *(slope / theta, slope * (levels + 1) / 2),
            LEVELS=levels,
            BLOCK=BLOCK,
        )
    return out


@functools.cache
def _builds(device: torch.device, dtype: torch.dtype) -> bool:
    """Whether both kernels build and run for ``dtype`` on ``device`` (warns once if not)."""
    try:
        v = torch.linspace(-1.0, 6.0, 64, device=device).to(dtype)
        staircase(v, 4, 1.0)
        surrogate_backward(v, torch.ones_like(v), 4, 1.0, 5.0)
        torch.cuda.synchronize(device)
        return True
    except Exception as error:  # Triton's errors vary with what is missing
        warnings.warn(
            f"the GPU spike kernels could not be built for {dtype} ({type(error).__name__}: "
            f"{str(error)[-400:]}); the spike functions run in eager PyTorch (slower, same "
            "function)",
            RuntimeWarning,
            stacklevel=2,
        )
        return False


def serves(*tensors: torch.Tensor) -> bool:
    """Whether the kernels compute for these tensors: contiguous CUDA tensors of one dtype in
    :data:`DTYPES`, not traced by ``torch.compile``, Triton present and the kernels built."""
    first = tensors[0]
    fits = all(
        t.is_cuda and t.dtype == first.dtype and t.dtype in DTYPES and t.is_contiguous()
        for t in tensors
    )
    return (
        fits
        and triton is not None
        and spike_kernel.enabled()
        and not torch.compiler.is_compiling()
        and _builds(first.device, first.dtype)
    )
