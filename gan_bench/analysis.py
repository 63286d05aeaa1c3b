"""Runs -> summary.csv -> statistics that carry their uncertainty.

GAN metrics move a lot from seed to seed, so every number here comes with a 95% interval
or says why it has none. The pieces, each a plain DataFrame so tables and figures can share
them: per-cell means with t-intervals over seeds; per-factor effects (each level against the
baseline level) from one OLS model over all runs with sum (deviation) coding, Holm-corrected
across the study's factors; two-way interactions and a Type III ANOVA where the design
separates them (full factorial, or a fractional design of resolution V or more); divergence
rates; and the claim-vs-evidence verdicts with the seeds a decision would need.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations, product
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from gan_bench.runfiles import RunPaths, atomic_write
from gan_bench.tricks import TRICK_ORDER, TRICKS, format_level

RUN_COLUMNS = ("cell", "seed", "status", "step", "seconds", "images_per_second")
NOT_METRICS = frozenset({*RUN_COLUMNS, "steps", "diverged"})
CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
POWER = 0.8
MAX_SEEDS = 1000  # "seeds needed" above this reads as "more than 1000": no practical decision
ONE_SEED = "n/a — one seed"
NO_RUNS = "n/a — no completed run"
DIVERGED_RULE = (
    "Diverged runs are excluded from every metric statistic (their metrics are undefined) "
    "and counted in the divergence rate of their cell and of each factor level. A verdict "
    "speaks for the runs that completed: read it beside the level's divergence rate, which "
    "the claim table shows."
)

Direction = Literal["lower", "higher", "zero", "unknown"]

# --------------------------------------------------------------------------- summary.csv


def run_row(run_dir: Path, factors: list[str]) -> dict[str, Any]:
    """One summary row from a run folder's config.json, run.json and scores.json (if any)."""
    paths = RunPaths(run_dir)
    config = json.loads(paths.config.read_text())
    run = json.loads(paths.run.read_text())
    row: dict[str, Any] = {"cell": config["cell"], "seed": config["seed"]}
    row |= {name: config["tricks"][name] for name in factors}
    row |= {key: run.get(key) for key in RUN_COLUMNS if key not in row}
    if paths.scores.exists():
        scores = json.loads(paths.scores.read_text())
        row |= {name: value for name, value in scores.get("metrics", {}).items()}
    return row


def collect_runs(run_dirs: list[Path], factors: list[str]) -> pd.DataFrame:
    """The tidy DataFrame of a study: columns cell, seed, factors..., status, ..., metrics."""
    rows = [run_row(Path(run_dir), factors) for run_dir in run_dirs]
    frame = pd.DataFrame(rows)
    leading = ["cell", *factors, "seed", "status"]
    return frame[leading + [c for c in frame.columns if c not in leading]]


def write_summary(frame: pd.DataFrame, path: Path) -> None:
    atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def read_summary(path: str | Path) -> pd.DataFrame:
    """summary.csv as written by `gan-bench aggregate` (levels still as pandas parsed them)."""
    return pd.read_csv(path)


# --------------------------------------------------------------------------- columns and levels


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
    from gan_bench.design import cells, varied_tricks

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


def tidy_runs(frame: pd.DataFrame, layout: Layout) -> pd.DataFrame:
    """One row per run: factor levels as labels, metrics as floats (NaN for diverged runs)."""
    runs = frame.copy()
    runs["cell"] = runs["cell"].astype(str)
    runs["seed"] = runs["seed"].astype(int)
    runs["status"] = runs["status"].astype(str)
    for name in layout.factors:
        runs[name] = [level_label(name, value) for value in runs[name]]
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


# --------------------------------------------------------------------------- the linear model


