"""Fractional factorials from the standard generator tables, with their alias structure."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gan_bench.study.fractional import choose_generators, fractional_design

FIVE = ["g_output", "latent", "d_downsample", "d_activation", "kernel_size"]


def test_five_factors_at_resolution_five_take_half_the_full_factorial():
    design = fractional_design(FIVE, resolution=5)
    assert design.matrix.shape == (16, 5) and design.resolution == 5
    assert set(np.unique(design.matrix)) == {-1, 1}
    assert len({tuple(row) for row in design.matrix}) == 16  # no cell twice
    # every pair of columns is balanced and orthogonal: main effects are estimable apart
    for a, b in itertools.combinations(range(5), 2):
        assert design.matrix[:, a].sum() == 0 and design.matrix[:, a] @ design.matrix[:, b] == 0


def test_aliases_name_the_factors():
    design = fractional_design(FIVE[:3], resolution=3)
    assert design.matrix.shape == (4, 3)
    # C = AB: each main effect is confounded with the other two factors' interaction
    assert "g_output = latent x d_downsample" in design.aliases
    assert "d_downsample = g_output x latent" in design.aliases


def test_the_smallest_design_of_at_least_the_asked_resolution_is_chosen():
    assert choose_generators(5, 3) == (3, "a b c ab ac")
    assert choose_generators(5, 4)[0] == 5  # no resolution IV design of 5 factors is smaller


@pytest.mark.parametrize("factors, resolution, words", [(2, 3, "3 to 9"), (4, 5, "full")])
def test_designs_that_cannot_be_had_are_refused_with_the_reason(factors, resolution, words):
    with pytest.raises(ValueError, match=words):
        choose_generators(factors, resolution)
