"""A digit's slant and stroke thickness, measured on its pixels, and how strongly a code
moves them along its sweeps. Torch-free: numpy, contourpy and scipy.

Images are N x H x W, or N x C x H x W with the channels averaged, uint8 (0-255) or float
in [0, 1], with light ink on a dark ground (MNIST, the digits dataset, and G's samples of
them); on other images the numbers are computed but mean little. x runs to the right, y
down.

- `slant`: the classic deskewing angle, from the intensities' second-order central moments
  (mu11 = sum (x - x̄)(y - ȳ) I, mu02 = sum (y - ȳ)^2 I): MNIST deskewing shears each row by
  x' = x - (mu11 / mu02)(y - ȳ), which makes the digit upright. slant = atan(-mu11 / mu02)
  in degrees: 0 upright, > 0 when the top leans right ("/", as italics), < 0 when it leans
  left. A straight bar sheared by θ from upright gives θ (rotated by θ: slightly less, 29.4
  for a 2 x 16 bar at 30). NaN for an image without ink.
- `thickness`: ink per unit of stroke length, in pixels. scikit-image's `skeletonize` (ink
  over skeleton length) is not a dependency here, so the length comes from the ink's
  outline instead: the 0.5 iso-line of the intensities (contourpy's marching squares, the
  engine of matplotlib's contours: sub-pixel, so nearly the same length at every angle),
  with a dark pixel around the image so every outline closes. Its length P and the area A
  inside it (holes subtracted) are taken as a rectangle's perimeter and area, and the
  thickness is that rectangle's shorter side, (P/2 - sqrt(P^2/4 - 4A)) / 2: for one straight
  stroke it is the stroke's width across (bars 1, 2, 3 px wide and 12 long: 1.01, 2.07,
  3.15; a 2 px bar at any angle 2.05-2.12), for a closed loop (0) its width plus width^2 /
  its circumference; a compact blob, whose outline is too short for any rectangle of its
  area, gets P/4 (a square's side). Strokes that meet, end or cross count as one rectangle
  of the summed area and outline. Ink fainter than half (a grey haze, a faint stroke) is
  outside every outline: its area does not count (a haze of 0.3 over a 2 px bar moves the
  outline where it meets the stroke, 2.04 -> 2.21, where summed intensities would count
  the haze's 235 px against the bar's 32). NaN for an image without ink.
- `sweep_correlation`: along each sweep of one code (the code at each sweep value, every
  other input of G fixed: gan_bench/score/codes.py), Spearman's rank correlation between
  the code and the measure; the metric is |mean over sweeps|. Rank, not Pearson: the
  sweeps run to twice the training range, where G extrapolates and a measure may saturate
  or turn, and a broken image (a blob with an extreme angle) moves a rank correlation by
  one rank at most. The mean before the absolute value: a code that does nothing gives
  per-sweep correlations around 0 that cancel (|mean| ~ 0), where the mean of |r| over
  9-point sweeps would be ~0.3. The absolute value: a code's direction is arbitrary (its
  prior U(-1, 1) is symmetric), so runs of different seeds learn either sign.
"""

from __future__ import annotations

import math

import contourpy
import numpy as np
from scipy import stats

INK_LEVEL = 0.5  # the outline: where the intensity crosses half of full ink


def ink(images: np.ndarray) -> np.ndarray:
    """N x H x W float intensities in [0, 1] of uint8 or float images (N x H x W, or
    N x C x H x W with the channels averaged)."""
    images = np.asarray(images)
    scaled = images / 255.0 if images.dtype == np.uint8 else images.astype(float)
    if scaled.ndim == 4:
        scaled = scaled.mean(axis=1)
    if scaled.ndim != 3:
        raise ValueError(f"expected N x H x W or N x C x H x W images, got {images.shape}")
    return scaled


def slant(images: np.ndarray) -> np.ndarray:
    """Each image's deskewing angle in degrees, atan(-mu11 / mu02): > 0 when the top leans
    right; NaN without ink (see the module docstring)."""
    intensity = ink(images)
    rows, columns = intensity.shape[1:]
    y = np.arange(rows, dtype=float)[None, :, None]
    x = np.arange(columns, dtype=float)[None, None, :]
    mass = intensity.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        y_mean = (intensity * y).sum(axis=(1, 2)) / mass
        x_mean = (intensity * x).sum(axis=(1, 2)) / mass
        dy = y - y_mean[:, None, None]
        dx = x - x_mean[:, None, None]
        mu11 = (intensity * dx * dy).sum(axis=(1, 2))
        mu02 = (intensity * dy * dy).sum(axis=(1, 2))
        angle = np.degrees(np.arctan(-mu11 / mu02))
    return np.where((mass > 0) & (mu02 > 0), angle, np.nan)


