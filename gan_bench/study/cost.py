"""How much compute a run needs, before it runs: the multiply-accumulates (MACs) of G's and
D's convolutions over all its training steps.

Why: Snakemake starts ready jobs in no useful order, and a study's runs differ a lot in cost
(a max-pool D runs its convolutions at full resolution: ~2.3x the step time). Starting the
dearest runs first (the Snakefile's `priority:`) leaves short runs for the end, so the cores
finish together instead of one core idling behind a long run. Only the order matters, so
this counts the convolutions, which are ~85 % of a step on CPU, and leaves out the rest.
Pure Python on purpose: the Snakefile calls it, and importing torch there would cost every
Snakemake start ~3 s. tests/test_cost.py checks it against torch's FLOP counter on the
real models, so it cannot drift from models.py unnoticed.
"""

from __future__ import annotations

import math
from typing import Any

from gan_bench.study.tricks import INFOGAN_CODE_DIM, INFOGAN_Q_HIDDEN


def _upsample_macs(resolution: int, in_ch: int, out_ch: int, kernel: int, mode: str) -> int:
    """resolution -> 2 x resolution: a stride-2 transposed conv scatters every input pixel,
    a resize + conv convolves at the doubled resolution."""
    positions = resolution**2 if mode == "transposed" else (2 * resolution) ** 2
    return positions * in_ch * out_ch * kernel**2


def _downsample_macs(resolution: int, in_ch: int, out_ch: int, kernel: int, mode: str) -> int:
    """resolution -> resolution / 2: a stride-2 conv, or a full-resolution conv + max-pool."""
    positions = (resolution // 2) ** 2 if mode == "strided" else resolution**2
    return positions * in_ch * out_ch * kernel**2


def generator_macs(config: dict[str, Any], channels: int = 1) -> int:
    """MACs of one G forward pass per image (models.Generator's layer plan)."""
    tricks, model = config["tricks"], config["model"]
    blocks = int(math.log2(config["dataset"]["image_size"] // 4))
    width = model["base_channels"] * 2 ** (blocks - 1)
    codes = INFOGAN_CODE_DIM if tricks["infogan"] else 0
    macs = (model["latent_dim"] + codes) * width * 16  # z (+ codes) -> 4x4
    resolution = 4
    for _ in range(blocks - 1):
        macs += _upsample_macs(
            resolution, width, width // 2, tricks["kernel_size"], tricks["g_upsample"]
        )
        width //= 2
        resolution *= 2
    return macs + _upsample_macs(
        resolution, width, channels, tricks["kernel_size"], tricks["g_upsample"]
    )


def discriminator_macs(config: dict[str, Any], channels: int = 1) -> int:
    """MACs of one D forward pass per image (models.Discriminator's layer plan)."""
    tricks = config["tricks"]
    resolution = config["dataset"]["image_size"]
    width_in, width = channels, config["model"]["base_channels"]
    macs = 0
    while resolution > 4:
        macs += _downsample_macs(
            resolution, width_in, width, tricks["kernel_size"], tricks["d_downsample"]
        )
        width_in, width, resolution = width, width * 2, resolution // 2
    return macs + width_in * 16  # 4x4 features -> one logit


def q_head_macs(config: dict[str, Any]) -> int:
    """MACs of InfoGAN's Q head per image (0 without InfoGAN)."""
    if not config["tricks"]["infogan"]:
        return 0
    blocks = int(math.log2(config["dataset"]["image_size"] // 4))
    features = config["model"]["base_channels"] * 2 ** (blocks - 1) * 16
    return features * INFOGAN_Q_HIDDEN + INFOGAN_Q_HIDDEN * INFOGAN_CODE_DIM


def _matching_passes(tricks: dict[str, Any]) -> int:
    """D passes per image that feature matching adds to a G step (train/trainer.py): the
    reals' features (separate); or, joint, the reals forward and backward through one pass
    with the fakes, plus a logged-only look at the fakes alone (g_adv)."""
    if not tricks["feature_matching"]:
        return 0
    return 3 if tricks["feature_matching_stats"] == "joint" else 1


def step_macs(config: dict[str, Any], channels: int = 1) -> int:
    """MACs of one training step of train.Trainer: a D update on a real and a fake batch
    (forward, then backward at ~2x), and g_steps G updates through a frozen D (D's backward
    needs input gradients only: ~1x), plus feature matching's passes; the first G update
    reuses the D step's fakes. The Q head sees the fakes only, like D's logit."""
    g, d = generator_macs(config, channels), discriminator_macs(config, channels)
    q = q_head_macs(config)
    g_steps = config["tricks"]["g_steps"]
    d_per_g_step = 2 + _matching_passes(config["tricks"])
    per_image = 3 * g * g_steps + 6 * d + d_per_g_step * d * g_steps + q * (3 + 2 * g_steps)
    return config["train"]["batch_size"] * per_image


def run_macs(config: dict[str, Any], channels: int = 1) -> int:
    """MACs of a whole run: what `priority:` ranks runs by."""
    return config["train"]["steps"] * step_macs(config, channels)
