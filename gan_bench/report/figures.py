"""Figures of an Analysis (seaborn on matplotlib's Agg backend), written as PNG files.

Each figure shows the spread, not just the means: effects with their 95% intervals, every
seed of every cell, training curves with bands over runs, and one sample grid per cell.
The curves compare levels on the plain adversarial losses (d_adv, g_adv: the same BCE
whatever the tricks add to what is optimised), with dashed lines where D cannot tell real
from fake (ln 2 for the losses, 0.5 for D's outputs) and where D does not overfit (0).
"""

from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never a display

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from gan_bench.analysis.analyse import Analysis, t_interval  # noqa: E402
from gan_bench.analysis.inference import ALPHA  # noqa: E402
from gan_bench.files import atomic_write  # noqa: E402
from gan_bench.score.registry import MetricColumn  # noqa: E402

DPI = 100


@dataclass(frozen=True)
class Curve:
    """One panel of the training curves: a log.jsonl key, its title, and where a dashed
    reference line goes (None: no line)."""

    key: str
    title: str
    reference: float | None = None


LN2 = math.log(2)  # a plain BCE term when D's output is 0.5 on both sides
CURVES = (
    Curve("d_adv", "D's plain loss (BCE, mean of real and fake; - - ln 2)", LN2),
    Curve("g_adv", "G's plain loss (non-saturating BCE; - - ln 2)", LN2),
    Curve("d_real", "D(x) (- - 0.5)", 0.5),
    Curve("d_fake", "D(G(z)) (- - 0.5)", 0.5),
    Curve("info_loss", "InfoGAN info loss (Q's code loss)"),
    Curve("d_overfit", "D overfitting: D(train) − D(held-out) (- - 0)", 0.0),
)
# logs written before d_adv and g_adv: the optimised totals, with whatever extra terms the
# tricks add (info, feature matching, smoothed targets), so no reference line
TOTALS = (
    Curve("d_loss", "D loss as optimised (total of its terms)"),
    Curve("g_loss", "G loss as optimised (total of its terms)"),
)
MAX_INTERACTION_PANELS = 12
COLOURS = {"better": "#1a9850", "worse": "#d73027", "unclear": "#555555"}


def _theme() -> None:
    sns.set_theme(style="whitegrid", context="paper", font_scale=1.0)


