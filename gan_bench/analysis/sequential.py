"""Seeds added until decided: the looks of a sequential study and their share of the 5%.

`gan-bench run STUDY --until-decided` trains the study's seeds (n0 per cell), analyses, and
while a confirmatory claim is undecided adds K seeds per cell, up to N (gan_bench/workflow/
sequence.py runs the rounds). Looking again and again at growing data inflates the chance of
a false verdict; here each look j may spend only a share s_j of the report's error rate
(analyse()'s `look_share`), from an alpha-spending function f of the information time
t_j = n_j / N (Lan & DeMets 1983): s_j = (f(t_j) - f(t_{j-1})) / f(1), so the shares of all
looks sum to 1. By the union bound the chance of any false verdict word at any look is at
most sum_j s_j * 5% = 5%, however the looks are correlated.

Why a union bound and not exact group-sequential boundaries (which spend less conservatively,
by using the correlation of the looks' statistics): a look's verdicts are Holm over several
claims and their equivalence tests plus crossover (interaction) tests; their joint
distribution across looks is no standard one, and the Python packages for group-sequential
designs (gsdesign, confseq, ...) handle one statistic. The union bound is valid for any of
it, and the simulations (tests/analysis/test_sequential.py, benchmarks/simulate.py) show the
false-verdict rate at any look stays under 5%.

The spending function is O'Brien-Fleming-type by default: it spends little at the first look
(n0 seeds, where a claim decided at a share of 5% would often have been decided at the full
5% anyway) and keeps most for the last, so power at N seeds stays close to a fixed design of
N seeds; the Pocock-type one decides strong effects earlier at a loss of power on weak ones
(figures in benchmarks/RESULTS.md).

A claim's sequential verdict is the first look's decided word, and it stays. Everything
here is recomputed from summary.csv and the schedule, so the report and the loop agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from scipy import stats

from gan_bench.analysis.analyse import Analysis, analyse
from gan_bench.analysis.claims import NO_DECIDED_EFFECT, expected_direction
from gan_bench.analysis.inference import ALPHA
from gan_bench.analysis.layout import level_label
from gan_bench.errors import BadInput
from gan_bench.files import read_json
from gan_bench.score.registry import MetricColumn
from gan_bench.study.design import DesignRecord, factor_levels
from gan_bench.study.study_file import Study

NO_DIRECTION = "no direction claimed"  # never decided, never blocks stopping
UNDECIDED = ("inconclusive", NO_DECIDED_EFFECT, NO_DIRECTION)
ALL_DECIDED = "every confirmatory claim is decided"
MAX_SEEDS = "the most seeds per cell (--max-seeds) are reached"
NOTHING_TO_DECIDE = "no confirmatory claim to decide"
Key = tuple[str, str, str]  # a claim: (metric, factor, level)


def pocock(t: float) -> float:
    """Lan-DeMets Pocock-type spending: about even shares per look."""
    return math.log(1 + (math.e - 1) * t)


def obrien_fleming(t: float) -> float:
    """Lan-DeMets O'Brien-Fleming-type spending: little early, most at the last look."""
    if t <= 0:
        return 0.0
    return float(2 - 2 * stats.norm.cdf(stats.norm.ppf(1 - ALPHA / 2) / math.sqrt(t)))


SPENDING = {"obrien_fleming": obrien_fleming, "pocock": pocock}
DEFAULT_SPENDING = "obrien_fleming"


class ScheduleError(BadInput):
    """A sequential schedule that cannot be run; names the flag."""


