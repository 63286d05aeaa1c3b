"""The study's model fit for many simulated studies at once: `fit_many`.

analyse() fits one statsmodels model per metric (1-2 s a study); judging a statistic
needs hundreds of studies. Here every (replicate, metric) column that leaves the same runs
(missing-data pattern) shares one design matrix and one pseudo-inverse, coded as
linear_model.py codes it (sum coding, baseline first, two-way interactions where the design
separates them and every cell has a run); contrasts, Holm and verdict words follow
linear_model.py and claims.py, so the numbers equal analyse()'s (tests check it).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from itertools import combinations, product

import numpy as np
import pandas as pd
from scipy import stats

from gan_bench.analysis.batch_verdicts import Fits, claim_index, conditions, with_verdicts
from gan_bench.analysis.choices import primary_column, sesoi_settings
from gan_bench.analysis.conditional import recommended_config
from gan_bench.analysis.equivalence import baseline_level, margin
from gan_bench.analysis.layout import Layout, confirmatory_claims, layout_for
from gan_bench.analysis.linear_model import CONFIDENCE
from gan_bench.analysis.robust import robust_fit
from gan_bench.score.registry import MetricColumn
from gan_bench.study.design import DesignRecord
from gan_bench.study.study_file import Study


@dataclass(frozen=True)
class Setting:
    """A study as the harness sees it: its layout, metric columns and one row per run
    (cells x seeds, in design order), each run's cell and factor levels as indices."""

    layout: Layout
    columns: list[MetricColumn]
    seeds: list[int]
    run_cells: np.ndarray  # run -> index into layout.cell_order
    run_levels: np.ndarray  # run x factor -> index into layout.factors[name]
    primary: str = ""  # the primary metric (layout.primary_column)
    sesoi: dict[str, float] = field(default_factory=dict)  # the study's analysis.sesoi
    # (metric, factor) of every confirmatory claim (layout.confirmatory_claims)
    confirmatory: list[tuple[str, str]] = field(default_factory=list)

    @property
    def metrics(self) -> list[str]:
        return [column.name for column in self.columns]


def setting_of(study: Study, design: DesignRecord, columns: list[MetricColumn]) -> Setting:
    """The Setting of a study's design: every cell of design.json with every seed."""
    cells = list(design.cells)
    frame = pd.DataFrame({"cell": cells})
    layout = layout_for(frame, study, design)
    run_cells = np.repeat(np.arange(len(cells)), len(design.seeds))
    levels = np.array(
        [
            [layout.factors[name].index(layout.cell_levels[cell][name]) for name in layout.factors]
            for cell in cells
        ],
        dtype=int,
    ).reshape(len(cells), len(layout.factors))
    lead = primary_column(study, list(columns))
    primary = lead.name if lead else ""
    return Setting(
        layout,
        list(columns),
        list(design.seeds),
        run_cells,
        levels[run_cells],
        primary,
        sesoi_settings(study),
        confirmatory_claims(list(layout.factors), list(columns), lead.name if lead else None),
    )


@dataclass(frozen=True)
class Model:
    """One missing-data pattern's model, as fit_metric would choose it."""

    rows: np.ndarray  # bool over runs: the completed ones
    factors: list[int]  # layout factors in the model (>= 2 levels present)
    present: list[list[int]]  # per model factor: its present level indices, layout order
    interactions: bool
    exog: np.ndarray
    terms: dict[tuple[int, ...], slice]  # (factor,) or (a, b) -> its columns


def _sum_coded(levels: np.ndarray, present: list[int]) -> np.ndarray:
    """patsy's Sum coding: one column per present level but the last, -1 on the last."""
    columns = [(levels == level).astype(float) for level in present[:-1]]
    last = levels == present[-1]
    return np.column_stack([np.where(last, -1.0, c) for c in columns])


def model_matrix(
    levels: np.ndarray, factors: list[int], present: list[list[int]], interactions: bool
) -> tuple[np.ndarray, dict[tuple[int, ...], slice]]:
    """Intercept, sum-coded main effects, then two-way products (levels: rows x factors)."""
    blocks = [np.ones((len(levels), 1))]
    terms: dict[tuple[int, ...], slice] = {}
    start = 1
    mains = {}
    for factor, kept in zip(factors, present, strict=True):
        mains[factor] = _sum_coded(levels[:, factor], kept)
    items: list[tuple[tuple[int, ...], np.ndarray]] = [((f,), m) for f, m in mains.items()]
    if interactions:
        for a, b in combinations(factors, 2):
            product_columns = (mains[a][:, :, None] * mains[b][:, None, :]).reshape(len(levels), -1)
            items.append(((a, b), product_columns))
    for term, block in items:
        terms[term] = slice(start, start + block.shape[1])
        blocks.append(block)
        start += block.shape[1]
    return np.column_stack(blocks), terms


