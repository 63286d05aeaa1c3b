"""What made a result: package versions, git commit, host and device.

Recorded in every run.json so that any number in a report can be traced back.
"""

from __future__ import annotations

import platform
import socket
import subprocess
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the report job reads the git commit without paying for torch (~3 s)
    import torch

PACKAGES = ("gan-bench", "torch", "torchvision", "torch-fidelity", "numpy", "scikit-learn")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def git_commit() -> str:
    """HEAD of the checkout holding gan_bench (+ '-dirty' with local changes), or 'unknown'."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def device_description(device: torch.device) -> str:
    if device.type == "cuda":
        import torch

        return f"cuda:{torch.cuda.get_device_name(device)}"
    return f"cpu:{platform.processor() or platform.machine()}"


def provenance(device: torch.device, threads: int) -> dict[str, Any]:
    return {
        "device": device.type,
        "device_name": device_description(device),
        "threads": threads,
        "host": socket.gethostname(),
        "versions": versions(),
        "git_commit": git_commit(),
    }
