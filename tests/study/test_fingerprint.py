"""A results folder remembers the run settings it was made with; a study changed since is
refused naming each key, except where the change cannot touch a run."""

from __future__ import annotations

import pytest
import yaml
from conftest import REPO, tiny_study

from gan_bench.errors import BadInput
from gan_bench.files import read_json
from gan_bench.folders import StudyFolder
from gan_bench.resources import builtin_studies
from gan_bench.study.fingerprint import (
    StudyChanged,
    changed_keys,
    check_results_folder,
    recorded_settings,
    run_settings,
)
from gan_bench.study.record import resolved_study
from gan_bench.study.study_file import load_study, study_from_dict


def _study(**overrides):
    return study_from_dict(tiny_study(**overrides), "s.yaml")


def _with_a_run(folder: StudyFolder) -> None:
    (folder.runs / "baseline" / "seed-0").mkdir(parents=True)


def test_the_first_run_records_and_a_changed_study_is_refused_naming_each_key(tmp_path):
    folder = StudyFolder(tmp_path / "tiny")
    check_results_folder(_study(), folder)
    recorded = read_json(folder.fingerprint)
    assert recorded["settings"] == run_settings(_study()) and len(recorded["fingerprint"]) == 16
    _with_a_run(folder)
    edited = _study(train=tiny_study()["train"] | {"steps": 30}, model={"latent_dim": 4})
    with pytest.raises(StudyChanged) as refused:
        check_results_folder(edited, folder)
    message = str(refused.value)
    assert message.startswith(f"s.yaml: the study differs from the one {folder.root} was made")
    assert "\n  train.steps: results have 12, study 30" in message
    assert "\n  model.latent_dim: results have 8, study 4" in message
    assert "delete " in message and message.count("results have") == 3  # + base_channels
    assert read_json(folder.fingerprint) == recorded  # the record is kept


def test_seeds_name_description_and_analysis_are_not_run_settings(tmp_path):
    folder = StudyFolder(tmp_path / "tiny")
    check_results_folder(_study(), folder)
    _with_a_run(folder)
    free = _study(seeds=[0, 1, 2], description="more seeds", analysis={"primary": "fid"})
    check_results_folder(free, folder)


def test_before_any_run_the_study_may_change_and_the_record_follows(tmp_path):
    folder = StudyFolder(tmp_path / "tiny")
    check_results_folder(_study(), folder)
    edited = _study(train=tiny_study()["train"] | {"steps": 30})
    check_results_folder(edited, folder)  # a first attempt that failed before training
    assert read_json(folder.fingerprint)["settings"]["train"]["steps"] == 30


def test_a_dry_run_records_nothing(tmp_path):
    folder = StudyFolder(tmp_path / "tiny")
    check_results_folder(_study(), folder, record=False)
    assert not folder.fingerprint.exists()


def test_a_key_a_newer_version_added_counts_only_off_its_default(tmp_path):
    recorded = run_settings(_study())
    del recorded["baseline"]["soft_labels"], recorded["train"]["precision"]
    assert changed_keys(recorded, run_settings(_study())) == []
    off_default = _study(baseline={"soft_labels": 0.3})
    assert changed_keys(recorded, run_settings(off_default)) == [
        "baseline.soft_labels: results have no such key, study 0.3"
    ]


def test_a_folder_from_before_fingerprints_is_checked_against_its_study_yaml(tmp_path):
    folder = StudyFolder(tmp_path / "tiny")
    folder.root.mkdir()
    folder.study.write_text(yaml.safe_dump(resolved_study(_study())))
    _with_a_run(folder)
    with pytest.raises(StudyChanged, match="eval.num_samples: results have 64, study 128"):
        check_results_folder(_study(eval={"num_samples": 128, "extractor": "domain"}), folder)
    check_results_folder(_study(), folder)
    assert folder.fingerprint.exists()


def test_an_unreadable_record_is_named(tmp_path):
    folder = StudyFolder(tmp_path / "tiny")
    _with_a_run(folder)
    folder.fingerprint.write_text("{not json")
    with pytest.raises(BadInput, match="fingerprint.json: unreadable"):
        check_results_folder(_study(), folder)


@pytest.mark.parametrize("name", ["default", "quick", "stability", "infogan_paper"])
def test_the_published_results_match_their_built_in_studies(name, fetched_data):
    """So `gan-bench run default` in the repo re-scores rather than being refused."""
    folder = StudyFolder(REPO / "results" / name)
    study = load_study(builtin_studies()[name])
    assert changed_keys(recorded_settings(folder), run_settings(study)) == []
