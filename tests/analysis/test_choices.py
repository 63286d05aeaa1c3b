"""The study's analysis choices resolve against its columns and the registry's families, or
are refused naming the key (the report after training, the plan-time checks before it)."""

from __future__ import annotations

import pytest
from conftest import PLANTED_METRICS, study_of

from gan_bench.analysis.choices import PrimaryError, SesoiError, primary_column, sesoi_settings
from gan_bench.folders import StudyFolder
from gan_bench.score.registry import column
from gan_bench.study.record import read_study_record, write_study_record

CHECKERBOARD = column("checkerboard", "pixel", 2000)
TYPED = {"kernel_size": [4, 3], "d_dropout": [0.0, 0.4], "feature_matching": [False, True]}
TWO = {"g_output": ["tanh", "sigmoid"]}


def test_primary_metric_is_the_studys_choice_else_the_lead_fid(tmp_path):
    """analysis.primary names a column or a metric family; it survives study.yaml; one that
    names no column is refused naming the key and the columns there are."""
    columns = [*PLANTED_METRICS, CHECKERBOARD]
    assert primary_column(study_of(TYPED), columns).name == "fid_cnn_2k"
    by_family = study_of(TYPED, analysis={"primary": "checkerboard"})
    assert primary_column(by_family, columns) is CHECKERBOARD
    folder = StudyFolder(tmp_path / "typed")
    write_study_record(by_family, folder)
    assert read_study_record(folder)[0].analysis == {"primary": "checkerboard"}
    with pytest.raises(PrimaryError, match=r"analysis.primary: 'kid'.*fid_cnn_2k, is_cnn_2k"):
        primary_column(study_of(TYPED, analysis={"primary": "kid"}), PLANTED_METRICS)


def test_sesoi_is_a_positive_number_per_registry_family():
    study = study_of(TWO, analysis={"sesoi": {"fid": 0.1}})
    assert sesoi_settings(study) == {"fid": 0.1}
    assert sesoi_settings(study_of(TWO)) == {}
    with pytest.raises(SesoiError, match=r"analysis\.sesoi\.fdi: not a metric family"):
        sesoi_settings(study_of(TWO, analysis={"sesoi": {"fdi": 0.1}}))
    bad = study_of(TWO, analysis={"sesoi": {"fid": 0.1}})
    bad.analysis["sesoi"]["fid"] = -1  # past the schema, as a hand-made Study could be
    with pytest.raises(SesoiError, match=r"analysis\.sesoi\.fid: must be a number > 0"):
        sesoi_settings(bad)


def test_choices_import_neither_pandas_nor_scipy():
    """The plan-time checks import this module: it must stay light."""
    import subprocess
    import sys

    heavy = "{'pandas', 'scipy', 'torch'}"
    code = f"import sys, gan_bench.analysis.choices; print(sorted({heavy} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