@dataclass
class Fit:
    """One metric's OLS fit and how it was chosen."""

    metric: str
    result: Any  # statsmodels RegressionResults, None when no model could be fitted
    factors: list[str]  # factors in the model (those with >= 2 observed levels)
    interactions: bool
    data: pd.DataFrame
    note: str
    grid: pd.DataFrame | None = None  # reference grid of level combinations, built once
    grid_matrix: np.ndarray | None = None  # its model matrix

    @property
    def df_resid(self) -> float:
        return float(self.result.df_resid) if self.result is not None else 0.0

    @property
    def sigma(self) -> float:
        if self.result is None or self.df_resid <= 0:
            return math.nan
        return float(np.sqrt(self.result.mse_resid))

    @cached_property
    def anova(self) -> pd.DataFrame:
        """Type III ANOVA (right for sum coding, also when diverged runs unbalance it)."""
        from statsmodels.stats.anova import anova_lm

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = anova_lm(self.result, typ=3)
        table = table.drop(index="Intercept", errors="ignore").reset_index(names="term")
        table["term"] = [
            "Residual" if term == "Residual" else _term_label(term) for term in table["term"]
        ]
        return table.rename(columns={"PR(>F)": "p"})


def _formula(factors: list[str], interactions: bool) -> str:
    mains = [f"C({name}, Sum)" for name in factors]
    terms = list(mains)
    if interactions:
        terms += [f"{a}:{b}" for a, b in combinations(mains, 2)]
    return "y ~ " + (" + ".join(terms) if terms else "1")


def _categorical(values: list[str], levels: list[str]) -> pd.Categorical:
    return pd.Categorical(values, categories=levels)


def fit_metric(runs: pd.DataFrame, layout: Layout, metric: str) -> Fit:
    """OLS over every completed run of one metric: main effects, plus two-way interactions
    where the design separates them and the seeds leave residual degrees of freedom."""
    import statsmodels.formula.api as smf

    valid = runs[np.isfinite(metric_values(runs, metric))]
    data = pd.DataFrame({"y": metric_values(valid, metric).to_numpy()})
    factors = []
    for name, levels in layout.factors.items():
        present = [level for level in levels if (valid[name] == level).any()]
        if len(present) >= 2:
            data[name] = _categorical(list(valid[name]), present)
            factors.append(name)
    if len(data) == 0:
        return Fit(metric, None, [], False, data, "no completed run has this metric")
    every_cell = valid["cell"].nunique() == len(layout.cell_order)
    want_interactions = layout.separates_interactions and len(factors) >= 2
    notes = []
    if want_interactions and not every_cell:
        want_interactions = False
        notes.append("some cells have no completed run, so interactions are not modelled")
    for interactions in [True, False] if want_interactions else [False]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = smf.ols(_formula(factors, interactions), data=data).fit()
        if result.df_resid > 0:
            break
        if interactions:
            notes.append(
                "with interactions the model leaves no residual degrees of freedom (one seed "
                "per cell), so two-way interactions are pooled into the error term: the "
                "intervals assume they are negligible"
            )
    if result.df_resid <= 0:
        notes.append("no residual degrees of freedom: effects have no interval")
    return Fit(metric, result, factors, interactions, data, "; ".join(notes))


def _design_rows(result: Any, grid: pd.DataFrame) -> np.ndarray:
    """The model matrix for new rows, with the fitted formula's coding (patsy or formulaic)."""
    spec = result.model.data.model_spec
    if hasattr(spec, "get_model_matrix"):  # formulaic
        return np.asarray(spec.get_model_matrix(grid), dtype=float)
    from patsy import build_design_matrices

    return np.asarray(build_design_matrices([spec], grid)[0], dtype=float)


