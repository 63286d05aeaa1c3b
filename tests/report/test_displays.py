"""The report page's other tables: claim vs evidence with verdicts and seeds needed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from report_helpers import built_report, parse_html


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    return built_report(tmp_path_factory)


def test_claims_in_the_report_give_verdict_and_seeds_needed(report):
    page = parse_html((report / "report.html").read_text(encoding="utf-8"))
    claims = page.tables[page.table_ids.index("claims")]
    header, rows = claims[0], {row[0]: row for row in claims[1:]}
    verdict, seeds = header.index("verdict"), header.index("seeds/cell to decide")
    assert rows["g_output"][verdict] == "supported"
    assert rows["latent"][verdict] == "inconclusive"
    assert re.fullmatch(r"(\d+|> 1000) \(now [\d.]+\)", rows["latent"][seeds])
