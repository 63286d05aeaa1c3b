"""Datasets as one in-memory uint8 tensor with labels and a fixed held-out split.

Every dataset becomes `ImageData`: images as uint8 NCHW at the study's image size (the
canonical form that both training and scoring read), integer labels when the dataset has
them (the built-in sets, IDX label files, a folder's class sub-folders), and a fixed train /
held-out split that does not depend on the run's seed.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from gan_bench.cache import cache_root, digest
from gan_bench.files import atomic_write, load_torch
from gan_bench.study.dataspec import (
    IMAGE_SUFFIXES,
    SPLIT_SEED,
    TORCHVISION_SETS,
    DataError,
    FolderLayout,
    checked_idx,
    data_root,
    dataset_key,
    folder_layout,
    heldout_fraction,
    open_maybe_gzip,
    split_sizes,
)


@dataclass(frozen=True)
class ImageData:
    """A whole dataset in memory: uint8 images, optional labels, a fixed split."""

    name: str
    images: torch.Tensor  # uint8, N x C x H x W
    labels: torch.Tensor | None  # int64, N
    train_index: torch.Tensor  # int64 indices into images
    heldout_index: torch.Tensor
    num_classes: int

    @property
    def channels(self) -> int:
        return self.images.shape[1]

    @property
    def image_size(self) -> int:
        return self.images.shape[-1]

    def split(self, which: str) -> tuple[torch.Tensor, torch.Tensor | None]:
        """uint8 images and labels of the `train` or `heldout` split."""
        index = self.train_index if which == "train" else self.heldout_index
        labels = None if self.labels is None else self.labels[index]
        return self.images[index], labels


def model_range(g_output: str) -> tuple[float, float]:
    """The pixel range the generator produces: tanh -> [-1, 1], sigmoid -> [0, 1]."""
    return (-1.0, 1.0) if g_output == "tanh" else (0.0, 1.0)


def to_model_range(images: torch.Tensor, g_output: str) -> torch.Tensor:
    """uint8 images -> float in the generator's output range."""
    low, high = model_range(g_output)
    return images.float().div(255.0).mul(high - low).add(low)


def to_uint8(images: torch.Tensor, g_output: str) -> torch.Tensor:
    """Generator output -> uint8 images, the form every metric reads."""
    low, high = model_range(g_output)
    unit = (images.float() - low) / (high - low)
    return unit.clamp(0, 1).mul(255).round().to(torch.uint8)


def resize_uint8(images: torch.Tensor, size: int) -> torch.Tensor:
    """Resize uint8 NCHW images to size x size, antialiased, back to uint8."""
    if images.shape[-1] == size and images.shape[-2] == size:
        return images.contiguous()
    resized = F.interpolate(
        images.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False
    )
    return resized.round().clamp(0, 255).to(torch.uint8)


def _fixed_split(total: int, fraction: float) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(SPLIT_SEED)
    order = torch.randperm(total, generator=generator)
    train, _ = split_sizes(total, fraction)
    return order[:train].sort().values, order[train:].sort().values


# --------------------------------------------------------------------------- loading


def _digits() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    pixels = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)  # 0..16 -> 0..255
    return torch.from_numpy(pixels).unsqueeze(1), torch.from_numpy(bunch.target).long()


def _read_idx(path: Path) -> torch.Tensor:
    """An IDX file (gzip or raw) through torchvision's reader, once its length is checked
    against its header (a truncated file or a huge claim: DataError naming the file)."""
    from torchvision.datasets.mnist import read_sn3_pascalvincent_tensor

    checked_idx(path)
    with open_maybe_gzip(path) as source, tempfile.NamedTemporaryFile(suffix=".idx") as raw:
        shutil.copyfileobj(source, raw)
        raw.flush()
        return read_sn3_pascalvincent_tensor(raw.name, strict=False)


def _idx(spec: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor | None]:
    images = _read_idx(Path(spec["images"]))
    if images.dim() == 3:
        images = images.unsqueeze(1)
    labels = _read_idx(Path(spec["labels"])).long() if "labels" in spec else None
    return images.to(torch.uint8), labels


