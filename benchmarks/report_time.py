"""Seconds to analyse and report a study the size of ablations/default.yaml.

A synthetic results folder (the study's cells x seeds, nine metrics, a log.jsonl and a
samples.png per run) is reported on with gan_bench.report.build; prints where the time goes.
It is not a test.

    .venv/bin/python benchmarks/report_time.py [--study ablations/default.yaml] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from gan_bench.analysis import analyse, stage, summary
from gan_bench.folders import StudyFolder
from gan_bench.report import build, figures, inputs, looks, tables
from gan_bench.score.registry import planned_columns
from gan_bench.study.design import cells
from gan_bench.study.record import write_study_record
from gan_bench.study.study_file import load_study

REPO = Path(__file__).resolve().parent.parent
COLUMNS = planned_columns(["cnn"], 2000, codes=True)  # every metric, as scoring names them
SPREAD = {  # registry key -> (mean, sd)
    "fid": (40.0, 8.0),
    "is": (6.0, 0.5),
    "kid": (0.03, 0.01),
    "precision": (0.6, 0.05),
    "recall": (0.4, 0.05),
    "modes_hit": (9.0, 0.8),
    "mode_kl": (0.1, 0.05),
    "code_accuracy": (0.5, 0.1),
    "code_r2": (0.6, 0.1),
    "code_consistency": (0.7, 0.1),
    "checkerboard": (0.2, 0.1),
    "slant_r_c1": (0.8, 0.1),
    "slant_r_c2": (0.2, 0.1),
    "thickness_r_c1": (0.1, 0.05),
    "thickness_r_c2": (0.5, 0.1),
    "d_overfit": (0.02, 0.01),
    "d_balance": (0.6, 0.1),
    "overfit_pattern": (0.1, 0.3),
}
METRICS = {c.name: SPREAD[c.metric.key] for c in COLUMNS}


def synthetic_results(study_path: str, folder: Path) -> Path:
    """summary.csv, study.yaml, design.json and run folders with plausible noise; the first
    factor shifts FID by 5."""
    study = load_study(study_path)
    rng = np.random.default_rng(0)
    steps = int(study.train["steps"])
    every = int(study.train["log_every"])
    rows = []
    for cell in cells(study):
        shift = 5.0 * (list(cell.levels.values())[:1] != list(study.factors.values())[0][:1])
        for seed in study.seeds:
            row = {"cell": cell.id, **cell.levels, "seed": seed, "status": "completed"}
            row |= {"step": steps, "seconds": 60.0, "images_per_second": 1000.0}
            row |= {m: mean + rng.normal(0, sd) for m, (mean, sd) in METRICS.items()}
            row["fid_cnn_2k"] += shift
            rows.append(row)
            run = folder / "runs" / cell.id / f"seed-{seed}"
            run.mkdir(parents=True)
            (run / "config.json").write_text(json.dumps({"study": study.name, "cell": cell.id}))
            (run / "run.json").write_text(json.dumps({"status": "completed", "device": "cpu"}))
            log = [
                {
                    "step": s,
                    "d_loss": 1.0 + rng.normal(0, 0.1),
                    "g_loss": 1.0 + rng.normal(0, 0.1),
                    "d_real": 0.6,
                    "d_fake": 0.4,
                    "d_adv": 0.6 + rng.normal(0, 0.05),
                    "g_adv": 0.8 + rng.normal(0, 0.05),
                    "d_overfit": 0.02 + rng.normal(0, 0.01),
                }
                for s in range(every, steps + 1, every)
            ]
            (run / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in log))
            pixels = (rng.random((8 * 18, 8 * 18)) * 255).astype("uint8")
            Image.fromarray(pixels).save(run / "samples.png")
    summary.write_summary(pd.DataFrame(rows), folder / "summary.csv", COLUMNS)
    write_study_record(study, StudyFolder(folder))  # as `gan-bench aggregate` does
    return folder


def timed(label: str, timings: dict[str, float], function, *args):
    start = time.perf_counter()
    result = function(*args)
    timings[label] = time.perf_counter() - start
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default=str(REPO / "ablations" / "default.yaml"))
    parser.add_argument("--keep", help="write the results folder here instead of a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.keep or scratch) / "bench"
        timings: dict[str, float] = {}
        timed("synthetic results", timings, synthetic_results, args.study, folder)
        frame = summary.read_summary(folder / "summary.csv")
        columns = summary.read_metric_columns(folder / "summary.csv")
        study = load_study(args.study)
        result = timed("analyse", timings, lambda: analyse.analyse(frame, study, metrics=columns))
        stage_folder = StudyFolder(folder)
        timed("analyse stage", timings, stage.run_analysis, stage_folder)
        claims = looks.claims_shown(result, None)
        timed("tables", timings, tables.write_tables, result, folder / "tables", claims)
        figure_dir = folder / "figures"
        timed("forest", timings, figures.forest, result, figure_dir / "effects.png")
        timed("strips", timings, figures.strips, result, figure_dir)
        timed("interactions", timings, figures.interactions, result, figure_dir)
        logs = timed("read logs", timings, inputs.read_logs, StudyFolder(folder), result)
        timed("curves", timings, figures.curves, logs, result, figure_dir)
        tiles = inputs.sample_tiles(StudyFolder(folder), result)
        timed("mosaic", timings, figures.mosaic, tiles, figure_dir / "samples.png")
        files = timed("whole report", timings, build.build_report, folder)
        size = files.html.stat().st_size / 1e6
        print(f"{len(frame)} runs, {len(result.metrics)} metrics, report.html {size:.1f} MB")
        for label, seconds in timings.items():
            print(f"{label:>18}: {seconds:7.2f} s")


if __name__ == "__main__":
    main()
