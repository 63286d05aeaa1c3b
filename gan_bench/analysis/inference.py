"""Standard errors, degrees of freedom and tests that survive unequal spreads.

The fit (robust.py) gives each metric's coefficients; here is what they are worth. With
cells that scatter unequally (a sigmoid cell next to tanh ones) a pooled residual variance
or Huber's MAD scale measures a typical spread, not the variance a contrast needs, and the
half fraction's verdicts went wrong in 11-18% of null studies (benchmarks/RESULTS.md,
`variance_rules.py`). So every contrast c gets

  variance  the sandwich A^-1 B A^-1 of the fit's estimating equations, A = X' diag(psi') X,
            B = X' diag(s^2 psi(u)^2 / (1 - h)) X: HC2's leverage correction on Huber's
            psi (least squares: psi(u) = u, psi' = 1, and this is HC2 exactly);
  df        Satterthwaite's for that variance with each cell's own variance estimated
            (Bell & McCaffrey's form K = M diag(a^2 / (1 - h)) M, a = X (X'X)^-1 c, with
            the runs' variances replaced by their cell's mean): in a two-cell design it is
            Welch's test (tests check both against statsmodels and scipy).

Simulated through the engine on the default design's factors and noise
(benchmarks/simulate.py, rows in benchmarks/RESULTS.md): at most 5% + 2 Monte-Carlo SE false
verdicts with 1-2 of 16 cells at 3x the spread, each cell its own observed spread, t3
tails, a missing cell; today's MAD-scale H1 variance gave 11-18% there.

A run with leverage 1 (the only run of a cell the model fits exactly) shows no residual:
it adds nothing to B, and its cell's variance in the df is the others' mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from gan_bench.analysis.robust import RobustFit

CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
EXACT_FIT = 1e-10  # 1 - leverage below this: the run is fitted exactly


@dataclass(frozen=True)
class Inference:
    """What one model matrix and the fits of its columns give every contrast."""

    exog: np.ndarray  # runs x coefficients
    params: np.ndarray  # coefficients x columns
    cov: np.ndarray  # columns x coefficients x coefficients: the sandwich
    cell_variance: np.ndarray  # cells x columns: each cell's mean of s^2 psi^2 / (1 - h)
    run_cells: np.ndarray  # run -> index into cell_variance's rows
    leverage: np.ndarray  # runs
    bread: np.ndarray  # (X'X)^-1 (pseudo-inverse)
    df_resid: int
    sigma: np.ndarray  # columns: the spread a balanced design would pool (sqrt mean of B's
    # terms over runs, over the mean psi'): for tables and planning


def infer(exog: np.ndarray, fit: RobustFit, y: np.ndarray, run_cells: np.ndarray) -> Inference:
    """The sandwich variance of every column's fit, and each cell's variance for the df.
    `run_cells`: each run's cell (any labels)."""
    _, cells = np.unique(run_cells, return_inverse=True)
    bread = np.linalg.pinv(exog.T @ exog)
    leverage = np.clip(np.einsum("ij,jk,ik->i", exog, bread, exog), 0.0, 1.0)
    resid = y - exog @ fit.params
    psi, slope = fit.psi(resid)
    room = 1.0 - leverage
    exact = room < EXACT_FIT
    terms = np.where(exact[:, None], 0.0, psi**2 / np.where(exact, 1.0, room)[:, None])
    a_matrix = np.einsum("ni,nk,nj->kij", exog, slope, exog)
    meat = np.einsum("ni,nk,nj->kij", exog, terms, exog)
    a_inverse = np.linalg.pinv(a_matrix)
    cov = a_inverse @ meat @ a_inverse
    cell_variance = _cell_means(terms, cells, exact)
    fitted = terms[~exact]
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.sqrt(fitted.mean(axis=0)) if len(fitted) else np.full(y.shape[1], np.nan)
        sigma = spread / slope.mean(axis=0)
    df = len(exog) - int(np.linalg.matrix_rank(exog))
    return Inference(exog, fit.params, cov, cell_variance, cells, leverage, bread, df, sigma)


