"""The domain classifier: accuracy, determinism, the on-disk cache and its lock."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch
from conftest import DIGITS_16

from gan_bench.cache import CACHE_ENV
from gan_bench.score import classifier as evaluator
from gan_bench.score.classifier import (
    ClassifierSettings,
    ScoringError,
    load_or_train_classifier,
    predict_logits,
)

TINY = ClassifierSettings(width=8, features=16, epochs=1, min_steps=5)


def test_digits_classifier_meets_its_threshold(digits_classifier, digits_data):
    assert digits_classifier.min_accuracy == evaluator.MIN_ACCURACY["digits"] == 0.95
    assert digits_classifier.accuracy >= 0.95
    digits_classifier.check()  # passes: no error
    # the recorded accuracy is the classifier's real accuracy on the held-out split
    images, labels = digits_data.split("heldout")
    predicted = predict_logits(digits_classifier.network, images).argmax(1)
    assert float((predicted == labels).float().mean()) == pytest.approx(digits_classifier.accuracy)


def test_mnist_t10k_classifier_meets_its_threshold(mnist_classifier):
    # An idx dataset gets the generic bar; on 8000 images at 16x16 the classifier also comes
    # close to full MNIST's 0.98.
    assert mnist_classifier.min_accuracy == evaluator.GENERIC_MIN_ACCURACY
    assert mnist_classifier.accuracy >= mnist_classifier.min_accuracy
    assert mnist_classifier.accuracy >= 0.97
    assert mnist_classifier.record["train_images"] == 8000


def test_classifier_is_cached_and_read_back(digits_classifier, digits_data):
    assert digits_classifier.path.is_file()
    assert digits_classifier.path.parent.parent == evaluator.cache_root()
    again = load_or_train_classifier(DIGITS_16)  # loads the dataset itself
    assert not again.trained_now
    assert again.key == digits_classifier.key and again.accuracy == digits_classifier.accuracy
    for name, tensor in digits_classifier.network.state_dict().items():
        assert torch.equal(tensor, again.network.state_dict()[name])


def test_cache_key_follows_dataset_size_and_settings(digits_data):
    key = evaluator.classifier_key(DIGITS_16, digits_data, ClassifierSettings())
    assert key.startswith("digits-16-")
    assert key == evaluator.classifier_key(DIGITS_16, digits_data, ClassifierSettings())
    assert key != evaluator.classifier_key(DIGITS_16, digits_data, ClassifierSettings(seed=1))
    from gan_bench.train.data import load_dataset

    spec32 = {"name": "digits", "image_size": 32}
    other = evaluator.classifier_key(spec32, load_dataset(spec32), ClassifierSettings())
    assert other.startswith("digits-32-") and other != key


def test_training_is_deterministic(digits_data, tmp_path, monkeypatch):
    weights = []
    for attempt in range(2):
        monkeypatch.setenv(CACHE_ENV, str(tmp_path / str(attempt)))
        classifier = load_or_train_classifier(DIGITS_16, digits_data, TINY)
        assert classifier.trained_now
        weights.append(classifier.network.state_dict())
    for name, tensor in weights[0].items():
        assert torch.equal(tensor, weights[1][name]), name


def test_parallel_builds_train_once(digits_data, tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    calls = []
    real_train = evaluator.train_classifier
    gate = threading.Barrier(3)

    def counting_train(data, settings):
        calls.append(threading.get_ident())
        return real_train(data, settings)

    monkeypatch.setattr(evaluator, "train_classifier", counting_train)

    def build(_):
        gate.wait()  # all three ask at once
        return load_or_train_classifier(DIGITS_16, digits_data, TINY)

    with ThreadPoolExecutor(3) as pool:
        built = list(pool.map(build, range(3)))
    assert len(calls) == 1
    assert sum(c.trained_now for c in built) == 1
    assert len({c.key for c in built}) == 1


def test_unreadable_cache_entry_is_rebuilt(digits_data, tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    first = load_or_train_classifier(DIGITS_16, digits_data, TINY)
    first.path.write_bytes(first.path.read_bytes()[:100])  # truncated
    again = load_or_train_classifier(DIGITS_16, digits_data, TINY)
    assert again.trained_now and again.accuracy == first.accuracy


def test_below_threshold_refuses_naming_file_and_dataset(digits_data):
    classifier = load_or_train_classifier(DIGITS_16, digits_data, minimum=1.01)
    with pytest.raises(ScoringError) as caught:
        classifier.check()
    message = str(caught.value)
    assert str(classifier.path) in message and "digits" in message and "1.01" in message


def test_unlabelled_data_is_refused(digits_data):
    from dataclasses import replace

    unlabelled = replace(digits_data, labels=None, num_classes=0)
    with pytest.raises(ScoringError, match="dataset.labels"):
        evaluator.train_classifier(unlabelled, TINY)


def test_thresholds_per_dataset():
    assert evaluator.min_accuracy("mnist") == 0.98
    assert evaluator.min_accuracy("fashion-mnist") == 0.88
    assert evaluator.min_accuracy("cifar10") == 0.75
    assert evaluator.min_accuracy("idx") == evaluator.GENERIC_MIN_ACCURACY
