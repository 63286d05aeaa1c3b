"""Shared helpers of the tests/train/ tests: a resolved tiny run config, a trainer on the
digits data, and generator comparisons."""

from __future__ import annotations

from pathlib import Path

import torch
from conftest import tiny_study

from gan_bench.study.design import cells
from gan_bench.study.study_file import run_config, study_from_dict
from gan_bench.train import data
from gan_bench.train.trainer import Trainer

DIGITS = data.load_dataset({"name": "digits", "image_size": 16})


def make_config(tricks: dict | None = None, **train) -> dict:
    """A resolved run config for the tiny study with these tricks and train settings."""
    raw = tiny_study()
    raw["train"] = raw["train"] | train
    study = study_from_dict(raw, "test")
    cell = cells(study)[0]
    return run_config(study, cell.id, cell.tricks.with_levels(tricks or {}), 0)


def make_trainer(tricks: dict | None = None, **train) -> tuple[Trainer, object]:
    config = make_config(tricks, **train)
    torch.manual_seed(0)
    images, _ = DIGITS.split("train")
    real = data.to_model_range(images, config["tricks"]["g_output"])
    trainer = Trainer(config, torch.device("cpu"), real, DIGITS.channels)
    return trainer, trainer.new_state()


def generator_tensors(run_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "generator.pt", weights_only=True)


def assert_same_generator(a: Path, b: Path) -> None:
    ta, tb = generator_tensors(a), generator_tensors(b)
    assert ta.keys() == tb.keys()
    for key in ta:
        assert torch.equal(ta[key], tb[key]), key
