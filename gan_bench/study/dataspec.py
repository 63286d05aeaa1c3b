"""Dataset specs checked without loading anything (and without importing torch).

Study validation runs in every Snakemake process and before every job, so it must be
cheap: file existence, IDX headers and data lengths (a gzip file is decompressed as a
stream, never held), a folder's layout (flat, or torchvision's ImageFolder layout: one
sub-folder per class, which labels its images) and each image's header and checksums (PIL's
verify, no pixel decoding: 0.56 s cold, ~0.1 s warm, for 1,906 small PNGs), and the split sizes.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gan_bench.errors import BadInput

SPLIT_SEED = 20161  # fixed: the held-out split never depends on the run's seed
DEFAULT_HELDOUT_FRACTION = 0.2
IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png", ".webp")  # any case
TORCHVISION_SETS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "cifar10": "CIFAR10"}
# Training-split sizes of the fixed-size datasets: checked before any loading.
KNOWN_TRAIN_SIZES = {"mnist": 60000, "fashion-mnist": 60000, "cifar10": 50000}
DIGITS_SIZE = 1797
IDX_IMAGE_MAGIC = 0x00000803
IDX_LABEL_MAGIC = 0x00000801
IDX_ITEM_BYTES = {0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}  # by type code
# A dataset is held in memory whole and resized as float32 (gan_bench/train/data.py), ~5x its
# bytes: 2 GiB of IDX data already needs ~10 GiB, and a header is refused past it before
# anything of that size is read or allocated.
MAX_IDX_BYTES = 2**31
CHUNK = 1 << 20


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


def _data_bytes(path: Path, header: int, cap: int) -> int:
    """Bytes after the header: the file's size, or for gzip the stream decompressed in
    chunks and counted, stopping past `cap` (nothing of the claimed size is held)."""
    with open(path, "rb") as probe:
        if probe.read(2) != b"\x1f\x8b":
            return path.stat().st_size - header
    count = 0
    with gzip.open(path, "rb") as handle:
        while count <= cap + header:
            chunk = handle.read(CHUNK)
            if not chunk:
                break
            count += len(chunk)
    return count - header


def checked_idx(path: Path) -> tuple[int, list[int]]:
    """(magic, dims) of an IDX file whose data is exactly what its header claims, and no
    more than MAX_IDX_BYTES; DataError naming the file otherwise (validation and
    gan_bench/train/data.py's reader both call it)."""
    try:
        magic, dims = idx_header(path)
        item = IDX_ITEM_BYTES.get(magic >> 8 & 0xFF)
        if item is None:
            raise DataError(f"{path}: not an IDX file (unknown type code {magic >> 8 & 0xFF:#x})")
        claimed = math.prod(dims) * item
        if claimed > MAX_IDX_BYTES:
            raise DataError(
                f"{path}: its header claims {' x '.join(map(str, dims))} = {claimed:,} bytes, "
                f"over the {MAX_IDX_BYTES:,} gan-bench holds in memory (~5x that as it resizes)"
            )
        found = _data_bytes(path, 4 + 4 * len(dims), claimed)
    except (OSError, EOFError, zlib.error) as error:  # a truncated or corrupt gzip stream
        raise DataError(f"{path}: cannot read: {error}") from None
    if found != claimed:
        what = "truncated" if found < claimed else "longer than its header says"
        shape = " x ".join(map(str, dims))
        raise DataError(
            f"{path}: {what}: its header claims {shape} = {claimed:,} bytes of data, "
            f"the file holds {'more' if found > claimed else f'{max(found, 0):,}'}"
        )
    return magic, dims


@dataclass(frozen=True)
class FolderLayout:
    """A folder dataset's images in reading order and, in torchvision's ImageFolder layout,
    their classes: `labels[i]` is the index in `classes` of `files[i]`'s sub-folder."""

    files: tuple[Path, ...]
    classes: tuple[str, ...] = ()  # empty: unlabelled
    labels: tuple[int, ...] | None = None


def is_image_name(name: str) -> bool:
    """torchvision's test (has_file_allowed_extension): the name ends in an image suffix."""
    return name.lower().endswith(IMAGE_SUFFIXES)


def _walk_images(top: str) -> list[Path]:
    """The images under `top` as torchvision's make_dataset walks a class folder (os.walk
    following links, folders then names sorted); a link back to a folder above it, which
    would walk forever, is refused naming it."""
    walked = []
    for root, folders, names in os.walk(top, followlinks=True):
        real_root = os.path.realpath(root)
        for name in folders:
            real = os.path.realpath(os.path.join(root, name))
            if real_root == real or real_root.startswith(real.rstrip(os.sep) + os.sep):
                raise DataError(
                    f"dataset.path: {os.path.join(root, name)} links back to {real}, a folder "
                    "above it (a loop); remove the link"
                )
        walked.append((root, names))
    ordered = ((root, name) for root, names in sorted(walked) for name in sorted(names))
    return [Path(root, name) for root, name in ordered if is_image_name(name)]


def folder_layout(folder: Path) -> FolderLayout:
    """How a folder dataset reads `folder`: images directly in it, none in sub-folders:
    unlabelled; no images in it but at least two sub-folders: one class per sub-folder, as
    torchvision's ImageFolder reads them (find_classes: every sub-folder, sorted by name;
    each must hold an image); a single sub-folder: its images, unlabelled (one class labels
    nothing). Images both in it and in sub-folders: DataError, as is an empty class."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        top = [Path(e.path) for e in entries if is_image_name(e.name) and not e.is_dir()]
        subs = {e.name: _walk_images(os.path.join(folder, e.name)) for e in entries if e.is_dir()}
    except OSError as error:
        raise DataError(f"dataset.path: cannot read folder {folder}: {error}") from None
    holding = [name for name, files in subs.items() if files]
    if top and holding:
        raise DataError(
            f"dataset.path: {folder} holds images itself ({top[0].name}, ...) and in sub-folders "
            f"({', '.join(holding[:3])}{', ...' if len(holding) > 3 else ''}); give either a flat "
            "folder of images (unlabelled) or one sub-folder per class and no images beside "
            "them (torchvision's ImageFolder layout, labelled)"
        )
    if top or len(subs) < 2:
        return FolderLayout(tuple(top or [p for files in subs.values() for p in files]))
    empty = [name for name in subs if name not in holding]
    if empty:
        raise DataError(
            f"dataset.path: {folder} is read as one sub-folder per class (torchvision's "
            f"ImageFolder layout), and {', '.join(empty)} holds no image "
            f"({', '.join(IMAGE_SUFFIXES)}); remove it or add its images"
        )
    classes = tuple(subs)
    files = [(path, index) for index, name in enumerate(classes) for path in subs[name]]
    return FolderLayout(tuple(p for p, _ in files), classes, tuple(i for _, i in files))


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
            magic, dims = checked_idx(path)
        except DataError as error:
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


def image_problem(path: Path) -> str | None:
    """Why PIL cannot read this image file (header, chunk checksums), or None."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.verify()
    except Exception as error:  # noqa: BLE001 - PIL raises many kinds for a bad file
        return f"cannot decode image {path}: {str(error) or type(error).__name__}"
    return None


def _folder_problems(spec: dict[str, Any]) -> tuple[list[tuple[str, str]], int | None]:
    """The folder's images are there and decodable (the first bad one named)."""
    if "path" not in spec:
        return [("dataset.path", "dataset 'folder' needs a path")], None
    folder = Path(spec["path"])
    if not folder.is_dir():
        return [("dataset.path", f"folder not found: {folder}")], None
    try:
        files = folder_layout(folder).files
    except DataError as error:
        return [("dataset.path", str(error).removeprefix("dataset.path: "))], None
    if not files:
        suffixes = ", ".join(IMAGE_SUFFIXES)
        return [("dataset.path", f"no images ({suffixes}) in {folder}")], None
    for path in files:
        problem = image_problem(path)
        if problem:
            return [("dataset.path", problem)], None
    return [], len(files)


def _split_problems(
    total: int | None, train: int | None, fraction: float, batch_size: int, min_heldout: int
) -> list[tuple[str, str]]:
    """The training split holds a batch; the held-out one at least `min_heldout` images."""
    problems = []
    if total is not None:
        train, heldout = split_sizes(total, fraction)
        if heldout < min_heldout:
            problems.append(
                (
                    "dataset.heldout_fraction",
                    f"{fraction:g} of {total} images holds out {heldout}; at least "
                    f"{min_heldout} are needed (eval.num_samples' minimum): the held-out images "
                    "are the real side of every sample metric, and the classifier's accuracy "
                    "and D's probe (d_overfit) are measured on them",
                )
            )
    if train is not None and batch_size > train:
        problems.append(
            ("train.batch_size", f"{batch_size} is larger than the training split ({train} images)")
        )
    return problems


def spec_problems(
    spec: dict[str, Any], batch_size: int, *, min_heldout: int
) -> list[tuple[str, str]]:
    """Cheap checks of a dataset spec before any loading: files exist and are whole, the
    training split holds a batch, the held-out split `min_heldout` images."""
    name = spec["name"]
    problems: list[tuple[str, str]] = []
    total: int | None = None
    train: int | None = None
    if name == "digits":
        total = DIGITS_SIZE
    elif name in KNOWN_TRAIN_SIZES:
        train = KNOWN_TRAIN_SIZES[name]
    elif name == "idx":
        problems, total = _idx_problems(spec)
    elif name == "folder":
        problems, total = _folder_problems(spec)
        if problems:
            return problems
    for key in ("images", "labels") if name != "idx" else ():
        if key in spec:
            problems.append((f"dataset.{key}", "only used with dataset 'idx'"))
    if "path" in spec and name != "folder":
        problems.append(("dataset.path", "only used with dataset 'folder'"))
    fraction = heldout_fraction(spec)
    return problems + _split_problems(total, train, fraction, batch_size, min_heldout)


def dataset_key(spec: dict[str, Any]) -> str:
    """A short stable name for caches keyed by dataset (name, size, source file)."""
    parts = [spec["name"], str(spec.get("image_size", 16))]
    for key in ("images", "path"):
        if key in spec:
            parts.append(Path(spec[key]).name.replace(".", "_"))
    return "-".join(parts)
