"""Crash-safe ways to write results (and to read them back).

Every output goes through a temporary file in the same folder and `os.replace`, so a crash
leaves either the old file or the new one, never half of one. Where each file lies is
gan_bench.folders'.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


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


class TorchFileError(ValueError):
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
    """The parseable lines of a log.jsonl (a line cut by a crash is dropped)."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def truncate_log(path: Path, last_step: int) -> None:
    """Keep only log records up to `last_step`: the ones a resumed run will not rewrite."""
    kept = [record for record in read_log(path) if record.get("step", 0) <= last_step]
    text = "".join(json.dumps(record) + "\n" for record in kept)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
