"""The report: tables carry summary.csv's numbers, LaTeX is booktabs, report.html stands
alone and renders in a real browser with every image loaded. (What it reads:
test_inputs.py; its sentences: test_prose.py.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import study_of
from PIL import Image
from scipy import stats

from gan_bench.analysis.analyse import analyse
from gan_bench.analysis.summary import write_summary
from gan_bench.cli import main
from gan_bench.folders import StudyFolder
from gan_bench.report import tables
from gan_bench.report.build import build_report
from gan_bench.score.registry import column
from gan_bench.study.design import cell_id, cells
from gan_bench.study.record import write_study_record

FACTORS = {"g_output": ["tanh", "sigmoid"], "latent": ["normal", "uniform"]}
COLUMNS = {c.name: c for c in (column("fid", "cnn", 2000), column("checkerboard", "pixel", 2000))}
METRICS = list(COLUMNS)  # fid_cnn_2k, checkerboard_pixel_2k
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
    columns = [COLUMNS[name] for name in COLUMNS if name in summary.columns]
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


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    results = tmp_path_factory.mktemp("results") / "synthetic"
    summary = synthetic_summary()
    write_results(results, summary)
    write_run_folders(results, summary)
    build_report(results)
    return results


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


def test_report_writes_tables_figures_and_one_self_contained_page(report):
    for name in ("ablation.md", "ablation.tex", "ablation.html", "effects.csv", "claims.csv"):
        assert (report / "tables" / name).stat().st_size > 0, name
    figures = {p.name for p in (report / "figures").glob("*.png")}
    assert {
        "effects.png",
        "samples.png",
        "cells_fid_cnn_2k.png",
        "curves_g_output.png",
        "interactions_fid_cnn_2k.png",
        "interactions.png",
    } <= figures
    html = (report / "report.html").read_text(encoding="utf-8")
    page = parse_html(html)
    assert len(page.images) == len(figures)  # every figure is in the page
    assert all(img["src"].startswith("data:image/png;base64,") for img in page.images)
    assert not re.search(r"""(src|href)=["']?(https?:|file:|//)""", html)  # nothing external
    for section in (
        "Claim vs evidence",
        "Effects",
        "Ablation table",
        "ANOVA",
        "Training curves",
        "Samples",
        "Divergences",
        "Methods",
    ):
        assert f">{section}" in html, section
    assert "Diverged runs are excluded from every metric statistic" in html


def test_effects_csv_has_a_row_per_metric_and_level(report):
    effects = pd.read_csv(report / "tables" / "effects.csv")
    assert len(effects) == len(METRICS) * 2
    assert {"estimate", "ci_low", "ci_high", "p", "p_holm", "note"} <= set(effects.columns)
    fid = effects[(effects.metric == "fid_cnn_2k") & (effects.factor == "g_output")].iloc[0]
    assert 0 < fid.ci_low < fid.estimate < fid.ci_high and fid.p_holm < 0.05  # +10 planted


def test_claims_in_the_report_give_verdict_and_seeds_needed(report):
    page = parse_html((report / "report.html").read_text(encoding="utf-8"))
    claims = page.tables[page.table_ids.index("claims")]
    header, rows = claims[0], {row[0]: row for row in claims[1:]}
    verdict, seeds = header.index("verdict"), header.index("seeds/cell for a decision")
    assert rows["g_output"][verdict] == "supported"
    assert rows["latent"][verdict] == "inconclusive"
    assert re.fullmatch(r"(\d+|> 1000) \(now [\d.]+\)", rows["latent"][seeds])


def test_markdown_table_carries_summary_csv_numbers(report):
    expected = expected_cells(report / "summary.csv")
    lines = (report / "tables" / "ablation.md").read_text(encoding="utf-8").splitlines()
    body = [line for line in lines[2:] if line.startswith("|")]
    assert len(body) == 4
    for line in body:
        cells = [c.strip() for c in line.strip("|").split("|")]
        cell = cell_id({"g_output": cells[0], "latent": cells[1]})
        check_row_numbers(cells[3:], cell, expected, decimals_of(cells[3:]))
    bold = [line for line in body if "**" in line]
    assert bold  # the best mean of each directed metric is marked


