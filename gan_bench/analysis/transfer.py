"""Does a claim transfer across datasets? A campaign's members (one study per dataset) each
give every confirmatory claim's average effect on the common scale (common_scale.py); per
claim, a random-effects meta-analysis combines them (statsmodels'
`stats.meta_analysis.combine_effects`: Paule-Mandel tau^2, the Hartung-Knapp-Sidik-Jonkman
interval for the pooled effect, t with k - 1 df) with a 95% prediction interval for the
effect on a new dataset (not in statsmodels: pooled +- t(k - 2) x sqrt(tau^2 + SE^2), the
Higgins-Thompson-Spiegelhalter interval, as R's meta computes it with the HKSJ SE; here the
larger of that and the plain random-effects SE: predictive_sd; and a tau^2 that prices in its
own uncertainty: prediction_tau2).

The words, per claim, in one 5% error rate for the campaign:
- POOLED_SHARE (4%): per claim three tests, one graphical multiple test (Bretz et al.
  2009; Holm's procedure with a chain) over the campaign's claims: the pooled effect's
  HKSJ test ("holds on average": its interval excludes zero) and, tested with the level
  that test passes on once it rejects, the prediction interval's ("transfers": it
  excludes zero); beside them the prediction interval inside +-SESOI (two one-sided t
  tests: "no practical effect anywhere"). Each claim's two first tests start with an equal
  share; a rejected test passes its share on to the others, as in Holm's.
- MEMBER_SHARE (1%): each member's own effect on the common scale (its engine t test),
  Holm over every member and claim: "dataset-dependent (better on A; worse on B)" where
  two members' effects are decided with opposite signs. Not the members' own verdicts:
  each was decided in its own 5%, so a campaign reading them states no rate (only the
  bound k x 5%). They are more powerful (an effect of 2.5-3 member SEs reversed on one of
  four datasets: 53% against 14%) and rarely disagree falsely (<= 0.4% of null
  campaigns; benchmarks/transfer_rules.py measures both), but the campaign's 5% must hold
  without a measurement behind every design.
The mirror words, where the pooled effect runs against the advice: "contradicted
everywhere", "contradicted on average". Otherwise "inconclusive", with the datasets (at the
members' typical precision) or seeds per cell (on every member) that would decide it. With
four members the prediction interval's t has 2 df (4.30 against 1.96): the words stay,
the table's note says how wide that is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats
from statsmodels.stats.meta_analysis import combine_effects

from gan_bench.analysis.claims import NO_DECIDED_EFFECT, NO_DIFFERENCE
from gan_bench.analysis.common_scale import ClaimKey, MemberEffects
from gan_bench.analysis.equivalence import MAX_SEEDS, POWER, tost_p
from gan_bench.analysis.inference import ALPHA
from gan_bench.analysis.verdicts import holm

METHOD_RE = "pm"  # Paule-Mandel: statsmodels' "dl" leaves tau^2 negative (not clipped)
# The prediction interval's tau^2 solves Q(tau^2) = this quantile of chi^2(k - 1), where
# Paule-Mandel's solves it at the mean, k - 1 (prediction_tau2 says why).
PREDICTION_QUANTILE = 0.3
POOLED_SHARE, MEMBER_SHARE = 0.8, 0.2
MAX_DATASETS = 100
TRANSFERS, CONTRADICTED_EVERYWHERE = "transfers", "contradicted everywhere"
HOLDS_ON_AVERAGE, CONTRADICTED_ON_AVERAGE = "holds on average", "contradicted on average"
DATASET_DEPENDENT = "dataset-dependent"
NO_PRACTICAL_EFFECT_ANYWHERE = "no practical effect anywhere"
NO_DIRECTION = "no direction claimed"
UNDECIDED = ("inconclusive", NO_DECIDED_EFFECT, NO_DIRECTION)  # words that decide nothing
NUMBERS = ("k", "pooled", "se", "ci_low", "ci_high", "tau2", "i2", "tau2_predict", "pi_low",
           "pi_high", "p_pooled", "p_predict", "p_equivalent")  # fmt: skip


@dataclass(frozen=True)
class Campaign:
    """Members' effects on the common scale per replicate, member and claim (improvement:
    positive is better on the metric); a real campaign is replicate 0."""

    members: list[str]
    claims: list[ClaimKey]
    scales: list[str]
    expected: list[str]  # claims.expected_direction per claim
    sesoi: np.ndarray  # claims: the smallest effect of interest on the common scale
    seeds: np.ndarray  # members: seeds (runs) per cell
    effect: np.ndarray  # replicates x members x claims
    se: np.ndarray
    df: np.ndarray


def campaign_of(members: list[MemberEffects]) -> Campaign:
    """The members' claims aligned (NaN where a member lacks one); a claim's SESOI is the
    smallest any member uses."""
    claims = list(dict.fromkeys(key for member in members for key in member.claims))
    replicates = len(members[0].effect)
    shape = (replicates, len(members), len(claims))
    arrays = {name: np.full(shape, np.nan) for name in ("effect", "se", "df")}
    sesoi = np.full((len(members), len(claims)), np.nan)
    scales, expected = [""] * len(claims), [""] * len(claims)
    for i, member in enumerate(members):
        for j, key in enumerate(member.claims):
            c = claims.index(key)
            for name, array in arrays.items():
                array[:, i, c] = getattr(member, name)[:, j]
            sesoi[i, c] = member.sesoi[j]
            scales[c], expected[c] = member.scales[j], member.expected[j]
    return Campaign(
        [m.name for m in members], claims, scales, expected, np.nanmin(sesoi, axis=0),
        np.array([m.seeds for m in members], dtype=float), **arrays,
    )  # fmt: skip


def generalized_q(tau2: float, effect: np.ndarray, variance: np.ndarray) -> float:
    """Cochran's Q with random-effects weights 1 / (v + tau^2): a decreasing function of
    tau^2, chi^2(k - 1) at the true tau^2 when the members' effects are normal."""
    weights = 1 / (variance + tau2)
    pooled = np.sum(weights * effect) / np.sum(weights)
    return float(np.sum(weights * (effect - pooled) ** 2))


