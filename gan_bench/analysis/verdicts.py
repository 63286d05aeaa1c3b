"""The verdict rules, once, on arrays (replicates x metrics x claims): which p-values are
adjusted together, in what share of the 5% error rate, and the words they give. A real
study is one replicate (analyse.py); the harness judges thousands (simulate.py).

The report's words share one 5% error rate (times a look's share in a sequential study):
- CLAIM_SHARE (4%): each confirmatory claim's verdict on its average effect (the level
  against the baseline, averaged over the other factors' levels), its difference test
  and its equivalence test ("no practical effect", TOST against the SESOI) Holm-adjusted
  together over every confirmatory claim, across their metrics (equivalence.paired_holm).
- INTERACTION_SHARE (0.25%): each two-way interaction's Wald test, Holm within each metric
  that carries confirmatory claims (split evenly among them): "stronger with X = x", a
  decided interaction that does not cross over; the claim keeps its verdict.
- CROSSOVER_SHARE (0.75%): for each confirmatory claim and each factor X its interaction
  with is decided, an intersection-union test that the claim's effects at two levels of X
  are each decided with opposite signs (crossover_p), Holm over those: "depends on X" (a
  tested crossover), which replaces the word. Without a decided interaction there is no
  crossover to test (the interaction's own error is the interactions' share); tested on
  every pair instead (20 on the default study), a -4 / +4 crossover was found in 5% of
  simulated studies, gated in 36%, and three strong non-crossing interactions whose effect
  is 0 at one level (the edge of the null) gave a false "depends on" in 0.3%
  (benchmarks/simulate.py).

Why the average, not the effect at the recommended configuration: the latter adds the
claim's two-way interactions at those levels, sqrt(5) times the standard error in a 2^5
design, and decided a +3 FID effect in 26% of studies where the average decides it in 98%
(benchmarks/estimand_rules.py); reading it off only when an interaction test passed named
an estimand it had not estimated whenever a real interaction was missed (30-35% false).
The recommended-configuration effect is reported as an estimate with its interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gan_bench.analysis.claims import (
    DEPENDS,
    EXPLORATORY,
    NO_PRACTICAL_EFFECT,
    expected_direction,
    verdict,
)
from gan_bench.analysis.engine import Measured, measure_studies, terms_of
from gan_bench.analysis.equivalence import paired_holm, tost_p
from gan_bench.analysis.inference import ALPHA
from gan_bench.analysis.model import Setting, claim_index, conditions, factor_pairs

CLAIM_SHARE, INTERACTION_SHARE, CROSSOVER_SHARE = 0.8, 0.05, 0.15


def holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values along the last axis, over the finite ones (NaN
    stays NaN): statsmodels' multipletests(method="holm") (tests check it), written out
    for arrays of many families and because that function runs gc.collect() per call."""
    p = np.asarray(p, dtype=float)
    order = np.argsort(np.where(np.isfinite(p), p, np.inf), axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1)
    count = np.isfinite(p).sum(axis=-1, keepdims=True)
    scaled = ranked * (count - np.arange(p.shape[-1]))
    stepped = np.minimum(1.0, np.fmax.accumulate(scaled, axis=-1))
    stepped[~np.isfinite(ranked)] = np.nan
    adjusted = np.empty_like(p)
    np.put_along_axis(adjusted, order, stepped, axis=-1)
    return adjusted


def interaction_share(metric: str, judged_on: list[str]) -> float:
    """The share of the 5% one metric's interaction family spends: the metrics carrying
    confirmatory claims split INTERACTION_SHARE evenly (Holm within each, Bonferroni
    across); an exploratory metric's family gets no words and keeps the whole share's
    scale (display only)."""
    return INTERACTION_SHARE / len(judged_on) if metric in judged_on else INTERACTION_SHARE


