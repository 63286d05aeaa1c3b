"""One study's tables, read off the engine's arrays (replicate 0 of verdicts.Fits): the
effects, the claims with their verdicts, the interactions, the Wald tests of every term,
the conditional effects, the models and the outlying runs. Nothing here computes a
statistic; it names, labels and explains what the engine measured.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from gan_bench.analysis.engine import terms_of
from gan_bench.analysis.layout import Layout, cell_label
from gan_bench.analysis.model import conditions
from gan_bench.analysis.robust import LEAST_SQUARES, MIN_ROBUST_DF
from gan_bench.analysis.verdicts import Fits, holm
from gan_bench.score.registry import MetricColumn

RECOMMENDED = ""  # the `by` of a recommended-configuration row in the conditional table
NUMBERS = ["estimate", "se", "ci_low", "ci_high", "p"]
EFFECT_COLUMNS = [
    "metric", "factor", "level", "baseline", "n_level", "n_baseline", *NUMBERS, "p_holm",
    "df", "df_resid", "sigma", "seeds_per_cell", "note",
]  # fmt: skip
INTERACTION_COLUMNS = [
    "metric", "factor_a", "factor_b", "level_a", "level_b", "estimate", "se", "ci_low",
    "ci_high", "df", "df_denom", "F", "p", "p_holm",
]  # fmt: skip
ANOVA_COLUMNS = ["metric", "term", "df", "df_denom", "F", "p", "p_holm"]
CONDITIONAL_COLUMNS = [
    "metric", "factor", "level", "baseline", "by", "by_level", *NUMBERS, "p_holm",
]  # fmt: skip
OUTLIER_WEIGHT = 0.5  # a run the robust fit weighs below this is named as an outlier
OUTLIER_COLUMNS = ["metric", "cell", "label", "seed", "value", "weight"]


def _value(fits: Fits, key: str, m: int, k: int) -> float:
    return float(fits[key][0, m, k])


def _effect_note(fits: Fits, runs: pd.DataFrame, m: int, k: int) -> str:
    """Why an effect has no estimate or no interval ("" when it has both)."""
    factor, level, base = fits.effects[k]
    metric = fits.metrics[m]
    if fits.measured.model_of[0, m] < 0:
        return "no completed run has this metric"
    counted = np.isfinite(runs[metric].to_numpy(float))
    missing = [lv for lv in (level, base) if not (counted & (runs[factor] == lv)).any()]
    if missing:
        return f"no completed run at {factor} = {', '.join(missing)}"
    if not np.isfinite(_value(fits, "estimate", m, k)):
        return "not estimable: confounded in this design"
    if not np.isfinite(_value(fits, "se", m, k)):
        return "no interval: no residual degrees of freedom"
    return ""


def seeds_per_cell(fits: Fits, m: int) -> float:
    """Runs in the metric's fit per cell that has one."""
    model = fits.measured.model_of[0, m]
    if model < 0:
        return math.nan
    rows = fits.measured.models[model].rows
    return float(rows.sum() / len(np.unique(fits.setting.run_cells[rows])))


