"""The claim table: each verdict names its estimand, the recommended-configuration effect
is an estimate beside it, and only an undecided confirmatory claim asks for seeds."""

from __future__ import annotations

import math

from conftest import PLANTED_METRICS, TWO_BY_TWO, a_plus_interaction, planted, study_of

from gan_bench.analysis.analyse import analyse
from gan_bench.analysis.claim_table import CLAIM_COLUMNS
from gan_bench.analysis.claims import ESTIMANDS, EXPLORATORY
from gan_bench.study.design import DesignRecord

FID = "fid_cnn_2k"


def _claims(design: str = "full_factorial", drop_cell: bool = False):
    frame = planted(TWO_BY_TWO, a_plus_interaction, seeds=4)
    study = study_of(TWO_BY_TWO, seeds=[0, 1, 2, 3], design=design)
    if design == "one_at_a_time":  # the factorial's cells at one change from the baseline
        ids = {tuple(sorted(map(str, levels.values()))): cell
               for cell, levels in DesignRecord.of(study).cells.items()}  # fmt: skip
        frame = frame.assign(cell=[ids.get(tuple(sorted(map(str, r))), "")
                                   for r in frame[list(TWO_BY_TWO)].to_numpy()])  # fmt: skip
        frame = frame[frame["cell"] != ""]
    if drop_cell:
        frame = frame[frame["cell"] != frame["cell"].iloc[-1]]
    return analyse(frame, study, metrics=PLANTED_METRICS).claims


def test_every_claim_names_what_its_verdict_is_about():
    assert list(_claims().columns) == CLAIM_COLUMNS
    assert set(_claims()["estimand"]) == {"average"}
    assert set(_claims("one_at_a_time")["estimand"]) == {"at baseline"}
    assert set(_claims(drop_cell=True)["estimand"]) == {"additive"}  # 3 cells: no interaction
    assert set(ESTIMANDS) == {"average", "at baseline", "additive"}


def test_the_recommended_effect_is_an_estimate_and_not_what_the_verdict_reads():
    claims = _claims().set_index(["metric", "factor"])
    g_output = claims.loc[(FID, "g_output")]
    assert g_output["verdict"] == "supported" and g_output["p_holm"] < 0.05
    assert g_output["rec_estimate"] < g_output["estimate"] / 2  # +2 at normal, +10 averaged
    assert "rec_verdict" not in claims.columns and "rec_p_holm" not in claims.columns


def test_seeds_to_decide_only_for_undecided_confirmatory_claims():
    claims = _claims()
    exploratory = claims[claims["metric"] != FID]
    assert set(exploratory["verdict"]) == {EXPLORATORY}
    assert exploratory["seeds_needed"].isna().all()
    judged = claims[claims["metric"] == FID].set_index("factor")
    assert math.isnan(judged.loc["g_output", "seeds_needed"])  # supported
    assert judged.loc["latent", "verdict"] == "depends on g_output"
    assert math.isnan(judged.loc["latent", "seeds_needed"])


def test_an_undecided_claim_never_asks_for_the_seeds_it_already_has():
    """seeds_to_decide's normal quantiles undershoot at few df: a claim these seeds left
    open is asked at least one more seed per cell."""
    frame = planted(TWO_BY_TWO, lambda lv: 30.0 + 0.2 * (lv["latent"] == "uniform"), seeds=3)
    claims = analyse(frame, study_of(TWO_BY_TWO), metrics=PLANTED_METRICS).claims
    judged = claims[(claims["metric"] == FID) & claims["verdict"].isin(["inconclusive"])]
    assert len(judged) and (judged["seeds_needed"] >= 4).all()
