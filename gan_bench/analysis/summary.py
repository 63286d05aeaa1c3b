"""summary.csv: one row per run of a study (its cell, seed, factor levels, status and
metrics), collected from the run folders by `gan-bench aggregate`, and metrics.json beside
it: what each metric column is ({metric, extractor, samples}, from the runs' scores.json),
resolved through the metric registry (gan_bench/score/registry.py) by whoever reads it.

Apart from the statistics so that the aggregate job imports pandas only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from gan_bench.errors import BadInput
from gan_bench.files import (
    FINISHED,
    CorruptFile,
    atomic_write,
    read_json,
    read_run_config,
    read_run_record,
    read_scores,
    write_json,
)
from gan_bench.folders import RunFolder, StudyFolder
from gan_bench.score import registry
from gan_bench.score.registry import MetricColumn
from gan_bench.study.plan import Plan
from gan_bench.study.tricks import TRICKS

RUN_COLUMNS = ("cell", "seed", "status", "step", "seconds", "images_per_second")
INFO_ATTR = "metric_info"  # collect_runs leaves the columns' descriptions in frame.attrs


class SummaryError(BadInput):
    """summary.csv or metrics.json cannot be written or read as they are; names the file."""


REBUILD_HINT = (
    "`gan-bench run STUDY` sets a damaged run file aside (as <name>.corrupt) and rebuilds it "
    "(re-scored, or finished again from the run's checkpoint)"
)


def _run_file(read, path: Path) -> dict[str, Any]:
    """A run folder's JSON file read by `read` (gan_bench/files.py); SummaryError naming it
    when it is damaged, saying how to rebuild it."""
    try:
        return read(path)
    except CorruptFile as error:
        raise SummaryError(f"{error}; {REBUILD_HINT}") from None


def run_row(run_dir: Path, factors: list[str]) -> dict[str, Any]:
    """One summary row from a run folder's config.json, run.json and scores.json (if any)."""
    paths = RunFolder(run_dir)
    config = _run_file(read_run_config, paths.config)
    run = _run_file(read_run_record, paths.run)
    missing = [name for name in factors if name not in config["tricks"]]
    if missing:
        raise SummaryError(f"{paths.config}: tricks: {', '.join(missing)}: missing")
    row: dict[str, Any] = {"cell": config["cell"], "seed": config["seed"]}
    row |= {name: config["tricks"][name] for name in factors}
    row |= {key: run.get(key) for key in RUN_COLUMNS if key not in row}
    if paths.scores.exists():
        scores = _run_file(read_scores, paths.scores)
        row |= {name: value for name, value in scores["metrics"].items()}
    return row


def run_metric_info(run_dir: Path) -> dict[str, dict[str, Any]]:
    """column -> {metric, extractor, samples} of a run's scores.json (empty without one),
    every column resolved through the registry; SummaryError naming the file otherwise."""
    path = RunFolder(run_dir).scores
    if not path.exists():
        return {}
    scores = _run_file(read_scores, path)
    infos = scores.get("metric_info") or {}
    missing = [name for name in scores.get("metrics", {}) if name not in infos]
    if missing:
        raise SummaryError(
            f"{path}: metric_info: no description of {', '.join(missing)} "
            "(scored by an older gan-bench: re-score the run with `gan-bench score`)"
        )
    try:
        registry.resolve_all(infos)
    except registry.UnknownMetric as error:
        raise SummaryError(f"{path}: metric_info: {error}") from None
    return {name: dict(infos[name]) for name in scores.get("metrics", {})}


def collect_metric_info(run_dirs: list[Path]) -> dict[str, dict[str, Any]]:
    """The metric_info of every run, merged; runs that describe a column differently are
    refused, naming the second run's scores.json."""
    merged: dict[str, dict[str, Any]] = {}
    for run_dir in run_dirs:
        for name, info in run_metric_info(Path(run_dir)).items():
            if merged.setdefault(name, info) != info:
                raise SummaryError(
                    f"{RunFolder(Path(run_dir)).scores}: metric_info: {name} is {info}, "
                    f"another run of the study has {merged[name]}"
                )
    return merged


def collect_runs(run_dirs: list[Path], factors: list[str]) -> pd.DataFrame:
    """The tidy DataFrame of a study: columns cell, seed, factors..., status, ..., metrics;
    its metric columns' descriptions in `frame.attrs["metric_info"]` (for write_summary)."""
    rows = [run_row(Path(run_dir), factors) for run_dir in run_dirs]
    frame = pd.DataFrame(rows)
    leading = ["cell", *factors, "seed", "status"]
    frame = frame[leading + [c for c in frame.columns if c not in leading]]
    infos = collect_metric_info(run_dirs)
    frame.attrs[INFO_ATTR] = {name: infos[name] for name in frame.columns if name in infos}
    return frame


