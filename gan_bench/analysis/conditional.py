"""Claims judged where they live: each claim's effect at the recommended configuration
and at each level of every factor it interacts with, read off the metric's one model.

A main effect averages over the other factors' levels, so a crossover (better with one
kernel size, worse with the other) can average into a "supported" that holds nowhere the
advice is followed. Here the same fit (pooled residual spread of every run) gives:
the effect with every other factor it is shown to interact with at its registry-recommended
level (the study's baseline where the registry recommends none, or where the recommended
level is not in the study), averaged over the factors it does not interact with: a contrast
of the full model's fitted cell means. Fixing a factor whose interaction is not decided
would only widen the interval (each fixed factor adds the variance of its interaction
terms: at 3 seeds power for a +3 FID effect fell from 90 % to 17 % with every factor fixed,
benchmarks/RESULTS.md), while the estimate it adds is noise the tests could not tell from
zero. Also the effect at each level of each other factor, averaged over the rest. Without
modelled interactions the model is additive, and both equal the main effect.

`depends_on` is the rule the claim table and the simulation harness (batch_fit.py) share.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from gan_bench.analysis.layout import Layout, level_label
from gan_bench.analysis.linear_model import ALPHA, Fit, _contrast, _estimate, holm
from gan_bench.study.tricks import TRICKS

RECOMMENDED = ""  # the `by` of a recommended-configuration row
# The report's verdict words share one 5% error rate: 4% to the confirmatory claims (Holm
# over all of them, across their metrics), 1% to the two-way interactions of the metrics
# they are judged on (interaction_share), so a false "depends on X" counts too.
CLAIM_SHARE, INTERACTION_SHARE = 0.8, 0.2
CONDITIONAL_COLUMNS = [
    "metric",
    "factor",
    "level",
    "baseline",
    "by",
    "by_level",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p",
]


def recommended_config(layout: Layout) -> dict[str, str]:
    """Per factor, the level the advice is about: the registry's recommended level when
    the study has it, else the study's baseline."""
    config = {}
    for name, levels in layout.factors.items():
        spec = TRICKS[name]
        wanted = None if spec.recommended is None else level_label(name, spec.recommended)
        config[name] = wanted if wanted in levels else layout.baseline[name]
    return config


def config_text(layout: Layout, factor: str) -> str:
    """The recommended configuration of the other factors, as 'a = x, b = y'."""
    config = recommended_config(layout)
    return ", ".join(f"{name} = {level}" for name, level in config.items() if name != factor)


def interaction_share(metric: str, confirmatory_metrics: list[str]) -> float:
    """The share of the 5% that one metric's interaction family spends. The k metrics that
    carry confirmatory claims (the primary one, and a dynamics claim's own metric) split
    INTERACTION_SHARE evenly, Holm within each metric and Bonferroni across them: a claim's
    "depends on X" is read off its own metric's interactions, and together these words
    spend INTERACTION_SHARE, whatever k is (k = 1: the whole 1%, as before dynamics claims).
    An exploratory metric's family gets no words; its p-values keep INTERACTION_SHARE's
    scale (display only)."""
    if metric in confirmatory_metrics:
        return INTERACTION_SHARE / len(confirmatory_metrics)
    return INTERACTION_SHARE


def split_holm(p: pd.Series, share: float) -> pd.Series:
    """Holm-adjusted p of one family that spends `share` of the metric's alpha: read
    against 0.05 as usual (Bonferroni across the families, Holm within each)."""
    return (holm(p) / share).clip(upper=1.0)


def partners(factor: str, interaction_p_holm: dict[str, float]) -> list[str]:
    """The factors whose interaction with `factor` is decided (split_holm p < 0.05): the
    claim's effect is read at their recommended level, and averaged over the others."""
    return [
        other
        for other, p in interaction_p_holm.items()
        if other != factor and np.isfinite(p) and p < ALPHA
    ]


def _nan_row() -> dict[str, float]:
    return {key: math.nan for key in ("estimate", "se", "ci_low", "ci_high", "p")}


def conditional_for(
    fit: Fit, layout: Layout, effects: list[dict[str, Any]], decided: dict[str, list[str]]
) -> list[dict]:
    """For each effect row of this metric (effects_for's): the recommended-configuration
    effect (the factors in `decided[factor]`, those it is shown to interact with, at their
    recommended level, the rest averaged over: with none it is the main effect, which an
    additive effect has everywhere) and, where interactions are modelled, the effect at
    each level of each other model factor (NaN rows where the main effect has none)."""
    config = recommended_config(layout)
    rows = []
    for effect in effects:
        name, level, base = effect["factor"], effect["level"], effect["baseline"]
        head = {"metric": fit.metric, "factor": name, "level": level, "baseline": base}
        usable = fit.result is not None and np.isfinite(effect["estimate"])
        others = [other for other in fit.factors if other != name] if usable else []
        fixed: dict[str, str] = {}
        if usable and fit.interactions:
            present = {f: list(fit.data[f].cat.categories) for f in others}
            fixed = {
                f: config[f] if config[f] in present[f] else present[f][0]
                for f in others
                if f in decided.get(name, [])
            }
        if usable:
            weights = [(1.0, {name: level} | fixed), (-1.0, {name: base} | fixed)]
            estimate = _estimate(fit, _contrast(fit, weights, layout))
        else:
            estimate = _nan_row()
        rows.append(head | {"by": RECOMMENDED, "by_level": ""} | _numbers(estimate))
        if not (usable and fit.interactions):
            continue
        for other in others:
            for value in fit.data[other].cat.categories:
                weights = [(1.0, {name: level, other: value}), (-1.0, {name: base, other: value})]
                estimate = _estimate(fit, _contrast(fit, weights, layout))
                rows.append(head | {"by": other, "by_level": value} | _numbers(estimate))
    return rows


def _numbers(estimate: dict[str, Any]) -> dict[str, float]:
    return {key: estimate[key] for key in ("estimate", "se", "ci_low", "ci_high", "p")}


def crosses(estimates: np.ndarray) -> bool:
    """Whether conditional effects differ in sign (one above zero, one below)."""
    finite = estimates[np.isfinite(estimates)]
    return bool(len(finite) and finite.min() < 0 < finite.max())


def depends_on(
    factor: str, by_estimates: dict[str, np.ndarray], interaction_p_holm: dict[str, float]
) -> list[str]:
    """The factors a claim depends on: its conditional effects at their levels differ in
    sign and the (Holm-adjusted) interaction with it is decided at 95%."""
    return [
        other
        for other, estimates in by_estimates.items()
        if other != factor
        and np.isfinite(interaction_p_holm.get(other, math.nan))
        and interaction_p_holm[other] < ALPHA
        and crosses(estimates)
    ]


def interaction_p(interactions: pd.DataFrame, metric: str, factor: str) -> dict[str, float]:
    """The Holm-adjusted p of each modelled interaction of `factor` on `metric`."""
    rows = interactions[interactions["metric"] == metric]
    out = {}
    for r in rows.itertuples():
        if factor in (r.factor_a, r.factor_b):
            out[r.factor_b if r.factor_a == factor else r.factor_a] = float(r.p_holm)
    return out
