"""Claim vs evidence: the registry's predicted direction, verdicts that need Holm
significance and the claimed sign, the seeds a decision would need, and the A/A null
factor's no-effect claim, contradicted by any decided effect."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import PLANTED_METRICS, planted, study_of

from gan_bench.analysis.analyse import analyse
from gan_bench.analysis.claims import (
    EXPLORATORY,
    NO_DECIDED_EFFECT,
    NO_DIFFERENCE,
    expected_direction,
    verdict,
)


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
    assert claim["rec_p_holm"] < 0.05 and math.isnan(claim["seeds_needed"])
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
