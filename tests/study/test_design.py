"""Designs -> cells with stable readable ids."""

from __future__ import annotations

import json

import pytest
from conftest import ABLATIONS, tiny_study

from gan_bench.study.design import cell_id, cells, cells_text, find_cell
from gan_bench.study.study_file import StudyError, load_study, study_from_dict


def test_full_factorial_enumerates_every_combination_in_registry_order():
    study = study_from_dict(
        tiny_study(factors={"kernel_size": [4, 3], "g_output": ["tanh", "sigmoid"]}), "t"
    )
    ids = [cell.id for cell in cells(study)]
    assert len(ids) == 4 and len(set(ids)) == 4
    assert ids[0] == "g_output-tanh__kernel_size-4"  # registry order, not file order
    assert all(cell.tricks.latent == "normal" for cell in cells(study))


def test_ids_do_not_depend_on_list_positions():
    assert cell_id({"kernel_size": 3, "g_output": "sigmoid"}) == cell_id(
        {"g_output": "sigmoid", "kernel_size": 3}
    )
    assert cell_id({}) == "baseline"
    assert cell_id({"d_dropout": 0.4, "feature_matching": True}) == (
        "d_dropout-0.4__feature_matching-true"
    )


def test_one_at_a_time_varies_one_factor_from_the_baseline():
    study = study_from_dict(
        tiny_study(
            design="one_at_a_time",
            baseline={"d_dropout": 0.0},
            factors={"d_dropout": [0.0, 0.4], "label_smoothing": [0.9], "g_steps": [1, 2]},
        ),
        "t",
    )
    got = {cell.id: cell.levels for cell in cells(study)}
    assert got == {
        "baseline": {},
        "d_dropout-0.4": {"d_dropout": 0.4},
        "label_smoothing-0.9": {"label_smoothing": 0.9},
        "g_steps-2": {"g_steps": 2},
    }
    baseline = cells(study)[0].tricks
    assert baseline.d_dropout == 0.0 and baseline.g_steps == 1


def test_explicit_cells_apply_over_the_baseline():
    study = study_from_dict(
        tiny_study(
            design="cells",
            factors={},
            baseline={"label_smoothing": 0.9},
            cells=[{}, {"g_upsample": "resize", "kernel_size": 3}],
        ),
        "t",
    )
    found = cells(study)
    assert [c.id for c in found] == ["baseline", "g_upsample-resize__kernel_size-3"]
    assert found[1].tricks.label_smoothing == 0.9 and found[1].tricks.kernel_size == 3


def test_duplicate_explicit_cells_are_refused():
    with pytest.raises(StudyError, match=r"cells\[1\]"):
        study_from_dict(tiny_study(design="cells", factors={}, cells=[{"g_steps": 2}] * 2), "t")


def test_find_cell_names_the_known_cells():
    study = load_study(ABLATIONS / "smoke.yaml")
    assert find_cell(study, "g_output-sigmoid").tricks.g_output == "sigmoid"
    with pytest.raises(StudyError, match="--cell.*g_output-tanh"):
        find_cell(study, "nope")


def test_cells_text_aligns_a_table_and_writes_csv_and_json():
    rows = [{"id": "baseline", "kernel_size": 4}, {"id": "kernel_size-3", "kernel_size": 3}]
    table = cells_text(rows, "table").splitlines()
    assert table[0].split() == ["id", "kernel_size"] and table[-1] == "(2 cells)"
    assert table[1].index("4") == table[0].index("kernel_size")
    assert cells_text(rows, "csv") == "id,kernel_size\nbaseline,4\nkernel_size-3,3"
    assert json.loads(cells_text(rows, "json")) == rows