@dataclass(frozen=True)
class Schedule:
    """Seeds per cell at each look: the study's n0 seeds, then K more at a time up to N.
    New seeds are the next integers after the study's largest seed that it does not use, so
    the same study and flags always give the same seeds."""

    initial: tuple[int, ...]  # the study file's seeds
    batch: int  # K: seeds added per look
    max_seeds: int  # N: seeds per cell at the last possible look
    spending: str = DEFAULT_SPENDING

    def __post_init__(self) -> None:
        if self.batch < 1:
            raise ScheduleError(f"--seed-batch: {self.batch}: must be at least 1")
        if self.max_seeds < len(self.initial):
            raise ScheduleError(
                f"--max-seeds: {self.max_seeds} is fewer than the study's "
                f"{len(self.initial)} seeds per cell"
            )
        if self.spending not in SPENDING:
            raise ScheduleError(f"spending: {self.spending!r}: one of {', '.join(SPENDING)}")

    @classmethod
    def of(
        cls, seeds: list[int], batch: int | None = None, max_seeds: int | None = None
    ) -> Schedule:
        """Defaults: K = n0, N = 3 n0."""
        n0 = len(seeds)
        return cls(tuple(seeds), batch or n0, 3 * n0 if max_seeds is None else max_seeds)

    @classmethod
    def one_look(cls, seeds: list[int]) -> Schedule:
        """A fixed-seed study: one look at its seeds, spending the whole 5% (share 1.0)."""
        return cls(tuple(seeds), 1, len(seeds))

    @property
    def sizes(self) -> list[int]:
        """Seeds per cell at each look: n0, n0 + K, ..., capped at N."""
        n0 = len(self.initial)
        return [*range(n0, self.max_seeds, self.batch), self.max_seeds]

    @property
    def all_seeds(self) -> list[int]:
        """Every seed the schedule may use, in the order they are added."""
        new, candidate = [], max(self.initial, default=-1) + 1
        while len(self.initial) + len(new) < self.max_seeds:
            if candidate not in self.initial:
                new.append(candidate)
            candidate += 1
        return [*self.initial, *new]

    def seeds(self, look: int) -> list[int]:
        """The seeds of look `look` (1-based)."""
        return self.all_seeds[: self.sizes[look - 1]]

    @property
    def shares(self) -> list[float]:
        """Each look's share of the 5% error rate (they sum to 1)."""
        f = SPENDING[self.spending]
        spent = [f(n / self.max_seeds) / f(1.0) for n in self.sizes]
        return [b - a for a, b in zip([0.0, *spent[:-1]], spent, strict=True)]

    def settings(self) -> dict:
        """What the state file records (workflow/sequence.py)."""
        return {
            "initial_seeds": list(self.initial),
            "seed_batch": self.batch,
            "max_seeds": self.max_seeds,
            "spending": self.spending,
        }

    @classmethod
    def from_settings(cls, settings: dict) -> Schedule:
        return cls(
            tuple(settings["initial_seeds"]),
            int(settings["seed_batch"]),
            int(settings["max_seeds"]),
            settings["spending"],
        )


def directed_claims(study: Study) -> list[tuple[str, str]]:
    """(factor, level) of every comparison with the baseline that a verdict can decide (the
    claim predicts a direction or no difference); empty: nothing to run seeds for."""
    out = []
    for name, levels in factor_levels(study).items():
        base = level_label(name, study.baseline.level(name))
        for level in map(lambda v, n=name: level_label(n, v), levels):
            if level != base and expected_direction(name, level, base) != "none":
                out.append((name, level))
    return out


@dataclass
class Look:
    """One look: its seeds, share of the error rate, analysis and the claims it decided."""

    index: int  # 1-based
    seeds: list[int]
    share: float
    runs: int
    analysis: Analysis
    # metric, factor, level, word of each claim this look decided
    decided: list[tuple[str, str, str, str]] = field(default_factory=list)


@dataclass
class Sequence:
    """Every look made so far, each claim's sequential verdict and why it stops (or not)."""

    schedule: Schedule
    looks: list[Look]
    verdicts: dict[Key, tuple[str, int]]  # decided claims: word, look
    pending: list[Key]  # confirmatory claims still undecided
    stop: str | None  # why the sequence stops after its last look; None: it goes on

    @property
    def last(self) -> Look:
        return self.looks[-1]

    @property
    def spent(self) -> float:
        """The share of the 5% spent by the looks made."""
        return sum(look.share for look in self.looks)

    def name(self, key: Key) -> str:
        """A claim in words: 'g_output = sigmoid', 'instance_noise = 0.1 on d_overfit' for
        a claim judged on another metric than the primary one (a dynamics claim)."""
        metric, factor, level = key
        own = "" if metric == self.last.analysis.primary else f" on {metric}"
        return f"{factor} = {level}{own}"


def confirmatory(analysis: Analysis) -> pd.DataFrame:
    """The confirmatory claims (the only ones with verdict words): each factor's main claim
    on the primary metric, its dynamics claim on its own (layout.confirmatory_claims)."""
    return analysis.judged_claims


