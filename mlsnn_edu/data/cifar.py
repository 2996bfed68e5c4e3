r"""CIFAR-10 and CIFAR-100 through torchvision, with the standard augmentation.

Training images get a random 32x32 crop of the image padded by 4 pixels and a
random horizontal flip; every image is then normalised per channel,
:math:`x_c \leftarrow (x_c - \mu_c)/\sigma_c`, with the training set's usual
statistics. Nothing is downloaded unless ``download=True`` (the CLI's
``--download``); without the files a :class:`FileNotFoundError` says where they
are expected and which command fetches them.
"""

from __future__ import annotations

from pathlib import Path

from torch.utils.data import Dataset
from torchvision import datasets, transforms

from mlsnn_edu._checks import check_choice

CIFAR_NAMES = ("cifar10", "cifar100")
CIFAR_CLASSES = {"cifar10": 10, "cifar100": 100}
CIFAR_MEAN = {"cifar10": (0.4914, 0.4822, 0.4465), "cifar100": (0.5071, 0.4865, 0.4409)}
CIFAR_STD = {"cifar10": (0.2470, 0.2435, 0.2616), "cifar100": (0.2673, 0.2564, 0.2762)}
_TORCHVISION_CLASS = {"cifar10": datasets.CIFAR10, "cifar100": datasets.CIFAR100}


def cifar_transforms(name: str, *, train: bool) -> transforms.Compose:
    """Random crop (padding 4) and flip for training, then tensor and per-channel normalisation."""
    check_choice(name, CIFAR_NAMES, "dataset")
    normalise = [transforms.ToTensor(), transforms.Normalize(CIFAR_MEAN[name], CIFAR_STD[name])]
    if not train:
        return transforms.Compose(normalise)
    augment = [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip()]
    return transforms.Compose(augment + normalise)


def cifar_files(name: str, root: str | Path) -> list[Path]:
    """The files torchvision reads for ``name`` under ``root``."""
    check_choice(name, CIFAR_NAMES, "dataset")
    cls = _TORCHVISION_CLASS[name]
    folder = Path(root).expanduser() / cls.base_folder
    names = [entry[0] for entry in cls.train_list + cls.test_list] + [cls.meta["filename"]]
    return [folder / file_name for file_name in names]


def check_cifar_present(name: str, root: str | Path) -> None:
    """Raise a :class:`FileNotFoundError` that says what to run when the files are missing."""
    missing = [path for path in cifar_files(name, root) if not path.is_file()]
    if missing:
        folder = missing[0].parent
        raise FileNotFoundError(
            f"{name} is not in {folder} (missing: {', '.join(p.name for p in missing)}). "
            f"Fetch it (about 170 MB) with:\n"
            f"    mlsnn-edu train dataset={name} data_root={root} --download\n"
            f"or add --download to the command you ran, or pass download=True."
        )


def cifar_datasets(
    name: str = "cifar10",
    root: str | Path = "data",
    *,
    download: bool = False,
    augment: bool = True,
) -> tuple[Dataset, Dataset]:
    """``(train, test)`` torchvision datasets of ``name`` (cifar10 or cifar100) under ``root``."""
    check_choice(name, CIFAR_NAMES, "dataset")
    if not download:
        check_cifar_present(name, root)
    cls = _TORCHVISION_CLASS[name]
    train = cls(
        str(root), train=True, download=download, transform=cifar_transforms(name, train=augment)
    )
    test = cls(
        str(root), train=False, download=False, transform=cifar_transforms(name, train=False)
    )
    return train, test
