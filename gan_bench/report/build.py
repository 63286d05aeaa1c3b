"""`gan-bench report RESULTS_DIR`: tables/, figures/ and one self-contained report.html.

The report leads with what the study can and cannot decide: each trick's claim against the
measured effect with its 95% interval, and how many seeds a decision would take. Images are
inlined as base64 so the single file can be mailed, archived or committed as it is.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from gan_bench.analysis.analyse import DIVERGED_RULE, Analysis, analyse
from gan_bench.analysis.summary import read_metric_columns, read_summary
from gan_bench.errors import BadInput
from gan_bench.files import RunPaths, atomic_write, read_log
from gan_bench.provenance import git_commit
from gan_bench.report import displays, figures, tables
from gan_bench.resources import STUDIES
from gan_bench.study.study_file import Study, StudyError, load_study
from gan_bench.study.tricks import TRICKS

REPO_ABLATIONS = STUDIES


class ReportError(BadInput):
    """The results folder cannot be reported on (e.g. no summary.csv); names the path."""


# --------------------------------------------------------------------------- inputs


@dataclass
class Inputs:
    """Everything the report reads besides summary.csv: the study, its runs' files."""

    results_dir: Path
    study: Study | None
    study_note: str
    configs: list[dict[str, Any]] = field(default_factory=list)
    run_infos: list[dict[str, Any]] = field(default_factory=list)
    design_info: dict[str, Any] | None = None


def run_dir(results_dir: Path, cell: str, seed: int) -> Path:
    return results_dir / "runs" / str(cell) / f"seed-{seed}"


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def find_study(
    results_dir: Path, configs: list[dict[str, Any]], explicit: str | Path | None = None
) -> tuple[Study | None, str]:
    """The study behind the results: --study (which must load), else the runs' study_file,
    else ablations/<name>.yaml; None (with the reason) when none of them loads."""
    if explicit is not None:
        if not Path(explicit).is_file():
            raise ReportError(f"{explicit}: study file not found")
        return load_study(explicit), f"study file {explicit}"  # StudyError names the key
    name = configs[0].get("study", results_dir.name) if configs else results_dir.name
    candidates: list[Path] = []
    if configs and configs[0].get("study_file"):
        recorded = Path(configs[0]["study_file"])
        candidates += [recorded, results_dir.parent.parent / recorded]
    candidates += [Path("ablations") / f"{name}.yaml", REPO_ABLATIONS / f"{name}.yaml"]
    problems = []
    for candidate in dict.fromkeys(candidates):
        if not candidate.is_file():
            continue
        try:
            study = load_study(candidate)
        except StudyError as error:
            problems.append(str(error).splitlines()[0])
            continue
        if study.name == name:
            return study, f"study file {candidate}"
        problems.append(f"{candidate} is study {study.name!r}, not {name!r}")
    why = "; ".join(problems) or "no study file found"
    return None, f"{why}: levels, baseline and design were read off summary.csv"


def design_info(results_dir: Path, study: Study | None) -> dict[str, Any] | None:
    """design.json of the study folder (fractional designs: resolution and aliases)."""
    found = _read_json(results_dir / "design.json")
    if found is None and study is not None and study.design == "fractional":
        try:
            from gan_bench.study.design import describe

            found = describe(study)
        except Exception:  # an alias table is a nicety; the report goes on without it
            return None
    return found


def gather(results_dir: Path, summary: pd.DataFrame, study: str | Path | None) -> Inputs:
    """Read the run folders named by summary.csv (those that exist) and locate the study."""
    configs, infos = [], []
    for cell, seed in zip(summary["cell"], summary["seed"], strict=True):
        paths = RunPaths(run_dir(results_dir, cell, int(seed)))
        config, info = _read_json(paths.config), _read_json(paths.run)
        if config is not None:
            configs.append(config)
        if info is not None:
            infos.append(info | {"cell": str(cell), "seed": int(seed)})
    found, note = find_study(results_dir, configs, study)
    return Inputs(results_dir, found, note, configs, infos, design_info(results_dir, found))


