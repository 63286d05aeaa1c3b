"""Crash-safe writes: a file is either the old one or the new one, never half of either;
damaged files read back are named with their problem, and set aside, never deleted."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import RunsCode

from gan_bench.files import (
    CorruptFile,
    atomic_write,
    read_json,
    read_log,
    read_object,
    read_run_config,
    read_run_record,
    read_scores,
    set_aside,
    truncate_log,
    whole_png,
    whole_zip,
    write_json,
)


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


def test_load_torch_reads_plain_tensors_and_refuses_code_without_running_it(tmp_path):
    import torch

    from gan_bench.files import TorchFileError, load_torch

    plain, crafted, garbage = tmp_path / "plain.pt", tmp_path / "crafted.pt", tmp_path / "g.pt"
    torch.save({"w": torch.ones(2), "step": 3, "rng": (3, (1, 2), None)}, plain)
    assert load_torch(plain)["step"] == 3
    torch.save({"w": torch.ones(2), "hook": RunsCode(tmp_path / "PWNED")}, crafted)
    with pytest.raises(
        TorchFileError,
        match=r"crafted.pt: refused: it asks to run code on loading \(it names GLOBAL getattr\)$",
    ):
        load_torch(crafted)
    assert not (tmp_path / "PWNED").exists()
    garbage.write_bytes(b"not torch")
    with pytest.raises(TorchFileError, match=r"g.pt: unreadable \("):
        load_torch(garbage)


def test_read_log_drops_lines_that_are_not_records(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_bytes(b'{"step": 1}\n5\n\xff\xfe garbage\n["step"]\n{"step": 2}\n')
    assert read_log(log) == [{"step": 1}, {"step": 2}]


# --------------------------------------------------------------------------- damaged files


def test_set_aside_keeps_every_damaged_copy(tmp_path):
    path = tmp_path / "scores.json"
    for text in ("first", "second"):
        path.write_text(text)
        moved = set_aside(path)
        assert not path.exists() and moved.read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "scores.json.corrupt",
        "scores.json.corrupt.1",
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"garbage{", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b"[1, 2]", "expected a JSON object, found list"),
    ],
)
def test_a_damaged_json_file_is_named_with_its_problem(tmp_path, content, problem):
    path = tmp_path / "run.json"
    path.write_bytes(content)
    with pytest.raises(CorruptFile, match=problem) as info:
        read_object(path)
    assert str(info.value).startswith(f"{path}: ") and info.value.path == path


def test_run_files_are_read_back_in_the_shape_gan_bench_writes(tmp_path):
    path = tmp_path / "file.json"
    cases = [
        (read_run_config, {"cell": "c", "seed": 0, "tricks": {}}, None),
        (read_run_config, {"cell": "c", "seed": "0", "tricks": {}}, "seed: missing or not"),
        (read_run_config, {"cell": "c", "seed": 0}, "tricks: missing or not an object"),
        (read_run_record, {"status": "diverged"}, None),
        (read_run_record, {"status": "running"}, "status: 'running'; gan-bench writes"),
        (read_scores, {"metrics": {"fid": math.nan, "is": None, "kid": 1}}, None),
        (read_scores, {"status": "completed"}, "metrics: missing or not an object"),
        (read_scores, {"metrics": {"fid": "12", "is": True}}, "metrics: fid, is: not a number"),
        (read_scores, {"metrics": {}, "metric_info": []}, "metric_info: not an object"),
    ]
    for read, content, problem in cases:
        write_json(path, content)
        if problem is None:
            assert read(path).keys() == content.keys()
        else:
            with pytest.raises(CorruptFile, match=problem):
                read(path)


def test_whole_files_are_told_from_cut_or_overwritten_ones(tmp_path):
    import zipfile

    from PIL import Image

    png, archive = tmp_path / "samples.png", tmp_path / "generator.pt"
    Image.new("L", (4, 4)).save(png)
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("data", b"weights" * 100)
    assert whole_png(png) and whole_zip(archive)
    for path, whole in ((png, whole_png), (archive, whole_zip)):
        content = path.read_bytes()
        path.write_bytes(content[: len(content) // 2])
        assert not whole(path), path.name
        path.write_bytes(b"")
        assert not whole(path), path.name
