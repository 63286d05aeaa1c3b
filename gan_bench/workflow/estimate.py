"""What a study will cost on this machine, said before it starts.

The estimate: time a few real training steps (gan_bench/train/trainer.py's Trainer, torch on
one thread, as each train job runs: the Snakefile's `threads: 1`) of the study's cheapest and
dearest cells; turn every cell's step into seconds through its multiply-accumulates
(gan_bench/study/cost.py), on the line through the two timed cells; add each train job's
start-up and scoring; and schedule the runs dearest first (the Snakefile's `priority:`) over
the cores, one job per core. Each number it rests on is printed with it.
"""

from __future__ import annotations

import csv
import heapq
import os
import platform
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gan_bench.files import read_json
from gan_bench.folders import StudyFolder
from gan_bench.study.cost import step_macs
from gan_bench.study.design import cells
from gan_bench.study.plan import Plan
from gan_bench.study.study_file import run_config

# Seconds a train job spends besides its training steps: Python, torch and the data loaded
# in a fresh process, scoring (2000 samples), final files. `gan-bench train --score` of a
# 20-step default-study run took 5.3-6.3 CPU seconds on a Xeon (Sapphire Rapids class) in
# 2026-11; benchmarks/RESULTS.md has 7.8 + 0.9 s per job on the machine of session 3.
# Replaced by the median of this study's own earlier jobs where their benchmark files exist.
JOB_OVERHEAD_S = 6.0
# Per study: Snakemake's start, the evaluator (a cached classifier), aggregate and report.
STUDY_OVERHEAD_S = 20.0
LONG_STUDY_S = 15 * 60  # above this, the quick study is named as a first look
TIMING_BUDGET_S = 0.3  # CPU seconds per timed cell after the warm-up steps (1 s wall at most)
WARMUP_STEPS = 2
Run = tuple[str, int]  # (cell id, seed)


@dataclass(frozen=True)
class StepTiming:
    """One timed cell: MACs of its training step and measured seconds per step."""

    cell: str
    macs: int
    seconds: float


@dataclass(frozen=True)
class Estimate:
    """Wall time of the runs left to train, and what it assumes."""

    wall_seconds: float
    cores: int
    run_seconds: dict[Run, float]  # per run still to train
    timings: tuple[StepTiming, ...]
    overhead: float  # per train job
    overhead_measured: bool  # from this study's earlier jobs (else JOB_OVERHEAD_S)


def seconds_per_step(macs: int, timings: Iterable[StepTiming]) -> float:
    """A step's seconds from its MACs: on the line through the cheapest and dearest timed
    cells (fixed costs such as the optimiser do not grow with MACs); proportional to MACs
    at their mean rate when there is one timing, or the line would not rise."""
    ordered = sorted(timings, key=lambda timing: timing.macs)
    low, high = ordered[0], ordered[-1]
    if high.macs > low.macs and high.seconds > low.seconds:
        slope = (high.seconds - low.seconds) / (high.macs - low.macs)
        intercept = max(low.seconds - slope * low.macs, 0.0)
        return intercept + slope * macs
    rate = sum(t.seconds for t in ordered) / sum(t.macs for t in ordered)
    return rate * macs


def makespan(durations: Iterable[float], cores: int) -> float:
    """Wall time of jobs run longest first, each on the core that frees up first (Snakemake
    starting ready jobs by priority, one thread each)."""
    finish = [0.0] * max(cores, 1)
    for duration in sorted(durations, reverse=True):
        heapq.heapreplace(finish, finish[0] + duration)
    return max(finish)


def estimate_runs(
    runs: dict[Run, tuple[int, int]],
    timings: Iterable[StepTiming],
    cores: int,
    overhead: float = JOB_OVERHEAD_S,
    study_overhead: float = STUDY_OVERHEAD_S,
) -> tuple[float, dict[Run, float]]:
    """Wall seconds and per-run seconds for `runs`: (cell, seed) -> (steps, MACs per step)."""
    timings = tuple(timings)
    per_run = {
        run: steps * seconds_per_step(macs, timings) + overhead
        for run, (steps, macs) in runs.items()
    }
    wall = makespan(per_run.values(), cores) + study_overhead if per_run else 0.0
    return wall, per_run


def dataset_channels(spec: dict[str, Any]) -> int:
    """Image channels without loading the data (gan_bench/train/data.py decides them)."""
    if spec["name"] == "cifar10":
        return 3
    return int(spec.get("channels", 3)) if spec["name"] == "folder" else 1


def run_work(plan: Plan, to_train: Iterable[Run]) -> dict[Run, tuple[int, int]]:
    """(steps, MACs per step) of each run still to train."""
    channels = dataset_channels(plan.study.dataset)
    steps = plan.study.train["steps"]
    macs = {
        cell.id: step_macs(run_config(plan.study, cell.id, cell.tricks, 0), channels)
        for cell in cells(plan.study)
    }
    return {run: (steps, macs[run[0]]) for run in to_train}


