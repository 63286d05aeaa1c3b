"""Transfer across datasets: the meta-analysis is statsmodels' (checked by hand and against
R's meta), the prediction interval is the Higgins-Thompson-Spiegelhalter one, the graph
of tests is Holm's where it has no chain, every word arises where it should, and the
simulated campaigns keep the issue's targets (benchmarks/transfer_rules.py, smaller)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import load_benchmark
from scipy import optimize, stats
from statsmodels.stats.meta_analysis import combine_effects, effectsize_2proportions
from statsmodels.stats.tests.results import results_meta

from gan_bench.analysis import transfer as tr
from gan_bench.analysis.claims import NO_DECIDED_EFFECT, NO_DIFFERENCE
from gan_bench.analysis.common_scale import LOG_RATIO, MemberEffects
from gan_bench.analysis.transfer_frames import transfer_frame
from gan_bench.analysis.verdicts import holm

SESOI = math.log(1.05)
CLAIM = ("fid", "g_output", "sigmoid", "tanh")


def campaign(effects, se, expected="worse", sesoi=SESOI, df=60.0, seeds=3.0) -> tr.Campaign:
    """One claim, one replicate: members' effects (improvement) with their SEs."""
    effects = np.asarray(effects, dtype=float)
    se = np.broadcast_to(np.asarray(se, dtype=float), effects.shape)
    k = len(effects)
    return tr.Campaign(
        [f"m{i}" for i in range(k)], [CLAIM], [LOG_RATIO], [expected], np.array([sesoi]),
        np.full(k, seeds), effects.reshape(1, k, 1), se.reshape(1, k, 1).copy(),
        np.full((1, k, 1), df),
    )  # fmt: skip


def word(effects, se, **keys) -> str:
    return str(tr.judge_transfer(campaign(effects, se, **keys)).verdict[0, 0])


# --------------------------------------------------------------------------- the meta-analysis

EFFECTS = np.array([0.12, 0.31, 0.05, 0.22, 0.18])
SES = np.array([0.05, 0.08, 0.04, 0.06, 0.07])


def test_meta_analysis_matches_a_hand_computation():
    """Paule-Mandel tau^2 solves sum w (y - mu_w)^2 = k - 1 with w = 1 / (v + tau^2); the
    HKSJ variance is sum w (y - mu)^2 / ((k - 1) sum w); I^2 = (Q - (k - 1)) / Q; the
    prediction interval mu +- t(k - 2) sqrt(tau^2 + SE^2), its tau^2 solving the same
    equation at chi^2(k - 1)'s 30% point."""
    v, k = SES**2, len(EFFECTS)

    def q_at(tau2):
        w = 1 / (v + tau2)
        mu = (w * EFFECTS).sum() / w.sum()
        return (w * (EFFECTS - mu) ** 2).sum()

    tau2 = optimize.brentq(lambda t: q_at(t) - (k - 1), 0.0, 1.0, xtol=1e-14)
    w = 1 / (v + tau2)
    mu = (w * EFFECTS).sum() / w.sum()
    hksj = math.sqrt((w * (EFFECTS - mu) ** 2).sum() / ((k - 1) * w.sum()))
    q = q_at(0.0)
    found = tr.meta_analysis(EFFECTS, SES, sesoi=0.5)
    assert found["k"] == k and found["tau2"] == pytest.approx(tau2, rel=1e-4)
    assert found["pooled"] == pytest.approx(mu, rel=1e-5)
    assert found["se"] == pytest.approx(hksj, rel=1e-4)
    assert found["i2"] == pytest.approx((q - (k - 1)) / q, rel=1e-10)
    half = stats.t.isf(0.025, k - 1) * hksj
    assert (found["ci_low"], found["ci_high"]) == pytest.approx((mu - half, mu + half), rel=1e-4)
    wide = optimize.brentq(lambda t: q_at(t) - stats.chi2.ppf(0.3, k - 1), 0.0, 1.0, xtol=1e-14)
    spread = math.sqrt(wide + max(hksj**2, 1 / w.sum()))
    half = stats.t.isf(0.025, k - 2) * spread
    assert (found["pi_low"], found["pi_high"]) == pytest.approx((mu - half, mu + half), rel=1e-4)
    assert found["p_pooled"] == pytest.approx(2 * stats.t.sf(mu / hksj, k - 1), rel=1e-3)
    assert found["p_predict"] == pytest.approx(2 * stats.t.sf(mu / spread, k - 2), rel=1e-3)
    lower, upper = stats.t.sf((mu + 0.5) / spread, k - 2), stats.t.cdf((mu - 0.5) / spread, k - 2)
    assert found["p_equivalent"] == pytest.approx(max(lower, upper), rel=1e-3)


