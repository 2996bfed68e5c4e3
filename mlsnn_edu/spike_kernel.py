r"""The spike function compiled: one pass over memory forward, one backward.

A spiking network applies its spike function to every activation twice per
training step. In eager PyTorch each operation is its own pass over the tensor:
the staircase :math:`z = \mathrm{clamp}(\lfloor v/\theta\rfloor, 0, N)` takes
three, and the backward pass of :mod:`mlsnn_edu.fast_surrogate`,

.. math::

    \frac{\partial L}{\partial v} = \frac{\partial L}{\partial z}
    \sum_{k=1}^{N} \frac{(\alpha/\theta)\, c_k^2}{\left(c_k^2\, r + 1/r\right)^2},
    \qquad r = 2^{\,\log_2(e)\,\alpha (v/\theta - m)/2},\quad
    c_k^2 = e^{\alpha(m - k)},\quad m = \tfrac{N+1}{2},

takes :math:`3N + 6`. ``spike_kernel.c`` does each direction in one pass
and is compiled on first use with the machine's C compiler (``$CC``, else
``cc``) into ``~/.cache/mlsnn_edu/kernels`` (``$MLSNN_EDU_CACHE`` moves it).

The forward pass gives the same floats as :func:`mlsnn_edu.surrogate.staircase`.
The backward pass computes :math:`2^x` with its own polynomial, so it agrees with
:func:`mlsnn_edu.fast_surrogate.one_exponential_derivative` to float32 rounding
(relative difference below :data:`RELATIVE_TOLERANCE`), not bit for bit.

The kernel serves float32 CPU tensors in contiguous memory; everything else (a
GPU, bfloat16, a strided view, a graph traced by ``torch.compile``) and every
machine without a C compiler takes the eager path, which computes the same function. :func:`eager_spikes`
switches the kernel off, to compare the two.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import math
import os
import platform
import shlex
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch

SOURCE = Path(__file__).with_name("spike_kernel.c")
# -ffp-contract=off: no fused multiply-adds, which would round the exponent's argument
# differently from eager PyTorch and move the surrogate by ~1e-5 relative;
# -fno-trapping-math lets the staircase's comparisons vectorise (no float traps are enabled).
FLAGS = ("-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math")
#: Tried first; a compiler without OpenMP (Apple's clang) builds a one-thread kernel instead.
THREADS_FLAG = "-fopenmp"
#: The runtimes that OpenMP programs load (GNU, LLVM, Intel), as their file names start.
OPENMP_RUNTIMES = ("libgomp", "libomp.", "libomp-", "libiomp")
#: How far the compiled surrogate may stray from the eager one, relative.
RELATIVE_TOLERANCE = 2e-6

_enabled = True


def cache_folder() -> Path:
    """Where compiled kernels are kept: ``$MLSNN_EDU_CACHE/kernels`` or ``~/.cache/mlsnn_edu/kernels``."""
    root = os.environ.get("MLSNN_EDU_CACHE") or Path.home() / ".cache" / "mlsnn_edu"
    return Path(root) / "kernels"


def _machine_description() -> bytes:
    """This host, its architecture and its CPU: a kernel built with ``-march=native`` fits
    only its CPU, and a shared home folder may serve several machines."""
    described = [platform.node(), platform.machine(), platform.system()]
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    for field in ("model name", "flags", "Features", "CPU part"):
        described += [line for line in lines if line.startswith(field)][:1]
    return "\n".join(described).encode()


def _compile(compiler: str, target: Path) -> None:
    """Compile :data:`SOURCE` into ``target``, all or nothing (written aside, then renamed).

    Tried in turn: with OpenMP; without (a compiler that has none); and without
    ``-march=native`` either (a compiler that does not know it).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".so.partial")
    os.close(handle)
    command = [*shlex.split(compiler), *FLAGS, "-shared", "-fPIC", str(SOURCE), "-o", partial]
    portable = [word for word in command if word != "-march=native"]
    try:
        for attempt in ([*command, THREADS_FLAG], command, portable):
            try:
                subprocess.run(attempt, check=True, capture_output=True, timeout=120)
                break
            except subprocess.CalledProcessError:
                if attempt is portable:
                    raise
        os.replace(partial, target)
    finally:
        Path(partial).unlink(missing_ok=True)


def _load(compiler: str, target: Path) -> ctypes.CDLL:
    """Load the cached kernel, compiling it first if it is missing or cannot be loaded."""
    if target.exists():
        try:
            return ctypes.CDLL(str(target))
        except OSError:  # a damaged file in the cache: build it again
            target.unlink(missing_ok=True)
    _compile(compiler, target)
    return ctypes.CDLL(str(target))


