"""The common scale of a campaign (several studies of the same claims, one per dataset: its
members): each confirmatory claim's average effect (the level against the baseline,
averaged over the other factors' levels, as the per-study verdicts judge it) on a scale
comparable across datasets, with its standard error and df from the member's own model.

The scale: a metric whose smallest effect of interest is relative (the registry's
`sesoi_relative`: FID, KID, IS, whose values are set by the dataset and the extractor) is
analysed as log(value), so a claim's effect is the average log ratio of the level to the
baseline (log 1.1 = 0.095: 10% more), from the engine (engine.measure_studies: the same
model, robust fit, sandwich variance and Satterthwaite df as the member's own verdicts) on
the logged runs. Its smallest effect of interest is log(1 + the registry's share). A metric
with an absolute SESOI (precision, recall, d_overfit: shares or nats) stays in its unit,
which the registry already treats as the same on every dataset.

Why the log ratio (benchmarks/common_scale.py, ARCHITECTURE.md "Transfer"): a relative
effect that is the same on every dataset is the same log ratio on each, whatever the
dataset's FID level, its spread from seed to seed and its other factors' effects; FID's spread
grows with its level (cells' SD/mean ~0.1 on digits and on MNIST), which the log also
evens out. Dividing by the baseline cell's FID (delta-method SE) makes such an effect
depend on how far the other factors move FID on each dataset (the average effect is over
every cell, the baseline is one) and adds the baseline's own noise; dividing by the
residual SD makes it depend on each dataset's spread; FID units differ by the datasets'
levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan_bench.analysis.claims import expected_direction
from gan_bench.analysis.engine import measure_studies
from gan_bench.analysis.equivalence import margin
from gan_bench.analysis.layout import layout_for, tidy_runs
from gan_bench.analysis.model import Setting, claim_index, setting_of
from gan_bench.analysis.stage import read_study_data
from gan_bench.analysis.verdicts import confirmatory_mask
from gan_bench.folders import StudyFolder
from gan_bench.score.registry import MetricColumn

LOG_RATIO = "log ratio"
# A claim as campaigns align it: (metric family, factor, level, baseline). The family
# (fid, not fid_cnn_2k): members may measure it with other extractors or sample counts.
ClaimKey = tuple[str, str, str, str]


def on_log_scale(column: MetricColumn) -> bool:
    """Whether the column's claims are compared across datasets as log ratios."""
    return bool(column.metric.sesoi_relative)


def scale_name(column: MetricColumn) -> str:
    """The common scale of a column's effects: "log ratio", or the metric's own unit."""
    return LOG_RATIO if on_log_scale(column) else f"{column.metric.key} units"


def common_sesoi(column: MetricColumn, settings: dict[str, float]) -> float:
    """The smallest effect of interest on the common scale: log(1 + share) for a relative
    metric (the study's or the registry's share), else the absolute value."""
    value = margin(column, settings, 1.0)  # a relative family's share, times 1
    return math.log1p(value) if on_log_scale(column) else value


def common_values(setting: Setting, values: np.ndarray) -> np.ndarray:
    """values (replicates x runs x metrics) on the common scale: the log of the statistic
    of a relative metric (NaN where it is not positive: no ratio), the others as they are."""
    values = np.asarray(values, dtype=float)
    out = values.copy()
    for m, column in enumerate(setting.columns):
        statistic = column.statistic(values[..., m])
        if on_log_scale(column):
            with np.errstate(divide="ignore", invalid="ignore"):
                statistic = np.where(statistic > 0, np.log(statistic), np.nan)
        out[..., m] = statistic
    return out


@dataclass(frozen=True)
class MemberEffects:
    """One member's confirmatory claims on the common scale, per replicate (a real study is
    replicate 0): `effect` is the improvement (positive: better on the metric), `se` and
    `df` the engine's."""

    name: str
    claims: list[ClaimKey]
    scales: list[str]
    expected: list[str]  # claims.expected_direction of each claim
    sesoi: np.ndarray  # claims: on the common scale
    seeds: float  # runs per cell
    effect: np.ndarray  # replicates x claims
    se: np.ndarray
    df: np.ndarray


def member_effects(
    setting: Setting,
    values: np.ndarray,
    diverged: np.ndarray | None = None,
    name: str = "",
) -> MemberEffects:
    """The confirmatory claims of `setting`'s study on the common scale, from `values`
    (replicates x runs x metrics, metric units; `diverged`: replicates x runs, by default a
    run without any value, as the engine's rule)."""
    values = np.asarray(values, dtype=float)
    if diverged is None:
        diverged = ~np.isfinite(values).any(axis=2)
    arrays = measure_studies(setting, common_values(setting, values), diverged).arrays
    mask = confirmatory_mask(setting)
    metric_of, claim_of = np.nonzero(mask)
    layout, names = setting.layout, list(setting.layout.factors)
    effects = [(names[f], layout.factors[names[f]][i]) for f, i in claim_index(layout)]
    columns = [setting.columns[m] for m in metric_of]
    sign = np.array([-1.0 if c.direction in ("lower", "zero") else 1.0 for c in columns])
    keys = [
        (c.metric.key, effects[k][0], effects[k][1], layout.baseline[effects[k][0]])
        for c, k in zip(columns, claim_of, strict=True)
    ]
    return MemberEffects(
        name=name,
        claims=keys,
        scales=[scale_name(c) for c in columns],
        expected=[expected_direction(f, level, base) for _, f, level, base in keys],
        sesoi=np.array([common_sesoi(c, setting.sesoi) for c in columns]),
        seeds=len(setting.run_cells) / len(layout.cell_order),
        effect=sign * arrays["estimate"][:, metric_of, claim_of],
        se=arrays["se"][:, metric_of, claim_of],
        df=arrays["df"][:, metric_of, claim_of],
    )


def read_member(folder: str | Path) -> MemberEffects:
    """One member from its results folder (summary.csv, study.yaml, design.json,
    metrics.json, as `gan-bench aggregate` wrote them): its confirmatory claims on the
    common scale, named after its study."""
    data = read_study_data(StudyFolder(Path(folder)))
    layout = layout_for(data.summary, data.study, data.design)
    names = [c.name for c in data.metrics if c.name in data.summary.columns]
    runs = tidy_runs(data.summary, layout, names).reset_index(drop=True)
    columns = [c for c in data.metrics if c.name in names]
    setting = setting_of(data.study, data.design, columns, runs)
    values = runs[names].to_numpy(float)[None]
    diverged = runs["diverged"].to_numpy(bool)[None]
    return member_effects(setting, values, diverged, data.study.name)
