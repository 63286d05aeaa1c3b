"""One extractor rule for scoring and for the plan-time checks: the domain classifier needs
labels (a folder has them in torchvision's ImageFolder layout), auto adds Inception only
when it is on disk, Inception is planned as the weights on disk say (with or without the
classifier head), and a refusal names the key."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import write_image_folder

from gan_bench.score.planning import ScoringError, has_labels, plan_extractors
from gan_bench.score.registry import INCEPTION_POOL

IDX_BARE = {"name": "idx", "images": "img"}
IDX_LABELLED = IDX_BARE | {"labels": "lab"}
DIGITS = {"name": "digits"}


@pytest.fixture
def flat(tmp_path):
    """A flat folder of images: no labels."""
    from PIL import Image

    (tmp_path / "flat").mkdir()
    for index in range(3):
        Image.new("RGB", (8, 8), (index, 0, 0)).save(tmp_path / "flat" / f"{index}.png")
    return {"name": "folder", "path": str(tmp_path / "flat")}


@pytest.fixture
def classes(tmp_path):
    """A folder in torchvision's ImageFolder layout: labelled."""
    return {"name": "folder", "path": str(write_image_folder(tmp_path / "classes", 2, 3))}


def _never() -> bool:
    raise AssertionError("Inception looked for when the choice does not need it")


def test_labels_come_with_the_built_in_sets_idx_label_files_and_class_folders(flat, classes):
    assert has_labels(DIGITS) and has_labels(IDX_LABELLED) and has_labels(classes)
    assert not has_labels(IDX_BARE) and not has_labels(flat)


def test_domain_without_labels_is_refused_naming_eval_extractor(flat):
    with pytest.raises(ScoringError, match=r"^eval\.extractor: 'domain' .*labels.*inception"):
        plan_extractors("domain", IDX_BARE, _never)
    with pytest.raises(ScoringError, match=r"^eval\.extractor: 'domain' .*ImageFolder layout"):
        plan_extractors("domain", flat, _never)


def test_each_choice_plans_its_extractors(flat, classes):
    assert plan_extractors("domain", IDX_LABELLED, _never) == ["cnn"]
    assert plan_extractors("domain", classes, _never) == ["cnn"]
    assert plan_extractors("inception", flat, lambda: None) == ["inception"]  # downloaded
    assert plan_extractors("auto", DIGITS, lambda: False) == ["cnn"]
    assert plan_extractors("auto", DIGITS, lambda: True) == ["cnn", "inception"]
    assert plan_extractors("auto", flat, lambda: True) == ["inception"]
    assert plan_extractors("auto", classes, lambda: False) == ["cnn"]
    with pytest.raises(ScoringError, match="^eval.extractor: 'auto' .* no labels.*none are"):
        plan_extractors("auto", flat, lambda: False)
    with pytest.raises(ScoringError, match="^--extractor: unknown extractor 'vgg'"):
        plan_extractors("vgg", DIGITS, _never)


def test_inception_is_planned_as_the_weights_on_disk_say(flat):
    """Weights without the classifier head (registry.INCEPTION_POOL: no IS) whether chosen
    explicitly or by auto; an explicit `inception` with nothing on disk is the download's."""
    pool = lambda: INCEPTION_POOL  # noqa: E731
    assert plan_extractors("inception", flat, pool) == [INCEPTION_POOL]
    assert plan_extractors("auto", DIGITS, pool) == ["cnn", INCEPTION_POOL]
    assert plan_extractors("auto", flat, lambda: "inception") == ["inception"]
    assert plan_extractors("domain", DIGITS, _never) == ["cnn"]  # domain never looks


def test_planning_is_torch_free():
    code = "import sys, gan_bench.score.planning; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
