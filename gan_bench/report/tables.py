"""Paper-style tables of an Analysis: Markdown, LaTeX (booktabs) and HTML, plus CSV files.

Every number is printed as mean ± 95% half-width with as many decimals as the intervals
warrant; a cell with one seed prints "± n/a" instead of an invented interval, and the best
mean per metric is bold (which way is better is the metric registry's word). The report
page's other tables are gan_bench/report/displays.py's (effects, ANOVA, divergences) and
claim_display.py's (claims).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gan_bench.analysis.analyse import Analysis
from gan_bench.files import atomic_write
from gan_bench.score.registry import MetricColumn

ARROWS = {"lower": "↓", "higher": "↑", "zero": "→0"}
LATEX_ARROWS = {"lower": r"$\downarrow$", "higher": r"$\uparrow$", "zero": r"$\to 0$"}
MISSING = "—"
FOOTNOTE = (
    "mean ± half-width of the 95% t-interval over seeds; ± n/a: one seed, no interval; "
    "— : no completed run; bold: best mean per metric. Diverged runs are excluded from "
    "the means and counted in 'runs'."
)


def decimals_for(half_widths: pd.Series, means: pd.Series) -> int:
    """Decimals that give the typical interval two significant digits (0 to 4)."""
    halves = half_widths[np.isfinite(half_widths) & (half_widths > 0)]
    if len(halves):
        scale, digits = float(halves.median()), 2
    else:
        finite = means[np.isfinite(means) & (means != 0)].abs()
        if not len(finite):
            return 2
        scale, digits = float(finite.median()), 3
    return int(min(4, max(0, digits - 1 - math.floor(math.log10(scale)))))


def mean_ci_text(mean: float, half: float, n: int, decimals: int, pm: str = "±") -> str:
    """'12.3 ± 1.2', '12.3 ± n/a' (one seed) or '—' (no completed run)."""
    if n == 0 or not np.isfinite(mean):
        return MISSING
    if not np.isfinite(half):
        return f"{mean:.{decimals}f} {pm} n/a"
    return f"{mean:.{decimals}f} {pm} {half:.{decimals}f}"


def best_rows(means: pd.Series, column: MetricColumn) -> pd.Series:
    """Which rows hold the best mean of this metric column (ties all bold)."""
    best = pd.Series(False, index=means.index)
    finite = means[np.isfinite(means)]
    if finite.empty:
        return best
    score = {"lower": finite, "higher": -finite, "zero": finite.abs()}[column.direction]
    best[score.index[np.isclose(score, score.min())]] = True
    return best


@dataclass
class Table:
    """A table before rendering: label columns, then per metric means, half-widths and n."""

    labels: pd.DataFrame  # strings, one column per label (factor levels, runs)
    means: pd.DataFrame  # rows x metrics
    halves: pd.DataFrame
    counts: pd.DataFrame
    best: pd.DataFrame  # bool, rows x metrics
    decimals: dict[str, int]
    caption: str
    columns: dict[str, MetricColumn]  # what each metric column is (its direction)

    def cell_texts(self, pm: str = "±") -> pd.DataFrame:
        texts = pd.DataFrame(index=self.means.index, columns=self.means.columns, dtype=object)
        for metric in self.means.columns:
            for row in self.means.index:
                texts.loc[row, metric] = mean_ci_text(
                    self.means.loc[row, metric],
                    self.halves.loc[row, metric],
                    int(self.counts.loc[row, metric]),
                    self.decimals[metric],
                    pm,
                )
        return texts


def _runs_text(runs: int, diverged: int) -> str:
    return f"{runs} ({diverged} diverged)" if diverged else str(runs)


def _build(
    rows: pd.DataFrame,
    stats: pd.DataFrame,
    keys: list[str],
    label_columns: dict[str, str],
    caption: str,
    columns: dict[str, MetricColumn],
    best_within: str | None = None,
) -> Table:
    """One table row per row of `rows` (labels, runs, diverged), metrics from the long
    per-metric `stats`; `best_within` bolds the best per group (e.g. per factor)."""
    first = rows.set_index(keys, drop=False)
    metrics = list(dict.fromkeys(stats["metric"])) if len(stats) else []
    keyed = stats.set_index(keys) if len(stats) else stats

    def wide(column: str) -> pd.DataFrame:
        return pd.DataFrame(
            {m: keyed.loc[keyed["metric"] == m, column].reindex(first.index) for m in metrics},
            index=first.index,
        )

    means, halves = wide("mean"), wide("half_width")
    counts = wide("n").fillna(0).astype(int)
    labels = pd.DataFrame(index=first.index)
    for column, source in label_columns.items():
        labels[column] = [str(v) for v in first[source]]
    labels["runs"] = [
        _runs_text(int(r), int(d)) for r, d in zip(first["runs"], first["diverged"], strict=True)
    ]
    best = pd.DataFrame(False, index=first.index, columns=metrics)
    for metric in metrics:
        if best_within is None:
            best[metric] = best_rows(means[metric], columns[metric])
            continue
        groups = first.index.get_level_values(best_within)
        for group in dict.fromkeys(groups):
            mask = groups == group
            best.loc[mask, metric] = best_rows(means.loc[mask, metric], columns[metric]).to_numpy()
    decimals = {m: decimals_for(halves[m], means[m]) for m in metrics}
    return Table(labels, means, halves, counts, best, decimals, caption, columns)


def cell_table(analysis: Analysis) -> Table:
    """Rows = cells (their factor levels, or ids for non-factorial designs), columns = metrics."""
    layout = analysis.layout
    factorial = layout.design in ("full_factorial", "fractional") and layout.factors
    label_columns = {name: name for name in layout.factors} if factorial else {"cell": "cell"}
    design = layout.design.replace("_", " ")
    caption = f"Ablation: every cell, mean ± 95% CI over seeds ({design} design)."
    return _build(
        analysis.divergence_cells,
        analysis.cells,
        ["cell"],
        label_columns,
        caption,
        analysis.columns,
    )


def level_table(analysis: Analysis) -> Table:
    """Rows = factor levels (pooled over the other factors), columns = metrics."""
    rows = analysis.divergence_levels.copy()
    rows["level_text"] = [
        f"{level} (baseline)" if level == analysis.layout.baseline[factor] else str(level)
        for factor, level in zip(rows["factor"], rows["level"], strict=True)
    ]
    caption = "Ablation by factor level: every run at that level, mean ± 95% CI."
    return _build(
        rows,
        analysis.levels,
        ["factor", "level"],
        {"factor": "factor", "level": "level_text"},
        caption,
        analysis.columns,
        best_within="factor",
    )


# --------------------------------------------------------------------------- renderers


def _headers(table: Table, arrows: dict[str, str]) -> list[str]:
    metrics = [f"{m} {arrows[table.columns[m].direction]}" for m in table.means.columns]
    return [*table.labels.columns, *metrics]


def to_markdown(table: Table) -> str:
    texts = table.cell_texts()
    body = pd.concat([table.labels, texts.where(~table.best, "**" + texts + "**")], axis=1)
    body.columns = _headers(table, ARROWS)
    return body.to_markdown(index=False, disable_numparse=True) + f"\n\n{FOOTNOTE}\n"


def _styler(table: Table, texts: pd.DataFrame, arrows: dict[str, str]):
    body = pd.concat([table.labels, texts], axis=1).reset_index(drop=True)
    body.columns = _headers(table, arrows)
    best = pd.concat(
        [pd.DataFrame(False, index=table.labels.index, columns=table.labels.columns), table.best],
        axis=1,
    ).reset_index(drop=True)
    best.columns = body.columns
    styles = best.map(lambda bold: "font-weight: bold;" if bold else "")
    return body.style.hide(axis="index").apply(lambda _: styles, axis=None), body


def to_latex(table: Table, label: str = "tab:ablation") -> str:
    """A booktabs table (pandas Styler): \\toprule, \\midrule, \\bottomrule, bold best."""
    texts = table.cell_texts(pm=r"$\pm$").map(lambda s: s.replace(MISSING, "---"))
    styler, body = _styler(table, texts, ARROWS)
    label_columns = list(body.columns[: table.labels.shape[1]])
    styler = styler.format(escape="latex", subset=label_columns)
    styler = styler.format_index(escape="latex", axis=1)
    caption = f"{table.caption} {FOOTNOTE}".replace("_", " ").replace("%", r"\%")
    caption = caption.replace("±", r"$\pm$").replace(MISSING, "---")
    latex = styler.to_latex(
        hrules=True,
        convert_css=True,
        column_format="l" * table.labels.shape[1] + "r" * table.means.shape[1],
        caption=caption,
        label=label,
        position_float="centering",
    )
    for direction, arrow in ARROWS.items():  # Unicode arrows survive escaping; swap them now
        if arrow:
            latex = latex.replace(f" {arrow}", f" {LATEX_ARROWS[direction]}")
    return latex


def to_html(table: Table, table_id: str = "ablation") -> str:
    """An HTML table (pandas Styler) with the best mean per metric in bold."""
    styler, body = _styler(table, table.cell_texts(), ARROWS)
    styler = styler.format(escape="html").format_index(escape="html", axis=1)
    styler = styler.set_uuid(table_id).set_caption(table.caption)
    return styler.to_html(table_attributes=f'class="ablation" data-table="{table_id}"')


def write_table(table: Table, stem: Path, latex_label: str) -> list[Path]:
    """stem.md, stem.tex and stem.html (a standalone page) from one Table."""
    html = (
        "<!doctype html>\n<html><head><meta charset='utf-8'><title>"
        f"{stem.name}</title></head><body>\n{to_html(table, stem.name)}\n"
        f"<p>{FOOTNOTE}</p>\n</body></html>\n"
    )
    outputs = {
        stem.with_suffix(".md"): to_markdown(table),
        stem.with_suffix(".tex"): to_latex(table, latex_label),
        stem.with_suffix(".html"): html,
    }
    for path, text in outputs.items():
        atomic_write(path, lambda tmp, text=text: tmp.write_text(text, encoding="utf-8"))
    return list(outputs)


def frame_markdown(frame: pd.DataFrame, notes: Sequence[str] = ()) -> str:
    """A display frame as Markdown (what a README cites), `notes` below it."""
    text = frame.to_markdown(index=False, disable_numparse=True) + "\n"
    return text + "".join(f"\n{note}\n" for note in notes)


def claims_markdown(claims: pd.DataFrame, notes: Sequence[str] = ()) -> str:
    """The claim table (report/looks.py claims_shown) as Markdown; `notes`
    (claim_display.claims_notes: what its columns mean) below it."""
    return frame_markdown(claims, notes)


LATEX_TEXT = {"±": r"$\pm$", "−": "-", "—": "---", "–": "--", "≤": r"$\leq$", "≥": r"$\geq$"}
CLAIMS_CAPTION = (
    "Claim vs evidence: each trick's claim, the verdict, the effect it is about (verdict "
    "about) with its 95% interval and adjusted p, the decided interactions, and the effect at "
    "the recommended configuration (an estimate only, no verdict)."
)


def latex_text(text: str) -> str:
    """Plain text (a caption) with LaTeX's special characters escaped; Unicode signs are
    frame_latex's to replace, as in the table."""
    return re.sub(r"([&%$#_{}])", r"\\\1", text)


