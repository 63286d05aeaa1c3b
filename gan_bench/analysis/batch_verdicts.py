"""Verdict words for many simulated studies at once: what claims_table decides from
analyse()'s numbers (Holm over the confirmatory claims across their metrics, and per metric
for the exploratory rows; the recommended-configuration effect; "depends on" crossovers
from conditional.py's rule, each metric's interactions in its interaction_share), applied
to fit_many's arrays; and Fits, what the harness reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
from gan_bench.analysis.conditional import CLAIM_SHARE, interaction_share
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
    verdict: np.ndarray  # claims.verdict's words (EXPLORATORY off the confirmatory claims)
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
    primary: str = ""  # the primary metric: every factor's main claim is judged on it
    # metrics x effects: the confirmatory claims (layout.confirmatory_claims), the only
    # ones with verdict words
    confirmatory: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))

    @property
    def judged_on(self) -> list[int]:
        """The indices of the metrics that carry a confirmatory claim."""
        return [int(m) for m in np.flatnonzero(self.confirmatory.any(axis=-1))]

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


def _equivalence(
    shaped: dict[str, np.ndarray], share: float, confirmatory: np.ndarray
) -> dict[str, np.ndarray]:
    """claims._recommended's TOST p against +-SESOI, and it and the difference p Holm-adjusted
    together (equivalence.paired_holm) in the claims' share: per metric, then the
    confirmatory claims (metrics x claims mask) as one family across metrics, taken in
    claims_table's order (metric, then claim)."""
    bound = shaped["margin"][..., None]
    p_equivalent = tost_p(shaped["rec_estimate"], shaped["rec_se"], shaped["df"], bound)
    diff, same = paired_holm(shaped["rec_p"], p_equivalent)
    if confirmatory.any():
        joint = paired_holm(shaped["rec_p"][:, confirmatory], p_equivalent[:, confirmatory])
        diff[:, confirmatory], same[:, confirmatory] = joint
    return {
        "p_equivalent": p_equivalent,
        "rec_p_holm": np.fmin(1.0, diff / share),
        "p_equivalent_holm": np.fmin(1.0, same / share),
    }


def confirmatory_mask(
    columns: list[MetricColumn], effects: list[tuple[str, str, str]], pairs: list[tuple[str, str]]
) -> np.ndarray:
    """metrics x effects: whether (metric, the effect's factor) is a confirmatory claim."""
    wanted = set(pairs)
    return np.array(
        [[(column.name, effect[0]) in wanted for effect in effects] for column in columns],
        dtype=bool,
    ).reshape(len(columns), len(effects))


def _shares(columns: list[MetricColumn], mask: np.ndarray, look_share: float) -> np.ndarray:
    """Each metric's interaction_share of this look (1 x metrics x 1, to divide by)."""
    judged_on = [c.name for c, row in zip(columns, mask, strict=True) if row.any()]
    shares = [interaction_share(c.name, judged_on) * look_share for c in columns]
    return np.array(shares)[None, :, None]


def _words(
    effects: list[tuple[str, str, str]],
    columns: list[MetricColumn],
    shaped: dict[str, np.ndarray],
    depends: np.ndarray,
    confirmatory: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """claims.verdict on every replicate, metric and claim (with and without its
    crossovers); EXPLORATORY off the confirmatory claims."""
    expected = np.array([expected_direction(*effect) for effect in effects], dtype=object)
    sign = np.array([-1.0 if c.direction in ("lower", "zero") else 1.0 for c in columns])
    judge = np.frompyfunc(verdict, 5, 1)
    improvement = sign[None, :, None] * shaped["rec_estimate"]
    p_holm, p_same = shaped["rec_p_holm"], shaped["p_equivalent_holm"]
    rec = judge(expected[None, None, :], improvement, p_holm, "", p_same)
    words = judge(expected[None, None, :], improvement, p_holm, depends, p_same)
    exploratory = ~confirmatory[None]
    return np.where(exploratory, EXPLORATORY, words), np.where(exploratory, EXPLORATORY, rec)


def with_verdicts(
    layout: Layout,
    columns: list[MetricColumn],
    shaped: dict[str, np.ndarray],
    primary: str,
    confirmatory: list[tuple[str, str]],
    look_share: float = 1.0,
) -> Fits:
    """Holm per metric over its main effects and over its interactions (in the metric's
    interaction_share), Holm over the confirmatory claims (`confirmatory`: (metric, factor)
    pairs, layout.confirmatory_claims) at the recommended configuration, then
    claims.verdict as claims_table applies it."""
    names = list(layout.factors)
    claims = claim_index(layout)
    pairs = list(combinations(range(len(names)), 2))
    effects = [
        (names[f], layout.factors[names[f]][i], layout.baseline[names[f]]) for f, i in claims
    ]
    mask = confirmatory_mask(columns, effects, confirmatory)
    p_holm = holm_many(shaped["p"])
    inter_p_holm = np.fmin(1.0, holm_many(shaped["inter_p"]) / _shares(columns, mask, look_share))
    shaped |= _recommended(layout, shaped, inter_p_holm)
    shaped |= _equivalence(shaped, CLAIM_SHARE * look_share, mask)
    depends = _depends(layout, shaped, inter_p_holm)
    words, rec = _words(effects, columns, shaped, depends, mask)
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
        rec_p_holm=shaped["rec_p_holm"],
        p_equivalent=shaped["p_equivalent"],
        p_equivalent_holm=shaped["p_equivalent_holm"],
        sesoi=shaped["margin"],
        cond_estimate=shaped["cond_estimate"],
        depends=depends.astype(str),
        rec_verdict=rec.astype(str),
        primary=primary,
        confirmatory=mask,
    )
