"""The report page's other tables: the Wald tests of every term (ANOVA) without sums of
squares, the interactions with their share of the error rate, the effects with their
degrees of freedom. (The claim table: test_claim_display.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TWO_BY_TWO, a_plus_interaction, planted, planted_metrics, study_of
from report_helpers import built_report, parse_html

from gan_bench.analysis.analyse import analyse
from gan_bench.analysis.verdicts import INTERACTION_SHARE
from gan_bench.report.displays import (
    ANOVA_CAPTION,
    anova_display,
    effects_display,
    interaction_role,
    interactions_display,
)
from gan_bench.report.methods import percent


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    return built_report(tmp_path_factory)


@pytest.fixture(scope="module")
def two_by_two():
    frame = planted(TWO_BY_TWO, a_plus_interaction, seeds=4)
    return analyse(frame, study_of(TWO_BY_TWO), metrics=planted_metrics(frame))


def test_anova_shows_wald_tests_with_both_dfs_and_no_sums_of_squares(two_by_two):
    shown = anova_display(two_by_two.anova, "fid_cnn_2k")
    assert list(shown.columns) == ["term", "df", "df (denominator)", "F", "p", "p (Holm)"]
    assert list(shown["term"]) == ["g_output", "latent", "g_output × latent"]  # no Residual
    tests = two_by_two.anova[two_by_two.anova["metric"] == "fid_cnn_2k"].reset_index()
    for k, row in shown.reset_index(drop=True).iterrows():
        assert row["df"] == f"{tests.loc[k, 'df']:g}"
        assert float(row["df (denominator)"]) == pytest.approx(tests.loc[k, "df_denom"], abs=0.05)
        assert float(row["F"]) == pytest.approx(tests.loc[k, "F"], abs=0.005)
    assert shown.iloc[0]["p"] == "< 0.001"  # sigmoid +10 FID


def test_the_page_says_what_the_anova_tests_are(report):
    html = (report / "report.html").read_text(encoding="utf-8")
    page = parse_html(html)
    table = page.tables[page.table_ids.index("anova-fid_cnn_2k")]
    assert table[0] == ["term", "df", "df (denominator)", "F", "p", "p (Holm)"]
    assert "sum of squares" not in html and "Residual" not in html
    assert f"<caption>{ANOVA_CAPTION}</caption>" in html
    assert "allows each cell its own spread" in ANOVA_CAPTION


def test_interactions_show_both_dfs_and_their_share_of_the_error_rate(two_by_two):
    shown = interactions_display(two_by_two)
    row = two_by_two.interactions.iloc[0]
    assert shown["F (df, denominator df)"].iloc[0] == (
        f"{row['F']:.2f} ({row['df']:g}, {row['df_denom']:.1f})"
    )
    share = percent(INTERACTION_SHARE)
    assert interaction_role(two_by_two, "fid_cnn_2k") == f"confirmatory ({share} share)"
    assert interaction_role(two_by_two, "is_cnn_2k") == "exploratory"


NOISE = {"g_output": ["tanh", "sigmoid"], "instance_noise": [0.0, 0.1]}


def test_two_judged_metrics_split_the_interactions_share():
    frame = planted(
        NOISE, lambda lv: 30.0, seeds=2, d_overfit=lambda lv: 0.2 - 0.1 * lv["instance_noise"]
    )
    analysis = analyse(frame, study_of(NOISE), metrics=planted_metrics(frame))
    assert analysis.judged_on == ["fid_cnn_2k", "d_overfit"]
    roles = set(interactions_display(analysis)["role"])
    assert roles == {f"confirmatory ({percent(INTERACTION_SHARE / 2)} share)", "exploratory"}


def test_effects_show_the_satterthwaite_df_of_each_effect(two_by_two):
    shown = effects_display(two_by_two)
    assert list(shown.columns)[4:7] == ["effect [95% CI]", "df", "p"]
    expected = [f"{df:.1f}" for df in two_by_two.effects["df"]]
    assert list(shown["df"]) == expected
