"""Before Snakemake starts (`gan-bench run`): damaged results files are set aside, so that
Snakemake rebuilds them.

Snakemake goes by which files exist and how old they are, not by what they hold: a damaged
run.json or scores.json exists, so it would never be rebuilt, and the aggregate job would
fail on it every time. Each damaged file is renamed `<name>.corrupt` (gan_bench/files.py),
never deleted, and said so; then it is missing, and the rule that makes it runs again:

- scores.json: the run is re-scored (its train job finds it finished and only scores);
- run.json, or a finished run's generator.pt or samples.png: the run is finished again from
  its last checkpoint, which is its last step (gan_bench/train/recovery.py), so the same
  weights and scores come back without retraining;
- summary.csv: the aggregate job writes it again from the run folders.

An unfinished run's unreadable config.json is left to its train job, which sets it aside and
trains the run from step 0; a finished run's is refused (CorruptFile, exit 2): its results
can no longer be checked against the study. A dry run (`-n`) only says what it would do.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from gan_bench.errors import BadInput
from gan_bench.files import (
    CorruptFile,
    read_object,
    read_run_record,
    read_scores,
    set_aside,
    whole_png,
    whole_zip,
)
from gan_bench.folders import RunFolder, StudyFolder
from gan_bench.study.plan import Plan

FINISH_AGAIN = "the run is finished again from its last checkpoint (trained again without one)"


@dataclass(frozen=True)
class Damaged:
    """A damaged file, what is wrong with it, and what rebuilds it; `moved`: set aside here
    (else its train job does it)."""

    path: Path
    problem: str
    then: str
    moved: bool = True


def _check(read, path: Path) -> str | None:
    """What is wrong with `path` as `read` (gan_bench/files.py) sees it; None if nothing."""
    try:
        read(path)
    except CorruptFile as error:
        return error.problem
    return None


def _finished_run_files(paths: RunFolder) -> list[Damaged]:
    """A finished run's generator.pt and samples.png (the train rule's outputs), when they
    are there but not whole."""
    found = []
    for path, whole in ((paths.generator, whole_zip), (paths.samples, whole_png)):
        if path.is_file() and not whole(path):
            found.append(Damaged(path, "unreadable (cut short or overwritten)", FINISH_AGAIN))
    return found


def run_damage(run_dir: Path) -> list[Damaged]:
    """The damaged files of one run folder; CorruptFile for a finished run whose config.json
    is unreadable."""
    paths = RunFolder(run_dir)
    found = []
    finished = paths.run.is_file()
    if finished and (problem := _check(read_run_record, paths.run)):
        found.append(Damaged(paths.run, problem, FINISH_AGAIN))
        finished = False
    if paths.config.is_file() and (problem := _check(read_object, paths.config)):
        if finished:
            raise CorruptFile(
                paths.config,
                f"{problem}; the run finished, but its results cannot be checked against "
                f"the study: delete {paths.root} to train it again",
            )
        then = "its train job sets it aside and trains the unfinished run from step 0"
        found.append(Damaged(paths.config, problem, then, moved=False))
    if finished:
        found += _finished_run_files(paths)
    if paths.scores.is_file() and (problem := _check(read_scores, paths.scores)):
        found.append(Damaged(paths.scores, problem, "the run is re-scored"))
    return found


def _summary_damage(folder: StudyFolder) -> list[Damaged]:
    from gan_bench.analysis.summary import read_summary  # pandas: only when there is one

    if not folder.summary.is_file():
        return []
    try:
        read_summary(folder.summary)
    except BadInput as error:
        problem = str(error).removeprefix(f"{folder.summary}: ").split("; rerun")[0]
        return [Damaged(folder.summary, problem, "the aggregate job writes it again")]
    return []


def study_damage(study_plan: Plan, workdir: Path) -> list[Damaged]:
    """Every damaged file of the study's run folders (under `workdir`) and its summary.csv."""
    found = []
    for cell, seed in study_plan.runs:
        run_dir = workdir / study_plan.run_dir(cell, seed)
        if run_dir.is_dir():
            found += run_damage(run_dir)
    return found + _summary_damage(StudyFolder(workdir / study_plan.results_dir))


def repair(
    study_plan: Plan, workdir: Path, dry_run: bool = False, out: TextIO | None = None
) -> list[Damaged]:
    """Set the study's damaged files aside (unless `dry_run`), saying so for each; returns
    what was found."""
    out = out or sys.stdout
    found = study_damage(study_plan, workdir)
    for item in found:
        if not item.moved:
            done = "left"
        elif dry_run:
            done = f"would be set aside as {item.path.name}.corrupt"
        else:
            done = f"set aside as {set_aside(item.path).name}"
        print(f"gan-bench: {item.path}: {item.problem}; {done}: {item.then}", file=out, flush=True)
    return found
