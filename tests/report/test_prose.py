"""The report's sentences: the bottom line (what the verdicts are about, crossovers and
interactions spelled out), the study's facts with typed levels written as the registry
writes them, which InfoGAN code moves what, the alias structure of a fraction. (The
Methods: test_methods.py.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TWO_BY_TWO, a_plus_interaction, planted, planted_metrics, study_of
from scipy import stats

from gan_bench.analysis.analyse import analyse
from gan_bench.folders import StudyFolder
from gan_bench.report.claim_display import claims_display
from gan_bench.report.inputs import Inputs
from gan_bench.report.prose import (
    alias_text,
    analysis_title,
    bottom_line,
    code_accuracy_by_seed,
    code_roles,
    code_text,
    made_with,
    study_facts,
)
from gan_bench.score.registry import column, stroke_key
from gan_bench.study.design import DesignRecord, cells
from gan_bench.study.study_file import Study


def inputs_for(study: Study, summary: pd.DataFrame, infos: list | None = None) -> Inputs:
    folder = StudyFolder.of(study.name)
    design, metrics = DesignRecord.of(study), planted_metrics(summary)
    return Inputs(folder, summary, study, design, metrics, infos or [])


def facts_of(study: Study, summary: pd.DataFrame, infos: list | None = None) -> dict[str, str]:
    return dict(
        study_facts(
            inputs_for(study, summary, infos),
            analyse(summary, study, metrics=planted_metrics(summary)),
        )
    )


def test_bottom_line_counts_verdicts_and_names_what_it_cannot_decide():
    frame = planted(TWO_BY_TWO, a_plus_interaction, seeds=6)
    frame.loc[0, "status"] = "diverged"
    lines = bottom_line(analyse(frame, study_of(TWO_BY_TWO), metrics=planted_metrics(frame)))
    assert lines[0].startswith(
        "On fid_cnn_2k (lower is better), 2 comparisons against the baseline, judged on the "
        "average effect over the other factors' levels: "
    )
    assert "1 supported, 0 contradicted, 0 inconclusive, 1 depends on another factor" in lines[0]
    # sigmoid +10 on average, +2 - 4 (the diverged tanh run) with normal, +18 with uniform
    assert lines[1].startswith(
        "g_output = sigmoid vs tanh (supported): stronger with latent = uniform: +"
    )
    assert "] with normal, +20." in lines[1] and lines[1].endswith("] with uniform.")
    assert lines[2].startswith(
        "latent = uniform vs normal depends on g_output: better with tanh (-"
    )  # uniform vs normal: -8 with tanh, +8 with sigmoid (conftest.a_plus_interaction)
    assert ", worse with sigmoid (+" in lines[2]
    assert lines[2].endswith("; its average effect mixes these and does not hold everywhere.")
    assert lines[3].startswith("1 of 24 runs (4%) diverged")


def test_bottom_line_names_what_it_cannot_decide():
    frame = planted(TWO_BY_TWO, lambda lv: 30.0 + 1.0 * (lv["g_output"] == "sigmoid"), seeds=2)
    lines = bottom_line(analyse(frame, study_of(TWO_BY_TWO), metrics=planted_metrics(frame)))
    assert "0 supported, 0 contradicted, 2 inconclusive" in lines[0]
    assert lines[1].startswith("This study cannot decide: g_output = sigmoid (")
    assert lines[1].endswith("at the spread these runs show.")


NULL = {"null_factor": ["a", "b"]}


def _aa_analysis(planted_difference: float):
    """An A/A frame: level b's runs copy level a's (no chance difference) plus a planted one."""
    frame = planted(NULL, lambda lv: 30.0, seeds=4)
    a_rows, b_rows = frame["null_factor"] == "a", frame["null_factor"] == "b"
    for name in ("fid_cnn_2k", "is_cnn_2k"):
        frame.loc[b_rows, name] = frame.loc[a_rows, name].to_numpy()
    frame.loc[b_rows, "fid_cnn_2k"] += planted_difference
    return analyse(frame, study_of(NULL), metrics=planted_metrics(frame))


def test_bottom_line_of_an_aa_study_says_no_difference_was_called():
    analysis = _aa_analysis(0.0)
    lines = bottom_line(analysis)
    assert "0 supported, 0 contradicted, 0 inconclusive, 1 no decided effect" in lines[0]
    assert lines[1].startswith(
        "A/A check: null_factor = b vs a changes nothing but the random stream, and the suite "
        "called no difference on fid_cnn_2k (+0.0 ["
    )
    assert lines[2].startswith("The other 1 metric is exploratory")
    # undecided, it names the seeds that would show the difference inside +-SESOI
    assert lines[3].startswith("This study cannot decide: null_factor = b (")
    shown = claims_display(analysis).iloc[0]
    assert shown["judged on"] == "fid_cnn_2k"
    assert float(shown["SESOI (±, in the metric's unit)"]) == pytest.approx(
        1.5, rel=0.1
    )  # 5% of ~30 FID
    assert shown["expected"] == "b no different from a"
    assert shown["verdict"] == "no decided effect"
    assert shown["seeds/cell to decide"].endswith("(now 4)")  # to show it inside +-SESOI


def test_bottom_line_of_an_aa_study_names_a_false_positive():
    lines = bottom_line(_aa_analysis(10.0))
    assert "0 supported, 1 contradicted, 0 inconclusive at 95%" in lines[0]
    assert "yet the suite called a difference on fid_cnn_2k (+10." in lines[1]
    assert ", adjusted p < 0.001)" in lines[1]  # the verdict's p, on the average effect
    assert "a false positive, a difference where none exists" in lines[1]


def test_bottom_line_without_metrics_says_there_is_nothing_to_judge():
    frame = planted(TWO_BY_TWO, a_plus_interaction, seeds=2).drop(
        columns=["fid_cnn_2k", "is_cnn_2k"]
    )
    assert (
        "runs not scored"
        in bottom_line(analyse(frame, study_of(TWO_BY_TWO), metrics=planted_metrics(frame)))[0]
    )


def test_facts_write_typed_levels_and_mark_the_baseline():
    factors = {"kernel_size": [3, 4], "d_dropout": [0.4, 0.0]}  # baselines listed last
    baseline = {"label_smoothing": 0.9, "feature_matching": True}  # fixed, off default
    study = study_of(factors, baseline=baseline)
    facts = facts_of(study, planted(factors, lambda lv: 20.0, seeds=2))
    assert facts["factor kernel_size"] == "4 (baseline), 3"
    assert facts["factor d_dropout"] == "0.0 (baseline), 0.4"
    assert facts["fixed tricks off default"] == "label_smoothing=0.9, feature_matching=true"
    assert facts["design"] == "full_factorial, 4 cells"
    assert facts["source"] == "study.yaml and design.json, beside this report"
    assert facts["train"].startswith("steps: 12, batch_size: 16")  # the resolved study
    assert facts["machines"].startswith("not recorded here")


def test_facts_name_the_machines_of_the_runs_that_are_here():
    study = study_of(TWO_BY_TWO)
    infos = [{"device": "cpu", "threads": 1, "host": "a", "versions": {"torch": "2"}}] * 3
    facts = facts_of(study, planted(TWO_BY_TWO, a_plus_interaction, seeds=1), infos)
    assert facts["device"] == "cpu (3 runs)" and facts["host"] == "a (3 runs)"
    assert facts["versions"] == "torch 2" and "machines" not in facts


def test_facts_tell_runs_of_a_dirty_tree_apart_by_their_patch():
    study = study_of(TWO_BY_TWO)
    dirty = {"git_commit": "abc-dirty", "code_diff": {"file": "code.diff", "sha256": "f" * 64}}
    infos = [{"git_commit": "abc"}, dirty, dirty]
    facts = facts_of(study, planted(TWO_BY_TWO, a_plus_interaction, seeds=1), infos)
    assert facts["git commit"] == "abc-dirty + code.diff sha256 ffffffffffff (2 runs); abc (1 runs)"
    assert code_text({"git_commit": "abc", "code_diff": None}) == "abc"


def test_report_made_names_the_patch_beside_it_and_what_it_leaves_out():
    diff = {"file": "code.diff", "bytes": 10, "sha256": "e" * 64, "cut": False, "untracked": []}
    clean = made_with({"git_commit": "abc", "code_diff": None})
    assert clean.endswith(", commit abc") and "code.diff" not in clean
    dirty = made_with({"git_commit": "abc-dirty", "code_diff": diff})
    assert dirty.endswith(
        "commit abc-dirty with the uncommitted changes in code.diff beside this report, "
        f"sha256 {'e' * 64}"
    )
    diff |= {"cut": True, "full_bytes": 99, "untracked": ["notes.txt"]}
    cut = made_with({"git_commit": "abc-dirty", "code_diff": diff})
    assert "(cut to 10 of 99 bytes)" in cut and cut.endswith("not in it: notes.txt")


def test_alias_text_only_for_fractional_designs():
    factors = {"g_output": ["tanh", "sigmoid"], "latent": ["normal", "uniform"]}
    assert alias_text(DesignRecord.of(study_of(factors))) == ""
    factors["d_downsample"] = ["strided", "maxpool"]
    fraction = DesignRecord.of(study_of(factors, design="fractional", resolution=3))
    lines = alias_text(fraction).splitlines()
    assert lines[:2] == ["resolution: 3", "generators: a b ab"]
    assert "g_output = latent x d_downsample" in lines


def test_title_names_the_design_and_the_runs():
    study = study_of({"d_dropout": [0.4], "label_smoothing": [0.9]}, design="one_at_a_time")
    rows = [
        {"cell": cell, "seed": seed, "status": "completed", "fid_cnn_2k": 20.0 + seed}
        for cell in ("baseline", "d_dropout-0.4", "label_smoothing-0.9")
        for seed in range(2)
    ]
    frame = pd.DataFrame(rows)
    analysis = analyse(frame, study, metrics=planted_metrics(frame))
    assert analysis_title(inputs_for(study, frame), analysis) == "tiny (one_at_a_time, 6 runs)"
    # verdicts of a one-at-a-time design are about the effect at the others' baselines
    assert "judged with every other factor at its baseline" in bottom_line(analysis)[0]


NOISE = {"g_output": ["tanh", "sigmoid"], "instance_noise": [0.0, 0.1]}


def _dynamics_analysis():
    """sigmoid +10 FID; instance noise lowers d_overfit by 0.12 and leaves FID alone."""
    frame = planted(
        NOISE,
        lambda lv: 30.0 + 10.0 * (lv["g_output"] == "sigmoid"),
        seeds=4,
        d_overfit=lambda lv: 0.2 - 0.12 * (lv["instance_noise"] == 0.1),
    )
    return analyse(frame, study_of(NOISE), metrics=planted_metrics(frame))


def test_prose_says_which_metric_each_claim_was_judged_on():
    analysis = _dynamics_analysis()
    lines = bottom_line(analysis)
    assert lines[0].startswith("On fid_cnn_2k (lower is better), 2 comparisons")
    assert "1 supported, 0 contradicted, 1 inconclusive" in lines[0]
    assert lines[1].startswith(
        "On d_overfit (lower is better), the claims about training dynamics of "
        "instance_noise: 1 comparison against the baseline, judged on the average effect over "
        "the other factors' levels: 1 supported, 0 contradicted, 0 inconclusive"
    )
    assert lines[2].startswith("This study cannot decide: instance_noise = 0.1 (")
    shown = claims_display(analysis)
    assert list(shown["judged on"]) == ["fid_cnn_2k", "fid_cnn_2k", "d_overfit"]
    dynamics = shown.iloc[2]
    assert dynamics["claim (source)"].startswith("noise before D stops D overfitting")
    assert (
        dynamics["verdict"] == "supported" and dynamics["SESOI (±, in the metric's unit)"] == "0.02"
    )


INFOGAN = {"infogan": [False, True]}
FID = column("fid", "cnn", 2000)
STROKES = {
    (m, k): column(stroke_key(m, k), "pixel", 2000) for m in ("slant", "thickness") for k in (1, 2)
}


def infogan_runs(means: dict[tuple[str, int], float], sd: float, seeds: int) -> pd.DataFrame:
    """An InfoGAN off / on study's runs: the stroke columns (NaN without codes) about
    `means` with seed noise of `sd`."""
    rng = np.random.default_rng(5)
    rows = []
    for cell in cells(study_of(INFOGAN)):
        for seed in range(seeds):
            strokes = {
                STROKES[key].name: mean + rng.normal(0, sd) if cell.tricks.infogan else np.nan
                for key, mean in means.items()
            }
            rows.append(
                {"cell": cell.id, **cell.levels, "seed": seed, "status": "completed"}
                | {FID.name: 20 + rng.normal()}
                | strokes
            )
    return pd.DataFrame(rows)


def roles_of(frame: pd.DataFrame) -> list[str]:
    metrics = [FID, *STROKES.values()]
    return code_roles(analyse(frame, study_of(INFOGAN), metrics=metrics))


def test_code_roles_name_which_code_moves_what_with_intervals_over_seeds():
    means = {("slant", 1): 0.9, ("slant", 2): 0.2, ("thickness", 1): 0.1, ("thickness", 2): 0.6}
    frame = infogan_runs(means, sd=0.03, seeds=5)
    (line,) = roles_of(frame)  # the InfoGAN cell only
    runs = frame[frame["infogan"]]

    def text(key):
        values = runs[STROKES[key].name]
        half = stats.sem(values) * stats.t.ppf(0.975, len(values) - 1)
        return f"{values.mean():.2f} [{values.mean() - half:.2f}, {values.mean() + half:.2f}]"

    assert line == (
        f"infogan-true: c1: slant, |r| = {text(('slant', 1))} (thickness "
        f"{text(('thickness', 1))}); c2: thickness, |r| = {text(('thickness', 2))} "
        f"(slant {text(('slant', 2))})."
    )


def test_code_roles_name_no_lead_where_the_intervals_overlap_and_say_one_seed():
    means = {("slant", 1): 0.9, ("slant", 2): 0.45, ("thickness", 1): 0.1, ("thickness", 2): 0.5}
    (line,) = roles_of(infogan_runs(means, sd=0.1, seeds=4))
    assert "c1: slant, |r| = " in line
    assert "c2: no clear lead (thickness |r| = " in line and ", slant " in line
    (one,) = roles_of(infogan_runs(means, sd=0.0, seeds=1))
    assert "c1: slant, |r| = 0.90 (thickness 0.10; one seed, no interval)" in one
    assert "c2: thickness, |r| = 0.50 (slant 0.45; one seed, no interval)" in one


def test_no_code_roles_without_the_stroke_columns():
    frame = infogan_runs({}, sd=0.0, seeds=3)
    assert code_roles(analyse(frame, study_of(INFOGAN), metrics=[FID])) == []


def test_code_accuracy_is_listed_seed_by_seed_with_median_and_lowest():
    """InfoGAN fails on some seeds: the report lists each one, not only a mean."""
    accuracy = column("code_accuracy", "cnn", 2000)
    frame = infogan_runs({}, sd=0.0, seeds=4)
    frame[accuracy.name] = np.where(frame["infogan"], 0.0, np.nan)
    on = frame["infogan"]
    frame.loc[on, accuracy.name] = [0.95, 0.40, np.nan, 0.905]
    frame.loc[on & (frame["seed"] == 2), "status"] = "diverged"
    (line,) = code_accuracy_by_seed(analyse(frame, study_of(INFOGAN), metrics=[FID, accuracy]))
    assert line == (
        f"infogan-true: {accuracy.name} by seed (0: 0.950, 1: 0.400, 2: none, 3: 0.905); "
        "median 0.905, lowest 0.400."
    )
    without = frame.drop(columns=accuracy.name)
    assert code_accuracy_by_seed(analyse(without, study_of(INFOGAN), metrics=[FID])) == []
