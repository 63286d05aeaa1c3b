"""The model every verdict is read off, as arrays: which runs a study has, how they are
coded (sum coding, the baseline level first, two-way interactions where the design
separates them and the completed runs leave the model full rank) and the contrast vectors
of each claim. One real study and thousands of simulated ones use these same functions
(engine.py): a real study is one replicate.

A claim is a factor's non-baseline level against its baseline (claim_index). Its contrasts:
the main effect (averaged over the other factors' levels on the model's reference grid),
the effect at each level of each other factor (conditions), and the effect with every
other factor at its recommended level (recommended_config).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import combinations, product

import numpy as np
import pandas as pd

from gan_bench.analysis.choices import primary_column, sesoi_settings
from gan_bench.analysis.layout import Layout, confirmatory_claims, layout_for, level_label
from gan_bench.score.registry import MetricColumn
from gan_bench.study.design import DesignRecord
from gan_bench.study.study_file import Study
from gan_bench.study.tricks import TRICKS


@dataclass(frozen=True)
class Setting:
    """A study as the engine sees it: its layout, metric columns and one row per run, each
    run's cell and factor levels as indices (layout order, the baseline level 0)."""

    layout: Layout
    columns: list[MetricColumn]
    seeds: list[int]  # the seeds of a design setting (setting_of: every cell has each)
    run_cells: np.ndarray  # run -> index into layout.cell_order
    run_levels: np.ndarray  # run x factor -> index into layout.factors[name]
    run_seeds: np.ndarray  # run -> its seed
    primary: str = ""  # the primary metric (choices.primary_column)
    sesoi: dict[str, float] = field(default_factory=dict)  # the study's analysis.sesoi
    # (metric, factor) of every confirmatory claim (layout.confirmatory_claims)
    confirmatory: list[tuple[str, str]] = field(default_factory=list)

    @property
    def metrics(self) -> list[str]:
        return [column.name for column in self.columns]

    def without_cells(self, cells: list[str]) -> Setting:
        """The same study with every run of `cells` missing (never run, or lost): an
        unbalanced design, as a user has it after a cell's jobs failed for good."""
        gone = [self.layout.cell_order.index(cell) for cell in cells]
        kept = ~np.isin(self.run_cells, gone)
        return replace(
            self,
            run_cells=self.run_cells[kept],
            run_levels=self.run_levels[kept],
            run_seeds=self.run_seeds[kept],
        )


def _cell_levels(layout: Layout, cells: list[str]) -> np.ndarray:
    """cells x factors: each cell's level indices."""
    return np.array(
        [[layout.factors[name].index(layout.cell_levels[c][name]) for name in layout.factors]
         for c in cells],
        dtype=int,
    ).reshape(len(cells), len(layout.factors))  # fmt: skip


def setting_of(
    study: Study,
    design: DesignRecord,
    columns: list[MetricColumn],
    runs: pd.DataFrame | None = None,
) -> Setting:
    """The Setting of a study: the runs of `runs` (summary.csv's rows: cell, seed), else
    every cell of design.json with every seed, in design order."""
    if runs is None:
        cells = list(design.cells)
        layout = layout_for(pd.DataFrame({"cell": cells}), study, design)
        run_cells = np.repeat(np.arange(len(cells)), len(design.seeds))
        seeds = list(design.seeds)
        run_seeds = np.tile(np.array(seeds, dtype=np.int64), len(cells))
    else:
        layout = layout_for(runs, study, design)
        index = {cell: k for k, cell in enumerate(layout.cell_order)}
        run_cells = np.array([index[str(cell)] for cell in runs["cell"]], dtype=int)
        run_seeds = runs["seed"].to_numpy(dtype=np.int64)
        seeds = sorted({int(seed) for seed in run_seeds})
    levels = _cell_levels(layout, layout.cell_order)
    lead = primary_column(study, list(columns))
    primary = lead.name if lead else ""
    return Setting(
        layout,
        list(columns),
        seeds,
        run_cells,
        levels[run_cells],
        run_seeds,
        primary,
        sesoi_settings(study),
        confirmatory_claims(list(layout.factors), list(columns), primary or None),
    )


def recommended_config(layout: Layout) -> dict[str, str]:
    """Per factor, the level the advice is about: the registry's recommended level when
    the study has it, else the study's baseline."""
    config = {}
    for name, levels in layout.factors.items():
        spec = TRICKS[name]
        wanted = None if spec.recommended is None else level_label(name, spec.recommended)
        config[name] = wanted if wanted in levels else layout.baseline[name]
    return config


def config_text(layout: Layout, factor: str) -> str:
    """The recommended configuration of the other factors, as 'a = x, b = y'."""
    config = recommended_config(layout)
    return ", ".join(f"{name} = {level}" for name, level in config.items() if name != factor)


def claim_index(layout: Layout) -> list[tuple[int, int]]:
    """(factor index, level index) of every non-baseline level: the claims, in order."""
    return [
        (f, i) for f, name in enumerate(layout.factors) for i in range(1, len(layout.factors[name]))
    ]


def conditions(layout: Layout) -> list[tuple[int, int, int]]:
    """(claim index, other factor, its level) of every conditional effect."""
    sizes = [len(levels) for levels in layout.factors.values()]
    return [
        (k, other, value)
        for k, (factor, _) in enumerate(claim_index(layout))
        for other in range(len(sizes))
        if other != factor
        for value in range(sizes[other])
    ]


