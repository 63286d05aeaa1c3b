"""The torch-fidelity adapter: the domain classifier registered as a feature extractor, and
Inception's weights: downloaded only when asked, refused when they would run code."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import RunsCode
from torch_fidelity.feature_extractor_base import FeatureExtractorBase
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY
from torch_fidelity.utils import create_feature_extractor

from gan_bench.score import extractors, weights
from gan_bench.score.classifier import ScoringError, predict_logits
from gan_bench.score.extractors import domain_extractor


def test_registered_with_torch_fidelity(digits_classifier, digits_data):
    extractor = domain_extractor(digits_classifier)
    assert extractor.short == "cnn"
    assert FEATURE_EXTRACTORS_REGISTRY[extractor.fidelity_name] is extractors.DomainFeatureExtractor
    assert issubclass(extractors.DomainFeatureExtractor, FeatureExtractorBase)
    domain_extractor(digits_classifier)  # registering again is harmless
    built = create_feature_extractor(
        extractor.fidelity_name, ["penultimate", "logits"], cuda=False, verbose=False
    )
    images, _ = digits_data.split("heldout")
    features, logits = built(images[:7])
    assert features.shape == (7, digits_classifier.settings["features"])
    assert logits.shape == (7, 10)
    assert torch.allclose(logits, predict_logits(digits_classifier.network, images[:7]), atol=1e-5)
    # defaults: logits for IS, the penultimate layer for FID, KID and precision/recall
    cls = extractors.DomainFeatureExtractor
    assert cls.get_default_feature_layer_for_metric("isc") == "logits"
    for metric in ("fid", "kid", "prc"):
        assert cls.get_default_feature_layer_for_metric(metric) == "penultimate"


def test_inception_download_failure_explains_how_to_provide_weights(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no network here")

    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)
    with pytest.raises(ScoringError) as caught:
        extractors.inception_weights(download=True)
    message = str(caught.value)
    assert weights.INCEPTION_ENV in message and weights.INCEPTION_URL in message
    assert not Path(extractors.inception_cache_file()).exists()


def test_weights_that_would_run_code_are_refused_before_torch_fidelity_loads_them(
    tmp_path, monkeypatch
):
    pwned, crafted = tmp_path / "PWNED", tmp_path / "crafted.pth"
    torch.save({"fc.weight": torch.zeros(2), "hook": RunsCode(pwned)}, crafted)
    monkeypatch.setenv(weights.INCEPTION_ENV, str(crafted))
    with pytest.raises(ScoringError, match=r"crafted.pth: refused: .*run code on loading"):
        extractors.inception_weights(download=False)
    assert not pwned.exists()
    plain = tmp_path / "plain.pth"
    torch.save({"fc.weight": torch.zeros(2)}, plain)
    monkeypatch.setenv(weights.INCEPTION_ENV, str(plain))
    assert extractors.inception_weights(download=False) == plain
    plain.write_bytes(b"x")
    with pytest.raises(ScoringError, match=r"plain.pth: unreadable \("):
        extractors.inception_weights(download=False)
