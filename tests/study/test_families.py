"""Model families: what each fills in, what each refuses (exit 2, key named), and that a
plan's layers chain: every layer's input is the previous layer's output."""

from __future__ import annotations

import pytest
from conftest import tiny_study

from gan_bench.cli import main
from gan_bench.study import layers
from gan_bench.study.design import cells
from gan_bench.study.families import FAMILIES, family_problems, run_plan
from gan_bench.study.study_file import StudyError, run_config, study_from_dict


def paper_study(**overrides) -> dict:
    """A tiny study of the paper's family, its image size left to the family."""
    return tiny_study(model={"family": "infogan_mnist"}, dataset={"name": "digits"}) | overrides


def test_the_paper_family_fills_in_the_papers_training_under_the_study():
    study = study_from_dict(paper_study(train={"steps": 10}), "paper.yaml")
    assert study.dataset["image_size"] == 28 and study.model["latent_dim"] == 62
    assert "base_channels" not in study.model
    assert study.train["batch_size"] == 128 and study.train["steps"] == 10  # the study's own
    assert (study.train["lr_d"], study.train["lr_g"]) == (2e-4, 1e-3)
    assert study.baseline.infogan and study.baseline.latent == "uniform"
    assert study.baseline.g_output == "sigmoid"
    assert study.factors == {"g_output": ["tanh", "sigmoid"]}  # factors still vary it


def test_dcgan_studies_are_as_before():
    study = study_from_dict(tiny_study(), "tiny.yaml")
    assert "family" not in study.model and "lr_g" not in study.train
    assert study.baseline.latent == "normal" and not study.baseline.infogan


@pytest.mark.parametrize(
    ("where", "key"),
    [
        ({"factors": {"kernel_size": [4, 3]}}, "factors.kernel_size[1]"),
        ({"factors": {"d_downsample": ["strided", "maxpool"]}}, "factors.d_downsample[1]"),
        ({"baseline": {"d_dropout": 0.4}}, "baseline.d_dropout"),
        ({"design": "cells", "cells": [{"g_upsample": "resize"}]}, "cells[0].g_upsample"),
        ({"dataset": {"name": "digits", "image_size": 16}}, "dataset.image_size"),
        ({"model": {"family": "infogan_mnist", "base_channels": 8}}, "model.base_channels"),
    ],
)
def test_what_the_paper_family_cannot_express_is_refused_naming_the_key(where, key):
    raw = paper_study() | where
    with pytest.raises(StudyError) as caught:
        study_from_dict(raw, "paper.yaml")
    assert any(problem_key == key for problem_key, _ in caught.value.problems), caught.value


def test_a_trick_at_its_default_is_no_problem_for_the_paper_family():
    raw = paper_study(baseline={"kernel_size": 4}, factors={"kernel_size": [4]})
    assert study_from_dict(raw, "paper.yaml").model["family"] == "infogan_mnist"


def test_dcgan_refuses_28_pixels():
    raw = tiny_study(dataset={"name": "digits", "image_size": 28})
    assert [key for key, _ in family_problems(study_from_dict_unchecked(raw))] == [
        "dataset.image_size"
    ]


def study_from_dict_unchecked(raw: dict) -> dict:
    from gan_bench.study.study_file import with_defaults

    return with_defaults(raw)


def test_the_cli_exits_2_naming_the_key_before_any_work(write_study, capsys):
    path = write_study(paper_study(factors={"kernel_size": [4, 3]}))
    assert main(["cells", str(path)]) == 2
    error = capsys.readouterr().err
    assert "factors.kernel_size[1]" in error and "infogan_mnist" in error


def _chain_ok(plan_layers: tuple) -> None:
    """Each sized layer takes the size the previous one made."""
    size = None
    for layer in plan_layers:
        if isinstance(layer, layers.Conv | layers.ConvTranspose):
            assert size is None or layer.in_size == size, layer
            size = layer.out_size
        elif isinstance(layer, layers.ResizeConv):
            assert size is None or layer.in_size == size, layer
            size = 2 * layer.in_size
        elif isinstance(layer, layers.ConvMaxPool):
            assert size is None or layer.in_size == size, layer
            size = layer.in_size // 2
        elif isinstance(layer, layers.Unflatten):
            size = layer.size


@pytest.mark.parametrize("family", FAMILIES)
def test_every_familys_plan_chains(family):
    model = {"family": family} if family != "dcgan" else {"latent_dim": 8, "base_channels": 8}
    raw = tiny_study(model=model, factors={"infogan": [False, True]})
    if family == "dcgan":
        raw["dataset"]["image_size"] = 32
    else:
        del raw["dataset"]["image_size"]
    study = study_from_dict(raw, "x.yaml")
    for cell in cells(study):
        plan = run_plan(run_config(study, cell.id, cell.tricks, 0), 3)
        _chain_ok(plan.generator)
        _chain_ok(plan.d_body)
        assert bool(plan.q_head) == cell.tricks.infogan