def effects_frame(fits: Fits, runs: pd.DataFrame) -> pd.DataFrame:
    """Each factor level against its baseline, for every metric: the average effect."""
    rows = []
    for m, metric in enumerate(fits.metrics):
        counted = np.isfinite(runs[metric].to_numpy(float))
        for k, (factor, level, base) in enumerate(fits.effects):
            rows.append(
                {"metric": metric, "factor": factor, "level": level, "baseline": base}
                | {"n_level": int((counted & (runs[factor] == level)).sum())}
                | {"n_baseline": int((counted & (runs[factor] == base)).sum())}
                | {key: _value(fits, key, m, k) for key in (*NUMBERS, "df")}
                | {"p_holm": float(fits.p_holm[0, m, k])}
                | {"df_resid": _value(fits, "df_resid", m, 0), "sigma": _value(fits, "sigma", m, 0)}
                | {"seeds_per_cell": seeds_per_cell(fits, m)}
                | {"note": _effect_note(fits, runs, m, k)}
            )
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def interactions_frame(fits: Fits) -> pd.DataFrame:
    """Each modelled pair's Wald test and, for two two-level factors, the difference of
    differences (level - baseline of A, at B's level minus at B's baseline)."""
    rows = []
    layout = fits.setting.layout
    first = len(layout.factors)  # engine.terms_of: the factors, then the pairs
    for m, metric in enumerate(fits.metrics):
        for k, (a, b) in enumerate(fits.pairs):
            if not np.isfinite(_value(fits, "term_F", m, first + k)):
                continue
            two = np.isfinite(_value(fits, "inter_estimate", m, k))
            rows.append(
                {"metric": metric, "factor_a": a, "factor_b": b}
                | {"level_a": layout.factors[a][1] if two else ""}
                | {"level_b": layout.factors[b][1] if two else ""}
                | {key: _value(fits, "inter_" + key, m, k) for key in NUMBERS[:4]}
                | {"df": _value(fits, "term_df", m, first + k)}
                | {"df_denom": _value(fits, "term_df2", m, first + k)}
                | {"F": _value(fits, "term_F", m, first + k)}
                | {"p": _value(fits, "term_p", m, first + k)}
                | {"p_holm": float(fits.inter_p_holm[0, m, k])}
            )
    return pd.DataFrame(rows, columns=INTERACTION_COLUMNS)


def anova_frame(fits: Fits) -> pd.DataFrame:
    """Every modelled term's Wald F-test on the sandwich variance (Holm over the metric's
    terms): the analysis-of-variance table of a model whose cells may scatter unequally,
    so it has no additive sums of squares."""
    names = list(fits.setting.layout.factors)
    labels = [" × ".join(names[f] for f in term) for term in _terms(fits)]
    rows = []
    if not fits.setting.layout.separates_interactions:
        return pd.DataFrame(rows, columns=ANOVA_COLUMNS)  # one-at-a-time: effects say it all
    for m, metric in enumerate(fits.metrics):
        kept = np.flatnonzero(np.isfinite(fits["term_F"][0, m]))
        if not len(kept):
            continue
        p = fits["term_p"][0, m, kept]
        adjusted = holm(p)
        for t, p_holm in zip(kept, adjusted, strict=True):
            rows.append(
                {"metric": metric, "term": labels[t], "df": _value(fits, "term_df", m, t)}
                | {"df_denom": _value(fits, "term_df2", m, t), "F": _value(fits, "term_F", m, t)}
                | {"p": _value(fits, "term_p", m, t), "p_holm": float(p_holm)}
            )
    return pd.DataFrame(rows, columns=ANOVA_COLUMNS)


def _terms(fits: Fits) -> list[tuple[int, ...]]:
    return terms_of(fits.setting)


def conditional_frame(fits: Fits) -> pd.DataFrame:
    """Per claim: its effect with every other factor at its recommended level (`by` empty)
    and at each level of each other factor (`by`, `by_level`), averaged over the rest;
    p_holm is the adjusted p of the claim's crossover test on `by` (verdicts.crossover_p),
    the same for each of its levels."""
    layout = fits.setting.layout
    names = list(layout.factors)
    keys = conditions(layout)
    rows = []
    for m, metric in enumerate(fits.metrics):
        for k, (factor, level, base) in enumerate(fits.effects):
            head = {"metric": metric, "factor": factor, "level": level, "baseline": base}
            rec = {key: _value(fits, "rec_" + key, m, k) for key in NUMBERS}
            rows.append(head | {"by": RECOMMENDED, "by_level": ""} | rec | {"p_holm": math.nan})
            for c, (owner, other, value) in enumerate(keys):
                if owner != k or not np.isfinite(_value(fits, "cond_estimate", m, c)):
                    continue
                numbers = {key: _value(fits, "cond_" + key, m, c) for key in NUMBERS}
                by = {"by": names[other], "by_level": layout.factors[names[other]][value]}
                crossing = float(fits.cross_p_holm[0, m, k, other])
                rows.append(head | by | numbers | {"p_holm": crossing})
    return pd.DataFrame(rows, columns=CONDITIONAL_COLUMNS)


