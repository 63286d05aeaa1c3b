"""The report's Methods: how every number and verdict word was reached, in sentences that
read the rules' own constants (the shares of the 5% error rate: analysis/verdicts.py; the
robust fit: analysis/robust.py; what a verdict is about: claims.ESTIMANDS), so the page
cannot drift from the analysis that made it.
"""

from __future__ import annotations

from gan_bench.analysis.analyse import DIVERGED_RULE, Analysis
from gan_bench.analysis.claims import DEPENDS, ESTIMANDS, NO_DECIDED_EFFECT, NO_PRACTICAL_EFFECT
from gan_bench.analysis.inference import ALPHA
from gan_bench.analysis.model import recommended_config
from gan_bench.analysis.robust import HUBER_T, MIN_ROBUST_DF
from gan_bench.analysis.verdicts import CLAIM_SHARE, CROSSOVER_SHARE, INTERACTION_SHARE
from gan_bench.report import displays


def percent(share: float) -> str:
    """A share of the 5% error rate as a percentage of it all: 0.8 -> '4%'."""
    return f"{100 * ALPHA * share:.2g}%"


ERROR_RATE = (
    "when nothing has an effect, the chance that any verdict word in this report ('depends "
    "on' and 'stronger with' included) is wrong is at most 5% (adjusted p-values are shown "
    "on the 0.05 scale)."
)
TABLE_ADJUSTMENT = (
    "The effects table is Holm-corrected across the levels within each metric, each ANOVA "
    "table across its terms (p-values, no words). Inconclusive means the evidence cannot tell "
    "at 95%, not that the trick does nothing."
)


def fit_method() -> str:
    """How effects, their standard errors and degrees of freedom are computed."""
    return (
        "Effects: one linear model per metric over all runs (sum/deviation coding, two-way "
        "interactions where the design separates them), fitted by Huber's robust regression "
        f"(statsmodels RLM's estimator: Huber's T, c = {HUBER_T:g}, MAD scale; least squares "
        f"where the runs leave fewer than {MIN_ROBUST_DF} residual degrees of freedom), so a "
        "half-failed run weighs less instead of dragging every effect; a diverged run counts "
        "as the study's worst completed run (it ranks last). Each level is compared with the "
        "baseline level, averaged over the other factors' levels. Standard errors are robust "
        "to unequal spreads per cell: a sandwich (heteroscedasticity-consistent, HC2) "
        "variance of the fit, and for each contrast Satterthwaite's degrees of freedom from "
        "each cell's own variance (Welch's test in a two-cell design); 95% CIs and p-values "
        "are t-tests on those. Runs the primary metric's fit weighs below half are listed as "
        "outliers with their samples."
    )


def verdict_method(analysis: Analysis) -> str:
    """What each verdict is about, what the recommended-configuration effect is, and when
    a claim reads 'depends on X' or has 'stronger with X = x' beside its word."""
    shown = dict.fromkeys(analysis.judged_claims["estimand"]) or {"average": None}
    config = ", ".join(f"{k} = {v}" for k, v in recommended_config(analysis.layout).items())
    return (
        "Each verdict is about the effect the claim table names under 'verdict about': "
        + "; ".join(f"'{key}', {ESTIMANDS[key]}" for key in shown)
        + f". The effect at the recommended configuration ({config}; the registry's "
        "recommended level, else the study's baseline) is shown beside it as an estimate with "
        "its 95% interval and no verdict: it adds the claim's interactions at those levels, "
        f"so its interval is wider. A claim reads '{DEPENDS} X' only on a tested crossover: "
        "its interaction with X is decided, and its effects at two levels of X (each averaged "
        "over the remaining factors) are each decided, with opposite signs (an "
        "intersection-union test, Holm over every such test of the confirmatory claims in "
        f"{percent(CROSSOVER_SHARE)} of the error rate); it replaces the verdict word. "
        "'stronger with X = x': the claim's two-way interaction with X is decided (its Wald "
        f"test, Holm within the metric in the interactions' {percent(INTERACTION_SHARE)}) and "
        "does not cross over; the effect is largest at X = x and the claim keeps its verdict "
        "word, about the average. 'varies with X (sign undecided)': a decided interaction "
        "whose estimates at X's levels differ in sign, without a tested crossover. Where the "
        "page spells out a claim's effects at X's levels, it calls them better or worse only "
        "for a tested crossover, else it shows the estimates."
    )


