# %% [markdown]
# # 2. Multi-level spikes
#
# A binary neuron says at most one thing per timestep: spike or no spike. Over
# T timesteps its spike total takes T + 1 values, so to represent an activation
# finely a binary network needs many timesteps, and each timestep costs latency
# and energy. The paper's answer: let the neuron fire **up to N times within one
# timestep**. Its output becomes an integer $z(t) \in \{0, 1, \dots, N\}$, a
# *multi-level spike*, and over T timesteps the total takes $N T + 1$ values.
#
# **Learning objectives.** After this chapter you can
#
# 1. derive the closed form $z = \mathrm{clamp}(\lfloor v/\theta \rfloor, 0, N)$
#    from N literal micro-steps, and check it against the loop;
# 2. count the $N T + 1$ levels of a (T, N) neuron, and say exactly when
#    [T=4, N=1] and [T=1, N=4] emit the same spikes and when they do not;
# 3. predict how the quantization error moves with T, N and $\theta$, and
#    check it with the explorer.
#
# Library code used here: `mlsnn_edu.neurons`, `mlsnn_edu.quantization`,
# `mlsnn_edu.explorers`, `mlsnn_edu.figures` and `mlsnn_edu.diagrams`.

# %% [markdown]
# **Predict first.** Write down your guesses before running anything; the
# chapter answers them.
#
# 1. A neuron allowed up to N = 4 spikes per timestep, with threshold 1,
#    receives a current of 2.7 in one timestep. How many spikes does it emit,
#    and what potential does it keep?
# 2. With the range of inputs fixed, what happens to the quantization error
#    when N doubles, and by how much?
# 3. [T=4, N=1] and [T=1, N=4] have the same number of output levels. Do they
#    emit the same spikes when the input changes from one timestep to the
#    next?

# %%
import matplotlib.pyplot as plt
import torch
from myst_nb import glue

from mlsnn_edu import diagrams, figures
from mlsnn_edu.explorers import quantization_explorer
from mlsnn_edu.neurons import microstep_step, multilevel_step, run_neuron
from mlsnn_edu.quantization import num_levels, quantization_error, spike_total
from mlsnn_edu.settings import seed_everything

seed_everything(0)

# %% [markdown]
# ## N micro-steps inside one timestep
#
# Read literally, one timestep of a multi-level neuron is N micro-steps: the
# input is integrated once, then N times over the neuron may fire and subtract
# the threshold. The diagram follows one timestep of a neuron with N = 4 that
# receives 2.7, next to a binary neuron given the same charge over four
# timesteps:

# %%
diagrams.microsteps(v_in=2.7, levels=4, theta=1.0)
plt.show()

# %% [markdown]
# *Figure: top, one timestep of a multi-level neuron with N = 4 and threshold
# 1: the current 2.7 is integrated once; at each micro-step where the
# potential is at or above the threshold the neuron fires and subtracts it,
# and once it is below, the remaining micro-steps rest; the title gives the
# spike count z. Bottom, a binary neuron receiving the same charge in four
# equal timesteps fires at most once per timestep, and reaches the same count
# in four timesteps instead of one.*
#
# In code, for one neuron:


# %%
def multilevel_timestep_loop(
    v: float, current: float, levels: int, theta: float = 1.0
) -> tuple[int, float]:
    v = v + current  # integrate once per timestep
    z = 0
    for _ in range(levels):  # up to N spikes
        if v >= theta:
            z += 1
            v -= theta
    return z, v


# NBVAL_CHECK_OUTPUT
for current in (-0.5, 0.4, 1.0, 2.7, 3.99, 6.2):
    z, v = multilevel_timestep_loop(0.0, current, levels=4)
    as_tensor = torch.tensor([current], dtype=torch.float64)
    closed_z, _ = multilevel_step(torch.zeros_like(as_tensor), as_tensor, levels=4)
    print(
        f"I = {current:5.2f} -> z = {z}, v after = {v:.2f}",
        f"(closed form: z = {int(closed_z)})",
    )

