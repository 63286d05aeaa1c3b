"""The engine: one study is one replicate of the same array code the harness runs;
diverged runs count as the worst, a missing value is left out, missing cells keep the
interactions while the model is full rank, and the intervals cover the truth."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import A_EFFECT, PLANTED_METRICS, TWO_BY_TWO, a_plus_interaction, planted, study_of

from gan_bench.analysis import simulate as sim
from gan_bench.analysis.analyse import analyse
from gan_bench.analysis.engine import diverged_as_worst, measure_studies
from gan_bench.analysis.model import setting_of
from gan_bench.study.design import DesignRecord

FID = "fid_cnn_2k"
THREE = TWO_BY_TWO | {"kernel_size": [4, 3]}


def _setting(factors: dict, seeds: int = 3):
    study = study_of(factors, seeds=list(range(seeds)))
    return setting_of(study, DesignRecord.of(study), PLANTED_METRICS)


def test_a_diverged_run_takes_the_worst_completed_value_per_metric():
    setting = _setting(TWO_BY_TWO, 2)
    values = np.array([[[30.0, 5.0], [np.nan, np.nan], [34.0, 4.0], [31.0, 7.0]]])
    worst = diverged_as_worst(setting, values)
    assert worst[0, 1].tolist() == [34.0, 4.0]  # FID: higher is worse; IS: lower is worse
    told = np.array([[False, False, True, False]])  # a run the caller says diverged
    worst = diverged_as_worst(setting, values, told)
    assert worst[0, 2].tolist() == [31.0, 5.0] and np.isnan(worst[0, 1]).all()


def test_a_value_that_is_missing_but_not_diverged_is_left_out_of_that_metric():
    setting = _setting(TWO_BY_TWO)
    values = np.random.default_rng(0).normal(30, 1, (1, len(setting.run_cells), 2))
    values[0, 0, 1] = np.nan
    diverged = np.zeros((1, len(setting.run_cells)), bool)
    measured = measure_studies(setting, values, diverged)
    assert measured.arrays["runs"][0, :, 0].tolist() == [12.0, 11.0]
    assert np.isnan(measured.arrays["weights"][0, 1, 0]) and np.isfinite(
        measured.arrays["weights"][0, 0, 0]
    )


def test_a_missing_cell_keeps_the_interactions_while_the_model_is_full_rank():
    """Issue 13: one empty cell of a 2^3 still estimates every two-way interaction; a 2x2
    with one empty cell cannot, and the model is additive there."""
    setting = _setting(THREE)
    values = np.random.default_rng(1).normal(30, 1, (1, len(setting.run_cells), 2))
    measured = measure_studies(
        setting.without_cells([setting.layout.cell_order[-1]]), values[:, 3:]
    )
    assert (
        measured.models[0].interactions and np.isfinite(measured.arrays["term_F"][0, 0, 3:]).all()
    )
    small = _setting(TWO_BY_TWO)
    values = np.random.default_rng(2).normal(30, 1, (1, len(small.run_cells), 2))
    measured = measure_studies(small.without_cells([small.layout.cell_order[-1]]), values[:, 3:])
    assert not measured.models[0].interactions and np.isnan(measured.arrays["term_F"][0, 0, 2])


def test_intervals_cover_the_truth_about_95_percent_of_the_time():
    """400 replicate 2x2 studies at 3 seeds with a planted interaction: the average effect
    of sigmoid is A_EFFECT; binomial(400, 0.95) falls outside 91-99% with p < 0.001."""
    setting = _setting(TWO_BY_TWO)
    frame = planted(TWO_BY_TWO, a_plus_interaction, seeds=3, sd=0.0)
    cells = {c: frame.loc[frame["cell"] == c, FID].iloc[0] for c in setting.layout.cell_order}
    means = np.array([[cells[c], 5.0] for c in setting.layout.cell_order])
    noise = sim.NoiseModel(setting.metrics, np.zeros(2), np.array([3.0, 0.3]), np.eye(2), None)
    values = sim.simulate_runs(setting, noise, means, 400, np.random.default_rng(3))
    fits = sim.judge(setting, values)
    claim = [e[0] for e in fits.effects].index("g_output")
    covered = (fits["ci_low"][:, 0, claim] <= A_EFFECT) & (A_EFFECT <= fits["ci_high"][:, 0, claim])
    assert 0.91 <= covered.mean() <= 0.99


def test_a_real_study_is_replicate_zero_of_the_engine():
    """analyse()'s tables are the engine's numbers for the study as one replicate."""
    frame = planted(THREE, a_plus_interaction, seeds=3, rng_seed=4)
    study = study_of(THREE, seeds=[0, 1, 2])
    result = analyse(frame, study, metrics=PLANTED_METRICS)
    setting = setting_of(study, DesignRecord.of(study), PLANTED_METRICS, frame)
    fits = sim.judge(setting, frame[[FID, "is_cnn_2k"]].to_numpy(float)[None])
    effects = result.effects[result.effects["metric"] == FID]
    np.testing.assert_allclose(effects["estimate"], fits["estimate"][0, 0], atol=1e-12)
    np.testing.assert_allclose(effects["se"], fits["se"][0, 0], atol=1e-12)
    claims = result.claims[result.claims["metric"] == FID]
    assert list(claims["verdict"]) == list(fits.verdict[0, 0])
    assert claims["p_holm"].to_numpy() == pytest.approx(fits.p_claim[0, 0], nan_ok=True)


def test_runs_without_any_metric_column_are_measured_without_error():
    """Runs not scored yet: no metric, no model, no margin (the report still renders)."""
    study = study_of(TWO_BY_TWO, seeds=[0, 1])
    setting = setting_of(study, DesignRecord.of(study), [])
    measured = measure_studies(setting, np.zeros((1, len(setting.run_cells), 0)))
    assert measured.sesoi.shape == (1, 0) and measured.models == []
