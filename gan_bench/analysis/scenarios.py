"""The audit's scenarios (issue 20): what users run, simulated, each with the rate it must keep.

Each scenario plants a truth in a design as a user's study meets it: the default study's
five factors in the 2^(5-1) resolution-V half (ablations/fractional.yaml) or in all 32
cells, with 1-2 noisy cells, each cell's own observed spread, t3 tails, a missing cell, a
real interaction the average effect hides, a non-crossing one, a crossover, sequential
looks, half-failed runs, diverged runs, dynamics claims. It returns rows: what counts, the
replicates' flags, and the target:

  FALSE     a false-verdict rate: at most 5% + 2 Monte-Carlo SE (tests: 3 SE, smaller runs)
  POWER     at least 60%
  COVERAGE  95% intervals covering the truth in 93-97% of cases
  LIMIT     a stated limit of a design, printed with no target
  INFO      printed beside the others, no target

The noise is a real study's (simulate.read_noise on results/default), on its primary metric
alone (simulate.restrict): only its claims carry verdict words here, and they are the words
a fit of every metric gives. benchmarks/simulate.py prints every row at full size;
tests/analysis/test_scenarios.py asserts each at a smaller one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from gan_bench.analysis import simulate as sim
from gan_bench.analysis.claims import DEPENDS
from gan_bench.analysis.model import Setting
from gan_bench.analysis.sequential import SPENDING, Schedule
from gan_bench.analysis.verdicts import Fits
from gan_bench.folders import StudyFolder
from gan_bench.score.registry import column
from gan_bench.study.design import DesignRecord
from gan_bench.study.record import read_study_record
from gan_bench.study.study_file import Study, read_study_file, study_from_dict

FALSE, POWER, COVERAGE, LIMIT, INFO = "false", "power", "coverage", "limit", "info"
FALSE_RATE, MIN_POWER, COVERAGE_BAND = 0.05, 0.60, (0.93, 0.97)
PLANT = ("g_output", "sigmoid", 3.0)  # +3 FID at sigmoid: the claim (tanh is better) holds
POOL, KERNEL = ("d_downsample", "maxpool"), ("kernel_size", "3")  # the audit's interaction
DYNAMICS = {  # a 2^5 study where three tricks get a second claim, on d_overfit
    "g_output": ["tanh", "sigmoid"],
    "instance_noise": [0.0, 0.1],
    "label_smoothing": [1.0, 0.9],
    "batch_mode": ["separate", "mixed"],
    "g_steps": [1, 2],
}
D_OVERFIT_SD = 0.02  # assumed seed-to-seed SD of d_overfit (its registry SESOI)


@dataclass(frozen=True)
class Context:
    """A real study as the scenarios simulate it: its design and the half fraction of its
    factors (primary metric only), that metric's noise, and the study's own records."""

    folder: Path
    every: Setting  # the study as it is: every metric
    full: Setting
    half: Setting
    noise: sim.NoiseModel  # the primary metric's
    published: sim.NoiseModel  # every metric's
    frame: pd.DataFrame  # summary.csv: each cell's observed spread
    study: Study
    design: DesignRecord


def half_fraction(folder: Path, columns: list) -> Setting:
    """The Setting of the study's factors as a 2^(k-1) resolution-V fraction, its study
    dict (study.yaml) with `design: fractional` (as ablations/fractional.yaml has it)."""
    raw = read_study_file(StudyFolder(folder).study)
    raw |= {"name": f"{raw['name']}_half", "design": "fractional", "resolution": 5}
    study = study_from_dict(raw, "<half fraction>")
    return sim.setting_of(study, DesignRecord.of(study), columns)


def context_of(folder: Path) -> Context:
    """The Context of a results folder (e.g. results/default)."""
    folder = Path(folder)
    setting, published, frame = sim.read_noise(folder)
    full, noise = sim.restrict(setting, published, [setting.primary])
    study, design = read_study_record(StudyFolder(folder))
    half = half_fraction(folder, full.columns)
    return Context(folder, setting, full, half, noise, published, frame, study, design)


@dataclass(frozen=True)
class Row:
    """One printed figure: the scenario, what counts, the replicates' flags, the target."""

    scenario: str
    counts: str
    target: str
    flags: np.ndarray

    @property
    def rate(self) -> tuple[float, float]:
        return sim.rate(self.flags)

    def meets(self, se_margin: float = 2.0, band: tuple[float, float] = COVERAGE_BAND):
        """Whether the rate keeps its target (None: no target)."""
        share, se = self.rate
        if self.target == FALSE:
            return share <= FALSE_RATE + se_margin * se
        if self.target == POWER:
            return share >= MIN_POWER
        if self.target == COVERAGE:
            return band[0] <= share <= band[1]
        return None

    @property
    def target_text(self) -> str:
        return {
            FALSE: "<= 5% + 2 SE", POWER: ">= 60%", COVERAGE: "93-97%", LIMIT: "design limit",
        }.get(self.target, "")  # fmt: skip