@functools.cache
def kernel() -> ctypes.CDLL | None:
    """The compiled kernel, built on first use; ``None`` (with one warning) if it cannot be."""
    compiler = os.environ.get("CC", "cc")
    try:
        key = hashlib.sha256(SOURCE.read_bytes())
        key.update(" ".join((compiler, *FLAGS, THREADS_FLAG)).encode() + _machine_description())
        target = cache_folder() / f"spike_kernel_{key.hexdigest()[:16]}.so"
        library = _load(compiler, target)
    except Exception as error:  # whatever stops the build, training goes on in eager PyTorch
        detail = getattr(error, "stderr", None) or str(error).encode()
        warnings.warn(
            f"mlsnn_edu could not build its spike kernel with {compiler!r} "
            f"({detail.decode(errors='replace').strip()[:300]}); spiking networks run the "
            "same function in eager PyTorch, more slowly",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
    pointer, count, real, integer = ctypes.c_void_p, ctypes.c_int64, ctypes.c_float, ctypes.c_int
    library.spike_staircase.argtypes = [pointer, pointer, count, real, real]
    library.spike_surrogate_backward.argtypes = [
        *(pointer, pointer, pointer, count, real, real, pointer, pointer, integer)
    ]
    library.spike_use_threads.argtypes = [integer]
    library.spike_threads.restype = integer
    library.spike_openmp_runtime.restype = ctypes.c_char_p
    # On an OpenMP runtime other than PyTorch's, each would keep a spinning thread per
    # core: the kernel then runs serially rather than fight PyTorch's threads.
    runtime = library.spike_openmp_runtime().decode()
    library.spike_use_threads(int(not runtime or _is_pytorchs_runtime(Path(runtime))))
    return library


def _is_pytorchs_runtime(runtime: Path) -> bool:
    """Whether ``runtime`` is the OpenMP runtime PyTorch runs on: the one its wheel ships in
    ``torch/lib``, or, for a PyTorch that ships none, the system's (the only one there is)."""
    torch_lib = Path(torch.__file__).parent / "lib"
    bundled = [p for p in torch_lib.glob("lib*omp*.so*") if p.name.startswith(OPENMP_RUNTIMES)]
    return not bundled or runtime.resolve() in {p.resolve() for p in bundled}


@contextlib.contextmanager
def eager_spikes() -> Iterator[None]:
    """Within this block every spike function runs in eager PyTorch, not the kernel."""
    global _enabled
    previous, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = previous


def serves(*tensors: torch.Tensor) -> bool:
    """Whether the kernel computes for these tensors: float32, CPU, contiguous, not traced
    by ``torch.compile``, and the kernel built."""
    fits = all(
        t.device.type == "cpu" and t.dtype == torch.float32 and t.is_contiguous() for t in tensors
    )
    return _enabled and fits and not torch.compiler.is_compiling() and kernel() is not None


def threads() -> int:
    """How many threads the kernel shares a large tensor among (``torch.get_num_threads()``
    when it runs on PyTorch's OpenMP runtime, 1 without OpenMP or beside a second runtime)."""
    return kernel().spike_threads() if kernel() is not None else 1


def staircase(v: torch.Tensor, levels: int, theta: float) -> torch.Tensor:
    r""":math:`\mathrm{clamp}(\lfloor v/\theta\rfloor, 0, N)` in one pass (``serves(v)`` must hold)."""
    z = torch.empty_like(v)
    kernel().spike_staircase(v.data_ptr(), z.data_ptr(), v.numel(), theta, levels)
    return z


@functools.cache
def _surrogate_constants(levels: int, theta: float, alpha: float) -> tuple[torch.Tensor, ...]:
    r""":math:`c_k^2` and :math:`(\alpha/\theta)\,c_k^2` for k = 1..N, as float32 tensors."""
    middle = (levels + 1) / 2
    c_squared = [math.exp(alpha * (middle - k)) for k in range(1, levels + 1)]
    weights = [c * alpha / theta for c in c_squared]
    # float32 on the CPU whatever torch's default dtype and device: C reads them as floats.
    return (
        torch.tensor(c_squared, dtype=torch.float32, device="cpu"),
        torch.tensor(weights, dtype=torch.float32, device="cpu"),
    )


def surrogate_backward(
    v: torch.Tensor, grad_output: torch.Tensor, levels: int, theta: float, alpha: float
) -> torch.Tensor:
    """``grad_output`` times the one-exponential sigmoid surrogate at ``v``, in one pass.

    The constants are those of :func:`mlsnn_edu.fast_surrogate.one_exponential_derivative`;
    ``serves(v, grad_output)`` must hold.
    """
    slope = alpha / 2 * math.log2(math.e)
    offset = slope * (levels + 1) / 2
    c_squared, weights = _surrogate_constants(levels, theta, alpha)
    out = torch.empty_like(v)
    kernel().spike_surrogate_backward(
        *(v.data_ptr(), grad_output.data_ptr(), out.data_ptr(), v.numel()),
        *(slope / theta, offset, c_squared.data_ptr(), weights.data_ptr(), levels),
    )
    return out
