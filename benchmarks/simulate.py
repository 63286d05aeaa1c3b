"""Error rates of today's verdicts, from simulated studies of the default design.

Noise is fitted to the published results/default (per-metric residual SD of the full model
and the correlation across metrics; "resampled" draws the residual vectors themselves),
and every replicate study is judged by gan_bench.analysis.batch_fit.fit_many, which gives
analyse()'s numbers (tests/analysis/test_simulate.py checks it). Prints, with Monte-Carlo
standard errors: (a) FID's family-wise false-verdict rate under no effect, (b) the share of
studies with a false verdict word anywhere in the report (claims, "depends on", a decided
interaction on the primary metric; other metrics are exploratory, without words), (c) the
share with a decided interaction on some metric (shown as p-values, not words), (d) power
for a planted +3 FID effect (sigmoid worse than tanh: "supported"), with normal noise and
with 5% of runs x3, (e) 95% CI coverage, (f) "tanh beats sigmoid" called contradicted
under equal means when 30% of sigmoid's worst runs diverge, (g) a planted crossover
(maxpool 4 FID better with kernel 4, 4 worse with kernel 3, equal on average) called
"depends on kernel_size", or "contradicted"; (h) `--until-decided`'s looks, 3 -> 6 -> 9 seeds
per cell with each spending function (gan_bench/analysis/sequential.py): any false verdict
word at any look under no effect, and power for planted +1.5 / +3 FID against fixed designs
of 3 and 9 seeds; (i) dynamics claims (issue 14): a 2^5 study of instance_noise,
label_smoothing, batch_mode, g_steps and g_output with a d_overfit column, so three tricks
get a second confirmatory claim on it (8 claims on 2 metrics), no true effect: any false
verdict word with the one Holm family across metrics (as analyse() judges), against
judging each metric in its own family at the whole 5% (FID and IS noise: the published
study's residual SDs; d_overfit's: 0.02, an assumption until a published study measures
it). Verdict words are the claim table's: at the
recommended configuration, "depends on X" for a decided crossover
(gan_bench/analysis/conditional.py). It is not a test.

    .venv/bin/python benchmarks/simulate.py [--replicates 1000] [--results results/default]
"""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml

from gan_bench.analysis import sequential as seq
from gan_bench.analysis import simulate as sim
from gan_bench.analysis.analyse import analyse
from gan_bench.folders import StudyFolder
from gan_bench.score.registry import column
from gan_bench.study.design import DesignRecord
from gan_bench.study.record import read_study_record
from gan_bench.study.study_file import study_from_dict

REPO = Path(__file__).resolve().parent.parent
FID = "fid_cnn_2k"
PLANT = ("g_output", "sigmoid", 3.0)  # +3 FID at sigmoid: the claim (tanh better) holds
DYNAMICS = {  # part (i): three of these tricks claim to lower d_overfit
    "g_output": ["tanh", "sigmoid"],
    "instance_noise": [0.0, 0.1],
    "label_smoothing": [1.0, 0.9],
    "batch_mode": ["separate", "mixed"],
    "g_steps": [1, 2],
}
D_OVERFIT_SD = 0.02  # assumed seed-to-seed SD of d_overfit (its registry SESOI)


