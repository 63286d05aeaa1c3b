"""The report of a sequential study: its looks, the sequential verdicts with the look that
gave them, why it stopped; a folder without sequence.json is reported as before."""

from __future__ import annotations

import re

from report_helpers import analyse_and_report, synthetic_summary, write_results

from gan_bench.analysis.analyse import analyse
from gan_bench.analysis.result_file import Looks
from gan_bench.analysis.sequential import MAX_SEEDS, Schedule, state
from gan_bench.analysis.stage import run_analysis
from gan_bench.files import write_json
from gan_bench.folders import StudyFolder
from gan_bench.report.inputs import gather
from gan_bench.report.looks import looks_display

FID = "fid_cnn_2k"
SCHEDULE = Schedule((0, 1), 2, 6)  # looks at 2, 4, 6 seeds per cell


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _folder(tmp_path, seeds: int, planned: int) -> StudyFolder:
    summary = synthetic_summary(seeds=seeds)
    folder = StudyFolder(write_results(tmp_path / "synthetic", summary))
    write_json(folder.sequence, state(SCHEDULE, planned))
    return folder


def test_a_finished_sequence_shows_each_look_and_the_look_of_each_verdict(tmp_path):
    folder = _folder(tmp_path, seeds=6, planned=3)
    inputs = gather(folder)
    analysis, sequence, _ = run_analysis(folder)
    last = analyse(inputs.summary, inputs.study, inputs.design, metrics=inputs.metrics,
                   look_share=SCHEDULE.shares[-1])  # fmt: skip
    assert analysis.look_share == SCHEDULE.shares[-1]
    assert list(analysis.effects["estimate"]) == list(last.effects["estimate"])
    word, at = sequence.verdicts[(FID, "g_output", "sigmoid")]
    claims = analysis.claims[analysis.claims["metric"] == FID].set_index("factor")
    assert claims.loc["g_output", "verdict"] == word == "supported"
    table = looks_display(Looks.of(sequence))
    assert list(table["seeds per cell"]) == [2, 4, 6] and list(table["runs"]) == [8, 16, 24]
    assert table["spent so far"].iloc[-1] == "100.0%"
    assert "g_output = sigmoid: supported" in table["claims decided"].iloc[at - 1]

    page = _text(analyse_and_report(folder.root).html.read_text(encoding="utf-8"))
    assert f"supported (look {at} of 3)" in page
    assert f"Stopped after look 3: {MAX_SEEDS}." in page
    assert "union bound" in page and "Looks" in page


def test_a_sequence_still_running_says_what_comes_next(tmp_path):
    folder = _folder(tmp_path, seeds=4, planned=3)  # look 3's seeds not run yet
    html = analyse_and_report(folder.root).html.read_text(encoding="utf-8")
    assert "Still running: look 3 (6 seeds per cell) comes next." in _text(html)


def test_without_sequence_json_the_report_has_no_looks(tmp_path):
    folder = StudyFolder(write_results(tmp_path / "synthetic", synthetic_summary()))
    analysis, sequence, _ = run_analysis(folder)
    assert sequence is None and analysis.look_share == 1.0
    html = analyse_and_report(folder.root).html.read_text(encoding="utf-8")
    assert 'data-table="looks"' not in html and "union bound" not in html
    assert "(look " not in html
