"""Before Snakemake starts: damaged results files are found, set aside (never deleted) and
said so, so that Snakemake rebuilds them; a dry run only says what it would do."""

from __future__ import annotations

import io

import pytest
from conftest import finish_run

from gan_bench.files import CorruptFile, write_json
from gan_bench.folders import RunFolder, StudyFolder
from gan_bench.workflow.progress import done_runs, trained_runs
from gan_bench.workflow.repair import repair, study_damage

TANH, SIGMOID = "g_output-tanh", "g_output-sigmoid"


def folder(tiny_plan, tmp_path, cell: str, seed: int) -> RunFolder:
    return RunFolder(tmp_path / tiny_plan.run_dir(cell, seed))


def test_a_study_without_damage_is_left_alone(tiny_plan, tmp_path):
    finish_run(tiny_plan, tmp_path, TANH, 0)
    write_json(folder(tiny_plan, tmp_path, TANH, 0).config, {"cell": TANH})
    out = io.StringIO()
    assert repair(tiny_plan, tmp_path, out=out) == [] and out.getvalue() == ""


def test_damaged_run_and_scores_files_are_set_aside_saying_what_rebuilds_them(tiny_plan, tmp_path):
    for cell, seed in tiny_plan.runs:
        finish_run(tiny_plan, tmp_path, cell, seed)
    scores, run = (
        folder(tiny_plan, tmp_path, TANH, 0).scores,
        folder(tiny_plan, tmp_path, TANH, 1).run,
    )
    scores.write_text("garbage{")
    write_json(run, {"status": "running"})  # not what the runner writes
    assert len(done_runs(tiny_plan, tmp_path)) == 2  # the plan printed counts them as not done
    assert len(trained_runs(tiny_plan, tmp_path)) == 3
    out = io.StringIO()
    found = repair(tiny_plan, tmp_path, out=out)
    assert [item.path for item in found] == [scores, run]
    text = out.getvalue()
    assert (
        f"{scores}: not valid JSON" in text
        and "set aside as scores.json.corrupt: the run is re-scored" in text
    )
    assert f"{run}: status: 'running'" in text and "finished again from its last checkpoint" in text
    assert not scores.exists() and scores.with_name("scores.json.corrupt").read_text() == "garbage{"
    assert not run.exists() and run.with_name("run.json.corrupt").is_file()
    assert repair(tiny_plan, tmp_path, out=io.StringIO()) == []  # nothing left to do


def test_a_dry_run_only_says_what_it_would_set_aside(tiny_plan, tmp_path):
    finish_run(tiny_plan, tmp_path, TANH, 0)
    scores = folder(tiny_plan, tmp_path, TANH, 0).scores
    scores.write_text("[]")
    out = io.StringIO()
    assert len(repair(tiny_plan, tmp_path, dry_run=True, out=out)) == 1
    assert "would be set aside as scores.json.corrupt" in out.getvalue()
    assert scores.read_text() == "[]"


def test_damaged_final_files_of_a_finished_run_are_set_aside(tiny_plan, tmp_path):
    finish_run(tiny_plan, tmp_path, TANH, 0)
    paths = folder(tiny_plan, tmp_path, TANH, 0)
    paths.generator.write_bytes(b"PK cut short")
    paths.samples.write_bytes(b"\x89PNG\r\n\x1a\n cut short")
    found = repair(tiny_plan, tmp_path, out=io.StringIO())
    assert [item.path for item in found] == [paths.generator, paths.samples]
    assert not paths.generator.exists() and not paths.samples.exists()


def test_an_unfinished_runs_unreadable_config_is_left_to_its_train_job(tiny_plan, tmp_path):
    paths = folder(tiny_plan, tmp_path, TANH, 0)
    paths.root.mkdir(parents=True)
    paths.config.write_text("garbage{")
    out = io.StringIO()
    (item,) = repair(tiny_plan, tmp_path, out=out)
    assert item.path == paths.config and not item.moved and paths.config.is_file()
    assert "left: its train job sets it aside and trains the unfinished run from step 0" in (
        out.getvalue()
    )


def test_a_finished_runs_unreadable_config_is_refused_before_anything_runs(tiny_plan, tmp_path):
    finish_run(tiny_plan, tmp_path, TANH, 0)
    paths = folder(tiny_plan, tmp_path, TANH, 0)
    paths.config.write_text("garbage{")
    with pytest.raises(CorruptFile, match="the run finished, but its results cannot be checked"):
        study_damage(tiny_plan, tmp_path)
    assert paths.config.read_text() == "garbage{" and paths.run.is_file()


def test_a_damaged_summary_csv_is_set_aside_for_aggregate_to_write_again(tiny_plan, tmp_path):
    summary = StudyFolder(tmp_path / tiny_plan.results_dir).summary
    summary.parent.mkdir(parents=True)
    summary.write_text("cell,seed,status\ng_output-tanh,zero,completed\n")
    out = io.StringIO()
    (item,) = repair(tiny_plan, tmp_path, out=out)
    assert item.path == summary and "seed: 'zero' is not a whole number" in out.getvalue()
    assert "the aggregate job writes it again" in out.getvalue()
    assert summary.with_name("summary.csv.corrupt").is_file() and not summary.exists()