Scenario = Callable[[Context, int, np.random.Generator], list[Row]]


def noisy_cells(setting: Setting, count: int, factor: float = 3.0) -> np.ndarray:
    """A cell_scale with the first `count` cells (layout order) at `factor` x the spread."""
    scale = np.ones(len(setting.layout.cell_order))
    scale[:count] = factor
    return scale


def _judged(ctx: Context, setting: Setting, replicates: int, rng, main=None, inter=None, **kw):
    """Simulated studies of `setting` with the planted shifts (primary metric), judged;
    and the truth (simulate.noise_free). kw: simulate_runs' options."""
    primary = setting.primary
    means = sim.planted_means(
        setting, ctx.noise.mean, main and {primary: main}, inter and {primary: inter}
    )
    values = sim.simulate_runs(setting, ctx.noise, means, replicates, rng, **kw)
    return sim.judge(setting, values), sim.noise_free(setting, means)


def _null(label: str, setting_of: Callable[[Context], Setting], limit: bool = False, **kw):
    """A scenario without a true effect: any false verdict word (simulate.any_false_word)."""
    target = LIMIT if limit else FALSE

    def scenario(ctx: Context, replicates: int, rng) -> list[Row]:
        setting = setting_of(ctx)
        options = {k: (v(ctx) if callable(v) else v) for k, v in kw.items()}
        fits, _ = _judged(ctx, setting, replicates, rng, **options)
        return [Row(label, "any false word", target, sim.any_false_word(fits))]

    return scenario


def _claim(fits: Fits, factor: str) -> int:
    return next(k for k, effect in enumerate(fits.effects) if effect[0] == factor)


def missed_interaction(ctx: Context, replicates: int, rng) -> list[Row]:
    """Max-pool 0 at kernel 4 (the recommended kernel), +4 FID at kernel 3: average +2."""
    label = "(5) missed interaction: pool 0 / +4 at kernel 4 / 3"
    fits, truth = _judged(ctx, ctx.full, replicates, rng, inter={(*POOL, *KERNEL): 4.0})
    words = sim.verdict_of(fits, ctx.full.primary, POOL[0])
    return [
        Row(label, "contradicted, any 'depends on', a zero effect called", FALSE,
            sim.any_wrong_word(fits, truth)),
        Row(label, "max-pool 'supported' (right: average +2)", INFO, words == "supported"),
    ]  # fmt: skip


def non_crossover(ctx: Context, replicates: int, rng) -> list[Row]:
    """Max-pool +1 FID at kernel 4, +8 at kernel 3: an interaction that does not cross."""
    label = "(6) non-crossover: pool +1 / +8 at kernel 4 / 3"
    fits, truth = _judged(ctx, ctx.full, replicates, rng, {POOL: 1.0}, {(*POOL, *KERNEL): 7.0})
    stronger = fits.stronger[:, 0, _claim(fits, POOL[0])]
    depends = np.char.startswith(fits.verdict, DEPENDS).reshape(replicates, -1).any(axis=1)
    return [
        Row(label, "'depends on' (any claim)", FALSE, depends),
        Row(label, "any wrong word", FALSE, sim.any_wrong_word(fits, truth)),
        Row(label, "max-pool 'stronger with kernel_size = 3'", INFO,
            np.char.find(stronger, f"{KERNEL[0]} = {KERNEL[1]}") >= 0),
    ]  # fmt: skip


