"""The Snakemake pipeline, really run: plans, end-to-end smoke study, resume, failures."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import yaml
from conftest import ABLATIONS, REPO, load_benchmark, sigkill_group_when, tiny_study

from gan_bench.study.plan import plan
from gan_bench.study.study_file import load_study

SNAKEFILE = REPO / "Snakefile"


def snakemake(workdir: Path, study: Path, *args: str, check: bool = True):
    """Run the real Snakemake on the repo's Snakefile, in `workdir`."""
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE), "--directory",
               str(workdir), "--cores", "2", "--config", f"study={study}", *args]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=workdir)
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def planned_jobs(output: str) -> dict[str, int]:
    """Rule -> job count from Snakemake's 'Job stats' table."""
    counts = {}
    for rule, count in re.findall(r"^(\w+)\s+(\d+)\s*$", output, flags=re.MULTILINE):
        counts[rule] = int(count)
    return counts


def write(path: Path, study: dict) -> Path:
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    return path


def test_plan_lists_every_cell_and_seed():
    study_plan = plan(ABLATIONS / "default.yaml")
    assert len(study_plan.runs) == 96 and len(set(study_plan.runs)) == 96
    assert study_plan.run_dir("c", 2) == "results/default/runs/c/seed-2"


def test_dearest_cells_get_the_highest_priority():
    """Max-pool D (full-resolution convs) and kernel 4 cost most per step (measured:
    benchmarks/RESULTS.md), so their train jobs start first."""
    study_plan = plan(ABLATIONS / "default.yaml")
    by_cell = {cell: study_plan.priority(cell) for cell in study_plan.cell_ids}
    assert sorted(set(by_cell.values())) == [0, 1, 2, 3]
    for cell, priority in by_cell.items():
        maxpool, kernel4 = "d_downsample-maxpool" in cell, "kernel_size-4" in cell
        assert priority == 2 * maxpool + kernel4, cell


def test_snakemake_starts_the_dearest_runs_first(tmp_path):
    result = snakemake(tmp_path, ABLATIONS / "quick.yaml", "-n")
    output = result.stdout + result.stderr
    priorities = dict(re.findall(r"cell=(\S+), seed=\d+\n\s+priority: (\d+)", output))
    assert priorities and all("maxpool" in cell for cell in priorities), output[-2000:]


def test_default_study_plans_96_train_jobs(tmp_path):
    result = snakemake(tmp_path, ABLATIONS / "default.yaml", "-n")
    jobs = planned_jobs(result.stdout + result.stderr)
    assert jobs["train"] == 96 and jobs["aggregate"] == 1


def test_fractional_example_has_16_cells_and_writes_aliases(tmp_path):
    study_plan = plan(ABLATIONS / "fractional.yaml")
    assert len({cell for cell, _ in study_plan.runs}) == 16


def test_snakemake_lint_is_clean(tmp_path):
    result = snakemake(tmp_path, ABLATIONS / "smoke.yaml", "--lint")
    assert "Congratulations" in result.stdout + result.stderr


