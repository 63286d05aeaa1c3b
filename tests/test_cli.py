"""The `gan-bench` command line: the cells listing and bad input (exit 2, key named, nothing
written)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys

import pytest
import torch
import yaml
from conftest import (
    ABLATIONS,
    REPO,
    planted_campaign,
    tiny_study,
    write_image_folder,
    write_planted_members,
)

from gan_bench.cli import main
from gan_bench.resources import builtin_studies


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process; argparse's own errors (SystemExit) count as exit codes."""
    try:
        code = main(list(argv))
    except SystemExit as exit_info:
        code = exit_info.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_default_study_lists_32_cells_with_stable_ids(capsys):
    code, out, _ = run_cli(capsys, "cells", str(ABLATIONS / "default.yaml"), "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 32 and len({row["id"] for row in rows}) == 32
    assert rows[0] == {
        "id": "g_output-tanh__latent-normal__d_downsample-strided__d_activation-leaky_relu"
        "__kernel_size-4",
        "g_output": "tanh",
        "latent": "normal",
        "d_downsample": "strided",
        "d_activation": "leaky_relu",
        "kernel_size": 4,
    }
    _, again, _ = run_cli(capsys, "cells", str(ABLATIONS / "default.yaml"), "--format", "json")
    assert again == out


def test_cells_csv_has_id_first_and_one_row_per_cell(capsys):
    code, out, _ = run_cli(capsys, "cells", str(ABLATIONS / "default.yaml"), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 32
    assert list(rows[0])[0] == "id"


def test_table_format_names_the_cell_count(capsys):
    code, out, _ = run_cli(capsys, "cells", str(ABLATIONS / "smoke.yaml"))
    assert code == 0 and "(2 cells)" in out and "g_output-sigmoid" in out


def test_aggregate_writes_the_study_and_its_typed_design_then_report_reads_them(
    capsys, tmp_path, write_study, monkeypatch
):
    from gan_bench.study.plan import plan
    from gan_bench.study.study_file import load_study

    study_path = write_study(tiny_study(seeds=[0, 1], factors={"kernel_size": [4, 3]}))
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "aggregate", str(study_path))
    assert code == 2 and "4 runs have not finished" in err
    for index, run in enumerate(plan(study_path).run_folders):
        cell, seed = run.root.parent.name, int(run.root.name.removeprefix("seed-"))
        run.root.mkdir(parents=True)
        tricks = {"kernel_size": 3 if "kernel_size-3" in cell else 4}
        run.config.write_text(json.dumps({"cell": cell, "seed": seed, "tricks": tricks}))
        run.run.write_text(json.dumps({"status": "completed", "step": 12, "seconds": 1.0}))
        info = {"fid_cnn_2k": {"metric": "fid", "extractor": "cnn", "samples": 2000}}
        scores = {"metrics": {"fid_cnn_2k": 20.0 + index}, "metric_info": info}
        run.scores.write_text(json.dumps(scores))
    code, out, _ = run_cli(capsys, "aggregate", str(study_path))
    results = tmp_path / "results" / "tiny"
    assert code == 0 and "summary.csv: 4 runs; study.yaml, design.json" in out
    again = load_study(results / "study.yaml")
    assert again.factors == {"kernel_size": [4, 3]} and again.train["lr"] == 2.0e-4
    design = json.loads((results / "design.json").read_text())
    assert design["factors"] == {"kernel_size": [4, 3]}
    assert [cell["levels"]["kernel_size"] for cell in design["cells"]] == [4, 3]
    code, out, _ = run_cli(capsys, "analyse", str(results))
    assert code == 0 and (results / "analysis.json").is_file()
    code, out, _ = run_cli(capsys, "report", str(results))
    assert code == 0 and (results / "report.html").is_file()
    assert "factor kernel_size</dt><dd>4 (baseline), 3" in (results / "report.html").read_text()


def test_report_takes_a_campaigns_folder_or_file_too(capsys, tmp_path, monkeypatch):
    from gan_bench.analysis.transfer_table import run_transfer

    monkeypatch.chdir(tmp_path)
    spec = planted_campaign(sizes=(16, 32))
    code, _, err = run_cli(capsys, "report", str(spec.folder().root))  # nothing there yet
    assert code == 2 and "results/tc/summary.csv: not found" in err  # taken for a study's
    write_planted_members(spec, tmp_path / "results")
    run_transfer(spec, tmp_path / "results")
    code, out, _ = run_cli(capsys, "report", "results/tc")
    assert code == 0 and out.startswith("results/tc/report.html: 6 tables, 2 figures")
    assert (
        tmp_path / "results" / "tc" / "figures" / "forest-fid-latent-uniform-vs-normal.png"
    ).is_file()
    campaign = tmp_path / "tc.yaml"
    campaign.write_text((tmp_path / "results" / "tc" / "campaign.yaml").read_text())
    code, out, _ = run_cli(capsys, "report", str(campaign))  # the file: its results folder
    assert code == 0 and out.startswith("results/tc/report.html: 6 tables, 2 figures")
    (tmp_path / "results" / "tc" / "transfer.json").unlink()
    code, _, err = run_cli(capsys, "report", str(campaign))
    assert code == 2 and "transfer.json: not found; run `gan-bench transfer CAMPAIGN` first" in err


def test_console_script_and_module_entry_point_work():
    for command in (
        [str(REPO / ".venv" / "bin" / "gan-bench")],
        [sys.executable, "-m", "gan_bench"],
    ):
        if not (
            command[0] == sys.executable or REPO.joinpath(".venv", "bin", "gan-bench").exists()
        ):
            continue
        result = subprocess.run(
            [*command, "cells", str(ABLATIONS / "smoke.yaml"), "--format", "json"],
            capture_output=True, text=True, cwd=REPO,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert len(json.loads(result.stdout)) == 2


def _idx_garbage(tmp_path):
    path = tmp_path / "garbage-idx.gz"
    path.write_bytes(gzip.compress(b"\x01\x02\x03\x04 not an idx file"))
    return str(path)


def _with(section: str, **values):
    study = tiny_study()
    study[section] = study[section] | values
    return study


# (study or None for the tiny study, extra CLI args, the key the message must name)
BAD_INPUTS = {
    "unknown top-level key": (tiny_study(colour="red"), [], "colour: unknown key"),
    "unknown key in a section": (_with("train", stepz=3), [], "train.stepz: unknown key"),
    "missing required key": ({k: v for k, v in tiny_study().items() if k != "seeds"}, [], "seeds"),
    "unknown trick": (tiny_study(factors={"spectral_norm": [True]}), [], "factors.spectral_norm"),
    "level not allowed": (
        tiny_study(factors={"g_output": ["tanh", "softmax"]}),
        [],
        "factors.g_output[1]",
    ),
    "numeric level out of range": (
        tiny_study(baseline={"d_dropout": 1.5}),
        [],
        "baseline.d_dropout",
    ),
    "label smoothing below one half": (
        tiny_study(baseline={"label_smoothing": 0.3}),
        [],
        "baseline.label_smoothing",
    ),
    "soft labels half or wider": (
        tiny_study(factors={"soft_labels": [0.3, 0.5]}),
        [],
        "factors.soft_labels[1]",
    ),
    "unknown instance noise schedule": (
        tiny_study(baseline={"instance_noise_schedule": "cosine"}),
        [],
        "baseline.instance_noise_schedule",
    ),
    "float for an integer trick": (
        tiny_study(factors={"g_steps": [1.5]}),
        [],
        "factors.g_steps[0]",
    ),
    "wrong type": (_with("train", steps="ten"), [], "train.steps"),
    "zero steps": (_with("train", steps=0), [], "train.steps"),
    "negative steps": (_with("train", steps=-5), [], "train.steps"),
    "non-positive learning rate": (_with("train", lr=0), [], "train.lr"),
    "empty seeds": (tiny_study(seeds=[]), [], "seeds"),
    "duplicate seeds": (tiny_study(seeds=[0, 1, 0]), [], "seeds"),
    "negative seed in study": (tiny_study(seeds=[-1]), [], "seeds[0]"),
    "unknown dataset": (_with("dataset", name="imagenet"), [], "dataset.name"),
    "missing idx file": (
        _with("dataset", name="idx", images="/nonexistent/x-idx3-ubyte.gz"),
        [],
        "dataset.images",
    ),
    "idx without images": (_with("dataset", name="idx"), [], "dataset.images"),
    "unsupported image size": (_with("dataset", image_size=28), [], "dataset.image_size"),
    "batch larger than the dataset": (_with("train", batch_size=5000), [], "train.batch_size"),
    "unknown design": (tiny_study(design="latin_square"), [], "design"),
    "cells design without cells": (tiny_study(design="cells", factors={}), [], "cells"),
    "factorial without factors": (tiny_study(factors={}), [], "factors"),
    "NaN learning rate": (_with("train", lr=float("nan")), [], "train.lr: must be a finite"),
    "infinite learning rate": (_with("train", lr=float("inf")), [], "train.lr: must be a finite"),
    "NaN held-out share": (
        _with("dataset", heldout_fraction=float("nan")),
        [],
        "dataset.heldout_fraction: must be a finite",
    ),
    "infinite trick level": (
        tiny_study(baseline={"instance_noise": float("inf")}),
        [],
        "baseline.instance_noise: must be a finite",
    ),
    "seed beyond numpy's seeding": (tiny_study(seeds=[99999999999999999999]), [], "seeds[0]"),
    "unknown cell id": (None, ["--cell", "g_output-purple"], "--cell"),
    "zero --steps": (None, ["--steps", "0"], "--steps"),
    "negative --seed": (None, ["--seed", "-3"], "--seed"),
    "--seed beyond numpy's seeding": (
        None,
        ["--seed", str(2**32)],
        "--seed: must be <= 4294967295",
    ),
    "unknown --device": (None, ["--device", "tpu"], "--device"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_exits_2_naming_the_key_and_writes_nothing(case, capsys, tmp_path, write_study):
    study, extra, key = BAD_INPUTS[case]
    study_path = write_study(study if study is not None else tiny_study())
    out = tmp_path / "run"
    args = {"--cell": "g_output-tanh", "--seed": "0", "--out": str(out)}
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        args[flag] = value
    argv = ["train", str(study_path)] + [item for pair in args.items() for item in pair]
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert key in err, err
    if not key.startswith("--"):  # study problems also name the file
        assert str(study_path) in err, err
    assert not out.exists()


def test_argument_errors_exit_with_code_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", str(ABLATIONS / "smoke.yaml"), "--cell", "x", "--seed", "-1", "--out", "o"])
    assert exit_info.value.code == 2
    assert "--seed" in capsys.readouterr().err


def test_missing_study_file_and_bad_yaml_exit_2(capsys, tmp_path):
    code, _, err = run_cli(capsys, "cells", str(tmp_path / "nope.yaml"))
    assert code == 2 and "nope.yaml" in err and "not found" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    code, _, err = run_cli(capsys, "cells", str(broken))
    assert code == 2 and "broken.yaml" in err and "yaml" in err


def test_garbage_idx_file_is_named(capsys, tmp_path, write_study):
    study = write_study(_with("dataset", name="idx", images=_idx_garbage(tmp_path)))
    code, _, err = run_cli(capsys, "cells", str(study))
    assert code == 2 and "dataset.images" in err and "IDX" in err


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_gpu_exits_2(capsys, tmp_path, write_study):
    study = write_study(tiny_study())
    out = tmp_path / "run"
    code, _, err = run_cli(
        capsys, "train", str(study), "--cell", "g_output-tanh", "--seed", "0",
        "--out", str(out), "--device", "cuda",
    )  # fmt: skip
    assert code == 2 and "--device" in err and not out.exists()


def test_train_cli_runs_and_reports(capsys, tmp_path, write_study):
    study = write_study(tiny_study())
    out = tmp_path / "run"
    code, stdout, _ = run_cli(
        capsys, "train", str(study), "--cell", "g_output-sigmoid", "--seed", "0",
        "--out", str(out), "--no-progress",
    )  # fmt: skip
    assert code == 0 and "completed" in stdout
    assert json.loads((out / "config.json").read_text())["tricks"]["g_output"] == "sigmoid"


def test_train_overrides_are_recorded_in_the_run_config(capsys, tmp_path, write_study):
    study = write_study(tiny_study())
    out = tmp_path / "run"
    code, _, _ = run_cli(
        capsys, "train", str(study), "--cell", "g_output-tanh", "--seed", "0", "--out", str(out),
        "--no-progress", "--steps", "4", "--precision", "bf16", "--no-channels-last",
    )  # fmt: skip
    train = json.loads((out / "config.json").read_text())["train"]
    assert code == 0
    assert (train["steps"], train["precision"], train["channels_last"]) == (4, "bf16", False)


def test_train_with_score_writes_the_scores_the_score_command_writes(capsys, tmp_path, write_study):
    study = write_study(tiny_study())
    out = tmp_path / "run"
    code, stdout, _ = run_cli(
        capsys, "train", str(study), "--cell", "g_output-tanh", "--seed", "0", "--out", str(out),
        "--no-progress", "--score",
    )  # fmt: skip
    assert code == 0 and "fid_cnn_64=" in stdout
    in_train = json.loads((out / "scores.json").read_text())
    code, _, _ = run_cli(capsys, "score", str(out))
    assert code == 0
    assert json.loads((out / "scores.json").read_text())["metrics"] == in_train["metrics"]


# --------------------------------------------------------------------------- gan-bench run


def test_run_over_the_run_limit_exits_2_before_snakemake_starts(capsys, tmp_path, write_study,
                                                               monkeypatch):  # fmt: skip
    study = write_study(tiny_study(seeds=[0, 1, 2]))  # 2 cells x 3 seeds
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "run", str(study), "--max-runs", "5", "-n")
    assert code == 2
    assert "2 cells x 3 seeds = 6 runs" in err and "--max-runs 6" in err
    assert not (tmp_path / ".snakemake").exists()  # nothing started, nothing written


def _flat_folder(tmp_path):
    from PIL import Image

    (tmp_path / "flat").mkdir()
    for index in range(60):
        Image.new("RGB", (8, 8), (index, 0, 0)).save(tmp_path / "flat" / f"{index}.png")
    return {"name": "folder", "path": str(tmp_path / "flat"), "image_size": 16}


@pytest.mark.parametrize(
    ("extractor", "flat", "said"),
    [
        ("inception", False, "'inception': Inception weights are not available (none on disk"),
        ("auto", True, "'auto' scores with the domain classifier where the dataset has labels"),
        ("domain", True, "'domain' trains a classifier on labelled data"),
    ],
)
def test_a_study_whose_extractor_cannot_be_had_exits_2_before_snakemake_starts(
    extractor, flat, said, capsys, tmp_path, write_study, monkeypatch
):
    """No Inception weights on disk (conftest's empty torch home) and no download (offline),
    or no labels: `cells` and `run` refuse it naming eval.extractor and the fix."""
    from gan_bench.score import weights

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(weights, "download_problem", lambda: "URLError: name not known")
    dataset = _flat_folder(tmp_path) if flat else tiny_study()["dataset"]
    study = write_study(
        tiny_study(dataset=dataset, eval={"num_samples": 64, "extractor": extractor})
    )
    for command in ("cells", "run"):
        code, _, err = run_cli(capsys, command, str(study))
        assert code == 2 and f"{study}: eval.extractor: {said}" in err, err
        assert weights.INCEPTION_ENV in err or "ImageFolder layout" in err
    assert not (tmp_path / ".snakemake").exists() and not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--max-runs", "7", "smoke", "-n"],
        ["run", "smoke", "--max-runs", "7", "-n"],
        ["run", "smoke", "-n", "--max-runs=7"],
    ],
)
def test_run_takes_max_runs_before_or_after_the_study(capsys, monkeypatch, argv):
    seen = {}

    def fake_run_study(study, snakemake_args, max_runs, progress_every, seeds):
        seen.update(study=study, snakemake_args=snakemake_args, max_runs=max_runs, seeds=seeds)
        return 0

    monkeypatch.setattr("gan_bench.workflow.run.run_study", fake_run_study)
    code, _, _ = run_cli(capsys, *argv)
    assert code == 0
    smoke = str(builtin_studies()["smoke"])  # a built-in name resolves to its packaged file
    assert seen == {"study": smoke, "snakemake_args": ["-n"], "max_runs": 7, "seeds": None}


def test_run_max_runs_must_be_a_positive_number(capsys, monkeypatch):
    monkeypatch.setattr("gan_bench.workflow.run.run_study", lambda *a, **k: 0)
    code, _, err = run_cli(capsys, "run", "smoke", "--max-runs", "many")
    assert code == 2 and "--max-runs" in err


# ----------------------------------------------------- built-in studies, studies and init


def test_studies_lists_every_built_in_study(capsys):
    from gan_bench.resources import builtin_studies

    code, out, _ = run_cli(capsys, "studies")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()[1:] if line.strip()]
    assert names[: len(builtin_studies())] == list(builtin_studies())
    assert "plumbing check" in out.lower()  # smoke's description line


