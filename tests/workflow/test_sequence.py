"""`gan-bench run`: a fixed-seed study as one look through the sequence's loop; with
`--until-decided` refusals before any work, resuming a recorded sequence, the rounds and
what they say (Snakemake faked), and the real pipeline on a tiny study (seeds added, then
stopped; killed between rounds and finished by the same command without retraining the
first look's runs)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import sigkill_group_when, tiny_study

from gan_bench import cli
from gan_bench.analysis.result_file import LookRecord, Looks
from gan_bench.analysis.sequential import MAX_SEEDS, Schedule, state
from gan_bench.errors import BadInput
from gan_bench.files import write_json
from gan_bench.study.fingerprint import StudyChanged
from gan_bench.study.plan import DEFAULT_MAX_RUNS
from gan_bench.study.study_file import study_from_dict
from gan_bench.workflow import run as runner
from gan_bench.workflow import sequence
from gan_bench.workflow.sequence import prepare, resume, state_file


def _run(study: Path, *flags: str) -> int:
    return cli.main(["run", str(study), *flags])


def test_flags_are_refused_before_any_work(tmp_path, write_study, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    study = write_study(tiny_study(seeds=[0, 1]))
    assert _run(study, "--max-seeds", "4") == 2
    assert "--max-seeds: only with --until-decided" in capsys.readouterr().err
    assert _run(study, "--seed-batch=2", "-n") == 2
    assert "--seed-batch: only with --until-decided" in capsys.readouterr().err
    assert _run(study, "--until-decided", "--max-seeds", "1") == 2
    assert "--max-seeds: 1 is fewer than the study's 2 seeds" in capsys.readouterr().err
    assert _run(study, "--until-decided", "--seed-batch", "0") == 2
    assert "--seed-batch" in capsys.readouterr().err
    assert _run(study, "--until-decided", "--max-seeds", "2000", "--max-runs", "100") == 2
    assert "over the limit of 100 runs" in capsys.readouterr().err
    undirected = write_study(tiny_study(factors={"g_activation": ["relu", "leaky_relu"]}), "g.yaml")
    assert _run(undirected, "--until-decided") == 2
    assert "factors: --until-decided needs a claim to decide" in capsys.readouterr().err
    assert not (tmp_path / "results").exists() and not (tmp_path / ".snakemake").exists()


def test_defaults_are_the_studys_seeds_then_three_times_as_many(tmp_path, write_study):
    study = write_study(tiny_study(seeds=[4, 2]))
    schedule, study_plan = prepare(str(study), 2000, None, None, until=True)
    assert (schedule.sizes, schedule.all_seeds) == ([2, 4, 6], [4, 2, 5, 6, 7, 8])
    assert study_plan.results_dir.endswith("tiny")


def test_a_resumed_sequence_must_have_the_settings_it_began_with(tmp_path):
    path = tmp_path / "sequence.json"
    began = Schedule((0, 1), 1, 3)
    study = study_from_dict(tiny_study(), "s.yaml")
    assert resume(path, began, study) == (1, False)
    write_json(path, state(began, 2))
    assert resume(path, began, study) == (2, False)
    with pytest.raises(BadInput, match="--max-seeds 4: .* began with --max-seeds 3"):
        resume(path, Schedule((0, 1), 1, 4), study)
    with pytest.raises(BadInput, match="--seed-batch 2: .* began with --seed-batch 1"):
        resume(path, Schedule((0, 1), 2, 3), study)
    with pytest.raises(BadInput, match=r"s.yaml: seeds: \[0, 2\]"):
        resume(path, Schedule((0, 2), 1, 3), study)
    write_json(path, state(began, 2, MAX_SEEDS))
    assert resume(path, began, study) == (2, True)
    path.write_text("{")
    with pytest.raises(BadInput, match="sequence.json: not a readable sequence state"):
        resume(path, began, study)


def test_a_study_edited_between_looks_is_refused_naming_each_key(tmp_path):
    path = tmp_path / "sequence.json"
    began = Schedule((0, 1), 1, 3)
    study = study_from_dict(tiny_study(), "s.yaml")
    write_json(path, state_file(began, 1, study))
    assert resume(path, began, study) == (1, False)
    edited = tiny_study(train=tiny_study()["train"] | {"steps": 30})
    edited["analysis"] = {"sesoi": {"fid": 0.1}}
    with pytest.raises(StudyChanged) as refused:
        resume(path, began, study_from_dict(edited, "s.yaml"))
    message = str(refused.value)
    assert message.startswith(f"s.yaml: the study differs from the one {path} was made with")
    assert "train.steps: results have 12, study 30" in message
    assert "analysis.sesoi.fid: results have no such key, study 0.1" in message
    described = study_from_dict(tiny_study(description="now with words"), "moved/s.yaml")
    assert resume(path, began, described) == (1, False)  # path and description change nothing


def _fake_rounds(monkeypatch, codes: list[int]) -> list[tuple]:
    """run_study faked: each round's (snakemake args, max runs, seeds) and its exit code."""
    rounds: list[tuple] = []

    def run_study(study, snakemake_args, max_runs, progress_every, seeds):
        rounds.append((snakemake_args, max_runs, seeds))
        return codes[len(rounds) - 1]

    monkeypatch.setattr(runner, "run_study", run_study)
    return rounds


