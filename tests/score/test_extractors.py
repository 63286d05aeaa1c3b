"""The torch-fidelity adapter: the domain classifier registered as a feature extractor, and
Inception's weights: downloaded only when asked, refused when they would run code or when
their classifier head is not as planned (weights without it score no IS)."""

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


def test_a_head_not_as_planned_is_refused_naming_the_file(tmp_path, monkeypatch):
    """Weights without the head (fc NaN, as `gan-bench inception-weights` writes them) are
    taken only where their metadata file planned no IS; and the other way round."""
    headless = tmp_path / "inception.pth"
    torch.save({"fc.weight": torch.full((2, 2), float("nan"))}, headless)
    monkeypatch.setenv(weights.INCEPTION_ENV, str(headless))
    assert extractors.inception_weights(download=False, head=False) == headless
    lost = r"inception.pth: .* without their 1008-way classifier head .*pth.json is missing"
    with pytest.raises(ScoringError, match=lost):
        extractors.inception_weights(download=False)
    weights.metadata_file(headless).write_text('{"head": true, "bytes": 1}')
    with pytest.raises(ScoringError, match=r"json: describes a file of 1 bytes, .*another"):
        extractors.inception_weights(download=False)  # the metadata file speaks of another
    weights.metadata_file(headless).unlink()
    torch.save({"fc.weight": torch.zeros(2, 2)}, headless)
    with pytest.raises(ScoringError, match=r"inception.pth.json: says inception.pth has no"):
        extractors.inception_weights(download=False, head=False)
    torch.save([torch.zeros(2)], headless)
    with pytest.raises(ScoringError, match=r"inception.pth: not a state dict"):
        extractors.inception_weights(download=False)


def test_inception_without_its_head_offers_no_is(tmp_path):
    pool = extractors.inception_extractor(tmp_path / "w.pth", head=False)
    full = extractors.inception_extractor(tmp_path / "w.pth")
    assert (pool.short, full.short) == ("inception", "inception")  # its columns: Inception's
    assert full.measures == ("fid", "is", "kid", "precision", "recall")
    assert pool.measures == ("fid", "kid", "precision", "recall") and "isc" not in pool.layers
    assert pool.fidelity_name != full.fidelity_name  # its real features are cached apart
    assert FEATURE_EXTRACTORS_REGISTRY[pool.fidelity_name] is extractors.HeadlessInceptionV3
    provided = extractors.HeadlessInceptionV3.get_provided_features_list()
    assert "2048" in provided and not {"logits", "logits_unbiased"} & set(provided)
    with pytest.raises(ScoringError, match="no Inception score"):
        extractors.HeadlessInceptionV3.get_default_feature_layer_for_metric("isc")