# %% [markdown]
# The loop counts how many whole thresholds fit in $v$, stops at N, and leaves
# the remainder. That is a floor and a clamp, the **closed form** the library
# computes in one tensor operation (no loop over N):
#
# $$
# v \leftarrow v + I(t), \qquad
# z(t) = \operatorname{clamp}\!\left(\left\lfloor \frac{v}{\theta} \right\rfloor,
#   0, N\right), \qquad
# v \leftarrow v - \theta\, z(t).
# $$
#
# Two details matter. A negative potential gives $\lfloor v/\theta \rfloor < 0$,
# clamped to no spike; the negative charge stays and must be paid back by later
# input. A potential above $N\theta$ emits N spikes and *keeps* the excess for
# the next timestep. With N = 1 this is exactly the binary neuron of chapter 1.
#
# `multilevel_step` (closed form) and `microstep_step` (the loop, kept as a
# reference) must agree on every current, negative ones included:

# %%
# NBVAL_CHECK_OUTPUT
generator = torch.Generator().manual_seed(0)
mismatches = 0
for levels in range(1, 9):
    currents = torch.randn(4, 10_000, generator=generator) * 2 * levels
    closed, _ = run_neuron(currents, levels=levels, step=multilevel_step)
    loop, _ = run_neuron(currents, levels=levels, step=microstep_step)
    mismatches += int((closed != loop).sum())
print(f"{8 * 4 * 10_000} neuron-timesteps checked, N = 1..8, mismatches: {mismatches}")

# %% [markdown]
# The membrane trace of a multi-level neuron looks like chapter 1's, except that
# a timestep can carry a spike of value $z > 1$ (labelled on the markers):

# %%
trace_currents = torch.tensor([0.6, 2.5, 0.2, 4.8, -1.0, 1.7, 0.9, 3.2])
trace_spikes, trace_potentials = run_neuron(trace_currents.unsqueeze(1), levels=4)
figures.plot_membrane_trace(
    trace_currents,
    trace_potentials.flatten(),
    trace_spikes.flatten(),
    theta=1.0,
    title="Membrane potential of a multi-level IF neuron, N=4",
)
plt.show()
train = ", ".join(str(int(z)) for z in trace_spikes.flatten())
print("spikes:", train)
glue("ch2_trace_spikes", train, display=False)
glue("ch2_saturated", int(trace_spikes.flatten()[3]), display=False)

# %% [markdown]
# *Figure: eight timesteps of a multi-level neuron with N = 4, drawn as in
# chapter 1: the potential rises by each input (grey bars) to an open circle
# and, at a spike, drops by θ·z (red arrow) to a filled circle; spikes larger
# than 1 have their value above their marker. The current of 4.8 at step 4
# saturates the neuron, whose potential stays above the threshold after the
# drop: the rest is carried forward.*
#
# The spike train is {glue:text}`ch2_trace_spikes`: at step 4 the neuron emits
# its maximum, {glue:text}`ch2_saturated` spikes, and carries the remaining
# charge over to the next timestep instead of losing it.
#
# ## N·T + 1 levels
#
# Over T timesteps a neuron emits between 0 and N spikes per step, so its spike
# total takes every integer from 0 to $N T$: $N T + 1$ values. T and N enter as a
# product: [T=4, N=1] and [T=1, N=4] both give 5 levels; the second needs one
# timestep instead of four.

# %%
# NBVAL_CHECK_OUTPUT
print("levels N*T+1    N=1  N=2  N=4  N=8")
for timesteps in (1, 2, 4, 8):
    row = "  ".join(f"{num_levels(timesteps, n):3d}" for n in (1, 2, 4, 8))
    print(f"T={timesteps}           {row}")

