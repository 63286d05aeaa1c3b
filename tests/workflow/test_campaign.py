"""`gan-bench run CAMPAIGN`: every member through one Snakemake, the plan and cost printed
for the whole campaign first; killed once mid-run, the same command completes it."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from conftest import sigkill_group_when, tiny_study, write_idx

from gan_bench.analysis.common_scale import read_member
from gan_bench.analysis.preflight import checked_campaign
from gan_bench.analysis.stage import read_analysis, read_study_data
from gan_bench.folders import CampaignFolder
from gan_bench.workflow import campaign as campaign_module
from gan_bench.workflow.campaign import announce_campaign, cells_listing, member_text
from gan_bench.workflow.estimate import Estimate, StepTiming


def write_campaign(folder: Path, seeds: list[int], **train) -> Path:
    """Digits (embedded) and an IDX set written here: the digits' images inverted, a dataset
    the domain classifier learns as well (so its evaluator passes) that is not digits."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = 255 - torch.tensor(digits.images * 16).clamp(0, 255).to(torch.uint8)
    write_idx(folder / "images.idx", images, compress=False)
    write_idx(folder / "labels.idx", torch.tensor(digits.target), compress=False)
    shared = {key: value for key, value in tiny_study(seeds=seeds).items() if key != "name"}
    shared["train"] |= train
    inverted = {"name": "idx", "images": "images.idx", "labels": "labels.idx", "image_size": 16}
    members = [{"name": "digits"}, {"name": "inverted", "dataset": inverted}]
    path = folder / "c.yaml"
    path.write_text(yaml.safe_dump({"campaign": "tc", "study": shared, "members": members}))
    return path


def fake_estimate(plan, to_train, cores, workdir) -> Estimate:
    timing = StepTiming(to_train[0][0], 10, 0.01)
    seconds = dict.fromkeys(to_train, 30.0)
    return Estimate(60.0, cores, seconds, (timing,), 6.0, False)


def test_the_plan_and_its_cost_are_printed_for_the_whole_campaign(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec, plans = checked_campaign(str(write_campaign(tmp_path, [0, 1])))
    out = io.StringIO()
    assert announce_campaign(spec, plans, tmp_path, ["-n", "--cores", "2"], out) is None
    text = out.getvalue()
    assert "campaign tc: 2 members, 8 runs; 0 done already, 8 to train" in text
    assert "member inverted (idx images.idx 16x16, 12 steps): 2 cells x 2 seeds = 4 runs" in text
    assert f"results land in {tmp_path.resolve() / 'results' / 'tc'}/" in text
    assert "no estimate (dry run)" in text
    monkeypatch.setattr(campaign_module, "estimate_study", fake_estimate)
    out = io.StringIO()
    wall, weights = announce_campaign(spec, plans, tmp_path, ["--cores", "2"], out)
    text = out.getvalue()
    assert wall == 4 * 30 + 2 * 20  # 8 runs of 30 s on 2 cores, 20 s per member's own jobs
    assert [set(w) for w in weights] == [set(plan.runs) for plan in plans.values()]
    assert "member digits: about 1 min alone" in text and "about 3 min on 2 cores" in text


def test_cells_and_member_text_describe_each_member(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_campaign(tmp_path, [0])
    text = cells_listing(str(path), "table")
    assert text.splitlines()[0] == "campaign tc: 2 members, 4 runs"
    assert "results/tc/inverted/" in text
    spec, _ = checked_campaign(str(path))
    assert member_text(spec.members["digits"]) == "digits 16x16, 12 steps"


def test_a_dry_run_prints_the_campaigns_plan_then_snakemakes_and_writes_nothing(tmp_path):
    path = write_campaign(tmp_path, [0, 1])
    command = [sys.executable, "-m", "gan_bench", "run", str(path), "-n", "--cores", "2"]
    done = subprocess.run(command, cwd=tmp_path, env=_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "gan-bench: campaign tc: 2 members, 8 runs; 0 done already, 8 to train"
    assert lines[1].startswith("gan-bench:   member digits (digits 16x16, 12 steps): 2 cells")
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)\s*$", done.stdout, flags=re.MULTILINE))
    assert jobs["train"] == "8" and jobs["transfer"] == "1" and jobs["campaign_report"] == "1"
    assert not (tmp_path / "results").exists()


def _env() -> dict[str, str]:
    return os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


@pytest.mark.slow
def test_a_campaign_killed_mid_run_completes_on_rerun(tmp_path):
    """Two members (embedded digits, an IDX set written here), 2 cells x 1 seed each; the
    command is killed once a run has finished, and the same command completes the
    campaign: each member's report, a transfer table of every confirmatory claim, and the
    campaign's report (a forest plot per claim, the verdict grid of the members' own
    words)."""
    path = write_campaign(tmp_path, [0])
    out = tmp_path / "results" / "tc"
    command = [sys.executable, "-m", "gan_bench", "run", str(path), "--cores", "2"]
    process = subprocess.Popen(command, cwd=tmp_path, env=_env(), start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    sigkill_group_when(process, lambda: any(out.glob("*/runs/*/seed-0/run.json")), timeout=300)
    assert not (out / "transfer.csv").exists()
    done = subprocess.run(command, cwd=tmp_path, env=_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "campaign tc: 2 members, 4 runs; " in done.stdout
    for member in ("digits", "inverted"):
        assert (out / member / "report.html").stat().st_size > 10_000
        rows = list(csv.DictReader((out / member / "summary.csv").open()))
        assert {row["status"] for row in rows} == {"completed"} and len(rows) == 2
    claims = read_member(out / "digits").claims
    table = list(csv.DictReader((out / "transfer.csv").open()))
    assert [(r["metric"], r["factor"], r["level"]) for r in table] == [c[:3] for c in claims]
    # one seed per cell leaves each member's effect without an SE (k = 0, inconclusive): the
    # statistics are tests/analysis/test_transfer_table.py's, this is the pipeline's
    assert all(
        row["members"].startswith("digits ") and "; inverted " in row["members"] for row in table
    )
    assert (out / "campaign.yaml").is_file() and (out / "transfer.json").is_file()
    _check_campaign_report(CampaignFolder(out), claims)


def _check_campaign_report(folder: CampaignFolder, claims: list) -> None:
    """The campaign's report as the killed-and-rerun campaign left it: a forest plot per
    claim, the verdict grid naming both members, each with its own analysis.json's word."""
    assert folder.report.stat().st_size > 10_000
    assert sorted(p.name for p in folder.figures.glob("forest-*.png")) == sorted(
        f"forest-fid-{factor}-{level}-vs-{baseline}.png" for _, factor, level, baseline in claims
    )
    assert all(path.is_file() for path in folder.report_tables)
    grid = _markdown_rows(folder.verdict_grid.with_suffix(".md"))
    assert grid[0] == ["claim", "digits", "inverted", "transfer verdict"]
    for column, member in enumerate(("digits", "inverted"), start=1):
        analysis, _ = read_analysis(read_study_data(folder.member(member)))
        own = analysis.claims[analysis.claims["confirmatory"]]
        words = {
            f"{r.factor}: {r.level} vs {r.baseline} (fid)": r.verdict for r in own.itertuples()
        }
        assert {row[0]: row[column] for row in grid[1:]} == words
    assert 'href="digits/report.html"' in folder.report.read_text()


def _markdown_rows(path: Path) -> list[list[str]]:
    """A Markdown table's rows as cell texts: the header, then the body (no rule line)."""
    lines = [line for line in path.read_text().splitlines() if line.startswith("|")]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return [row for i, row in enumerate(rows) if i != 1]
