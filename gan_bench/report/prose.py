"""The report's sentences: the bottom line, the study's facts (design, data, budget,
machines), which InfoGAN code moves what, and the page title (the Methods are
gan_bench.report.methods'). Numbers come from the Analysis; how they are formatted is
gan_bench.report.tables', gan_bench.report.displays' and gan_bench.report.claim_display's.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import pandas as pd

from gan_bench.analysis.analyse import Analysis
from gan_bench.analysis.claims import (
    DEPENDS,
    NO_DECIDED_EFFECT,
    NO_DIFFERENCE,
    NO_PRACTICAL_EFFECT,
)
from gan_bench.provenance import git_commit
from gan_bench.report import claim_display, displays
from gan_bench.report.inputs import Inputs
from gan_bench.score.registry import STROKE_CODES, STROKE_MEASURES, stroke_key
from gan_bench.study.design import DesignRecord
from gan_bench.study.tricks import TRICKS, format_level


def bottom_line(analysis: Analysis) -> list[str]:
    """Plain sentences: what the study decides on its primary metric (and on the metric of
    each claim about training dynamics), and what it cannot."""
    metric = analysis.primary
    if metric is None:
        return ["summary.csv has no metric columns yet (runs not scored): nothing to judge."]
    judged = analysis.judged_claims
    if judged.empty:
        return [f"No factor varies in this study, so no claim can be tested on {metric}."]
    lines = []
    for name in analysis.judged_on:
        lines += verdict_lines(analysis, name, judged[judged["metric"] == name])
    lines += aa_lines(analysis, metric)
    undecided = judged[judged["seeds_needed"].notna()]
    if len(undecided):
        needs = [
            f"{claim_name(analysis, r)} "
            f"({claim_display.seeds_text(r.seeds_needed, r.seeds_per_cell)} seeds/cell)"
            for r in undecided.itertuples()
        ]
        lines.append(
            "This study cannot decide: " + "; ".join(needs) + ". Seeds per cell that would "
            "decide each either way: 80% power for an effect of SESOI at the spread these runs "
            "show."
        )
    if analysis.runs["diverged"].any():
        share = analysis.runs["diverged"].mean()
        lines.append(
            f"{analysis.runs['diverged'].sum()} of {len(analysis.runs)} runs "
            f"({share:.0%}) diverged; see Divergences."
        )
    return lines


def claim_name(analysis: Analysis, claim: Any) -> str:
    """'g_output = sigmoid'; 'instance_noise = 0.1 on d_overfit' for a claim judged on
    another metric than the primary one (a claim about training dynamics)."""
    own = "" if claim.metric == analysis.primary else f" on {analysis.columns[claim.metric].label}"
    return f"{claim.factor} = {claim.level}{own}"


JUDGED = {  # the bottom line's words for what verdicts are about (claims.ESTIMANDS' keys)
    "average": "judged on the average effect over the other factors' levels",
    "at baseline": "judged with every other factor at its baseline",
    "additive": "judged on the effect in a main-effects model",
}


def verdict_lines(analysis: Analysis, metric: str, claims: pd.DataFrame) -> list[str]:
    """The verdicts of the confirmatory claims judged on `metric`, counted, and each
    tested crossover and decided interaction spelled out."""
    counts = claims["verdict"].value_counts()
    parts = [f"{counts.get(v, 0)} {v}" for v in ("supported", "contradicted", "inconclusive")]
    if counts.get(NO_PRACTICAL_EFFECT):
        parts.append(f"{counts.get(NO_PRACTICAL_EFFECT)} {NO_PRACTICAL_EFFECT}")
    crossing = claims[claims["depends_on"].astype(bool) & claims["verdict"].str.startswith(DEPENDS)]
    if len(crossing):
        parts.append(f"{len(crossing)} {DEPENDS} another factor")
    if counts.get(NO_DECIDED_EFFECT):
        parts.append(f"{counts.get(NO_DECIDED_EFFECT)} {NO_DECIDED_EFFECT}")
    column = analysis.columns[metric]
    which = ""
    if metric != analysis.primary:
        tricks = ", ".join(dict.fromkeys(claims["factor"]))
        which = f"the claims about training dynamics of {tricks}: "
    judged = "; ".join(JUDGED[key] for key in dict.fromkeys(claims["estimand"]))
    lines = [
        f"On {column.label} ({column.direction_text}), {which}{len(claims)} "
        f"comparison{'s' if len(claims) != 1 else ''} "
        f"against the baseline, {judged}: {', '.join(parts)} "
        "at 95% (Holm-corrected, see Methods)"
        + (
            f"; {counts.get('no direction claimed')} without a claimed direction."
            if counts.get("no direction claimed")
            else "."
        )
    ]
    decimals = displays.effect_decimals(analysis.effects).get(metric, 2)
    related = claims["depends_on"].astype(bool) | claims["stronger_with"].astype(bool)
    lines += [relation_line(analysis, claim, decimals) for _, claim in claims[related].iterrows()]
    return lines


def relation_line(analysis: Analysis, claim: pd.Series, decimals: int) -> str:
    """A claim's tested crossovers and decided interactions, with its effects at each level
    of the other factor: 'kernel_size = 3 vs 4 (supported): stronger with d_downsample =
    maxpool: +5.1 [..] with strided, +19.2 [..] with maxpool.'"""
    parts = []
    if claim["depends_on"]:
        parts += [
            claim_display.dependency_text(analysis, claim, decimals),
            "its average effect mixes these and does not hold everywhere",
        ]
    parts += [
        f"{words}: {claim_display.conditional_effects(analysis, claim, by, decimals)}"
        for by, words in claim_display.interaction_words(analysis, claim)
    ]
    crossing = claim["verdict"].startswith(DEPENDS)  # the word is the first part
    head = f"{claim['factor']} = {claim['level']} vs {claim['baseline']}"
    return head + (" " if crossing else f" ({claim['verdict']}): ") + "; ".join(parts) + "."


