"""The analysis stage: analyse a results folder once, write tables/*.csv and analysis.json,
and read back exactly what analyse() computed; a missing, foreign or stale analysis.json
is refused by name."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import TWO_BY_TWO, planted, planted_metrics, study_of

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "report"))
from report_helpers import synthetic_summary, write_results  # noqa: E402

from gan_bench.analysis.analyse import analyse  # noqa: E402
from gan_bench.analysis.result_file import ANALYSIS_FORMAT, FRAMES  # noqa: E402
from gan_bench.analysis.sequential import Schedule, state  # noqa: E402
from gan_bench.analysis.stage import (  # noqa: E402
    AnalysisError,
    ResultsError,
    StudyData,
    analyse_study,
    read_analysis,
    read_looks,
    read_study_data,
    run_analysis,
)
from gan_bench.files import write_json  # noqa: E402
from gan_bench.folders import StudyFolder  # noqa: E402


@pytest.fixture
def folder(tmp_path) -> StudyFolder:
    return StudyFolder(write_results(tmp_path / "synthetic", synthetic_summary()))


def test_the_stage_writes_what_analyse_computes_and_reads_it_back(folder):
    analysis, sequence, written = run_analysis(folder)
    assert sequence is None
    assert written[-1] == folder.analysis and set(written[:-1]) == set(folder.analysis_tables)
    data = read_study_data(folder)
    fresh = analyse(data.summary, data.study, data.design, metrics=data.metrics)
    claims = pd.read_csv(folder.tables / "claims.csv")
    assert list(claims["verdict"]) == list(fresh.claims["verdict"])
    back, looks = read_analysis(data)
    assert looks is None and back.primary == fresh.primary
    for name in FRAMES:
        expected = getattr(fresh, name).reset_index(drop=True)
        pd.testing.assert_frame_equal(getattr(back, name), expected, check_column_type=False)


def _crossover(levels: dict) -> float:
    """sigmoid is worse under a uniform latent and better under a normal one."""
    sign = 1.0 if levels["latent"] == "uniform" else -0.5
    return 30 + 10 * (levels["g_output"] == "sigmoid") * sign


def test_a_fixed_seed_study_is_one_look_with_the_whole_error_rate_and_analyse_s_numbers(
    tmp_path,
):
    """No sequence.json: the study is a schedule of one look at summary.csv's seeds (here
    not 0..n-1), spending the whole 5%; its analysis is analyse()'s of every run, every
    table and field equal, and it has no looks (a tested crossover: "depends on latent")."""
    frame = planted(TWO_BY_TWO, _crossover, seeds=3, sd=1.0)
    frame["seed"] = frame["seed"].map({0: 7, 1: 3, 2: 5})
    study, metrics = study_of(TWO_BY_TWO), planted_metrics(frame)
    new, sequence = analyse_study(StudyData(StudyFolder(tmp_path), frame, study, None, metrics))
    old = analyse(frame, study, None, metrics=metrics)
    assert sequence is None and new.look_share == 1.0 and len(new.runs) == len(frame)
    crossed = new.claims[new.claims["verdict"] == "depends on latent"]
    assert len(crossed) == 1 and crossed["depends_on"].iloc[0] == "latent"
    for field in dataclasses.fields(old):
        ours, theirs = getattr(new, field.name), getattr(old, field.name)
        if isinstance(theirs, pd.DataFrame):
            pd.testing.assert_frame_equal(ours, theirs, obj=field.name)
        else:
            assert ours == theirs, field.name


def test_a_missing_foreign_or_stale_analysis_is_refused_by_name(folder):
    data = read_study_data(folder)
    with pytest.raises(AnalysisError, match=r"analysis.json: not found; run `gan-bench analyse"):
        read_analysis(data)
    run_analysis(folder)
    record = json.loads(folder.analysis.read_text())
    folder.analysis.write_text(json.dumps(record | {"format": 99}))
    with pytest.raises(AnalysisError, match=f"format 99, this gan-bench reads {ANALYSIS_FORMAT}"):
        read_analysis(data)
    folder.analysis.write_text("{not json")
    with pytest.raises(AnalysisError, match="analysis.json: unreadable"):
        read_analysis(data)
    run_analysis(folder)
    folder.design.write_text(folder.design.read_text() + " ")
    with pytest.raises(AnalysisError, match="other files than design.json now"):
        read_analysis(read_study_data(folder))


def test_a_sequential_study_records_its_looks(folder):
    schedule = Schedule((0, 1), 1, 3)  # the synthetic study's seeds 0, 1, 2: 2 -> 3 per cell
    write_json(folder.sequence, state(schedule, 2))
    analysis, sequence, _ = run_analysis(folder)
    looks = read_looks(folder)
    assert [look.index for look in looks.looks] == [1, 2] and looks.sizes == [2, 3]
    assert looks.stop == sequence.stop and analysis.look_share == schedule.shares[-1]
    folder.sequence.unlink()
    run_analysis(folder)
    with pytest.raises(AnalysisError, match="has no looks"):
        read_looks(folder)


def test_results_that_cannot_be_analysed_name_their_file(tmp_path):
    with pytest.raises(ResultsError, match="summary.csv: not found"):
        run_analysis(StudyFolder(tmp_path / "nothing"))
