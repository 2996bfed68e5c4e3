"""Datasets: the embedded digits, CIFAR from files in the real format, the emulated event camera."""

from __future__ import annotations

import math
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from mlsnn_edu.data import DATASET_SHAPES, build_datasets, digits_datasets
from mlsnn_edu.data.cifar import CIFAR_MEAN, CIFAR_STD
from mlsnn_edu.data.digits import lift_to_rgb32, load_digit_images
from mlsnn_edu.data.dvs import (
    EVENT_DTYPE,
    EventFrames,
    check_cifar10_dvs_present,
    cifar10_dvs_split,
    digits_dvs_datasets,
    emulate_event_camera,
    saccade_path,
)

# --- the embedded digits --------------------------------------------------------------------


def test_digits_are_1797_images_split_80_20_with_every_class_in_proportion() -> None:
    train, test = digits_datasets(seed=0)
    assert len(train) + len(test) == 1797 and len(test) == 360
    x, y = train[0]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32 and y.dtype == torch.int64
    counts = torch.bincount(test.tensors[1], minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37  # 10% of each class of ~180


def test_digits_are_normalised_per_channel_with_training_statistics() -> None:
    train, test = digits_datasets(seed=0)
    mean = train.tensors[0].mean(dim=(0, 2, 3))
    std = train.tensors[0].std(dim=(0, 2, 3))
    assert torch.allclose(mean, torch.zeros(3), atol=1e-5)
    assert torch.allclose(std, torch.ones(3), atol=1e-5)
    assert torch.equal(train.tensors[0][:, 0], train.tensors[0][:, 2])  # grey: channels equal


def test_the_split_is_fixed_by_the_seed() -> None:
    a_train, _ = digits_datasets(seed=0)
    b_train, _ = digits_datasets(seed=0)
    c_train, _ = digits_datasets(seed=1)
    assert torch.equal(a_train.tensors[0], b_train.tensors[0])
    assert not torch.equal(a_train.tensors[1], c_train.tensors[1])


def test_the_lift_to_32x32_is_bilinear_with_half_pixel_centres() -> None:
    images = np.random.default_rng(0).random((2, 8, 8)).astype(np.float32)
    lifted = lift_to_rgb32(images)
    assert lifted.shape == (2, 3, 32, 32)
    # output column 2 sits at input coordinate (2 + 0.5) / 4 - 0.5 = 0.125
    expected = 0.875 * images[:, 0, 0] + 0.125 * images[:, 0, 1]
    assert np.allclose(lifted[:, 0, 0, 2].numpy(), expected, atol=1e-6)
    assert np.allclose(lifted[:, 0, 0, 0].numpy(), images[:, 0, 0])  # clamped at the edge
    # a factor-4 bilinear lift keeps the mean of every image
    assert np.allclose(lifted.mean(dim=(1, 2, 3)).numpy(), images.mean(axis=(1, 2)), atol=1e-6)


def test_raw_digits_are_sklearns_scaled_to_unit_range() -> None:
    from sklearn.datasets import load_digits

    images, labels = load_digit_images()
    reference = load_digits()
    assert np.allclose(images * 16, reference.images) and np.array_equal(labels, reference.target)
    assert images.min() == 0.0 and images.max() == 1.0


# --- CIFAR, from files written in torchvision's on-disk format --------------------------------


def write_cifar(root: Path, name: str, per_file: int = 4) -> dict[str, np.ndarray]:
    """Pickled batches like the real ones: uint8 rows [n, 3072] (R, G, B planes) and labels."""
    rng = np.random.default_rng(0)
    if name == "cifar10":
        folder, files, label_key = (
            "cifar-10-batches-py",
            [f"data_batch_{i}" for i in range(1, 6)],
            "labels",
        )
        test_file, meta_file, meta = (
            "test_batch",
            "batches.meta",
            {"label_names": list("abcdefghij")},
        )
    else:
        folder, files, label_key = "cifar-100-python", ["train"], "fine_labels"
        test_file, meta_file = "test", "meta"
        meta = {"fine_label_names": [f"c{i}" for i in range(100)]}
    (root / folder).mkdir(parents=True)
    written = {}
    for file_name in [*files, test_file]:
        data = rng.integers(0, 256, size=(per_file, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, size=per_file).tolist()
        with open(root / folder / file_name, "wb") as handle:
            pickle.dump({"data": data, label_key: labels}, handle)
        written[file_name] = data
    with open(root / folder / meta_file, "wb") as handle:
        pickle.dump(meta, handle)
    return written


@pytest.fixture
def no_md5(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written here cannot have the real files' checksums: check only that they exist."""
    import torchvision.datasets.cifar as cifar

    monkeypatch.setattr(cifar, "check_integrity", lambda path, md5=None: os.path.isfile(path))


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
def test_cifar_loads_real_format_files_and_normalises_the_test_set(
    tmp_path: Path, name: str, no_md5: None
) -> None:
    written = write_cifar(tmp_path, name)
    data = build_datasets(name, root=tmp_path)
    assert (data.num_classes, data.in_channels) == DATASET_SHAPES[name]
    assert len(data.train) == 4 * (5 if name == "cifar10" else 1) and len(data.test) == 4
    raw = written["test_batch" if name == "cifar10" else "test"][1].reshape(3, 32, 32) / 255.0
    mean = np.array(CIFAR_MEAN[name])[:, None, None]
    std = np.array(CIFAR_STD[name])[:, None, None]
    x, _ = data.test[1]
    assert np.allclose(x.numpy(), (raw - mean) / std, atol=1e-5)


def crop_of(padded: np.ndarray, top: int, left: int, flip: bool) -> np.ndarray:
    crop = padded[:, top : top + 32, left : left + 32]
    return crop[..., ::-1] if flip else crop


def test_cifar_training_images_are_a_padded_crop_possibly_flipped(
    tmp_path: Path, no_md5: None
) -> None:
    written = write_cifar(tmp_path, "cifar10")
    data = build_datasets("cifar10", root=tmp_path)
    raw = written["data_batch_1"][2].reshape(3, 32, 32) / 255.0
    padded = np.pad(raw, ((0, 0), (4, 4), (4, 4)))
    mean = np.array(CIFAR_MEAN["cifar10"])[:, None, None]
    std = np.array(CIFAR_STD["cifar10"])[:, None, None]
    torch.manual_seed(0)
    seen_flip = seen_shift = False
    for _ in range(12):
        image = data.train[2][0].numpy() * std + mean
        matches = [
            (top, left, flip)
            for top in range(9)
            for left in range(9)
            for flip in (False, True)
            if np.allclose(image, crop_of(padded, top, left, flip), atol=1e-5)
        ]
        assert matches, "every training image is one of the 162 crops and flips"
        seen_flip |= any(flip for *_, flip in matches)
        seen_shift |= any((top, left) != (4, 4) for top, left, _ in matches)
    assert seen_flip and seen_shift


def test_missing_cifar_says_where_and_how_to_fetch(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as error:
        build_datasets("cifar10", root=tmp_path)
    message = str(error.value)
    assert str(tmp_path / "cifar-10-batches-py") in message
    assert f"mlsnn-edu train dataset=cifar10 data_root={tmp_path} --download" in message


def test_missing_cifar10_dvs_says_where_and_how_to_fetch(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as error:
        check_cifar10_dvs_present(tmp_path)
    assert str(tmp_path / "CIFAR10DVS") in str(error.value)
    assert "--download" in str(error.value)
    with pytest.raises(FileNotFoundError):
        build_datasets("cifar10_dvs", root=tmp_path)


def test_cifar10_dvs_split_keeps_the_first_90_percent_of_each_class() -> None:
    targets = [0] * 10 + [1] * 20
    train, test = cifar10_dvs_split(targets)
    assert test == [9, 28, 29]
    assert len(train) == 27 and set(train).isdisjoint(test)


# --- CIFAR10-DVS, from AEDAT4 files read by tonic (and the aedat decoder it calls) -----------
#
# AEDAT4: the magic line, a little-endian u32 length and an "IOHE" flatbuffer
# whose description (XML) declares stream 0 as events ("EVTS") of a 128x128
# sensor; then packets: u32 stream id, u32 length, and a size-prefixed "EVTS"
# flatbuffer holding a vector of (int64 t, int16 x, int16 y, bool on) structs.
# Written uncompressed, which the format allows.

AEDAT4_MAGIC = b"#!AER-DAT4.0\r\n"


def _pad(buffer: bytearray, multiple: int) -> None:
    buffer.extend(b"\0" * (-len(buffer) % multiple))


def aedat4_ioheader(description: str) -> bytes:
    """Flatbuffer table Ioheader {compression, file_data_position, description}; only the last set."""
    b = bytearray()
    b += struct.pack("<I", 0)  # root offset, patched below
    b += b"IOHE"
    vtable = len(b)
    b += struct.pack("<HHHHH", 10, 8, 0, 0, 4)  # 3 fields: defaults, defaults, description at +4
    _pad(b, 4)
    table = len(b)
    b += struct.pack("<i", table - vtable)
    field = len(b)
    b += struct.pack("<I", 0)  # offset to the string, patched below
    string = len(b)
    text = description.encode()
    b += struct.pack("<I", len(text)) + text + b"\0"
    _pad(b, 4)
    struct.pack_into("<I", b, 0, table)
    struct.pack_into("<I", b, field, string - field)
    return bytes(b)


def aedat4_event_packet(t, x, y, on) -> bytes:
    """Size-prefixed flatbuffer EventPacket {elements: [Event]}, Event = (int64 t, int16 x, int16 y, bool on)."""
    b = bytearray()
    b += struct.pack("<I", 0)  # size prefix, patched below
    b += struct.pack("<I", 0)  # root offset (from byte 4), patched below
    b += b"EVTS"
    vtable = len(b)
    b += struct.pack("<HHH", 6, 8, 4)
    _pad(b, 4)
    table = len(b)
    b += struct.pack("<i", table - vtable)
    field = len(b)
    b += struct.pack("<I", 0)
    while (len(b) + 4) % 8:  # the structs (8-byte aligned) follow the 4-byte count
        b += b"\0"
    vector = len(b)
    b += struct.pack("<I", len(t))
    for values in zip(t, x, y, on):
        b += struct.pack("<qhh?3x", int(values[0]), int(values[1]), int(values[2]), bool(values[3]))
    struct.pack_into("<I", b, 0, len(b) - 4)
    struct.pack_into("<I", b, 4, table - 4)
    struct.pack_into("<I", b, field, vector - field)
    return bytes(b)


def write_aedat4(path, events, width=128, height=128) -> None:
    description = (
        '<dv version="2.0"><node name="outInfo" path="/mainloop/Recorder/outInfo/">'
        '<node name="0" path="/mainloop/Recorder/outInfo/0/">'
        '<attr key="compression" type="string">NONE</attr>'
        '<attr key="typeIdentifier" type="string">EVTS</attr>'
        '<node name="info" path="/mainloop/Recorder/outInfo/0/info/">'
        f'<attr key="sizeX" type="int">{width}</attr><attr key="sizeY" type="int">{height}</attr>'
        "</node></node></node></dv>"
    )
    header = aedat4_ioheader(description)
    packet = aedat4_event_packet(events["t"], events["x"], events["y"], events["p"])
    with open(path, "wb") as f:
        f.write(AEDAT4_MAGIC + struct.pack("<I", len(header)) + header)
        f.write(struct.pack("<II", 0, len(packet)) + packet)


CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def write_cifar10_dvs(root: Path, per_class: int = 100) -> dict[str, np.ndarray]:
    """tonic's layout: CIFAR10DVS/CIFAR10DVS.zip (already extracted) and one folder per class."""
    folder = root / "CIFAR10DVS"
    folder.mkdir(parents=True)
    (folder / "CIFAR10DVS.zip").write_bytes(b"")
    rng = np.random.default_rng(0)
    written = {}
    for name in CLASSES:
        (folder / name).mkdir()
        for index in range(per_class):
            events = np.zeros(40, dtype=EVENT_DTYPE)
            events["t"] = np.sort(rng.integers(0, 100_000, 40))
            events["x"], events["y"] = rng.integers(0, 128, 40), rng.integers(0, 128, 40)
            events["p"] = rng.random(40) < 0.5
            path = folder / name / f"cifar10_{name}_{index:03d}.aedat4"
            write_aedat4(path, events)
            written[str(path)] = events
    return written


def test_cifar10_dvs_reads_aedat4_recordings_through_tonic(tmp_path: Path) -> None:
    pytest.importorskip("aedat", reason="tonic reads CIFAR10-DVS's AEDAT4 files with `aedat`")
    written = write_cifar10_dvs(tmp_path)
    data = build_datasets("cifar10_dvs", root=tmp_path, timesteps=2, resolution=32)
    assert (data.num_classes, data.in_channels) == (10, 2)
    assert len(data.train) == 900 and len(data.test) == 100
    recordings = data.test.dataset
    for position in (0, 55, 99):
        frames, label = data.test[position]
        path = recordings.data[data.test.indices[position]]
        assert CLASSES[label] == Path(path).parent.name
        events = written[path]
        assert frames.shape == (2, 2, 32, 32)
        t = events["t"].astype(np.int64)
        width = (t[-1] - t[0]) // 2
        kept = events[t < t[0] + 2 * width]
        assert torch.isclose(frames.sum() * 16, torch.tensor(float(len(kept))))  # 4x4 areas
        assert torch.isclose(frames[:, 1].sum() * 16, torch.tensor(float(kept["p"].sum())))
    # the last 10 recordings of each class (in file order) are the test set
    test_names = sorted(Path(recordings.data[i]).name for i in data.test.indices[:10])
    assert test_names == [f"cifar10_airplane_{i:03d}.aedat4" for i in range(90, 100)]


# --- the emulated event camera -------------------------------------------------------------------


def edge_image() -> torch.Tensor:
    image = torch.zeros(1, 4, 6)
    image[:, :, 3:] = 1.0  # dark left half, bright right half
    return image


def test_a_still_image_makes_no_events() -> None:
    events = emulate_event_camera(edge_image(), path=np.zeros((5, 2)))
    assert len(events[0]) == 0


def test_moving_an_edge_by_one_pixel_gives_the_hand_computed_events() -> None:
    threshold, epsilon = 0.2, 0.1
    (events,) = emulate_event_camera(
        edge_image(), path=[[0, 0], [-1, 0]], threshold=threshold, epsilon=epsilon, step_us=1000
    )
    per_pixel = math.trunc((math.log(1 + epsilon) - math.log(epsilon)) / threshold)  # 11
    on = events[events["p"]]
    off = events[~events["p"]]
    # the edge moves left: column 2 turns bright; column 5 leaves the frame and turns black
    assert len(on) == len(off) == 4 * per_pixel
    assert set(on["x"].tolist()) == {2} and set(off["x"].tolist()) == {5}
    assert sorted(set(on["y"].tolist())) == [0, 1, 2, 3]
    assert events.dtype == EVENT_DTYPE
    assert np.all(np.diff(events["t"].astype(np.int64)) >= 0)
    assert events["t"].min() > 0 and events["t"].max() < 1000


def net_events(events: np.ndarray, size: int) -> np.ndarray:
    signed = np.zeros((size, size), dtype=np.int64)
    np.add.at(signed, (events["y"], events["x"]), np.where(events["p"], 1, -1))
    return signed


def test_after_a_closed_path_every_pixel_has_as_many_on_as_off_events() -> None:
    images = torch.rand(3, 16, 16)
    square = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]  # whole pixels: every image is exact
    for events in emulate_event_camera(images, path=square):
        assert len(events) > 0
        assert np.all(net_events(events, 16) == 0)  # back where it started: ON - OFF = 0


def test_the_bilinear_saccade_ends_within_one_event_of_balance() -> None:
    # half-pixel moves round the intensities; the reference still tracks within one threshold
    for events in emulate_event_camera(torch.rand(2, 16, 16), path=saccade_path(12, 2.0)):
        assert np.abs(net_events(events, 16)).max() <= 1


def test_the_saccade_is_a_closed_triangle() -> None:
    path = saccade_path(12, 2.0)
    assert path.shape == (13, 2)
    assert np.allclose(path[0], 0) and np.allclose(path[-1], 0)
    assert np.allclose(path[4], [2.0, 0.0]) and np.allclose(path[8], [1.0, 2.0])


def test_event_layout_is_tonics_cifar10dvs_layout() -> None:
    import tonic

    assert EVENT_DTYPE.names == tonic.datasets.CIFAR10DVS.dtype.names
    assert EVENT_DTYPE == tonic.datasets.CIFAR10DVS.dtype


def test_frames_count_events_per_polarity_through_tonic() -> None:
    (events,) = emulate_event_camera(torch.rand(1, 8, 8), path=saccade_path(6, 1.0))
    frames = EventFrames((8, 8, 2), timesteps=3, resolution=8)(events)
    assert frames.shape == (3, 2, 8, 8)
    t = events["t"].astype(np.int64)
    width = (t[-1] - t[0]) // 3  # ToFrame's bins: [t0 + k w, t0 + (k + 1) w), k < T
    for k in range(3):
        inside = events[(t >= t[0] + k * width) & (t < t[0] + (k + 1) * width)]
        assert frames[k, 1].sum() == inside["p"].sum()  # channel 1 holds the ON events
        assert frames[k, 0].sum() == (~inside["p"]).sum()
        assert frames[k, 1, inside["y"][0], inside["x"][0]] >= 1
    one = EventFrames((8, 8, 2), timesteps=1, resolution=4)(events)
    assert one.shape == (1, 2, 4, 4)
    counted = int((t < t[-1]).sum())  # one bin: everything but the last timestamp
    assert torch.isclose(one.sum() * 4, torch.tensor(float(counted)))  # area average of 2x2


def test_digit_events_dataset_has_the_digits_split_and_frames() -> None:
    train, test = digits_dvs_datasets(timesteps=2, resolution=16)
    digits_train, digits_test = digits_datasets()
    assert len(train) == len(digits_train) and len(test) == len(digits_test)
    assert [int(test[i][1]) for i in range(20)] == digits_test.tensors[1][:20].tolist()
    x, _ = train[0]
    assert x.shape == (2, 2, 16, 16) and x.sum() > 0


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        emulate_event_camera(torch.rand(1, 4, 4), threshold=0.0)
    with pytest.raises(ValueError, match="resolution"):
        EventFrames((8, 8, 2), timesteps=1, resolution=0)
    with pytest.raises(ValueError, match="dataset must be one of"):
        build_datasets("mnist")
