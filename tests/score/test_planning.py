"""One extractor rule for scoring and for the plan-time checks: the domain classifier needs
labels, auto adds Inception only when it is on disk, and a refusal names the key."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gan_bench.score.planning import ScoringError, has_labels, plan_extractors

FOLDER = {"name": "folder", "path": "imgs"}
IDX_BARE = {"name": "idx", "images": "img"}
IDX_LABELLED = IDX_BARE | {"labels": "lab"}
DIGITS = {"name": "digits"}


def _never() -> bool:
    raise AssertionError("Inception looked for when the choice does not need it")


@pytest.mark.parametrize(
    ("spec", "labelled"), [(DIGITS, True), (IDX_LABELLED, True), (IDX_BARE, False), (FOLDER, False)]
)
def test_labels_come_with_the_built_in_sets_and_idx_label_files_only(spec, labelled):
    assert has_labels(spec) is labelled


@pytest.mark.parametrize(("spec", "why"), [(FOLDER, "'folder' dataset"), (IDX_BARE, "labels")])
def test_domain_without_labels_is_refused_naming_eval_extractor(spec, why):
    with pytest.raises(ScoringError, match=rf"^eval\.extractor: 'domain' .*{why}.*inception"):
        plan_extractors("domain", spec, _never)


def test_each_choice_plans_its_extractors():
    assert plan_extractors("domain", IDX_LABELLED, _never) == ["cnn"]
    assert plan_extractors("inception", FOLDER, _never) == ["inception"]
    assert plan_extractors("auto", DIGITS, lambda: False) == ["cnn"]
    assert plan_extractors("auto", DIGITS, lambda: True) == ["cnn", "inception"]
    assert plan_extractors("auto", FOLDER, lambda: True) == ["inception"]
    with pytest.raises(ScoringError, match="^dataset.name: 'folder' has no labels"):
        plan_extractors("auto", FOLDER, lambda: False)
    with pytest.raises(ScoringError, match="^--extractor: unknown extractor 'vgg'"):
        plan_extractors("vgg", DIGITS, _never)


def test_planning_is_torch_free():
    code = "import sys, gan_bench.score.planning; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
