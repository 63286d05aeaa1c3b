"""Which effect should a verdict be about, and when may it say "depends on X"?

Research for verdicts v3 (items 3 and 4 of the issue): replicate studies of the full 2^5
design at 3 seeds (one FID-like metric, noise SD 3), fitted with main effects and every
two-way interaction by the fit `variance_rules.py` chose (Huber's estimate, sandwich
variance, Satterthwaite df from each cell's variance). Factor A's claim is judged against
its baseline, with Holm at 5% over the five factors' claims, on two estimands:

  average      A's main effect, averaged over the other factors' levels
  recommended  A's effect with every other factor at its recommended level: the main
               effect plus A's two-way interactions, each at that level (sqrt(5) times the
               average's standard error in a 2^5 design)

and "depends on B" is said only for a tested crossover: A's effects at B's two levels
each decided (two-sided, at the claim's Holm share) with opposite signs.

Scenarios: A +3 everywhere; A 0 at B's recommended level and +4 at the other (the audit's
max-pool case: average +2, recommended 0); A +8 and +1 (no crossover); A +4 and -4 (a
crossover); no effect. Printed: how often each rule says "supported", how often "depends
on B", with Monte-Carlo SEs.

    python benchmarks/estimand_rules.py [--replicates 2000] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from variance_rules import (  # noqa: E402  (prepends the repo to sys.path too)
    BASE,
    FACTORS,
    SD,
    SEEDS,
    _huber_sandwich,
    cells,
    estimated_df,
    hc2_form,
    model_matrix,
)

from gan_bench.analysis.robust import huber_fit  # noqa: E402

ALPHA = 0.05
B = 1  # the factor A's effect may depend on; A is factor 0; -1 is every recommended level


def contrasts() -> dict[str, np.ndarray]:
    """Coefficient vectors (intercept, 5 mains, 10 pairs in combinations order)."""
    p = 1 + FACTORS + FACTORS * (FACTORS - 1) // 2
    pairs = [(i, j) for i in range(FACTORS) for j in range(i + 1, FACTORS)]
    average = np.zeros(p)
    average[1] = 2.0
    recommended = average.copy()
    at_b = {-1: average.copy(), 1: average.copy()}
    for k, (i, j) in enumerate(pairs):
        if 0 in (i, j):  # A x other: at the other's recommended level (-1)
            recommended[1 + FACTORS + k] = -2.0
            if B in (i, j):
                at_b[-1][1 + FACTORS + k] = -2.0
                at_b[1][1 + FACTORS + k] = 2.0
    return {"average": average, "recommended": recommended, "at_b_rec": at_b[-1],
            "at_b_other": at_b[1]}  # fmt: skip


def simulate(effect_rec: float, effect_other: float, replicates: int, rng) -> dict[str, float]:
    """Rates of each rule's words when A's effect is `effect_rec` at B's recommended level
    and `effect_other` at its other level."""
    levels = cells(half=False)
    run_levels = np.repeat(levels, SEEDS, axis=0)
    run_cell = np.repeat(np.arange(len(levels)), SEEDS)
    x = model_matrix(run_levels)
    a, b = run_levels[:, 0], run_levels[:, B]
    effect = np.where(b < 0, effect_rec, effect_other)  # A's level difference at each run
    mean = BASE + a * effect / 2
    y = mean[:, None] + SD * rng.standard_normal((len(x), replicates))
    named = contrasts()
    others = [np.eye(len(named["average"]))[1 + f] * 2.0 for f in range(1, FACTORS)]
    vectors = np.array([*named.values(), *others])
    leverage = np.einsum("ij,jk,ik->i", x, np.linalg.pinv(x.T @ x), x)
    estimate, se, _, omega = _huber_sandwich(
        x, y, vectors, leverage, np.ones(len(vectors)), cells=run_cell
    )
    params = huber_fit(x, y).params  # _huber_sandwich's estimates are the main effects only
    estimate = (vectors @ params).T
    df = estimated_df([hc2_form(x, v) for v in vectors], omega)
    p = 2 * stats.t.sf(np.abs(estimate / se), df)
    names = list(named)
    out = {}
    for estimand in ("average", "recommended"):
        k = names.index(estimand)
        family = np.column_stack([p[:, k], p[:, len(names) :]])  # A's claim + 4 others
        order = np.sort(family, axis=1)
        thresholds = ALPHA / (family.shape[1] - np.arange(family.shape[1]))
        passes = np.cumprod(order <= thresholds, axis=1).astype(bool)
        cut = np.where(passes.any(axis=1), order[np.arange(len(order)), passes.sum(1) - 1], -1)
        decided = family[:, 0] <= cut
        out[f"{estimand}: supported"] = float((decided & (estimate[:, k] > 0)).mean())
    share = ALPHA / FACTORS  # the claim's Holm share, two conditional tests inside it
    rec, other = names.index("at_b_rec"), names.index("at_b_other")
    both = (p[:, rec] <= share / 2) & (p[:, other] <= share / 2)
    crossing = np.sign(estimate[:, rec]) != np.sign(estimate[:, other])
    out["depends on B (tested crossover)"] = float((both & crossing).mean())
    return out


SCENARIOS = {
    "A +3 everywhere": (3.0, 3.0),
    "A 0 at B recommended, +4 at the other (average +2)": (0.0, 4.0),
    "A +8 / +1 (no crossover)": (8.0, 1.0),
    "A +4 / -4 (crossover)": (4.0, -4.0),
    "no effect": (0.0, 0.0),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicates", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    print(f"{args.replicates} replicates per scenario; full 2^5 design, 3 seeds, SD {SD}")
    for name, (rec, other) in SCENARIOS.items():
        rates = simulate(rec, other, args.replicates, rng)
        shown = "; ".join(
            f"{rule} {100 * r:.1f}% (±{100 * np.sqrt(r * (1 - r) / args.replicates):.1f})"
            for rule, r in rates.items()
        )
        print(f"{name}: {shown}")
    print(f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
