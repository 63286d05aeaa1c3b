"""The report of a study run with `gan-bench run --until-decided` (its analysis has looks):
every look, what it decided and spent, why the sequence stopped; the claim table's
confirmatory verdicts are the sequential ones, each tagged with the look that gave it
(gan_bench/analysis/sequential.py decides them, analysis.json carries them here). A study
without looks is reported exactly as before."""

from __future__ import annotations

import pandas as pd

from gan_bench.analysis.analyse import Analysis
from gan_bench.analysis.result_file import Looks
from gan_bench.report.claim_display import claims_display
from gan_bench.report.displays import html_table

STILL_RUNNING = "still running: look {next} ({seeds} seeds per cell) comes next"


def tagged(verdicts: list[str], claims: pd.DataFrame, looks: Looks) -> list[str]:
    """Each confirmatory verdict with the look that gave it: "supported (look 2 of 3)"."""
    made = len(looks.looks)
    keys = zip(claims["metric"], claims["factor"], claims["level"], strict=True)
    return [
        f"{word} (look {looks.look_of(key)} of {made})"
        for word, key in zip(verdicts, keys, strict=True)
    ]


def claims_shown(analysis: Analysis, looks: Looks | None) -> pd.DataFrame:
    """The claim table as the page, claims.md and claims.tex show it (and `gan-bench analyse`
    prints it): the confirmatory claims, a sequential study's verdicts tagged with their
    look; empty without a primary metric."""
    claims = claims_display(analysis) if analysis.primary else pd.DataFrame()
    if looks is not None and len(claims):
        claims["verdict"] = tagged(list(claims["verdict"]), analysis.judged_claims, looks)
    return claims


def stop_text(looks: Looks) -> str:
    """Why the sequence stopped after its last look, or what comes next."""
    if looks.stop is not None:
        return f"Stopped after look {len(looks.looks)}: {looks.stop}."
    following = len(looks.looks) + 1
    seeds = looks.sizes[following - 1]
    return STILL_RUNNING.format(next=following, seeds=seeds).capitalize() + "."


def looks_display(looks: Looks) -> pd.DataFrame:
    """One row per look: seeds, runs, the share of the 5% it spent, what it decided."""
    rows, spent = [], 0.0
    for look in looks.looks:
        spent += look.share
        rows.append(
            {
                "look": look.index,
                "seeds per cell": len(look.seeds),
                "runs": look.runs,
                "share of the 5% error rate": f"{look.share:.1%}",
                "spent so far": f"{spent:.1%}",
                "claims decided": "; ".join(f"{name}: {word}" for name, word in look.decided)
                or "none",
            }
        )
    return pd.DataFrame(rows)


def method_line(looks: Looks) -> str:
    """How the error rate is kept under repeated looks (the Methods list)."""
    sizes = " → ".join(str(n) for n in looks.sizes)
    kind = looks.spending.replace("_", "-")
    return (
        f"Seeds were added until decided (seeds per cell {sizes}): look j spends a share "
        f"s_j of the 5% error rate from an {kind}-type alpha-spending function of the seeds "
        "(adjusted p-values are divided by s_j), the shares sum to 1, so by the union bound "
        "the chance of any false verdict word at any look is at most 5%; a claim keeps the "
        "first look's decided word, and the tables show the last look's estimates."
    )


def looks_part(looks: Looks | None) -> dict[str, str]:
    """The page's Looks section (empty without looks)."""
    if looks is None:
        return {"looks": "", "looks_stop": ""}
    return {
        "looks": html_table(looks_display(looks), "looks"),
        "looks_stop": stop_text(looks),
    }