def choose_model(
    rows: np.ndarray, run_levels: np.ndarray, run_cells: np.ndarray, layout: Layout
) -> Model:
    """fit_metric's choice for these completed rows: factors with >= 2 present levels;
    interactions when the design separates them, the model stays full rank and residual
    degrees of freedom remain."""
    levels = run_levels[rows]
    factors, present = [], []
    for index, name in enumerate(layout.factors):
        kept = [i for i in range(len(layout.factors[name])) if (levels[:, index] == i).any()]
        if len(kept) >= 2:
            factors.append(index)
            present.append(kept)
    want = layout.separates_interactions and len(factors) >= 2
    for interactions in [True, False] if want else [False]:
        exog, terms = model_matrix(levels, factors, present, interactions)
        rank = np.linalg.matrix_rank(exog)
        if interactions and rank < exog.shape[1]:
            continue
        if len(levels) - rank > 0:
            break
    return Model(rows, factors, present, interactions, exog, terms)


def _grid(model: Model, layout: Layout) -> np.ndarray:
    """linear_model's reference grid as level indices (rows x all layout factors)."""
    base = [0] * len(layout.factors)  # baseline first in every layout factor
    for factor, kept in zip(model.factors, model.present, strict=True):
        base[factor] = 0 if 0 in kept else kept[0]
    if model.interactions:
        combos = []
        for values in product(*model.present):
            row = list(base)
            for factor, value in zip(model.factors, values, strict=True):
                row[factor] = value
            combos.append(row)
    else:
        combos = [list(base)] + [
            base[:f] + [level] + base[f + 1 :]
            for f, kept in zip(model.factors, model.present, strict=True)
            for level in kept
            if level != base[f]
        ]
    return np.array(combos, dtype=int)


def contrast(model: Model, layout: Layout, weights: list[tuple[float, dict[int, int]]]):
    """linear_model._contrast: each term averages the grid's model rows holding its levels
    (the others at baseline when interactions are not modelled)."""
    grid = _grid(model, layout)
    matrix, _ = model_matrix(grid, model.factors, model.present, model.interactions)
    total = np.zeros(matrix.shape[1])
    for weight, fixed in weights:
        mask = np.ones(len(grid), dtype=bool)
        for factor in model.factors:
            if factor in fixed:
                mask &= grid[:, factor] == fixed[factor]
            elif not model.interactions:
                mask &= grid[:, factor] == grid[0, factor]
        total += weight * matrix[mask].mean(axis=0)
    return total


def _usable(model: Model, factor: int, level: int) -> bool:
    """effects_for gives this claim a contrast: the factor is modelled with both levels."""
    if factor not in model.factors:
        return False
    return not {0, level} - set(model.present[model.factors.index(factor)])


def _estimable(vector: np.ndarray, model: Model, pinv: np.ndarray) -> bool:
    return bool(np.allclose(vector @ pinv @ model.exog, vector, atol=1e-8))


def _effect_rows(model: Model, layout: Layout, pinv: np.ndarray) -> np.ndarray:
    """One contrast per claim (NaN rows where effects_for gives none: a level without a
    completed run, a factor out of the model, or a contrast the design confounds)."""
    claims = claim_index(layout)
    rows = np.full((len(claims), model.exog.shape[1]), np.nan)
    for k, (factor, level) in enumerate(claims):
        if not _usable(model, factor, level):
            continue
        vector = contrast(model, layout, [(1.0, {factor: level}), (-1.0, {factor: 0})])
        if _estimable(vector, model, pinv):
            rows[k] = vector
    return rows


