"""Built-in studies by name: a file wins, a name resolves to the packaged study, anything
else is refused naming the argument and listing the names."""

from __future__ import annotations

import pytest
import yaml
from conftest import tiny_study

from gan_bench.errors import BadInput
from gan_bench.resources import STUDIES, builtin_campaigns, builtin_studies
from gan_bench.study.builtin import UnknownStudy, builtin_rows, resolve_study, studies_table
from gan_bench.study.cost import run_macs
from gan_bench.study.design import cells
from gan_bench.study.study_file import load_study, run_config


def test_every_packaged_study_is_built_in_and_valid(fetched_data):
    names = {path.stem for path in STUDIES.glob("*.yaml")}
    assert {"smoke", "quick", "default", "mnist_t10k"} <= names
    assert set(builtin_studies()) == names
    for path in builtin_studies().values():
        load_study(path)  # raises on an invalid built-in study


def test_a_built_in_study_without_its_data_is_listed_with_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no data/mnist-t10k/ here
    with pytest.raises(BadInput, match="dataset.images"):
        load_study(builtin_studies()["mnist_t10k"])
    rows = {row["name"]: row for row in builtin_rows()}
    assert "not runnable here" in rows["mnist_t10k"]["description"]
    assert "t10k-images-idx3-ubyte.gz" in rows["mnist_t10k"]["description"]
    assert rows["default"]["cells x seeds"] == "32 x 3"  # the others as ever


def test_a_name_resolves_to_the_packaged_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an empty folder: no ablations/ beside it
    resolved = resolve_study("smoke")
    assert resolved == str(STUDIES / "smoke.yaml")
    assert load_study(resolved).name == "smoke"


def test_an_existing_file_wins_over_a_built_in_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "smoke").write_text("name: mine\n")
    assert resolve_study("smoke") == "smoke"
    assert resolve_study(str(tmp_path / "smoke")) == str(tmp_path / "smoke")


def test_an_unknown_study_names_the_argument_and_lists_the_built_in_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnknownStudy) as error:
        resolve_study("smoke.yml", what="STUDY")
    message = str(error.value)
    assert "STUDY 'smoke.yml'" in message and "not found" in message
    for name in builtin_studies():
        assert name in message
    with pytest.raises(UnknownStudy):
        resolve_study(str(tmp_path))  # a folder is not a study file


def test_rows_come_from_each_study_file(fetched_data):
    rows = {row["name"]: row for row in builtin_rows()}
    assert set(rows) == set(builtin_studies())
    for name, path in builtin_studies().items():
        raw = yaml.safe_load(path.read_text())
        assert rows[name]["description"] == raw["description"]
        assert rows[name]["design"] == raw.get("design", "full_factorial")
        seeds = len(raw["seeds"])
        assert rows[name]["cells x seeds"].endswith(f" x {seeds}"), rows[name]
    assert rows["default"]["cells x seeds"] == "32 x 3"  # 2^5 cells, README's table
    assert rows["fractional"]["cells x seeds"] == "16 x 3"


def test_table_has_a_header_and_one_line_per_study():
    lines = studies_table().splitlines()
    assert lines[0].split() == ["name", "cells", "x", "seeds", "design", "description"]
    listed = [line.split()[0] for line in lines[1 : 1 + len(builtin_studies())]]
    assert listed == list(builtin_studies())


def test_the_aa_study_varies_only_the_null_factor():
    study = load_study(builtin_studies()["aa"])
    assert study.factors == {"null_factor": ["a", "b"]} and study.design == "full_factorial"
    assert [cell.id for cell in cells(study)] == ["null_factor-a", "null_factor-b"]
    assert len(study.seeds) >= 8  # enough that its interval means something


def test_the_null_factor_is_one_more_factor_of_a_factorial_at_no_extra_cost(write_study):
    """Added to a user's study, it doubles the cells, and its levels cost the same."""
    factors = {"g_output": ["tanh", "sigmoid"], "null_factor": ["a", "b"]}
    study = load_study(write_study(tiny_study(factors=factors)))
    by_id = {cell.id: cell for cell in cells(study)}
    assert set(by_id) == {
        f"g_output-{g}__null_factor-{n}" for g in ("tanh", "sigmoid") for n in ("a", "b")
    }
    macs = {i: run_macs(run_config(study, i, c.tricks, 0)) for i, c in by_id.items()}
    for g in ("tanh", "sigmoid"):
        assert macs[f"g_output-{g}__null_factor-a"] == macs[f"g_output-{g}__null_factor-b"]


def test_a_built_in_campaign_name_resolves_to_its_file_but_never_as_a_study(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_study("transfer") == str(builtin_campaigns()["transfer"])
    with pytest.raises(UnknownStudy, match="campaigns: transfer"):
        resolve_study("nope")
    with pytest.raises(UnknownStudy):
        resolve_study("transfer", campaigns=False)  # a campaign's shared study is a study


def test_the_table_lists_campaign_rows_after_the_studies():
    rows = [{"campaign": "c", "members": "a, b", "runs": "8", "description": "two"}]
    lines = studies_table(rows).splitlines()
    start = lines.index("campaign  members  runs  description")
    assert lines[start + 1].split() == ["c", "a,", "b", "8", "two"]
    assert "`gan-bench cells c`" in lines[-1]
    assert "campaign" not in studies_table()
