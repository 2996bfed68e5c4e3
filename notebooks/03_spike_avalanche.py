# %% [markdown]
# # 3. The spike avalanche
#
# Residual networks add a block's output to its input. In an ANN that sum is a
# real number like any other. In a spiking ResNet both terms are *spikes*, and
# adding spikes to spikes does something new: values pile up through depth.
# SEW-ResNet (Fang et al., 2021) adds the two spike tensors with its ADD
# connect function; with multi-level spikes in $[0, N]$ the sum lies in
# $[0, 2N]$, the next block's sum in $[0, 3N]$, and so on. Every unit of value
# that reaches the next convolution is a spike it must process. The paper calls
# this the **spike avalanche**, and its Sparse-ResNet stops it with a *barrier
# neuron* after every residual sum (chapter 4 explains how the barrier is
# trained).
#
# This chapter derives the avalanche on paper, then measures it: per layer,
# spike **events** (non-zero values), spike **mass** (sum of values) and the
# **largest value** seen, for SEW and Sparse ResNet18 on the same input, at
# initialisation and after a short training, and through depth (ResNet18 against
# ResNet34). Library code used here: `mlsnn_edu.models`, `mlsnn_edu.monitor`,
# `mlsnn_edu.train`, `mlsnn_edu.data`.

# %%
import copy

import matplotlib.pyplot as plt
import torch
from torch.utils.data import DataLoader

from mlsnn_edu.data import build_datasets
from mlsnn_edu.models import build_model
from mlsnn_edu.monitor import (
    activity_table,
    plot_activity,
    record_activity,
    residual_sums,
    total_activity,
)
from mlsnn_edu.neurons import multilevel_step
from mlsnn_edu.settings import default_device, full_scale, seed_everything
from mlsnn_edu.training import evaluate, train_epoch

seed_everything(0)

# %% [markdown]
# Quick mode (the default) runs narrow networks on the embedded digits on a
# laptop CPU in about a minute. `MLSNN_EDU_FULL=1` runs the same cells at the
# paper's scale: width 64 on CIFAR-10 (downloaded beforehand with
# `mlsnn-edu train --download`), on a GPU.

# %%
if full_scale():
    DATASET, WIDTH, EPOCHS, BATCH, PROBE = "cifar10", 64, 30, 128, 512
else:
    DATASET, WIDTH, EPOCHS, BATCH, PROBE = "digits", 16, 3, 32, 128
    torch.set_num_threads(1)  # such small layers run faster on one thread than on two sharing a CPU
LEVELS, TIMESTEPS = 4, 1  # the paper's multi-level setting [T=1, N=4]
DEVICE = default_device()
data = build_datasets(DATASET)
train_set = data.train
probe = torch.stack([data.test[i][0] for i in range(PROBE)]).to(DEVICE)  # one fixed input batch
print(f"{DATASET}: {len(train_set)} training images, probe batch of {len(probe)}, width {WIDTH}")

# %% [markdown]
# ## Adding spikes to spikes
#
# A SEW basic block computes
#
# $$
# \text{out} = \underbrace{\mathrm{SN}(\mathrm{BN}(\mathrm{conv}_2(\mathrm{SN}(\mathrm{BN}(\mathrm{conv}_1(x))))))}_{\text{branch, in } [0, N]} + \text{shortcut}(x).
# $$
#
# Inside a stage the shortcut is the identity, so the block's input comes back
# unchanged and the branch adds up to N on top. The first block of every later
# stage changes the shape; its shortcut is a 1x1 convolution, batch norm and a
# spiking neuron, which puts values back in $[0, N]$ (the first stage starts
# from the stem's spikes, in $[0, N]$ too). So the $j$-th block of a
# stage ($j = 0, 1, \dots$) can output values up to
#
# $$
# \max \text{sum}_j = (j + 2)\,N ,
# $$
#
# growing linearly with the number of blocks in the stage: ResNet18 has 2
# blocks per stage (at most $3N$), ResNet34 up to 6 (at most $7N$). Every value
# above N is more than a single neuron could ever emit in one timestep; it
# exists only because the sum was never passed through a neuron.
#
# The Sparse-ResNet block passes the sum through a **barrier neuron**, a
# multi-level IF neuron. With one timestep and $\theta = 1$ it is
# $z = \mathrm{clamp}(\lfloor \text{sum} \rfloor, 0, N)$: the block output is
# back in $[0, N]$ whatever the depth.
#
# A toy stage makes it concrete: random spike tensors stand for the branch
# outputs (a neuron fed unit-variance currents, as after batch norm), added
# block after block, with and without a barrier (the library's
# `multilevel_step` from zero potential is exactly one barrier timestep).