def q_profile_tau2(effect: np.ndarray, variance: np.ndarray, target: float) -> float:
    """The tau^2 at which generalized_q equals `target` (0 where Q(0) is below it); at
    target k - 1 it is Paule-Mandel's estimate (tests hold it to statsmodels')."""
    if generalized_q(0.0, effect, variance) <= target:
        return 0.0
    high = float(np.max(variance))
    while generalized_q(high, effect, variance) > target:
        high *= 10
    return optimize.brentq(lambda t: generalized_q(t, effect, variance) - target, 0.0, high,
                           xtol=1e-14 * high + 1e-300)  # fmt: skip


def prediction_tau2(effect: np.ndarray, variance: np.ndarray) -> float:
    """tau^2 for the prediction interval: Q's PREDICTION_QUANTILE (30%) point, above
    Paule-Mandel's. With the point estimate plugged in, the interval covered a held-out
    dataset's effect in only 87-90% of campaigns of 6-10 datasets whose spread was about one
    member SE (tau^2 is then often estimated as 0); at the 30% point it covers 94-98% there
    and 92-97% at 20 datasets, at the price of wider intervals where tau^2 is well
    determined (benchmarks/transfer_rules.py prints both)."""
    target = stats.chi2.ppf(PREDICTION_QUANTILE, len(effect) - 1)
    return q_profile_tau2(effect, variance, target)


def predictive_sd(result, tau2: float | None = None) -> float:
    """The SD a new member's effect has about the pooled one, from statsmodels'
    CombineResults: sqrt(tau^2 + SE^2), tau^2 the result's unless given (prediction_tau2),
    SE the larger of the HKSJ and the plain random-effects one (Roever, Knapp & Friede
    2015's modified HKSJ: with Paule-Mandel they differ only where tau^2 is 0 and the
    members agree more closely than their SEs say, and there the HKSJ SE alone left the
    prediction interval covering a held-out member's effect in 87-94% of campaigns:
    benchmarks/transfer_rules.py)."""
    variance = max(result.var_hksj_re, result.var_eff_w_re)
    return math.sqrt(max(result.tau2 if tau2 is None else tau2, 0.0) + variance)


