"""summary.csv: one row per run folder, read back as written; metrics.json beside it says
what each metric column is, and a summary without it is refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from gan_bench.analysis.summary import (
    SummaryError,
    backfill_metrics,
    collect_runs,
    read_metric_columns,
    read_summary,
    write_summary,
)
from gan_bench.score.registry import column

FID = column("fid", "cnn", 2000)
REPO = Path(__file__).resolve().parents[2]


def run_folder(root: Path, cell: str, seed: int, scores: dict | None) -> Path:
    folder = root / "runs" / cell / f"seed-{seed}"
    folder.mkdir(parents=True)
    config = {"cell": cell, "seed": seed, "tricks": {"g_output": cell.split("-")[1]}}
    (folder / "config.json").write_text(json.dumps(config))
    run = {"status": "completed", "step": 5, "seconds": 1.0, "images_per_second": 2.0}
    (folder / "run.json").write_text(json.dumps(run))
    if scores is not None:
        (folder / "scores.json").write_text(json.dumps(scores))
    return folder


def fid_scores(value: float, info: dict | None = None) -> dict:
    return {"metrics": {FID.name: value}, "metric_info": {FID.name: info or FID.info()}}


def test_collect_runs_still_builds_summary_rows(tmp_path):
    folder = run_folder(tmp_path, "g_output-tanh", 0, fid_scores(12.5))
    frame = collect_runs([folder], ["g_output"])
    assert list(frame.columns[:4]) == ["cell", "g_output", "seed", "status"]
    assert frame.loc[0, "fid_cnn_2k"] == 12.5


def test_aggregate_writes_metrics_json_from_the_runs_scores(tmp_path):
    folders = [
        run_folder(tmp_path, "g_output-tanh", 0, fid_scores(12.5)),
        run_folder(tmp_path, "g_output-sigmoid", 0, None),  # not scored yet
    ]
    write_summary(collect_runs(folders, ["g_output"]), tmp_path / "summary.csv")
    assert json.loads((tmp_path / "metrics.json").read_text()) == {FID.name: FID.info()}
    assert read_metric_columns(tmp_path / "summary.csv") == [FID]


def test_runs_that_describe_a_column_differently_are_refused(tmp_path):
    other = {"metric": "fid", "extractor": "cnn", "samples": 2001}
    folders = [
        run_folder(tmp_path, "g_output-tanh", 0, fid_scores(12.5)),
        run_folder(tmp_path, "g_output-sigmoid", 0, fid_scores(13.0, other)),
    ]
    with pytest.raises(SummaryError, match="g_output-sigmoid/seed-0/scores.json"):
        collect_runs(folders, ["g_output"])


def test_scores_without_a_registry_description_are_refused(tmp_path):
    bare = run_folder(tmp_path, "g_output-tanh", 0, {"metrics": {FID.name: 1.0}})
    with pytest.raises(SummaryError, match="scores.json: metric_info: no description"):
        collect_runs([bare], ["g_output"])
    odd = {"metrics": {"sharp_cnn_2k": 1.0}, "metric_info": {"sharp_cnn_2k": {}}}
    with pytest.raises(SummaryError, match="sharp_cnn_2k"):
        collect_runs([run_folder(tmp_path, "g_output-sigmoid", 0, odd)], ["g_output"])


@pytest.mark.parametrize("name", ["config.json", "run.json", "scores.json"])
def test_a_damaged_run_file_is_refused_by_name_with_how_to_rebuild_it(tmp_path, name):
    run = run_folder(tmp_path, "g_output-tanh", 0, fid_scores(12.5))
    (run / name).write_bytes(b"\x00garbage{")
    with pytest.raises(SummaryError) as caught:
        collect_runs([run], ["g_output"])
    message = str(caught.value)
    assert message.startswith(f"{run / name}: not valid JSON")
    assert "`gan-bench run STUDY` sets a damaged run file aside" in message


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'\x00\xff\xfe,,\n"', "not a summary.csv of `gan-bench aggregate`"),
        (b"", "No columns to parse"),
        (b"cell;seed;status\na;0;completed\n", "no column cell, seed, status"),
        (b"cell,seed,status\na,0.5,completed\n", "seed: '0.5' is not a whole number"),
        (b"cell,seed,status\na,0,finished\n", "status: 'finished' is not one of"),
    ],
)
def test_a_damaged_summary_csv_is_refused_by_name(tmp_path, content, problem):
    path = tmp_path / "summary.csv"
    path.write_bytes(content)
    with pytest.raises(SummaryError, match=problem) as caught:
        read_summary(path)
    assert str(caught.value).startswith(f"{path}: not a summary.csv")
    assert "rerun `gan-bench aggregate STUDY`" in str(caught.value)


def test_summary_reads_back_as_written(tmp_path):
    frame = pd.DataFrame(
        {
            "cell": ["a", "b"],
            "seed": [0, 1],
            "status": ["completed", "diverged"],
            FID.name: [1.5, None],
        }
    )
    write_summary(frame, tmp_path / "summary.csv", [FID])
    assert read_summary(tmp_path / "summary.csv").equals(frame)
    assert read_metric_columns(tmp_path / "summary.csv") == [FID]
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically: no temp file left


def test_a_summary_without_metrics_json_says_to_rerun_aggregate(tmp_path):
    pd.DataFrame({"cell": ["a"], "seed": [0], FID.name: [1.0]}).to_csv(tmp_path / "summary.csv")
    with pytest.raises(SummaryError) as caught:
        read_metric_columns(tmp_path / "summary.csv")
    assert str(tmp_path / "metrics.json") in str(caught.value)
    assert "gan-bench aggregate" in str(caught.value)
    (tmp_path / "metrics.json").write_text(json.dumps({FID.name: {"metric": "fid"}}))
    with pytest.raises(SummaryError, match="metrics.json"):
        read_metric_columns(tmp_path / "summary.csv")


@pytest.mark.parametrize(("study", "samples"), [("quick", 1000), ("default", 2000)])
def test_published_folders_have_metrics_json_made_from_the_registry(study, samples, tmp_path):
    published = REPO / "results" / study
    columns = read_metric_columns(published / "summary.csv")
    header = list(pd.read_csv(published / "summary.csv", nrows=0).columns)
    assert [c.name for c in columns] == header[header.index("images_per_second") + 1 :]
    assert {(c.extractor, c.samples) for c in columns} == {("cnn", samples), ("pixel", samples)}
    for name in ("summary.csv", "evaluator.json"):  # the backfill makes the same file again
        (tmp_path / name).write_bytes((published / name).read_bytes())
    backfill_metrics(tmp_path, samples)
    assert (tmp_path / "metrics.json").read_text() == (published / "metrics.json").read_text()
    with pytest.raises(SummaryError, match="not the registry's"):
        backfill_metrics(tmp_path, samples + 1)
