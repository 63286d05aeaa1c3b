"""The report page's other tables: claim vs evidence with verdicts and seeds needed, each
claim on the metric it is judged on (a dynamics claim on its own)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import planted
from report_helpers import analyse_and_report, built_report, parse_html, write_results

from gan_bench.study.tricks import TRICKS


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


NOISE = {"g_output": ["tanh", "sigmoid"], "instance_noise": [0.0, 0.1]}


def test_a_dynamics_claim_shows_its_metric_and_its_verdict(tmp_path):
    """instance noise lowers d_overfit (its dynamics claim) and leaves FID alone: the claim
    table has both of its claims, each with the metric it was judged on; the verdict matrix
    gives words only to confirmatory claims; both metrics' interactions spend half the 1%."""
    frame = planted(
        NOISE,
        lambda lv: 30.0 + 10.0 * (lv["g_output"] == "sigmoid"),
        seeds=4,
        d_overfit=lambda lv: 0.2 - 0.12 * (lv["instance_noise"] == 0.1),
    ).drop(columns=["is_cnn_2k"])
    folder = write_results(tmp_path / "dynamics", frame, factors=NOISE)
    page = parse_html(analyse_and_report(folder).html.read_text(encoding="utf-8"))
    claims = page.tables[page.table_ids.index("claims")]
    header, rows = claims[0], claims[1:]
    on, claim = header.index("judged on"), header.index("claim (source)")
    verdict = header.index("verdict")
    shown = {(row[0], row[on]): row for row in rows}
    assert list(shown) == [
        ("g_output", "fid_cnn_2k"),
        ("instance_noise", "fid_cnn_2k"),
        ("instance_noise", "d_overfit"),
    ]
    dynamics = shown[("instance_noise", "d_overfit")]
    assert dynamics[claim].startswith(TRICKS["instance_noise"].dynamics.claim)
    assert dynamics[verdict] == "supported"
    assert shown[("instance_noise", "fid_cnn_2k")][verdict] in (
        "inconclusive",
        "no practical effect",
    )
    matrix = page.tables[page.table_ids.index("verdicts")]
    columns = matrix[0]
    by_row = {row[0]: dict(zip(columns, row, strict=True)) for row in matrix[1:]}
    assert by_row["instance_noise: 0.1 vs 0.0"]["d_overfit"] == "supported"
    assert by_row["g_output: sigmoid vs tanh"]["d_overfit"].endswith("(exploratory)")
    inter = page.tables[page.table_ids.index("interactions")]
    role = inter[0].index("role")
    assert {row[role] for row in inter[1:]} == {"confirmatory (0.5% share)"}
