"""The campaign report's tables, from transfer.json (analysis/transfer_table.py
read_transfer), each as Markdown, LaTeX (booktabs, pandas Styler) and HTML, as a study's
tables are (report/tables.py):

- the transfer table: per claim the pooled effect on the common scale with its HKSJ 95%
  interval, the 95% prediction interval for a new dataset, tau^2, I^2, the transfer verdict
  and the datasets or seeds that would decide it;
- the verdict grid: a row per claim, a column per member with the member's own verdict word
  (its own report's: transfer_members' `member_verdict`, never judged again here), and last
  the transfer verdict across the members;
- the cost: per member its runs and the CPU-hours of their training, and per decided claim.

No statistic is computed here; the cost is a sum of the members' recorded training seconds.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gan_bench.analysis.equivalence import MAX_SEEDS
from gan_bench.analysis.transfer import MAX_DATASETS, UNDECIDED
from gan_bench.analysis.transfer_table import TransferRecord
from gan_bench.files import atomic_write
from gan_bench.folders import CampaignFolder
from gan_bench.report.claim_display import expected_text
from gan_bench.report.displays import ci_text, html_table
from gan_bench.report.tables import (
    LATEX_TEXT,
    MISSING,
    decimals_for,
    frame_latex,
    frame_markdown,
)

KEYS = ["metric", "factor", "level", "baseline"]  # a claim, as transfer.json keys it
CLAIM, TRANSFER = "claim", "transfer verdict"  # the grid's first and last columns
NO_PREDICTION = "n/a (fewer than 3 datasets)"
LATEX_SYMBOLS = {"τ²": r"$\tau^2$", "I²": r"$I^2$"}
TRANSFER_CAPTION = (
    "Transfer across datasets: per confirmatory claim, the members' average effects on the "
    "common scale (improvement: positive is better; FID as a log ratio) combined by a "
    "random-effects meta-analysis (Paule-Mandel τ², HKSJ 95% interval), the 95% prediction "
    "interval for the effect on a new dataset, and the transfer verdict in one 5% error rate "
    "for the campaign; undecided claims say how many datasets in all, or seeds per cell on "
    "every member, would decide them."
)
GRID_CAPTION = (
    "Verdict grid: each member's own verdict on each claim, as its own report gives it "
    "(judged in that study's own 5%), and the transfer verdict across the members."
)
CPU_NOTE = (
    "CPU-hours count training only: the sum of the members' runs' training seconds "
    "(summary.csv's `seconds`, one thread per run) / 3600; scoring, the domain classifier, "
    "the analyses and the reports are not counted."
)


def claim_label(claim: pd.Series) -> str:
    """'g_output: sigmoid vs tanh (fid)'."""
    return f"{claim['factor']}: {claim['level']} vs {claim['baseline']} ({claim['metric']})"


def claim_members(members: pd.DataFrame, claim: pd.Series) -> pd.DataFrame:
    """The members' rows of one claim of the transfer table, in member order."""
    mask = np.logical_and.reduce([members[key].astype(str) == str(claim[key]) for key in KEYS])
    return members[mask].reset_index(drop=True)


def count_text(needed: float, most: int) -> str:
    """'12'; '> 100' when no practical campaign decides; '—' when decided or no estimate."""
    if math.isnan(needed):
        return MISSING
    return f"> {most}" if math.isinf(needed) else str(int(needed))


def interval_text(low: float, high: float, decimals: int, missing: str) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return missing
    return f"[{low:+.{decimals}f}, {high:+.{decimals}f}]"