@dataclass
class Fits:
    """Everything the engine measured and the verdicts it gives, per replicate, metric and
    claim (Measured's arrays by name, e.g. fits["rec_estimate"]), with the adjusted p's and
    words. A real study is replicate 0."""

    setting: Setting
    measured: Measured
    look_share: float
    p_holm: np.ndarray  # the average effect's p, Holm over the metric's claims (display)
    p_claim: np.ndarray  # the verdict's: paired Holm in CLAIM_SHARE (confirmatory family)
    p_equivalent: np.ndarray  # TOST p that |average effect| < SESOI
    p_equivalent_holm: np.ndarray
    inter_p_holm: np.ndarray  # replicates x metrics x pairs: Holm in interaction_share
    cross_p_holm: np.ndarray  # replicates x metrics x claims x factors: crossover_p, Holm
    depends: np.ndarray  # per claim: the factors of a tested crossover, joined
    stronger: np.ndarray  # per claim: "X = x" of each decided non-crossing interaction
    verdict: np.ndarray  # claims.verdict's words (EXPLORATORY off the confirmatory claims)
    confirmatory: np.ndarray  # metrics x claims

    def __getitem__(self, key: str) -> np.ndarray:
        return self.measured.arrays[key]

    @property
    def metrics(self) -> list[str]:
        return self.setting.metrics

    @property
    def sesoi(self) -> np.ndarray:
        """replicates x metrics: the SESOI each replicate's equivalence test used."""
        return self.measured.sesoi

    @property
    def effects(self) -> list[tuple[str, str, str]]:
        """(factor, level, baseline) of every claim, in claim_index order."""
        layout = self.setting.layout
        names = list(layout.factors)
        return [
            (names[f], layout.factors[names[f]][i], layout.baseline[names[f]])
            for f, i in claim_index(layout)
        ]

    @property
    def pairs(self) -> list[tuple[str, str]]:
        names = list(self.setting.layout.factors)
        return [(names[a], names[b]) for a, b in factor_pairs(self.setting.layout)]

    @property
    def judged_on(self) -> list[int]:
        """The indices of the metrics that carry a confirmatory claim."""
        return [int(m) for m in np.flatnonzero(self.confirmatory.any(axis=-1))]

    def decided(self) -> np.ndarray:
        """Where a verdict word calls an effect: supported, contradicted or depends on."""
        words = self.verdict.astype(str)
        return np.isin(words, ["supported", "contradicted"]) | np.char.startswith(words, DEPENDS)

    def equivalent(self) -> np.ndarray:
        """Where the verdict is "no practical effect" (false where |truth| >= SESOI)."""
        return self.verdict == NO_PRACTICAL_EFFECT


def confirmatory_mask(setting: Setting) -> np.ndarray:
    """metrics x claims: whether (metric, the claim's factor) is a confirmatory claim."""
    names = list(setting.layout.factors)
    wanted = set(setting.confirmatory)
    return np.array(
        [
            [(m, names[f]) in wanted for f, _ in claim_index(setting.layout)]
            for m in setting.metrics
        ],
        dtype=bool,
    ).reshape(len(setting.metrics), len(claim_index(setting.layout)))


def _interaction_holm(fits_p: np.ndarray, setting: Setting, mask: np.ndarray, share: float):
    """Each metric's pair tests Holm-adjusted in its interaction_share of the look."""
    judged = [m for m, row in zip(setting.metrics, mask, strict=True) if row.any()]
    shares = np.array([interaction_share(m, judged) * share for m in setting.metrics])
    return np.fmin(1.0, holm(fits_p) / shares[None, :, None])


def _claim_holm(p: np.ndarray, p_same: np.ndarray, mask: np.ndarray, share: float):
    """Paired Holm of the difference and equivalence tests: per metric (display), then the
    confirmatory claims as one family across metrics (what the words read)."""
    diff, same = paired_holm(p, p_same)
    if mask.any():
        diff[:, mask], same[:, mask] = paired_holm(p[:, mask], p_same[:, mask])
    return np.fmin(1.0, diff / share), np.fmin(1.0, same / share)


