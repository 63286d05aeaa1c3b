"""The claim table (claims.csv): every factor level against its baseline on every metric,
with what the registry claims, the verdict verdicts.py gave (confirmatory claims only),
what it is about (`estimand`), the effect at the recommended configuration as an estimate,
the crossovers and the interactions that make it stronger, and the seeds per cell an
undecided claim would need.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gan_bench.analysis.claims import (
    EXPLORATORY,
    NO_DECIDED_EFFECT,
    claim_text,
    estimand,
    expected_direction,
)
from gan_bench.analysis.equivalence import seeds_to_decide
from gan_bench.analysis.frames import seeds_per_cell
from gan_bench.analysis.inference import ALPHA
from gan_bench.analysis.layout import level_label
from gan_bench.analysis.verdicts import CLAIM_SHARE, Fits
from gan_bench.score.registry import MetricColumn
from gan_bench.study.tricks import TRICKS

CLAIM_COLUMNS = [
    "factor", "level", "baseline", "claim", "source", "recommended", "expected", "metric",
    "confirmatory", "estimand", "estimate", "ci_low", "ci_high", "p", "p_holm",
    "rec_estimate", "rec_ci_low", "rec_ci_high", "rec_p", "verdict", "depends_on",
    "stronger_with", "sesoi", "p_equivalent", "p_equivalent_holm", "seeds_per_cell",
    "seeds_needed", "diverged_level", "diverged_baseline", "note",
]  # fmt: skip
UNDECIDED = ("inconclusive", "no direction claimed", NO_DECIDED_EFFECT)


def _alpha(fits: Fits, m: int, k: int) -> float:
    """The level one claim is tested at in the first Holm step: the claims' share of the
    look's 5%, over its family (the confirmatory claims, or the metric's claims)."""
    if fits.confirmatory[m, k]:
        family = fits.confirmatory.copy()
    else:
        family = np.zeros_like(fits.confirmatory)
        family[m] = True
    count = int((family & np.isfinite(fits["p"][0])).sum())
    return ALPHA * CLAIM_SHARE * fits.look_share / max(1, count)


def _row(fits: Fits, columns: dict[str, MetricColumn], m: int, k: int) -> dict:
    factor, level, base = fits.effects[k]
    metric = fits.metrics[m]
    spec = TRICKS[factor]
    claim, source = claim_text(factor, columns[metric])
    model = fits.measured.model_of[0, m]
    interactions = model >= 0 and fits.measured.models[model].interactions
    word = str(fits.verdict[0, m, k])
    seeds = seeds_per_cell(fits, m)
    se, margin = float(fits["se"][0, m, k]), float(fits.measured.sesoi[0, m])
    needed = seeds_to_decide(se, seeds, margin, _alpha(fits, m, k))
    if needed <= seeds:  # normal quantiles undershoot at few df: these seeds did not decide it
        needed = float(int(seeds) + 1)
    confirmatory = bool(fits.confirmatory[m, k])
    return {
        "factor": factor, "level": level, "baseline": base, "claim": claim, "source": source,
        "recommended": "" if spec.recommended is None else level_label(factor, spec.recommended),
        "expected": expected_direction(factor, level, base), "metric": metric,
        "confirmatory": confirmatory,
        "estimand": estimand(fits.setting.layout.design, bool(interactions)),
    } | {key: float(fits[key][0, m, k]) for key in ("estimate", "ci_low", "ci_high", "p")} | {
        "p_holm": float(fits.p_claim[0, m, k]),
    } | {
        "rec_" + key: float(fits["rec_" + key][0, m, k])
        for key in ("estimate", "ci_low", "ci_high", "p")
    } | {
        "verdict": word, "depends_on": str(fits.depends[0, m, k]),
        "stronger_with": str(fits.stronger[0, m, k]), "sesoi": margin,
        "p_equivalent": float(fits.p_equivalent[0, m, k]),
        "p_equivalent_holm": float(fits.p_equivalent_holm[0, m, k]),
        "seeds_per_cell": seeds,
        "seeds_needed": needed if confirmatory and word in UNDECIDED else math.nan,
    }  # fmt: skip


def claims_frame(
    fits: Fits,
    columns: dict[str, MetricColumn],
    divergence_levels: pd.DataFrame,
    notes: pd.Series,
) -> pd.DataFrame:
    """Claim vs evidence for every metric and claim; `notes`: the effects table's note of
    each row, in the same order (metric, then claim)."""
    rates = {(r.factor, r.level): (r.diverged, r.runs) for r in divergence_levels.itertuples()}
    rows = []
    for m in range(len(fits.metrics)):
        for k, (factor, level, base) in enumerate(fits.effects):
            row = _row(fits, columns, m, k)
            div_level = rates.get((factor, level), (0, 0))
            div_base = rates.get((factor, base), (0, 0))
            row["diverged_level"] = f"{div_level[0]} of {div_level[1]}"
            row["diverged_baseline"] = f"{div_base[0]} of {div_base[1]}"
            row["note"] = notes.iloc[len(rows)]
            rows.append(row)
    frame = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    frame.loc[~frame["confirmatory"].astype(bool), "verdict"] = EXPLORATORY
    return frame
