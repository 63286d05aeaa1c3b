"""`gan-bench transfer`: the members read from their results folders, judged across them by
analysis/transfer.py, and written as transfer.csv, transfer.json (typed, with the members'
file digests) and campaign.yaml; nothing is computed here that transfer.py does not."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from conftest import PLANTED_METRICS, planted, tiny_study

from gan_bench.analysis.common_scale import read_member
from gan_bench.analysis.result_file import frame_of
from gan_bench.analysis.stage import ResultsError, sources
from gan_bench.analysis.summary import write_summary
from gan_bench.analysis.transfer import campaign_of, judge_transfer, transfer_frame
from gan_bench.analysis.transfer_table import run_transfer, transfer_text
from gan_bench.files import read_json
from gan_bench.study.campaign_file import campaign_from_dict, load_campaign
from gan_bench.study.record import write_study_record

FACTORS = {"g_output": ["tanh", "sigmoid"], "latent": ["normal", "uniform"]}


def campaign(sizes=(16, 32, 64)):
    shared = {key: value for key, value in tiny_study(factors=FACTORS).items() if key != "name"}
    members = [
        {"name": f"d{size}", "dataset": {"name": "digits", "image_size": size}} for size in sizes
    ]
    return campaign_from_dict({"campaign": "tc", "study": shared, "members": members}, "c.yaml")


def write_members(spec, root, effect: float = 1.3):
    """Each member's results as aggregate leaves them: sigmoid x`effect` FID, other levels."""
    for index, (name, study) in enumerate(spec.members.items()):
        level = 20.0 * (index + 1)
        frame = planted(
            FACTORS,
            lambda levels, level=level: level * (effect if levels["g_output"] == "sigmoid" else 1),
            seeds=3,
            sd=0.5,
            rng_seed=index,
        )
        folder = spec.folder(root).member(name)
        write_summary(frame, folder.summary, PLANTED_METRICS)
        write_study_record(study, folder)


def test_the_table_is_transfer_frame_of_the_members_read_from_their_folders(tmp_path):
    spec = campaign()
    write_members(spec, tmp_path)
    frame, written = run_transfer(spec, tmp_path)
    folder = spec.folder(tmp_path)
    assert written == [folder.campaign, folder.transfer_csv, folder.transfer_json]
    members = [read_member(folder.member(name).root) for name in spec.members]
    expected = transfer_frame(judge_transfer(campaign_of(members)))
    pd.testing.assert_frame_equal(frame, expected)
    by_claim = frame.set_index(["factor", "level"])
    assert by_claim.loc[("g_output", "sigmoid"), "verdict"] in ("transfers", "holds on average")
    assert by_claim.loc[("g_output", "sigmoid"), "k"] == 3
    assert "d16 " in by_claim.loc[("g_output", "sigmoid"), "members"]  # named by member
    assert len(frame) == len(members[0].claims)  # one row per confirmatory claim


def test_the_files_hold_the_table_its_types_and_what_it_came_from(tmp_path):
    spec = campaign()
    write_members(spec, tmp_path)
    frame, _ = run_transfer(spec, tmp_path)
    folder = spec.folder(tmp_path)
    csv = pd.read_csv(folder.transfer_csv)
    assert list(csv.columns) == list(frame.columns) and len(csv) == len(frame)
    record = read_json(folder.transfer_json)
    assert record["format"] == 1 and record["campaign"] == "tc"
    pd.testing.assert_frame_equal(frame_of(record["table"]), frame)
    assert record["members"] == {
        name: {"sources": sources(folder.member(name))} for name in spec.members
    }
    again = load_campaign(folder.campaign, check_data=False)  # the resolved campaign
    assert {n: replace(s, path="") for n, s in again.members.items()} == {
        n: replace(s, path="") for n, s in spec.members.items()
    }
    assert "verdict" in transfer_text(frame).splitlines()[0]


def test_a_member_without_its_results_is_refused_by_name_before_anything_is_written(tmp_path):
    spec = campaign(sizes=(16, 32))
    write_members(spec, tmp_path)
    summary = spec.folder(tmp_path).member("d32").summary
    summary.unlink()
    with pytest.raises(ResultsError, match="d32"):
        run_transfer(spec, tmp_path)
    assert not spec.folder(tmp_path).transfer_json.exists()
