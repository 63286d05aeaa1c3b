"""The study's OLS for many simulated studies at once: `fit_many`.

analyse() fits one statsmodels model per metric (1-2 s a study); judging a statistic
needs hundreds of studies. Here every (replicate, metric) column that leaves the same runs
(missing-data pattern) shares one design matrix and one pseudo-inverse, coded as
linear_model.py codes it (sum coding, baseline first, two-way interactions where the design
separates them and every cell has a run); contrasts, Holm and verdict words follow
linear_model.py and claims.py, so the numbers equal analyse()'s (tests check it).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, product

import numpy as np
import pandas as pd
from scipy import stats

from gan_bench.analysis.claims import expected_direction, verdict
from gan_bench.analysis.layout import Layout, layout_for
from gan_bench.analysis.linear_model import CONFIDENCE
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
    return Setting(layout, list(columns), list(design.seeds), run_cells, levels[run_cells])


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
    interactions when the design separates them, every cell has a run and residual degrees
    of freedom remain."""
    levels = run_levels[rows]
    factors, present = [], []
    for index, name in enumerate(layout.factors):
        kept = [i for i in range(len(layout.factors[name])) if (levels[:, index] == i).any()]
        if len(kept) >= 2:
            factors.append(index)
            present.append(kept)
    every_cell = len(np.unique(run_cells[rows])) == len(np.unique(run_cells))
    want = layout.separates_interactions and len(factors) >= 2 and every_cell
    for interactions in [True, False] if want else [False]:
        exog, terms = model_matrix(levels, factors, present, interactions)
        if len(levels) - np.linalg.matrix_rank(exog) > 0:
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


def holm_many(p: np.ndarray) -> np.ndarray:
    """linear_model.holm along the last axis: Holm over the finite p's, NaN stays NaN."""
    order = np.argsort(np.where(np.isfinite(p), p, np.inf), axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1)
    count = np.isfinite(p).sum(axis=-1, keepdims=True)
    scaled = ranked * (count - np.arange(p.shape[-1]))
    stepped = np.minimum(1.0, np.fmax.accumulate(scaled, axis=-1))
    stepped[~np.isfinite(ranked)] = np.nan
    adjusted = np.empty_like(p)
    np.put_along_axis(adjusted, order, stepped, axis=-1)
    return adjusted


@dataclass
class Fits:
    """Per replicate, metric and claim (a factor's level against its baseline): what
    analyse()'s effects and claims tables hold; per pair of factors: the interaction's p."""

    metrics: list[str]
    effects: list[tuple[str, str, str]]  # (factor, level, baseline), analyse()'s order
    pairs: list[tuple[str, str]]
    estimate: np.ndarray  # replicates x metrics x effects, and so on
    se: np.ndarray
    t: np.ndarray
    df: np.ndarray
    p: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_holm: np.ndarray
    verdict: np.ndarray  # claims.verdict's words
    sigma: np.ndarray  # replicates x metrics
    inter_F: np.ndarray  # replicates x metrics x pairs; NaN where none was modelled
    inter_p: np.ndarray
    inter_p_holm: np.ndarray

    def decided(self) -> np.ndarray:
        """Where a verdict word says supported or contradicted."""
        return np.isin(self.verdict, ["supported", "contradicted"])


def _claims(layout: Layout) -> list[tuple[int, int]]:
    """(factor index, level index) of every non-baseline level, effects_for's order."""
    return [
        (f, i) for f, name in enumerate(layout.factors) for i in range(1, len(layout.factors[name]))
    ]


def _effect_rows(model: Model, layout: Layout, pinv: np.ndarray) -> np.ndarray:
    """One contrast per claim (NaN rows where effects_for gives none: a level without a
    completed run, a factor out of the model, or a contrast the design confounds)."""
    claims = _claims(layout)
    rows = np.full((len(claims), model.exog.shape[1]), np.nan)
    for k, (factor, level) in enumerate(claims):
        if factor not in model.factors or {0, level} - set(
            model.present[model.factors.index(factor)]
        ):
            continue
        vector = contrast(model, layout, [(1.0, {factor: level}), (-1.0, {factor: 0})])
        if np.allclose(vector @ pinv @ model.exog, vector, atol=1e-8):
            rows[k] = vector
    return rows