def test_the_numbers_are_statsmodels_own():
    result = combine_effects(EFFECTS, SES**2, method_re="pm", use_t=True)
    found = tr.meta_analysis(EFFECTS, SES)
    assert found["pooled"] == result.mean_effect_re and found["tau2"] == result.tau2
    low, high = result.conf_int(use_t=True)[3]  # random effects, HKSJ
    assert (found["ci_low"], found["ci_high"]) == pytest.approx((low, high), rel=1e-12)
    assert found["i2"] == pytest.approx(result.i2, rel=1e-12)


def test_the_prediction_interval_is_r_metas_where_hksj_is_the_larger_se():
    """R's meta (DerSimonian-Laird, Hartung-Knapp; statsmodels' own test results): its
    prediction interval is pooled +- t(k - 2) sqrt(tau^2 + HKSJ SE^2)."""
    r_meta = results_meta.results_or_dl_hk
    effect, variance = effectsize_2proportions(
        r_meta.event_e, r_meta.n_e, r_meta.event_c, r_meta.n_c, statistic="odds-ratio"
    )
    result = combine_effects(effect, variance, method_re="dl", use_t=True)
    assert result.var_hksj_re > result.var_eff_w_re  # predictive_sd takes the HKSJ SE here
    assert tr.predictive_sd(result) == pytest.approx(r_meta.seTE_predict, rel=1e-10)
    low, high = tr.prediction_interval(result)
    assert (low, high) == pytest.approx((r_meta.lower_predict, r_meta.upper_predict), rel=1e-10)


def test_q_profile_tau2_at_k_minus_1_is_statsmodels_paule_mandel():
    variance = SES**2
    pm = combine_effects(EFFECTS, variance, method_re="pm").tau2
    assert pm > 0
    assert tr.q_profile_tau2(EFFECTS, variance, len(EFFECTS) - 1) == pytest.approx(pm, rel=1e-6)
    assert tr.prediction_tau2(EFFECTS, variance) > pm  # Q's 30% point lies below its mean


def test_the_prediction_interval_uses_the_prediction_tau2():
    found = tr.meta_analysis(EFFECTS, SES)
    result = combine_effects(EFFECTS, SES**2, method_re="pm", use_t=True)
    assert found["tau2_predict"] == tr.prediction_tau2(EFFECTS, SES**2) > found["tau2"]
    assert (found["pi_low"], found["pi_high"]) == tr.prediction_interval(
        result, tau2=found["tau2_predict"]
    )


def test_where_members_agree_more_than_their_ses_say_the_plain_se_widens_the_interval():
    effects, ses = np.array([0.10, 0.101, 0.099, 0.1]), np.full(4, 0.02)
    result = combine_effects(effects, ses**2, method_re="pm", use_t=True)
    assert result.tau2 == 0 and result.var_hksj_re < result.var_eff_w_re
    assert tr.predictive_sd(result) == pytest.approx(math.sqrt(result.var_eff_w_re))


def test_too_few_members_give_no_interval_or_no_prediction():
    one = tr.meta_analysis([0.1, np.nan], [0.02, 0.02])
    assert one["k"] == 1 and np.isnan(one["pooled"])
    two = tr.meta_analysis([0.1, 0.2], [0.02, 0.02])
    assert two["k"] == 2 and np.isfinite(two["ci_low"]) and np.isnan(two["pi_low"])
    assert np.isnan(two["p_predict"]) and np.isnan(two["p_equivalent"])


# --------------------------------------------------------------------------- the tests' graph


def test_the_graph_with_equal_weights_and_full_edges_is_holm():
    rng = np.random.default_rng(5)
    for _ in range(300):
        n = int(rng.integers(1, 9))
        p = rng.random(n) ** 4
        edges = (np.ones((n, n)) - np.eye(n)) / max(1, n - 1)
        found = tr.graphical_rejections(p, np.full(n, 1 / n), edges, 0.05)
        np.testing.assert_array_equal(found, holm(p) < 0.05)


