"""Built-in studies by name: a file wins, a name resolves to the packaged study, anything
else is refused naming the argument and listing the names."""

from __future__ import annotations

import pytest
import yaml

from gan_bench.resources import STUDIES, builtin_studies
from gan_bench.study.builtin import UnknownStudy, builtin_rows, resolve_study, studies_table
from gan_bench.study.study_file import load_study


def test_every_packaged_study_is_built_in_and_valid():
    names = {path.stem for path in STUDIES.glob("*.yaml")}
    assert {"smoke", "quick", "default"} <= names
    assert set(builtin_studies()) == names
    for path in builtin_studies().values():
        load_study(path)  # raises on an invalid built-in study


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


def test_rows_come_from_each_study_file():
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
