"""The report: report.html stands alone and renders in a real browser with every image
loaded; figures/ holds only what the page shows. (What it reads: test_inputs.py; its
tables: test_tables.py and test_displays.py; its sentences: test_prose.py.)"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import git, make_checkout, study_of
from PIL import Image
from report_helpers import (
    CHROMIUM_FLAGS,
    TableParser,
    analyse_and_report,
    built_report,
    parse_html,
    synthetic_summary,
    write_results,
    write_run_folders,
)

from gan_bench import provenance
from gan_bench.analysis.summary import write_summary
from gan_bench.cli import main
from gan_bench.report.build import EARLIER, image_uri
from gan_bench.score.registry import column
from gan_bench.study.design import cells


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    return built_report(tmp_path_factory)


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
        "Outlier runs",
        "Divergences",
        "Methods",
    ):
        assert f">{section}" in html, section
    assert "worst completed run on every metric (it ranks last" in html
    assert "InfoGAN traversals" not in html  # no cell uses InfoGAN


def test_infogan_cells_get_a_traversals_section(tmp_path):
    factors = {"infogan": [False, True]}
    rng = np.random.default_rng(2)
    codes = {"slant_r_c1_pixel_2k": 0.9, "thickness_r_c1_pixel_2k": 0.1}  # c1's (each figure
    # costs time; test_prose.py has the whole sentence)
    rows = [
        {"cell": cell.id, **cell.levels, "seed": seed, "status": "completed"}
        | {"fid_cnn_2k": 20 + rng.normal()}
        | {
            name: v + rng.normal(0, 0.01) if cell.tricks.infogan else np.nan
            for name, v in codes.items()
        }
        for cell in cells(study_of(factors))
        for seed in range(2)
    ]
    results = write_results(tmp_path / "codes", pd.DataFrame(rows), factors=factors)
    infogan = next(row["cell"] for row in rows if row["infogan"])
    traversals = results / "runs" / infogan / "seed-0" / "traversals.png"
    traversals.parent.mkdir(parents=True)
    Image.fromarray(np.full((30, 60), 128, dtype="uint8")).save(traversals)
    files = analyse_and_report(results)
    assert "traversals.png" in {path.name for path in files.figures}
    html = files.html.read_text(encoding="utf-8")
    assert '<h2 id="traversals">InfoGAN traversals</h2>' in html
    alts = [image["alt"] for image in parse_html(html).images]
    assert "InfoGAN traversals per cell: traversals" in alts
    section = html.partition('<h2 id="traversals">')[2].partition("<h2")[0]
    assert "Which continuous code moves what" in section
    assert re.search(
        r"<li>infogan-true: c1: slant, \|r\| = 0\.\d\d \[0\.\d\d, \d\.\d\d\] "
        r"\(thickness 0\.\d\d \[-?\d\.\d\d, \d\.\d\d\]\)\.</li>",
        section,
    )
    drawn = (results / "figures" / "traversals.png").read_bytes()
    traversals.unlink()  # its run file goes: the figure drawn from it stays, and says so
    files = analyse_and_report(results)
    assert [path.name for path in files.kept] == ["traversals.png"]
    assert (results / "figures" / "traversals.png").read_bytes() == drawn
    html = files.html.read_text(encoding="utf-8")
    assert '<h2 id="traversals">InfoGAN traversals</h2>' in html
    alts = [image["alt"] for image in parse_html(html).images]
    assert f"InfoGAN traversals per cell: traversals{EARLIER}" in alts


def test_a_half_failed_run_is_named_as_an_outlier_with_its_samples(tmp_path):
    summary = synthetic_summary(seeds=8)  # 28 residual df: the robust fit (>= 20)
    failed = (summary["cell"] == summary["cell"].iloc[0]) & (summary["seed"] == 1)
    summary.loc[failed, "fid_cnn_2k"] *= 3
    results = write_results(tmp_path / "outlier", summary)
    write_run_folders(results, summary)
    files = analyse_and_report(results)
    assert "outliers.png" in {path.name for path in files.figures}
    page = parse_html(files.html.read_text(encoding="utf-8"))
    rows = next(t for t in page.tables if t and "weight in the fit" in " ".join(t[0]))
    named = [(row[1], row[2]) for row in rows[1:] if row[0] == "fid_cnn_2k"]
    assert named[0] == ("tanh · normal", "1"), rows  # that run, the most discounted
    assert float(rows[1][4]) < 0.1


def test_report_without_metrics_or_run_folders_still_renders(tmp_path):
    results = write_results(tmp_path / "plain", synthetic_summary(metrics=[]))
    files = analyse_and_report(results)
    html = files.html.read_text(encoding="utf-8")
    assert "runs not scored" in html and "No log.jsonl found" in html
    assert files.figures == []


def test_a_report_names_its_code_and_no_path_of_the_machine_that_made_it(tmp_path, monkeypatch):
    top = make_checkout(tmp_path / "repo")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.setattr(provenance, "CHECKOUT", top)
    results = tmp_path / "results" / "synthetic"
    summary = synthetic_summary()
    write_results(results, summary)
    write_run_folders(results, summary)
    # an absolute results folder, as `gan-bench run` hands it to Snakemake
    html = analyse_and_report(results.resolve()).html.read_text(encoding="utf-8")
    patch = results / "code.diff"
    sha = hashlib.sha256(patch.read_bytes()).hexdigest()
    head = git(top, "rev-parse", "HEAD").strip()
    assert f"commit {head}-dirty with the uncommitted changes in code.diff" in html
    assert f"sha256 {sha}" in html
    assert "study.yaml and design.json, beside this report" in html
    for path in (tmp_path, tmp_path.resolve()):
        assert str(path) not in html
    git(top, "stash", "-q")  # a clean tree: no patch, and the earlier one goes
    html = analyse_and_report(results).html.read_text(encoding="utf-8")
    assert not patch.exists() and f"commit {head}<" in html


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
    html = analyse_and_report(results).html.read_text(encoding="utf-8")
    assert "Alias structure" in html and "generators: a b ab" in html
    assert "g_output = latent x d_downsample" in html
    assert "resolution 3" in html and "does not separate two-way interactions" in html


def test_cli_analyse_then_report(tmp_path, capsys):
    """`gan-bench analyse` writes the tables and analysis.json and prints the claim table;
    `gan-bench report` renders them, and refuses without them or with stale ones."""
    results = write_results(tmp_path / "cli", synthetic_summary())
    assert main(["report", str(results)]) == 2
    assert f"{results / 'analysis.json'}: not found; run `gan-bench analyse" in (
        capsys.readouterr().err
    )
    assert main(["analyse", str(results)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| trick ") and "| g_output " in out and "analysis.json: 7 tables" in out
    assert (results / "analysis.json").exists() and (results / "tables" / "claims.csv").exists()
    assert main(["report", str(results)]) == 0
    assert (results / "report.html").exists() and (results / "tables" / "ablation.tex").exists()
    claims_md = (results / "tables" / "claims.md").read_text()
    assert claims_md.startswith("| trick ") and "g_output" in claims_md
    claims_tex = (results / "tables" / "claims.tex").read_text()
    assert r"\label{tab:claims}" in claims_tex and r"g\_output" in claims_tex
    summary = results / "summary.csv"
    summary.write_text(summary.read_text() + summary.read_text().splitlines()[1] + "\n")
    assert main(["report", str(results)]) == 2
    assert "analysis.json: computed from other files than summary.csv now" in (
        capsys.readouterr().err
    )
    summary.write_text("".join(summary.read_text().splitlines(keepends=True)[:-1]))
    assert main(["report", str(results)]) == 0
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
    analyse_and_report(results)
    assert (results / "figures" / "cells_fid_cnn_2k.png").exists()
    (results / "figures" / "mine.png").write_bytes(b"not the report's")
    fid_5k = column("fid", "cnn", 5000)
    renamed = summary.rename(columns={"fid_cnn_2k": fid_5k.name})
    write_summary(renamed, results / "summary.csv", [fid_5k])
    files = analyse_and_report(results)
    left = {p.name for p in (results / "figures").iterdir()}
    assert "cells_fid_cnn_2k.png" not in left and "cells_fid_cnn_5k.png" in left
    assert "mine.png" in left and {p.name for p in files.figures} == left - {"mine.png"}


RUN_DRAWN = ["curves_g_output.png", "curves_latent.png", "samples.png"]


def test_a_folder_without_runs_keeps_the_figures_drawn_from_them(tmp_path, capsys):
    """A published results folder is committed without runs/: `gan-bench analyse` and
    `gan-bench report` on it keep the curves and sample mosaics an earlier report drew from
    the runs' files, as they are, in their usual places on the page, and say so. Not the
    outlying runs' samples: which runs those are is the analysis' call, and the earlier
    figure may show others than the outlier table beside it."""
    summary = synthetic_summary(seeds=8)  # 28 residual df: the robust fit names outliers
    failed = (summary["cell"] == summary["cell"].iloc[0]) & (summary["seed"] == 1)
    summary.loc[failed, "fid_cnn_2k"] *= 3
    results = write_results(tmp_path / "published", summary)
    write_run_folders(results, summary)
    drawn = {path.name for path in analyse_and_report(results).figures}
    assert set(RUN_DRAWN) | {"outliers.png"} <= drawn
    figures = results / "figures"
    earlier = {path.name: path.read_bytes() for path in figures.iterdir()}
    shutil.rmtree(results / "runs")
    capsys.readouterr()
    assert main(["analyse", str(results)]) == 0 and main(["report", str(results)]) == 0
    assert f"kept from an earlier report: {', '.join(RUN_DRAWN)}" in capsys.readouterr().out
    assert {path.name for path in figures.iterdir()} == set(earlier) - {"outliers.png"}
    for name in RUN_DRAWN:
        assert (figures / name).read_bytes() == earlier[name], name  # as it was
    html = (results / "report.html").read_text(encoding="utf-8")
    page = parse_html(html)
    assert len(page.images) == len(earlier) - 1  # every figure but the outliers' samples
    for name in RUN_DRAWN:
        assert image_uri(figures / name) in html, name
    kept = [image["alt"] for image in page.images if image["alt"].endswith(EARLIER)]
    assert len(kept) == len(RUN_DRAWN)
    assert "No log.jsonl found" not in html and "No samples.png found" not in html
    note = re.search(r'<p class="note" id="kept-figures">([^<]*)</p>', html)
    assert note and f"Kept from an earlier report: {', '.join(RUN_DRAWN)}." in note.group(1)


def test_a_folder_without_runs_still_loses_figures_it_would_no_longer_draw(tmp_path):
    summary = synthetic_summary()
    results = write_results(tmp_path / "published", summary)
    write_run_folders(results, summary)
    analyse_and_report(results)
    shutil.rmtree(results / "runs")
    figures = results / "figures"
    # what a report on an earlier version of the study drew: of a factor, an InfoGAN cell
    # and an outlying run this one does not have
    stale = ["curves_d_downsample.png", "traversals.png", "outliers.png"]
    for name in stale:
        shutil.copy(figures / "samples.png", figures / name)
    assert (figures / "cells_checkerboard_pixel_2k.png").is_file()
    write_results(results, summary.drop(columns="checkerboard_pixel_2k"))  # a metric gone
    files = analyse_and_report(results)
    left = {path.name for path in figures.iterdir()}
    assert not {*stale, "cells_checkerboard_pixel_2k.png"} & left
    kept = {"curves_g_output.png", "curves_latent.png", "samples.png"}
    assert {path.name for path in files.kept} == kept and kept <= left
    assert {path.name for path in files.figures} == left
    assert len(parse_html(files.html.read_text(encoding="utf-8")).images) == len(left)


def test_report_on_a_summary_without_metrics_json_says_to_rerun_aggregate(tmp_path, capsys):
    results = write_results(tmp_path / "old", synthetic_summary())
    (results / "metrics.json").unlink()  # summary.csv made before metrics.json existed
    assert main(["report", str(results)]) == 2
    err = capsys.readouterr().err
    assert str(results / "metrics.json") in err and "gan-bench aggregate" in err
