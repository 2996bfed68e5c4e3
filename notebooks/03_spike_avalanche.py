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
# **Learning objectives.** After this chapter you can
#
# 1. bound, on paper, how high a SEW-ResNet's residual sums can go, block by
#    block, and say what a barrier neuron changes;
# 2. measure spike events, spike mass and the largest value per layer with a
#    `SpikeMonitor`, and tell which of the three a barrier can reduce;
# 3. read the committed results of many trained networks (several widths and
#    seeds) and judge how much of the paper's "25–47 % fewer spikes" holds on
#    the embedded digits.
#
# Library code used here: `mlsnn_edu.models`, `mlsnn_edu.monitor`,
# `mlsnn_edu.experiments`, `mlsnn_edu.explorers` and `mlsnn_edu.figures`.

# %% [markdown]
# **Predict first.** Write down your guesses before running anything; the
# chapter answers them.
#
# 1. Two spike tensors with values between 0 and N meet at a residual sum.
#    How large can the sum be, and how large after the next block adds its
#    own spikes to it?
# 2. A barrier neuron after the sum brings every value back into [0, N] in
#    one timestep. Will it reduce the number of non-zero values (events),
#    their total (mass), or both?
# 3. Once both networks are trained on the digits, do you expect Sparse-ResNet18
#    to spike less than SEW-ResNet18 at `sum1` by as much as the paper reports
#    on CIFAR-10?

# %%
import matplotlib.pyplot as plt

from mlsnn_edu import diagrams

diagrams.avalanche_sources(levels=4, blocks=2)
plt.show()

# %% [markdown]
# *Figure: left, one stage of a SEW-ResNet: the stage input (spikes of at most
# N) and the branch of each block meet at the residual sums, and the shortcut
# carries every earlier contribution forward, one coloured strand per source.
# Right, the largest value each sum can reach with N = 4, stacked by source:
# the stage input and one branch at sum0, one branch more at sum1, against a
# dashed line at N, where a Sparse block's barrier clips.*

# %%

import matplotlib.pyplot as plt
import torch
from myst_nb import glue
from torch.utils.data import DataLoader

from mlsnn_edu.data import build_datasets
from mlsnn_edu.experiments import (
    ACTIVITY_MEASURES,
    MAIN_WIDTH,
    SPARSE_N4,
    activity_ratio,
    clipping_ceiling,
    load_runs,
    mean_interval,
)
from mlsnn_edu.explorers import activity_grid
from mlsnn_edu.figures import plot_activity, plot_barrier_ratios
from mlsnn_edu.models import build_model
from mlsnn_edu.monitor import (
    activity_table,
    record_activity,
    residual_sums,
)
from mlsnn_edu.neurons import multilevel_step
from mlsnn_edu.settings import default_device, full_scale, seed_everything
from mlsnn_edu.training import evaluate, train_epoch

seed_everything(0)

# %% [markdown]
# Quick mode (the default) runs narrow networks on the embedded digits on a
# laptop CPU, and reads the trained networks' activity from
# the results committed with the library (`mlsnn-edu reproduce --sweep`).
# `MLSNN_EDU_FULL=1` runs the same cells at the paper's scale, width 64 on
# CIFAR-10 (downloaded beforehand with `mlsnn-edu train --download`), on a GPU,
# and adds a training of both networks on CIFAR-10.

# %%
FULL = full_scale()
if FULL:
    DATASET, WIDTH, EPOCHS, BATCH, PROBE = "cifar10", 64, 30, 128, 512
else:
    DATASET, WIDTH, EPOCHS, BATCH, PROBE = "digits", 16, 3, 32, 128
    # small layers: one thread is faster than two sharing a CPU
    torch.set_num_threads(1)
LEVELS, TIMESTEPS = 4, 1  # the paper's multi-level setting [T=1, N=4]
DEVICE = default_device()
data = build_datasets(DATASET)
train_set = data.train
probe = torch.stack([data.test[i][0] for i in range(PROBE)]).to(DEVICE)  # a fixed batch
print(
    f"{DATASET}: {len(train_set)} training images, probe of {len(probe)}, width {WIDTH}"
)

