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
    study_from_dict,
)
from gan_bench.study.tricks import TRICK_ORDER

STUDIES = sorted(p for p in ABLATIONS.glob("*.yaml") if p.name != "schema.yaml")


@pytest.mark.parametrize("path", STUDIES, ids=[p.stem for p in STUDIES])
def test_every_shipped_study_is_valid(path: Path):
    study = load_study(path)
    assert study.name and study.seeds


def test_defaults_come_from_the_schema():
    study = study_from_dict({"name": "x", "dataset": {"name": "digits"}, "seeds": [0],
                             "factors": {"latent": ["normal", "uniform"]}}, "x")  # fmt: skip
    assert study.train == schema_defaults("train")
    assert study.train["steps"] == 1500 and study.train["batch_size"] == 64
    assert study.dataset["image_size"] == 16 and study.eval["extractor"] == "auto"
    assert study.design == "full_factorial"
    assert list(study.baseline) == list(TRICK_ORDER)


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
    config = run_config(study, "g_output-sigmoid", study.baseline | {"g_output": "sigmoid"}, 1)
    assert config["seed"] == 1 and config["cell"] == "g_output-sigmoid"
    assert list(config["tricks"]) == list(TRICK_ORDER)
    assert config["tricks"]["g_output"] == "sigmoid"
    assert yaml.safe_load(yaml.safe_dump(config)) == config  # plain data, JSON/YAML safe
