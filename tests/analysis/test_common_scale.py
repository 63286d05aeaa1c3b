"""The common scale: a relative metric's claims as log ratios from the member's own engine
fit (one relative effect reads the same on every dataset, whatever its FID level and its
other factors), an absolute metric's in its unit, the smallest effect of interest on that
scale, and a member read from its results folder."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import D_OVERFIT, PLANTED_METRICS, REPO, planted, planted_metrics, study_of

from gan_bench.analysis.common_scale import (
    LOG_RATIO,
    common_sesoi,
    common_values,
    member_effects,
    read_member,
    scale_name,
)
from gan_bench.analysis.engine import measure_studies
from gan_bench.analysis.layout import layout_for, tidy_runs
from gan_bench.analysis.model import setting_of
from gan_bench.score.registry import column
from gan_bench.study.design import DesignRecord

FACTORS = {"g_output": ["tanh", "sigmoid"], "latent": ["normal", "uniform"],
           "kernel_size": [4, 3]}  # fmt: skip
NOISE = {"g_output": ["tanh", "sigmoid"], "instance_noise": [0.0, 0.1]}


def member_of(frame: pd.DataFrame, factors: dict, name: str = "m", **keys):
    """A planted frame as a member: its setting and values, and its MemberEffects."""
    study = study_of(factors, **keys)
    design = DesignRecord.of(study)
    metrics = planted_metrics(frame)
    runs = tidy_runs(frame, layout_for(frame, study, design), [m.name for m in metrics])
    setting = setting_of(study, design, metrics, runs.reset_index(drop=True))
    values = runs[[m.name for m in metrics]].to_numpy(float)[None]
    return setting, values, member_effects(setting, values, name=name)


def multiplicative(level: float, kernel: float):
    """FID = level x 1.2 at sigmoid x `kernel` at kernel 3: one relative g_output effect."""
    return lambda lv: (
        level
        * (1.2 if lv["g_output"] == "sigmoid" else 1.0)
        * (kernel if lv["kernel_size"] == 3 else 1.0)
    )


def test_a_common_relative_effect_is_one_log_ratio_on_datasets_of_any_level():
    """Noise-free members at FID 30 and 90 whose kernel_size moves FID x1.1 and x2: the
    sigmoid claim (x1.2, worse) reads -log(1.2) on both, in FID units 6 and 18 apart."""
    found, raw = [], []
    for level, kernel in ((30.0, 1.1), (90.0, 2.0)):
        frame = planted(FACTORS, multiplicative(level, kernel), seeds=3, sd=0.0)
        setting, values, member = member_of(frame, FACTORS)
        claim = member.claims.index(("fid", "g_output", "sigmoid", "tanh"))
        assert member.scales[claim] == LOG_RATIO and member.expected[claim] == "worse"
        found.append(member.effect[0, claim])
        m = setting.metrics.index("fid_cnn_2k")
        raw.append(measure_studies(setting, values).arrays["estimate"][0, m, 0])
    assert found == pytest.approx([-math.log(1.2)] * 2, abs=1e-9)
    assert raw[1] - raw[0] > 10


def test_effect_se_and_df_are_the_engines_on_log_values():
    frame = planted(FACTORS, multiplicative(40.0, 1.5), seeds=3, sd=2.0, rng_seed=4)
    setting, values, member = member_of(frame, FACTORS)
    arrays = measure_studies(setting, np.log(values)).arrays
    m = setting.metrics.index("fid_cnn_2k")
    fid_claims = [k for k, key in enumerate(member.claims) if key[0] == "fid"]
    assert len(fid_claims) == 3
    np.testing.assert_allclose(member.effect[0, fid_claims], -arrays["estimate"][0, m])
    np.testing.assert_allclose(member.se[0, fid_claims], arrays["se"][0, m])
    np.testing.assert_allclose(member.df[0, fid_claims], arrays["df"][0, m])
    assert (member.se > 0).all() and member.seeds == 3


def test_an_absolute_metric_stays_in_its_unit_and_keeps_its_direction():
    """d_overfit (lower is better, SESOI 0.02 absolute): instance noise's dynamics claim
    is its engine effect in d_overfit units, signed as an improvement."""
    frame = planted(NOISE, lambda lv: 30.0, seeds=4, sd=1.0,
                    d_overfit=lambda lv: 0.2 - 0.12 * (lv["instance_noise"] == 0.1))  # fmt: skip
    setting, values, member = member_of(frame, NOISE)
    claim = member.claims.index(("d_overfit", "instance_noise", "0.1", "0.0"))
    assert member.scales[claim] == "d_overfit units" and member.sesoi[claim] == 0.02
    m = setting.metrics.index("d_overfit")
    raw = measure_studies(setting, values).arrays["estimate"][0, m, 1]
    assert member.effect[0, claim] == pytest.approx(-raw) and member.effect[0, claim] > 0.08


def test_the_smallest_effect_of_interest_on_the_common_scale():
    fid, precision = column("fid", "cnn", 2000), column("precision", "cnn", 2000)
    assert common_sesoi(fid, {}) == pytest.approx(math.log(1.05))
    assert common_sesoi(fid, {"fid": 0.1}) == pytest.approx(math.log(1.1))
    assert common_sesoi(precision, {}) == 0.02
    assert common_sesoi(D_OVERFIT, {"d_overfit": 0.05}) == 0.05
    assert scale_name(fid) == LOG_RATIO and scale_name(precision) == "precision units"


def test_a_value_without_a_logarithm_is_left_out_not_the_run():
    frame = planted(FACTORS, multiplicative(30.0, 1.0), seeds=2, sd=0.0)
    setting, values, _ = member_of(frame, FACTORS)
    values[0, 0, setting.metrics.index("fid_cnn_2k")] = 0.0
    values[0, 1, setting.metrics.index("fid_cnn_2k")] = -1.0
    logged = common_values(setting, values)
    fid, score = setting.metrics.index("fid_cnn_2k"), setting.metrics.index("is_cnn_2k")
    assert np.isnan(logged[0, :2, fid]).all() and np.isfinite(logged[0, 2:, fid]).all()
    np.testing.assert_allclose(logged[0, :, score], np.log(values[0, :, score]))
    assert [c.metric.key for c in setting.columns] == [c.metric.key for c in PLANTED_METRICS]


def test_a_member_read_from_the_published_study():
    """results/default: five FID claims as log ratios at 3 seeds; in a balanced design with
    no outlying run the average effect is close to the difference of the levels' mean log
    FID (kernel 3: FID x1.4)."""
    member = read_member(REPO / "results" / "default")
    assert member.name == "default" and member.seeds == 3
    assert [key[1] for key in member.claims] == [
        "g_output", "latent", "d_downsample", "d_activation", "kernel_size"]  # fmt: skip
    assert set(member.scales) == {LOG_RATIO}
    summary = pd.read_csv(REPO / "results" / "default" / "summary.csv")
    log_fid = np.log(summary["fid_cnn_2k"])
    by_kernel = log_fid.groupby(summary["kernel_size"]).mean()
    claim = [key[1] for key in member.claims].index("kernel_size")
    assert -member.effect[0, claim] == pytest.approx(by_kernel[3] - by_kernel[4], abs=0.02)
    assert 0.3 < -member.effect[0, claim] < 0.4
    assert (0.01 < member.se).all() and (member.se < 0.03).all() and (member.df > 20).all()
