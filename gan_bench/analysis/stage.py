"""The analysis stage: every statistic and verdict of a results folder, computed once.

`gan-bench analyse RESULTS_DIR` (the Snakefile's `analyse` rule, between aggregate and
report) reads what aggregate wrote (summary.csv, metrics.json, study.yaml, design.json, and
sequence.json for a study run `--until-decided`), analyses it look by look through the
study's schedule (gan_bench/analysis/sequential.py: each look on its seeds with its share of
the 5% error rate; a sequential study's tables show its last look, and a fixed-seed study is
a schedule of one look: every run with the whole 5%) and writes

    tables/effects.csv claims.csv interactions.csv cells.csv anova.csv divergence.csv
        models.csv    for people and papers
    analysis.json     every table with its types, what the verdicts were judged on, a
                      sequence's looks, and the digests of the files it was computed from

The report renders analysis.json and the `--until-decided` loop reads its looks: no
statistic is computed twice, and a report of stale numbers is refused (the digests).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from gan_bench.analysis.analyse import Analysis
from gan_bench.analysis.layout import layout_for, metric_columns
from gan_bench.analysis.result_file import (
    ANALYSIS_FORMAT,
    Looks,
    analysis_from_record,
    analysis_record,
)
from gan_bench.analysis.sequential import (
    Schedule,
    Sequence,
    evaluate,
    read_state,
    sequential_claims,
)
from gan_bench.analysis.summary import read_metric_columns, read_summary
from gan_bench.errors import BadInput
from gan_bench.files import atomic_write, read_json
from gan_bench.folders import ANALYSIS_CSVS, StudyFolder
from gan_bench.score.registry import MetricColumn
from gan_bench.study.design import DesignRecord
from gan_bench.study.record import read_study_record
from gan_bench.study.study_file import Study

# each of tables/*.csv (folders.ANALYSIS_CSVS) and the Analysis table it holds
CSV_TABLES = dict(
    zip(
        ANALYSIS_CSVS,
        ("effects", "claims", "interactions", "cells", "anova", "divergence_cells", "models"),
        strict=True,
    )
)


class AnalysisError(BadInput):
    """analysis.json is missing, unreadable or older than the files it was computed from."""


class ResultsError(BadInput):
    """What aggregate wrote cannot be analysed (e.g. no summary.csv); names the path."""


@dataclass(frozen=True)
class StudyData:
    """What the analysis reads from a results folder, as aggregate wrote it."""

    folder: StudyFolder
    summary: pd.DataFrame
    study: Study  # study.yaml: the resolved study
    design: DesignRecord  # design.json: typed levels per cell
    metrics: list[MetricColumn]  # metrics.json: what each metric column is (the registry's)


def read_results(folder: StudyFolder) -> pd.DataFrame:
    """summary.csv; ResultsError when it is missing or holds no run."""
    if not folder.summary.is_file():
        raise ResultsError(f"{folder.summary}: not found (run `gan-bench aggregate STUDY` first)")
    summary = read_summary(folder.summary)
    if summary.empty:
        raise ResultsError(f"{folder.summary}: no runs")
    return summary


def check_summary(
    folder: StudyFolder, summary: pd.DataFrame, design: DesignRecord, metrics: list[MetricColumn]
) -> None:
    """ResultsError naming summary.csv when it does not match what aggregate wrote beside it:
    a cell design.json does not have, a metric column of metrics.json missing or not
    numbers. Checked before anything is computed, so a bad file fails at once."""
    rerun = "rerun `gan-bench aggregate STUDY`"
    unknown = sorted(set(summary["cell"].astype(str)) - set(design.cells))
    if unknown:
        raise ResultsError(
            f"{folder.summary}: cell {unknown[0]!r} is not one of {folder.design.name}; {rerun}"
        )
    for metric in metrics:
        if metric.name not in summary.columns:
            raise ResultsError(
                f"{folder.summary}: no column {metric.name}, which {folder.metrics.name} "
                f"describes; {rerun}"
            )
        values = summary[metric.name]
        if not pd.api.types.is_numeric_dtype(values) and values.notna().any():
            raise ResultsError(f"{folder.summary}: {metric.name}: not numbers; {rerun}")


def read_study_data(folder: StudyFolder) -> StudyData:
    """summary.csv, study.yaml, design.json and metrics.json; an error names a missing or
    damaged one."""
    summary = read_results(folder)
    study, design = read_study_record(folder)
    metrics = read_metric_columns(folder.summary)
    check_summary(folder, summary, design, metrics)
    return StudyData(folder, summary, study, design, metrics)


def sources(folder: StudyFolder) -> dict[str, str]:
    """sha256 of every file the analysis reads, by name (sequence.json only when present)."""
    paths = [folder.summary, folder.metrics, folder.study, folder.design, folder.sequence]
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths if path.is_file()
    }


def schedule_of(data: StudyData) -> tuple[Schedule, int, bool]:
    """The study's schedule, the looks planned and whether it is a sequence: sequence.json's
    (`--until-decided`), else one look at every run's seed with the whole 5% (a fixed-seed
    study: the seeds summary.csv holds, which are study.yaml's)."""
    if data.folder.sequence.is_file():
        schedule, planned, _ = read_state(data.folder.sequence)
        return schedule, planned, True
    seeds = sorted({int(seed) for seed in data.summary["seed"]})
    return Schedule.one_look(seeds), 1, False