# %% [markdown]
# ## Adding spikes to spikes
#
# A SEW basic block computes
#
# $$
# \text{out} = \underbrace{\mathrm{SN}(\mathrm{BN}(\mathrm{conv}_2(\mathrm{SN}(
#   \mathrm{BN}(\mathrm{conv}_1(x))))))}_{\text{branch, in } [0, N]}
#   + \text{shortcut}(x).
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
    currents = torch.randn(100_000, generator=generator)
    z, _ = multilevel_step(torch.zeros_like(currents), currents, levels=LEVELS)
    return z


sew = sparse = branch_spikes()  # the stage's input: spikes of the projection shortcut
print("block  SEW max  SEW mean  above N   Sparse max  Sparse mean")
for block in range(6):
    branch = branch_spikes()
    sew = sew + branch
    sparse, _ = multilevel_step(
        torch.zeros_like(sparse), sparse + branch, levels=LEVELS
    )
    above = (sew > LEVELS).float().mean()
    print(
        f"{block:5d}  {sew.max():7.0f}  {sew.mean():8.2f}  {above:7.1%}",
        f"  {sparse.max():10.0f}  {sparse.mean():11.2f}",
    )

# %% [markdown]
# The SEW mean grows by the branch's mean at every block (a linear pile-up,
# like the bound on the largest value), and the share of values no neuron could emit
# grows with it. The barrier's output stays in $[0, N]$, yet its mean grows
# almost as fast as SEW's: a barrier removes only the part of a sum above N,
# and in these six blocks few sums get there (the "above N" column).
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
shape = dict(
    width=WIDTH, levels=LEVELS, timesteps=TIMESTEPS, num_classes=data.num_classes
)
models = {
    "SEW": build_model("sew_resnet18", **shape),
    "Sparse": build_model("sparse_resnet18", **shape),
}
models["Sparse"].load_state_dict(models["SEW"].state_dict())
for model in models.values():
    model.to(
        DEVICE
    ).train()  # batch statistics: the only meaningful ones before training
at_init = {
    name: record_activity(model, probe).summary() for name, model in models.items()
}
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
bound = {
    block.add.activity_name: (j + 2) * LEVELS
    for stage in models["SEW"].stages()
    for j, block in enumerate(stage)
}
print("bound (j+2)N    " + "  ".join(f"{bound[s]:4d}" for s in sums))

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), layout="constrained")
sum_summaries = {
    name: {s: summary[s] for s in sums} for name, summary in at_init.items()
}
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
# into a non-zero spike (later layers then shift, since they see clipped
# inputs). With one timestep a barrier can reduce spike *mass*,
# never the number of *events*; any reduction of events must come from what
# training does to the network around it.
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
architectures = {
    "SEW-ResNet18": "sew_resnet18",
    "SEW-ResNet34": "sew_resnet34",
    "SEW-MobileNetV2": "sew_mobilenetv2",
}
deep = {
    label: build_model(name, **shape).to(DEVICE).train()
    for label, name in architectures.items()
}
by_depth = {
    label: record_activity(model, probe).summary() for label, model in deep.items()
}

fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), layout="constrained")
for label, summary in by_depth.items():
    depth_sums = [a for name, a in summary.items() if name.startswith("sum")]
    axes[0].plot([a.max_value for a in depth_sums], marker="o", label=label)
    axes[1].plot([a.mass / a.events for a in depth_sums], marker="o", label=label)
axes[0].axhline(LEVELS, color="black", linestyle="--", linewidth=1, label="N")
axes[0].set(xlabel="residual sum (forward order)", ylabel="largest value")
axes[0].set_title("Largest value at each sum")
axes[1].set(xlabel="residual sum (forward order)", ylabel="mass / events")
axes[1].set_title("Mean value of a non-zero sum entry")
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
        largest = max((int(by_depth[label][n].max_value) for n in names), default=None)
        stage_max.append("-" if largest is None else str(largest))
    blocks = [len(s) for s in model.stages()]
    largest = " ".join(stage_max)
    print(f"{label}: blocks per stage {blocks}, largest sum per stage: {largest}")

