"""Paper-style tables: Markdown, HTML and LaTeX carry summary.csv's numbers, arrows from
the metric registry, and say plainly where there is no interval."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import study_of
from report_helpers import (
    COLUMNS,
    FACTORS,
    METRICS,
    TRAINING,
    analyse_and_report,
    built_report,
    check_row_numbers,
    decimals_of,
    expected_cells,
    parse_html,
    synthetic_summary,
    write_results,
)

from gan_bench.analysis.analyse import analyse
from gan_bench.report import tables
from gan_bench.study.design import cell_id


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    return built_report(tmp_path_factory)


def test_effects_csv_has_a_row_per_metric_and_level(report):
    effects = pd.read_csv(report / "tables" / "effects.csv")
    assert len(effects) == len(METRICS) * 2
    assert {"estimate", "ci_low", "ci_high", "p", "p_holm", "note"} <= set(effects.columns)
    fid = effects[(effects.metric == "fid_cnn_2k") & (effects.factor == "g_output")].iloc[0]
    assert 0 < fid.ci_low < fid.estimate < fid.ci_high and fid.p_holm < 0.05  # +10 planted


def test_markdown_table_carries_summary_csv_numbers(report):
    expected = expected_cells(report / "summary.csv")
    lines = (report / "tables" / "ablation.md").read_text(encoding="utf-8").splitlines()
    body = [line for line in lines[2:] if line.startswith("|")]
    assert len(body) == 4
    for line in body:
        cells = [c.strip() for c in line.strip("|").split("|")]
        cell = cell_id({"g_output": cells[0], "latent": cells[1]})
        check_row_numbers(cells[3:], cell, expected, decimals_of(cells[3:]))
    bold = [line for line in body if "**" in line]
    assert bold  # the best mean of each directed metric is marked


def test_html_table_carries_summary_csv_numbers(report):
    expected = expected_cells(report / "summary.csv")
    for path in (report / "tables" / "ablation.html", report / "report.html"):
        page = parse_html(path.read_text(encoding="utf-8"))
        table = page.tables[page.table_ids.index("ablation")]
        assert table[0][:3] == ["g_output", "latent", "runs"]
        assert len(table) == 5
        for row in table[1:]:
            cell = cell_id({"g_output": row[0], "latent": row[1]})
            check_row_numbers(row[3:], cell, expected, decimals_of(row[3:]))
        runs = {cell_id({"g_output": r[0], "latent": r[1]}): r[2] for r in table[1:]}
        assert runs[cell_id({"g_output": "sigmoid", "latent": "uniform"})] == "3 (1 diverged)"


def test_latex_table_is_valid_booktabs(report):
    tex = (report / "tables" / "ablation.tex").read_text(encoding="utf-8")
    top, mid, bottom = tex.index(r"\toprule"), tex.index(r"\midrule"), tex.index(r"\bottomrule")
    assert top < mid < bottom
    spec = re.search(r"\\begin\{tabular\}\{([lcr]+)\}", tex).group(1)
    header = tex[top + len(r"\toprule") : mid].strip()
    rows = [r.strip() for r in tex[mid + len(r"\midrule") : bottom].split(r"\\") if r.strip()]
    assert len(rows) == 4
    for line in [header.removesuffix(r"\\").strip(), *rows]:
        assert line.count("&") == len(spec) - 1, line  # balanced columns
    assert tex.count(r"\begin{tabular}") == tex.count(r"\end{tabular}") == 1
    assert r"\bfseries" in tex and r"$\pm$" in tex
    assert "_" not in re.sub(r"\\_", "", tex.split(r"\begin{tabular}")[1])  # escaped names
    assert tex.count("{") == tex.count("}")


def test_one_seed_tables_say_no_interval():
    summary = synthetic_summary(seeds=1)
    summary.loc[0, "status"] = "diverged"
    table = tables.cell_table(
        analyse(summary, study_of(FACTORS), metrics=[COLUMNS[m] for m in METRICS])
    )
    markdown, html = tables.to_markdown(table), tables.to_html(table)
    rows = [line for line in markdown.splitlines() if line.startswith("|")][2:]
    assert sum(line.count("± n/a") for line in rows) == 3 * 2  # 3 cells x 2 metrics
    assert rows[0].count("—") == 2  # the diverged cell has no completed run: no number at all
    assert "± n/a" in html and not re.search(r"± \d", markdown)


def test_directions_and_labels_come_from_the_registry(report):
    """The arrows and |labels| of the published tables, as before the registry."""
    markdown = (report / "tables" / "ablation.md").read_text(encoding="utf-8")
    assert "fid_cnn_2k ↓" in markdown and "checkerboard_pixel_2k →0" in markdown
    tex = (report / "tables" / "ablation.tex").read_text(encoding="utf-8")
    assert r"$\downarrow$" in tex and r"$\to 0$" in tex
    page = parse_html((report / "report.html").read_text(encoding="utf-8"))
    effects = page.tables[page.table_ids.index("effects")]
    assert {row[0] for row in effects[1:]} == {"fid_cnn_2k", "|checkerboard_pixel_2k|"}
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "On fid_cnn_2k (lower is better)" in html
    assert "checkerboard_pixel_2k: Checkerboard score" in html  # Methods, from the registry
    assert "closer to 0 is better (statistics on |value|)" in html


def test_training_columns_render_like_any_metric(tmp_path):
    """d_overfit, d_balance and overfit_pattern (named by their key, no samples): in the
    ablation table with the registry's arrow, in the effects table and the forest plot,
    and described in Methods."""
    summary = synthetic_summary(seeds=4)
    completed = summary["status"] == "completed"
    sigmoid = summary["g_output"] == "sigmoid"
    noise = np.random.default_rng(3).normal(0, 0.01, len(summary))
    summary["d_overfit"] = 0.05 - 0.04 * sigmoid + noise
    summary["d_balance"] = 0.6 + noise
    summary["overfit_pattern"] = ((summary["seed"] < 2) & ~sigmoid).astype(float)
    summary.loc[~completed, list(TRAINING)] = np.nan
    results = write_results(tmp_path / "dynamics", summary)
    files = analyse_and_report(results)
    markdown = (results / "tables" / "ablation.md").read_text(encoding="utf-8")
    assert all(f"{name} ↓" in markdown for name in TRAINING)
    effects = pd.read_csv(results / "tables" / "effects.csv")
    assert set(TRAINING) <= set(effects["metric"])
    share = effects.query("metric == 'overfit_pattern' and factor == 'g_output'")["estimate"]
    # tanh fires in 2 of 4 seeds, sigmoid never, but sigmoid · uniform's diverged run counts
    # as the worst completed one (1): sigmoid's share is (0 + 1/4) / 2 against tanh's 1/2
    assert share.iloc[0] == pytest.approx(-0.375)
    assert "effects.png" in {path.name for path in files.figures}
    html = files.html.read_text(encoding="utf-8")
    assert "d_overfit: D overfitting" in html and "overfit_pattern: Rising-G" in html


def test_claim_tables_carry_their_notes_and_escape_the_caption():
    claims = pd.DataFrame({"trick": ["g_output"], "effect": ["+1.0 [−0.5, +2.5]"]})
    notes = ["Verdict about 'average': the level against the baseline.", "p: 95% & more"]
    markdown = tables.claims_markdown(claims, notes)
    assert markdown.startswith("| trick ") and markdown.endswith(
        "\nVerdict about 'average': the level against the baseline.\n\np: 95% & more\n"
    )
    assert tables.claims_markdown(claims).endswith("+2.5] |\n")  # no notes: the table alone
    tex = tables.claims_latex(claims, notes)
    assert r"estimate only, no verdict). Verdict about 'average'" in tex
    assert r"p: 95\% \& more}" in tex and "[-0.5, +2.5]" in tex
    assert tables.latex_text("g_output {x} $5 #1") == r"g\_output \{x\} \$5 \#1"
