"""A run folder with damaged files: each is set aside with a warning naming it, and the run
ends as an unbroken run does (same generator, same log), retraining only what it must."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from train_helpers import DIGITS, assert_same_generator, make_config

from gan_bench.files import CorruptFile, read_json, read_log, truncate_log
from gan_bench.train.recovery import missing_log_steps
from gan_bench.train.runner import RunConflict, train_run

FINAL_FILES = ("run.json", "generator.pt", "discriminator.pt", "samples.png")


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> Path:
    """A finished 12-step run (log lines at 4, 8, 12; checkpoints at 8 and 12)."""
    run = tmp_path_factory.mktemp("whole") / "run"
    train_run(make_config(), run, "cpu", progress=False, dataset=DIGITS)
    return run


def copy_of(whole: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(whole, tmp_path / "run"))


def unfinished_at_8(whole: Path, tmp_path: Path) -> Path:
    """The run as a kill after step 8 leaves it: checkpoint and log lines up to step 8."""
    run = copy_of(whole, tmp_path)
    for name in FINAL_FILES:
        (run / name).unlink()
    (run / "checkpoint.prev.pt").replace(run / "checkpoint.pt")
    truncate_log(run / "log.jsonl", 8)
    return run


def same_log_but_seconds(run: Path, whole: Path) -> None:
    records, expected = read_log(run / "log.jsonl"), read_log(whole / "log.jsonl")
    assert [r | {"seconds": 0} for r in records] == [r | {"seconds": 0} for r in expected]


def train(run: Path) -> dict:
    return train_run(make_config(), run, "cpu", progress=False, dataset=DIGITS)


def test_a_damaged_run_json_is_set_aside_and_the_run_finished_from_its_last_step(
    whole, tmp_path, capsys
):
    run = copy_of(whole, tmp_path)
    (run / "run.json").write_text("garbage{")
    result = train(run)
    err = capsys.readouterr().err
    assert f"{run / 'run.json'}: not valid JSON" in err and "set aside as run.json.corrupt" in err
    assert "resuming at step 12" in err  # the final checkpoint: nothing retrained
    assert (run / "run.json.corrupt").read_text() == "garbage{"
    assert read_json(run / "run.json") == result and result["status"] == "completed"
    assert result["images_per_second"] > 0  # the whole run's pace, not this session's 0 steps
    assert_same_generator(run, whole)
    assert (run / "log.jsonl").read_bytes() == (whole / "log.jsonl").read_bytes()


def test_a_folder_of_another_configuration_is_refused_before_anything_is_set_aside(whole, tmp_path):
    run = copy_of(whole, tmp_path)
    (run / "run.json").write_text("garbage{")
    with pytest.raises(RunConflict, match="train.steps: folder has 12, this run 16"):
        train_run(make_config(steps=16), run, "cpu", progress=False, dataset=DIGITS)
    assert (run / "run.json").read_text() == "garbage{" and not (run / "run.json.corrupt").exists()


@pytest.mark.parametrize(
    ("name", "damage"),
    [("generator.pt", b"not a checkpoint"), ("samples.png", None), ("generator.pt", "cut")],
)
def test_a_finished_runs_damaged_final_file_is_rebuilt_from_its_last_checkpoint(
    whole, tmp_path, capsys, name, damage
):
    run = copy_of(whole, tmp_path)
    path = run / name
    if damage is None:
        path.unlink()
    else:
        content = path.read_bytes()
        path.write_bytes(damage if isinstance(damage, bytes) else content[: len(content) // 2])
    train(run)
    err = capsys.readouterr().err
    assert f"{path}: the finished run's final files are rebuilt" in err
    assert (damage is None) != (f"set aside as {name}.corrupt" in err)
    assert "resuming at step 12" in err
    assert_same_generator(run, whole)
    assert (run / "samples.png").read_bytes() == (whole / "samples.png").read_bytes()


def test_an_unfinished_run_with_an_unreadable_config_starts_again_from_step_0(
    whole, tmp_path, capsys
):
    run = unfinished_at_8(whole, tmp_path)
    (run / "config.json").write_bytes(b"\x00\xff garbage")
    train(run)
    err = capsys.readouterr().err
    assert f"{run / 'config.json'}: not valid JSON" in err and "resuming" not in err
    assert "set aside as config.json.corrupt" in err and "starts again from step 0" in err
    assert read_json(run / "config.json") == json.loads(json.dumps(make_config()))
    assert_same_generator(run, whole)
    same_log_but_seconds(run, whole)


def test_a_finished_run_with_an_unreadable_config_is_refused(whole, tmp_path):
    run = copy_of(whole, tmp_path)
    (run / "config.json").write_text("[]")
    with pytest.raises(CorruptFile, match="delete .* to train it again") as info:
        train(run)
    assert str(info.value).startswith(f"{run / 'config.json'}: expected a JSON object")
    assert sorted(p.name for p in run.iterdir()) == sorted(p.name for p in whole.iterdir())


@pytest.mark.parametrize("kept", ["8 only", "none", "cut"])
def test_an_unfinished_run_whose_log_lacks_lines_starts_again_from_step_0(
    whole, tmp_path, capsys, kept
):
    """The dynamics metrics (d_overfit, d_balance) read the log: resuming with lines missing
    would leave them blank or wrong."""
    run = unfinished_at_8(whole, tmp_path)
    log = run / "log.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text({"8 only": lines[1], "none": "", "cut": lines[0] + lines[1][:20]}[kept])
    train(run)
    err = capsys.readouterr().err
    assert f"{log}: no line of step" in err and "resuming" not in err
    assert "starts again from step 0" in err
    assert_same_generator(run, whole)
    same_log_but_seconds(run, whole)


def test_an_unfinished_run_with_its_whole_log_resumes(whole, tmp_path, capsys):
    run = unfinished_at_8(whole, tmp_path)
    train(run)
    assert "resuming at step 8" in capsys.readouterr().err
    assert_same_generator(run, whole)
    same_log_but_seconds(run, whole)


def test_a_completed_runs_log_short_of_lines_is_set_aside_and_the_run_trained_again(
    whole, tmp_path, capsys
):
    """What a re-scoring would read: the run is trained again (from step 0) for its log."""
    run = copy_of(whole, tmp_path)
    log = run / "log.jsonl"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:2]))  # line 12 lost
    train(run)
    err = capsys.readouterr().err
    assert f"{log}: unreadable or incomplete; set aside as log.jsonl.corrupt" in err
    assert f"{log}: no line of step 4, 8, 12" in err and "starts again from step 0" in err
    assert_same_generator(run, whole)
    same_log_but_seconds(run, whole)


def test_missing_log_steps_are_every_log_every_step_and_the_last(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps({"step": s}) + "\n" for s in (4, 12)))
    train = {"log_every": 4, "steps": 14}
    assert missing_log_steps(log, 0, train) == []
    assert missing_log_steps(log, 12, train) == [8]
    assert missing_log_steps(log, 14, train) == [8, 14]
    assert missing_log_steps(tmp_path / "absent.jsonl", 9, train) == [4, 8]
