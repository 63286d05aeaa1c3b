"""The shared on-disk cache: where it lives and how entries are named."""

from __future__ import annotations

from pathlib import Path

from gan_bench.cache import CACHE_ENV, cache_root, digest


def test_cache_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "c"))
    assert cache_root() == tmp_path / "c"
    monkeypatch.delenv(CACHE_ENV)
    assert cache_root() == Path.home() / ".cache" / "gan-bench"


def test_digest_is_stable_and_ignores_key_order():
    assert digest({"a": 1, "b": [2, 3]}) == digest({"b": [2, 3], "a": 1})
    assert digest({"a": 1}) != digest({"a": 2}) and len(digest({"a": 1})) == 16