def aa_lines(analysis: Analysis, metric: str) -> list[str]:
    """In plain words, for each comparison of a no-effect claim (the A/A null factor): did
    the suite call a difference where none exists, on `metric` and on the other metrics?"""
    null = analysis.claims[analysis.claims["expected"] == NO_DIFFERENCE]
    decimals = displays.effect_decimals(analysis.effects).get(metric, 2)
    label, lines = analysis.columns[metric].label, []
    for r in null[null["metric"] == metric].itertuples():
        effect = displays.ci_text(r.estimate, r.ci_low, r.ci_high, decimals)
        head = (
            f"A/A check: {r.factor} = {r.level} vs {r.baseline} changes nothing but the "
            "random stream"
        )
        if r.verdict == "contradicted":
            lines.append(
                f"{head}, yet the suite called a difference on {label} ({effect}, adjusted p "
                f"{displays.p_text(r.p_holm)}): a false positive, a difference where none "
                "exists. At 95% at most about 1 such check in 20 does this by chance; if it "
                "recurs, this study's verdicts are overconfident on this data and budget."
            )
        elif r.verdict == NO_PRACTICAL_EFFECT:
            lines.append(
                f"{head}, and the suite called no difference on {label} ({effect}): no false "
                f"positive, and the interval lies inside ±{r.sesoi:.3g} (the smallest effect "
                "of interest): no practical effect, as it should be."
            )
        else:
            lines.append(
                f"{head}, and the suite called no difference on {label} ({effect}): no false "
                "positive. This is not proof of no effect: any effect inside that interval "
                "is still possible at this many seeds."
            )
        others = len(analysis.columns) - 1
        if others:
            plural = "s are" if others != 1 else " is"
            lines.append(
                f"The other {others} metric{plural} exploratory: their estimates are shown "
                "without verdict words (Methods)."
            )
    return lines


