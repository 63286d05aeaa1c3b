"""Error rates of today's verdicts in the scenarios users run, with their targets (issue 20).

Every scenario of gan_bench/analysis/scenarios.py, simulated on the published
results/default (noise: the primary metric's residual SD of the full model, or its
residuals resampled; each cell's own observed spread where a row says so) and judged by
verdicts.judge, the engine analyse() uses. One row per figure: the scenario, what counts,
the rate in % with its Monte-Carlo SE, the target and whether the rate keeps it:

  false words (any supported / contradicted / "depends on" under no effect, or one the
  planted truth does not bear out)                    at most 5% + 2 MC SE
  power (+3 FID at 3 seeds with 5% of runs x3)        at least 60%
  coverage of the 95% intervals                       93-97%
  the half fraction with 5% of runs x3 (a cell with 2 of its 3 runs failed looks like a
  cell effect): printed as the design limit, no target; other rows are printed beside.

The numbered rows are issue 20's list: (1)-(2) half fraction with 1-2 of 16 cells at 3x the
spread, (3)-(4) each cell its observed spread (half, full), (5) a real interaction the
average hides (max-pool 0 at kernel 4, +4 at kernel 3), (6) a non-crossover one (+1 / +8),
(7) a missing cell, (8) t3 tails, (9) sequential looks 2 -> 4 -> 6 seeds per cell, (10)
power, (11) coverage, (12) the design limit. It is not a test (tests/analysis/
test_scenarios.py asserts each row at a smaller size).

    .venv/bin/python benchmarks/simulate.py [--replicates 4000] [--results results/default]
        [--seed 0] [--only SCENARIO ...]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

from gan_bench.analysis import scenarios
from gan_bench.analysis.analyse import analyse

REPO = Path(__file__).resolve().parent.parent
STATUS = {True: "ok", False: "OFF TARGET", None: ""}


def cpu_text() -> str:
    """The CPU's model name, family and model (Linux), and the cores Python sees."""
    found: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            found.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    name = found.get("model name") or platform.processor() or platform.machine()
    family = f" (family {found['cpu family']}, model {found['model']})" if "model" in found else ""
    return f"{name}{family}, {os.cpu_count()} cores"


def show(row: scenarios.Row, seconds: float) -> None:
    share, se = row.rate
    print(
        f"{row.scenario:<54} {row.counts:<52} {100 * share:5.1f} % ± {100 * se:3.1f}  "
        f"{row.target_text:<13} {STATUS[row.meets()]:<10} [{seconds:.1f} s]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=4000)
    parser.add_argument("--results", default=str(REPO / "results" / "default"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="+", choices=list(scenarios.SCENARIOS), default=None)
    args = parser.parse_args()
    ctx = scenarios.context_of(Path(args.results))
    start = time.perf_counter()
    analyse(ctx.frame, ctx.study, ctx.design, metrics=ctx.every.columns)
    once = time.perf_counter() - start
    se = 100 * np.sqrt(0.05 * 0.95 / args.replicates)
    print(
        f"{cpu_text()}; {args.results}: {len(ctx.full.run_cells)} runs, primary metric "
        f"{ctx.full.primary} (residual SD {ctx.noise.sd[0]:.3g}); {args.replicates} "
        f"replicates per scenario (MC SE of a 5% rate {se:.2f}); analyse() once: {once:.2f} s"
    )
    print(f"{'scenario':<54} {'what counts':<52} {'rate':>13}  {'target':<13} status")
    total, off = time.perf_counter(), []
    for index, (name, scenario) in enumerate(scenarios.SCENARIOS.items()):
        if args.only and name not in args.only:
            continue
        start = time.perf_counter()
        rows = scenario(ctx, args.replicates, np.random.default_rng([args.seed, index]))
        seconds = time.perf_counter() - start
        for row in rows:
            show(row, seconds)
            off += [f"{row.scenario}: {row.counts}"] if row.meets() is False else []
    print(f"simulated and judged in {time.perf_counter() - total:.1f} s")
    print("every row with a target keeps it" if not off else "OFF TARGET: " + "; ".join(off))


if __name__ == "__main__":
    main()
