"""Which feature extractors a study's runs are scored with, decided without torch.

One rule for both moments it matters: score/scorer.py plans each scoring with it, and the
plan-time checks (gan_bench/analysis/preflight.py: `gan-bench cells`, `gan-bench run` and
the Snakefile) refuse a study that scoring would refuse, before anything trains.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from gan_bench.errors import BadInput
from gan_bench.study.dataspec import folder_layout

EXTRACTORS = ("auto", "domain", "inception")
LABELLED_DATASETS = ("digits", "mnist", "fashion-mnist", "cifar10")
INCEPTION_ENV = "GAN_BENCH_INCEPTION_WEIGHTS"  # a local Inception weights file


class ScoringError(BadInput):
    """Scoring cannot go ahead; the message names the file, key or setting to fix."""


def has_labels(spec: dict[str, Any]) -> bool:
    """Whether the dataset has class labels for the domain classifier: the built-in sets,
    an idx dataset with a label file, a folder in torchvision's ImageFolder layout (one
    sub-folder per class: study/dataspec.py's folder_layout, which gan_bench/train/data.py
    reads the labels by)."""
    if spec["name"] == "folder":
        return bool(folder_layout(Path(spec["path"])).classes)
    return spec["name"] in LABELLED_DATASETS or (spec["name"] == "idx" and "labels" in spec)


def _no_labels(spec: dict[str, Any]) -> str:
    if spec["name"] == "folder":
        return (
            f"folder {spec['path']} is not in torchvision's ImageFolder layout (at least two "
            "sub-folders, one per class, and no images beside them), so it has no labels"
        )
    return f"dataset {spec['name']!r} has no labels (give dataset.labels, an IDX label file)"


def _inception(found: str | bool | None) -> str | None:
    """The planned name of what an `inception_on_disk()` answered: its name (`inception`, or
    registry.INCEPTION_POOL for weights without the classifier head), `inception` for True
    (weights with the head), None for none."""
    if isinstance(found, str):
        return found
    return "inception" if found else None


def plan_extractors(
    choice: str, spec: dict[str, Any], inception_on_disk: Callable[[], str | bool | None]
) -> list[str]:
    """Short names of the extractors to use: domain = the domain CNN (labelled data only),
    inception = Inception; auto = the domain CNN for labelled data, plus Inception when
    `inception_on_disk()` (auto never downloads). Inception is planned as what is on disk
    says (weights without the classifier head: registry.INCEPTION_POOL, no IS); an explicit
    `inception` with nothing on disk is the download's, with its head. ScoringError naming
    the key otherwise."""
    if choice not in EXTRACTORS:
        raise ScoringError(
            f"--extractor: unknown extractor {choice!r} (known: {', '.join(EXTRACTORS)})"
        )
    if choice == "domain":
        if not has_labels(spec):
            raise ScoringError(
                f"eval.extractor: 'domain' trains a classifier on labelled data, and "
                f"{_no_labels(spec)}; use extractor: inception"
            )
        return ["cnn"]
    if choice == "inception":
        return [_inception(inception_on_disk()) or "inception"]
    inception = _inception(inception_on_disk())
    planned = (["cnn"] if has_labels(spec) else []) + ([inception] if inception else [])
    if not planned:
        raise ScoringError(
            f"eval.extractor: 'auto' scores with the domain classifier where the dataset has "
            f"labels, and {_no_labels(spec)}; and with Inception where its weights are on "
            f"disk, and none are; give the dataset labels, or set {INCEPTION_ENV}=/path/to/"
            "weights.pth, or use extractor: inception where they can be downloaded"
        )
    return planned
