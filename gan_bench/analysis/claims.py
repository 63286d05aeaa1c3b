"""Claim vs evidence, the words: what the trick registry's claim predicts for each level,
and the verdict word a decision gives (supported, contradicted, inconclusive, "no practical
effect", "depends on X"). Which p-values decide, and in what share of the error rate, is
verdicts.py's; the claim table is built in frames.py.

A claim predicts a direction (better / worse, or none claimed) or, for the A/A null factor,
no difference at all: then a decided effect either way contradicts it, and anything else is
"no decided effect" (not evidence of equivalence: that needs an interval inside a smallest
effect of interest, a verdict of its own).

A trick may make a second claim about how training behaves (tricks.DynamicsClaim, e.g.
"noise before D stops D overfitting"), judged on its own metric (d_overfit) in the same
direction. Confirmatory claims (each main claim on the primary metric, each dynamics claim
on its metric) get verdict words and share the claims' part of the error rate in one Holm
family across metrics; every other row is exploratory.
"""

from __future__ import annotations

import math

import numpy as np

from gan_bench.analysis.inference import ALPHA
from gan_bench.analysis.layout import level_label
from gan_bench.score.registry import MetricColumn
from gan_bench.study.tricks import TRICKS

NO_PRACTICAL_EFFECT = "no practical effect"  # its interval lies inside +-SESOI (TOST)
NO_DIFFERENCE = "no difference"  # what a no-effect claim expects (expected_direction)
NO_DECIDED_EFFECT = "no decided effect"  # its verdict when the study calls no difference
DEPENDS = "depends on"  # a decided crossover: "depends on kernel_size, g_output"
EXPLORATORY = "exploratory"  # a row that is no confirmatory claim: estimates, no verdict word


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


def estimand(design: str, interactions: bool) -> str:
    """What a claim's verdict is about (ESTIMANDS' key), from the study's design and
    whether its metric's model holds the two-way interactions."""
    if design == "one_at_a_time":
        return "at baseline"
    return "average" if interactions else "additive"


# What each estimand is, as the report and claims.csv's `estimand` column name it.
ESTIMANDS = {
    "average": "the level against the baseline, averaged over the other factors' levels",
    "at baseline": "the level against the baseline, every other factor at its baseline "
    "(a one-at-a-time design)",
    "additive": "the level against the baseline in a main-effects model (the design does "
    "not separate interactions: it assumes the effect is the same at every other level)",
}


def verdict(
    expected: str,
    improvement: float,
    p_holm: float,
    depends: str = "",
    p_equivalent: float = math.nan,
) -> str:
    """supported / contradicted / inconclusive at 95% (Holm-adjusted), from the claim's side;
    "depends on X" when `depends` names the factors of a tested crossover (verdicts.py);
    a no-effect claim is contradicted by a decided effect either way (or a decided
    crossover), else it gets
    NO_DECIDED_EFFECT."""
    if expected == "none":
        return "no direction claimed"
    decided = np.isfinite(p_holm) and p_holm < ALPHA and improvement != 0
    equivalent = np.isfinite(p_equivalent) and p_equivalent < ALPHA
    if expected == NO_DIFFERENCE:
        if decided or depends:
            return "contradicted"
        return NO_PRACTICAL_EFFECT if equivalent else NO_DECIDED_EFFECT
    if depends:
        return f"{DEPENDS} {depends}"
    if not decided:
        return NO_PRACTICAL_EFFECT if equivalent else "inconclusive"
    wanted = 1 if expected == "better" else -1
    return "supported" if np.sign(improvement) == wanted else "contradicted"


def claim_text(factor: str, column: MetricColumn) -> tuple[str, str]:
    """The claim a row of `factor` on `column` tests, and its source: the trick's dynamics
    claim on that claim's own metric, else its main claim."""
    spec = TRICKS[factor]
    if spec.dynamics is not None and spec.dynamics.metric == column.metric.key:
        return spec.dynamics.claim, spec.dynamics.source
    return spec.claim, spec.source
