"""The model's coding and contrasts: sum coding as patsy writes it, the recommended
configuration, settings of a design and of real runs, and missing cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import patsy
import pytest
from conftest import PLANTED_METRICS, TWO_BY_TWO, a_plus_interaction, planted, study_of

from gan_bench.analysis.layout import layout_for
from gan_bench.analysis.model import (
    choose_model,
    claim_index,
    conditions,
    contrast,
    model_matrix,
    recommended_config,
    setting_of,
)
from gan_bench.study.design import DesignRecord

THREE = TWO_BY_TWO | {"kernel_size": [4, 3]}


def test_recommended_config_is_the_registrys_level_else_the_baseline():
    factors = {
        "g_output": ["tanh", "sigmoid"],
        "g_activation": ["relu", "leaky_relu"],  # the registry recommends neither
        "kernel_size": [3, 5],  # it recommends 4, which this study does not have
    }
    study = study_of(factors, baseline={"g_output": "sigmoid", "kernel_size": 5})
    design = DesignRecord.of(study)
    layout = layout_for(pd.DataFrame({"cell": list(design.cells)}), study, design)
    assert recommended_config(layout) == {
        "g_output": "tanh",
        "g_activation": "relu",
        "kernel_size": "5",
    }


def test_the_model_matrix_is_patsys_sum_coding_with_two_way_products():
    rng = np.random.default_rng(0)
    levels = np.column_stack([rng.integers(0, 3, 40), rng.integers(0, 2, 40)])
    ours, terms = model_matrix(levels, [0, 1], [[0, 1, 2], [0, 1]], interactions=True)
    frame = pd.DataFrame({"a": levels[:, 0], "b": levels[:, 1]})
    theirs = patsy.dmatrix("C(a, Sum) * C(b, Sum)", frame, return_type="dataframe")
    np.testing.assert_allclose(ours, theirs.to_numpy())
    assert terms == {(0,): slice(1, 3), (1,): slice(3, 4), (0, 1): slice(4, 6)}


def test_a_setting_of_real_runs_keeps_their_cells_and_seeds():
    frame = planted(TWO_BY_TWO, a_plus_interaction, seeds=3).iloc[::-1].reset_index(drop=True)
    study = study_of(TWO_BY_TWO)
    setting = setting_of(study, DesignRecord.of(study), PLANTED_METRICS, frame)
    cells = [setting.layout.cell_order[c] for c in setting.run_cells]
    assert cells == list(frame["cell"]) and list(setting.run_seeds) == list(frame["seed"])
    assert setting.primary == "fid_cnn_2k"
    assert setting.confirmatory == [("fid_cnn_2k", "g_output"), ("fid_cnn_2k", "latent")]


def test_without_cells_drops_every_run_of_those_cells_and_the_model_keeps_interactions():
    study = study_of(THREE, seeds=[0, 1, 2])
    setting = setting_of(study, DesignRecord.of(study), PLANTED_METRICS)
    gone = setting.layout.cell_order[-1]
    fewer = setting.without_cells([gone])
    assert len(fewer.run_cells) == len(setting.run_cells) - len(setting.seeds)
    assert setting.layout.cell_order.index(gone) not in set(fewer.run_cells)
    model = choose_model(np.ones(len(fewer.run_cells), bool), fewer.run_levels, fewer.layout)
    assert model.interactions  # 7 of 8 cells of a 2^3 still estimate every two-way term


def test_a_main_contrast_averages_the_other_factors_and_a_conditional_fixes_one():
    """On a saturated 2x2 the contrasts are differences of cell means: the average effect
    of sigmoid is the mean of its effects at both latents; at uniform, that cell pair's."""
    study = study_of(TWO_BY_TWO, seeds=[0, 1])
    setting = setting_of(study, DesignRecord.of(study), PLANTED_METRICS)
    layout = setting.layout
    model = choose_model(np.ones(len(setting.run_cells), bool), setting.run_levels, layout)
    planted_cells = {("tanh", "normal"): 10.0, ("sigmoid", "normal"): 13.0}
    planted_cells |= {("tanh", "uniform"): 17.0, ("sigmoid", "uniform"): 30.0}
    order = [(layout.cell_levels[c]["g_output"], layout.cell_levels[c]["latent"])
             for c in layout.cell_order]  # fmt: skip
    y = np.array([planted_cells[order[c]] for c in setting.run_cells])
    coefficients = np.linalg.lstsq(model.exog, y, rcond=None)[0]
    g, b = list(layout.factors).index("g_output"), list(layout.factors).index("latent")
    average = contrast(model, layout, [(1.0, {g: 1}), (-1.0, {g: 0})]) @ coefficients
    at_uniform = contrast(model, layout, [(1.0, {g: 1, b: 1}), (-1.0, {g: 0, b: 1})])
    assert average == pytest.approx((3.0 + 13.0) / 2)
    assert at_uniform @ coefficients == pytest.approx(13.0)
    assert len(conditions(layout)) == 2 * len(claim_index(layout))
