"""How much compute a run needs, before it runs: the multiply-accumulates (MACs) of G's and
D's convolutions over all its training steps.

Why: Snakemake starts ready jobs in no useful order, and a study's runs differ a lot in cost
(a max-pool D runs its convolutions at full resolution: ~2.3x the step time). Starting the
dearest runs first (the Snakefile's `priority:`) leaves short runs for the end, so the cores
finish together instead of one core idling behind a long run. Only the order matters, so
this counts the convolutions, which are ~85 % of a step on CPU, and leaves out the rest.
Pure Python on purpose: the Snakefile calls it, and importing torch there would cost every
Snakemake start ~3 s. It counts the layers of the run's family plan
(gan_bench/study/families.py), the same description gan_bench/train/models.py builds the
networks from; tests/study/test_cost.py checks it against torch's FLOP counter on the real
models and trainer of both families.
"""

from __future__ import annotations

from typing import Any

from gan_bench.study.families import run_plan
from gan_bench.study.layers import total_macs
from gan_bench.study.tricks import TrickSettings, run_tricks


def generator_macs(config: dict[str, Any], channels: int = 1) -> int:
    """MACs of one G forward pass per image."""
    return total_macs(run_plan(config, channels).generator)


def discriminator_macs(config: dict[str, Any], channels: int = 1) -> int:
    """MACs of one D forward pass (body and logit head) per image."""
    plan = run_plan(config, channels)
    return total_macs(plan.d_body) + total_macs(plan.d_head)


def q_head_macs(config: dict[str, Any], channels: int = 1) -> int:
    """MACs of InfoGAN's Q head per image (0 without InfoGAN)."""
    return total_macs(run_plan(config, channels).q_head)


def _matching_passes(tricks: TrickSettings) -> int:
    """D passes per image that feature matching adds to a G step (train/trainer.py): the
    reals' features (separate); or, joint, the reals forward and backward through one pass
    with the fakes, plus a logged-only look at the fakes alone (g_adv)."""
    if not tricks.feature_matching:
        return 0
    return 3 if tricks.feature_matching_stats == "joint" else 1


def step_macs(config: dict[str, Any], channels: int = 1) -> int:
    """MACs of one training step of train.Trainer: a D update on a real and a fake batch
    (forward, then backward at ~2x), and g_steps G updates through a frozen D (D's backward
    needs input gradients only: ~1x), plus feature matching's passes; the first G update
    reuses the D step's fakes. The Q head sees the fakes only, like D's logit."""
    g, d = generator_macs(config, channels), discriminator_macs(config, channels)
    q = q_head_macs(config, channels)
    tricks = run_tricks(config)
    g_steps = tricks.g_steps
    d_per_g_step = 2 + _matching_passes(tricks)
    per_image = 3 * g * g_steps + 6 * d + d_per_g_step * d * g_steps + q * (3 + 2 * g_steps)
    return config["train"]["batch_size"] * per_image


def run_macs(config: dict[str, Any], channels: int = 1) -> int:
    """MACs of a whole run: what `priority:` ranks runs by."""
    return config["train"]["steps"] * step_macs(config, channels)
