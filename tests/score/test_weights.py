"""Inception's weights found without torch where torch and torch-fidelity look for them, what
their metadata file says of their classifier head, and the plan-time question for
`inception`: on disk, or a download that can start."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest

from gan_bench.score import weights
from gan_bench.score.planning import ScoringError
from gan_bench.score.registry import INCEPTION_POOL


def test_the_url_is_torch_fidelitys():
    from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3

    assert weights.INCEPTION_URL == URL_INCEPTION_V3


@pytest.mark.parametrize(
    "env", [{}, {"TORCH_HOME": "th"}, {"XDG_CACHE_HOME": "xdg"}, {"TORCH_HOME": "~/t"}]
)
def test_the_hub_folder_is_torch_hubs(env, tmp_path, monkeypatch):
    """torch.hub.get_dir() in a fresh process under the same environment."""
    import os

    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value if value.startswith("~") else str(tmp_path / value))
    code = "import torch.hub; print(torch.hub.get_dir())"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert found.stdout.strip() == str(weights.hub_dir()), (found.stderr, dict(os.environ))


def test_local_weights_are_found_without_network(tmp_path, monkeypatch):
    assert weights.local_inception_weights() is None  # empty torch home (conftest)
    assert not weights.weights_on_disk()
    cached = weights.inception_cache_file()
    assert cached.name == weights.INCEPTION_URL.rsplit("/", 1)[1]
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(b"x")
    try:
        assert weights.local_inception_weights() == cached and weights.weights_on_disk()
        named = tmp_path / "inception.pth"
        named.write_bytes(b"x")
        monkeypatch.setenv(weights.INCEPTION_ENV, str(named))
        assert weights.local_inception_weights() == named
        monkeypatch.setenv(weights.INCEPTION_ENV, str(tmp_path / "missing.pth"))
        with pytest.raises(ScoringError, match=f"^{weights.INCEPTION_ENV}: file not found"):
            weights.local_inception_weights()
        with pytest.raises(ScoringError, match=rf"^eval.extractor: .*{weights.INCEPTION_ENV}"):
            weights.weights_on_disk()  # at plan time: the key, then the variable to fix
    finally:
        cached.unlink()


def _urlopen(behaviour):
    def urlopen(request, timeout):
        assert request.full_url == weights.INCEPTION_URL and request.get_header("Range")
        return behaviour(timeout)

    return urlopen


def test_a_download_that_cannot_start_says_why(monkeypatch):
    def offline(timeout):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", _urlopen(offline))
    assert "Name or service not known" in weights.download_problem()


def test_a_host_that_never_answers_counts_as_none(monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", _urlopen(lambda timeout: time.sleep(5)))
    started = time.perf_counter()
    assert (
        weights.download_problem(timeout=0.2) == f"no answer from {weights.INCEPTION_URL} in 0.2 s"
    )
    assert time.perf_counter() - started < 2


def test_a_host_that_serves_the_first_byte_is_no_problem(monkeypatch):
    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

        def read(self, count):
            return b"P"[:count]

    monkeypatch.setattr(urllib.request, "urlopen", _urlopen(lambda timeout: Response()))
    assert weights.download_problem() is None
    weights.check_inception_obtainable()


def test_inception_at_plan_time_needs_weights_on_disk_or_a_download(tmp_path, monkeypatch):
    monkeypatch.setattr(weights, "download_problem", lambda: "URLError: offline")
    with pytest.raises(ScoringError) as refused:
        weights.check_inception_obtainable()
    message = str(refused.value)
    assert message.startswith("eval.extractor: 'inception': Inception weights are not available")
    assert "no download from here: URLError: offline" in message
    assert weights.INCEPTION_ENV in message and str(weights.inception_cache_file()) in message
    assert "score with eval.extractor: domain" in message and "one sub-folder per class" in message
    on_disk = tmp_path / "inception.pth"
    on_disk.write_bytes(b"x")
    monkeypatch.setenv(weights.INCEPTION_ENV, str(on_disk))
    monkeypatch.setattr(weights, "download_problem", lambda: pytest.fail("asked the network"))
    weights.check_inception_obtainable()


def test_the_metadata_file_says_whether_the_head_is_there(tmp_path, monkeypatch):
    on_disk = tmp_path / "inception.pth"
    on_disk.write_bytes(b"12345")
    assert weights.planned_inception(on_disk) == "inception"  # no metadata: torch-fidelity's
    meta = weights.metadata_file(on_disk)
    assert meta == tmp_path / "inception.pth.json"
    meta.write_text(json.dumps({"head": False, "bytes": 5, "source": "anything"}))
    assert weights.planned_inception(on_disk) == INCEPTION_POOL
    monkeypatch.setenv(weights.INCEPTION_ENV, str(on_disk))
    assert weights.inception_on_disk() == weights.weights_on_disk() == INCEPTION_POOL
    meta.write_text(json.dumps({"head": True, "bytes": 5}))
    assert weights.planned_inception(on_disk) == "inception"
    monkeypatch.delenv(weights.INCEPTION_ENV)
    assert weights.inception_on_disk() is None and weights.weights_on_disk() is None


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ({"head": False, "bytes": 4}, "describes a file of 4 bytes, and .* has 5: it belongs to"),
        ({"head": "no", "bytes": 5}, "expected a JSON object with head: true or false"),
        ({"head": False}, "expected bytes: the weights file's size"),
        ([1], "expected a JSON object"),
        ("{not json", r"unreadable \("),
        (" " * 70000, "over 65536 bytes"),
    ],
)
def test_a_metadata_file_that_does_not_fit_is_refused_naming_it(
    content, problem, tmp_path, monkeypatch
):
    on_disk = tmp_path / "inception.pth"
    on_disk.write_bytes(b"12345")
    meta = weights.metadata_file(on_disk)
    meta.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(ScoringError, match=rf"^{meta}: {problem}.*inception-weights"):
        weights.planned_inception(on_disk)
    monkeypatch.setenv(weights.INCEPTION_ENV, str(on_disk))
    with pytest.raises(ScoringError, match=rf"^eval.extractor: {meta}: "):  # at plan time
        weights.weights_on_disk()


def test_weights_is_torch_free():
    code = "import sys, gan_bench.score.weights; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
