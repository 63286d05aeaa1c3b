"""Shared fixtures: paths to the repo's studies and a writer for small study files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
ABLATIONS = REPO / "ablations"
MNIST_T10K = REPO.parent / "shared" / "datasets" / "mnist-t10k"


def tiny_study(**overrides: Any) -> dict[str, Any]:
    """A seconds-long study as a dict; keyword arguments replace top-level keys."""
    study: dict[str, Any] = {
        "name": "tiny",
        "dataset": {"name": "digits", "image_size": 16},
        "model": {"latent_dim": 8, "base_channels": 8},
        "train": {"steps": 12, "batch_size": 16, "log_every": 4, "checkpoint_every": 4},
        "eval": {"num_samples": 64, "extractor": "domain"},
        "seeds": [0],
        "design": "full_factorial",
        "factors": {"g_output": ["tanh", "sigmoid"]},
    }
    study.update(overrides)
    return study


@pytest.fixture
def write_study(tmp_path: Path):
    """Write a study dict to a YAML file in tmp_path and return its path."""

    def write(study: dict[str, Any], name: str = "study.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Runs use one thread each (as Snakemake jobs do); keep tests on the same footing."""
    import torch

    torch.set_num_threads(1)