def boundary(ctx: Context, replicates: int, rng) -> list[Row]:
    """Three strong interactions that do not cross, each at the edge of one (+8 FID where
    both factors leave the baseline, 0 elsewhere: six claims' effects are 0 at one level of
    their partner). "depends on" is tested only where an interaction is decided
    (verdicts._crossover_holm): here every one is, the case that gate could fail in."""
    label = "boundary: 3 interactions +8 / 0, none crossing"
    inter = {(*POOL, *KERNEL): 8.0, ("g_output", "sigmoid", "d_activation", "relu"): 8.0,
             ("latent", "uniform", "kernel_size", "3"): 8.0}  # fmt: skip
    fits, truth = _judged(ctx, ctx.full, replicates, rng, inter=inter)
    depends = np.char.startswith(fits.verdict, DEPENDS).reshape(replicates, -1).any(axis=1)
    return [
        Row(label, "'depends on' (any claim)", FALSE, depends),
        Row(label, "any wrong word", FALSE, sim.any_wrong_word(fits, truth)),
    ]  # fmt: skip


def crossover(ctx: Context, replicates: int, rng) -> list[Row]:
    """Max-pool -4 FID at kernel 4, +4 at kernel 3: a crossover, no average effect."""
    label = "crossover: pool -4 / +4 at kernel 4 / 3"
    fits, truth = _judged(ctx, ctx.full, replicates, rng, {POOL: -4.0}, {(*POOL, *KERNEL): 8.0})
    words = sim.verdict_of(fits, ctx.full.primary, POOL[0])
    return [
        Row(label, "'depends on kernel_size' (power)", INFO,
            np.char.find(words, KERNEL[0]) >= 0),
        Row(label, "any wrong word", FALSE, sim.any_wrong_word(fits, truth)),
    ]  # fmt: skip


def sequential(ctx: Context, replicates: int, rng) -> list[Row]:
    """No effect; 2 -> 4 -> 6 seeds per cell, each look judged with its spending share."""
    label = "(9) sequential 2 -> 4 -> 6 seeds per cell, no effect"
    schedule = Schedule((0, 1), 2, 6)
    looks = [schedule.seeds(j) for j in range(1, len(schedule.sizes) + 1)]
    settings = [
        sim.setting_of(ctx.study, replace(ctx.design, seeds=seeds), ctx.full.columns)
        for seeds in looks
    ]
    last = settings[-1]
    values = sim.simulate_runs(
        last, ctx.noise, sim.planted_means(last, ctx.noise.mean), replicates, rng
    )
    rows = []
    for spending in SPENDING:
        shares = replace(schedule, spending=spending).shares
        false = [
            sim.any_false_word(sim.judge(setting, values[:, np.isin(last.run_seeds, seeds)], s))
            for setting, seeds, s in zip(settings, looks, shares, strict=True)
        ]
        rows.append(Row(label, f"false word at any look ({spending})", FALSE, np.any(false, 0)))
    return rows


def power(ctx: Context, replicates: int, rng) -> list[Row]:
    """+3 FID at sigmoid, 3 seeds, 5% of runs half-failed (FID-like x3)."""
    label = "(10) +3 FID at sigmoid, 3 seeds, 5% of runs x3"
    factor, level, shift = PLANT
    fits, truth = _judged(ctx, ctx.full, replicates, rng, {(factor, level): shift},
                          half_failed=0.05)  # fmt: skip
    claim = _claim(fits, factor)
    return [
        Row(label, "power: 'supported'", POWER,
            sim.verdict_of(fits, ctx.full.primary, factor) == "supported"),
        Row(label, "95% CI covers the planted effect", INFO,
            sim.covered(fits, truth["estimate"][0])[:, 0, claim]),
    ]  # fmt: skip


def coverage(ctx: Context, replicates: int, rng) -> list[Row]:
    """+3 FID at sigmoid, normal noise: do the 95% intervals hold the truth?"""
    label = "(11) +3 FID at sigmoid, 3 seeds, normal noise"
    factor, level, shift = PLANT
    fits, truth = _judged(ctx, ctx.full, replicates, rng, {(factor, level): shift})
    cover = sim.covered(fits, truth["estimate"][0])
    at_rec = (fits["rec_ci_low"] <= truth["rec_estimate"]) & (
        truth["rec_estimate"] <= fits["rec_ci_high"]
    )
    return [
        Row(label, "95% CI covers the planted effect", COVERAGE, cover[:, 0, _claim(fits, factor)]),
        Row(label, "95% CI covers, all claims pooled", COVERAGE, cover),
        Row(label, "95% CI at the recommended config., pooled", INFO, at_rec),
        Row(label, "power: 'supported'", INFO,
            sim.verdict_of(fits, ctx.full.primary, factor) == "supported"),
    ]  # fmt: skip