def _reference_grid(fit: Fit, layout: Layout) -> pd.DataFrame:
    """The level combinations that contrasts average over: every combination when
    interactions are modelled (an effect is then averaged over the other factors), else the
    baseline and each single change from it (in a main-effects model the others cancel)."""
    categories = {name: list(fit.data[name].cat.categories) for name in fit.factors}
    base = {
        name: layout.baseline[name] if layout.baseline[name] in levels else levels[0]
        for name, levels in categories.items()
    }
    if fit.interactions:
        combos = [dict(zip(categories, c, strict=True)) for c in product(*categories.values())]
    else:
        combos = [base] + [
            base | {name: level}
            for name, levels in categories.items()
            for level in levels
            if level != base[name]
        ]
    grid = pd.DataFrame(combos, columns=list(categories))
    for name, levels in categories.items():
        grid[name] = _categorical(list(grid[name]), levels)
    grid["y"] = 0.0
    return grid


def _contrast(fit: Fit, weights: list[tuple[float, dict[str, str]]], layout: Layout) -> np.ndarray:
    """A linear combination of mean predictions: each term averages the model matrix over
    the reference-grid rows that hold its fixed levels (others at baseline without
    interactions)."""
    if fit.grid is None:
        fit.grid = _reference_grid(fit, layout)
        fit.grid_matrix = _design_rows(fit.result, fit.grid)
    total = np.zeros(len(fit.result.params))
    for weight, fixed in weights:
        mask = np.ones(len(fit.grid), dtype=bool)
        for name in fit.factors:
            if name in fixed:
                mask &= (fit.grid[name] == fixed[name]).to_numpy()
            elif not fit.interactions:
                mask &= (fit.grid[name] == fit.grid[name].iloc[0]).to_numpy()  # baseline row
        total += weight * fit.grid_matrix[mask].mean(axis=0)
    return total


def _estimate(fit: Fit, contrast: np.ndarray) -> dict[str, Any]:
    """Estimate, SE, 95% CI and p of a contrast; NaN (with a reason) where it has none."""
    exog = fit.result.model.exog
    estimable = np.allclose(contrast @ np.linalg.pinv(exog) @ exog, contrast, atol=1e-8)
    if not estimable:
        nan = math.nan
        note = "not estimable: confounded in this design"
        return {"estimate": nan, "se": nan, "ci_low": nan, "ci_high": nan, "p": nan, "note": note}
    estimate = float(contrast @ fit.result.params.to_numpy())
    if fit.df_resid <= 0:
        note = "no interval: no residual degrees of freedom"
        nan = math.nan
        return {
            "estimate": estimate,
            "se": nan,
            "ci_low": nan,
            "ci_high": nan,
            "p": nan,
            "note": note,
        }
    test = fit.result.t_test(contrast[None, :])
    low, high = np.asarray(test.conf_int(alpha=ALPHA)).ravel()
    return {
        "estimate": estimate,
        "se": float(np.asarray(test.sd).ravel()[0]),
        "ci_low": float(low),
        "ci_high": float(high),
        "p": float(np.asarray(test.pvalue).ravel()[0]),
        "note": "",
    }


def holm(p_values: pd.Series) -> pd.Series:
    """Holm step-down adjusted p-values over the finite ones (NaN stays NaN).

    The same numbers as statsmodels' multipletests(method="holm") (tests check it), written
    out because that function runs a full gc.collect() per call: seconds on a big study."""
    adjusted = pd.Series(math.nan, index=p_values.index)
    finite = p_values.dropna()
    if len(finite):
        order = np.argsort(finite.to_numpy(), kind="stable")
        ranked = finite.to_numpy()[order] * np.arange(len(finite), 0, -1)
        stepped = np.minimum(1.0, np.maximum.accumulate(ranked))
        values = np.empty(len(finite))
        values[order] = stepped
        adjusted[finite.index] = values
    return adjusted