def _cell_means(terms: np.ndarray, cells: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Each cell's mean of its runs' variance terms (cells x columns); a cell whose runs
    are all fitted exactly takes the mean over the other runs."""
    count = np.bincount(cells, weights=(~exact).astype(float), minlength=cells.max() + 1)
    sums = np.zeros((len(count), terms.shape[1]))
    np.add.at(sums, cells, terms)
    overall = terms[~exact].mean(axis=0) if (~exact).any() else np.zeros(terms.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / count[:, None]
    return np.where(count[:, None] > 0, means, overall[None])


def satterthwaite_df(inference: Inference, vector: np.ndarray) -> np.ndarray:
    """Per column: the df of the contrast's variance with each cell's variance estimated
    (Bell-McCaffrey's K with the cells' variances: Welch's df in a two-cell design)."""
    x = inference.exog
    a = x @ inference.bread @ vector
    room = np.where(inference.leverage < 1 - EXACT_FIT, 1 - inference.leverage, np.inf)
    maker = np.eye(len(x)) - x @ inference.bread @ x.T
    k = (maker * (a**2 / room)) @ maker
    cells = inference.run_cells
    count = inference.cell_variance.shape[0]
    onto = np.zeros((len(x), count))
    onto[np.arange(len(x)), cells] = 1.0
    diagonal = np.diag(k) @ onto  # cells
    block = onto.T @ (k**2) @ onto  # cells x cells
    omega = inference.cell_variance
    numerator = (diagonal @ omega) ** 2
    denominator = np.einsum("ik,ij,jk->k", omega, block, omega)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = numerator / denominator
    return np.where(denominator > 0, df, float(inference.df_resid))


def read_off(inference: Inference, vectors: np.ndarray) -> dict[str, np.ndarray]:
    """Estimate, SE, df, t, p and 95% interval of each contrast row (rows x columns); a
    NaN row (no such contrast) stays NaN, and so does everything without residual df."""
    finite = np.isfinite(vectors).all(axis=1)
    safe = np.where(finite[:, None], vectors, 0.0)
    estimate = safe @ inference.params
    variance = np.einsum("cp,kpq,cq->ck", safe, inference.cov, safe)
    df = np.stack([satterthwaite_df(inference, v) for v in safe]) if len(safe) else estimate
    usable = finite[:, None] & (inference.df_resid > 0) & np.isfinite(variance)
    se = np.where(usable, np.sqrt(np.where(usable, variance, 0.0)), np.nan)
    df = np.where(usable, df, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = estimate / se
        half = stats.t.ppf(0.5 + CONFIDENCE / 2, df) * se
        p = 2 * stats.t.sf(np.abs(t), df)
    estimate = np.where(finite[:, None], estimate, np.nan)
    return {
        "estimate": estimate, "se": se, "df": df, "t": t, "p": p,
        "ci_low": estimate - half, "ci_high": estimate + half,
    }  # fmt: skip


def wald(inference: Inference, columns: slice) -> dict[str, np.ndarray]:
    """The Wald F-test that a term's coefficients are all zero, on the sandwich variance;
    its denominator df the smallest Satterthwaite df of the term's coefficients (one
    coefficient: the t-test squared)."""
    width = columns.stop - columns.start
    effect = inference.params[columns]  # width x columns
    block = inference.cov[:, columns, columns]
    solved = np.linalg.pinv(block)
    statistic = np.einsum("qk,kqr,rk->k", effect, solved, effect) / width
    units = np.eye(inference.exog.shape[1])[columns]
    df2 = np.min([satterthwaite_df(inference, unit) for unit in units], axis=0)
    usable = inference.df_resid > 0
    with np.errstate(invalid="ignore"):
        p = stats.f.sf(statistic, width, df2) if usable else np.full_like(statistic, np.nan)
    return {"F": statistic if usable else p, "p": p, "df": np.full_like(p, width), "df2": df2}
