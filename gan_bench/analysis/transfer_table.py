"""`gan-bench transfer CAMPAIGN`, a campaign's last job: do its claims transfer across the
members? Each member's confirmatory claims on the common scale, read from its results folder
(common_scale.read_member: the member's own summary.csv, study.yaml, design.json and
metrics.json, as aggregate wrote them), judged across the members in one 5% error rate
(transfer.judge_transfer) and written as the transfer table (transfer_frames.transfer_frame: one
row per claim) into results/<campaign>/:

- transfer.csv: the table, for people and papers;
- transfer_members.csv: one row per claim and member (transfer_frames.member_frame: the member's
  effect on the common scale with its 95% interval, whether the campaign's member test
  decided it), with the member's own verdict word for the claim as its own analysis.json
  says it (the `claims` frame `gan-bench analyse` wrote: what the member's report shows;
  the campaign never judges a member again);
- transfer.json: both tables with their types (analysis/result_file.py frame_record), and
  per member the sha256 of the files it was read from (stage.sources and analysis.json),
  its runs and their training seconds (summary.csv's `seconds`: the campaign report's
  cost), so a reader can tell a table made from other results;
- campaign.yaml: the resolved campaign (each member's study complete), as study.yaml is a
  study's.

No statistic is computed here: they are analysis/common_scale.py's and analysis/transfer.py's.
The campaign report reads transfer.json back with read_transfer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from gan_bench.analysis.common_scale import ClaimKey, read_member
from gan_bench.analysis.result_file import frame_of, frame_record
from gan_bench.analysis.stage import StudyData, read_analysis, read_study_data
from gan_bench.analysis.stage import sources as study_sources
from gan_bench.analysis.transfer import campaign_of, judge_transfer
from gan_bench.analysis.transfer_frames import member_frame, transfer_frame
from gan_bench.errors import BadInput
from gan_bench.files import atomic_write, read_json, write_json
from gan_bench.folders import RESULTS_ROOT, CampaignFolder, StudyFolder
from gan_bench.study.campaign_file import CampaignSpec, write_campaign_record

TRANSFER_FORMAT = 2  # 2: the members' rows (effects and own verdicts) and their costs
SHOWN = ("metric", "factor", "level", "baseline", "k", "pooled", "ci_low", "ci_high", "verdict")
NOT_A_CLAIM = ""  # the member verdict of a claim the member does not make


class TransferError(BadInput):
    """transfer.json is missing, unreadable, of another format or older than its members."""


@dataclass(frozen=True)
class TransferRecord:
    """transfer.json read back: the table (a row per claim), the members' rows (a row per
    claim and member) and per member its sources, runs and training seconds."""

    campaign: str
    description: str
    table: pd.DataFrame
    members: pd.DataFrame
    member_info: dict[str, dict[str, Any]]


def member_verdicts(data: StudyData) -> dict[ClaimKey, str]:
    """A member's own verdict word per confirmatory claim, as its analysis.json says it
    (the `claims` frame: what its report shows), keyed as a campaign aligns claims (the
    metric's family, the factor, level and baseline as text). AnalysisError when
    analysis.json is missing or computed from other files."""
    analysis, _ = read_analysis(data)
    family = {column.name: column.metric.key for column in data.metrics}
    claims = analysis.claims[analysis.claims["confirmatory"].astype(bool)]
    return {
        (family[row.metric], str(row.factor), str(row.level), str(row.baseline)): row.verdict
        for row in claims.itertuples()
        if row.metric in family
    }


def member_sources(folder: StudyFolder) -> dict[str, str]:
    """sha256 of every file a member was read from: the analysis stage's and analysis.json."""
    found = study_sources(folder)
    if folder.analysis.is_file():
        found[folder.analysis.name] = hashlib.sha256(folder.analysis.read_bytes()).hexdigest()
    return found


def _info(data: StudyData) -> dict[str, Any]:
    """A member's record in transfer.json: its sources, runs and their training seconds."""
    seconds = pd.to_numeric(data.summary["seconds"], errors="coerce").sum()
    return {"sources": member_sources(data.folder), "runs": len(data.summary),
            "train_seconds": float(seconds)}  # fmt: skip


def judge_members(
    folder: CampaignFolder, names: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, dict[str, Any]]]:
    """Read every member (refused by name when its results or analysis.json are missing,
    damaged or stale), judge the claims across them: the table, the members' rows with each
    member's own verdict, and each member's record."""
    effects, verdicts, info = [], {}, {}
    for name in names:
        member = folder.member(name)
        effects.append(replace(read_member(member.root), name=name))  # the campaign's name
        data = read_study_data(member)
        verdicts[name], info[name] = member_verdicts(data), _info(data)
    transfer = judge_transfer(campaign_of(effects))
    rows = member_frame(transfer)
    keys = zip(rows["metric"], rows["factor"], rows["level"], rows["baseline"], strict=True)
    rows["member_verdict"] = [
        verdicts[member].get(tuple(map(str, key)), NOT_A_CLAIM)
        for member, key in zip(rows["member"], keys, strict=True)
    ]
    return transfer_frame(transfer), rows, info


