"""Which runs are done, and the progress line while Snakemake works on the rest."""

from __future__ import annotations

import io
import time
from dataclasses import replace

import pytest
from conftest import finish_run

from gan_bench.workflow.progress import Progress, remaining_seconds


def test_progress_reports_runs_done_and_stops_when_asked(tiny_plan, tmp_path):
    out = io.StringIO()
    weights = dict.fromkeys(tiny_plan.runs, 10.0)
    progress = Progress(tiny_plan, tmp_path, weights, estimate=40.0, every=0.02, stream=out)
    with progress:
        time.sleep(0.1)
        finish_run(tiny_plan, tmp_path, "g_output-tanh", 0)
        time.sleep(0.1)
        assert progress.running
    assert not progress.running
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("gan-bench: 0/4 runs done, about ")
    assert lines[-1].startswith("gan-bench: 1/4 runs done, about ")
    stopped_at = len(lines)
    time.sleep(0.1)
    assert len(out.getvalue().splitlines()) == stopped_at  # nothing after the stop


def test_progress_stops_when_snakemake_is_interrupted(tiny_plan, tmp_path):
    progress = Progress(tiny_plan, tmp_path, every=60, stream=io.StringIO())
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt), progress:
        raise KeyboardInterrupt
    assert not progress.running and time.perf_counter() - started < 5  # not a 60 s wait


def test_remaining_time_follows_the_pace_once_runs_finish():
    assert remaining_seconds(elapsed=10, done_share=0.0, estimate=100) == 90
    assert remaining_seconds(elapsed=200, done_share=0.0, estimate=100) == 0
    assert remaining_seconds(elapsed=30, done_share=0.25, estimate=100) == pytest.approx(90)
    assert remaining_seconds(elapsed=30, done_share=0.0, estimate=None) is None


def test_progress_counts_every_plan_of_a_campaign(tiny_plan, tmp_path):
    """A campaign's members: several plans (same cell ids, other folders), one count."""
    other = replace(tiny_plan, results_dir="results/other")
    out = io.StringIO()
    weights = [dict.fromkeys(tiny_plan.runs, 1.0), dict.fromkeys(other.runs, 3.0)]
    finish_run(other, tmp_path, "g_output-tanh", 0)  # done before: not weighed
    progress = Progress([tiny_plan, other], tmp_path, weights, estimate=40.0, stream=out)
    assert len(progress.weights) == 7 and progress.weights[(1, "g_output-tanh", 1)] == 3.0
    finish_run(tiny_plan, tmp_path, "g_output-tanh", 0)
    assert progress.line().startswith("gan-bench: 2/8 runs done, about ")