# %%
# NBVAL_CHECK_OUTPUT
generator = torch.Generator().manual_seed(0)


def branch_spikes() -> torch.Tensor:
    z, _ = multilevel_step(torch.zeros(100_000), torch.randn(100_000, generator=generator), levels=LEVELS)
    return z


sew = sparse = branch_spikes()  # the stage's input: spikes of the projection shortcut
print("block  SEW max  SEW mean  above N   Sparse max  Sparse mean")
for block in range(6):
    branch = branch_spikes()
    sew = sew + branch
    sparse, _ = multilevel_step(torch.zeros_like(sparse), sparse + branch, levels=LEVELS)
    above = (sew > LEVELS).float().mean()
    print(f"{block:5d}  {sew.max():7.0f}  {sew.mean():8.2f}  {above:7.1%}   {sparse.max():10.0f}  {sparse.mean():11.2f}")

# %% [markdown]
# The SEW mean grows by the branch's mean at every block (a linear pile-up,
# exactly as the bound says), and the share of values no neuron could emit
# grows with it. The barrier's output stays in $[0, N]$: its mean creeps up
# too, since the spikes it lets through accumulate, but it can never exceed N.
# In this toy the branches are independent of their input; in a network they
# are not, and training changes everything. So we measure.
#
# ## SEW and Sparse with the same weights, at initialisation
#
# Both networks are built with `build_model`. A Sparse-ResNet has exactly the
# parameters of a SEW-ResNet (the barrier has none), so the Sparse network can
# load the SEW network's weights: the two then differ *only* by the barriers.
# At initialisation batch norm uses the statistics of the batch (train mode),
# which makes each neuron's input current roughly standard normal.
#
# `record_activity` runs a network under a `SpikeMonitor`, which hooks every
# neuron and every residual sum. For each it records, per sample and summed
# over timesteps, the number of non-zero values (*events*), their sum (*mass*:
# a spike of value k counts k times) and the largest value seen. Layers are
# named `stem`, `layerS.B.sn1`, `layerS.B.sn2`, `layerS.0.shortcut.sn` and
# `sum0`...`sum7`; `sum1` is the second block's sum, the paper's "spikes at
# sum1".

# %%
seed_everything(0)
models = {
    "SEW": build_model("sew_resnet18", width=WIDTH, levels=LEVELS, timesteps=TIMESTEPS, num_classes=data.num_classes),
    "Sparse": build_model("sparse_resnet18", width=WIDTH, levels=LEVELS, timesteps=TIMESTEPS, num_classes=data.num_classes),
}
initial = copy.deepcopy(models["SEW"].state_dict())  # kept for the training below
models["Sparse"].load_state_dict(initial)
for model in models.values():
    model.to(DEVICE).train()  # batch statistics: the only meaningful ones before training
at_init = {name: record_activity(model, probe).summary() for name, model in models.items()}
print(activity_table(at_init))

# %% [markdown]
# The columns are events and mass per image and the largest value seen. The
# largest value at the residual sums is the avalanche's signature:

# %%
# NBVAL_CHECK_OUTPUT
sums = [name for name in at_init["SEW"] if name.startswith("sum")]
print("largest value   " + "  ".join(f"{s:>4}" for s in sums))
for name, summary in at_init.items():
    print(f"{name:<15} " + "  ".join(f"{summary[s].max_value:4.0f}" for s in sums))
