"""Figures of an Analysis: what gets drawn, what is left out when there is nothing to draw."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import TWO_BY_TWO, a_plus_interaction, planted, planted_metrics, study_of
from PIL import Image

from gan_bench.analysis.analyse import analyse
from gan_bench.report import figures


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
