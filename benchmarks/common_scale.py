"""Which scale makes a claim's effect comparable across datasets? (issue 21 item 2)

Research for gan_bench/analysis/common_scale.py. Campaigns of four simulated members of the
default design (2^5, every two-way interaction in the model), each built on a published
study: its cells' mean log FID as measured (so the other factors move FID as much as they
did on that dataset: kernel_size 3 +42% on digits, +75% on MNIST) and its residual spread,
optionally at another FID level (x c) and spread (x q):

  A  digits 16x16 (results/default, 3 seeds)      c 1    q 1
  B  MNIST t10k (results/mnist_t10k, 6 seeds)      c 1    q 1
  C  digits                                        c 2.5  q 2   (a harder dataset)
  D  MNIST                                         c 0.6  q 0.5
  E  digits, held out (the new dataset)            c 1.6  q 1.5

Planted: sigmoid's FID is (1 + r) x tanh's in every cell of every member (r = 10%): one
relative effect, common to all datasets. Noise: multiplicative (log FID + normal noise
with the log-scale residual SD: the published cells' SD grows with their mean, SD/mean
~0.1 on both datasets), or additive (normal, the raw residual SD x c x q). Each member's
g_output claim is measured by the engine (the same fit as its verdicts) and put on four
scales, each with its SE:

  FID units       the average effect as the verdicts read it
  relative        / the baseline cell's median FID (equivalence.baseline_level), delta
                  method SE with var(median) = pi/2 sigma^2 / n
  standardized    / the member's residual SD (sigma)
  log ratio       the engine on log FID (common_scale.py)

and the four members are meta-analysed (transfer.meta_analysis: Paule-Mandel, HKSJ).
Printed per scale: each member's true effect, their spread over the members' SEs (0: one
common effect), mean tau^2 / SE^2, mean I^2, how often Cochran's Q rejects homogeneity
(5% when there is none), the pooled interval's coverage of the members' mean true effect,
and the 95% prediction interval's coverage of E's true effect. It is not a test.

    .venv/bin/python benchmarks/common_scale.py [--replicates 1000] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from simulate import cpu_text as cpu_model  # noqa: E402  (benchmarks/simulate.py)

from gan_bench.analysis import simulate as sim  # noqa: E402
from gan_bench.analysis.common_scale import member_effects  # noqa: E402
from gan_bench.analysis.engine import measure_studies  # noqa: E402
from gan_bench.analysis.equivalence import baseline_level  # noqa: E402
from gan_bench.analysis.transfer import meta_analysis  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FID = "fid_cnn_2k"
FACTOR, LEVEL = "g_output", "sigmoid"
RELATIVE = 0.10
MEMBERS = {  # name: (results folder, FID level x c, spread x q)
    "A": ("default", 1.0, 1.0),
    "B": ("mnist_t10k", 1.0, 1.0),
    "C": ("default", 2.5, 2.0),
    "D": ("mnist_t10k", 0.6, 0.5),
    "E": ("default", 1.6, 1.5),  # held out
}
SCALES = ("FID units", "relative", "standardized", "log ratio")


def template(name: str):
    """A published study as a member template: its FID-only setting, the cells' mean log
    FID, and the residual SD of the full model on log FID and on FID."""
    setting, noise, frame = sim.read_noise(REPO / "results" / name)
    m = setting.metrics.index(FID)
    one = replace(setting, columns=[setting.columns[m]],
                  confirmatory=[(FID, f) for f in setting.layout.factors])  # fmt: skip
    logged = frame.assign(**{FID: np.log(frame[FID])})
    log_sd = sim.fit_noise(one, logged).sd[0]
    cells = logged.groupby("cell")[FID].mean()
    means = np.array([cells[cell] for cell in one.layout.cell_order])
    return one, means, log_sd, noise.sd[m]


def planted(setting, log_means: np.ndarray) -> np.ndarray:
    """Every cell at LEVEL set to its partner cell at the baseline level + log(1 + r)."""
    layout = setting.layout
    key = {tuple(sorted(layout.cell_levels[c].items())): i for i, c in enumerate(layout.cell_order)}
    out = log_means.copy()
    for i, cell in enumerate(layout.cell_order):
        levels = dict(layout.cell_levels[cell])
        if levels[FACTOR] == LEVEL:
            levels[FACTOR] = layout.baseline[FACTOR]
            out[i] = log_means[key[tuple(sorted(levels.items()))]] + np.log1p(RELATIVE)
    return out


def scales_of(setting, values: np.ndarray) -> tuple[dict, np.ndarray]:
    """The g_output claim's effect (FID up: positive) and SE on each scale, per replicate,
    and the member's residual SD."""
    with np.errstate(divide="ignore", invalid="ignore"):  # noise-free: sigma 0
        return _scales(setting, values)


