"""The simulation harness's parts: the noise model is the published study's, the simulated
runs are what they say (half-failed, diverged, unequal spreads, heavy tails), the primary
metric alone gets the words every metric's fit gives, and the rates count what they say.
The scenarios' rates are asserted in test_scenarios.py."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.formula.api as smf
from conftest import (
    PLANTED_METRICS,
    TWO_BY_TWO,
    a_plus_interaction,
    planted,
    planted_metrics,
    study_of,
)
from scipy import stats

from gan_bench.analysis import robust
from gan_bench.analysis import simulate as sim
from gan_bench.analysis.layout import tidy_runs
from gan_bench.study.design import DesignRecord

FID = "fid_cnn_2k"


def test_noise_model_is_the_published_studys_residual_spread(published):
    """The SD per metric is the residual SD of the full model (main effects and two-way
    interactions, least squares: the noise as it is, not as a robust fit down-weights it)
    on results/default, as statsmodels fits it; for a towards-zero metric (checkerboard) it
    is measured on the signed scale, and the engine takes |x| of simulated values as of real
    ones."""
    setting, noise, frame, study, design = published
    layout = setting.layout
    runs = tidy_runs(frame, layout, setting.metrics)
    assert layout.separates_interactions and not runs["diverged"].any()
    signed = np.array([c.direction != "zero" for c in setting.columns])
    assert not signed.all()
    data = runs[list(layout.factors)].astype(str)
    formula = "y ~ (" + " + ".join(f"C({name})" for name in layout.factors) + ") ** 2"
    for m, metric in enumerate(setting.metrics):
        data["y"] = runs[metric].astype(float).to_numpy()
        ols = smf.ols(formula, data=data).fit()
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


def test_cell_scale_multiplies_each_cells_noise(published):
    """Per cell (every metric), or per cell and metric: the same draws, scaled."""
    setting, noise, *_ = published
    means = sim.planted_means(setting, noise.mean)
    cells = len(setting.layout.cell_order)
    plain = (
        sim.simulate_runs(setting, noise, means, 5, np.random.default_rng(4))
        - means[setting.run_cells]
    )
    per_cell = np.linspace(0.5, 3.0, cells)
    scaled = (
        sim.simulate_runs(setting, noise, means, 5, np.random.default_rng(4), cell_scale=per_cell)
        - means[setting.run_cells]
    )
    np.testing.assert_allclose(scaled, plain * per_cell[setting.run_cells][None, :, None])
    grid = np.ones((cells, len(setting.metrics)))
    grid[0, 0] = 3.0  # one cell's FID only
    one = sim.simulate_runs(setting, noise, means, 5, np.random.default_rng(4), cell_scale=grid)
    changed = ~np.isclose(one - means[setting.run_cells], plain)
    assert changed[:, setting.run_cells == 0, 0].all() and changed.sum() == 5 * 3


def test_t_tails_keep_the_spread_and_have_t_quantiles():
    """t3 noise scaled to the noise model's SD: each margin is t3 / sqrt(3); one chi-square
    per run, so a run far out on one metric is far out on the others too."""
    study = study_of(TWO_BY_TWO, seeds=list(range(50)))
    setting = sim.setting_of(study, DesignRecord.of(study), PLANTED_METRICS)
    unit = sim.NoiseModel(setting.metrics, np.zeros(2), np.array([2.0, 0.2]), np.eye(2), None)
    means = np.zeros((4, 2))
    values = sim.simulate_runs(setting, unit, means, 1000, np.random.default_rng(5), tails=3.0)
    standard = values / unit.sd  # 200,000 draws per metric
    levels = np.array([0.5, 0.9, 0.99, 0.999])
    expected = stats.t.ppf(0.5 + levels / 2, 3) / np.sqrt(3)  # of |t3| / sqrt(3)
    for m in range(2):
        found = np.quantile(np.abs(standard[..., m]), levels)
        np.testing.assert_allclose(found, expected, rtol=0.05)
    assert expected[-1] > 2 * stats.norm.ppf(0.9995)  # far heavier than the normal's
    far = np.abs(standard) > 4
    together = (far[..., 0] & far[..., 1]).mean()
    assert together > 10 * far[..., 0].mean() * far[..., 1].mean()
    with pytest.raises(ValueError, match="tails"):
        sim.simulate_runs(setting, unit, means, 2, np.random.default_rng(5), tails=2.0)


def test_observed_spreads_are_each_cells_sd_over_the_median(published):
    setting, _, frame, *_ = published
    spreads = sim.observed_spreads(setting, frame)
    assert spreads.shape == (32, len(setting.metrics))
    np.testing.assert_allclose(np.median(spreads, axis=0), 1.0)
    cell = setting.layout.cell_order[5]
    sd = frame.loc[frame["cell"] == cell, FID].std()
    median = np.median(frame.groupby("cell")[FID].std())
    assert spreads[5, 0] == pytest.approx(sd / median)
    with pytest.raises(ValueError, match="no spread observed"):
        sim.observed_spreads(setting, frame[~((frame["cell"] == cell) & (frame["seed"] > 0))])


def test_the_primary_metric_alone_gets_every_metrics_words(published):
    """restrict: the primary metric's fits and words are the same as in a fit of every
    metric (its model and Holm families are its own), and no other metric had words."""
    setting, noise, *_ = published
    means = sim.planted_means(setting, noise.mean, {FID: {("g_output", "sigmoid"): 3.0}})
    values = sim.simulate_runs(setting, noise, means, 40, np.random.default_rng(6))
    every = sim.judge(setting, values)
    alone, small = sim.restrict(setting, noise, [FID])
    one = sim.judge(alone, values[..., [0]])
    assert small.sd[0] == noise.sd[0] and alone.confirmatory == setting.confirmatory
    assert (one.verdict[:, 0] == every.verdict[:, 0]).all()
    assert len(set(one.verdict[:, 0].ravel())) > 1  # a mix of words, not one
    for key in ("estimate", "ci_low", "cond_p", "term_p"):
        np.testing.assert_allclose(one[key][:, 0], every[key][:, 0], rtol=1e-10)
    np.testing.assert_allclose(one.inter_p_holm[:, 0], every.inter_p_holm[:, 0], rtol=1e-10)
    assert set(every.verdict[:, 1:].ravel()) == {"exploratory"}


def test_wrong_words_are_those_the_truth_does_not_bear_out(published):
    """A strong planted effect called supported is no wrong word (any_false_word counts
    it); judged against the opposite truth, it is. A crossover is the truth's only where
    the effects at the other factor's levels cross."""
    setting, noise, *_ = published
    alone, small = sim.restrict(setting, noise, [FID])
    plant = sim.planted_means(alone, small.mean, {FID: {("g_output", "sigmoid"): 8.0}})
    fits = sim.judge(alone, sim.simulate_runs(alone, small, plant, 100, np.random.default_rng(7)))
    right = sim.noise_free(alone, plant)
    opposite = sim.noise_free(
        alone, sim.planted_means(alone, small.mean, {FID: {("g_output", "sigmoid"): -8.0}})
    )
    assert sim.rate(sim.any_false_word(fits))[0] > 0.95
    assert sim.rate(sim.any_wrong_word(fits, right))[0] < 0.1
    assert sim.rate(sim.any_wrong_word(fits, opposite))[0] > 0.95
    crossed = sim.planted_means(
        alone, small.mean, {FID: {("d_downsample", "maxpool"): -4.0}},
        {FID: {("d_downsample", "maxpool", "kernel_size", "3"): 8.0}},
    )  # fmt: skip
    crossing = sim.true_crossings(sim.noise_free(alone, crossed))
    assert crossing[0, 2, 4] and crossing.sum() == 1  # max-pool's claim, across kernel_size
    assert not sim.true_crossings(right).any()