# %% [markdown]
# MobileNetV2's sums pile up the same way, stage by stage, and start from a
# higher mean value. With barriers (`sparse_resnet34`, `sparse_mobilenetv2`)
# every one of these sums is back in $[0, N]$ by construction; whether such
# deeper or denser networks still train as well with barriers, the paper's
# open question, takes full-scale training to answer.
#
#
# ## What the trained networks do: many runs, several widths
#
# The paper's comparison is between *trained* networks: each learns weights
# that suit its own architecture. One training is one draw, and its activity
# moves with the seed and with any change that alters a floating-point result
# by its last bit (a spiking network turns such differences into different
# spikes). So `mlsnn-edu reproduce --sweep` trained SEW- and Sparse-ResNet18
# [T=1, N=4] on the digits with the paper's recipe (SGD, learning rate 0.08,
# cosine schedule) for 15 epochs, at several widths and over many seeds (chapter
# 8 counts only the runs that converged), measured them after every epoch, and committed
# the results with the commit that produced them. The chapter reads them
# through `mlsnn_edu.experiments` (ratios below 1 mean fewer spikes with
# barriers; bands are 95 % intervals over seeds):

# %%
runs = load_runs()
fig = plot_barrier_ratios(runs, width=MAIN_WIDTH)
plt.show()

# %% [markdown]
# *Figure: three line plots with 95 % bands over seeds. Left, the
# Sparse-ResNet18 / SEW-ResNet18 ratio [T=1, N=4] of spike events and spike
# mass, at sum1 and over all layers, after every epoch at the main width, with
# a dashed line at 1 (no change). Middle, the same ratios after the last
# epoch against the network's width. Right, the percentage of SEW's
# residual-sum spike mass above N after every epoch, one line per width: what
# a barrier could clip with SEW's weights.*

# %%
# NBVAL_CHECK_OUTPUT
print("Sparse / SEW [T=1, N=4], trained: mean [95 % interval], n seeds")
for width in sorted({run.width for run in runs if run.network == SPARSE_N4}):
    print(f"width {width}")
    for name, measure in ACTIVITY_MEASURES.items():
        found = activity_ratio(runs, width, measure).describe(accuracies=True)
        print(f"  {name:<20} {found}")
sum1_mass = activity_ratio(runs, MAIN_WIDTH, ACTIVITY_MEASURES["mass at sum1"])
all_events = activity_ratio(runs, MAIN_WIDTH, ACTIVITY_MEASURES["events, all layers"])
ceiling = mean_interval([100 * v for v in clipping_ceiling(runs, MAIN_WIDTH)])
glue("ch3_width", MAIN_WIDTH, display=False)
glue("ch3_sum1_mass", sum1_mass.describe(), display=False)
glue("ch3_total_events", all_events.describe(), display=False)
glue("ch3_ceiling", f"{ceiling.mean:.1f} %", display=False)

# %% [markdown]
# At width {glue:text}`ch3_width`, the main comparison, Sparse against SEW had
# {glue:text}`ch3_sum1_mass` times the spike mass at `sum1` and
# {glue:text}`ch3_total_events` times the spike events over the whole network
# (mean [95 % interval], seeds). The right panel explains the size: once
# trained, only {glue:text}`ch3_ceiling` of SEW's spike mass at its residual
# sums lies above N: that is what a barrier would clip there with SEW's
# weights (a trained Sparse network has weights of its own, so this sets the
# scale of the effect, not a limit on it). On upscaled digits the avalanche is
# shallow. Chapter 8 sets every claim of the
# paper next to these measurements, with a verdict.

# %% [markdown]
# ### At paper scale
#
# With `MLSNN_EDU_FULL=1` the next cell trains both networks for a few epochs
# on CIFAR-10 at width 64, from the same initial weights and data order, and
# compares their activity on the test set. In quick mode it only says so.

# %%
if FULL:
    seed_everything(0)
    initial = build_model("sew_resnet18", width=WIDTH, levels=LEVELS).state_dict()
    trained = {}
    for name in ("sew_resnet18", "sparse_resnet18"):
        seed_everything(0)
        model = build_model(
            name, width=WIDTH, levels=LEVELS, num_classes=data.num_classes
        )
        model.load_state_dict(initial)
        model.to(DEVICE)
        optimizer = torch.optim.SGD(
            model.parameters(), lr=0.08, momentum=0.9, weight_decay=5e-4
        )
        loader = DataLoader(train_set, batch_size=BATCH, shuffle=True)
        for _ in range(EPOCHS):
            train_epoch(model, loader, optimizer, progress=False)
        accuracy = evaluate(model, DataLoader(data.test, batch_size=256)).accuracy
        print(f"{name}: test accuracy {accuracy:.1%}")
        trained[name] = model.eval()
    test_loader = DataLoader(data.test, batch_size=256)
    activity = {
        n: record_activity(m, test_loader).summary() for n, m in trained.items()
    }
    print(activity_table(activity))