def diverged(ctx: Context, replicates: int, rng) -> list[Row]:
    """Equal means; the worst 30% of sigmoid's runs diverge (counted as the worst run)."""
    label = "equal means, 30% of sigmoid's worst runs diverged"
    primary = ctx.full.primary
    divergence = sim.Divergence("g_output", "sigmoid", 0.3, primary)
    fits, _ = _judged(ctx, ctx.full, replicates, rng, divergence=divergence)
    words = sim.verdict_of(fits, primary, "g_output")
    return [Row(label, "'tanh beats sigmoid' contradicted", FALSE, words == "contradicted")]


def dynamics_claims(ctx: Context, replicates: int, rng) -> list[Row]:
    """No effect in a 2^5 study with a d_overfit column (8 confirmatory claims on 2
    metrics): one Holm family across metrics, against one family per metric."""
    label = "dynamics: 8 claims on FID and d_overfit, no effect"
    raw = read_study_file(StudyFolder(ctx.folder).study)
    raw |= {"name": "dynamics", "factors": DYNAMICS, "design": "full_factorial"}
    study = study_from_dict(raw | {"seeds": [0, 1, 2]}, "<dynamics>")
    columns = [column("fid", "cnn", 2000), column("is", "cnn", 2000)]
    columns.append(column("d_overfit", "training", None))
    setting = sim.setting_of(study, DesignRecord.of(study), columns)
    spread = [ctx.published.sd[ctx.published.metrics.index(c.name)] for c in columns[:2]]
    unit = sim.NoiseModel(setting.metrics, np.zeros(3), np.array([*spread, D_OVERFIT_SD]),
                          np.eye(3), None)  # fmt: skip
    means = sim.planted_means(setting, np.array([30.0, 6.0, 0.2]))
    values = sim.simulate_runs(setting, unit, means, replicates, rng)
    judged = sorted({metric for metric, _ in setting.confirmatory})
    alone = [
        replace(setting, confirmatory=[pair for pair in setting.confirmatory if pair[0] == m])
        for m in judged
    ]
    separate = np.any([sim.any_false_word(sim.judge(one, values)) for one in alone], axis=0)
    return [
        Row(label, "any false word (one Holm family)", FALSE,
            sim.any_false_word(sim.judge(setting, values))),
        Row(label, "the same, one family per metric at 5%", INFO, separate),
    ]  # fmt: skip


def _last_cell_missing(ctx: Context) -> Setting:
    return ctx.full.without_cells([ctx.full.layout.cell_order[-1]])


SCENARIOS: dict[str, Scenario] = {
    "full_normal": _null("full 32 cells, no effect, normal noise", lambda c: c.full),
    "full_resampled": _null(
        "full 32 cells, no effect, the study's residuals", lambda c: c.full, resample=True
    ),
    "half_one_noisy": _null(
        "(1) half, 1 of 16 cells at 3x the spread, no effect", lambda c: c.half,
        cell_scale=lambda c: noisy_cells(c.half, 1),
    ),
    "half_two_noisy": _null(
        "(2) half, 2 of 16 cells at 3x the spread, no effect", lambda c: c.half,
        cell_scale=lambda c: noisy_cells(c.half, 2),
    ),
    "half_observed": _null(
        "(3) half, each cell its observed spread, no effect", lambda c: c.half,
        cell_scale=lambda c: sim.observed_spreads(c.half, c.frame),
    ),
    "full_observed": _null(
        "(4) full, each cell its observed spread, no effect", lambda c: c.full,
        cell_scale=lambda c: sim.observed_spreads(c.full, c.frame),
    ),
    "missed_interaction": missed_interaction,
    "non_crossover": non_crossover,
    "missing_cell": _null("(7) full, one cell missing (31 of 32), no effect", _last_cell_missing),
    "t3_tails": _null("(8) full, t3 tails (same SD), no effect", lambda c: c.full, tails=3.0),
    "sequential": sequential,
    "power": power,
    "coverage": coverage,
    "half_failed": _null(
        "(12) half, 5% of runs x3, no effect", lambda c: c.half, limit=True, half_failed=0.05
    ),
    "crossover": crossover,
    "boundary": boundary,
    "diverged": diverged,
    "dynamics": dynamics_claims,
}  # fmt: skip