def test_a_claims_prediction_test_gets_its_pooled_tests_level_only_after_it():
    """Two claims: the graph starts with 1/4 of the level on each pooled and equivalence
    test and none on the prediction tests; a prediction p below every level is rejected
    only once its claim's pooled test is."""
    active = np.ones((3, 2), dtype=bool)
    weights, edges = tr.claim_graph(active)
    np.testing.assert_allclose(weights, [0.25, 0.25, 0, 0, 0.25, 0.25])
    np.testing.assert_allclose(edges.sum(axis=1), 1.0)
    assert edges[0, 2] == 1.0 and edges[2, 2] == 0
    # claim 1's pooled test passes at 0.0125, its prediction test (0.004) then at the same
    # level; that passes 0.0125 on in thirds, so claim 0's pooled test (0.015) passes at
    # 0.0167, and its prediction test (0.001, never tested before) after it
    p = np.array([0.015, 0.001, 0.001, 0.004, 0.9, 0.9])
    found = tr.graphical_rejections(p, weights, edges, 0.05)
    np.testing.assert_array_equal(found, [True, True, True, True, False, False])
    p[3] = 0.02  # claim 1's prediction test fails: its level stays with it
    found = tr.graphical_rejections(p, weights, edges, 0.05)
    np.testing.assert_array_equal(found, [False, True, False, False, False, False])


def test_an_untestable_prediction_leaves_its_claims_level_to_the_others():
    active = np.array([[True, True], [False, False], [True, True]])
    weights, edges = tr.claim_graph(active)
    assert edges[0, 2] == 0 and edges[0, 1] > 0 and edges[0, 5] > 0
    np.testing.assert_allclose(edges[[0, 1, 4, 5]].sum(axis=1), 1.0)


# --------------------------------------------------------------------------- the words


def test_a_consistent_effect_along_the_advice_transfers():
    assert word([-0.20, -0.21, -0.19, -0.20, -0.22, -0.18, -0.2, -0.21], 0.01) == tr.TRANSFERS


def test_a_consistent_effect_against_the_advice_is_contradicted_everywhere():
    found = word([0.20, 0.21, 0.19, 0.20, 0.22, 0.18, 0.2, 0.21], 0.01)
    assert found == tr.CONTRADICTED_EVERYWHERE


def test_an_effect_of_one_sign_but_a_wide_spread_holds_on_average_only():
    """Four members, each effect along the advice but none decided alone at the members'
    1% (SE 0.03): the pooled test passes its level (2% for one claim: 4% shared with the
    equivalence test), the prediction test (t with 2 df) does not."""
    transfer = tr.judge_transfer(campaign([-0.06, -0.08, -0.05, -0.09], 0.03))
    assert transfer.verdict[0, 0] == tr.HOLDS_ON_AVERAGE
    assert transfer["p_pooled"][0, 0] < 0.02 < transfer["p_predict"][0, 0]
    assert transfer["ci_high"][0, 0] < 0 and not transfer.member_decided.any()
    mirrored = word([0.06, 0.08, 0.05, 0.09], 0.03)
    assert mirrored == tr.CONTRADICTED_ON_AVERAGE


def test_decided_effects_of_opposite_sign_are_dataset_dependent_naming_the_members():
    found = word([-0.3, -0.25, 0.28, -0.01], 0.02)
    assert found == f"{tr.DATASET_DEPENDENT} (better on m2; worse on m0, m1)"


def test_effects_near_zero_everywhere_are_no_practical_effect_anywhere():
    rng = np.random.default_rng(1)
    transfer = tr.judge_transfer(campaign(0.003 * rng.standard_normal(20), 0.004))
    assert transfer.verdict[0, 0] == tr.NO_PRACTICAL_EFFECT_ANYWHERE
    assert -SESOI < transfer["pi_low"][0, 0] < transfer["pi_high"][0, 0] < SESOI


def test_an_undecided_claim_says_how_many_datasets_or_seeds_would_decide_it():
    """A small common effect (x0.98) at today's SEs: more datasets decide it, and so do more
    seeds (no spread between datasets to overcome); a claim whose members spread widely
    cannot be decided by seeds alone."""
    transfer = tr.judge_transfer(campaign([-0.02, -0.01, -0.03], 0.02))
    assert transfer.verdict[0, 0] == "inconclusive"
    datasets, seeds = transfer.datasets_needed[0, 0], transfer.seeds_needed[0, 0]
    assert 3 < datasets < tr.MAX_DATASETS and 3 < seeds < 1000
    spread = tr.judge_transfer(campaign([-0.3, 0.1, -0.2], 0.2))
    assert spread.verdict[0, 0] == "inconclusive" and spread["tau2"][0, 0] > 0
    assert spread.seeds_needed[0, 0] == math.inf
    decided = tr.judge_transfer(campaign([-0.2] * 8, 0.01))
    assert np.isnan(decided.datasets_needed[0, 0]) and np.isnan(decided.seeds_needed[0, 0])


