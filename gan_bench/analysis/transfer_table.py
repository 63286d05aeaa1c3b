"""`gan-bench transfer CAMPAIGN`, a campaign's last job: do its claims transfer across the
members? Each member's confirmatory claims on the common scale, read from its results folder
(common_scale.read_member: the member's own summary.csv, study.yaml, design.json and
metrics.json, as aggregate wrote them), judged across the members in one 5% error rate
(transfer.judge_transfer) and written as the transfer table (transfer.transfer_frame: one
row per claim) into results/<campaign>/:

- transfer.csv: the table, for people and papers;
- transfer.json: the same table with its types (analysis/result_file.py frame_record), the
  members it was computed from and the sha256 of each one's files (stage.sources), so a
  reader can tell a table made from other results;
- campaign.yaml: the resolved campaign (each member's study complete), as study.yaml is a
  study's.

No statistic is computed here: they are analysis/common_scale.py's and analysis/transfer.py's.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gan_bench.analysis.common_scale import read_member
from gan_bench.analysis.result_file import frame_record
from gan_bench.analysis.stage import sources
from gan_bench.analysis.transfer import campaign_of, judge_transfer, transfer_frame
from gan_bench.files import atomic_write, write_json
from gan_bench.folders import RESULTS_ROOT
from gan_bench.study.campaign_file import CampaignSpec, write_campaign_record

TRANSFER_FORMAT = 1
SHOWN = ("metric", "factor", "level", "baseline", "k", "pooled", "ci_low", "ci_high", "verdict")


def run_transfer(
    campaign: CampaignSpec, results_root: str | Path = RESULTS_ROOT
) -> tuple[pd.DataFrame, list[Path]]:
    """Read every member, judge the claims across them, write campaign.yaml, transfer.csv
    and transfer.json (last: its presence says the others are complete); the table and the
    files written. A member's missing or damaged results are refused by name (BadInput)."""
    folder = campaign.folder(results_root)
    members = {name: folder.member(name) for name in campaign.members}
    effects = [read_member(member.root) for member in members.values()]
    frame = transfer_frame(judge_transfer(campaign_of(effects)))
    write_campaign_record(campaign, folder)
    atomic_write(folder.transfer_csv, lambda tmp: frame.to_csv(tmp, index=False))
    record = {
        "format": TRANSFER_FORMAT,
        "campaign": campaign.name,
        "members": {name: {"sources": sources(member)} for name, member in members.items()},
        "table": frame_record(frame),
    }
    write_json(folder.transfer_json, record)
    return frame, [folder.campaign, folder.transfer_csv, folder.transfer_json]


def transfer_text(frame: pd.DataFrame) -> str:
    """The table's claims, pooled effects and words as plain text (what the job prints)."""
    if frame.empty:
        return "no confirmatory claim to judge"
    return frame[list(SHOWN)].to_string(index=False, float_format=lambda value: f"{value:.3g}")
