"""Claim vs evidence: the registry's predicted direction, verdicts that need Holm
significance and the claimed sign, and the seeds a decision would need."""

from __future__ import annotations

import math

import pytest

from gan_bench.analysis.claims import expected_direction, seeds_needed, verdict


@pytest.mark.parametrize(
    ("trick", "level", "baseline", "expected"),
    [
        ("g_output", "sigmoid", "tanh", "worse"),
        ("g_output", "tanh", "sigmoid", "better"),
        ("kernel_size", "3", "4", "worse"),
        ("g_upsample", "resize", "transposed", "better"),
        ("d_dropout", "0.2", "0.0", "better"),  # dropout on at all: the claim says it helps
        ("d_dropout", "0.6", "0.4", "worse"),
        ("g_activation", "leaky_relu", "relu", "none"),
    ],
)
def test_expected_direction_follows_the_registry(trick, level, baseline, expected):
    assert expected_direction(trick, level, baseline) == expected


def test_verdict_needs_holm_significance_and_the_claimed_sign():
    assert verdict("better", 2.0, 0.01) == "supported"
    assert verdict("better", -2.0, 0.01) == "contradicted"
    assert verdict("worse", -2.0, 0.01) == "supported"
    assert verdict("better", 2.0, 0.2) == "inconclusive"
    assert verdict("better", 2.0, math.nan) == "inconclusive"
    assert verdict("none", 2.0, 0.001) == "no direction claimed"


def test_seeds_needed_grows_as_the_effect_shrinks():
    needs = [
        seeds_needed(effect, se=1.0, sigma=2.0, seeds=3, alpha=0.05)
        for effect in (4.0, 2.0, 1.0, 0.5)
    ]
    assert needs == sorted(needs) and needs[0] >= 2 and needs[-1] > 3
    assert seeds_needed(0.0, 1.0, 2.0, 3, 0.05) == math.inf
    assert seeds_needed(1e-6, 1.0, 2.0, 3, 0.05) == math.inf  # beyond any practical study
    assert math.isnan(seeds_needed(1.0, math.nan, 2.0, 3, 0.05))