bound = {block.add.activity_name: (j + 2) * LEVELS for stage in models["SEW"].stages() for j, block in enumerate(stage)}
print("bound (j+2)N    " + "  ".join(f"{bound[s]:4d}" for s in sums))

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), layout="constrained")
sum_summaries = {name: {s: summary[s] for s in sums} for name, summary in at_init.items()}
plot_activity(sum_summaries, ax=axes[0], field="max_value")
axes[0].axhline(LEVELS, color="black", linestyle="--", linewidth=1)
axes[0].set_title("Largest value at each residual sum (dashed: N)")
plot_activity(sum_summaries, ax=axes[1], field="mass")
axes[1].set_title("Spike mass per image at each residual sum")
plt.show()

# %% [markdown]
# *Figure: two bar charts over the eight residual sums sum0 to sum7, SEW and
# Sparse side by side. Left, the largest value: SEW's bars rise above the dashed
# line at N = 4 at every sum, highest at the second sum of each stage, while
# Sparse's stop at 4. Right, the spike mass per image: almost the same for both
# networks at initialisation, falling from stage to stage as the feature maps
# shrink.*
#
# At initialisation the barrier changes little but the largest values: most
# neurons are silent or fire once (batch norm gives currents near 0), so few
# sums exceed N and clipping them removes little mass. At the barrier itself
# events do not change: a barrier with $\theta = 1$ turns every non-zero sum
# into a non-zero spike (later layers then shift by a few per cent, since they
# see clipped inputs). With one timestep a barrier can reduce spike *mass*, never the number
# of *events*; any reduction of events must come from what training does to
# the network around it.
#
# ## The avalanche grows with depth
#
# The bound $(j + 2)N$ depends on the number of blocks per stage, which is what
# deeper ResNets add. The residual sums of SEW-ResNet18 and SEW-ResNet34,
# built the same way and fed the same probe, and the mean value of a non-zero
# entry (mass / events: 1 would mean every spike is a single spike). The
# paper's first open question asks about networks with denser shortcuts, such
# as MobileNetV2, whose inverted-residual blocks add their input back up to
# three times in a row; its SEW version is measured alongside.

# %%
seed_everything(0)
deep = {
    label: build_model(name, width=WIDTH, levels=LEVELS, timesteps=TIMESTEPS, num_classes=data.num_classes).to(DEVICE).train()
    for label, name in (("SEW-ResNet18", "sew_resnet18"), ("SEW-ResNet34", "sew_resnet34"), ("SEW-MobileNetV2", "sew_mobilenetv2"))
}
by_depth = {label: record_activity(model, probe).summary() for label, model in deep.items()}

fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), layout="constrained")
for label, summary in by_depth.items():
    depth_sums = [a for name, a in summary.items() if name.startswith("sum")]
    axes[0].plot([a.max_value for a in depth_sums], marker="o", label=label)
    axes[1].plot([a.mass / a.events for a in depth_sums], marker="o", label=label)
axes[0].axhline(LEVELS, color="black", linestyle="--", linewidth=1, label="N")
axes[0].set(xlabel="residual sum (forward order)", ylabel="largest value", title="Largest value at each sum")
axes[1].set(xlabel="residual sum (forward order)", ylabel="mass / events", title="Mean value of a non-zero sum entry")
for ax in axes:
    ax.legend()
plt.show()

# %% [markdown]
# *Figure: two line plots over the residual sums in forward order, one line
# each for SEW-ResNet18 (8 sums), SEW-ResNet34 (16 sums) and SEW-MobileNetV2
# (10 sums). Left, the largest value rises within each stage and drops at each
# stage boundary, reaching higher in ResNet34, whose third stage has six
# blocks. Right, the mean value of a non-zero entry follows the same saw-tooth:
# it climbs block after block inside a stage.*

# %%
# NBVAL_CHECK_OUTPUT
for label, model in deep.items():
    stage_max = []
    for stage in model.stages():
        names = [block.add.activity_name for block in stage if block.add is not None]
        stage_max.append(str(max(int(by_depth[label][n].max_value) for n in names)) if names else "-")
    print(f"{label}: blocks per stage {[len(s) for s in model.stages()]}, largest sum value per stage: {' '.join(stage_max)}")

