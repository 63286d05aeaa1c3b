"""The per-metric OLS model: its intervals cover the truth at the stated rate, and Holm's
adjustment matches statsmodels'."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import A_EFFECT, PLANTED_METRICS, TWO_BY_TWO, a_plus_interaction, planted, study_of
from statsmodels.stats.multitest import multipletests

from gan_bench.analysis.layout import layout_for, tidy_runs
from gan_bench.analysis.linear_model import effects_for, fit_metric, holm
from gan_bench.study.design import DesignRecord


def test_intervals_cover_the_truth_about_95_percent_of_the_time():
    covered = 0
    study = study_of(TWO_BY_TWO)
    for rng_seed in range(40):
        frame = planted(TWO_BY_TWO, a_plus_interaction, seeds=3, sd=3.0, rng_seed=rng_seed)
        layout = layout_for(frame, study, DesignRecord.of(study))
        runs = tidy_runs(frame, layout, [c.name for c in PLANTED_METRICS])
        fit = fit_metric(runs, layout, "fid_cnn_2k")
        effect = effects_for(fit, layout, runs)[0]
        covered += effect["ci_low"] <= A_EFFECT <= effect["ci_high"]
    assert 33 <= covered <= 40  # binomial(40, 0.95): below 33 has probability < 0.01


def test_holm_matches_statsmodels_and_keeps_nan():
    rng = np.random.default_rng(5)
    for size in (1, 2, 7, 20):
        p = pd.Series(np.concatenate([rng.uniform(0, 0.2, size), [0.01, math.nan]]))
        adjusted = holm(p)
        expected = multipletests(p.dropna().to_numpy(), method="holm")[1]
        assert np.allclose(adjusted.dropna().to_numpy(), expected)
        assert math.isnan(adjusted.iloc[-1])


def _fit_without(factors: dict, empty: dict) -> object:
    """fit_metric on a planted full factorial whose runs at `empty`'s levels all diverged."""
    frame = planted(factors, a_plus_interaction, seeds=3)
    gone = np.all([frame[name] == level for name, level in empty.items()], axis=0)
    frame.loc[gone, "status"] = "diverged"
    study = study_of(factors)
    layout = layout_for(frame, study, DesignRecord.of(study))
    return fit_metric(tidy_runs(frame, layout, ["fid_cnn_2k"]), layout, "fid_cnn_2k")


def test_interactions_stay_while_the_model_is_full_rank():
    """Issue 13: one empty cell dropped every interaction although 7 of 8 cells of a 2^3
    still estimate them; in a 2x2, 3 cells cannot, and the note says so."""
    three = TWO_BY_TWO | {"kernel_size": [4, 3]}
    fit = _fit_without(three, {"g_output": "sigmoid", "latent": "uniform", "kernel_size": 3})
    assert fit.interactions and "still full rank" in fit.note
    fit = _fit_without(TWO_BY_TWO, {"g_output": "sigmoid", "latent": "uniform"})
    assert not fit.interactions and "cannot all be estimated" in fit.note


def test_a_zero_one_metric_is_fit_by_least_squares_with_a_note():
    """overfit_pattern at 8 seeds per cell of a 2x2 (28 residual df): a share difference
    with a sane p, where the Huber fit called it 0 at p ~ 1e-50 (robust.py)."""
    frame = planted(TWO_BY_TWO, a_plus_interaction, seeds=8)
    fires = (frame["g_output"] == "tanh") & (frame["seed"] % 4 == 0)  # share 2/8 vs 0/8
    frame["overfit_pattern"] = (fires | (frame["seed"] == 7)).astype(float)  # +1/8 each
    study = study_of(TWO_BY_TWO)
    layout = layout_for(frame, study, DesignRecord.of(study))
    fit = fit_metric(tidy_runs(frame, layout, ["overfit_pattern"]), layout, "overfit_pattern")
    assert "at most two values" in fit.note
    effect = next(
        e
        for e in effects_for(fit, layout, tidy_runs(frame, layout, ["overfit_pattern"]))
        if e["factor"] == "g_output"
    )
    assert effect["estimate"] == pytest.approx(-0.25)  # sigmoid 1/8 vs tanh 3/8
    assert 1e-4 < effect["p"] < 0.2
