# %% [markdown]
# # 7. Event data in one timestep
#
# An event camera does not take pictures. Each pixel watches its own light
# intensity and reports an **event** $(t, x, y, p)$ whenever the logarithm of
# that intensity has changed by a contrast threshold $C$ since the pixel last
# reported: polarity $p$ is ON if it became brighter, OFF if darker.
#
# $$
# \log I(x, y, t) - \log I_{\mathrm{ref}}(x, y) \ge C \;\Rightarrow\; \text{ON},
# \qquad \le -C \;\Rightarrow\; \text{OFF},
# $$
#
# and after each event the pixel's reference moves by $\pm C$. CIFAR10-DVS,
# the paper's third dataset, was recorded by showing the CIFAR-10 images on a
# screen and moving them along a short closed path in front of such a camera.
#
# Spiking networks take events naturally, but a network does not take a list
# of events: it takes tensors. The usual road bins the events of a recording
# into T **frames** (event counts per pixel and polarity) and feeds one frame
# per timestep. The paper's claim is that with multi-level neurons one frame,
# one timestep, is enough. This chapter follows that road offline: the library
# emulates the event camera on the embedded digits, bins the events with
# tonic, and trains a Sparse-ResNet18 on one frame. With `MLSNN_EDU_FULL=1` the
# same cells use the real CIFAR10-DVS.
#
# **Learning objectives.** After this chapter you can
#
# 1. explain how an event camera reports changes, and emulate one on a still
#    image;
# 2. bin events into T frames and say what a frame pixel counts;
# 3. explain why one frame in one timestep suits multi-level neurons better
#    than binary ones, and measure the difference.
#
# Library code used here: `mlsnn_edu.data.dvs` and `mlsnn_edu.training`.

# %%
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from myst_nb import glue

from mlsnn_edu.data.digits import load_digit_images
from mlsnn_edu.data.dvs import (
    EmulatedDigitsDVS,
    EventFrames,
    emulate_event_camera,
    saccade_path,
)
from mlsnn_edu.settings import full_scale, seed_everything
from mlsnn_edu.training import TrainConfig, Trainer

seed_everything(0)
FULL = full_scale()
if FULL:  # configs/cifar10_dvs_sparse_resnet18_t1n4.yaml
    DATASET, RESOLUTION, WIDTH, EPOCHS, BATCH, LR = "cifar10_dvs", 64, 64, 100, 64, 1e-3
else:  # quick mode: the digits through the emulated camera
    DATASET, RESOLUTION, WIDTH, EPOCHS, BATCH, LR = "digits_dvs", 32, 8, 5, 64, 3e-3
print(f"dataset {DATASET}, frames {RESOLUTION}x{RESOLUTION},", end=" ")
print(f"width {WIDTH}, {EPOCHS} epochs")

# %% [markdown]
# ## An event camera in software
#
# `emulate_event_camera` moves a still image along a path, one small step at a
# time, and applies the rule above at every step and every pixel. The default
# path is a closed triangle of 12 steps with a 2-pixel side, like the motion
# used to record CIFAR10-DVS.

# %%
# NBVAL_CHECK_OUTPUT
images, labels = load_digit_images()
digit = torch.nn.functional.interpolate(
    torch.as_tensor(images[:1]).unsqueeze(1),
    size=(32, 32),
    mode="bilinear",
    align_corners=False,
).squeeze(1)
path = saccade_path(12, 2.0)
(events,) = emulate_event_camera(digit, path=path, threshold=0.2)
print(
    "path (dx, dy) in pixels:",
    [tuple(round(float(v), 2) for v in step) for step in path[:5]],
    "...",
)
print("fields:", events.dtype.names)
milliseconds = int(events["t"].max()) // 1000 + 1
print(f"label {labels[0]}: about {round(len(events), -2)} events,", end=" ")
print(f"{round(100 * events['p'].mean())}% ON, over {milliseconds} ms")

# %%
figure, axes = plt.subplots(1, 3, figsize=(11, 3.4))
axes[0].imshow(digit[0], cmap="gray")
axes[0].plot(15.5 + path[:, 0] * 3, 15.5 + path[:, 1] * 3, "o-", color="tab:orange")
axes[0].set(title="The digit and its path (×3)", xlabel="x (pixel)", ylabel="y (pixel)")
on, off = events[events["p"]], events[~events["p"]]
axes[1].scatter(off["x"], off["y"], s=2, color="tab:blue", label="OFF")
axes[1].scatter(on["x"], on["y"], s=2, color="tab:red", label="ON", alpha=0.6)
axes[1].set(title="Where the events fall", xlabel="x (pixel)", ylabel="y (pixel)")
axes[1].invert_yaxis()
axes[1].legend(markerscale=4)
bins = np.arange(0, int(events["t"].max()) + 500, 500)
axes[2].hist(
    [on["t"] / 1000, off["t"] / 1000],
    bins=bins / 1000,
    stacked=True,
    color=["tab:red", "tab:blue"],
    label=["ON", "OFF"],
)
axes[2].set(
    title="When the events fall", xlabel="time (ms)", ylabel="events per 0.5 ms"
)
axes[2].legend()
figure.tight_layout()
plt.show()

