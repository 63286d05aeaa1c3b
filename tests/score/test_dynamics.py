"""The dynamics metrics read from log.jsonl: their definitions on hand-made logs, older logs
without the new keys (NaN, no crash), bad lines refused naming the file, and the
overfit_pattern rule's firing rates on simulated flat and planted logs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import load_benchmark

from gan_bench.folders import RunFolder
from gan_bench.score import dynamics
from gan_bench.score.dynamics import LogError, read_dynamics
from gan_bench.score.registry import METRICS

LN2 = math.log(2)


def line(step: int, **values: float) -> dict:
    """A log line as the trainer writes it since d_adv, g_adv and the probe were logged."""
    record = {"step": step, "d_loss": 1.3, "g_loss": 0.8, "d_real": 0.6, "d_fake": 0.4}
    record |= {"d_adv": LN2, "g_adv": LN2, "d_train": 0.6, "d_heldout": 0.55, "d_overfit": 0.05}
    return record | {"seconds": 0.1 * step} | values


def trending(lines: int, g_per_line: float, d_per_line: float, wobble: float = 0.01) -> list:
    """A log whose g_adv and d_adv move by a fixed amount per line, with a small wobble."""
    index = np.arange(lines)
    wiggle = wobble * np.sin(index * 2.3)
    g_adv, d_adv = LN2 + g_per_line * index + wiggle, LN2 + d_per_line * index - wiggle
    return [line(10 * (i + 1), g_adv=g_adv[i], d_adv=d_adv[i]) for i in range(lines)]


def test_keys_are_the_registrys_dynamics_family():
    assert dynamics.KEYS == tuple(k for k, m in METRICS.items() if m.family == "dynamics")


def test_d_overfit_is_the_last_lines_even_when_lines_come_out_of_order():
    log = [line(20, d_overfit=0.12), line(30, d_overfit=0.31), line(10, d_overfit=-0.02)]
    assert dynamics.dynamics(log)["d_overfit"] == pytest.approx(0.31)


def test_d_balance_averages_the_last_fifth_of_the_lines():
    early = [line(10 * i, d_real=0.99, d_fake=0.01) for i in range(1, 9)]
    late = [line(90, d_real=0.9, d_fake=0.2), line(100, d_real=0.7, d_fake=0.5)]
    # last 2 of 10 lines: (0.4 + 0.3) and (0.2 + 0.0)
    assert dynamics.dynamics(early + late)["d_balance"] == pytest.approx((0.7 + 0.2) / 2)
    # three lines: 20% rounds up to the last one
    three = [line(1, d_real=0.9), line(2, d_real=0.9), line(3, d_real=0.5, d_fake=0.5)]
    assert dynamics.dynamics(three)["d_balance"] == pytest.approx(0.0)


def test_the_pattern_fires_on_rising_g_and_falling_d_only():
    assert dynamics.dynamics(trending(12, 0.05, -0.05))["overfit_pattern"] == 1.0
    assert dynamics.dynamics(trending(12, -0.05, 0.05))["overfit_pattern"] == 0.0
    assert dynamics.dynamics(trending(12, 0.05, 0.05))["overfit_pattern"] == 0.0
    assert dynamics.dynamics(trending(12, 0.0, 0.0))["overfit_pattern"] == 0.0


def test_the_pattern_reads_only_the_second_half():
    """G falls and D rises over the first half, the pattern holds over the second."""
    first = trending(10, -0.05, 0.05)
    second = [
        r | {"step": r["step"] + 100, "g_adv": r["g_adv"] - 0.5, "d_adv": r["d_adv"] + 0.5}
        for r in trending(10, 0.05, -0.05)
    ]
    assert dynamics.dynamics(first + second)["overfit_pattern"] == 1.0
    assert dynamics.dynamics(second + first)["overfit_pattern"] == 1.0  # sorted by step


def test_the_pattern_needs_five_lines_in_the_second_half():
    assert dynamics.dynamics(trending(9, 0.05, -0.05))["overfit_pattern"] == 1.0  # 5 lines
    assert math.isnan(dynamics.dynamics(trending(8, 0.05, -0.05))["overfit_pattern"])  # 4


def test_an_older_log_gives_nan_where_it_lacks_the_keys_and_d_balance_still():
    new_keys = ("d_adv", "g_adv", "d_train", "d_heldout", "d_overfit")
    old = [{k: v for k, v in r.items() if k not in new_keys} for r in trending(30, 0.05, -0.05)]
    found = dynamics.dynamics(old)
    assert math.isnan(found["d_overfit"]) and math.isnan(found["overfit_pattern"])
    assert found["d_balance"] == pytest.approx(0.2)  # |0.6 - 0.5| + |0.4 - 0.5|
    assert all(math.isnan(v) for v in dynamics.dynamics([]).values())


def test_read_dynamics_reads_a_run_folders_log(tmp_path):
    paths = RunFolder(tmp_path)
    assert all(math.isnan(v) for v in read_dynamics(paths.log).values())  # no log yet
    log = trending(12, 0.05, -0.05)
    text = "".join(json.dumps(r) + "\n" for r in log) + '{"step": 130, "d_lo'  # cut by a crash
    paths.log.write_text(text, encoding="utf-8")
    assert read_dynamics(paths.log) == dynamics.dynamics(log)


@pytest.mark.parametrize(
    ("bad", "named"),
    [({"step": 20, "d_real": "0.9"}, "step 20: d_real: not a number"),
     ({"d_real": 0.9}, "step: missing"),
     ({"step": 20, "g_adv": True}, "step 20: g_adv: not a number")],
)  # fmt: skip
def test_a_bad_line_is_refused_naming_the_file_step_and_key(tmp_path, bad, named):
    path = RunFolder(tmp_path).log
    path.write_text(json.dumps(line(10)) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(LogError, match=named) as error:
        read_dynamics(path)
    assert str(path) in str(error.value)


REALISTIC = load_benchmark("dynamics_rule").REALISTIC  # G/D noise at -0.6, AR(1) 0.5


@pytest.mark.parametrize(
    ("noise", "g_change", "d_change", "low", "high"),
    [
        ({}, 0.0, 0.0, 0.0, 0.01),  # A/A, independent noise: about ALPHA ** 2
        (REALISTIC, 0.0, 0.0, 0.0, 0.10),  # A/A, noise as in real logs: measured 7.5%
        (REALISTIC, 2.0, -2.0, 0.45, 1.0),  # the pattern, 2 SDs each: measured 58%
        (REALISTIC, 2.0, 2.0, 0.0, 0.02),  # both rising is not the pattern
        (REALISTIC, -2.0, 2.0, 0.0, 0.01),  # G catching up is not the pattern
    ],
)
def test_firing_rates_on_simulated_logs_of_the_default_studys_length(
    noise, g_change, d_change, low, high
):
    """30 lines, as ablations/default.yaml logs (1500 steps, every 50); 600 logs each."""
    rate = load_benchmark("dynamics_rule").fire_rate(
        30, 600, **noise, g_change=g_change, d_change=d_change, seed=1
    )
    assert low <= rate <= high