def look_at(
    frame: pd.DataFrame,
    study: Study,
    design: DesignRecord | None,
    metrics: list[MetricColumn],
    schedule: Schedule,
    index: int,
) -> Look:
    """Look `index`: the runs of its seeds analysed with its share of the error rate."""
    seeds = schedule.seeds(index)
    runs = frame[frame["seed"].astype(int).isin(seeds)].reset_index(drop=True)
    share = schedule.shares[index - 1]
    analysis = analyse(runs, study, design, metrics=metrics, look_share=share)
    return Look(index, seeds, share, len(runs), analysis)


def evaluate(
    frame: pd.DataFrame,
    study: Study,
    design: DesignRecord | None,
    metrics: list[MetricColumn],
    schedule: Schedule,
    planned: int,
) -> Sequence:
    """Looks 1..`planned` (those whose seeds summary.csv holds), each claim's first decided
    word and whether to stop: every confirmatory claim decided, or N seeds reached."""
    present = set(frame["seed"].astype(int))
    looks, verdicts = [], {}
    for index in range(1, planned + 1):
        if not set(schedule.seeds(index)) <= present:
            break
        look = look_at(frame, study, design, metrics, schedule, index)
        for claim in confirmatory(look.analysis).itertuples():
            key = (claim.metric, claim.factor, claim.level)
            if key not in verdicts and claim.verdict not in UNDECIDED:
                verdicts[key] = (claim.verdict, index)
                look.decided.append((*key, claim.verdict))
        looks.append(look)
    if not looks:
        raise BadInput(f"summary.csv holds no run of look 1's seeds {schedule.seeds(1)}")
    claims = confirmatory(looks[-1].analysis)
    blocking = [(c.metric, c.factor, c.level) for c in claims.itertuples() if c.expected != "none"]
    pending = [key for key in blocking if key not in verdicts]
    return Sequence(schedule, looks, verdicts, pending, stop_reason(schedule, looks, pending))


def stop_reason(schedule: Schedule, looks: list[Look], pending: list) -> str | None:
    """Why the sequence stops after its last look, or None when it adds seeds."""
    if confirmatory(looks[-1].analysis).empty:
        return NOTHING_TO_DECIDE
    if not pending:
        return ALL_DECIDED
    if len(looks) >= len(schedule.sizes):
        return MAX_SEEDS
    return None


def sequential_claims(sequence: Sequence) -> pd.DataFrame:
    """The last look's claims with each confirmatory claim's verdict replaced by its
    sequential one (the first look's decided word); a decided claim needs no more seeds."""
    claims = sequence.last.analysis.claims.copy()
    for index, row in claims.iterrows():
        found = sequence.verdicts.get((row["metric"], row["factor"], row["level"]))
        if not row["confirmatory"] or found is None:
            continue
        word = found[0]
        claims.at[index, "verdict"] = word
        claims.at[index, "seeds_needed"] = math.nan
        if not word.startswith("depends on"):
            claims.at[index, "depends_on"] = ""
    return claims


def look_of(sequence: Sequence, key: Key) -> int:
    """The look that decided a claim (metric, factor, level), else the last look (its word
    is the last look's)."""
    return sequence.verdicts.get(key, ("", len(sequence.looks)))[1]


# --------------------------------------------------------------------------- the state file


def state(schedule: Schedule, planned: int, stopped: str | None = None) -> dict[str, Any]:
    """sequence.json: the settings and the looks planned so far (their seeds, for a reader;
    they follow from the settings), and why it stopped once it has."""
    looks = [{"look": j, "seeds": schedule.seeds(j)} for j in range(1, planned + 1)]
    return {"settings": schedule.settings(), "looks": looks, "stopped": stopped}


def read_state(path: Path) -> tuple[Schedule, int, str | None]:
    """The schedule, the looks planned and the stop reason recorded in sequence.json;
    BadInput naming the file when it is unreadable."""
    try:
        recorded = read_json(path)
        schedule = Schedule.from_settings(recorded["settings"])
        planned = len(recorded["looks"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BadInput(f"{path}: not a readable sequence state ({error})") from None
    if not 1 <= planned <= len(schedule.sizes):
        raise BadInput(f"{path}: looks: {planned} planned, the schedule has {len(schedule.sizes)}")
    return schedule, planned, recorded.get("stopped")
