"""What the Snakefile needs from a study: its validated form, its runs and its folders.

The Snakefile stays a list of rules; every decision (which runs exist, where they land,
how a bad study file is reported) is made here, where it can be tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gan_bench.design import cells
from gan_bench.study import Study, load_study

RESULTS_ROOT = Path("results")


@dataclass(frozen=True)
class Plan:
    """Every run of a study and the folders they land in."""

    study: Study
    results_dir: str
    runs: list[tuple[str, int]]  # (cell id, seed)

    @property
    def cell_ids(self) -> list[str]:
        return [cell for cell, _ in self.runs]

    @property
    def seeds(self) -> list[int]:
        return [seed for _, seed in self.runs]

    def run_dir(self, cell: str, seed: int | str) -> str:
        return f"{self.results_dir}/runs/{cell}/seed-{seed}"

    def run_files(self, name: str) -> list[str]:
        """One path per run, e.g. every run.json of the study."""
        return [f"{self.run_dir(cell, seed)}/{name}" for cell, seed in self.runs]


def plan(study_path: str | Path, results_root: str | Path = RESULTS_ROOT) -> Plan:
    """Validate the study (StudyError names key and file) and list its cell x seed runs."""
    study = load_study(study_path)
    runs = [(cell.id, seed) for cell in cells(study) for seed in study.seeds]
    return Plan(study, f"{results_root}/{study.name}", runs)