def aggregate_study(study_plan: Plan) -> tuple[pd.DataFrame, StudyFolder]:
    """`gan-bench aggregate`: summary.csv from the plan's run folders, and the study that
    travels with it, study.yaml (resolved) and design.json (typed levels), which the report
    reads; BadInput while a run has not finished."""
    from gan_bench.study.design import varied_tricks
    from gan_bench.study.record import write_study_record

    missing = [str(run.run) for run in study_plan.run_folders if not run.run.exists()]
    if missing:
        raise BadInput(f"{len(missing)} runs have not finished, e.g. {missing[0]}")
    run_dirs = [run.root for run in study_plan.run_folders]
    frame = collect_runs(run_dirs, varied_tricks(study_plan.study))
    folder = study_plan.folder
    write_summary(frame, folder.summary)
    write_study_record(study_plan.study, folder)
    return frame, folder


def metrics_path(summary: str | Path) -> Path:
    return StudyFolder(Path(summary).parent).metrics


def write_metrics(path: Path, columns: list[MetricColumn] | dict[str, dict[str, Any]]) -> Path:
    """metrics.json: column -> {metric, extractor, samples}, in column order."""
    infos = columns if isinstance(columns, dict) else {c.name: c.info() for c in columns}
    write_json(path, infos)
    return path


def write_summary(
    frame: pd.DataFrame,
    path: Path,
    metrics: list[MetricColumn] | dict[str, dict[str, Any]] | None = None,
) -> None:
    """summary.csv and, beside it, metrics.json (the metric columns' descriptions: `metrics`,
    else those collect_runs left in frame.attrs)."""
    infos = metrics if metrics is not None else frame.attrs.get(INFO_ATTR)
    if infos is None:
        raise ValueError("write_summary: no metric descriptions (use collect_runs' frame)")
    write_metrics(metrics_path(path), infos)
    atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def _not_a_summary(path: str | Path, problem: str) -> SummaryError:
    return SummaryError(
        f"{path}: not a summary.csv of `gan-bench aggregate` ({problem}); rerun "
        "`gan-bench aggregate STUDY` to write it again from the run folders"
    )


def read_summary(path: str | Path) -> pd.DataFrame:
    """summary.csv as written by `gan-bench aggregate` (levels still as pandas parsed them);
    SummaryError naming it when it does not parse, lacks the cell, seed or status column, or
    holds a seed that is no whole number or a status no run has."""
    try:
        frame = pd.read_csv(path)
    except ValueError as error:  # ParserError, EmptyDataError, UnicodeDecodeError
        raise _not_a_summary(path, str(error).strip().splitlines()[0]) from None
    missing = [name for name in ("cell", "seed", "status") if name not in frame.columns]
    if missing:
        raise _not_a_summary(path, f"no column {', '.join(missing)}")
    seeds = pd.to_numeric(frame["seed"], errors="coerce")
    if not (seeds.notna() & (seeds % 1 == 0)).all():
        bad = frame["seed"][~(seeds.notna() & (seeds % 1 == 0))].iloc[0]
        raise _not_a_summary(path, f"seed: {str(bad)!r} is not a whole number")
    odd = sorted(set(frame["status"].astype(str)) - set(FINISHED))
    if odd:
        raise _not_a_summary(path, f"status: {odd[0]!r} is not one of {', '.join(FINISHED)}")
    return frame


def read_metric_columns(summary: str | Path) -> list[MetricColumn]:
    """The metric columns of summary.csv, from metrics.json beside it, resolved through the
    registry; SummaryError naming the file when it is missing or does not resolve."""
    path = metrics_path(summary)
    if not path.is_file():
        raise SummaryError(
            f"{path}: not found; {Path(summary).name} predates metrics.json (what each metric "
            "column means): re-run `gan-bench aggregate STUDY` to write it"
        )
    try:
        infos = read_json(path)
        return list(registry.resolve_all(infos).values())
    except (ValueError, AttributeError) as error:  # bad JSON, or UnknownMetric
        raise SummaryError(f"{path}: {error}") from None


def backfill_metrics(results_dir: Path, samples: int, codes: bool = False) -> Path:
    """metrics.json for a study folder aggregated before it existed: the columns the
    scorer made with the extractors its evaluator.json records and `samples` (the study's
    eval.num_samples), constructed from the registry (no training columns: such studies
    were scored before them); it must name exactly the metric
    columns of summary.csv, else SummaryError naming both."""
    folder = StudyFolder(results_dir)
    summary_path = folder.summary
    extractors = read_json(folder.evaluator)["extractors"]
    columns = registry.planned_columns(extractors, samples, codes, training=False)
    header = list(pd.read_csv(summary_path, nrows=0).columns)
    present = [c for c in header if c not in RUN_COLUMNS and c not in TRICKS]
    if present != [c.name for c in columns]:
        raise SummaryError(
            f"{summary_path}: metric columns {present} are not the registry's "
            f"{[c.name for c in columns]} for extractors {extractors}, {samples} samples"
        )
    return write_metrics(metrics_path(summary_path), columns)
