"""The report page's tables besides the ablation table: claims, verdicts, effects,
interactions, ANOVA, divergences and models, as display frames of formatted text, and the
metrics' description for the Methods section (from the metric registry).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gan_bench.analysis.analyse import Analysis
from gan_bench.analysis.claims import DEPENDS, NO_DIFFERENCE
from gan_bench.analysis.conditional import interaction_share
from gan_bench.analysis.equivalence import MAX_SEEDS
from gan_bench.analysis.inference import ALPHA
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


def seeds_text(needed: float, now: float) -> str:
    """'12 (now 3)'; '> 1000 (now 3)' when no practical study decides; '—' when decided."""
    if math.isnan(needed):
        return "—"
    shown = f"> {MAX_SEEDS}" if needed == math.inf else str(int(needed))
    return f"{shown} (now {now:.3g})"


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


def expected_text(expected: str, level: str, baseline: str) -> str:
    """A claim's prediction in words: 'tanh better than sigmoid', 'b no different from a'."""
    if expected == "none":
        return "no direction claimed"
    if expected == NO_DIFFERENCE:
        return f"{level} no different from {baseline}"
    return f"{level} {expected} than {baseline}"


def dependency_text(analysis: Analysis, claim: pd.Series, decimals: int) -> str:
    """'depends on kernel_size: worse with 3 (+9.6 [..]), better with 4 (-4.5 [..])': each
    factor the claim crosses over on, with the level's effect at each of its levels."""
    sign = -1.0 if analysis.columns[claim["metric"]].direction in ("lower", "zero") else 1.0
    table = analysis.conditional
    parts = []
    for name in [n for n in claim["depends_on"].split(", ") if n]:
        rows = table[
            (table["metric"] == claim["metric"])
            & (table["factor"] == claim["factor"])
            & (table["level"] == claim["level"])
            & (table["by"] == name)
        ]
        words = [
            f"{'better' if sign * r.estimate > 0 else 'worse'} with {r.by_level} "
            f"({ci_text(r.estimate, r.ci_low, r.ci_high, decimals)})"
            for r in rows.itertuples()
        ]
        parts.append(f"{DEPENDS} {name}: " + ", ".join(words))
    return "; ".join(parts)


def verdict_text(analysis: Analysis, claim: pd.Series, decimals: int) -> str:
    """The claim's verdict: at the recommended configuration, or its crossovers spelled out
    with the verdict where the advice is followed after them."""
    if not claim["depends_on"] or claim["expected"] == NO_DIFFERENCE:
        return claim["verdict"]
    return (
        f"{dependency_text(analysis, claim, decimals)} "
        f"(at the recommended configuration: {claim['rec_verdict']})"
    )


def claims_display(analysis: Analysis) -> pd.DataFrame:
    """The confirmatory claims (each trick's main claim on the primary metric, its dynamics
    claim on its own metric), each with the metric it is judged on, led by its effect and
    verdict at the recommended configuration, then the main effect averaged over the other
    factors."""
    decimals = effect_decimals(analysis.effects)
    claims = analysis.judged_claims
    places = [decimals.get(metric, 2) for metric in claims["metric"]]
    rows = list(zip(claims.itertuples(), places, strict=True))
    return pd.DataFrame(
        {
            "trick": claims["factor"],
            "level vs baseline": versus(claims),
            "judged on": [analysis.columns[m].label for m in claims["metric"]],
            "claim (source)": [
                f"{c} ({s})" for c, s in zip(claims["claim"], claims["source"], strict=True)
            ],
            "expected": [
                expected_text(e, lv, b)
                for e, lv, b in zip(
                    claims["expected"], claims["level"], claims["baseline"], strict=True
                )
            ],
            "effect at the recommended configuration [95% CI]": [
                ci_text(r.rec_estimate, r.rec_ci_low, r.rec_ci_high, d) for r, d in rows
            ],
            "verdict": [
                verdict_text(analysis, r, d)
                for (_, r), d in zip(claims.iterrows(), places, strict=True)
            ],
            "main effect [95% CI] (Holm p)": [
                f"{ci_text(r.estimate, r.ci_low, r.ci_high, d)} ({p_text(r.p_holm)})"
                for r, d in rows
            ],
            "SESOI (±, in the metric's unit)": [
                f"{v:.3g}" if np.isfinite(v) else "n/a" for v in claims["sesoi"]
            ],
            "seeds/cell to decide": [
                seeds_text(n, s)
                for n, s in zip(claims["seeds_needed"], claims["seeds_per_cell"], strict=True)
            ],
            "diverged (level / baseline)": [
                f"{a} vs {b}"
                for a, b in zip(claims["diverged_level"], claims["diverged_baseline"], strict=True)
            ],
        }
    )


def verdict_matrix(analysis: Analysis) -> pd.DataFrame:
    """Rows = trick levels, columns = metrics: the confirmatory claims' verdicts (each
    trick's main claim on the primary metric, its dynamics claim on its own), and everywhere
    else the effect at the recommended configuration with its 95% interval, marked
    exploratory (no verdict word: those would fall outside the report's 5%)."""
    claims = analysis.claims
    if claims.empty:
        return pd.DataFrame()
    decimals = effect_decimals(analysis.effects)
    shown = [
        word if judged else f"{ci_text(e, lo, hi, decimals.get(metric, 2))} (exploratory)"
        for word, judged, metric, e, lo, hi in zip(
            claims["verdict"],
            claims["confirmatory"].astype(bool),
            claims["metric"],
            claims["rec_estimate"],
            claims["rec_ci_low"],
            claims["rec_ci_high"],
            strict=True,
        )
    ]
    claims = claims.assign(
        row=[
            f"{f}: {lv} vs {b}"
            for f, lv, b in zip(claims["factor"], claims["level"], claims["baseline"], strict=True)
        ],
        shown=shown,
    )
    matrix = claims.pivot_table(
        index="row", columns="metric", values="shown", aggfunc="first", sort=False
    )
    return matrix.reset_index().rename(columns={"row": "trick level"})


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
            "F (df)": [f"{f:.2f} ({d:g})" for f, d in zip(table["F"], table["df"], strict=True)],
            "p": [p_text(p) for p in table["p"]],
            "p (Holm)": [p_text(p) for p in table["p_holm"]],
        }
    )


def anova_display(anova: pd.DataFrame, metric: str) -> pd.DataFrame:
    sub = anova[anova["metric"] == metric]
    return pd.DataFrame(
        {
            "term": sub["term"],
            "sum of squares": [f"{v:.4g}" for v in sub["sum_sq"]],
            "df": [f"{v:g}" for v in sub["df"]],
            "F": ["" if not np.isfinite(v) else f"{v:.2f}" for v in sub["F"]],
            "p": [
                "" if t == "Residual" else p_text(p)
                for t, p in zip(sub["term"], sub["p"], strict=True)
            ],
            "p (Holm)": [
                "" if t == "Residual" else p_text(p)
                for t, p in zip(sub["term"], sub["p_holm"], strict=True)
            ],
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
    """'confirmatory (1% share)' on a metric confirmatory claims are judged on (its share:
    conditional.interaction_share), else 'exploratory'."""
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
