"""InfoGAN's code metrics: the acceptance check (on a tiny run trained long enough, changing
the categorical code changes the digits CNN's class more often than moving a continuous code
does), Q's R^2 against an untrained D, the rates on planted sweeps, the stroke correlations
along the same sweeps (a code of the tiny run moves the slant), and the scorer's entry
(planned columns only, NaN without discriminator.pt, a bad file named)."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
import torch
from conftest import infogan_config

from gan_bench.folders import RunFolder
from gan_bench.score import registry
from gan_bench.score.classifier import ScoringError
from gan_bench.score.codes import (
    Sweeps,
    change_rates,
    code_r2,
    code_scores,
    consistency,
    load_networks,
    stroke_scores,
    sweep_draws,
    sweep_images,
    sweeps,
)
from gan_bench.train.models import INFOGAN_CATEGORIES, build_models
from gan_bench.train.traversals import CENTRE, SWEEP_STEPS

CPU = torch.device("cpu")
STROKES_90 = [f"{m}_r_c{k}_pixel_90" for m in ("slant", "thickness") for k in (1, 2)]


@pytest.fixture
def run_copy(infogan_run, tmp_path) -> Path:
    return Path(shutil.copytree(infogan_run, tmp_path / "run"))


def test_categorical_code_changes_the_class_more_often_than_a_continuous_one(
    infogan_run, digits_classifier
):
    generator, _ = load_networks(infogan_config(), RunFolder(infogan_run), 1, CPU)
    rates = change_rates(sweeps(generator, digits_classifier, infogan_config(), 300))
    print(f"change rates: categorical {rates.categorical:.3f}, continuous {rates.continuous:.3f}")
    assert rates.categorical > rates.continuous


def test_q_recovers_the_continuous_codes_better_than_an_untrained_d(infogan_run):
    config = infogan_config()
    generator, discriminator = load_networks(config, RunFolder(infogan_run), 1, CPU)
    trained = code_r2(generator, discriminator, config, count=1000)
    torch.manual_seed(0)
    _, untrained = build_models(config, 1)
    chance = code_r2(generator, untrained.eval(), config, count=1000)
    print(f"code_r2: trained Q {trained:.3f}, untrained {chance:.3f}")
    assert trained > chance + 0.1 and trained <= 1.0
    assert code_r2(generator, discriminator, config, count=1000) == trained  # fixed draws


def planted(category: list[int], by_category: list[list[int]], along: list) -> Sweeps:
    return Sweeps(torch.tensor(category), torch.tensor(by_category), torch.tensor(along))


def test_rates_and_consistency_on_planted_sweeps():
    # two draws; the class is the category (draw 0) or always 4 (draw 1, the code ignored)
    by_category = [list(range(INFOGAN_CATEGORIES)), [4] * INFOGAN_CATEGORIES]
    steady = [3] * SWEEP_STEPS
    flipped = [3] * CENTRE + [3] + [5] * CENTRE  # the upper half of the sweep changes class
    along = [[steady, flipped], [[4] * SWEEP_STEPS, [4] * SWEEP_STEPS]]
    found = planted([3, 0], by_category, along)
    assert found.centre.tolist() == [3, 4]
    off_centre = 2 * 2 * (SWEEP_STEPS - 1)
    assert consistency(found) == pytest.approx(1 - CENTRE / off_centre)
    rates = change_rates(found)
    assert rates.categorical == pytest.approx(9 / 18)  # every other category of draw 0 only
    assert rates.continuous == pytest.approx(CENTRE / off_centre)


def test_a_generator_ignoring_the_category_has_a_zero_categorical_rate():
    along = [[list(range(SWEEP_STEPS))] * 2]  # the class follows the continuous code
    found = planted([2], [[CENTRE] * INFOGAN_CATEGORIES], along)
    rates = change_rates(found)
    assert rates.categorical == 0.0 and rates.continuous == 1.0


def test_sweeps_are_deterministic_and_shaped(infogan_run, digits_classifier):
    generator, _ = load_networks(infogan_config(), RunFolder(infogan_run), 1, CPU)
    first = sweeps(generator, digits_classifier, infogan_config(), 5)
    assert first.by_category.shape == (5, INFOGAN_CATEGORIES)
    assert first.along.shape == (5, 2, SWEEP_STEPS)
    # the centre of each sweep is the draw's own image
    assert torch.equal(first.along[:, 0, CENTRE], first.centre)
    assert torch.equal(first.along[:, 1, CENTRE], first.centre)
    again = sweeps(generator, digits_classifier, infogan_config(), 5)
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))


def test_a_continuous_code_of_the_tiny_run_moves_the_slant(infogan_run):
    config = infogan_config()
    generator, _ = load_networks(config, RunFolder(infogan_run), 1, CPU)
    columns = registry.planned_columns(["cnn"], 900, codes=True)
    values = stroke_scores(generator, config, columns)
    print("stroke correlations:", {k: round(v, 3) for k, v in values.items()})
    slants = [values[f"slant_r_c{k}_pixel_900"] for k in (1, 2)]
    assert max(slants) > 0.5  # its traversals.png: c1 leans the digits over
    assert all(0.0 <= value <= 1.0 for value in values.values())


def test_sweep_images_are_the_sweeps_consistency_classes(infogan_run, digits_classifier):
    config = infogan_config()
    generator, _ = load_networks(config, RunFolder(infogan_run), 1, CPU)
    along = sweep_images(generator, config, 7)
    assert len(along) == 2 and torch.cat(along[0]).shape == (7 * SWEEP_STEPS, 1, 16, 16)
    assert torch.cat(along[0]).dtype == torch.uint8
    shared = sweeps(generator, digits_classifier, config, 7, along=along)
    alone = sweeps(generator, digits_classifier, config, 7)
    assert all(torch.equal(a, b) for a, b in zip(shared, alone, strict=True))
    columns = registry.planned_columns(["cnn"], 63, codes=True)  # 7 draws
    assert stroke_scores(generator, config, columns, along=along) == stroke_scores(
        generator, config, columns
    )
    other = registry.planned_columns(["cnn"], 90, codes=True)  # 10 draws: made anew
    assert stroke_scores(generator, config, other, along=along) == stroke_scores(
        generator, config, other
    )


def test_code_scores_computes_the_planned_columns(infogan_run, digits_classifier):
    columns = registry.planned_columns(["cnn"], 90, codes=True, training=True)
    values = code_scores(infogan_config(), RunFolder(infogan_run), digits_classifier, 1, columns)
    assert set(values) == {"code_r2", "code_consistency_cnn_90", *STROKES_90}
    assert 0.0 <= values["code_consistency_cnn_90"] <= 1.0 and values["code_r2"] <= 1.0
    assert all(0.0 <= values[name] <= 1.0 for name in STROKES_90)
    assert sweep_draws(90) == 10 and sweep_draws(2000) == 223


def test_code_scores_skips_what_is_not_planned(infogan_run, digits_classifier):
    config, paths = infogan_config(), RunFolder(infogan_run)
    no_training = registry.planned_columns(["cnn"], 90, codes=True, training=False)
    assert set(code_scores(config, paths, digits_classifier, 1, no_training)) == {
        "code_consistency_cnn_90",
        *STROKES_90,
    }
    inception_only = registry.planned_columns(["inception"], 90, codes=True, training=False)
    assert set(code_scores(config, paths, None, 1, inception_only)) == set(STROKES_90)
    no_codes = registry.planned_columns(["cnn"], 90, codes=False)
    assert code_scores(config, paths, digits_classifier, 1, no_codes) == {}


def test_a_run_without_discriminator_pt_gets_nan_r2(run_copy, digits_classifier):
    RunFolder(run_copy).discriminator.unlink()  # a run trained before D was saved
    columns = registry.planned_columns(["cnn"], 90, codes=True, training=True)
    values = code_scores(infogan_config(), RunFolder(run_copy), digits_classifier, 1, columns)
    assert math.isnan(values["code_r2"]) and 0.0 <= values["code_consistency_cnn_90"] <= 1.0


def test_a_truncated_discriminator_is_named(run_copy):
    paths = RunFolder(run_copy)
    paths.discriminator.write_bytes(paths.discriminator.read_bytes()[:100])
    with pytest.raises(ScoringError, match="discriminator.pt: cannot load discriminator"):
        load_networks(infogan_config(), paths, 1, CPU)


def test_code_r2_refuses_a_d_without_q_head(infogan_run):
    config = infogan_config()
    generator, _ = load_networks(config, RunFolder(infogan_run), 1, CPU)
    plain = config | {"tricks": config["tricks"] | {"infogan": False}}
    _, discriminator = build_models(plain, 1)
    with pytest.raises(ScoringError, match="no Q head"):
        code_r2(generator, discriminator, config, count=10)
