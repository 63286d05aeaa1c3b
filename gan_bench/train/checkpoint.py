"""Checkpoints: models, optimisers, every RNG state, the log accumulators and the step.

A run killed at any point and resumed from `checkpoint.pt` ends with the same generator as
an unbroken one; the previous checkpoint is kept as a fallback for a file cut short.

A checkpoint is read with `torch.load(weights_only=True)`: a run folder may come from
someone else (a shared results folder), and a full unpickler would run whatever code a
crafted file names. So the payload holds only tensors, numbers, strings and containers
(numpy's RNG state is stored as a tensor), and a file that needs more is refused like a
corrupt one: the previous checkpoint, or step 0.
"""

from __future__ import annotations

import random
import sys
from typing import Any

import numpy as np
import torch

from gan_bench.files import TorchFileError, load_torch, save_torch
from gan_bench.folders import RunFolder
from gan_bench.train.trainer import TrainState

# 2: the log sums gained d_adv and g_adv (trainer.LOGGED). 3: numpy's RNG state as a tensor,
# so that the file loads with weights_only=True. An older checkpoint is refused with that
# reason, and the run starts again from step 0 (its log lines are dropped).
CHECKPOINT_FORMAT = 3


def _numpy_state() -> dict[str, Any]:
    """np.random.get_state() without numpy objects (weights_only refuses those)."""
    kind, key, position, has_gauss, cached = np.random.get_state()
    return {
        "kind": kind,
        "key": torch.from_numpy(key.astype(np.int64)),
        "position": int(position),
        "has_gauss": int(has_gauss),
        "cached_gaussian": float(cached),
    }


def _set_numpy_state(state: dict[str, Any]) -> None:
    key = state["key"].numpy().astype(np.uint32)
    np.random.set_state(
        (state["kind"], key, state["position"], state["has_gauss"], state["cached_gaussian"])
    )


def _rng_state(device: torch.device) -> dict[str, Any]:
    state = {
        "torch": torch.get_rng_state(),
        "numpy": _numpy_state(),
        "python": random.getstate(),
    }
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any], device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    _set_numpy_state(state["numpy"])
    random.setstate(state["python"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state_all(state["cuda"])


def checkpoint_payload(state: TrainState, device: torch.device, elapsed: float) -> dict[str, Any]:
    return {
        "format": CHECKPOINT_FORMAT,
        "step": state.step,
        "generator": state.generator.state_dict(),
        "discriminator": state.discriminator.state_dict(),
        "opt_g": state.opt_g.state_dict(),
        "opt_d": state.opt_d.state_dict(),
        "rng": _rng_state(device),
        "sums": state.sums,
        "count": state.count,
        "first_bad": state.first_bad,
        "elapsed": elapsed,
    }


def save_checkpoint(paths: RunFolder, payload: dict[str, Any]) -> None:
    """Write the new checkpoint atomically, keeping the previous one as a fallback."""
    if paths.checkpoint.exists():
        paths.checkpoint.replace(paths.previous_checkpoint)
    save_torch(paths.checkpoint, payload)


def load_checkpoint(paths: RunFolder, device: torch.device) -> dict[str, Any] | None:
    """The newest readable checkpoint, or None. Unreadable files, and files that would run
    code on loading, are reported and skipped."""
    for path in (paths.checkpoint, paths.previous_checkpoint):
        if not path.exists():
            continue
        try:
            payload = load_torch(path, map_location=device)
            found = payload.get("format") if isinstance(payload, dict) else None
            if found != CHECKPOINT_FORMAT or "step" not in payload:
                raise ValueError(
                    f"checkpoint format {found}, this gan-bench reads {CHECKPOINT_FORMAT}: "
                    "written by another version of gan-bench"
                )
            return payload
        except Exception as error:  # noqa: BLE001 - any unreadable file means: fall back
            reason = str(error) if isinstance(error, TorchFileError) else f"{path}: {error}"
            print(f"gan-bench: {reason}; falling back", file=sys.stderr)
    return None


def restore(state: TrainState, payload: dict[str, Any], device: torch.device) -> None:
    state.generator.load_state_dict(payload["generator"])
    state.discriminator.load_state_dict(payload["discriminator"])
    state.opt_g.load_state_dict(payload["opt_g"])
    state.opt_d.load_state_dict(payload["opt_d"])
    state.step = payload["step"]
    state.sums = payload["sums"].to(device)
    state.count = payload["count"]
    state.first_bad = payload["first_bad"].to(device)
    state.elapsed = payload["elapsed"]
    _set_rng_state(payload["rng"], device)
