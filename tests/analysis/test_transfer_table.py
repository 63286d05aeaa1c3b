"""`gan-bench transfer`: the members read from their results folders, judged across them by
analysis/transfer.py, and written as transfer.csv, transfer_members.csv (each member's
effect and its own verdict per claim), transfer.json (typed, with the members' file digests
and costs) and campaign.yaml; nothing is computed here that transfer.py does not, and a
member's verdict is its own analysis.json's."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest
from conftest import planted_campaign, write_planted_members

from gan_bench.analysis.common_scale import read_member
from gan_bench.analysis.result_file import frame_of
from gan_bench.analysis.stage import (
    AnalysisError,
    ResultsError,
    read_analysis,
    read_study_data,
    run_analysis,
)
from gan_bench.analysis.transfer import campaign_of, judge_transfer
from gan_bench.analysis.transfer_frames import member_frame, transfer_frame
from gan_bench.analysis.transfer_table import (
    TransferError,
    member_sources,
    read_transfer,
    run_transfer,
    transfer_text,
)
from gan_bench.files import read_json
from gan_bench.study.campaign_file import load_campaign


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    """A three-member planted campaign (sigmoid x1.3 FID on each), analysed and judged."""
    root = tmp_path_factory.mktemp("campaign")
    spec = planted_campaign()
    write_planted_members(spec, root)
    frame, written = run_transfer(spec, root)
    return spec, root, frame, written


def test_the_table_is_transfer_frame_of_the_members_read_from_their_folders(judged):
    spec, root, frame, written = judged
    folder = spec.folder(root)
    assert written == [
        folder.campaign, folder.transfer_csv, folder.transfer_members, folder.transfer_json
    ]  # fmt: skip
    members = [read_member(folder.member(name).root) for name in spec.members]
    expected = transfer_frame(judge_transfer(campaign_of(members)))
    pd.testing.assert_frame_equal(frame, expected)
    by_claim = frame.set_index(["factor", "level"])
    assert by_claim.loc[("g_output", "sigmoid"), "verdict"] in ("transfers", "holds on average")
    assert by_claim.loc[("g_output", "sigmoid"), "k"] == 3
    assert "d16 " in by_claim.loc[("g_output", "sigmoid"), "members"]  # named by member
    assert len(frame) == len(members[0].claims)  # one row per confirmatory claim


def test_the_members_rows_are_member_frame_with_each_members_own_verdict(judged):
    spec, root, _, _ = judged
    folder = spec.folder(root)
    rows = pd.read_csv(folder.transfer_members, keep_default_na=False, na_values=[""])
    members = [read_member(folder.member(name).root) for name in spec.members]
    expected = member_frame(judge_transfer(campaign_of(members)))
    assert len(rows) == len(members[0].claims) * len(spec.members)
    pd.testing.assert_frame_equal(rows[expected.columns], expected, check_dtype=False)
    for name in spec.members:  # the word the member's own analysis.json holds, not a new one
        analysis, _ = read_analysis(read_study_data(folder.member(name)))
        claims = analysis.claims[analysis.claims["confirmatory"]]
        own = claims.set_index(["factor", "level"])["verdict"].to_dict()
        mine = rows[rows["member"] == name].set_index(["factor", "level"])
        shown = mine["member_verdict"].to_dict()
        assert shown == own and shown[("g_output", "sigmoid")] == "supported"
    sigmoid = rows[(rows["factor"] == "g_output")]
    assert (sigmoid["effect"] < 0).all()  # improvement: FID x1.3 is worse, so negative
    assert (sigmoid["ci_high"] < 0).all() and sigmoid["member_decided"].all()


def test_the_files_hold_the_tables_their_types_what_they_came_from_and_cost(judged):
    spec, root, frame, _ = judged
    folder = spec.folder(root)
    csv = pd.read_csv(folder.transfer_csv)
    assert list(csv.columns) == list(frame.columns) and len(csv) == len(frame)
    record = read_json(folder.transfer_json)
    assert record["format"] == 2 and record["campaign"] == "tc"
    assert record["description"] == "A planted campaign."
    pd.testing.assert_frame_equal(frame_of(record["table"]), frame)
    assert set(record["members"]) == set(spec.members)
    for name, info in record["members"].items():
        assert info["sources"] == member_sources(folder.member(name))
        assert "analysis.json" in info["sources"] and "summary.csv" in info["sources"]
        assert info["runs"] == 12 and info["train_seconds"] == 12.0  # planted: 1 s a run
    back = read_transfer(folder)
    pd.testing.assert_frame_equal(back.table, frame)
    assert (
        back.members["member_verdict"].tolist()
        == frame_of(record["member_rows"])["member_verdict"].tolist()
    )
    again = load_campaign(folder.campaign, check_data=False)  # the resolved campaign
    assert {n: replace(s, path="") for n, s in again.members.items()} == {
        n: replace(s, path="") for n, s in spec.members.items()
    }
    assert "verdict" in transfer_text(frame).splitlines()[0]


def test_a_stale_or_older_transfer_json_is_refused_by_name(judged, tmp_path):
    spec, root, _, _ = judged
    folder = spec.folder(root)
    record = read_json(folder.transfer_json)
    with pytest.raises(TransferError, match="not found"):
        read_transfer(spec.folder(tmp_path))
    copy = spec.folder(tmp_path / "old")
    copy.root.mkdir(parents=True)
    copy.transfer_json.write_text(json.dumps(record | {"format": 1}))
    with pytest.raises(TransferError, match="format 1"):
        read_transfer(copy)
    record["members"]["d32"]["sources"]["summary.csv"] = "0" * 64
    copy.transfer_json.write_text(json.dumps(record | {"campaign": "tc"}))
    with pytest.raises(TransferError, match="d16, d32, d64"):  # no member folders there
        read_transfer(copy)


def test_a_member_without_its_results_or_analysis_is_refused_by_name(tmp_path):
    spec = planted_campaign(sizes=(16, 32))
    write_planted_members(spec, tmp_path, analyse=False)
    run_analysis(spec.folder(tmp_path).member("d16"))
    with pytest.raises(AnalysisError, match="d32"):  # its verdicts are analysis.json's
        run_transfer(spec, tmp_path)
    summary = spec.folder(tmp_path).member("d32").summary
    summary.unlink()
    with pytest.raises(ResultsError, match="d32"):
        run_transfer(spec, tmp_path)
    assert not spec.folder(tmp_path).transfer_json.exists()