def frame_latex(
    frame: pd.DataFrame, caption: str, label: str, symbols: dict[str, str] = LATEX_TEXT
) -> str:
    """A display frame as a booktabs table (pandas Styler, every value escaped): what a
    paper cites; Unicode signs replaced by `symbols`' LaTeX."""
    styler = frame.style.hide(axis="index").format(escape="latex")
    styler = styler.format_index(escape="latex", axis=1)
    latex = styler.to_latex(
        hrules=True,
        column_format="l" * frame.shape[1],
        caption=latex_text(caption),
        label=label,
        position_float="centering",
    )
    for text, tex in symbols.items():  # escaping leaves Unicode as it is
        latex = latex.replace(text, tex)
    return latex


def claims_latex(claims: pd.DataFrame, notes: Sequence[str] = ()) -> str:
    """The claim table as a booktabs table; `notes` follow CLAIMS_CAPTION in its caption."""
    return frame_latex(claims, " ".join([CLAIMS_CAPTION, *notes]), "tab:claims")


def write_tables(
    analysis: Analysis, folder: Path, claims: pd.DataFrame, notes: Sequence[str] = ()
) -> list[Path]:
    """The report's tables into `folder` (tables/): ablation and levels (md, tex, html) and
    the claim table with `notes` (md, tex); the CSVs are the analysis stage's
    (analysis/stage.py)."""
    written = write_table(cell_table(analysis), folder / "ablation", "tab:ablation")
    if analysis.layout.factors:
        written += write_table(level_table(analysis), folder / "levels", "tab:levels")
    if len(claims):
        for path, text in (
            (folder / "claims.md", claims_markdown(claims, notes)),
            (folder / "claims.tex", claims_latex(claims, notes)),
        ):
            atomic_write(path, lambda tmp, text=text: tmp.write_text(text, encoding="utf-8"))
            written.append(path)
    return written
