"""Shared by the report tests: a synthetic 2x2 study's results folder (summary.csv,
metrics.json, study.yaml, design.json, run folders), the report built on it once, two
judged campaigns (planted, and the published studies as members), and parsers for the
tables the reports write."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, planted_campaign, study_of, write_planted_members
from PIL import Image
from scipy import stats

from gan_bench.analysis.stage import run_analysis
from gan_bench.analysis.summary import write_summary
from gan_bench.analysis.transfer_table import run_transfer
from gan_bench.folders import CampaignFolder, StudyFolder
from gan_bench.report.build import ReportFiles, build_report
from gan_bench.score.registry import column, stroke_key
from gan_bench.study.campaign_file import CampaignSpec
from gan_bench.study.design import cell_id
from gan_bench.study.record import read_study_record, write_study_record

FACTORS = {"g_output": ["tanh", "sigmoid"], "latent": ["normal", "uniform"]}
COLUMNS = {c.name: c for c in (column("fid", "cnn", 2000), column("checkerboard", "pixel", 2000))}
METRICS = list(COLUMNS)  # fid_cnn_2k, checkerboard_pixel_2k
TRAINING = {  # write_results describes them where a summary has them
    key: column(key, "training", None) for key in ("d_overfit", "d_balance", "overfit_pattern")
}
D_OVERFIT = TRAINING["d_overfit"]
STROKES = {  # InfoGAN's stroke correlations, described where a summary has them
    c.name: c
    for c in (
        column(stroke_key(m, k), "pixel", 2000) for m in ("slant", "thickness") for k in (1, 2)
    )
}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def synthetic_summary(seeds: int = 3, metrics: list[str] = METRICS) -> pd.DataFrame:
    """A 2x2 study: sigmoid +10 FID, seed noise, one diverged run."""
    rng = np.random.default_rng(7)
    rows = []
    for g_output in FACTORS["g_output"]:
        for latent in FACTORS["latent"]:
            levels = {"g_output": g_output, "latent": latent}
            for seed in range(seeds):
                diverged = (g_output, latent, seed) == ("sigmoid", "uniform", 2)
                values = {
                    "fid_cnn_2k": 30 + 10 * (g_output == "sigmoid") + rng.normal(0, 2),
                    "checkerboard_pixel_2k": rng.normal(0.1, 0.05),
                }
                rows.append(
                    {"cell": cell_id(levels), **levels, "seed": seed}
                    | {"status": "diverged" if diverged else "completed", "step": 60}
                    | {"seconds": 2.0, "images_per_second": 100.0}
                    | {m: np.nan if diverged else values[m] for m in metrics}
                )
    return pd.DataFrame(rows)


def write_results(results: Path, summary: pd.DataFrame, **study: object) -> Path:
    """summary.csv and metrics.json with study.yaml and design.json beside them, as
    `gan-bench aggregate` leaves a results folder (a 2x2 study of FACTORS unless `study` says
    otherwise)."""
    results.mkdir(parents=True, exist_ok=True)
    described = [*COLUMNS.values(), *TRAINING.values(), *STROKES.values()]
    columns = [c for c in described if c.name in summary.columns]
    write_summary(summary, results / "summary.csv", columns)
    factors = study.pop("factors", FACTORS)
    write_study_record(study_of(factors, name="synthetic", **study), StudyFolder(results))
    return results


def write_run_folders(results: Path, summary: pd.DataFrame) -> None:
    """config.json, run.json, log.jsonl and samples.png for every row, as training leaves them."""
    rng = np.random.default_rng(0)
    for row in summary.itertuples(index=False):
        folder = results / "runs" / row.cell / f"seed-{row.seed}"
        folder.mkdir(parents=True)
        config = {
            "study": "synthetic",
            "cell": row.cell,
            "seed": row.seed,
            "dataset": {"name": "digits", "image_size": 16},
            "train": {"steps": 60},
            "tricks": {"g_output": row.g_output},
        }
        (folder / "config.json").write_text(json.dumps(config))
        run = {
            "status": row.status,
            "step": row.step,
            "seconds": 2.0,
            "device": "cpu",
            "device_name": "cpu:test",
            "threads": 1,
            "host": "testhost",
            "versions": {"torch": "x"},
            "git_commit": "abc123",
        }
        (folder / "run.json").write_text(json.dumps(run))
        log = [
            {
                "step": s,
                "d_loss": 1.3 - s / 100,
                "g_loss": 0.7 + rng.normal(0, 0.05),
                "d_real": 0.5 + s / 200,
                "d_fake": 0.5 - s / 300,
                "seconds": s / 30,
            }
            for s in range(10, 61, 10)
        ]
        (folder / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in log))
        grid = (rng.random((34, 34)) * 255).astype("uint8")
        Image.fromarray(grid).save(folder / "samples.png")


def analyse_and_report(results: Path) -> ReportFiles:
    """What the Snakefile's analyse and report jobs do: analysis.json, then the report."""
    run_analysis(StudyFolder(Path(results)))
    return build_report(results)