def test_bad_study_fails_before_any_job_naming_key_and_file(tmp_path):
    raw = tiny_study()
    raw["train"]["steps"] = 0
    study = write(tmp_path / "bad.yaml", raw)
    result = snakemake(tmp_path, study, check=False)
    assert result.returncode != 0
    assert "train.steps" in result.stderr and str(study) in result.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_smoke_study_end_to_end_then_nothing_to_do_then_only_new_seed(tmp_path):
    smoke = yaml.safe_load((ABLATIONS / "smoke.yaml").read_text())
    study = write(tmp_path / "smoke.yaml", smoke)
    started = time.perf_counter()
    snakemake(tmp_path, study)
    wall = time.perf_counter() - started
    out = tmp_path / "results" / "smoke"
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert len(rows) == 4 and {r["status"] for r in rows} == {"completed"}
    assert {(r["cell"], r["seed"]) for r in rows} == {
        (c, str(s)) for c in ("g_output-tanh", "g_output-sigmoid") for s in (0, 1)
    }
    design = json.loads((out / "design.json").read_text())  # the study travels with it
    assert design["design"] == "full_factorial" and design["factors"] == smoke["factors"]
    resolved = load_study(out / "study.yaml")
    assert replace(resolved, path="") == replace(load_study(study), path="")
    assert all(float(r["fid_cnn_256"]) > 0 for r in rows)  # scored in the train jobs
    assert (out / "report.html").stat().st_size > 10_000
    assert (out / "tables" / "ablation.tex").is_file()
    # every job's Snakemake benchmark record, which benchmarks/study.py splits the time with
    split = load_benchmark("study").time_split(out, wall, cores=2)
    assert len(list((out / "benchmarks" / "train").rglob("seed-*.tsv"))) == 4
    assert split["training loops"] > 0 and split["scoring (score_run)"] > 0
    assert all(seconds >= 0 for seconds in split.values()), split  # parts of wall x cores

    again = snakemake(tmp_path, study, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr

    write(study, smoke | {"seeds": [0, 1, 2]})
    more = snakemake(tmp_path, study, "-n")
    assert planned_jobs(more.stdout + more.stderr)["train"] == 2

    # the training columns, from each run's log.jsonl, described in metrics.json
    described = json.loads((out / "metrics.json").read_text())
    assert described["d_balance"] == {
        "metric": "d_balance",
        "extractor": "training",
        "samples": None,
    }
    assert all(0 < float(r["d_balance"]) <= 1 for r in rows)
    assert all(r["overfit_pattern"] == "" for r in rows)  # NaN: 4 log lines are too few
    assert all(math.isfinite(float(r["d_overfit"] or "nan")) for r in rows), rows  # D's probe


@pytest.mark.slow
def test_diverged_runs_do_not_stop_the_study(tmp_path):
    raw = tiny_study(seeds=[0], design="cells", factors={}, cells=[{}])
    raw["train"]["lr"] = 1000.0
    study = write(tmp_path / "div.yaml", raw)
    snakemake(tmp_path, study)
    rows = list(csv.DictReader((tmp_path / "results" / "tiny" / "summary.csv").open()))
    assert [r["status"] for r in rows] == ["diverged"]
    assert (tmp_path / "results" / "tiny" / "report.html").is_file()


def _folders(out: Path) -> list[Path]:
    return sorted(out.glob("runs/*/seed-*"))


@pytest.mark.slow
def test_killed_study_resumes_without_retraining_completed_runs(tmp_path):
    raw = tiny_study(seeds=[0, 1, 2], design="cells", factors={}, cells=[{}])
    raw["train"] = {"steps": 400, "batch_size": 16, "log_every": 20, "checkpoint_every": 20}
    study = write(tmp_path / "kill.yaml", raw)
    out = tmp_path / "results" / "tiny"
    # one job at a time, so that one run is finished while the next is mid-way
    command = [sys.executable, "-m", "gan_bench", "run", str(study), "--directory", str(tmp_path),
               "--cores", "1"]  # fmt: skip
    process = subprocess.Popen(command, cwd=tmp_path, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    def in_flight_with_checkpoint() -> bool:
        done = [f for f in _folders(out) if (f / "run.json").exists()]
        busy = [f for f in _folders(out) if (f / "checkpoint.pt").exists() and f not in done]
        return bool(done) and bool(busy)

    sigkill_group_when(process, in_flight_with_checkpoint, timeout=300)
    completed = {
        f: torch.load(f / "generator.pt") for f in _folders(out) if (f / "run.json").exists()
    }
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True)  # the same command
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert len(rows) == 3 and {r["status"] for r in rows} == {"completed"}
    logs = {f: out / "logs" / "train" / f.parent.name / f"{f.name}.log" for f in _folders(out)}
    for folder, weights in completed.items():
        # a run Snakemake had not yet recorded as done is redone from its final checkpoint:
        # zero steps retrained, the same weights
        log = logs[folder].read_text()
        assert "resuming at step" not in log or "resuming at step 400" in log, log
        assert all(
            torch.equal(weights[k], v) for k, v in torch.load(folder / "generator.pt").items()
        )
    resumed = [f for f in _folders(out) if f not in completed and "resuming" in logs[f].read_text()]
    assert resumed, "no in-flight run resumed from its checkpoint"


TRAINED_FILES = ("run.json", "generator.pt", "samples.png", "log.jsonl")


@pytest.mark.slow
def test_a_deleted_scores_json_is_rescored_and_aggregated_without_retraining(tmp_path):
    """Re-scoring a study (e.g. after an upgrade adds metric columns) is deleting its
    scores.json files and running it again: Snakemake must rebuild them although the report
    is up to date, and the train job must leave the finished run's files as they are."""
    raw = tiny_study(seeds=[0, 1], design="cells", factors={}, cells=[{}])
    study = write(tmp_path / "rescore.yaml", raw)
    snakemake(tmp_path, study)
    out = tmp_path / "results" / "tiny"
    rescored, kept = _folders(out)
    train_log = out / "logs" / "train" / rescored.parent.name / f"{rescored.name}.log"
    trained = {name: (rescored / name).read_bytes() for name in TRAINED_FILES}
    untouched = [rescored / "log.jsonl", rescored / "checkpoint.pt", kept / "scores.json"]
    untouched = {path: path.stat().st_mtime_ns for path in untouched}
    summary_before = (out / "summary.csv").stat().st_mtime_ns
    (rescored / "scores.json").unlink()

    result = snakemake(tmp_path, study)
    output = result.stdout + result.stderr
    assert planned_jobs(output).get("train") == 1, output[-2000:]  # not "Nothing to be done"
    assert {name: (rescored / name).read_bytes() for name in trained} == trained
    assert {path: path.stat().st_mtime_ns for path in untouched} == untouched
    log = train_log.read_text()
    assert "resuming" not in log and "completed;" in log, log  # scored, not trained again
    scores = json.loads((rescored / "scores.json").read_text())
    rows = {r["seed"]: r for r in csv.DictReader((out / "summary.csv").open())}
    assert (out / "summary.csv").stat().st_mtime_ns > summary_before
    row = rows[rescored.name.removeprefix("seed-")]
    assert scores["metrics"] and row["status"] == scores["status"] == "completed"
    for name, value in scores["metrics"].items():  # the new scores.json, aggregated
        assert row[name] == "" if math.isnan(value) else float(row[name]) == pytest.approx(value)
    assert (out / "report.html").stat().st_mtime_ns > summary_before