def test_html_table_carries_summary_csv_numbers(report):
    expected = expected_cells(report / "summary.csv")
    for path in (report / "tables" / "ablation.html", report / "report.html"):
        page = parse_html(path.read_text(encoding="utf-8"))
        table = page.tables[page.table_ids.index("ablation")]
        assert table[0][:3] == ["g_output", "latent", "runs"]
        assert len(table) == 5
        for row in table[1:]:
            cell = cell_id({"g_output": row[0], "latent": row[1]})
            check_row_numbers(row[3:], cell, expected, decimals_of(row[3:]))
        runs = {cell_id({"g_output": r[0], "latent": r[1]}): r[2] for r in table[1:]}
        assert runs[cell_id({"g_output": "sigmoid", "latent": "uniform"})] == "3 (1 diverged)"


def test_latex_table_is_valid_booktabs(report):
    tex = (report / "tables" / "ablation.tex").read_text(encoding="utf-8")
    top, mid, bottom = tex.index(r"\toprule"), tex.index(r"\midrule"), tex.index(r"\bottomrule")
    assert top < mid < bottom
    spec = re.search(r"\\begin\{tabular\}\{([lcr]+)\}", tex).group(1)
    header = tex[top + len(r"\toprule") : mid].strip()
    rows = [r.strip() for r in tex[mid + len(r"\midrule") : bottom].split(r"\\") if r.strip()]
    assert len(rows) == 4
    for line in [header.removesuffix(r"\\").strip(), *rows]:
        assert line.count("&") == len(spec) - 1, line  # balanced columns
    assert tex.count(r"\begin{tabular}") == tex.count(r"\end{tabular}") == 1
    assert r"\bfseries" in tex and r"$\pm$" in tex
    assert "_" not in re.sub(r"\\_", "", tex.split(r"\begin{tabular}")[1])  # escaped names
    assert tex.count("{") == tex.count("}")


def test_one_seed_tables_say_no_interval():
    summary = synthetic_summary(seeds=1)
    summary.loc[0, "status"] = "diverged"
    table = tables.cell_table(analyse(summary, study_of(FACTORS), metrics=list(COLUMNS.values())))
    markdown, html = tables.to_markdown(table), tables.to_html(table)
    rows = [line for line in markdown.splitlines() if line.startswith("|")][2:]
    assert sum(line.count("± n/a") for line in rows) == 3 * 2  # 3 cells x 2 metrics
    assert rows[0].count("—") == 2  # the diverged cell has no completed run: no number at all
    assert "± n/a" in html and not re.search(r"± \d", markdown)


def test_report_without_metrics_or_run_folders_still_renders(tmp_path):
    results = write_results(tmp_path / "plain", synthetic_summary(metrics=[]))
    files = build_report(results)
    html = files.html.read_text(encoding="utf-8")
    assert "runs not scored" in html and "No log.jsonl found" in html
    assert files.figures == []


def test_fractional_design_shows_its_alias_structure(tmp_path):
    factors = {"g_output": ["tanh", "sigmoid"], "latent": ["normal", "uniform"]}
    factors["d_downsample"] = ["strided", "maxpool"]
    study = study_of(factors, design="fractional", resolution=3)
    rng = np.random.default_rng(1)
    rows = [
        {"cell": cell.id, **cell.levels, "seed": seed, "status": "completed"}
        | {"fid_cnn_2k": 20 + rng.normal()}
        for cell in cells(study)
        for seed in range(2)
    ]
    assert len(rows) == 4 * 2  # 2^(3-1) cells: C = AB
    results = write_results(
        tmp_path / "frac", pd.DataFrame(rows), factors=factors, design="fractional", resolution=3
    )
    html = build_report(results).html.read_text(encoding="utf-8")
    assert "Alias structure" in html and "generators: a b ab" in html
    assert "g_output = latent x d_downsample" in html
    assert "resolution 3" in html and "does not separate two-way interactions" in html


def test_cli_report_command(tmp_path, capsys):
    results = write_results(tmp_path / "cli", synthetic_summary(metrics=[]))
    assert main(["report", str(results)]) == 0
    assert (results / "report.html").exists() and (results / "tables" / "ablation.tex").exists()
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "summary.csv" in capsys.readouterr().err
    (results / "study.yaml").unlink()
    assert main(["report", str(results)]) == 2
    assert "study.yaml: not found; `gan-bench aggregate STUDY`" in capsys.readouterr().err


# --------------------------------------------------------------------------- a real browser