def effects_for(fit: Fit, layout: Layout, runs: pd.DataFrame) -> list[dict[str, Any]]:
    """Each non-baseline level of each factor against the baseline level, for one metric."""
    rows = []
    seeds_per_cell = len(fit.data) / max(1, runs["cell"].nunique())
    for name, levels in layout.factors.items():
        base = layout.baseline[name]
        for level in levels:
            if level == base:
                continue
            row = {
                "metric": fit.metric,
                "factor": name,
                "level": level,
                "baseline": base,
                "n_level": int(
                    np.isfinite(metric_values(runs[runs[name] == level], fit.metric)).sum()
                ),
                "n_baseline": int(
                    np.isfinite(metric_values(runs[runs[name] == base], fit.metric)).sum()
                ),
            }
            missing = [lv for lv in (level, base) if not row[f"n_{_side(lv, base)}"]]
            if fit.result is None or name not in fit.factors or missing:
                reason = f"no completed run at {name} = {', '.join(missing)}"
                if fit.result is None:
                    reason = fit.note
                nan = math.nan
                row |= {
                    "estimate": nan,
                    "se": nan,
                    "ci_low": nan,
                    "ci_high": nan,
                    "p": nan,
                    "note": reason,
                }
            else:
                contrast = _contrast(fit, [(1.0, {name: level}), (-1.0, {name: base})], layout)
                row |= _estimate(fit, contrast)
            row |= {"df_resid": fit.df_resid, "sigma": fit.sigma, "seeds_per_cell": seeds_per_cell}
            rows.append(row)
    return rows


def _side(level: str, base: str) -> str:
    return "baseline" if level == base else "level"


def interactions_for(fit: Fit, layout: Layout) -> list[dict[str, Any]]:
    """Two-way interactions: the ANOVA F-test of each pair and, for 2x2 pairs, the
    difference of differences (level - baseline of A, at B's level minus at B's baseline)."""
    if fit.result is None or not fit.interactions:
        return []
    anova = fit.anova
    rows = []
    for a, b in combinations(fit.factors, 2):
        term = anova[anova["term"] == f"{a} × {b}"].iloc[0]
        row = {
            "metric": fit.metric,
            "factor_a": a,
            "factor_b": b,
            "df": term["df"],
            "F": term["F"],
            "p": term["p"],
        }
        levels_a, levels_b = list(fit.data[a].cat.categories), list(fit.data[b].cat.categories)
        if len(levels_a) == 2 and len(levels_b) == 2:
            a0, b0 = layout.baseline[a], layout.baseline[b]
            a1 = next(level for level in levels_a if level != a0)
            b1 = next(level for level in levels_b if level != b0)
            weights = [
                (1.0, {a: a1, b: b1}),
                (-1.0, {a: a1, b: b0}),
                (-1.0, {a: a0, b: b1}),
                (1.0, {a: a0, b: b0}),
            ]
            estimate = _estimate(fit, _contrast(fit, weights, layout))
            row |= {"level_a": a1, "level_b": b1} | {
                key: estimate[key] for key in ("estimate", "se", "ci_low", "ci_high")
            }
        else:
            row |= {
                "level_a": "",
                "level_b": "",
                "estimate": math.nan,
                "se": math.nan,
                "ci_low": math.nan,
                "ci_high": math.nan,
            }
        rows.append(row)
    return rows


def _term_label(term: str) -> str:
    return " × ".join(re.findall(r"C\((\w+), Sum\)", term)) or term


def anova_for(fit: Fit) -> pd.DataFrame:
    """The ANOVA table of one metric, with Holm-adjusted p over its terms."""
    table = fit.anova.copy()
    table.insert(0, "metric", fit.metric)
    table["p_holm"] = holm(table["p"])
    return table


# --------------------------------------------------------------------------- claims and power


def expected_direction(trick: str, level: str, baseline: str) -> str:
    """What the registry's claim predicts for `level` against `baseline`: better, worse or
    none. The claim says `recommended` beats the default: the recommended level is expected
    better than anything else and anything else worse than it; for numeric tricks, switching
    the trick on (any non-default level against a default baseline) is expected to help."""
    spec = TRICKS[trick]
    if spec.recommended is None:
        return "none"
    recommended = level_label(trick, spec.recommended)
    default = level_label(trick, spec.default)
    if level == recommended:
        return "better"
    if baseline == recommended:
        return "worse"
    if spec.kind in ("float", "int") and baseline == default and level != default:
        return "better"
    return "none"


