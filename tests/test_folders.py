"""The results layout is spelled once (gan_bench/folders.py): its file names are a contract,
the Snakefile's wildcard patterns are its paths, and no other module spells a name again."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

from conftest import ABLATIONS, REPO

from gan_bench.folders import CampaignFolder, StudyFolder
from gan_bench.resources import SNAKEFILE
from gan_bench.study.plan import plan

RUN_FILES = {
    "config": "config.json",
    "log": "log.jsonl",
    "checkpoint": "checkpoint.pt",
    "previous_checkpoint": "checkpoint.prev.pt",
    "generator": "generator.pt",
    "samples": "samples.png",
    "run": "run.json",
    "scores": "scores.json",
    "code_diff": "code.diff",
}
STUDY_FILES = {
    "study": "study.yaml",
    "design": "design.json",
    "summary": "summary.csv",
    "metrics": "metrics.json",
    "evaluator": "evaluator.json",
    "report": "report.html",
    "code_diff": "code.diff",
    "runs": "runs",
    "tables": "tables",
    "figures": "figures",
    "logs": "logs",
    "benchmarks": "benchmarks",
}


CAMPAIGN_FILES = {
    "campaign": "campaign.yaml",
    "transfer_csv": "transfer.csv",
    "transfer_members": "transfer_members.csv",
    "transfer_json": "transfer.json",
    "report": "report.html",
    "tables": "tables",
    "figures": "figures",
    "logs": "logs",
    "benchmarks": "benchmarks",
}


def test_run_folder_file_names_are_the_contract():
    run = StudyFolder(Path("results/s")).run("cell-a", 3)
    assert run.root == Path("results/s/runs/cell-a/seed-3")
    assert {key: getattr(run, key).name for key in RUN_FILES} == RUN_FILES
    assert all(getattr(run, key).parent == run.root for key in RUN_FILES)


def test_study_folder_file_names_are_the_contract():
    folder = StudyFolder.of("s")
    assert folder.root == Path("results/s")
    assert {key: getattr(folder, key).name for key in STUDY_FILES} == STUDY_FILES
    assert folder.train_log("c", 1) == Path("results/s/logs/train/c/seed-1.log")
    assert folder.train_benchmark("c", 1) == Path("results/s/benchmarks/train/c/seed-1.tsv")
    assert folder.job_log("report") == Path("results/s/logs/report.log")
    assert folder.job_benchmark("aggregate") == Path("results/s/benchmarks/aggregate.tsv")


def test_wildcards_as_cell_and_seed_give_snakemakes_patterns():
    pattern = StudyFolder.of("s").run("{cell}", "{seed}")
    assert str(pattern.run) == "results/s/runs/{cell}/seed-{seed}/run.json"
    assert str(pattern.scores) == "results/s/runs/{cell}/seed-{seed}/scores.json"


def test_a_plan_lands_its_runs_in_the_study_folder():
    study_plan = plan(ABLATIONS / "smoke.yaml", results_root="elsewhere")
    assert study_plan.folder == StudyFolder(Path("elsewhere/smoke"))
    assert [run.root for run in study_plan.run_folders] == [
        Path("elsewhere/smoke/runs") / cell / f"seed-{seed}" for cell, seed in study_plan.runs
    ]
    assert study_plan.run_dir("c", 2) == "elsewhere/smoke/runs/c/seed-2"


def _string_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal; an f-string as its source text."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
        if token.type == tokenize.STRING:
            try:
                value = ast.literal_eval(token.string)
            except (ValueError, SyntaxError):
                value = token.string  # an f-string
            if isinstance(value, str):
                found.append((token.start[0], value))
    return found


def test_no_other_module_spells_the_layout():
    """File names of the contract and the runs/<cell>/seed-<S> path appear as string
    literals only in gan_bench/folders.py (samples.png aside: also a figure's name)."""
    names = {*RUN_FILES.values(), *STUDY_FILES.values(), *CAMPAIGN_FILES.values()}
    names -= {"samples.png"}
    names -= {"runs", "tables", "figures", "logs", "benchmarks"}  # words, not only folders
    sources = [*sorted((REPO / "gan_bench").rglob("*.py")), SNAKEFILE]
    spelled = [
        f"{path.relative_to(REPO)}:{line}: {text!r}"
        for path in sources
        if path.name != "folders.py"
        for line, text in _string_literals(path)
        if text in names
        or any(f"/{name}" in text for name in names)
        or "seed-" in text.replace("--seed-batch", "")  # a flag of `gan-bench run`
        or "runs/" in text
    ]
    assert spelled == []


def test_campaign_folder_file_names_are_the_contract():
    """results/<campaign>/: its own files, and one ordinary study folder per member."""
    folder = CampaignFolder.of("c")
    assert folder.root == Path("results/c")
    assert {key: getattr(folder, key).name for key in CAMPAIGN_FILES} == CAMPAIGN_FILES
    assert folder.member("digits") == StudyFolder(Path("results/c/digits"))
    assert folder.job_log("transfer") == Path("results/c/logs/transfer.log")
    assert folder.job_benchmark("transfer") == Path("results/c/benchmarks/transfer.tsv")
    assert folder.job_log("report") == Path("results/c/logs/report.log")
    assert set(folder.entries) == set(CAMPAIGN_FILES.values())
    assert folder.forest("fid-g_output") == Path("results/c/figures/forest-fid-g_output.png")
    assert folder.report_tables == [
        Path("results/c/tables") / f"{stem}{suffix}"
        for stem in ("transfer", "verdict_grid")
        for suffix in (".md", ".tex", ".html")
    ]
