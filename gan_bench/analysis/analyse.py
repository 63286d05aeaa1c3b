"""Runs -> summary.csv -> statistics that carry their uncertainty.

GAN metrics move a lot from seed to seed, so every number here comes with a 95% interval
or says why it has none. The pieces, each a plain DataFrame so tables and figures can share
them: per-cell means with t-intervals over seeds; per-factor effects (each level against the
baseline level) from one robust (Huber) linear model over all runs with sum (deviation)
coding, a diverged run counted as the worst completed one, Holm-corrected
across the study's factors; two-way interactions and a Type III ANOVA where the design
separates them (full factorial, or a fractional design of resolution V or more); divergence
rates; each claim's effect at the recommended configuration and at each level of the
factors it interacts with (conditional.py); and the claim-vs-evidence verdicts with the seeds
a decision would need.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from gan_bench.analysis.choices import primary_column, sesoi_settings
from gan_bench.analysis.claims import claims_table
from gan_bench.analysis.conditional import (
    CONDITIONAL_COLUMNS,
    conditional_for,
    interaction_share,
    partners,
    split_holm,
)
from gan_bench.analysis.equivalence import baseline_level, margin
from gan_bench.analysis.layout import (
    Layout,
    cell_label,
    confirmatory_claims,
    diverged_as_worst,
    layout_for,
    metric_columns,
    statistic_runs,
    tidy_runs,
)
from gan_bench.analysis.linear_model import (
    CONFIDENCE,
    EFFECT_COLUMNS,
    INTERACTION_COLUMNS,
    Fit,
    anova_for,
    effects_for,
    fit_metric,
    formula,
    holm,
    interactions_for,
)
from gan_bench.score.registry import MetricColumn
from gan_bench.study.design import DesignRecord
from gan_bench.study.study_file import Study

ONE_SEED = "n/a — one seed"
NO_RUNS = "n/a — no completed run"
DIVERGED_RULE = (
    "A diverged run has no metrics of its own; the effects, interactions and verdicts count "
    "it as the study's worst completed run on every metric (it ranks last, and the robust "
    "fit bounds its pull), so a level cannot look better by losing its worst runs. Cell and "
    "level means are over completed runs only, and the divergence rate of every cell and "
    "level is shown beside them."
)

# --------------------------------------------------------------------------- cells


def t_interval(values: np.ndarray) -> tuple[float, float, float, str]:
    """Mean, 95% t-interval over seeds and a note; no interval is made up from one value."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return math.nan, math.nan, math.nan, NO_RUNS
    mean = float(values.mean())
    if len(values) == 1:
        return mean, math.nan, math.nan, ONE_SEED
    sem = float(stats.sem(values))
    if sem == 0:
        return mean, mean, mean, ""
    low, high = stats.t.interval(CONFIDENCE, df=len(values) - 1, loc=mean, scale=sem)
    return mean, float(low), float(high), ""


def cell_stats(runs: pd.DataFrame, layout: Layout, metrics: list[str]) -> pd.DataFrame:
    """Per cell and metric: runs, completed values, mean, sd, 95% t-interval over seeds."""
    rows = []
    for cell in layout.cell_order:
        group = runs[runs["cell"] == cell]
        levels = {name: group[name].iloc[0] for name in layout.factors}
        for metric in metrics:
            values = group[metric].to_numpy(dtype=float)
            mean, low, high, note = t_interval(values)
            finite = values[np.isfinite(values)]
            rows.append(
                {"cell": cell, **levels, "label": cell_label({"cell": cell, **levels}, layout)}
                | {
                    "metric": metric,
                    "runs": len(group),
                    "diverged": int(group["diverged"].sum()),
                    "n": len(finite),
                    "mean": mean,
                    "sd": float(finite.std(ddof=1)) if len(finite) > 1 else math.nan,
                    "ci_low": low,
                    "ci_high": high,
                    "half_width": (high - low) / 2 if np.isfinite(low) else math.nan,
                    "note": note,
                }
            )
    return pd.DataFrame(rows)