def run_transfer(
    campaign: CampaignSpec, results_root: str | Path = RESULTS_ROOT
) -> tuple[pd.DataFrame, list[Path]]:
    """Read every member, judge the claims across them, write campaign.yaml, transfer.csv,
    transfer_members.csv and transfer.json (last: its presence says the others are
    complete); the table and the files written. A member's missing or damaged results are
    refused by name (BadInput) before anything is written."""
    folder = campaign.folder(results_root)
    frame, rows, info = judge_members(folder, list(campaign.members))
    write_campaign_record(campaign, folder)
    return frame, [folder.campaign, *write_transfer(folder, campaign, frame, rows, info)]


def write_transfer(
    folder: CampaignFolder,
    campaign: CampaignSpec,
    frame: pd.DataFrame,
    rows: pd.DataFrame,
    info: dict[str, dict[str, Any]],
) -> list[Path]:
    """transfer.csv, transfer_members.csv and transfer.json (last), from judge_members."""
    atomic_write(folder.transfer_csv, lambda tmp: frame.to_csv(tmp, index=False))
    atomic_write(folder.transfer_members, lambda tmp: rows.to_csv(tmp, index=False))
    record = {
        "format": TRANSFER_FORMAT,
        "campaign": campaign.name,
        "description": campaign.description,
        "members": info,
        "table": frame_record(frame),
        "member_rows": frame_record(rows),
    }
    write_json(folder.transfer_json, record)
    return [folder.transfer_csv, folder.transfer_members, folder.transfer_json]


def read_transfer(folder: CampaignFolder) -> TransferRecord:
    """transfer.json, checked: TransferError naming it when it is missing, unreadable, of
    another format, or computed from other member files than those in the folder now."""
    how = "run `gan-bench transfer CAMPAIGN`"
    if not folder.transfer_json.is_file():
        raise TransferError(f"{folder.transfer_json}: not found; {how} first")
    try:
        record = read_json(folder.transfer_json)
        found = record.get("format")
        if found == TRANSFER_FORMAT:
            table, rows = frame_of(record["table"]), frame_of(record["member_rows"])
            info = {name: dict(value) for name, value in record["members"].items()}
    except (OSError, ValueError, AttributeError, KeyError, TypeError) as error:
        raise TransferError(f"{folder.transfer_json}: unreadable ({error}); {how}") from None
    if found != TRANSFER_FORMAT:
        raise TransferError(
            f"{folder.transfer_json}: format {found}, this gan-bench reads {TRANSFER_FORMAT}; {how}"
        )
    stale = [n for n, i in info.items() if member_sources(folder.member(n)) != i.get("sources")]
    if stale:
        raise TransferError(
            f"{folder.transfer_json}: computed from other files of {', '.join(stale)} than "
            f"those there now; {how}"
        )
    description = str(record.get("description", ""))
    return TransferRecord(str(record["campaign"]), description, table, rows, info)


def transfer_text(frame: pd.DataFrame) -> str:
    """The table's claims, pooled effects and words as plain text (what the job prints)."""
    if frame.empty:
        return "no confirmatory claim to judge"
    return frame[list(SHOWN)].to_string(index=False, float_format=lambda value: f"{value:.3g}")
