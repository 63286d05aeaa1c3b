"""summary.csv: one row per run of a study (its cell, seed, factor levels, status and
metrics), collected from the run folders by `gan-bench aggregate`.

Apart from the statistics so that the aggregate job imports pandas only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from gan_bench.files import RunPaths, atomic_write

RUN_COLUMNS = ("cell", "seed", "status", "step", "seconds", "images_per_second")


def run_row(run_dir: Path, factors: list[str]) -> dict[str, Any]:
    """One summary row from a run folder's config.json, run.json and scores.json (if any)."""
    paths = RunPaths(run_dir)
    config = json.loads(paths.config.read_text())
    run = json.loads(paths.run.read_text())
    row: dict[str, Any] = {"cell": config["cell"], "seed": config["seed"]}
    row |= {name: config["tricks"][name] for name in factors}
    row |= {key: run.get(key) for key in RUN_COLUMNS if key not in row}
    if paths.scores.exists():
        scores = json.loads(paths.scores.read_text())
        row |= {name: value for name, value in scores.get("metrics", {}).items()}
    return row


def collect_runs(run_dirs: list[Path], factors: list[str]) -> pd.DataFrame:
    """The tidy DataFrame of a study: columns cell, seed, factors..., status, ..., metrics."""
    rows = [run_row(Path(run_dir), factors) for run_dir in run_dirs]
    frame = pd.DataFrame(rows)
    leading = ["cell", *factors, "seed", "status"]
    return frame[leading + [c for c in frame.columns if c not in leading]]


def write_summary(frame: pd.DataFrame, path: Path) -> None:
    atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def read_summary(path: str | Path) -> pd.DataFrame:
    """summary.csv as written by `gan-bench aggregate` (levels still as pandas parsed them)."""
    return pd.read_csv(path)
