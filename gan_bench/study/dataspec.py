"""Dataset specs checked without loading anything (and without importing torch).

Study validation runs in every Snakemake process and before every job, so it must be
cheap: file existence, IDX headers and training-split sizes only.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

from gan_bench.errors import BadInput

SPLIT_SEED = 20161  # fixed: the held-out split never depends on the run's seed
DEFAULT_HELDOUT_FRACTION = 0.2
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}
TORCHVISION_SETS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "cifar10": "CIFAR10"}
# Training-split sizes of the fixed-size datasets: checked before any loading.
KNOWN_TRAIN_SIZES = {"mnist": 60000, "fashion-mnist": 60000, "cifar10": 50000}
DIGITS_SIZE = 1797
IDX_IMAGE_MAGIC = 0x00000803
IDX_LABEL_MAGIC = 0x00000801


class DataError(BadInput):
    """A dataset cannot be read; the message names the key and the file."""


def data_root(spec: dict[str, Any]) -> Path:
    """Where torchvision datasets live: `root`, else $GAN_BENCH_DATA, else a user cache."""
    default = Path.home() / ".cache" / "gan-bench" / "data"
    return Path(spec.get("root") or os.environ.get("GAN_BENCH_DATA") or default).expanduser()


def heldout_fraction(spec: dict[str, Any]) -> float:
    return float(spec.get("heldout_fraction", DEFAULT_HELDOUT_FRACTION))


def split_sizes(total: int, fraction: float) -> tuple[int, int]:
    heldout = int(round(total * fraction))
    return total - heldout, heldout


def open_maybe_gzip(path: Path):
    with open(path, "rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def idx_header(path: Path) -> tuple[int, list[int]]:
    """(magic, dims) of an IDX file, gzip or raw, reading only its header."""
    with open_maybe_gzip(path) as handle:
        head = handle.read(4)
        if len(head) < 4 or head[0] != 0 or head[1] != 0:
            raise DataError(f"{path}: not an IDX file (bad magic number)")
        ndim = head[3]
        dims_bytes = handle.read(4 * ndim)
    if len(dims_bytes) < 4 * ndim:
        raise DataError(f"{path}: truncated IDX header")
    magic = int.from_bytes(head, "big")
    dims = [int.from_bytes(dims_bytes[i : i + 4], "big") for i in range(0, 4 * ndim, 4)]
    return magic, dims


def folder_files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def _idx_problems(spec: dict[str, Any]) -> tuple[list[tuple[str, str]], int | None]:
    if "images" not in spec:
        return [("dataset.images", "dataset 'idx' needs an IDX image file")], None
    problems: list[tuple[str, str]] = []
    count = None
    for key, magic_wanted in (("images", IDX_IMAGE_MAGIC), ("labels", IDX_LABEL_MAGIC)):
        if key not in spec:
            continue
        path = Path(spec[key])
        if not path.is_file():
            problems.append((f"dataset.{key}", f"file not found: {path}"))
            continue
        try:
            magic, dims = idx_header(path)
        except (DataError, OSError, EOFError) as error:
            problems.append((f"dataset.{key}", str(error)))
            continue
        if magic != magic_wanted:
            kind = "image (N x H x W uint8)" if key == "images" else "label (N uint8)"
            problems.append(
                (f"dataset.{key}", f"{path}: not an IDX {kind} file (magic {magic:#010x})")
            )
            continue
        if count is not None and dims[0] != count:
            problems.append(("dataset.labels", f"{dims[0]} labels for {count} images"))
        count = dims[0] if count is None else count
    return problems, count


def spec_problems(spec: dict[str, Any], batch_size: int) -> list[tuple[str, str]]:
    """Cheap checks of a dataset spec (files exist, sizes fit the batch) before any loading."""
    name = spec["name"]
    problems: list[tuple[str, str]] = []
    total: int | None = None
    train: int | None = None
    fraction = heldout_fraction(spec)
    if name == "digits":
        total = DIGITS_SIZE
    elif name in KNOWN_TRAIN_SIZES:
        train = KNOWN_TRAIN_SIZES[name]
    elif name == "idx":
        problems, total = _idx_problems(spec)
    elif name == "folder":
        if "path" not in spec:
            return [("dataset.path", "dataset 'folder' needs a path")]
        folder = Path(spec["path"])
        if not folder.is_dir():
            return [("dataset.path", f"folder not found: {folder}")]
        total = len(folder_files(folder))
        if total == 0:
            return [
                ("dataset.path", f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {folder}")
            ]
    for key in ("images", "labels") if name != "idx" else ():
        if key in spec:
            problems.append((f"dataset.{key}", "only used with dataset 'idx'"))
    if "path" in spec and name != "folder":
        problems.append(("dataset.path", "only used with dataset 'folder'"))
    if total is not None:
        train, _ = split_sizes(total, fraction)
    if train is not None and batch_size > train:
        problems.append(
            ("train.batch_size", f"{batch_size} is larger than the training split ({train} images)")
        )
    return problems


def dataset_key(spec: dict[str, Any]) -> str:
    """A short stable name for caches keyed by dataset (name, size, source file)."""
    parts = [spec["name"], str(spec.get("image_size", 16))]
    for key in ("images", "path"):
        if key in spec:
            parts.append(Path(spec[key]).name.replace(".", "_"))
    return "-".join(parts)
