"""Standard errors and df that survive unequal spreads, checked against libraries: the
least-squares sandwich is statsmodels' HC2, the df in a two-cell design is Welch's (scipy),
Huber's sandwich is HC2 when no run is clipped, and a one-coefficient Wald test is t^2."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from gan_bench.analysis.inference import infer, read_off, wald
from gan_bench.analysis.robust import robust_fit


def _design(n: int, rng) -> np.ndarray:
    return np.column_stack([np.ones(n), rng.choice([-1.0, 1.0], n), rng.normal(size=n)])


def test_the_least_squares_sandwich_is_statsmodels_hc2():
    rng = np.random.default_rng(1)
    x = _design(15, rng)  # 12 residual df: least squares (robust.MIN_ROBUST_DF)
    y = x @ [1.0, 2.0, -1.0] + rng.normal(size=15) * np.linspace(0.5, 3, 15)
    fit = robust_fit(x, y[:, None])
    assert fit.reason[0] == "df"
    inference = infer(x, fit, y[:, None], np.arange(15))
    expected = sm.OLS(y, x).fit(cov_type="HC2").cov_params()
    np.testing.assert_allclose(inference.cov[0], expected, rtol=1e-10)


def test_a_two_cell_contrast_is_welchs_test():
    """One factor, two cells of unequal size and spread: the difference's SE, df and p
    are Welch's (scipy.stats.ttest_ind with equal_var=False)."""
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 7), rng.normal(1.5, 4, 11)
    y = np.concatenate([a, b])
    cells = np.repeat([0, 1], [7, 11])
    x = np.column_stack([np.ones(18), np.where(cells == 0, 1.0, -1.0)])  # sum coding
    inference = infer(x, robust_fit(x, y[:, None]), y[:, None], cells)
    numbers = read_off(inference, np.array([[0.0, -2.0]]))  # b - a
    welch = stats.ttest_ind(b, a, equal_var=False)
    assert numbers["estimate"][0, 0] == pytest.approx(b.mean() - a.mean())
    assert numbers["se"][0, 0] == pytest.approx(np.sqrt(a.var(ddof=1) / 7 + b.var(ddof=1) / 11))
    assert numbers["df"][0, 0] == pytest.approx(welch.df)
    assert numbers["p"][0, 0] == pytest.approx(welch.pvalue)


def test_hubers_sandwich_is_hc2_when_no_run_is_clipped():
    rng = np.random.default_rng(3)
    x = _design(40, rng)
    y = x @ [1.0, 0.5, 2.0] + rng.uniform(-1, 1, 40)  # light tails: nothing beyond 2 scales
    fit = robust_fit(x, y[:, None])
    assert fit.reason[0] == "" and (fit.weights == 1).all()
    inference = infer(x, fit, y[:, None], np.arange(40))
    expected = sm.OLS(y, x).fit(cov_type="HC2").cov_params()
    np.testing.assert_allclose(inference.cov[0], expected, rtol=1e-8)


def test_a_clipped_run_shrinks_its_pull_on_the_variance():
    """One run 30 SDs off: least squares' HC2 is inflated by it, Huber's sandwich is not."""
    rng = np.random.default_rng(4)
    x = _design(60, rng)
    y = x @ [1.0, 0.5, 2.0] + rng.normal(size=60)
    y[5] += 30
    fit = robust_fit(x, y[:, None])
    huber = infer(x, fit, y[:, None], np.arange(60)).cov[0, 1, 1]
    ols = sm.OLS(y, x).fit(cov_type="HC2").cov_params()[1, 1]
    assert huber < ols / 3


def test_a_one_coefficient_wald_test_is_the_t_test_squared():
    rng = np.random.default_rng(5)
    x = _design(30, rng)
    y = x @ [1.0, 0.4, 0.0] + rng.normal(size=30)
    inference = infer(x, robust_fit(x, y[:, None]), y[:, None], np.arange(30) % 6)
    test = wald(inference, slice(1, 2))
    numbers = read_off(inference, np.array([[0.0, 1.0, 0.0]]))
    assert test["F"][0] == pytest.approx(numbers["t"][0, 0] ** 2)
    assert test["p"][0] == pytest.approx(numbers["p"][0, 0])
    assert test["df2"][0] == pytest.approx(numbers["df"][0, 0])


def test_a_contrast_without_residual_df_has_no_interval():
    x = np.column_stack([np.ones(4), [1.0, 1.0, -1.0, -1.0], [1.0, -1.0, 1.0, -1.0]])
    x = np.column_stack([x, x[:, 1] * x[:, 2]])  # saturated: 4 runs, 4 coefficients
    y = np.array([[1.0], [2.0], [4.0], [8.0]])
    numbers = read_off(infer(x, robust_fit(x, y), y, np.arange(4)), np.array([[0, 2.0, 0, 0]]))
    assert np.isfinite(numbers["estimate"][0, 0]) and np.isnan(numbers["se"][0, 0])
    assert np.isnan(numbers["p"][0, 0])