def seeds_needed(effect: float, se: float, sigma: float, seeds: float, alpha: float) -> float:
    """Seeds per cell for 80% power to see an effect of the observed size at the observed
    spread (a two-sided t-test with the same standard error per seed); inf when hopeless."""
    from statsmodels.stats.power import TTestIndPower

    if not all(map(np.isfinite, (effect, se, sigma, seeds))) or se <= 0 or sigma <= 0:
        return math.nan
    if effect == 0:
        return math.inf
    per_group_now = 2 * sigma**2 / se**2  # a two-sample test with this SE has this many a side
    size = abs(effect) / sigma
    analysis = TTestIndPower()
    if analysis.power(size, nobs1=2, alpha=alpha) >= POWER:
        per_group = 2.0
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            per_group = analysis.solve_power(size, nobs1=None, alpha=alpha, power=POWER)
    if not np.isfinite(per_group):
        return math.inf
    needed = math.ceil(per_group * seeds / per_group_now)
    return float(max(2, needed)) if needed <= MAX_SEEDS else math.inf


def verdict(expected: str, improvement: float, p_holm: float) -> str:
    """supported / contradicted / inconclusive at 95% (Holm-adjusted), from the claim's side."""
    if expected == "none":
        return "no direction claimed"
    if not np.isfinite(p_holm) or p_holm >= ALPHA or improvement == 0:
        return "inconclusive"
    wanted = 1 if expected == "better" else -1
    return "supported" if np.sign(improvement) == wanted else "contradicted"


def claims_table(effects: pd.DataFrame, divergence_levels: pd.DataFrame) -> pd.DataFrame:
    """Claim vs evidence: every factor level against baseline, for every directed metric."""
    rows = []
    rates = {(r.factor, r.level): (r.diverged, r.runs) for r in divergence_levels.itertuples()}
    for effect in effects.itertuples():
        direction = metric_direction(effect.metric)
        if direction == "unknown":
            continue
        spec = TRICKS[effect.factor]
        expected = expected_direction(effect.factor, effect.level, effect.baseline)
        sign = -1.0 if direction in ("lower", "zero") else 1.0
        improvement = sign * effect.estimate
        family = (effects["metric"] == effect.metric) & effects["p"].notna()
        alpha = ALPHA / max(1, int(family.sum()))
        decided = np.isfinite(effect.p_holm) and effect.p_holm < ALPHA
        seeds = seeds_needed(effect.estimate, effect.se, effect.sigma, effect.seeds_per_cell, alpha)
        div_level = rates.get((effect.factor, effect.level), (0, 0))
        div_base = rates.get((effect.factor, effect.baseline), (0, 0))
        rows.append(
            {
                "factor": effect.factor,
                "level": effect.level,
                "baseline": effect.baseline,
                "claim": spec.claim,
                "source": spec.source,
                "recommended": ""
                if spec.recommended is None
                else level_label(effect.factor, spec.recommended),
                "expected": expected,
                "metric": effect.metric,
                "estimate": effect.estimate,
                "ci_low": effect.ci_low,
                "ci_high": effect.ci_high,
                "p": effect.p,
                "p_holm": effect.p_holm,
                "verdict": verdict(expected, improvement, effect.p_holm),
                "seeds_per_cell": effect.seeds_per_cell,
                "seeds_needed": math.nan if decided else seeds,
                "diverged_level": f"{div_level[0]} of {div_level[1]}",
                "diverged_baseline": f"{div_base[0]} of {div_base[1]}",
                "note": effect.note,
            }
        )
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


