"""A round of `gan-bench run`: the study through Snakemake, on the Snakefile shipped in the
package. gan_bench/workflow/sequence.py makes the rounds, one per look of the study's
schedule: a fixed-seed study's one look (the study's seeds), or each look of a sequence run
`--until-decided` (its seeds replace the study's).

The study goes to Snakemake as a config file; everything Snakemake needs to decide (runs,
folders, priorities) comes from gan_bench.study.plan, so this module only starts it, keeps
one `gan-bench run` per folder, clears a stale lock that a killed run left behind, and sets
damaged results files aside so that Snakemake rebuilds them (gan_bench/workflow/repair.py).
Before Snakemake starts it says what the study will cost (gan_bench/workflow/estimate.py),
and while Snakemake runs, how far it got (gan_bench/workflow/progress.py). A campaign's
members go through the same round, all in one Snakemake (gan_bench/workflow/campaign.py).
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from gan_bench.analysis.preflight import checked_plan
from gan_bench.errors import BadInput
from gan_bench.folders import StudyFolder
from gan_bench.study.fingerprint import check_results_folder
from gan_bench.study.plan import DEFAULT_MAX_RUNS, Plan
from gan_bench.workflow.estimate import (
    LONG_STUDY_S,
    STUDY_OVERHEAD_S,
    Estimate,
    available_cores,
    bf16_is_emulated,
    cpu_model,
    estimate_study,
    format_duration,
)
from gan_bench.workflow.failures import failure_lines
from gan_bench.workflow.progress import (
    PROGRESS_EVERY_S,
    Progress,
    Run,
    done_runs,
    trained_runs,
)
from gan_bench.workflow.repair import repair

DRY_RUN_FLAGS = ("-n", "--dry-run", "--dryrun")
CORES_FLAGS = ("--cores", "-c", "--jobs", "-j")


def pop_option(argv: list[str], flag: str) -> tuple[list[str], str | None]:
    """`argv` without `flag VALUE` / `flag=VALUE`, and the value (the last one given).
    `gan-bench run STUDY --max-runs N`: argparse hands everything after the study to
    Snakemake, so our own options are taken back out of that remainder here."""
    rest, value, index = [], None, 0
    while index < len(argv):
        item = argv[index]
        if item == flag:
            if index + 1 == len(argv):
                raise BadInput(f"{flag}: expected a value")
            value, index = argv[index + 1], index + 2
            continue
        if item.startswith(flag + "="):
            value = item.split("=", 1)[1]
        else:
            rest.append(item)
        index += 1
    return rest, value


def pop_number(argv: list[str], flag: str, given: int | None) -> tuple[list[str], int | None]:
    """pop_option for a whole number >= 1 (else `given`, argparse's); a bad one names the flag."""
    rest, text = pop_option(argv, flag)
    if text is None:
        return rest, given
    if not text.strip().isdigit() or int(text) < 1:
        raise BadInput(f"{flag}: must be a whole number >= 1, got {text!r}")
    return rest, int(text)


def workdir_of(snakemake_args: list[str]) -> Path:
    """The folder Snakemake will work in: its --directory/-d argument, else here."""
    for flag in ("--directory", "-d"):
        if flag in snakemake_args[:-1]:
            return Path(snakemake_args[snakemake_args.index(flag) + 1])
    return Path.cwd()


def _may_hold_stale_lock(workdir: Path, snakemake_args: list[str]) -> bool:
    """Whether `snakemake --unlock` is needed first. Snakemake's default (file) backend keeps
    its locks as files in .snakemake/locks; an unlock costs a whole Snakemake start (~2 s),
    so it runs only when such files exist, or when a database backend may hold the locks."""
    dot = workdir / ".snakemake"
    locks = dot / "locks"
    if locks.is_dir() and any(locks.iterdir()):
        return True
    return (dot / "metadata.db").exists() or any(
        arg.startswith("--persistence-backend") for arg in snakemake_args
    )


def snakemake_cores(snakemake_args: list[str]) -> int:
    """The cores Snakemake will use: the last --cores/-c/--jobs/-j given (after our own
    `--cores all`), where `all` (and no number) means every CPU this process may use."""
    value = "all"
    for index, arg in enumerate(snakemake_args):
        for flag in CORES_FLAGS:
            if arg == flag and index + 1 < len(snakemake_args):
                value = snakemake_args[index + 1]
            elif arg.startswith(flag + "=") or (len(flag) == 2 and arg[:2] == flag and arg[2:]):
                value = arg[len(flag) :].lstrip("=")
    return int(value) if value.isdigit() and int(value) > 0 else available_cores()


def is_dry_run(snakemake_args: list[str]) -> bool:
    """-n/--dry-run, alone or among combined short flags (-np)."""
    return any(
        arg in DRY_RUN_FLAGS or re.fullmatch(r"-[A-Za-z]*n[A-Za-z]*", arg) is not None
        for arg in snakemake_args
    )


def announce(
    study_plan: Plan, workdir: Path, snakemake_args: list[str], out: TextIO | None = None
) -> Estimate | None:
    """Print the plan (runs, runs done, runs to train or only to score, where results land)
    and, unless this is a dry run or nothing is left to train, the estimated wall time on
    this machine."""
    out = out or sys.stdout
    done, to_train, to_score = plan_counts(study_plan, workdir)
    results = (workdir / study_plan.results_dir).resolve()
    say = sayer(out)
    say(f"study {study_plan.study.name}: {runs_text(study_plan, workdir)}")
    cores = snakemake_cores(snakemake_args)
    say(f"results land in {results}/ (report.html when done); {cores} cores, one job each")
    if is_dry_run(snakemake_args) or not to_train:
        say("no estimate (" + ("dry run)" if to_train else "nothing left to train)"))
        return None
    say("timing a few training steps on this machine ...")
    estimate = estimate_study(study_plan, to_train, cores, workdir)
    say(f"estimated wall time: about {format_duration(estimate.wall_seconds)} on {cores} cores")
    for line in assumptions(estimate):
        print(f"    {line}", file=out)
    if study_plan.study.train.get("precision") == "bf16" and bf16_is_emulated():
        say(
            "train.precision is bf16 but this CPU has no bf16 units (AVX512-BF16, AMX): "
            "CPU runs emulate it, many times slower than fp32 (set train.precision: fp32)"
        )
    if estimate.wall_seconds > LONG_STUDY_S and study_plan.study.name != "quick":
        say(f"for a first look in minutes, run the quick study first: {_quick_study()}")
    return estimate


def plan_counts(study_plan: Plan, workdir: Path) -> tuple[set[Run], list[Run], int]:
    """The plan's runs done, those left to train, and how many are trained but not scored."""
    done, trained = done_runs(study_plan, workdir), trained_runs(study_plan, workdir)
    return done, [run for run in study_plan.runs if run not in trained], len(trained - done)


def runs_text(study_plan: Plan, workdir: Path) -> str:
    """'2 cells x 3 seeds = 6 runs; 2 done already, 4 to train' (and those only to score)."""
    done, to_train, to_score = plan_counts(study_plan, workdir)
    n_cells, n_seeds = len(set(study_plan.cell_ids)), len(study_plan.study.seeds)
    return (
        f"{n_cells} cells x {n_seeds} seeds = {len(study_plan.runs)} runs; {len(done)} done "
        f"already, {len(to_train)} to train" + (f", {to_score} to score" if to_score else "")
    )


def sayer(out: TextIO):
    def say(text: str) -> None:
        print(f"gan-bench: {text}", file=out, flush=True)

    return say


def _quick_study() -> str:
    """`gan-bench run quick`, with its size read from the built-in study file."""
    from gan_bench.resources import builtin_studies
    from gan_bench.study.plan import count_cells
    from gan_bench.study.study_file import load_study

    try:
        quick = load_study(builtin_studies()["quick"])
    except (KeyError, BadInput):
        return "`gan-bench run quick`"
    runs = count_cells(quick) * len(quick.seeds)
    return f"`gan-bench run quick` ({runs} runs of {quick.train['steps']} steps)"


def timed_text(estimate: Estimate) -> str:
    """The steps timed: 'cheapest cell 20.1 ms/step, dearest 48.0 ms/step'."""
    ordered = sorted(estimate.timings, key=lambda timing: timing.macs)
    labels = ("cheapest cell", "dearest") if len(ordered) > 1 else ("one step",)
    return ", ".join(
        f"{label} {1000 * timing.seconds:.1f} ms/step"
        for label, timing in zip(labels, ordered, strict=False)
    )


def assumptions(estimate: Estimate) -> list[str]:
    """What the estimate rests on, one line each."""
    timed = timed_text(estimate)
    overhead = "measured on this study's earlier jobs" if estimate.overhead_measured else "typical"
    return [
        f"{estimate.cores} jobs at a time (1 CPU thread each, dearest runs first) on an otherwise"
        " idle machine",
        f"timed here ({cpu_model()}, CPU time): {timed};",
        "other cells scaled by their convolution MACs (gan_bench/study/cost.py)",
        f"+ {estimate.overhead:.0f} s per run for start-up and scoring ({overhead}),",
        f"+ {STUDY_OVERHEAD_S:.0f} s for Snakemake, the evaluator, aggregate and report",
    ]


def run_study(
    study: str,
    snakemake_args: list[str],
    max_runs: int = DEFAULT_MAX_RUNS,
    progress_every: float = PROGRESS_EVERY_S,
    seeds: list[int] | None = None,
) -> int:
    """One round of gan_bench/workflow/sequence.py: Snakemake over the study (with `seeds`,
    a sequence's look, instead of the study's)."""
    # a bad or huge study fails here, before Snakemake starts
    study_plan = checked_plan(study, max_runs=max_runs, seeds=seeds)
    config = {"study": str(Path(study).resolve()), "max_runs": max_runs}
    dry = is_dry_run(snakemake_args)

    def prepare(workdir: Path) -> tuple[float, list[dict[Run, float]]] | None:
        folder = StudyFolder(workdir / study_plan.results_dir)  # a changed study stops here
        check_results_folder(study_plan.study, folder, record=not dry)
        repair(study_plan, workdir, dry)  # damaged files: rebuilt
        estimate = announce(study_plan, workdir, snakemake_args)
        return None if estimate is None else (estimate.wall_seconds, [estimate.run_seconds])

    seeded = config | ({"seeds": list(seeds)} if seeds is not None else {})
    code, started = snakemake_round(seeded, [study_plan], snakemake_args, prepare, progress_every)
    results = (workdir_of(snakemake_args) / study_plan.results_dir).resolve()
    if code == 0:
        print(f"gan-bench: results in {results}/ (open {results / 'report.html'})")
    else:
        for line in failure_lines(StudyFolder(results), started):
            print(f"gan-bench: {line}", file=sys.stderr)
    return code


def snakemake_round(
    config: dict[str, Any],
    plans: list[Plan],
    snakemake_args: list[str],
    prepare: Callable[[Path], tuple[float, list[dict[Run, float]]] | None],
    progress_every: float = PROGRESS_EVERY_S,
) -> tuple[int, float]:
    """Snakemake over the pipeline `config` names (a study, or a campaign's members:
    gan_bench/workflow/pipeline.py), on the Snakefile shipped in the package; Snakemake's
    exit code and when it started. `prepare(workdir)`, under our lock, checks and repairs
    the results folders and says what the work will cost: (wall seconds, each plan's
    per-run seconds), or None for no progress lines. A pipeline killed earlier (even by
    SIGKILL) just resumes: we hold an OS lock for the whole run, so a Snakemake lock found
    while we hold ours can only be stale, and is cleared with `--unlock` before starting."""
    import os
    import subprocess

    from filelock import FileLock, Timeout

    from gan_bench.files import write_json
    from gan_bench.resources import SNAKEFILE as snakefile

    workdir = workdir_of(snakemake_args)
    (workdir / ".snakemake").mkdir(parents=True, exist_ok=True)
    # the study goes in a config file, not --config: a user's --config (or a profile's
    # config:) would replace a --config study=... instead of adding to it
    study_config = workdir / ".snakemake" / "gan-bench-study.yaml"
    write_json(study_config, config)
    base = [sys.executable, "-m", "snakemake", "--snakefile", str(snakefile),
            "--configfile", str(study_config)]  # fmt: skip
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    try:
        with FileLock(workdir / ".snakemake" / "gan-bench-run.lock", timeout=0):
            estimate = prepare(workdir)
            if _may_hold_stale_lock(workdir, snakemake_args):
                directory = ["--directory", str(workdir)]
                subprocess.run([*base, *directory, "--unlock"], env=env, capture_output=True)
            command = [*base, "--cores", "all", *snakemake_args]
            started = time.time()
            if estimate is None:  # a dry run, or nothing left to train: no progress to show
                return subprocess.run(command, env=env).returncode, started
            wall, weights = estimate
            with Progress(plans, workdir, weights, wall, progress_every):
                return subprocess.run(command, env=env).returncode, started
    except Timeout:
        raise BadInput(f"another `gan-bench run` is working in {workdir}") from None
