"""The built-in studies by name: what every STUDY argument of the CLI accepts besides a file.

An installed gan-bench has no `ablations/` folder beside it, so `gan-bench run smoke` must
find the study inside the package (gan_bench/studies/, see gan_bench/resources.py). A file
that exists always wins, so a user's `smoke` file is never shadowed by the built-in one.
"""

from __future__ import annotations

from pathlib import Path

from gan_bench.errors import BadInput
from gan_bench.resources import builtin_studies


class UnknownStudy(BadInput):
    """A STUDY argument is neither a file nor a built-in study name."""


def resolve_study(argument: str, what: str = "STUDY") -> str:
    """The file a STUDY argument means: the file itself when it exists, else the packaged
    file of the built-in study of that name; `what` names the argument in the error."""
    if Path(argument).is_file():
        return argument
    studies = builtin_studies()
    if argument in studies:
        return str(studies[argument])
    raise UnknownStudy(
        f"{what} {argument!r}: file not found, and not the name of a built-in study "
        f"(built-in: {', '.join(studies)}; see `gan-bench studies`)"
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


def studies_table() -> str:
    """The built-in studies as an aligned plain-text table, with how to use them."""
    rows = builtin_rows()
    columns = list(rows[0]) if rows else ["name"]
    widths = {c: max([len(c), *(len(row[c]) for row in rows)]) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns).rstrip()]
    lines += ["  ".join(row[c].ljust(widths[c]) for c in columns).rstrip() for row in rows]
    lines += [
        "",
        "Use a name wherever a STUDY goes: `gan-bench cells quick`, `gan-bench run quick`.",
        "Your own data: `gan-bench init my.yaml --images DIR` writes a study to edit.",
    ]
    return "\n".join(lines)