def _scales(setting, values: np.ndarray) -> tuple[dict, np.ndarray]:
    arrays = measure_studies(setting, values).arrays
    effect, se = arrays["estimate"][:, 0, 0], arrays["se"][:, 0, 0]
    sigma = arrays["sigma"][:, 0, 0]
    at_base = (setting.run_levels == 0).all(axis=1)
    base = baseline_level(values[:, :, 0], at_base)
    var_base = np.pi / 2 * sigma**2 / at_base.sum()
    relative_se = np.sqrt(se**2 / base**2 + effect**2 * var_base / base**4)
    log = member_effects(setting, values)
    return {
        "FID units": (effect, se),
        "relative": (effect / base, relative_se),
        "standardized": (effect / sigma, se / sigma),
        "log ratio": (-log.effect[:, 0], log.se[:, 0]),
    }, sigma


def simulate_member(name: str, replicates: int, rng, multiplicative: bool):
    """One member's replicates on every scale, and its true effect on each."""
    folder, level, spread = MEMBERS[name]
    setting, log_means, log_sd, raw_sd = template(folder)
    means = planted(setting, log_means) + np.log(level)
    if multiplicative:
        noise = sim.NoiseModel([FID], np.zeros(1), np.array([log_sd * spread]), np.eye(1), None)
        values = np.exp(sim.simulate_runs(setting, noise, means[:, None], replicates, rng))
    else:
        noise = sim.NoiseModel([FID], np.zeros(1), np.array([raw_sd * level * spread]),
                               np.eye(1), None)  # fmt: skip
        values = sim.simulate_runs(setting, noise, np.exp(means)[:, None], replicates, rng)
    found, sigma = scales_of(setting, values)
    clean, _ = scales_of(setting, np.exp(means)[setting.run_cells][None, :, None])
    truth = {scale: float(value[0][0]) for scale, value in clean.items()}
    truth["standardized"] = truth["FID units"] / sigma.mean()  # noise-free: no spread
    return found, truth


def measure(replicates: int, rng, multiplicative: bool) -> None:
    members = {name: simulate_member(name, replicates, rng, multiplicative) for name in MEMBERS}
    pooled = [name for name in MEMBERS if name != "E"]
    k = len(pooled)
    rejects_q = 1 - (k - 1) / stats.chi2.isf(0.05, k - 1)  # I^2 above it: Q's p < 0.05
    print(f"{'scale':<13} {'true effect A / B / C / D; E':<44} {'spread/SE':>9} "
          f"{'tau2/SE2':>8} {'I2':>5} {'Q rej':>6} {'CI cov':>6} {'PI cov E':>8}")  # fmt: skip
    for scale in SCALES:
        truth = np.array([members[n][1][scale] for n in pooled])
        effect = np.stack([members[n][0][scale][0] for n in pooled], axis=1)
        se = np.stack([members[n][0][scale][1] for n in pooled], axis=1)
        found = [meta_analysis(effect[r], se[r]) for r in range(replicates)]
        get = {key: np.array([f[key] for f in found]) for key in found[0]}
        rms_se = np.sqrt(np.mean(se**2))
        covered = (get["ci_low"] <= truth.mean()) & (truth.mean() <= get["ci_high"])
        held_out = members["E"][1][scale]
        predicted = (get["pi_low"] <= held_out) & (held_out <= get["pi_high"])
        shown = " / ".join(f"{t:.3g}" for t in truth) + f"; {held_out:.3g}"
        print(
            f"{scale:<13} {shown:<44} {truth.std(ddof=1) / rms_se:9.2f} "
            f"{get['tau2'].mean() / rms_se**2:8.2f} {100 * get['i2'].mean():4.0f}% "
            f"{_pct(get['i2'] > rejects_q):>6} {_pct(covered):>6} {_pct(predicted):>8}"
        )


def _pct(flags: np.ndarray) -> str:
    share = float(np.mean(flags))
    return f"{100 * share:.1f}%"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print(f"{cpu_model()}; {args.replicates} campaigns of 4 members (+ E held out); "
          f"planted: {LEVEL} x{1 + RELATIVE:g} FID in every cell; MC SE of a 95% rate "
          f"{100 * np.sqrt(0.05 * 0.95 / args.replicates):.1f}%")  # fmt: skip
    for multiplicative in (True, False):
        started = time.perf_counter()
        kind = "multiplicative (log-normal)" if multiplicative else "additive (normal)"
        print(f"noise {kind}:")
        measure(args.replicates, rng, multiplicative)
        print(f"  [{time.perf_counter() - started:.1f} s]")


if __name__ == "__main__":
    main()
