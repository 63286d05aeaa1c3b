"""`gan-bench run CAMPAIGN` and `gan-bench cells CAMPAIGN`: every member of a campaign
(gan_bench/study/campaign_file.py) through one Snakemake, on the same rules as a study
(gan_bench/workflow/pipeline.py), then the transfer table and the campaign's report.

Before Snakemake starts, every member is checked as `gan-bench run` checks a study
(analysis/preflight.py checked_campaign: a problem names the member and the key), each
member's results folder against the study its runs were made with, damaged files are set
aside (workflow/repair.py), and the plan is printed for the whole campaign: each member's
runs, then the estimated wall time of all of them in one queue over the cores. A kill
resumes as a study's does: the same command again (workflow/run.py snakemake_round).
`--until-decided` is not offered for a campaign: its members run the shared seeds.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from gan_bench.analysis.preflight import checked_campaign, checked_plan
from gan_bench.folders import CampaignFolder, StudyFolder
from gan_bench.study.builtin import aligned
from gan_bench.study.campaign_file import CampaignSpec, is_campaign_file
from gan_bench.study.design import cells, cells_text, varied_tricks
from gan_bench.study.fingerprint import check_results_folder
from gan_bench.study.plan import DEFAULT_MAX_RUNS, Plan
from gan_bench.study.study_file import Study
from gan_bench.workflow import run as runner
from gan_bench.workflow.estimate import (
    STUDY_OVERHEAD_S,
    Estimate,
    campaign_wall,
    cpu_model,
    estimate_study,
    format_duration,
)
from gan_bench.workflow.failures import failure_lines
from gan_bench.workflow.progress import PROGRESS_EVERY_S, Run
from gan_bench.workflow.repair import repair


def run_campaign(
    campaign_file: str,
    snakemake_args: list[str],
    max_runs: int = DEFAULT_MAX_RUNS,
    progress_every: float = PROGRESS_EVERY_S,
) -> int:
    """Every member through Snakemake, then the transfer table and the campaign's report;
    Snakemake's exit code."""
    campaign, plans = checked_campaign(campaign_file, max_runs=max_runs, download_check=True)
    config = {"campaign": str(Path(campaign_file).resolve()), "max_runs": max_runs}
    dry = runner.is_dry_run(snakemake_args)

    def prepare(workdir: Path) -> tuple[float, list[dict[Run, float]]] | None:
        folders = [StudyFolder(workdir / plan.results_dir) for plan in plans.values()]
        for plan, folder in zip(plans.values(), folders, strict=True):  # all, before any
            check_results_folder(plan.study, folder, record=False)  # is recorded
        for plan, folder in zip(plans.values(), folders, strict=True):
            check_results_folder(plan.study, folder, record=not dry)
            repair(plan, workdir, dry)
        return announce_campaign(campaign, plans, workdir, snakemake_args)

    members = list(plans.values())
    code, started = runner.snakemake_round(config, members, snakemake_args, prepare, progress_every)
    folder = CampaignFolder(runner.workdir_of(snakemake_args) / campaign.folder().root).root
    if code == 0:
        report = CampaignFolder(folder).report.name  # the campaign's, linking each member's
        print(f"gan-bench: results in {folder.resolve()}/ ({report}, a report per member)")
        return code
    for study_folder in [*(StudyFolder(folder / name) for name in plans), CampaignFolder(folder)]:
        for line in failure_lines(study_folder, started):
            print(f"gan-bench: {line}", file=sys.stderr)
    return code


def member_text(study: Study) -> str:
    """'digits 16x16, 1500 steps' (with the folder or IDX file a dataset is read from)."""
    dataset = study.dataset
    where = dataset.get("path") or dataset.get("images")
    size, steps = dataset["image_size"], study.train["steps"]
    return f"{dataset['name']}{f' {where}' if where else ''} {size}x{size}, {steps} steps"