def study_facts(
    inputs: Inputs, analysis: Analysis, code: dict[str, Any] | None = None
) -> list[tuple[str, str]]:
    """Key/value lines for the study summary: design, data, budget, seeds, machines, and the
    code that made the report (`code`: provenance.record_code's; else the commit alone)."""
    study, layout = inputs.study, analysis.layout
    facts = [("study", study.name)]
    if study.description:
        facts.append(("description", study.description))
    # named relative to the results folder, never by a path of the machine that made it
    sources = f"{inputs.folder.study.name} and {inputs.folder.design.name}"
    facts.append(("source", f"{sources}, beside this report"))
    design = layout.design
    if layout.design == "fractional":
        design += f" (resolution {layout.resolution})"
    facts.append(("design", f"{design}, {len(layout.cell_order)} cells"))
    for name, levels in layout.factors.items():
        marked = [f"{lv} (baseline)" if lv == layout.baseline[name] else lv for lv in levels]
        facts.append((f"factor {name}", ", ".join(marked)))
    fixed = {k: v for k, v in study.baseline.as_dict().items() if k not in layout.factors}
    changed = {k: v for k, v in fixed.items() if v != TRICKS[k].default}
    facts.append(
        (
            "fixed tricks off default",
            ", ".join(f"{k}={format_level(v)}" for k, v in changed.items())
            or "none (registry defaults)",
        )
    )
    for key in ("dataset", "model", "train", "eval"):
        section = getattr(study, key)
        facts.append((key, ", ".join(f"{k}: {v}" for k, v in section.items())))
    seeds = sorted(analysis.runs["seed"].unique())
    facts.append(("seeds", f"{', '.join(map(str, seeds))} ({len(seeds)} per cell)"))
    runs, diverged = len(analysis.runs), int(analysis.runs["diverged"].sum())
    facts.append(("runs", f"{runs} ({runs - diverged} completed, {diverged} diverged)"))
    if "seconds" in analysis.runs:
        total = float(analysis.runs["seconds"].sum())
        facts.append(("training time", f"{total / 3600:.2f} h in all ({total:.0f} s)"))
    if inputs.run_infos:
        facts += _machine_facts(inputs.run_infos)
    else:
        facts.append(("machines", "not recorded here (no run folders next to summary.csv)"))
    facts.append(("report made", made_with(code or {"git_commit": git_commit()})))
    return facts


def kept_note(names: list[str]) -> str:
    """Which figures the page shows as an earlier report drew them (build.keep_earlier)."""
    return (
        f"Kept from an earlier report: {', '.join(names)}. They are drawn from the run "
        "folders' files (each run's log, samples and traversals), none of which this folder "
        "has for them (a published results folder is committed without its run folders), "
        "so they are shown as that report drew them; every other figure and table is "
        "this report's."
    )


def made_with(code: dict[str, Any]) -> str:
    """When, by which gan-bench and from which tree: the commit, and with a dirty tree the
    patch beside the report that rebuilds it from the commit."""
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = f"{made} by gan-bench {_own_version()}, commit {code['git_commit']}"
    diff = code.get("code_diff")
    if not diff:
        return text
    text += f" with the uncommitted changes in {diff['file']} beside this report"
    if diff["cut"]:
        text += f" (cut to {diff['bytes']} of {diff['full_bytes']} bytes)"
    text += f", sha256 {diff['sha256']}"
    if diff["untracked"]:
        text += f"; untracked files, not in it: {', '.join(diff['untracked'])}"
    return text


def code_text(info: dict[str, Any]) -> str | None:
    """A run's commit, with its code.diff's sha256 (shortened) when the tree was dirty."""
    commit, diff = info.get("git_commit"), info.get("code_diff")
    if commit is None or not diff:
        return commit
    return f"{commit} + {diff['file']} sha256 {diff['sha256'][:12]}"


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
        ("git commit", _distinct([{"code": code_text(info)} for info in infos], "code")),
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


