"""What the report reads: summary.csv, the study that travels with it (study.yaml and
design.json, written by `gan-bench aggregate`), and the run folders beside them where they
exist (run.json for the machine facts, log.jsonl for the curves, samples.png for the
mosaic, traversals.png for InfoGAN cells). A published results folder has no run folders;
the report says so and goes on, keeping the figures an earlier report drew from them
(gan_bench/report/build.py keep_earlier).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gan_bench.analysis.analyse import Analysis
from gan_bench.analysis.stage import ResultsError, StudyData, read_study_data
from gan_bench.files import read_json, read_log, whole_png
from gan_bench.folders import RunFolder, StudyFolder
from gan_bench.study.design import cells
from gan_bench.study.study_file import Study

ReportError = ResultsError  # a results folder the report cannot read names its file


@dataclass(frozen=True)
class Inputs(StudyData):
    """Everything the report reads from a results folder: what the analysis read
    (gan_bench/analysis/stage.py StudyData), and the runs' run.json where they are here."""

    run_infos: list[dict[str, Any]] = field(default_factory=list)  # run.json + cell, seed


def _read_json(path: Path) -> dict[str, Any] | None:
    """A run's JSON file, or None when it is absent or unreadable (the report goes on)."""
    try:
        return read_json(path)
    except (OSError, ValueError):
        return None


def gather(folder: StudyFolder) -> Inputs:
    """summary.csv, study.yaml, design.json and metrics.json (an error names a missing or
    damaged one: gan_bench/analysis/stage.py read_study_data), and the run.json of every run
    named in summary.csv whose folder is here."""
    data = read_study_data(folder)
    infos = []
    for cell, seed in zip(data.summary["cell"], data.summary["seed"], strict=True):
        info = _read_json(folder.run(str(cell), int(seed)).run)
        if isinstance(info, dict):
            infos.append(info | {"cell": str(cell), "seed": int(seed)})
    return Inputs(folder, data.summary, data.study, data.design, data.metrics, infos)


def read_logs(folder: StudyFolder, analysis: Analysis) -> pd.DataFrame:
    """Every run's log.jsonl as one long frame, with the run's cell, seed and factor levels."""
    frames = []
    for run in analysis.runs.itertuples(index=False):
        records = read_log(folder.run(run.cell, run.seed).log)
        if not records:
            continue
        frame = pd.DataFrame.from_records(records)
        frame["cell"], frame["seed"] = run.cell, run.seed
        for name in analysis.layout.factors:
            frame[name] = getattr(run, name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _usable(image: Path) -> bool:
    """A run's PNG that is there and whole (a damaged one is left out of the figures)."""
    return image.is_file() and whole_png(image)


def _cell_tiles(
    folder: StudyFolder,
    analysis: Analysis,
    labels: dict[str, str],
    file_of: Callable[[RunFolder], Path],
) -> list[tuple[str, Path | None]]:
    """(label, file) per cell of `labels` from its first completed seed that has the file,
    else its first seed with one; [] when no cell has it (a published folder has no runs)."""
    tiles = []
    for cell in labels:
        runs = analysis.runs[analysis.runs["cell"] == cell].sort_values(["diverged", "seed"])
        found = None
        for run in runs.itertuples(index=False):
            path = file_of(folder.run(cell, run.seed))
            if _usable(path):
                suffix = " (diverged)" if run.diverged else ""
                found = (f"{labels.get(cell, cell)} — seed {run.seed}{suffix}", path)
                break
        tiles.append(found or (labels.get(cell, cell), None))
    if all(path is None for _, path in tiles):
        return []
    return tiles


def sample_tiles(folder: StudyFolder, analysis: Analysis) -> list[tuple[str, Path | None]]:
    """One samples.png per cell: its first completed seed, else its first seed with one."""
    table = analysis.divergence_cells
    labels = dict(zip(table["cell"], table["label"], strict=True))
    ordered = {cell: labels.get(cell, cell) for cell in analysis.layout.cell_order}
    return _cell_tiles(folder, analysis, ordered, lambda run: run.samples)


TRAVERSAL_SEEDS = 4  # a lone InfoGAN cell shows this many seeds: InfoGAN varies by seed


def traversal_tiles(
    folder: StudyFolder, study: Study, analysis: Analysis
) -> list[tuple[str, Path | None]]:
    """One traversals.png per InfoGAN cell (its first completed seed), titled with the cell
    id (a bare level such as `true` says little on its own); a study with one InfoGAN cell
    shows its first TRAVERSAL_SEEDS completed seeds instead; [] without one."""
    wanted = infogan_cells(study, analysis)
    if len(wanted) != 1:
        return _cell_tiles(folder, analysis, {c: c for c in wanted}, lambda run: run.traversals)
    (cell,) = wanted
    runs = analysis.runs[analysis.runs["cell"] == cell].sort_values(["diverged", "seed"])
    tiles = []
    for run in runs.itertuples(index=False):
        path = folder.run(cell, run.seed).traversals
        if _usable(path) and len(tiles) < TRAVERSAL_SEEDS:
            suffix = " (diverged)" if run.diverged else ""
            tiles.append((f"{cell} — seed {run.seed}{suffix}", path))
    return tiles


def infogan_cells(study: Study, analysis: Analysis) -> list[str]:
    """The analysed cells that train InfoGAN (those whose runs draw traversals.png)."""
    infogan = {cell.id for cell in cells(study) if cell.tricks.infogan}
    return [cell for cell in analysis.layout.cell_order if cell in infogan]


def outlier_tiles(folder: StudyFolder, analysis: Analysis) -> list[tuple[str, Path | None]]:
    """The samples.png of each outlying run on the primary metric (analyse.outliers_of)."""
    rows = analysis.outliers[analysis.outliers["metric"] == analysis.primary]
    tiles = [
        (f"{row.label} — seed {row.seed}", folder.run(row.cell, row.seed).samples)
        for row in rows.itertuples()
    ]
    tiles = [(label, path if _usable(path) else None) for label, path in tiles]
    return tiles if any(path is not None for _, path in tiles) else []