def formula(factors: list[str], interactions: bool, response: str = "y") -> str:
    """The model in Wilkinson notation (sum-coded factors, two-way products)."""
    mains = [f"C({name}, Sum)" for name in factors]
    terms = list(mains)
    if interactions:
        terms += [f"{a}:{b}" for k, a in enumerate(mains) for b in mains[k + 1 :]]
    return f"{response} ~ " + (" + ".join(terms) if terms else "1")


def _model_note(fits: Fits, m: int) -> str:
    """How the metric's model was chosen, where it is not the plain robust fit with
    interactions: missing cells, pooled interactions, no residual df, least squares."""
    index = fits.measured.model_of[0, m]
    if index < 0:
        return "no completed run has this metric"
    model = fits.measured.models[index]
    layout = fits.setting.layout
    missing = len(layout.cell_order) - len(np.unique(fits.setting.run_cells[model.rows]))
    notes = []
    wanted = layout.separates_interactions and len(model.factors) >= 2
    if wanted and not model.interactions and missing:
        notes.append(
            f"{missing} cells have no completed run and the interactions cannot all be "
            "estimated without them, so interactions are not modelled"
        )
    elif wanted and not model.interactions:
        notes.append(
            "with interactions the model leaves no residual degrees of freedom (one seed "
            "per cell), so two-way interactions are pooled into the error term: the "
            "intervals assume they are negligible"
        )
    elif model.interactions and missing:
        notes.append(
            f"{missing} cells have no completed run; the model with interactions is "
            "still full rank, so it keeps them (those cells' means are its predictions)"
        )
    df = model.df_resid
    reason = str(fits["reason"][0, m, 0])
    if df <= 0:
        notes.append("no residual degrees of freedom: effects have no interval")
    elif reason == "df":
        notes.append(
            f"least squares, not the robust fit: {df} residual degrees of freedom, fewer "
            f"than the {MIN_ROBUST_DF} a robust spread needs (more seeds)"
        )
    elif reason:
        notes.append(f"least squares, not the robust fit: {LEAST_SQUARES[reason]}")
    return "; ".join(notes)


def models_frame(fits: Fits, columns: dict[str, MetricColumn]) -> pd.DataFrame:
    """Per metric: the model fitted, its runs, residual df, spread and how it was chosen."""
    names = list(fits.setting.layout.factors)
    rows = []
    for m, metric in enumerate(fits.metrics):
        index = fits.measured.model_of[0, m]
        model = fits.measured.models[index] if index >= 0 else None
        factors = [names[f] for f in model.factors] if model else []
        interactions = bool(model and model.interactions)
        rows.append(
            {"metric": metric, "formula": formula(factors, interactions, columns[metric].label)}
            | {"runs": int(model.rows.sum()) if model else 0}
            | {"df_resid": float(model.df_resid) if model else 0.0}
            | {"sigma": _value(fits, "sigma", m, 0), "interactions": interactions}
            | {"note": _model_note(fits, m)}
        )
    return pd.DataFrame(rows)


def outliers_frame(fits: Fits, runs: pd.DataFrame, layout: Layout, metric: str) -> pd.DataFrame:
    """The completed runs the robust fit of `metric` weighs below OUTLIER_WEIGHT (beyond
    2 x HUBER_T = 4 robust SDs off their fit): a half-failed run, or one whose cell's
    others are; named in the report with their samples, so a reader sees what the fit
    discounted."""
    if metric not in fits.metrics:
        return pd.DataFrame(columns=OUTLIER_COLUMNS)
    weights = fits["weights"][0, fits.metrics.index(metric)]
    rows: list[dict[str, Any]] = []
    for position, weight in enumerate(weights):
        run = runs.iloc[position]
        if np.isfinite(weight) and weight < OUTLIER_WEIGHT and not run["diverged"]:
            levels = {"cell": run["cell"]} | {name: run[name] for name in layout.factors}
            rows.append(
                {"metric": metric, "cell": run["cell"], "label": cell_label(levels, layout)}
                | {"seed": int(run["seed"]), "value": float(run[metric]), "weight": float(weight)}
            )
    return pd.DataFrame(rows, columns=OUTLIER_COLUMNS)