@pytest.mark.parametrize("code", [0, 1])
def test_a_fixed_seed_study_is_one_round_with_its_own_seeds_and_no_state(
    tmp_path, write_study, monkeypatch, capsys, code
):
    """Without --until-decided the study is a schedule of one look: one round, whatever
    Snakemake returns, with the study's own seeds (no override), no sequence.json, and no
    word about looks; a dry run is that same round."""
    monkeypatch.chdir(tmp_path)
    study = write_study(tiny_study(seeds=[3, 1]))
    schedule, _ = prepare(str(study), DEFAULT_MAX_RUNS, None, None, until=False)
    assert (schedule.sizes, schedule.seeds(1), schedule.shares) == ([2], [3, 1], [1.0])
    rounds = _fake_rounds(monkeypatch, [code, 0])
    assert _run(study, "--cores", "1") == code
    assert _run(study, "-n") == 0
    assert rounds == [(["--cores", "1"], DEFAULT_MAX_RUNS, None), (["-n"], DEFAULT_MAX_RUNS, None)]
    assert capsys.readouterr().out == ""
    assert not (tmp_path / "results").exists()


def test_until_decided_runs_each_looks_seeds_through_the_same_loop_and_says_why_it_stopped(
    tmp_path, write_study, monkeypatch
):
    """Snakemake and the analysis faked: look 1 decides nothing, look 2 stops at the most
    seeds; each round gets its look's seeds, sequence.json records the look before its round
    and the stop after it, and each look's line is printed."""
    monkeypatch.chdir(tmp_path)
    study = write_study(tiny_study(seeds=[0, 1]))
    state_path = tmp_path / "results" / "tiny" / "sequence.json"
    planned = []

    def read_looks(folder):
        planned.append(len(json.loads(folder.sequence.read_text())["looks"]))
        looks = [LookRecord(j, list(range(j + 1)), 4 * (j + 1), 0.5, []) for j in (1, 2)]
        stop = MAX_SEEDS if len(planned) == 2 else None
        return Looks([2, 3], "obrien_fleming", looks[: len(planned)], stop, ["g_output = sigmoid"])

    monkeypatch.setattr(sequence, "read_looks", read_looks)
    rounds = _fake_rounds(monkeypatch, [0, 0])
    said = io.StringIO()
    code = sequence.run_looks(str(study), [], True, batch=1, max_seeds=3, out=said)
    assert code == 0 and planned == [1, 2]
    assert [seeds for _, _, seeds in rounds] == [[0, 1], [0, 1, 2]]
    assert json.loads(state_path.read_text())["stopped"] == MAX_SEEDS
    text = said.getvalue()
    assert "until decided: seeds per cell 2 -> 3" in text and "starting with look 1" in text
    assert "adding 1 seeds per cell for look 2" in text
    assert "look 2 of at most 2: 3 seeds per cell, 12 runs" in text
    assert f"stopped after look 2: {MAX_SEEDS}; undecided: g_output = sigmoid" in text


