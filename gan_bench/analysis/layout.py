"""What the columns of summary.csv mean to the statistics: which are factors and which
metrics, which way each metric is better, how a level is written, and the study's layout
(levels with the baseline first, design, cell order), taken from the study and its
design.json, whose typed levels summary.csv's text cannot keep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from gan_bench.analysis.summary import RUN_COLUMNS
from gan_bench.errors import BadInput
from gan_bench.study.design import DesignRecord
from gan_bench.study.study_file import Study
from gan_bench.study.tricks import TRICK_ORDER, TRICKS, format_level

NOT_METRICS = frozenset({*RUN_COLUMNS, "steps", "diverged"})

Direction = Literal["lower", "higher", "zero", "unknown"]


def factor_columns(frame: pd.DataFrame) -> list[str]:
    """Columns named after a registry trick, in registry order: the study's factors."""
    return [name for name in TRICK_ORDER if name in frame.columns]


def metric_columns(frame: pd.DataFrame) -> list[str]:
    """Every numeric column that is neither run bookkeeping nor a factor."""
    factors = set(factor_columns(frame))
    return [
        column
        for column in frame.columns
        if column not in NOT_METRICS
        and column not in factors
        and pd.api.types.is_numeric_dtype(frame[column])
        and not pd.api.types.is_bool_dtype(frame[column])
    ]


def metric_direction(name: str) -> Direction:
    """Which way is better, read from the metric's name (fid_cnn_2k: lower; is_cnn_2k: higher)."""
    lowered = name.lower()
    if lowered.startswith("checkerboard"):
        return "zero"
    if lowered.startswith(("fid", "kid")) or "kl" in lowered:
        return "lower"
    if lowered.startswith(("is_", "precision", "recall", "modes_hit", "code_accuracy")):
        return "higher"
    if lowered == "is":
        return "higher"
    return "unknown"


def metric_label(name: str) -> str:
    """How a metric is named where its statistics are taken: |checkerboard| for 'closer to 0'."""
    return f"|{name}|" if metric_direction(name) == "zero" else name


def direction_text(name: str) -> str:
    return {
        "lower": "lower is better",
        "higher": "higher is better",
        "zero": "closer to 0 is better (statistics on |value|)",
        "unknown": "direction unknown",
    }[metric_direction(name)]


def primary_metric(metrics: list[str]) -> str | None:
    """The metric verdicts lead with: the first FID, else the first with a known direction."""
    for metric in metrics:
        if metric.lower().startswith("fid"):
            return metric
    for metric in metrics:
        if metric_direction(metric) != "unknown":
            return metric
    return metrics[0] if metrics else None


def level_label(trick: str, value: Any) -> str:
    """How a typed level (from the registry, study.yaml or design.json, never summary.csv's
    text) is written: the registry's format_level. A float trick's level is a float, so an
    int a study gave one (`d_dropout: 0`) reads as its default 0.0 does."""
    spec = TRICKS.get(trick)
    if spec is not None and spec.kind == "float" and type(value) is int:
        value = float(value)
    return format_level(value)


def metric_values(runs: pd.DataFrame, metric: str) -> pd.Series:
    """The values statistics are taken on: |x| for closer-to-0 metrics, x otherwise."""
    values = runs[metric].astype(float)
    return values.abs() if metric_direction(metric) == "zero" else values


# --------------------------------------------------------------------------- the study's layout


@dataclass(frozen=True)
class Layout:
    """What the statistics need to know about a study besides its runs."""

    factors: dict[str, list[str]]  # factor -> level labels, baseline first where it is varied
    baseline: dict[str, str]  # factor -> baseline level label
    design: str  # full_factorial | one_at_a_time | fractional | cells
    resolution: int = 0  # fractional designs: the design's resolution (5 = V)
    cell_order: list[str] = field(default_factory=list)
    cell_levels: dict[str, dict[str, str]] = field(default_factory=dict)  # cell -> level labels

    @property
    def separates_interactions(self) -> bool:
        """Whether two-way interactions are estimable apart from main effects."""
        if len(self.factors) < 2:
            return False
        return self.design == "full_factorial" or (
            self.design == "fractional" and self.resolution >= 5
        )


class LayoutError(BadInput):
    """summary.csv and design.json disagree (a run of a cell the design does not have)."""


def layout_for(frame: pd.DataFrame, study: Study, design: DesignRecord) -> Layout:
    """The layout from the study (baseline) and its design.json (typed levels per factor and
    per cell): summary.csv's level columns are never read, its cell ids map to the levels."""
    factors: dict[str, list[str]] = {}
    baseline: dict[str, str] = {}
    for name, levels in design.factors.items():
        base = level_label(name, study.baseline[name])
        labels = [level_label(name, level) for level in levels]
        factors[name] = list(dict.fromkeys([base, *labels]))  # baseline first
        baseline[name] = base
    order = list(dict.fromkeys(frame["cell"].astype(str)))
    unknown = [cell for cell in order if cell not in design.cells]
    if unknown:
        raise LayoutError(
            f"summary.csv has runs of {len(unknown)} cells that design.json of study "
            f"{design.study!r} does not list, e.g. {unknown[0]!r}; rerun `gan-bench aggregate`"
        )
    cell_levels = {
        cell: {name: level_label(name, design.cells[cell][name]) for name in factors}
        for cell in order
    }
    return Layout(factors, baseline, design.design, design.resolution, order, cell_levels)


def tidy_runs(frame: pd.DataFrame, layout: Layout) -> pd.DataFrame:
    """One row per run: factor levels as labels, metrics as floats (NaN for diverged runs)."""
    runs = frame.copy()
    runs["cell"] = runs["cell"].astype(str)
    runs["seed"] = runs["seed"].astype(int)
    runs["status"] = runs["status"].astype(str)
    for name in layout.factors:  # from design.json through the cell id, whatever the CSV held
        runs[name] = [layout.cell_levels[cell][name] for cell in runs["cell"]]
    runs["diverged"] = runs["status"].eq("diverged")
    for metric in metric_columns(frame):
        runs[metric] = runs[metric].astype(float)
        runs.loc[runs["diverged"], metric] = np.nan  # the stated rule, enforced
    return runs


def cell_label(row: pd.Series | dict[str, Any], layout: Layout) -> str:
    """A short name for a cell: its levels for factorial designs, its id otherwise."""
    if layout.design in ("full_factorial", "fractional") and layout.factors:
        return " · ".join(str(row[name]) for name in layout.factors)
    return str(row["cell"])
