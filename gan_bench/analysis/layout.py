"""What the columns of summary.csv mean to the statistics: which are factors and which
metrics (those metrics.json describes; their meaning is the metric registry's, see
gan_bench/score/registry.py), how a level is written, and the study's layout (levels with
the baseline first, design, cell order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gan_bench.analysis.summary import RUN_COLUMNS
from gan_bench.errors import BadInput
from gan_bench.score.registry import MetricColumn
from gan_bench.study.tricks import TRICK_ORDER, TRICKS, format_level

NOT_METRICS = frozenset({*RUN_COLUMNS, "steps", "diverged"})


class MetricError(BadInput):
    """summary.csv's metric columns and metrics.json disagree; names the columns."""


def factor_columns(frame: pd.DataFrame) -> list[str]:
    """Columns named after a registry trick, in registry order: the study's factors."""
    return [name for name in TRICK_ORDER if name in frame.columns]


def metric_columns(frame: pd.DataFrame, columns: list[MetricColumn]) -> list[str]:
    """The metric columns of a summary frame: those metrics.json describes, in the frame's
    order. MetricError when one of them is missing from the frame, or when a numeric column
    is neither bookkeeping, a factor nor described (its meaning would be a guess)."""
    described = {column.name for column in columns}
    absent = sorted(described - set(frame.columns))
    if absent:
        raise MetricError(f"{', '.join(absent)}: in metrics.json but not in summary.csv")
    factors = set(factor_columns(frame))
    unknown = [
        name
        for name in frame.columns
        if name not in NOT_METRICS
        and name not in factors
        and name not in described
        and pd.api.types.is_numeric_dtype(frame[name])
        and not pd.api.types.is_bool_dtype(frame[name])
    ]
    if unknown:
        raise MetricError(
            f"{', '.join(unknown)}: a summary.csv column that metrics.json does not describe "
            "(re-run `gan-bench aggregate STUDY`)"
        )
    return [name for name in frame.columns if name in described]


def level_label(trick: str, value: Any) -> str:
    """A level as the registry writes it, whatever type the CSV reader gave it (4, 4.0, '4')."""
    spec = TRICKS.get(trick)
    if spec is None or value is None or (isinstance(value, float) and math.isnan(value)):
        return str(value)
    if spec.kind == "bool":
        if isinstance(value, str):
            return format_level(value.strip().lower() == "true")
        return format_level(bool(value))
    if spec.kind == "float":
        return format_level(float(value))
    if spec.kind == "int":
        return format_level(int(float(value)))
    for level in spec.levels:
        if str(level) == str(value):
            return format_level(level)
        if isinstance(level, int) and _is_number(value) and float(value) == level:
            return format_level(level)
    return str(value)


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def statistic_runs(runs: pd.DataFrame, columns: dict[str, MetricColumn]) -> pd.DataFrame:
    """The runs with each metric as statistics take it: |x| for towards-zero metrics."""
    runs = runs.copy()
    for name, column in columns.items():
        runs[name] = column.statistic(runs[name])
    return runs


# --------------------------------------------------------------------------- the study's layout


@dataclass(frozen=True)
class Layout:
    """What the statistics need to know about a study besides its runs."""

    factors: dict[str, list[str]]  # factor -> level labels, baseline first where it is varied
    baseline: dict[str, str]  # factor -> baseline level label
    design: str  # full_factorial | one_at_a_time | fractional | cells | unknown
    resolution: int = 0  # fractional designs: the design's resolution (5 = V)
    cell_order: list[str] = field(default_factory=list)

    @property
    def separates_interactions(self) -> bool:
        """Whether two-way interactions are estimable apart from main effects."""
        if len(self.factors) < 2:
            return False
        return self.design == "full_factorial" or (
            self.design == "fractional" and self.resolution >= 5
        )


def layout_for(
    frame: pd.DataFrame,
    study: Any = None,
    resolution: int | None = None,
    design: str | None = None,
) -> Layout:
    """The layout from the study (levels, baseline, design) or, without one, from the runs
    (`design`/`resolution` from the study folder's design.json where there is one)."""
    names = factor_columns(frame)
    factors: dict[str, list[str]] = {}
    baseline: dict[str, str] = {}
    for name in names:
        seen = [level_label(name, v) for v in frame[name].drop_duplicates()]
        declared = [level_label(name, v) for v in getattr(study, "factors", {}).get(name, [])]
        levels = list(dict.fromkeys([*declared, *seen]))
        if study is not None and name in study.baseline:
            base = level_label(name, study.baseline[name])
        else:
            default = level_label(name, TRICKS[name].default)
            base = default if default in levels else levels[0]
        if base in levels:
            levels.remove(base)
        factors[name] = [base, *levels]
        baseline[name] = base
    design = getattr(study, "design", None) or design or _guess_design(frame, factors)
    if resolution is None:
        resolution = int(getattr(study, "resolution", 0) or 0)
    cells = list(dict.fromkeys(frame["cell"].astype(str)))
    return Layout(factors, baseline, design, resolution, cells)


def with_cell_levels(frame: pd.DataFrame, study: Any) -> pd.DataFrame:
    """Level columns for a `design: cells` study whose summary.csv predates them (aggregate
    now writes them): every trick that differs between the study's cells."""
    if study is None or getattr(study, "design", None) != "cells":
        return frame
    from gan_bench.study.design import cells, varied_tricks

    tricks = {cell.id: cell.tricks for cell in cells(study)}
    frame = frame.copy()
    for name in varied_tricks(study):
        if name not in frame.columns:
            frame[name] = [tricks.get(str(cell), {}).get(name) for cell in frame["cell"]]
    return frame


def _guess_design(frame: pd.DataFrame, factors: dict[str, list[str]]) -> str:
    cells = frame["cell"].astype(str).nunique()
    if "baseline" in set(frame["cell"].astype(str)):
        return "one_at_a_time"
    if factors and cells == math.prod(len(levels) for levels in factors.values()):
        return "full_factorial"
    return "unknown"


def tidy_runs(frame: pd.DataFrame, layout: Layout, metrics: list[str]) -> pd.DataFrame:
    """One row per run: factor levels as labels, metrics as floats (NaN for diverged runs)."""
    runs = frame.copy()
    runs["cell"] = runs["cell"].astype(str)
    runs["seed"] = runs["seed"].astype(int)
    runs["status"] = runs["status"].astype(str)
    for name in layout.factors:
        runs[name] = [level_label(name, value) for value in runs[name]]
    runs["diverged"] = runs["status"].eq("diverged")
    for metric in metrics:
        runs[metric] = runs[metric].astype(float)
        runs.loc[runs["diverged"], metric] = np.nan  # the stated rule, enforced
    return runs


def cell_label(row: pd.Series | dict[str, Any], layout: Layout) -> str:
    """A short name for a cell: its levels for factorial designs, its id otherwise."""
    if layout.design in ("full_factorial", "fractional") and layout.factors:
        return " · ".join(str(row[name]) for name in layout.factors)
    return str(row["cell"])
