"""The in-loop tricks' arithmetic (gan_bench/train/losses.py), each on its own numbers."""

from __future__ import annotations

import math

import pytest
import torch

from gan_bench.study.tricks import TrickSettings
from gan_bench.train.losses import (
    adversarial_bce,
    d_targets,
    feature_matching_loss,
    instance_noise_sigma,
)


def test_d_targets_baseline_are_one_and_zero():
    real, fake = d_targets(256, TrickSettings(), torch.device("cpu"))
    assert torch.all(real == 1) and torch.all(fake == 0)


def test_label_smoothing_sets_real_target_only():
    real, fake = d_targets(256, TrickSettings(label_smoothing=0.9), torch.device("cpu"))
    assert torch.allclose(real, torch.full_like(real, 0.9)) and torch.all(fake == 0)


def test_label_noise_moves_reals_down_and_fakes_up():
    torch.manual_seed(0)
    real, fake = d_targets(256, TrickSettings(label_noise=0.1), torch.device("cpu"))
    assert real.min() >= 0.9 - 1e-6 and real.max() <= 1 and real.std() > 0
    assert fake.min() >= 0 and fake.max() <= 0.1 + 1e-6 and fake.std() > 0


def test_label_flip_swaps_about_the_asked_share():
    torch.manual_seed(0)
    real, fake = d_targets(20000, TrickSettings(label_flip=0.3), torch.device("cpu"))
    assert abs((real == 0).float().mean().item() - 0.3) < 0.02
    assert abs((fake == 1).float().mean().item() - 0.3) < 0.02


def test_instance_noise_sigma_anneals_from_sigma0_to_zero():
    assert instance_noise_sigma(0, 100, 0.5) == 0.5
    assert instance_noise_sigma(99, 100, 0.5) == 0.0
    assert 0 < instance_noise_sigma(50, 100, 0.5) < 0.5
    assert instance_noise_sigma(0, 100, 0.0) == 0.0


def test_constant_instance_noise_keeps_sigma0_for_the_whole_run():
    assert [instance_noise_sigma(s, 100, 0.3, "constant") for s in (0, 50, 99)] == [0.3] * 3
    assert instance_noise_sigma(99, 100, 0.0, "constant") == 0.0
    assert instance_noise_sigma(99, 100, 0.3, "linear") == 0.0


def _soft_targets(width: float, **tricks) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    return d_targets(20000, TrickSettings(soft_labels=width, **tricks), torch.device("cpu"))


def test_two_sided_soft_labels_span_ganhacks_ranges():
    real, fake = _soft_targets(0.3)  # ganhacks: reals in [0.7, 1.2], fakes in [0, 0.3]
    assert real.min() >= 0.7 - 1e-6 and real.max() <= 1.2 + 1e-6
    assert real.min() < 0.71 and real.max() > 1.19  # the whole range, targets above 1 kept
    assert fake.min() >= 0 and fake.max() <= 0.3 + 1e-6 and fake.max() > 0.29
    assert abs(real.mean().item() - 0.95) < 0.01 and abs(fake.mean().item() - 0.15) < 0.01


def test_soft_labels_compose_with_smoothing_noise_and_flips():
    real, _ = _soft_targets(0.3, label_smoothing=0.9)  # centred on the smoothed target
    assert real.min() >= 0.6 - 1e-6 and real.max() <= 1.1 + 1e-6 and real.max() > 1.09
    real, fake = _soft_targets(0.3, label_noise=0.5)  # noise acts after, clipped to range
    assert real.min() >= 0.2 - 1e-6 and fake.max() <= 0.8 + 1e-6
    real, fake = _soft_targets(0.3, label_flip=0.3)  # a flipped real gets a soft fake target
    assert abs((real <= 0.3 + 1e-6).float().mean().item() - 0.3) < 0.02
    assert abs((fake >= 0.7 - 1e-6).float().mean().item() - 0.3) < 0.02
    real, fake = _soft_targets(0.3, label_noise=5.0)  # clipped to [0, 1 + 2w/3]
    assert real.min() >= 0 and fake.max() <= 1.2 + 1e-6 and fake.max() > 1.0


@pytest.mark.parametrize("width", [0.0, 0.3])
def test_soft_labels_draw_random_numbers_only_when_active(width):
    torch.manual_seed(0)
    d_targets(64, TrickSettings(soft_labels=width), torch.device("cpu"))
    drawn = torch.rand(1)
    torch.manual_seed(0)
    assert torch.equal(drawn, torch.rand(1)) == (width == 0)


def test_adversarial_bce_is_ln2_at_d_equals_one_half():
    logits = torch.zeros(8, requires_grad=True)
    assert math.isclose(adversarial_bce(logits, 1.0).item(), math.log(2), rel_tol=1e-6)
    assert math.isclose(adversarial_bce(logits, 0.0).item(), math.log(2), rel_tol=1e-6)
    assert not adversarial_bce(logits, 1.0).requires_grad  # logged only


def test_feature_matching_loss_is_zero_only_for_equal_feature_means():
    features = torch.randn(16, 8, 2, 2)
    assert feature_matching_loss(features, features.flip(0)).item() < 1e-12  # same batch mean
    assert feature_matching_loss(features, features + 0.5).item() > 0.2
