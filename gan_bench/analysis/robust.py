"""Huber regression for many columns at once: the fit every metric model uses.

Why not OLS: one half-failed run (FID x3) dominates a least-squares fit. Simulated on the
published default design, 5% of runs half-failed cut the power to see a +3 FID effect at
3 seeds from 90% to 7% under OLS; log FID alone only brought it back to 14%
(benchmarks/RESULTS.md). A Huber M-estimate (Huber's T norm, c = HUBER_T = 1.345: 95%
efficient under normal noise) weighs a run down once it sits more than c robust SDs off
its fit.

The estimator is statsmodels' RLM (IRLS from the OLS start, the scale re-estimated each
step as the MAD of the residuals about zero with RLM's df correction, H1 covariance),
written with numpy so that one call fits every metric of thousands of simulated studies
and of one real study by the same code (engine.py); tests check it against
statsmodels.RLM. What the estimates are worth (standard errors, df, tests) is not RLM's H1
covariance, which assumes one spread for every cell: inference.py builds a sandwich
variance from `RobustFit.psi`. `variance` (H1) stays for the comparison with RLM.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

# Huber's tuning constant, in robust SDs: statsmodels' default, 95% efficient at the normal.
# With RLM's H1 covariance it ran hot (5.4-6.1% false verdicts on the default design, 13%
# with 4 of 32 cells at 3x the spread), so 2.0 was used; with the sandwich variance of
# inference.py those are gone (at most 5.3 +- 0.6% in every audit scenario), and 1.345 keeps
# more power where runs half-fail: +3 FID with 5% of runs x3, 64% against 58% at 2.0
# (benchmarks/simulate.py, noise of results/default).
HUBER_T = 1.345
# Below this many residual degrees of freedom the fit is least squares (see robust_fit).
MIN_ROBUST_DF = 20
MAD_TO_SD = 1.0 / stats.norm.ppf(0.75)  # statsmodels.robust.scale.mad's normalisation
# A Huber scale below this share of least squares' residual SD has collapsed: a tied majority
# (modes_hit: most runs hit all 10 modes) leaves most residuals at rounding noise, the MAD
# near 1e-10, and p-values of the rounding noise. Continuous noise keeps the share near 1
# (0.57 at the least over 2000 normal columns of a 64-run design), half-failed runs near 0.2.
COLLAPSED_SCALE = 1e-3


@dataclass(frozen=True)
class RobustFit:
    """Huber fits of the columns of y on one design matrix."""

    params: np.ndarray  # coefficients x columns
    scale: np.ndarray  # columns: the MAD scale that standardises residuals
    variance: np.ndarray  # columns: H1 covariance = variance * (X'X)^-1
    weights: np.ndarray  # rows x columns: each run's final Huber weight (1 = full)
    iterations: int
    # columns: "" where Huber's fit stands, else why least squares does (LEAST_SQUARES)
    reason: np.ndarray | None = None

    def psi(self, resid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per run and column: psi of the residual in the metric's unit (s * psi(r / s),
        the residual itself under least squares) and psi's slope there (1 or 0): the
        estimating equations' terms, which the sandwich variance is built from
        (inference.py)."""
        huber = self.reason == "" if self.reason is not None else np.ones(len(self.scale), bool)
        huber &= self.scale > 0
        safe = np.where(huber, self.scale, 1.0)
        u = resid / safe
        clipped = np.clip(u, -HUBER_T, HUBER_T) * safe
        slope = (np.abs(u) <= HUBER_T).astype(float)
        return np.where(huber, clipped, resid), np.where(huber, slope, 1.0)


# Why a column keeps least squares (RobustFit.reason), as the model table says it.
LEAST_SQUARES = {
    "df": "fewer residual degrees of freedom than a robust spread needs",
    "two_valued": "a metric with at most two values (0/1) has no outlying runs",
    "collapsed": "most runs tie, so Huber's scale collapses",
}


def mad_scale(resid: np.ndarray, rank: int) -> np.ndarray:
    """statsmodels' mad(resid, center=0) per column (median |r| / 0.6745), times
    sqrt(n / (n - p)) as RLM corrects a one-argument scale estimator: residuals are smaller
    than the errors by about that much, and without it runs were clipped too early and
    tests came out anticonservative (6% at 5% on the default design)."""
    n = len(resid)
    correction = np.sqrt(n / (n - rank)) if n > rank else 1.0
    return np.median(np.abs(resid), axis=0) * MAD_TO_SD * correction


def huber_weights(u: np.ndarray, c: float = HUBER_T) -> np.ndarray:
    """Huber's T weights psi(u)/u: 1 inside +-c, c/|u| outside."""
    absolute = np.abs(u)
    with np.errstate(divide="ignore"):
        return np.where(absolute <= c, 1.0, c / absolute)


def _weighted_solve(
    exog: np.ndarray, y: np.ndarray, weights: np.ndarray, full_rank: bool
) -> np.ndarray:
    """Per column k: argmin sum_i w_ik (y_ik - x_i b)^2. Normal equations when the design
    has full column rank (every model with interactions engine.py fits);
    else a batched pseudo-inverse, as statsmodels' WLS, for its minimum-norm answer."""
    if full_rank:
        weighted = weights.T[:, :, None] * exog[None]  # columns x rows x coefficients
        gram = weighted.transpose(0, 2, 1) @ exog  # columns x coefficients x coefficients
        right = weighted.transpose(0, 2, 1) @ y.T[:, :, None]
        return np.linalg.solve(gram, right)[..., 0].T
    root = np.sqrt(weights.T)[:, :, None]  # columns x rows x 1
    stacked = np.linalg.pinv(root * exog[None])  # columns x coefficients x rows
    return np.einsum("kpn,kn->pk", stacked, root[..., 0] * y.T)


