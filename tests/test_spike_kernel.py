"""The compiled spike kernel against the eager definitions it replaces.

Forward: bit for bit the staircase of :mod:`mlsnn_edu.surrogate`. Backward: the
sigmoid surrogate as defined (N sigmoids, float64) and the eager one-exponential
form, to float32 rounding. Also: both OpenMP paths agree, the networks' neurons
use the kernel, and a machine without a compiler (or with a damaged cache) still
trains, with one clear warning.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest
import torch

from mlsnn_edu import spike_kernel
from mlsnn_edu.fast_surrogate import (
    FastSigmoidSpike,
    FastStraightThroughSpike,
    one_exponential_derivative,
)
from mlsnn_edu.neurons import MultiLevelIF
from mlsnn_edu.surrogate import sigmoid_surrogate_derivative, staircase

pytestmark = pytest.mark.skipif(
    spike_kernel.kernel() is None, reason="no C compiler: the eager path is all there is"
)


def potentials(size: int, levels: int, theta: float, seed: int = 0) -> torch.Tensor:
    """Potentials below 0 to above N theta, with exact thresholds, ties and non-finite values."""
    generator = torch.Generator().manual_seed(seed)
    v = (torch.rand(size, generator=generator) * (levels + 4) - 2) * theta
    special = [float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1e30, -1e30]
    special += [k * theta for k in range(levels + 2)]
    v[: len(special)] = torch.tensor(special)
    return v


def gradient(spike, v: torch.Tensor, upstream: torch.Tensor, *args) -> torch.Tensor:
    leaf = v.detach().clone().requires_grad_()
    spike.apply(leaf, *args).backward(upstream)
    return leaf.grad


@pytest.mark.parametrize("levels", [1, 2, 4, 8])
@pytest.mark.parametrize("theta", [1.0, 0.3, 2.5])
def test_forward_is_the_staircase_bit_for_bit(levels: int, theta: float) -> None:
    v = potentials(100_003, levels, theta)
    ours = spike_kernel.staircase(v, levels, theta)
    reference = staircase(v, levels, theta)
    assert ours.isnan().sum() == 1
    assert torch.equal(ours.view(torch.int32), reference.view(torch.int32))  # -0.0 too
    if theta != 0.3:  # k * 0.3 is not exact in float32: the threshold may round below k
        assert ours[7 : 7 + levels + 2].tolist() == list(range(levels + 1)) + [levels]


@pytest.mark.parametrize("levels", [1, 2, 4, 8])
@pytest.mark.parametrize(("theta", "alpha"), [(1.0, 5.0), (0.5, 2.0), (2.0, 10.0)])
def test_backward_is_the_sigmoid_surrogate_times_the_gradient(levels, theta, alpha) -> None:
    v = potentials(70_001, levels, theta)
    upstream = torch.randn(v.shape, generator=torch.Generator().manual_seed(1))
    ours = spike_kernel.surrogate_backward(v, upstream, levels, theta, alpha)
    assert ours[0].isnan() and torch.isfinite(ours[1:]).all()
    assert ours[1:3].tolist() == [0.0, 0.0]  # v = +-inf: far from every threshold
    finite = torch.isfinite(v)
    # The definition, in float64: an independent reference for the whole function.
    definition = sigmoid_surrogate_derivative(v.double(), levels, theta, alpha) * upstream
    torch.testing.assert_close(
        ours[finite].double(), definition[finite], rtol=1e-5, atol=1e-30 * alpha / theta
    )
    # The eager one-exponential form: the same formula, so float32 rounding apart.
    eager = one_exponential_derivative(v, levels, theta, alpha) * upstream
    torch.testing.assert_close(
        ours[finite], eager[finite], rtol=spike_kernel.RELATIVE_TOLERANCE, atol=1e-30
    )


def test_threads_split_the_work_without_changing_a_bit() -> None:
    v = potentials(400_000, 4, 1.0)
    upstream = torch.randn(v.shape, generator=torch.Generator().manual_seed(2))
    previous = torch.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            assert spike_kernel.threads() == threads  # PyTorch's thread count is the kernel's
            z = spike_kernel.staircase(v, 4, 1.0)
            grad = spike_kernel.surrogate_backward(v, upstream, 4, 1.0, 5.0)
            results.append((z.nan_to_num(-1.0), grad.nan_to_num(-1.0)))
    finally:
        torch.set_num_threads(previous)
    assert all(torch.equal(a, b) for a, b in zip(*results))


def count_kernel_calls(monkeypatch) -> dict[str, int]:
    calls = {"staircase": 0, "surrogate_backward": 0}
    for name in calls:
        original = getattr(spike_kernel, name)

        def counted(*args, _name=name, _original=original):
            calls[_name] += 1
            return _original(*args)

        monkeypatch.setattr(spike_kernel, name, counted)
    return calls


def test_the_spike_functions_use_the_kernel_and_eager_spikes_switches_it_off(
    monkeypatch,
) -> None:
    calls = count_kernel_calls(monkeypatch)
    v = potentials(5_000, 4, 1.0)
    upstream = torch.randn(v.shape, generator=torch.Generator().manual_seed(3))
    compiled = gradient(FastSigmoidSpike, v, upstream, 4, 1.0, 5.0)
    assert calls == {"staircase": 1, "surrogate_backward": 1}
    direct = spike_kernel.surrogate_backward(v, upstream, 4, 1.0, 5.0)
    assert torch.equal(compiled.nan_to_num(-1), direct.nan_to_num(-1))
    with spike_kernel.eager_spikes():
        assert not spike_kernel.serves(v)
        eager = gradient(FastSigmoidSpike, v, upstream, 4, 1.0, 5.0)
    # One more call to the kernel's backward: the direct one above, none from the eager block.
    assert spike_kernel.serves(v) and calls == {"staircase": 1, "surrogate_backward": 2}
    expected = one_exponential_derivative(v, 4).mul_(upstream)
    assert torch.equal(eager.nan_to_num(-1), expected.nan_to_num(-1))
    assert not torch.equal(compiled.nan_to_num(-1), eager.nan_to_num(-1))  # two computations
    torch.testing.assert_close(
        compiled, eager, rtol=spike_kernel.RELATIVE_TOLERANCE, atol=1e-30, equal_nan=True
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda v: v.double(),  # float64
        lambda v: v.reshape(50, 100).t(),  # a strided view
        lambda v: v.bfloat16(),  # low precision
    ],
    ids=["float64", "strided", "bfloat16"],
)
def test_tensors_the_kernel_does_not_serve_take_the_eager_path(make) -> None:
    v = make(potentials(5_000, 4, 1.0))
    assert not spike_kernel.serves(v)
    leaf = v.detach().clone().requires_grad_()
    z = FastSigmoidSpike.apply(leaf, 4, 1.0, 5.0)
    z.backward(torch.ones_like(z))
    assert torch.equal(z.nan_to_num(-1), staircase(v, 4, 1.0).nan_to_num(-1))
    expected = one_exponential_derivative(v.detach(), 4)
    assert torch.equal(leaf.grad.nan_to_num(-1), expected.nan_to_num(-1))


def test_offsets_strides_and_empty_tensors(monkeypatch) -> None:
    calls = count_kernel_calls(monkeypatch)
    v = potentials(6_001, 4, 1.0)
    upstream = torch.randn(2, 6_001, generator=torch.Generator().manual_seed(5))[:, 1:].t()
    grad = gradient(FastSigmoidSpike, v[1:], upstream[:, 0], 4, 1.0, 5.0)  # offset, strided
    assert calls == {"staircase": 1, "surrogate_backward": 1}
    expected = one_exponential_derivative(v[1:], 4) * upstream[:, 0]
    torch.testing.assert_close(
        grad, expected, rtol=spike_kernel.RELATIVE_TOLERANCE, atol=1e-30, equal_nan=True
    )
    empty = torch.empty(0, 3)
    assert gradient(FastSigmoidSpike, empty, empty, 4, 1.0, 5.0).shape == (0, 3)


def test_float64_as_the_default_dtype_changes_nothing() -> None:
    """The kernel's constants are float32 whatever the default dtype (C reads floats)."""
    v = potentials(5_000, 4, 1.0)
    upstream = torch.randn(v.shape, generator=torch.Generator().manual_seed(6))
    spike_kernel._surrogate_constants.cache_clear()
    previous = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        grad = gradient(FastSigmoidSpike, v, upstream, 4, 1.0, 5.0)
    finally:
        torch.set_default_dtype(previous)
        spike_kernel._surrogate_constants.cache_clear()
    expected = one_exponential_derivative(v, 4) * upstream
    torch.testing.assert_close(
        grad, expected, rtol=spike_kernel.RELATIVE_TOLERANCE, atol=1e-30, equal_nan=True
    )