# %% [markdown]
# *Figure: left, the digit 0 with its triangular path drawn three times larger;
# middle, the positions of ON (red) and OFF (blue) events, which trace the
# digit's edges; right, the number of events per half millisecond, in bursts,
# one for each step of the path.*
#
# Only edges produce events: a uniform region stays uniform when it moves. The
# leading edge of a bright stroke turns ON, the trailing edge OFF, and when the
# path turns, the roles swap. The camera keeps no picture, only changes.

# %% [markdown]
# ## From events to frames
#
# tonic's `ToFrame` cuts the recording into T bins of equal duration and counts
# the events of each bin per pixel and polarity: a tensor `[T, 2, H, W]`. The
# library's `EventFrames` wraps it and resizes the frames (for CIFAR10-DVS, from
# 128×128 down to the network's input size). The same recording gives 1, 2 or 4
# frames:

# %%
# NBVAL_CHECK_OUTPUT
sensor = (32, 32, 2)
frames = {T: EventFrames(sensor, timesteps=T, resolution=32)(events) for T in (1, 2, 4)}
for T, f in frames.items():
    per_frame = [round(n, -2) for n in f.sum(dim=(1, 2, 3)).int().tolist()]
    print(f"T={T}: shape {tuple(f.shape)}, about {per_frame} events per frame")

# %%
figure, axes = plt.subplots(3, 4, figsize=(9, 6.6))
for row, T in enumerate((1, 2, 4)):
    for column in range(4):
        ax = axes[row, column]
        ax.set_xticks([])
        ax.set_yticks([])
        if column < T:
            f = frames[T][column]
            ax.imshow(f[1] - f[0], cmap="coolwarm", vmin=-6, vmax=6)
            ax.set_title(f"T={T}, frame {column + 1}", fontsize=9)
        else:
            ax.axis("off")
figure.suptitle("ON minus OFF counts per pixel: 1, 2 or 4 frames of one recording")
figure.supxlabel("frame (time bin)")
figure.supylabel("number of frames T")
plt.show()

# %% [markdown]
# *Figure: three rows of frames of the same recording: one frame (T=1), two
# frames and four frames. Red pixels received more ON than OFF events, blue the
# reverse. With T=1 the whole motion is in one frame, with ON and OFF partly
# cancelling on the colour scale; with T=4 each frame holds one part of the path.*

# %% [markdown]
# ## One timestep: why multi-level spikes fit event frames
#
# A frame pixel holds a *count*: with T=1 it collects every event of the
# recording, many pixels get several. The first convolution turns counts into
# currents, and the first neuron must pass on how large they are. A binary
# neuron (N=1) sends at most one spike per timestep, so it needs T timesteps to
# say "T"; a multi-level neuron sends a value up to N in one. For a constant,
# non-negative input (chapter 2) the two are equivalent, [T=4, N=1] and
# [T=1, N=4] giving the same spike totals; here the single frame of [T=1, N=4]
# also costs one pass through the network instead of four.
#
# How large are the counts? Over the whole emulated dataset:

# %%
# NBVAL_CHECK_OUTPUT
dataset = EmulatedDigitsDVS(
    size=32, transform=EventFrames(sensor, timesteps=1, resolution=32)
)
counts = torch.stack([dataset[i][0] for i in range(0, len(dataset), 10)])
nonzero = counts[counts > 0]
above_one = round(100 * (nonzero > 1).float().mean().item())
above_four = round(100 * (nonzero > 4).float().mean().item())
print(f"{len(dataset)} recordings; in one frame, {above_one}% of active pixels hold")
print(f"more than one event, {above_four}% more than four")

# %% [markdown]
# ## Training on one frame
#
# We train the same Sparse-ResNet18 as in chapter 5 on the emulated events, T=1
# frame of 2 polarity channels, once with multi-level neurons (N=4) and once
# with binary neurons (N=1). The paper trains on CIFAR10-DVS with Adam and
# learning rate $10^{-3}$; in quick mode we use Adam with a larger rate,
# $3\times10^{-3}$, to get there in five epochs.

