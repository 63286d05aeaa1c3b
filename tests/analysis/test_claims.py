"""Claim vs evidence: the registry's predicted direction, verdicts that need Holm
significance and the claimed sign, the seeds a decision would need, the A/A null
factor's no-effect claim, contradicted by any decided effect, and a trick's dynamics claim
judged on its own metric in one Holm family with the main claims."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import PLANTED_METRICS, planted, planted_metrics, study_of

from gan_bench.analysis.analyse import analyse
from gan_bench.analysis.claims import (
    EXPLORATORY,
    NO_DECIDED_EFFECT,
    NO_DIFFERENCE,
    expected_direction,
    verdict,
)
from gan_bench.analysis.equivalence import paired_holm, seeds_to_decide
from gan_bench.analysis.verdicts import CLAIM_SHARE, INTERACTION_SHARE, holm
from gan_bench.study.tricks import TRICKS

FID = "fid_cnn_2k"


@pytest.mark.parametrize(
    ("trick", "level", "baseline", "expected"),
    [
        ("g_output", "sigmoid", "tanh", "worse"),
        ("g_output", "tanh", "sigmoid", "better"),
        ("kernel_size", "3", "4", "worse"),
        ("g_upsample", "resize", "transposed", "better"),
        ("d_dropout", "0.2", "0.0", "better"),  # dropout on at all: the claim says it helps
        ("d_dropout", "0.6", "0.4", "worse"),
        ("g_activation", "leaky_relu", "relu", "none"),
        ("null_factor", "b", "a", NO_DIFFERENCE),
        ("null_factor", "a", "b", NO_DIFFERENCE),
    ],
)
def test_expected_direction_follows_the_registry(trick, level, baseline, expected):
    assert expected_direction(trick, level, baseline) == expected


def test_verdict_needs_holm_significance_and_the_claimed_sign():
    assert verdict("better", 2.0, 0.01) == "supported"
    assert verdict("better", -2.0, 0.01) == "contradicted"
    assert verdict("worse", -2.0, 0.01) == "supported"
    assert verdict("better", 2.0, 0.2) == "inconclusive"
    assert verdict("better", 2.0, math.nan) == "inconclusive"
    assert verdict("none", 2.0, 0.001) == "no direction claimed"


def test_a_no_effect_claim_is_contradicted_by_a_decided_effect_either_way():
    assert verdict(NO_DIFFERENCE, 2.0, 0.01) == "contradicted"
    assert verdict(NO_DIFFERENCE, -2.0, 0.01) == "contradicted"
    assert verdict(NO_DIFFERENCE, 2.0, 0.2) == NO_DECIDED_EFFECT
    assert verdict(NO_DIFFERENCE, 2.0, math.nan) == NO_DECIDED_EFFECT


NULL = {"null_factor": ["a", "b"]}


def _no_difference(frame):
    """Level b's runs get exactly level a's numbers (same other levels, same seed): no
    difference planted, not even a chance one. (Fresh noise would be a real A/A draw: with
    planted()'s rng seed 0 it happens to be one of the 1 in 20 that show a false positive.)"""
    key = [c for c in frame.columns if c not in ("cell", "null_factor", "fid_cnn_2k", "is_cnn_2k")]
    a_runs = frame[frame["null_factor"] == "a"].set_index(key)[["fid_cnn_2k", "is_cnn_2k"]]
    b_rows = frame["null_factor"] == "b"
    copied = a_runs.loc[pd.MultiIndex.from_frame(frame.loc[b_rows, key])].to_numpy()
    frame.loc[b_rows, ["fid_cnn_2k", "is_cnn_2k"]] = copied
    return frame


def _null_claim(factors: dict, frame: pd.DataFrame):
    claims = analyse(frame, study_of(factors), metrics=PLANTED_METRICS).claims
    rows = claims[(claims["metric"] == "fid_cnn_2k") & (claims["factor"] == "null_factor")]
    assert len(rows) == 1
    return rows.iloc[0], claims


def test_a_null_factor_with_a_planted_difference_is_contradicted():
    frame = _no_difference(planted(NULL, lambda lv: 30.0, seeds=4))
    frame.loc[frame["null_factor"] == "b", "fid_cnn_2k"] += 10.0
    claim, _ = _null_claim(NULL, frame)
    assert claim["expected"] == NO_DIFFERENCE and claim["verdict"] == "contradicted"
    assert claim["p_holm"] < 0.05 and math.isnan(claim["seeds_needed"])
    frame.loc[frame["null_factor"] == "b", "fid_cnn_2k"] -= 20.0  # the other way round too
    assert _null_claim(NULL, frame)[0]["verdict"] == "contradicted"


def test_a_null_factor_without_a_difference_gets_no_decided_effect():
    claim, claims = _null_claim(NULL, _no_difference(planted(NULL, lambda lv: 30.0, seeds=4)))
    assert claim["verdict"] == NO_DECIDED_EFFECT and claim["p_holm"] >= 0.05
    assert claim["ci_low"] < 0 < claim["ci_high"]
    assert claim["seeds_needed"] > 4  # the seeds that would show it inside +-SESOI
    others = claims[(claims["factor"] == "null_factor") & (claims["metric"] != "fid_cnn_2k")]
    assert set(others["verdict"]) == {EXPLORATORY}  # not the primary metric: no verdict word


def test_a_null_factor_inside_a_factorial_is_judged_beside_the_real_factor():
    factors = {"g_output": ["tanh", "sigmoid"], **NULL}
    fid = lambda lv: 30.0 + 10.0 * (lv["g_output"] == "sigmoid")  # noqa: E731
    claim, claims = _null_claim(factors, _no_difference(planted(factors, fid, seeds=3)))
    assert claim["verdict"] == NO_DECIDED_EFFECT
    g_output = claims[(claims["metric"] == "fid_cnn_2k") & (claims["factor"] == "g_output")]
    assert g_output["verdict"].tolist() == ["supported"]


# --------------------------------------------------------------------------- dynamics claims

NOISE = {"g_output": ["tanh", "sigmoid"], "instance_noise": [0.0, 0.1]}


def _noise_lowers_d_overfit_only():
    """sigmoid +10 FID; instance noise 0.1 lowers d_overfit by 0.12 (seed SD 0.02) and
    leaves FID alone: its dynamics claim holds, its main claim has nothing to find."""
    frame = planted(
        NOISE,
        lambda lv: 30.0 + 10.0 * (lv["g_output"] == "sigmoid"),
        seeds=4,
        d_overfit=lambda lv: 0.2 - 0.12 * (lv["instance_noise"] == 0.1),
    )
    return analyse(frame, study_of(NOISE), metrics=planted_metrics(frame))


def test_a_dynamics_claim_is_judged_on_its_own_metric_beside_the_main_claim():
    analysis = _noise_lowers_d_overfit_only()
    claims = analysis.claims.set_index(["metric", "factor"])
    assert analysis.confirmatory == [
        (FID, "g_output"),
        (FID, "instance_noise"),
        ("d_overfit", "instance_noise"),
    ]
    dynamics = claims.loc[("d_overfit", "instance_noise")]
    spec = TRICKS["instance_noise"]
    assert dynamics["confirmatory"] and dynamics["expected"] == "better"
    assert (dynamics["claim"], dynamics["source"]) == (spec.dynamics.claim, spec.dynamics.source)
    assert dynamics["verdict"] == "supported" and dynamics["estimate"] < -0.08
    assert dynamics["estimand"] == "average"
    main = claims.loc[(FID, "instance_noise")]
    assert main["confirmatory"] and (main["claim"], main["source"]) == (spec.claim, spec.source)
    assert main["verdict"] in ("inconclusive", "no practical effect")
    assert claims.loc[(FID, "g_output"), "verdict"] == "supported"
    for other in [
        ("d_overfit", "g_output"),
        ("is_cnn_2k", "g_output"),
        ("is_cnn_2k", "instance_noise"),
    ]:
        row = claims.loc[other]
        assert not row["confirmatory"] and row["verdict"] == EXPLORATORY
        assert row["claim"] == TRICKS[other[1]].claim  # no dynamics claim on this metric


def test_confirmatory_claims_are_one_holm_family_across_their_metrics():
    """The three confirmatory claims (two on FID, one on d_overfit) are adjusted together
    on their average effects in the claims' share; seeds-to-decide uses that family's size;
    each confirmatory metric's interactions get half of INTERACTION_SHARE, an exploratory
    metric's keep its whole scale."""
    analysis = _noise_lowers_d_overfit_only()
    claims = analysis.claims
    judged = claims[claims["confirmatory"]]
    diff, same = paired_holm(judged["p"], judged["p_equivalent"])
    assert judged["p_holm"].to_numpy() == pytest.approx(np.fmin(1, diff / CLAIM_SHARE))
    assert judged["p_equivalent_holm"].to_numpy() == pytest.approx(np.fmin(1, same / CLAIM_SHARE))
    alone = judged[judged["metric"] == FID]  # FID's two claims alone: a smaller family
    assert 0 < paired_holm(alone["p"], alone["p_equivalent"])[0][0] < diff[0]
    half, whole = INTERACTION_SHARE / 2, INTERACTION_SHARE
    for metric, share in ((FID, half), ("d_overfit", half), ("is_cnn_2k", whole)):
        rows = analysis.interactions[analysis.interactions["metric"] == metric]
        expected = np.fmin(1.0, holm(rows["p"].to_numpy()) / share)
        assert rows["p_holm"].to_numpy() == pytest.approx(expected)
    open_claim = judged[judged["seeds_needed"].notna()].iloc[0]
    effects = analysis.effects.set_index(["metric", "factor", "level"])
    se = effects.loc[(open_claim["metric"], open_claim["factor"], open_claim["level"]), "se"]
    needed = seeds_to_decide(se, 4, open_claim["sesoi"], 0.05 * CLAIM_SHARE / 3)
    assert open_claim["seeds_needed"] == needed


def test_without_the_dynamics_column_only_the_main_claims_are_confirmatory():
    frame = planted(NOISE, lambda lv: 30.0, seeds=2)
    analysis = analyse(frame, study_of(NOISE), metrics=PLANTED_METRICS)
    assert analysis.confirmatory == [(FID, "g_output"), (FID, "instance_noise")]
    assert set(analysis.claims.loc[analysis.claims["confirmatory"], "metric"]) == {FID}
