"""Which runs of a study are done, and a progress line while Snakemake works on the rest.

A run is done when its folder holds a finished run.json (completed or diverged) and its
scores.json, both readable: what the Snakefile's train rule leaves behind. The progress
thread only reads the run folders, so it needs nothing from Snakemake and cannot disturb it.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from gan_bench.errors import BadInput
from gan_bench.files import read_run_record, read_scores
from gan_bench.folders import RunFolder
from gan_bench.study.plan import Plan
from gan_bench.workflow.estimate import format_duration

PROGRESS_EVERY_S = 30.0
Run = tuple[str, int]


def _readable(read, path: Path) -> bool:
    """Whether `path` is there and in the shape `read` (gan_bench/files.py) expects."""
    if not path.is_file():
        return False
    try:
        read(path)
    except (OSError, BadInput):  # half-written, damaged, or not what gan-bench writes
        return False
    return True


def run_is_trained(run_dir: Path) -> bool:
    """run.json says completed or diverged: a train job on it only scores."""
    return _readable(read_run_record, RunFolder(run_dir).run)


def run_is_done(run_dir: Path) -> bool:
    """run.json says completed or diverged, and scores.json is readable."""
    return _readable(read_scores, RunFolder(run_dir).scores) and run_is_trained(run_dir)


def done_runs(plan: Plan, workdir: Path) -> set[Run]:
    """The plan's runs whose folders (under `workdir`) hold a finished, scored run."""
    return {
        (cell, seed) for cell, seed in plan.runs if run_is_done(workdir / plan.run_dir(cell, seed))
    }


def trained_runs(plan: Plan, workdir: Path) -> set[Run]:
    """The plan's runs whose folders hold a finished run, scored or not (e.g. its scores.json
    deleted to re-score it: no training left, only scoring)."""
    return {
        (cell, seed)
        for cell, seed in plan.runs
        if run_is_trained(workdir / plan.run_dir(cell, seed))
    }


def remaining_seconds(elapsed: float, done_share: float, estimate: float | None) -> float | None:
    """Time left: the pace so far over the share of the work done (runs weighted by their
    estimated seconds); before any run is done, the estimate less the time spent."""
    if done_share > 0:
        return elapsed * (1 - done_share) / done_share
    if estimate is None:
        return None
    return max(estimate - elapsed, 0.0)


class Progress:
    """A background thread printing `runs done / total` and the time left every `every`
    seconds; `stop()` (or leaving the `with` block) ends it at once. `plan` may be several
    (a campaign's members), each with its own `weights`."""

    def __init__(
        self,
        plan: Plan | list[Plan],
        workdir: Path,
        weights: dict[Run, float] | list[dict[Run, float]] | None = None,
        estimate: float | None = None,
        every: float = PROGRESS_EVERY_S,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.plans = [plan] if isinstance(plan, Plan) else list(plan)
        self.workdir, self.every = workdir, every
        given = weights if isinstance(weights, list) else [weights or {}] * len(self.plans)
        before = [done_runs(plan, workdir) for plan in self.plans]
        self.weights = {
            (index, *run): given[index].get(run, 1.0)
            for index, run in self._runs()
            if run not in before[index]
        }
        self.estimate, self.stream, self.clock = estimate, stream or sys.stderr, clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="gan-bench-progress", daemon=True)
        self.started = clock()

    def _runs(self) -> list[tuple[int, Run]]:
        return [(index, run) for index, plan in enumerate(self.plans) for run in plan.runs]

    def line(self) -> str:
        """One progress line from the run folders as they are now."""
        done = {
            (i, *run) for i, plan in enumerate(self.plans) for run in done_runs(plan, self.workdir)
        }
        total_weight = sum(self.weights.values()) or 1.0
        share = sum(w for run, w in self.weights.items() if run in done) / total_weight
        left = remaining_seconds(self.clock() - self.started, share, self.estimate)
        runs = len(self._runs())
        text = f"gan-bench: {len(done)}/{runs} runs done"
        if len(done) < runs and left is not None:
            text += f", about {format_duration(left)} left"
        return text

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                print(self.line(), file=self.stream, flush=True)
            except (OSError, ValueError):  # a closed stream: stay quiet
                return

    def start(self) -> Progress:
        self.started = self.clock()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def __enter__(self) -> Progress:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
