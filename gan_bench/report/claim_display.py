"""The claim table as the page, claims.md and claims.tex show it: each confirmatory claim's
verdict and the effect it is about (claims.csv's `estimand`: the average effect in a
factorial with interactions), its decided interactions ("stronger with X = x"), a tested
crossover spelled out ("depends on X"), and the effect at the recommended configuration
as an estimate only; and the verdict matrix, with estimates where no verdict is given.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from gan_bench.analysis.analyse import Analysis
from gan_bench.analysis.claims import DEPENDS, ESTIMANDS, NO_DIFFERENCE
from gan_bench.analysis.equivalence import MAX_SEEDS
from gan_bench.analysis.model import recommended_config
from gan_bench.report.displays import ci_text, effect_decimals, p_text, versus

SIGN_UNDECIDED = " (sign undecided)"  # verdicts.py's mark of an interaction without a crossover
REC_HEADER = "at the recommended configuration, estimate only [95% CI]"


def seeds_text(needed: float, now: float) -> str:
    """'12 (now 3)'; '> 1000 (now 3)' when no practical study decides; '—' when decided."""
    if math.isnan(needed):
        return "—"
    shown = f"> {MAX_SEEDS}" if needed == math.inf else str(int(needed))
    return f"{shown} (now {now:.3g})"


def expected_text(expected: str, level: str, baseline: str) -> str:
    """A claim's prediction in words: 'tanh better than sigmoid', 'b no different from a'."""
    if expected == "none":
        return "no direction claimed"
    if expected == NO_DIFFERENCE:
        return f"{level} no different from {baseline}"
    return f"{level} {expected} than {baseline}"


def entries(text: str, factors: list[str]) -> list[str]:
    """The entries of a comma-joined depends_on or stronger_with cell, each starting with a
    factor's name ("kernel_size", "d_downsample = maxpool", "g_output (sign undecided)")."""
    if not text:
        return []
    names = "|".join(re.escape(name) for name in sorted(factors, key=len, reverse=True))
    return re.split(rf", (?=(?:{names})\b)", text)


def conditional_effects(
    analysis: Analysis, claim: pd.Series, by: str, decimals: int, crossing: bool = False
) -> str:
    """The claim's effect at each level of `by` (the conditional table): for a tested
    crossover (`crossing`, both sides decided) in words, 'better with 4 (-4.5 [..])';
    else as estimates, '+0.8 [..] with normal'."""
    sign = -1.0 if analysis.columns[claim["metric"]].direction in ("lower", "zero") else 1.0
    table = analysis.conditional
    rows = table[
        (table["metric"] == claim["metric"])
        & (table["factor"] == claim["factor"])
        & (table["level"] == claim["level"])
        & (table["by"] == by)
    ]
    words = []
    for r in rows.itertuples():
        effect = ci_text(r.estimate, r.ci_low, r.ci_high, decimals)
        if crossing:
            word = "better" if sign * r.estimate > 0 else "worse"
            words.append(f"{word} with {r.by_level} ({effect})")
        else:
            words.append(f"{effect} with {r.by_level}")
    return ", ".join(words)


def dependency_text(analysis: Analysis, claim: pd.Series, decimals: int) -> str:
    """'depends on kernel_size: worse with 3 (+9.6 [..]), better with 4 (-4.5 [..])': each
    factor of a tested crossover, with the level's effect at each of its levels."""
    factors = list(analysis.layout.factors)
    return "; ".join(
        f"{DEPENDS} {name}: {conditional_effects(analysis, claim, name, decimals, True)}"
        for name in entries(claim["depends_on"], factors)
    )


def interaction_words(analysis: Analysis, claim: pd.Series) -> list[tuple[str, str]]:
    """(factor, words) of each decided interaction that is no tested crossover: 'stronger
    with X = x' (largest at x) or 'varies with X (sign undecided)'."""
    found = []
    for entry in entries(claim["stronger_with"], list(analysis.layout.factors)):
        if entry.endswith(SIGN_UNDECIDED):
            found.append((entry.removesuffix(SIGN_UNDECIDED), f"varies with {entry}"))
        else:
            found.append((entry.partition(" = ")[0], f"stronger with {entry}"))
    return found


def interaction_text(analysis: Analysis, claim: pd.Series) -> str:
    """The claim table's interactions cell: its decided interactions in words; 'not
    modelled' where the verdict's model has no interactions."""
    words = [text for _, text in interaction_words(analysis, claim)]
    if words:
        return "; ".join(words)
    if claim["estimand"] != "average":
        return "not modelled"
    return "crossover: see verdict" if claim["depends_on"] else "none decided"