def test_differentiating_the_backward_pass_is_a_clear_error() -> None:
    """The surrogate's own derivative is not defined by the library: asking for it says so."""
    leaf = torch.linspace(-1.0, 5.0, 101).requires_grad_()
    with pytest.raises(RuntimeError, match="cannot itself be differentiated"):
        torch.autograd.grad(
            FastSigmoidSpike.apply(leaf, 4, 1.0, 5.0).sum(), leaf, create_graph=True
        )


@pytest.mark.parametrize("surrogate", ["sigmoid", "ste"])
def test_network_neurons_match_the_reference_neurons(surrogate: str) -> None:
    """A fast (network) neuron over T = 3 equals the neuron as defined, spikes and gradients."""
    currents = torch.randn(3, 8, 16, 5, 5, generator=torch.Generator().manual_seed(4)) * 2
    outputs = []
    for fast in (True, False):
        neuron = MultiLevelIF(levels=4, surrogate=surrogate, ste_mask=True, fast=fast)
        leaf = currents.clone().requires_grad_()
        spikes = neuron(leaf)
        spikes.backward(torch.linspace(-1, 1, spikes.numel()).reshape(spikes.shape))
        outputs.append((spikes, leaf.grad))
    (fast_spikes, fast_grad), (spikes, grad) = outputs
    assert torch.equal(fast_spikes, spikes)
    # The definition's 1 - sigma loses digits in float32 far above a threshold: hence atol.
    torch.testing.assert_close(fast_grad, grad, rtol=1e-5, atol=1e-6)


