"""The claim table: each confirmatory claim led by its verdict and the effect the verdict is
about (the average effect, with its adjusted p), its decided interactions in words, a
tested crossover spelled out, and the effect at the recommended configuration as an
estimate only; each claim on the metric it is judged on (a dynamics claim on its own);
the verdict matrix with average effects where no verdict is given."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import TWO_BY_TWO, a_plus_interaction, planted, planted_metrics, study_of
from report_helpers import analyse_and_report, built_report, parse_html, write_results

from gan_bench.analysis.analyse import analyse
from gan_bench.analysis.claims import ESTIMANDS
from gan_bench.report.claim_display import (
    REC_HEADER,
    claims_display,
    claims_notes,
    entries,
    interaction_text,
    verdict_matrix,
)
from gan_bench.report.displays import ci_text, p_text
from gan_bench.study.tricks import TRICKS


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    return built_report(tmp_path_factory)


@pytest.fixture(scope="module")
def crossover():
    """sigmoid +10 FID; uniform vs normal -8 with tanh, +8 with sigmoid (a crossover)."""
    frame = planted(TWO_BY_TWO, a_plus_interaction, seeds=6)
    return analyse(frame, study_of(TWO_BY_TWO), metrics=planted_metrics(frame))


def test_claims_in_the_report_lead_with_the_verdict_and_the_average_effect(report):
    page = parse_html((report / "report.html").read_text(encoding="utf-8"))
    claims = page.tables[page.table_ids.index("claims")]
    header, rows = claims[0], {row[0]: row for row in claims[1:]}
    order = ["verdict", "verdict about", "effect [95% CI] (adjusted p)", "interactions"]
    assert [header.index(name) for name in [*order, REC_HEADER]] == sorted(
        header.index(name) for name in [*order, REC_HEADER]
    )
    verdict, about = header.index("verdict"), header.index("verdict about")
    effect, rec = header.index("effect [95% CI] (adjusted p)"), header.index(REC_HEADER)
    assert rows["g_output"][verdict] == "supported"
    assert rows["latent"][verdict] == "inconclusive"
    assert rows["g_output"][about] == rows["latent"][about] == "average"
    seeds = header.index("seeds/cell to decide")
    assert re.fullmatch(r"(\d+|> 1000) \(now [\d.]+\)", rows["latent"][seeds])
    csv = pd.read_csv(report / "tables" / "claims.csv")
    judged = csv[(csv["metric"] == "fid_cnn_2k") & (csv["factor"] == "g_output")].iloc[0]
    assert judged["estimand"] == "average" and "rec_verdict" not in csv.columns
    shown = rows["g_output"][effect]
    assert shown.endswith(f"({p_text(judged['p_holm'])})")  # the verdict's adjusted p
    assert float(shown.split()[0]) == pytest.approx(judged["estimate"], abs=0.051)
    assert float(rows["g_output"][rec].split()[0]) == pytest.approx(
        judged["rec_estimate"], abs=0.051
    )
    html = (report / "report.html").read_text(encoding="utf-8")
    assert f"Verdict about 'average': {ESTIMANDS['average']}.".replace("'", "&#39;") in html


def test_claims_md_and_tex_say_what_each_column_is_about(report):
    markdown = (report / "tables" / "claims.md").read_text(encoding="utf-8")
    assert markdown.startswith("| trick ") and REC_HEADER in markdown
    assert f"Verdict about 'average': {ESTIMANDS['average']}." in markdown
    assert "an estimate with its 95% interval (not adjusted for multiple tests)" in markdown
    tex = (report / "tables" / "claims.tex").read_text(encoding="utf-8")
    caption = re.search(r"\\caption\{(.*?)\}\n", tex, re.S).group(1)
    assert "at the recommended configuration (an estimate only, no verdict)" in caption
    assert "95\\% interval" in caption and "g\\_output = tanh" in caption  # escaped
    assert "Verdict about 'average'" in caption


def test_a_tested_crossover_is_spelled_out_and_an_interaction_named(crossover):
    shown = claims_display(crossover).set_index("trick")
    latent = shown.loc["latent"]
    assert latent["verdict"].startswith("depends on g_output: better with tanh (-")
    assert ", worse with sigmoid (+" in latent["verdict"]
    assert latent["interactions"] == "crossover: see verdict"
    g_output = shown.loc["g_output"]
    assert g_output["verdict"] == "supported"  # the average effect keeps its word
    assert g_output["interactions"] == "stronger with latent = uniform"  # +18 there, +2 else
    claims = crossover.judged_claims.set_index("factor")
    assert g_output[REC_HEADER] == ci_text(
        *claims.loc["g_output", ["rec_estimate", "rec_ci_low", "rec_ci_high"]], 1
    )
    assert "(" not in g_output[REC_HEADER]  # an estimate only: no p-value, no verdict


def test_interaction_words_read_each_entry_of_stronger_with(crossover):
    claim = crossover.judged_claims.iloc[0].copy()
    claim["stronger_with"] = "latent = uniform, g_output (sign undecided)"
    assert interaction_text(crossover, claim) == (
        "stronger with latent = uniform; varies with g_output (sign undecided)"
    )
    assert entries("kernel_size = 3, 4, d_downsample", ["kernel_size", "d_downsample"]) == [
        "kernel_size = 3, 4",  # a level's comma stays in its entry
        "d_downsample",
    ]
    claim["stronger_with"] = ""
    assert interaction_text(crossover, claim) == "none decided"


def test_verdict_matrix_shows_average_effects_where_there_is_no_verdict(crossover):
    matrix = verdict_matrix(crossover).set_index("trick level")
    claims = crossover.claims.set_index(["metric", "factor"])
    explored = claims.loc[("is_cnn_2k", "g_output")]
    assert explored["estimate"] != pytest.approx(explored["rec_estimate"], abs=0.01)
    expected = ci_text(explored["estimate"], explored["ci_low"], explored["ci_high"], 2)
    assert matrix.loc["g_output: sigmoid vs tanh", "is_cnn_2k"] == f"{expected} (exploratory)"
    assert matrix.loc["latent: uniform vs normal", "fid_cnn_2k"] == "depends on g_output"


def test_a_one_at_a_time_design_names_its_estimand():
    study = study_of({"d_dropout": [0.4], "label_smoothing": [0.9]}, design="one_at_a_time")
    rows = [
        {"cell": cell, "seed": seed, "status": "completed", "fid_cnn_2k": 20.0 + seed}
        for cell in ("baseline", "d_dropout-0.4", "label_smoothing-0.9")
        for seed in range(3)
    ]
    frame = pd.DataFrame(rows)
    analysis = analyse(frame, study, metrics=planted_metrics(frame))
    shown = claims_display(analysis)
    assert set(shown["verdict about"]) == {"at baseline"}
    assert set(shown["interactions"]) == {"not modelled"}
    notes = claims_notes(analysis)
    assert notes[0] == f"Verdict about 'at baseline': {ESTIMANDS['at baseline']}."
    assert not any("'average'" in note for note in notes)


NOISE = {"g_output": ["tanh", "sigmoid"], "instance_noise": [0.0, 0.1]}


def test_a_dynamics_claim_shows_its_metric_and_its_verdict(tmp_path):
    """instance noise lowers d_overfit (its dynamics claim) and leaves FID alone: the claim
    table has both of its claims, each with the metric it was judged on; the verdict matrix
    gives words only to confirmatory claims."""
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
