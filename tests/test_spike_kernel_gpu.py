"""The GPU spike kernels (Triton) against the eager definitions, on the CPU.

Triton's interpreter (``TRITON_INTERPRET=1``, set before Triton is imported, so
in a child process) runs the kernels on CPU tensors with NumPy: the same
program the GPU compiles, checked here without a GPU. The interpreter rounds
float32 to bfloat16 and float16 by truncation where a GPU rounds to nearest,
so the half-precision checks use theta = 1 (no rounding) forward and allow two
units in the last place backward. ``tests/gpu`` checks the compiled kernels
against eager PyTorch on a GPU.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mlsnn_edu import spike_kernel, spike_kernel_gpu
from mlsnn_edu.fast_surrogate import kernel_for

pytest.importorskip("triton")
ROOT = Path(__file__).resolve().parents[1]

INTERPRETED = """
import torch
from mlsnn_edu import spike_kernel_gpu as gpu
from mlsnn_edu.fast_surrogate import one_exponential_derivative

torch.manual_seed(0)
special = torch.tensor([float("nan"), float("inf"), -float("inf"), 0.0, 1.0, 4.0, -0.0])
for dtype in (torch.float32, torch.bfloat16, torch.float16):
    for levels, theta, alpha in ((1, 1.0, 5.0), (4, 1.0, 5.0), (4, 0.3, 2.0), (8, 0.7, 5.0)):
        if dtype != torch.float32 and theta != 1.0:
            continue  # the interpreter truncates where a GPU rounds (see the module's docstring)
        v = torch.cat([special, torch.randn(2500) * levels * theta]).to(dtype)
        inverse = 1 / torch.tensor(theta, dtype=torch.float32)
        expected = torch.clamp(torch.floor((v.float() * inverse).to(dtype)), 0, levels)
        z = gpu.staircase(v, levels, theta)
        assert z.dtype == dtype and torch.equal(z.nan_to_num(-1), expected.nan_to_num(-1))
        grad = torch.randn(v.shape).to(dtype)
        out = gpu.surrogate_backward(v, grad, levels, theta, alpha)
        eager = one_exponential_derivative(v, levels, theta, alpha).mul_(grad)
        exact = dtype == torch.float32
        torch.testing.assert_close(
            out, eager, equal_nan=True, atol=1e-30 if exact else 1e-6,
            rtol=2e-6 if exact else 2.01 * torch.finfo(dtype).eps,
        )
empty = torch.empty(0)
assert gpu.staircase(empty, 4, 1.0).shape == (0,)
assert gpu.surrogate_backward(empty, empty, 4, 1.0, 5.0).shape == (0,)
print("interpreted kernels agree")
"""


def test_the_kernels_compute_the_eager_functions_in_tritons_interpreter() -> None:
    environment = {**os.environ, "TRITON_INTERPRET": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-c", INTERPRETED],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "interpreted kernels agree" in done.stdout, done.stderr[-3000:]


@pytest.mark.parametrize(
    "make",
    [
        lambda: torch.zeros(8),  # a CPU tensor
        lambda: torch.zeros(8, dtype=torch.float64),
        lambda: torch.zeros(4, 4).t(),  # not contiguous
    ],
    ids=["cpu", "float64", "strided"],
)
def test_the_gpu_kernels_serve_no_cpu_tensor(make) -> None:
    assert not spike_kernel_gpu.serves(make())


def test_a_cpu_tensor_is_served_by_the_cpu_kernel_or_eager_pytorch() -> None:
    v = torch.zeros(8)
    assert kernel_for(v) is (spike_kernel if spike_kernel.serves(v) else None)
    with spike_kernel.eager_spikes():
        assert kernel_for(v) is None and not spike_kernel.enabled()
    assert spike_kernel.enabled()


def test_the_kernels_compile_for_a_hopper_gpu_without_one() -> None:
    """Triton's compiler, run here for sm_90: what the interpreter accepts a GPU may refuse
    (a run-time value where Triton needs a compile-time one, say)."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    target = GPUTarget("cuda", 90, 32)
    for dtype in ("fp32", "bf16"):
        pointers = {"v_ptr": f"*{dtype}", "z_ptr": f"*{dtype}"}
        staircase = {**pointers, "n": "i32", "inverse_theta": "fp32"}
        backward = {
            **{name: f"*{dtype}" for name in ("v_ptr", "grad_ptr", "out_ptr")},
            **{"c_squared_ptr": "*fp32", "weights_ptr": "*fp32", "n": "i32"},
            **{"scale": "fp32", "offset": "fp32"},
        }
        for kernel, signature in (
            (spike_kernel_gpu._staircase, staircase),
            (spike_kernel_gpu._surrogate_backward, backward),
        ):
            constants = {"LEVELS": 4, "BLOCK": spike_kernel_gpu.BLOCK}
            source = ASTSource(
                fn=kernel,
                signature={**signature, **dict.fromkeys(constants, "constexpr")},
                constexprs=constants,
            )
            assert triton.compile(source, target=target).asm["ptx"]
