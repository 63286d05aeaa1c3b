"""The campaign report's tables: the transfer table and the verdict grid (each member's own
word, then the transfer word) as Markdown, LaTeX and HTML, and the cost per member and per
decided claim; every value is transfer.json's, shown, never recomputed."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from report_helpers import judged_campaign, parse_html

from gan_bench.analysis.transfer_table import TransferRecord, read_transfer
from gan_bench.report.campaign_tables import (
    CLAIM,
    CPU_NOTE,
    TRANSFER,
    claim_members,
    cost_rows,
    cost_text,
    decided_claims,
    transfer_display,
    verdict_grid,
    write_campaign_tables,
)

KEYS = {"metric": "fid", "baseline": "tanh", "expected": "worse", "scale": "log ratio"}


def table(verdicts=("transfers", "inconclusive")) -> pd.DataFrame:
    n = len(verdicts)
    return pd.DataFrame(
        {**{key: [value] * n for key, value in KEYS.items()},
         "factor": [f"f{i}" for i in range(n)], "level": ["sigmoid"] * n, "k": [3] * n,
         "pooled": [-0.25] * n, "ci_low": [-0.31] * n, "ci_high": [-0.19] * n,
         "pi_low": [-0.45] + [np.nan] * (n - 1), "pi_high": [-0.05] + [np.nan] * (n - 1),
         "tau2": [0.0012] * n, "i2": [0.25] * n, "verdict": list(verdicts),
         "datasets_needed": [np.nan] + [math.inf] * (n - 1),
         "seeds_needed": [np.nan] + [7.0] * (n - 1),
         "note": ["3 datasets: ..."] * n}
    )  # fmt: skip


def members(claims: pd.DataFrame, words: dict[str, list[str]]) -> pd.DataFrame:
    rows = [
        {**claim[["metric", "factor", "level", "baseline"]].to_dict(), "member": name,
         "member_verdict": said[c]}
        for name, said in words.items() for c, (_, claim) in enumerate(claims.iterrows())
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_the_grid_shows_each_members_own_word_then_the_transfer_word():
    claims = table()
    said = {"digits": ["supported", "inconclusive"], "mnist": ["contradicted", ""]}
    grid = verdict_grid(claims, members(claims, said))
    assert list(grid.columns) == [CLAIM, "digits", "mnist", TRANSFER]
    assert grid[CLAIM].tolist() == ["f0: sigmoid vs tanh (fid)", "f1: sigmoid vs tanh (fid)"]
    assert grid["digits"].tolist() == ["supported", "inconclusive"]
    assert grid["mnist"].tolist() == ["contradicted", "—"]  # not a claim of that member
    assert grid[TRANSFER].tolist() == ["transfers", "inconclusive"]
    one = claim_members(members(claims, said), claims.iloc[1])
    assert one["member"].tolist() == ["digits", "mnist"] and one["factor"].eq("f1").all()


def test_the_transfer_table_shows_the_intervals_and_what_would_decide():
    shown = transfer_display(table())
    # half-widths of 0.06: two significant digits, as a study's tables (tables.decimals_for)
    assert shown.loc[0, "pooled [95% CI]"] == "-0.250 [-0.310, -0.190]"
    assert shown.loc[0, "95% prediction interval"] == "[-0.450, -0.050]"
    assert shown.loc[1, "95% prediction interval"] == "n/a (fewer than 3 datasets)"
    assert shown.loc[0, "τ²"] == "0.0012" and shown.loc[0, "I²"] == "25%"
    assert shown.loc[0, "expected"] == "sigmoid worse than tanh"
    assert shown["datasets to decide"].tolist() == ["—", "> 100"]
    assert shown["seeds/cell to decide"].tolist() == ["—", "7"]


def record(claims: pd.DataFrame, seconds=(7200.0, 3600.0)) -> TransferRecord:
    info = {f"m{i}": {"sources": {}, "runs": 10, "train_seconds": s} for i, s in enumerate(seconds)}
    return TransferRecord("c", "", claims, pd.DataFrame(), info)


def test_the_cost_is_training_hours_per_member_and_per_decided_claim():
    claims = table(("transfers", "holds on average", "inconclusive", "no direction claimed"))
    assert decided_claims(claims) == 2
    assert cost_rows(record(claims)) == [
        {"member": "m0", "runs": 10, "cpu_hours": "2.00"},
        {"member": "m1", "runs": 10, "cpu_hours": "1.00"},
    ]
    text = cost_text(record(claims))
    assert text == (
        "20 runs, 3.00 CPU-hours of training in all; 1.50 CPU-hours per decided claim "
        "(2 of 4 decided)."
    )
    assert "no claim decided yet" in cost_text(record(table(("inconclusive",))))
    assert "training" in CPU_NOTE and "seconds" in CPU_NOTE


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    return judged_campaign(tmp_path_factory.mktemp("campaign"))


def test_the_files_are_markdown_booktabs_and_html_of_the_same_rows(campaign):
    written = write_campaign_tables(read_transfer(campaign), campaign)
    assert written == campaign.report_tables
    grid_md = campaign.verdict_grid.with_suffix(".md").read_text()
    assert "| claim" in grid_md and "| d16 " in grid_md and "supported" in grid_md
    tex = campaign.transfer_table.with_suffix(".tex").read_text()
    assert r"\toprule" in tex and r"\bottomrule" in tex and "τ" not in tex
    assert tex.count(r"$\tau^2$") == 2  # the header and the caption
    assert r"\label{tab:transfer}" in tex and "3 datasets: the prediction interval" in tex
    html = parse_html(campaign.verdict_grid.with_suffix(".html").read_text())
    header, *rows = html.tables[0]
    assert header == [CLAIM, "d16", "d32", "d64", TRANSFER]
    assert rows[0][1:] == ["supported", "supported", "supported", "transfers"]