PROBE = """<script>
window.addEventListener("load", () => {
  for (const img of document.images) {
    img.setAttribute("data-natural-width", String(img.naturalWidth));
    img.setAttribute("data-complete", String(img.complete));
  }
  document.body.setAttribute("data-probed", String(document.images.length));
});
</script>"""


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def run_chromium(*args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )


def browser_images(html: Path, work: Path) -> tuple[TableParser, list[dict]]:
    """Open a copy of the page (plus a probe script) in Chromium; return the DOM it rendered
    and the images whose pixels did not load (naturalWidth 0)."""
    probed = work / "probed.html"
    probed.write_text(html.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"))
    done = run_chromium("--virtual-time-budget=10000", "--dump-dom", probed.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = parse_html(done.stdout)
    assert dom.body.get("data-probed") == str(len(dom.images)), "the probe did not run"
    broken = [img for img in dom.images if img.get("data-natural-width") in (None, "0")]
    return dom, broken


needs_chromium = pytest.mark.skipif(chromium() is None, reason="no Chromium on this machine")


@needs_chromium
def test_report_renders_in_a_real_browser(report, tmp_path):
    dom, broken = browser_images(report / "report.html", tmp_path)
    assert dom.images and not broken
    ids = set(dom.table_ids)
    assert {"claims", "effects", "ablation", "levels", "divergence-levels", "models"} <= ids
    assert any(i and i.startswith("anova-") for i in ids)
    shot = tmp_path / "report.png"
    done = run_chromium(
        f"--screenshot={shot}", "--window-size=1280,3000", (report / "report.html").as_uri()
    )
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.size == (1280, 3000)
        low, high = image.convert("L").getextrema()
        assert high - low > 100  # text and figures, not a blank page


@needs_chromium
def test_browser_check_catches_a_broken_image(report, tmp_path):
    html = (report / "report.html").read_text(encoding="utf-8")
    start = html.index("data:image/png;base64,") + len("data:image/png;base64,")
    damaged = tmp_path / "damaged.html"
    damaged.write_text(html[:start] + "AAAA" + html[start + 4 + 200 :], encoding="utf-8")
    _, broken = browser_images(damaged, tmp_path)
    assert len(broken) == 1


def test_rerun_removes_figures_the_report_no_longer_shows(tmp_path):
    results = tmp_path / "rerun"
    summary = synthetic_summary(metrics=["fid_cnn_2k"])
    write_results(results, summary)
    build_report(results)
    assert (results / "figures" / "cells_fid_cnn_2k.png").exists()
    (results / "figures" / "mine.png").write_bytes(b"not the report's")
    fid_5k = column("fid", "cnn", 5000)
    renamed = summary.rename(columns={"fid_cnn_2k": fid_5k.name})
    write_summary(renamed, results / "summary.csv", [fid_5k])
    files = build_report(results)
    left = {p.name for p in (results / "figures").iterdir()}
    assert "cells_fid_cnn_2k.png" not in left and "cells_fid_cnn_5k.png" in left
    assert "mine.png" in left and {p.name for p in files.figures} == left - {"mine.png"}


def test_directions_and_labels_come_from_the_registry(report):
    """The arrows and |labels| of the published tables, as before the registry."""
    markdown = (report / "tables" / "ablation.md").read_text(encoding="utf-8")
    assert "fid_cnn_2k ↓" in markdown and "checkerboard_pixel_2k →0" in markdown
    tex = (report / "tables" / "ablation.tex").read_text(encoding="utf-8")
    assert r"$\downarrow$" in tex and r"$\to 0$" in tex
    page = parse_html((report / "report.html").read_text(encoding="utf-8"))
    effects = page.tables[page.table_ids.index("effects")]
    assert {row[0] for row in effects[1:]} == {"fid_cnn_2k", "|checkerboard_pixel_2k|"}
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "On fid_cnn_2k (lower is better)" in html
    assert "checkerboard_pixel_2k: Checkerboard score" in html  # Methods, from the registry
    assert "closer to 0 is better (statistics on |value|)" in html


def test_report_on_a_summary_without_metrics_json_says_to_rerun_aggregate(tmp_path, capsys):
    results = write_results(tmp_path / "old", synthetic_summary())
    (results / "metrics.json").unlink()  # summary.csv made before metrics.json existed
    assert main(["report", str(results)]) == 2
    err = capsys.readouterr().err
    assert str(results / "metrics.json") in err and "gan-bench aggregate" in err