def test_a_dry_run_writes_no_state(tmp_path, write_study, monkeypatch):
    monkeypatch.chdir(tmp_path)
    study = write_study(tiny_study(seeds=[0, 1]))
    assert _run(study, "--until-decided", "-n", "--quiet") == 0
    assert not (tmp_path / "results" / "tiny" / "sequence.json").exists()


# --------------------------------------------------------------------------- real pipeline


def _sequential_study(tmp_path: Path) -> Path:
    """Two seeds of the tiny study, whose claim stays undecided: no decided difference in
    12 steps, and a SESOI too small for "no practical effect"."""
    raw = tiny_study(seeds=[0, 1], analysis={"sesoi": {"fid": 1e-6}})
    study = tmp_path / "tiny.yaml"
    study.write_text(yaml.safe_dump(raw, sort_keys=False))
    return study


def _command(study: Path, workdir: Path) -> list[str]:
    return [sys.executable, "-m", "gan_bench", "run", str(study), "--until-decided",
            "--max-seeds", "3", "--seed-batch", "1", "--directory", str(workdir),
            "--cores", "2", "--quiet"]  # fmt: skip


def _env() -> dict[str, str]:
    return os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def _check_finished(out: Path, study: Path, text: str) -> None:
    """Two looks (2 then 3 seeds per cell), stopped at the most seeds; the report says so."""
    recorded = json.loads((out / "sequence.json").read_text())
    assert [look["seeds"] for look in recorded["looks"]] == [[0, 1], [0, 1, 2]]
    assert recorded["stopped"] == MAX_SEEDS
    assert yaml.safe_load(study.read_text())["seeds"] == [0, 1]  # never rewritten
    assert yaml.safe_load((out / "study.yaml").read_text())["seeds"] == [0, 1, 2]
    summary = (out / "summary.csv").read_text().splitlines()
    assert len(summary) == 1 + 2 * 3
    report = (out / "report.html").read_text()
    assert 'data-table="looks"' in report and "Stopped after look 2: " + MAX_SEEDS in report
    assert "(look 2 of 2)" in report and "union bound" in report
    assert "look 2 of at most 2: 3 seeds per cell, 6 runs" in text
    assert f"stopped after look 2: {MAX_SEEDS}; undecided: g_output = sigmoid" in text


@pytest.mark.slow
def test_until_decided_adds_seeds_and_a_kill_between_rounds_resumes(tmp_path):
    """Look 1 (2 seeds per cell) leaves the claim undecided, so look 2 adds a seed per cell;
    the command is killed once look 2 is planned, and the same command finishes the
    sequence (stopped at the most seeds) without running look 1 again nor retraining its
    runs. One pipeline for both: a sequence run straight through is this one unkilled."""
    study = _sequential_study(tmp_path)
    out = tmp_path / "results" / "tiny"
    command = _command(study, tmp_path)
    said = tmp_path / "first.out"
    with said.open("w") as stdout:
        process = subprocess.Popen(command, cwd=tmp_path, env=_env(), start_new_session=True,
                                   stdout=stdout, stderr=subprocess.DEVNULL)  # fmt: skip

        def second_look_planned() -> bool:
            try:
                return len(json.loads((out / "sequence.json").read_text())["looks"]) == 2
            except (OSError, ValueError):
                return False

        sigkill_group_when(process, second_look_planned, timeout=300)
    first_said = said.read_text()
    assert "look 1 of at most 2: 2 seeds per cell, 4 runs" in first_said
    assert "adding 1 seeds per cell for look 2" in first_said
    first = sorted(out.glob("runs/*/seed-[01]/run.json"))
    assert len(first) == 4
    stamps = {path: path.stat().st_mtime_ns for path in first}
    done = subprocess.run(command, capture_output=True, text=True, env=_env(), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "resuming at look 2" in done.stdout
    assert "look 1 of" not in done.stdout  # look 1 is not run again
    assert {path: path.stat().st_mtime_ns for path in first} == stamps  # nor retrained
    _check_finished(out, study, done.stdout)
