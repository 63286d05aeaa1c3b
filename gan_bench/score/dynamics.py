"""Training dynamics of one run, read from its log.jsonl: the registry's `dynamics` family.

- d_overfit: the last log line's d_overfit (D's mean output on a probe of training reals
  minus on held-out reals): > 0 when D has memorised the training set.
- d_balance: mean of |d_real - 0.5| + |d_fake - 0.5| over the last 20% of log lines (at
  least one): 0 when D cannot tell real from fake, the equilibrium the folk advice names.
- overfit_pattern: 1.0 when, over the second half of the log lines, G's plain adversarial
  loss (g_adv) rises and D's (d_adv) falls, else 0.0; NaN with fewer than MIN_HALF_LINES.
  Rule: two one-sided least-squares slope tests (scipy.stats.linregress), g_adv's slope > 0
  and d_adv's slope < 0, each at p < ALPHA. Measured with benchmarks/dynamics_rule.py
  (benchmarks/RESULTS.md): on flat noise it fires in under 0.5% of runs when G's and D's
  noise are independent, and in 4-8% (10 to 100 log lines) when they are anti-correlated
  (-0.6) and autocorrelated (0.5 from one line to the next) as in the logs of the
  mnist_t10k study, 8-12% at -0.9 (30 lines; a default-study run's d_adv and g_adv:
  -0.88); a planted rise of G and fall of D of 2 noise SDs each over the half fires in
  34-89%, a rise of both in under 1%. A rate of a few percent is far below the
  metric's smallest effect of interest (a quarter of the runs, gan_bench/score/registry.py)
  and equal between cells whose losses are equally noisy.

Logs written before d_adv, g_adv and d_overfit were logged give NaN for the metrics that
need them, never an error; d_balance needs only d_real and d_fake, logged from the start.
Torch-free: only the log is read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from gan_bench.errors import BadInput
from gan_bench.files import read_log

KEYS = ("d_overfit", "d_balance", "overfit_pattern")  # registry keys, in scores.json order
TAIL_SHARE = 0.2  # d_balance: the last 20% of log lines
MIN_HALF_LINES = 5  # overfit_pattern: a slope test on fewer points says nothing (3 df)
ALPHA = 0.05  # each one-sided slope test


class LogError(BadInput):
    """A log.jsonl line lacks its step or holds a value that is not a number; names the
    file, the step and the key."""


def _value(record: Mapping[str, Any], key: str, source: str) -> float:
    """The line's `key` as a float; NaN when the line lacks it (an older log)."""
    value = record.get(key)
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LogError(f"{source}: step {record.get('step')}: {key}: not a number: {value!r}")
    return float(value)


def _step(record: Mapping[str, Any], source: str) -> float:
    """The line's step: every log line has one, so a line without is refused."""
    if "step" not in record:
        raise LogError(f"{source}: step: missing from a log line: {dict(record)!r}")
    return _value(record, "step", source)


def _column(lines: Sequence[Mapping[str, Any]], key: str, source: str) -> np.ndarray:
    return np.array([_value(line, key, source) for line in lines], dtype=float)


def d_balance(d_real: np.ndarray, d_fake: np.ndarray) -> float:
    """Mean of |d_real - 0.5| + |d_fake - 0.5| over the last TAIL_SHARE of the lines."""
    if d_real.size == 0:
        return math.nan
    tail = max(1, math.ceil(TAIL_SHARE * d_real.size))
    return float(np.mean(np.abs(d_real[-tail:] - 0.5) + np.abs(d_fake[-tail:] - 0.5)))


def overfit_pattern(steps: np.ndarray, g_adv: np.ndarray, d_adv: np.ndarray) -> float:
    """1.0 when, over the second half of the lines, g_adv's least-squares slope is > 0 and
    d_adv's < 0, each one-sided at p < ALPHA; NaN when that half has fewer than
    MIN_HALF_LINES distinct steps or lacks a value."""
    half = slice(steps.size // 2, None)
    steps, g_adv, d_adv = steps[half], g_adv[half], d_adv[half]
    if np.unique(steps).size < MIN_HALF_LINES:
        return math.nan
    if not (np.isfinite(g_adv).all() and np.isfinite(d_adv).all()):
        return math.nan
    rises = stats.linregress(steps, g_adv, alternative="greater").pvalue < ALPHA
    falls = stats.linregress(steps, d_adv, alternative="less").pvalue < ALPHA
    return float(rises and falls)


def dynamics(records: Sequence[Mapping[str, Any]], source: str = "a run's log") -> dict[str, float]:
    """d_overfit, d_balance and overfit_pattern of a run's log lines (in step order); NaN
    for what the lines cannot give. LogError naming `source` for a value that is no number."""
    lines = sorted(records, key=lambda line: _step(line, source))
    steps = _column(lines, "step", source)
    overfit = _column(lines, "d_overfit", source)
    return {
        "d_overfit": float(overfit[-1]) if overfit.size else math.nan,
        "d_balance": d_balance(_column(lines, "d_real", source), _column(lines, "d_fake", source)),
        "overfit_pattern": overfit_pattern(
            steps, _column(lines, "g_adv", source), _column(lines, "d_adv", source)
        ),
    }


def read_dynamics(log: Path) -> dict[str, float]:
    """The dynamics metrics of the run whose log.jsonl is `log` (all NaN without one)."""
    return dynamics(read_log(log), str(log))
