"""What the Snakefile needs from a study: its validated form, its runs and its folders.

The Snakefile stays a list of rules; every decision (which runs exist, where they land,
how a bad study file is reported) is made here, where it can be tested. Where files land is
gan_bench.folders' (the one place the results layout is spelled out).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gan_bench.folders import RESULTS_ROOT, RunFolder, StudyFolder
from gan_bench.study.cost import run_macs
from gan_bench.study.design import Cell, cells
from gan_bench.study.study_file import Study, load_study, run_config


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


def plan(study_path: str | Path, results_root: str | Path = RESULTS_ROOT) -> Plan:
    """Validate the study (StudyError names key and file) and list its cell x seed runs."""
    study = load_study(study_path)
    study_cells = cells(study)
    runs = [(cell.id, seed) for cell in study_cells for seed in study.seeds]
    folder = StudyFolder.of(study.name, results_root)
    return Plan(study, str(folder.root), runs, _rank_by_cost(study, study_cells))


def _rank_by_cost(study: Study, study_cells: list[Cell]) -> dict[str, int]:
    """Cell id -> rank of its run's work among the study's distinct costs (0: cheapest)."""
    costs = {c.id: run_macs(run_config(study, c.id, c.tricks, seed=0)) for c in study_cells}
    distinct = sorted(set(costs.values()))
    return {cell: distinct.index(cost) for cell, cost in costs.items()}
