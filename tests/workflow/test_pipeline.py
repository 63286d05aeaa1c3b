"""What the Snakefile runs, from its config: one study, or every member of a campaign in its
own study folder, each job given its STUDY argument; a campaign's transfer job last."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import tiny_study

from gan_bench.errors import BadInput
from gan_bench.files import write_json
from gan_bench.resources import CAMPAIGN_SCHEMA, SCHEMA, SNAKEFILE
from gan_bench.study.fingerprint import StudyChanged
from gan_bench.workflow.pipeline import pipeline_of


def campaign_file(folder: Path) -> Path:
    shared = {key: value for key, value in tiny_study(seeds=[0, 1]).items() if key != "name"}
    members = [
        {"name": "small"},
        {"name": "large", "dataset": {"name": "digits", "image_size": 32}},
    ]
    path = folder / "c.yaml"
    path.write_text(yaml.safe_dump({"campaign": "tc", "study": shared, "members": members}))
    return path


def test_a_study_is_one_study_folder_whose_jobs_get_its_file(tmp_path, monkeypatch, write_study):
    monkeypatch.chdir(tmp_path)
    study = str(write_study(tiny_study()))
    pipeline = pipeline_of({"study": study, "seeds": [0, 5]})
    assert list(pipeline.plans) == ["results/tiny"] and pipeline.seeds == [0, 5]
    assert pipeline.arguments == {"results/tiny": [study]}
    assert pipeline.schema == SCHEMA and pipeline.campaign is None
    assert pipeline.transfer_outputs == [] and pipeline.campaign_report_outputs == []
    assert pipeline.targets[0] == "results/tiny/report.html"
    assert len(pipeline.run_files()) == 2 * 2 * 2  # run.json, scores.json of 2 cells x 2 seeds


def test_a_campaign_is_a_study_folder_per_member_then_its_transfer_table_and_report(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    path = str(campaign_file(tmp_path))
    pipeline = pipeline_of({"campaign": path})
    assert list(pipeline.plans) == ["results/tc/small", "results/tc/large"]
    assert pipeline.arguments["results/tc/large"] == [path, "--member", "large"]
    assert pipeline.schema == CAMPAIGN_SCHEMA and pipeline.seeds is None
    pattern = re.compile(pipeline.folder_pattern)
    assert pattern.fullmatch("results/tc/large") and not pattern.fullmatch("results/tc")
    assert not pattern.fullmatch("results/tc/largeXruns")
    assert pipeline.transfer_outputs == [
        "results/tc/campaign.yaml",
        "results/tc/transfer.csv",
        "results/tc/transfer_members.csv",
        "results/tc/transfer.json",
    ]
    assert "results/tc/large/summary.csv" in pipeline.transfer_inputs
    assert "results/tc/small/analysis.json" in pipeline.transfer_inputs  # the own verdicts
    assert len(pipeline.transfer_inputs) == 2 * 5
    member_reports = ["results/tc/small/report.html", "results/tc/large/report.html"]
    assert pipeline.targets[:2] == member_reports
    assert pipeline.campaign_report_inputs == ["results/tc/transfer.json", *member_reports]
    report = pipeline.campaign_report_outputs
    assert report[0] == "results/tc/report.html" and "results/tc/tables/verdict_grid.tex" in report
    assert len(report) == 1 + 2 * 3 and set(report) <= set(pipeline.targets)
    assert len(pipeline.run_files("results/tc/small")) == 8 and len(pipeline.run_files()) == 16


def test_a_config_names_a_study_or_a_campaign_not_both(tmp_path):
    with pytest.raises(BadInput, match="not both"):
        pipeline_of({"study": "a.yaml", "campaign": "b.yaml"})
    with pytest.raises(BadInput, match="seeds: only for a study"):
        pipeline_of({"campaign": "b.yaml", "seeds": [0, 1]})


def test_a_members_folder_made_with_other_settings_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = campaign_file(tmp_path)
    runs = tmp_path / "results" / "tc" / "large" / "runs" / "g_output-tanh"
    runs.mkdir(parents=True)
    pipeline_of({"campaign": str(path)})  # runs, but no record: nothing to compare
    raw = yaml.safe_load(path.read_text())
    record = {"fingerprint": "x", "settings": {"train": {"steps": 99}}}
    write_json(tmp_path / "results" / "tc" / "large" / "fingerprint.json", record)
    with pytest.raises(StudyChanged, match="train.steps"):
        pipeline_of({"campaign": str(path)})
    assert raw["members"][1]["name"] == "large"


def _snakemake(workdir: Path, *args: str) -> str:
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE), "--directory",
               str(workdir), "--cores", "2", *args]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=workdir)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def test_snakemake_plans_every_members_jobs_on_the_same_rules(tmp_path):
    output = _snakemake(tmp_path, "--config", f"campaign={campaign_file(tmp_path)}", "-n")
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)\s*$", output, flags=re.MULTILINE))
    assert jobs["train"] == "8" and jobs["evaluator"] == "2" and jobs["aggregate"] == "2"
    assert jobs["analyse"] == "2" and jobs["report"] == "2" and jobs["transfer"] == "1"
    assert jobs["campaign_report"] == "1"
    assert "folder=results/tc/large" in output
    linted = _snakemake(tmp_path, "--config", f"campaign={campaign_file(tmp_path)}", "--lint")
    assert "Congratulations" in linted