def test_every_study_argument_takes_a_built_in_name(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an empty folder, as after `pip install`
    code, out, _ = run_cli(capsys, "cells", "smoke", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 2
    for argv in (
        ["cells", "nope"],
        ["train", "nope", "--cell", "x", "--seed", "0", "--out", "o"],
        ["evaluator", "nope", "--out", "e.json"],
        ["aggregate", "nope"],
        ["run", "nope"],
    ):
        code, _, err = run_cli(capsys, *argv)
        assert code == 2, argv
        assert "STUDY 'nope'" in err and "smoke" in err and "default" in err, err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_init_writes_a_study_that_cells_accepts(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "init", "my.yaml")
    assert code == 0 and "results/my/" in out
    code, out, _ = run_cli(capsys, "cells", "my.yaml")
    assert code == 0 and "(4 cells)" in out
    before = (tmp_path / "my.yaml").read_text()
    code, _, err = run_cli(capsys, "init", "my.yaml", "--name", "other")
    assert code == 2 and "my.yaml" in err and "exists" in err
    assert (tmp_path / "my.yaml").read_text() == before


def test_init_on_class_folders_says_it_scores_with_the_domain_extractor(capsys, tmp_path,
                                                                        monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    write_image_folder(tmp_path / "shapes", classes=3, per_class=30)
    code, out, _ = run_cli(capsys, "init", "my.yaml", "--images", "shapes")
    assert code == 0 and "3 class sub-folders" in out and "the domain extractor" in out
    code, out, _ = run_cli(capsys, "cells", "my.yaml")
    assert code == 0 and "(4 cells)" in out


def test_init_checks_its_data_options(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "init", "s.yaml", "--images", "missing")
    assert code == 2 and "--images" in err and "missing" in err
    code, _, err = run_cli(capsys, "init", "s.yaml", "--images", "a", "--idx", "b", "c")
    assert code == 2 and "not allowed with" in err
    code, _, err = run_cli(capsys, "init", "s.yaml", "--idx", "b")
    assert code == 2 and "--idx" in err
    assert list(tmp_path.iterdir()) == []


def test_a_reader_that_closes_stdout_ends_the_command_quietly(monkeypatch, capsys):
    """`gan-bench cells smoke | head -3`: no BrokenPipeError traceback, exit 141 (as SIGPIPE)."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    stdout = os.fdopen(write_end, "w")
    monkeypatch.setattr(sys, "stdout", stdout)
    try:
        assert main(["cells", "smoke"]) == 141
    finally:
        monkeypatch.undo()
        stdout.close()  # its fd now points at /dev/null: closing it cannot fail
    assert capsys.readouterr().err == ""


def test_cells_piped_into_a_closed_reader_prints_no_traceback():
    process = subprocess.Popen(
        [sys.executable, "-m", "gan_bench", "cells", "smoke"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    process.stdout.close()  # like `| head` that has read what it wanted
    err = process.stderr.read()
    process.wait()
    assert process.returncode == 141 and err == b""


# ----------------------------------------------------------------------------- campaigns


def _campaign_file(tmp_path, **member) -> str:
    """Two members of the tiny study (digits 16x16 and 32x32); `member` adds to the second."""
    shared = {key: value for key, value in tiny_study().items() if key != "name"}
    members = [
        {"name": "small"},
        {"name": "large", "dataset": {"name": "digits", "image_size": 32}},
    ]
    members[1] |= member
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"campaign": "tc", "study": shared, "members": members}))
    return str(path)


def test_studies_lists_the_built_in_campaigns_after_the_studies(capsys):
    from gan_bench.resources import builtin_campaigns

    code, out, _ = run_cli(capsys, "studies")
    campaigns = out.split("\ncampaign ")[1].splitlines()
    assert code == 0 and campaigns[0].split()[:3] == ["members", "runs", "description"]
    assert [line.split()[0] for line in campaigns[1:3]] == list(builtin_campaigns())


def test_cells_of_a_campaign_lists_its_members_and_their_cells(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "cells", _campaign_file(tmp_path))
    assert code == 0 and out.startswith("campaign tc: 2 members, 4 runs")
    assert "results/tc/large/" in out and "digits 32x32, 12 steps" in out and "(2 cells)" in out
    code, out, _ = run_cli(capsys, "cells", _campaign_file(tmp_path), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(row["member"], row["id"]) for row in rows][:2] == [
        ("small", "g_output-tanh"),
        ("small", "g_output-sigmoid"),
    ]
    assert len(rows) == 4


def test_a_bad_campaign_exits_2_naming_the_member_and_the_key(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _campaign_file(tmp_path, train={"steps": 0})
    for argv in (["cells", path], ["run", path, "-n"], ["transfer", path]):
        code, _, err = run_cli(capsys, *argv)
        assert code == 2, argv
        assert f"{path}: members[1].train.steps: 0 is less than the minimum of 1" in err, err
        assert "(member large)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]  # nothing written


def test_jobs_take_a_campaigns_member_by_name(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _campaign_file(tmp_path)
    train = ["train", path, "--cell", "g_output-tanh", "--seed", "0", "--out", "r"]
    code, _, err = run_cli(capsys, *train)
    assert code == 2 and "name a member with --member (small, large)" in err
    code, _, err = run_cli(capsys, *train, "--member", "medium")
    assert code == 2 and "no such member" in err
    code, _, err = run_cli(capsys, "aggregate", path, "--member", "large")
    assert code == 2 and "results/tc/large/runs/" in err  # its runs: in the campaign's folder
    code, _, err = run_cli(capsys, "aggregate", "smoke", "--member", "large")
    assert code == 2 and "only for a campaign file" in err


def test_run_of_a_campaign_refuses_until_decided(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "run", _campaign_file(tmp_path), "--until-decided")
    assert code == 2 and "--until-decided: not for a campaign" in err