def analyse_study(data: StudyData) -> tuple[Analysis, Sequence | None]:
    """Each look of the study's schedule on its seeds with its share of the error rate. A
    sequence's claims carry their sequential verdicts (the tables are its last look's
    numbers); a fixed-seed study's one look, on every run with the whole 5%, is analyse()'s
    analysis of them all, returned as it is, with no looks."""
    schedule, planned, sequential = schedule_of(data)
    sequence = evaluate(data.summary, data.study, data.design, data.metrics, schedule, planned)
    if not sequential:
        return sequence.last.analysis, None
    return replace(sequence.last.analysis, claims=sequential_claims(sequence)), sequence


def run_analysis(folder: StudyFolder) -> tuple[Analysis, Sequence | None, list[Path]]:
    """`gan-bench analyse`: read, analyse, write; the analysis and the files written."""
    analysis, sequence = analyse_study(read_study_data(folder))
    return analysis, sequence, write_analysis(folder, analysis, sequence)


def write_analysis(
    folder: StudyFolder, analysis: Analysis, sequence: Sequence | None
) -> list[Path]:
    """tables/*.csv and analysis.json (last: its presence says the tables are complete)."""
    written = []
    for name, frame in CSV_TABLES.items():
        path = folder.tables / name
        table = getattr(analysis, frame)
        atomic_write(path, lambda tmp, table=table: table.to_csv(tmp, index=False))
        written.append(path)
    record = analysis_record(analysis, sequence, sources(folder))
    text = json.dumps(record, allow_nan=True, separators=(",", ":")) + "\n"
    atomic_write(folder.analysis, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return [*written, folder.analysis]


def _record(folder: StudyFolder) -> dict[str, Any]:
    """analysis.json, checked: AnalysisError naming it when it is missing, unreadable, of
    another format, or computed from other files than the folder's now."""
    how = f"run `gan-bench analyse {folder.root}`"
    if not folder.analysis.is_file():
        raise AnalysisError(f"{folder.analysis}: not found; {how} first")
    try:
        record: dict[str, Any] = read_json(folder.analysis)
        found = record.get("format")
        recorded = dict(record["sources"])
    except (OSError, ValueError, AttributeError, KeyError, TypeError) as error:
        raise AnalysisError(f"{folder.analysis}: unreadable ({error}); {how}") from None
    if found != ANALYSIS_FORMAT:
        raise AnalysisError(
            f"{folder.analysis}: format {found}, this gan-bench reads {ANALYSIS_FORMAT}; {how}"
        )
    now = sources(folder)
    stale = sorted(
        name for name in now.keys() | recorded.keys() if now.get(name) != recorded.get(name)
    )
    if stale:
        raise AnalysisError(
            f"{folder.analysis}: computed from other files than {', '.join(stale)} now; {how}"
        )
    return record


def read_analysis(data: StudyData) -> tuple[Analysis, Looks | None]:
    """The analysis the stage wrote for these inputs (AnalysisError otherwise)."""
    record = _record(data.folder)
    layout = layout_for(data.summary, data.study, data.design)
    names = metric_columns(data.summary, data.metrics)
    columns = {name: next(c for c in data.metrics if c.name == name) for name in names}
    try:
        return analysis_from_record(record, layout, columns)
    except (KeyError, TypeError, ValueError) as error:
        raise AnalysisError(f"{data.folder.analysis}: unreadable ({error})") from None


def read_looks(folder: StudyFolder) -> Looks:
    """The looks of a sequential study's analysis (the `--until-decided` loop reads them)."""
    looks = _record(folder).get("looks")
    if not isinstance(looks, dict):
        raise AnalysisError(f"{folder.analysis}: has no looks, but {folder.sequence} exists")
    return Looks.from_json(looks)
