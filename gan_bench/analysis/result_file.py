"""analysis.json: every table of an analysis with its types, and a sequential study's looks.

The analysis stage (gan_bench/analysis/stage.py) writes it once; the report renders it and
`gan-bench run --until-decided` reads its looks, so neither recomputes a statistic. CSV would
lose what the report relies on (a bool from a string, an infinite "seeds to decide" from an
empty cell), so each table is stored as its columns, dtypes and rows, with JSON's NaN and
Infinity for non-finite numbers (Python's json reads them back exactly).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gan_bench.analysis.analyse import Analysis
from gan_bench.analysis.layout import Layout
from gan_bench.analysis.sequential import Key, Sequence
from gan_bench.score.registry import MetricColumn

ANALYSIS_FORMAT = 2  # 2: verdicts v3 (one engine; claims name their estimand)
FRAMES = (
    "runs",
    "cells",
    "levels",
    "effects",
    "interactions",
    "anova",
    "claims",
    "divergence_cells",
    "divergence_levels",
    "models",
    "conditional",
    "outliers",
)


def frame_record(frame: pd.DataFrame) -> dict[str, Any]:
    """A table as JSON-able columns, dtypes and rows."""
    frame = frame.reset_index(drop=True)
    return {
        "columns": [str(column) for column in frame.columns],
        "dtypes": [str(dtype) for dtype in frame.dtypes],
        "rows": frame.astype(object).to_numpy().tolist(),
    }


def frame_of(record: dict[str, Any]) -> pd.DataFrame:
    """frame_record's table back, with its dtypes."""
    if not record["columns"]:
        return pd.DataFrame()
    frame = pd.DataFrame(record["rows"], columns=record["columns"])
    for column, dtype in zip(record["columns"], record["dtypes"], strict=True):
        if dtype != "object":
            frame[column] = frame[column].astype(dtype)
    return frame


@dataclass(frozen=True)
class LookRecord:
    """One look as the report and the loop show it."""

    index: int
    seeds: list[int]
    runs: int
    share: float
    decided: list[tuple[str, str]]  # (claim in words, its word) of each claim decided here


@dataclass(frozen=True)
class Looks:
    """A sequential study's looks: what was decided when, what is pending, why it stopped."""

    sizes: list[int]  # seeds per cell at each planned look
    spending: str
    looks: list[LookRecord]
    stop: str | None  # why the sequence stops after its last look; None: it goes on
    pending: list[str] = field(default_factory=list)  # undecided claims, in words
    decided_at: dict[Key, int] = field(default_factory=dict)  # claim -> the look deciding it

    @classmethod
    def of(cls, sequence: Sequence) -> Looks:
        looks = [
            LookRecord(
                look.index,
                list(look.seeds),
                look.runs,
                look.share,
                [(sequence.name((m, f, lv)), word) for m, f, lv, word in look.decided],
            )
            for look in sequence.looks
        ]
        return cls(
            list(sequence.schedule.sizes),
            sequence.schedule.spending,
            looks,
            sequence.stop,
            [sequence.name(key) for key in sequence.pending],
            {key: look for key, (_, look) in sequence.verdicts.items()},
        )

    def look_of(self, key: Key) -> int:
        """The look that decided `key`, or the last one for a claim still undecided."""
        return self.decided_at.get(key, len(self.looks))

    def to_json(self) -> dict[str, Any]:
        looks = [
            {"look": r.index, "seeds": r.seeds, "runs": r.runs, "share": r.share,
             "decided": [list(pair) for pair in r.decided]}
            for r in self.looks
        ]  # fmt: skip
        decided_at = [[*key, look] for key, look in self.decided_at.items()]
        return {
            "sizes": self.sizes,
            "spending": self.spending,
            "looks": looks,
            "stop": self.stop,
            "pending": self.pending,
            "decided_at": decided_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Looks:
        looks = [
            LookRecord(
                r["look"], r["seeds"], r["runs"], r["share"], [tuple(p) for p in r["decided"]]
            )
            for r in data["looks"]
        ]
        decided_at = {(m, f, lv): look for m, f, lv, look in data["decided_at"]}
        return cls(
            data["sizes"], data["spending"], looks, data["stop"], data["pending"], decided_at
        )


def analysis_record(
    analysis: Analysis, sequence: Sequence | None, sources: dict[str, str]
) -> dict[str, Any]:
    """analysis.json's content: the tables, what the verdicts were judged on, the looks, and
    the digests of the files it was computed from (so a stale one is noticed)."""
    return {
        "format": ANALYSIS_FORMAT,
        "sources": sources,
        "primary": analysis.primary,
        "confirmatory": [list(pair) for pair in analysis.confirmatory],
        "sesoi_set": analysis.sesoi_set,
        "look_share": analysis.look_share,
        "frames": {name: frame_record(getattr(analysis, name)) for name in FRAMES},
        "looks": Looks.of(sequence).to_json() if sequence is not None else None,
    }


def analysis_from_record(
    record: dict[str, Any], layout: Layout, columns: dict[str, MetricColumn]
) -> tuple[Analysis, Looks | None]:
    """The Analysis (and looks) analysis_record stored; the layout and metric columns come
    from the folder's design.json and metrics.json, which the record's sources name."""
    frames = {name: frame_of(record["frames"][name]) for name in FRAMES}
    analysis = Analysis(
        layout=layout,
        columns=columns,
        primary=record["primary"],
        confirmatory=[tuple(pair) for pair in record["confirmatory"]],
        sesoi_set=record["sesoi_set"],
        look_share=record["look_share"],
        **frames,
    )
    looks = Looks.from_json(record["looks"]) if record["looks"] is not None else None
    return analysis, looks