def announce_campaign(
    campaign: CampaignSpec,
    plans: dict[str, Plan],
    workdir: Path,
    snakemake_args: list[str],
    out: TextIO | None = None,
) -> tuple[float, list[dict[Run, float]]] | None:
    """Print the campaign's plan (each member's runs, done and to train; where results land)
    and, unless this is a dry run or nothing is left to train, the estimated wall time of
    every member's runs together, per member first; (wall seconds, each member's per-run
    seconds), or None without an estimate."""
    out = out or sys.stdout
    say = runner.sayer(out)
    counts = {name: runner.plan_counts(plan, workdir) for name, plan in plans.items()}
    runs = sum(len(plan.runs) for plan in plans.values())
    done = sum(len(count[0]) for count in counts.values())
    to_train = sum(len(count[1]) for count in counts.values())
    say(
        f"campaign {campaign.name}: {len(plans)} members, {runs} runs; {done} done already, "
        f"{to_train} to train"
    )
    for name, plan in plans.items():
        say(f"  member {name} ({member_text(plan.study)}): {runner.runs_text(plan, workdir)}")
    cores = runner.snakemake_cores(snakemake_args)
    results = (workdir / campaign.folder().root).resolve()
    say(f"results land in {results}/ (a study folder per member, transfer.csv when done); "
        f"{cores} cores, one job each")  # fmt: skip
    if runner.is_dry_run(snakemake_args) or not to_train:
        say("no estimate (" + ("dry run)" if to_train else "nothing left to train)"))
        return None
    say("timing a few training steps on this machine ...")
    estimates = {
        name: estimate_study(plan, counts[name][1], cores, workdir)
        for name, plan in plans.items()
        if counts[name][1]
    }
    wall = campaign_wall(estimates.values(), cores)
    for line in campaign_assumptions(estimates, cores):
        print(f"    {line}", file=out)
    say(f"estimated wall time: about {format_duration(wall)} on {cores} cores, all members")
    return wall, [estimates[name].run_seconds if name in estimates else {} for name in plans]


def campaign_assumptions(estimates: dict[str, Estimate], cores: int) -> list[str]:
    """Each member's own estimate and what the whole one rests on, one line each."""
    lines = [
        f"member {name}: about {format_duration(estimate.wall_seconds)} alone; timed here: "
        f"{runner.timed_text(estimate)}"
        for name, estimate in estimates.items()
    ]
    overhead = max(estimate.overhead for estimate in estimates.values())
    return [
        *lines,
        f"every member's runs in one queue, {cores} jobs at a time (1 CPU thread each, "
        "dearest first) on an otherwise idle machine",
        f"timed on {cpu_model()} (CPU time); other cells scaled by their convolution MACs,",
        f"+ up to {overhead:.0f} s per run for start-up and scoring,",
        f"+ {STUDY_OVERHEAD_S:.0f} s per member with runs to train (its evaluator, aggregate,"
        " analyse and report)",
    ]


def cells_listing(path: str, fmt: str) -> str:
    """`gan-bench cells`: a study's design matrix, or a campaign's (its members, then the
    shared cells; in CSV and JSON one row per member and cell), after every check
    `gan-bench run` makes."""
    if not is_campaign_file(path):
        return cells_text(cell_rows(checked_plan(path, download_check=True).study), fmt)
    campaign, plans = checked_campaign(path, download_check=True)
    if fmt != "table":
        rows = [{"member": name} | row for name, p in plans.items() for row in cell_rows(p.study)]
        return cells_text(rows, fmt)
    members = [
        {"member": name, "data": member_text(p.study), "runs": str(len(p.runs))}
        | {"results": f"{p.results_dir}/"}
        for name, p in plans.items()
    ]
    shared = cells_text(cell_rows(next(iter(plans.values())).study), fmt)
    runs = sum(len(p.runs) for p in plans.values())
    head = f"campaign {campaign.name}: {len(plans)} members, {runs} runs"
    return "\n".join([head, *aligned(members, "member"), "", "each member's cells:", shared])


def cell_rows(study: Study) -> list[dict[str, Any]]:
    """One row per cell: its id and the levels of the tricks the study varies."""
    varied = varied_tricks(study)
    return [
        {"id": cell.id} | {name: cell.tricks.level(name) for name in varied}
        for cell in cells(study)
    ]
