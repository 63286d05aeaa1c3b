"""The simulation harness: the noise model is the published study's, and today's analysis
keeps the error rates it should (FID's family-wise false verdicts, interval coverage, power)
while the harness sees half-failed runs ruin power (fit_many's equality with analyse():
test_batch_fit.py). Rates are asserted on >= 1000 replicates with fixed seeds."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import statsmodels.formula.api as smf
from conftest import (
    D_OVERFIT,
    PLANTED_METRICS,
    TWO_BY_TWO,
    a_plus_interaction,
    planted,
    planted_metrics,
    study_of,
)

from gan_bench.analysis import robust
from gan_bench.analysis import simulate as sim
from gan_bench.analysis.layout import tidy_runs
from gan_bench.analysis.linear_model import formula
from gan_bench.study.design import DesignRecord

FID = "fid_cnn_2k"


def test_noise_model_is_the_published_studys_residual_spread(published):
    """The SD per metric is the residual SD of the full model (main effects and two-way
    interactions, least squares: the noise as it is, not as a robust fit down-weights it)
    on results/default, as statsmodels fits it; for a towards-zero metric (checkerboard) it
    is measured on the signed scale, and analyse() takes |x| of simulated values as of real
    ones."""
    setting, noise, frame, study, design = published
    layout = setting.layout
    runs = tidy_runs(frame, layout, setting.metrics)
    assert layout.separates_interactions and not runs["diverged"].any()
    signed = np.array([c.direction != "zero" for c in setting.columns])
    assert not signed.all()
    data = runs[list(layout.factors)].astype(str)
    for m, metric in enumerate(setting.metrics):
        data["y"] = runs[metric].astype(float).to_numpy()
        ols = smf.ols(formula(list(layout.factors), interactions=True), data=data).fit()
        assert noise.sd[m] == pytest.approx(np.sqrt(ols.mse_resid), rel=1e-10), metric
    assert np.allclose(np.diag(noise.corr), 1) and (np.abs(noise.corr) <= 1 + 1e-12).all()
    np.testing.assert_allclose(noise.residuals.std(axis=0), noise.sd, rtol=1e-10)


def test_half_failed_and_diverged_runs_are_what_they_say(published):
    setting, noise, *_ = published
    means = sim.planted_means(setting, noise.mean)
    rng = np.random.default_rng(2)
    clean = sim.simulate_runs(setting, noise, means, 20, np.random.default_rng(3))
    hurt = sim.simulate_runs(setting, noise, means, 20, np.random.default_rng(3), half_failed=0.5)
    ratio = hurt / clean
    fid_like = [c.metric.key in ("fid", "kid") for c in setting.columns]
    assert set(np.round(ratio[..., fid_like], 12).ravel()) == {1.0, 3.0}
    assert (ratio[..., ~np.array(fid_like)] == 1).all()
    divergence = sim.Divergence("g_output", "sigmoid", 0.3, FID)
    gone = sim.simulate_runs(setting, noise, means, 20, rng, divergence=divergence)
    sigmoid = setting.run_levels[:, 0] == 1
    lost = np.isnan(gone).all(axis=2)
    assert (lost.sum(axis=1) == round(0.3 * sigmoid.sum())).all() and not lost[:, ~sigmoid].any()
    fid = gone[:, sigmoid, 0]
    kept_worst = np.nanmax(fid, axis=1)
    assert (np.isnan(fid) | (fid <= kept_worst[:, None])).all()


def test_no_true_effect_keeps_fids_family_wise_false_verdict_rate(published):
    setting, noise, *_ = published
    means = sim.planted_means(setting, noise.mean)
    values = sim.simulate_runs(setting, noise, means, 2000, np.random.default_rng(11))
    share, mc_se = sim.rate(sim.any_decided(sim.fit_many(setting, values), FID))
    assert share <= 0.05 + 2 * mc_se, share


def test_no_true_effect_keeps_every_verdict_word_of_the_report_within_5_percent(published):
    """Issue 13: under no effect, the share of studies with any false verdict word anywhere
    (claims on every metric, "depends on", a decided interaction) <= 5% (+ Monte-Carlo
    error); it was 29% when every metric got verdict words."""
    setting, noise, *_ = published
    means = sim.planted_means(setting, noise.mean)
    for resample in (False, True):
        rng = np.random.default_rng(21)
        values = sim.simulate_runs(setting, noise, means, 1000, rng, resample=resample)
        fits = sim.fit_many(setting, values)
        share, mc_se = sim.rate(sim.any_false_word(fits))
        assert share <= 0.05 + 2 * mc_se, (resample, share)
        assert set(fits.verdict[:, 1:].ravel()) == {"exploratory"}


DYNAMICS = {
    "g_output": ["tanh", "sigmoid"],
    "instance_noise": [0.0, 0.1],
    "label_smoothing": [1.0, 0.9],
    "batch_mode": ["separate", "mixed"],
    "g_steps": [1, 2],
}


def test_dynamics_claims_keep_every_verdict_word_within_5_percent_in_one_family():
    """Issue 14: a 2^5 study whose d_overfit column gives three tricks a second confirmatory
    claim (8 claims on 2 metrics, 20 interactions on them), no true effect anywhere: the
    joint Holm family and the split interaction share keep any false word <= 5% (+ 2 MC
    SE); judging each metric in its own family at the whole 5% would not (about 8%)."""
    study = study_of(DYNAMICS, seeds=[0, 1, 2])
    setting = sim.setting_of(study, DesignRecord.of(study), [*PLANTED_METRICS, D_OVERFIT])
    assert {metric for metric, _ in setting.confirmatory} == {FID, "d_overfit"}
    unit = sim.NoiseModel(setting.metrics, np.zeros(3), np.array([2.0, 0.2, 0.02]), np.eye(3), None)
    means = sim.planted_means(setting, np.array([30.0, 6.0, 0.2]))
    values = sim.simulate_runs(setting, unit, means, 1000, np.random.default_rng(41))
    share, mc_se = sim.rate(sim.any_false_word(sim.fit_many(setting, values)))
    assert share <= 0.05 + 2 * mc_se, share
    alone = [
        replace(setting, confirmatory=[pair for pair in setting.confirmatory if pair[0] == m])
        for m in (FID, "d_overfit")
    ]
    separate = np.any([sim.any_false_word(sim.fit_many(one, values)) for one in alone], axis=0)
    assert sim.rate(separate)[0] > share + 2 * mc_se, (sim.rate(separate), share)


@pytest.fixture(scope="module")
def planted_fid(published):
    """A planted +3 FID at sigmoid (the claim "tanh is better" holds) and its truth."""
    setting, noise, *_ = published
    means = sim.planted_means(setting, noise.mean, {FID: {("g_output", "sigmoid"): 3.0}})
    return setting, noise, means, sim.true_effects(setting, means)


def test_intervals_cover_planted_effects(planted_fid):
    setting, noise, means, truth = planted_fid
    assert truth[0, 0] == pytest.approx(3.0) and np.abs(truth[1:]).max() < 1e-9
    values = sim.simulate_runs(setting, noise, means, 2000, np.random.default_rng(12))
    fits = sim.fit_many(setting, values)
    covered = sim.covered(fits, truth)
    assert 0.93 <= covered[:, 0, 0].mean() <= 0.97
    assert 0.93 <= covered.mean() <= 0.97
    # the interval at the recommended configuration (what the claim table leads with): no
    # interaction is planted, so its truth is the main effect's
    at_recommended = (fits.rec_ci_low <= truth[None]) & (truth[None] <= fits.rec_ci_high)
    assert 0.93 <= at_recommended[:, 0, 0].mean() <= 0.97
    assert 0.93 <= at_recommended.mean() <= 0.97


def test_power_at_three_seeds_and_what_half_failed_runs_do_to_it(planted_fid):
    setting, noise, means, _ = planted_fid
    powers = []
    for half_failed in (0.0, 0.05):
        rng = np.random.default_rng(13)
        values = sim.simulate_runs(setting, noise, means, 1000, rng, half_failed=half_failed)
        fits = sim.fit_many(setting, values)
        powers.append(sim.rate(sim.verdict_of(fits, FID, "g_output") == "supported")[0])
    normal, damaged = powers
    assert normal >= 0.80
    assert damaged >= 0.60  # least squares fell to 7% (issue 13); the Huber fit holds


def test_informative_divergence_does_not_turn_a_claim_around(published):
    """Equal means, but the worst 30% of sigmoid's runs diverge: dropped, they made sigmoid
    look better and "tanh beats sigmoid" came out contradicted in 48% of studies (issue
    13). Counted as the study's worst run, they must not: <= 5% contradicted."""
    setting, noise, *_ = published
    means = sim.planted_means(setting, noise.mean)
    divergence = sim.Divergence("g_output", "sigmoid", 0.3, FID)
    rng = np.random.default_rng(15)
    values = sim.simulate_runs(setting, noise, means, 1000, rng, divergence=divergence)
    words = sim.verdict_of(sim.fit_many(setting, values), FID, "g_output")
    share, mc_se = sim.rate(words == "contradicted")
    assert share <= 0.05, share
    assert np.isnan(values).all(axis=2).sum(axis=1).min() > 0  # runs did diverge