# %% [markdown]
# **Quick check.** A neuron runs for T = 2 timesteps with N = 3 levels. How many
# distinct spike totals can it emit, and which (T, N) with T = 1 has as many?
# Each timestep adds 0 to 3 spikes, so the total runs from 0 to 6: seven
# values, as many as a one-timestep neuron with N = 6.

# %%
# NBVAL_CHECK_OUTPUT
print(
    "levels of [T=2, N=3]:",
    num_levels(2, 3),
    " levels of [T=1, N=6]:",
    num_levels(1, 6),
)

# %% [markdown]
# ## Is [T=4, N=1] the same as [T=1, N=4]?
#
# Under **direct encoding** the same current $I$ enters the neuron at every
# timestep (how a static image is fed to an SNN). Because the soft reset carries
# the remainder, the floors telescope and a (T, N) neuron emits
#
# $$
# Z_{T,N}(I) = \operatorname{clamp}\!\left(\left\lfloor \frac{T I}{\theta}
#   \right\rfloor, 0, N T\right)
# $$
#
# spikes in total. So [T=4, N=1] fed $I$ and [T=1, N=4] fed the window's whole
# charge $4I$ (equivalently: fed $I$ with threshold $\theta/4$) emit exactly the
# same spike totals, for every $I$, negative ones included (both are silent). In
# a trained network the factor 4 is absorbed by the weights and batch
# normalisation in front of the neuron: the two configurations can represent the
# same functions. Simulating both neurons confirms it:

# %%
# NBVAL_CHECK_OUTPUT
currents = torch.linspace(-2, 2, 40_001, dtype=torch.float64)
binary_t4 = run_neuron(currents.expand(4, -1).clone(), levels=1)[0].sum(0)
multilevel_t1 = run_neuron(4 * currents.unsqueeze(0), levels=4)[0].sum(0)
differing = int((binary_t4 != multilevel_t1).sum())
closed_form = spike_total(currents, timesteps=4, levels=1)
print("constant currents tested:", currents.numel())
print("[T=4, N=1] on I vs [T=1, N=4] on 4I, differing totals:", differing)
print(
    "closed form Z(I) agrees with the simulation:", torch.equal(binary_t4, closed_form)
)

# %% [markdown]
# ### Where the equivalence stops
#
# The argument needs the *same* current at every timestep. When the input varies
# in time (event cameras, or the output of a previous spiking layer with T > 1),
# the order of the charge matters to the binary neuron and not to the
# one-timestep neuron, which only sees the sum:
#
# * **a negative current after a spike**: the binary neuron's spike at $t=1$
#   cannot be taken back by the $-1$ at $t=2$; the one-step neuron sees a total
#   charge of 0 and stays silent;
# * **a late burst**: charge arriving at the last timestep finds the binary
#   neuron with only one spike left to give; the rest is stranded in $v$.

# %%
# NBVAL_CHECK_OUTPUT
cases = {
    "constant 0.6 every step": [0.6, 0.6, 0.6, 0.6],
    "spike, then negative current": [1.0, -1.0, 0.0, 0.0],
    "late burst": [0.0, 0.0, 0.0, 2.0],
    "early burst": [2.0, 0.0, 0.0, 0.0],
}
for label, sequence in cases.items():
    sequence = torch.tensor(sequence).unsqueeze(1)
    binary = int(run_neuron(sequence, levels=1)[0].sum())
    one_step = int(run_neuron(sequence.sum(0, keepdim=True), levels=4)[0].sum())
    print(f"{label:30s} [T=4,N=1]: {binary} spikes, [T=1,N=4] on the sum: {one_step}")

