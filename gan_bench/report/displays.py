"""The report page's tables besides the ablation and claim tables (claim_display.py):
effects, interactions, the Wald tests of every term (ANOVA), divergences and models, as
display frames of formatted text, the number formats they share, and the metrics'
description for the Methods section (from the metric registry).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gan_bench.analysis.analyse import Analysis
from gan_bench.analysis.inference import ALPHA
from gan_bench.analysis.verdicts import interaction_share
from gan_bench.report.tables import decimals_for


def p_text(p: float) -> str:
    if not np.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def ci_text(estimate: float, low: float, high: float, decimals: int) -> str:
    if not np.isfinite(estimate):
        return "n/a"
    if not np.isfinite(low):
        return f"{estimate:+.{decimals}f} [no CI]"
    return f"{estimate:+.{decimals}f} [{low:+.{decimals}f}, {high:+.{decimals}f}]"


def effect_decimals(frame: pd.DataFrame) -> dict[str, int]:
    """Per metric, the decimals that give its effects' typical interval two digits."""
    halves = (frame["ci_high"] - frame["ci_low"]) / 2
    return {
        metric: decimals_for(halves[group.index], group["estimate"])
        for metric, group in frame.groupby("metric")
    }


def html_table(frame: pd.DataFrame, table_id: str, caption: str = "") -> str:
    """A plain HTML table (pandas Styler), every value escaped."""
    styler = (
        frame.style.hide(axis="index").format(escape="html").format_index(escape="html", axis=1)
    )
    styler = styler.set_uuid(table_id)
    if caption:
        styler = styler.set_caption(caption)
    return styler.to_html(table_attributes=f'class="data" data-table="{table_id}"')


def versus(rows: pd.DataFrame) -> list[str]:
    """'level vs baseline' labels of effect or claim rows."""
    return [f"{lv} vs {b}" for lv, b in zip(rows["level"], rows["baseline"], strict=True)]


def effects_display(analysis: Analysis) -> pd.DataFrame:
    decimals = effect_decimals(analysis.effects)
    effects = analysis.effects
    return pd.DataFrame(
        {
            "metric": [analysis.columns[m].label for m in effects["metric"]],
            "factor": effects["factor"],
            "level vs baseline": versus(effects),
            "runs (level / baseline)": [
                f"{a} / {b}" for a, b in zip(effects["n_level"], effects["n_baseline"], strict=True)
            ],
            "effect [95% CI]": [
                ci_text(r.estimate, r.ci_low, r.ci_high, decimals.get(r.metric, 2))
                for r in effects.itertuples()
            ],
            "df": [df_text(v) for v in effects["df"]],
            "p": [p_text(p) for p in effects["p"]],
            "p (Holm)": [p_text(p) for p in effects["p_holm"]],
            "note": effects["note"],
        }
    )


def interactions_display(analysis: Analysis) -> pd.DataFrame:
    decimals = effect_decimals(analysis.interactions)
    table = analysis.interactions
    return pd.DataFrame(
        {
            "metric": [analysis.columns[m].label for m in table["metric"]],
            "role": [interaction_role(analysis, m) for m in table["metric"]],
            "pair": [
                f"{a} × {b}" for a, b in zip(table["factor_a"], table["factor_b"], strict=True)
            ],
            "difference of differences [95% CI]": [
                ci_text(r.estimate, r.ci_low, r.ci_high, decimals.get(r.metric, 2))
                if r.level_a
                else "multi-level: see F"
                for r in table.itertuples()
            ],
            "F (df, denominator df)": [
                f"{r.F:.2f} ({r.df:g}, {df_text(r.df_denom)})" for r in table.itertuples()
            ],
            "p": [p_text(p) for p in table["p"]],
            "p (Holm)": [p_text(p) for p in table["p_holm"]],
        }
    )


ANOVA_CAPTION = (
    "Wald F-tests that a term's coefficients are all zero, on a variance that allows each "
    "cell its own spread (sandwich, HC2); denominator df: Satterthwaite's (the smallest of "
    "the term's coefficients'). No sums of squares: with unequal spreads they do not add up "
    "to a partition of the variance. p (Holm): across the metric's terms."
)


def df_text(df: float) -> str:
    """A Satterthwaite df to one decimal; 'n/a' without one."""
    return f"{df:.1f}" if np.isfinite(df) else "n/a"


