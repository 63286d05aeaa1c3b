"""Which feature extractors a study's runs are scored with, decided without torch.

One rule for both moments it matters: score/scorer.py plans each scoring with it, and the
plan-time checks (gan_bench/analysis/preflight.py: `gan-bench cells`, `gan-bench run` and
the Snakefile) refuse a study that scoring would refuse, before anything trains.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gan_bench.errors import BadInput

EXTRACTORS = ("auto", "domain", "inception")
LABELLED_DATASETS = ("digits", "mnist", "fashion-mnist", "cifar10")


class ScoringError(BadInput):
    """Scoring cannot go ahead; the message names the file, key or setting to fix."""


def has_labels(spec: dict[str, Any]) -> bool:
    """Whether the dataset has class labels for the domain classifier: the built-in sets,
    an idx dataset with a label file; never a folder (gan_bench/train/data.py reads its
    images only)."""
    return spec["name"] in LABELLED_DATASETS or (spec["name"] == "idx" and "labels" in spec)


def _no_labels(spec: dict[str, Any]) -> str:
    if spec["name"] == "folder":
        return "a 'folder' dataset has no labels (its sub-folders are not read as classes)"
    return f"dataset {spec['name']!r} has no labels (give dataset.labels, an IDX label file)"


def plan_extractors(
    choice: str, spec: dict[str, Any], inception_on_disk: Callable[[], bool]
) -> list[str]:
    """Short names of the extractors to use: domain = the domain CNN (labelled data only),
    inception = Inception; auto = the domain CNN for labelled data, plus Inception when
    `inception_on_disk()` (auto never downloads). ScoringError naming the key otherwise."""
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
        return ["inception"]
    planned = (["cnn"] if has_labels(spec) else []) + (["inception"] if inception_on_disk() else [])
    if not planned:
        raise ScoringError(
            f"dataset.name: {spec['name']!r} has no labels for the domain extractor and no "
            "Inception weights are on disk; provide labels or Inception weights "
            "(see --extractor inception)"
        )
    return planned