def cpu_model() -> str:
    """The CPU's model name (Linux), else what platform says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def show(label: str, flags: np.ndarray) -> None:
    share, se = sim.rate(flags)
    print(f"  {label:<58} {100 * share:5.1f} % ± {100 * se:.1f}")


def null_rates(setting, noise, replicates: int, rng) -> None:
    """(a), (b), (c): no true effect anywhere, normal and resampled noise."""
    means = sim.planted_means(setting, noise.mean)
    for resample in (False, True):
        values = sim.simulate_runs(setting, noise, means, replicates, rng, resample=resample)
        fits = sim.judge(setting, values)
        kind = "resampled residuals" if resample else "normal noise"
        print(f"no true effect, {kind}:")
        show("(a) FID: some false verdict among its claims", sim.any_decided(fits, FID))
        show("(b) some false verdict word anywhere in the report", sim.any_false_word(fits))
        show("(c) some decided interaction (1% share), some metric", sim.any_interaction(fits))


def power_and_coverage(setting, noise, replicates: int, rng) -> None:
    """(d) and (e): a planted +3 FID main effect, normal noise, then 5% of runs x3."""
    factor, level, shift = PLANT
    means = sim.planted_means(setting, noise.mean, {FID: {(factor, level): shift}})
    truth = sim.true_effects(setting, means)
    claim = next(k for k, e in enumerate(setting.layout.factors) if e == factor)
    for half_failed, resample in ((0.0, False), (0.05, False), (0.0, True)):
        values = sim.simulate_runs(
            setting, noise, means, replicates, rng, resample=resample, half_failed=half_failed
        )
        fits = sim.judge(setting, values)
        kind = "resampled residuals" if resample else "normal noise"
        print(
            f"planted +{shift:g} FID at {factor} = {level}, {kind}, "
            f"{100 * half_failed:g}% of runs x3:"
        )
        show(
            "(d) power: the claim called supported",
            sim.verdict_of(fits, FID, factor) == "supported",
        )
        cover = sim.covered(fits, truth)
        show("(e) 95% CI covers the planted FID effect", cover[:, 0, claim])
        pooled = "(e) 95% CI coverage, all metrics x claims (pooled)"
        print(f"  {pooled:<58} {100 * cover.mean():5.1f} %")


def divergence_rate(setting, noise, replicates: int, rng) -> None:
    """(f): equal means, the worst 30% of sigmoid's runs (by FID) diverge."""
    means = sim.planted_means(setting, noise.mean)
    divergence = sim.Divergence("g_output", "sigmoid", 0.3, FID)
    for resample in (False, True):
        values = sim.simulate_runs(
            setting, noise, means, replicates, rng, resample=resample, divergence=divergence
        )
        fits = sim.judge(setting, values)
        kind = "resampled residuals" if resample else "normal noise"
        print(f"equal means, 30% of sigmoid's worst runs (by FID) diverged, {kind}:")
        show(
            "(f) 'tanh beats sigmoid' called contradicted (FID)",
            sim.verdict_of(fits, FID, "g_output") == "contradicted",
        )


def crossover_rate(setting, noise, replicates: int, rng) -> None:
    """(g): maxpool -4 FID with kernel 4 and +4 with kernel 3: a crossover, no main effect."""
    means = sim.planted_means(
        setting,
        noise.mean,
        {FID: {("d_downsample", "maxpool"): -4.0}},
        {FID: {("d_downsample", "maxpool", "kernel_size", "3"): 8.0}},
    )
    values = sim.simulate_runs(setting, noise, means, replicates, rng)
    fits = sim.judge(setting, values)
    words = sim.verdict_of(fits, FID, "d_downsample")
    print("planted crossover: maxpool -4 FID with kernel 4, +4 with kernel 3, normal noise:")
    show("(g) 'depends on' naming kernel_size", np.char.find(words, "kernel_size") >= 0)
    show("(g) called 'contradicted' (maxpool better at kernel 4)", words == "contradicted")


