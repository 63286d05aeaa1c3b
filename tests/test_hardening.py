"""Issue 19's hostile, careless and damaging inputs, each asserting its exit code and the key
or file its message names, or a recovery with results identical to an undamaged study's.
The unit tests of each fix live in the mirrored test files; this file holds the cases as a
user meets them, through the CLI.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import yaml
from conftest import REPO, RunsCode, tiny_study

from gan_bench import cli
from gan_bench.analysis.sequential import Schedule
from gan_bench.cli import main
from gan_bench.files import read_log, truncate_log, write_json
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
    torch.save({"format": 3, "step": 4, "hook": RunsCode(pwned)}, shared / "checkpoint.pt")
    capsys.readouterr()
    assert cli.main([*train, str(shared)]) == 0
    assert not pwned.exists()
    err = capsys.readouterr().err
    assert f"{shared / 'checkpoint.pt'}: refused: it asks to run code on loading" in err
    clean = torch.load(tmp_path / "clean" / "generator.pt", weights_only=True)
    again = torch.load(shared / "generator.pt", weights_only=True)
    assert all(torch.equal(clean[key], again[key]) for key in clean)


# ---- corrupt run files and crashes (issue 19)
#
# One tiny study (2 cells x 1 seed, 12 steps) is run once through `gan-bench run` (real
# Snakemake); each test damages a copy of its working folder.

TANH, SIGMOID = "g_output-tanh", "g_output-sigmoid"
PUBLISHED = ("summary.csv", "study.yaml", "design.json", "metrics.json", "report.html")
REPORT_OUTPUTS = ("report.html", "tables/ablation.md", "tables/ablation.tex", "tables/effects.csv")
ANALYSED = ("analysis.json", "tables/claims.csv")
FINAL = ("run.json", "generator.pt", "discriminator.pt", "samples.png", "scores.json")


def env() -> dict[str, str]:
    """This process's environment as it is now (the session's scoring cache included)."""
    return os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def gan_bench(work: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "gan_bench", *args]
    return subprocess.run(command, cwd=work, env=env(), capture_output=True, text=True)


def plain_snakemake(work: Path, study: Path) -> subprocess.CompletedProcess:
    """Snakemake on the repo's Snakefile, without `gan-bench run`'s checks before it."""
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
               "--cores", "2", "--config", f"study={study}"]  # fmt: skip
    return subprocess.run(command, cwd=work, env=env(), capture_output=True, text=True)


@pytest.fixture(scope="module")
def finished(tmp_path_factory, digits_classifier) -> tuple[Path, Path]:
    """(study file, working folder) of the tiny study, run to the end by `gan-bench run`
    (its evaluator job finds the session's digits classifier); the study file lies outside
    the folder, so every copy's runs match its configuration."""
    root = tmp_path_factory.mktemp("finished")
    study = root / HOSTILE_PATH  # every shell parameter is quoted: see the hostile-path test
    study.parent.mkdir()
    raw = tiny_study(train={"steps": 12, "batch_size": 16, "log_every": 4, "checkpoint_every": 4})
    study.write_text(yaml.safe_dump(raw, sort_keys=False))
    work = root / "work"
    work.mkdir()
    result = gan_bench(work, "run", str(study), "--cores", "2")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return study, work


@pytest.fixture
def study(finished, tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A copy of the finished study's working folder (now the current folder), and the
    study file; the finished original stays as the reference."""
    study, work = finished
    copy = Path(shutil.copytree(work, tmp_path / "work", symlinks=True))
    monkeypatch.chdir(copy)
    return study, copy


def test_a_hostile_study_path_runs_as_one_argument_and_a_moved_study_reruns_nothing(
    finished, study
):
    """The finished study's file is `dir with space/x$(touch PWNED) 'q";echo ...`: every
    shell parameter of the Snakefile is quoted, so the path reached gan-bench as one file
    name and nothing ran. Moving the study file afterwards (a path is no setting) leaves
    every finished job as it is."""
    assert not list(finished[0].parents[1].rglob("PWNED*"))
    _, work = study
    before = {path: path.stat().st_mtime_ns for path in out(work).rglob("*") if path.is_file()}
    moved = work / "moved.yaml"
    shutil.copy(finished[0], moved)
    again = gan_bench(work, "run", "moved.yaml", "--cores", "2")
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "Nothing to be done" in again.stdout + again.stderr
    assert {path: path.stat().st_mtime_ns for path in before} == before


def test_run_prints_why_a_train_job_failed(finished, study):
    """A run folder left by another configuration: the train job refuses it (exit 2 in the
    job), Snakemake fails, and `gan-bench run` prints the job's reason naming config.json
    instead of leaving it in logs/ (more seeds: the study's settings are unchanged)."""
    _, work = study
    more_seeds = work / "more-seeds.yaml"
    raw = yaml.safe_load(finished[0].read_text()) | {"seeds": [0, 1]}
    more_seeds.write_text(yaml.safe_dump(raw, sort_keys=False))
    left = out(work) / "runs" / TANH / "seed-1" / "config.json"
    left.parent.mkdir(parents=True)
    left.write_text(json.dumps({"cell": TANH, "seed": 1, "train": {"steps": 99}}))
    done = gan_bench(work, "run", "more-seeds.yaml", "--cores", "2")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"gan-bench: job failed (results/tiny/logs/train/{TANH}/seed-1.log): " in done.stderr
    assert "config.json: this run folder holds a different configuration" in done.stderr


def out(work: Path) -> Path:
    return work / "results" / "tiny"


def run_dir(work: Path, cell: str) -> Path:
    return out(work) / "runs" / cell / "seed-0"


def contents(folder: Path, names) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in names}


def metrics(run: Path) -> str:
    """scores.json's metrics as JSON text (NaN compares equal as text)."""
    return json.dumps(json.loads((run / "scores.json").read_text())["metrics"])


def generator_equal(a: Path, b: Path) -> bool:
    ta, tb = (torch.load(p / "generator.pt", weights_only=True) for p in (a, b))
    return ta.keys() == tb.keys() and all(torch.equal(ta[k], tb[k]) for k in ta)


def summary_without_timing(work: Path) -> list[list[str]]:
    """summary.csv's rows without seconds and images_per_second (a run finished again from
    its checkpoint records the checkpoint's time)."""
    rows = [line.split(",") for line in (out(work) / "summary.csv").read_text().splitlines()]
    drop = {rows[0].index("seconds"), rows[0].index("images_per_second")}
    return [[value for i, value in enumerate(row) if i not in drop] for row in rows]


def make_unfinished_at_8(run: Path) -> None:
    """The run as a kill after step 8 leaves it: checkpoint and log lines up to step 8."""
    for name in FINAL:
        (run / name).unlink()
    (run / "checkpoint.prev.pt").replace(run / "checkpoint.pt")
    truncate_log(run / "log.jsonl", 8)


def train_and_score(capsys, study: Path, cell: str, run: Path) -> tuple[int, str]:
    code = main(["train", str(study), "--cell", cell, "--seed", "0", "--out", str(run),
                 "--no-progress", "--device", "cpu", "--score"])  # fmt: skip
    return code, capsys.readouterr().err


def test_damaged_run_files_cost_no_published_result_and_run_rebuilds_them(finished, study):
    """Plain Snakemake: a failing aggregate or report job (damaged scores.json, summary.csv)
    restores its outputs instead of deleting them. `gan-bench run` then sets the damaged
    files aside: the run whose scores.json is damaged is re-scored, the one whose run.json
    is damaged (and generator.pt) is finished again from its final checkpoint, summary.csv
    is aggregated again: every metric as before."""
    (study_file, work), (_, reference) = study, finished
    results = out(work)
    before = contents(results, PUBLISHED + REPORT_OUTPUTS + ANALYSED)
    tanh, sigmoid = run_dir(work, TANH), run_dir(work, SIGMOID)

    (tanh / "scores.json").write_text("garbage{")
    failed = plain_snakemake(work, study_file)
    assert failed.returncode != 0 and "Error in rule aggregate" in failed.stderr
    assert contents(results, PUBLISHED + REPORT_OUTPUTS + ANALYSED) == before
    damaged = (tanh / "scores.json").relative_to(work)  # as the job names it
    assert f"{damaged}: not valid JSON" in (results / "logs/aggregate.log").read_text()

    (results / "summary.csv").write_bytes(b'\x00\xff garbage,,\n"')
    failed = plain_snakemake(work, study_file)
    assert failed.returncode != 0 and "Error in rule analyse" in failed.stderr
    kept = REPORT_OUTPUTS + ANALYSED  # the failed analyse job restored its outputs
    assert contents(results, kept) == {n: before[n] for n in kept}
    assert "summary.csv: not a summary.csv" in (results / "logs/analyse.log").read_text()

    (sigmoid / "run.json").write_text("[1, 2")
    (sigmoid / "generator.pt").write_bytes(b"not weights")
    rebuilt = gan_bench(work, "run", str(study_file), "--cores", "2")
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:] + rebuilt.stderr[-3000:]
    for path in (tanh / "scores.json", sigmoid / "run.json", results / "summary.csv"):
        assert f"{path}: " in rebuilt.stdout and path.with_name(f"{path.name}.corrupt").is_file()
    assert "0 done already, 1 to train, 1 to score" in rebuilt.stdout  # the plan agrees
    logs = {
        cell: (results / "logs/train" / cell / "seed-0.log").read_text() for cell in (TANH, SIGMOID)
    }
    assert "resuming" not in logs[TANH] and "resuming at step 12" in logs[SIGMOID]
    for cell in (TANH, SIGMOID):
        assert metrics(run_dir(work, cell)) == metrics(run_dir(reference, cell))
        assert generator_equal(run_dir(work, cell), run_dir(reference, cell))
    assert summary_without_timing(work) == summary_without_timing(reference)
    names = ("study.yaml", "design.json", "metrics.json")
    assert contents(results, names) == contents(out(reference), names)
    assert (results / "report.html").stat().st_mtime_ns > (tanh / "scores.json").stat().st_mtime_ns


@pytest.mark.parametrize("name", ["config.json", "run.json", "scores.json"])
def test_aggregate_on_a_damaged_run_file_exits_2_naming_it(study, capsys, name):
    study_file, work = study
    before = contents(out(work), PUBLISHED)
    damaged = run_dir(work, TANH) / name
    damaged.write_bytes(b"\x00garbage{")
    assert main(["aggregate", str(study_file)]) == 2
    err = capsys.readouterr().err
    shown = damaged.relative_to(work)  # aggregate names run folders as the study plans them
    assert f"gan-bench: error: {shown}: not valid JSON" in err and "Traceback" not in err
    assert contents(out(work), PUBLISHED) == before


def test_report_on_a_damaged_summary_exits_2_naming_it(study, capsys):
    _, work = study
    before = contents(out(work), REPORT_OUTPUTS)
    (out(work) / "summary.csv").write_text("cell,seed\ng_output-tanh,abc\n")
    for stage in ("analyse", "report"):
        assert main([stage, str(out(work))]) == 2
        err = capsys.readouterr().err
        assert f"gan-bench: error: {out(work) / 'summary.csv'}: not a summary.csv" in err
    assert contents(out(work), REPORT_OUTPUTS) == before


def test_run_refuses_a_finished_run_whose_config_is_unreadable(study, capsys):
    study_file, work = study
    config = run_dir(work, TANH) / "config.json"
    config.write_text("{garbage")
    logs = sorted((work / ".snakemake" / "log").iterdir())
    assert main(["run", str(study_file), "--directory", str(work), "--cores", "1"]) == 2
    err = capsys.readouterr().err
    assert f"gan-bench: error: {config}: not valid JSON" in err and "delete" in err
    assert sorted((work / ".snakemake" / "log").iterdir()) == logs  # Snakemake never started


def test_an_unfinished_run_with_a_garbage_config_recovers_identical(finished, study, capsys):
    (study_file, work), (_, reference) = study, finished
    run = run_dir(work, SIGMOID)
    make_unfinished_at_8(run)
    (run / "config.json").write_bytes(b"\x89garbage")
    code, err = train_and_score(capsys, study_file, SIGMOID, run)
    assert code == 0 and f"warning: {run / 'config.json'}: not valid JSON" in err
    assert "starts again from step 0" in err
    assert generator_equal(run, run_dir(reference, SIGMOID))
    assert metrics(run) == metrics(run_dir(reference, SIGMOID))


@pytest.mark.parametrize("kept", ["line 8 only", "line 8 cut"])
def test_an_unfinished_run_with_a_truncated_log_recovers_identical_dynamics(
    finished, study, capsys, kept
):
    """d_overfit and d_balance come from log.jsonl: a resume over missing lines would leave
    them blank; the run starts again from step 0 instead, with a warning naming the log."""
    (study_file, work), (_, reference) = study, finished
    run = run_dir(work, TANH)
    make_unfinished_at_8(run)
    first, second = (run / "log.jsonl").read_text().splitlines(keepends=True)
    (run / "log.jsonl").write_text(second if kept == "line 8 only" else first + second[:30])
    code, err = train_and_score(capsys, study_file, TANH, run)
    assert code == 0 and f"warning: {run / 'log.jsonl'}: no line of step" in err
    assert "resuming" not in err
    assert generator_equal(run, run_dir(reference, TANH))
    assert metrics(run) == metrics(run_dir(reference, TANH))
    scores = json.loads((run / "scores.json").read_text())["metrics"]
    assert scores["d_overfit"] == scores["d_overfit"] and scores["d_balance"] > 0  # not NaN
    assert len(read_log(run / "log.jsonl")) == 3


def test_cells_into_a_closed_pipe_exits_quietly():
    """`gan-bench cells smoke | head -3`: no BrokenPipeError traceback."""
    process = subprocess.Popen([sys.executable, "-m", "gan_bench", "cells", "smoke"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    process.stdout.close()  # the reader has gone before the command writes
    err = process.stderr.read()
    assert process.wait() == 141 and err == b""


# ---- study validation (issue 19)
#
# Each case builds a study file in tmp_path and names what the error must mention: a key, or
# a file whose name is checked in full. `gan-bench cells` loads and plans the study as
# `gan-bench run` and the Snakefile do (gan_bench/analysis/preflight.py checked_plan).

Case = Callable[[Path], tuple[Path, str]]


def _dump(tmp_path: Path, study: dict, name: str = "study.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
    return path


def _section(section: str, **keys) -> Callable[[Path], tuple[Path, str]]:
    def build(tmp_path: Path) -> tuple[Path, str]:
        study = tiny_study()
        study[section] = study.get(section, {}) | keys
        key = f"{section}.{next(iter(keys))}"
        return _dump(tmp_path, study), key

    return build


def _study(key: str, **overrides) -> Case:
    return lambda tmp_path: (_dump(tmp_path, tiny_study(**overrides)), key)


def _text(key: str, text: str | bytes) -> Case:
    def build(tmp_path: Path) -> tuple[Path, str]:
        path = tmp_path / "study.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return path, key

    return build


def _idx(dims: list[int], data: int, compress: bool = False) -> bytes:
    raw = struct.pack(">BBBB", 0, 0, 8, len(dims)) + b"".join(struct.pack(">I", d) for d in dims)
    raw += bytes(data)
    return gzip.compress(raw) if compress else raw


def _idx_study(dims: list[int], data: int, compress: bool = False, labels=False) -> Case:
    def build(tmp_path: Path) -> tuple[Path, str]:
        images = tmp_path / ("images.gz" if compress else "images")
        images.write_bytes(_idx(dims, data, compress))
        dataset = {"name": "idx", "image_size": 16, "images": str(images)}
        if labels:
            (tmp_path / "labels").write_bytes(_idx([dims[0]], dims[0]))
            dataset["labels"] = str(tmp_path / "labels")
        return _dump(tmp_path, tiny_study(dataset=dataset)), str(images)

    return build


def _folder(tmp_path: Path, count: int = 50, broken: bool = False) -> Path:
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    for index in range(count):
        Image.new("RGB", (8, 8), (index, 0, 0)).save(folder / f"{index:02d}.png")
    if broken:
        (folder / "07.png").write_bytes((folder / "06.png").read_bytes()[:40])
    return folder


def _folder_study(broken: bool) -> Case:
    def build(tmp_path: Path) -> tuple[Path, str]:
        folder = _folder(tmp_path, broken=broken)
        study = tiny_study(dataset={"name": "folder", "image_size": 16, "path": str(folder)})
        return _dump(tmp_path, study), str(folder / "07.png") if broken else "eval.extractor"

    return build


def _bomb() -> str:
    lines = ["l0: &l0 [" + ", ".join(["lol"] * 10) + "]"]
    lines += [f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]" for n in range(1, 9)]
    return (
        yaml.safe_dump(tiny_study(), sort_keys=False)
        + "bomb:\n"
        + "\n".join(f"  {line}" for line in lines)
    )


STUDY_CASES: dict[str, Case] = {
    # 1. integers are ints
    "batch_size 32.0": _section("train", batch_size=32.0),
    "seeds [1.0]": _study("seeds[0]", seeds=[1.0]),
    "g_steps level 2.0": _study("factors.g_steps[1]", factors={"g_steps": [1, 2.0]}),
    "kernel_size level 3.0": _study("factors.kernel_size[1]", factors={"kernel_size": [4, 3.0]}),
    # 2. upper bounds where a value hangs, overflows or exhausts memory
    "lr 1e300": _section("train", lr=1e300),
    "factor level 1e16": _study("factors.label_noise[1]", factors={"label_noise": [0.0, 1e16]}),
    "base_channels 1e7": _section("model", base_channels=10_000_000),
    "latent_dim 1e6": _section("model", latent_dim=1_000_000),
    "num_samples 1e12": _section("eval", num_samples=10**12),
    "g_steps 1e9": _study("factors.g_steps[1]", factors={"g_steps": [1, 10**9]}),
    "steps 1e12": _section("train", steps=10**12),
    "batch_size 1e6": _section("train", batch_size=10**6),
    "log_every 1e12": _section("train", log_every=10**12),
    # 3. scoring's minimum is the schema's
    "num_samples 2": _section("eval", num_samples=2),
    # 4. duplicate keys, at any depth
    "name twice": _text("name: duplicate key", yaml.safe_dump(tiny_study()) + "name: again\n"),
    "factor twice": _text(
        "factors.g_output: duplicate key",
        "name: t\ndataset: {name: digits}\nseeds: [0]\nfactors:\n"
        "  g_output: [tanh, sigmoid]\n  g_output: [tanh]\n",
    ),
    # 5. alias expansion is bounded
    "billion laughs": _text("over 100,000 nodes", _bomb()),
    "recursive alias": _text("refers to a node that contains it", "name: &a [*a]\n"),
    # 6. the file itself
    "not UTF-8": _text("study.yaml: study: not UTF-8", b"name: caf\xe9\nseeds: [0]\n"),
    "over 1 MiB": _text("study.yaml: study: over", "#" + "x" * (1 << 20) + "\n"),
    # 7. names
    "name with a newline": _study("name", name="evil\n"),
    "name of 300 characters": _study("name", name="n" * 300),
    # 8. analysis keys, checked against the registry and the study's columns
    "analysis.primary bogus": _study("analysis.primary", analysis={"primary": "bogus_metric"}),
    "analysis.sesoi bogus": _study("analysis.sesoi.bogus", analysis={"sesoi": {"bogus": 0.1}}),
    # 9. extractor and data
    "folder under domain": _folder_study(broken=False),
    "undecodable image": _folder_study(broken=True),
    "idx without labels under domain": lambda tmp_path: (
        _idx_study([60, 8, 8], 60 * 64)(tmp_path)[0],
        "eval.extractor",
    ),
    # 10. IDX data checked against its header
    "truncated IDX": _idx_study([60, 8, 8], 60 * 64 - 100, labels=True),
    "truncated gzip IDX": _idx_study([60, 8, 8], 60 * 64 - 100, compress=True, labels=True),
    "IDX claiming 2^31 images": _idx_study([2**31, 8, 8], 64),
    # 11. a held-out split too small to score
    "heldout_fraction 1e-9": _section("dataset", heldout_fraction=1e-9),
    # 12. a cell id longer than a folder name
    "cell id over 255 bytes": _study(
        "cells: cell id",
        design="cells",
        factors={},
        cells=[
            {name: 0.1111111111111111 for name in ("d_dropout", "label_noise", "soft_labels")}
            | {"label_flip": 0.1111111111111111, "instance_noise": 0.1111111111111111}
            | {"label_smoothing": 0.9111111111111111, "g_output": "sigmoid", "latent": "uniform"}
            | {"d_downsample": "maxpool", "g_upsample": "resize", "batch_mode": "mixed"}
        ],
    ),
}


def _written(tmp_path: Path) -> set[str]:
    return {str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*")}


@pytest.mark.parametrize("case", list(STUDY_CASES))
def test_bad_study_exits_2_naming_key_or_file_before_any_work(case, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path, named = STUDY_CASES[case](tmp_path)
    before = _written(tmp_path)
    assert main(["cells", str(path)]) == 2  # the bomb: refused by its node count, not hung
    err = capsys.readouterr().err
    assert named in err, err
    assert err.startswith("gan-bench: error: ") and "Traceback" not in err
    assert _written(tmp_path) == before  # no results/ folder, nothing else


@pytest.mark.parametrize("case", ["analysis.primary bogus", "folder under domain", "num_samples 2"])
def test_run_refuses_before_snakemake_starts(case, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path, named = STUDY_CASES[case](tmp_path)
    assert main(["run", str(path), "-n"]) == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / ".snakemake").exists() and not (tmp_path / "results").exists()
