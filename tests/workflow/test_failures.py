"""A failed job's reason reaches the user: `gan-bench run` prints what the job's log says."""

from __future__ import annotations

import os
import time

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


# A failed job's reason printed by a real `gan-bench run`: tests/test_hardening.py.
