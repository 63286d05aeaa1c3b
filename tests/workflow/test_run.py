"""gan-bench run: Snakemake started on the packaged Snakefile, one run per folder; the plan
and its estimated cost printed before it starts, and progress while it runs."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import finish_run, tiny_study, write_image_folder

from gan_bench.files import write_json
from gan_bench.folders import RunFolder
from gan_bench.resources import SNAKEFILE
from gan_bench.study.plan import plan
from gan_bench.study.study_file import StudyError, read_study_file
from gan_bench.workflow.estimate import (
    format_duration,
)
from gan_bench.workflow.progress import done_runs, trained_runs
from gan_bench.workflow.run import (
    _may_hold_stale_lock,
    announce,
    is_dry_run,
    run_study,
    snakemake_cores,
)


def test_run_unlocks_only_when_snakemake_may_hold_a_stale_lock(tmp_path):
    """`snakemake --unlock` costs a Snakemake start (~2 s), so it runs only where needed."""
    assert not _may_hold_stale_lock(tmp_path, [])  # never run here
    locks = tmp_path / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    assert not _may_hold_stale_lock(tmp_path, [])  # a clean exit leaves the folder empty
    assert _may_hold_stale_lock(tmp_path, ["--persistence-backend", "db"])
    (locks / "0.output.lock").write_text("results/x\n")  # what a killed run leaves
    assert _may_hold_stale_lock(tmp_path, [])
    (locks / "0.output.lock").unlink()
    (tmp_path / ".snakemake" / "metadata.db").write_bytes(b"")  # the database backend
    assert _may_hold_stale_lock(tmp_path, [])


# --------------------------------------------------------------------------- estimate arithmetic


def test_snakemake_cores_and_dry_runs_are_read_from_its_arguments():
    assert snakemake_cores(["--cores", "3"]) == 3
    assert snakemake_cores(["--cores=5", "-n"]) == 5
    assert snakemake_cores(["-j4"]) == 4
    assert snakemake_cores(["-c", "2", "--cores", "6"]) == 6  # the last one wins
    assert (
        snakemake_cores([]) == snakemake_cores(["--cores", "all"]) == len(os.sched_getaffinity(0))
    )
    assert is_dry_run(["-n"]) and is_dry_run(["--dry-run"]) and is_dry_run(["-np"])
    assert not is_dry_run(["--cores", "2", "--notemp", "-p"])


# --------------------------------------------------------------------------- the plan printed


def test_printed_plan_counts_runs_done_and_to_train_and_names_the_results(tiny_plan, tmp_path):
    out = io.StringIO()
    assert announce(tiny_plan, tmp_path, ["-n"], out) is None
    text = out.getvalue()
    assert "study tiny: 2 cells x 2 seeds = 4 runs; 0 done already, 4 to train" in text
    assert f"results land in {tmp_path.resolve() / 'results' / 'tiny'}/" in text
    assert f"{len(os.sched_getaffinity(0))} cores, one job each" in text
    assert "no estimate (dry run)" in text
    finish_run(tiny_plan, tmp_path, "g_output-tanh", 0)
    finish_run(tiny_plan, tmp_path, "g_output-tanh", 1, status="diverged")
    RunFolder(tmp_path / tiny_plan.run_dir("g_output-sigmoid", 0)).root.mkdir(parents=True)
    write_json(RunFolder(tmp_path / tiny_plan.run_dir("g_output-sigmoid", 0)).run, {"status": "x"})
    out = io.StringIO()
    announce(tiny_plan, tmp_path, ["-n"], out)
    assert "4 runs; 2 done already, 2 to train" in out.getvalue()  # unfinished runs not counted


def test_printed_plan_counts_runs_whose_scores_were_deleted_as_to_score(tiny_plan, tmp_path):
    """Re-scoring a study (its scores.json files deleted) trains nothing: no run is counted
    as to train, and no training steps are timed for an estimate."""
    for cell, seed in tiny_plan.runs:
        finish_run(tiny_plan, tmp_path, cell, seed)
    RunFolder(tmp_path / tiny_plan.run_dir("g_output-tanh", 0)).scores.unlink()
    out = io.StringIO()
    assert announce(tiny_plan, tmp_path, ["--cores", "2"], out) is None
    text = out.getvalue()
    assert "4 runs; 3 done already, 0 to train, 1 to score" in text
    assert "no estimate (nothing left to train)" in text and "timing" not in text


def test_a_real_run_counts_as_done(tiny_plan, tmp_path):
    from gan_bench.study.design import find_cell
    from gan_bench.study.study_file import run_config
    from gan_bench.train.runner import train_run

    cell = find_cell(tiny_plan.study, "g_output-tanh")
    folder = tmp_path / tiny_plan.run_dir(cell.id, 0)
    train_run(run_config(tiny_plan.study, cell.id, cell.tricks, 0), folder, "cpu", 1, False)
    assert done_runs(tiny_plan, tmp_path) == set()  # trained but not scored yet
    assert trained_runs(tiny_plan, tmp_path) == {("g_output-tanh", 0)}
    write_json(RunFolder(folder).scores, {"status": "completed", "metrics": {}})
    assert done_runs(tiny_plan, tmp_path) == {("g_output-tanh", 0)}


def test_printed_estimate_is_measured_here_and_lists_its_assumptions(tiny_plan, tmp_path):
    out = io.StringIO()
    started = time.perf_counter()
    estimate = announce(tiny_plan, tmp_path, ["--cores", "2"], out)
    assert time.perf_counter() - started < 20  # a few timed steps, not a run
    text = out.getvalue()
    assert estimate is not None and estimate.cores == 2
    assert f"about {format_duration(estimate.wall_seconds)} on 2 cores" in text
    assert "ms/step" in text and "start-up and scoring" in text
    assert set(estimate.run_seconds) == set(tiny_plan.runs)
    assert all(seconds > estimate.overhead for seconds in estimate.run_seconds.values())
    assert "quick" not in text  # a tiny study needs no first look
    finish_run(tiny_plan, tmp_path, "g_output-tanh", 0)
    assert set(announce(tiny_plan, tmp_path, [], io.StringIO()).run_seconds) == set(
        tiny_plan.runs[1:]
    )


@pytest.mark.parametrize("emulated", [True, False])
def test_bf16_on_a_cpu_without_bf16_units_is_named(tmp_path, write_study, monkeypatch, emulated):
    """Emulated bf16 is many times slower than fp32: the plan says why, not only how long."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("gan_bench.workflow.run.bf16_is_emulated", lambda: emulated)
    train = {"steps": 2, "batch_size": 16, "log_every": 1, "precision": "bf16"}
    bf16 = plan(write_study(tiny_study(seeds=[0], train=train)))
    out = io.StringIO()
    announce(bf16, tmp_path, ["--cores", "1"], out)
    assert ("train.precision is bf16 but this CPU has no bf16 units" in out.getvalue()) is emulated


