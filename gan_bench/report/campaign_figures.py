"""The campaign report's forest plots, one per confirmatory claim, drawn from transfer.json
(analysis/transfer_table.py): a row per member with its effect on the common scale, its 95%
t interval and its own verdict word (from its own report), the pooled effect as a diamond
over its HKSJ 95% interval, the 95% prediction interval for a new dataset as a bar, zero
and +-SESOI lines, the scale on the x axis and the transfer verdict in the title. Nothing
is computed here: every number is transfer.json's.

The x axis is the improvement (analysis/common_scale.py): positive is better on the metric,
so for FID, on the log-ratio scale, log(FID at the baseline / FID at the level).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402

from gan_bench.analysis.common_scale import LOG_RATIO  # noqa: E402
from gan_bench.report.figures import COLOURS, save  # noqa: E402
from gan_bench.score.metric_spec import UnknownMetric  # noqa: E402
from gan_bench.score.registry import metric  # noqa: E402

NOT_A_CLAIM_THERE = "not a claim there"  # a member without the claim (no verdict word)
POOLED, PREDICTION = "pooled (95% CI, HKSJ)", "new dataset (95% prediction interval)"


def scale_text(claim: pd.Series) -> str:
    """What the x axis measures: 'improvement, log(FID at tanh / FID at sigmoid) (positive:
    sigmoid better)', or in the metric's own unit."""
    level, baseline, key = claim["level"], claim["baseline"], claim["metric"]
    better = f"positive: {level} better than {baseline}"
    if claim["scale"] != LOG_RATIO:
        return f"improvement of {level} over {baseline}, {claim['scale']} ({better})"
    try:
        lower = metric(key).direction != "higher"
    except UnknownMetric:
        return f"improvement of {level} over {baseline}, log ratio of {key} ({better})"
    name = key.upper()
    over, under = (baseline, level) if lower else (level, baseline)
    return f"improvement, log({name} at {over} / {name} at {under}) ({better})"


def member_colour(effect: float, decided: bool) -> str:
    """Green where the campaign's member test decides an improvement, red a worsening,
    grey undecided (report/figures.py's colours)."""
    if not decided or not np.isfinite(effect):
        return COLOURS["unclear"]
    return COLOURS["better"] if effect > 0 else COLOURS["worse"]


def _members(ax: plt.Axes, rows: pd.DataFrame) -> list[str]:
    """Each member's effect and 95% interval (filled: decided by the campaign's member
    test; hollow: not), its y tick label naming its own verdict."""
    labels = []
    for y, row in enumerate(rows.itertuples(index=False)):
        colour = member_colour(row.effect, bool(row.member_decided))
        face = colour if row.member_decided else "white"
        if np.isfinite(row.ci_low):
            errors = [[row.effect - row.ci_low], [row.ci_high - row.effect]]
            ax.errorbar(row.effect, y, xerr=errors, fmt="o", color=colour, mfc=face, capsize=3,
                        gid=f"member-{row.member}")  # fmt: skip
        elif np.isfinite(row.effect):
            ax.plot(row.effect, y, "o", color=colour, mfc="white", gid=f"member-{row.member}")
        verdict = row.member_verdict or NOT_A_CLAIM_THERE
        labels.append(f"{row.member}: {verdict}")
    return labels


def _pooled(ax: plt.Axes, claim: pd.Series, y: float) -> None:
    """The pooled effect as a diamond over its HKSJ interval; a note where there is none."""
    pooled, low, high = (float(claim[key]) for key in ("pooled", "ci_low", "ci_high"))
    if np.isfinite(low) and np.isfinite(high):
        corners = [(low, y), (pooled, y - 0.3), (high, y), (pooled, y + 0.3)]
        ax.add_patch(Polygon(corners, closed=True, color="black", gid="pooled"))
    else:
        ax.text(0.5, y, "no pooled effect (fewer than 2 members with an SE)", ha="center",
                va="center", transform=ax.get_yaxis_transform(), fontsize=8)  # fmt: skip


def _prediction(ax: plt.Axes, claim: pd.Series, y: float) -> None:
    """The 95% prediction interval for a new dataset as a bar; a note where there is none."""
    low, high = float(claim["pi_low"]), float(claim["pi_high"])
    if np.isfinite(low) and np.isfinite(high):
        ax.hlines(y, low, high, color="#7b3294", lw=7, alpha=0.6, gid="prediction")
    else:
        ax.text(0.5, y, "no prediction interval (fewer than 3 datasets)", ha="center",
                va="center", transform=ax.get_yaxis_transform(), fontsize=8)  # fmt: skip


def forest_figure(claim: pd.Series, rows: pd.DataFrame) -> plt.Figure:
    """One claim's forest plot: `claim` a row of the transfer table, `rows` its members'
    rows (transfer_members)."""
    sns.set_theme(style="whitegrid", context="paper", font_scale=1.0)
    n = len(rows)
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * (n + 2) + 1.9))
    labels = _members(ax, rows)
    _pooled(ax, claim, n + 0.2)
    _prediction(ax, claim, n + 1.2)
    ax.axvline(0, color="black", lw=0.8, gid="zero")
    sesoi = float(claim["sesoi"])
    if np.isfinite(sesoi) and sesoi > 0:
        for x in (-sesoi, sesoi):
            ax.axvline(x, color="grey", ls=":", lw=0.8, gid="sesoi")
    ax.set_yticks([*range(n), n + 0.2, n + 1.2], [*labels, POOLED, PREDICTION])
    ax.set_ylim(n + 1.8, -0.7)
    ax.set_xlabel("\n".join(textwrap.wrap(scale_text(claim), 80)), fontsize=8)
    ax.autoscale(axis="x")
    title = (f"{claim['factor']}: {claim['level']} vs {claim['baseline']} on {claim['metric']}"
             f" — transfer verdict: {claim['verdict']}")  # fmt: skip
    ax.set_title("\n".join(textwrap.wrap(title, 80)), fontsize=9)
    fig.tight_layout()
    return fig


def draw_forest(claim: pd.Series, rows: pd.DataFrame, path: Path) -> Path:
    """forest_figure written as a PNG at `path`."""
    return save(forest_figure(claim, rows), path)
