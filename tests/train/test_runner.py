"""A whole run: the run folder's files, reproducibility, no retraining, divergence as a
result, and a folder that holds another configuration refused with the keys that differ."""

from __future__ import annotations

import pytest
import torch
from train_helpers import DIGITS, assert_same_generator, generator_tensors, make_config

from gan_bench.files import RunPaths, read_json, read_log
from gan_bench.train.runner import RunConflict, train_run


def test_run_folder_has_every_file_and_records_provenance(tmp_path):
    result = train_run(make_config(), tmp_path, "cpu", progress=False, dataset=DIGITS)
    paths = RunPaths(tmp_path)
    for path in (paths.config, paths.log, paths.checkpoint, paths.generator, paths.samples):
        assert path.is_file(), path.name
    run = read_json(paths.run)
    assert run == result and run["status"] == "completed" and run["step"] == 12
    for key in ("seconds", "images_per_second", "device", "versions", "git_commit", "seed"):
        assert key in run
    assert read_json(paths.config)["tricks"] == make_config()["tricks"]
    steps = [record["step"] for record in read_log(paths.log)]
    assert steps == [4, 8, 12]
    assert paths.samples.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_seed_twice_gives_identical_generator(tmp_path):
    for name in ("a", "b"):
        train_run(make_config(), tmp_path / name, "cpu", progress=False, dataset=DIGITS)
    assert_same_generator(tmp_path / "a", tmp_path / "b")
    other = make_config()
    other["seed"] = 1
    train_run(other, tmp_path / "c", "cpu", progress=False, dataset=DIGITS)
    assert not torch.equal(
        generator_tensors(tmp_path / "a")["net.0.weight"],
        generator_tensors(tmp_path / "c")["net.0.weight"],
    )


def test_completed_run_is_not_trained_again(tmp_path):
    first = train_run(make_config(), tmp_path, "cpu", progress=False, dataset=DIGITS)
    stamp = (tmp_path / "generator.pt").stat().st_mtime_ns
    again = train_run(make_config(), tmp_path, "cpu", progress=False, dataset=DIGITS)
    assert again == first and (tmp_path / "generator.pt").stat().st_mtime_ns == stamp


def test_forced_divergence_is_a_result_not_a_crash(tmp_path):
    result = train_run(make_config(lr=1000.0), tmp_path, "cpu", progress=False, dataset=DIGITS)
    assert result["status"] == "diverged"
    assert 1 <= result["step"] <= 12 and "step" in result["reason"]
    assert read_json(tmp_path / "run.json")["status"] == "diverged"


def test_config_mismatch_in_run_folder_is_refused(tmp_path):
    train_run(make_config(), tmp_path, "cpu", progress=False, dataset=DIGITS)
    with pytest.raises(RunConflict, match="config.json"):
        train_run(make_config(lr=1e-3), tmp_path, "cpu", progress=False, dataset=DIGITS)