CODE_ROLES = (
    "Which continuous code moves what: per code, the digits' slant and their stroke "
    "thickness against the code along its sweeps (|mean Spearman r|, 1: always the same way, "
    "0: not at all; gan_bench/score/strokes.py), mean over seeds [95% t-interval]. A code is "
    "named for a measure where the two intervals do not overlap. Each run learns its own "
    "roles: seeds that give the slant to different codes leave both codes middling."
)


def code_roles(analysis: Analysis) -> list[str]:
    """Per InfoGAN cell, which continuous code moves the digits' slant and which their
    thickness, in words, from the cell means and t-intervals of the stroke columns
    (slant_r_c1_pixel_<N>, ...) the analysis has; none where it has none."""
    names = {column.metric.key: name for name, column in analysis.columns.items()}
    codes = [
        code
        for code in range(1, STROKE_CODES + 1)
        if all(stroke_key(measure, code) in names for measure in STROKE_MEASURES)
    ]
    if not codes:
        return []
    lines = []
    for cell, rows in analysis.cells.groupby("cell", sort=False):
        by_metric = rows.set_index("metric")
        roles = []
        for code in codes:
            found = {m: by_metric.loc[names[stroke_key(m, code)]] for m in STROKE_MEASURES}
            if all(math.isfinite(row["mean"]) for row in found.values()):
                roles.append(code_role(code, found))
        if roles:
            lines.append(f"{cell}: " + "; ".join(roles) + ".")
    return lines


def code_accuracy_by_seed(analysis: Analysis) -> list[str]:
    """Per InfoGAN cell, each seed's categorical-code accuracy with its median and lowest:
    InfoGAN fails on some seeds, which a mean and its interval hide. Three decimals: a
    share of 2,000 samples, read against bars such as the paper's 0.95."""
    names = [n for n, column in analysis.columns.items() if column.metric.key == "code_accuracy"]
    lines = []
    for name in names:
        for cell, rows in analysis.runs.groupby("cell", sort=False):
            values = rows.set_index("seed")[name].astype(float).sort_index()
            if not values.notna().any():
                continue
            each = ", ".join(
                f"{seed}: {value:.3f}" if math.isfinite(value) else f"{seed}: none"
                for seed, value in values.items()
            )
            lines.append(
                f"{cell}: {name} by seed ({each}); median {values.median():.3f}, "
                f"lowest {values.min():.3f}."
            )
    return lines


def code_role(code: int, found: dict[str, pd.Series]) -> str:
    """`c1: slant, |r| = 0.82 [0.75, 0.89] (thickness 0.21 [0.10, 0.32])`: the measure with
    the larger mean leads, and is named the code's when its interval lies above the other's
    (or there are no intervals: one seed)."""
    (lead, first), (other, second) = sorted(found.items(), key=lambda item: -item[1]["mean"])
    if not (math.isfinite(first["ci_low"]) and math.isfinite(second["ci_high"])):
        return (
            f"c{code}: {lead}, |r| = {first['mean']:.2f} ({other} {second['mean']:.2f}; "
            "one seed, no interval)"
        )
    if first["ci_low"] <= second["ci_high"]:
        return f"c{code}: no clear lead ({lead} |r| = {_r(first)}, {other} {_r(second)})"
    return f"c{code}: {lead}, |r| = {_r(first)} ({other} {_r(second)})"


def _r(row: pd.Series) -> str:
    return f"{row['mean']:.2f} [{row['ci_low']:.2f}, {row['ci_high']:.2f}]"


def alias_text(design: DesignRecord) -> str:
    """A fractional design's resolution, generators and aliases (design.json); else ''."""
    if design.design != "fractional":
        return ""
    lines = [f"resolution: {design.resolution}", f"generators: {design.generators}"]
    return "\n".join(lines + [str(alias) for alias in design.aliases])


def analysis_title(inputs: Inputs, analysis: Analysis) -> str:
    name = inputs.study.name
    return f"{name} ({analysis.layout.design}, {len(analysis.runs)} runs)"
