"""Issue 19's hostile and careless inputs, each asserting its exit code and the key or file
its message names, or a recovery with identical results. The unit tests of each fix live in
the mirrored test files; this file holds the cases as a user meets them, through the CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import tiny_study

from gan_bench import cli
from gan_bench.analysis.sequential import Schedule
from gan_bench.files import write_json
from gan_bench.folders import StudyFolder
from gan_bench.study.fingerprint import check_results_folder
from gan_bench.study.study_file import load_study
from gan_bench.workflow.sequence import state_file

# ---- code execution, and studies that change between looks (issue 19)

HOSTILE_PATH = "dir with space/x$(touch PWNED) 'q\";echo PWNED>PWNED2.yaml"


def _one_run_study(**overrides) -> dict:
    return tiny_study(design="cells", factors={}, cells=[{}], **overrides)


def _gan_bench(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "gan_bench", *args, "--cores", "2"]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=workdir)


@pytest.mark.slow
def test_a_hostile_study_path_runs_as_one_argument_and_a_moved_study_reruns_nothing(tmp_path):
    """Every shell parameter of the Snakefile is quoted: the study path's `$( )`, quotes,
    `;` and spaces reach gan-bench as one file name, and nothing runs. Moving the study file
    afterwards (a path is no setting) leaves every finished job as it is."""
    study = tmp_path / HOSTILE_PATH
    study.parent.mkdir()
    study.write_text(yaml.safe_dump(_one_run_study()), encoding="utf-8")
    done = _gan_bench(tmp_path, "run", str(study.relative_to(tmp_path)))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not list(tmp_path.rglob("PWNED*")) and not Path("PWNED").exists()
    out = tmp_path / "results" / "tiny"
    scores = out / "runs" / "baseline" / "seed-0" / "scores.json"
    before = {path: path.stat().st_mtime_ns for path in (scores, out / "report.html")}
    assert json.loads(scores.read_text())["status"] == "completed"

    moved = tmp_path / "moved.yaml"
    study.rename(moved)
    again = _gan_bench(tmp_path, "run", "moved.yaml")
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "Nothing to be done" in again.stdout + again.stderr
    assert {path: path.stat().st_mtime_ns for path in before} == before


def test_a_study_edited_after_its_runs_is_refused_before_snakemake_starts(
    tmp_path, write_study, monkeypatch, capsys
):
    """`train.steps` 12 -> 10 after the results folder has runs: exit 2 naming the key,
    and nothing new under results/ (no Snakemake log, no run folder)."""
    monkeypatch.chdir(tmp_path)
    first = load_study(write_study(_one_run_study()))
    folder = StudyFolder(Path("results") / "tiny")
    check_results_folder(first, folder)
    (folder.runs / "baseline" / "seed-0").mkdir(parents=True)
    edited = write_study(_one_run_study(train=tiny_study()["train"] | {"steps": 10}))
    assert cli.main(["run", str(edited)]) == 2
    err = capsys.readouterr().err
    assert f"{edited}: the study differs from the one {tmp_path / folder.root} was made" in err
    assert "train.steps: results have 12, study 10" in err
    assert not (tmp_path / ".snakemake" / "log").exists()
    assert list(folder.runs.rglob("*")) == [
        folder.runs / "baseline",
        folder.runs / "baseline" / "seed-0",
    ]


def test_a_study_edited_between_looks_is_refused_before_the_next_look(
    tmp_path, write_study, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    raw = tiny_study(seeds=[0, 1])
    began = load_study(write_study(raw))
    sequence = Path("results") / "tiny" / "sequence.json"
    write_json(sequence, state_file(Schedule((0, 1), 1, 3), 1, began))
    edited = write_study(tiny_study(seeds=[0, 1], train=raw["train"] | {"steps": 30}))
    assert cli.main(["run", str(edited), "--until-decided", "--max-seeds", "3",
                     "--seed-batch", "1"]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert f"differs from the one {tmp_path / sequence} was made with" in err
    assert "train.steps: results have 12, study 30" in err
    assert not (tmp_path / ".snakemake" / "log").exists()


class _RunsCode:
    """Unpickling this creates a file: what a crafted checkpoint in a shared folder does."""

    def __init__(self, target: Path):
        self.target = target

    def __reduce__(self):
        return (Path.touch, (self.target,))


def test_a_crafted_checkpoint_in_a_shared_run_folder_runs_no_code(
    tmp_path, write_study, monkeypatch, capsys
):
    """An unfinished run folder handed over with a checkpoint that names code to run: the
    train command refuses that file by name, trains from step 0, and ends with the same
    generator as a clean folder."""
    import torch

    monkeypatch.chdir(tmp_path)
    study = str(write_study(_one_run_study()))
    train = ["train", study, "--cell", "baseline", "--seed", "0", "--no-progress", "--out"]
    assert cli.main([*train, "clean"]) == 0
    shared = tmp_path / "shared"
    shared.mkdir()
    pwned = tmp_path / "PWNED"
    torch.save({"format": 3, "step": 4, "hook": _RunsCode(pwned)}, shared / "checkpoint.pt")
    capsys.readouterr()
    assert cli.main([*train, str(shared)]) == 0
    assert not pwned.exists()
    err = capsys.readouterr().err
    assert f"{shared / 'checkpoint.pt'}: refused: it asks to run code on loading" in err
    clean = torch.load(tmp_path / "clean" / "generator.pt", weights_only=True)
    again = torch.load(shared / "generator.pt", weights_only=True)
    assert all(torch.equal(clean[key], again[key]) for key in clean)