def outlines(intensity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(area, length) of each N x H x W image's INK_LEVEL outline: the area inside it (holes
    subtracted) and its length, in pixels. The images are laid side by side with a dark
    pixel around each, so one contourpy call outlines them all and every outline closes
    inside its own image's tile."""
    count, rows, columns = intensity.shape
    tile = columns + 1
    mosaic = np.zeros((rows + 2, count * tile + 1))
    mosaic[1:-1, 1:].reshape(rows, count, tile)[:, :, :columns] = intensity.transpose(1, 0, 2)
    generator = contourpy.contour_generator(
        z=mosaic, fill_type=contourpy.FillType.ChunkCombinedOffset
    )
    (points,), (offsets,) = generator.filled(INK_LEVEL, max(2.0, float(mosaic.max()) + 1.0))
    area, length = np.zeros(count), np.zeros(count)
    if points is None:  # no ink anywhere
        return area, length
    x, y = points[:, 0], points[:, 1]
    within = np.ones(len(x) - 1, dtype=bool)  # consecutive points of one (closed) ring
    within[offsets[1:-1] - 1] = False
    cross = np.where(within, x[:-1] * y[1:] - x[1:] * y[:-1], 0.0)
    step = np.where(within, np.hypot(np.diff(x), np.diff(y)), 0.0)
    starts = offsets[:-1].astype(np.intp)
    owner = (np.add.reduceat(x, starts) / np.diff(offsets) // tile).astype(np.intp)
    area = np.abs(np.bincount(owner, 0.5 * np.add.reduceat(cross, starts), count))
    length = np.bincount(owner, np.add.reduceat(step, starts), count)
    return area, length


def thickness(images: np.ndarray) -> np.ndarray:
    """Each image's stroke thickness in pixels: the shorter side of the rectangle with the
    ink outline's area and length; NaN without ink (see the module docstring)."""
    area, length = outlines(ink(images))
    half = length / 2
    with np.errstate(invalid="ignore"):
        found = (half - np.sqrt(np.maximum(half * half - 4 * area, 0.0))) / 2
    return np.where((area > 0) & (length > 0), found, np.nan)


def sweep_correlation(values: np.ndarray, code: np.ndarray) -> float:
    """|mean over sweeps of Spearman's r(code, measure)| for `values` (sweeps x steps: the
    measure at each code value of `code`, one row per sweep). A sweep along which the
    measure does not change at all counts as r = 0 (the code does not move it); one with a
    NaN (an image without ink) is left out; NaN when every sweep is."""
    values = np.asarray(values, dtype=float)
    code = np.asarray(code, dtype=float)
    if values.ndim != 2 or values.shape[1] != code.shape[0] or code.shape[0] < 3:
        raise ValueError(f"expected sweeps x {code.shape[0]} values (>= 3), got {values.shape}")
    values = values[np.isfinite(values).all(axis=1)]
    if not len(values):
        return math.nan
    ranks = stats.rankdata(values, axis=1)  # ties: average ranks, as Spearman's
    ranks -= ranks.mean(axis=1, keepdims=True)
    code_ranks = stats.rankdata(code)
    code_ranks -= code_ranks.mean()
    spread = np.linalg.norm(ranks, axis=1) * np.linalg.norm(code_ranks)
    r = np.divide(ranks @ code_ranks, spread, out=np.zeros(len(values)), where=spread > 0)
    return float(abs(r.mean()))


# the stroke measures, in scores.json order (gan_bench/score/registry.py STROKE_MEASURES)
MEASURES = {"slant": slant, "thickness": thickness}


def stroke_correlations(images: np.ndarray, code: np.ndarray) -> dict[str, list[float]]:
    """measure -> [sweep_correlation of each code]: `images` are draws x codes x steps x
    (C x) H x W, each code swept over `code` (its values, one per step) in its own slot."""
    images = np.asarray(images)
    draws, codes, steps = images.shape[:3]
    flat = images.reshape(draws * codes * steps, *images.shape[3:])
    found: dict[str, list[float]] = {}
    for name, measure in MEASURES.items():
        values = measure(flat).reshape(draws, codes, steps)
        found[name] = [sweep_correlation(values[:, k], code) for k in range(codes)]
    return found
