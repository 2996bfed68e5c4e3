# %% [markdown]
# # 1. The integrate-and-fire neuron
#
# A spiking neuron keeps one number between inputs: its **membrane potential**
# $v$. At each timestep $t$ it adds its input current $I(t)$ (in a network: the
# output of a convolution and batch normalisation), compares $v$ with a
# **threshold** $\theta$, and if $v \ge \theta$ it emits a spike $s(t) = 1$ and
# lowers its potential. That is the integrate-and-fire (IF) neuron:
#
# $$
# v \leftarrow v + I(t), \qquad
# s(t) = \begin{cases} 1 & v \ge \theta \\ 0 & \text{otherwise} \end{cases}, \qquad
# v \leftarrow v - \theta\, s(t).
# $$
#
# The last line is the **soft reset**: the neuron subtracts the threshold and
# keeps whatever charge was above it.
#
# **Learning objectives.** After this chapter you can
#
# 1. write the IF neuron as a loop over timesteps and check it against the
#    library's `run_neuron`;
# 2. explain why a soft reset gives a firing rate that is a faithful, quantized
#    copy of the input, and a hard reset does not;
# 3. explain why a spike has no useful gradient, and why the sigmoid surrogate
#    that replaces it vanishes far from the threshold.
#
# Library code used here: `mlsnn_edu.neurons`, `mlsnn_edu.surrogate` and
# `mlsnn_edu.figures`.

# %%
import matplotlib.pyplot as plt
import torch
from myst_nb import glue

from mlsnn_edu import figures
from mlsnn_edu.neurons import MultiLevelIF, run_neuron
from mlsnn_edu.settings import seed_everything
from mlsnn_edu.surrogate import sigmoid_surrogate_derivative

seed_everything(0)

# %% [markdown]
# ## Building the neuron, one timestep at a time
#
# Here is the neuron as a plain loop over timesteps, for a single neuron and a
# short input sequence. It is the whole model: there is nothing else hidden in
# the library's version.


# %%
def if_neuron(
    currents: list[float], theta: float = 1.0
) -> tuple[list[int], list[float]]:
    """Binary IF neuron, soft reset: the spikes and the potential after each step."""
    v, spikes, potentials = 0.0, [], []
    for current in currents:
        v = v + current  # integrate
        spike = 1 if v >= theta else 0  # fire
        v = v - theta * spike  # soft reset
        spikes.append(spike)
        potentials.append(v)
    return spikes, potentials


currents = [0.6, 0.6, 0.6, 0.2, 1.5, 0.0, -0.4, 0.9, 0.8, 0.3]
spikes, potentials = if_neuron(currents)
print("spikes:    ", spikes)
print("potentials:", [round(v, 2) for v in potentials])
glue("ch1_spike_count", sum(spikes), display=False)

# %% [markdown]
# The ten inputs make {glue:text}`ch1_spike_count` spikes. The library computes
# the same thing for whole tensors at once: `run_neuron(currents, levels=1)`
# takes currents of shape `[T, ...]` and returns the spikes and potentials of
# every neuron. With `levels=1` it is the binary neuron above (chapter 2 explains
# what larger `levels` do). Both must agree:

# %%
# NBVAL_CHECK_OUTPUT
as_tensor = torch.tensor(currents, dtype=torch.float64).unsqueeze(1)  # [T, 1]
library_spikes, library_potentials = run_neuron(as_tensor, levels=1)
same_potentials = torch.allclose(
    library_potentials.flatten(), torch.tensor(potentials, dtype=torch.float64)
)
print("library agrees on spikes:", library_spikes.flatten().int().tolist() == spikes)
print("library agrees on potentials:", same_potentials)

# %% [markdown]
# The trace below shows the potential after each timestep (blue), the
# threshold (dashed red) and the spikes (red triangles).

# %%
figures.plot_membrane_trace(
    torch.tensor(currents),
    library_potentials.flatten(),
    library_spikes.flatten(),
    theta=1.0,
)
plt.show()

# %% [markdown]
# *Figure: membrane potential of a binary IF neuron over ten timesteps, with
# the input current in grey, the threshold at 1.0 and a red triangle at each
# spike.*
#
# **Quick check.** With a constant input of 0.6, threshold 1.0 and soft reset,
# what is the membrane potential right after the first spike? After two steps
# $v = 1.2 \ge 1$, so the neuron fires and subtracts 1. The first three steps of
# the trace above are exactly this case:

# %%
# NBVAL_CHECK_OUTPUT
after_first_spike = round(potentials[spikes.index(1)], 6)
print("potential after the first spike:", after_first_spike)
glue("ch1_after_first_spike", after_first_spike, display=False)