def crossover_p(estimate: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The intersection-union p that a claim's effect crosses over on one factor X, from its
    effects at X's levels (last axis): the larger of the smallest two-sided p among the
    positive effects and among the negative ones (both sides must be decided), times
    levels / 2 beyond two levels; 1 where no two point opposite ways. Without a crossover
    every true effect at X's levels has one sign, so a decision needs a wrong-signed effect
    decided at one of the levels: at most alpha / 2 each, alpha in all after the factor."""
    finite = np.isfinite(p) & np.isfinite(estimate)
    positive = np.where(finite & (estimate > 0), p, np.inf).min(axis=-1)
    negative = np.where(finite & (estimate < 0), p, np.inf).min(axis=-1)
    factor = max(1.0, estimate.shape[-1] / 2)
    return np.fmin(1.0, np.fmax(positive, negative) * factor)


def _crossover_holm(arrays, setting: Setting, mask, share: float, inter_p_holm) -> np.ndarray:
    """replicates x metrics x claims x factors: each claim's crossover p on each other
    factor (crossover_p), Holm over the confirmatory claims' (across metrics) in `share`;
    the others per metric (display). NaN on the claim's own factor."""
    keys = conditions(setting.layout)
    claims, width = claim_index(setting.layout), len(setting.layout.factors)
    shape = arrays["estimate"].shape
    raw = np.full(shape + (width,), np.nan)
    for k in range(len(claims)):
        for other in range(width):
            picked = [c for c, key in enumerate(keys) if key[:2] == (k, other)]
            if picked:
                values, p = arrays["cond_estimate"][..., picked], arrays["cond_p"][..., picked]
                raw[..., k, other] = np.where(
                    np.isfinite(p).any(-1), crossover_p(values, p), np.nan
                )
    pairs = {pair: k for k, pair in enumerate(factor_pairs(setting.layout))}
    for k, (factor, _) in enumerate(claims):
        for other in range(width):
            if other != factor:
                pair = inter_p_holm[..., pairs[tuple(sorted((factor, other)))]]
                with np.errstate(invalid="ignore"):
                    raw[..., k, other] = np.where(pair < ALPHA, raw[..., k, other], np.nan)
    flat = raw.reshape(shape[:2] + (len(claims) * width,))
    judged = np.repeat(mask, width, axis=1)  # metrics x (claims x factors)
    adjusted = holm(flat)
    if judged.any():
        adjusted[:, judged] = holm(flat[:, judged])
    return np.fmin(1.0, adjusted / share).reshape(raw.shape)


def _relations(arrays, setting: Setting, cross_p_holm, inter_p_holm, mask):
    """Per replicate, metric and confirmatory claim: "depends on" (tested crossovers: the
    effect decided with opposite signs at two levels of X) and "stronger with" texts (a
    decided interaction that is no tested crossover: "X = x", the level where the effect
    is largest in its average's direction, or "X (sign undecided)" where the estimates
    at X's levels differ in sign but the crossover is not decided)."""
    layout = setting.layout
    names = list(layout.factors)
    claims, keys = claim_index(layout), conditions(layout)
    pairs = {pair: k for k, pair in enumerate(factor_pairs(layout))}
    shape = arrays["estimate"].shape
    depends, stronger = np.full(shape, "", dtype=object), np.full(shape, "", dtype=object)
    for k, (factor, _) in enumerate(claims):
        for other in range(len(names)):
            picked = [c for c, key in enumerate(keys) if key[:2] == (k, other)]
            if other == factor or not picked:
                continue
            values = arrays["cond_estimate"][..., picked]
            with np.errstate(invalid="ignore"):
                crossing = cross_p_holm[..., k, other] < ALPHA
                interacts = inter_p_holm[..., pairs[tuple(sorted((factor, other)))]] < ALPHA
            _append(depends[..., k], crossing & mask[None, :, k], names[other])
            text = _stronger_text(layout, other, [keys[c][2] for c in picked], values,
                                  np.sign(arrays["estimate"][..., k]))  # fmt: skip
            _append(stronger[..., k], interacts & ~crossing & mask[None, :, k], text)
    return depends, stronger


def _stronger_text(layout, other: int, levels: list[int], values, direction) -> np.ndarray:
    """ "X = x" for the level of X where the effect is largest along `direction` (the
    average effect's sign), or "X (sign undecided)" where the estimates differ in sign."""
    name = list(layout.factors)[other]
    gain = np.where(np.isfinite(values), direction[..., None] * values, -np.inf)
    labels = np.array(layout.factors[name], dtype=object)[np.array(levels)[gain.argmax(-1)]]
    mixed = (np.where(np.isfinite(values), values, 0) * direction[..., None] < 0).any(-1)
    return np.where(mixed, f"{name} (sign undecided)", f"{name} = " + labels.astype(str))


def _append(target: np.ndarray, where: np.ndarray, text) -> None:
    """Add `text` (one string or an array of them) to `target` where `where`, comma-joined."""
    joined = np.where(target == "", text, target + ", " + np.asarray(text, dtype=object))
    target[...] = np.where(where, joined, target)


def _words(setting: Setting, fits_arrays, p_claim, p_same, depends, mask) -> np.ndarray:
    """claims.verdict on every replicate, metric and claim; EXPLORATORY off the
    confirmatory claims."""
    layout = setting.layout
    names = list(layout.factors)
    expected = np.array(
        [expected_direction(names[f], layout.factors[names[f]][i], layout.baseline[names[f]])
         for f, i in claim_index(layout)],
        dtype=object,
    )  # fmt: skip
    sign = np.array([-1.0 if c.direction in ("lower", "zero") else 1.0 for c in setting.columns])
    improvement = sign[None, :, None] * fits_arrays["estimate"]
    judge = np.frompyfunc(verdict, 5, 1)
    words = judge(expected[None, None, :], improvement, p_claim, depends, p_same)
    return np.where(mask[None], words, EXPLORATORY).astype(str)


def judge(
    setting: Setting,
    values: np.ndarray,
    look_share: float = 1.0,
    diverged: np.ndarray | None = None,
) -> Fits:
    """Measure (engine.measure_studies) and judge `values` (replicates x runs x metrics, metric
    units) with `look_share` of the 5% error rate."""
    if not 0 < look_share <= 1:
        raise ValueError(f"look_share must be in (0, 1], got {look_share}")
    measured = measure_studies(setting, values, diverged)
    arrays = measured.arrays
    mask = confirmatory_mask(setting)
    bound = measured.sesoi[..., None]
    p_equivalent = tost_p(arrays["estimate"], arrays["se"], arrays["df"], bound)
    p_claim, p_same = _claim_holm(arrays["p"], p_equivalent, mask, CLAIM_SHARE * look_share)
    pair_terms = len(setting.layout.factors)  # terms_of: the factors first, then the pairs
    assert len(terms_of(setting)) >= pair_terms
    inter_p_holm = _interaction_holm(arrays["term_p"][..., pair_terms:], setting, mask, look_share)
    cross_p_holm = _crossover_holm(
        arrays, setting, mask, CROSSOVER_SHARE * look_share, inter_p_holm
    )
    depends, stronger = _relations(arrays, setting, cross_p_holm, inter_p_holm, mask)
    return Fits(
        setting=setting,
        measured=measured,
        look_share=look_share,
        p_holm=holm(arrays["p"]),
        p_claim=p_claim,
        p_equivalent=p_equivalent,
        p_equivalent_holm=p_same,
        inter_p_holm=inter_p_holm,
        cross_p_holm=cross_p_holm,
        depends=depends.astype(str),
        stronger=stronger.astype(str),
        verdict=_words(setting, arrays, p_claim, p_same, depends, mask),
        confirmatory=mask,
    )
