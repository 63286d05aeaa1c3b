"""Simulate before you trust a statistic: many synthetic studies of a real design.

A verdict's error rates (false verdicts under no effect, power, interval coverage, what
half-failed or diverged runs do to it) cannot be read off one study. This module makes
replicate studies with known truth: planted means (main effects and interactions in metric
units) plus noise fitted to a real study's residuals (per-metric spread and the correlation
across metrics, or the residual vectors themselves), optionally with half-failed runs and
informative divergence, or missing cells (Setting.without_cells); verdicts.judge then
judges them all through the engine analyse() uses. The spreads can be made unequal across
cells (`cell_scale`, e.g. each cell's own as a study observed it: observed_spreads) and the
tails heavier (`tails`: Student t noise of the same SD); `restrict` keeps the metrics that
carry verdict words, which judges the same words in a fraction of the time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from gan_bench.analysis.inference import ALPHA
from gan_bench.analysis.layout import metric_columns, tidy_runs
from gan_bench.analysis.model import Setting, claim_index, conditions, model_matrix, setting_of
from gan_bench.analysis.summary import read_metric_columns, read_summary
from gan_bench.analysis.verdicts import Fits, judge
from gan_bench.errors import BadInput
from gan_bench.folders import StudyFolder
from gan_bench.study.record import read_study_record

__all__ = [
    "Divergence",
    "Fits",
    "NoiseError",
    "NoiseModel",
    "Setting",
    "any_decided",
    "any_false_word",
    "any_interaction",
    "any_wrong_word",
    "covered",
    "judge",
    "fit_noise",
    "observed_spreads",
    "planted_means",
    "rate",
    "read_noise",
    "restrict",
    "setting_of",
    "simulate_runs",
    "summary_frame",
    "true_effects",
    "verdict_of",
]
FAILED_KEYS = ("fid", "kid")  # FID-like metrics: a half-failed run multiplies them


class NoiseError(BadInput):
    """A study whose runs leave no residual spread to fit noise to; names its summary."""


@dataclass(frozen=True)
class NoiseModel:
    """Seed-to-seed noise of a real study, per metric column: residual SD of the full model
    (main effects and two-way interactions), their correlation, the grand mean (the
    sum-coded intercept) and the residual vectors scaled to that SD, for resampling."""

    metrics: list[str]
    mean: np.ndarray  # metrics
    sd: np.ndarray  # metrics
    corr: np.ndarray  # metrics x metrics
    residuals: np.ndarray = field(repr=False)  # runs x metrics, scaled by sqrt(n / df)

    def draw(self, rng: np.random.Generator, shape: tuple[int, int], resample: bool) -> np.ndarray:
        """Noise of shape + (metrics,): multivariate normal, or whole residual vectors
        drawn with replacement (keeps their tails and their cross-metric links)."""
        if resample:
            return self.residuals[rng.integers(len(self.residuals), size=shape)]
        cov = self.corr * np.outer(self.sd, self.sd)
        return rng.multivariate_normal(np.zeros(len(self.sd)), cov, size=shape, method="eigh")


def fit_noise(setting: Setting, frame: pd.DataFrame) -> NoiseModel:
    """The noise model of a summary frame of `setting`'s study (runs complete on every
    metric), from the full model with two-way interactions where the design separates them."""
    layout = setting.layout
    runs = tidy_runs(frame, layout, setting.metrics)
    runs = runs[np.isfinite(runs[setting.metrics].to_numpy(float)).all(axis=1)]
    levels = np.array(
        [[layout.factors[name].index(v) for v in runs[name]] for name in layout.factors]
    ).T.reshape(len(runs), len(layout.factors))
    kept = [list(range(len(values))) for values in layout.factors.values()]
    exog, _ = model_matrix(levels, list(range(len(kept))), kept, layout.separates_interactions)
    y = runs[setting.metrics].to_numpy(float)
    params, *_ = np.linalg.lstsq(exog, y, rcond=None)
    residuals = y - exog @ params
    df = len(y) - np.linalg.matrix_rank(exog)
    if df <= 0:
        raise NoiseError(
            f"{frame.attrs.get('path', 'summary')}: {len(y)} complete runs leave no residual "
            "degrees of freedom in the full model (one seed per cell?): no noise to fit"
        )
    cov = residuals.T @ residuals / df
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    scaled = residuals * np.sqrt(len(y) / df)
    return NoiseModel(setting.metrics, params[0], sd, corr, scaled)


def read_noise(folder: Path) -> tuple[Setting, NoiseModel, pd.DataFrame]:
    """The Setting and noise model of a results folder (summary.csv, metrics.json,
    study.yaml, design.json), e.g. results/default, and its summary frame."""
    study_folder = StudyFolder(Path(folder))
    frame = read_summary(study_folder.summary)
    frame.attrs["path"] = str(study_folder.summary)
    columns = read_metric_columns(study_folder.summary)
    study, design = read_study_record(study_folder)
    names = metric_columns(frame, columns)
    setting = setting_of(study, design, [c for c in columns if c.name in names])
    return setting, fit_noise(setting, frame), frame


def restrict(setting: Setting, noise: NoiseModel, metrics: list[str]):
    """The setting and noise model of `metrics` alone (in that order), for the confirmatory
    claims on them: the verdict words are the same as with every metric (a metric's fit
    and its Holm families are its own or the confirmatory claims'), in a fraction of the
    time. (setting, noise)."""
    keep = [setting.metrics.index(metric) for metric in metrics]
    picked = replace(
        setting,
        columns=[setting.columns[k] for k in keep],
        primary=setting.primary if setting.primary in metrics else "",
        confirmatory=[pair for pair in setting.confirmatory if pair[0] in metrics],
    )
    residuals = None if noise.residuals is None else noise.residuals[:, keep]
    sub = NoiseModel(
        list(metrics), noise.mean[keep], noise.sd[keep], noise.corr[np.ix_(keep, keep)], residuals
    )
    return picked, sub


def observed_spreads(setting: Setting, frame: pd.DataFrame) -> np.ndarray:
    """cells x metrics: each cell's SD over its seeds in a real study's summary frame
    (e.g. results/default's; runs of cells the setting lacks are ignored), per metric
    scaled to a median of 1 over the setting's cells: a `cell_scale` that gives every cell
    the spread it was observed to have, relative to the others (1 everywhere for a metric
    whose median cell shows no spread: most cells tie)."""
    sd = frame.groupby(frame["cell"].astype(str))[setting.metrics].std()
    sd = sd.reindex(setting.layout.cell_order)
    missing = sd.index[sd.isna().any(axis=1)]
    if len(missing):
        raise ValueError(f"no spread observed for cell {missing[0]!r} (fewer than 2 runs)")
    values = sd.to_numpy(float)
    median = np.median(values, axis=0, keepdims=True)  # 0: most cells tie (modes_hit)
    return np.where(median > 0, values / np.where(median > 0, median, 1.0), 1.0)


def planted_means(
    setting: Setting,
    base: np.ndarray,
    main: dict[str, dict[tuple[str, str], float]] | None = None,
    interactions: dict[str, dict[tuple[str, str, str, str], float]] | None = None,
) -> np.ndarray:
    """Per cell and metric: `base` (per metric) plus the planted shifts, in metric units.
    main: metric -> {(factor, level): shift of every run at that level}; interactions:
    metric -> {(factor_a, level_a, factor_b, level_b): shift of runs at both levels}."""
    layout = setting.layout
    _check_planted(setting, main, interactions)
    means = np.tile(np.asarray(base, dtype=float), (len(layout.cell_order), 1))
    for m, metric in enumerate(setting.metrics):
        for c, cell in enumerate(layout.cell_order):
            levels = layout.cell_levels[cell]
            for (factor, level), shift in (main or {}).get(metric, {}).items():
                means[c, m] += shift * (levels[factor] == level)
            for (fa, la, fb, lb), shift in (interactions or {}).get(metric, {}).items():
                means[c, m] += shift * (levels[fa] == la and levels[fb] == lb)
    return means


def _check_planted(setting: Setting, *plants: dict | None) -> None:
    """ValueError naming a planted metric, factor or level the setting does not have."""
    factors = setting.layout.factors
    for plant in plants:
        for metric, shifts in (plant or {}).items():
            if metric not in setting.metrics:
                raise ValueError(f"planted metric {metric!r}: not one of {setting.metrics}")
            for key in shifts:
                for factor, level in zip(key[::2], key[1::2], strict=True):
                    if level not in factors.get(factor, [level]):
                        raise ValueError(f"planted level {factor} = {level!r}: not in the design")
                    if factor not in factors:
                        raise ValueError(f"planted factor {factor!r}: not one of {list(factors)}")


def noise_free(setting: Setting, means: np.ndarray) -> Fits:
    """The setting judged on its planted cell means without noise (one replicate): every
    contrast's truth, e.g. noise_free(...)["cond_estimate"] for the effects at each level."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return judge(setting, means[setting.run_cells][None])


def true_effects(setting: Setting, means: np.ndarray) -> np.ndarray:
    """What each claim's contrast estimates on noise-free data (metrics x claims): the
    planted truth that intervals should cover."""
    return noise_free(setting, means)["estimate"][0]


@dataclass(frozen=True)
class Divergence:
    """Informative divergence: the worst `share` of one level's runs (by `metric`, the
    first column when None) diverge, so analyse() excludes them."""

    factor: str
    level: str
    share: float
    metric: str | None = None


def _diverge(setting: Setting, values: np.ndarray, divergence: Divergence) -> None:
    """Set the worst runs of the level to NaN on every metric, per replicate (in place)."""
    layout = setting.layout
    names = list(layout.factors)
    factor = names.index(divergence.factor)
    level = layout.factors[divergence.factor].index(divergence.level)
    at_level = np.flatnonzero(setting.run_levels[:, factor] == level)
    metric = setting.metrics.index(divergence.metric or setting.metrics[0])
    direction = setting.columns[metric].direction
    scores = values[:, at_level, metric]
    badness = {"lower": scores, "higher": -scores, "zero": np.abs(scores)}[direction]
    count = int(round(divergence.share * len(at_level)))
    if count:
        worst = np.argsort(-badness, axis=1, kind="stable")[:, :count]
        replicate = np.arange(len(values))[:, None]
        values[replicate, at_level[worst], :] = np.nan


def simulate_runs(
    setting: Setting,
    noise: NoiseModel,
    means: np.ndarray,
    replicates: int,
    rng: np.random.Generator,
    *,
    resample: bool = False,
    half_failed: float = 0.0,
    divergence: Divergence | None = None,
    cell_scale: np.ndarray | None = None,
    tails: float | None = None,
) -> np.ndarray:
    """Replicate studies of the setting's design: replicates x runs x metrics = the cell
    means (planted_means) + noise. `tails`: Student t noise with that many df (> 2), scaled
    to the noise model's SD (one chi-square per run: a run is heavy-tailed on every metric
    at once); `cell_scale` (per cell of layout.cell_order, or cells x metrics) multiplies
    each cell's noise. Each run is then half-failed with probability `half_failed` (its
    FID-like values x3); `divergence` then drops one level's worst runs (NaN)."""
    shape = (replicates, len(setting.run_cells))
    if tails is not None and (resample or tails <= 2):
        raise ValueError(f"tails: {tails}: t noise needs df > 2 and normal draws to scale")
    draws = noise.draw(rng, shape, resample)
    if tails is not None:
        draws = draws * np.sqrt((tails - 2) / rng.chisquare(tails, size=shape))[..., None]
    if cell_scale is not None:
        scale = np.asarray(cell_scale, dtype=float)
        scale = scale[:, None] if scale.ndim == 1 else scale
        draws = draws * scale[setting.run_cells][None]
    values = means[setting.run_cells][None] + draws
    if half_failed:
        failed = rng.random(values.shape[:2]) < half_failed
        fid_like = np.array([c.metric.key in FAILED_KEYS for c in setting.columns])
        values[failed[:, :, None] & fid_like[None, None, :]] *= 3.0
    if divergence is not None:
        _diverge(setting, values, divergence)
    return values


def summary_frame(setting: Setting, design_cells: dict, values: np.ndarray) -> pd.DataFrame:
    """One replicate (runs x metrics) as summary.csv would hold it: a run with no value on
    any metric is a diverged one. design_cells: design.json's cell id -> typed levels."""
    layout = setting.layout
    rows = []
    seeds = setting.run_seeds
    for run, cell_index in enumerate(setting.run_cells):
        cell = layout.cell_order[cell_index]
        gone = not np.isfinite(values[run]).any()
        rows.append(
            {"cell": cell, **design_cells[cell], "seed": int(seeds[run])}
            | {"status": "diverged" if gone else "completed", "step": 100, "seconds": 1.0}
            | {"images_per_second": 1.0}
            | dict(zip(setting.metrics, values[run], strict=True))
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- rates


def rate(flags: np.ndarray) -> tuple[float, float]:
    """The share of replicates (first axis) where `flags` holds, averaged over any other
    axes (e.g. the share of claims whose interval covers), and its Monte-Carlo standard
    error from the replicates' shares (one replicate's claims are not independent)."""
    shares = np.asarray(flags, dtype=float).reshape(len(flags), -1).mean(axis=1)
    return float(shares.mean()), float(shares.std() / np.sqrt(len(shares)))


def any_decided(fits: Fits, metric: str | None = None) -> np.ndarray:
    """Per replicate: some supported/contradicted/depends-on word (on `metric`, else anywhere
    in the metrics x claims grid). Under no true effect every such word is a false verdict."""
    decided = fits.decided()
    if metric is not None:
        decided = decided[:, [fits.metrics.index(metric)]]
    return decided.reshape(len(decided), -1).any(axis=1)


def any_interaction(fits: Fits) -> np.ndarray:
    """Per replicate: some interaction decided (as analyse() adjusts) on some metric."""
    with np.errstate(invalid="ignore"):
        significant = fits.inter_p_holm < ALPHA
    return significant.reshape(len(significant), -1).any(axis=1)


def any_false_word(fits: Fits) -> np.ndarray:
    """Per replicate: some verdict word anywhere in the report (supported, contradicted,
    depends on, on any metric) or a decided interaction on a metric that carries
    confirmatory claims (the primary one, a dynamics claim's own: counted as if the report
    worded it). Under no true effect each is a false verdict."""
    judged = fits.judged_on
    with np.errstate(invalid="ignore"):
        inter = (fits.inter_p_holm[:, judged] < ALPHA).reshape(len(fits.verdict), -1)
    return any_decided(fits) | inter.any(axis=1)


def verdict_of(fits: Fits, metric: str, factor: str) -> np.ndarray:
    """Per replicate: the verdict word on one factor's (first) claim for one metric."""
    claim = next(k for k, effect in enumerate(fits.effects) if effect[0] == factor)
    return fits.verdict[:, fits.metrics.index(metric), claim]


def covered(fits: Fits, truth: np.ndarray) -> np.ndarray:
    """Per replicate, metric and claim: whether the 95% interval holds the true effect."""
    return (fits["ci_low"] <= truth[None]) & (truth[None] <= fits["ci_high"])


TRUE_ZERO = 1e-8  # a planted effect below this (metric units) is no effect


def true_crossings(truth: Fits) -> np.ndarray:
    """metrics x claims x factors: whether a claim's true effects (truth: noise_free) at the
    factor's levels have opposite signs: the crossovers "depends on X" may name."""
    layout = truth.setting.layout
    cond = truth["cond_estimate"][0]  # metrics x conditions
    shape = (len(cond), len(claim_index(layout)), len(layout.factors))
    above, below = np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool)
    for c, (k, other, _) in enumerate(conditions(layout)):
        above[:, k, other] |= cond[:, c] > TRUE_ZERO
        below[:, k, other] |= cond[:, c] < -TRUE_ZERO
    return above & below


def any_wrong_word(fits: Fits, truth: Fits) -> np.ndarray:
    """Per replicate: some verdict word the planted truth (the same setting's noise_free
    fits) does not bear out: supported or contradicted on a claim whose true average
    effect is zero or of the other sign, or "depends on X" where the claim's true effects
    at X's levels do not cross. Right words on real effects (and decided interactions that
    are real) are not counted, as any_false_word would count them."""
    effect = truth["estimate"][0][None]  # 1 x metrics x claims
    words = fits.verdict.astype(str)
    called = np.isin(words, ["supported", "contradicted"]) & (fits.depends == "")
    with np.errstate(invalid="ignore"):
        off = (np.abs(effect) < TRUE_ZERO) | (np.sign(fits["estimate"]) != np.sign(effect))
    wrong = called & off
    crossing = true_crossings(truth)
    for f, name in enumerate(fits.setting.layout.factors):
        named = np.frompyfunc(lambda text, n=name: n in text.split(", "), 1, 1)(fits.depends)
        wrong |= named.astype(bool) & ~crossing[None, :, :, f]
    return wrong.reshape(len(wrong), -1).any(axis=1)
