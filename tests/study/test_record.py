"""study.yaml and design.json, which travel with a study's results: the resolved study
loads back to the same Study, and the design keeps every level's type."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest
import yaml
from conftest import REPO, study_of, tiny_study

from gan_bench.folders import StudyFolder
from gan_bench.resources import STUDIES, builtin_studies
from gan_bench.study.design import DesignRecord, cells, describe
from gan_bench.study.record import read_study_record, resolved_study, write_study_record
from gan_bench.study.study_file import Study, StudyError, load_study, study_from_dict


def same(a: Study, b: Study) -> bool:
    return replace(a, path="") == replace(b, path="")


@pytest.mark.parametrize("name", sorted(builtin_studies()))
def test_study_yaml_loads_back_to_the_same_study(tmp_path, name, fetched_data):
    study = load_study(builtin_studies()[name])
    folder = StudyFolder(tmp_path / name)
    write_study_record(study, folder)
    again, design = read_study_record(folder)
    assert same(again, study) and again.path == str(folder.study)
    assert design == DesignRecord.of(study)
    written = yaml.safe_load(folder.study.read_text())
    assert written["baseline"] == study.baseline.as_dict()  # every trick, resolved
    assert written["train"] == study.train  # every default filled in


def test_study_yaml_names_its_source_without_a_path_of_the_machine(tmp_path, monkeypatch):
    study = study_from_dict(tiny_study(), str(tmp_path / "studies" / "mine.yaml"))
    folder = StudyFolder(tmp_path / "results" / "tiny")
    (tmp_path / "work").mkdir()
    for cwd, shown in ((tmp_path, "studies/mine.yaml"), (tmp_path / "work", "mine.yaml")):
        monkeypatch.chdir(cwd)
        write_study_record(study, folder)
        header = folder.study.read_text().splitlines()[1]
        assert header.startswith(f"# {shown}: every default") and str(tmp_path) not in header


def test_cells_design_loads_back_and_lists_its_varied_tricks(tmp_path):
    raw = tiny_study(design="cells", cells=[{}, {"kernel_size": 3, "d_dropout": 0.4}])
    del raw["factors"]
    study = study_from_dict(raw, "cells.yaml")
    folder = StudyFolder(tmp_path / "cells")
    write_study_record(study, folder)
    again, design = read_study_record(folder)
    assert same(again, study)
    assert design.factors == {"kernel_size": [4, 3], "d_dropout": [0.0, 0.4]}
    assert design.cells == {
        "baseline": {"kernel_size": 4, "d_dropout": 0.0},
        "kernel_size-3__d_dropout-0.4": {"kernel_size": 3, "d_dropout": 0.4},
    }


def test_design_json_keeps_ints_floats_bools_and_strings_apart(tmp_path):
    factors = {"g_output": ["tanh", "sigmoid"], "kernel_size": [4, 3]}
    factors |= {"d_dropout": [0.0, 0.4], "feature_matching": [False, True]}
    folder = StudyFolder(tmp_path / "typed")
    write_study_record(study_of(factors), folder)
    text = json.loads(folder.design.read_text())
    assert text["factors"] == factors
    first = text["cells"][0]
    assert first["id"] == "g_output-tanh__kernel_size-4__d_dropout-0.0__feature_matching-false"
    assert [type(v) for v in first["levels"].values()] == [str, int, float, bool]
    assert len(text["cells"]) == 16 and text["seeds"] == [0]


def test_one_at_a_time_cells_give_the_level_of_every_factor():
    study = study_of({"d_dropout": [0.4], "g_steps": [2]}, design="one_at_a_time")
    design = describe(study)
    assert design["factors"] == {"d_dropout": [0.4], "g_steps": [2]}
    assert design["cells"][0] == {"id": "baseline", "levels": {"d_dropout": 0.0, "g_steps": 1}}


def test_resolved_study_keeps_only_the_keys_its_design_allows():
    raw = resolved_study(study_of({"g_output": ["tanh", "sigmoid"]}))
    assert "resolution" not in raw and "cells" not in raw and "description" not in raw
    fractional = study_of(
        {"g_output": ["tanh", "sigmoid"], "latent": ["normal", "uniform"]}
        | {"d_downsample": ["strided", "maxpool"]},
        design="fractional",
        resolution=3,
    )
    assert resolved_study(fractional)["resolution"] == 3


@pytest.mark.parametrize("name", ["quick", "default"])
def test_published_results_carry_their_study(tmp_path, name):
    """results/quick and results/default have no run folders; their study.yaml and
    design.json are what aggregate writes for the built-in study, and every run of their
    summary.csv is a cell of that design, with the levels its columns show."""
    published = StudyFolder(REPO / "results" / name)
    study, design = read_study_record(published)
    assert same(study, load_study(STUDIES / f"{name}.yaml"))
    assert json.loads(published.design.read_text()) == describe(study)
    summary = pd.read_csv(published.summary)
    assert set(summary["cell"]) == set(design.cells) == {c.id for c in cells(study)}
    for row in summary.itertuples(index=False):
        levels = design.cells[row.cell]
        assert all(getattr(row, trick) == level for trick, level in levels.items()), row.cell


def test_a_results_folder_is_read_without_its_dataset(tmp_path):
    """A published folder is analysed and reported where its data is absent (the IDX files
    of results/infogan live in data/, which a fresh clone lacks); a study file to run is
    still checked."""
    images = tmp_path / "images.idx"
    header = b"\x00\x00\x08\x03" + b"".join(n.to_bytes(4, "big") for n in (64, 8, 8))
    images.write_bytes(header + bytes(64 * 8 * 8))
    raw = tiny_study(dataset={"name": "idx", "images": str(images)})
    folder = StudyFolder(tmp_path / "tiny")
    write_study_record(study_from_dict(raw, "s.yaml"), folder)
    images.unlink()
    study, _ = read_study_record(folder)
    assert study.dataset["images"] == str(images)
    with pytest.raises(StudyError, match="dataset.images: file not found"):
        load_study(folder.study)
