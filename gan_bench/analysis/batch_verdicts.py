"""Verdict words for many simulated studies at once: what claims_table decides from
analyse()'s numbers (Holm per metric, the recommended-configuration effect, "depends on"
crossovers from conditional.py's rule), applied to fit_many's arrays; and Fits, what the
harness reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy import stats

from gan_bench.analysis.claims import (
    DEPENDS,
    EXPLORATORY,
    NO_PRACTICAL_EFFECT,
    expected_direction,
    verdict,
)
from gan_bench.analysis.conditional import CLAIM_SHARE, INTERACTION_SHARE
from gan_bench.analysis.equivalence import paired_holm, tost_p
from gan_bench.analysis.layout import Layout
from gan_bench.analysis.linear_model import ALPHA, CONFIDENCE
from gan_bench.score.registry import MetricColumn


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
    verdict: np.ndarray  # claims.verdict's words (EXPLORATORY off the primary metric)
    sigma: np.ndarray  # replicates x metrics
    inter_F: np.ndarray  # replicates x metrics x pairs; NaN where none was modelled
    inter_p: np.ndarray
    inter_p_holm: np.ndarray
    rec_estimate: np.ndarray  # at the recommended configuration (conditional.py)
    rec_se: np.ndarray
    rec_p: np.ndarray
    rec_ci_low: np.ndarray
    rec_ci_high: np.ndarray
    rec_p_holm: np.ndarray
    p_equivalent: np.ndarray  # TOST p that |effect at the recommended config| < SESOI
    p_equivalent_holm: np.ndarray  # Holm with rec_p, the claims' share
    sesoi: np.ndarray  # replicates x metrics: equivalence.margin
    cond_estimate: np.ndarray  # replicates x metrics x conditions(layout)
    depends: np.ndarray  # the factors a claim depends on, joined ("" when none)
    rec_verdict: np.ndarray  # the words at the recommended configuration
    primary: str = ""  # the confirmatory metric: the only one with verdict words

    def decided(self) -> np.ndarray:
        """Where a verdict word calls an effect: supported, contradicted or depends on
        (each false under no true effect; "no practical effect" is then true, see
        equivalent())."""
        return np.isin(self.verdict, ["supported", "contradicted"]) | np.char.startswith(
            self.verdict, DEPENDS
        )

    def equivalent(self) -> np.ndarray:
        """Where the verdict is "no practical effect" (false where |truth| >= SESOI)."""
        return self.verdict == NO_PRACTICAL_EFFECT


def claim_index(layout: Layout) -> list[tuple[int, int]]:
    """(factor index, level index) of every non-baseline level, effects_for's order."""
    return [
        (f, i) for f, name in enumerate(layout.factors) for i in range(1, len(layout.factors[name]))
    ]


def conditions(layout: Layout) -> list[tuple[int, int, int]]:
    """(claim index, other factor, its level) of every conditional effect fit_many keeps."""
    sizes = [len(levels) for levels in layout.factors.values()]
    return [
        (k, other, value)
        for k, (factor, _) in enumerate(claim_index(layout))
        for other in range(len(sizes))
        if other != factor
        for value in range(sizes[other])
    ]


def _depends(layout: Layout, shaped: dict[str, np.ndarray], inter_p_holm: np.ndarray) -> np.ndarray:
    """conditional.depends_on for every replicate, metric and claim: the names of the
    factors whose decided interaction with the claim's factor flips its effect's sign."""
    names = list(layout.factors)
    claims = claim_index(layout)
    keys = conditions(layout)
    pairs = {pair: k for k, pair in enumerate(combinations(range(len(names)), 2))}
    estimates = shaped["cond_estimate"]
    words = np.full(estimates.shape[:2] + (len(claims),), "", dtype=object)
    for k, (factor, _) in enumerate(claims):
        for other in range(len(names)):
            if other == factor:
                continue
            picked = [c for c, key in enumerate(keys) if key[:2] == (k, other)]
            values = estimates[..., picked]
            finite = np.isfinite(values)
            low = np.where(finite, values, np.inf).min(axis=-1)
            high = np.where(finite, values, -np.inf).max(axis=-1)
            with np.errstate(invalid="ignore"):
                decided = inter_p_holm[..., pairs[tuple(sorted((factor, other)))]] < ALPHA
            hit = decided & (low < 0) & (high > 0)
            words[..., k] = np.where(
                hit,
                np.where(words[..., k] == "", names[other], words[..., k] + ", " + names[other]),
                words[..., k],
            )
    return words