else:
    print("quick mode: the paper-scale training runs with MLSNN_EDU_FULL=1 on a GPU")

# %% [markdown]
# ## Spikes and energy as T and N move
#
# The explorer below shows, for a narrow untrained ResNet18 (batch norms
# calibrated on the digits, 16 test digits), the spike events and mass per
# digit, the events at `sum1` and the energy estimate of chapter 6, for every
# T from 1 to 4 and N from 1 to 8. The library measured every setting when
# this page was built; the sliders only pick one, so they work without a
# kernel. Two of its points, as the library printed them:

# %%
# NBVAL_CHECK_OUTPUT
grid = activity_grid()
for key in (("sparse_resnet18", 1, 4), ("sew_resnet18", 4, 1)):
    point = grid.points[key]
    print(
        f"grid point {key[0]} T={key[1]} N={key[2]}: events {point.events:,.0f},",
        f"mass {point.mass:,.0f}, events at sum1 {point.sum1_events:,.0f},",
        f"energy {point.energy_uj:.2f} uJ",
    )

# %%
grid

# %% [markdown]
# *Figure: the activity explorer. A choice between SEW- and Sparse-ResNet18,
# sliders for T and N, the spike events, spike mass, events at sum1 and energy
# per digit, and a bar chart of the spike events of every layer, residual sums
# in red.*
#
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
# * **After training, the change is what the committed results show,** over
#   seeds and widths, not what one run happens to give. The digits are not
#   the paper's data: 8x8 digits, upscaled, with little for a barrier to clip
#   (the right panel), not CIFAR-10 at width 64; `MLSNN_EDU_FULL=1` measures
#   at the paper's scale.
#
# ## Summary
#
# * Adding spikes to spikes lets a SEW sum reach $(j + 2)N$ at block $j$ of a
#   stage: the spike avalanche, which grows with the number of blocks.
# * A barrier neuron after every sum keeps each block output in $[0, N]$; with
#   one timestep it can clip spike mass but not silence a non-zero sum.
# * Whether a trained Sparse network spikes less than SEW is a property of the
#   weights training finds and of how far its sums pile up above N; measure it
#   over seeds and widths, with an interval, as the sweep does.
#
# **Next:** [chapter 4](04_barrier_and_ste) asks how a network with a neuron on
# every skip path can still be trained, and why the barrier uses the
# straight-through estimator.
#
# ## Questionnaire
#
# Answer in a sentence or two, without running code; the answers are on the
# teachers' page.
#
# 1. What does SEW's ADD connect function do at a residual sum, and why does
#    that let a value exceed N?
# 2. How large can the sum of block j of a SEW stage be with one timestep, and
#    why?
# 3. Why does the pile-up start again at each new stage of ResNet18?
# 4. What does a barrier neuron do to a residual sum, with one timestep and
#    a threshold of one spike?
# 5. What are spike events and spike mass? Which one can a barrier reduce
#    directly with one timestep, and why not the other?
# 6. Why can a Sparse-ResNet load a SEW-ResNet's weights, and what does
#    comparing the two with the same weights isolate?
# 7. Why does an untrained network fire in train mode, and what does that
#    mean for activity measured at initialisation?
# 8. How does the avalanche change from ResNet18 to ResNet34, and to
#    MobileNetV2?
# 9. Why does the book compare trained networks over several seeds and widths
#    instead of one run?
# 10. What does the share of SEW's residual-sum mass above N say about how
#     much a barrier could remove?
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
exercise_model = build_model("sew_resnet18", width=8, levels=4, timesteps=1).train()
digits_test = build_datasets("digits").test
x = torch.stack([digits_test[i][0] for i in range(64)])
values = residual_sums(exercise_model, x)["sum1"]
answer = float((values - 4).clamp(min=0).sum() / values.sum())
### END SOLUTION
check_mass_above_n(answer)
