"""`gan-bench run STUDY [--until-decided [--max-seeds N] [--seed-batch K]]`: the study's
schedule of looks, one round of Snakemake per look (gan_bench/workflow/run.py run_study),
until it stops. A fixed-seed study is a schedule of one look (its seeds, the whole 5% error
rate): one round, then it stops. `--until-decided` adds looks of more seeds until every
confirmatory claim is decided or N seeds are reached.

Round j of a sequence hands look j's seeds to Snakemake through the config file
gan_bench/workflow/run.py writes (the study file is never rewritten), so only the new seeds'
runs train, and the round's report shows the looks so far. Then the looks are recomputed
from summary.csv (gan_bench/analysis/sequential.py: each look analysed on its seeds with its
share of the 5% error rate, a claim keeps the first look's decided word) and the loop stops
or plans the next look. The state (settings and looks planned) is written to sequence.json
before each round, so the same command after a kill resumes at the look it was running.
A fixed-seed study's one round is a plain `gan-bench run`: Snakemake takes the study's own
seeds, and nothing about looks is recorded (no sequence.json) or printed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from gan_bench.analysis.preflight import checked_plan
from gan_bench.analysis.result_file import Looks
from gan_bench.analysis.sequential import Schedule, directed_claims, read_state, state
from gan_bench.analysis.stage import read_looks
from gan_bench.errors import BadInput
from gan_bench.files import read_json, write_json
from gan_bench.folders import StudyFolder
from gan_bench.study.campaign_file import is_campaign_file
from gan_bench.study.fingerprint import (
    changed_keys,
    fingerprint_record,
    refuse_changes,
    sequence_settings,
)
from gan_bench.study.plan import DEFAULT_MAX_RUNS, Plan, plan
from gan_bench.study.study_file import Study
from gan_bench.workflow import run as runner  # runner.run_study: one round
from gan_bench.workflow.campaign import run_campaign
from gan_bench.workflow.progress import PROGRESS_EVERY_S

FLAGS = {"seed_batch": "--seed-batch", "max_seeds": "--max-seeds"}


def prepare(
    study: str, max_runs: int, batch: int | None, max_seeds: int | None, until: bool
) -> tuple[Schedule, Plan]:
    """The schedule and the results folder (relative to Snakemake's directory), checked
    before any work: a fixed-seed study's one look; with `until`, the study has a claim to
    decide and its largest plan (N seeds per cell) fits --max-runs; an `inception` study
    without weights on disk, that their host answers (once, here: not in every round)."""
    study_plan = checked_plan(study, max_runs=max_runs, download_check=True)
    if not until:
        return Schedule.one_look(study_plan.study.seeds), study_plan
    if not directed_claims(study_plan.study):
        raise BadInput(
            f"{study}: factors: --until-decided needs a claim to decide, and no factor of "
            "this study has a claimed direction (or a no-effect claim) to judge"
        )
    schedule = Schedule.of(study_plan.study.seeds, batch, max_seeds)
    plan(study, max_runs=max_runs, seeds=schedule.all_seeds)  # N seeds: over --max-runs?
    return schedule, study_plan


def state_file(schedule: Schedule, look: int, study: Study, stop: str | None = None) -> dict:
    """sequence.json: the schedule's state and the study settings the sequence began with."""
    return state(schedule, look, stop) | {"study": fingerprint_record(sequence_settings(study))}


def check_sequence_study(path: Path, study: Study) -> None:
    """StudyChanged naming each key when the study differs from the one the sequence in
    `path` began with (its runs, their settings and the claims looked at so far)."""
    recorded = read_json(path).get("study")
    if not isinstance(recorded, dict) or not isinstance(recorded.get("settings"), dict):
        return  # a sequence.json from before the study was recorded in it
    changes = changed_keys(recorded["settings"], sequence_settings(study))
    fix = f"restore those keys to resume the sequence, or remove {path.parent}/ to start anew"
    refuse_changes(study.path, path, changes, fix)


def resume(path: Path, schedule: Schedule, study: Study) -> tuple[int, bool]:
    """The look to run (1 for a new sequence) and whether it had stopped; BadInput naming the
    flag or the study keys when this command's settings or the study differ from those the
    sequence began with."""
    if not path.is_file():
        return 1, False
    recorded, planned, stopped = read_state(path)
    check_sequence_study(path, study)
    mine, theirs = schedule.settings(), recorded.settings()
    for key, flag in FLAGS.items():
        if mine[key] != theirs[key]:
            raise BadInput(
                f"{flag} {mine[key]}: the sequence in {path} began with {flag} {theirs[key]}; "
                f"rerun with {flag} {theirs[key]} to resume it, or remove {path} to start anew"
            )
    if mine != theirs:
        raise BadInput(
            f"{study.path}: seeds: {mine['initial_seeds']}, but the sequence in {path} began with "
            f"{theirs['initial_seeds']}; restore them, or remove {path} to start anew"
        )
    return planned, stopped is not None


def run_command(
    study: str,
    snakemake_args: list[str],
    max_runs: int | None,
    until: bool,
    batch: int | None = None,
    max_seeds: int | None = None,
) -> int:
    """`gan-bench run`: the study's looks, one for a fixed-seed study, a sequence with
    `until` (--until-decided); a campaign file's members (workflow/campaign.py)."""
    if not until:
        for flag, value in (("--max-seeds", max_seeds), ("--seed-batch", batch)):
            if value is not None:
                raise BadInput(f"{flag}: only with --until-decided")
    if is_campaign_file(study):
        if until:
            raise BadInput(
                f"{study}: --until-decided: not for a campaign (its members run the seeds its "
                "study names); give the campaign's study more seeds instead"
            )
        return run_campaign(study, snakemake_args, max_runs or DEFAULT_MAX_RUNS)
    return run_looks(study, snakemake_args, until, max_runs or DEFAULT_MAX_RUNS, batch, max_seeds)


def run_looks(
    study: str,
    snakemake_args: list[str],
    until: bool,
    max_runs: int = DEFAULT_MAX_RUNS,
    batch: int | None = None,
    max_seeds: int | None = None,
    progress_every: float = PROGRESS_EVERY_S,
    out: TextIO | None = None,
) -> int:
    """A round of run_study per look until the schedule stops; 0 when it did, else
    Snakemake's code. A fixed-seed study (not `until`) stops after its one round, which
    hands Snakemake no seeds (the study's own), writes no sequence.json and says nothing."""
    say = runner.sayer(out or sys.stdout)
    schedule, study_plan = prepare(study, max_runs, batch, max_seeds, until)
    folder = StudyFolder(runner.workdir_of(snakemake_args) / study_plan.results_dir)
    look, stopped = resume(folder.sequence, schedule, study_plan.study) if until else (1, False)

    def run_round(index: int) -> int:
        seeds = schedule.seeds(index) if until else None
        return runner.run_study(study, snakemake_args, max_runs, progress_every, seeds)

    if runner.is_dry_run(snakemake_args):  # what the current look would run; no state written
        return run_round(look)
    if until:
        say(_plan_text(schedule, look, stopped))
    while True:
        if until:
            write_json(folder.sequence, state_file(schedule, look, study_plan.study))
        code = run_round(look)
        if code != 0 or not until:  # a fixed-seed study: its one look is run, nothing to read
            return code
        looks = read_looks(folder)  # what this round's analyse job decided
        say(look_line(looks, len(looks.looks)))
        if looks.stop is not None:
            write_json(folder.sequence, state_file(schedule, look, study_plan.study, looks.stop))
            say(stop_line(looks))
            return 0
        look += 1
        added = schedule.sizes[look - 1] - schedule.sizes[look - 2]
        say(f"adding {added} seeds per cell for look {look}")


def _plan_text(schedule: Schedule, look: int, stopped: bool) -> str:
    sizes = " -> ".join(map(str, schedule.sizes))
    verb = "resuming at" if look > 1 or stopped else "starting with"
    return (
        f"until decided: seeds per cell {sizes} (at most {len(schedule.sizes)} looks, "
        f"{schedule.spending.replace('_', '-')}-type spending of the 5% error rate); "
        f"{verb} look {look}"
    )


def look_line(looks: Looks, index: int) -> str:
    """What look `index` decided and the share of the error rate it spent."""
    look = looks.looks[index - 1]
    spent = sum(other.share for other in looks.looks[:index])
    decided = "; ".join(f"{name} {word}" for name, word in look.decided) or "nothing"
    return (
        f"look {index} of at most {len(looks.sizes)}: {len(look.seeds)} seeds per "
        f"cell, {look.runs} runs; spent {look.share:.1%} of the 5% error rate "
        f"({spent:.1%} so far); decided: {decided}"
    )


def stop_line(looks: Looks) -> str:
    """Why the sequence stopped, and what stayed undecided."""
    left = f"; undecided: {', '.join(looks.pending)}" if looks.pending else ""
    return f"stopped after look {len(looks.looks)}: {looks.stop}{left}"
