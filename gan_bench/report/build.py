"""`gan-bench report RESULTS_DIR`: tables/, figures/ and one self-contained report.html.

The report leads with what the study can and cannot decide: each trick's claim against the
measured effect with its 95% interval, and how many seeds a decision would take. Images are
inlined as base64 so the single file can be mailed, archived or committed as it is.

It reads the results folder only (gan_bench.report.inputs): summary.csv, and the study and
its typed design that `gan-bench aggregate` wrote beside it. The sentences are
gan_bench.report.prose's, the page is the package's template.html.

Training curves, sample mosaics and traversals are drawn from the run folders' files. Where
those are absent (a published results folder is committed without its run folders), the figure an
earlier report drew from them is kept as it is, shown in its usual place and named in the
page's notes; a figure this report would no longer draw at all (of a metric or factor the
study has lost) is removed.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from gan_bench.analysis.analyse import DIVERGED_RULE, Analysis
from gan_bench.analysis.result_file import Looks
from gan_bench.analysis.stage import read_analysis
from gan_bench.files import atomic_write
from gan_bench.folders import StudyFolder
from gan_bench.provenance import record_code
from gan_bench.report import claim_display, displays, figures, looks, tables
from gan_bench.report.inputs import (
    Inputs,
    ReportError,
    gather,
    infogan_cells,
    outlier_tiles,
    read_logs,
    sample_tiles,
    traversal_tiles,
)
from gan_bench.report.methods import methods
from gan_bench.report.prose import (
    CODE_ROLES,
    alias_text,
    analysis_title,
    bottom_line,
    code_accuracy_by_seed,
    code_roles,
    kept_note,
    study_facts,
)
from gan_bench.resources import REPORT_TEMPLATE

__all__ = ["ReportError", "ReportFiles", "build_report"]

FIGURE_PATTERNS = (
    "effects.png",
    "samples.png",
    "traversals.png",
    "outliers.png",
    "cells_*.png",
    "curves_*.png",
    "interactions*.png",
)
EARLIER = " (kept from an earlier report)"  # alt text of a kept figure


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    tables: list[Path]
    figures: list[Path]  # every figure the page shows, drawn now or kept (below)
    kept: list[Path] = field(default_factory=list)  # an earlier report's, their runs absent


@dataclass(frozen=True)
class Figures:
    """The figures one report shows (None: nothing to show); `kept` names those of them an
    earlier report drew from run files that are not here now (keep_earlier)."""

    forest: Path | None
    strips: list[Path]
    heatmaps: list[Path]
    curves: list[Path]
    mosaic: Path | None
    outliers: Path | None = None  # the samples of the runs the robust fit discounted
    traversals: Path | None = None  # InfoGAN cells' traversals.png, one per cell
    kept: tuple[Path, ...] = ()

    @property
    def written(self) -> list[Path]:
        found = [self.forest, *self.strips, *self.heatmaps, *self.curves]
        found += [self.mosaic, self.outliers, self.traversals]
        return [path for path in found if path is not None]


@cache
def template() -> jinja2.Template:
    """report.html's template (package data, so an installed gan-bench has it too)."""
    loader = jinja2.FileSystemLoader(REPORT_TEMPLATE.parent)
    return jinja2.Environment(loader=loader, autoescape=True).get_template(REPORT_TEMPLATE.name)


