"""Metrics on real images whose answers are known: FID orders blur and noise, equals an
independent Fréchet distance, IS / mode coverage / checkerboard / code accuracy behave."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.linalg
import torch
from torchvision.transforms.functional import gaussian_blur

from gan_bench.cache import cache_root
from gan_bench.score import metrics
from gan_bench.score.classifier import predict_logits
from gan_bench.score.extractors import domain_extractor

BLURS = (0.5, 1.0, 1.5, 2.5)


def blurred(images: torch.Tensor, sigma: float) -> torch.Tensor:
    size = 2 * int(3 * sigma + 0.5) + 1
    out = gaussian_blur(images.float(), [size, size], [sigma, sigma])
    return out.round().clamp(0, 255).to(torch.uint8)


def noise_like(images: torch.Tensor) -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, images.shape, generator=generator, dtype=torch.uint8)


def checkerboard(images: torch.Tensor, delta: int) -> torch.Tensor:
    """images + a +-delta pattern of period 2 in both directions."""
    size = images.shape[-1]
    signs = (torch.arange(size)[:, None] + torch.arange(size)[None, :]) % 2 * 2 - 1
    return (images.int() + delta * signs).clamp(0, 255).to(torch.uint8)


def fid_to_train(data, classifier, images: torch.Tensor, name: str) -> float:
    train, _ = data.split("train")
    found, _ = metrics.fidelity_metrics(
        images,
        train,
        domain_extractor(classifier),
        f"test-{name}-train",  # the real side is cached across the calls of one test
        cache_root() / "fidelity",
        only=("fid",),
    )
    return found["fid"]


@pytest.mark.parametrize("which", ["digits", "mnist"])
def test_fid_orders_real_blur_and_noise(which, request):
    data = request.getfixturevalue(f"{which}_data")
    classifier = request.getfixturevalue(f"{which}_classifier")
    heldout, _ = data.split("heldout")
    real = fid_to_train(data, classifier, heldout, which)
    blurs = [fid_to_train(data, classifier, blurred(heldout, s), which) for s in BLURS]
    noise = fid_to_train(data, classifier, noise_like(heldout), which)
    assert real < blurs[0] < blurs[1] < blurs[2] < blurs[3] < noise, (real, blurs, noise)
    assert real < 0.05 * noise  # small: real vs real is far from real vs noise
    assert real < 0.5 * blurs[1]


def frechet_numpy(a: np.ndarray, b: np.ndarray) -> float:
    """Textbook Fréchet distance between Gaussians fitted to two feature sets (scipy sqrtm)."""
    alive = (a.std(0) > 0) | (b.std(0) > 0)  # units dead on both sides add exactly 0
    a, b = a[:, alive], b[:, alive]
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root))


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
def test_fid_equals_an_independent_frechet_distance(digits_data, digits_classifier):
    heldout, _ = digits_data.split("heldout")
    train, _ = digits_data.split("train")
    for images in (heldout, blurred(heldout, 1.0)):
        ours, _ = metrics.fidelity_metrics(
            images, train, domain_extractor(digits_classifier), None, cache_root(), only=("fid",)
        )
        with torch.no_grad():
            network = digits_classifier.network.eval()
            features_a = network(images.float() / 127.5 - 1)[0].double().numpy()
            features_b = network(train.float() / 127.5 - 1)[0].double().numpy()
        assert ours["fid"] == pytest.approx(frechet_numpy(features_a, features_b), rel=1e-3)


@pytest.mark.parametrize("which", ["digits", "mnist"])
def test_inception_score_of_real_and_of_one_image(which, request):
    data = request.getfixturevalue(f"{which}_data")
    classifier = request.getfixturevalue(f"{which}_classifier")
    heldout, _ = data.split("heldout")
    extractor = domain_extractor(classifier)
    real, _ = metrics.fidelity_metrics(
        heldout, heldout, extractor, None, cache_root(), only=("is",)
    )
    assert real["is"] >= 0.8 * data.num_classes
    same = heldout[:1].expand(200, -1, -1, -1)
    one, _ = metrics.fidelity_metrics(same, same, extractor, None, cache_root(), only=("is",))
    assert one["is"] == pytest.approx(1.0, abs=1e-6)


def test_all_metrics_with_few_samples(digits_data, digits_classifier):
    """KID's subset size follows the sample count; every metric comes back finite."""
    heldout, _ = digits_data.split("heldout")
    found, spread = metrics.fidelity_metrics(
        heldout[:50], heldout[50:120], domain_extractor(digits_classifier), None, cache_root()
    )
    assert set(found) == {"fid", "is", "kid", "precision", "recall"}
    assert set(spread) == {"is", "kid"}
    assert all(np.isfinite(v) for v in found.values())
    assert 0 <= found["precision"] <= 1 and 0 <= found["recall"] <= 1
    with pytest.raises(ValueError, match="too few"):
        metrics.fidelity_metrics(
            heldout[:3], heldout, domain_extractor(digits_classifier), None, cache_root()
        )
    # an extractor measures what it says (Inception without its head: no IS, no layer for it)
    headless = replace(domain_extractor(digits_classifier), measures=("fid", "kid"))
    headless = replace(headless, layers={k: v for k, v in headless.layers.items() if k != "isc"})
    found, spread = metrics.fidelity_metrics(
        heldout[:50], heldout[50:120], headless, None, cache_root()
    )
    assert set(found) == {"fid", "kid"} and set(spread) == {"kid"}


