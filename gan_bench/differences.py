"""Settings compared key by key: what differs between a recorded configuration and this one.

A run folder (train/runner.py) and a results folder (study/fingerprint.py) both belong to
one configuration; when the one at hand differs, the error names every dotted key that
differs, so the user sees what changed rather than a hash mismatch.
"""

from __future__ import annotations

import json
from typing import Any


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one mapping with dotted keys: {"train": {"steps": 3}} ->
    {"train.steps": 3}; lists and scalars are leaves."""
    if not isinstance(value, dict) or not value:
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in value.items():
        flat |= flatten(item, f"{prefix}.{key}" if prefix else str(key))
    return flat


def differences(
    old: dict[str, Any],
    new: dict[str, Any],
    old_says: str = "folder has",
    new_says: str = "this run",
) -> list[str]:
    """`key: <old_says> A, <new_says> B` for every dotted key whose value differs."""
    flat_old, flat_new = flatten(old), flatten(new)
    keys = list(flat_new) + [key for key in flat_old if key not in flat_new]

    def shown(values: dict[str, Any], key: str) -> str:
        return json.dumps(values[key]) if key in values else "no such key"

    return [
        f"{key}: {old_says} {shown(flat_old, key)}, {new_says} {shown(flat_new, key)}"
        for key in keys
        if key not in flat_old or key not in flat_new or flat_old[key] != flat_new[key]
    ]
