r"""Event data: CIFAR10-DVS through tonic, and an emulated event camera for the digits.

An event camera reports, per pixel, when the log intensity has changed by a
contrast threshold :math:`C` since the pixel last fired:

.. math::

    \log I(x, y, t) - \log I_{ref}(x, y) \ge C \Rightarrow \text{ON event},\qquad
    \le -C \Rightarrow \text{OFF event},

after which :math:`I_{ref}` moves by :math:`\pm C` per event. CIFAR10-DVS was
recorded by showing CIFAR images on a screen and moving them along a short
closed path in front of such a camera. :func:`emulate_event_camera` does the
same to a still image in software, so the digits become an offline event
dataset (:class:`EmulatedDigitsDVS`) that travels the same road as real
recordings: a tonic-style structured array ``(t, x, y, p)``, tonic's
``ToFrame`` into T frames ``[T, 2, H, W]``, a resize, a network.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, Subset

from mlsnn_edu.checks import check_positive_int, check_timesteps
from mlsnn_edu.data.digits import lift_to_rgb32, load_digit_images, stratified_split
from mlsnn_edu.data.errors import DatasetError, check_data_root
from mlsnn_edu.files import removed_on_failure

#: The event layout of tonic's CIFAR10DVS: time (microseconds), column, row, polarity (True = ON).
EVENT_DTYPE = np.dtype([("t", np.uint64), ("x", np.uint16), ("y", np.uint16), ("p", bool)])
CIFAR10_DVS_SENSOR = (128, 128, 2)
CIFAR10_DVS_MIN_FILES = 1000  # tonic treats the archive as extracted from this many recordings on
_TONIC_FOLDER = "CIFAR10DVS"
_TONIC_ARCHIVE = "CIFAR10DVS.zip"


def saccade_path(steps: int = 12, amplitude: float = 2.0) -> np.ndarray:
    """A closed triangular path of ``steps + 1`` offsets ``(dx, dy)`` in pixels, from and back to 0.

    The image travels right by ``amplitude``, then down-left, then back up to
    where it started, like the repeated closed-loop motion used to record
    CIFAR10-DVS from a screen.
    """
    check_timesteps(steps, "steps")
    corners = np.array([[0.0, 0.0], [amplitude, 0.0], [amplitude / 2, amplitude], [0.0, 0.0]])
    position = np.linspace(0.0, 3.0, steps + 1)
    segment = np.minimum(position.astype(int), 2)
    fraction = (position - segment)[:, None]
    return corners[segment] * (1 - fraction) + corners[segment + 1] * fraction


def shift_images(images: torch.Tensor, dx: float, dy: float) -> torch.Tensor:
    r"""Move ``[B, H, W]`` images by ``(dx, dy)`` pixels, bilinear, black outside the frame.

    With :math:`d = i + f` (integer and fractional parts) along each axis,
    :math:`out(x) = (1 - f)\, in(x - i) + f\, in(x - i - 1)`; whole-pixel moves are exact.
    """
    ix, fx = int(np.floor(dx)), float(dx - np.floor(dx))
    iy, fy = int(np.floor(dy)), float(dy - np.floor(dy))
    out = torch.zeros_like(images)
    for ox, wx in ((ix, 1 - fx), (ix + 1, fx)):
        for oy, wy in ((iy, 1 - fy), (iy + 1, fy)):
            if wx * wy:
                out += wx * wy * _whole_pixel_shift(images, ox, oy)
    return out


def _whole_pixel_shift(images: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """``out[y, x] = in[y - dy, x - dx]``, zero where that falls outside."""
    out = torch.zeros_like(images)
    height, width = images.shape[-2:]
    if abs(dx) >= width or abs(dy) >= height:
        return out
    out[..., max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)] = images[
        ..., max(-dy, 0) : height + min(-dy, 0), max(-dx, 0) : width + min(-dx, 0)
    ]
    return out


def emulate_event_camera(
    images: torch.Tensor | np.ndarray,
    *,
    path: np.ndarray | None = None,
    threshold: float = 0.2,
    step_us: int = 1000,
    epsilon: float = 0.1,
) -> list[np.ndarray]:
    r"""Events of a camera watching each image (``[B, H, W]``, in [0, 1]) move along ``path``.

    At every step :math:`k` of the path the pixel's log intensity
    :math:`L = \log(\epsilon + I)` is compared with its reference; each whole
    multiple of ``threshold`` crossed gives one event (ON if brighter, OFF if
    darker) and moves the reference by that much. The n events of one pixel in
    one step are spread evenly over the step's ``step_us`` microseconds.
    Returns one structured array (:data:`EVENT_DTYPE`) per image, sorted by time.
    """
    if threshold <= 0:
        raise ValueError(f"threshold (contrast, in log intensity) must be > 0, got {threshold!r}")
    images = torch.as_tensor(images, dtype=torch.float32)
    if images.dim() != 3:
        raise ValueError(f"images must have shape [B, H, W], got {tuple(images.shape)}")
    path = saccade_path() if path is None else np.asarray(path, dtype=float)
    frames = [torch.log(epsilon + shift_images(images, dx, dy)) for dx, dy in path]
    # the reference is log I at the start plus `fired` thresholds: integers keep it exact
    fired = torch.zeros_like(frames[0])
    chunks, owners = [], []
    for step, log_intensity in enumerate(frames[1:]):
        crossings = torch.trunc((log_intensity - frames[0]) / threshold - fired)
        fired += crossings
        events, owner = _events_of_step(crossings.to(torch.int64).numpy(), step * step_us, step_us)
        chunks.append(events)
        owners.append(owner)
    events, owner = np.concatenate(chunks), np.concatenate(owners)
    order = np.lexsort((events["t"], owner))  # by image, then by time
    events, owner = events[order], owner[order]
    return np.split(events, np.searchsorted(owner, np.arange(1, len(images))))


def _events_of_step(
    count: np.ndarray, start_us: int, step_us: int
) -> tuple[np.ndarray, np.ndarray]:
    """``count[b, y, x]`` signed crossings -> |count| events per pixel spread over the step.

    Returns the events and, for each, the index ``b`` of the image it belongs to.
    """
    bs, ys, xs = np.nonzero(count)
    signed = count[bs, ys, xs]
    repeats = np.abs(signed)
    events = np.zeros(int(repeats.sum()), dtype=EVENT_DTYPE)
    rank = np.arange(len(events)) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    events["t"] = start_us + (rank + 1) * step_us // (np.repeat(repeats, repeats) + 1)
    events["x"] = np.repeat(xs, repeats)
    events["y"] = np.repeat(ys, repeats)
    events["p"] = np.repeat(signed > 0, repeats)
    return events, np.repeat(bs, repeats)


class EventFrames:
    r"""tonic ``ToFrame`` into ``timesteps`` frames, then a float tensor ``[T, 2, r, r]``.

    ``ToFrame`` sums the events of each time bin per polarity (channel 0 OFF,
    1 ON). Its T bins have the whole-microsecond width
    :math:`w = \lfloor (t_{last} - t_{first}) / T \rfloor` from :math:`t_{first}`,
    so the events from :math:`t_{first} + T w` on (at least the last one) are
    left out. The resize to ``resolution`` averages counts over each output
    pixel's area.
    """

    def __init__(self, sensor_size: tuple[int, int, int], timesteps: int, resolution: int) -> None:
        self.timesteps = check_timesteps(timesteps)
        self.resolution = check_positive_int(resolution, "resolution")
        from tonic.transforms import ToFrame  # here, not at the top: only event data needs tonic

        self.to_frame = ToFrame(sensor_size=sensor_size, n_time_bins=timesteps)

    def __call__(self, events: np.ndarray) -> torch.Tensor:
        frames = torch.as_tensor(self.to_frame(events), dtype=torch.float32)
        if frames.shape[-1] != self.resolution or frames.shape[-2] != self.resolution:
            frames = F.interpolate(frames, size=(self.resolution, self.resolution), mode="area")
        return frames


class EmulatedDigitsDVS(Dataset):
    """The digits (as :func:`digit_stills` shows them) seen by :func:`emulate_event_camera`.

    Item ``i`` is ``(events, label)``, ``events`` a structured array with
    fields ``t, x, y, p`` on a ``(size, size, 2)`` sensor, or whatever
    ``transform`` (e.g. :class:`EventFrames`) makes of it.
    """

    dtype = EVENT_DTYPE
    ordering = EVENT_DTYPE.names

    def __init__(self, size: int = 32, transform=None, threshold: float = 0.2) -> None:
        self.sensor_size = (size, size, 2)
        self.transform = transform
        self.events, self.targets = _emulated_digit_events(size, threshold)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int):
        events = self.events[index]
        return (events if self.transform is None else self.transform(events)), self.targets[index]


def digit_stills(size: int = 32, *, margin: int = 2, contrast: float = 4.0) -> torch.Tensor:
    r"""The embedded digits as a screen shows them to the camera: ``[B, size, size]`` in [0, 1].

    Each 8x8 digit is enlarged bilinearly to ``size - 2 * margin`` pixels, framed
    by ``margin`` black pixels (so the motion does not drag the picture's border
    across the sensor), and its contrast raised about mid-grey,
    :math:`I \leftarrow \mathrm{clamp}(0.5 + c\,(I - 0.5), 0, 1)`: strokes become
    uniform, with edges about one pixel wide. The enlarged digit alone is a blur
    of ramps, and every pixel on a ramp fires at every step of the path: its
    events would cover the digit instead of tracing its moving edges.
    """
    check_positive_int(size, "size")
    if not 0 <= margin < size / 2:
        raise ValueError(f"margin must be in [0, size/2) = [0, {size / 2:g}), got {margin!r}")
    if contrast <= 0:
        raise ValueError(f"contrast must be > 0, got {contrast!r}")
    images, _ = load_digit_images()
    inner = size - 2 * margin
    enlarged = lift_to_rgb32(images, inner)[:, :1]  # the digits' one resize; one channel
    framed = F.pad(enlarged, (margin, margin, margin, margin)).squeeze(1)
    return torch.clamp(0.5 + contrast * (framed - 0.5), 0.0, 1.0)


def moving_edge_shares(
    events: np.ndarray, image: torch.Tensor | np.ndarray, travel: int
) -> tuple[float, float]:
    """Shares of ON events on a leading edge and of OFF events on a trailing edge, moving right.

    While ``image`` (``[H, W]``) moves right by ``travel`` whole pixels, a pixel
    turns brighter only if a brighter pixel lies up to ``travel`` pixels to its
    left (a bright stroke's leading edge arrives) and darker only if a darker one
    does (its trailing edge). ``events`` are those of that move. Returns the share
    of ON events at pixels of the first kind and of OFF events at pixels of the
    second: both near 1 when the events trace the moving edges.
    """
    check_positive_int(travel, "travel")
    image = np.asarray(image, dtype=np.float64)
    brighter = np.zeros(image.shape, dtype=bool)
    darker = np.zeros(image.shape, dtype=bool)
    for offset in range(1, travel + 1):
        left = np.zeros_like(image)
        left[:, offset:] = image[:, :-offset]
        brighter |= left > image
        darker |= left < image
    on, off = events[events["p"]], events[~events["p"]]
    if len(on) == 0 or len(off) == 0:
        raise ValueError("events must hold both ON and OFF events of the move")
    return (
        float(brighter[on["y"], on["x"]].mean()),
        float(darker[off["y"], off["x"]].mean()),
    )


@functools.lru_cache(maxsize=4)
def _emulated_digit_events(size: int, threshold: float) -> tuple[list[np.ndarray], list[int]]:
    _, labels = load_digit_images()
    still = digit_stills(size)
    return emulate_event_camera(still, threshold=threshold), [int(y) for y in labels]


def digits_dvs_datasets(
    timesteps: int = 1, resolution: int = 32, *, seed: int = 0, test_fraction: float = 0.2
) -> tuple[Subset, Subset]:
    """Train/test frames ``[T, 2, r, r]`` of the emulated digit events (the digits' own split)."""
    dataset = EmulatedDigitsDVS(transform=None)
    dataset.transform = EventFrames(dataset.sensor_size, timesteps, resolution)
    train, test = stratified_split(
        np.array(dataset.targets), seed=seed, test_fraction=test_fraction
    )
    return Subset(dataset, train.tolist()), Subset(dataset, test.tolist())


def check_cifar10_dvs_present(root: str | Path) -> None:
    """Raise a :class:`DatasetError` that says what to run when CIFAR10-DVS is missing."""
    folder = Path(root).expanduser() / _TONIC_FOLDER
    recordings = len(list(folder.glob("**/*.aedat4"))) if folder.is_dir() else 0
    if not (folder / _TONIC_ARCHIVE).is_file() or recordings < CIFAR10_DVS_MIN_FILES:
        raise DatasetError(
            f"CIFAR10-DVS is not in {folder} (tonic expects {_TONIC_ARCHIVE} and its extracted "
            f"class folders of .aedat4 recordings; found {recordings}). "
            "Fetch it (about 7 GB) with:\n"
            f"    mlsnn-edu train dataset=cifar10_dvs data_root={root} --download\n"
            "or add --download to the command you ran (train, evaluate, activity, energy and "
            "reproduce take it), or pass download=True."
        )


def cifar10_dvs_split(
    targets: list[int], train_fraction: float = 0.9
) -> tuple[list[int], list[int]]:
    """The usual CIFAR10-DVS split: the first 90% of each class trains, the rest tests."""
    train, test = [], []
    targets = np.asarray(targets)
    for label in np.unique(targets):
        members = np.flatnonzero(targets == label)
        cut = int(round(train_fraction * len(members)))
        train.extend(members[:cut].tolist())
        test.extend(members[cut:].tolist())
    return sorted(train), sorted(test)


class NamedRecordings(Dataset):
    """A tonic dataset whose unreadable recordings raise a :class:`DatasetError` naming the file."""

    def __init__(self, recordings) -> None:
        self.recordings = recordings

    @property
    def data(self) -> list[str]:
        """The recordings' file paths, in the dataset's order."""
        return self.recordings.data

    @property
    def targets(self) -> list[int]:
        return self.recordings.targets

    def __len__(self) -> int:
        return len(self.recordings)

    def __getitem__(self, index: int):
        try:
            return self.recordings[index]
        except Exception as error:  # the AEDAT4 reader's errors vary with the damage
            path = self.recordings.data[index]
            raise DatasetError(
                f"{path} could not be read ({type(error).__name__}: {str(error)[:120]}); the "
                "recording is truncated or corrupt. Delete it and fetch CIFAR10-DVS again "
                "with --download."
            ) from None


def cifar10_dvs_datasets(
    root: str | Path = "data", *, timesteps: int = 1, resolution: int = 64, download: bool = False
) -> tuple[Subset, Subset]:
    """CIFAR10-DVS through tonic: frames ``[T, 2, resolution, resolution]`` and labels."""
    root = check_data_root(root)
    try:
        check_cifar10_dvs_present(root)
    except DatasetError:
        if not download:
            raise
        check_data_root(root, writable=True)  # to be fetched: root must take it
    import tonic.datasets

    transform = EventFrames(CIFAR10_DVS_SENSOR, timesteps, resolution)
    try:
        with removed_on_failure(root):  # no empty folder, no partial archive left
            dataset = tonic.datasets.CIFAR10DVS(save_to=str(root), transform=transform)
    except (OSError, RuntimeError) as error:  # a failed download
        raise DatasetError(
            f"could not download CIFAR10-DVS into {Path(root).expanduser() / _TONIC_FOLDER} "
            f"({error}). Without network access, download {_TONIC_ARCHIVE} elsewhere and "
            "extract it there."
        ) from None
    order = sorted(range(len(dataset)), key=lambda i: dataset.data[i])
    dataset.data = [dataset.data[i] for i in order]
    dataset.targets = [dataset.targets[i] for i in order]
    train, test = cifar10_dvs_split(dataset.targets)
    recordings = NamedRecordings(dataset)
    return Subset(recordings, train), Subset(recordings, test)
