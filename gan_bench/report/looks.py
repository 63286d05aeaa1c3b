"""The report of a study run with `gan-bench run --until-decided` (its results folder has
sequence.json): every look, what it decided and spent, why the sequence stopped; the claim
table's confirmatory verdicts are the sequential ones (gan_bench/analysis/sequential.py).
A folder without sequence.json is reported exactly as before."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from gan_bench.analysis.analyse import Analysis, analyse
from gan_bench.analysis.sequential import (
    Sequence,
    evaluate,
    look_of,
    read_state,
    sequential_claims,
)
from gan_bench.report.displays import html_table
from gan_bench.report.inputs import Inputs

STILL_RUNNING = "still running: look {next} ({seeds} seeds per cell) comes next"


def analysis_of(inputs: Inputs) -> tuple[Analysis, Sequence | None]:
    """The analysis the page shows: of every run, or for a sequential study its last look
    (its seeds, its share of the error rate) with each confirmatory claim's sequential
    verdict."""
    if not inputs.folder.sequence.is_file():
        analysis = analyse(inputs.summary, inputs.study, inputs.design, metrics=inputs.metrics)
        return analysis, None
    schedule, planned, _ = read_state(inputs.folder.sequence)
    sequence = evaluate(
        inputs.summary, inputs.study, inputs.design, inputs.metrics, schedule, planned
    )
    return replace(sequence.last.analysis, claims=sequential_claims(sequence)), sequence


def tagged(verdicts: list[str], claims: pd.DataFrame, sequence: Sequence) -> list[str]:
    """Each confirmatory verdict with the look that gave it: "supported (look 2 of 3)"."""
    made = len(sequence.looks)
    keys = zip(claims["metric"], claims["factor"], claims["level"], strict=True)
    return [
        f"{word} (look {look_of(sequence, key)} of {made})"
        for word, key in zip(verdicts, keys, strict=True)
    ]


def stop_text(sequence: Sequence) -> str:
    """Why the sequence stopped after its last look, or what comes next."""
    if sequence.stop is not None:
        return f"Stopped after look {len(sequence.looks)}: {sequence.stop}."
    following = len(sequence.looks) + 1
    seeds = sequence.schedule.sizes[following - 1]
    return STILL_RUNNING.format(next=following, seeds=seeds).capitalize() + "."


def looks_display(sequence: Sequence) -> pd.DataFrame:
    """One row per look: seeds, runs, the share of the 5% it spent, what it decided."""
    rows, spent = [], 0.0
    for look in sequence.looks:
        spent += look.share
        rows.append(
            {
                "look": look.index,
                "seeds per cell": len(look.seeds),
                "runs": look.runs,
                "share of the 5% error rate": f"{look.share:.1%}",
                "spent so far": f"{spent:.1%}",
                "claims decided": "; ".join(
                    f"{sequence.name((m, f, lv))}: {w}" for m, f, lv, w in look.decided
                )
                or "none",
            }
        )
    return pd.DataFrame(rows)


def method_line(sequence: Sequence) -> str:
    """How the error rate is kept under repeated looks (the Methods list)."""
    sizes = " → ".join(str(n) for n in sequence.schedule.sizes)
    kind = sequence.schedule.spending.replace("_", "-")
    return (
        f"Seeds were added until decided (seeds per cell {sizes}): look j spends a share "
        f"s_j of the 5% error rate from an {kind}-type alpha-spending function of the seeds "
        "(adjusted p-values are divided by s_j), the shares sum to 1, so by the union bound "
        "the chance of any false verdict word at any look is at most 5%; a claim keeps the "
        "first look's decided word, and the tables show the last look's estimates."
    )


def looks_part(sequence: Sequence | None) -> dict[str, str]:
    """The page's Looks section (empty without a sequence)."""
    if sequence is None:
        return {"looks": "", "looks_stop": ""}
    return {
        "looks": html_table(looks_display(sequence), "looks"),
        "looks_stop": stop_text(sequence),
    }
