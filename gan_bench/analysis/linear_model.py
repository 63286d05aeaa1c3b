"""One linear model per metric over every run, with sum (deviation) coding, fitted by
Huber's robust regression (robust.py), and what is read off it: each factor level against
its baseline (estimate, 95% interval, p), Holm-adjusted p-values, two-way interactions and
a Type III ANOVA (Wald F-tests of each term).

Why one model over all runs rather than per-pair t-tests: every run informs every effect,
and the residual spread is pooled across cells, so few seeds still give intervals. Why
Huber rather than least squares: a half-failed run would otherwise dominate (robust.py).
A diverged run enters at the study's worst completed value (layout.diverged_as_worst).
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from functools import cached_property
from itertools import combinations, product
from typing import Any

import numpy as np
import pandas as pd

from gan_bench.analysis.layout import Layout
from gan_bench.analysis.robust import MIN_ROBUST_DF, robust_fit, two_valued

CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE


@dataclass
class Fit:
    """One metric's Huber fit and how it was chosen."""

    metric: str
    result: Any  # statsmodels RegressionResults with the Huber fit, None when none was fitted
    factors: list[str]  # factors in the model (those with >= 2 observed levels)
    interactions: bool
    data: pd.DataFrame
    note: str
    grid: pd.DataFrame | None = None  # reference grid of level combinations, built once
    grid_matrix: np.ndarray | None = None  # its model matrix
    weights: np.ndarray | None = None  # each run's Huber weight (1 = full, less = outlying)
    rows: np.ndarray | None = None  # the index labels (in the runs given) of the runs fitted

    @property
    def df_resid(self) -> float:
        return float(self.result.df_resid) if self.result is not None else 0.0

    @property
    def sigma(self) -> float:
        """The pooled spread: the root of the Huber fit's variance factor (robust.py), what
        the mean squared residual is to OLS."""
        if self.result is None or self.df_resid <= 0:
            return math.nan
        return float(np.sqrt(self.result.scale))

    @cached_property
    def anova(self) -> pd.DataFrame:
        """Type III ANOVA (right for sum coding, also when missing runs unbalance it): the
        Wald F-test of each term on the robust covariance, with sums of squares on the
        robust spread (F x df x variance), so the table adds up as an OLS one does."""
        from statsmodels.stats.anova import anova_lm

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = anova_lm(self.result, typ=3)
        table["sum_sq"] = table["F"] * table["df"] * self.result.scale
        table.loc["Residual", "sum_sq"] = self.result.scale * self.df_resid
        table = table.drop(index="Intercept", errors="ignore").reset_index(names="term")
        table["term"] = [
            "Residual" if term == "Residual" else _term_label(term) for term in table["term"]
        ]
        return table.rename(columns={"PR(>F)": "p"})


TWO_VALUED_NOTE = (
    "least squares, not the robust fit: a metric with at most two values (0/1) has no outlying runs"
)


def formula(factors: list[str], interactions: bool) -> str:
    mains = [f"C({name}, Sum)" for name in factors]
    terms = list(mains)
    if interactions:
        terms += [f"{a}:{b}" for a, b in combinations(mains, 2)]
    return "y ~ " + (" + ".join(terms) if terms else "1")


def _categorical(values: list[str], levels: list[str]) -> pd.Categorical:
    return pd.Categorical(values, categories=levels)


def _huber_result(ols: Any) -> tuple[Any, np.ndarray]:
    """The OLS results with the Huber fit's coefficients and H1 covariance put in, so
    t_test, f_test and anova_lm read off the robust fit (t with the residual df), and
    each run's Huber weight."""
    from statsmodels.regression.linear_model import RegressionResults, RegressionResultsWrapper

    robust = robust_fit(ols.model.exog, ols.model.endog[:, None])
    result = RegressionResults(
        ols.model, robust.params[:, 0], normalized_cov_params=ols.normalized_cov_params
    )
    result.scale = float(robust.variance[0])  # else it is computed as ssr / df_resid
    return RegressionResultsWrapper(result), robust.weights[:, 0]


