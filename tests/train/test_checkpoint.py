"""Checkpoints: a run killed at any point (an exception, a cut file, SIGKILL) resumes to the
same generator, bit for bit, as an unbroken run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import REPO, RunsCode, sigkill_group_when, tiny_study
from train_helpers import DIGITS, assert_same_generator, make_config

from gan_bench.files import read_json, read_log
from gan_bench.study.design import cells
from gan_bench.study.study_file import run_config, study_from_dict
from gan_bench.train.runner import train_run
from gan_bench.train.trainer import Trainer


class Crash(Exception):
    pass


def _crash_at(monkeypatch, step: int) -> None:
    """Make the trainer die (like a kill) when it is about to run `step`."""
    original = Trainer.step

    def step_or_crash(self, state):
        if state.step == step:
            raise Crash
        original(self, state)

    monkeypatch.setattr(Trainer, "step", step_or_crash)


def _whole_and_crashed(tmp_path, monkeypatch) -> tuple[dict, Path]:
    """A 20-step run trained whole (tmp_path/whole) and one crashed at step 10 (returned)."""
    config = make_config(steps=20, checkpoint_every=4)
    train_run(config, tmp_path / "whole", "cpu", progress=False, dataset=DIGITS)
    run = tmp_path / "cut"
    with monkeypatch.context() as patch:
        _crash_at(patch, 10)
        with pytest.raises(Crash):
            train_run(config, run, "cpu", progress=False, dataset=DIGITS)
    return config, run


def test_truncated_checkpoint_falls_back_and_result_is_unchanged(tmp_path, monkeypatch):
    config, run = _whole_and_crashed(tmp_path, monkeypatch)
    checkpoint = run / "checkpoint.pt"
    checkpoint.write_bytes(checkpoint.read_bytes()[: checkpoint.stat().st_size // 2])
    train_run(config, run, "cpu", progress=False, dataset=DIGITS)
    assert read_json(run / "run.json")["status"] == "completed"
    assert_same_generator(run, tmp_path / "whole")
    assert [r["step"] for r in read_log(run / "log.jsonl")] == [4, 8, 12, 16, 20]


def _same_log_but_seconds(run: Path, whole: Path) -> None:
    """The resumed log equals the unbroken one line for line (losses, D's probe) but time."""
    records, expected = read_log(run / "log.jsonl"), read_log(whole / "log.jsonl")
    assert [r | {"seconds": 0} for r in records] == [r | {"seconds": 0} for r in expected]
    assert {"d_adv", "g_adv", "d_train", "d_heldout", "d_overfit"} <= set(records[-1])


def test_resumed_run_logs_what_an_unbroken_run_logs(tmp_path, monkeypatch):
    config, run = _whole_and_crashed(tmp_path, monkeypatch)
    train_run(config, run, "cpu", progress=False, dataset=DIGITS)
    _same_log_but_seconds(run, tmp_path / "whole")


def test_checkpoint_of_an_older_format_is_refused_and_the_run_restarts(
    tmp_path, monkeypatch, capsys
):
    """Format 1 summed five logged values, not seven: refused by name, trained again."""
    config, run = _whole_and_crashed(tmp_path, monkeypatch)
    for path in (run / "checkpoint.pt", run / "checkpoint.prev.pt"):
        payload = torch.load(path, weights_only=True)
        torch.save(payload | {"format": 1, "sums": payload["sums"][:5]}, path)
    train_run(config, run, "cpu", progress=False, dataset=DIGITS)
    assert "checkpoint format 1, this gan-bench reads 3" in capsys.readouterr().err
    assert_same_generator(run, tmp_path / "whole")
    _same_log_but_seconds(run, tmp_path / "whole")


def test_all_checkpoints_unreadable_restarts_from_scratch(tmp_path, monkeypatch):
    config, run = _whole_and_crashed(tmp_path, monkeypatch)
    (run / "checkpoint.pt").write_bytes(b"not a checkpoint")
    (run / "checkpoint.prev.pt").write_bytes(b"")
    train_run(config, run, "cpu", progress=False, dataset=DIGITS)
    assert_same_generator(run, tmp_path / "whole")


def test_a_checkpoint_that_would_run_code_is_refused_and_the_previous_one_used(
    tmp_path, monkeypatch, capsys
):
    config, run = _whole_and_crashed(tmp_path, monkeypatch)
    pwned = tmp_path / "PWNED"
    payload = torch.load(run / "checkpoint.pt", weights_only=True)
    torch.save(payload | {"hook": RunsCode(pwned)}, run / "checkpoint.pt")
    train_run(config, run, "cpu", progress=False, dataset=DIGITS)
    err = capsys.readouterr().err
    assert not pwned.exists()
    assert f"{run / 'checkpoint.pt'}: refused: it asks to run code on loading" in err
    assert "GLOBAL" in err and "weights_only` set to `False`" not in err
    assert "resuming at step 4" in err  # checkpoint.prev.pt, the one before the crafted file
    assert_same_generator(run, tmp_path / "whole")
    _same_log_but_seconds(run, tmp_path / "whole")


def test_a_checkpoint_holds_only_what_a_weights_only_load_reads(tmp_path, monkeypatch):
    """No numpy (or other) objects: the RNG states are tensors, numbers and tuples."""
    _, run = _whole_and_crashed(tmp_path, monkeypatch)
    payload = torch.load(run / "checkpoint.pt", weights_only=True)
    assert payload["format"] == 3 and payload["step"] == 8
    assert isinstance(payload["rng"]["numpy"]["key"], torch.Tensor)


# --------------------------------------------------------------------------- SIGKILL


def _train_command(study: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "gan_bench", "train", str(study), "--cell", "g_output-tanh",
            "--seed", "0", "--out", str(out), "--no-progress", "--device", "cpu"]  # fmt: skip


def _kill_after_log_lines(command: list[str], log: Path, lines: int) -> None:
    """Start the CLI, SIGKILL its process group once `log` has `lines` lines."""
    process = subprocess.Popen(command, cwd=REPO, start_new_session=True)
    sigkill_group_when(
        process, lambda: log.exists() and len(read_log(log)) >= lines, timeout=120, poll=0.005
    )


@pytest.mark.slow
def test_sigkill_then_rerun_gives_bit_identical_generator(tmp_path, write_study):
    train = {"steps": 400, "batch_size": 16, "log_every": 20, "checkpoint_every": 40}
    study_path = write_study(tiny_study(train=train))
    whole = tmp_path / "whole"
    study = study_from_dict(tiny_study(train=train), str(study_path))
    cell = next(c for c in cells(study) if c.id == "g_output-tanh")
    train_run(run_config(study, cell.id, cell.tricks, 0), whole, "cpu", progress=False)
    run = tmp_path / "killed"
    command = _train_command(study_path, run)
    for kill_after in (3, 11):  # log lines seen: kills land after different checkpoints
        _kill_after_log_lines(command, run / "log.jsonl", kill_after)
        assert not (run / "run.json").exists()
    subprocess.run(command, cwd=REPO, check=True)
    assert_same_generator(run, whole)
    records = read_log(run / "log.jsonl")
    assert [r["step"] for r in records] == list(range(20, 401, 20))
    assert records == [
        r | {"seconds": r2["seconds"]}
        for r, r2 in zip(read_log(whole / "log.jsonl"), records, strict=True)
    ]
    assert json.loads((run / "run.json").read_text())["status"] == "completed"