def read_logs(results_dir: Path, analysis: Analysis) -> pd.DataFrame:
    """Every run's log.jsonl as one long frame, with the run's cell, seed and factor levels."""
    frames = []
    for run in analysis.runs.itertuples(index=False):
        records = read_log(RunPaths(run_dir(results_dir, run.cell, run.seed)).log)
        if not records:
            continue
        frame = pd.DataFrame.from_records(records)
        frame["cell"], frame["seed"] = run.cell, run.seed
        for name in analysis.layout.factors:
            frame[name] = getattr(run, name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def sample_tiles(results_dir: Path, analysis: Analysis) -> list[tuple[str, Path | None]]:
    """One samples.png per cell: its first completed seed, else its first seed with one."""
    tiles = []
    cells = analysis.divergence_cells
    labels = dict(zip(cells["cell"], cells["label"], strict=True))
    for cell in analysis.layout.cell_order:
        runs = analysis.runs[analysis.runs["cell"] == cell].sort_values(["diverged", "seed"])
        found = None
        for run in runs.itertuples(index=False):
            path = RunPaths(run_dir(results_dir, cell, run.seed)).samples
            if path.exists():
                suffix = " (diverged)" if run.diverged else ""
                found = (f"{labels.get(cell, cell)} — seed {run.seed}{suffix}", path)
                break
        tiles.append(found or (labels.get(cell, cell), None))
    if all(path is None for _, path in tiles):
        return []
    return tiles


def image_uri(path: Path) -> str:
    """A PNG as a data URI, so report.html stands alone."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def bottom_line(analysis: Analysis) -> list[str]:
    """Plain sentences: what the study decides on its primary metric, and what it cannot."""
    metric = analysis.primary
    if metric is None:
        return ["summary.csv has no metric columns yet (runs not scored): nothing to judge."]
    claims = analysis.claims[analysis.claims["metric"] == metric]
    if claims.empty:
        return [f"No factor varies in this study, so no claim can be tested on {metric}."]
    counts = claims["verdict"].value_counts()
    parts = [f"{counts.get(v, 0)} {v}" for v in ("supported", "contradicted", "inconclusive")]
    column = analysis.columns[metric]
    lines = [
        f"On {column.label} ({column.direction_text}), {len(claims)} comparisons "
        f"against the baseline: {', '.join(parts)} at 95% (Holm-corrected across factors)"
        + (
            f"; {counts.get('no direction claimed')} without a claimed direction."
            if counts.get("no direction claimed")
            else "."
        )
    ]
    undecided = claims[claims["verdict"].isin(["inconclusive", "no direction claimed"])]
    if len(undecided):
        needs = [
            f"{r.factor} = {r.level} "
            f"({displays.seeds_text(r.seeds_needed, r.seeds_per_cell)} seeds/cell)"
            for r in undecided.itertuples()
        ]
        lines.append(
            "This study cannot decide: " + "; ".join(needs) + ". Seeds needed assume the "
            "observed effect and spread (80% power), a rough guide for the next run."
        )
    if analysis.runs["diverged"].any():
        share = analysis.runs["diverged"].mean()
        lines.append(
            f"{analysis.runs['diverged'].sum()} of {len(analysis.runs)} runs "
            f"({share:.0%}) diverged; see Divergences."
        )
    return lines


def study_facts(inputs: Inputs, analysis: Analysis) -> list[tuple[str, str]]:
    """Key/value lines for the study summary: design, data, budget, seeds, machines."""
    study, configs, infos = inputs.study, inputs.configs, inputs.run_infos
    layout = analysis.layout
    config = configs[0] if configs else {}
    facts = [("study", study.name if study else config.get("study", inputs.results_dir.name))]
    if study is not None and study.description:
        facts.append(("description", study.description))
    facts.append(("source", inputs.study_note))
    design = layout.design
    if layout.design == "fractional":
        design += f" (resolution {layout.resolution})"
    facts.append(("design", f"{design}, {len(layout.cell_order)} cells"))
    for name, levels in layout.factors.items():
        marked = [f"{lv} (baseline)" if lv == layout.baseline[name] else lv for lv in levels]
        facts.append((f"factor {name}", ", ".join(marked)))
    fixed = (study.baseline if study else config.get("tricks", {})) or {}
    changed = {k: v for k, v in fixed.items() if k not in layout.factors and v != TRICKS[k].default}
    facts.append(
        (
            "fixed tricks off default",
            ", ".join(f"{k}={v}" for k, v in changed.items()) or "none (registry defaults)",
        )
    )
    for key in ("dataset", "model", "train", "eval"):
        section = getattr(study, key, None) if study else config.get(key)
        if section:
            facts.append((key, ", ".join(f"{k}: {v}" for k, v in section.items())))
    seeds = sorted(analysis.runs["seed"].unique())
    facts.append(("seeds", f"{', '.join(map(str, seeds))} ({len(seeds)} per cell)"))
    runs, diverged = len(analysis.runs), int(analysis.runs["diverged"].sum())
    facts.append(("runs", f"{runs} ({runs - diverged} completed, {diverged} diverged)"))
    if "seconds" in analysis.runs:
        total = float(analysis.runs["seconds"].sum())
        facts.append(("training time", f"{total / 3600:.2f} h in all ({total:.0f} s)"))
    if infos:
        facts += _machine_facts(infos)
    else:
        facts.append(("machines", "not recorded here (no run folders next to summary.csv)"))
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    facts.append(("report made", f"{made} by gan-bench {_own_version()}, commit {git_commit()}"))
    return facts


def _own_version() -> str:
    try:
        return metadata.version("gan-bench")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def _distinct(infos: list[dict[str, Any]], key: str) -> str:
    values = [str(info.get(key)) for info in infos if info.get(key) is not None]
    counted = pd.Series(values).value_counts() if values else pd.Series(dtype=int)
    return "; ".join(f"{v} ({n} runs)" for v, n in counted.items()) or "not recorded"


def _machine_facts(infos: list[dict[str, Any]]) -> list[tuple[str, str]]:
    facts = [
        (
            "device",
            _distinct(infos, "device_name")
            if any("device_name" in i for i in infos)
            else _distinct(infos, "device"),
        ),
        ("threads", _distinct(infos, "threads")),
        ("host", _distinct(infos, "host")),
        ("git commit", _distinct(infos, "git_commit")),
    ]
    versions: dict[str, set[str]] = {}
    for info in infos:
        for package, version in (info.get("versions") or {}).items():
            versions.setdefault(package, set()).add(str(version))
    if versions:
        facts.append(
            ("versions", ", ".join(f"{p} {'/'.join(sorted(v))}" for p, v in versions.items()))
        )
    return facts


def methods(analysis: Analysis) -> list[str]:
    lines = [
        "Cell means carry a 95% t-interval over seeds (scipy.stats.t); a cell with one "
        "completed seed gets no interval (shown as ± n/a).",
        "Effects: one OLS model per metric over all completed runs (statsmodels, sum/deviation "
        "coding). Each level is compared with the baseline level, averaged over the other "
        "factors; 95% CIs and p-values come from the model's t-test of that contrast.",
        "Holm correction across the factors' comparisons within each metric (separately "
        "across its interaction terms, and across all terms of each ANOVA table); a verdict "
        "is decided only when the Holm-adjusted p < 0.05. "
        "Inconclusive means the evidence cannot tell at 95%, not that the trick does nothing.",
        "Seeds needed: seeds per cell for 80% power at α = 0.05 / (comparisons of the metric), "
        "taking the observed effect and residual spread as true (statsmodels.stats.power); "
        "a rough guide, optimistic when the observed effect is a lucky draw.",
        *displays.metric_lines(analysis),
        DIVERGED_RULE,
    ]
    if len(analysis.layout.factors) < 2:
        lines.append("Interactions are not reported: the study varies fewer than two factors.")
    elif not analysis.layout.separates_interactions:
        lines.append(
            f"Interactions and ANOVA are not reported: a {analysis.layout.design} design does "
            "not separate two-way interactions from main effects (needs a full factorial or a "
            "fractional design of resolution V or more)."
        )
    return lines


# --------------------------------------------------------------------------- the page

TEMPLATE = jinja2.Template(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>gan-bench report: {{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em;
       color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.85em; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } caption { text-align: left; font-style: italic; padding: 4px 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
.lead { background: #f7f7f0; border-left: 4px solid #b8a000; padding: 0.5em 1em; }
.note { color: #555; font-size: 0.9em; } pre { background: #f6f6f6; padding: 0.6em; }
.wide { overflow-x: auto; } table.ablation td { white-space: nowrap; }
details { margin: 0.6em 0; } summary { cursor: pointer; color: #345; }
</style></head>
<body>
<h1>gan-bench report: {{ title }}</h1>
<div class="lead" id="bottom-line">{% for line in bottom %}<p>{{ line }}</p>{% endfor %}</div>

<h2 id="study">Study</h2>
<dl class="facts">{% for key, value in facts %}<dt>{{ key }}</dt><dd>{{ value }}</dd>
{% endfor %}</dl>
{% if aliases %}<h3>Alias structure</h3>
<p class="note">In a fractional design an estimate is the sum of everything aliased with
it; the generators and aliases below say which effects are confounded.</p>
<pre>{{ aliases }}</pre>{% endif %}

<h2 id="claims">Claim vs evidence</h2>
{% if claims %}<div class="wide">{{ claims | safe }}</div>
<p class="note">Effect = level − baseline on {{ primary }}. Verdicts at 95% after Holm
correction; "seeds/cell for a decision": seeds per cell for 80% power at the observed effect
and spread.</p>
{% if matrix %}<h3>Verdicts on every metric</h3><div class="wide">{{ matrix | safe }}</div>
{% endif %}
{% else %}<p>No claim can be tested: {{ no_claims }}</p>{% endif %}

<h2 id="effects">Effects</h2>
{% for image in forest %}<img src="{{ image.uri }}" alt="{{ image.alt }}">{% endfor %}
{% if effects %}<div class="wide">{{ effects | safe }}</div>
{% else %}<p>No effects: no factor varies or no metric.</p>{% endif %}

<h2 id="ablation">Ablation table</h2>
<div class="wide">{{ ablation | safe }}</div><p class="note">{{ footnote }}</p>
{% if levels %}<h3>By factor level</h3><div class="wide">{{ levels | safe }}</div>{% endif %}
{% for image in strips %}<img src="{{ image.uri }}" alt="{{ image.alt }}">{% endfor %}
{% if more_strips %}<details><summary>Every seed of every cell, other metrics</summary>
{% for image in more_strips %}<img src="{{ image.uri }}" alt="{{ image.alt }}">{% endfor %}
</details>{% endif %}

<h2 id="anova">ANOVA and interactions</h2>
{% for block in anova[:1] %}<h3>ANOVA: {{ block.metric }}</h3>{{ block.table | safe }}{% endfor %}
{% if anova[1:] %}<details><summary>ANOVA, other metrics</summary>
{% for block in anova[1:] %}<h3>{{ block.metric }}</h3>{{ block.table | safe }}{% endfor %}
</details>{% endif %}
{% if interactions %}<h3>Two-way interactions</h3>
<div class="wide">{{ interactions | safe }}</div>{% endif %}
{% for image in heatmaps %}<img src="{{ image.uri }}" alt="{{ image.alt }}">{% endfor %}
{% for line in anova_notes %}<p class="note">{{ line }}</p>{% endfor %}

<h2 id="curves">Training curves</h2>
{% for image in curves %}<img src="{{ image.uri }}" alt="{{ image.alt }}">
{% else %}<p>No log.jsonl found next to summary.csv.</p>{% endfor %}

<h2 id="samples">Samples</h2>
{% for image in samples %}<img src="{{ image.uri }}" alt="{{ image.alt }}">
{% else %}<p>No samples.png found next to summary.csv.</p>{% endfor %}

<h2 id="divergences">Divergences</h2>
<p>{{ diverged_rule }}</p>
{{ divergence_levels | safe }}
{% if divergence_cells %}{{ divergence_cells | safe }}{% else %}<p>No run diverged.</p>{% endif %}

<h2 id="methods">Methods</h2>
<ul>{% for line in methods %}<li>{{ line }}</li>{% endfor %}</ul>
<h3>Models</h3>{{ models | safe }}
</body></html>
""",
    autoescape=True,
)


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    tables: list[Path]
    figures: list[Path]


