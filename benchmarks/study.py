"""Wall time of a whole study through Snakemake, and where it goes.

Runs `gan-bench run STUDY` (what `make run` does) in a fresh working folder, then splits the
machine's time (wall time x cores) using the Snakefile's per-job `benchmark:` records and
the runs' own clocks:

- training: the training loops (run.json `seconds`);
- scoring: `score_run`, which a train job runs after training (scores.json `seconds`);
- train jobs, other: the rest of each train job's wall time (process start-up, imports,
  loading data, final files);
- evaluator, aggregate, report: those jobs' wall time;
- Snakemake overhead and idle cores: everything else (DAG building, job dispatch, cores
  left idle while the last jobs finish).

Also prints the study's training throughput in seed-steps per second for the whole machine.
It is not a test.

    .venv/bin/python benchmarks/study.py ablations/quick.yaml [--cores 2] [--workdir DIR]
        [--cold-cache] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from gan_bench.study.plan import plan

REPO = Path(__file__).resolve().parent.parent


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def run_study(study: Path, workdir: Path, cores: int, env: dict[str, str]) -> float:
    """Seconds for `gan-bench run` from start to exit (raises if the study failed)."""
    command = [sys.executable, "-m", "gan_bench", "run", str(study), "--directory", str(workdir)]
    command += ["--cores", str(cores)]
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=REPO)
    return time.perf_counter() - started


def job_times(results: Path) -> pd.DataFrame:
    """One row per Snakemake job: rule, wall seconds and CPU seconds (benchmark: files)."""
    rows = []
    for tsv in sorted((results / "benchmarks").rglob("*.tsv")):
        record = pd.read_csv(tsv, sep="\t").iloc[-1]
        rule = tsv.relative_to(results / "benchmarks").parts[0]
        rows.append(
            {"rule": rule.removesuffix(".tsv"), "wall": record["s"], "cpu": record["cpu_time"]}
        )
    return pd.DataFrame(rows)


def run_records(results: Path, name: str) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(results.glob(f"runs/*/seed-*/{name}"))]


def time_split(results: Path, wall: float, cores: int) -> dict[str, float]:
    """Core-seconds by where they went; they add up to wall x cores."""
    jobs = job_times(results)
    by_rule = jobs.groupby("rule")["wall"].sum().to_dict()
    training = sum(run["seconds"] for run in run_records(results, "run.json"))
    scoring = sum(score.get("seconds", 0.0) for score in run_records(results, "scores.json"))
    split = {
        "training loops": training,
        "scoring (score_run)": scoring,
        "train jobs, other (start-up, imports, data, final files)": (
            by_rule["train"] - training - scoring
        ),
    }
    for rule in ("evaluator", "aggregate", "report"):
        split[f"{rule} job"] = by_rule.get(rule, 0.0)
    split["Snakemake overhead and idle cores"] = wall * cores - jobs["wall"].sum()
    return split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path)
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--workdir", type=Path, help="default: a new temporary folder")
    parser.add_argument(
        "--cold-cache",
        action="store_true",
        help="an empty GAN_BENCH_CACHE (dataset and classifier prepared from scratch)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    study = args.study.resolve()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="gan-bench-study-"))
    results = workdir / plan(study).results_dir
    if results.exists():
        sys.exit(f"{results} exists: a benchmark needs a study that has not run yet")
    env = os.environ.copy()
    if args.cold_cache:
        env["GAN_BENCH_CACHE"] = str(workdir / "cache")
    wall = run_study(study, workdir, args.cores, env)

    runs = run_records(results, "run.json")
    seed_steps = sum(run["step"] for run in runs)
    split = time_split(results, wall, args.cores)
    training = split["training loops"]
    print(f"\n{study.name}: {len(runs)} runs, {seed_steps} seed-steps, {args.cores} cores, "
          f"{cpu_name()}")  # fmt: skip
    print(f"wall time {wall:.0f} s ({wall / 60:.1f} min)\n")
    print(f"{'where the machine time went':<58}{'core-s':>9}{'share':>8}")
    for name, seconds in split.items():
        print(f"{name:<58}{seconds:>9.0f}{seconds / (wall * args.cores):>8.1%}")
    print(f"\nthroughput: {seed_steps / wall:.1f} seed-steps/s over the whole study, "
          f"{seed_steps / training * args.cores:.1f} while training (all cores)")  # fmt: skip
    if args.json:
        figures = {
            "study": study.name,
            "runs": len(runs),
            "seed_steps": seed_steps,
            "cores": args.cores,
            "cpu": cpu_name(),
            "wall_seconds": wall,
            "core_seconds": split,
        }
        args.json.write_text(json.dumps(figures, indent=2))
    print(f"\nresults in {results}")


if __name__ == "__main__":
    main()
