"""The verdict rules: Holm as statsmodels computes it, the shares of the error rate,
"depends on X" only for a tested crossover, "stronger with X" for a decided interaction
that does not cross, and one Holm family over the confirmatory claims."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import PLANTED_METRICS, study_of
from statsmodels.stats.multitest import multipletests

from gan_bench.analysis import simulate as sim
from gan_bench.analysis.equivalence import paired_holm
from gan_bench.analysis.model import setting_of
from gan_bench.analysis.verdicts import (
    CLAIM_SHARE,
    CROSSOVER_SHARE,
    INTERACTION_SHARE,
    holm,
    interaction_share,
    judge,
)
from gan_bench.study.design import DesignRecord

FID = "fid_cnn_2k"
FACTORS = {
    "d_downsample": ["strided", "maxpool"],
    "kernel_size": [4, 3],
    "latent": ["normal", "uniform"],
}


def test_holm_matches_statsmodels_and_keeps_nan():
    rng = np.random.default_rng(5)
    for size in (1, 2, 7, 20):
        p = np.concatenate([rng.uniform(0, 0.2, size), [0.01, math.nan]])
        adjusted = holm(p)
        expected = multipletests(p[:-1], method="holm")[1]
        np.testing.assert_allclose(adjusted[:-1], expected)
        assert math.isnan(adjusted[-1])
    many = rng.uniform(0, 0.1, (3, 4, 6))  # one family per leading index
    np.testing.assert_allclose(holm(many)[1, 2], multipletests(many[1, 2], method="holm")[1])


def test_the_shares_add_up_to_the_whole_error_rate():
    assert CLAIM_SHARE + INTERACTION_SHARE + CROSSOVER_SHARE == pytest.approx(1.0)
    judged = [FID, "d_overfit", "d_balance"]
    shares = [interaction_share(metric, judged) for metric in judged]
    assert sum(shares) == pytest.approx(INTERACTION_SHARE) and len(set(shares)) == 1
    assert interaction_share("is_cnn_2k", judged) == INTERACTION_SHARE


def _fits(main: float, interaction: float, replicates: int = 60, look: float = 1.0, sd=2.0):
    """A 2^3 study at 3 seeds, FID SD `sd`: maxpool's effect is main - interaction / 2 at
    kernel 4 and main + interaction / 2 at kernel 3 (planted on cell means)."""
    study = study_of(FACTORS, seeds=[0, 1, 2])
    setting = setting_of(study, DesignRecord.of(study), PLANTED_METRICS)
    means = sim.planted_means(
        setting,
        np.array([30.0, 6.0]),
        {FID: {("d_downsample", "maxpool"): main - interaction / 2}},
        {FID: {("d_downsample", "maxpool", "kernel_size", "3"): interaction}},
    )
    noise = sim.NoiseModel(setting.metrics, np.zeros(2), np.array([sd, 0.2]), np.eye(2), None)
    values = sim.simulate_runs(setting, noise, means, replicates, np.random.default_rng(7))
    return judge(setting, values, look)


def test_a_planted_crossover_is_called_depends_on_its_partner():
    fits = _fits(main=0.0, interaction=16.0, sd=1.0)  # -8 at kernel 4, +8 at kernel 3
    words = sim.verdict_of(fits, FID, "d_downsample")
    assert (np.char.find(words, "depends on kernel_size") >= 0).mean() > 0.9


def test_an_interaction_without_crossover_keeps_the_verdict_and_says_stronger_with():
    """+8 FID (maxpool worse) at kernel 3, +1 at kernel 4: no crossover, so no "depends
    on"; the claim (strided better) is supported, and stronger with kernel_size = 3."""
    fits = _fits(main=4.5, interaction=7.0)
    words = sim.verdict_of(fits, FID, "d_downsample")
    assert not np.char.startswith(words, "depends on").any()
    assert (words == "supported").mean() > 0.9
    claim = [e[0] for e in fits.effects].index("d_downsample")
    stronger = fits.stronger[:, 0, claim]
    named = stronger[stronger != ""]
    assert (named == "kernel_size = 3").mean() > 0.5  # else its sign at kernel 4 is undecided
    assert set(named) <= {"kernel_size = 3", "kernel_size (sign undecided)"}


def test_no_effect_gives_no_word_at_a_small_look_share():
    fits = _fits(main=0.0, interaction=0.0, replicates=200, look=0.5)
    assert sim.rate(sim.any_false_word(fits))[0] <= 0.05
    assert fits.look_share == 0.5 and np.nanmin(fits.p_claim) >= np.nanmin(fits["p"])


def test_the_confirmatory_claims_are_one_family_and_the_rest_exploratory():
    fits = _fits(main=4.0, interaction=0.0, replicates=5)
    assert fits.confirmatory.tolist() == [[True, True, True], [False, False, False]]
    assert set(fits.verdict[:, 1].ravel()) == {"exploratory"}
    expected = paired_holm(fits["p"][:, 0], fits.p_equivalent[:, 0])[0] / CLAIM_SHARE
    np.testing.assert_allclose(fits.p_claim[:, 0], np.fmin(1.0, expected))