# %% [markdown]
# The potential is {glue:text}`ch1_after_first_spike`: the charge above the
# threshold is kept for the next timestep.
#
# ## Soft reset versus hard reset
#
# A **hard reset** sets $v \leftarrow 0$ after a spike and throws away the
# charge above the threshold. Over many timesteps that lost charge shows up as a
# lower firing rate. With a constant input $I$ a soft-reset neuron fires
# $\lfloor T I / \theta \rfloor$ times in $T$ steps (for $0 \le I \le \theta$): its
# rate is a faithful, quantized copy of $I$. The hard-reset neuron fires only
# $\lfloor T / \lceil \theta / I \rceil \rfloor$ times: it needs
# $\lceil \theta / I\rceil$ steps per spike whatever the remainder.
# The hard reset is not part of the library (nothing in this book uses it), so
# we write it here to compare:


# %%
def hard_reset_rate(current: float, timesteps: int, theta: float = 1.0) -> float:
    v, total = 0.0, 0
    for _ in range(timesteps):
        v += current
        if v >= theta:
            total, v = total + 1, 0.0
    return total / timesteps


timesteps = 32
inputs = torch.linspace(0, 1.0, 201)
soft_rate = run_neuron(inputs.expand(timesteps, -1).clone(), levels=1)[0].mean(0)
hard_rate = torch.tensor([hard_reset_rate(float(i), timesteps) for i in inputs])

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(inputs, inputs, "--", color="tab:gray", label="identity")
ax.plot(inputs, soft_rate, label="soft reset")
ax.plot(inputs, hard_rate, label="hard reset")
ax.set(
    xlabel="constant input current I",
    ylabel="firing rate (spikes per step)",
    title=f"Firing rate against input, T={timesteps}, theta=1",
)
ax.legend()
plt.show()

# %% [markdown]
# *Figure: firing rate against constant input over 32 timesteps. The soft-reset
# rate follows the identity line in small steps; the hard-reset rate falls below
# it, most visibly between 0.5 and 1.*

# %%
# NBVAL_CHECK_OUTPUT
for current in (0.3, 0.6, 0.9):
    soft = int(run_neuron(torch.full((timesteps, 1), current), levels=1)[0].sum())
    hard = round(hard_reset_rate(current, timesteps) * timesteps)
    steps = f"in {timesteps} steps"
    print(f"I = {current}: soft reset {soft}, hard reset {hard} spikes {steps}")

# %% [markdown]
# ## A spike has no gradient
#
# Training a network means following the gradient of a loss with respect to the
# weights, through every neuron. But the spike is a step function of $v$: flat
# everywhere except at the threshold, where it jumps. Its derivative is 0 almost
# everywhere (and undefined at the jump), so no gradient reaches the weights.
# PyTorch agrees:

# %%
# NBVAL_CHECK_OUTPUT
v = torch.tensor([0.2, 0.9, 1.1, 3.0], requires_grad=True)
spike = torch.clamp(torch.floor(v / 1.0), 0, 1)  # the binary neuron's step function
spike.sum().backward()
print("spikes:", spike.tolist())
print("true gradient ds/dv:", v.grad.tolist())

# %% [markdown]
# ## The surrogate gradient
#
# The standard trick keeps the step in the forward pass and replaces its
# derivative in the backward pass by the derivative of a smooth look-alike. The
# library uses a sigmoid of slope $\alpha$ centred on the threshold:
#
# $$
# \frac{\partial s}{\partial v} \approx
# \frac{d}{dv}\,\sigma\!\left(\alpha\left(\frac{v}{\theta} - 1\right)\right)
# = \frac{\alpha}{\theta}\,\sigma(1 - \sigma).
# $$
#
# $\alpha$ sets the trade-off: a large $\alpha$ is a faithful but narrow bump, a
# small one a wide but blurry one. `multilevel_spike(v, levels=1, surrogate="sigmoid")`
# is the step forward and this surrogate backward:

# %%
figures.plot_staircase_and_surrogate(levels=1, theta=1.0, alphas=(2.0, 5.0, 10.0))
plt.show()

# %% [markdown]
# *Figure: the binary spike as a step at v = 1, with three bell-shaped
# surrogate derivatives centred on the threshold; the larger alpha, the taller
# and narrower the bell.*
#
# ### Far from the threshold, the surrogate vanishes too
#
# Why is the surrogate almost 0 far from the threshold? Because the sigmoid
# **saturates**. Well below the threshold, $\alpha(v/\theta - 1)$ is a large
# negative number and $\sigma$ is almost exactly 0; well above, it is almost
# exactly 1. In both cases one of the two factors of $\sigma(1-\sigma)$ is almost
# 0, so their product is too: the bump has tails that fall off exponentially,
# like $e^{-\alpha |v/\theta - 1|}$. The bump is narrow, so a neuron whose
# potential sits far from the threshold gets almost no gradient. For
# $\alpha = 2$ and $\alpha = 5$:

