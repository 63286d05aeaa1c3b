"""A run folder with damaged files: what a run keeps, sets aside and does again.

Every damaged file is set aside as `<name>.corrupt` (gan_bench/files.py), never deleted, with
a warning that names it, and the run recovers to what an unbroken run gives:

- run.json unreadable, or not a finished run's: the run counts as unfinished and is finished
  again from its last checkpoint (the last step is checkpointed, so a finished run is not
  retrained);
- a finished run's generator.pt or samples.png missing or unreadable (discriminator.pt and
  traversals.png too, when present): its final files are rebuilt from that checkpoint; a
  completed run's log.jsonl without every line: set aside, and the run trained again (next);
- an unfinished run's config.json unreadable, or its log.jsonl without a line the
  checkpoint's step implies (the dynamics metrics read the log; continuing would leave them
  blank): it starts again from step 0, which ends as an unbroken run would (runs are
  deterministic on the same kind of CPU);
- a finished run's config.json unreadable: refused (CorruptFile), since its results can no
  longer be checked against the configuration asked for.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch

from gan_bench.files import (
    CorruptFile,
    read_log,
    read_object,
    read_run_record,
    set_aside,
    whole_png,
    whole_zip,
)
from gan_bench.folders import RunFolder
from gan_bench.train.checkpoint import load_checkpoint


def warn(message: str) -> None:
    print(f"gan-bench: warning: {message}", file=sys.stderr, flush=True)


def finished_record(paths: RunFolder) -> tuple[dict[str, Any] | None, CorruptFile | None]:
    """(run.json, None) when it says the run finished; (None, the error) when it is damaged:
    the run then counts as unfinished (set_damaged_record sets it aside)."""
    if not paths.run.exists():
        return None, None
    try:
        return read_run_record(paths.run), None
    except CorruptFile as error:
        return None, error


def set_damaged_record(paths: RunFolder, error: CorruptFile) -> None:
    moved = set_aside(paths.run)
    warn(f"{error}; set aside as {moved.name}: the run is finished from its last checkpoint")


def discard_progress(paths: RunFolder, why: str) -> None:
    """An unfinished run starts again from step 0: its checkpoints go (train_run then
    truncates its log to step 0)."""
    for path in (paths.checkpoint, paths.previous_checkpoint):
        path.unlink(missing_ok=True)
    warn(f"{why}; the unfinished run starts again from step 0 (it ends as an unbroken run)")


def folder_config(paths: RunFolder, finished: dict[str, Any] | None) -> dict[str, Any] | None:
    """config.json's content (None without one); an unreadable one is set aside and the
    unfinished run's progress discarded, or refused for a finished run."""
    if not paths.config.exists():
        return None
    try:
        return read_object(paths.config)
    except CorruptFile as error:
        if finished is not None:
            raise CorruptFile(
                paths.config,
                f"{error.problem}; the run finished, but its results cannot be checked "
                f"against this configuration: delete {paths.root} to train it again",
            ) from None
        moved = set_aside(paths.config)
        discard_progress(paths, f"{error}; set aside as {moved.name}")
        return None


def _loads(path: Path) -> bool:
    try:
        torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - whatever the reason, the file cannot be used
        return False
    return True


def damaged_final_file(paths: RunFolder) -> Path | None:
    """The first of a finished run's final files that is missing or unreadable, if any:
    generator.pt and samples.png (the train rule's outputs), discriminator.pt and
    traversals.png when present."""
    checks = [
        (paths.generator, True, _loads),
        (paths.samples, True, whole_png),
        (paths.discriminator, False, whole_zip),
        (paths.traversals, False, whole_png),
    ]
    for path, required, readable in checks:
        if (required and not path.exists()) or (path.exists() and not readable(path)):
            return path
    return None


def final_files_whole(paths: RunFolder, record: dict[str, Any], train: dict[str, Any]) -> bool:
    """Whether a finished run's final files are all there and readable, and a completed
    run's log.jsonl holds every line (its scoring reads the dynamics metrics from it); a
    damaged file is set aside, and the run is to be finished again from its checkpoint (a
    log short of lines: trained again from step 0, see resume_payload)."""
    damaged = damaged_final_file(paths)
    if damaged is None and record["status"] == "completed":
        if missing_log_steps(paths.log, train["steps"], train):
            damaged = paths.log
    if damaged is None:
        return True
    if damaged.exists():
        warn(f"{damaged}: unreadable or incomplete; set aside as {set_aside(damaged).name}")
    if damaged != paths.log:
        warn(f"{damaged}: the finished run's final files are rebuilt from its last checkpoint")
    return False


def missing_log_steps(path: Path, step: int, train: dict[str, Any]) -> list[int]:
    """The steps up to `step` whose log line log.jsonl should hold but does not: every
    log_every-th step, and the last step when the run got there."""
    log_every, steps = train["log_every"], train["steps"]
    expected = set(range(log_every, step + 1, log_every)) | ({steps} if step >= steps else set())
    present = {record.get("step") for record in read_log(path)}
    return sorted(expected - present)


def resume_payload(
    paths: RunFolder, device: torch.device, train: dict[str, Any]
) -> dict[str, Any] | None:
    """The checkpoint to resume from (gan_bench/train/checkpoint.py), or None to start at
    step 0: also when the log lacks a line the checkpoint's step implies."""
    payload = load_checkpoint(paths, device)
    if payload is None:
        return None
    missing = missing_log_steps(paths.log, payload["step"], train)
    if missing:
        shown = ", ".join(map(str, missing[:5])) + (", ..." if len(missing) > 5 else "")
        step = payload["step"]
        discard_progress(paths, f"{paths.log}: no line of step {shown} (checkpoint: step {step})")
        return None
    return payload
