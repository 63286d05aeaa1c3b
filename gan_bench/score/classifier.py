"""The domain classifier: a small CNN per labelled dataset, its training and disk cache.

Inception features are tuned to ImageNet photos and need weights from the internet; on
16x16 digits they measure little. So every labelled dataset gets its own small CNN
classifier, trained once on the real training split (seeded, on the CPU, so the same data
and settings give the same weights), cached on disk under a key of dataset, content and
settings, and built under a file lock so that parallel scoring jobs train it once. Its
held-out accuracy is recorded: below a per-dataset minimum its features say little about
the images, so scoring refuses rather than publish a meaningless FID. How torch-fidelity
reads its features is gan_bench/score/extractors.py.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from filelock import FileLock
from torch import nn

from gan_bench.cache import cache_root
from gan_bench.files import load_torch, save_torch
from gan_bench.score.planning import ScoringError
from gan_bench.train.data import ImageData, dataset_key, load_dataset

CLASSIFIER_FORMAT = 1  # bump when the network or training changes: old cache entries retire
# Below these held-out accuracies the classifier's features are not trusted for scoring.
MIN_ACCURACY = {"digits": 0.95, "mnist": 0.98, "fashion-mnist": 0.88, "cifar10": 0.75}
# idx and folder datasets: their content is unknown (Fashion-MNIST's IDX files carry the same
# names as MNIST's), so a generic bar: low enough for Fashion-MNIST-like data, far above chance.
GENERIC_MIN_ACCURACY = 0.85


# --------------------------------------------------------------------------- the network


@dataclass(frozen=True)
class ClassifierSettings:
    """Everything that shapes the classifier's weights (and so its cache key)."""

    width: int = 32  # channels of the first conv; doubled per stride-2 block
    features: int = 128  # penultimate (FID) dimension
    epochs: int = 5
    min_steps: int = 300  # small datasets get at least this many optimiser steps
    batch_size: int = 64
    lr: float = 3e-3  # one-cycle peak
    weight_decay: float = 0.05
    augment: bool = False  # random flips and 2-pixel shifts (CIFAR-10)
    seed: int = 0


# Per-dataset settings: more epochs (and augmentation) where small nets need them to pass.
DATASET_SETTINGS: dict[str, dict[str, Any]] = {
    "fashion-mnist": {"epochs": 10},
    "cifar10": {"width": 64, "features": 256, "epochs": 30, "augment": True},
}


def classifier_settings(dataset_name: str, **overrides: Any) -> ClassifierSettings:
    return replace(ClassifierSettings(), **DATASET_SETTINGS.get(dataset_name, {}), **overrides)


def min_accuracy(dataset_name: str) -> float:
    return MIN_ACCURACY.get(dataset_name, GENERIC_MIN_ACCURACY)


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 images -> float in [-1, 1], the classifier's input."""
    return images.float().div(127.5).sub(1.0)


