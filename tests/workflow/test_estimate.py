"""What a study will cost, before it starts: step timings scaled by convolution work, start-up
per job, and the runs scheduled dearest first over the cores."""

from __future__ import annotations

import pytest

from gan_bench.workflow.estimate import (
    STUDY_OVERHEAD_S,
    Estimate,
    StepTiming,
    campaign_wall,
    cpu_has_bf16,
    estimate_runs,
    format_duration,
    makespan,
    seconds_per_step,
)


def _timings(low: tuple[int, float], high: tuple[int, float]) -> list[StepTiming]:
    return [StepTiming("cheap", *low), StepTiming("dear", *high)]


def test_step_seconds_lie_on_the_line_through_the_timed_cells():
    timings = _timings((100, 0.02), (300, 0.05))
    assert seconds_per_step(100, timings) == pytest.approx(0.02)
    assert seconds_per_step(300, timings) == pytest.approx(0.05)
    assert seconds_per_step(200, timings) == pytest.approx(0.035)
    one = [StepTiming("only", 100, 0.02)]  # one timing: proportional to MACs
    assert seconds_per_step(250, one) == pytest.approx(0.05)


def test_makespan_schedules_longest_first_over_the_cores():
    assert makespan([5, 4, 3, 3, 3], 1) == 18
    assert makespan([5, 4, 3, 3, 3], 2) == 10  # LPT: 5+3+... on one core, 4+3+3 on the other
    assert makespan([5, 4, 3], 8) == 5
    assert makespan([], 2) == 0


def test_estimate_grows_with_steps_and_cells_and_divides_over_cores():
    timings = _timings((100, 0.02), (300, 0.05))

    def wall(n_runs: int, steps: int, cores: int) -> float:
        runs = {(f"cell{i}", 0): (steps, 100 + 200 * (i % 2)) for i in range(n_runs)}
        return estimate_runs(runs, timings, cores, overhead=5.0, study_overhead=0.0)[0]

    assert wall(8, 1000, 1) < wall(8, 2000, 1) < wall(8, 4000, 1)
    assert wall(8, 1000, 1) < wall(16, 1000, 1) < wall(32, 1000, 1)
    assert wall(8, 1000, 2) == pytest.approx(wall(8, 1000, 1) / 2)  # equal halves
    assert wall(8, 1000, 4) == pytest.approx(wall(8, 1000, 1) / 4)
    per_run = estimate_runs({("a", 0): (1000, 300)}, timings, 1, overhead=5.0)[1]
    assert per_run[("a", 0)] == pytest.approx(1000 * 0.05 + 5.0)


def test_durations_read_as_people_write_them():
    assert format_duration(42) == "42 s"
    assert format_duration(37 * 60) == "37 min"
    assert format_duration(88 * 60 + 20) == "1 h 28 min"


def test_a_campaigns_runs_share_one_queue_and_each_member_adds_its_own_jobs():
    def estimate(*seconds: float) -> Estimate:
        runs = {("c", seed): value for seed, value in enumerate(seconds)}
        return Estimate(0.0, 2, runs, (), 6.0, False)

    wall = campaign_wall([estimate(30, 10), estimate(20, 20)], cores=2)
    assert wall == makespan([30, 10, 20, 20], 2) + 2 * STUDY_OVERHEAD_S == 40 + 40
    assert campaign_wall([estimate()], cores=2) == 0.0


def test_cpu_has_bf16_reads_the_flags(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("model name\t: AMD EPYC\nflags\t\t: fpu sse2 avx2 fma\n")
    assert cpu_has_bf16(info) is False
    info.write_text("flags\t\t: fpu avx2 avx512f avx512_bf16\n")
    assert cpu_has_bf16(info) is True
    info.write_text("flags\t\t: fpu amx_bf16 amx_tile\n")
    assert cpu_has_bf16(info) is True
    assert cpu_has_bf16(tmp_path / "absent") is None