def test_real_statistics_are_cached_by_torch_fidelity(digits_data, digits_classifier):
    heldout, _ = digits_data.split("heldout")
    train, _ = digits_data.split("train")
    extractor = domain_extractor(digits_classifier)
    root = cache_root() / "fidelity-cache-test"
    first, _ = metrics.fidelity_metrics(
        heldout, train, extractor, "cached-real", root, only=("fid",)
    )
    files = sorted(p.name for p in root.iterdir())
    assert any(
        name.startswith(f"cached-real-{extractor.fidelity_name}-features-") for name in files
    )
    assert any("-stat-fid-penultimate" in name for name in files)
    again, _ = metrics.fidelity_metrics(
        heldout, train, extractor, "cached-real", root, only=("fid",)
    )
    assert again["fid"] == first["fid"]


def test_grey_images_are_tiled_to_rgb_only_when_asked(digits_data):
    heldout, _ = digits_data.split("heldout")
    assert metrics.UInt8Images(heldout)[0].shape == (1, 16, 16)
    tiled = metrics.UInt8Images(heldout, rgb=True)[0]
    assert tiled.shape == (3, 16, 16) and torch.equal(tiled[2], heldout[0, 0])
    with pytest.raises(ValueError):
        metrics.UInt8Images(heldout.float())


@pytest.mark.parametrize("which", ["digits", "mnist"])
def test_mode_coverage(which, request):
    data = request.getfixturevalue(f"{which}_data")
    classifier = request.getfixturevalue(f"{which}_classifier")
    heldout, _ = data.split("heldout")
    predicted = predict_logits(classifier.network, heldout).argmax(1)
    p_real = metrics.class_histogram(predicted, data.num_classes)
    assert metrics.modes_hit(p_real) == data.num_classes
    assert metrics.mode_kl(p_real, classifier.real_histogram) == pytest.approx(0.0, abs=1e-6)
    train, labels = data.split("train")
    threes = train[labels == 3]
    p_one = metrics.class_histogram(predict_logits(classifier.network, threes).argmax(1), 10)
    assert metrics.modes_hit(p_one) == 1
    assert metrics.mode_kl(p_one, classifier.real_histogram) > 2.0  # ~log(10)


def test_modes_hit_threshold_is_a_quarter_of_uniform():
    k = 10
    histogram = np.array([0.025, 0.0249] + [0.95 / 8] * 8)
    assert metrics.modes_hit(histogram) == k - 1


@pytest.mark.parametrize("which", ["digits", "mnist"])
def test_checkerboard_score(which, request):
    data = request.getfixturevalue(f"{which}_data")
    heldout, _ = data.split("heldout")
    train, _ = data.split("train")
    assert abs(metrics.checkerboard_score(heldout, train)) < 0.15
    scores = [metrics.checkerboard_score(checkerboard(heldout, d), train) for d in (2, 4, 8, 16)]
    assert all(a < b for a, b in zip(scores, scores[1:], strict=False)), scores
    assert scores[0] > 0.15


def test_checkerboard_score_ignores_overall_contrast(digits_data):
    heldout, _ = digits_data.split("heldout")
    dimmer = (heldout.float() * 0.5).round().to(torch.uint8)
    assert abs(metrics.checkerboard_score(dimmer, heldout)) < 0.05


def test_code_accuracy_matches_codes_to_classes():
    generator = torch.Generator().manual_seed(0)
    codes = torch.randint(0, 10, (1000,), generator=generator)
    permutation = torch.randperm(10, generator=generator)
    assert metrics.code_accuracy(codes, permutation[codes]) == 1.0
    noisy = permutation[codes].clone()
    noisy[:100] = (noisy[:100] + 1) % 10
    assert metrics.code_accuracy(codes, noisy) == pytest.approx(0.9, abs=0.01)
    unrelated = torch.randint(0, 10, (1000,), generator=generator)
    assert metrics.code_accuracy(codes, unrelated) < 0.25
