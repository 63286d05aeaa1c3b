"""The analysis engine: every metric's model, fit and contrasts for many studies at once.

`measure_studies(setting, values)` takes replicates x runs x metrics (a real study is one
replicate; the simulation harness passes thousands) and returns, per replicate and metric,
each claim's main (average) effect, its effect at the recommended configuration and at
each level of every other factor, each pair's interaction, each term's Wald test, the
spread, and each run's robust weight, as arrays. verdicts.py turns them into words. Runs
that leave the same completed runs (missing-data pattern) share one model matrix.

A diverged run (no value on any metric, or `diverged` says so) enters every metric at
the worst completed value of its replicate (DIVERGED_RULE); a run without a value that did
not diverge (a metric that failed to compute) is left out of that metric's fit.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from gan_bench.analysis.equivalence import baseline_level, margin
from gan_bench.analysis.inference import Inference, infer, read_off, wald
from gan_bench.analysis.model import (
    Model,
    Setting,
    choose_model,
    claim_index,
    conditions,
    contrast,
    estimable,
    factor_pairs,
    has_levels,
    recommended_config,
)
from gan_bench.analysis.robust import robust_fit

DIVERGED_RULE = (
    "A diverged run has no metrics of its own; the effects, interactions and verdicts count "
    "it as the study's worst completed run on every metric (it ranks last, and the robust "
    "fit bounds its pull), so a level cannot look better by losing its worst runs. Cell and "
    "level means are over completed runs only, and the divergence rate of every cell and "
    "level is shown beside them."
)
# each contrast family read_off reads, and the names its numbers are stored under
GROUPS = {"effect": "", "rec": "rec_", "cond": "cond_", "inter": "inter_"}
NUMBERS = ("estimate", "se", "df", "t", "p", "ci_low", "ci_high")


def statistic_values(setting: Setting, values: np.ndarray) -> np.ndarray:
    """Each metric as statistics take it (MetricColumn.statistic: |x| for towards-zero)."""
    columns = [c.statistic(values[..., m]) for m, c in enumerate(setting.columns)]
    return np.stack(columns, axis=-1).reshape(values.shape) if columns else values


def diverged_as_worst(
    setting: Setting, statistics: np.ndarray, diverged: np.ndarray | None = None
) -> np.ndarray:
    """DIVERGED_RULE on replicates x runs x metrics: a diverged run (`diverged`, replicates
    x runs; by default a run with no value on any metric) takes, per replicate and metric,
    the worst value of the completed runs. Dropped, a level whose worst runs diverge would
    look better than it is (with equal means and 30% of one level's worst runs diverged,
    dropping called the claim contradicted in 48% of studies)."""
    if diverged is None:
        diverged = ~np.isfinite(statistics).any(axis=2)
    if not statistics.shape[1]:
        return statistics  # no run: nothing to stand in for
    completed = np.where(diverged[..., None], np.nan, statistics)
    higher = np.array([column.direction == "higher" for column in setting.columns])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a metric without completed runs
        worst = np.where(higher, np.nanmin(completed, axis=1), np.nanmax(completed, axis=1))
    return np.where(diverged[..., None], worst[:, None, :], completed)


def margins(setting: Setting, statistics: np.ndarray) -> np.ndarray:
    """The SESOI per replicate and metric (equivalence.margin; a relative one on
    equivalence.baseline_level of the replicate's runs)."""
    at_base = (setting.run_levels == 0).all(axis=1)
    means = baseline_level(np.moveaxis(statistics, 1, -1), at_base)
    if not setting.columns:  # runs not scored yet: no metric, no margin
        return np.zeros((len(statistics), 0))
    return np.stack(
        [
            np.vectorize(lambda mean, c=column: margin(c, setting.sesoi, mean))(means[:, m])
            for m, column in enumerate(setting.columns)
        ],
        axis=1,
    ).reshape(len(statistics), len(setting.columns))


@dataclass(frozen=True)
class Vectors:
    """One model's contrast vectors (NaN rows where it has none), per family."""

    effect: np.ndarray  # claims x coefficients: level vs baseline, averaged over the others
    rec: np.ndarray  # claims: with every other factor at its recommended level
    cond: np.ndarray  # conditions(layout): at one level of one other factor
    inter: np.ndarray  # factor_pairs(layout): difference of differences (two-level pairs)


def _effect(model: Model, layout, pinv, factor: int, level: int, fixed: dict) -> np.ndarray:
    vector = contrast(model, layout, [(1.0, {factor: level} | fixed), (-1.0, {factor: 0} | fixed)])
    return vector if estimable(vector, model, pinv) else np.full(len(vector), np.nan)


def vectors_of(model: Model, layout) -> Vectors:
    """Every contrast the verdicts and tables need, for one model."""
    width = model.exog.shape[1]
    pinv = np.linalg.pinv(model.exog)
    claims, keys, pairs = claim_index(layout), conditions(layout), factor_pairs(layout)
    effect, rec = np.full((len(claims), width), np.nan), np.full((len(claims), width), np.nan)
    cond, inter = np.full((len(keys), width), np.nan), np.full((len(pairs), width), np.nan)
    names = list(layout.factors)
    config = recommended_config(layout)
    wanted = {f: layout.factors[name].index(config[name]) for f, name in enumerate(names)}
    for k, (factor, level) in enumerate(claims):
        if not has_levels(model, factor, 0, level):
            continue
        effect[k] = _effect(model, layout, pinv, factor, level, {})
        if not model.interactions:
            rec[k] = effect[k]
            continue
        fixed = {
            g: wanted[g] if wanted[g] in kept else kept[0]
            for g, kept in zip(model.factors, model.present, strict=True)
            if g != factor
        }
        rec[k] = _effect(model, layout, pinv, factor, level, fixed)
    for c, (k, other, value) in enumerate(keys):
        factor, level = claims[k]
        if model.interactions and np.isfinite(effect[k]).all() and has_levels(model, other, value):
            cond[c] = _effect(model, layout, pinv, factor, level, {other: value})
    for c, (a, b) in enumerate(pairs):
        if model.interactions and _two_levels(model, a) and _two_levels(model, b):
            inter[c] = _effect(model, layout, pinv, a, 1, {b: 1}) - _effect(
                model, layout, pinv, a, 1, {b: 0}
            )
    return Vectors(effect, rec, cond, inter)


def _two_levels(model: Model, factor: int) -> bool:
    return factor in model.factors and model.present[model.factors.index(factor)] == [0, 1]


def terms_of(setting: Setting) -> list[tuple[int, ...]]:
    """Every term a model may hold: each factor, then each pair of factors."""
    return [(f,) for f in range(len(setting.layout.factors))] + factor_pairs(setting.layout)


def _fit_pattern(setting: Setting, model: Model, y: np.ndarray) -> dict[str, np.ndarray]:
    """One model's fit of every column of y (its runs x columns): each contrast family's
    numbers, each term's Wald test, the spread, the fit's reason and the runs' weights."""
    fit = robust_fit(model.exog, y)
    inference: Inference = infer(model.exog, fit, y, setting.run_cells[model.rows])
    out: dict[str, np.ndarray] = {}
    vectors = vectors_of(model, setting.layout)
    for group, prefix in GROUPS.items():
        numbers = read_off(inference, getattr(vectors, group))
        out |= {prefix + key: numbers[key] for key in NUMBERS}
    terms = terms_of(setting)
    tests = {key: np.full((len(terms), y.shape[1]), np.nan) for key in ("F", "p", "df", "df2")}
    for t, term in enumerate(terms):
        if term in model.terms:
            for key, value in wald(inference, model.terms[term]).items():
                tests[key][t] = value
    out |= {"term_" + key: value for key, value in tests.items()}
    out["sigma"] = inference.sigma[None]
    out["df_resid"] = np.full((1, y.shape[1]), float(inference.df_resid))
    out["runs"] = np.full((1, y.shape[1]), float(len(y)))
    weights = np.full((len(model.rows), y.shape[1]), np.nan)
    weights[model.rows] = fit.weights
    out["weights"] = weights
    out["reason"] = fit.reason[None]
    return out


@dataclass
class Measured:
    """measure_studies()'s arrays: per name, replicates x metrics x items (claims, conditions,
    pairs, terms or runs; one item for sigma, df_resid, runs, reason), and the models."""

    arrays: dict[str, np.ndarray]
    models: list[Model]
    model_of: np.ndarray  # replicates x metrics: index into models (-1: no completed run)
    sesoi: np.ndarray  # replicates x metrics


def measure_studies(
    setting: Setting, values: np.ndarray, diverged: np.ndarray | None = None
) -> Measured:
    """Fit every replicate and metric of `values` (replicates x runs x metrics, metric units;
    NaN: no value) with its model; `diverged` (replicates x runs) as diverged_as_worst."""
    replicates, runs, metrics = values.shape
    raw = statistic_values(setting, values)
    statistics = diverged_as_worst(setting, raw, diverged)
    flat = statistics.transpose(1, 0, 2).reshape(runs, -1)
    patterns, inverse = np.unique(np.isfinite(flat).T, axis=0, return_inverse=True)
    store = {
        key: np.full((items, flat.shape[1]), "" if key == "reason" else np.nan, dtype=dtype)
        for key, (items, dtype) in _items(setting).items()
    }
    models, model_of = [], np.full(flat.shape[1], -1)
    for k, rows in enumerate(patterns):
        columns = np.flatnonzero(inverse.ravel() == k)
        if not rows.any():
            continue  # no completed run: no model
        model = choose_model(rows, setting.run_levels, setting.layout)
        model_of[columns] = len(models)
        models.append(model)
        for key, array in _fit_pattern(setting, model, flat[rows][:, columns]).items():
            store[key][:, columns] = array
    arrays = {
        key: array.reshape(len(array), replicates, metrics).transpose(1, 2, 0)
        for key, array in store.items()
    }
    return Measured(
        arrays, models, model_of.reshape(replicates, metrics), margins(setting, statistics)
    )


def _items(setting: Setting) -> dict[str, tuple[int, type]]:
    """Each array _fit_pattern returns: its number of items, and its type."""
    layout = setting.layout
    sizes = {
        "": len(claim_index(layout)), "rec_": len(claim_index(layout)),
        "cond_": len(conditions(layout)), "inter_": len(factor_pairs(layout)),
    }  # fmt: skip
    out = {prefix + key: (size, float) for prefix, size in sizes.items() for key in NUMBERS}
    out |= {"term_" + key: (len(terms_of(setting)), float) for key in ("F", "p", "df", "df2")}
    out |= {key: (1, float) for key in ("sigma", "df_resid", "runs")}
    return out | {"weights": (len(setting.run_cells), float), "reason": (1, object)}
