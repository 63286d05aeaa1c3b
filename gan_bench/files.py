"""Crash-safe ways to write results (and to read them back).

Every output goes through a temporary file in the same folder and `os.replace`, so a crash
leaves either the old file or the new one, never half of one. Where each file lies is
gan_bench.folders'.

A file can still be damaged from outside (a disk, a hand edit, a copy cut short): a run
folder's JSON files are read back with the shape gan-bench writes them in (read_run_config,
read_run_record, read_scores: CorruptFile, naming the file, otherwise), and a damaged file
is set aside (`<name>.corrupt`), never deleted, so that whatever rebuilds it cannot destroy
anything.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gan_bench.errors import BadInput

FINISHED = ("completed", "diverged")  # the statuses run.json and scores.json are written with
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"IEND\xaeB`\x82"  # the last chunk's type and CRC: a PNG cut short lacks them


class CorruptFile(BadInput):
    """A file is unreadable or not in the shape gan-bench writes it; names the file."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = Path(path), problem


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp)` on a temp file beside `path`, fsync it, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        tmp.chmod(0o644)  # mkstemp makes 0600; results are meant to be shared
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, payload: Any) -> None:
    text = json.dumps(payload, indent=2, sort_keys=False, allow_nan=True) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def save_torch(path: Path, payload: Any) -> None:
    import torch  # here, not at the top: aggregate and report jobs never need torch (~3 s)

    atomic_write(path, lambda tmp: torch.save(payload, tmp))


class TorchFileError(BadInput):
    """A torch file that cannot be read as plain data; the message names it and says why."""


def load_torch(path: Path, map_location: Any = "cpu") -> Any:
    """torch.load with weights_only=True, the only way gan-bench reads a torch file: run
    folders, caches and weights may come from someone else, and a full unpickler runs any
    code a crafted file names. TorchFileError says which it was: a file that asks to run
    code (refused) or one that is not a torch file (unreadable); torch's own message would
    advise loading it unsafely."""
    import pickle

    import torch

    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        named = re.search(r"GLOBAL [\w.]+", str(error))
        if named:
            raise TorchFileError(
                f"{path}: refused: it asks to run code on loading (it names {named[0]})"
            ) from None
        raise TorchFileError(f"{path}: unreadable ({str(error).splitlines()[0]})") from None
    except (RuntimeError, EOFError, ValueError) as error:
        raise TorchFileError(f"{path}: unreadable ({error})") from None


def read_log(path: Path) -> list[dict[str, Any]]:
    """The parseable lines of a log.jsonl (a line cut by a crash, or garbled, is dropped)."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def truncate_log(path: Path, last_step: int) -> None:
    """Keep only log records up to `last_step`: the ones a resumed run will not rewrite."""
    kept = [record for record in read_log(path) if record.get("step", 0) <= last_step]
    text = "".join(json.dumps(record) + "\n" for record in kept)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


# --------------------------------------------------------------------------- damaged files


def set_aside(path: Path) -> Path:
    """Rename a damaged file to `<name>.corrupt` (`.corrupt.1`, ... when taken) and return
    the new path: whatever rebuilds it then finds it missing, and nothing is lost."""
    target = path.with_name(f"{path.name}.corrupt")
    count = 0
    while target.exists():
        count += 1
        target = path.with_name(f"{path.name}.corrupt.{count}")
    os.replace(path, target)
    return target


def read_object(path: Path) -> dict[str, Any]:
    """A JSON file that must hold an object; CorruptFile naming it otherwise."""
    try:
        content = read_json(path)
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
        raise CorruptFile(path, f"not valid JSON ({error})") from None
    if not isinstance(content, dict):
        raise CorruptFile(path, f"expected a JSON object, found {type(content).__name__}")
    return content


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def read_run_config(path: Path) -> dict[str, Any]:
    """A run's config.json: an object with its cell, seed and tricks at least."""
    config = read_object(path)
    if not isinstance(config.get("cell"), str):
        raise CorruptFile(path, "cell: missing or not a string")
    if not _is_int(config.get("seed")):
        raise CorruptFile(path, "seed: missing or not a whole number")
    if not isinstance(config.get("tricks"), dict):
        raise CorruptFile(path, "tricks: missing or not an object")
    return config


def _finished_status(path: Path, content: dict[str, Any]) -> None:
    if content.get("status") not in FINISHED:
        raise CorruptFile(
            path,
            f"status: {content.get('status')!r}; gan-bench writes this file only for a "
            f"finished run ({' or '.join(FINISHED)})",
        )


def read_run_record(path: Path) -> dict[str, Any]:
    """A run's run.json (written last by training): an object whose status is finished."""
    record = read_object(path)
    _finished_status(path, record)
    return record


def read_scores(path: Path) -> dict[str, Any]:
    """A run's scores.json: metrics as name -> number (NaN or null for a value not
    measured) and, when present, metric_info as an object."""
    scores = read_object(path)
    metrics = scores.get("metrics")
    if not isinstance(metrics, dict):
        raise CorruptFile(path, "metrics: missing or not an object")
    bad = [name for name, value in metrics.items() if not _is_number(value)]
    if bad:
        raise CorruptFile(path, f"metrics: {', '.join(bad)}: not a number")
    if not isinstance(scores.get("metric_info", {}), dict):
        raise CorruptFile(path, "metric_info: not an object")
    return scores


def whole_png(path: Path) -> bool:
    """Whether `path` starts and ends as a PNG does (a file cut short or overwritten fails)."""
    with open(path, "rb") as handle:
        head = handle.read(len(PNG_SIGNATURE))
        handle.seek(0, os.SEEK_END)
        handle.seek(max(handle.tell() - len(PNG_END), 0))
        return head == PNG_SIGNATURE and handle.read() == PNG_END


def whole_zip(path: Path) -> bool:
    """Whether `path` is a whole zip archive, as torch.save writes (checked without torch:
    its end record must be there, which a file cut short lacks)."""
    import zipfile

    return zipfile.is_zipfile(path)
