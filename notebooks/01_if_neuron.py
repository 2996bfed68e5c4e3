# %% [markdown]
# # 1. The integrate-and-fire neuron
#
# **Why spiking networks.** An ordinary (artificial) neural network computes
# with every neuron on every input: each layer multiplies all its weights by
# all its activations. A spiking neural network (SNN) computes only when
# something happens. A neuron sends a **spike**, a discrete event, and only
# the neurons it connects to do any work, an addition per synapse instead of a
# multiplication. On hardware built for it (neuromorphic chips such as Intel's
# Loihi or IBM's TrueNorth) that sparsity is what saves energy, and it suits
# sensors that themselves report events, such as the event cameras of
# chapter 7. The price is time: a binary spike says only "0" or "1", so a
# network runs for several **timesteps** T to express a value, and every
# timestep costs latency and energy.
#
# **What the paper changes.** Castagnetti, Pegatoquet and Miramond ("All in one
# timestep", arXiv 2510.24637) let a neuron send an integer spike between 0
# and N in a single timestep, and put *barrier* neurons into residual networks
# so that spikes do not pile up through depth. Their claim: one timestep of
# multi-level spikes is as accurate as binary networks run for several
# timesteps, with fewer spikes and less estimated energy. This book builds the
# method from its first neuron, measures each claim, and says where our
# measurements agree with the paper and where they do not. Everything starts
# with one integrate-and-fire neuron.
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
#    that replaces it vanishes far from the threshold;
# 4. run the same neuron in snntorch and say where the two libraries differ.
#
# Library code used here: `mlsnn_edu.neurons`, `mlsnn_edu.surrogate`,
# `mlsnn_edu.figures` and `mlsnn_edu.diagrams`.

# %% [markdown]
# **Predict first.** Write down your guesses before running anything; the
# chapter answers them.
#
# 1. A neuron with threshold 1 receives the same input, 0.6, at every
#    timestep. How often will it fire, and would it fire as often if every
#    spike set its potential back to 0?
# 2. A spike is a step function of the potential. What will PyTorch's autograd
#    return as its derivative?
# 3. A neuron's potential sits far below its threshold. Will a smooth
#    stand-in for the step's derivative still give it something to learn from?

# %%
import matplotlib.pyplot as plt
import torch
from myst_nb import glue

from mlsnn_edu import diagrams, figures
from mlsnn_edu.neurons import MultiLevelIF, run_neuron
from mlsnn_edu.settings import seed_everything
from mlsnn_edu.surrogate import sigmoid_surrogate_derivative

seed_everything(0)

# %% [markdown]
# ## Building the neuron, one timestep at a time
#
# One timestep is one turn of a loop: integrate the input, compare with the
# threshold, fire and reset (or not), and carry the potential to the next
# timestep.

# %%
diagrams.if_neuron_loop()
plt.show()

# %% [markdown]
# *Figure: the integrate-and-fire neuron as a loop. The input current I(t)
# is added to the potential v; if v reaches the threshold, the neuron sends a
# spike to the next layer and subtracts the threshold from v; if not, it sends
# nothing and keeps v. Either way the loop comes back to integrate at the next
# timestep, with v as the neuron's only memory.*
#
# Here is that loop in code, for a single neuron and a short input sequence.
# It is the whole model: there is nothing else hidden in the library's
# version.


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
# The trace below draws each timestep in two moves: the potential rises by the
# input to an open circle, and where that reaches the threshold the neuron
# fires and the potential drops by the threshold to a filled circle, which it
# carries to the next timestep.

# %%
figures.plot_membrane_trace(
    torch.tensor(currents),
    library_potentials.flatten(),
    library_spikes.flatten(),
    theta=1.0,
)
plt.show()

# %% [markdown]
# *Figure: the membrane potential of a binary IF neuron over ten timesteps, as
# a sawtooth. Grey bars are the input currents; the blue line rises by each
# input to an open circle; where it reaches the dashed threshold at 1.0, a red
# triangle above the plot marks the spike and a red arrow the drop by the
# threshold to a filled circle, the potential after the reset.*
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
# ## The same neuron in snntorch
#
# snntorch, the library behind the field's most used SNN tutorials, builds
# neurons as PyTorch modules too. Its leaky integrate-and-fire neuron
# `snntorch.Leaky` multiplies the potential by a decay factor $\beta$ before
# adding the input; with $\beta = 1$ nothing leaks, and with
# `reset_mechanism="subtract"` and `threshold=1` it is our neuron. Two details
# of its bookkeeping differ. It returns the potential *before* the reset and
# subtracts the threshold at the start of the next timestep, which changes the
# potentials it reports but not the spikes. And it fires when $v > \theta$,
# strictly, where ours fires at $v \ge \theta$. On random currents, where the
# potential never lands exactly on the threshold, the two must spike alike:

# %%
# NBVAL_CHECK_OUTPUT
import snntorch


