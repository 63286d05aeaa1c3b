"""A judged campaign (analysis/transfer.py's Transfer) laid out as tables: one row per claim
(transfer_frame: the meta-analysis, the word, what would decide it) and one per claim and
member (member_frame: each member's effect on the common scale and the campaign's test of
it), what transfer_table.py writes and the campaign report renders."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from gan_bench.analysis.inference import ALPHA
from gan_bench.analysis.transfer import NUMBERS, Transfer


def transfer_frame(transfer: Transfer, replicate: int = 0) -> pd.DataFrame:
    """One row per claim of one replicate (a real campaign: 0): the claim, its scale, the
    members' effects, the meta-analysis, the word and what would decide it."""
    campaign, rows = transfer.campaign, []
    for c, (metric, factor, level, baseline) in enumerate(campaign.claims):
        numbers = {key: float(transfer[key][replicate, c]) for key in NUMBERS}
        k = int(numbers["k"])
        effect, se = campaign.effect[replicate, :, c], campaign.se[replicate, :, c]
        effects = "; ".join(
            f"{name} {effect[i]:+.3g} (SE {se[i]:.2g})"
            for i, name in enumerate(campaign.members)
            if np.isfinite(effect[i])
        )
        note = (f"{k} datasets: the prediction interval is +-{stats.t.isf(ALPHA / 2, k - 2):.2f} "
                f"x sqrt(tau^2 + SE^2) (t with {k - 2} df)" if k >= 3 else
                "fewer than 3 datasets: no prediction interval")  # fmt: skip
        rows.append(
            {"metric": metric, "factor": factor, "level": level, "baseline": baseline,
             "expected": campaign.expected[c], "scale": campaign.scales[c],
             "sesoi": float(campaign.sesoi[c]), "members": effects} | numbers
            | {"verdict": str(transfer.verdict[replicate, c]),
               "datasets_needed": float(transfer.datasets_needed[replicate, c]),
               "seeds_needed": float(transfer.seeds_needed[replicate, c]), "note": note}
        )  # fmt: skip
    return pd.DataFrame(rows)


MEMBER_COLUMNS = ("metric", "factor", "level", "baseline", "member", "scale", "effect", "se",
                  "df", "ci_low", "ci_high", "member_decided")  # fmt: skip


def member_frame(transfer: Transfer, replicate: int = 0) -> pd.DataFrame:
    """One row per claim and member of one replicate: the member's effect on the common
    scale (improvement: positive is better), its SE and df (the member's engine fit), its
    95% t interval, and whether the campaign's member test decided it (MEMBER_SHARE, Holm
    over every member and claim: transfer.member_decided). NaN where a member lacks the
    claim or its SE."""
    campaign, rows = transfer.campaign, []
    for c, key in enumerate(campaign.claims):
        for i, member in enumerate(campaign.members):
            effect, se, df = (float(getattr(campaign, name)[replicate, i, c])
                              for name in ("effect", "se", "df"))  # fmt: skip
            half = float(stats.t.isf(ALPHA / 2, df)) * se if df > 0 else math.nan
            decided = bool(transfer.member_decided[replicate, i, c])
            rows.append((*key, member, campaign.scales[c], effect, se, df,
                         effect - half, effect + half, decided))  # fmt: skip
    return pd.DataFrame(rows, columns=list(MEMBER_COLUMNS))