# %% [markdown]
# MobileNetV2's sums pile up the same way, stage by stage, and start from a
# higher mean value. With barriers (`sparse_resnet34`, `sparse_mobilenetv2`)
# every one of these sums is back in $[0, N]$ by construction; whether such
# deeper or denser networks still train as well with barriers, the paper's
# open question, takes full-scale training to answer.
#
# ## After a short training
#
# The paper's comparison is between *trained* networks: each learns weights
# that suit its own architecture. Both start from the same initial weights
# and train with the same data order and optimizer. (Quick mode: the 1,437
# training digits for three epochs, about ten seconds per network; enough to
# reach roughly 85–95 % test accuracy, far from a converged CIFAR network.)

# %%
trained = {}
for name in models:
    seed_everything(0)
    model = build_model(f"{name.lower()}_resnet18", width=WIDTH, levels=LEVELS, timesteps=TIMESTEPS, num_classes=data.num_classes)
    model.load_state_dict(initial)  # same start
    model.to(DEVICE)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(train_set, batch_size=BATCH, shuffle=True, generator=torch.Generator().manual_seed(0))
    for _ in range(EPOCHS):
        stats = train_epoch(model, loader, optimizer, progress=False)
    test = evaluate(model, DataLoader(data.test, batch_size=256))
    print(f"{name:6s}: train loss {stats.loss:.2f}, test accuracy {test.accuracy:.1%}")
    trained[name] = model

# %% [markdown]
# Activity on the whole test set, in evaluation mode (batch norm with its
# running statistics, as in deployment):

# %%
test_loader = DataLoader(data.test, batch_size=256)
after = {name: record_activity(model.eval(), test_loader).summary() for name, model in trained.items()}
print(activity_table(after))

# %%
fig, axes = plt.subplots(2, 1, figsize=(12, 7), layout="constrained")
plot_activity(after, ax=axes[0], field="events")
plot_activity(after, ax=axes[1], field="mass")
plt.show()

# %% [markdown]
# *Figure: two grouped bar charts over all 31 recorded layers of the trained
# networks (stem, every block neuron, projection neurons and residual sums), SEW
# and Sparse side by side: spike events per image on top, spike mass per image
# below. Activity is highest in the first stage, which has the largest feature
# maps, and the residual sums are the tallest bars of each block.*
#
# The numbers the comparison rests on, the activity at `sum1` and in total:

# %%
def change(sew: float, sparse: float) -> str:
    """Sparse relative to SEW: negative means fewer spikes with barriers."""
    return f"{sparse / sew - 1:+.0%}" if sew else "n/a"


print("               SEW events  Sparse events  change    SEW mass  Sparse mass  change")
for label, pick in (("sum1", lambda s: s["sum1"]), ("all layers", total_activity)):
    a, b = pick(after["SEW"]), pick(after["Sparse"])
    print(f"{label:<12} {a.events:12,.0f} {b.events:14,.0f}  {change(a.events, b.events):>6} "
          f"{a.mass:11,.0f} {b.mass:12,.0f}  {change(a.mass, b.mass):>6}")
print(f"largest value at the sums: SEW {max(a.max_value for n, a in after['SEW'].items() if n.startswith('sum')):.0f}, "
      f"Sparse {max(a.max_value for n, a in after['Sparse'].items() if n.startswith('sum')):.0f}")