# %%
# NBVAL_CHECK_OUTPUT
distances = torch.tensor([0.0, 0.5, 1.0, 2.0, 4.0], dtype=torch.float64)
for alpha in (2.0, 5.0):
    derivative = sigmoid_surrogate_derivative(
        1.0 + distances, levels=1, theta=1.0, alpha=alpha
    )
    cells = ", ".join(
        f"{d:g}: {g:.2e}" for d, g in zip(distances.tolist(), derivative.tolist())
    )
    print(f"alpha={alpha:g}, |v - theta| -> surrogate: {cells}")
    if alpha == 5.0:
        glue("ch1_far_ratio", float(derivative[-1] / derivative[0]), display=False)

# %% [markdown]
# For $\alpha = 5$, four thresholds away the surrogate is
# {glue:text}`ch1_far_ratio:.0e` times its peak. A neuron whose potential is
# pushed far above the threshold is invisible to training. Chapter 4 shows
# where this hurts (after residual sums, where potentials grow large) and the
# cure the paper uses: the straight-through estimator, whose gradient is 1
# wherever $v$ is.
#
# The same surrogate lets us *learn* with a spiking neuron. Below, a single
# input current is tuned by gradient descent so that a neuron emits 6 spikes in
# 8 timesteps. Started near the threshold it learns; started far below, the
# sigmoid surrogate gives it (almost) nothing to follow, while the
# straight-through estimator still does.


# %%
def learn_current(
    start: float, surrogate: str, target: int = 6, steps: int = 60
) -> int:
    timesteps = 8
    current = torch.tensor([start], requires_grad=True)
    neuron = MultiLevelIF(levels=1, surrogate=surrogate)
    optimizer = torch.optim.SGD([current], lr=0.01)
    for _ in range(steps):
        total = neuron(current.expand(timesteps, 1)).sum()
        loss = (total - target) ** 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return int(neuron(current.detach().expand(timesteps, 1)).sum())


# NBVAL_CHECK_OUTPUT
for start in (0.3, -3.0):
    for surrogate in ("sigmoid", "ste"):
        learned = learn_current(start, surrogate)
        print(f"start I={start:+.1f}, {surrogate:7s}: {learned} spikes (target 6)")

# %% [markdown]
# ## What the library gives you
#
# `MultiLevelIF(levels=1, theta=1.0, surrogate="sigmoid", alpha=5.0)` is a
# PyTorch module holding all of the above: it takes currents of shape
# `[T, B, ...]`, starts every sample at $v = 0$, carries the potential across
# the T timesteps with a soft reset, and returns spikes of the same shape.
#
# ## Summary
#
# * The IF neuron integrates its input, fires when $v \ge \theta$ and, with a
#   soft reset, subtracts $\theta$ and keeps the rest.
# * With a constant input the soft-reset neuron's rate is the input, quantized
#   in steps of $\theta / T$; a hard reset loses the remainder at every spike.
# * A spike's derivative is 0 almost everywhere. Training replaces it by the
#   derivative of a sigmoid, which is itself almost 0 where the sigmoid
#   saturates, far from the threshold.
#
# **Next:** [chapter 2](02_multilevel_spikes) lets a neuron fire up to N times
# in one timestep: multi-level spikes.
#
# ## Exercises
#
# Each exercise cell ends with a checker call: it runs your answer against the
# library on hidden cases and prints `[pass]`, or `[not yet]` with a hint.

# %% [markdown]
# ### Exercise 1.1 — the potential after one spike (compute)
#
# Constant input 0.45, threshold 1.0, soft reset, starting from $v = 0$. Work
# out by hand the membrane potential right after the neuron's first spike and
# assign it to `answer`.

# %% tags=["solution"]
from mlsnn_edu.classroom import check_potential_after_spike

### BEGIN SOLUTION
answer = 0.45 + 0.45 + 0.45 - 1.0
### END SOLUTION
check_potential_after_spike(answer)

# %% [markdown]
# ### Exercise 1.2 — one timestep of the binary neuron (implement)
#
# Write `if_step(v, current, theta)` for tensors `v` and `current`: integrate,
# fire where $v \ge \theta$ (spike 1.0, else 0.0), soft reset. Return
# `(spikes, v_next)`.

# %% tags=["solution"]
from mlsnn_edu.classroom import check_if_step


### BEGIN SOLUTION
def if_step(v, current, theta):
    v = v + current
    spikes = (v >= theta).float()
    return spikes, v - theta * spikes


### END SOLUTION
check_if_step(if_step)

# %% [markdown]
# ### Exercise 1.3 — the surrogate by hand (implement)
#
# Write `surrogate(v, theta, alpha)`: the derivative with respect to $v$ of
# $\sigma(\alpha(v/\theta - 1))$, elementwise, using only `torch.sigmoid` and
# arithmetic.

# %% tags=["solution"]
from mlsnn_edu.classroom import check_sigmoid_surrogate


### BEGIN SOLUTION
def surrogate(v, theta, alpha):
    s = torch.sigmoid(alpha * (v / theta - 1))
    return alpha / theta * s * (1 - s)


### END SOLUTION
check_sigmoid_surrogate(surrogate)