def snntorch_spikes(currents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """snntorch's Leaky, no leak, subtractive reset, over currents [T, ...]."""
    neuron = snntorch.Leaky(beta=1.0, threshold=1.0, reset_mechanism="subtract")
    membrane = neuron.init_leaky()
    spikes, potentials = [], []
    for current in currents:
        spike, membrane = neuron(current, membrane)
        spikes.append(spike)
        potentials.append(membrane)
    return torch.stack(spikes), torch.stack(potentials)


generator = torch.Generator().manual_seed(1)
random_currents = torch.rand(200, 1000, generator=generator, dtype=torch.float64)
random_currents = 1.2 * random_currents - 0.2  # in [-0.2, 1.0)
theirs, their_potentials = snntorch_spikes(random_currents)
ours, our_potentials = run_neuron(random_currents, levels=1)
assert torch.equal(theirs.to(ours.dtype), ours), "snntorch spikes differently"
# snntorch reports v before the reset: subtract theta where it fired to get ours
assert torch.allclose(their_potentials - theirs, our_potentials)
print(f"1000 neurons, 200 timesteps: {int(ours.sum())} spikes, identical in both")

# %% [markdown]
# The chapter's own ten currents are not random: at one timestep the
# potential lands exactly on the threshold.

# %%
# NBVAL_CHECK_OUTPUT
theirs, _ = snntorch_spikes(as_tensor)
print("snntorch:", theirs.flatten().int().tolist())
print("ours:    ", library_spikes.flatten().int().tolist())
tie = int((theirs.flatten() != library_spikes.flatten()).nonzero()[0])
peak = float(library_potentials.flatten()[tie] + library_spikes.flatten()[tie])
print(f"first difference at t={tie + 1}, where v after integrating is {peak:g}")
totals = int(theirs.sum()), int(library_spikes.sum())
print(f"spikes in total: snntorch {totals[0]}, ours {totals[1]}")
glue("ch1_tie_step", tie + 1, display=False)
glue("ch1_tie_theirs", totals[0], display=False)
glue("ch1_tie_ours", totals[1], display=False)

# %% [markdown]
# At $t$ = {glue:text}`ch1_tie_step` the potential is exactly 1: our neuron
# fires and snntorch's does not. snntorch's neuron keeps the charge and fires
# later instead, so over the ten timesteps it sends
# {glue:text}`ch1_tie_theirs` spikes and ours {glue:text}`ch1_tie_ours`, at
# different times. Neither is wrong; a cross-check between libraries must
# compare like with like, and ties at the threshold are where they part.
# `tests/test_snntorch_bridge.py` repeats both checks.
#
# ## Where this library stops
#
# This library implements the neurons, networks, training recipe and energy
# model of one paper, and checks each against its definition. It has no leaky
# neurons, no recurrent connections, no spike encodings other than the direct
# input and event frames, and it does not run on neuromorphic hardware. For
# those, take the field's libraries. snntorch's tutorials teach leaky neurons,
# spike encodings and training through time, with the `Leaky` neuron used
# above. SpikingJelly builds SEW-ResNets
# (`spikingjelly.activation_based.model.sew_resnet`) whose `cnf` argument
# chooses how a block's branch meets its shortcut:
# `cnf="ADD"` is the SEW block of chapter 3, and a Sparse block is that block
# with a barrier neuron after the sum. To cross-check a block, give both
# libraries the same weights and binary spikes (N = 1) and compare spike by
# spike, minding the ties at the threshold seen above. The book's
# further-reading page lists where to go from each chapter.
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
# * snntorch's `Leaky` with $\beta = 1$ and a subtractive reset spikes as this
#   neuron does, except where the potential lands exactly on the threshold.
#
# **Next:** [chapter 2](02_multilevel_spikes) lets a neuron fire up to N times
# in one timestep: multi-level spikes.
#
# ## Questionnaire
#
# Answer in a sentence or two, without running code; the answers are on the
# teachers' page.
#
# 1. What does a spiking network save on hardware built for it, and what does
#    it pay for that in time?
# 2. What does the paper change so that a network need not run for many
#    timesteps?
# 3. What does an IF neuron keep from one timestep to the next, and what are
#    the three things it does at each timestep?
# 4. What does a soft reset keep that a hard reset throws away?
# 5. With a constant input $0 \le I \le \theta$ for T timesteps, how many
#    spikes does the soft-reset neuron emit?
# 6. How many different spike counts can a binary neuron produce over T
#    timesteps, and why does that limit the precision of a value it passes on?
# 7. Why does the true derivative of a spike give gradient descent nothing to
#    follow?
# 8. What does a surrogate gradient change, and what does it leave as it is?
# 9. What does the slope $\alpha$ of the sigmoid surrogate trade off?
# 10. Why is the sigmoid surrogate almost 0 far from the threshold, and what
#     does that mean for a neuron whose potential sits there?
# 11. Which estimator still passes a gradient to such a neuron, and how?
# 12. When do snntorch's `Leaky` (no leak, subtractive reset) and this
#     library's neuron spike differently, and why?
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
