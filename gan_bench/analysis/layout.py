"""What the columns of summary.csv mean to the statistics: which are factors and which
metrics (those metrics.json describes; their meaning is the metric registry's, see
gan_bench/score/registry.py), how a level is written, and the study's layout (levels with
the baseline first, design, cell order), taken from the study and its design.json, whose
typed levels summary.csv's text cannot keep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gan_bench.analysis.summary import RUN_COLUMNS
from gan_bench.errors import BadInput
from gan_bench.score.registry import MetricColumn
from gan_bench.study.design import DesignRecord
from gan_bench.study.study_file import Study
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


def dynamics_column(trick: str, columns: list[MetricColumn]) -> MetricColumn | None:
    """The column a trick's dynamics claim (tricks.DynamicsClaim) is judged on: the study's
    first column of its metric key (a training column is named by that key), else None (the
    trick has no such claim, or the study did not measure its metric)."""
    claim = TRICKS[trick].dynamics
    if claim is None:
        return None
    return next((c for c in columns if c.metric.key == claim.metric), None)


def confirmatory_claims(
    factors: list[str], columns: list[MetricColumn], primary: str | None
) -> list[tuple[str, str]]:
    """(metric column, factor) of every confirmatory claim, in the columns' order: each
    factor's main claim on the primary column, and its dynamics claim on its own metric's
    column where the study has it. These, and only these, get verdict words; they share
    one error rate (verdicts.py: Holm over all of them)."""
    if primary is None:
        return []
    wanted = {(primary, name) for name in factors}
    for name in factors:
        found = dynamics_column(name, columns)
        if found is not None:
            wanted.add((found.name, name))
    return [(c.name, name) for c in columns for name in factors if (c.name, name) in wanted]


def level_label(trick: str, value: Any) -> str:
    """How a typed level (from the registry, study.yaml or design.json, never summary.csv's
    text) is written: the registry's format_level. A float trick's level is a float, so an
    int a study gave one (`d_dropout: 0`) reads as its default 0.0 does."""
    spec = TRICKS.get(trick)
    if spec is not None and spec.kind == "float" and type(value) is int:
        value = float(value)
    return format_level(value)


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
        base = level_label(name, study.baseline.level(name))
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


def tidy_runs(frame: pd.DataFrame, layout: Layout, metrics: list[str]) -> pd.DataFrame:
    """One row per run: factor levels as labels, metrics as floats (NaN for diverged runs)."""
    runs = frame.copy()
    runs["cell"] = runs["cell"].astype(str)
    runs["seed"] = runs["seed"].astype(int)
    runs["status"] = runs["status"].astype(str)
    for name in layout.factors:  # from design.json through the cell id, whatever the CSV held
        runs[name] = [layout.cell_levels[cell][name] for cell in runs["cell"]]
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