def fit_metric(runs: pd.DataFrame, layout: Layout, metric: str) -> Fit:
    """A Huber fit over every run of one metric: main effects, plus two-way interactions
    where the design separates them, the completed runs leave the model full rank (one empty
    cell of a factorial usually does) and the seeds leave residual degrees of freedom.
    `runs` holds the statistic's values (layout.statistic_runs: |x| for towards-zero)."""
    import statsmodels.formula.api as smf

    valid = runs[np.isfinite(runs[metric].astype(float))]
    data = pd.DataFrame({"y": valid[metric].astype(float).to_numpy()})
    factors = []
    for name, levels in layout.factors.items():
        present = [level for level in levels if (valid[name] == level).any()]
        if len(present) >= 2:
            data[name] = _categorical(list(valid[name]), present)
            factors.append(name)
    if len(data) == 0:
        return Fit(metric, None, [], False, data, "no completed run has this metric")
    missing = len(layout.cell_order) - valid["cell"].nunique()
    want_interactions = layout.separates_interactions and len(factors) >= 2
    notes = []
    for interactions in [True, False] if want_interactions else [False]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = smf.ols(formula(factors, interactions), data=data).fit()
        exog = result.model.exog
        full_rank = np.linalg.matrix_rank(exog) == exog.shape[1]
        if interactions and not full_rank:
            notes.append(
                f"{missing} cells have no completed run and the interactions cannot all be "
                "estimated without them, so interactions are not modelled"
            )
            continue
        if result.df_resid > 0:
            if interactions and missing:
                notes.append(
                    f"{missing} cells have no completed run; the model with interactions is "
                    "still full rank, so it keeps them (those cells' means are its predictions)"
                )
            break
        if interactions:
            notes.append(
                "with interactions the model leaves no residual degrees of freedom (one seed "
                "per cell), so two-way interactions are pooled into the error term: the "
                "intervals assume they are negligible"
            )
    if result.df_resid <= 0:
        notes.append("no residual degrees of freedom: effects have no interval")
    elif result.df_resid < MIN_ROBUST_DF:
        notes.append(
            f"least squares, not the robust fit: {result.df_resid:.0f} residual degrees of "
            f"freedom, fewer than the {MIN_ROBUST_DF} a robust spread needs (more seeds)"
        )
    elif two_valued(data["y"].to_numpy()[:, None])[0]:
        notes.append(TWO_VALUED_NOTE)
    robust, weights = _huber_result(result)
    fit = Fit(metric, robust, factors, interactions, data, "; ".join(notes))
    fit.weights, fit.rows = weights, valid.index.to_numpy()
    return fit


def _design_rows(result: Any, grid: pd.DataFrame) -> np.ndarray:
    """The model matrix for new rows, with the fitted formula's coding (patsy or formulaic)."""
    spec = result.model.data.model_spec
    if hasattr(spec, "get_model_matrix"):  # formulaic
        return np.asarray(spec.get_model_matrix(grid), dtype=float)
    from patsy import build_design_matrices

    return np.asarray(build_design_matrices([spec], grid)[0], dtype=float)


def _reference_grid(fit: Fit, layout: Layout) -> pd.DataFrame:
    """The level combinations that contrasts average over: every combination when
    interactions are modelled (an effect is then averaged over the other factors), else the
    baseline and each single change from it (in a main-effects model the others cancel)."""
    categories = {name: list(fit.data[name].cat.categories) for name in fit.factors}
    base = {
        name: layout.baseline[name] if layout.baseline[name] in levels else levels[0]
        for name, levels in categories.items()
    }
    if fit.interactions:
        combos = [dict(zip(categories, c, strict=True)) for c in product(*categories.values())]
    else:
        combos = [base] + [
            base | {name: level}
            for name, levels in categories.items()
            for level in levels
            if level != base[name]
        ]
    grid = pd.DataFrame(combos, columns=list(categories))
    for name, levels in categories.items():
        grid[name] = _categorical(list(grid[name]), levels)
    grid["y"] = 0.0
    return grid


def _contrast(fit: Fit, weights: list[tuple[float, dict[str, str]]], layout: Layout) -> np.ndarray:
    """A linear combination of mean predictions: each term averages the model matrix over
    the reference-grid rows that hold its fixed levels (others at baseline without
    interactions)."""
    if fit.grid is None:
        fit.grid = _reference_grid(fit, layout)
        fit.grid_matrix = _design_rows(fit.result, fit.grid)
    total = np.zeros(len(fit.result.params))
    for weight, fixed in weights:
        mask = np.ones(len(fit.grid), dtype=bool)
        for name in fit.factors:
            if name in fixed:
                mask &= (fit.grid[name] == fixed[name]).to_numpy()
            elif not fit.interactions:
                mask &= (fit.grid[name] == fit.grid[name].iloc[0]).to_numpy()  # baseline row
        total += weight * fit.grid_matrix[mask].mean(axis=0)
    return total


def _estimate(fit: Fit, contrast: np.ndarray) -> dict[str, Any]:
    """Estimate, SE, 95% CI and p of a contrast; NaN (with a reason) where it has none."""
    exog = fit.result.model.exog
    estimable = np.allclose(contrast @ np.linalg.pinv(exog) @ exog, contrast, atol=1e-8)
    if not estimable:
        nan = math.nan
        note = "not estimable: confounded in this design"
        return {"estimate": nan, "se": nan, "ci_low": nan, "ci_high": nan, "p": nan, "note": note}
    estimate = float(contrast @ fit.result.params.to_numpy())
    if fit.df_resid <= 0:
        note = "no interval: no residual degrees of freedom"
        nan = math.nan
        return {
            "estimate": estimate,
            "se": nan,
            "ci_low": nan,
            "ci_high": nan,
            "p": nan,
            "note": note,
        }
    test = fit.result.t_test(contrast[None, :])
    low, high = np.asarray(test.conf_int(alpha=ALPHA)).ravel()
    return {
        "estimate": estimate,
        "se": float(np.asarray(test.sd).ravel()[0]),
        "ci_low": float(low),
        "ci_high": float(high),
        "p": float(np.asarray(test.pvalue).ravel()[0]),
        "note": "",
    }


