"""huber_fit is statsmodels' RLM (Huber's T, MAD scale with RLM's df correction, H1
covariance), for one column or hundreds at once, and it does what it is for: a few
half-failed runs barely move it where they drag least squares away."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from gan_bench.analysis.robust import (
    HUBER_T,
    MIN_ROBUST_DF,
    huber_fit,
    huber_weights,
    robust_fit,
    two_valued,
)


def rlm(exog: np.ndarray, y: np.ndarray):
    def mad(resid):  # a one-argument estimator: RLM multiplies it by sqrt(n / df)
        return sm.robust.scale.mad(resid, center=0)

    return sm.RLM(y, exog, M=sm.robust.norms.HuberT(HUBER_T)).fit(scale_est=mad)


def design(rng: np.random.Generator, rows: int = 48, columns: int = 6) -> np.ndarray:
    return np.column_stack([np.ones(rows), rng.choice([-1.0, 1.0], size=(rows, columns - 1))])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_huber_fit_is_statsmodels_rlm(seed):
    rng = np.random.default_rng(seed)
    exog = design(rng)
    y = exog @ rng.normal(size=exog.shape[1]) + rng.standard_t(3, size=len(exog))
    y[:3] *= 3  # half-failed runs
    reference = rlm(exog, y)
    mine = huber_fit(exog, y[:, None])
    np.testing.assert_allclose(mine.params[:, 0], reference.params, atol=1e-8)
    assert mine.scale[0] == pytest.approx(reference.scale, abs=1e-8)
    covariance = mine.variance[0] * np.linalg.pinv(exog.T @ exog)
    np.testing.assert_allclose(covariance, reference.bcov_scaled, atol=1e-10)
    np.testing.assert_allclose(mine.weights[:, 0], reference.weights, atol=1e-6)


def test_many_columns_equal_one_at_a_time():
    rng = np.random.default_rng(4)
    exog = design(rng)
    y = exog @ rng.normal(size=(exog.shape[1], 30)) + rng.normal(size=(len(exog), 30))
    y[rng.random(y.shape) < 0.05] += 20
    together = huber_fit(exog, y)
    for k in (0, 7, 29):
        alone = huber_fit(exog, y[:, [k]])
        np.testing.assert_allclose(together.params[:, k], alone.params[:, 0], atol=1e-10)
        assert together.variance[k] == pytest.approx(alone.variance[0], rel=1e-10)


def test_a_rank_deficient_design_gets_rlms_minimum_norm_answer():
    rng = np.random.default_rng(5)
    exog = design(rng)
    exog = np.column_stack([exog, exog[:, 1]])  # an aliased column
    y = exog[:, :3] @ np.array([1.0, 2.0, -1.0]) + rng.normal(size=len(exog))
    reference = rlm(exog, y)
    mine = huber_fit(exog, y[:, None])
    np.testing.assert_allclose(exog @ mine.params[:, 0], exog @ reference.params, atol=1e-7)


def test_half_failed_runs_barely_move_the_fit_where_least_squares_follows_them():
    rng = np.random.default_rng(6)
    exog = design(rng, rows=96)
    truth = np.zeros(exog.shape[1])
    truth[0] = 30.0
    y = exog @ truth + rng.normal(0, 2, size=len(exog))
    y[:5] *= 3  # five runs at FID x3
    ols = np.linalg.lstsq(exog, y, rcond=None)[0]
    robust = huber_fit(exog, y[:, None])
    assert np.abs(robust.params[1:, 0]).max() < 0.5 < np.abs(ols[1:]).max()
    assert (robust.weights[:5, 0] < 0.2).all() and (robust.weights[5:, 0] > 0.5).all()


def test_a_perfect_fit_has_no_spread_and_full_weights():
    exog = design(np.random.default_rng(7), rows=12, columns=3)
    y = exog @ np.array([5.0, 1.0, -1.0])
    fit = huber_fit(exog, y[:, None])
    np.testing.assert_allclose(fit.params[:, 0], [5.0, 1.0, -1.0], atol=1e-10)
    assert fit.variance[0] == pytest.approx(0.0, abs=1e-20) and (fit.weights == 1).all()


def test_huber_weights_are_one_inside_c_and_c_over_u_outside():
    u = np.array([0.0, 1.0, -HUBER_T, 2 * HUBER_T, -4 * HUBER_T])
    np.testing.assert_allclose(huber_weights(u), [1, 1, 1, 0.5, 0.25])


def test_too_few_residual_degrees_of_freedom_get_least_squares():
    """Below MIN_ROBUST_DF the MAD scale rests on a handful of residuals: least squares."""
    rng = np.random.default_rng(8)
    few = design(rng, rows=12, columns=4)  # 8 residual df
    y = few @ np.array([30.0, 1.0, 0.0, 0.0]) + rng.normal(0, 2, size=len(few))
    y[0] *= 3
    fit = robust_fit(few, y[:, None])
    ols, *_ = np.linalg.lstsq(few, y, rcond=None)
    np.testing.assert_allclose(fit.params[:, 0], ols, atol=1e-10)
    assert fit.variance[0] == pytest.approx(((y - few @ ols) ** 2).sum() / 8)
    assert (fit.weights == 1).all() and list(fit.reason) == ["df"]
    many = design(rng, rows=12 + MIN_ROBUST_DF, columns=4)
    z = many @ np.array([30.0, 1.0, 0.0, 0.0]) + rng.normal(0, 2, size=len(many))
    np.testing.assert_allclose(
        robust_fit(many, z[:, None]).params, huber_fit(many, z[:, None]).params
    )


def test_a_two_valued_column_gets_least_squares_beside_huber_columns():
    """A 0/1 outcome (overfit_pattern) has a minority, not outliers: Huber would weigh it
    down to its cells' majority with no spread left. Its share difference is OLS's."""
    rng = np.random.default_rng(9)
    exog = np.column_stack([np.ones(40), np.repeat([0.0, 1.0], 20)])  # 38 residual df
    binary = np.zeros(40)
    binary[[3, 21, 25, 30, 38]] = 1.0  # shares 1/20 and 4/20
    continuous = 30 + 2 * exog[:, 1] + rng.normal(0, 1, 40)
    continuous[0] *= 3  # a half-failed run the Huber fit weighs down
    fit = robust_fit(exog, np.column_stack([binary, continuous]))
    difference = binary[20:].mean() - binary[:20].mean()
    assert fit.params[1, 0] == pytest.approx(difference)
    residual = binary - exog @ fit.params[:, 0]
    assert fit.variance[0] == pytest.approx((residual**2).sum() / 38)
    assert (fit.weights[:, 0] == 1).all()
    alone = huber_fit(exog, continuous[:, None])
    np.testing.assert_allclose(fit.params[:, 1], alone.params[:, 0])
    np.testing.assert_allclose(fit.variance[1], alone.variance[0])
    assert fit.weights[0, 1] < 0.5
    huber = huber_fit(exog, binary[:, None])  # what it would have said: less, and surer
    assert huber.params[1, 0] < 0.8 * difference and huber.variance[0] < fit.variance[0] / 2
    np.testing.assert_array_equal(two_valued(np.column_stack([binary, continuous])), [True, False])
    assert list(fit.reason) == ["two_valued", ""]


def test_a_collapsed_scale_keeps_least_squares():
    """modes_hit: most runs hit all 10 modes, a few 9 or 8, with float rounding on top. The
    Huber fit lands on the majority, its MAD scale on the rounding noise (~1e-12), and its
    p-values would come from that; the column keeps least squares, the others Huber."""
    rng = np.random.default_rng(4)
    exog = np.column_stack([np.ones(48), np.repeat([-1.0, 1.0], 24)])
    modes = np.full(48, 10.0)
    modes[[2, 9, 30, 41]] = 9.0
    modes[17] = 8.0
    modes += rng.normal(0, 1e-12, 48)  # what summing float metrics leaves
    continuous = 30 + rng.normal(0, 1, 48)
    y = np.column_stack([modes, continuous])
    collapsed = huber_fit(exog, modes[:, None])
    assert collapsed.scale[0] < 1e-6  # what the guard is for
    fit = robust_fit(exog, y)
    residual = modes - exog @ fit.params[:, 0]
    assert fit.variance[0] == pytest.approx((residual**2).sum() / 46)
    assert fit.params[1, 0] == pytest.approx((modes[24:].mean() - modes[:24].mean()) / 2)
    assert (fit.weights[:, 0] == 1).all()
    np.testing.assert_allclose(fit.params[:, 1], huber_fit(exog, continuous[:, None]).params[:, 0])
    assert list(fit.reason) == ["collapsed", ""]


def test_psi_is_the_clipped_residual_for_huber_and_the_residual_for_least_squares():
    rng = np.random.default_rng(12)
    exog = np.column_stack([np.ones(40), np.repeat([-1.0, 1.0], 20)])
    y = 30 + rng.normal(0, 1, (40, 1))
    y[0] += 20
    fit = robust_fit(exog, np.column_stack([y, (y > 30).astype(float)]))
    resid = np.column_stack([y, (y > 30).astype(float)]) - exog @ fit.params
    psi, slope = fit.psi(resid)
    bound = HUBER_T * fit.scale[0]
    assert psi[0, 0] == pytest.approx(bound) and slope[0, 0] == 0.0  # the outlier, clipped
    np.testing.assert_allclose(psi[1:, 0], np.clip(resid[1:, 0], -bound, bound))
    np.testing.assert_allclose(psi[:, 1], resid[:, 1])  # the 0/1 column: least squares
    assert (slope[:, 1] == 1).all()
