"""What the Snakefile needs from a study: its validated form, its runs and its folders.

The Snakefile stays a list of rules; every decision (which runs exist, where they land,
how a bad study file is reported) is made here, where it can be tested. Where files land is
gan_bench.folders' (the one place the results layout is spelled out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from gan_bench.folders import NAME_MAX, RESULTS_ROOT, RunFolder, StudyFolder
from gan_bench.study.cost import run_macs
from gan_bench.study.design import Cell, cells
from gan_bench.study.fractional import fractional_design
from gan_bench.study.study_file import Study, StudyError, load_study, run_config

# `gan-bench run` and the Snakefile refuse a bigger plan unless raised (--max-runs): a typo
# in a factorial (10^6 cells) should be a message, not a week of queued jobs.
DEFAULT_MAX_RUNS = 2000


@dataclass(frozen=True)
class Plan:
    """Every run of a study and the folders they land in."""

    study: Study
    results_dir: str
    runs: list[tuple[str, int]]  # (cell id, seed)
    cost_rank: dict[str, int]  # cell id -> 0 for the cheapest cells, up to the dearest

    def priority(self, cell: str) -> int:
        """Snakemake priority of a cell's train jobs: dearest first (gan_bench.study.cost), so
        the cores run out of work together instead of one waiting on a long last run."""
        return self.cost_rank[cell]

    @property
    def cell_ids(self) -> list[str]:
        return [cell for cell, _ in self.runs]

    @property
    def seeds(self) -> list[int]:
        return [seed for _, seed in self.runs]

    @property
    def folder(self) -> StudyFolder:
        """results/<study>/: its files and its run folders (gan_bench.folders)."""
        return StudyFolder(Path(self.results_dir))

    @property
    def run_folders(self) -> list[RunFolder]:
        """Every run's folder, in the order of `runs`."""
        return [self.folder.run(cell, seed) for cell, seed in self.runs]

    def run_dir(self, cell: str, seed: int | str) -> str:
        return str(self.folder.run(cell, seed).root)


def plan(
    study_path: str | Path,
    results_root: str | Path = RESULTS_ROOT,
    max_runs: int | None = None,
    seeds: list[int] | None = None,
) -> Plan:
    """Validate the study (StudyError names key and file) and list its cell x seed runs;
    with `max_runs`, a plan of more runs is refused before any cell is built. `seeds`
    replaces the study's seeds (a round of `gan-bench run --until-decided`: the study file
    is never rewritten), and aggregate records them in study.yaml."""
    return plan_study(load_study(study_path), results_root, max_runs, seeds)


def plan_study(
    study: Study,
    results_root: str | Path = RESULTS_ROOT,
    max_runs: int | None = None,
    seeds: list[int] | None = None,
) -> Plan:
    """plan() of a study already loaded: a campaign's member (gan_bench/study/campaign_file.py),
    whose folder is results/<campaign>/<member>/ (`results_root` results/<campaign>)."""
    if seeds is not None:
        study = replace(study, seeds=[int(seed) for seed in seeds])
    if max_runs is not None:
        check_run_limit(study, max_runs)
    study_cells = cells(study)
    check_cell_ids(study, study_cells)
    runs = [(cell.id, seed) for cell in study_cells for seed in study.seeds]
    folder = StudyFolder.of(study.name, results_root)
    return Plan(study, str(folder.root), runs, _rank_by_cost(study, study_cells))


def count_cells(study: Study) -> int:
    """How many cells the design has, counted without building them (a full factorial's
    size is a product), so a huge study is refused at once; equals len(cells(study))."""
    if study.design == "full_factorial":
        return math.prod(len(levels) for levels in study.factors.values())
    if study.design == "one_at_a_time":
        varied = sum(
            level != study.baseline.level(name)
            for name, levels in study.factors.items()
            for level in levels
        )
        return 1 + varied
    if study.design == "fractional":
        return len(fractional_design(list(study.factors), study.resolution).matrix)
    return len(study.cells)


def check_run_limit(study: Study, max_runs: int) -> None:
    """StudyError naming the plan's size (cells x seeds) when it exceeds `max_runs`."""
    n_cells, n_seeds = count_cells(study), len(study.seeds)
    if n_cells * n_seeds <= max_runs:
        return
    key = "cells, seeds" if study.design == "cells" else "factors, seeds"
    raise StudyError(
        study.path,
        [
            (
                key,
                f"the plan is {n_cells:,} cells x {n_seeds:,} seeds = {n_cells * n_seeds:,} "
                f"runs, over the limit of {max_runs:,} runs; use fewer levels or seeds, or "
                f"raise the limit with `gan-bench run STUDY --max-runs {n_cells * n_seeds}`",
            )
        ],
    )


def check_cell_ids(study: Study, study_cells: list[Cell]) -> None:
    """StudyError when a cell id is too long to name its run folder (NAME_MAX bytes)."""
    for cell in study_cells:
        if len(cell.id.encode()) > NAME_MAX:
            key = "cells" if study.design == "cells" else "factors"
            message = (
                f"cell id {cell.id[:40]}... is {len(cell.id.encode())} bytes, over the "
                f"{NAME_MAX} a folder name may have; vary fewer tricks at once"
            )
            raise StudyError(study.path, [(key, message)])


def _rank_by_cost(study: Study, study_cells: list[Cell]) -> dict[str, int]:
    """Cell id -> rank of its run's work among the study's distinct costs (0: cheapest)."""
    costs = {c.id: run_macs(run_config(study, c.id, c.tricks, seed=0)) for c in study_cells}
    distinct = sorted(set(costs.values()))
    return {cell: distinct.index(cost) for cell, cost in costs.items()}