# %% [markdown]
# So the equivalence is exact for direct encoding and approximate otherwise;
# the paper's CIFAR-10 result (93.15 % for [T=4, N=1], 93.13 % for [T=1, N=4]
# on VGG16) says that in practice nothing is lost.
#
# ## Quantization error
#
# What a neuron passes downstream is its rate-coded output
# $q(x) = \frac{\theta}{T} Z_{T,N}(x)$: a staircase with $N T + 1$ steps of height
# $\theta / T$ covering $[0, N\theta]$. T buys *resolution* (smaller steps), N
# buys *range* (more steps per timestep). If we fix the range to $[0, 1]$
# (threshold $\theta = 1/N$), the error depends on N·T alone. The floor makes
# the error uniform on $[0, \text{step})$, so the mean squared error is
# $\text{step}^2 / 3 = 1 / (3 (NT)^2)$:

# %%
# NBVAL_CHECK_OUTPUT
inputs = torch.linspace(0, 1, 100_001, dtype=torch.float64)
print(" T  N  levels   MSE (measured)   1/(3 (NT)^2)")
for timesteps, levels in ((1, 1), (4, 1), (1, 4), (2, 2), (8, 1), (1, 8), (2, 4)):
    error = quantization_error(
        inputs, timesteps=timesteps, levels=levels, theta=1 / levels
    )
    predicted = 1 / (3 * (levels * timesteps) ** 2)
    print(
        f"{timesteps:2d} {levels:2d}  {error.levels:6d}   {error.mse:.6f}",
        f"        {predicted:.6f}",
    )

# %% [markdown]
# With the threshold fixed instead ($\theta = 1$) and inputs spread over
# $[0, 4]$, T and N are no longer interchangeable: T shrinks the step, N widens
# the range. The heat maps show the mean squared error for both settings:

# %%
grid = range(1, 9)
wide_inputs = torch.linspace(0, 4, 100_001, dtype=torch.float64)


def mse(x: torch.Tensor, t: int, n: int, theta: float) -> float:
    return quantization_error(x, timesteps=t, levels=n, theta=theta).mse


fixed_range = torch.tensor([[mse(inputs, t, n, 1 / n) for n in grid] for t in grid])
fixed_theta = torch.tensor([[mse(wide_inputs, t, n, 1.0) for n in grid] for t in grid])

fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
panels = (
    (axes[0], fixed_range, "inputs U[0,1], theta = 1/N"),
    (axes[1], fixed_theta, "inputs U[0,4], theta = 1"),
)
for ax, errors, title in panels:
    extent = (0.5, 8.5, 0.5, 8.5)
    image = ax.imshow(
        torch.log10(errors), origin="lower", extent=extent, cmap="viridis"
    )
    ax.set(xlabel="N (levels per timestep)", ylabel="T (timesteps)")
    ax.set_title(f"log10 MSE, {title}")
    fig.colorbar(image, ax=ax)
plt.show()

# %% [markdown]
# *Figure: two heat maps of log10 mean squared error over T and N from 1 to 8.
# Left, with the range fixed, the colours are symmetric about the diagonal: only
# N·T matters. Right, with the threshold fixed at 1 and inputs up to 4, the
# error stays high for N < 4 whatever T is (clipping), and falls with T once
# N ≥ 4.*
#
# ## Explore: move T and N yourself
#
# Move the sliders: the explorer redraws the quantizer against the identity
# and gives the level count and the errors (inputs uniform over the chosen
# range). It computes in the page itself, so it works here in the book, offline
# and without a kernel, as well as in JupyterLab and in `mlsnn-edu explore`.
# Try to find two settings with the same level count and different errors.

# %%
explorer = quantization_explorer(
    timesteps=1, levels=4, theta=1.0, input_range=(0.0, 4.0)
)
explorer

# %% [markdown]
# *Figure: the quantization explorer. Sliders for T, N, the threshold θ and the
# range of inputs; below them the level count, the mean squared and the largest
# error; then the staircase q(x) in blue against the dashed identity line.*
#
# In code, `explorer.set(...)` moves the sliders and `explorer.result` holds
# what the library computes for the new setting:

