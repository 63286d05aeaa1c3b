"""What summary.csv's columns mean: factors vs metrics, which way a metric is better, and
level labels that agree whatever type the CSV reader gave."""

from __future__ import annotations

import pytest
from conftest import planted

from gan_bench.analysis.layout import level_label, metric_columns, metric_direction


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("fid_cnn_2k", "lower"),
        ("kid_inception_10k", "lower"),
        ("mode_kl", "lower"),
        ("is_cnn_2k", "higher"),
        ("precision_cnn_2k", "higher"),
        ("recall_cnn_2k", "higher"),
        ("modes_hit", "higher"),
        ("code_accuracy", "higher"),
        ("checkerboard", "zero"),
        ("modes_hit_cnn_2k", "higher"),  # the names scoring writes
        ("mode_kl_cnn_2k", "lower"),
        ("code_accuracy_cnn_2k", "higher"),
        ("checkerboard_pixel_2k", "zero"),
        ("fid_inception_10k", "lower"),
        ("sharpness", "unknown"),
    ],
)
def test_metric_direction_is_read_from_the_name(name, direction):
    assert metric_direction(name) == direction


def test_level_labels_agree_whatever_type_the_csv_reader_gives():
    assert level_label("kernel_size", 4.0) == level_label("kernel_size", "4") == "4"
    assert level_label("d_dropout", 0) == level_label("d_dropout", "0.0") == "0.0"
    assert level_label("feature_matching", "True") == level_label("feature_matching", True)
    assert level_label("g_steps", 2.0) == "2"


def test_metric_columns_skip_bookkeeping_and_factors():
    frame = planted({"kernel_size": [4, 3]}, lambda lv: 1.0, seeds=2)
    frame["checkerboard"] = 0.1
    assert metric_columns(frame) == ["fid_cnn_2k", "is_cnn_2k", "checkerboard"]
