"""The Methods: the verdict rules as the engine applies them (what a verdict is about, the
recommended configuration as an estimate, "depends on" a tested crossover, "stronger
with" a decided interaction, standard errors robust to unequal spreads), each share of
the 5% read from the rules' constants, and why interactions are missing where they are."""

from __future__ import annotations

import pandas as pd
from conftest import TWO_BY_TWO, a_plus_interaction, planted, planted_metrics, study_of

from gan_bench.analysis.analyse import analyse
from gan_bench.analysis.claims import ESTIMANDS
from gan_bench.analysis.robust import HUBER_T
from gan_bench.analysis.verdicts import CROSSOVER_SHARE, INTERACTION_SHARE
from gan_bench.report import methods as methods_module
from gan_bench.report.methods import methods, percent

NOISE = {"g_output": ["tanh", "sigmoid"], "instance_noise": [0.0, 0.1]}


def _analysis(factors=TWO_BY_TWO, fid=a_plus_interaction, seeds=3, **planted_keys):
    frame = planted(factors, fid, seeds=seeds, **planted_keys)
    return analyse(frame, study_of(factors), metrics=planted_metrics(frame))


def test_methods_state_the_verdict_rules():
    said = " ".join(methods(_analysis()))
    assert f"'average', {ESTIMANDS['average']}" in said
    assert "The effect at the recommended configuration (g_output = tanh, latent = normal;" in said
    assert "as an estimate with its 95% interval and no verdict" in said
    assert "'depends on X' only on a tested crossover" in said
    assert "each decided, with opposite signs" in said
    assert f"in {percent(CROSSOVER_SHARE)} of the error rate" in said
    assert "'stronger with X = x': the claim's two-way interaction with X is decided" in said
    assert "'varies with X (sign undecided)'" in said
    assert (
        "robust to unequal spreads per cell: a sandwich (heteroscedasticity-consistent, HC2)"
        in said
    )
    assert "Satterthwaite's degrees of freedom" in said
    assert "judged at the recommended configuration" not in said
    assert f"Huber's T, c = {HUBER_T:g}," in said and "fewer than 20 residual degrees" in said


def test_methods_read_the_shares_from_the_rules(monkeypatch):
    assert percent(0.8) == "4%" and percent(0.1) == "0.5%"
    monkeypatch.setattr(methods_module, "CLAIM_SHARE", 0.6)
    monkeypatch.setattr(methods_module, "INTERACTION_SHARE", 0.3)
    monkeypatch.setattr(methods_module, "CROSSOVER_SHARE", 0.1)
    said = " ".join(methods(_analysis()))
    assert "Their verdicts share 3% of the error rate" in said
    assert "its two-way interactions 1.5% (Holm across them)" in said
    assert "in the claims' 3%" in said and "α = 0.03 / (tests of the metric)" in said
    assert "4%" not in said


def test_methods_of_dynamics_claims_split_the_interactions_share():
    analysis = _analysis(
        NOISE,
        lambda lv: 30.0 + 10.0 * (lv["g_output"] == "sigmoid"),
        seeds=4,
        d_overfit=lambda lv: 0.2 - 0.12 * (lv["instance_noise"] == 0.1),
    )
    said = " ".join(methods(analysis))
    assert (
        "each claim about training dynamics on its own metric (d_overfit: instance_noise)" in said
    )
    assert "verdicts share 4% of the error rate, in one Holm family across their metrics" in said
    whole, half = percent(INTERACTION_SHARE), percent(INTERACTION_SHARE / 2)
    assert f"interactions of these 2 metrics share {whole}: {half} each" in said
    crossing = percent(CROSSOVER_SHARE)
    assert f"opposite signs) share {crossing} in one Holm family across their metrics" in said
    assert "±0.02 on d_overfit" in said and "α = 0.04 / (confirmatory claims)" in said


def test_methods_of_a_study_without_dynamics_columns_keep_one_confirmatory_metric():
    said = " ".join(methods(_analysis(NOISE, lambda lv: 30.0, seeds=2)))
    assert "Confirmatory: the claims on fid_cnn_2k (the primary metric)." in said
    assert f"two-way interactions {percent(INTERACTION_SHARE)} (Holm across them)" in said
    assert "training dynamics" not in said


def test_methods_say_why_interactions_are_missing():
    one = {"g_output": ["tanh", "sigmoid"]}
    analysis = _analysis(one, lambda lv: 20.0, seeds=2)
    assert methods(analysis)[-1].startswith("Interactions are not reported: the study varies")
    study = study_of({"d_dropout": [0.4], "label_smoothing": [0.9]}, design="one_at_a_time")
    rows = [
        {"cell": cell, "seed": seed, "status": "completed", "fid_cnn_2k": 20.0 + seed}
        for cell in ("baseline", "d_dropout-0.4", "label_smoothing-0.9")
        for seed in range(2)
    ]
    frame = pd.DataFrame(rows)
    analysis = analyse(frame, study, metrics=planted_metrics(frame))
    said = methods(analysis)
    assert "a one_at_a_time design does not separate" in said[-1]
    assert f"'at baseline', {ESTIMANDS['at baseline']}" in " ".join(said)
