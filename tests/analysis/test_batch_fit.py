"""fit_many, the vectorised fit the simulations use, gives analyse()'s numbers (to 1e-8) and
its verdict words, on the default design and on small ones."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import (
    D_OVERFIT,
    PLANTED_METRICS,
    study_of,
)

from gan_bench.analysis import simulate as sim
from gan_bench.analysis.analyse import analyse
from gan_bench.analysis.batch_verdicts import claim_index, conditions
from gan_bench.score.registry import column
from gan_bench.study.design import DesignRecord

FID = "fid_cnn_2k"
THIRD = {"kernel_size": [4, 3]}
DROPOUT = {"d_dropout": [0.3, 0.0, 0.1]}
KEYS = ("estimate", "se", "ci_low", "ci_high", "p", "p_holm")


def assert_same_as_analyse(setting, fits, replicate, frame, study, design, look=1.0) -> None:
    """fit_many's replicate equals analyse() on its summary frame: numbers to 1e-8, words."""
    result = analyse(frame, study, design, metrics=setting.columns, look_share=look)
    for m, metric in enumerate(setting.metrics):
        effects = result.effects[result.effects["metric"] == metric]
        assert list(zip(effects["factor"], effects["level"], strict=True)) == [
            effect[:2] for effect in fits.effects
        ]
        for key in KEYS:
            np.testing.assert_allclose(
                getattr(fits, key)[replicate, m],
                effects[key].to_numpy(float),
                rtol=0,
                atol=1e-8,
                err_msg=key,
            )
        claims = result.claims[result.claims["metric"] == metric]
        assert list(claims["confirmatory"]) == list(fits.confirmatory[m])
        for key in ("verdict", "rec_verdict"):
            assert list(claims[key]) == list(getattr(fits, key)[replicate, m]), key
        assert list(claims["depends_on"]) == list(fits.depends[replicate, m])
        for key in ("estimate", "ci_low", "ci_high", "p", "p_holm"):
            np.testing.assert_allclose(
                getattr(fits, f"rec_{key}")[replicate, m],
                claims[f"rec_{key}"].to_numpy(float),
                rtol=0,
                atol=1e-8,
                err_msg=f"rec_{key}",
            )
        assert_same_conditional(setting, fits, replicate, m, result.conditional)
        inter = result.interactions[result.interactions["metric"] == metric]
        modelled = np.isfinite(fits.inter_p[replicate, m])
        assert modelled.sum() == len(inter)
        for key, mine in (("p", fits.inter_p), ("p_holm", fits.inter_p_holm), ("F", fits.inter_F)):
            expected = inter[key].to_numpy(float)
            np.testing.assert_allclose(mine[replicate, m][modelled], expected, atol=1e-8)


def assert_same_conditional(setting, fits, replicate, m, conditional) -> None:
    """fit_many's conditional estimates are analyse()'s, and it has one exactly where
    analyse() has a row."""
    layout = setting.layout
    names = list(layout.factors)
    rows = conditional[(conditional["metric"] == setting.metrics[m]) & (conditional["by"] != "")]
    shown = {
        (r.factor, r.level, r.by, r.by_level): r.estimate
        for r in rows.itertuples()
        if np.isfinite(r.estimate)
    }
    claims = claim_index(layout)
    mine = {}
    for c, (k, other, value) in enumerate(conditions(layout)):
        estimate = fits.cond_estimate[replicate, m, c]
        if np.isfinite(estimate):
            factor, level = claims[k]
            name = names[factor]
            key = (
                name,
                layout.factors[name][level],
                names[other],
                layout.factors[names[other]][value],
            )
            mine[key] = estimate
    assert mine.keys() == shown.keys()
    for key, estimate in mine.items():
        assert abs(estimate - shown[key]) < 1e-8, key


def test_fit_many_equals_analyse_on_the_default_design(published):
    """Planted main effects and a crossover (maxpool better with kernel 4, worse with 3);
    one replicate as drawn, one with half-failed runs and 30% of sigmoid's worst runs
    diverged, one with a cell that lost every run."""
    setting, noise, _, study, design = published
    main = {
        FID: {("g_output", "sigmoid"): 5.0, ("d_downsample", "maxpool"): -4.0},
        "is_cnn_2k": {("kernel_size", "3"): -0.2},
    }
    inter = {FID: {("d_downsample", "maxpool", "kernel_size", "3"): 8.0}}
    means = sim.planted_means(setting, noise.mean, main, inter)
    rng = np.random.default_rng(5)
    plain = sim.simulate_runs(setting, noise, means, 1, rng)
    divergence = sim.Divergence("g_output", "sigmoid", 0.3)
    hurt = sim.simulate_runs(setting, noise, means, 1, rng, half_failed=0.05, divergence=divergence)
    empty_cell = plain.copy()
    empty_cell[0, setting.run_cells == 5] = np.nan  # interactions stay: still full rank
    values = np.concatenate([plain, hurt, empty_cell])
    fits = sim.fit_many(setting, values)
    assert "supported" in fits.rec_verdict[0, 0]  # a real decision is compared, not only NaNs
    assert any(word.startswith("depends on") for word in fits.verdict[0, 0])
    assert set(fits.verdict[:, 1:].ravel()) == {"exploratory"}  # FID is the primary metric
    assert np.isfinite(fits.inter_p[0]).all() and np.isfinite(fits.inter_p[2]).all()
    for replicate in range(len(values)):
        frame = sim.summary_frame(setting, design.cells, values[replicate])
        assert_same_as_analyse(setting, fits, replicate, frame, study, design)