def prediction_interval(result, alpha: float = ALPHA, tau2: float | None = None):
    """The (1 - alpha) prediction interval of a new member's effect from statsmodels'
    CombineResults: pooled +- t(k - 2) x predictive_sd; NaN below 3 members."""
    if result.k < 3:
        return math.nan, math.nan
    half = stats.t.isf(alpha / 2, result.k - 2) * predictive_sd(result, tau2)
    return result.mean_effect_re - half, result.mean_effect_re + half


def meta_analysis(effect, se, sesoi: float = math.nan, alpha: float = ALPHA) -> dict:
    """One claim's random-effects meta-analysis over the members with an effect and an SE:
    NUMBERS (k; pooled effect, its HKSJ SE and interval; tau^2, I^2; the prediction
    interval; the p-values of the pooled effect, of the prediction interval excluding zero
    and of it lying inside +-sesoi)."""
    effect, se = np.asarray(effect, dtype=float), np.asarray(se, dtype=float)
    ok = np.isfinite(effect) & np.isfinite(se) & (se > 0)
    out = dict.fromkeys(NUMBERS, math.nan) | {"k": int(ok.sum())}
    if ok.sum() < 2:
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        result = combine_effects(effect[ok], se[ok] ** 2, method_re=METHOD_RE, use_t=True)
        low, high = result.conf_int(alpha=alpha, use_t=True)[3]  # random effects, HKSJ
        pooled, hksj, k = result.mean_effect_re, result.sd_eff_w_re_hksj, result.k
        out |= {"pooled": pooled, "se": hksj, "ci_low": low, "ci_high": high}
        out |= {"tau2": max(result.tau2, 0.0), "i2": max(0.0, 1 - (k - 1) / result.q)}
        out["p_pooled"] = 2 * stats.t.sf(abs(pooled) / hksj, k - 1)
        if k >= 3:
            out["tau2_predict"] = prediction_tau2(effect[ok], se[ok] ** 2)
            out["pi_low"], out["pi_high"] = prediction_interval(result, alpha, out["tau2_predict"])
            spread = predictive_sd(result, out["tau2_predict"])
            out["p_predict"] = 2 * stats.t.sf(abs(pooled) / spread, k - 2)
            out["p_equivalent"] = float(tost_p(pooled, spread, k - 2, sesoi))
    return out


def graphical_rejections(p, weights, transitions, level: float) -> np.ndarray:
    """Which hypotheses a sequentially rejective graphical procedure rejects (Bretz,
    Maurer, Brannath & Posch 2009, algorithm 1): reject j where p_j <= level x w_j, pass
    w_j on along j's edges, join the edges through j, repeat. A closed test of weighted
    Bonferroni tests: the family-wise error rate is at most `level`. Equal weights and
    edges to every other hypothesis in equal parts make it Holm's."""
    p = np.asarray(p, dtype=float)
    w, g = np.array(weights, dtype=float), np.array(transitions, dtype=float)
    rejected = np.zeros(len(p), dtype=bool)
    while True:
        with np.errstate(invalid="ignore"):
            hits = np.flatnonzero(~rejected & (p <= level * w + 1e-15 * level))
        if not len(hits):
            return rejected
        j = hits[0]
        rejected[j] = True
        w = np.where(rejected, 0.0, w + w[j] * g[j])
        through = 1 - g[:, j] * g[j]  # 1 - g_lj g_jl, per l
        with np.errstate(divide="ignore", invalid="ignore"):
            joined = (g + np.outer(g[:, j], g[j])) / through[:, None]
        g = np.where((through[:, None] > 0) & ~rejected[:, None] & ~rejected[None], joined, 0.0)
        np.fill_diagonal(g, 0.0)


