"""What the report reads: summary.csv, the study.yaml and design.json that aggregate wrote
beside it (never a study file found elsewhere), and the run folders that exist."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, TWO_BY_TWO, a_plus_interaction, planted, planted_metrics, study_of
from PIL import Image

from gan_bench.analysis.analyse import analyse
from gan_bench.analysis.summary import write_summary
from gan_bench.folders import StudyFolder
from gan_bench.report.inputs import (
    TRAVERSAL_SEEDS,
    ReportError,
    gather,
    read_logs,
    sample_tiles,
    traversal_tiles,
)
from gan_bench.study.record import RecordError, write_study_record


@pytest.fixture
def folder(tmp_path) -> StudyFolder:
    """A 2x2 study's results as aggregate leaves them, without run folders."""
    folder = StudyFolder(tmp_path / "tiny")
    folder.root.mkdir()
    frame = planted(TWO_BY_TWO, a_plus_interaction, seeds=2)
    write_summary(frame, folder.summary, planted_metrics(frame))  # + metrics.json
    write_study_record(study_of(TWO_BY_TWO), folder)
    return folder


def test_gather_reads_the_study_and_typed_design_beside_summary_csv(folder):
    inputs = gather(folder)
    assert inputs.study.name == "tiny" and inputs.study.factors == TWO_BY_TWO
    assert inputs.design.design == "full_factorial" and len(inputs.design.cells) == 4
    assert len(inputs.summary) == 8 and inputs.run_infos == []  # no run folders here


def test_gather_reads_run_json_of_the_runs_that_are_here(folder):
    cell = gather(folder).summary["cell"][0]
    run = folder.run(cell, 1)
    run.root.mkdir(parents=True)
    run.run.write_text(json.dumps({"status": "completed", "device": "cpu"}))
    (infos,) = gather(folder).run_infos
    assert infos == {"status": "completed", "device": "cpu", "cell": cell, "seed": 1}


@pytest.mark.parametrize("name", ["study.yaml", "design.json"])
def test_a_missing_record_file_is_named_with_the_command_that_writes_it(folder, name):
    (folder.root / name).unlink()
    with pytest.raises(RecordError, match=f"{name}: not found; `gan-bench aggregate STUDY`"):
        gather(folder)


def test_the_report_does_not_hunt_for_a_study_file(tmp_path, monkeypatch):
    """results/quick's summary.csv without its study.yaml: ablations/quick.yaml in the
    working folder is not taken instead."""
    monkeypatch.chdir(REPO)
    folder = StudyFolder(tmp_path / "quick")
    folder.root.mkdir()
    shutil.copy(REPO / "results" / "quick" / "summary.csv", folder.summary)
    shutil.copy(REPO / "results" / "quick" / "design.json", folder.design)
    with pytest.raises(RecordError, match="study.yaml: not found"):
        gather(folder)


def test_design_json_of_another_study_is_refused(folder):
    design = json.loads(folder.design.read_text())
    folder.design.write_text(json.dumps(design | {"study": "other"}))
    with pytest.raises(RecordError, match="describes study 'other'"):
        gather(folder)


def test_a_design_json_without_cells_is_named(folder):
    design = json.loads(folder.design.read_text())
    del design["cells"]
    folder.design.write_text(json.dumps(design))
    with pytest.raises(RecordError, match=r"design.json: not a design.json .*no key 'cells'"):
        gather(folder)


def test_summary_csv_missing_or_empty(folder):
    folder.summary.write_text("cell,seed,status\n")
    with pytest.raises(ReportError, match="summary.csv: no runs"):
        gather(folder)
    folder.summary.unlink()
    with pytest.raises(ReportError, match="summary.csv: not found"):
        gather(folder)


def test_a_summary_csv_that_does_not_match_design_or_metrics_is_refused(folder):
    """Checked before anything is drawn: a bad summary.csv fails the report at once."""
    summary = pd.read_csv(folder.summary)
    changes = {
        "cell 'nowhere' is not one of design.json": lambda s: s.assign(cell="nowhere"),
        "no column fid_cnn_2k, which metrics.json describes": lambda s: s.drop(
            columns="fid_cnn_2k"
        ),
        "fid_cnn_2k: not numbers": lambda s: s.assign(fid_cnn_2k="garbage"),
    }
    for problem, change in changes.items():
        change(summary).to_csv(folder.summary, index=False)
        with pytest.raises(ReportError, match=problem) as caught:
            gather(folder)
        assert str(caught.value).startswith(f"{folder.summary}: ")


def test_a_damaged_samples_png_is_left_out_of_the_mosaic(folder):
    inputs = gather(folder)
    analysis = analyse(inputs.summary, inputs.study, inputs.design, metrics=inputs.metrics)
    first = analysis.layout.cell_order[0]
    for seed in (0, 1):
        folder.run(first, seed).root.mkdir(parents=True)
        Image.fromarray(np.zeros((4, 4), dtype="uint8")).save(folder.run(first, seed).samples)
    cut = folder.run(first, 0).samples
    cut.write_bytes(cut.read_bytes()[:20])
    label, path = sample_tiles(folder, analysis)[0]
    assert path == folder.run(first, 1).samples and "seed 1" in label


def test_logs_and_samples_come_from_the_run_folders_that_have_them(folder):
    inputs = gather(folder)
    analysis = analyse(inputs.summary, inputs.study, inputs.design, metrics=inputs.metrics)
    assert read_logs(folder, analysis).empty and sample_tiles(folder, analysis) == []
    first = analysis.layout.cell_order[0]
    for seed in (0, 1):
        run = folder.run(first, seed)
        run.root.mkdir(parents=True)
        run.log.write_text("".join(json.dumps({"step": s, "d_loss": 1.0}) + "\n" for s in (1, 2)))
        Image.fromarray(np.zeros((4, 4), dtype="uint8")).save(run.samples)
    logs = read_logs(folder, analysis)
    assert len(logs) == 4 and set(logs["cell"]) == {first}
    assert set(logs["g_output"]) == {analysis.layout.cell_levels[first]["g_output"]}
    tiles = sample_tiles(folder, analysis)
    assert len(tiles) == 4 and tiles[0][1] == folder.run(first, 0).samples
    assert "seed 0" in tiles[0][0] and all(path is None for _, path in tiles[1:])


