"""Study files: schema + registry validation, defaults, resolved run configs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import ABLATIONS, tiny_study

from gan_bench.study.study_file import (
    StudyError,
    load_study,
    run_config,
    schema_defaults,
    seed_limit,
    study_from_dict,
)
from gan_bench.study.tricks import TRICK_ORDER, TRICKS

STUDIES = sorted(p for p in ABLATIONS.glob("*.yaml") if p.name != "schema.yaml")


@pytest.mark.parametrize("path", STUDIES, ids=[p.stem for p in STUDIES])
def test_every_shipped_study_is_valid(path: Path, fetched_data):
    study = load_study(path)
    assert study.name and study.seeds


def test_defaults_come_from_the_schema():
    study = study_from_dict({"name": "x", "dataset": {"name": "digits"}, "seeds": [0],
                             "factors": {"latent": ["normal", "uniform"]}}, "x")  # fmt: skip
    assert study.train == schema_defaults("train")
    assert study.train["steps"] == 1500 and study.train["batch_size"] == 64
    assert study.dataset["image_size"] == 16 and study.eval["extractor"] == "auto"
    assert study.design == "full_factorial"
    assert list(study.baseline.as_dict()) == list(TRICK_ORDER)


def test_all_problems_are_reported_at_once():
    raw = tiny_study(seeds=[], colour="red")
    raw["train"] = raw["train"] | {"steps": 0}
    with pytest.raises(StudyError) as info:
        study_from_dict(raw, "my.yaml")
    keys = [key for key, _ in info.value.problems]
    assert {"seeds", "colour", "train.steps"} <= set(keys)
    assert all(line.startswith("my.yaml: ") for line in str(info.value).splitlines())


def test_run_config_resolves_every_trick_and_the_seed():
    study = load_study(ABLATIONS / "smoke.yaml")
    config = run_config(
        study, "g_output-sigmoid", study.baseline.with_levels({"g_output": "sigmoid"}), 1
    )
    assert config["seed"] == 1 and config["cell"] == "g_output-sigmoid"
    assert list(config["tricks"]) == list(TRICK_ORDER)
    assert config["tricks"]["g_output"] == "sigmoid"
    assert yaml.safe_load(yaml.safe_dump(config)) == config  # plain data, JSON/YAML safe


# --------------------------------------------------------------------------- bad numbers

NAN, INF = float("nan"), float("inf")


def _problems(raw: dict) -> dict[str, str]:
    with pytest.raises(StudyError) as info:
        study_from_dict(raw, "my.yaml")
    return dict(info.value.problems)


def test_new_tricks_levels_are_checked_naming_the_key():
    bad = [
        {"soft_labels": 0.3},
        {"soft_labels": -0.1, "instance_noise_schedule": "constant"},
        {"instance_noise_schedule": "step", "feature_matching_stats": "pre"},
    ]
    raw = tiny_study(design="cells", factors={}, cells=bad)
    problems = _problems(raw)
    assert set(problems) == {"cells[1].soft_labels", "cells[2].instance_noise_schedule",
                             "cells[2].feature_matching_stats"}  # fmt: skip
    assert "must be >= 0.0" in problems["cells[1].soft_labels"]
    assert "allowed: linear, constant" in problems["cells[2].instance_noise_schedule"]


def test_nan_and_inf_anywhere_are_refused_naming_each_key():
    raw = tiny_study(baseline={"label_noise": INF}, factors={"label_flip": [0.0, NAN]})
    raw["train"] = raw["train"] | {"lr": NAN, "beta1": INF, "beta2": -INF}
    raw["dataset"] = raw["dataset"] | {"heldout_fraction": NAN}
    problems = _problems(raw)
    for key in ("train.lr", "train.beta1", "train.beta2", "dataset.heldout_fraction",
                "baseline.label_noise", "factors.label_flip[1]"):  # fmt: skip
        assert problems[key].startswith("must be a finite number, got "), (key, problems)
    assert problems["train.lr"] == "must be a finite number, got nan"
    assert problems["train.beta2"] == "must be a finite number, got -inf"
    assert len(problems) == 6  # one problem per key: not also the bound inf happens to break


def test_nan_written_in_yaml_is_refused(tmp_path):
    path = tmp_path / "nan.yaml"
    text = yaml.safe_dump(tiny_study()).replace("steps: 12", "steps: 12\n  lr: .nan")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StudyError, match=r"nan.yaml: train.lr: must be a finite number, got nan"):
        load_study(path)


def test_non_finite_levels_of_explicit_cells_are_refused():
    raw = tiny_study(design="cells", factors={}, cells=[{"instance_noise": 0.1},
                                                       {"instance_noise": INF}])  # fmt: skip
    assert "cells[1].instance_noise" in _problems(raw)


def test_the_trick_registry_refuses_non_finite_levels_too():
    """Its own check, for callers that bypass study validation (e.g. cells built in code)."""
    for name in ("label_noise", "instance_noise", "d_dropout", "label_smoothing"):
        assert "finite" in TRICKS[name].check(NAN), name
        assert "finite" in TRICKS[name].check(INF), name
    assert TRICKS["g_steps"].check(INF) == "must be an integer, got inf"


# --------------------------------------------------------------------------- seeds


def test_seed_limit_is_numpys_and_named_with_the_key():
    assert seed_limit() == 2**32 - 1
    problems = _problems(tiny_study(seeds=[0, 99999999999999999999]))
    assert "seeds[1]" in problems and str(2**32 - 1) in problems["seeds[1]"]
    assert "numpy" in problems["seeds[1]"]  # says why the limit is what it is
    assert study_from_dict(tiny_study(seeds=[0, 2**32 - 1]), "x").seeds == [0, 2**32 - 1]


# --------------------------------------------------------------------------- integers and bounds


def _with(section: str, **keys) -> dict:
    raw = tiny_study()
    raw[section] = raw.get(section, {}) | keys
    return raw


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (_with("train", batch_size=32.0), "train.batch_size"),
        (_with("train", steps=True), "train.steps"),
        (tiny_study(seeds=[1.0]), "seeds[0]"),
        (_with("model", latent_dim=8.0), "model.latent_dim"),
        (_with("eval", num_samples=64.0), "eval.num_samples"),
        (_with("dataset", image_size=16.0), "dataset.image_size"),
        (_with("dataset", channels=3.0), "dataset.channels"),
    ],
)
def test_integer_keys_take_ints_only_not_floats_or_bools(raw, key):
    """JSON Schema counts 32.0 as an integer; a study does not (a seed-1.0 folder)."""
    assert "is not of type 'integer'" in _problems(raw)[key]


def test_integer_trick_levels_take_ints_only():
    problems = _problems(tiny_study(factors={"g_steps": [1, 2.0], "kernel_size": [4, 3.0]}))
    assert problems["factors.g_steps[1]"] == "must be an integer, got 2.0"
    assert "not allowed" in problems["factors.kernel_size[1]"]
    assert _problems(tiny_study(baseline={"g_steps": True}))["baseline.g_steps"] == (
        "must be a number, got True"
    )


@pytest.mark.parametrize(
    ("raw", "key", "why"),
    [
        (_with("train", lr=1e300), "train.lr", "overflows"),
        (_with("train", steps=10**12), "train.steps", "months"),
        (_with("train", batch_size=10**6), "train.batch_size", "GB"),
        (_with("train", log_every=10**12), "train.log_every", "train.steps"),
        (_with("train", checkpoint_every=10**12), "train.checkpoint_every", "train.steps"),
        (_with("model", base_channels=10_000_000), "model.base_channels", "GB"),
        (_with("model", latent_dim=10**6), "model.latent_dim", "DCGAN"),
        (_with("eval", num_samples=10**12), "eval.num_samples", "FID-50k"),
        (_with("eval", num_samples=2), "eval.num_samples", "scoring's minimum"),
        (tiny_study(factors={"g_steps": [1, 10**9]}), "factors.g_steps[1]", "G updates"),
        (tiny_study(factors={"label_noise": [0.0, 1e16]}), "factors.label_noise[1]", "clipped"),
        (tiny_study(baseline={"instance_noise": 1e16}), "baseline.instance_noise", "noise"),
    ],
)
def test_values_that_would_hang_or_exhaust_memory_are_refused_saying_why(raw, key, why):
    assert why in _problems(raw)[key]


def test_the_largest_allowed_values_pass():
    raw = tiny_study(factors={"g_steps": [1, 100], "label_noise": [0.0, 1.0]})
    raw["train"] |= {"lr": 1000.0, "steps": 10_000_000, "log_every": 10_000_000}
    raw["model"] = {"latent_dim": 4096, "base_channels": 512}
    raw["eval"] = {"num_samples": 50_000}
    assert study_from_dict(raw, "x").train["lr"] == 1000.0


def test_scorings_minimum_is_the_schemas():
    from gan_bench.score.scorer import MIN_SAMPLES
    from gan_bench.study.study_file import min_samples

    assert MIN_SAMPLES == min_samples() == 10
    assert study_from_dict(_with("eval", num_samples=10), "x").eval["num_samples"] == 10


def test_every_float_level_is_refused_or_writes_a_cell_id():
    from gan_bench.study.study_file import level_problem

    assert level_problem("d_dropout", 1e-7) is None  # "1e-07": a valid cell id part
    for name, trick in TRICKS.items():
        if trick.kind in ("float", "int"):
            assert level_problem(name, 1e16) is not None, name


@pytest.mark.parametrize(
    ("name", "message"),
    [("evil\n", "does not match"), ("a" * 101, "too long"), ("../up", "does not match")],
)
def test_names_are_one_folder_name_at_most_100_characters(name, message):
    assert message in _problems(tiny_study(name=name))["name"]
    assert study_from_dict(tiny_study(name="a" * 100), "x").name == "a" * 100


# --------------------------------------------------------------------------- the file itself


def test_a_file_that_is_not_utf8_is_refused_naming_it(tmp_path):
    path = tmp_path / "latin1.yaml"
    text = yaml.safe_dump(tiny_study(), sort_keys=False) + "description: café\n"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(StudyError, match=r"latin1.yaml: study: not UTF-8 text \(byte \d+"):
        load_study(path)


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("# " + "x" * (1 << 21) + "\n" + yaml.safe_dump(tiny_study()))
    with pytest.raises(StudyError, match=r"huge.yaml: study: over 1024 KiB"):
        load_study(path)


def test_duplicate_keys_in_a_file_name_the_key_and_line(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text(yaml.safe_dump(tiny_study(), sort_keys=False) + "name: other\n")
    with pytest.raises(StudyError, match=r"twice.yaml: name: duplicate key on lines 1 and \d+"):
        load_study(path)
