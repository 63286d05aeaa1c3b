"""Turn a study's design into cells with stable, readable ids.

A cell id is derived only from the factor levels (in registry order), never from list
positions or hashes, so the same study always yields the same ids and a run folder can be
found again from its settings alone.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from gan_bench.study.fractional import fractional_design
from gan_bench.study.study_file import Study, StudyError
from gan_bench.study.tricks import TRICK_ORDER, TrickSettings, format_level

BASELINE_ID = "baseline"


@dataclass(frozen=True)
class Cell:
    """One combination of trick levels; `tricks` holds every trick, `levels` the varied ones."""

    id: str
    levels: dict[str, Any]
    tricks: TrickSettings


def cell_id(levels: dict[str, Any]) -> str:
    """`name-level` pairs in registry order joined by `__`; `baseline` when nothing varies."""
    parts = [f"{name}-{format_level(levels[name])}" for name in TRICK_ORDER if name in levels]
    return "__".join(parts) or BASELINE_ID


def _make_cell(study: Study, levels: dict[str, Any], *, cell_name: str | None = None) -> Cell:
    return Cell(cell_name or cell_id(levels), dict(levels), study.baseline.with_levels(levels))


def full_factorial(study: Study) -> list[Cell]:
    names = list(study.factors)
    combos = itertools.product(*(study.factors[name] for name in names))
    return [_make_cell(study, dict(zip(names, combo, strict=True))) for combo in combos]


def one_at_a_time(study: Study) -> list[Cell]:
    """The baseline cell, then each factor's non-baseline levels with everything else fixed."""
    cells = [_make_cell(study, {}, cell_name=BASELINE_ID)]
    for name, levels in study.factors.items():
        for level in levels:
            if level != study.baseline.level(name):
                cells.append(_make_cell(study, {name: level}))
    return cells


def explicit_cells(study: Study) -> list[Cell]:
    return [
        _make_cell(study, {n: cell[n] for n in TRICK_ORDER if n in cell}) for cell in study.cells
    ]


def fractional(study: Study) -> list[Cell]:
    """Rows of the standard 2^(k-p) design: -1 -> a factor's first level, +1 -> its second."""
    names = list(study.factors)
    design = fractional_design(names, study.resolution)
    return [
        _make_cell(
            study, {n: study.factors[n][(v + 1) // 2] for n, v in zip(names, row, strict=True)}
        )
        for row in design.matrix
    ]


DESIGNS = {
    "fractional": fractional,
    "full_factorial": full_factorial,
    "one_at_a_time": one_at_a_time,
    "cells": explicit_cells,
}


def cells(study: Study) -> list[Cell]:
    """All cells of the study, in a stable order."""
    return DESIGNS[study.design](study)


def varied_tricks(study: Study) -> list[str]:
    """The tricks whose level differs between cells: the factors, or for `design: cells`
    the tricks that differ between the listed cells (registry order)."""
    if study.design != "cells":
        return list(study.factors)
    all_cells = cells(study)
    return [n for n in TRICK_ORDER if len({repr(c.tricks.level(n)) for c in all_cells}) > 1]


def factor_levels(study: Study) -> dict[str, list[Any]]:
    """Each varied trick's levels, typed as the study gives them: the factors, or for
    `design: cells` each varied trick's values in the order the cells first use them."""
    if study.design != "cells":
        return {name: list(levels) for name, levels in study.factors.items()}
    all_cells = cells(study)
    found: dict[str, list[Any]] = {}
    for name in varied_tricks(study):
        for cell in all_cells:
            level = cell.tricks.level(name)
            if not any(_same(level, seen) for seen in found.get(name, [])):
                found.setdefault(name, []).append(level)
    return found


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same type: True, 1 and 1.0 are three different levels."""
    return type(a) is type(b) and a == b


def describe(study: Study) -> dict[str, Any]:
    """The design as data (design.json), its levels typed as JSON keeps them (int, float,
    bool, string): kind, factors, each cell's id and levels, seeds; for fractions the
    resolution, generators and aliases. Later stages map summary.csv's rows back to typed
    levels through the cell ids here instead of parsing the CSV's text."""
    varied = varied_tricks(study)
    summary: dict[str, Any] = {
        "study": study.name,
        "design": study.design,
        "factors": factor_levels(study),
        "seeds": list(study.seeds),
        "cells": [
            {"id": cell.id, "levels": {name: cell.tricks.level(name) for name in varied}}
            for cell in cells(study)
        ],
    }
    if study.design == "fractional":
        design = fractional_design(list(study.factors), study.resolution)
        summary |= {
            "resolution": design.resolution,
            "generators": design.generators,
            "aliases": design.aliases,
        }
    return summary


@dataclass(frozen=True)
class DesignRecord:
    """design.json read back: what the statistics need to know about the design."""

    study: str
    design: str  # full_factorial | one_at_a_time | fractional | cells
    factors: dict[str, list[Any]]  # varied trick -> typed levels
    cells: dict[str, dict[str, Any]]  # cell id -> typed level of every varied trick
    seeds: list[int]
    resolution: int = 0  # fractional designs only
    generators: str = ""
    aliases: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DesignRecord:
        """From describe()'s dict (KeyError names a missing key)."""
        return cls(
            study=data["study"],
            design=data["design"],
            factors={name: list(levels) for name, levels in data["factors"].items()},
            cells={cell["id"]: dict(cell["levels"]) for cell in data["cells"]},
            seeds=list(data["seeds"]),
            resolution=int(data.get("resolution", 0)),
            generators=data.get("generators", ""),
            aliases=list(data.get("aliases", [])),
        )

    @classmethod
    def of(cls, study: Study) -> DesignRecord:
        """The record aggregate writes for this study, without the file round trip."""
        return cls.from_json(describe(study))


def find_cell(study: Study, wanted: str) -> Cell:
    """The cell with this id, or a StudyError naming `--cell` and the ids that exist."""
    all_cells = cells(study)
    for cell in all_cells:
        if cell.id == wanted:
            return cell
    preview = ", ".join(cell.id for cell in all_cells[:5])
    more = f" (and {len(all_cells) - 5} more)" if len(all_cells) > 5 else ""
    raise StudyError(
        study.path, [("--cell", f"no cell {wanted!r} in this study; cells: {preview}{more}")]
    )


def cells_text(rows: list[dict[str, Any]], fmt: str) -> str:
    """`gan-bench cells`' design matrix as an aligned table, CSV or JSON."""
    if fmt == "json":
        return json.dumps(rows, indent=2)
    columns = list(rows[0]) if rows else ["id"]
    text_rows = [[format_level(row[c]) for c in columns] for row in rows]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(text_rows)
        return buffer.getvalue().rstrip("\n")
    widths = [max(len(c), *(len(r[i]) for r in text_rows)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in text_rows]
    return "\n".join(lines) + f"\n({len(rows)} cells)"