def methods(analysis: Analysis) -> list[str]:
    """The Methods list, in order; the last line says why interactions are missing, where
    they are (the page repeats it under ANOVA)."""
    scope = "(confirmatory claims)" if len(analysis.judged_on) > 1 else "(tests of the metric)"
    lines = [
        "Cell means carry a 95% t-interval over seeds (scipy.stats.t); a cell with one "
        "completed seed gets no interval (shown as ± n/a).",
        fit_method(),
        verdict_method(analysis),
        confirmatory_method(analysis),
        f"A no-effect claim (the A/A null factor) is contradicted by any decided effect; "
        f"otherwise it reads '{NO_PRACTICAL_EFFECT}' when its interval lies inside ±SESOI, "
        f"else '{NO_DECIDED_EFFECT}', which is not evidence of equivalence.",
        "No practical effect: the effect the verdict is about lies inside ±SESOI, the "
        "smallest effect of interest, by two one-sided t-tests (TOST; a 90% interval inside "
        "±SESOI at 5%), Holm-adjusted together with the difference tests in the claims' "
        f"{percent(CLAIM_SHARE)}. SESOI: {displays.sesoi_text(analysis)}. Seeds to decide: "
        "seeds per cell that would decide an open claim either way (80% power for an effect "
        f"of SESOI at α = {ALPHA * CLAIM_SHARE:.2g} / {scope}, a zero effect then lands "
        "inside ±SESOI), scaling the standard error these runs give, not the observed effect.",
        *displays.metric_lines(analysis),
        DIVERGED_RULE,
    ]
    if len(analysis.layout.factors) < 2:
        lines.append("Interactions are not reported: the study varies fewer than two factors.")
    elif not analysis.layout.separates_interactions:
        lines.append(
            f"Interactions and ANOVA are not reported: a {analysis.layout.design} design does "
            "not separate two-way interactions from main effects (needs a full factorial or a "
            "fractional design of resolution V or more)."
        )
    return lines


def confirmatory_method(analysis: Analysis) -> str:
    """Which claims get verdict words and how they share the 5% (verdicts.py: CLAIM_SHARE
    over every confirmatory claim; INTERACTION_SHARE split evenly among the metrics those
    claims are judged on; CROSSOVER_SHARE over their conditional effects)."""
    judged = analysis.judged_on
    claims, inter = percent(CLAIM_SHARE), percent(INTERACTION_SHARE)
    crossover = percent(CROSSOVER_SHARE)
    if len(judged) <= 1:
        return (
            f"Confirmatory: the claims on {analysis.primary} (the primary metric). Their "
            f"verdicts share {claims} of the error rate (Holm across them, each claim counted "
            "once for its difference and equivalence tests, of which at most one can be "
            f"falsely rejected), its two-way interactions {inter} (Holm across them) and the "
            f"claims' effects at each level of each other factor {crossover} (Holm across "
            f"them, for '{DEPENDS}'): {ERROR_RATE} Every other metric is exploratory: effects "
            f"with 95% intervals, no verdict word. {TABLE_ADJUSTMENT}"
        )
    dynamics = "; ".join(
        f"{analysis.columns[m].label}: "
        + ", ".join(f for metric, f in analysis.confirmatory if metric == m)
        for m in judged
        if m != analysis.primary
    )
    each = percent(INTERACTION_SHARE / len(judged))
    return (
        f"Confirmatory: each trick's main claim on {analysis.primary} (the primary metric), "
        f"and each claim about training dynamics on its own metric ({dynamics}). All these "
        f"claims' verdicts share {claims} of the error rate, in one Holm family across their "
        "metrics (each claim counted once for its difference and equivalence tests, of which "
        "at most one can be falsely rejected); the two-way interactions of these "
        f"{len(judged)} metrics share {inter}: {each} each (Holm within a metric, Bonferroni "
        "across them), for 'stronger with'; the crossover tests (a claim's effects at two "
        "levels of a factor it is decided to interact with, opposite signs) share "
        f"{crossover} in one Holm family across their metrics, for '{DEPENDS}': "
        f"{ERROR_RATE} Every other row (another metric, or a trick without a dynamics claim "
        "on a dynamics metric) is exploratory: effects with 95% intervals, no verdict word. "
        f"{TABLE_ADJUSTMENT}"
    )