def claim_graph(active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights and edges over 3 x claims hypotheses: each claim's pooled test (first
    claims), prediction test, equivalence test; `active` (3 x claims) marks those that can
    be tested. The pooled and equivalence tests share the level equally; a rejected pooled
    test passes its level to its prediction test, which (when rejected, and every
    equivalence test) passes it on to the other claims' tests and its own claim's other
    test in equal parts."""
    m = active.shape[1]
    pooled, predict, same = (np.arange(m) + m * row for row in range(3))
    is_on = active.ravel()
    weights = np.zeros(3 * m)
    starts = np.concatenate([pooled, same])[np.concatenate([active[0], active[2]])]
    weights[starts] = 1 / max(1, len(starts))
    edges = np.zeros((3 * m, 3 * m))
    for c in range(m):
        others = np.r_[np.delete(pooled, c), np.delete(same, c)]
        spread = {predict[c]: np.r_[others, same[c]], same[c]: np.r_[others, pooled[c]]}
        spread[pooled[c]] = [predict[c]] if is_on[predict[c]] else spread[predict[c]]
        for node, targets in spread.items():
            targets = [t for t in targets if is_on[t]]
            edges[node, targets] = 1 / len(targets) if targets else 0.0
    return weights, edges


@dataclass
class Transfer:
    """A campaign judged: NUMBERS per replicate and claim, the decided tests, the members
    whose effects are decided with opposite signs, the words and what would decide an
    undecided claim."""

    campaign: Campaign
    numbers: dict[str, np.ndarray]  # replicates x claims each
    decided: dict[str, np.ndarray]  # "pooled", "predict", "equivalent": replicates x claims
    member_decided: np.ndarray  # replicates x members x claims: in MEMBER_SHARE
    opposed: np.ndarray  # replicates x claims: "better on A; worse on B", or ""
    verdict: np.ndarray
    datasets_needed: np.ndarray  # replicates x claims: members in all (NaN: decided)
    seeds_needed: np.ndarray  # seeds per cell on every member

    def __getitem__(self, key: str) -> np.ndarray:
        return self.numbers[key]


def member_tests(campaign: Campaign, level: float) -> np.ndarray:
    """replicates x members x claims: each member's effect decided by its own t test, Holm
    over every member and claim at `level`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * stats.t.sf(np.abs(campaign.effect / campaign.se), campaign.df)
    p = np.where(np.isfinite(campaign.se) & (campaign.se > 0), p, np.nan)
    flat = holm(p.reshape(len(p), -1)).reshape(p.shape)
    with np.errstate(invalid="ignore"):
        return flat < level


def _opposed(campaign: Campaign, decided: np.ndarray) -> np.ndarray:
    """ "better on A; worse on B" where members' decided effects differ in sign."""
    names = np.array(campaign.members, dtype=object)
    out = np.full(decided.shape[::2], "", dtype=object)
    for r, c in zip(*np.nonzero(decided.any(axis=1)), strict=True):
        sign = np.sign(campaign.effect[r, :, c])
        better, worse = decided[r, :, c] & (sign > 0), decided[r, :, c] & (sign < 0)
        if better.any() and worse.any():
            out[r, c] = f"better on {', '.join(names[better])}; worse on {', '.join(names[worse])}"
    return out


def transfer_word(expected: str, pooled: float, decided: dict, opposed: str) -> str:
    """One claim's word: dataset-dependent (opposite decided members), then transfers /
    contradicted everywhere (the prediction interval), holds / contradicted on average (the
    pooled interval), no practical effect anywhere, else inconclusive (NO_DECIDED_EFFECT
    for a no-effect claim, which any decided effect contradicts)."""
    if expected == "none":
        return NO_DIRECTION
    if opposed:
        return f"{DATASET_DEPENDENT} ({opposed})"
    wanted = 0 if expected == NO_DIFFERENCE else (1 if expected == "better" else -1)
    along = wanted * np.sign(pooled) > 0
    if decided["predict"]:
        return TRANSFERS if along else CONTRADICTED_EVERYWHERE
    if decided["pooled"]:
        return HOLDS_ON_AVERAGE if along else CONTRADICTED_ON_AVERAGE
    if decided["equivalent"]:
        return NO_PRACTICAL_EFFECT_ANYWHERE
    return NO_DECIDED_EFFECT if expected == NO_DIFFERENCE else "inconclusive"


def _decides(mu: float, tau2: float, pooled_var, k, bound: float, level: float) -> np.ndarray:
    """Whether campaigns of k members (arrays) would decide a claim with these numbers as
    the truth: the pooled test with POWER, or the prediction interval inside +-bound."""
    pooled_var, k = np.asarray(pooled_var, dtype=float), np.asarray(k, dtype=float)
    critical = stats.t.isf(level / 2, k - 1) + stats.norm.ppf(POWER)
    difference = abs(mu) >= critical * np.sqrt(pooled_var)
    with np.errstate(invalid="ignore"):
        reach = abs(mu) + stats.t.isf(level, k - 2) * np.sqrt(tau2 + pooled_var)
    return difference | ((k >= 3) & (reach <= bound))