def _shift_rows(model: Model, layout: Layout, effects: np.ndarray) -> np.ndarray:
    """Per claim and layout factor g: what fixing g at its recommended level (when present)
    adds to the claim's main-effect contrast (zero for the claim's own factor, a factor out
    of the model, or no interactions; NaN for a claim without an effect). A sum-coded grid
    averages the unfixed factors' interactions to zero, so conditional_for's
    recommended-configuration contrast is the main one plus the shifts of its partners."""
    config = recommended_config(layout)
    names = list(layout.factors)
    wanted = {f: layout.factors[name].index(config[name]) for f, name in enumerate(names)}
    rows = np.zeros((len(effects), len(names), effects.shape[1]))
    for k, (factor, level) in enumerate(claim_index(layout)):
        if not np.isfinite(effects[k]).all():
            rows[k] = np.nan
            continue
        if not model.interactions:
            continue
        for other, kept in zip(model.factors, model.present, strict=True):
            if other != factor:
                fixed = {other: wanted[other] if wanted[other] in kept else kept[0]}
                weights = [(1.0, {factor: level} | fixed), (-1.0, {factor: 0} | fixed)]
                rows[k, other] = contrast(model, layout, weights) - effects[k]
    return rows


def _conditional_rows(
    model: Model, layout: Layout, pinv: np.ndarray, effects: np.ndarray
) -> np.ndarray:
    """conditional_for's per-level contrasts (NaN where it gives none: no interactions
    modelled, a claim without an effect, a level absent, or not estimable)."""
    claims = claim_index(layout)
    keys = conditions(layout)
    rows = np.full((len(keys), model.exog.shape[1]), np.nan)
    if not model.interactions:
        return rows
    for c, (k, other, value) in enumerate(keys):
        factor, level = claims[k]
        if not np.isfinite(effects[k]).all() or other not in model.factors:
            continue
        if value not in model.present[model.factors.index(other)]:
            continue
        weights = [(1.0, {factor: level, other: value}), (-1.0, {factor: 0, other: value})]
        vector = contrast(model, layout, weights)
        if _estimable(vector, model, pinv):
            rows[c] = vector
    return rows


def _read_off(
    vectors: np.ndarray, params: np.ndarray, unscaled: np.ndarray, scale: np.ndarray, df: float
) -> dict[str, np.ndarray]:
    """Estimate, SE, t, p and 95% CI of each contrast row for every column (NaN rows stay)."""
    estimate = vectors @ params  # contrasts x columns
    se = np.sqrt(np.einsum("cp,pq,cq->c", vectors, unscaled, vectors)[:, None] * scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = estimate / se
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, df) * se if df > 0 else np.nan * se
    return {
        "estimate": estimate,
        "se": se,
        "t": t,
        "df": np.full(estimate.shape, df),
        "p": 2 * stats.t.sf(np.abs(t), df) if df > 0 else np.nan * t,
        "ci_low": estimate - half,
        "ci_high": estimate + half,
    }


def _fit_pattern(model: Model, y: np.ndarray, layout: Layout) -> dict[str, np.ndarray]:
    """The Huber fit (robust.py) of every column of y (runs x columns) on one model
    matrix: the claims' estimates, SEs, t, p and CIs (main, at the recommended
    configuration, conditional), sigma, and each modelled interaction's F-test."""
    exog = model.exog
    pinv = np.linalg.pinv(exog)
    df = float(len(y) - np.linalg.matrix_rank(exog))
    robust = robust_fit(exog, y)
    params = robust.params
    scale = robust.variance if df > 0 else np.full(y.shape[1], np.nan)
    unscaled = pinv @ pinv.T
    vectors = _effect_rows(model, layout, pinv)
    out = _read_off(vectors, params, unscaled, scale, df)
    parts = np.concatenate([vectors[:, None], _shift_rows(model, layout, vectors)], axis=1)
    gram = np.einsum("kap,pq,kbq->kab", parts, unscaled, parts).reshape(-1, 1)
    out |= {
        "parts": (parts @ params).reshape(-1, y.shape[1]),
        "gram": np.repeat(gram, y.shape[1], axis=1),
    }
    cond = _read_off(_conditional_rows(model, layout, pinv, vectors), params, unscaled, scale, df)
    out |= {"cond_estimate": cond["estimate"]}
    pairs = list(combinations(range(len(layout.factors)), 2))
    inter_F = np.full((len(pairs), y.shape[1]), np.nan)
    for k, pair in enumerate(pairs):
        if model.interactions and pair in model.terms:
            cols = model.terms[pair]
            wald = np.linalg.pinv(unscaled[cols, cols])
            effect = params[cols]
            inter_F[k] = np.einsum("qk,qr,rk->k", effect, wald, effect) / (len(effect) * scale)
    return out | {
        "sigma": np.sqrt(scale),
        "inter_F": inter_F,
        "inter_p": stats.f.sf(inter_F, _term_df(model, pairs), df),
    }


