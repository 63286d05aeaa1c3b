"""Figures of an Analysis: what gets drawn, what is left out when there is nothing to draw."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import TWO_BY_TWO, a_plus_interaction, planted, planted_metrics, study_of
from PIL import Image

from gan_bench.analysis.analyse import analyse
from gan_bench.report import figures
from gan_bench.score.registry import column


def analysis_of(factors: dict, seeds: int = 3):
    fid = a_plus_interaction if factors == TWO_BY_TWO else (lambda levels: 20.0)
    frame = planted(factors, fid, seeds)
    return analyse(frame, study_of(factors), metrics=planted_metrics(frame))


def is_png(path) -> bool:
    with Image.open(path) as image:
        return image.format == "PNG" and min(image.size) > 100


def test_forest_strips_and_interactions_of_a_two_by_two(tmp_path):
    analysis = analysis_of(TWO_BY_TWO)
    forest = figures.forest(analysis, tmp_path / "effects.png")
    strips = figures.strips(analysis, tmp_path)
    heatmaps = figures.interactions(analysis, tmp_path)
    assert forest is not None and is_png(forest)
    assert sorted(p.name for p in strips) == ["cells_fid_cnn_2k.png", "cells_is_cnn_2k.png"]
    assert [p.name for p in heatmaps] == ["interactions.png", "interactions_fid_cnn_2k.png"]
    assert all(is_png(p) for p in [*strips, *heatmaps])


def test_a_metric_no_run_has_gets_no_strip_figure(tmp_path):
    frame = planted(TWO_BY_TWO, a_plus_interaction, 2)
    frame["overfit_pattern"] = np.nan  # every log too short for it
    columns = [*planted_metrics(frame), column("overfit_pattern", "training", None)]
    analysis = analyse(frame, study_of(TWO_BY_TWO), metrics=columns)
    written = figures.strips(analysis, tmp_path)
    assert sorted(p.name for p in written) == ["cells_fid_cnn_2k.png", "cells_is_cnn_2k.png"]


def test_one_factor_has_no_interaction_figures(tmp_path):
    analysis = analysis_of({"g_output": ["tanh", "sigmoid"]})
    assert figures.interactions(analysis, tmp_path) == []


def test_curves_one_figure_per_factor_and_none_without_logs(tmp_path):
    analysis = analysis_of(TWO_BY_TWO, seeds=2)
    runs = analysis.runs
    steps = pd.DataFrame({"step": [10, 20, 30]})
    logs = runs[["cell", "seed", *TWO_BY_TWO]].merge(steps, how="cross")
    logs["d_loss"], logs["g_loss"] = 1.0 + logs["step"] / 100, 2.0 - logs["step"] / 100
    logs["d_real"], logs["d_fake"] = 0.7, 0.3
    written = figures.curves(logs, analysis, tmp_path)
    assert sorted(p.name for p in written) == ["curves_g_output.png", "curves_latent.png"]
    assert figures.curves(logs.iloc[0:0], analysis, tmp_path) == []


def logs_of(analysis, steps=(10, 20, 30), **columns) -> pd.DataFrame:
    """Every run of `analysis` logged at `steps`, with `columns` (a value or a function of
    the frame) as its log keys."""
    logs = analysis.runs[["cell", "seed", *TWO_BY_TWO]].merge(
        pd.DataFrame({"step": list(steps)}), how="cross"
    )
    for key, value in columns.items():
        logs[key] = value(logs) if callable(value) else value
    return logs


NEW_LOG = {  # a log line since issue 14: the plain losses and D's probe beside the totals
    "d_loss": 1.2, "g_loss": 0.9, "d_real": 0.7, "d_fake": 0.3, "d_adv": 0.6, "g_adv": 0.8,
    "d_overfit": lambda logs: logs["step"] / 1000,
}  # fmt: skip


def references(fig) -> dict[str, list[float]]:
    """Panel title -> the y of its dashed reference lines."""
    return {
        ax.get_title(): [line.get_ydata()[0] for line in ax.lines if line.get_gid() == "reference"]
        for ax in fig.axes
        if ax.get_visible()
    }


def test_curves_compare_the_plain_losses_with_reference_lines(tmp_path):
    analysis = analysis_of(TWO_BY_TWO, seeds=2)
    infogan = lambda logs: np.where(logs["latent"] == "uniform", 1.5, np.nan)  # noqa: E731
    logs = logs_of(analysis, **NEW_LOG, info_loss=infogan)
    panels = figures.curve_panels(logs)
    assert [p.key for p in panels] == [
        "d_adv",
        "g_adv",
        "d_real",
        "d_fake",
        "info_loss",
        "d_overfit",
    ]
    fig = figures.curve_figure(logs, "latent", TWO_BY_TWO["latent"], panels)
    lines = references(fig)
    assert list(lines.values()) == [
        [pytest.approx(np.log(2))], [pytest.approx(np.log(2))], [0.5], [0.5], [], [0.0]
    ]  # fmt: skip
    info = next(ax for ax in fig.axes if "info loss" in ax.get_title())
    assert len([line for line in info.lines if len(line.get_xdata()) == 3]) == 1  # uniform only
    plt.close(fig)
    written = figures.curves(logs, analysis, tmp_path)
    assert len(written) == 2 and all(is_png(p) for p in written)


def test_curves_of_older_logs_show_the_optimised_totals_labelled_without_a_reference():
    analysis = analysis_of(TWO_BY_TWO, seeds=2)
    old = logs_of(analysis, d_loss=1.2, g_loss=0.9, d_real=0.7, d_fake=0.3, info_loss=np.nan)
    panels = figures.curve_panels(old)
    assert [p.key for p in panels] == ["d_loss", "g_loss", "d_real", "d_fake"]  # no info_loss
    assert all("as optimised" in p.title and p.reference is None for p in panels[:2])
    fig = figures.curve_figure(old, "latent", TWO_BY_TWO["latent"], panels)
    assert list(references(fig).values()) == [[], [], [0.5], [0.5]]
    plt.close(fig)


def test_mosaic_marks_cells_without_samples_and_is_none_without_cells(tmp_path):
    grid = tmp_path / "grid.png"
    Image.fromarray(np.zeros((20, 20), dtype="uint8")).save(grid)
    written = figures.mosaic([("cell a", grid), ("cell b", None)], tmp_path / "samples.png")
    assert written is not None and is_png(written)
    assert figures.mosaic([], tmp_path / "none.png") is None


def test_traversals_one_panel_per_cell_and_none_without_infogan(tmp_path):
    grid = tmp_path / "grid.png"
    Image.fromarray(np.zeros((20, 40), dtype="uint8")).save(grid)
    tiles = [("infogan-True — seed 0", grid), ("other — seed 0", None), ("third", grid)]
    written = figures.traversals(tiles, tmp_path / "traversals.png")
    assert written is not None and is_png(written)
    width, height = Image.open(written).size
    assert height > width / 2  # two rows of two panels for three cells
    assert figures.traversals([], tmp_path / "none.png") is None
    assert not (tmp_path / "none.png").exists()


def test_slug_makes_file_names_safe():
    assert figures.slug("|checkerboard_pixel_2k|") == "checkerboard_pixel_2k"
    assert figures.slug("a b/c") == "a-b-c"
