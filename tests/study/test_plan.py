"""The run limit of gan_bench/study/plan.py: a plan of more runs than allowed is refused
before any cell is built, naming its size and how to raise the limit."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import ABLATIONS, tiny_study

from gan_bench.study.design import cells
from gan_bench.study.plan import DEFAULT_MAX_RUNS, count_cells, plan, plan_study
from gan_bench.study.study_file import StudyError, load_study, study_from_dict

STUDIES = sorted(ABLATIONS.glob("*.yaml"))


@pytest.mark.parametrize("path", STUDIES, ids=[p.stem for p in STUDIES])
def test_counted_cells_are_the_built_cells_of_every_shipped_study(path: Path, fetched_data):
    study = load_study(path)
    assert count_cells(study) == len(cells(study))


@pytest.mark.parametrize(
    "raw",
    [
        tiny_study(design="one_at_a_time", factors={"label_noise": [0.0, 0.05, 0.1],
                                                    "g_steps": [1, 2]}),
        tiny_study(design="one_at_a_time", baseline={"g_steps": 2},
                   factors={"g_steps": [1, 2, 3]}),
        tiny_study(design="cells", factors={}, cells=[{}, {"g_steps": 2}, {"latent": "uniform"}]),
        tiny_study(design="fractional", resolution=3,
                   factors={n: levels for n, levels in [("g_output", ["tanh", "sigmoid"]),
                            ("latent", ["normal", "uniform"]), ("g_steps", [1, 2]),
                            ("d_downsample", ["strided", "maxpool"])]}),
    ],
    ids=["one_at_a_time", "one_at_a_time_off_default_baseline", "cells", "fractional"],
)  # fmt: skip
def test_counted_cells_are_the_built_cells_of_each_design(raw):
    study = study_from_dict(raw, "x")
    assert count_cells(study) == len(cells(study))


def test_a_plan_over_the_limit_is_refused_naming_its_size(write_study):
    path = write_study(tiny_study(seeds=[0, 1, 2]))  # 2 cells x 3 seeds
    assert len(plan(path, max_runs=6).runs) == 6
    with pytest.raises(StudyError) as info:
        plan(path, max_runs=5)
    message = str(info.value)
    assert message.startswith(f"{path}: factors, seeds: ")
    assert "2 cells x 3 seeds = 6 runs" in message and "limit of 5 runs" in message
    assert "--max-runs 6" in message


def test_a_million_cell_factorial_is_refused_at_once(write_study):
    levels = [0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09]
    factors = {name: levels for name in ("d_dropout", "label_noise", "label_flip",
                                          "instance_noise")}  # fmt: skip
    factors |= {"g_steps": list(range(1, 11)), "label_smoothing": [0.9 + x for x in levels]}
    path = write_study(tiny_study(factors=factors, seeds=[0, 1]))
    started = time.perf_counter()
    with pytest.raises(StudyError, match=r"1,000,000 cells x 2 seeds = 2,000,000 runs"):
        plan(path, max_runs=DEFAULT_MAX_RUNS)
    assert time.perf_counter() - started < 5  # counted, not built (building takes minutes)


def test_without_a_limit_plan_lists_every_run(write_study):
    """Commands after training (aggregate) read the plan without the limit."""
    path = write_study(tiny_study(seeds=list(range(5))))
    assert len(plan(path).runs) == 10


def test_a_cell_id_too_long_for_a_folder_name_is_refused(write_study):
    long_cell = {
        name: 0.1111111111111111
        for name in ("d_dropout", "label_noise", "label_flip", "soft_labels", "instance_noise")
    }
    long_cell |= {
        "label_smoothing": 0.9111111111111111,
        "g_output": "sigmoid",
        "latent": "uniform",
        "d_downsample": "maxpool",
        "g_upsample": "resize",
        "instance_noise_schedule": "constant",
        "feature_matching_stats": "separate",
    }
    raw = tiny_study(design="cells", factors={}, cells=[long_cell])  # fmt: skip
    with pytest.raises(StudyError, match=r"cells: cell id g_output-sigmoid.* bytes, over the 255"):
        plan(write_study(raw))
    assert len(plan(write_study(tiny_study())).runs) == 2


def test_a_loaded_study_is_planned_in_the_folder_it_is_given(write_study):
    """plan_study: a campaign's member lands in results/<campaign>/<member>/."""
    study = load_study(write_study(tiny_study(seeds=[0, 1])))
    member = plan_study(study, results_root=Path("results/camp"), seeds=[4])
    assert member.results_dir == "results/camp/tiny" and member.seeds == [4, 4]
    assert plan_study(study).runs == plan(write_study(tiny_study(seeds=[0, 1]))).runs
