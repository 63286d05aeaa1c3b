"""A claim's forest plot: every member with its interval and its own verdict, the pooled
diamond over the HKSJ interval, the prediction interval as a bar, the zero and SESOI lines,
the scale on the x axis and the transfer verdict in the title; drawn from the numbers given,
never others."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from gan_bench.report.campaign_figures import (
    NOT_A_CLAIM_THERE,
    POOLED,
    PREDICTION,
    draw_forest,
    forest_figure,
    member_colour,
    scale_text,
)
from gan_bench.report.figures import COLOURS

CLAIM = pd.Series(
    {"metric": "fid", "factor": "g_output", "level": "sigmoid", "baseline": "tanh",
     "scale": "log ratio", "sesoi": math.log(1.05), "pooled": -0.25, "ci_low": -0.31,
     "ci_high": -0.19, "pi_low": -0.45, "pi_high": -0.05, "verdict": "transfers"}
)  # fmt: skip


def member_rows(verdicts=("supported", "inconclusive", "")) -> pd.DataFrame:
    n = len(verdicts)
    effects = np.linspace(-0.3, -0.2, n)
    return pd.DataFrame(
        {"member": [f"m{i}" for i in range(n)], "effect": effects, "ci_low": effects - 0.05,
         "ci_high": effects + 0.05, "member_decided": [True] + [False] * (n - 1),
         "member_verdict": list(verdicts)}
    )  # fmt: skip


def artists(fig: plt.Figure, gid: str) -> list:
    return [a for a in fig.axes[0].get_children() if a.get_gid() == gid]


def test_each_member_is_a_row_named_with_its_own_verdict_then_pooled_and_prediction():
    fig = forest_figure(CLAIM, member_rows())
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["m0: supported", "m1: inconclusive", f"m2: {NOT_A_CLAIM_THERE}", POOLED,
                      PREDICTION]  # fmt: skip
    points = {line.get_gid(): line for line in reversed(fig.axes[0].lines)}  # first: the point
    decided, undecided = points["member-m0"], points["member-m1"]
    assert decided.get_xdata()[0] == pytest.approx(-0.3)  # m0: decided (filled), worse (red)
    assert decided.get_markerfacecolor() == decided.get_color() == COLOURS["worse"]
    assert undecided.get_markerfacecolor() == "white"
    plt.close(fig)


def test_the_diamond_is_the_hksj_interval_and_the_bar_the_prediction_interval():
    fig = forest_figure(CLAIM, member_rows())
    (diamond,) = artists(fig, "pooled")
    xs = diamond.get_xy()[:, 0]
    assert xs.min() == pytest.approx(-0.31) and xs.max() == pytest.approx(-0.19)
    assert -0.25 in np.round(xs, 6)
    (bar,) = artists(fig, "prediction")
    np.testing.assert_allclose(bar.get_segments()[0][:, 0], [-0.45, -0.05])
    assert len(artists(fig, "zero")) == 1 and len(artists(fig, "sesoi")) == 2
    low, high = fig.axes[0].get_xlim()
    assert low <= -0.45 and high >= math.log(1.05)  # everything drawn is in view
    title = fig.axes[0].get_title().replace("\n", " ")
    assert title.endswith("transfer verdict: transfers") and "sigmoid vs tanh" in title
    assert "log(FID at tanh / FID at sigmoid)" in fig.axes[0].get_xlabel().replace("\n", " ")
    plt.close(fig)


def test_without_a_prediction_interval_the_plot_says_so():
    claim = CLAIM.copy()
    claim[["pi_low", "pi_high"]] = np.nan
    fig = forest_figure(claim, member_rows(("supported", "supported")))
    assert artists(fig, "prediction") == []
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "no prediction interval (fewer than 3 datasets)" in texts
    plt.close(fig)


def test_the_scale_says_which_way_is_better():
    assert "log(FID at tanh / FID at sigmoid) (positive: sigmoid better than tanh)" in scale_text(
        CLAIM
    )
    higher = CLAIM.copy()
    higher["metric"] = "is"
    assert "log(IS at sigmoid / IS at tanh)" in scale_text(higher)
    units = CLAIM.copy()
    units[["metric", "scale"]] = ["precision", "precision units"]
    assert scale_text(units).startswith("improvement of sigmoid over tanh, precision units")


def test_colours_follow_the_campaigns_member_test():
    assert member_colour(0.2, True) == COLOURS["better"]
    assert member_colour(-0.2, True) == COLOURS["worse"]
    assert member_colour(-0.2, False) == COLOURS["unclear"]


def test_draw_forest_writes_a_png(tmp_path):
    path = draw_forest(CLAIM, member_rows(), tmp_path / "forest-x.png")
    with Image.open(path) as image:
        assert image.format == "PNG" and min(image.size) > 200
