"""The tables laid out from the engine's arrays: notes that say why a number is missing,
the Wald table per term, the conditional rows, the model notes and the outlying runs."""

from __future__ import annotations

import numpy as np
from conftest import PLANTED_METRICS, TWO_BY_TWO, a_plus_interaction, planted, study_of

from gan_bench.analysis.analyse import analyse
from gan_bench.analysis.frames import formula

FID = "fid_cnn_2k"
THREE = TWO_BY_TWO | {"kernel_size": [4, 3]}


def test_the_formula_names_every_term():
    assert formula(["a", "b"], True, "FID") == "FID ~ C(a, Sum) + C(b, Sum) + C(a, Sum):C(b, Sum)"
    assert formula([], False) == "y ~ 1"


def test_a_level_without_completed_runs_says_so_and_the_others_are_estimated():
    frame = planted(THREE, a_plus_interaction, seeds=3)
    frame.loc[frame["kernel_size"] == 3, "status"] = "diverged"
    frame.loc[frame["kernel_size"] == 3, [FID, "is_cnn_2k"]] = np.nan
    frame = frame[frame["kernel_size"] == 4]  # kernel 3 never ran at all
    result = analyse(frame, study_of(THREE, seeds=[0, 1, 2]), metrics=PLANTED_METRICS)
    effects = result.effects.set_index(["metric", "factor"])
    assert effects.loc[(FID, "kernel_size"), "note"] == "no completed run at kernel_size = 3"
    assert np.isnan(effects.loc[(FID, "kernel_size"), "estimate"])
    assert effects.loc[(FID, "g_output"), "note"] == ""


def test_the_wald_table_has_every_modelled_term_with_holm_over_them():
    frame = planted(THREE, a_plus_interaction, seeds=3)
    result = analyse(frame, study_of(THREE, seeds=[0, 1, 2]), metrics=PLANTED_METRICS)
    anova = result.anova[result.anova["metric"] == FID]
    assert len(anova) == 6 and set(anova["df"]) == {1.0}
    assert (anova["p_holm"] >= anova["p"]).all()
    inter = result.interactions[result.interactions["metric"] == FID]
    by_pair = anova.set_index("term")
    for r in inter.itertuples():
        assert by_pair.loc[f"{r.factor_a} × {r.factor_b}", "F"] == r.F


def test_the_conditional_table_has_a_recommended_row_and_one_per_other_level():
    frame = planted(TWO_BY_TWO, a_plus_interaction, seeds=4)
    result = analyse(frame, study_of(TWO_BY_TWO, seeds=[0, 1, 2, 3]), metrics=PLANTED_METRICS)
    rows = result.conditional[
        (result.conditional["metric"] == FID) & (result.conditional["factor"] == "g_output")
    ]
    assert list(rows["by"]) == ["", "latent", "latent"]
    assert list(rows["by_level"]) == ["", "normal", "uniform"]
    recommended = rows.iloc[0]
    at_normal = rows.iloc[1]  # normal is the latent the registry recommends
    assert recommended["estimate"] == at_normal["estimate"]
    assert np.isnan(recommended["p_holm"]) and np.isfinite(at_normal["p_holm"])


def test_the_model_note_says_why_least_squares_was_used():
    frame = planted(TWO_BY_TWO, a_plus_interaction, seeds=3)
    result = analyse(frame, study_of(TWO_BY_TWO), metrics=PLANTED_METRICS)
    note = result.models.set_index("metric").loc[FID, "note"]
    assert note.startswith("least squares, not the robust fit: 8 residual degrees of freedom")


def test_a_half_failed_run_is_named_as_an_outlier():
    frame = planted(THREE, a_plus_interaction, seeds=4)
    frame.loc[3, FID] *= 3
    result = analyse(frame, study_of(THREE, seeds=[0, 1, 2, 3]), metrics=PLANTED_METRICS)
    outliers = result.outliers
    assert list(outliers["seed"]) == [int(frame.loc[3, "seed"])]
    assert outliers["weight"].iloc[0] < 0.5 and outliers["cell"].iloc[0] == frame.loc[3, "cell"]