def build_report(results_dir: str | Path) -> ReportFiles:
    """Read RESULTS_DIR's summary.csv, study.yaml and design.json (and the run folders beside
    them, where there are any); write tables/, figures/ and report.html there."""
    inputs = gather(StudyFolder(Path(results_dir)))
    analysis, sequence = read_analysis(inputs)  # gan-bench analyse's; no statistic here
    folder = inputs.folder
    claims = looks.claims_shown(analysis, sequence)
    notes = claim_display.claims_notes(analysis) if len(claims) else []
    table_files = tables.write_tables(analysis, folder.tables, claims, notes)
    drawn = draw_figures(inputs, analysis)
    code = record_code(folder.code_diff)  # the tree's uncommitted changes, beside the report
    html = template().render(page(inputs, analysis, drawn, sequence, code))
    atomic_write(folder.report, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    remove_stale_figures(folder.figures, drawn.written)
    return ReportFiles(folder.report, table_files, drawn.written, list(drawn.kept))


def draw_figures(inputs: Inputs, analysis: Analysis) -> Figures:
    """Every figure the folder's files allow, and the run-drawn ones an earlier report left
    where their run files are absent (keep_earlier)."""
    folder, out = inputs.folder, inputs.folder.figures
    logs = read_logs(folder, analysis)
    drawn = Figures(
        forest=figures.forest(analysis, out / "effects.png"),
        strips=figures.strips(analysis, out),
        heatmaps=figures.interactions(analysis, out),
        curves=figures.curves(logs, analysis, out),
        mosaic=figures.mosaic(sample_tiles(folder, analysis), out / "samples.png"),
        outliers=figures.mosaic(outlier_tiles(folder, analysis), out / "outliers.png"),
        traversals=figures.traversals(
            traversal_tiles(folder, inputs.study, analysis), out / "traversals.png"
        ),
    )
    return keep_earlier(drawn, inputs, analysis, logs_absent=logs.empty)


def keep_earlier(drawn: Figures, inputs: Inputs, analysis: Analysis, logs_absent: bool) -> Figures:
    """Add, as they are, the figures an earlier report drew from run files that are not here
    now: those this report would draw from them (curves per factor of the study, the sample
    mosaic of its cells, its InfoGAN cells' traversals) but could not, finding none of the
    files. Not the samples of outlying runs: which runs are outlying is the analysis' call,
    and an earlier analysis' figure may show others than the table beside it. Any other is
    left to remove_stale_figures. A figure drawn now from the run files here replaces it."""
    out = inputs.folder.figures
    would_draw = {  # field of Figures -> its files, were the run files here
        "curves": list(figures.curve_files(analysis, out).values()) if logs_absent else [],
        "mosaic": [out / "samples.png"] if analysis.layout.cell_order else [],
        "traversals": [out / "traversals.png"] if infogan_cells(inputs.study, analysis) else [],
    }
    found = {
        name: [path for path in paths if path.is_file()]
        for name, paths in would_draw.items()
        if not getattr(drawn, name)  # drawn now: nothing absent
    }
    found = {name: paths for name, paths in found.items() if paths}
    if not found:
        return drawn
    kept = tuple(path for paths in found.values() for path in paths)
    fill = {name: paths if name == "curves" else paths[0] for name, paths in found.items()}
    return replace(drawn, **fill, kept=kept)


def image_uri(path: Path) -> str:
    """A PNG as a data URI, so report.html stands alone."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _images(
    paths: list[Path | None], alt: str, kept: tuple[Path, ...] = ()
) -> list[dict[str, str]]:
    """Inlined images; one an earlier report drew (`kept`) says so in its alt text."""
    return [
        {"uri": image_uri(p), "alt": f"{alt}: {p.stem}" + (EARLIER if p in kept else "")}
        for p in paths
        if p is not None
    ]


def page(
    inputs: Inputs,
    analysis: Analysis,
    drawn: Figures,
    sequence: Looks | None = None,
    code: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything template.html shows (with a sequential study's looks and the code that
    made it, provenance.record_code's)."""
    return {
        "title": analysis_title(inputs, analysis),
        "bottom": bottom_line(analysis),
        "facts": study_facts(inputs, analysis, code),
        "aliases": alias_text(inputs.design),
        **claims_part(analysis, sequence),
        **looks.looks_part(sequence),
        **tables_part(analysis),
        **figures_part(analysis, drawn),
        "kept": kept_note([path.name for path in drawn.kept]) if drawn.kept else "",
        "diverged_rule": DIVERGED_RULE,
        "methods": methods(analysis) + ([looks.method_line(sequence)] if sequence else []),
    }


def claims_part(analysis: Analysis, sequence: Looks | None = None) -> dict[str, Any]:
    """Claim vs evidence: the confirmatory claims, each on the metric it is judged on, and
    the verdicts and exploratory estimates on every metric; a sequential study's verdicts
    name the look that gave them."""
    primary = analysis.primary
    matrix = claim_display.verdict_matrix(analysis)
    claims = looks.claims_shown(analysis, sequence)
    return {
        "claims": displays.html_table(claims, "claims") if len(claims) else "",
        "claims_notes": claim_display.claims_notes(analysis) if len(claims) else [],
        "no_claims": "no factor varies, or the runs have no directed metric yet",
        "matrix": displays.html_table(matrix, "verdicts")
        if len(matrix) and len(analysis.metrics) > 1
        else "",
        "primary": analysis.columns[primary].label if primary else "",
        "dynamics": [analysis.columns[m].label for m in analysis.judged_on if m != primary],
    }


def tables_part(analysis: Analysis) -> dict[str, Any]:
    """The effects, ablation, level, ANOVA, interaction, divergence and model tables."""
    per_level, per_cell = displays.divergence_display(analysis)
    return {
        "effects": displays.html_table(displays.effects_display(analysis), "effects")
        if len(analysis.effects)
        else "",
        "ablation": tables.to_html(tables.cell_table(analysis), "ablation"),
        "footnote": tables.FOOTNOTE,
        "levels": tables.to_html(tables.level_table(analysis), "levels")
        if analysis.layout.factors
        else "",
        "anova": anova_blocks(analysis),
        "interactions": displays.html_table(displays.interactions_display(analysis), "interactions")
        if len(analysis.interactions)
        else "",
        "anova_notes": [n for n in methods(analysis) if n.startswith("Interactions")]
        + [f"{m.metric}: {m.note}" for m in analysis.models.itertuples() if m.note],
        "divergence_levels": displays.html_table(per_level, "divergence-levels")
        if len(per_level)
        else "",
        "divergence_cells": displays.html_table(per_cell, "divergence-cells")
        if len(per_cell)
        else "",
        "models": displays.html_table(displays.models_display(analysis), "models"),
        "outliers": displays.html_table(displays.outliers_display(analysis), "outliers")
        if len(analysis.outliers)
        else "",
    }


def anova_blocks(analysis: Analysis) -> list[dict[str, str]]:
    """One table of Wald tests (ANOVA) per metric that has one, the primary metric first."""
    primary = analysis.primary
    return [
        {
            "metric": analysis.columns[m].label,
            "table": displays.html_table(
                displays.anova_display(analysis.anova, m),
                f"anova-{figures.slug(m)}",
                displays.ANOVA_CAPTION,
            ),
        }
        for m in sorted(analysis.metrics, key=lambda m: m != primary)
        if len(analysis.anova) and (analysis.anova["metric"] == m).any()
    ]


def figures_part(analysis: Analysis, drawn: Figures) -> dict[str, Any]:
    """The figures as inlined images; the primary metric's strip plot leads."""
    primary = analysis.primary
    lead_strip = f"cells_{figures.slug(primary)}" if primary else ""
    return {
        "forest": _images([drawn.forest], "effect forest plot"),
        "strips": _images([p for p in drawn.strips if p.stem == lead_strip], "every seed per cell"),
        "more_strips": _images(
            [p for p in drawn.strips if p.stem != lead_strip], "every seed per cell"
        ),
        "heatmaps": _images(drawn.heatmaps, "interaction heatmap"),
        "curves": _images(drawn.curves, "training curves", drawn.kept),
        "samples": _images([drawn.mosaic], "samples per cell", drawn.kept),
        "outlier_samples": _images([drawn.outliers], "samples of outlying runs", drawn.kept),
        "traversals": _images([drawn.traversals], "InfoGAN traversals per cell", drawn.kept),
        "code_roles": code_roles(analysis),
        "code_accuracies": code_accuracy_by_seed(analysis),
        "code_roles_note": CODE_ROLES,
    }


def remove_stale_figures(folder: Path, written: list[Path]) -> None:
    """Delete figures an earlier report made that this one does not show (e.g. of a renamed
    metric), so figures/ never shows what report.html no longer says; other files, and the
    figures kept because their run files are absent (keep_earlier), stay."""
    keep = {path.resolve() for path in written}
    for pattern in FIGURE_PATTERNS:
        for path in folder.glob(pattern):
            if path.resolve() not in keep:
                path.unlink()
