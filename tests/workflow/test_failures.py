"""A failed job's reason reaches the user: `gan-bench run` prints what the job's log says."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import tiny_study

from gan_bench.files import write_json
from gan_bench.folders import StudyFolder
from gan_bench.workflow.failures import MAX_JOBS, failure_lines, reason


def test_the_reason_is_gan_benchs_error_message_else_a_tracebacks_last_line(tmp_path):
    log = tmp_path / "job.log"
    log.write_text("loading\ngan-bench: error: s.yaml: train.steps: bad\ns.yaml: seeds: bad\n")
    assert reason(log) == "s.yaml: train.steps: bad\ns.yaml: seeds: bad"
    log.write_text("Traceback (most recent call last):\n  File x\nValueError: boom\n\n")
    assert reason(log) == "ValueError: boom"
    log.write_text("gan-bench: run: completed (1.0 s)\n")
    assert reason(log) is None
    assert reason(tmp_path / "missing.log") is None


def test_only_logs_written_since_the_run_began_are_read_and_few_are_printed(tmp_path):
    folder = StudyFolder(tmp_path / "tiny")
    assert failure_lines(folder, 0.0) == []
    old = folder.logs / "train" / "old.log"
    old.parent.mkdir(parents=True)
    old.write_text("gan-bench: error: from an earlier run\n")
    os.utime(old, (time.time() - 100, time.time() - 100))
    since = time.time() - 10
    for k in range(MAX_JOBS + 2):
        (folder.logs / "train" / f"seed-{k}.log").write_text(f"gan-bench: error: job {k}\n")
    lines = failure_lines(folder, since)
    assert len(lines) == MAX_JOBS + 1 and "earlier" not in "".join(lines)
    assert lines[0].startswith("job failed (") and lines[0].endswith("): job 0")
    assert lines[-1].startswith("... and 2 more failed jobs")


@pytest.mark.slow
def test_run_prints_why_a_train_job_failed(tmp_path):
    """A run folder left by another configuration: the train job refuses it (exit 2 in the
    job), Snakemake fails, and `gan-bench run` prints the job's reason naming config.json."""
    raw = tiny_study(design="cells", factors={}, cells=[{}])
    study = tmp_path / "s.yaml"
    study.write_text(yaml.safe_dump(raw))
    folder = StudyFolder(tmp_path / "results" / "tiny").run("baseline", 0)
    write_json(folder.config, {"cell": "baseline", "seed": 0, "train": {"steps": 99}})
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "gan_bench", "run", str(study), "--cores", "2"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert "gan-bench: job failed (results/tiny/logs/train/baseline/seed-0.log): " in done.stderr
    assert "config.json: this run folder holds a different configuration" in done.stderr
