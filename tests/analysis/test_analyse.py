"""The statistics: planted effects are recovered with honest intervals, one seed gives no
interval, diverged runs are excluded and counted, and verdicts follow the registry's claims."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import (
    A_EFFECT,
    GAMMA,
    PLANTED_METRICS,
    TWO_BY_TWO,
    a_plus_interaction,
    a_plus_interaction_a_only,
    planted,
    study_of,
    tiny_study,
)
from statsmodels.stats.multitest import multipletests

from gan_bench.analysis.analyse import NO_RUNS, ONE_SEED, analyse
from gan_bench.analysis.layout import MetricError
from gan_bench.analysis.summary import read_summary
from gan_bench.score.registry import column
from gan_bench.study.design import cell_id
from gan_bench.study.study_file import load_study

FID = column("fid", "cnn", 2000)
CHECKERBOARD = column("checkerboard", "pixel", 2000)


def roundtrip(frame: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    """Through summary.csv and back, as the report reads it."""
    frame.to_csv(tmp_path / "summary.csv", index=False)
    return read_summary(tmp_path / "summary.csv")


def row(frame: pd.DataFrame, **where: Any) -> pd.Series:
    mask = np.ones(len(frame), dtype=bool)
    for key, value in where.items():
        mask &= frame[key] == value
    assert mask.sum() == 1, where
    return frame[mask].iloc[0]


def test_planted_effects_are_recovered(tmp_path):
    frame = roundtrip(planted(TWO_BY_TWO, a_plus_interaction, seeds=6), tmp_path)
    result = analyse(frame, study_of(TWO_BY_TWO), metrics=PLANTED_METRICS)

    a = row(result.effects, metric="fid_cnn_2k", factor="g_output")
    assert a["level"] == "sigmoid" and a["baseline"] == "tanh"
    assert a["estimate"] > 0 and a["ci_low"] <= A_EFFECT <= a["ci_high"]
    assert a["p_holm"] < 0.001
    b = row(result.effects, metric="fid_cnn_2k", factor="latent")
    assert b["ci_low"] < 0 < b["ci_high"] and b["p_holm"] >= 0.05

    inter = row(result.interactions, metric="fid_cnn_2k")
    assert inter["p_holm"] < 0.001
    assert inter["ci_low"] <= 4 * GAMMA <= inter["ci_high"]  # difference of differences
    assert row(result.interactions, metric="is_cnn_2k")["p_holm"] >= 0.05

    anova = result.anova[result.anova["metric"] == "fid_cnn_2k"].set_index("term")
    assert list(anova.index) == ["g_output", "latent", "g_output × latent"]
    assert (anova["df"] == 1).all() and (anova["df_denom"] <= 24 - 4).all()
    assert anova.loc["g_output", "p_holm"] < 0.001 and anova.loc["latent", "p_holm"] >= 0.05

    claims = result.claims[result.claims["metric"] == "fid_cnn_2k"].set_index("factor")
    # the claim: tanh beats sigmoid; sigmoid is 10 FID worse on average: supported, a
    # verdict about the average; only +2 with a normal latent (the recommended
    # configuration, 10 - 2 GAMMA), an estimate beside it; stronger with latent = uniform
    g_output, latent = claims.loc["g_output"], claims.loc["latent"]
    assert g_output["expected"] == "worse" and g_output["p_holm"] < 0.05
    assert g_output["estimand"] == "average" and g_output["verdict"] == "supported"
    assert g_output["rec_ci_low"] <= A_EFFECT - 2 * GAMMA <= g_output["rec_ci_high"]
    assert g_output["rec_ci_high"] < A_EFFECT  # not the average effect
    assert g_output["depends_on"] == "" and g_output["stronger_with"] == "latent = uniform"
    assert math.isnan(g_output["seeds_needed"])  # decided
    # uniform vs normal: -2 GAMMA with tanh, +2 GAMMA with sigmoid, 0 on average
    assert latent["p_holm"] >= 0.05
    assert latent["verdict"] == "depends on g_output"
    assert math.isnan(latent["seeds_needed"])  # decided: nothing to add


def test_one_seed_per_cell_gives_no_cell_interval():
    result = analyse(
        planted(TWO_BY_TWO, a_plus_interaction, seeds=1),
        study_of(TWO_BY_TWO),
        metrics=PLANTED_METRICS,
    )
    assert (result.cells["note"] == ONE_SEED).all()
    assert result.cells[["ci_low", "ci_high", "half_width", "sd"]].isna().all().all()
    # interactions cannot be separated from the error with one seed per cell: pooled, said so
    assert result.interactions.empty
    assert "pooled into the error term" in result.models.set_index("metric").loc["fid_cnn_2k"].note


def test_a_single_run_per_factor_level_has_no_effect_interval():
    factors = {"g_output": ["tanh", "sigmoid"]}
    result = analyse(
        planted(factors, a_plus_interaction_a_only, seeds=1),
        study_of(factors),
        metrics=PLANTED_METRICS,
    )
    effect = row(result.effects, metric="fid_cnn_2k", factor="g_output")
    assert np.isfinite(effect["estimate"])
    assert math.isnan(effect["ci_low"]) and math.isnan(effect["p"])
    assert "no residual degrees of freedom" in effect["note"]
    claim = row(result.claims, metric="fid_cnn_2k", factor="g_output")
    assert claim["verdict"] == "inconclusive"


def test_diverged_runs_count_as_the_worst_run_in_effects_and_are_counted():
    """A diverged run's own numbers are ignored; cell means are over completed runs; in the
    model it stands at the study's worst completed value, so no cell is lost and the
    interactions stay."""
    frame = planted(
        TWO_BY_TWO,
        a_plus_interaction,
        seeds=3,
        diverged=lambda lv, seed: (
            lv["g_output"] == "sigmoid" and (lv["latent"] == "uniform" or seed == 0)
        ),
    )
    frame.loc[frame["status"] == "diverged", "fid_cnn_2k"] = 1e6  # must be ignored anyway
    result = analyse(frame, study_of(TWO_BY_TWO), metrics=PLANTED_METRICS)
    cells = result.cells[result.cells["metric"] == "fid_cnn_2k"].set_index("cell")
    dead = cell_id({"g_output": "sigmoid", "latent": "uniform"})
    half = cell_id({"g_output": "sigmoid", "latent": "normal"})
    assert cells.loc[dead, "n"] == 0 and cells.loc[dead, "note"] == NO_RUNS
    assert cells.loc[half, "n"] == 2 and cells.loc[half, "mean"] < 1e3
    by_cell = result.divergence_cells.set_index("cell")
    assert by_cell.loc[dead, "rate"] == 1.0 and by_cell.loc[half, "diverged"] == 1
    by_level = result.divergence_levels.set_index(["factor", "level"])
    assert by_level.loc[("g_output", "sigmoid"), "rate"] == pytest.approx(4 / 6)
    assert by_level.loc[("g_output", "tanh"), "rate"] == 0.0
    worst = frame.loc[frame["status"] == "completed", "fid_cnn_2k"].max()
    fit = result.models.set_index("metric").loc["fid_cnn_2k"]
    assert fit["runs"] == 12 and fit["interactions"]  # every run, the dead cell included
    assert len(result.interactions) == 2  # per metric
    claim = row(result.claims, metric="fid_cnn_2k", factor="g_output")
    assert 0 < claim["estimate"] < worst  # diverging counts against sigmoid, not 1e6
    assert claim["diverged_level"] == "4 of 6" and claim["diverged_baseline"] == "0 of 6"


def test_multi_level_factor_reports_each_level_against_baseline():
    effects = {4: 0.0, 3: 5.0, 5: 0.0}
    factors = {"kernel_size": [4, 3, 5]}
    frame = planted(factors, lambda lv: 20 + effects[lv["kernel_size"]], 6)
    result = analyse(frame, study_of(factors), metrics=PLANTED_METRICS)
    rows = result.effects[result.effects["metric"] == "fid_cnn_2k"].set_index("level")
    assert list(rows.index) == ["3", "5"] and set(rows["baseline"]) == {"4"}
    assert rows.loc["3", "ci_low"] <= 5.0 <= rows.loc["3", "ci_high"]
    assert rows.loc["3", "p_holm"] < 0.05 and rows.loc["5", "p_holm"] >= 0.05
    claims = result.claims[result.claims["metric"] == "fid_cnn_2k"].set_index("level")
    assert claims.loc["3", "verdict"] == "supported"  # 3 is not divisible by the stride
    assert claims.loc["5", "verdict"] == "inconclusive"


def test_holm_correction_is_applied_across_factors_per_metric():
    factors = {"g_output": ["tanh", "sigmoid"], "latent": ["normal", "uniform"]}
    frame = planted(factors, lambda lv: 20 + 1.5 * (lv["latent"] == "uniform"), 4)
    result = analyse(frame, study_of(factors), metrics=PLANTED_METRICS)
    for metric, group in result.effects.groupby("metric"):
        expected = multipletests(group["p"], method="holm")[1]
        assert np.allclose(group["p_holm"], expected), metric
        assert (group["p_holm"] >= group["p"] - 1e-12).all()


def test_one_at_a_time_compares_each_cell_with_the_baseline_cell():
    plus = {"d_dropout": 3.0, "label_smoothing": -3.0}
    rng = np.random.default_rng(3)
    rows = []
    cells = [
        ("baseline", {}),
        ("d_dropout-0.4", {"d_dropout": 0.4}),
        ("label_smoothing-0.9", {"label_smoothing": 0.9}),
    ]
    for cell, changed in cells:
        for seed in range(4):
            levels = {"d_dropout": 0.0, "label_smoothing": 1.0} | changed
            fid = 20 + sum(plus[name] for name in changed) + rng.normal(0, 0.5)
            rows.append(
                {
                    "cell": cell,
                    **levels,
                    "seed": seed,
                    "status": "completed",
                    "step": 10,
                    "fid_cnn_2k": fid,
                }
            )
    study = study_of({"d_dropout": [0.4], "label_smoothing": [0.9]}, design="one_at_a_time")
    result = analyse(pd.DataFrame(rows), study, metrics=[FID])
    assert result.layout.design == "one_at_a_time" and not result.layout.separates_interactions
    assert result.interactions.empty and result.anova.empty
    effects = result.effects.set_index("factor")
    frame = pd.DataFrame(rows)
    # one location per cell; 9 residual df are too few for the robust fit: least squares
    assert "least squares" in result.models.set_index("metric").loc["fid_cnn_2k", "note"]
    means = frame.groupby("cell")["fid_cnn_2k"].mean()
    for name, cell in (("d_dropout", "d_dropout-0.4"), ("label_smoothing", "label_smoothing-0.9")):
        assert effects.loc[name, "estimate"] == pytest.approx(means[cell] - means["baseline"])
    claims = result.claims.set_index("factor")
    assert claims.loc["d_dropout", "expected"] == "better"  # 0.4 is the Keras value
    assert claims.loc["d_dropout", "verdict"] == "contradicted"  # it made FID 3 worse
    assert claims.loc["label_smoothing", "verdict"] == "supported"


def test_study_file_supplies_baseline_and_level_order(write_study):
    study = load_study(
        write_study(
            tiny_study(baseline={"g_output": "sigmoid"}, factors={"g_output": ["tanh", "sigmoid"]})
        )
    )
    frame = planted({"g_output": ["tanh", "sigmoid"]}, a_plus_interaction_a_only, seeds=3)
    result = analyse(frame, study, metrics=PLANTED_METRICS)
    effect = row(result.effects, metric="fid_cnn_2k", factor="g_output")
    assert (effect["level"], effect["baseline"]) == ("tanh", "sigmoid")
    assert effect["estimate"] < 0  # tanh is 10 FID better than the sigmoid baseline
    claim = row(result.claims, metric="fid_cnn_2k", factor="g_output")
    assert claim["expected"] == "better" and claim["verdict"] == "supported"


def test_no_direction_claimed_for_g_activation():
    factors = {"g_activation": ["relu", "leaky_relu"]}
    frame = planted(factors, lambda lv: 20.0, seeds=3)
    claim = row(
        analyse(frame, study_of(factors), metrics=PLANTED_METRICS).claims,
        metric="fid_cnn_2k",
        factor="g_activation",
    )
    assert claim["expected"] == "none" and claim["verdict"] == "no direction claimed"


def test_checkerboard_statistics_use_its_absolute_value():
    rng = np.random.default_rng(0)
    factors = {"g_upsample": ["transposed", "resize"]}
    frame = planted(factors, lambda lv: 20.0, seeds=4)
    frame[CHECKERBOARD.name] = [
        (1.0 if g == "transposed" else 0.0) * (-1) ** s + rng.normal(0, 0.05)
        for g, s in zip(frame["g_upsample"], frame["seed"], strict=True)
    ]
    study = study_of(factors, analysis={"primary": CHECKERBOARD.name})  # verdicts on it
    result = analyse(frame, study, metrics=[*PLANTED_METRICS, CHECKERBOARD])
    assert result.primary == CHECKERBOARD.name
    effect = row(result.effects, metric=CHECKERBOARD.name, factor="g_upsample")
    assert effect["estimate"] == pytest.approx(-1.0, abs=0.1)  # |x| drops by 1 with resize
    claim = row(result.claims, metric=CHECKERBOARD.name, factor="g_upsample")
    assert claim["verdict"] == "supported"  # resize-conv removes checkerboards


def test_cells_design_gets_its_levels_from_the_study(write_study):
    cells = [{}, {"g_output": "sigmoid"}, {"g_output": "sigmoid", "latent": "uniform"}]
    raw = tiny_study(design="cells", cells=cells)
    del raw["factors"]
    study = load_study(write_study(raw))
    rows = [
        {"cell": cell_id(c), "seed": s, "status": "completed", "fid_cnn_2k": 20.0 + 5 * len(c) + s}
        for c in cells
        for s in range(3)
    ]  # no level columns: aggregate has no factors to write for a cells design
    result = analyse(pd.DataFrame(rows), study, metrics=[FID])
    assert result.layout.factors == {
        "g_output": ["tanh", "sigmoid"],
        "latent": ["normal", "uniform"],
    }
    effects = result.effects.set_index("factor")
    assert effects.loc["g_output", "estimate"] == pytest.approx(5.0)
    assert effects.loc["latent", "estimate"] == pytest.approx(5.0)


def test_analysis_carries_the_resolved_metric_columns():
    frame = planted(TWO_BY_TWO, a_plus_interaction, seeds=2)
    result = analyse(frame, study_of(TWO_BY_TWO), metrics=list(reversed(PLANTED_METRICS)))
    assert result.metrics == ["fid_cnn_2k", "is_cnn_2k"]  # summary.csv's order
    assert result.columns["fid_cnn_2k"].metric.key == "fid" and result.primary == "fid_cnn_2k"
    only_is = analyse(
        frame.drop(columns="fid_cnn_2k"), study_of(TWO_BY_TWO), metrics=PLANTED_METRICS[1:]
    )
    assert only_is.primary == "is_cnn_2k"  # no FID: the first metric leads


def test_metric_columns_must_agree_with_metrics_json():
    frame = planted(TWO_BY_TWO, a_plus_interaction, seeds=2)
    with pytest.raises(MetricError, match="is_cnn_2k: a summary.csv column that metrics.json"):
        analyse(
            frame, study_of(TWO_BY_TWO), metrics=[FID]
        )  # a numeric column nobody described: no guessing
    with pytest.raises(MetricError, match="checkerboard_pixel_2k: in metrics.json but not"):
        analyse(frame, study_of(TWO_BY_TWO), metrics=[*PLANTED_METRICS, CHECKERBOARD])
