"""What summary.csv's columns mean: factors vs metrics (those metrics.json describes, with
the registry's direction), and level labels that come typed from design.json (through the
cell id), whatever type the CSV reader gave the level columns."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import PLANTED_METRICS, planted, study_of

from gan_bench.analysis.layout import (
    LayoutError,
    MetricError,
    confirmatory_claims,
    dynamics_column,
    layout_for,
    metric_columns,
    tidy_runs,
)
from gan_bench.analysis.summary import read_summary
from gan_bench.folders import StudyFolder
from gan_bench.score.registry import column
from gan_bench.study.design import DesignRecord
from gan_bench.study.record import read_study_record, write_study_record

CHECKERBOARD = column("checkerboard", "pixel", 2000)


TYPED = {"kernel_size": [4, 3], "d_dropout": [0.0, 0.4], "feature_matching": [False, True]}


def typed_results(tmp_path) -> tuple[StudyFolder, pd.DataFrame]:
    """A results folder of a study whose levels are an int, a float and a bool trick, with
    study.yaml and design.json as aggregate writes them and summary.csv read back."""
    folder = StudyFolder(tmp_path / "typed")
    write_study_record(study_of(TYPED), folder)
    planted(TYPED, lambda lv: 20.0 + lv["kernel_size"], seeds=2).to_csv(
        folder.root / "summary.csv", index=False
    )
    return folder, read_summary(folder.root / "summary.csv")


def test_levels_come_typed_from_design_json(tmp_path):
    folder, frame = typed_results(tmp_path)
    study, design = read_study_record(folder)
    layout = layout_for(frame, study, design)
    assert layout.factors == {
        "kernel_size": ["4", "3"],
        "d_dropout": ["0.0", "0.4"],
        "feature_matching": ["false", "true"],
    }
    assert layout.baseline == {"kernel_size": "4", "d_dropout": "0.0", "feature_matching": "false"}
    runs = tidy_runs(frame, layout, ["fid_cnn_2k"])
    for row in runs.itertuples():  # a cell's labels are the ones its id is made of
        labels = {"kernel_size": row.kernel_size, "d_dropout": row.d_dropout}
        labels["feature_matching"] = row.feature_matching
        assert row.cell == "__".join(f"{k}-{v}" for k, v in labels.items())


def test_level_columns_pandas_misreads_still_map_through_the_cell_id(tmp_path):
    folder, frame = typed_results(tmp_path)
    frame.loc[0, "kernel_size"] = None  # one gap: pandas reads the column as float (4.0)
    frame["feature_matching"] = frame["feature_matching"].astype(str).str.upper()  # "TRUE"
    frame.to_csv(folder.summary, index=False)
    misread = read_summary(folder.summary)
    assert misread["kernel_size"].dtype == float and misread["d_dropout"].dtype == float
    study, design = read_study_record(folder)
    runs = tidy_runs(misread, layout_for(misread, study, design), ["fid_cnn_2k"])
    assert set(runs["kernel_size"]) == {"4", "3"}  # not 4.0, not nan
    assert set(runs["d_dropout"]) == {"0.0", "0.4"}
    assert set(runs["feature_matching"]) == {"false", "true"}
    assert runs.loc[0, "kernel_size"] == "4"  # the gap filled from design.json


def test_a_float_trick_given_an_int_level_reads_as_its_float():
    study = study_of({"d_dropout": [0, 0.4]})  # YAML `0` for a float trick is allowed
    frame = planted({"d_dropout": [0, 0.4]}, lambda lv: 1.0, seeds=2)
    layout = layout_for(frame, study, DesignRecord.of(study))
    assert layout.factors == {"d_dropout": ["0.0", "0.4"]} and layout.baseline["d_dropout"] == "0.0"


def test_a_cell_missing_from_design_json_is_refused_by_name(tmp_path):
    folder, frame = typed_results(tmp_path)
    frame.loc[3, "cell"] = "kernel_size-5__d_dropout-0.0__feature_matching-false"
    study, design = read_study_record(folder)
    with pytest.raises(LayoutError, match="kernel_size-5__d_dropout-0.0__feature_matching-false"):
        layout_for(frame, study, design)


def test_metric_columns_are_those_metrics_json_describes():
    frame = planted({"kernel_size": [4, 3]}, lambda lv: 1.0, seeds=2)
    frame[CHECKERBOARD.name] = 0.1
    described = [*PLANTED_METRICS, CHECKERBOARD]
    assert metric_columns(frame, described) == ["fid_cnn_2k", "is_cnn_2k", CHECKERBOARD.name]
    frame["sharpness"] = 1.0  # numeric, neither bookkeeping, factor nor described
    with pytest.raises(MetricError, match="sharpness"):
        metric_columns(frame, described)


def test_confirmatory_claims_are_main_claims_on_the_primary_and_dynamics_on_their_own():
    """Every factor's main claim on the primary column; a dynamics claim (instance_noise,
    g_steps) on its metric's column only where the study has that column; a factor
    without one (g_output) has none; one pair per (metric, factor) even when the primary
    metric is the dynamics metric itself."""
    d_overfit, d_balance = (
        column("d_overfit", "training", None),
        column("d_balance", "training", None),
    )
    factors = ["g_output", "instance_noise", "g_steps"]
    columns = [*PLANTED_METRICS, d_overfit, d_balance]
    assert dynamics_column("instance_noise", columns) is d_overfit
    assert dynamics_column("g_steps", PLANTED_METRICS) is None
    assert dynamics_column("g_output", columns) is None
    fid = "fid_cnn_2k"
    assert confirmatory_claims(factors, columns, fid) == [
        *[(fid, name) for name in factors],
        ("d_overfit", "instance_noise"),
        ("d_balance", "g_steps"),
    ]
    assert confirmatory_claims(factors, PLANTED_METRICS, fid) == [(fid, f) for f in factors]
    assert confirmatory_claims(factors, columns, "d_overfit") == [
        ("d_overfit", name) for name in factors
    ] + [("d_balance", "g_steps")]
    assert confirmatory_claims(factors, [], None) == []
