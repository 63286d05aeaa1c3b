"""The in-loop tricks as plain functions: instance noise, D targets, InfoGAN's loss and
feature matching. The Trainer (gan_bench/train/trainer.py) calls them where they act; kept
apart so each trick can be tested on its own numbers.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from gan_bench.train.models import INFOGAN_CATEGORIES

INFO_CONTINUOUS_WEIGHT = 0.1


def instance_noise_sigma(step: int, steps: int, sigma0: float) -> float:
    """Linear anneal: sigma0 at step 0, 0 at the last step."""
    if sigma0 <= 0 or steps <= 1:
        return 0.0 if steps > 1 else float(sigma0)
    return sigma0 * max(0.0, 1.0 - step / (steps - 1))


def d_targets(
    batch: int, tricks: dict[str, Any], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Targets for D on real and fake batches: smoothing, noise and flips as configured.

    Random numbers are drawn only for active tricks, so a baseline run's random stream does
    not depend on tricks it does not use.
    """
    real = torch.full((batch,), float(tricks["label_smoothing"]), device=device)
    fake = torch.zeros(batch, device=device)
    noise = tricks["label_noise"]
    if noise > 0:
        real = real - noise * torch.rand(batch, device=device)
        fake = fake + noise * torch.rand(batch, device=device)
    flip = tricks["label_flip"]
    if flip > 0:
        flip_real = torch.rand(batch, device=device) < flip
        flip_fake = torch.rand(batch, device=device) < flip
        real, fake = torch.where(flip_real, fake, real), torch.where(flip_fake, real, fake)
    return real.clamp(0, 1), fake.clamp(0, 1)


def info_loss(
    q_out: torch.Tensor, categories: torch.Tensor, continuous: torch.Tensor
) -> torch.Tensor:
    """InfoGAN's mutual-information lower bound as a loss: CE on the categorical code plus
    a unit-variance Gaussian NLL (MSE) on the continuous codes."""
    categorical = F.cross_entropy(q_out[:, :INFOGAN_CATEGORIES], categories)
    gaussian = F.mse_loss(q_out[:, INFOGAN_CATEGORIES:], continuous)
    return categorical + INFO_CONTINUOUS_WEIGHT * gaussian


def feature_matching_loss(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """Mean squared distance between the batch means of D's penultimate features."""
    return (real_features.flatten(1).mean(0) - fake_features.flatten(1).mean(0)).pow(2).mean()