def _term_df(model: Model, pairs: list[tuple[int, int]]) -> np.ndarray:
    """The numerator degrees of freedom of each pair's interaction term (1 if absent)."""
    spans = [model.terms.get(pair, slice(0, 1)) for pair in pairs]
    return np.array([[span.stop - span.start] for span in spans], dtype=float)


def _store(shape: tuple[int, ...]) -> np.ndarray:
    return np.full(shape, np.nan)


def statistic_values(setting: Setting, values: np.ndarray) -> np.ndarray:
    """layout.statistic_runs on an array: |x| for towards-zero metrics."""
    zero = np.array([column.direction == "zero" for column in setting.columns])
    return np.where(zero, np.abs(values), values)


def diverged_as_worst(setting: Setting, statistics: np.ndarray) -> np.ndarray:
    """layout.diverged_as_worst on an array (replicates x runs x metrics): a run with no
    value on any metric (summary_frame's diverged run) takes, per replicate and metric, the
    worst value of the completed runs."""
    gone = ~np.isfinite(statistics).any(axis=2, keepdims=True)
    higher = np.array([column.direction == "higher" for column in setting.columns])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a metric without completed runs
        worst = np.where(higher, np.nanmin(statistics, axis=1), np.nanmax(statistics, axis=1))
    return np.where(gone, worst[:, None, :], statistics)


def margins(setting: Setting, statistics: np.ndarray) -> np.ndarray:
    """analyse()'s SESOI per replicate and metric (replicates x metrics): a relative one
    from equivalence.baseline_level of each replicate's runs."""
    at_base = (setting.run_levels == 0).all(axis=1)
    means = baseline_level(np.moveaxis(statistics, 1, -1), at_base)
    return np.stack(
        [
            np.vectorize(lambda mean, c=column: margin(c, setting.sesoi, mean))(means[:, m])
            for m, column in enumerate(setting.columns)
        ],
        axis=1,
    )


def fit_many(setting: Setting, values: np.ndarray, look_share: float = 1.0) -> Fits:
    """analyse()'s effects, interaction tests, Holm and verdicts for many studies at once.
    `values`: replicates x runs x metrics in metric units (NaN: no value, e.g. diverged);
    `look_share` as analyse() takes it."""
    layout = setting.layout
    replicates, runs, metrics = values.shape
    statistics = diverged_as_worst(setting, statistic_values(setting, values))
    flat = statistics.transpose(1, 0, 2).reshape(runs, -1)
    patterns, inverse = np.unique(np.isfinite(flat).T, axis=0, return_inverse=True)
    claims = claim_index(layout)
    pairs = list(combinations(range(len(layout.factors)), 2))
    keys = ("estimate", "se", "t", "df", "p", "ci_low", "ci_high")
    out = {key: _store((len(claims), flat.shape[1])) for key in keys}
    width = 1 + len(layout.factors)  # the main contrast, then one shift per factor
    out["parts"] = _store((len(claims) * width, flat.shape[1]))
    out["gram"] = _store((len(claims) * width * width, flat.shape[1]))
    out |= {"cond_estimate": _store((len(conditions(layout)), flat.shape[1]))}
    out |= {"sigma": _store((1, flat.shape[1]))}
    out |= {key: _store((len(pairs), flat.shape[1])) for key in ("inter_F", "inter_p")}
    for k, rows in enumerate(patterns):
        columns = np.flatnonzero(inverse.ravel() == k)
        if not rows.any():
            continue  # fit_metric: no completed run, no model
        model = choose_model(rows, setting.run_levels, setting.run_cells, layout)
        for key, array in _fit_pattern(model, flat[rows][:, columns], layout).items():
            out[key][:, columns] = array
    shaped = {
        key: array.reshape(len(array), replicates, metrics).transpose(1, 2, 0)
        for key, array in out.items()
    }
    shaped["margin"] = margins(setting, statistic_values(setting, values))
    return with_verdicts(
        layout, setting.columns, shaped, setting.primary, setting.confirmatory, look_share
    )