def anova_display(anova: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One metric's Wald tests (analysis.frames.anova_frame), ANOVA_CAPTION's table."""
    sub = anova[anova["metric"] == metric]
    return pd.DataFrame(
        {
            "term": sub["term"],
            "df": [f"{v:g}" for v in sub["df"]],
            "df (denominator)": [df_text(v) for v in sub["df_denom"]],
            "F": ["" if not np.isfinite(v) else f"{v:.2f}" for v in sub["F"]],
            "p": [p_text(p) for p in sub["p"]],
            "p (Holm)": [p_text(p) for p in sub["p_holm"]],
        }
    )


def divergence_display(analysis: Analysis) -> tuple[pd.DataFrame, pd.DataFrame]:
    levels = analysis.divergence_levels
    per_level = pd.DataFrame(
        {
            "factor": levels.get("factor", pd.Series(dtype=str)),
            "level": levels.get("level", pd.Series(dtype=str)),
            "diverged / runs": [
                f"{d} / {r}"
                for d, r in zip(levels.get("diverged", []), levels.get("runs", []), strict=True)
            ],
            "rate": [f"{x:.0%}" for x in levels.get("rate", [])],
        }
    )
    cells = analysis.divergence_cells
    cells = cells[cells["diverged"] > 0]
    per_cell = pd.DataFrame(
        {
            "cell": cells["label"],
            "diverged / runs": [
                f"{d} / {r}" for d, r in zip(cells["diverged"], cells["runs"], strict=True)
            ],
            "diverged at step": cells["diverged_at"],
        }
    )
    return per_level, per_cell


def outliers_display(analysis: Analysis) -> pd.DataFrame:
    """The runs the robust fit of the primary metric discounted (analyse.outliers_of)."""
    rows = analysis.outliers.sort_values("weight")
    return pd.DataFrame(
        {
            "metric": [analysis.columns[m].label for m in rows["metric"]],
            "cell": rows["label"],
            "seed": rows["seed"],
            "value": [f"{v:.4g}" for v in rows["value"]],
            "weight in the fit": [f"{w:.2f}" for w in rows["weight"]],
        }
    )


def models_display(analysis: Analysis) -> pd.DataFrame:
    models = analysis.models
    if models.empty:
        return pd.DataFrame({"model": ["no metric columns"]})
    return pd.DataFrame(
        {
            "metric": [analysis.columns[m].label for m in models["metric"]],
            "model": models["formula"],
            "runs": models["runs"],
            "residual df": [f"{v:g}" for v in models["df_resid"]],
            "residual sd": [f"{v:.4g}" if np.isfinite(v) else "n/a" for v in models["sigma"]],
            "note": models["note"],
        }
    )


def interaction_role(analysis: Analysis, metric: str) -> str:
    """'confirmatory (0.25% share)' on a metric confirmatory claims are judged on (its share:
    verdicts.interaction_share), else 'exploratory'."""
    if metric not in analysis.judged_on:
        return "exploratory"
    share = 100 * ALPHA * interaction_share(metric, analysis.judged_on)
    return f"confirmatory ({share:.2g}% share)"


def sesoi_text(analysis: Analysis) -> str:
    """The smallest effect of interest of each metric confirmatory claims are judged on
    (the primary one first) and where it comes from."""
    parts = []
    for metric in analysis.judged_on:
        rows = analysis.claims[analysis.claims["metric"] == metric]
        if rows.empty or not np.isfinite(rows["sesoi"].iloc[0]):
            continue
        entry = analysis.columns[metric].metric
        source = entry.sesoi_why
        if entry.key in analysis.sesoi_set:
            source = f"the study's analysis.sesoi.{entry.key} = {analysis.sesoi_set[entry.key]:g}"
        parts.append(f"±{rows['sesoi'].iloc[0]:.3g} on {analysis.columns[metric].label} ({source})")
    return "; ".join(parts) or "none (no primary metric or no baseline value)"


def metric_lines(analysis: Analysis) -> list[str]:
    """The Methods section's word on each metric present: what it measures, its unit and
    which way is better, from the metric registry (gan_bench/score/registry.py)."""
    by_metric: dict[str, list[str]] = {}
    for column in analysis.columns.values():
        by_metric.setdefault(column.metric.key, []).append(column.name)
    lines = []
    for column in analysis.columns.values():
        names = by_metric.pop(column.metric.key, None)
        if names is None:
            continue
        entry = column.metric
        lines.append(
            f"{', '.join(names)}: {entry.title}, {entry.meaning}. Unit: {entry.unit}; "
            f"{entry.direction_text}."
        )
    return lines
