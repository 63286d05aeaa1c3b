"""The study's analysis choices, resolved: analysis.primary against the study's metric
columns, analysis.sesoi against the registry's metric families.

Light on purpose (no pandas, no scipy): the report resolves them after training, and the
plan-time checks (gan_bench/analysis/preflight.py) resolve the same way before any, so a
typo fails in a second instead of after the last run.
"""

from __future__ import annotations

from gan_bench.errors import BadInput
from gan_bench.score.registry import METRICS, MetricColumn, lead_column
from gan_bench.study.study_file import Study


class PrimaryError(BadInput):
    """The study's analysis.primary names no metric column of its summary; names both."""


class SesoiError(BadInput):
    """analysis.sesoi names an unknown metric family or a value that is not positive."""


def primary_column(study: Study, columns: list[MetricColumn]) -> MetricColumn | None:
    """The study's confirmatory metric: analysis.primary (a column name, or a metric family
    key for its first column), else the registry's lead column (the first FID)."""
    wanted = study.analysis.get("primary")
    if wanted is None:
        return lead_column(columns)
    match = next((c for c in columns if c.name == wanted), None)
    match = match or next((c for c in columns if c.metric.key == wanted), None)
    if match is None:
        raise PrimaryError(
            f"{study.path}: analysis.primary: {wanted!r} is no metric column of this study's "
            f"summary (columns: {', '.join(c.name for c in columns) or 'none'})"
        )
    return match


def sesoi_settings(study: Study) -> dict[str, float]:
    """The study's analysis.sesoi, checked: metric family -> a positive number."""
    given = study.analysis.get("sesoi", {}) or {}
    for key, value in given.items():
        if key not in METRICS:
            raise SesoiError(
                f"{study.path}: analysis.sesoi.{key}: not a metric family "
                f"(known: {', '.join(METRICS)})"
            )
        if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
            raise SesoiError(f"{study.path}: analysis.sesoi.{key}: must be a number > 0")
    return {key: float(value) for key, value in given.items()}