def test_claims_without_a_direction_or_of_no_effect():
    assert word([-0.2] * 8, 0.01, expected="none") == "no direction claimed"
    assert word([-0.2] * 8, 0.01, expected=NO_DIFFERENCE) == tr.CONTRADICTED_EVERYWHERE
    assert word([0.01, -0.02, 0.03], 0.03, expected=NO_DIFFERENCE) == NO_DECIDED_EFFECT


def test_members_align_by_claim_and_the_smallest_sesoi_counts():
    def member(name, claims, sesoi):
        n = len(claims)
        return MemberEffects(name, claims, [LOG_RATIO] * n, ["worse"] * n,
                             np.full(n, sesoi), 3.0, np.full((1, n), -0.1),
                             np.full((1, n), 0.02), np.full((1, n), 50.0))  # fmt: skip

    other = ("fid", "latent", "uniform", "normal")
    found = tr.campaign_of([member("a", [CLAIM, other], 0.05), member("b", [other], 0.03)])
    assert found.claims == [CLAIM, other] and found.members == ["a", "b"]
    assert np.isnan(found.effect[0, 1, 0]) and found.effect[0, 1, 1] == -0.1
    np.testing.assert_allclose(found.sesoi, [0.05, 0.03])
    frame = transfer_frame(tr.judge_transfer(found))
    assert frame["k"].tolist() == [1, 2] and frame.loc[0, "verdict"] == "inconclusive"
    assert frame.loc[1, "members"] == "a -0.1 (SE 0.02); b -0.1 (SE 0.02)"
    assert "no prediction interval" in frame.loc[1, "note"]


# --------------------------------------------------------------------------- the targets


@pytest.fixture(scope="module")
def rules():
    return load_benchmark("transfer_rules")


def test_no_false_transfer_or_holds_on_average_in_more_than_5_percent_of_null_campaigns(rules):
    """Four members (digits and MNIST's SEs), five claims, no effect anywhere; and no
    average effect with a spread of 2 member SEs across datasets."""
    rng = np.random.default_rng(11)
    null = rules.null_rates(4, 200, rng)
    assert null["false transfers / holds (or mirrors)"].mean() <= 0.05
    assert null["false dataset-dependent"].mean() <= 0.05
    spread = rules.null_rates(4, 200, rng, tau_in_se=2.0)
    assert spread["false transfers / holds (or mirrors)"].mean() <= 0.05


def test_an_effect_reversing_on_one_of_four_datasets_is_not_called_transfers(rules):
    rng = np.random.default_rng(12)
    for shift in (0.05, 0.15):
        found = rules.reversal_rates(4, shift, 150, rng)
        assert found["called transfers"].mean() <= 0.05
    assert found["called dataset-dependent"].mean() >= 0.9  # +-0.15: 7 SEs on each member


def test_the_prediction_interval_covers_a_held_out_dataset_93_to_97_percent(rules):
    """Six members, effects drawn N(0.1, tau^2) with tau one member SE (where Paule-Mandel's
    tau^2 plugged in covered 87-90%); the first six's 95% prediction interval against the
    seventh's true effect. With four members t(2 df) makes it conservative: at least 93%."""
    found = rules.coverage(6, 1.0, 1200, np.random.default_rng(13))
    assert 0.93 <= found["the rule (tau^2 at Q's 30% point)"].mean() <= 0.97
    four = rules.coverage(4, 2.0, 600, np.random.default_rng(15))
    assert four["the rule (tau^2 at Q's 30% point)"].mean() >= 0.93


def test_a_common_effect_of_20_percent_holds_on_average_in_most_campaigns_of_four(rules):
    found = rules.power(4, math.log(1.2), 200, np.random.default_rng(14))
    assert found["transfers or holds on average"].mean() >= 0.9
    assert found["transfers"].mean() >= 0.2  # t(2 df) and a tau^2 priced for prediction