def _recommended(
    layout: Layout, shaped: dict[str, np.ndarray], inter_p_holm: np.ndarray
) -> dict[str, np.ndarray]:
    """conditional_for's recommended-configuration effect of every claim: the main contrast
    plus the shift of each factor whose interaction with the claim's factor is decided
    (conditional.partners), with its SE from the contrasts' Gram matrix and the pooled
    spread; t-test and 95% interval as linear_model._estimate gives them."""
    claims = claim_index(layout)
    width = 1 + len(layout.factors)
    lead = shaped["parts"].shape[:2]
    parts = shaped["parts"].reshape(*lead, len(claims), width)
    gram = shaped["gram"].reshape(*lead, len(claims), width, width)
    pairs = {pair: k for k, pair in enumerate(combinations(range(len(layout.factors)), 2))}
    weights = np.zeros(parts.shape)
    weights[..., 0] = 1.0
    for k, (factor, _) in enumerate(claims):
        for other in range(len(layout.factors)):
            if other != factor:
                with np.errstate(invalid="ignore"):
                    p = inter_p_holm[..., pairs[tuple(sorted((factor, other)))]]
                    weights[..., k, 1 + other] = p < ALPHA
    estimate = (weights * parts).sum(axis=-1)
    variance = np.einsum("...a,...ab,...b->...", weights, gram, weights)
    df = shaped["df"]
    se = np.sqrt(variance * shaped["sigma"] ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = estimate / se
        half = stats.t.ppf(0.5 + CONFIDENCE / 2, df) * se
        p = 2 * stats.t.sf(np.abs(t), df)
    return {
        "rec_estimate": estimate,
        "rec_se": se,
        "rec_p": p,
        "rec_ci_low": estimate - half,
        "rec_ci_high": estimate + half,
    }


def _equivalence(shaped: dict[str, np.ndarray], share: float) -> tuple[np.ndarray, ...]:
    """claims._recommended's TOST p against +-SESOI, and it and the difference p Holm-adjusted
    together (equivalence.paired_holm) in the claims' share."""
    bound = shaped["margin"][..., None]
    p_equivalent = tost_p(shaped["rec_estimate"], shaped["rec_se"], shaped["df"], bound)
    diff, same = paired_holm(shaped["rec_p"], p_equivalent)
    return p_equivalent, np.fmin(1.0, diff / share), np.fmin(1.0, same / share)


def with_verdicts(
    layout: Layout,
    columns: list[MetricColumn],
    shaped: dict[str, np.ndarray],
    primary: str,
    look_share: float = 1.0,
) -> Fits:
    """Holm per metric over its claims (main and recommended-configuration effects) and
    over its interactions, then claims.verdict as claims_table applies it."""
    names = list(layout.factors)
    claims = claim_index(layout)
    pairs = list(combinations(range(len(names)), 2))
    effects = [
        (names[f], layout.factors[names[f]][i], layout.baseline[names[f]]) for f, i in claims
    ]
    p_holm = holm_many(shaped["p"])
    inter_p_holm = np.fmin(1.0, holm_many(shaped["inter_p"]) / (INTERACTION_SHARE * look_share))
    shaped |= _recommended(layout, shaped, inter_p_holm)
    p_equivalent, rec_p_holm, p_equivalent_holm = _equivalence(shaped, CLAIM_SHARE * look_share)
    depends = _depends(layout, shaped, inter_p_holm)
    expected = np.array([expected_direction(*effect) for effect in effects], dtype=object)
    sign = np.array([-1.0 if c.direction in ("lower", "zero") else 1.0 for c in columns])
    judge = np.frompyfunc(verdict, 5, 1)
    improvement = sign[None, :, None] * shaped["rec_estimate"]
    rec = judge(expected[None, None, :], improvement, rec_p_holm, "", p_equivalent_holm)
    words = judge(expected[None, None, :], improvement, rec_p_holm, depends, p_equivalent_holm)
    exploratory = np.array([c.name != primary for c in columns])[None, :, None]
    rec = np.where(exploratory, EXPLORATORY, rec)
    words = np.where(exploratory, EXPLORATORY, words)
    return Fits(
        metrics=[column.name for column in columns],
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
        inter_p_holm=inter_p_holm,
        rec_estimate=shaped["rec_estimate"],
        rec_se=shaped["rec_se"],
        rec_p=shaped["rec_p"],
        rec_ci_low=shaped["rec_ci_low"],
        rec_ci_high=shaped["rec_ci_high"],
        rec_p_holm=rec_p_holm,
        p_equivalent=p_equivalent,
        p_equivalent_holm=p_equivalent_holm,
        sesoi=shaped["margin"],
        cond_estimate=shaped["cond_estimate"],
        depends=depends.astype(str),
        rec_verdict=rec.astype(str),
        primary=primary,
    )