def verdict_text(analysis: Analysis, claim: pd.Series, decimals: int) -> str:
    """The claim's verdict word, or its tested crossovers spelled out (a no-effect claim
    keeps "contradicted")."""
    if not claim["depends_on"] or claim["expected"] == NO_DIFFERENCE:
        return claim["verdict"]
    return dependency_text(analysis, claim, decimals)


def claims_display(analysis: Analysis) -> pd.DataFrame:
    """The confirmatory claims (each trick's main claim on the primary metric, its dynamics
    claim on its own metric), each with the metric it is judged on, led by its verdict and
    the effect the verdict is about (`estimand`) with its adjusted p, then its decided
    interactions and the effect at the recommended configuration (an estimate only)."""
    decimals = effect_decimals(analysis.effects)
    claims = analysis.judged_claims
    places = [decimals.get(metric, 2) for metric in claims["metric"]]
    rows = list(zip(claims.itertuples(), places, strict=True))
    series = [row for _, row in claims.iterrows()]
    return pd.DataFrame(
        {
            "trick": claims["factor"],
            "level vs baseline": versus(claims),
            "judged on": [analysis.columns[m].label for m in claims["metric"]],
            "claim (source)": [
                f"{c} ({s})" for c, s in zip(claims["claim"], claims["source"], strict=True)
            ],
            "expected": [
                expected_text(r.expected, r.level, r.baseline) for r in claims.itertuples()
            ],
            "verdict": [verdict_text(analysis, r, d) for r, d in zip(series, places, strict=True)],
            "verdict about": claims["estimand"],
            "effect [95% CI] (adjusted p)": [
                f"{ci_text(r.estimate, r.ci_low, r.ci_high, d)} ({p_text(r.p_holm)})"
                for r, d in rows
            ],
            "interactions": [interaction_text(analysis, r) for r in series],
            REC_HEADER: [ci_text(r.rec_estimate, r.rec_ci_low, r.rec_ci_high, d) for r, d in rows],
            "SESOI (±, in the metric's unit)": [
                f"{v:.3g}" if np.isfinite(v) else "n/a" for v in claims["sesoi"]
            ],
            "seeds/cell to decide": [
                seeds_text(r.seeds_needed, r.seeds_per_cell) for r in claims.itertuples()
            ],
            "diverged (level / baseline)": [
                f"{r.diverged_level} vs {r.diverged_baseline}" for r in claims.itertuples()
            ],
        },
        index=claims.index,
    ).reset_index(drop=True)


def claims_notes(analysis: Analysis) -> list[str]:
    """What the claim table's columns mean: the estimand of each verdict shown
    (claims.ESTIMANDS), the recommended configuration, the interaction words."""
    shown = dict.fromkeys(analysis.judged_claims["estimand"])
    config = ", ".join(f"{k} = {v}" for k, v in recommended_config(analysis.layout).items())
    return [
        *(f"Verdict about '{key}': {ESTIMANDS[key]}." for key in shown),
        "Adjusted p: the verdict's, Holm over every confirmatory claim with its "
        "equivalence test (see Methods).",
        f"At the recommended configuration ({config}; the claim's own factor at its level and "
        "baseline): the effect with every other factor at its recommended level, an estimate "
        "with its 95% interval (not adjusted for multiple tests); no verdict rests on it.",
        "Interactions: 'stronger with X = x': the claim's interaction with X is decided and "
        "does not cross over, its effect is largest at X = x, and the verdict stands for the "
        "average; 'varies with X (sign undecided)': a decided interaction whose estimates at "
        f"X's levels differ in sign without a tested crossover; '{DEPENDS} X' (in the verdict) "
        "is a tested crossover.",
    ]


def verdict_matrix(analysis: Analysis) -> pd.DataFrame:
    """Rows = trick levels, columns = metrics: the confirmatory claims' verdicts (each
    trick's main claim on the primary metric, its dynamics claim on its own), and everywhere
    else the average effect with its 95% interval, marked exploratory (no verdict word:
    those would fall outside the report's 5%)."""
    claims = analysis.claims
    if claims.empty:
        return pd.DataFrame()
    decimals = effect_decimals(analysis.effects)
    shown = [
        r.verdict
        if r.confirmatory
        else f"{ci_text(r.estimate, r.ci_low, r.ci_high, decimals.get(r.metric, 2))} (exploratory)"
        for r in claims.itertuples()
    ]
    claims = claims.assign(
        row=[f"{r.factor}: {r.level} vs {r.baseline}" for r in claims.itertuples()],
        shown=shown,
    )
    matrix = claims.pivot_table(
        index="row", columns="metric", values="shown", aggfunc="first", sort=False
    )
    return matrix.reset_index().rename(columns={"row": "trick level"})