@pytest.mark.parametrize(
    "seeds,design_kind,third",
    [(1, "full_factorial", {}), (2, "one_at_a_time", THIRD), (2, "full_factorial", DROPOUT)],
)
def test_fit_many_equals_analyse_on_small_designs(seeds, design_kind, third):
    """One seed per cell of a 2x2 (interactions would leave no residual df, so they are
    pooled into the error), a one-at-a-time design (they are not separable), and a
    three-level factor whose baseline is not listed first (two-df interaction F-tests);
    the two-seed ones at one look of a sequential study (a quarter of the error rate)."""
    factors = {"g_output": ["tanh", "sigmoid"], "latent": ["normal", "uniform"]} | third
    study = study_of(factors, seeds=list(range(seeds)), design=design_kind)
    design = DesignRecord.of(study)
    setting = sim.setting_of(study, design, PLANTED_METRICS)
    means = sim.planted_means(setting, [30.0, 6.0], {FID: {("latent", "uniform"): 2.0}})
    small = sim.NoiseModel(setting.metrics, np.zeros(2), np.array([2.0, 0.2]), np.eye(2), None)
    values = sim.simulate_runs(setting, small, means, 2, np.random.default_rng(1))
    look = 0.25 if seeds == 2 else 1.0
    fits = sim.fit_many(setting, values, look_share=look)
    assert np.isnan(fits.inter_p).all() == (third is not DROPOUT)
    for replicate in range(2):
        frame = sim.summary_frame(setting, design.cells, values[replicate])
        assert_same_as_analyse(setting, fits, replicate, frame, study, design, look)


def test_fit_many_equals_analyse_with_dynamics_claims():
    """Three confirmatory metrics (FID for every factor, d_overfit for instance_noise,
    d_balance for g_steps): one Holm family across them, each metric's interactions in a
    third of the 1%; instance noise lowers d_overfit only at one g_steps (a crossover on a
    dynamics metric), g_steps lowers d_balance; the words equal analyse()'s."""
    factors = {"g_output": ["tanh", "sigmoid"], "instance_noise": [0.0, 0.1], "g_steps": [1, 2]}
    study = study_of(factors, seeds=[0, 1, 2])
    design = DesignRecord.of(study)
    columns = [*PLANTED_METRICS, D_OVERFIT, column("d_balance", "training", None)]
    setting = sim.setting_of(study, design, columns)
    assert setting.confirmatory == [
        *[(FID, name) for name in factors],
        ("d_overfit", "instance_noise"),
        ("d_balance", "g_steps"),
    ]
    main = {
        FID: {("g_output", "sigmoid"): 3.0},
        "d_overfit": {("instance_noise", "0.1"): -0.12},
        "d_balance": {("g_steps", "2"): -0.06},
    }
    inter = {"d_overfit": {("instance_noise", "0.1", "g_steps", "2"): 0.2}}
    means = sim.planted_means(setting, [30.0, 6.0, 0.2, 0.3], main, inter)
    noise = sim.NoiseModel(
        setting.metrics, np.zeros(4), np.array([2.0, 0.2, 0.02, 0.02]), np.eye(4), None
    )
    values = sim.simulate_runs(setting, noise, means, 3, np.random.default_rng(4))
    fits = sim.fit_many(setting, values, look_share=0.5)
    assert fits.judged_on == [0, 2, 3]
    claim = [effect[0] for effect in fits.effects].index("instance_noise")
    words = list(fits.verdict[:, 2, claim])
    assert any(word.startswith("depends on g_steps") for word in words), words
    assert set(fits.verdict[:, 1].ravel()) == {"exploratory"}
    assert set(fits.verdict[:, 2, [0, 2]].ravel()) == {"exploratory"}
    assert set(fits.verdict[:, 3, 2]) == {"supported"}  # g_steps nearer equilibrium
    for replicate in range(3):
        frame = sim.summary_frame(setting, design.cells, values[replicate])
        assert_same_as_analyse(setting, fits, replicate, frame, study, design, 0.5)