def sequential_rates(setting, noise, replicates: int, rng, study, design) -> None:
    """(h): every look of 3 -> 6 -> 9 seeds per cell, each with its share of the 5%."""

    def of(k):
        return sim.setting_of(study, replace(design, seeds=list(range(k))), setting.columns)

    full, factor, level, _ = of(9), *PLANT
    index = np.tile(np.arange(9), len(full.layout.cell_order))
    for effect in (0.0, 1.5, 3.0):
        plant = {FID: {(factor, level): effect}} if effect else None
        values = sim.simulate_runs(full, noise, sim.planted_means(full, noise.mean, plant),
                                   replicates, rng)  # fmt: skip
        for k in (3, 9):
            fits = sim.judge(of(k), values[:, index < k])
            word = sim.verdict_of(fits, FID, factor)
            show(f"(h) +{effect} FID, fixed {k} seeds: false word / supported",
                 sim.any_false_word(fits) if not effect else word == "supported")  # fmt: skip
        for spending in seq.SPENDING:
            schedule = seq.Schedule((0, 1, 2), 3, 9, spending)
            looks = [sim.judge(of(k), values[:, index < k], share)
                     for k, share in zip(schedule.sizes, schedule.shares, strict=True)]  # fmt: skip
            false = np.any([sim.any_false_word(fits) for fits in looks], axis=0)
            found = np.any([sim.verdict_of(f, FID, factor) == "supported" for f in looks], axis=0)
            show(f"(h) +{effect} FID, 3->6->9 {spending}: " + ("supported" if effect else "false"),
                 found if effect else false)  # fmt: skip


def dynamics_rates(noise, replicates: int, rng, results: Path) -> None:
    """(i): no true effect in a 2^5 study with a d_overfit column; the joint Holm family
    over every confirmatory claim against one family per metric."""
    raw = yaml.safe_load((results / "study.yaml").read_text(encoding="utf-8"))
    raw |= {"name": "dynamics", "factors": DYNAMICS, "design": "full_factorial", "seeds": [0, 1, 2]}
    study = study_from_dict(raw, "<part (i)>")
    columns = [column("fid", "cnn", 2000), column("is", "cnn", 2000)]
    columns.append(column("d_overfit", "training", None))
    setting = sim.setting_of(study, DesignRecord.of(study), columns)
    sd = np.array([*(noise.sd[noise.metrics.index(c.name)] for c in columns[:2]), D_OVERFIT_SD])
    unit = sim.NoiseModel(setting.metrics, np.zeros(3), sd, np.eye(3), None)
    means = sim.planted_means(setting, np.array([30.0, 6.0, 0.2]))
    values = sim.simulate_runs(setting, unit, means, replicates, rng)
    judged = sorted({metric for metric, _ in setting.confirmatory})
    print(f"no true effect, {len(setting.confirmatory)} confirmatory claims on {judged}:")
    show("(i) some false verdict word, one Holm family (the report's)",
         sim.any_false_word(sim.judge(setting, values)))  # fmt: skip
    alone = [
        replace(setting, confirmatory=[pair for pair in setting.confirmatory if pair[0] == m])
        for m in judged
    ]
    separate = np.any([sim.any_false_word(sim.judge(one, values)) for one in alone], axis=0)
    show("(i) the same, one family per metric at the whole 5% each", separate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--results", default=str(REPO / "results" / "default"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    setting, noise, frame = sim.read_noise(Path(args.results))
    study, design = read_study_record(StudyFolder(Path(args.results)))
    start = time.perf_counter()
    analyse(frame, study, design, metrics=setting.columns)
    one = time.perf_counter() - start
    print(
        f"{cpu_model()}; {len(setting.run_cells)} runs, {len(setting.metrics)} metrics, "
        f"{args.replicates} replicates per scenario; analyse() once: {one:.2f} s"
    )
    print(
        "residual SD: "
        + ", ".join(f"{m} {sd:.3g}" for m, sd in zip(noise.metrics, noise.sd, strict=True))
    )
    rng = np.random.default_rng(args.seed)
    total = time.perf_counter()
    for part in (null_rates, power_and_coverage, divergence_rate, crossover_rate):
        start = time.perf_counter()
        part(setting, noise, args.replicates, rng)
        print(f"  [{time.perf_counter() - start:.1f} s]")
    start = time.perf_counter()
    sequential_rates(setting, noise, args.replicates, rng, study, design)
    print(f"  [{time.perf_counter() - start:.1f} s]")
    start = time.perf_counter()
    dynamics_rates(noise, args.replicates, rng, Path(args.results))
    print(f"  [{time.perf_counter() - start:.1f} s]")
    print(f"simulated and fitted in {time.perf_counter() - total:.1f} s")


if __name__ == "__main__":
    main()