def test_planting_an_unknown_factor_or_level_names_it(published):
    setting, noise, *_ = published
    with pytest.raises(ValueError, match="no_such_factor"):
        sim.planted_means(setting, noise.mean, {FID: {("no_such_factor", "x"): 1.0}})
    with pytest.raises(ValueError, match="'softplus'"):
        sim.planted_means(setting, noise.mean, {FID: {("g_output", "softplus"): 1.0}})
    with pytest.raises(ValueError, match="fid_cnn_10k"):
        sim.planted_means(setting, noise.mean, {"fid_cnn_10k": {("g_output", "tanh"): 1.0}})


def test_a_study_without_residual_spread_is_refused_naming_its_summary(tmp_path):
    frame = planted(TWO_BY_TWO, a_plus_interaction, seeds=1)  # 4 runs, 4 parameters
    study = study_of(TWO_BY_TWO)
    setting = sim.setting_of(study, DesignRecord.of(study), planted_metrics(frame))
    frame.attrs["path"] = str(tmp_path / "summary.csv")
    with pytest.raises(sim.NoiseError, match="summary.csv: 4 complete runs"):
        sim.fit_noise(setting, frame)


def test_a_small_design_with_one_noisy_cell_is_fitted_by_least_squares(monkeypatch):
    """2x2 at 3 seeds (8 residual df), no true effect, one cell at 5x the others' spread (a
    sigmoid cell beside tanh ones). A Huber fit clips the noisy cell's seeds as failures
    and its pooled spread comes out far too small; below MIN_ROBUST_DF the fit is least
    squares, which cuts the false verdicts by more than half. Not to 5%: a pooled spread
    dominated by one cell has fewer effective degrees of freedom than the t-test assumes
    (a known limit, in benchmarks/RESULTS.md)."""
    study = study_of(TWO_BY_TWO, seeds=[0, 1, 2])
    setting = sim.setting_of(study, DesignRecord.of(study), PLANTED_METRICS)
    means = sim.planted_means(setting, np.array([30.0, 6.0]))
    unit = sim.NoiseModel(setting.metrics, np.zeros(2), np.array([2.0, 0.2]), np.eye(2), None)
    values = sim.simulate_runs(setting, unit, means, 2000, np.random.default_rng(16))
    noisy = setting.run_cells == 1
    values[:, noisy, :] = means[1] + 5.0 * (values[:, noisy, :] - means[1])
    least_squares = sim.rate(sim.any_false_word(sim.fit_many(setting, values)))[0]
    monkeypatch.setattr(robust, "MIN_ROBUST_DF", 0)
    huber = sim.rate(sim.any_false_word(sim.fit_many(setting, values)))[0]
    assert least_squares < huber / 2, (least_squares, huber)