def _fit_pattern(model: Model, y: np.ndarray, layout: Layout) -> dict[str, np.ndarray]:
    """OLS of every column of y (completed runs x columns) on one model matrix: the claims'
    estimates, SEs, t, p and CIs, sigma, and each modelled interaction's F-test."""
    exog = model.exog
    pinv = np.linalg.pinv(exog)
    df = float(len(y) - np.linalg.matrix_rank(exog))
    params = pinv @ y
    scale = ((y - exog @ params) ** 2).sum(axis=0) / df if df > 0 else np.full(y.shape[1], np.nan)
    unscaled = pinv @ pinv.T
    vectors = _effect_rows(model, layout, pinv)
    estimate = vectors @ params  # claims x columns
    se = np.sqrt(np.einsum("cp,pq,cq->c", vectors, unscaled, vectors)[:, None] * scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = estimate / se
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, df) * se if df > 0 else np.nan * se
    pairs = list(combinations(range(len(layout.factors)), 2))
    inter_F = np.full((len(pairs), y.shape[1]), np.nan)
    for k, pair in enumerate(pairs):
        if model.interactions and pair in model.terms:
            cols = model.terms[pair]
            wald = np.linalg.pinv(unscaled[cols, cols])
            effect = params[cols]
            inter_F[k] = np.einsum("qk,qr,rk->k", effect, wald, effect) / (len(effect) * scale)
    return {
        "estimate": estimate,
        "se": se,
        "t": t,
        "df": np.full(estimate.shape, df),
        "p": 2 * stats.t.sf(np.abs(t), df) if df > 0 else np.nan * t,
        "ci_low": estimate - half,
        "ci_high": estimate + half,
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


def fit_many(setting: Setting, values: np.ndarray) -> Fits:
    """analyse()'s effects, interaction tests, Holm and verdicts for many studies at once.
    `values`: replicates x runs x metrics in metric units (NaN: no value, e.g. diverged)."""
    layout = setting.layout
    replicates, runs, metrics = values.shape
    flat = statistic_values(setting, values).transpose(1, 0, 2).reshape(runs, -1)
    patterns, inverse = np.unique(np.isfinite(flat).T, axis=0, return_inverse=True)
    claims = _claims(layout)
    pairs = list(combinations(range(len(layout.factors)), 2))
    keys = ("estimate", "se", "t", "df", "p", "ci_low", "ci_high")
    out = {key: _store((len(claims), flat.shape[1])) for key in keys}
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
    return _with_verdicts(setting, shaped, claims, pairs)


def _with_verdicts(
    setting: Setting,
    shaped: dict[str, np.ndarray],
    claims: list[tuple[int, int]],
    pairs: list[tuple[int, int]],
) -> Fits:
    """Holm per metric over its claims and over its interactions, then claims.verdict."""
    layout = setting.layout
    names = list(layout.factors)
    effects = [
        (names[f], layout.factors[names[f]][i], layout.baseline[names[f]]) for f, i in claims
    ]
    p_holm = holm_many(shaped["p"])
    expected = np.array([expected_direction(*effect) for effect in effects], dtype=object)
    sign = np.array([-1.0 if c.direction in ("lower", "zero") else 1.0 for c in setting.columns])
    improvement = sign[None, :, None] * shaped["estimate"]
    words = np.frompyfunc(verdict, 3, 1)(expected[None, None, :], improvement, p_holm)
    return Fits(
        metrics=setting.metrics,
        effects=effects,
        pairs=[(names[a], names[b]) for a, b in pairs],
        estimate=shaped["estimate"],
        se=shaped["se"],
        t=shaped["t"],
        df=shaped["df"],
        p=shaped["p"],
        ci_low=shaped["ci_low"],
        ci_high=shaped["ci_high"],
        p_holm=p_holm,
        verdict=words.astype(str),
        sigma=shaped["sigma"][..., 0],
        inter_F=shaped["inter_F"],
        inter_p=shaped["inter_p"],
        inter_p_holm=holm_many(shaped["inter_p"]),
    )