def test_straight_through_spike_forward_uses_the_kernel() -> None:
    v = potentials(5_000, 2, 0.5)
    leaf = v.clone().requires_grad_()
    z = FastStraightThroughSpike.apply(leaf, 2, 0.5, True)
    z.backward(torch.ones_like(z))
    assert torch.equal(z.nan_to_num(-1), staircase(v, 2, 0.5).nan_to_num(-1))
    inside = (v >= 0) & (v <= 1.0)
    assert torch.equal(leaf.grad, inside.float())


@pytest.fixture
def fresh_kernel(tmp_path, monkeypatch):
    """An empty kernel cache in ``tmp_path``; the process's kernel is restored afterwards."""
    monkeypatch.setenv("MLSNN_EDU_CACHE", str(tmp_path))
    spike_kernel.kernel.cache_clear()
    yield tmp_path / "kernels"
    monkeypatch.undo()
    spike_kernel.kernel.cache_clear()
    assert spike_kernel.kernel() is not None


def test_without_a_compiler_networks_train_on_the_eager_path(fresh_kernel, monkeypatch) -> None:
    monkeypatch.setenv("CC", "no-such-compiler-mlsnn")
    with pytest.warns(RuntimeWarning, match="could not build its spike kernel with 'no-such"):
        assert spike_kernel.kernel() is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one warning, not one per call
        v = potentials(1_000, 4, 1.0)
        assert not spike_kernel.serves(v)
        grad = gradient(FastSigmoidSpike, v, torch.ones_like(v), 4, 1.0, 5.0)
    assert torch.equal(grad.nan_to_num(-1), one_exponential_derivative(v, 4).nan_to_num(-1))
    assert not list(fresh_kernel.glob("*"))  # nothing half-written left in the cache


def test_a_damaged_cached_kernel_is_built_again(tmp_path) -> None:
    """A fresh process (a process never loads the same library path twice) meets a damaged file."""
    load = [sys.executable, "-c", "from mlsnn_edu import spike_kernel as k; print(k.kernel())"]
    environment = os.environ | {"MLSNN_EDU_CACHE": str(tmp_path)}
    subprocess.run(load, env=environment, check=True, capture_output=True)
    (built,) = (tmp_path / "kernels").glob("*.so")
    built.write_bytes(b"not a shared library")
    printed = subprocess.run(load, env=environment, check=True, capture_output=True, text=True)
    assert built.name in printed.stdout and "Warning" not in printed.stderr
    assert built.read_bytes()[:4] == b"\x7fELF"
    assert [p.name for p in built.parent.iterdir()] == [built.name]


def test_a_compiler_without_openmp_builds_a_one_thread_kernel(fresh_kernel, monkeypatch) -> None:
    refuses_openmp = fresh_kernel.parent / "cc-without-openmp"
    refuses_openmp.write_text(
        '#!/bin/sh\nfor a; do [ "$a" = -fopenmp ] && exit 1; done\nexec cc "$@"\n'
    )
    refuses_openmp.chmod(0o755)
    monkeypatch.setenv("CC", str(refuses_openmp))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert spike_kernel.kernel() is not None
    v = potentials(200_000, 4, 1.0)
    assert torch.equal(
        spike_kernel.staircase(v, 4, 1.0).nan_to_num(-1), staircase(v, 4, 1.0).nan_to_num(-1)
    )
