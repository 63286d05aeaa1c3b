"""Claim vs evidence: what the trick registry's claim predicts for each level, whether the
study supports it at 95% (Holm-adjusted) where the advice is followed (every other factor
at its recommended level, conditional.py), whether it crosses over ("depends on X"), and how
many seeds per cell a decision would need at the observed spread when it cannot decide.

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
from typing import Any

import numpy as np
import pandas as pd

from gan_bench.analysis.conditional import (
    CLAIM_SHARE,
    RECOMMENDED,
    depends_on,
    interaction_p,
)
from gan_bench.analysis.equivalence import paired_holm, seeds_to_decide, tost_p
from gan_bench.analysis.layout import level_label
from gan_bench.analysis.linear_model import ALPHA
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


def verdict(
    expected: str,
    improvement: float,
    p_holm: float,
    depends: str = "",
    p_equivalent: float = math.nan,
) -> str:
    """supported / contradicted / inconclusive at 95% (Holm-adjusted), from the claim's side;
    "depends on X" when `depends` names the factors of a decided crossover (conditional.py);
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


def _paired(rec: pd.DataFrame, index: pd.Index, share: float) -> None:
    """equivalence.paired_holm over the rows `index` of `rec`, in `share` (in place)."""
    diff, same = paired_holm(rec.loc[index, "p"], rec.loc[index, "p_equivalent"])
    rec.loc[index, "p_holm"] = np.fmin(1.0, diff / share)
    rec.loc[index, "p_equivalent_holm"] = np.fmin(1.0, same / share)


def _recommended(
    conditional: pd.DataFrame,
    effects: pd.DataFrame,
    margins: dict[str, float],
    share: float,
    confirmatory: list[tuple[str, str]],
) -> pd.DataFrame:
    """The recommended-configuration rows, indexed by (metric, factor, level), with their
    TOST p against +-SESOI (`margins`, per metric) and both p's Holm-adjusted together
    (equivalence.paired_holm), so the claims' share of the error rate covers "no practical
    effect" too: the confirmatory rows (`confirmatory`: (metric, factor) pairs, layout.
    confirmatory_claims) as one family across their metrics, which is what keeps every
    verdict word inside the share; every other row within its metric (display only)."""
    rec = conditional[conditional["by"] == RECOMMENDED].copy()
    df = effects.set_index(["metric", "factor", "level"])["df_resid"]
    keys = pd.MultiIndex.from_frame(rec[["metric", "factor", "level"]])
    rec["margin"] = [margins.get(m, math.nan) for m in rec["metric"]]
    rec["p_equivalent"] = tost_p(rec["estimate"], rec["se"], df.loc[keys].to_numpy(), rec["margin"])
    rec["p_holm"] = rec["p_equivalent_holm"] = math.nan
    for _, index in rec.groupby("metric").groups.items():
        _paired(rec, index, share)
    wanted = set(confirmatory)
    joint = [(m, f) in wanted for m, f in zip(rec["metric"], rec["factor"], strict=True)]
    if any(joint):
        _paired(rec, rec.index[joint], share)
    return rec.set_index(["metric", "factor", "level"])


def _depends(effect: Any, conditional: pd.DataFrame, interactions: pd.DataFrame) -> str:
    """The factors this claim's effect crosses over on (conditional.depends_on), joined."""
    rows = conditional[
        (conditional["metric"] == effect.metric)
        & (conditional["factor"] == effect.factor)
        & (conditional["level"] == effect.level)
        & (conditional["by"] != RECOMMENDED)
    ]
    by = {name: group["estimate"].to_numpy(float) for name, group in rows.groupby("by", sort=False)}
    p_holm = interaction_p(interactions, effect.metric, effect.factor)
    return ", ".join(depends_on(effect.factor, by, p_holm))


def claim_text(factor: str, column: MetricColumn) -> tuple[str, str]:
    """The claim a row of `factor` on `column` tests, and its source: the trick's dynamics
    claim on that claim's own metric, else its main claim."""
    spec = TRICKS[factor]
    if spec.dynamics is not None and spec.dynamics.metric == column.metric.key:
        return spec.dynamics.claim, spec.dynamics.source
    return spec.claim, spec.source


