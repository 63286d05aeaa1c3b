"""Plan-time checks of what otherwise fails after training: the report's analysis keys and
the scorer's extractor, each refused naming the file and the key, by their own code."""

from __future__ import annotations

import pytest
from conftest import tiny_study, write_image_folder

from gan_bench.analysis.choices import PrimaryError, SesoiError
from gan_bench.analysis.preflight import check_study, checked_plan, study_columns
from gan_bench.study.study_file import StudyError, study_from_dict


def _study(**keys):
    return study_from_dict(tiny_study(**keys), "my.yaml")


def _pngs(folder, count):
    from PIL import Image

    folder.mkdir()
    for index in range(count):
        Image.new("RGB", (8, 8), (index, 0, 0)).save(folder / f"{index}.png")
    return str(folder)


def test_the_columns_are_what_the_scorer_plans_for_the_study():
    names = [column.name for column in study_columns(_study())]
    assert names[:2] == ["fid_cnn_64", "is_cnn_64"]
    assert "checkerboard_pixel_64" in names and "d_overfit" in names
    assert not any(name.startswith("code_") for name in names)
    infogan = [c.name for c in study_columns(_study(factors={"infogan": [False, True]}))]
    assert "code_accuracy_cnn_64" in infogan and "code_r2" in infogan


def test_auto_counts_inception_as_possible():
    """Whether its weights are on disk needs torch; the evaluator job settles it."""
    names = [c.name for c in study_columns(_study(eval={"num_samples": 64, "extractor": "auto"}))]
    assert "fid_cnn_64" in names and "fid_inception_64" in names


@pytest.mark.parametrize(
    ("analysis", "error", "message"),
    [
        ({"primary": "bogus_metric"}, PrimaryError, r"my.yaml: analysis.primary: 'bogus_metric'"),
        ({"primary": "fid_inception_64"}, PrimaryError, r"analysis.primary: 'fid_inception_64'"),
        ({"primary": "fid_cnn_2k"}, PrimaryError, r"columns: fid_cnn_64, "),
        ({"sesoi": {"bogus": 0.1}}, SesoiError, r"my.yaml: analysis.sesoi.bogus: not a metric"),
    ],
)
def test_analysis_keys_the_report_would_refuse_are_refused_now(analysis, error, message):
    with pytest.raises(error, match=message):
        check_study(_study(analysis=analysis))


def test_good_analysis_keys_pass():
    check_study(_study(analysis={"primary": "kid", "sesoi": {"fid": 0.1}}))
    check_study(_study(analysis={"primary": "d_overfit"}))


def test_a_flat_folder_under_the_domain_extractor_is_refused(tmp_path):
    folder = _pngs(tmp_path / "imgs", 50)
    study = _study(dataset={"name": "folder", "path": folder, "image_size": 16})
    with pytest.raises(StudyError, match=r"^my.yaml: eval.extractor: 'domain' .*ImageFolder"):
        check_study(study)
    check_study(_study(dataset={"name": "folder", "path": folder, "image_size": 16},
                       eval={"num_samples": 64, "extractor": "inception"}))  # fmt: skip


def test_a_folder_of_class_folders_takes_the_domain_extractor(tmp_path):
    folder = str(write_image_folder(tmp_path / "classes", classes=3, per_class=20))
    for choice in ("domain", "auto"):
        study = _study(dataset={"name": "folder", "path": folder, "image_size": 16},
                       eval={"num_samples": 64, "extractor": choice})  # fmt: skip
        assert "fid_cnn_64" in [c.name for c in study_columns(study)]


def test_checked_plan_is_plan_then_the_checks(write_study, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert len(checked_plan(write_study(tiny_study())).runs) == 2
    with pytest.raises(PrimaryError):
        checked_plan(write_study(tiny_study(analysis={"primary": "nope"})))
