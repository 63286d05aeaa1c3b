"""Plan-time checks of what otherwise fails after training: the report's analysis keys and
the scorer's extractor (labels for the domain one, Inception's weights on disk or a download
that can start), each refused naming the file and the key, by their own code."""

from __future__ import annotations

import pytest
import yaml
from conftest import tiny_study, write_image_folder

from gan_bench.analysis.choices import PrimaryError, SesoiError
from gan_bench.analysis.preflight import (
    check_study,
    checked_campaign,
    checked_plan,
    study_columns,
)
from gan_bench.score import weights
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


def test_auto_counts_inception_only_when_its_weights_are_on_disk(tmp_path, monkeypatch):
    """Looked for where the scorer looks (score/weights.py), without torch; never fetched."""
    auto = _study(eval={"num_samples": 64, "extractor": "auto"})
    assert "fid_inception_64" not in [c.name for c in study_columns(auto)]  # empty torch home
    on_disk = tmp_path / "inception.pth"
    on_disk.write_bytes(b"x")
    monkeypatch.setenv(weights.INCEPTION_ENV, str(on_disk))
    names = [c.name for c in study_columns(auto)]
    assert "fid_cnn_64" in names and "fid_inception_64" in names
    monkeypatch.setenv(weights.INCEPTION_ENV, str(tmp_path / "gone.pth"))  # as scoring would
    with pytest.raises(StudyError, match=rf"my.yaml: eval.extractor: .*{weights.INCEPTION_ENV}"):
        study_columns(auto)


def test_weights_without_the_classifier_head_plan_no_inception_score(tmp_path, monkeypatch):
    """Converted by `gan-bench inception-weights`: their metadata file says no head, so the
    study's columns have Inception's FID, KID and precision-recall and no IS, and an
    analysis.primary of Inception's IS is refused before anything trains."""
    on_disk = tmp_path / "inception.pth"
    on_disk.write_bytes(b"x")
    weights.metadata_file(on_disk).write_text('{"head": false, "bytes": 1}')
    monkeypatch.setenv(weights.INCEPTION_ENV, str(on_disk))
    for extractor in ("auto", "inception"):
        study = _study(eval={"num_samples": 64, "extractor": extractor})
        names = [c.name for c in study_columns(study)]
        assert "fid_inception_64" in names and "kid_inception_64" in names
        assert "is_inception_64" not in names
        assert ("is_cnn_64" in names) == (extractor == "auto")
    study = _study(eval={"num_samples": 64, "extractor": "inception"}, analysis={"primary": "is"})
    with pytest.raises(PrimaryError, match=r"analysis.primary: 'is' is no metric column"):
        check_study(study, download_check=True)  # weights on disk: no network asked
    weights.metadata_file(on_disk).write_text('{"head": false, "bytes": 2}')
    with pytest.raises(StudyError, match=r"my.yaml: eval.extractor: .*it belongs to another"):
        study_columns(study)


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


def test_auto_on_a_flat_folder_without_inception_weights_is_refused_at_plan_time(tmp_path):
    """What failed in the evaluator job before (~40 s in) is refused before Snakemake starts."""
    folder = _pngs(tmp_path / "imgs", 50)
    study = _study(dataset={"name": "folder", "path": folder, "image_size": 16},
                   eval={"num_samples": 64, "extractor": "auto"})  # fmt: skip
    with pytest.raises(StudyError, match=r"^my.yaml: eval.extractor: 'auto' .*no labels.*none are"):
        check_study(study)


def test_inception_off_disk_is_checked_against_its_download_host_when_asked(monkeypatch):
    inception = _study(eval={"num_samples": 64, "extractor": "inception"})
    monkeypatch.setattr(weights, "download_problem", lambda: "URLError: offline")
    check_study(inception)  # the Snakefile's check: the evaluator job downloads or refuses
    with pytest.raises(StudyError, match=r"^my.yaml: eval.extractor: 'inception': .*offline"):
        check_study(inception, download_check=True)
    monkeypatch.setattr(weights, "download_problem", lambda: None)
    check_study(inception, download_check=True)


def test_checked_plan_is_plan_then_the_checks(write_study, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert len(checked_plan(write_study(tiny_study())).runs) == 2
    with pytest.raises(PrimaryError):
        checked_plan(write_study(tiny_study(analysis={"primary": "nope"})))


def test_a_campaign_is_checked_member_by_member_naming_the_member(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shared = {key: value for key, value in tiny_study().items() if key != "name"}
    flat = _pngs(tmp_path / "flat", 80)
    campaign = {
        "campaign": "c",
        "study": shared,
        "members": [
            {"name": "digits"},
            {"name": "pictures", "dataset": {"name": "folder", "path": flat}},
        ],
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(campaign))
    with pytest.raises(StudyError, match=r"c.yaml: member pictures: eval.extractor: "):
        checked_campaign(str(path))
    campaign["members"][1] = {"name": "large", "dataset": {"name": "digits", "image_size": 32}}
    path.write_text(yaml.safe_dump(campaign))
    spec, plans = checked_campaign(str(path), max_runs=4)
    assert list(plans) == ["digits", "large"] and spec.name == "c"
    assert plans["large"].results_dir == "results/c/large"
