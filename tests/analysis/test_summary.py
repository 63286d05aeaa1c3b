"""summary.csv: one row per run folder, read back as written."""

from __future__ import annotations

import json

import pandas as pd

from gan_bench.analysis.summary import collect_runs, read_summary, write_summary


def test_collect_runs_still_builds_summary_rows(tmp_path):
    folder = tmp_path / "runs" / "g_output-tanh" / "seed-0"
    folder.mkdir(parents=True)
    config = {"cell": "g_output-tanh", "seed": 0, "tricks": {"g_output": "tanh"}}
    (folder / "config.json").write_text(json.dumps(config))
    run = {"status": "completed", "step": 5, "seconds": 1.0, "images_per_second": 2.0}
    (folder / "run.json").write_text(json.dumps(run))
    (folder / "scores.json").write_text(json.dumps({"metrics": {"fid_cnn_2k": 12.5}}))
    frame = collect_runs([folder], ["g_output"])
    assert list(frame.columns[:4]) == ["cell", "g_output", "seed", "status"]
    assert frame.loc[0, "fid_cnn_2k"] == 12.5


def test_summary_reads_back_as_written(tmp_path):
    frame = pd.DataFrame(
        {
            "cell": ["a", "b"],
            "seed": [0, 1],
            "status": ["completed", "diverged"],
            "fid": [1.5, None],
        }
    )
    write_summary(frame, tmp_path / "summary.csv")
    assert read_summary(tmp_path / "summary.csv").equals(frame)
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically: no temp file left