def built_report(tmp_path_factory) -> Path:
    """The synthetic study's results folder with run folders, reported on (each test
    module's `report` fixture: built once per module)."""
    results = tmp_path_factory.mktemp("results") / "synthetic"
    summary = synthetic_summary()
    write_results(results, summary)
    write_run_folders(results, summary)
    analyse_and_report(results)
    return results


# --------------------------------------------------------------------------- campaigns


def judged_campaign(root: Path) -> CampaignFolder:
    """A three-member planted campaign (sigmoid x1.3 FID on each member), analysed and
    judged, as the Snakefile's jobs leave it before the campaign's report."""
    spec = planted_campaign()
    write_planted_members(spec, root)
    run_transfer(spec, root)
    return spec.folder(root)


PUBLISHED = ("default", "mnist_t10k")  # the committed studies a published campaign is made of
PUBLISHED_FILES = ("summary", "study", "design", "metrics", "analysis", "sequence", "report")


def published_campaign(root: Path) -> CampaignFolder:
    """The committed results/default and results/mnist_t10k as the two members of a campaign
    `pub`, as published (what aggregate, analyse and report wrote; no runs/), judged."""
    members = {}
    for name in PUBLISHED:
        source, target = StudyFolder(REPO / "results" / name), StudyFolder(root / "pub" / name)
        target.root.mkdir(parents=True)
        for attribute in (
            "summary",
            "study",
            "design",
            "metrics",
            "analysis",
            "sequence",
            "report",
        ):
            if getattr(source, attribute).is_file():
                shutil.copy(getattr(source, attribute), getattr(target, attribute))
        members[name], _ = read_study_record(target)
    spec = CampaignSpec("published.yaml", "pub", "The published studies as a campaign.", members)
    run_transfer(spec, root)
    return spec.folder(root)


# --------------------------------------------------------------------------- table parsing

NUMBER = re.compile(r"(-?\d+\.?\d*) ± (n/a|\d+\.?\d*)")


def expected_cells(summary_csv: Path) -> dict[tuple[str, str], tuple[float, float, int]]:
    """(cell, metric) -> (mean, 95% half-width, completed runs), straight from summary.csv."""
    frame = pd.read_csv(summary_csv)
    frame = frame[frame["status"] == "completed"]
    found = {}
    for cell, group in frame.groupby("cell"):
        for metric in METRICS:
            values = group[metric].dropna().to_numpy()
            half = stats.sem(values) * stats.t.ppf(0.975, len(values) - 1)
            found[(str(cell), metric)] = (values.mean(), half, len(values))
    return found


def check_row_numbers(texts: list[str], cell: str, expected: dict, decimals: list[int]) -> None:
    for text, metric, places in zip(texts, METRICS, decimals, strict=True):
        match = NUMBER.search(text)
        assert match, text
        mean, half, _ = expected[(cell, metric)]
        assert float(match.group(1)) == pytest.approx(mean, abs=0.51 * 10**-places)
        assert float(match.group(2)) == pytest.approx(half, abs=0.51 * 10**-places)


def decimals_of(texts: list[str]) -> list[int]:
    return [len(NUMBER.search(t).group(1).partition(".")[2]) for t in texts]


class TableParser(HTMLParser):
    """Rows of every <table> as lists of cell texts, and images' attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.table_ids: list[str | None] = []
        self.images: list[dict[str, str | None]] = []
        self.body: dict[str, str | None] = {}
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table":
            self.tables.append([])
            self.table_ids.append(attributes.get("data-table"))
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(attributes)
        elif tag == "body":
            self.body = attributes

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse_html(text: str) -> TableParser:
    parser = TableParser()
    parser.feed(text)
    return parser


# --------------------------------------------------------------------------- outputs
