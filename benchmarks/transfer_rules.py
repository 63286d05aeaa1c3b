"""Error rates of the transfer verdicts (issue 21 item 3), on simulated campaigns.

Members are simulated at the effect/SE level: each member is one of the two published
studies, alternately (digits 16x16: results/default, 3 seeds; MNIST t10k: 6 seeds), whose
five FID claims it gives on the common scale (log ratio) with that study's engine SEs and
df (~0.020 at 57 df, ~0.016 at 135 df); a member's estimate is its true effect plus
normal noise of that SE, its SE drawn as SE x sqrt(chi2(df) / df). The campaign is judged
by gan_bench/analysis/transfer.py (Paule-Mandel tau^2, HKSJ pooled interval, prediction
interval with t(k - 2); the claims' tests in 4%, the members' in 1%). Printed, with
Monte-Carlo SEs, for k = 3, 4 and 6 members:

  (a) no effect anywhere: some claim of the five called transfers / holds on average
      (or their mirrors), or dataset-dependent; and with no average effect but a spread
      across datasets (tau = 2 member SEs)
  (b) a planted effect in the claim's direction on all members but one, where it reverses
      (+-r): called transfers, holds on average, dataset-dependent
  (c) the 95% prediction interval's coverage of a held-out member's true effect, effects
      drawn N(mu, tau^2), tau from 0 to 4 member SEs: the rule (tau^2 at Q's 30% point),
      Paule-Mandel's tau^2 plugged in, the HKSJ SE alone (as R's meta), DerSimonian-Laird
      clipped at 0, and how often statsmodels' DL tau^2 is < 0; also at k = 10 and 20
  (d) power for a common effect (tau = 0): transfers; transfers or holds on average
  (e) dataset-dependent read off the members' own verdicts instead (each member's claims
      Holm in its 4%): false under no effect, found under the reversal
  (f) through the per-study engine (gan_bench.analysis.simulate): four members of the
      published designs, log FID with the cells' measured interactions (no average
      effect) plus log-normal noise of their residual spread; no effect, a common x1.10
      on sigmoid, and x1.20 reversed on the fourth member; each member's own verdicts
      from simulate.judge on FID
It is not a test (tests/analysis/test_transfer.py asserts the targets at a smaller size).

    .venv/bin/python benchmarks/transfer_rules.py [--replicates 2000] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import cache
from pathlib import Path

import numpy as np
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common_scale import template  # noqa: E402  (benchmarks/common_scale.py)
from simulate import cpu_text as cpu_model  # noqa: E402  (benchmarks/simulate.py)

from gan_bench.analysis import simulate as sim  # noqa: E402
from gan_bench.analysis import transfer as tr  # noqa: E402
from gan_bench.analysis.common_scale import member_effects, read_member  # noqa: E402
from gan_bench.analysis.model import model_matrix  # noqa: E402
from gan_bench.analysis.verdicts import CLAIM_SHARE, holm  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = ("default", "mnist_t10k")
FID = "fid_cnn_2k"
CLAIM = 0  # g_output: sigmoid vs tanh (tanh claimed better: "worse" expected)
DECIDED = (tr.TRANSFERS, tr.CONTRADICTED_EVERYWHERE, tr.HOLDS_ON_AVERAGE,
           tr.CONTRADICTED_ON_AVERAGE)  # fmt: skip


@cache
def templates() -> tuple:
    return tuple(read_member(REPO / "results" / name) for name in TEMPLATES)


def plan(k: int) -> list:
    """k members, the published studies alternately."""
    return [templates()[i % len(TEMPLATES)] for i in range(k)]


def advice(members: list) -> np.ndarray:
    """Per claim: +1 where the claim expects better, -1 worse (improvement's sign)."""
    return np.array([1.0 if e == "better" else -1.0 for e in members[0].expected])


def draw(members: list, truth: np.ndarray, replicates: int, rng) -> tr.Campaign:
    """A campaign's replicates: truth (replicates x members x claims, improvement) plus
    normal noise of each member's SE; the SE itself drawn with the member's df."""
    se = np.stack([m.se[0] for m in members])[None]
    df = np.stack([m.df[0] for m in members])[None]
    shape = (replicates, *se.shape[1:])
    effect = np.broadcast_to(truth, shape) + se * rng.standard_normal(shape)
    se_drawn = se * np.sqrt(rng.chisquare(np.broadcast_to(df, shape)) / df)
    return tr.Campaign(
        [f"{m.name}-{i + 1}" for i, m in enumerate(members)], members[0].claims,
        members[0].scales, members[0].expected, members[0].sesoi,
        np.array([m.seeds for m in members]), effect, se_drawn,
        np.broadcast_to(df, shape).copy(),
    )  # fmt: skip


def words_of(transfer: tr.Transfer) -> np.ndarray:
    return transfer.verdict.astype(str)


def any_word(words: np.ndarray, wanted, claims=None) -> np.ndarray:
    """Per replicate: some claim (of `claims`) has a word in `wanted` (or starting with
    DATASET_DEPENDENT when it is wanted)."""
    picked = words if claims is None else words[:, claims]
    hit = np.isin(picked, list(wanted))
    if tr.DATASET_DEPENDENT in wanted:
        hit |= np.char.startswith(picked, tr.DATASET_DEPENDENT)
    return hit.reshape(len(words), -1).any(axis=1)


def own_opposed(campaign: tr.Campaign) -> np.ndarray:
    """replicates x claims: dataset-dependent as the members' own verdicts would say it:
    each member's claims Holm in its CLAIM_SHARE, two decided with opposite signs."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * stats.t.sf(np.abs(campaign.effect / campaign.se), campaign.df)
    decided = holm(p) < CLAIM_SHARE * 0.05  # per member: Holm over its claims
    sign = np.sign(campaign.effect)
    return (decided & (sign > 0)).any(axis=1) & (decided & (sign < 0)).any(axis=1)


def null_rates(k: int, replicates: int, rng, tau_in_se: float = 0.0) -> dict[str, np.ndarray]:
    """(a) no average effect on any claim; effects N(0, tau^2) per member when tau > 0."""
    members = plan(k)
    se = np.stack([m.se[0] for m in members])
    truth = tau_in_se * se.mean() * rng.standard_normal((replicates, *se.shape))
    campaign = draw(members, truth, replicates, rng)
    words = words_of(tr.judge_transfer(campaign))
    out = {"false transfers / holds (or mirrors)": any_word(words, DECIDED)}
    if not tau_in_se:
        out["false dataset-dependent"] = any_word(words, [tr.DATASET_DEPENDENT])
        out["false dataset-dependent, members' own verdicts"] = own_opposed(campaign).any(1)
    return out


def reversal_rates(k: int, shift: float, replicates: int, rng) -> dict[str, np.ndarray]:
    """(b) and (e): the claim's effect +shift along the advice on k - 1 members, -shift on
    the last; no effect on the other claims."""
    members = plan(k)
    truth = np.zeros((k, len(members[0].claims)))
    truth[:, CLAIM] = advice(members)[CLAIM] * shift
    truth[-1, CLAIM] *= -1
    campaign = draw(members, truth, replicates, rng)
    words = words_of(tr.judge_transfer(campaign))[:, CLAIM]
    return {
        "called transfers": words == tr.TRANSFERS,
        "called holds on average": words == tr.HOLDS_ON_AVERAGE,
        "called dataset-dependent": np.char.startswith(words, tr.DATASET_DEPENDENT),
        "dataset-dependent, members' own verdicts": own_opposed(campaign)[:, CLAIM],
    }


def power(k: int, shift: float, replicates: int, rng) -> dict[str, np.ndarray]:
    """(d): the claim's effect +shift along the advice on every member (tau = 0)."""
    members = plan(k)
    truth = np.zeros((k, len(members[0].claims)))
    truth[:, CLAIM] = advice(members)[CLAIM] * shift
    words = words_of(tr.judge_transfer(draw(members, truth, replicates, rng)))[:, CLAIM]
    return {
        "transfers": words == tr.TRANSFERS,
        "transfers or holds on average": np.isin(words, [tr.TRANSFERS, tr.HOLDS_ON_AVERAGE]),
    }


def coverage(k: int, tau_in_se: float, replicates: int, rng) -> dict[str, np.ndarray]:
    """(c): effects N(mu, tau^2) on k + 1 members; does the first k's 95% prediction
    interval cover the last one's true effect? The rule (Paule-Mandel pooled effect and SE,
    tau^2 at Q's 30% point: transfer.prediction_tau2), Paule-Mandel's tau^2 plugged in, the
    HKSJ SE alone with it (R meta's interval), and DerSimonian-Laird."""
    members = plan(k + 1)
    se = np.array([m.se[0, CLAIM] for m in members])
    df = np.array([m.df[0, CLAIM] for m in members])
    theta = 0.1 + tau_in_se * se.mean() * rng.standard_normal((replicates, k + 1))
    effect = theta[:, :k] + se[:k] * rng.standard_normal((replicates, k))
    se_drawn = se[:k] * np.sqrt(rng.chisquare(df[:k], size=(replicates, k)) / df[:k])
    rule, plug_in, hksj, dl, negative = (np.zeros(replicates, dtype=bool) for _ in range(5))
    t = stats.t.isf(0.025, k - 2)
    for r in range(replicates):
        result = combine_effects(effect[r], se_drawn[r] ** 2, method_re=tr.METHOD_RE, use_t=True)
        tau2 = tr.prediction_tau2(effect[r], se_drawn[r] ** 2)
        low, high = tr.prediction_interval(result, tau2=tau2)
        rule[r] = low <= theta[r, k] <= high
        low, high = tr.prediction_interval(result)
        plug_in[r] = low <= theta[r, k] <= high
        alone = t * np.sqrt(result.tau2 + result.var_hksj_re)
        hksj[r] = abs(theta[r, k] - result.mean_effect_re) <= alone
        with np.errstate(invalid="ignore"):  # a negative tau^2 can make variances negative
            result = combine_effects(effect[r], se_drawn[r] ** 2, method_re="dl", use_t=True)
        negative[r] = result.tau2 < 0
        if negative[r]:  # clipped at 0: the fixed-effect weights, as Paule-Mandel's 0 gives
            dl[r] = plug_in[r]
            continue
        low, high = tr.prediction_interval(result)
        dl[r] = low <= theta[r, k] <= high
    return {"the rule (tau^2 at Q's 30% point)": rule, "Paule-Mandel tau^2 plugged in": plug_in,
            "HKSJ SE alone": hksj, "DerSimonian-Laird, clipped": dl,
            "statsmodels' DL tau^2 < 0": negative}  # fmt: skip


@cache
def engine_template(name: str):
    """A published study for the engine scenarios: its FID-only setting, its cells' mean
    log FID without any factor's average effect (the two-way interactions as measured)
    and the residual SD of the full model on log FID."""
    one, means, log_sd, _ = template(name)  # benchmarks/common_scale.py
    layout = one.layout
    levels = np.zeros((len(layout.cell_order), len(layout.factors)), dtype=int)
    levels[one.run_cells] = one.run_levels
    present = [list(range(len(v))) for v in layout.factors.values()]
    exog, terms = model_matrix(levels, list(range(len(present))), present, True)
    params = np.linalg.lstsq(exog, means, rcond=None)[0]
    for f in range(len(present)):
        params[terms[(f,)]] = 0.0
    return one, exog @ params, log_sd, levels


def engine_campaign(shifts: list[float], replicates: int, rng):
    """Four members (the published studies alternately) through the engine: log FID =
    the template's cells + shifts[i] at sigmoid + log-normal noise; the campaign, and
    each member's own words on the five FID claims (replicates x members x claims)."""
    members, words = [], []
    for i, shift in enumerate(shifts):
        setting, means, log_sd, levels = engine_template(TEMPLATES[i % len(TEMPLATES)])
        planted = means + shift * (levels[:, CLAIM] == 1)
        noise = sim.NoiseModel([FID], np.zeros(1), np.array([log_sd]), np.eye(1), None)
        values = np.exp(sim.simulate_runs(setting, noise, planted[:, None], replicates, rng))
        members.append(member_effects(setting, values, name=f"{TEMPLATES[i % 2]}-{i + 1}"))
        words.append(sim.judge(setting, values).verdict[:, 0, :])
    return tr.campaign_of(members), np.stack(words, axis=1)


def engine_rates(scenario: str, replicates: int, rng) -> dict[str, np.ndarray]:
    """(f): "no effect", "common x1.10" or "x1.20 reversed on the fourth"."""
    shift = {"no effect": 0.0, "common x1.10": np.log(1.1)}.get(scenario, np.log(1.2))
    shifts = [shift] * 3 + [-shift if scenario.startswith("x1.20") else shift]
    campaign, own = engine_campaign(shifts, replicates, rng)
    words = words_of(tr.judge_transfer(campaign))
    own_dd = (own == "supported").any(axis=1) & (own == "contradicted").any(axis=1)
    if scenario == "no effect":
        return {
            "false transfers / holds (or mirrors)": any_word(words, DECIDED),
            "false dataset-dependent": any_word(words, [tr.DATASET_DEPENDENT]),
            "false dataset-dependent, members' own verdicts": own_dd.any(axis=1),
        }
    claim = words[:, CLAIM]
    out = {
        "called transfers": claim == tr.TRANSFERS,
        "transfers or holds on average": np.isin(claim, [tr.TRANSFERS, tr.HOLDS_ON_AVERAGE]),
    }
    if scenario != "common x1.10":
        out["called dataset-dependent"] = np.char.startswith(claim, tr.DATASET_DEPENDENT)
        out["dataset-dependent, members' own verdicts"] = own_dd[:, CLAIM]
    return out


def engine_part(replicates: int, rng) -> None:
    print(f"(f) through the engine, {replicates} campaigns of 4 members per scenario:")
    for scenario in ("no effect", "common x1.10", "x1.20 reversed on the fourth"):
        for label, flags in engine_rates(scenario, replicates, rng).items():
            show(f"(f) {scenario}: {label}", flags)


def show(label: str, flags: np.ndarray, width: int = 74) -> None:
    share, se = sim.rate(flags)
    print(f"  {label:<{width}} {100 * share:5.1f} % ± {100 * se:.1f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicates", type=int, default=2000)
    parser.add_argument("--engine-replicates", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng, n = np.random.default_rng(args.seed), args.replicates
    digits, mnist = (f"SE {t.se[0, CLAIM]:.4f}, df {t.df[0, CLAIM]:.0f}" for t in templates())
    print(f"{cpu_model()}; {n} campaigns per scenario; members alternately digits "
          f"({digits}) and MNIST ({mnist})")  # fmt: skip
    total = time.perf_counter()
    for k in (3, 4, 6):
        started = time.perf_counter()
        print(f"k = {k} members:")
        for label, flags in null_rates(k, n, rng).items():
            show(f"(a) no effect: {label}", flags)
        for label, flags in null_rates(k, n, rng, tau_in_se=2.0).items():
            show(f"(a) no average effect, tau = 2 SE: {label}", flags)
        for shift in (0.05, 0.15):
            for label, flags in reversal_rates(k, shift, n, rng).items():
                show(f"(b) +-{shift:g} reversed on 1 of {k}: {label}", flags)
        for tau in (0.0, 0.5, 1.0, 2.0, 4.0):
            for label, flags in coverage(k, tau, n, rng).items():
                show(f"(c) PI covers held-out, tau = {tau:g} SE: {label}", flags)
        for shift in (np.log(1.05), np.log(1.10), np.log(1.20)):
            for label, flags in power(k, shift, n, rng).items():
                show(f"(d) common x{np.exp(shift):.2f} FID: {label}", flags)
        print(f"  [{time.perf_counter() - started:.1f} s]")
    for k in (10, 20):
        print(f"k = {k} members:")
        for tau in (0.0, 0.5, 1.0, 2.0, 4.0):
            for label, flags in coverage(k, tau, n, rng).items():
                show(f"(c) PI covers held-out, tau = {tau:g} SE: {label}", flags)
    started = time.perf_counter()
    engine_part(args.engine_replicates, rng)
    print(f"  [{time.perf_counter() - started:.1f} s]")
    print(f"all in {time.perf_counter() - total:.1f} s")


if __name__ == "__main__":
    main()
