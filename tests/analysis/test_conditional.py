"""Claims judged where they live: the recommended configuration, effects at the recommended
configuration from the whole model, "depends on X" only for a decided crossover, and the
published default study's d_downsample claim (issue 13's acceptance)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import (
    A_EFFECT,
    GAMMA,
    REPO,
    TWO_BY_TWO,
    a_plus_interaction,
    planted,
    planted_metrics,
    study_of,
)
from scipy import stats

from gan_bench.analysis.analyse import analyse
from gan_bench.analysis.conditional import (
    INTERACTION_SHARE,
    crosses,
    depends_on,
    interaction_share,
    recommended_config,
)
from gan_bench.analysis.layout import layout_for
from gan_bench.folders import StudyFolder
from gan_bench.report.displays import claims_display
from gan_bench.report.inputs import gather
from gan_bench.study.design import DesignRecord

FID = "fid_cnn_2k"


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


def test_depends_on_needs_a_decided_interaction_and_a_sign_change():
    both = np.array([-3.0, 4.0])
    assert crosses(both) and not crosses(np.array([1.0, 4.0]))
    assert not crosses(np.array([math.nan, 2.0]))
    assert depends_on("a", {"b": both, "c": both}, {"b": 0.01, "c": 0.2}) == ["b"]
    assert depends_on("a", {"b": np.array([1.0, 9.0])}, {"b": 1e-9}) == []
    assert depends_on("a", {"b": both}, {"b": math.nan}) == []


def test_the_recommended_configuration_effect_is_a_contrast_of_the_fitted_cells():
    """In a 2x2 with its interaction the model is saturated: the effect of sigmoid at the
    recommended latent (normal) is the difference of those two cells' means, with the
    pooled spread of all 24 runs (20 residual df), not those cells' 12 runs alone."""
    frame = planted(TWO_BY_TWO, a_plus_interaction, seeds=6)
    result = analyse(frame, study_of(TWO_BY_TWO), metrics=planted_metrics(frame))
    claim = result.claims.set_index(["metric", "factor"]).loc[(FID, "g_output")]
    means = frame.groupby(["g_output", "latent"])[FID].mean()
    expected = means[("sigmoid", "normal")] - means[("tanh", "normal")]
    assert claim["rec_estimate"] == pytest.approx(expected, abs=1e-9)
    sigma = result.models.set_index("metric").loc[FID, "sigma"]
    half = (claim["rec_ci_high"] - claim["rec_ci_low"]) / 2
    assert half == pytest.approx(stats.t.ppf(0.975, 20) * sigma * math.sqrt(2 / 6))
    rows = result.conditional[(result.conditional["metric"] == FID)]
    by_latent = rows[(rows["factor"] == "g_output") & (rows["by"] == "latent")]
    truth = {"normal": A_EFFECT - 2 * GAMMA, "uniform": A_EFFECT + 2 * GAMMA}
    for r in by_latent.itertuples():
        assert r.ci_low <= truth[r.by_level] <= r.ci_high


def test_without_interactions_the_recommended_effect_is_the_main_effect():
    factors = {"g_output": ["tanh", "sigmoid"], "latent": ["normal", "uniform"]}
    frame = planted(factors, a_plus_interaction, seeds=4)
    study = study_of(factors, design="one_at_a_time", seeds=list(range(4)))
    frame = frame[frame["cell"].isin(DesignRecord.of(study).cells)]
    result = analyse(frame, study, metrics=planted_metrics(frame))
    claims = result.claims
    np.testing.assert_allclose(claims["rec_estimate"], claims["estimate"])
    assert (claims["depends_on"] == "").all()
    assert (result.conditional["by"] == "").all()


@pytest.fixture(scope="module")
def published():
    inputs = gather(StudyFolder(REPO / "results" / "default"))
    return analyse(inputs.summary, inputs.study, inputs.design, metrics=inputs.metrics)


def test_the_published_d_downsample_claim_depends_on_its_partners(published):
    """Issue 13: max-pool vs strided D crosses over with kernel size (and the output
    activation); the claim table says so and spells out the conditional effects."""
    claims = published.claims.set_index(["metric", "factor"])
    d_down = claims.loc[(FID, "d_downsample")]
    assert d_down["verdict"].startswith("depends on ")
    named = set(d_down["depends_on"].split(", "))
    assert named & {"kernel_size", "g_output"} and named <= set(published.layout.factors)
    assert np.isfinite(published.claims["rec_estimate"]).all()  # every claim, every metric
    shown = claims_display(published).set_index("trick")
    text = shown.loc["d_downsample", "verdict"]
    assert "depends on kernel_size: better with 4 (-" in text and "worse with 3 (+" in text
    assert "(at the recommended configuration: " in text
    assert set(shown["judged on"]) == {FID}  # no dynamics column: every claim on FID
    assert list(shown.columns)[4:6] == [
        "effect at the recommended configuration [95% CI]",
        "verdict",
    ]


def test_the_interactions_share_is_split_among_the_metrics_claims_are_judged_on():
    """k metrics with confirmatory claims: INTERACTION_SHARE / k each, so their "depends
    on" words together spend INTERACTION_SHARE; an exploratory metric keeps the 1% scale."""
    assert interaction_share(FID, [FID]) == INTERACTION_SHARE
    judged = [FID, "d_overfit", "d_balance"]
    shares = [interaction_share(metric, judged) for metric in judged]
    assert sum(shares) == pytest.approx(INTERACTION_SHARE) and len(set(shares)) == 1
    assert interaction_share("is_cnn_2k", judged) == INTERACTION_SHARE
