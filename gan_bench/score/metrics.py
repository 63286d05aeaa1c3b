"""The numbers in scores.json: FID / IS / KID / precision-recall through torch-fidelity, plus
mode coverage, the checkerboard score and InfoGAN code accuracy.

Images arrive as uint8 NCHW tensors (generated and real alike) and go to torch-fidelity as
in-memory datasets, never as PNG files. The real side carries a cache name, so its features
and FID statistics are computed once per (dataset, split, sample count, extractor) and read
from torch-fidelity's own cache afterwards.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch_fidelity
from scipy.optimize import linear_sum_assignment
from torch.utils.data import Dataset

from gan_bench.score.extractors import Extractor

# registry key (gan_bench/score/registry.py) -> torch-fidelity's result key
FIDELITY_KEYS = {
    "fid": "frechet_inception_distance",
    "is": "inception_score_mean",
    "kid": "kernel_inception_distance_mean",
    "precision": "precision",
    "recall": "recall",
}
SPREAD_KEYS = {"is": "inception_score_std", "kid": "kernel_inception_distance_std"}
KID_SUBSET_SIZE = 1000  # torch-fidelity's default, lowered to the sample count when needed
# torch-fidelity's default is 100 subsets, but its numpy kernels cost ~50 ms per 1000x1000
# matrix on a laptop CPU (3 per subset: 16 s for 100). More subsets only shrink the subset
# sampling noise, which is far below the seed-to-seed spread a study measures.
KID_SUBSETS = 20
EPS = 1e-12


class UInt8Images(Dataset):
    """uint8 N x C x H x W tensor as a torch Dataset; grey tiled to RGB when asked."""

    def __init__(self, images: torch.Tensor, rgb: bool = False):
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise ValueError(
                f"expected uint8 N x C x H x W images, got {images.dtype} {images.shape}"
            )
        self.images = images.contiguous()
        self.rgb = rgb and images.shape[1] == 1

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: int) -> torch.Tensor:
        image = self.images[index]
        return image.expand(3, -1, -1) if self.rgb else image


def fidelity_metrics(
    generated: torch.Tensor,
    real: torch.Tensor,
    extractor: Extractor,
    real_cache_name: str | None,
    cache_dir: Path,
    cuda: bool = False,
    only: tuple[str, ...] | None = None,
) -> tuple[dict[str, float], dict[str, float]]:
    """(metrics, spreads) of generated vs real images through torch-fidelity.

    metrics: those the extractor measures (fid, is, kid, precision, recall; Inception
    without its classifier head: no is), or those of them in `only`; spreads: the standard
    deviations of is and kid over their splits / subsets. `real_cache_name` None disables
    the real-side cache.
    """
    only = tuple(m for m in extractor.measures if only is None or m in only)
    count, real_count = generated.shape[0], real.shape[0]
    if min(count, real_count) < 5:  # precision-recall's 3-neighbourhood needs a few samples
        raise ValueError(f"too few samples to score: {count} generated, {real_count} real")
    options = {
        "input1": UInt8Images(generated, extractor.rgb),
        "input2": UInt8Images(real, extractor.rgb),
        "input2_cache_name": real_cache_name,
        "cache": real_cache_name is not None,
        "cache_root": str(cache_dir),
        "feature_extractor": extractor.fidelity_name,
        "feature_layer_isc": extractor.layers.get("isc"),  # None: not measured
        "feature_layer_fid": extractor.layers.get("fid"),
        "feature_layer_kid": extractor.layers.get("kid"),
        "feature_layer_prc": extractor.layers.get("prc"),
        "isc": "is" in only,
        "fid": "fid" in only,
        "kid": "kid" in only,
        "prc": "precision" in only or "recall" in only,
        "isc_splits": max(1, min(10, count // extractor.is_split_size)),
        "kid_subset_size": min(KID_SUBSET_SIZE, count, real_count),
        "kid_subsets": KID_SUBSETS,
        "batch_size": extractor.batch_size,
        "cuda": cuda,
        "save_cpu_ram": True,  # no DataLoader worker processes for an in-memory tensor
        "verbose": False,
    }
    if extractor.weights_path is not None:
        options["feature_extractor_weights_path"] = extractor.weights_path
    raw = torch_fidelity.calculate_metrics(**options)
    metrics = {name: float(raw[key]) for name, key in FIDELITY_KEYS.items() if key in raw}
    spreads = {name: float(raw[key]) for name, key in SPREAD_KEYS.items() if key in raw}
    return metrics, spreads


# --------------------------------------------------------------------------- mode coverage


def class_histogram(labels: torch.Tensor, num_classes: int) -> np.ndarray:
    counts = torch.bincount(labels.long().flatten(), minlength=num_classes).double().numpy()
    return counts / max(counts.sum(), 1.0)


def modes_hit(histogram: np.ndarray) -> int:
    """Classes holding at least 1/(4K) of the samples (K classes)."""
    histogram = np.asarray(histogram, dtype=np.float64)
    return int((histogram >= 1.0 / (4 * len(histogram))).sum())


def mode_kl(p_gen: np.ndarray, p_real: np.ndarray) -> float:
    """KL(p_gen || p_real) in nats; classes the real data lacks are smoothed, not infinite."""
    p = np.asarray(p_gen, dtype=np.float64)
    q = np.asarray(p_real, dtype=np.float64) + 1e-6
    q = q / q.sum()
    mask = p > 0
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])))


# --------------------------------------------------------------------------- checkerboard


def nyquist_fraction(images: torch.Tensor) -> float:
    """Share of the mean power spectrum on the period-2 (Nyquist) row and column.

    Per-image means are removed first (DC carries no structure), and the share rather than
    the raw power is used so that a generator with less contrast overall does not read as
    one with fewer checkerboards.
    """
    height, width = images.shape[-2:]
    if height % 2 or width % 2:
        raise ValueError(f"checkerboard score needs even image sizes, got {height}x{width}")
    pixels = images.double() / 255.0
    pixels = pixels - pixels.mean(dim=(-2, -1), keepdim=True)
    power = torch.fft.fft2(pixels).abs().square().mean(dim=(0, 1))
    nyquist = power[height // 2, :].sum() + power[:, width // 2].sum()
    nyquist = nyquist - power[height // 2, width // 2]  # counted on both lines
    return float(nyquist / power.sum().clamp(min=EPS))


def checkerboard_score(generated: torch.Tensor, real: torch.Tensor) -> float:
    """log(Nyquist share of generated / of real): ~0 like real data, > 0 checkerboards."""
    return math.log((nyquist_fraction(generated) + EPS) / (nyquist_fraction(real) + EPS))


# --------------------------------------------------------------------------- InfoGAN


def code_accuracy(codes: torch.Tensor, predicted: torch.Tensor) -> float:
    """Share of samples whose categorical code matches the classifier's label after the best
    one-to-one matching of codes to classes (the codes are learnt in arbitrary order)."""
    codes_np = codes.long().numpy()
    predicted_np = predicted.long().numpy()
    confusion = np.zeros((codes_np.max() + 1, predicted_np.max() + 1))
    np.add.at(confusion, (codes_np, predicted_np), 1.0)
    rows, columns = linear_sum_assignment(confusion, maximize=True)
    return float(confusion[rows, columns].sum() / max(len(codes_np), 1))