def level_stats(runs: pd.DataFrame, layout: Layout, metrics: list[str]) -> pd.DataFrame:
    """Per factor level and metric: the raw mean and t-interval over every run at that level."""
    rows = []
    for name, levels in layout.factors.items():
        for level in levels:
            group = runs[runs[name] == level]
            if group.empty:
                continue
            for metric in metrics:
                values = group[metric].to_numpy(dtype=float)
                mean, low, high, note = t_interval(values)
                rows.append(
                    {
                        "factor": name,
                        "level": level,
                        "baseline": level == layout.baseline[name],
                        "metric": metric,
                        "runs": len(group),
                        "diverged": int(group["diverged"].sum()),
                        "n": int(np.isfinite(values).sum()),
                        "mean": mean,
                        "ci_low": low,
                        "ci_high": high,
                        "half_width": (high - low) / 2 if np.isfinite(low) else math.nan,
                        "note": note,
                    }
                )
    return pd.DataFrame(rows)


def divergence(runs: pd.DataFrame, layout: Layout) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Divergence rate per cell and per factor level (with the steps where runs diverged)."""

    def summarise(group: pd.DataFrame) -> dict[str, Any]:
        steps = group.loc[group["diverged"], "step"] if "step" in group else pd.Series()
        return {
            "runs": len(group),
            "diverged": int(group["diverged"].sum()),
            "rate": float(group["diverged"].mean()),
            "diverged_at": ", ".join(str(int(s)) for s in steps.dropna()),
        }

    per_cell = []
    for cell in layout.cell_order:
        group = runs[runs["cell"] == cell]
        levels = {name: group[name].iloc[0] for name in layout.factors}
        label = cell_label({"cell": cell, **levels}, layout)
        per_cell.append({"cell": cell, "label": label, **levels} | summarise(group))
    per_level = [
        {"factor": name, "level": level} | summarise(runs[runs[name] == level])
        for name, levels in layout.factors.items()
        for level in levels
        if (runs[name] == level).any()
    ]
    return pd.DataFrame(per_cell), pd.DataFrame(per_level)


# --------------------------------------------------------------------------- everything at once

OUTLIER_WEIGHT = 0.5  # a run the robust fit weighs below this is named as an outlier
OUTLIER_COLUMNS = ["metric", "cell", "label", "seed", "value", "weight"]


def outliers_of(fit: Fit, runs: pd.DataFrame, layout: Layout) -> list[dict[str, Any]]:
    """The completed runs the Huber fit weighs below OUTLIER_WEIGHT (beyond 2 x HUBER_T = 4 robust
    SDs off their fit): a half-failed run, or one whose cell's others are; named in the
    report with their samples, so a reader can see what the fit discounted."""
    if fit.weights is None or fit.rows is None:
        return []
    rows = []
    for index, weight in zip(fit.rows, fit.weights, strict=True):
        run = runs.loc[index]
        if weight < OUTLIER_WEIGHT and not run["diverged"]:
            levels = {"cell": run["cell"]} | {name: run[name] for name in layout.factors}
            rows.append(
                {
                    "metric": fit.metric,
                    "cell": run["cell"],
                    "label": cell_label(levels, layout),
                    "seed": int(run["seed"]),
                    "value": float(run[fit.metric]),
                    "weight": float(weight),
                }
            )
    return rows


def _fit_all(
    runs: pd.DataFrame,
    layout: Layout,
    columns: dict[str, MetricColumn],
    look_share: float,
    primary: str | None,
    judged_on: list[str],
) -> tuple[list, list, list, list, list, list]:
    """Per metric (on its statistic's values): effects, interactions, ANOVA, the model, the
    claims' conditional effects (recommended configuration, per level of the others); and
    the primary metric's outlying runs. `judged_on`: the metrics of the confirmatory claims,
    whose interaction families split the interactions' share (interaction_share)."""
    effects, interactions, anovas, models, conditional, outliers = [], [], [], [], [], []
    for metric, column in columns.items():
        fit = fit_metric(runs, layout, metric)
        if metric == primary:
            outliers += outliers_of(fit, runs, layout)
        mine = effects_for(fit, layout, runs)
        effects += mine
        pairs = interactions_for(fit, layout)
        adjusted = split_holm(
            pd.Series([r["p"] for r in pairs], dtype=float),
            interaction_share(metric, judged_on) * look_share,
        )
        decided = {
            name: partners(name, _pair_p(pairs, list(adjusted), name)) for name in layout.factors
        }
        conditional += conditional_for(fit, layout, mine, decided)
        interactions += pairs
        if fit.df_resid > 0 and layout.separates_interactions and fit.factors:
            anovas.append(anova_for(fit))
        models.append(
            {
                "metric": metric,
                "formula": formula(fit.factors, fit.interactions).replace("y", column.label, 1),
                "runs": len(fit.data),
                "df_resid": fit.df_resid,
                "sigma": fit.sigma,
                "interactions": fit.interactions,
                "note": fit.note,
            }
        )
    return effects, interactions, anovas, models, conditional, outliers


def _pair_p(pairs: list[dict[str, Any]], adjusted: list[float], name: str) -> dict[str, float]:
    """The adjusted p of each interaction of factor `name`, by its partner."""
    out = {}
    for row, p in zip(pairs, adjusted, strict=True):
        if name in (row["factor_a"], row["factor_b"]):
            out[row["factor_b"] if row["factor_a"] == name else row["factor_a"]] = p
    return out


def baseline_means(runs: pd.DataFrame, layout: Layout, names: list[str]) -> dict[str, float]:
    """Per metric, what a relative SESOI is a share of (equivalence.baseline_level: the
    median of the baseline cell's completed runs' statistic, else of every run's)."""
    at_base = np.ones(len(runs), dtype=bool)
    for name in layout.factors:
        at_base &= (runs[name] == layout.baseline[name]).to_numpy()
    return {name: float(baseline_level(runs[name].to_numpy(float), at_base)) for name in names}


@dataclass
class Analysis:
    """Every statistic of a study, as DataFrames the tables and figures read."""

    layout: Layout
    runs: pd.DataFrame
    columns: dict[str, MetricColumn]  # metric column name -> what it is (the registry's)
    cells: pd.DataFrame
    levels: pd.DataFrame
    effects: pd.DataFrame
    interactions: pd.DataFrame
    anova: pd.DataFrame
    claims: pd.DataFrame
    divergence_cells: pd.DataFrame
    divergence_levels: pd.DataFrame
    models: pd.DataFrame  # per metric: formula, runs, residual df, sigma, note
    conditional: pd.DataFrame  # per claim: effect at the recommended config, per other level

    @property
    def metrics(self) -> list[str]:
        """The metric columns' names, in summary.csv order."""
        return list(self.columns)

    primary: str | None = None  # the primary metric (layout.primary_column), if any
    # (metric, factor) of every confirmatory claim (layout.confirmatory_claims)
    confirmatory: list[tuple[str, str]] = field(default_factory=list)
    sesoi_set: dict[str, float] = field(default_factory=dict)  # the study's analysis.sesoi
    look_share: float = 1.0  # the share of the 5% error rate these verdicts spend
    # the primary metric's outlying runs (outliers_of)
    outliers: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=OUTLIER_COLUMNS))

    @property
    def judged_on(self) -> list[str]:
        """The metrics confirmatory claims are judged on, the primary one first."""
        found = list(dict.fromkeys(metric for metric, _ in self.confirmatory))
        return sorted(found, key=lambda metric: metric != self.primary)

    @property
    def judged_claims(self) -> pd.DataFrame:
        """The confirmatory claim rows (the only ones with verdict words), those on the
        primary metric first, then each dynamics metric's."""
        claims = self.claims[self.claims["confirmatory"].astype(bool)]
        order = {metric: k for k, metric in enumerate(self.judged_on)}
        return claims.sort_values("metric", key=lambda m: m.map(order), kind="stable")