def factor_pairs(layout: Layout) -> list[tuple[int, int]]:
    """Every pair of factors (a < b): the two-way interactions."""
    return list(combinations(range(len(layout.factors)), 2))


@dataclass(frozen=True)
class Model:
    """The model of one set of completed runs (one missing-data pattern)."""

    rows: np.ndarray  # bool over the setting's runs: the ones fitted
    factors: list[int]  # layout factors in the model (>= 2 levels present)
    present: list[list[int]]  # per model factor: its present level indices, layout order
    interactions: bool
    exog: np.ndarray
    terms: dict[tuple[int, ...], slice]  # (factor,) or (a, b) -> its columns

    @property
    def df_resid(self) -> int:
        return len(self.exog) - int(np.linalg.matrix_rank(self.exog))


def _sum_coded(levels: np.ndarray, present: list[int]) -> np.ndarray:
    """Sum (deviation) coding, as patsy's Sum: one column per present level but the last,
    -1 on the last."""
    columns = [(levels == level).astype(float) for level in present[:-1]]
    last = levels == present[-1]
    return np.column_stack([np.where(last, -1.0, c) for c in columns])


def model_matrix(
    levels: np.ndarray, factors: list[int], present: list[list[int]], interactions: bool
) -> tuple[np.ndarray, dict[tuple[int, ...], slice]]:
    """Intercept, sum-coded main effects, then two-way products (levels: rows x factors)."""
    mains = {f: _sum_coded(levels[:, f], kept) for f, kept in zip(factors, present, strict=True)}
    items: list[tuple[tuple[int, ...], np.ndarray]] = [((f,), m) for f, m in mains.items()]
    if interactions:
        for a, b in combinations(factors, 2):
            block = (mains[a][:, :, None] * mains[b][:, None, :]).reshape(len(levels), -1)
            items.append(((a, b), block))
    blocks, terms, start = [np.ones((len(levels), 1))], {}, 1
    for term, block in items:
        terms[term] = slice(start, start + block.shape[1])
        blocks.append(block)
        start += block.shape[1]
    return np.column_stack(blocks), terms


def choose_model(rows: np.ndarray, run_levels: np.ndarray, layout: Layout) -> Model:
    """The model of these completed rows: factors with >= 2 present levels; two-way
    interactions when the design separates them, the model stays full rank (one empty
    cell of a factorial usually leaves it so) and residual degrees of freedom remain."""
    levels = run_levels[rows]
    factors, present = [], []
    for index, name in enumerate(layout.factors):
        kept = [i for i in range(len(layout.factors[name])) if (levels[:, index] == i).any()]
        if len(kept) >= 2:
            factors.append(index)
            present.append(kept)
    want = layout.separates_interactions and len(factors) >= 2
    for interactions in [True, False] if want else [False]:
        exog, terms = model_matrix(levels, factors, present, interactions)
        rank = np.linalg.matrix_rank(exog)
        if interactions and rank < exog.shape[1]:
            continue
        if len(levels) - rank > 0:
            break
    return Model(rows, factors, present, interactions, exog, terms)


def _grid(model: Model, layout: Layout) -> np.ndarray:
    """The reference grid (level indices, rows x layout factors) contrasts average over:
    every combination of present levels when interactions are modelled (an effect is then
    averaged over the other factors), else the baseline and each single change from it (in
    an additive model the others cancel)."""
    base = [0] * len(layout.factors)
    for factor, kept in zip(model.factors, model.present, strict=True):
        base[factor] = 0 if 0 in kept else kept[0]
    if model.interactions:
        combos = []
        for values in product(*model.present):
            row = list(base)
            for factor, value in zip(model.factors, values, strict=True):
                row[factor] = value
            combos.append(row)
    else:
        combos = [list(base)] + [
            base[:f] + [level] + base[f + 1 :]
            for f, kept in zip(model.factors, model.present, strict=True)
            for level in kept
            if level != base[f]
        ]
    return np.array(combos, dtype=int)


def contrast(
    model: Model, layout: Layout, weights: list[tuple[float, dict[int, int]]]
) -> np.ndarray:
    """A linear combination of mean predictions: each term averages the grid's model rows
    holding its fixed levels (the others at baseline when interactions are not modelled)."""
    grid = _grid(model, layout)
    matrix, _ = model_matrix(grid, model.factors, model.present, model.interactions)
    total = np.zeros(matrix.shape[1])
    for weight, fixed in weights:
        mask = np.ones(len(grid), dtype=bool)
        for factor in model.factors:
            if factor in fixed:
                mask &= grid[:, factor] == fixed[factor]
            elif not model.interactions:
                mask &= grid[:, factor] == grid[0, factor]
        total += weight * matrix[mask].mean(axis=0)
    return total


def has_levels(model: Model, factor: int, *levels: int) -> bool:
    """Whether the factor is in the model with every one of `levels` present."""
    if factor not in model.factors:
        return False
    return not set(levels) - set(model.present[model.factors.index(factor)])


def estimable(vector: np.ndarray, model: Model, pinv: np.ndarray) -> bool:
    """Whether the design identifies the contrast (not confounded)."""
    return bool(np.allclose(vector @ pinv @ model.exog, vector, atol=1e-8))
