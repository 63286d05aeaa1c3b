"""Runs -> summary.csv -> statistics that carry their uncertainty.

GAN metrics move a lot from seed to seed, so every number here comes with a 95% interval
or says why it has none. Per-cell and per-level means with t-intervals over seeds and the
divergence rates are computed here; everything else (effects, interactions, Wald tests,
conditional effects, verdicts) comes from the one engine (model.py, robust.py,
inference.py, engine.py, verdicts.py) with the study as its one replicate, and frames.py
and claim_table.py lay it out as tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from gan_bench.analysis.claim_table import claims_frame
from gan_bench.analysis.engine import DIVERGED_RULE
from gan_bench.analysis.frames import (
    OUTLIER_COLUMNS,
    anova_frame,
    conditional_frame,
    effects_frame,
    interactions_frame,
    models_frame,
    outliers_frame,
)
from gan_bench.analysis.inference import CONFIDENCE
from gan_bench.analysis.layout import Layout, cell_label, layout_for, metric_columns, tidy_runs
from gan_bench.analysis.model import setting_of
from gan_bench.analysis.verdicts import judge
from gan_bench.score.registry import MetricColumn
from gan_bench.study.design import DesignRecord
from gan_bench.study.study_file import Study

__all__ = ["DIVERGED_RULE", "Analysis", "analyse"]

ONE_SEED = "n/a — one seed"
NO_RUNS = "n/a — no completed run"

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
    design = design or DesignRecord.of(study)
    layout = layout_for(frame, study, design)
    names = metric_columns(frame, metrics)
    columns = {name: next(c for c in metrics if c.name == name) for name in names}
    runs = tidy_runs(frame, layout, names).reset_index(drop=True)
    setting = setting_of(study, design, list(columns.values()), runs)
    values = runs[names].to_numpy(float).reshape(1, len(runs), len(names))
    fits = judge(setting, values, look_share, runs["diverged"].to_numpy(bool)[None])
    effects = effects_frame(fits, runs)
    div_cells, div_levels = divergence(runs, layout)
    primary = setting.primary or None
    return Analysis(
        layout=layout,
        runs=runs,
        columns=columns,
        cells=cell_stats(runs, layout, names),
        levels=level_stats(runs, layout, names),
        effects=effects,
        interactions=interactions_frame(fits),
        anova=anova_frame(fits),
        claims=claims_frame(fits, columns, div_levels, effects["note"]),
        divergence_cells=div_cells,
        divergence_levels=div_levels,
        models=models_frame(fits, columns),
        conditional=conditional_frame(fits),
        primary=primary,
        confirmatory=setting.confirmatory,
        sesoi_set=setting.sesoi,
        look_share=look_share,
        outliers=outliers_frame(fits, runs, layout, primary or ""),
    )