def _adjusted(rows: list[dict[str, Any]], columns: list[str], adjust: Any) -> pd.DataFrame:
    """The rows as a frame with `p_holm` = adjust(p, metric) within each metric."""
    frame = pd.DataFrame(rows, columns=[c for c in columns if c != "p_holm"])
    frame["p_holm"] = math.nan
    for metric, index in frame.groupby("metric").groups.items():
        frame.loc[index, "p_holm"] = adjust(frame.loc[index, "p"], metric)
    return frame[columns]


def _interaction_frame(
    rows: list[dict[str, Any]], judged_on: list[str], look_share: float
) -> pd.DataFrame:
    """The interactions with `p_holm`: Holm within each metric in its share of the error
    rate (conditional.interaction_share among `judged_on`, times `look_share`)."""
    return _adjusted(
        rows,
        INTERACTION_COLUMNS,
        lambda p, metric: split_holm(p, interaction_share(metric, judged_on) * look_share),
    )


def analyse(
    frame: pd.DataFrame,
    study: Study,
    design: DesignRecord | None = None,
    *,
    metrics: list[MetricColumn],
    look_share: float = 1.0,
) -> Analysis:
    """All statistics of a summary.csv frame whose metric columns are `metrics` (from
    metrics.json, see gan_bench.analysis.summary.read_metric_columns). The study supplies the
    baseline, and its design (design.json as aggregate wrote it; by default the study's own)
    the typed levels of every cell, so nothing is guessed from the CSV's text. `look_share`
    (0 < share <= 1): the share of the 5% error rate one look of a sequential study spends
    (adjusted p-values are divided by it, so they are still read against 0.05)."""
    if not 0 < look_share <= 1:
        raise ValueError(f"look_share must be in (0, 1], got {look_share}")
    layout = layout_for(frame, study, design or DesignRecord.of(study))
    names = metric_columns(frame, metrics)
    columns = {name: next(c for c in metrics if c.name == name) for name in names}
    primary = getattr(primary_column(study, list(columns.values())), "name", None)
    confirmatory = confirmatory_claims(list(layout.factors), list(columns.values()), primary)
    judged_on = list(dict.fromkeys(metric for metric, _ in confirmatory))
    settings = sesoi_settings(study)
    runs = tidy_runs(frame, layout, names)
    statistics = statistic_runs(runs, columns)
    effects, interactions, anovas, models, conditional, outliers = _fit_all(
        diverged_as_worst(statistics, columns), layout, columns, look_share, primary, judged_on
    )
    means = baseline_means(statistics, layout, names)
    margins = {name: margin(columns[name], settings, means[name]) for name in names}
    effects_frame = _adjusted(effects, EFFECT_COLUMNS, lambda p, _: holm(p))
    inter_frame = _interaction_frame(interactions, judged_on, look_share)
    div_cells, div_levels = divergence(runs, layout)
    conditional_frame = pd.DataFrame(conditional, columns=CONDITIONAL_COLUMNS)
    claims = claims_table(
        effects_frame, div_levels, columns, conditional_frame, inter_frame, confirmatory,
        margins, look_share,
    )  # fmt: skip
    return Analysis(
        layout=layout,
        runs=runs,
        columns=columns,
        cells=cell_stats(runs, layout, names),
        levels=level_stats(runs, layout, names),
        effects=effects_frame,
        interactions=inter_frame,
        anova=pd.concat(anovas, ignore_index=True) if anovas else pd.DataFrame(),
        claims=claims,
        divergence_cells=div_cells,
        divergence_levels=div_levels,
        models=pd.DataFrame(models),
        conditional=conditional_frame,
        primary=primary,
        confirmatory=confirmatory,
        sesoi_set=settings,
        look_share=look_share,
        outliers=pd.DataFrame(outliers, columns=OUTLIER_COLUMNS),
    )
