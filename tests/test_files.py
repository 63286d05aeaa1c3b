"""Crash-safe writes: a file is either the old one or the new one, never half of either."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from gan_bench.files import atomic_write, read_json, read_log, truncate_log, write_json


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "scores.json"
    write_json(target, {"fid": 1.0})

    def half_then_crash(tmp: Path) -> None:
        tmp.write_text('{"fid": ')
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        atomic_write(target, half_then_crash)
    assert read_json(target) == {"fid": 1.0}
    assert [p.name for p in tmp_path.iterdir()] == ["scores.json"]


def test_json_keeps_nan_for_diverged_metrics(tmp_path):
    write_json(tmp_path / "scores.json", {"fid": float("nan")})
    assert math.isnan(read_json(tmp_path / "scores.json")["fid"])
    assert (tmp_path / "scores.json").stat().st_mode & 0o777 == 0o644  # shareable results


def test_read_log_drops_a_line_cut_by_a_crash(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"step": 1}) + "\n" + json.dumps({"step": 2}) + '\n{"step": 3, "d_')
    assert read_log(log) == [{"step": 1}, {"step": 2}]
    assert read_log(tmp_path / "absent.jsonl") == []


def test_truncate_log_keeps_the_steps_a_resumed_run_will_not_rewrite(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps({"step": s}) + "\n" for s in (10, 20, 30, 40)))
    truncate_log(log, last_step=20)
    assert [r["step"] for r in read_log(log)] == [10, 20]


class _RunsCode:
    def __init__(self, target: Path):
        self.target = target

    def __reduce__(self):
        return (Path.touch, (self.target,))


def test_load_torch_reads_plain_tensors_and_refuses_code_without_running_it(tmp_path):
    import torch

    from gan_bench.files import TorchFileError, load_torch

    plain, crafted, garbage = tmp_path / "plain.pt", tmp_path / "crafted.pt", tmp_path / "g.pt"
    torch.save({"w": torch.ones(2), "step": 3, "rng": (3, (1, 2), None)}, plain)
    assert load_torch(plain)["step"] == 3
    torch.save({"w": torch.ones(2), "hook": _RunsCode(tmp_path / "PWNED")}, crafted)
    with pytest.raises(
        TorchFileError,
        match=r"crafted.pt: refused: it asks to run code on loading \(it names GLOBAL getattr\)$",
    ):
        load_torch(crafted)
    assert not (tmp_path / "PWNED").exists()
    garbage.write_bytes(b"not torch")
    with pytest.raises(TorchFileError, match=r"g.pt: unreadable \("):
        load_torch(garbage)
