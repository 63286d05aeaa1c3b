"""The in-loop tricks' arithmetic (gan_bench/train/losses.py), each on its own numbers."""

from __future__ import annotations

import torch

from gan_bench.study.tricks import defaults
from gan_bench.train.losses import d_targets, feature_matching_loss, instance_noise_sigma


def test_d_targets_baseline_are_one_and_zero():
    real, fake = d_targets(256, defaults(), torch.device("cpu"))
    assert torch.all(real == 1) and torch.all(fake == 0)


def test_label_smoothing_sets_real_target_only():
    real, fake = d_targets(256, defaults() | {"label_smoothing": 0.9}, torch.device("cpu"))
    assert torch.allclose(real, torch.full_like(real, 0.9)) and torch.all(fake == 0)


def test_label_noise_moves_reals_down_and_fakes_up():
    torch.manual_seed(0)
    real, fake = d_targets(256, defaults() | {"label_noise": 0.1}, torch.device("cpu"))
    assert real.min() >= 0.9 - 1e-6 and real.max() <= 1 and real.std() > 0
    assert fake.min() >= 0 and fake.max() <= 0.1 + 1e-6 and fake.std() > 0


def test_label_flip_swaps_about_the_asked_share():
    torch.manual_seed(0)
    real, fake = d_targets(20000, defaults() | {"label_flip": 0.3}, torch.device("cpu"))
    assert abs((real == 0).float().mean().item() - 0.3) < 0.02
    assert abs((fake == 1).float().mean().item() - 0.3) < 0.02


def test_instance_noise_sigma_anneals_from_sigma0_to_zero():
    assert instance_noise_sigma(0, 100, 0.5) == 0.5
    assert instance_noise_sigma(99, 100, 0.5) == 0.0
    assert 0 < instance_noise_sigma(50, 100, 0.5) < 0.5
    assert instance_noise_sigma(0, 100, 0.0) == 0.0


def test_feature_matching_loss_is_zero_only_for_equal_feature_means():
    features = torch.randn(16, 8, 2, 2)
    assert feature_matching_loss(features, features.flip(0)).item() < 1e-12  # same batch mean
    assert feature_matching_loss(features, features + 0.5).item() > 0.2
