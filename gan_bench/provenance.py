"""What made a result: package versions, git commit (with the uncommitted changes), host and
device.

Recorded in every run.json and in every report so that any number can be traced back to the
code that made it. A commit with local changes is `<sha>-dirty`, which no one can check
out; so the changes are stored beside the record as a patch (`code.diff`, named in
gan_bench/folders.py), and the record names it with its sha256: the commit plus that patch
is the exact tree. What the patch holds:

- `git diff --binary HEAD` of the checkout holding gan_bench (staged and unstaged changes to
  tracked files, binary files included), so `git apply code.diff` on a checkout of the
  commit rebuilds the tree;
- not results/ (folders.RESULTS_ROOT): those are what runs make, not their code, and a
  published results folder is tracked, so remaking a report would otherwise always be dirty;
- not untracked files: their names are listed in the record, their content is not (scratch
  files and data would swell every run folder).

A patch over DIFF_LIMIT is cut at the last whole file that fits, and the record says so
with the size and sha256 of the whole. No git, or no checkout (an installed wheel): the
commit is 'unknown', no patch is written, and nothing fails.
"""

from __future__ import annotations

import hashlib
import platform
import socket
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gan_bench.files import atomic_write
from gan_bench.folders import RESULTS_ROOT

if TYPE_CHECKING:  # the report job reads the git commit without paying for torch (~3 s)
    import torch

PACKAGES = ("gan-bench", "torch", "torchvision", "torch-fidelity", "numpy", "scikit-learn")
CHECKOUT = Path(__file__).resolve().parent  # where git looks: the checkout holding gan_bench
DIFF_LIMIT = 1 << 20  # bytes of patch stored beside a record (1 MiB)
UNTRACKED_LISTED = 20  # names of untracked files a record lists at most
NOT_CODE = f":(exclude){RESULTS_ROOT.as_posix()}"  # pathspec: results/ is output, not code


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


@dataclass(frozen=True)
class CodeState:
    """The checkout's HEAD, its uncommitted changes as a patch (b'' when clean) and the
    names of its untracked files."""

    commit: str
    diff: bytes
    untracked: list[str]

    @property
    def label(self) -> str:
        return f"{self.commit}-dirty" if self.diff else self.commit


def _git(top: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(top), *args], capture_output=True, timeout=30, check=True
    ).stdout


def code_state(checkout: Path | None = None) -> CodeState | None:
    """The state of the checkout holding gan_bench (or `checkout`); None without git or
    outside a checkout."""
    try:
        top = Path(_git(checkout or CHECKOUT, "rev-parse", "--show-toplevel").decode().strip())
        commit = _git(top, "rev-parse", "HEAD").decode().strip()
        diff = _git(top, "diff", "--binary", "HEAD", "--", ".", NOT_CODE)
        others = _git(top, "ls-files", "--others", "--exclude-standard", "-z", "--", ".", NOT_CODE)
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return None
    untracked = [name for name in others.decode(errors="replace").split("\0") if name]
    return CodeState(commit, diff, untracked)


def git_commit(checkout: Path | None = None) -> str:
    """HEAD of the checkout holding gan_bench (+ '-dirty' with local changes outside
    results/), or 'unknown'."""
    state = code_state(checkout)
    return state.label if state else "unknown"


def _cut(diff: bytes) -> bytes:
    """The patch's leading whole files that fit in DIFF_LIMIT (the bytes themselves when even
    the first file does not): what is kept still applies."""
    if len(diff) <= DIFF_LIMIT:
        return diff
    header = b"\ndiff --git "  # a file's patch starts after its newline
    start = diff.rfind(header, 0, DIFF_LIMIT - 1 + len(header))
    return diff[: start + 1] if start > 0 else diff[:DIFF_LIMIT]


def record_code(diff_file: Path, checkout: Path | None = None) -> dict[str, Any]:
    """{'git_commit', 'code_diff'}: with uncommitted changes, write them to `diff_file` and
    name it (file, bytes, sha256; cut, with the whole patch's size and sha256, when over
    DIFF_LIMIT; untracked files by name); else remove a diff_file left by an earlier
    result, which would not describe this one."""
    state = code_state(checkout)
    if state is None or not state.diff:
        diff_file.unlink(missing_ok=True)
        return {"git_commit": state.label if state else "unknown", "code_diff": None}
    kept = _cut(state.diff)
    atomic_write(diff_file, lambda tmp: tmp.write_bytes(kept))
    record: dict[str, Any] = {
        "file": diff_file.name,
        "bytes": len(kept),
        "sha256": hashlib.sha256(kept).hexdigest(),
        "cut": len(kept) < len(state.diff),
    }
    if record["cut"]:
        record["full_bytes"] = len(state.diff)
        record["full_sha256"] = hashlib.sha256(state.diff).hexdigest()
    more = len(state.untracked) - UNTRACKED_LISTED
    record["untracked"] = state.untracked[:UNTRACKED_LISTED] + (
        [f"... and {more} more"] if more > 0 else []
    )
    return {"git_commit": state.label, "code_diff": record}


def device_description(device: torch.device) -> str:
    if device.type == "cuda":
        import torch

        return f"cuda:{torch.cuda.get_device_name(device)}"
    return f"cpu:{platform.processor() or platform.machine()}"


def provenance(device: torch.device, threads: int, diff_file: Path) -> dict[str, Any]:
    """What run.json records of the machine and the code; the uncommitted changes go to
    `diff_file` (the run folder's code.diff)."""
    return {
        "device": device.type,
        "device_name": device_description(device),
        "threads": threads,
        "host": socket.gethostname(),
        "versions": versions(),
        **record_code(diff_file),
    }
