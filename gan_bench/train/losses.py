"""The in-loop tricks as plain functions: instance noise, D targets, InfoGAN's loss and
feature matching. The Trainer (gan_bench/train/trainer.py) calls them where they act; kept
apart so each trick can be tested on its own numbers.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gan_bench.study.tricks import INFOGAN_CATEGORIES, TrickSettings


def instance_noise_sigma(step: int, steps: int, sigma0: float, schedule: str = "linear") -> float:
    """sigma of the instance noise at `step`: `constant` holds sigma0 for the whole run (a
    Gaussian noise layer in front of D); `linear` anneals it from sigma0 at step 0 to 0 at the
    last step (Sønderby et al. 2016)."""
    if sigma0 <= 0:
        return 0.0
    if schedule == "constant" or steps <= 1:
        return float(sigma0)
    return sigma0 * max(0.0, 1.0 - step / (steps - 1))


def d_targets(
    batch: int, tricks: TrickSettings, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Targets for D on real and fake batches: smoothing, soft labels, noise and flips as
    configured, in that order.

    Real targets start at label_smoothing, fakes at 0; two-sided soft labels of width w add
    U(-w, 2w/3) to reals and U(0, w) to fakes (ganhacks' [0.7, 1.2] and [0, 0.3] at w = 0.3);
    label_noise and label_flip then act on those; last, every target is clipped to
    [0, 1 + 2w/3], so soft reals above 1 survive and label_noise cannot leave the range.
    Random numbers are drawn only for active tricks, so a baseline run's random stream does
    not depend on tricks it does not use.
    """
    real = torch.full((batch,), float(tricks.label_smoothing), device=device)
    fake = torch.zeros(batch, device=device)
    width = float(tricks.soft_labels)
    if width > 0:
        real = real + width * (torch.rand(batch, device=device) * (5 / 3) - 1)
        fake = fake + width * torch.rand(batch, device=device)
    noise = tricks.label_noise
    if noise > 0:
        real = real - noise * torch.rand(batch, device=device)
        fake = fake + noise * torch.rand(batch, device=device)
    flip = tricks.label_flip
    if flip > 0:
        flip_real = torch.rand(batch, device=device) < flip
        flip_fake = torch.rand(batch, device=device) < flip
        real, fake = torch.where(flip_real, fake, real), torch.where(flip_fake, real, fake)
    high = 1.0 + 2.0 * width / 3.0
    return real.clamp(0, high), fake.clamp(0, high)


def info_loss(
    q_out: torch.Tensor,
    categories: torch.Tensor,
    continuous: torch.Tensor,
    continuous_weight: float,
) -> torch.Tensor:
    """InfoGAN's mutual-information lower bound as a loss: CE on the categorical code plus
    a unit-variance Gaussian NLL (MSE) on the continuous codes, weighted by the model
    family's `info_continuous_weight` (gan_bench/study/families.py)."""
    categorical = F.cross_entropy(q_out[:, :INFOGAN_CATEGORIES], categories)
    gaussian = F.mse_loss(q_out[:, INFOGAN_CATEGORIES:], continuous)
    return categorical + continuous_weight * gaussian


def feature_matching_loss(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """Mean squared distance between the batch means of D's penultimate features."""
    return (real_features.flatten(1).mean(0) - fake_features.flatten(1).mean(0)).pow(2).mean()


def adversarial_bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    """Plain BCE of D's (detached) logits against a hard target, whatever the label tricks or
    extra terms: the logged d_adv and g_adv, ln 2 = 0.693 when D outputs 0.5."""
    logits = logits.detach().float()
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))
