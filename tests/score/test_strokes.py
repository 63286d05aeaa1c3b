"""The stroke measures on images whose slant and thickness are known by construction (bars
sheared, rotated and drawn 1, 2, 3 px wide, a ring), and the sweep correlation against
scipy's Spearman and on constructed sweeps."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from gan_bench.score import registry
from gan_bench.score.strokes import (
    MEASURES,
    ink,
    outlines,
    slant,
    stroke_correlations,
    sweep_correlation,
    thickness,
)

SIZE = 28
SUPER = 8  # sub-pixels per pixel side: bars are drawn anti-aliased, as MNIST's digits are


def bar(width: float, length: float, rotate: float = 0.0, shear: float = 0.0) -> np.ndarray:
    """A SIZE x SIZE anti-aliased bar (ink 1 on 0) centred in the image, upright, then
    rotated by `rotate` degrees or sheared by `shear` degrees (> 0: the top to the right)."""
    centres = (np.arange(SIZE * SUPER) + 0.5) / SUPER - SIZE / 2
    x, y_down = np.meshgrid(centres, centres)
    y = -y_down  # up
    turn, lean = math.radians(rotate), math.tan(math.radians(shear))
    along = x * math.sin(turn) + y * math.cos(turn)
    across = x * math.cos(turn) - y * math.sin(turn) - lean * y
    inside = (np.abs(across) <= width / 2) & (np.abs(along) <= length / 2)
    return inside.reshape(SIZE, SUPER, SIZE, SUPER).mean(axis=(1, 3))


def pixel_bar(width: int, length: int = 12) -> np.ndarray:
    """An upright bar of whole pixels, `width` wide and `length` high."""
    image = np.zeros((SIZE, SIZE))
    image[8 : 8 + length, 10 : 10 + width] = 1.0
    return image


def ring(inner: float, outer: float) -> np.ndarray:
    centres = (np.arange(SIZE * SUPER) + 0.5) / SUPER - SIZE / 2
    x, y = np.meshgrid(centres, centres)
    radius = np.hypot(x, y)
    inside = (radius >= inner) & (radius <= outer)
    return inside.reshape(SIZE, SUPER, SIZE, SUPER).mean(axis=(1, 3))


# --------------------------------------------------------------------------- slant


@pytest.mark.parametrize("angle", [-35, -20, -5, 0, 10, 30])
def test_slant_of_a_sheared_bar_is_its_shear_angle(angle):
    for width in (1.5, 2, 3):
        assert slant(bar(width, 16, shear=angle)[None])[0] == pytest.approx(angle, abs=0.2)


@pytest.mark.parametrize("angle", [-30, -10, 10, 30])
def test_slant_of_a_rotated_bar_is_its_angle_and_the_sign_says_which_way(angle):
    found = slant(bar(2, 16, rotate=angle)[None])[0]
    assert found == pytest.approx(angle, abs=1.0)  # 29.4 at 30: the bar's width counts a little
    assert np.sign(found) == np.sign(angle)  # > 0: the top leans right ("/")
    mirrored = slant(bar(2, 16, rotate=angle)[None, :, ::-1])[0]
    assert mirrored == pytest.approx(-found)


def test_slant_of_an_upright_or_lying_bar_is_zero_and_of_nothing_nan():
    upright, lying = bar(2, 16), bar(2, 16, rotate=90)
    blank = np.zeros((SIZE, SIZE))
    assert np.allclose(slant(np.stack([upright, lying])), 0.0, atol=1e-9)
    assert math.isnan(slant(blank[None])[0])


def test_slant_reads_uint8_and_channels_like_floats():
    image = bar(2, 16, shear=20)
    as_uint8 = np.round(image * 255).astype(np.uint8)
    three = np.repeat(image[None, None], 3, axis=1)
    assert slant(as_uint8[None])[0] == pytest.approx(20, abs=0.2)
    assert slant(three)[0] == pytest.approx(slant(image[None])[0])
    with pytest.raises(ValueError, match="expected N x H x W"):
        ink(image)


# --------------------------------------------------------------------------- thickness


def test_thickness_of_bars_1_2_3_px_wide_is_their_width():
    found = thickness(np.stack([pixel_bar(1), pixel_bar(2), pixel_bar(3)]))
    assert found == pytest.approx([1.01, 2.07, 3.15], abs=0.01)  # the module docstring's
    assert found == pytest.approx([1, 2, 3], abs=0.25)
    longer = thickness(np.stack([pixel_bar(2, 8), pixel_bar(2, 20)]))
    assert longer == pytest.approx([2, 2], abs=0.25)  # length is factored out


@pytest.mark.parametrize("width", [2, 3])
def test_thickness_hardly_depends_on_the_angle(width):
    angles = [0, 15, 30, 45, 60, 75, 90]
    found = thickness(np.stack([bar(width, 14, rotate=a) for a in angles]))
    assert found == pytest.approx([width] * len(angles), rel=0.08)
    assert found.max() / found.min() < 1.05


def test_thickness_is_measured_across_the_stroke():
    # a shear keeps the horizontal width and narrows the stroke across: 2 cos(angle)
    for angle in (20, 40):
        found = thickness(bar(2, 16, shear=angle)[None])[0]
        assert found == pytest.approx(2 * math.cos(math.radians(angle)), rel=0.08)


def test_thickness_of_a_ring_is_its_width_and_its_hole_is_subtracted():
    found = thickness(ring(4.5, 6.5)[None])[0]
    circumference = 2 * math.pi * 5.5
    assert found == pytest.approx(2 + 4 / circumference, abs=0.15)  # width + width^2 / C
    (area,), (length,) = outlines(ring(4.5, 6.5)[None])
    assert area == pytest.approx(math.pi * (6.5**2 - 4.5**2), rel=0.03)
    assert length == pytest.approx(2 * math.pi * (6.5 + 4.5), rel=0.03)


def test_a_faint_haze_hardly_counts_and_no_ink_is_nan():
    image = bar(2, 16, rotate=20)
    clear, hazy = thickness(np.stack([image, np.maximum(image, 0.3)]))
    assert clear == pytest.approx(2.04, abs=0.01) and hazy == pytest.approx(2.21, abs=0.01)
    assert image.sum() == pytest.approx(32, rel=0.01)  # the haze's own area (0.3 x 784 px)
    found = thickness(np.stack([np.zeros((SIZE, SIZE)), np.full((SIZE, SIZE), 0.4)]))
    assert np.isnan(found).all()


def test_many_images_are_measured_as_each_alone():
    rng = np.random.default_rng(1)
    images = np.stack([bar(w, 10 + w, rotate=a) for w, a in rng.uniform(1, 4, (12, 2)) * 10])
    images[3] = 0.0  # one without ink among them
    images[5] = 1.0  # one all ink, touching every side
    together = thickness(images)
    alone = np.array([thickness(image[None])[0] for image in images])
    np.testing.assert_allclose(together, alone, rtol=1e-9)
    assert math.isnan(together[3]) and together[5] == pytest.approx(SIZE - 0.5 * 0.29, rel=0.01)


def test_slant_and_thickness_do_not_leak_into_each_other():
    widths = [1.5, 2, 2.5, 3, 3.5]
    upright = np.stack([bar(w, 16) for w in widths])
    assert np.abs(slant(upright)).max() < 0.01  # thicker, not more slanted
    leaning = np.stack([bar(2, 16, rotate=a) for a in (-30, -15, 0, 15, 30)])
    found = thickness(leaning)
    assert found.max() / found.min() < 1.05  # more slanted, not thicker


# --------------------------------------------------------------------------- correlations

CODE = np.linspace(-2, 2, 9)


def test_sweep_correlation_is_the_absolute_mean_of_scipys_spearman():
    rng = np.random.default_rng(3)
    values = CODE * rng.normal(0.3, 1, (40, 1)) + rng.normal(0, 1, (40, 9))
    values[::5] = np.round(values[::5])  # ties: average ranks, as scipy's
    oracle = np.mean([stats.spearmanr(CODE, row).statistic for row in values])
    assert sweep_correlation(values, CODE) == pytest.approx(abs(oracle), abs=1e-12)
    assert sweep_correlation(-values, CODE) == pytest.approx(abs(oracle), abs=1e-12)


def test_a_monotone_measure_gives_one_and_noise_nearly_zero():
    sweeps = np.tanh(CODE)[None] * np.arange(1, 6)[:, None] + 3.0  # curved, any scale
    assert sweep_correlation(sweeps, CODE) == pytest.approx(1.0)
    assert sweep_correlation(-sweeps, CODE) == pytest.approx(1.0)  # the sign is arbitrary
    noise = np.random.default_rng(0).normal(size=(300, 9))
    assert sweep_correlation(noise, CODE) < 0.05
    turning = np.stack([CODE**2] * 4)  # up then down: no one way
    assert sweep_correlation(turning, CODE) == pytest.approx(0.0, abs=1e-12)


def test_still_sweeps_count_as_zero_and_sweeps_without_ink_are_left_out():
    moving, still = np.arange(9.0), np.full(9, 4.0)
    assert sweep_correlation(np.stack([moving, still]), CODE) == pytest.approx(0.5)
    with_nan = moving.copy()
    with_nan[2] = np.nan
    assert sweep_correlation(np.stack([moving, with_nan]), CODE) == pytest.approx(1.0)
    assert math.isnan(sweep_correlation(np.stack([with_nan]), CODE))
    with pytest.raises(ValueError, match="expected sweeps x 9"):
        sweep_correlation(np.zeros((2, 8)), CODE)


def test_stroke_correlations_say_which_code_moves_what():
    # draws x codes x steps: code 1 shears the bar, code 2 widens it (the bar's length
    # differs per draw); each measure follows its own code and not the other
    shears, widths = np.linspace(-30, 30, 9), np.linspace(1.5, 3.5, 9)
    draws = [
        [[bar(2, length, shear=a) for a in shears], [bar(w, length) for w in widths]]
        for length in (12, 16, 20)
    ]
    found = stroke_correlations(np.array(draws), CODE)
    assert list(found) == list(MEASURES) == list(registry.STROKE_MEASURES)
    assert found["slant"] == pytest.approx([1.0, 0.0], abs=1e-9)
    assert found["thickness"][1] == pytest.approx(1.0)
    assert found["thickness"][0] < 0.2  # a shear narrows the bar both ways: no one way