def holm(p_values: pd.Series) -> pd.Series:
    """Holm step-down adjusted p-values over the finite ones (NaN stays NaN).

    The same numbers as statsmodels' multipletests(method="holm") (tests check it), written
    out because that function runs a full gc.collect() per call: seconds on a big study."""
    adjusted = pd.Series(math.nan, index=p_values.index)
    finite = p_values.dropna()
    if len(finite):
        order = np.argsort(finite.to_numpy(), kind="stable")
        ranked = finite.to_numpy()[order] * np.arange(len(finite), 0, -1)
        stepped = np.minimum(1.0, np.maximum.accumulate(ranked))
        values = np.empty(len(finite))
        values[order] = stepped
        adjusted[finite.index] = values
    return adjusted


def effects_for(fit: Fit, layout: Layout, runs: pd.DataFrame) -> list[dict[str, Any]]:
    """Each non-baseline level of each factor against the baseline level, for one metric."""
    rows = []
    seeds_per_cell = len(fit.data) / max(1, runs["cell"].nunique())
    for name, levels in layout.factors.items():
        base = layout.baseline[name]
        for level in levels:
            if level == base:
                continue
            row = {
                "metric": fit.metric,
                "factor": name,
                "level": level,
                "baseline": base,
                "n_level": int(
                    np.isfinite(runs.loc[runs[name] == level, fit.metric].astype(float)).sum()
                ),
                "n_baseline": int(
                    np.isfinite(runs.loc[runs[name] == base, fit.metric].astype(float)).sum()
                ),
            }
            missing = [lv for lv in (level, base) if not row[f"n_{_side(lv, base)}"]]
            if fit.result is None or name not in fit.factors or missing:
                reason = f"no completed run at {name} = {', '.join(missing)}"
                if fit.result is None:
                    reason = fit.note
                nan = math.nan
                row |= {
                    "estimate": nan,
                    "se": nan,
                    "ci_low": nan,
                    "ci_high": nan,
                    "p": nan,
                    "note": reason,
                }
            else:
                contrast = _contrast(fit, [(1.0, {name: level}), (-1.0, {name: base})], layout)
                row |= _estimate(fit, contrast)
            row |= {"df_resid": fit.df_resid, "sigma": fit.sigma, "seeds_per_cell": seeds_per_cell}
            rows.append(row)
    return rows


def _side(level: str, base: str) -> str:
    return "baseline" if level == base else "level"


def interactions_for(fit: Fit, layout: Layout) -> list[dict[str, Any]]:
    """Two-way interactions: the ANOVA F-test of each pair and, for 2x2 pairs, the
    difference of differences (level - baseline of A, at B's level minus at B's baseline)."""
    if fit.result is None or not fit.interactions:
        return []
    anova = fit.anova
    rows = []
    for a, b in combinations(fit.factors, 2):
        term = anova[anova["term"] == f"{a} × {b}"].iloc[0]
        row = {
            "metric": fit.metric,
            "factor_a": a,
            "factor_b": b,
            "df": term["df"],
            "F": term["F"],
            "p": term["p"],
        }
        levels_a, levels_b = list(fit.data[a].cat.categories), list(fit.data[b].cat.categories)
        if len(levels_a) == 2 and len(levels_b) == 2:
            a0, b0 = layout.baseline[a], layout.baseline[b]
            a1 = next(level for level in levels_a if level != a0)
            b1 = next(level for level in levels_b if level != b0)
            weights = [
                (1.0, {a: a1, b: b1}),
                (-1.0, {a: a1, b: b0}),
                (-1.0, {a: a0, b: b1}),
                (1.0, {a: a0, b: b0}),
            ]
            estimate = _estimate(fit, _contrast(fit, weights, layout))
            row |= {"level_a": a1, "level_b": b1} | {
                key: estimate[key] for key in ("estimate", "se", "ci_low", "ci_high")
            }
        else:
            row |= {
                "level_a": "",
                "level_b": "",
                "estimate": math.nan,
                "se": math.nan,
                "ci_low": math.nan,
                "ci_high": math.nan,
            }
        rows.append(row)
    return rows


def _term_label(term: str) -> str:
    return " × ".join(re.findall(r"C\((\w+), Sum\)", term)) or term


def anova_for(fit: Fit) -> pd.DataFrame:
    """The ANOVA table of one metric, with Holm-adjusted p over its terms."""
    table = fit.anova.copy()
    table.insert(0, "metric", fit.metric)
    table["p_holm"] = holm(table["p"])
    return table


EFFECT_COLUMNS = [
    "metric", "factor", "level", "baseline", "n_level", "n_baseline", "estimate", "se",
    "ci_low", "ci_high", "p", "p_holm", "df_resid", "sigma", "seeds_per_cell", "note",
]  # fmt: skip
INTERACTION_COLUMNS = [
    "metric", "factor_a", "factor_b", "level_a", "level_b", "estimate", "se", "ci_low",
    "ci_high", "df", "F", "p", "p_holm",
]  # fmt: skip