def transfer_display(table: pd.DataFrame) -> pd.DataFrame:
    """The transfer table as the report shows it: a row per claim."""
    decimals = decimals_for((table["ci_high"] - table["ci_low"]) / 2, table["pooled"])
    rows = list(table.itertuples(index=False))
    return pd.DataFrame(
        {
            CLAIM: [claim_label(row) for _, row in table.iterrows()],
            "expected": [expected_text(r.expected, r.level, r.baseline) for r in rows],
            "scale": table["scale"],
            "datasets": [int(k) for k in table["k"]],
            "pooled [95% CI]": [ci_text(r.pooled, r.ci_low, r.ci_high, decimals) for r in rows],
            "95% prediction interval": [
                interval_text(r.pi_low, r.pi_high, decimals, NO_PREDICTION) for r in rows
            ],
            "τ²": [f"{v:.2g}" if np.isfinite(v) else "n/a" for v in table["tau2"]],
            "I²": [f"{v:.0%}" if np.isfinite(v) else "n/a" for v in table["i2"]],
            TRANSFER: table["verdict"],
            "datasets to decide": [count_text(v, MAX_DATASETS) for v in table["datasets_needed"]],
            "seeds/cell to decide": [count_text(v, MAX_SEEDS) for v in table["seeds_needed"]],
        }
    )


def verdict_grid(table: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """Rows: claims; columns: each member's own verdict word ('—' where the claim is not
    the member's), then the transfer verdict."""
    names = list(dict.fromkeys(members["member"]))
    rows = []
    for _, claim in table.iterrows():
        own = claim_members(members, claim).set_index("member")["member_verdict"]
        words = {name: own.get(name, "") or MISSING for name in names}
        rows.append({CLAIM: claim_label(claim), **words, TRANSFER: claim["verdict"]})
    return pd.DataFrame(rows, columns=[CLAIM, *names, TRANSFER])


def decided_claims(table: pd.DataFrame) -> int:
    """Claims whose transfer verdict decides something (not inconclusive, no decided
    effect, or no direction claimed)."""
    return int((~table["verdict"].isin(UNDECIDED)).sum())


def cost_rows(record: TransferRecord) -> list[dict[str, str | int]]:
    """Per member: its runs and the CPU-hours of their training (CPU_NOTE)."""
    return [
        {"member": name, "runs": int(info["runs"]),
         "cpu_hours": f"{float(info['train_seconds']) / 3600:.2f}"}
        for name, info in record.member_info.items()
    ]  # fmt: skip


def cost_text(record: TransferRecord) -> str:
    """The campaign's training CPU-hours in all and per decided claim."""
    runs = sum(int(info["runs"]) for info in record.member_info.values())
    hours = sum(float(info["train_seconds"]) for info in record.member_info.values()) / 3600
    decided = decided_claims(record.table)
    each = (f"{hours / decided:.2f} CPU-hours per decided claim ({decided} of "
            f"{len(record.table)} decided)" if decided else "no claim decided yet")  # fmt: skip
    return f"{runs} runs, {hours:.2f} CPU-hours of training in all; {each}."


def write_display(
    frame: pd.DataFrame, stem: Path, caption: str, notes: Sequence[str] = ()
) -> list[Path]:
    """stem.md, stem.tex and stem.html (a standalone page) of one display frame."""
    table = html_table(frame, stem.name, caption)
    lines = "".join(f"<p>{html.escape(line)}</p>\n" for line in notes)
    page = (
        f"<!doctype html>\n<html><head><meta charset='utf-8'><title>{stem.name}</title>"
        f"</head><body>\n{table}\n{lines}</body></html>\n"
    )
    label = f"tab:{stem.name.replace('_', '-')}"
    outputs = {
        stem.with_suffix(".md"): frame_markdown(frame, [caption, *notes]),
        stem.with_suffix(".tex"): frame_latex(
            frame, " ".join([caption, *notes]), label, LATEX_SYMBOLS | LATEX_TEXT
        ),
        stem.with_suffix(".html"): page,
    }
    for path, text in outputs.items():
        atomic_write(path, lambda tmp, text=text: tmp.write_text(text, encoding="utf-8"))
    return list(outputs)


def write_campaign_tables(record: TransferRecord, folder: CampaignFolder) -> list[Path]:
    """The transfer table and the verdict grid into the campaign's tables/."""
    notes = list(dict.fromkeys(record.table["note"]))
    written = write_display(
        transfer_display(record.table), folder.transfer_table, TRANSFER_CAPTION, notes
    )
    grid = verdict_grid(record.table, record.members)
    return written + write_display(grid, folder.verdict_grid, GRID_CAPTION)
