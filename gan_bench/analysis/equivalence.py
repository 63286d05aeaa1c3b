"""No practical effect: a smallest effect of interest (SESOI) per metric, the two one-sided
tests (TOST) that an effect lies inside +-SESOI, and the seeds a claim needs to be decided
either way.

"Inconclusive" says the study cannot tell; it never says "this makes no difference worth
having". With a SESOI, an effect whose interval lies inside +-SESOI is that verdict. The
default SESOI of each metric family is the metric registry's (gan_bench/score/registry.py:
`sesoi`, a share of the baseline's mean where `sesoi_relative`); a study may set its own
under `analysis: {sesoi: {FAMILY: value}}`, in the same unit (a share for relative ones).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

from gan_bench.score.registry import MetricColumn

POWER = 0.8
MAX_SEEDS = 1000  # claims.MAX_SEEDS: beyond it no practical study decides


def margin(column: MetricColumn, settings: dict[str, float], baseline_mean: float) -> float:
    """The SESOI of one metric column in its statistic's unit: the study's or the registry's
    value, times |baseline mean| for a relative family (NaN when that mean is unknown)."""
    entry = column.metric
    value = settings.get(entry.key, entry.sesoi)
    if entry.sesoi_relative:
        return value * abs(baseline_mean) if np.isfinite(baseline_mean) else math.nan
    return value


def tost_p(estimate, se, df, bound):
    """The TOST p-value that |effect| < bound: the larger of the two one-sided t-tests'
    (NaN where the effect has no interval or no bound). Works on arrays."""
    estimate, se, df, bound = (np.asarray(x, dtype=float) for x in (estimate, se, df, bound))
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = stats.t.sf((estimate + bound) / se, df)  # H0: effect <= -bound
        upper = stats.t.cdf((estimate - bound) / se, df)  # H0: effect >= +bound
        p = np.fmax(lower, upper)
    ok = np.isfinite(se) & (se > 0) & np.isfinite(bound) & (df > 0)
    return np.where(ok, p, np.nan)


def baseline_level(values: np.ndarray, at_base: np.ndarray) -> np.ndarray:
    """What a relative SESOI is a share of, along the last axis (runs): the median of the
    baseline cell's completed runs, else of every completed run; NaN without any. A median,
    not a mean: one half-failed baseline run (FID x3) would inflate a mean, and with it the
    margin of "no practical effect"."""
    values = np.asarray(values, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no completed run: NaN, as said
        base = np.nanmedian(values[..., at_base], axis=-1) if at_base.any() else np.nan
        overall = np.nanmedian(values, axis=-1)
    return np.where(np.isfinite(base), base, overall)


def seeds_to_decide(se: float, seeds: float, bound: float, alpha: float) -> float:
    """Seeds per cell at which the claim is decided either way with 80% power: a true
    effect of SESOI is then called a difference, and a zero one falls inside +-SESOI
    (the interval's half-width plus the power margin equals SESOI), at the pooled spread
    behind today's standard error. inf beyond MAX_SEEDS; NaN without an interval.

    The two decisions need different margins: the difference test is two-sided (z at
    1 - alpha/2, power POWER on one side), the equivalence test is two one-sided tests at
    alpha that must both pass (z at 1 - alpha, power POWER shared by two tails, so z at
    (1 + POWER)/2); the larger decides. With only the first, a zero effect reached "no
    practical effect" with ~77% power, not 80%."""
    if not all(map(np.isfinite, (se, seeds, bound))) or se <= 0 or bound <= 0:
        return math.nan
    difference = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(POWER)
    equivalence = stats.norm.ppf(1 - alpha) + stats.norm.ppf((1 + POWER) / 2)
    z = max(difference, equivalence)
    needed = math.ceil(seeds * (z * se / bound) ** 2)
    return float(max(2, needed)) if needed <= MAX_SEEDS else math.inf


def paired_holm(p_diff: np.ndarray, p_equivalent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Holm-adjusted p-values of every claim's difference test and equivalence (TOST) test
    (last axis: claims; NaN stays NaN), where a claim counts once in Holm's divisor while
    either of its tests is still unrejected.

    Why not plain Holm over all 2m tests: a claim's two null hypotheses (no difference; a
    difference of at least SESOI) cannot both be true, so at most one per claim can be
    rejected falsely, and testing both needs no correction between them (three-sided
    testing, Goeman, Solari & Stijnen 2010). Closed testing with Bonferroni local tests
    over the intersections that can be true (at most one hypothesis per claim) shortcuts
    to this step-down: at each step the divisor is the number of claims with a test not
    yet rejected. Plain Holm over 2m tests would halve the first step's level for nothing.
    """
    p_diff, p_equivalent = np.asarray(p_diff, float), np.asarray(p_equivalent, float)
    claims = p_diff.shape[-1]
    both = np.concatenate([p_diff, p_equivalent], axis=-1)
    finite = np.isfinite(both)
    order = np.argsort(np.where(finite, both, np.inf), axis=-1, kind="stable")
    ranked = np.take_along_axis(both, order, axis=-1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(2 * claims), order.shape), axis=-1)
    rank = np.where(finite, rank, -1)
    last = np.maximum(rank[..., :claims], rank[..., claims:])  # a claim's last test; -1: none
    active = (last >= 0).sum(axis=-1, keepdims=True)
    steps = np.arange(2 * claims)[:, None]
    completed = ((last[..., None, :] >= 0) & (last[..., None, :] < steps)).sum(axis=-1)
    scaled = ranked * (active - completed)
    stepped = np.minimum(1.0, np.fmax.accumulate(scaled, axis=-1))
    stepped[~np.isfinite(ranked)] = np.nan
    adjusted = np.empty_like(both)
    np.put_along_axis(adjusted, order, stepped, axis=-1)
    return adjusted[..., :claims], adjusted[..., claims:]