class DomainClassifier(nn.Module):
    """Stride-2 conv blocks down to 4x4, one hidden layer (the features), a linear head.

    Stride-2 convs rather than max-pooling: about 3x cheaper on a CPU at the same accuracy.
    """

    def __init__(self, channels: int, image_size: int, num_classes: int, width: int, features: int):
        super().__init__()
        layers: list[nn.Module] = []
        size, width_in = image_size, channels
        while size > 4:
            layers += [
                nn.Conv2d(width_in, width, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(),
            ]
            width_in, width, size = width, width * 2, (size + 1) // 2  # k3 s2 p1: ceil
        self.body = nn.Sequential(
            *layers, nn.Flatten(), nn.Linear(width_in * size * size, features), nn.ReLU()
        )
        self.head = nn.Linear(features, num_classes)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """float images in [-1, 1] -> (penultimate features, logits)."""
        features = self.body(images)
        return features, self.head(features)


@torch.no_grad()
def predict_logits(
    network: DomainClassifier, images: torch.Tensor, batch: int = 1000
) -> torch.Tensor:
    """Logits of uint8 images, in eval mode, batched, on the network's device."""
    device = next(network.parameters()).device
    network.eval()
    parts = [
        network(to_unit_range(images[i : i + batch].to(device)))[1].cpu()
        for i in range(0, images.shape[0], batch)
    ]
    return torch.cat(parts) if parts else torch.zeros(0, network.head.out_features)


def _augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    flip = torch.rand(batch.shape[0], generator=generator) < 0.5
    batch = torch.where(flip[:, None, None, None], batch.flip(-1), batch)
    dy, dx = torch.randint(-2, 3, (2,), generator=generator).tolist()
    padded = F.pad(batch, (2, 2, 2, 2), mode="reflect")
    height, width = batch.shape[-2:]
    return padded[:, :, 2 + dy : 2 + dy + height, 2 + dx : 2 + dx + width]


def train_classifier(
    data: ImageData, settings: ClassifierSettings
) -> tuple[DomainClassifier, dict[str, Any]]:
    """Train on the training split (CPU, seeded); returns the network and its record."""
    if data.labels is None:
        raise ScoringError(
            "dataset.labels: the domain extractor needs labelled data "
            f"(dataset {data.name!r} has none); use --extractor inception"
        )
    started = time.perf_counter()
    images, labels = data.split("train")
    heldout_images, heldout_labels = data.split("heldout")
    inputs = to_unit_range(images)
    count, batch = inputs.shape[0], min(settings.batch_size, inputs.shape[0])
    per_epoch = count // batch
    steps = max(settings.min_steps, settings.epochs * per_epoch)
    generator = torch.Generator().manual_seed(settings.seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        network = DomainClassifier(
            data.channels, data.image_size, data.num_classes, settings.width, settings.features
        )
    optimiser = torch.optim.AdamW(
        network.parameters(), lr=settings.lr, weight_decay=settings.weight_decay
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, settings.lr, total_steps=steps)
    network.train()
    step = 0
    while step < steps:
        order = torch.randperm(count, generator=generator)
        for start in range(0, per_epoch * batch, batch):
            index = order[start : start + batch]
            batch_images = inputs[index]
            if settings.augment:
                batch_images = _augment(batch_images, generator)
            _, logits = network(batch_images)
            loss = F.cross_entropy(logits, labels[index])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            step += 1
            if step == steps:
                break
    network.eval()
    predicted = predict_logits(network, heldout_images).argmax(1)
    accuracy = float((predicted == heldout_labels).float().mean()) if len(predicted) else 0.0
    histogram = torch.bincount(predicted, minlength=data.num_classes).double()
    record = {
        "accuracy": accuracy,
        "heldout_images": int(heldout_images.shape[0]),
        "train_images": int(count),
        "steps": steps,
        # the classifier's class histogram of real held-out images: mode coverage's p_real
        "real_histogram": (histogram / histogram.sum().clamp(min=1)).tolist(),
        "train_seconds": round(time.perf_counter() - started, 3),
    }
    return network, record


# --------------------------------------------------------------------------- the cache


def data_fingerprint(data: ImageData) -> str:
    """A hash of the split images and labels: same key only for the same data."""
    digest = hashlib.sha256()
    for split in ("train", "heldout"):
        images, labels = data.split(split)
        digest.update(f"{split}:{tuple(images.shape)}".encode())
        digest.update(images.contiguous().numpy().tobytes())
        if labels is not None:
            digest.update(labels.contiguous().numpy().tobytes())
    return digest.hexdigest()


def classifier_key(spec: dict[str, Any], data: ImageData, settings: ClassifierSettings) -> str:
    """`<dataset key>-<hash of data, settings, format>`: a readable, collision-safe name."""
    recipe = json.dumps(
        {"format": CLASSIFIER_FORMAT, "settings": asdict(settings), "data": data_fingerprint(data)},
        sort_keys=True,
    )
    return f"{dataset_key(spec)}-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}"


@dataclass
class Classifier:
    """A trained domain classifier and what scoring needs to know about it."""

    network: DomainClassifier
    key: str
    path: Path
    dataset: str  # dataset name (digits, mnist, idx, ...)
    num_classes: int
    accuracy: float
    min_accuracy: float
    real_histogram: list[float]
    settings: dict[str, Any]
    record: dict[str, Any] = field(default_factory=dict)
    trained_now: bool = False  # built by this call rather than read from the cache

    @property
    def passes(self) -> bool:
        return self.accuracy >= self.min_accuracy

    def check(self) -> None:
        """Refuse to score with a classifier whose features are not trustworthy."""
        if not self.passes:
            raise ScoringError(
                f"{self.path}: the domain classifier for dataset {self.key} reaches held-out "
                f"accuracy {self.accuracy:.4f}, below the minimum {self.min_accuracy:.2f} for "
                f"dataset.name {self.dataset!r}; its features would make FID meaningless "
                "(check the dataset, or score with --extractor inception; where its classes "
                "are hard to tell apart at this size, eval.classifier_min_accuracy sets the bar)"
            )

    def summary(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "file": str(self.path),
            "accuracy": self.accuracy,
            "min_accuracy": self.min_accuracy,
            "num_classes": self.num_classes,
        }


def _load_entry(path: Path) -> dict[str, Any] | None:
    """A cached classifier file, or None when absent or unreadable (it is then rebuilt)."""
    if not path.exists():
        return None
    try:
        entry = load_torch(path)
    except Exception:  # noqa: BLE001 - any unreadable cache entry is rebuilt
        return None
    return entry if entry.get("format") == CLASSIFIER_FORMAT else None


def load_or_train_classifier(
    spec: dict[str, Any],
    data: ImageData | None = None,
    settings: ClassifierSettings | None = None,
    minimum: float | None = None,
) -> Classifier:
    """The cached classifier for this dataset and settings, training it first if needed.

    Safe when several processes ask at once: a file lock around check-train-write makes
    one of them train while the others wait and then read its file. `data` is the loaded
    dataset when the caller has it already (a pipeline step can pass just the spec).
    """
    data = data if data is not None else load_dataset(spec)
    settings = settings or classifier_settings(spec["name"])
    key = classifier_key(spec, data, settings)
    path = cache_root() / "classifiers" / f"{key}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    trained_now = False
    entry = _load_entry(path)
    if entry is None:
        with FileLock(str(path) + ".lock"):
            entry = _load_entry(path)  # another job may have built it while we waited
            if entry is None:
                network, record = train_classifier(data, settings)
                entry = {
                    "format": CLASSIFIER_FORMAT,
                    "key": key,
                    "dataset": dataset_key(spec),
                    "channels": data.channels,
                    "image_size": data.image_size,
                    "num_classes": data.num_classes,
                    "settings": asdict(settings),
                    "record": record,
                    "state_dict": network.state_dict(),
                }
                save_torch(path, entry)
                trained_now = True
    network = DomainClassifier(
        entry["channels"],
        entry["image_size"],
        entry["num_classes"],
        entry["settings"]["width"],
        entry["settings"]["features"],
    )
    network.load_state_dict(entry["state_dict"])
    network.eval().requires_grad_(False)
    record = entry["record"]
    return Classifier(
        network=network,
        key=key,
        path=path,
        dataset=spec["name"],
        num_classes=entry["num_classes"],
        accuracy=record["accuracy"],
        min_accuracy=min_accuracy(spec["name"]) if minimum is None else minimum,
        real_histogram=record["real_histogram"],
        settings=entry["settings"],
        record=record,
        trained_now=trained_now,
    )