def _images(paths: list[Path | None], alt: str) -> list[dict[str, str]]:
    return [{"uri": image_uri(p), "alt": f"{alt}: {p.stem}"} for p in paths if p is not None]


def _aliases(info: dict[str, Any] | None) -> str:
    if not info or info.get("design") != "fractional":
        return ""
    lines = [f"resolution: {info.get('resolution')}", f"generators: {info.get('generators')}"]
    return "\n".join(lines + [str(alias) for alias in info.get("aliases", [])])


def build_report(results_dir: str | Path, study: str | Path | None = None) -> ReportFiles:
    """Read RESULTS_DIR/summary.csv (and the run folders beside it); write tables/,
    figures/ and report.html there."""
    results_dir = Path(results_dir)
    summary_path = results_dir / "summary.csv"
    if not summary_path.is_file():
        raise ReportError(f"{summary_path}: not found (run `gan-bench aggregate STUDY` first)")
    summary = read_summary(summary_path)
    metric_columns = read_metric_columns(summary_path)
    if summary.empty:
        raise ReportError(f"{summary_path}: no runs")
    inputs = gather(results_dir, summary, study)
    info = inputs.design_info or {}
    resolution = info.get("resolution") if info.get("design") == "fractional" else None
    analysis = analyse(
        summary, inputs.study, resolution, info.get("design"), metrics=metric_columns
    )

    table_files = tables.write_tables(analysis, results_dir / "tables")
    figure_dir = results_dir / "figures"
    forest = figures.forest(analysis, figure_dir / "effects.png")
    strips = figures.strips(analysis, figure_dir)
    heatmaps = figures.interactions(analysis, figure_dir)
    curves = figures.curves(read_logs(results_dir, analysis), analysis, figure_dir)
    mosaic = figures.mosaic(sample_tiles(results_dir, analysis), figure_dir / "samples.png")

    cell_table = tables.cell_table(analysis)
    primary = analysis.primary
    lead_strip = f"cells_{figures.slug(primary)}" if primary else ""
    per_level, per_cell = displays.divergence_display(analysis)
    matrix = displays.verdict_matrix(analysis)
    claims = displays.claims_display(analysis, primary) if primary else pd.DataFrame()
    html = TEMPLATE.render(
        title=analysis_title(inputs, analysis),
        bottom=bottom_line(analysis),
        facts=study_facts(inputs, analysis),
        aliases=_aliases(info),
        claims=displays.html_table(claims, "claims") if len(claims) else "",
        no_claims="no factor varies, or the runs have no directed metric yet",
        matrix=displays.html_table(matrix, "verdicts")
        if len(matrix) and len(analysis.metrics) > 1
        else "",
        primary=analysis.columns[primary].label if primary else "",
        effects=displays.html_table(displays.effects_display(analysis), "effects")
        if len(analysis.effects)
        else "",
        forest=_images([forest], "effect forest plot"),
        ablation=tables.to_html(cell_table, "ablation"),
        footnote=tables.FOOTNOTE,
        levels=tables.to_html(tables.level_table(analysis), "levels")
        if analysis.layout.factors
        else "",
        strips=_images([p for p in strips if p.stem == lead_strip], "every seed per cell"),
        more_strips=_images([p for p in strips if p.stem != lead_strip], "every seed per cell"),
        anova=[
            {
                "metric": analysis.columns[m].label,
                "table": displays.html_table(
                    displays.anova_display(analysis.anova, m), f"anova-{figures.slug(m)}"
                ),
            }
            for m in sorted(analysis.metrics, key=lambda m: m != primary)
            if len(analysis.anova) and (analysis.anova["metric"] == m).any()
        ],
        interactions=displays.html_table(displays.interactions_display(analysis), "interactions")
        if len(analysis.interactions)
        else "",
        heatmaps=_images(heatmaps, "interaction heatmap"),
        anova_notes=[n for n in methods(analysis) if n.startswith("Interactions")]
        + [f"{m.metric}: {m.note}" for m in analysis.models.itertuples() if m.note],
        curves=_images(curves, "training curves"),
        samples=_images([mosaic], "samples per cell"),
        diverged_rule=DIVERGED_RULE,
        divergence_levels=displays.html_table(per_level, "divergence-levels")
        if len(per_level)
        else "",
        divergence_cells=displays.html_table(per_cell, "divergence-cells") if len(per_cell) else "",
        methods=methods(analysis),
        models=displays.html_table(displays.models_display(analysis), "models"),
    )
    target = results_dir / "report.html"
    atomic_write(target, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    written = [p for p in [forest, *strips, *heatmaps, *curves, mosaic] if p is not None]
    remove_stale_figures(figure_dir, written)
    return ReportFiles(target, table_files, written)


FIGURE_PATTERNS = ("effects.png", "samples.png", "cells_*.png", "curves_*.png", "interactions*.png")


def remove_stale_figures(folder: Path, written: list[Path]) -> None:
    """Delete figures an earlier report made that this one did not (e.g. of a renamed
    metric), so figures/ never shows what report.html no longer says; other files stay."""
    keep = {path.resolve() for path in written}
    for pattern in FIGURE_PATTERNS:
        for path in folder.glob(pattern):
            if path.resolve() not in keep:
                path.unlink()


def analysis_title(inputs: Inputs, analysis: Analysis) -> str:
    name = inputs.study.name if inputs.study else inputs.results_dir.name
    return f"{name} ({analysis.layout.design}, {len(analysis.runs)} runs)"