# %% [markdown]
# ## What the measurement says, and what it does not
#
# * **The avalanche is real and structural.** In SEW-ResNet the residual sums
#   carry values above N from the very first forward pass, the largest ones at
#   the last block of each stage, and more of them in the deeper network. The
#   barrier removes them by construction: every Sparse block output is in
#   $[0, N]$.
# * **Clipping removes mass, not events.** With one timestep a barrier maps
#   every non-zero sum to a non-zero spike. Mass, each unit of a multi-level
#   spike counted once (what the energy model charges as accumulations), is
#   where the barrier acts directly.
# * **After training, the barrier's effect is modest and varies.** The
#   printed run is one draw. Repeating this section with seeds 0 to 4 while
#   writing the chapter, Sparse against SEW had between −23 % and +11 % spike
#   mass at `sum1` (less in three runs out of five), and over the whole network
#   between −7 % and +22 % events and −16 % and +14 % mass. (Any change that
#   alters a floating-point result by its last bit, a new library version or
#   another CPU, gives a spiking network different spikes and moves these
#   numbers; the spread is the stable part.) In quick mode the barrier reliably
#   bounds the values; it does not reliably make the trained network sparser.
# * **Quick mode is not the paper.** The paper reports 25–47 % fewer spikes for
#   trained Sparse-ResNet18 against SEW-ResNet18 on CIFAR-10, e.g. 67,848 →
#   35,819 at `sum1`. Our networks are 4 times narrower (16 times fewer synapses
#   per layer, so activity counts are far smaller), see 1,437 upscaled 8x8
#   digits (large flat regions, little texture) for three epochs, and are far
#   from converged; how sparse each trained network ends up depends on what
#   training makes of it. Chapter 4 sets our figures next to the paper's, with
#   the gradients that explain how the barrier is trained. Run this chapter with
#   `MLSNN_EDU_FULL=1` on a GPU to measure it at the paper's scale.
#
# ## Exercises

# %% [markdown]
# ### Exercise 3.1 — how high can a SEW sum go? (compute)
#
# In a SEW stage, block $j = 0$ has a projection shortcut ending in a spiking
# neuron and blocks $j \ge 1$ have identity shortcuts; every branch ends in a
# neuron with N levels. Write `sew_bound(block, levels)` returning the largest
# value the residual sum of block `block` (counted from 0 within its stage)
# can take with one timestep.

# %% tags=["solution"]
from mlsnn_edu.classroom import check_sew_bound

### BEGIN SOLUTION
def sew_bound(block: int, levels: int) -> int:
    return (block + 2) * levels
### END SOLUTION
check_sew_bound(sew_bound)

# %% [markdown]
# ### Exercise 3.2 — count events and mass (implement)
#
# A layer's output reaches you time-folded, as a tensor of shape
# `[T*B, ...]` (timestep-major: rows `t*B` to `t*B + B - 1` are timestep t).
# Write `events_and_mass(z, timesteps)` returning the pair (events per sample,
# mass per sample), both summed over the T timesteps, as Python floats: what
# `SpikeMonitor` reports for one batch.

# %% tags=["solution"]
from mlsnn_edu.classroom import check_events_and_mass

### BEGIN SOLUTION
def events_and_mass(z: torch.Tensor, timesteps: int) -> tuple[float, float]:
    samples = z.shape[0] // timesteps
    return float(torch.count_nonzero(z)) / samples, float(z.sum()) / samples
### END SOLUTION
check_events_and_mass(events_and_mass)

# %% [markdown]
# ### Exercise 3.3 — what would a barrier remove? (investigate)
#
# Build SEW-ResNet18 with `seed_everything(3)`, width 8, N = 4, T = 1 and 10
# classes, put it in train mode, and feed it the first 64 images of the digits
# test set (`build_datasets("digits").test`). Use `residual_sums` to get the
# values at `sum1`. What fraction of their spike mass lies *above* N, i.e.
# would be removed by clipping them to N? Assign it to `answer` (a float in
# [0, 1]).

# %% tags=["solution"]
from mlsnn_edu.classroom import check_mass_above_n

### BEGIN SOLUTION
seed_everything(3)
exercise_model = build_model("sew_resnet18", width=8, levels=4, timesteps=1, num_classes=10).train()
digits_test = build_datasets("digits").test
x = torch.stack([digits_test[i][0] for i in range(64)])
values = residual_sums(exercise_model, x)["sum1"]
answer = float((values - 4).clamp(min=0).sum() / values.sum())
### END SOLUTION
check_mass_above_n(answer)
