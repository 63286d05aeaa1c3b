"""Which standard error should verdicts stand on when cells scatter unequally?

Research for verdicts v3 (simulate before trusting a statistic): replicate studies of one
FID-like metric on the default study's factors (five two-level factors; the 2^(5-1) half
fraction of `ablations/fractional.yaml` and `stability.yaml`, 16 cells, or the full 32-cell
design; 3 seeds per cell), each fitted four ways with the model every verdict uses (main
effects and every two-way interaction), and each factor's main claim (level vs baseline,
averaged over the other factors: the "average" estimand) judged two-sided at 5% with Holm
over the five claims:

  ols       least squares, the pooled residual variance, t on the residual df
  huber     today's fit (gan_bench/analysis/robust.py robust_fit: Huber c = 2 with the MAD
            scale and H1 covariance, least squares below 20 residual df)
  ols_hc2   least squares with the HC2 variance of each contrast and Bell-McCaffrey df
  huber_sw  Huber's estimate with its sandwich variance (psi^2 over the slope, HC2 leverage
            correction) and the same df

Scenarios: equal spreads; 1 or 2 of 16 cells at 3x the spread; each cell with its own
spread as results/default observed it (FID, per-cell SD over its 3 seeds, scaled to a
median of 3); t3 tails; a missing cell (31 of 32); and for power +3 FID on one factor with
5% of runs half-failed (FID x3). It prints, per scenario and fit, the share of studies with
any false verdict (no true effect), the power, and the coverage of the 95% intervals.

    python benchmarks/variance_rules.py [--replicates 2000] [--seed 0]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gan_bench.analysis.robust import HUBER_T, huber_fit, robust_fit  # noqa: E402

FACTORS = 5
SEEDS = 3
BASE, SD = 30.0, 3.0
ALPHA = 0.05
REPO = Path(__file__).resolve().parent.parent


def cells(half: bool) -> np.ndarray:
    """The +-1 levels of every cell: 2^5, or the resolution-V half (E = ABCD)."""
    full = np.array(list(itertools.product([-1, 1], repeat=FACTORS)), dtype=float)
    return full[np.prod(full, axis=1) == 1] if half else full


def model_matrix(levels: np.ndarray) -> np.ndarray:
    """Intercept, main effects and every two-way interaction, +-1 coded."""
    pairs = [levels[:, i] * levels[:, j] for i, j in itertools.combinations(range(FACTORS), 2)]
    return np.column_stack([np.ones(len(levels)), levels, *pairs])


def observed_spreads() -> np.ndarray:
    """results/default's per-cell FID SDs over 3 seeds, scaled to a median of SD, in the
    order of cells(half=False)."""
    frame = pd.read_csv(REPO / "results" / "default" / "summary.csv")
    sd = frame.groupby("cell")["fid_cnn_2k"].std()
    ratios = (sd / sd.median()).to_numpy()
    return SD * np.random.default_rng(11).permutation(ratios)


def hc2_form(x: np.ndarray, contrast: np.ndarray) -> np.ndarray:
    """K = M W M: the HC2 variance of `contrast` is e' W e = y' K y (M = I - H)."""
    bread = np.linalg.pinv(x.T @ x)
    hat = x @ bread @ x.T
    a = x @ bread @ contrast
    weights = a**2 / (1 - np.diag(hat))
    residual_maker = np.eye(len(x)) - hat
    return residual_maker @ np.diag(weights) @ residual_maker


def bell_mccaffrey_df(x: np.ndarray, contrast: np.ndarray) -> float:
    """Satterthwaite df of the HC2 variance of `contrast` under equal spreads."""
    k = hc2_form(x, contrast)
    return float(np.trace(k) ** 2 / np.trace(k @ k))


def estimated_df(forms: list[np.ndarray], omega: np.ndarray) -> np.ndarray:
    """Satterthwaite df of each contrast's HC2 variance with the runs' variances estimated
    (omega: runs x replicates, e.g. each cell's own): Bell-McCaffrey with a working
    variance model; Welch-Satterthwaite in a saturated cell-means model. replicates x
    contrasts."""
    out = []
    for k in forms:
        num = (omega.T @ np.diag(k)) ** 2
        den = np.einsum("ir,ij,jr->r", omega, k**2, omega)
        out.append(num / den)
    return np.array(out).T


def cell_mean(values: np.ndarray, run_cell: np.ndarray) -> np.ndarray:
    """Each run's value replaced by its cell's mean (runs x replicates)."""
    sums = np.zeros((run_cell.max() + 1, values.shape[1]))
    np.add.at(sums, run_cell, values)
    counts = np.bincount(run_cell)[:, None]
    return (sums / counts)[run_cell]


def fits(
    x: np.ndarray, y: np.ndarray, run_cell: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(estimate, se, df) of every main claim, replicates x claims, for each fit. y is
    runs x replicates."""
    n, p = x.shape
    contrasts = 2 * np.eye(p)[1 : 1 + FACTORS]  # level difference of each factor
    bread = np.linalg.pinv(x.T @ x)
    leverage = np.einsum("ij,jk,ik->i", x, bread, x)
    a = x @ bread @ contrasts.T  # runs x claims
    df_bm = np.array([bell_mccaffrey_df(x, c) for c in contrasts])
    out = {}
    beta = np.linalg.pinv(x) @ y
    resid = y - x @ beta
    df = n - np.linalg.matrix_rank(x)
    pooled = (resid**2).sum(axis=0) / df
    quad = np.einsum("cp,pq,cq->c", contrasts, bread, contrasts)
    estimate = beta[1 : 1 + FACTORS].T * 2
    out["ols"] = (estimate, np.sqrt(np.outer(pooled, quad)), np.full(FACTORS, df))
    robust = robust_fit(x, y)
    out["huber"] = (
        robust.params[1 : 1 + FACTORS].T * 2,
        np.sqrt(np.outer(robust.variance, quad)),
        np.full(FACTORS, df),
    )
    hc2 = ((resid**2 / (1 - leverage)[:, None]).T) @ a**2  # replicates x claims
    out["ols_hc2"] = (estimate, np.sqrt(hc2), df_bm)
    out["huber_sw"] = _huber_sandwich(x, y, contrasts, leverage, df_bm)
    forms = [hc2_form(x, c) for c in contrasts]
    omega = cell_mean(resid**2 / (1 - leverage)[:, None], run_cell)
    out["ols_hc2_ws"] = (out["ols_hc2"][0], out["ols_hc2"][1], estimated_df(forms, omega))
    estimate, se, _, omega_h = _huber_sandwich(x, y, contrasts, leverage, df_bm, cells=run_cell)
    out["huber_sw_ws"] = (estimate, se, estimated_df(forms, omega_h))
    estimate, se, omega_b = _bisquare(x, y, contrasts, leverage, run_cell)
    out["bisq_sw_ws"] = (estimate, se, estimated_df(forms, omega_b))
    return out


def _huber_sandwich(x, y, contrasts, leverage, df_bm, cells=None):
    """Huber's estimate with Var = A^-1 B A^-1, A = X' diag(psi') X, B = X' diag(s^2 psi^2 /
    (1 - h)) X; where every run of a replicate is clipped, least squares' HC2."""
    huber = huber_fit(x, y)
    resid = y - x @ huber.params
    scale = np.where(huber.scale > 0, huber.scale, 1.0)
    u = resid / scale
    psi = np.clip(u, -HUBER_T, HUBER_T)
    slope = (np.abs(u) <= HUBER_T).astype(float)
    a_mat = np.einsum("ni,nr,nj->rij", x, slope, x)
    meat = np.einsum("ni,nr,nj->rij", x, (psi * scale) ** 2 / (1 - leverage)[:, None], x)
    a_inv = np.linalg.pinv(a_mat)
    cov = a_inv @ meat @ a_inv
    var = np.einsum("cp,rpq,cq->rc", contrasts, cov, contrasts)
    estimate = huber.params[1 : 1 + FACTORS].T * 2
    if cells is None:
        return estimate, np.sqrt(var), df_bm
    omega = cell_mean((psi * scale) ** 2 / (1 - leverage)[:, None], cells)
    return estimate, np.sqrt(var), df_bm, omega


BISQUARE_C = 4.685  # 95% efficient at the normal


def _bisquare(x, y, contrasts, leverage, cells, iterations=50):
    """MM-style: Tukey's bisquare from Huber's fit with Huber's MAD scale held fixed, so a
    grossly failed run gets weight 0 instead of Huber's bounded pull; sandwich variance as
    for Huber (psi' may be negative past c/sqrt(5): A uses max(psi', 0))."""
    huber = huber_fit(x, y)
    params, scale = huber.params.copy(), np.where(huber.scale > 0, huber.scale, 1.0)
    for _ in range(iterations):
        u = (y - x @ params) / scale
        w = np.where(np.abs(u) < BISQUARE_C, (1 - (u / BISQUARE_C) ** 2) ** 2, 0.0)
        gram = np.einsum("ni,nr,nj->rij", x, w, x)
        right = np.einsum("ni,nr,nr->ri", x, w, y)
        params = np.linalg.solve(gram + 1e-12 * np.eye(x.shape[1]), right[..., None])[..., 0].T
    u = (y - x @ params) / scale
    inside = np.abs(u) < BISQUARE_C
    psi = np.where(inside, u * (1 - (u / BISQUARE_C) ** 2) ** 2, 0.0)
    slope = np.where(inside, (1 - (u / BISQUARE_C) ** 2) * (1 - 5 * (u / BISQUARE_C) ** 2), 0.0)
    a_mat = np.einsum("ni,nr,nj->rij", x, np.maximum(slope, 0.0), x)
    meat = np.einsum("ni,nr,nj->rij", x, (psi * scale) ** 2 / (1 - leverage)[:, None], x)
    a_inv = np.linalg.pinv(a_mat)
    var = np.einsum("cp,rpq,cq->rc", contrasts, a_inv @ meat @ a_inv, contrasts)
    omega = cell_mean((psi * scale) ** 2 / (1 - leverage)[:, None], cells)
    return params[1 : 1 + FACTORS].T * 2, np.sqrt(var), omega


def holm_rejects(p: np.ndarray) -> np.ndarray:
    """Holm at ALPHA along the last axis: which hypotheses are rejected."""
    order = np.argsort(p, axis=-1)
    ranked = np.take_along_axis(p, order, axis=-1)
    k = p.shape[-1]
    passes = ranked <= ALPHA / (k - np.arange(k))
    passes = np.cumprod(passes, axis=-1).astype(bool)
    rejected = np.empty_like(passes)
    np.put_along_axis(rejected, order, passes, axis=-1)
    return rejected


def simulate(scenario: dict, replicates: int, rng: np.random.Generator) -> pd.DataFrame:
    """The rates of every fit on one scenario."""
    levels = cells(scenario["half"])
    spreads = np.full(len(levels), SD)
    if scenario.get("noisy"):
        spreads[: scenario["noisy"]] *= 3  # the first cells: baseline-side and mixed levels
    if scenario.get("observed"):
        observed = observed_spreads()
        spreads = observed[: len(levels)]
    keep = np.ones(len(levels), dtype=bool)
    if scenario.get("missing"):
        keep[-1] = False
    levels, spreads = levels[keep], spreads[keep]
    run_levels = np.repeat(levels, SEEDS, axis=0)
    run_cell = np.repeat(np.arange(len(levels)), SEEDS)
    run_sd = np.repeat(spreads, SEEDS)
    x = model_matrix(run_levels)
    truth = np.zeros(FACTORS)
    truth[0] = scenario.get("effect", 0.0)
    mean = BASE + run_levels @ (truth / 2)
    if scenario.get("t3"):
        noise = rng.standard_t(3, size=(len(x), replicates)) / np.sqrt(3.0)
    else:
        noise = rng.standard_normal((len(x), replicates))
    y = mean[:, None] + run_sd[:, None] * noise
    if scenario.get("failed"):
        hit = rng.random(y.shape) < scenario["failed"]
        y = np.where(hit, 3 * y, y)
    rows = []
    for name, (estimate, se, df) in fits(x, y, run_cell).items():
        df = np.broadcast_to(df, estimate.shape)
        t = estimate / se
        p = 2 * stats.t.sf(np.abs(t), df)
        rejected = holm_rejects(np.where(np.isfinite(p), p, 1.0))
        half = stats.t.ppf(0.975, df) * se
        covered = np.abs(estimate - truth) <= half
        null = truth == 0
        df = np.broadcast_to(df, estimate.shape)
        rows.append(
            {
                "scenario": scenario["name"],
                "fit": name,
                "false_any": rejected[:, null].any(axis=1).mean(),
                "power": rejected[:, ~null].mean() if (~null).any() else np.nan,
                "coverage": covered.mean(),
                "mean_df": float(np.mean(df)),
            }
        )
    return pd.DataFrame(rows)


SCENARIOS = [
    {"name": "half, equal spreads", "half": True},
    {"name": "half, 1 of 16 cells at 3x", "half": True, "noisy": 1},
    {"name": "half, 2 of 16 cells at 3x", "half": True, "noisy": 2},
    {"name": "half, each cell its observed spread", "half": True, "observed": True},
    {"name": "full, each cell its observed spread", "half": False, "observed": True},
    {"name": "full, 4 of 32 cells at 3x", "half": False, "noisy": 4},
    {"name": "half, t3 tails", "half": True, "t3": True},
    {"name": "full, one cell missing", "half": False, "missing": True},
    {"name": "full, +3 on one factor, 5% of runs x3", "half": False, "effect": 3.0, "failed": 0.05},
    {"name": "half, +3 on one factor, 5% of runs x3", "half": True, "effect": 3.0, "failed": 0.05},
    {"name": "full, +3 on one factor, equal spreads", "half": False, "effect": 3.0},
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicates", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    table = pd.concat([simulate(s, args.replicates, rng) for s in SCENARIOS], ignore_index=True)
    se = np.sqrt(0.05 * 0.95 / args.replicates)
    print(f"{args.replicates} replicates per scenario; MC SE of a 5% rate {se:.2%}")
    wide = table.pivot(index="scenario", columns="fit", values=["false_any", "power", "coverage"])
    wide = wide.reindex([s["name"] for s in SCENARIOS])
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print((100 * wide).round(1).to_string())
        print(table.groupby("fit")["mean_df"].mean().round(1).to_string())
    print(f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