def _torchvision(spec: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Train + test split of a torchvision dataset; returns (images, labels, train count)."""
    import torchvision.datasets as tvd

    cls = getattr(tvd, TORCHVISION_SETS[spec["name"]])
    root = data_root(spec)
    parts = []
    for train in (True, False):
        try:
            dataset = cls(str(root), train=train, download=True)
        except Exception as error:  # noqa: BLE001 - torchvision raises many kinds here
            raise DataError(
                f"dataset.name: could not load or download {spec['name']} into {root} ({error}); "
                "on a machine without internet, copy the dataset there or set dataset.root / "
                "GAN_BENCH_DATA"
            ) from error
        images = torch.as_tensor(np.asarray(dataset.data))
        images = images.permute(0, 3, 1, 2) if images.dim() == 4 else images.unsqueeze(1)
        parts.append((images, torch.as_tensor(dataset.targets).long()))
    train_count = parts[0][0].shape[0]
    images = torch.cat([parts[0][0], parts[1][0]])
    labels = torch.cat([parts[0][1], parts[1][1]])
    return images, labels, train_count


def _unread(path: str) -> None:
    raise AssertionError(f"{path}: DatasetFolder only lists the files here")


def _imagefolder_labels(folder: Path, layout: FolderLayout) -> torch.Tensor:
    """The labels of an ImageFolder layout, from torchvision's own DatasetFolder (ImageFolder
    with gan-bench's image suffixes: find_classes, make_dataset); it must list the files,
    classes and indices the plan-time check saw (study/dataspec.py), else DataError."""
    from torchvision.datasets import DatasetFolder

    try:
        found = DatasetFolder(str(folder), loader=_unread, extensions=IMAGE_SUFFIXES)
    except (OSError, ValueError) as error:  # FileNotFoundError: an empty class folder
        raise DataError(f"dataset.path: torchvision cannot read {folder}: {error}") from None
    samples = [(Path(path), index) for path, index in found.samples]
    if tuple(found.classes) != layout.classes or samples != list(
        zip(layout.files, layout.labels or (), strict=True)
    ):
        raise DataError(
            f"dataset.path: torchvision's ImageFolder reads {folder} otherwise than gan-bench's "
            f"check did ({len(found.classes)} classes, {len(samples)} images vs "
            f"{len(layout.classes)}, {len(layout.files)}); did the folder change meanwhile?"
        )
    return torch.tensor([index for _, index in found.samples], dtype=torch.long)


def _folder(spec: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor | None]:
    """A folder's images (and, in torchvision's ImageFolder layout, their labels)."""
    from PIL import Image, UnidentifiedImageError

    mode = "L" if spec.get("channels", 3) == 1 else "RGB"
    size = spec.get("image_size", 16)
    folder = Path(spec["path"])
    layout = folder_layout(folder)
    labels = _imagefolder_labels(folder, layout) if layout.classes else None
    images = []
    for path in layout.files:
        try:
            with Image.open(path) as image:
                pixels = np.asarray(image.convert(mode), dtype=np.uint8)
        except (OSError, UnidentifiedImageError) as error:
            raise DataError(f"dataset.path: cannot decode image {path}: {error}") from error
        tensor = torch.from_numpy(pixels.copy())
        tensor = tensor.unsqueeze(0) if tensor.dim() == 2 else tensor.permute(2, 0, 1)
        images.append(resize_uint8(tensor.unsqueeze(0), size))
    return torch.cat(images), labels


DATA_CACHE_VERSION = 2  # 2: folders in ImageFolder layout carry labels


def _source_files(spec: dict[str, Any]) -> list[Path]:
    if spec["name"] == "idx":
        return [Path(spec[key]) for key in ("images", "labels") if key in spec]
    if spec["name"] == "folder":
        return list(folder_layout(Path(spec["path"])).files)
    return []


def cache_path(spec: dict[str, Any]) -> Path:
    """Where the prepared tensor of this spec is cached: keyed by the spec and its files."""
    files = [
        (str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in _source_files(spec)
    ]
    key = {"version": DATA_CACHE_VERSION, "spec": spec, "files": files}
    if spec["name"] in TORCHVISION_SETS:
        key["root"] = str(data_root(spec).resolve())
    return cache_root() / "datasets" / f"{dataset_key(spec)}-{digest(key)}.pt"


def load_dataset(spec: dict[str, Any]) -> ImageData:
    """The dataset of a validated spec, in memory (CPU), at its image size.

    Prepared tensors are cached (see gan_bench.cache): a study's jobs then skip decoding,
    resizing and importing the dataset's library, which costs seconds per job.
    """
    path = cache_path(spec)
    if path.exists():
        try:
            return ImageData(**load_torch(path))
        except Exception:  # noqa: BLE001 - an unreadable cache entry is rebuilt
            path.unlink(missing_ok=True)
    dataset = prepare_dataset(spec)
    atomic_write(path, lambda tmp: torch.save(dataclasses.asdict(dataset), tmp))
    return dataset


def prepare_dataset(spec: dict[str, Any]) -> ImageData:
    """Read, split and resize a dataset from its source."""
    name = spec["name"]
    size = spec.get("image_size", 16)
    labels: torch.Tensor | None
    if name in TORCHVISION_SETS:
        images, labels, train_count = _torchvision(spec)
        total = images.shape[0]
        train_index = torch.arange(train_count)
        heldout_index = torch.arange(train_count, total)
    else:
        if name == "digits":
            images, labels = _digits()
        elif name == "idx":
            images, labels = _idx(spec)
        elif name == "folder":
            images, labels = _folder(spec)
        else:
            raise DataError(f"dataset.name: unknown dataset {name!r}")
        train_index, heldout_index = _fixed_split(images.shape[0], heldout_fraction(spec))
    images = resize_uint8(images, size)
    num_classes = int(labels.max().item()) + 1 if labels is not None else 0
    return ImageData(name, images, labels, train_index, heldout_index, num_classes)
