r"""CIFAR-10 and CIFAR-100 through torchvision, with the standard augmentation.

Training images get a random 32x32 crop of the image padded by 4 pixels and a
random horizontal flip; every image is then normalised per channel,
:math:`x_c \leftarrow (x_c - \mu_c)/\sigma_c`, with the training set's usual
statistics. Nothing is downloaded unless ``download=True`` (the CLI's
``--download``). Missing files, a file whose checksum does not match (a
truncated download) and a download that fails each raise a
:class:`~mlsnn_edu.data.errors.DatasetError` that names the file and the fix.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from torch.utils.data import Dataset

from mlsnn_edu.checks import check_choice
from mlsnn_edu.data.errors import DatasetError, check_data_root
from mlsnn_edu.files import removed_on_failure

CIFAR_NAMES = ("cifar10", "cifar100")
CIFAR_CLASSES = {"cifar10": 10, "cifar100": 100}
CIFAR_MEAN = {"cifar10": (0.4914, 0.4822, 0.4465), "cifar100": (0.5071, 0.4865, 0.4409)}
CIFAR_STD = {"cifar10": (0.2470, 0.2435, 0.2616), "cifar100": (0.2673, 0.2564, 0.2762)}
_TORCHVISION_CLASS = {"cifar10": "CIFAR10", "cifar100": "CIFAR100"}


def torchvision_cifar() -> ModuleType:
    """torchvision's CIFAR module, imported on first use.

    Importing torchvision takes about a second (it loads its models and
    operators), and only these paper-scale datasets need it.
    """
    from torchvision.datasets import cifar

    return cifar


def cifar_transforms(name: str, *, train: bool):
    """Random crop (padding 4) and flip for training, then tensor and per-channel normalisation."""
    from torchvision import transforms

    check_choice(name, CIFAR_NAMES, "dataset")
    normalise = [transforms.ToTensor(), transforms.Normalize(CIFAR_MEAN[name], CIFAR_STD[name])]
    if not train:
        return transforms.Compose(normalise)
    augment = [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip()]
    return transforms.Compose(augment + normalise)


def cifar_files(name: str, root: str | Path) -> list[tuple[Path, str]]:
    """The files torchvision reads for ``name`` under ``root``, each with its MD5 checksum."""
    check_choice(name, CIFAR_NAMES, "dataset")
    cls = getattr(torchvision_cifar(), _TORCHVISION_CLASS[name])
    folder = Path(root).expanduser() / cls.base_folder
    entries = [*cls.train_list, *cls.test_list, (cls.meta["filename"], cls.meta["md5"])]
    return [(folder / file_name, md5) for file_name, md5 in entries]


def check_cifar_present(name: str, root: str | Path) -> None:
    """Raise a :class:`DatasetError` naming the missing or broken file and the command that fixes it."""
    files = cifar_files(name, root)
    fetch = (
        f"    mlsnn-edu train dataset={name} data_root={root} --download\n"
        "or add --download to the command you ran (train, evaluate, activity, energy and "
        "reproduce take it), or pass download=True."
    )
    missing = [path for path, _ in files if not path.is_file()]
    if missing:
        folder = missing[0].parent
        raise DatasetError(
            f"{name} is not in {folder} (missing: {', '.join(p.name for p in missing)}). "
            f"Fetch it (about 170 MB) with:\n{fetch}"
        )
    for path, md5 in files:
        # looked up at call time, so tests can stand in for the real files' checksums
        if not torchvision_cifar().check_integrity(str(path), md5):
            raise DatasetError(
                f"{path} is truncated or corrupt (its MD5 checksum is not {md5}). Delete it "
                f"and fetch it again with:\n{fetch}"
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
    root = check_data_root(root)
    cls = getattr(torchvision_cifar(), _TORCHVISION_CLASS[name])
    if download:
        try:
            check_cifar_present(name, root)
        except DatasetError:  # to be fetched: root must take it (a read-only store need not)
            check_data_root(root, writable=True)
        try:
            with removed_on_failure(root):  # no empty folder, no partial archive left
                cls(str(root), train=True, download=True)
        except (OSError, RuntimeError) as error:  # URLError, timeouts, refused connections
            raise DatasetError(
                f"could not download {name} from {cls.url} ({error}). Without network access, "
                f"download {cls.filename} elsewhere and extract it into "
                f"{Path(root).expanduser()}"
            ) from None
    check_cifar_present(name, root)
    train = cls(str(root), train=True, transform=cifar_transforms(name, train=augment))
    test = cls(str(root), train=False, transform=cifar_transforms(name, train=False))
    return train, test