def _claim_row(
    effect: Any,
    here: pd.Series,
    depends: str,
    columns: dict[str, MetricColumn],
    alpha: float,
    confirmatory: bool,
) -> dict[str, Any]:
    """One claim's verdicts (at the recommended configuration, with its crossovers, and on
    the main effect) and the seeds per cell an undecided one would need."""
    spec = TRICKS[effect.factor]
    claim, source = claim_text(effect.factor, columns[effect.metric])
    expected = expected_direction(effect.factor, effect.level, effect.baseline)
    sign = -1.0 if columns[effect.metric].direction in ("lower", "zero") else 1.0
    improvement = sign * here["estimate"]
    word = verdict(expected, improvement, here["p_holm"], depends, here["p_equivalent_holm"])
    rec_word = verdict(expected, improvement, here["p_holm"], "", here["p_equivalent_holm"])
    undecided = word in ("inconclusive", "no direction claimed", NO_DECIDED_EFFECT)
    if not confirmatory:
        word = rec_word = EXPLORATORY
    seeds = seeds_to_decide(here["se"], effect.seeds_per_cell, here["margin"], alpha)
    return {
        "factor": effect.factor,
        "level": effect.level,
        "baseline": effect.baseline,
        "claim": claim,
        "source": source,
        "recommended": ""
        if spec.recommended is None
        else level_label(effect.factor, spec.recommended),
        "expected": expected,
        "metric": effect.metric,
        "confirmatory": confirmatory,
        "rec_estimate": here["estimate"],
        "rec_ci_low": here["ci_low"],
        "rec_ci_high": here["ci_high"],
        "rec_p": here["p"],
        "rec_p_holm": here["p_holm"],
        "estimate": effect.estimate,
        "ci_low": effect.ci_low,
        "ci_high": effect.ci_high,
        "p": effect.p,
        "p_holm": effect.p_holm,
        "verdict": word,
        "rec_verdict": rec_word,
        "depends_on": depends,
        "seeds_per_cell": effect.seeds_per_cell,
        "sesoi": here["margin"],
        "p_equivalent": here["p_equivalent"],
        "p_equivalent_holm": here["p_equivalent_holm"],
        "seeds_needed": seeds if undecided else math.nan,
        "note": effect.note,
    }


def claims_table(
    effects: pd.DataFrame,
    divergence_levels: pd.DataFrame,
    columns: dict[str, MetricColumn],
    conditional: pd.DataFrame,
    interactions: pd.DataFrame,
    confirmatory: list[tuple[str, str]],
    margins: dict[str, float] | None = None,
    look_share: float = 1.0,
) -> pd.DataFrame:
    """Claim vs evidence: every factor level against baseline, for every metric (which way
    is better is the metric registry's word, through `columns`). A confirmatory claim (a
    trick's main claim on the primary metric, its dynamics claim on its own metric:
    `confirmatory`, layout.confirmatory_claims) is judged at the recommended configuration,
    unless it crosses over ("depends on X"); any other row is EXPLORATORY: its estimates are
    shown, no verdict word, so that the report's words stay inside one 5% error rate
    (`look_share` of it at one look of a sequential study)."""
    rows = []
    rates = {(r.factor, r.level): (r.diverged, r.runs) for r in divergence_levels.itertuples()}
    rec = _recommended(conditional, effects, margins or {}, CLAIM_SHARE * look_share, confirmatory)
    wanted = set(confirmatory)
    judged = np.array(
        [(m, f) in wanted for m, f in zip(effects["metric"], effects["factor"], strict=True)]
    )
    for effect in effects.itertuples():
        mine = (effect.metric, effect.factor) in wanted
        family = (judged if mine else effects["metric"] == effect.metric) & effects["p"].notna()
        alpha = ALPHA * CLAIM_SHARE * look_share / max(1, int(family.sum()))
        here = rec.loc[(effect.metric, effect.factor, effect.level)]
        depends = _depends(effect, conditional, interactions)
        row = _claim_row(effect, here, depends, columns, alpha, mine)
        div_level = rates.get((effect.factor, effect.level), (0, 0))
        div_base = rates.get((effect.factor, effect.baseline), (0, 0))
        row["diverged_level"] = f"{div_level[0]} of {div_level[1]}"
        row["diverged_baseline"] = f"{div_base[0]} of {div_base[1]}"
        rows.append(row)
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
    "confirmatory",
    "rec_estimate",
    "rec_ci_low",
    "rec_ci_high",
    "rec_p",
    "rec_p_holm",
    "estimate",
    "ci_low",
    "ci_high",
    "p",
    "p_holm",
    "verdict",
    "rec_verdict",
    "depends_on",
    "sesoi",
    "p_equivalent",
    "p_equivalent_holm",
    "seeds_per_cell",
    "seeds_needed",
    "diverged_level",
    "diverged_baseline",
    "note",
]
