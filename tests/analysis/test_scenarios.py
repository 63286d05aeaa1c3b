"""Issue 20's scenarios at a smaller size than benchmarks/simulate.py runs them (300
replicates, fixed seeds): every false-verdict rate within 5% + 3 Monte-Carlo SE, every
coverage within 90-99%, and the figures without a target where they must stay."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import REPO

from gan_bench.analysis import scenarios
from gan_bench.analysis.scenarios import COVERAGE, FALSE, INFO, LIMIT, POWER, Row

REPLICATES = 300
CHECKED = [  # the scenarios with a false-verdict or coverage row
    name for name in scenarios.SCENARIOS if name not in ("power", "half_failed")
]


@pytest.fixture(scope="module")
def context():
    return scenarios.context_of(REPO / "results" / "default")


@pytest.fixture(scope="module")
def rows(context):
    """A scenario's rows by what they count (each scenario simulated once per module)."""
    done: dict[str, dict[str, Row]] = {}

    def run(name: str) -> dict[str, Row]:
        if name not in done:
            index = list(scenarios.SCENARIOS).index(name)
            rng = np.random.default_rng([20, index])
            found = scenarios.SCENARIOS[name](context, REPLICATES, rng)
            done[name] = {row.counts: row for row in found}
        return done[name]

    return run


@pytest.mark.parametrize("name", CHECKED)
def test_each_scenario_keeps_its_false_verdict_rate_and_coverage(rows, name):
    checked = [row for row in rows(name).values() if row.target in (FALSE, COVERAGE)]
    assert checked
    for row in checked:
        assert row.flags.shape[0] == REPLICATES
        assert row.meets(se_margin=3.0, band=(0.90, 0.99)), (row.counts, row.rate)


def test_power_for_plus_3_fid_with_half_failed_runs(rows):
    """+3 FID at 3 seeds, 5% of runs x3 (FID-like metrics): the acceptance target is 60%
    (64% at 1500 replicates with Huber's c = 1.345; least squares 5-10%); at this test's
    size its Monte-Carlo SE is ~2.8 points, so the floor is 3 SE under the target."""
    failed = rows("power")["power: 'supported'"]
    assert failed.target == POWER
    share, se = failed.rate
    assert share >= 0.60 - 3 * se, failed.rate
    assert rows("coverage")["power: 'supported'"].rate[0] >= 0.75


def test_a_missed_interaction_leaves_the_average_effect_supported(rows):
    """Max-pool 0 at the recommended kernel, +4 at the other: the verdict is about the
    average (+2), which it decides in about 40% of studies; read at the recommended
    configuration it would have been under 1% (benchmarks/estimand_rules.py)."""
    row = rows("missed_interaction")["max-pool 'supported' (right: average +2)"]
    assert row.target == INFO and row.rate[0] >= 0.25, row.rate


def test_a_non_crossover_interaction_says_stronger_with_the_right_level(rows):
    row = rows("non_crossover")["max-pool 'stronger with kernel_size = 3'"]
    assert row.rate[0] >= 0.40, row.rate


def test_the_half_fractions_limit_with_half_failed_runs_stays_as_stated(rows):
    """The stated limit (about 10% false words: a cell with 2 of its 3 runs failed looks
    like a cell effect) must not grow."""
    row = rows("half_failed")["any false word"]
    assert row.target == LIMIT and row.meets() is None
    share, se = row.rate
    assert share <= 0.15 + 3 * se, row.rate


def test_dynamics_claims_need_their_one_holm_family(rows):
    found = rows("dynamics")
    joint = found["any false word (one Holm family)"].rate[0]
    assert found["the same, one family per metric at 5%"].rate[0] > joint


def test_the_half_fraction_is_the_resolution_v_half_of_the_studys_cells(context):
    half, full = context.half, context.full
    assert half.layout.design == "fractional" and half.layout.resolution == 5
    assert half.layout.separates_interactions
    assert len(half.layout.cell_order) == 16 and len(half.run_cells) == 48
    assert set(half.layout.cell_order) < set(full.layout.cell_order)
    codes = 2 * half.run_levels - 1  # -1 / +1 per factor
    assert (codes.prod(axis=1) == 1).all()  # E = ABCD
    for a, b in itertools.combinations(range(5), 2):  # every pair of levels appears
        assert len({(x, y) for x, y in half.run_levels[:, [a, b]]}) == 4
    assert half.confirmatory == full.confirmatory and half.metrics == [full.primary]


def test_a_row_meets_its_target_by_its_kind():
    flags = np.zeros(400, dtype=bool)
    flags[:24] = True  # 6.0% with an SE of 1.2%
    assert Row("s", "c", FALSE, flags).meets(se_margin=2.0)
    assert not Row("s", "c", FALSE, flags).meets(se_margin=0.5)
    assert not Row("s", "c", POWER, flags).meets()
    assert Row("s", "c", POWER, ~flags).meets()
    assert Row("s", "c", COVERAGE, ~flags).meets()  # 94% in 93-97%
    assert not Row("s", "c", COVERAGE, ~flags).meets(band=(0.95, 0.99))
    assert not Row("s", "c", COVERAGE, np.ones(400, dtype=bool)).meets()  # 100%: too wide
    assert Row("s", "c", INFO, flags).meets() is None
    assert Row("s", "c", LIMIT, flags).target_text == "design limit"


def test_noisy_cells_scale_the_first_cells(context):
    scale = scenarios.noisy_cells(context.half, 2)
    assert scale.tolist() == [3.0, 3.0] + [1.0] * 14
