"""Claim vs evidence: what the trick registry's claim predicts for each level, whether the
study supports it at 95% (Holm-adjusted), and how many seeds per cell a decision would
need at the observed spread when it cannot decide.

A claim predicts a direction (better / worse, or none claimed) or, for the A/A null factor,
no difference at all: then a decided effect either way contradicts it, and anything else is
"no decided effect" (not evidence of equivalence: that needs an interval inside a smallest
effect of interest, a verdict of its own).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from gan_bench.analysis.layout import level_label
from gan_bench.analysis.linear_model import ALPHA
from gan_bench.score.registry import MetricColumn
from gan_bench.study.tricks import TRICKS

POWER = 0.8
MAX_SEEDS = 1000  # "seeds needed" above this reads as "more than 1000": no practical decision
NO_DIFFERENCE = "no difference"  # what a no-effect claim expects (expected_direction)
NO_DECIDED_EFFECT = "no decided effect"  # its verdict when the study calls no difference


def expected_direction(trick: str, level: str, baseline: str) -> str:
    """What the registry's claim predicts for `level` against `baseline`: better, worse,
    none, or NO_DIFFERENCE (a no-effect claim: the null factor). The claim says
    `recommended` beats the default: the recommended level is expected better than anything
    else and anything else worse than it; for numeric tricks, switching the trick on (any
    non-default level against a default baseline) is expected to help."""
    spec = TRICKS[trick]
    if spec.claims_no_effect:
        return NO_DIFFERENCE
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
    """supported / contradicted / inconclusive at 95% (Holm-adjusted), from the claim's side;
    a no-effect claim is contradicted by a decided effect either way, else it gets
    NO_DECIDED_EFFECT."""
    if expected == "none":
        return "no direction claimed"
    decided = np.isfinite(p_holm) and p_holm < ALPHA and improvement != 0
    if expected == NO_DIFFERENCE:
        return "contradicted" if decided else NO_DECIDED_EFFECT
    if not decided:
        return "inconclusive"
    wanted = 1 if expected == "better" else -1
    return "supported" if np.sign(improvement) == wanted else "contradicted"


def claims_table(
    effects: pd.DataFrame, divergence_levels: pd.DataFrame, columns: dict[str, MetricColumn]
) -> pd.DataFrame:
    """Claim vs evidence: every factor level against baseline, for every metric (which way
    is better is the metric registry's word, through `columns`)."""
    rows = []
    rates = {(r.factor, r.level): (r.diverged, r.runs) for r in divergence_levels.itertuples()}
    for effect in effects.itertuples():
        direction = columns[effect.metric].direction
        spec = TRICKS[effect.factor]
        expected = expected_direction(effect.factor, effect.level, effect.baseline)
        sign = -1.0 if direction in ("lower", "zero") else 1.0
        improvement = sign * effect.estimate
        family = (effects["metric"] == effect.metric) & effects["p"].notna()
        alpha = ALPHA / max(1, int(family.sum()))
        decided = np.isfinite(effect.p_holm) and effect.p_holm < ALPHA
        # a no-effect claim gets no seeds to suggest: its observed effect is noise, and a power
        # calculation for it needs a smallest effect of interest
        no_seeds = decided or spec.claims_no_effect
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
                "seeds_needed": math.nan if no_seeds else seeds,
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
