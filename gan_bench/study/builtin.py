"""The built-in studies by name: what every STUDY argument of the CLI accepts besides a file.

An installed gan-bench has no `ablations/` folder beside it, so `gan-bench run smoke` must
find the study inside the package (gan_bench/studies/, see gan_bench/resources.py). A file
that exists always wins, so a user's `smoke` file is never shadowed by the built-in one.
"""

from __future__ import annotations

from pathlib import Path

from gan_bench.errors import BadInput
from gan_bench.resources import builtin_campaigns, builtin_studies


class UnknownStudy(BadInput):
    """A STUDY argument is neither a file nor a built-in study (or campaign) name."""


def resolve_study(argument: str, what: str = "STUDY", campaigns: bool = True) -> str:
    """The file a STUDY argument means: the file itself when it exists, else the packaged
    file of the built-in study (or, with `campaigns`, campaign) of that name; `what` names
    the argument in the error."""
    if Path(argument).is_file():
        return argument
    named = builtin_studies() | (builtin_campaigns() if campaigns else {})
    if argument in named:
        return str(named[argument])
    also = f"; campaigns: {', '.join(builtin_campaigns())}" if campaigns else ""
    raise UnknownStudy(
        f"{what} {argument!r}: file not found, and not the name of a built-in study "
        f"(built-in: {', '.join(builtin_studies())}{also}; see `gan-bench studies`)"
    )


def builtin_rows() -> list[dict[str, str]]:
    """One row per built-in study: name, cells x seeds, design and its one-line description."""
    from gan_bench.study.design import cells
    from gan_bench.study.study_file import load_study

    rows = []
    for name, path in builtin_studies().items():
        try:
            study = load_study(path)
        except BadInput as error:  # e.g. mnist_t10k before its IDX files are fetched
            rows.append(_unrunnable_row(name, path, error))
            continue
        rows.append(
            {
                "name": name,
                "cells x seeds": f"{len(cells(study))} x {len(study.seeds)}",
                "design": study.design,
                "description": study.description,
            }
        )
    return rows


def _unrunnable_row(name: str, path: Path, error: BadInput) -> dict[str, str]:
    """A built-in study that does not load here (its data files are not where it reads
    them): listed all the same, with its own description and what is missing."""
    import yaml

    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    reason = "; ".join(
        line.strip().removeprefix(f"{path}: ") for line in str(error).splitlines() if line.strip()
    )
    return {
        "name": name,
        "cells x seeds": "?",
        "design": str(raw.get("design", "")),
        "description": f"{raw.get('description', '')} [not runnable here: {reason}]",
    }


def aligned(rows: list[dict[str, str]], first: str = "name") -> list[str]:
    """Rows of text as aligned plain-text lines under a header of their keys."""
    columns = list(rows[0]) if rows else [first]
    widths = {c: max([len(c), *(len(row[c]) for row in rows)]) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns).rstrip()]
    return lines + ["  ".join(row[c].ljust(widths[c]) for c in columns).rstrip() for row in rows]


def studies_table(campaign_rows: list[dict[str, str]] | None = None) -> str:
    """The built-in studies as an aligned plain-text table, then the built-in campaigns'
    rows when given (gan_bench/study/campaign_file.py), with how to use them."""
    lines = aligned(builtin_rows())
    if campaign_rows:
        lines += ["", *aligned(campaign_rows, "campaign")]
    lines += [
        "",
        "Use a name wherever a STUDY goes: `gan-bench cells quick`, `gan-bench run quick`.",
        "Your own data: `gan-bench init my.yaml --images DIR` writes a study to edit.",
    ]
    if campaign_rows:
        lines.append("A campaign runs the same study on each member's data: `gan-bench cells "
                     f"{campaign_rows[0]['campaign']}`, then `gan-bench run` it.")  # fmt: skip
    return "\n".join(lines)