# --------------------------------------------------------------------------- progress


# --------------------------------------------------------------------------- the run limit


def _snakemake_dry_run(workdir: Path, config: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE), "--directory",
               str(workdir), "--cores", "1", "--configfile", str(config), "-n"]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=workdir)


def test_max_runs_reaches_the_snakefiles_own_plan_check(tmp_path, write_study, monkeypatch):
    study = write_study(tiny_study(seeds=[0, 1, 2]))  # 6 runs
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StudyError, match="6 runs, over the limit of 5"):
        run_study(str(study), ["-n"], max_runs=5)
    assert run_study(str(study), ["-n", "--quiet"], max_runs=6) == 0
    config = tmp_path / ".snakemake" / "gan-bench-study.yaml"
    assert read_study_file(config) == {"study": str(study.resolve()), "max_runs": 6}
    write_json(config, {"study": str(study.resolve()), "max_runs": 5})
    refused = _snakemake_dry_run(tmp_path, config)
    assert refused.returncode != 0
    assert "over the limit of 5 runs" in refused.stdout + refused.stderr


@pytest.mark.slow
def test_a_colour_imagefolder_study_runs_end_to_end_scored_by_the_domain_extractor(tmp_path):
    """`gan-bench run` (Snakemake really runs) on 3 classes x 24 RGB PNGs in torchvision's
    ImageFolder layout: the classifier learns the labels from the sub-folders, G trains on
    3 channels, scores.json has the domain extractor's FID, the samples and the report's
    mosaic are in colour."""
    import numpy as np
    from PIL import Image

    from gan_bench.files import load_torch, read_json
    from gan_bench.folders import StudyFolder
    from gan_bench.train.models import build_models

    images = write_image_folder(tmp_path / "shapes", classes=3, per_class=24)
    raw = tiny_study(
        name="colour",
        dataset={"name": "folder", "path": str(images), "image_size": 16, "channels": 3},
        eval={"num_samples": 64, "extractor": "domain"},
        train={"steps": 60, "batch_size": 16, "lr": 1e-3, "log_every": 20, "checkpoint_every": 60},
        design="cells",
        factors={},
        cells=[{}],
    )
    study = tmp_path / "colour.yaml"
    study.write_text(yaml.safe_dump(raw, sort_keys=False))
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "gan_bench", "run", str(study), "--cores", "1"]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    folder = StudyFolder(tmp_path / "results" / "colour")
    evaluator = read_json(folder.evaluator)
    assert evaluator["extractors"] == ["cnn"]
    assert evaluator["classifier"]["num_classes"] == 3
    assert evaluator["classifier"]["accuracy"] >= evaluator["classifier"]["min_accuracy"]
    [run] = [folder.run(cell, 0) for cell in (p.name for p in folder.runs.iterdir())]
    config = read_json(run.config)
    generator, _ = build_models(config, channels=3)
    generator.load_state_dict(load_torch(run.generator))  # G was built for 3 channels
    with pytest.raises(RuntimeError, match="size mismatch"):
        build_models(config, channels=1)[0].load_state_dict(load_torch(run.generator))
    scores = read_json(run.scores)
    assert scores["status"] == "completed" and scores["extractors"] == ["cnn"]
    assert np.isfinite(scores["metrics"]["fid_cnn_64"])
    assert 1 <= scores["metrics"]["modes_hit_cnn_64"] <= 3  # mode coverage: the labels' classes
    assert scores["metric_info"]["fid_cnn_64"]["extractor"] == "cnn"
    for png in (run.samples, folder.figures / "samples.png"):  # the run's and the report's
        assert Image.open(png).mode in ("RGB", "RGBA"), png
        red, green, blue = np.asarray(Image.open(png).convert("RGB")).astype(int).transpose(2, 0, 1)
        coloured = (abs(red - green) + abs(blue - green) > 60).mean()  # 60 steps: ~0.3 and ~0.1
        assert coloured > 0.02, f"{png} is grey ({coloured:.3f} of its pixels in colour)"
    assert folder.report.stat().st_size > 10_000