# %%
results = {}
for levels in (4, 1):
    config = TrainConfig(
        model="sparse_resnet18",
        dataset=DATASET,
        timesteps=1,
        levels=levels,
        width=WIDTH,
        resolution=RESOLUTION,
        epochs=EPOCHS,
        batch_size=BATCH,
        optimizer="adam",
        lr=LR,
        weight_decay=0.0,
        out_dir=tempfile.mkdtemp(prefix=f"chapter07-t1n{levels}-"),
        resume=False,
        download=FULL,
        progress=False,
        activity_samples=360 if not FULL else 1000,
        num_workers=8 if FULL else 0,
    )
    start = time.perf_counter()
    history = Trainer(config).fit()
    results[levels] = history[-1]
    accuracies = [round(100 * r["test_accuracy"]) for r in history]
    seconds = time.perf_counter() - start
    print(f"N={levels}: {seconds:.0f} s, accuracy per epoch {accuracies}%")

# %%
for levels, last in results.items():
    total = last["activity"]["total"]
    print(
        f"[T=1, N={levels}]: test accuracy {100 * last['test_accuracy']:.1f}%,", end=" "
    )
    print(
        f"{total['events']:,.0f} events and {total['mass']:,.0f} spike mass per sample"
    )
    glue(f"ch7_accuracy_n{levels}", 100 * last["test_accuracy"], display=False)

# %%
figure, ax = plt.subplots(figsize=(5, 3.2))
names = [f"[T=1, N={n}]" for n in results]
accuracy = [100 * r["test_accuracy"] for r in results.values()]
ax.bar(names, accuracy, color=["tab:green", "tab:gray"])
ax.set(xlabel="network", ylabel="test accuracy (%)")
ax.set_title("One frame, one timestep: test accuracy")
ax.set_ylim(0, 100)
plt.show()

# %% [markdown]
# *Figure: two bars, the test accuracy of Sparse-ResNet18 trained on a single
# event frame with four-level neurons and with binary neurons.*
#
# In this run the multi-level network learned the emulated digits from a
# single frame to {glue:text}`ch7_accuracy_n4:.0f` % test accuracy, the binary
# one to {glue:text}`ch7_accuracy_n1:.0f` %: a binary neuron must squeeze every
# count into 0 or 1 in its single timestep. The exact figures vary a little
# from machine to machine. At paper scale
# (`MLSNN_EDU_FULL=1`, CIFAR10-DVS with tonic, frames resized to 64×64, Adam
# $10^{-3}$ for 100 epochs) the cells run the experiment of the paper's DVS
# table; the configs in `configs/cifar10_dvs_*.yaml` hold it for the command
# line, binary [T=4, N=1] included:
#
# ```bash
# mlsnn-edu train --config configs/cifar10_dvs_sparse_resnet18_t1n4.yaml --download
# ```
#
# The real dataset is about 7 GB; nothing is downloaded unless `--download` is
# given, and without the files the error says where they are expected.
#
# ## Summary
#
# * An event camera reports per pixel when the log intensity has changed by a
#   contrast threshold; moving a still image in front of it makes events at
#   its edges.
# * Binned into T frames, events become counts per pixel and polarity; with
#   T = 1 a single frame holds every count of the recording.
# * A multi-level neuron passes a count up to N on in one timestep, where a
#   binary one passes at most one spike, so one frame, one timestep, suits
#   multi-level networks.
#
# **Next:** [chapter 8](08_paper_claims) sets each of the paper's claims next to
# what this book measures.
#
# ## Exercises

# %% [markdown]
# ### Exercise 7.1 — events to one frame (implement)
#
# Write `events_to_frame(events, sensor_size)`: count every event of a
# structured array (fields `t, x, y, p`) into one array of shape
# `[2, H, W]`, where `sensor_size = (W, H, 2)`; channel 0 counts the OFF events
# (`p` False), channel 1 the ON events.

# %% tags=["solution"]
from mlsnn_edu.classroom import check_events_to_frame


### BEGIN SOLUTION
def events_to_frame(events, sensor_size):
    width, height, polarities = sensor_size
    frame = np.zeros((polarities, height, width), dtype=np.int64)
    np.add.at(
        frame,
        (events["p"].astype(int), events["y"].astype(int), events["x"].astype(int)),
        1,
    )
    return frame


### END SOLUTION
check_events_to_frame(events_to_frame)

# %% [markdown]
# ### Exercise 7.2 — how many events for one change? (compute)
#
# A pixel of the emulated camera goes from intensity `before` to `after` in one
# step (intensities in [0, 1]; the camera compares $\log(\epsilon + I)$ with
# contrast threshold `threshold`). Write `events_for_change(before, after,
# threshold, epsilon)` returning the number of events it emits, positive for
# ON, negative for OFF.

# %% tags=["solution"]
import math

from mlsnn_edu.classroom import check_events_for_change


### BEGIN SOLUTION
def events_for_change(before, after, threshold, epsilon):
    change = math.log(epsilon + after) - math.log(epsilon + before)
    return math.trunc(change / threshold)


### END SOLUTION
check_events_for_change(events_for_change)