CLAIM_COLUMNS = [
    "factor",
    "level",
    "baseline",
    "claim",
    "source",
    "recommended",
    "expected",
    "metric",
    "estimate",
    "ci_low",
    "ci_high",
    "p",
    "p_holm",
    "verdict",
    "seeds_per_cell",
    "seeds_needed",
    "diverged_level",
    "diverged_baseline",
    "note",
]
EFFECT_COLUMNS = [
    "metric",
    "factor",
    "level",
    "baseline",
    "n_level",
    "n_baseline",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p",
    "p_holm",
    "df_resid",
    "sigma",
    "seeds_per_cell",
    "note",
]
INTERACTION_COLUMNS = [
    "metric",
    "factor_a",
    "factor_b",
    "level_a",
    "level_b",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "F",
    "p",
    "p_holm",
]


# --------------------------------------------------------------------------- everything at once


@dataclass
class Analysis:
    """Every statistic of a study, as DataFrames the tables and figures read."""

    layout: Layout
    runs: pd.DataFrame
    metrics: list[str]
    cells: pd.DataFrame
    levels: pd.DataFrame
    effects: pd.DataFrame
    interactions: pd.DataFrame
    anova: pd.DataFrame
    claims: pd.DataFrame
    divergence_cells: pd.DataFrame
    divergence_levels: pd.DataFrame
    models: pd.DataFrame  # per metric: formula, runs, residual df, sigma, note

    @property
    def primary(self) -> str | None:
        return primary_metric(self.metrics)


def analyse(
    frame: pd.DataFrame,
    study: Any = None,
    resolution: int | None = None,
    design: str | None = None,
) -> Analysis:
    """All statistics of a summary.csv frame; `study` (a gan_bench.study.Study) supplies
    baseline, level order and design, otherwise they are read off the runs."""
    frame = with_cell_levels(frame, study)
    layout = layout_for(frame, study, resolution, design)
    runs = tidy_runs(frame, layout)
    metrics = metric_columns(frame)
    effects, interactions, anovas, models = [], [], [], []
    for metric in metrics:
        fit = fit_metric(runs, layout, metric)
        effects += effects_for(fit, layout, runs)
        interactions += interactions_for(fit, layout)
        if fit.df_resid > 0 and layout.separates_interactions and fit.factors:
            anovas.append(anova_for(fit))
        models.append(
            {
                "metric": metric,
                "formula": _formula(fit.factors, fit.interactions).replace(
                    "y", metric_label(metric), 1
                ),
                "runs": len(fit.data),
                "df_resid": fit.df_resid,
                "sigma": fit.sigma,
                "interactions": fit.interactions,
                "note": fit.note,
            }
        )
    effects_frame = pd.DataFrame(effects, columns=[c for c in EFFECT_COLUMNS if c != "p_holm"])
    effects_frame["p_holm"] = math.nan
    for _, index in effects_frame.groupby("metric").groups.items():
        effects_frame.loc[index, "p_holm"] = holm(effects_frame.loc[index, "p"])
    effects_frame = effects_frame[EFFECT_COLUMNS]
    inter_frame = pd.DataFrame(
        interactions, columns=[c for c in INTERACTION_COLUMNS if c != "p_holm"]
    )
    inter_frame["p_holm"] = math.nan
    for _, index in inter_frame.groupby("metric").groups.items():
        inter_frame.loc[index, "p_holm"] = holm(inter_frame.loc[index, "p"])
    div_cells, div_levels = divergence(runs, layout)
    anova = pd.concat(anovas, ignore_index=True) if anovas else pd.DataFrame()
    return Analysis(
        layout=layout,
        runs=runs,
        metrics=metrics,
        cells=cell_stats(runs, layout, metrics),
        levels=level_stats(runs, layout, metrics),
        effects=effects_frame,
        interactions=inter_frame[INTERACTION_COLUMNS],
        anova=anova,
        claims=claims_table(effects_frame, div_levels),
        divergence_cells=div_cells,
        divergence_levels=div_levels,
        models=pd.DataFrame(models),
    )