def _first(candidates: np.ndarray, decides: np.ndarray) -> float:
    return float(candidates[decides.argmax()]) if decides.any() else math.inf


def needed(numbers: dict, variances: np.ndarray, seeds: np.ndarray, bound: float, level: float):
    """(members, seeds per cell) that would decide an undecided claim were today's pooled
    effect, tau^2 and the members' SEs the truth: the fewest members in all (new ones at
    the members' mean variance), or seeds per cell on every member (each variance scaled
    by its seeds / the new seeds); inf beyond MAX_DATASETS / MAX_SEEDS, NaN without an
    estimate."""
    mu, tau2, k = numbers["pooled"], numbers["tau2"], int(numbers["k"])
    ok = np.isfinite(variances)
    if not np.isfinite(mu) or k < 2:
        return math.nan, math.nan
    members = np.arange(k + 1, MAX_DATASETS + 1)
    pooled = (tau2 + variances[ok].mean()) / members
    per_cell = np.arange(math.ceil(seeds[ok].max()) + 1, MAX_SEEDS + 1)
    scaled = tau2 + variances[ok][None] * seeds[ok][None] / per_cell[:, None]
    seeded = 1 / np.sum(1 / scaled, axis=1)
    return (
        _first(members, _decides(mu, tau2, pooled, members, bound, level)),
        _first(per_cell, _decides(mu, tau2, seeded, k, bound, level)),
    )


TESTS = ("pooled", "predict", "equivalent")  # each claim's tests in the POOLED_SHARE family


def _meta(campaign: Campaign, alpha: float) -> tuple[dict, dict]:
    """NUMBERS per replicate and claim, and which of TESTS the graph rejects."""
    replicates, _, claims = campaign.effect.shape
    numbers = {key: np.full((replicates, claims), np.nan) for key in NUMBERS}
    decided = {key: np.zeros((replicates, claims), dtype=bool) for key in TESTS}
    for r in range(replicates):
        for c in range(claims):
            found = meta_analysis(campaign.effect[r, :, c], campaign.se[r, :, c], campaign.sesoi[c])
            for key, value in found.items():
                numbers[key][r, c] = value
        p = np.stack([numbers["p_" + key][r] for key in TESTS])
        graph = claim_graph(np.isfinite(p))
        rejected = graphical_rejections(p.ravel(), *graph, alpha * POOLED_SHARE)
        for row, key in enumerate(TESTS):
            decided[key][r] = rejected.reshape(3, claims)[row]
    return numbers, decided


def judge_transfer(campaign: Campaign, alpha: float = ALPHA) -> Transfer:
    """Meta-analyse and judge every replicate and claim of the campaign in `alpha`."""
    numbers, decided = _meta(campaign, alpha)
    member_decided = member_tests(campaign, alpha * MEMBER_SHARE)
    opposed = _opposed(campaign, member_decided)
    words = np.empty(opposed.shape, dtype=object)
    datasets, seeds = np.full((2, *opposed.shape), np.nan)
    for r, c in np.ndindex(opposed.shape):
        flags = {key: bool(value[r, c]) for key, value in decided.items()}
        word = transfer_word(campaign.expected[c], numbers["pooled"][r, c], flags, opposed[r, c])
        words[r, c] = word
        if word in ("inconclusive", NO_DECIDED_EFFECT):
            tested = np.isfinite([numbers["p_pooled"][r], numbers["p_equivalent"][r]]).sum()
            level = alpha * POOLED_SHARE / max(1, tested)  # a claim's first-step level
            one = {key: numbers[key][r, c] for key in NUMBERS}
            variances = campaign.se[r, :, c] ** 2
            datasets[r, c], seeds[r, c] = needed(
                one, variances, campaign.seeds, campaign.sesoi[c], level
            )
    return Transfer(
        campaign, numbers, decided, member_decided, opposed, words.astype(str), datasets, seeds
    )
