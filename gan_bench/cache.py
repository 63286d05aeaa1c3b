"""The on-disk cache shared by every job of every study: datasets, classifiers, statistics.

Entries are written atomically under a name that encodes everything they depend on, so
concurrent jobs can build the same entry without corrupting it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

CACHE_ENV = "GAN_BENCH_CACHE"


def cache_root() -> Path:
    """$GAN_BENCH_CACHE, else ~/.cache/gan-bench."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "gan-bench").expanduser()


def digest(payload: Any, length: int = 16) -> str:
    """A short stable hash of JSON-able settings, for cache file names."""
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]