def slug(name: str) -> str:
    """A file-name-safe version of a metric or factor name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "x"


def save(fig: plt.Figure, path: Path) -> Path:
    """Write a figure atomically as PNG and free it."""
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI))
    plt.close(fig)
    return path


def _effect_colour(column: MetricColumn, estimate: float, p_holm: float) -> str:
    if not np.isfinite(p_holm) or p_holm >= ALPHA:
        return COLOURS["unclear"]
    improves = estimate < 0 if column.direction in ("lower", "zero") else estimate > 0
    return COLOURS["better"] if improves else COLOURS["worse"]


def forest(analysis: Analysis, path: Path) -> Path | None:
    """Each level against its baseline, one panel per metric, 95% CI bars (coloured when the
    Holm-corrected test decides: green better, red worse, grey undecided)."""
    effects = analysis.effects
    if effects.empty:
        return None
    _theme()
    metrics = list(dict.fromkeys(effects["metric"]))
    columns = min(3, len(metrics))
    rows = math.ceil(len(metrics) / columns)
    labels = list(
        dict.fromkeys(
            f"{f}: {lv} vs {b}"
            for f, lv, b in zip(
                effects["factor"], effects["level"], effects["baseline"], strict=True
            )
        )
    )
    height = max(2.0, 0.35 * len(labels) + 1.0)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, height * rows), squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        column = analysis.columns[metric]
        sub = effects[effects["metric"] == metric]
        for row in sub.itertuples():
            y = labels.index(f"{row.factor}: {row.level} vs {row.baseline}")
            colour = _effect_colour(column, row.estimate, row.p_holm)
            if np.isfinite(row.ci_low):
                ax.errorbar(
                    row.estimate,
                    y,
                    xerr=[[row.estimate - row.ci_low], [row.ci_high - row.estimate]],
                    fmt="o",
                    color=colour,
                    capsize=3,
                )
            elif np.isfinite(row.estimate):
                ax.plot(row.estimate, y, "o", mfc="none", color=colour)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(range(len(labels)), labels)
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.set_title(f"{column.label} ({_arrow(column)})", fontsize=9)
        ax.set_xlabel("effect (level − baseline), 95% CI")
    for ax in axes.flat[len(metrics) :]:
        ax.set_visible(False)
    fig.suptitle("Effects against the baseline level (hollow: no interval)", fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def _arrow(column: MetricColumn, raw: bool = False) -> str:
    """Which way is better; for |checkerboard| lower, for raw checkerboard closer to 0."""
    if column.direction == "zero":
        return "closer to 0 is better" if raw else "lower is better"
    return column.direction_text


def strips(analysis: Analysis, folder: Path) -> list[Path]:
    """Per metric: every seed of every cell as a dot, the cell's mean and 95% CI as a bar;
    no figure for a metric no run has (overfit_pattern on logs too short for it)."""
    _theme()
    written = []
    cells = analysis.cells
    for metric in analysis.metrics:
        if not np.isfinite(analysis.runs[metric].astype(float)).any():
            continue
        sub = cells[cells["metric"] == metric]
        labels = [
            f"{label} ({d} diverged)" if d else str(label)
            for label, d in zip(sub["label"], sub["diverged"], strict=True)
        ]
        order = dict(zip(sub["cell"], labels, strict=True))
        runs = analysis.runs[["cell", metric]].dropna()
        runs = runs.assign(label=runs["cell"].map(order))
        fig, ax = plt.subplots(figsize=(7, max(2.0, 0.32 * len(labels) + 1.2)))
        sns.stripplot(
            data=runs,
            x=metric,
            y="label",
            order=labels,
            ax=ax,
            color="#4c72b0",
            alpha=0.7,
            size=5,
            jitter=0.15,
        )
        for y, row in enumerate(sub.itertuples()):
            if np.isfinite(row.ci_low):
                ax.errorbar(
                    row.mean,
                    y,
                    xerr=[[row.mean - row.ci_low], [row.ci_high - row.mean]],
                    fmt="|",
                    color="black",
                    capsize=4,
                    ms=12,
                )
            elif np.isfinite(row.mean):
                ax.plot(row.mean, y, "|", color="black", ms=12)
        factorial = analysis.layout.design in ("full_factorial", "fractional")
        ax.set_ylabel(" · ".join(analysis.layout.factors) if factorial else "cell")
        ax.set_xlabel(f"{metric} ({_arrow(analysis.columns[metric], raw=True)})")
        ax.set_title("Every seed (dots); mean and 95% CI (black)", fontsize=9)
        fig.tight_layout()
        written.append(save(fig, folder / f"cells_{slug(metric)}.png"))
    return written


def interactions(analysis: Analysis, folder: Path) -> list[Path]:
    """The interaction heatmap (metrics x factor pairs, coloured by the Holm-corrected p of
    each two-way interaction) and, for the primary metric, A x B heatmaps of mean values."""
    table = analysis.interactions
    if table.empty:
        return []
    _theme()
    written = [_interaction_overview(table, folder / "interactions.png")]
    primary = analysis.primary
    if primary in set(table["metric"]):
        written.append(_pair_means(analysis, primary, folder / f"interactions_{slug(primary)}.png"))
    return written


def _interaction_overview(table: pd.DataFrame, path: Path) -> Path:
    pairs = list(
        dict.fromkeys(
            f"{a} × {b}" for a, b in zip(table["factor_a"], table["factor_b"], strict=True)
        )
    )
    metrics = list(dict.fromkeys(table["metric"]))
    strength = pd.DataFrame(np.nan, index=metrics, columns=pairs)
    labels = pd.DataFrame("", index=metrics, columns=pairs)
    for row in table.itertuples():
        pair = f"{row.factor_a} × {row.factor_b}"
        strength.loc[row.metric, pair] = min(4.0, -math.log10(max(row.p_holm, 1e-300)))
        labels.loc[row.metric, pair] = _p_text(row.p_holm)
    fig, ax = plt.subplots(
        figsize=(max(5.0, 0.9 * len(pairs) + 2.5), max(2.2, 0.45 * len(metrics) + 1.6))
    )
    sns.heatmap(
        strength,
        annot=labels,
        fmt="",
        cmap="rocket_r",
        vmin=0,
        vmax=4,
        ax=ax,
        cbar_kws={"label": "−log10 p (Holm), capped at 4"},
    )
    ax.set_title("Two-way interactions: Holm-corrected p (dark: strong evidence)", fontsize=9)
    ax.tick_params(axis="x", labelrotation=45)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    fig.tight_layout()
    return save(fig, path)


def _pair_means(analysis: Analysis, metric: str, path: Path) -> Path:
    table = analysis.interactions
    pairs = table[table["metric"] == metric].sort_values("p").head(MAX_INTERACTION_PANELS)
    columns = min(4, len(pairs))
    rows = math.ceil(len(pairs) / columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(max(5.0, 3.4 * columns), 2.8 * rows + 0.4), squeeze=False
    )
    for ax, pair in zip(axes.flat, pairs.itertuples(), strict=False):
        a, b = pair.factor_a, pair.factor_b
        means = (
            analysis.runs.groupby([a, b], observed=True)[metric]
            .mean()
            .unstack(b)
            .reindex(index=analysis.layout.factors[a], columns=analysis.layout.factors[b])
        )
        sns.heatmap(means, annot=True, fmt=".3g", cmap="viridis", cbar=False, ax=ax)
        ax.set_title(f"{a} × {b}\ninteraction p (Holm) = {_p_text(pair.p_holm)}", fontsize=8)
    for ax in axes.flat[len(pairs) :]:
        ax.set_visible(False)
    fig.suptitle(f"{metric}: mean over runs at each pair of levels", fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def _p_text(p: float) -> str:
    if not np.isfinite(p):
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _t_band(values: pd.Series) -> tuple[float, float]:
    """The 95% t-interval over runs at one step (no band from a single run)."""
    mean, low, high, _ = t_interval(np.asarray(values, dtype=float))
    return (mean, mean) if not np.isfinite(low) else (low, high)


def _logged(logs: pd.DataFrame, key: str) -> bool:
    return key in logs.columns and bool(np.isfinite(logs[key].astype(float)).any())


def curve_panels(logs: pd.DataFrame) -> list[Curve]:
    """The panels the logs can fill, in CURVES order: the plain losses when logged, else
    (older logs) the optimised totals, labelled as such; info_loss only with InfoGAN runs."""
    panels = [curve for curve in CURVES if _logged(logs, curve.key)]
    if not any(_logged(logs, key) for key in ("d_adv", "g_adv")):
        panels = [curve for curve in TOTALS if _logged(logs, curve.key)] + panels
    return panels


def curve_figure(logs: pd.DataFrame, factor: str, hue_order: list, panels: list[Curve]):
    """One figure: a panel per curve, a line per level of `factor`, bands = 95% t-interval
    over runs, the dashed reference line (gid "reference") where the curve has one."""
    rows = math.ceil(len(panels) / 3)
    columns = math.ceil(len(panels) / rows)  # 4 panels: 2 x 2, 5 or 6: 2 x 3
    fig, axes = plt.subplots(rows, columns, figsize=(4.0 * columns, 3.0 * rows), squeeze=False)
    for ax, curve in zip(axes.flat, panels, strict=False):
        data = logs[np.isfinite(logs[curve.key].astype(float))]
        sns.lineplot(
            data=data, x="step", y=curve.key, hue=factor, hue_order=hue_order, ax=ax,
            errorbar=_t_band,
        )  # fmt: skip
        if curve.reference is not None:
            ax.axhline(curve.reference, color="black", ls="--", lw=0.8, gid="reference")
        ax.set_title(curve.title, fontsize=8)
        ax.set_ylabel("")
        if curve is not panels[-1] and ax.get_legend() is not None:
            ax.get_legend().remove()
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(
        f"Training curves by {factor} (bands: 95% CI over runs; dashed: D cannot tell real "
        "from fake, or does not overfit)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def curve_files(analysis: Analysis, folder: Path) -> dict[str, Path]:
    """The training-curves figure of each factor (one by cell when nothing varies)."""
    return {f: folder / f"curves_{slug(f)}.png" for f in list(analysis.layout.factors) or ["cell"]}


def curves(logs: pd.DataFrame, analysis: Analysis, folder: Path) -> list[Path]:
    """Per factor: the panels curve_panels picks against step, one line per level; one
    figure by cell when nothing varies."""
    panels = curve_panels(logs) if not logs.empty else []
    if not panels:
        return []
    _theme()
    written = []
    for factor, path in curve_files(analysis, folder).items():
        hue_order = analysis.layout.factors.get(factor) or list(dict.fromkeys(logs["cell"]))
        written.append(save(curve_figure(logs, factor, hue_order, panels), path))
    return written


def mosaic(samples: list[tuple[str, Path | None]], path: Path) -> Path | None:
    """One sample grid per cell, labelled; a blank tile says a cell has no samples.png."""
    if not samples:
        return None
    _theme()
    columns = min(6, len(samples))
    rows = math.ceil(len(samples) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.4 * columns, 2.7 * rows), squeeze=False)
    for ax, (label, image_path) in zip(axes.flat, samples, strict=False):
        ax.set_axis_off()
        ax.set_title("\n".join(textwrap.wrap(label, 28)), fontsize=7)
        if image_path is not None and image_path.exists():
            ax.imshow(mpimg.imread(image_path), cmap="gray", interpolation="nearest")
        else:
            ax.text(0.5, 0.5, "no samples", ha="center", va="center", transform=ax.transAxes)
    for ax in axes.flat[len(samples) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return save(fig, path)


TRAVERSAL_CAPTION = (
    "Each panel sweeps one continuous code from -2 to +2 (left to right; training draws "
    "them from [-1, 1]); rows are the categorical code's 10 values; z and the other code fixed"
)


def traversals(tiles: list[tuple[str, Path | None]], path: Path) -> Path | None:
    """The runs' traversals.png (one per InfoGAN cell, or a lone cell's seeds), titled with
    the cell and seed, two per row."""
    if not tiles:
        return None
    _theme()
    columns = min(2, len(tiles))
    rows = math.ceil(len(tiles) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(6.5 * columns, 4.2 * rows), squeeze=False)
    for ax, (label, image_path) in zip(axes.flat, tiles, strict=False):
        ax.set_axis_off()
        ax.set_title("\n".join(textwrap.wrap(label, 70)), fontsize=8)
        if image_path is not None and image_path.exists():
            ax.imshow(mpimg.imread(image_path), cmap="gray", interpolation="nearest")
        else:
            ax.text(0.5, 0.5, "no traversals", ha="center", va="center", transform=ax.transAxes)
    for ax in axes.flat[len(tiles) :]:
        ax.set_visible(False)
    fig.suptitle("\n".join(textwrap.wrap(TRAVERSAL_CAPTION, 110)), fontsize=8)
    fig.tight_layout()
    return save(fig, path)