def _h1_variance(resid: np.ndarray, scale: np.ndarray, rank: int, c: float = HUBER_T) -> np.ndarray:
    """RLMResults.bcov_scaled's H1 factor: K^2 * sum(psi^2)/(n - p) * s^2 / mean(psi')^2."""
    n = len(resid)
    safe = np.where(scale > 0, scale, 1.0)
    u = resid / safe
    psi = np.clip(u, -c, c)
    slope = (np.abs(u) <= c).astype(float)
    mean_slope = slope.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = 1 + rank / n * slope.var(axis=0) / mean_slope**2
        variance = k**2 * (psi**2).sum(axis=0) / (n - rank) * safe**2 / mean_slope**2
    ols = (resid**2).sum(axis=0) / (n - rank) if n > rank else np.full(len(scale), np.nan)
    return np.where(scale > 0, variance, ols)  # a perfect fit of most runs: OLS's answer


def huber_fit(
    exog: np.ndarray, y: np.ndarray, *, c: float = HUBER_T, tol: float = 1e-10, max_iter: int = 100
) -> RobustFit:
    """Huber's M-estimate of every column of y (rows x columns) by IRLS, as statsmodels'
    RLM(y, exog, HuberT(c)).fit() computes it; converged when no coefficient moves by more
    than tol (relative) in any column, which lands on RLM's fixed point to about 1e-8;
    each column stops iterating once it has converged."""
    y = np.asarray(y, dtype=float)
    rank = int(np.linalg.matrix_rank(exog))
    params = np.linalg.pinv(exog) @ y
    resid = y - exog @ params
    scale = mad_scale(resid, rank)
    weights = np.ones_like(y)
    active = np.arange(y.shape[1])  # columns still moving
    iteration = 0
    while iteration < max_iter:
        iteration += 1
        safe = np.where(scale[active] > 0, scale[active], 1.0)
        w = np.where(scale[active] > 0, huber_weights(resid[:, active] / safe, c), 1.0)
        new = _weighted_solve(exog, y[:, active], w, rank == exog.shape[1])
        moved = np.abs(new - params[:, active]).max(axis=0, initial=0.0)
        weights[:, active], params[:, active] = w, new
        resid[:, active] = y[:, active] - exog @ new
        scale[active] = mad_scale(resid[:, active], rank)
        active = active[moved > tol * (1.0 + np.abs(new).max(axis=0, initial=0.0))]
        if not len(active):
            break
    variance = _h1_variance(resid, scale, rank, c)
    return RobustFit(params, scale, variance, weights, iteration, np.full(y.shape[1], "", object))


def two_valued(y: np.ndarray) -> np.ndarray:
    """Per column of y: whether it takes at most two distinct values (a 0/1 outcome such as
    the overfit_pattern metric, whose cell mean is a share of runs)."""
    ordered = np.sort(np.asarray(y, dtype=float), axis=0)
    return (np.diff(ordered, axis=0) != 0).sum(axis=0) <= 1


def _least_squares(exog: np.ndarray, y: np.ndarray, rank: int) -> RobustFit:
    params = np.linalg.pinv(exog) @ y
    resid = y - exog @ params
    df = len(y) - rank
    variance = (resid**2).sum(axis=0) / df if df > 0 else np.full(y.shape[1], np.nan)
    reason = np.full(y.shape[1], "df", dtype=object)
    return RobustFit(params, np.sqrt(variance), variance, np.ones_like(y), 0, reason)


def robust_fit(exog: np.ndarray, y: np.ndarray) -> RobustFit:
    """The fit a metric model uses: Huber's (huber_fit) when the runs leave at least
    MIN_ROBUST_DF residual degrees of freedom, else least squares (weights 1, variance the
    mean squared residual); least squares always for a two-valued column.

    Why: with few residual df the MAD scale rests on a handful of residuals, and a cell
    whose seeds merely scatter more than the others' (a sigmoid cell next to tanh ones) is
    clipped as if it were a failure, so the pooled spread comes out too small. Simulated on
    a 2x2 design with no true effect, the Huber fit gave a false verdict word in 6% of
    studies at 3 seeds per cell (8 df) with equal spreads, and in 12-30% with one cell at
    5x the spread; least squares 5%. On the default design (80 df) Huber's rate is 5%.
    A column whose Huber scale collapses (COLLAPSED_SCALE: a tied majority of three or more
    values) keeps least squares too.
    A 0/1 outcome has no outlying runs, only a minority: its MAD scale collapses towards 0,
    Huber weighs the minority down as outliers and the fit reports a cell's majority with
    no spread (on a 2x2 design at 8 seeds, shares of 0.4 vs 0.1: p-values down to 1e-271
    for a difference estimated at 0)."""
    y = np.asarray(y, dtype=float)
    rank = int(np.linalg.matrix_rank(exog))
    fit = _least_squares(exog, y, rank)
    if len(y) - rank < MIN_ROBUST_DF:
        return fit
    paired = two_valued(y)
    fit.reason[paired] = "two_valued"
    columns = np.flatnonzero(~paired)
    if not len(columns):
        return fit
    huber = huber_fit(exog, y[:, columns])
    kept = huber.scale >= COLLAPSED_SCALE * fit.scale[columns]  # else least squares stays
    fit.reason[columns[~kept]] = "collapsed"
    columns = columns[kept]
    fit.reason[columns] = ""
    fit.params[:, columns], fit.weights[:, columns] = huber.params[:, kept], huber.weights[:, kept]
    fit.scale[columns], fit.variance[columns] = huber.scale[kept], huber.variance[kept]
    return replace(fit, iterations=huber.iterations)