def test_rate_is_the_share_of_replicates_and_its_monte_carlo_se():
    share, se = sim.rate(np.array([True] * 10 + [False] * 30))
    assert share == 0.25 and se == pytest.approx(np.sqrt(0.25 * 0.75 / 40))
    grid = np.zeros((4, 2, 3), dtype=bool)
    grid[:2] = True  # two replicates all covered, two none: the SE of replicates, not cells
    assert sim.rate(grid) == (0.5, pytest.approx(0.25))


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
    sigmoid cell beside tanh ones). A Huber fit clips the noisy cell's seeds as failures;
    below MIN_ROBUST_DF the fit is least squares, which keeps the false verdicts at 5%
    (with the df from each cell's own variance) where Huber's do not."""
    study = study_of(TWO_BY_TWO, seeds=[0, 1, 2])
    setting = sim.setting_of(study, DesignRecord.of(study), PLANTED_METRICS)
    means = sim.planted_means(setting, np.array([30.0, 6.0]))
    unit = sim.NoiseModel(setting.metrics, np.zeros(2), np.array([2.0, 0.2]), np.eye(2), None)
    scale = np.array([1.0, 5.0, 1.0, 1.0])
    rng = np.random.default_rng(16)
    values = sim.simulate_runs(setting, unit, means, 2000, rng, cell_scale=scale)
    least_squares, se = sim.rate(sim.any_false_word(sim.judge(setting, values)))
    monkeypatch.setattr(robust, "MIN_ROBUST_DF", 0)
    huber = sim.rate(sim.any_false_word(sim.judge(setting, values)))[0]
    assert least_squares <= 0.05 + 2 * se, least_squares
    assert huber > least_squares + 2 * se, (least_squares, huber)
