"""No practical effect: SESOI from the registry or the study (relative ones scale with the
baseline's mean), TOST against it, the seeds a claim needs to be decided either way, and
planted zero effects with many seeds reaching "no practical effect" in analyse() and in
the simulation harness without false ones."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import PLANTED_METRICS, REPO, planted, planted_metrics, study_of
from scipy import stats

from gan_bench.analysis import simulate as sim
from gan_bench.analysis.analyse import analyse
from gan_bench.analysis.claims import NO_PRACTICAL_EFFECT
from gan_bench.analysis.equivalence import (
    margin,
    seeds_to_decide,
    tost_p,
)

FID, IS = PLANTED_METRICS
TWO = {"g_output": ["tanh", "sigmoid"]}


def test_sesoi_is_the_registrys_or_the_studys_and_relative_ones_scale():
    assert margin(FID, {}, 30.0) == pytest.approx(0.05 * 30.0)  # 5% of the baseline's FID
    assert margin(FID, {"fid": 0.1}, -30.0) == pytest.approx(3.0)
    assert math.isnan(margin(FID, {}, math.nan))
    assert margin(IS, {}, 5.0) == pytest.approx(IS.metric.sesoi * 5.0)


def test_tost_is_the_larger_one_sided_p_and_matches_a_90_percent_interval():
    estimate, se, df, bound = 0.3, 0.5, 20, 1.5
    p = float(tost_p(estimate, se, df, bound))
    half = stats.t.ppf(0.95, df) * se
    assert (p < 0.05) == (estimate - half > -bound and estimate + half < bound)
    assert p == pytest.approx(stats.t.cdf((estimate - bound) / se, df))
    assert float(tost_p(2.0, 0.5, 20, 1.5)) > 0.5  # outside the bound: far from equivalent
    assert math.isnan(float(tost_p(0.0, math.nan, 20, 1.5)))


def test_seeds_to_decide_use_sesoi_and_the_pooled_spread_not_the_effect():
    few = seeds_to_decide(se=1.0, seeds=3, bound=1.0, alpha=0.05)
    # at 5% the equivalence decision needs more than the difference: z(0.95) + z(0.9)
    assert few == math.ceil(3 * (stats.norm.ppf(0.95) + stats.norm.ppf(0.9)) ** 2)
    assert seeds_to_decide(0.5, 3, 1.0, 0.05) < few  # a tighter estimate needs fewer
    assert seeds_to_decide(1.0, 3, 2.0, 0.05) < few  # a larger SESOI needs fewer
    assert seeds_to_decide(1.0, 3, 1e-3, 0.05) == math.inf
    assert math.isnan(seeds_to_decide(math.nan, 3, 1.0, 0.05))


def test_a_planted_zero_effect_with_many_seeds_is_no_practical_effect():
    frame = planted(TWO, lambda lv: 30.0, seeds=60, sd=1.0)
    result = analyse(frame, study_of(TWO), metrics=planted_metrics(frame))
    claim = result.claims.set_index("metric").loc["fid_cnn_2k"]
    assert claim["verdict"] == NO_PRACTICAL_EFFECT
    assert claim["sesoi"] == pytest.approx(0.05 * 30.0, rel=0.05)
    assert -claim["sesoi"] < claim["rec_ci_low"] and claim["rec_ci_high"] < claim["sesoi"]
    assert math.isnan(claim["seeds_needed"])  # decided
    few = planted(TWO, lambda lv: 30.0, seeds=3, sd=1.0)
    undecided = analyse(few, study_of(TWO), metrics=planted_metrics(few)).claims.iloc[0]
    assert undecided["verdict"] == "inconclusive" and undecided["seeds_needed"] > 3


@pytest.fixture(scope="module")
def published():
    setting, noise, _ = sim.read_noise(REPO / "results" / "default")
    return setting, noise


def test_the_harness_reaches_no_practical_effect_and_keeps_it_honest(published):
    """With 5x the noise's precision (as if 75 seeds per cell) and no effect, most FID
    claims read "no practical effect"; with a planted effect of twice SESOI none does."""
    setting, noise = published
    precise = sim.NoiseModel(
        noise.metrics, noise.mean, noise.sd / 5, noise.corr, noise.residuals / 5
    )
    means = sim.planted_means(setting, noise.mean)
    fits = sim.judge(
        setting, sim.simulate_runs(setting, precise, means, 300, np.random.default_rng(31))
    )
    assert fits.equivalent()[:, 0].mean() > 0.5
    assert sim.rate(sim.any_false_word(fits))[0] <= 0.05 + 2 * 0.013
    bound = float(np.median(fits.sesoi[:, 0]))
    shifted = sim.planted_means(
        setting, noise.mean, {"fid_cnn_2k": {("latent", "uniform"): 2 * bound}}
    )
    fits = sim.judge(
        setting, sim.simulate_runs(setting, precise, shifted, 300, np.random.default_rng(32))
    )
    claim = [k for k, effect in enumerate(fits.effects) if effect[0] == "latent"][0]
    assert not fits.equivalent()[:, 0, claim].any()


@pytest.mark.parametrize("alpha", [0.05, 0.01, 0.2])
def test_seeds_to_decide_give_both_decisions_their_power(alpha):
    """At the seeds it names, a true effect of SESOI is called a difference (two-sided) and
    a zero one "no practical effect" (both one-sided tests pass), each with >= 80% power:
    the normal approximation the function plans with, evaluated at its answer."""
    from scipy import stats

    se, seeds, bound = 1.0, 3, 1.5
    needed = seeds_to_decide(se, seeds, bound, alpha)
    shrunk = se * math.sqrt(seeds / needed)
    difference = stats.norm.cdf(bound / shrunk - stats.norm.ppf(1 - alpha / 2))
    equivalent = 2 * stats.norm.cdf(bound / shrunk - stats.norm.ppf(1 - alpha)) - 1
    assert difference >= 0.8 and equivalent >= 0.8
    fewer = se * math.sqrt(seeds / (needed - 1))
    assert (
        min(
            stats.norm.cdf(bound / fewer - stats.norm.ppf(1 - alpha / 2)),
            2 * stats.norm.cdf(bound / fewer - stats.norm.ppf(1 - alpha)) - 1,
        )
        < 0.8
    )  # and no fewer seeds would do


def test_a_half_failed_baseline_run_does_not_move_the_sesoi_base():
    """The baseline cell's median, not its mean: FID 30, 31, 90 (one run x3) gives 31."""
    import numpy as np

    from gan_bench.analysis.equivalence import baseline_level

    at_base = np.array([True, True, True, False, False])
    values = np.array([30.0, 31.0, 90.0, 50.0, 52.0])
    assert baseline_level(values, at_base) == 31.0
    gone = np.array([np.nan, np.nan, np.nan, 50.0, 52.0])  # no completed baseline run
    assert baseline_level(gone, at_base) == 51.0
    many = np.stack([values, gone])  # replicates x runs, as the simulations pass them
    np.testing.assert_array_equal(baseline_level(many, at_base), [31.0, 51.0])
    assert np.isnan(baseline_level(np.full(5, np.nan), at_base))
