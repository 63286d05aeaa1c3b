"""cost.py's count of a step's multiply-accumulates, against torch's FLOP counter on the real
models and trainer: if models.py or the trainer change shape, this fails."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import torch
from conftest import tiny_study
from torch.utils.flop_counter import FlopCounterMode

from gan_bench.study import cost
from gan_bench.study.design import cells
from gan_bench.study.study_file import run_config, study_from_dict
from gan_bench.train.trainer import Trainer

VARIANTS = {
    "baseline": {},
    "max-pool D": {"d_downsample": "maxpool"},
    "resize G": {"g_upsample": "resize"},
    "kernel 3": {"kernel_size": 3},
    "kernel 5": {"kernel_size": 5},
    "two G steps": {"g_steps": 2},
    "feature matching, joint": {"feature_matching": True},
    "feature matching, separate": {"feature_matching": True, "feature_matching_stats": "separate"},
    "mixed batches": {"batch_mode": "mixed"},
    "infogan": {"infogan": True},
}


PAPER_VARIANTS = {
    "paper infogan": {},
    "paper, no codes": {"infogan": False},
    "paper, feature matching": {"feature_matching": True},
    "paper, mixed batches, two G steps": {"batch_mode": "mixed", "g_steps": 2},
}


def config_with(image_size: int, family: str = "dcgan", **tricks) -> dict:
    model = {"latent_dim": 16, "base_channels": 16} if family == "dcgan" else {"family": family}
    study = study_from_dict(
        tiny_study(dataset={"name": "digits", "image_size": image_size}, model=model),
        "tiny.yaml",
    )
    cell = cells(study)[0]
    config = copy.deepcopy(run_config(study, cell.id, cell.tricks, seed=0))
    config["tricks"].update(tricks)
    return config


def counted_flops(config: dict, channels: int) -> int:
    size = config["dataset"]["image_size"]
    real = torch.rand(64, channels, size, size) * 2 - 1
    trainer = Trainer(config, torch.device("cpu"), real, channels)
    state = trainer.new_state()
    with FlopCounterMode(display=False) as counter:
        trainer.step(state)
    return counter.get_total_flops()


@pytest.mark.parametrize("name", VARIANTS)
@pytest.mark.parametrize("image_size,channels", [(16, 1), (32, 3)])
def test_step_macs_match_torchs_flop_counter(name, image_size, channels):
    config = config_with(image_size, **VARIANTS[name])
    ratio = counted_flops(config, channels) / (2 * cost.step_macs(config, channels))
    # the estimate leaves out what is not a conv/linear (and D's first-layer input gradient
    # on real images, which is never computed): a few % under the counter, never more
    assert 0.85 < ratio < 1.02, f"{name}: torch counts {ratio:.3f}x the estimate"


@pytest.mark.parametrize("name", PAPER_VARIANTS)
def test_infogan_mnist_step_macs_match_torchs_flop_counter(name):
    """The paper's networks are mostly FC layers: the same plan, counted the same way."""
    config = config_with(28, "infogan_mnist", **PAPER_VARIANTS[name])
    config["train"]["batch_size"] = 64
    assert config["model"]["latent_dim"] == 62 and "base_channels" not in config["model"]
    ratio = counted_flops(config, 1) / (2 * cost.step_macs(config, 1))
    assert 0.85 < ratio < 1.02, f"{name}: torch counts {ratio:.3f}x the estimate"


def test_dearer_tricks_cost_more_and_steps_scale_linearly():
    base = config_with(16)
    for name in ("max-pool D", "resize G", "kernel 5", "two G steps", "infogan",
                 "feature matching, joint", "feature matching, separate"):  # fmt: skip
        assert cost.run_macs(config_with(16, **VARIANTS[name])) > cost.run_macs(base), name
    assert cost.run_macs(config_with(16, kernel_size=3)) < cost.run_macs(base)
    longer = copy.deepcopy(base)
    longer["train"]["steps"] *= 3
    assert cost.run_macs(longer) == 3 * cost.run_macs(base)


def test_cost_needs_no_torch():
    """The Snakefile ranks runs with it: importing torch there would slow every Snakemake start."""
    code = (
        "import sys, gan_bench.study.cost, gan_bench.study.plan; sys.exit('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