def cheapest_and_dearest(plan: Plan, work: dict[Run, tuple[int, int]]) -> list[dict[str, Any]]:
    """Run configs of the cheapest and the dearest cell among `work` (one when equal)."""
    by_cost = sorted({(macs, cell) for (cell, _), (_, macs) in work.items()})
    chosen = {by_cost[0][1], by_cost[-1][1]} if by_cost[0][0] < by_cost[-1][0] else {by_cost[0][1]}
    study_cells = {cell.id: cell for cell in cells(plan.study) if cell.id in chosen}
    return [run_config(plan.study, c.id, c.tricks, 0) for c in study_cells.values()]


def time_steps(config: dict[str, Any], channels: int, budget: float = TIMING_BUDGET_S) -> float:
    """Seconds per training step of this config: the real Trainer, one CPU thread, random
    images of the study's shape (a step's cost does not depend on the pixels). It counts
    this process's CPU time, not the clock, so other work on the machine does not inflate
    it: the estimate is for the machine with its cores to itself."""
    import warnings

    import torch

    from gan_bench.train.trainer import Trainer

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. padding='same' with an even kernel
            size, batch = config["dataset"]["image_size"], config["train"]["batch_size"]
            real = torch.rand(2 * batch, channels, size, size) * 2 - 1
            trainer = Trainer(config, torch.device("cpu"), real, channels)
            return _cpu_seconds_per_step(trainer, trainer.new_state(), budget)
    finally:
        torch.set_num_threads(threads)


def _cpu_seconds_per_step(trainer: Any, state: Any, budget: float) -> float:
    for _ in range(WARMUP_STEPS):  # allocator and oneDNN set-up
        trainer.step(state)
    steps, started, wall = 0, time.process_time(), time.perf_counter()
    while steps < 3 or (
        time.process_time() - started < budget and time.perf_counter() - wall < 3 * budget
    ):  # the wall-clock cap keeps a busy machine from stretching the wait
        trainer.step(state)
        steps += 1
    state.first_bad.item()  # wait for the device, as the loop does at log points
    return (time.process_time() - started) / steps


def measured_overhead(plan: Plan, workdir: Path) -> float | None:
    """Median seconds per train job beyond training, from this study's earlier jobs:
    Snakemake's benchmark file (wall seconds `s`) minus run.json's training `seconds`."""
    extra = []
    folder = StudyFolder(workdir / plan.results_dir)
    for cell, seed in plan.runs:
        bench, run = folder.train_benchmark(cell, seed), folder.run(cell, seed).run
        if not (bench.is_file() and run.is_file()):
            continue
        try:
            with bench.open(encoding="utf-8") as handle:
                wall = float(next(csv.DictReader(handle, delimiter="\t"))["s"])
            extra.append(wall - float(read_json(run)["seconds"]))
        except (OSError, ValueError, KeyError, StopIteration):
            continue
    return statistics.median(extra) if extra else None


def estimate_study(plan: Plan, to_train: list[Run], cores: int, workdir: Path) -> Estimate:
    """Time the cheapest and dearest cells left to train, then estimate every run."""
    work = run_work(plan, to_train)
    channels = dataset_channels(plan.study.dataset)
    timings = tuple(
        StepTiming(c["cell"], step_macs(c, channels), time_steps(c, channels))
        for c in cheapest_and_dearest(plan, work)
    )
    measured = measured_overhead(plan, workdir)
    overhead = JOB_OVERHEAD_S if measured is None else max(measured, 0.0)
    wall, per_run = estimate_runs(work, timings, cores, overhead)
    return Estimate(wall, cores, per_run, timings, overhead, measured is not None)


def cpu_model() -> str:
    """The CPU's name from /proc/cpuinfo (Linux), else what the platform says."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "this CPU"


def cpu_has_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool | None:
    """Whether this CPU has bf16 units (AVX512-BF16 or AMX-BF16 in /proc/cpuinfo's flags);
    None where that cannot be read. Without them bf16 autocast is emulated, measured ~16x
    slower than fp32 per step (benchmarks/RESULTS.md, Zen 1)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return bool(flags & {"avx512_bf16", "amx_bf16"})
    return None


def bf16_is_emulated() -> bool:
    """True where training would run on this CPU (no GPU) and the CPU has no bf16 units."""
    import torch

    return not torch.cuda.is_available() and cpu_has_bf16() is False


def available_cores() -> int:
    """What Snakemake's `--cores all` uses: the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def format_duration(seconds: float) -> str:
    """Rounded for people: '40 s', '12 min', '1 h 25 min'."""
    if seconds < 60:
        return f"{max(round(seconds), 1)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def campaign_wall(estimates: Iterable[Estimate], cores: int) -> float:
    """Wall seconds of several studies' runs in one Snakemake (a campaign's members): every
    run in one queue over the cores, dearest first, plus each study's own jobs."""
    estimates = list(estimates)
    durations = [seconds for estimate in estimates for seconds in estimate.run_seconds.values()]
    return makespan(durations, cores) + STUDY_OVERHEAD_S * len(estimates) if durations else 0.0