def test_a_diverged_seed_gives_way_to_a_completed_one_in_the_mosaic(folder):
    summary = pd.read_csv(folder.summary)
    summary.loc[0, "status"] = "diverged"  # cell 0, seed 0
    summary.to_csv(folder.summary, index=False)
    inputs = gather(folder)
    analysis = analyse(inputs.summary, inputs.study, inputs.design, metrics=inputs.metrics)
    cell = summary.loc[0, "cell"]
    for seed in (0, 1):
        folder.run(cell, seed).root.mkdir(parents=True)
        Image.fromarray(np.zeros((4, 4), dtype="uint8")).save(folder.run(cell, seed).samples)
    label, path = sample_tiles(folder, analysis)[0]
    assert path == folder.run(cell, 1).samples and "seed 1" in label


def infogan_folder(tmp_path, factors) -> StudyFolder:
    """A results folder of a study varying these factors, 2 seeds, seed 0 of the first
    cell diverged, without run folders."""
    folder = StudyFolder(tmp_path / "codes")
    folder.root.mkdir()
    frame = planted(factors, lambda levels: 30.0, seeds=2)
    frame.loc[0, "status"], frame.loc[0, "fid_cnn_2k"] = "diverged", np.nan
    write_summary(frame, folder.summary, planted_metrics(frame))
    write_study_record(study_of(factors), folder)
    return folder


def put_png(path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((4, 4), dtype="uint8")).save(path)


def test_traversals_come_from_infogan_cells_only_first_completed_seed(tmp_path):
    folder = infogan_folder(tmp_path, {"g_output": ["tanh", "sigmoid"], "infogan": [True, False]})
    inputs = gather(folder)
    analysis = analyse(inputs.summary, inputs.study, inputs.design, metrics=inputs.metrics)
    assert traversal_tiles(folder, inputs.study, analysis) == []  # no run folders yet
    infogan_cells = [c for c in analysis.layout.cell_order if "infogan-true" in c]
    assert len(infogan_cells) == 2
    diverged = inputs.summary.loc[0, "cell"]
    assert diverged in infogan_cells  # the first cell: seed 0 diverged
    for cell in analysis.layout.cell_order:  # every run has one, even the plain cells
        for seed in (0, 1):
            put_png(folder.run(cell, seed).traversals)
    tiles = traversal_tiles(folder, inputs.study, analysis)
    assert [path for _, path in tiles] == [
        folder.run(cell, 1 if cell == diverged else 0).traversals for cell in infogan_cells
    ]
    assert tiles[0][0] == f"{diverged} — seed 1"  # titled with the cell id


def test_no_infogan_cell_means_no_traversals(tmp_path):
    folder = infogan_folder(tmp_path, {"g_output": ["tanh", "sigmoid"]})
    inputs = gather(folder)
    analysis = analyse(inputs.summary, inputs.study, inputs.design, metrics=inputs.metrics)
    for cell in analysis.layout.cell_order:
        put_png(folder.run(cell, 0).traversals)  # stray files are not shown
    assert traversal_tiles(folder, inputs.study, analysis) == []


def test_infogan_fixed_in_every_cell_shows_every_cell(tmp_path):
    folder = StudyFolder(tmp_path / "all")
    folder.root.mkdir()
    factors = {"g_output": ["tanh", "sigmoid"]}
    frame = planted(factors, lambda levels: 30.0, seeds=1)
    write_summary(frame, folder.summary, planted_metrics(frame))
    write_study_record(study_of(factors, baseline={"infogan": True}), folder)
    inputs = gather(folder)
    analysis = analyse(inputs.summary, inputs.study, inputs.design, metrics=inputs.metrics)
    put_png(folder.run(analysis.layout.cell_order[0], 0).traversals)
    tiles = traversal_tiles(folder, inputs.study, analysis)
    assert len(tiles) == 2 and tiles[1][1] is None  # the other cell: a blank tile


def test_a_lone_infogan_cell_shows_several_seeds(tmp_path):
    """InfoGAN varies by seed: one InfoGAN cell's traversals show its first completed seeds."""
    folder = StudyFolder(tmp_path / "lone")
    folder.root.mkdir()
    factors = {"infogan": [True]}
    frame = planted(factors, lambda levels: 30.0, seeds=TRAVERSAL_SEEDS + 2)
    frame.loc[0, "status"], frame.loc[0, "fid_cnn_2k"] = "diverged", np.nan  # seed 0
    write_summary(frame, folder.summary, planted_metrics(frame))
    write_study_record(study_of(factors), folder)
    inputs = gather(folder)
    analysis = analyse(inputs.summary, inputs.study, inputs.design, metrics=inputs.metrics)
    (cell,) = analysis.layout.cell_order
    assert traversal_tiles(folder, inputs.study, analysis) == []  # no run folders yet
    for seed in range(TRAVERSAL_SEEDS + 2):
        if seed != 2:  # seed 2 drew none
            put_png(folder.run(cell, seed).traversals)
    tiles = traversal_tiles(folder, inputs.study, analysis)
    shown = [1, 3, 4, 5][:TRAVERSAL_SEEDS]  # completed seeds first, seed 0 diverged
    assert [label for label, _ in tiles] == [f"{cell} — seed {seed}" for seed in shown]