# %%
# NBVAL_CHECK_OUTPUT
result = explorer.set(timesteps=2)
mse_text = f"MSE: {result.mse:.4f}, max error: {result.max_abs:.3f}"
print("T=2, N=4: levels:", result.levels, "", mse_text)

# %% [markdown]
# ## Summary
#
# * One timestep of a multi-level neuron is N micro-steps; in closed form,
#   $z = \mathrm{clamp}(\lfloor v/\theta \rfloor, 0, N)$ and
#   $v \leftarrow v - \theta z$.
# * Over T timesteps the spike total takes $N T + 1$ values: T and N enter as a
#   product.
# * Under direct encoding [T=4, N=1] and [T=1, N=4] emit the same totals for
#   every input; when the input varies in time (a burst late in the window, a
#   negative current after a spike) they can differ.
# * With the range fixed, the quantization error depends on $N T$ alone; with
#   the threshold fixed, T refines the step and N widens the range.
#
# **Next:** [chapter 3](03_spike_avalanche) puts these neurons into residual
# networks and finds what happens when spikes are added to spikes.
#
# ## Questionnaire
#
# Answer in a sentence or two, without running code; the answers are on the
# teachers' page.
#
# 1. What is a multi-level spike, and what values can it take?
# 2. Describe one timestep of a multi-level neuron as micro-steps. What does
#    the closed form compute instead of the loop?
# 3. What happens to a negative potential in the closed form, and to a
#    potential above $N\theta$?
# 4. How many distinct spike totals can a (T, N) neuron emit, and why?
# 5. Under direct encoding, why do [T=4, N=1] and [T=1, N=4] emit the same
#    spike totals?
# 6. Give two inputs that vary in time for which they do not, and say why.
# 7. What does T buy, and what does N buy, when the threshold is fixed?
# 8. With the range of inputs fixed to [0, 1], why does the quantization
#    error depend on N·T alone?
# 9. Why is the mean squared error of the floor quantizer a third of the
#    squared step, and not a twelfth?
# 10. Why does the paper prefer [T=1, N=4] to [T=4, N=1] when both have the
#     same levels?
#
# ## Exercises

# %% [markdown]
# ### Exercise 2.1 — how many levels? (compute)
#
# How many distinct spike totals can a neuron with T = 3 and N = 5 emit over
# one inference? Assign the number to `answer`.

# %% tags=["solution"]
from mlsnn_edu.classroom import check_level_count

### BEGIN SOLUTION
answer = 5 * 3 + 1
### END SOLUTION
check_level_count(answer)

# %% [markdown]
# ### Exercise 2.2 — the closed form (implement)
#
# Write `my_multilevel_step(v, current, levels, theta)` for tensors, without a
# loop over the levels: integrate, emit $z \in \{0..N\}$, soft reset. Return
# `(z, v_next)`.

# %% tags=["solution"]
from mlsnn_edu.classroom import check_multilevel_step


### BEGIN SOLUTION
def my_multilevel_step(v, current, levels, theta):
    v = v + current
    z = torch.clamp(torch.floor(v / theta), 0, levels)
    return z, v - theta * z


### END SOLUTION
check_multilevel_step(my_multilevel_step)

# %% [markdown]
# ### Exercise 2.3 — choose N for a target error (investigate)
#
# With one timestep (T = 1), threshold $\theta = 1/N$ and inputs uniform on
# $[0, 1]$, what is the smallest N whose mean squared quantization error is
# below $10^{-3}$? Use `quantization_error` to find out, and assign N to
# `answer`.

# %% tags=["solution"]
from mlsnn_edu.classroom import check_levels_for_target_error

### BEGIN SOLUTION
inputs = torch.linspace(0, 1, 20_001, dtype=torch.float64)
answer = next(
    n
    for n in range(1, 100)
    if quantization_error(inputs, timesteps=1, levels=n, theta=1 / n).mse < 1e-3
)
### END SOLUTION
check_levels_for_target_error(answer)
