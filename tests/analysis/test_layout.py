"""What summary.csv's columns mean: factors vs metrics (those metrics.json describes, with
the registry's direction), and level labels that agree whatever type the CSV reader gave."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import PLANTED_METRICS, planted

from gan_bench.analysis.layout import MetricError, level_label, metric_columns, statistic_runs
from gan_bench.score.registry import column

CHECKERBOARD = column("checkerboard", "pixel", 2000)


def test_level_labels_agree_whatever_type_the_csv_reader_gives():
    assert level_label("kernel_size", 4.0) == level_label("kernel_size", "4") == "4"
    assert level_label("d_dropout", 0) == level_label("d_dropout", "0.0") == "0.0"
    assert level_label("feature_matching", "True") == level_label("feature_matching", True)
    assert level_label("g_steps", 2.0) == "2"


def test_metric_columns_are_those_metrics_json_describes():
    frame = planted({"kernel_size": [4, 3]}, lambda lv: 1.0, seeds=2)
    frame[CHECKERBOARD.name] = 0.1
    described = [*PLANTED_METRICS, CHECKERBOARD]
    assert metric_columns(frame, described) == ["fid_cnn_2k", "is_cnn_2k", CHECKERBOARD.name]
    frame["sharpness"] = 1.0  # numeric, neither bookkeeping, factor nor described
    with pytest.raises(MetricError, match="sharpness"):
        metric_columns(frame, described)


def test_statistics_take_towards_zero_metrics_as_absolute_values():
    runs = pd.DataFrame({CHECKERBOARD.name: [-0.5, 0.25], "fid_cnn_2k": [-1.0, 2.0]})
    columns = {CHECKERBOARD.name: CHECKERBOARD, "fid_cnn_2k": PLANTED_METRICS[0]}
    taken = statistic_runs(runs, columns)
    assert list(taken[CHECKERBOARD.name]) == [0.5, 0.25]
    assert list(taken["fid_cnn_2k"]) == [-1.0, 2.0]  # lower is better: as it is
    assert list(runs[CHECKERBOARD.name]) == [-0.5, 0.25]  # the runs themselves untouched
