"""The metric registry: what every scored number means, in one place.

One entry per metric family (fid, is, ...) says which way is better, its unit, what it
measures and with which feature extractors. A column of scores.json and summary.csv is a
`MetricColumn`: an entry measured with one extractor on a number of samples. Its name
(`fid_cnn_2k`) is *made* here and never read back: scores.json and metrics.json carry the
(metric, extractor, samples) triple beside each name, and the analysis resolves that triple
through this registry. Torch-free: the analysis and the report import it.

To add a metric: add a `Metric` to `METRICS` (in scores.json order), compute it in
gan_bench/score/metrics.py and return it from gan_bench/score/scorer.py's `measure`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gan_bench.score.metric_spec import (
    DIRECTION_TEXT,
    FEATURES,
    INCEPTION_POOL,
    LEAD,
    PIXEL,
    TRAINING,
    WITHOUT_HEAD,
    Direction,
    Family,
    Metric,
    UnknownMetric,
)

__all__ = [
    "DIRECTION_TEXT", "FEATURES", "INCEPTION_POOL", "LEAD", "PIXEL", "TRAINING",
    "WITHOUT_HEAD", "Direction", "Family", "Metric", "MetricColumn", "UnknownMetric",
]  # fmt: skip
# InfoGAN's continuous codes (gan_bench/train/models.py INFOGAN_CONTINUOUS, which imports
# torch: tests/score/test_registry.py checks the two agree) and the stroke measures
# (gan_bench/score/strokes.py MEASURES) each code's correlation is measured with
STROKE_CODES = 2
STROKE_MEASURES = {
    "slant": "slant (the deskewing angle from the second-order image moments)",
    "thickness": "stroke thickness (ink per unit of stroke length, from the ink's outline)",
}


def stroke_key(measure: str, code: int) -> str:
    """The metric key of continuous code `code` (1-based, as c1 in traversals.png) against
    a stroke measure: slant_r_c1, thickness_r_c2."""
    return f"{measure}_r_c{code}"


def _stroke_metric(measure: str, code: int) -> Metric:
    return Metric(
        key=stroke_key(measure, code),
        title=f"InfoGAN c{code} vs {measure}",
        direction="higher",
        unit="|Spearman r|, 0 to 1",
        meaning=f"how consistently moving continuous code c{code} along its sweep (other "
        f"inputs fixed) moves the digit's {STROKE_MEASURES[measure]}: |mean over sweeps of "
        "Spearman's r|",
        family="codes",
        extractors=(PIXEL,),
        sesoi=0.1,
        sesoi_why="0.1: a tenth of the way from a code that does nothing (0) to one that "
        "always moves the measure the same way (1); not yet set against a seed's spread",
        needs_codes=True,
    )


_BY_EXTRACTOR = "its scale depends on the extractor (domain CNN vs Inception), so a share"
METRICS: dict[str, Metric] = {
    entry.key: entry
    for entry in (
        Metric(
            key="fid",
            title="Fréchet distance",
            direction="lower",
            unit="FID units",
            meaning="distance between Gaussians fitted to real and generated features",
            family="quality",
            extractors=FEATURES,
            sesoi=0.05,
            sesoi_relative=True,
            sesoi_why=f"5% of the baseline's FID: {_BY_EXTRACTOR}",
        ),
        Metric(
            key="is",
            title="Inception score",
            direction="higher",
            unit="score, from 1 to the number of classes",
            meaning="exp of the mean KL between a sample's class posterior and the marginal",
            family="quality",
            extractors=FEATURES,
            sesoi=0.03,
            sesoi_relative=True,
            sesoi_why="3% of the baseline's score: its range is set by the extractor's "
            "classes (10 for the domain CNN, 1008 for Inception)",
            needs_head=True,
        ),
        Metric(
            key="kid",
            title="Kernel inception distance",
            direction="lower",
            unit="KID units (squared features)",
            meaning="unbiased polynomial-kernel MMD between real and generated features",
            family="quality",
            extractors=FEATURES,
            sesoi=0.05,
            sesoi_relative=True,
            sesoi_why=f"5% of the baseline's KID, as for FID: {_BY_EXTRACTOR}",
        ),
        Metric(
            key="precision",
            title="Precision",
            direction="higher",
            unit="share of samples",
            meaning="share of generated samples inside the real features' k-NN manifold",
            family="quality",
            extractors=FEATURES,
            sesoi=0.02,
            sesoi_why="2 percentage points: about one seed's spread at 2k samples "
            "(results/default)",
        ),
        Metric(
            key="recall",
            title="Recall",
            direction="higher",
            unit="share of samples",
            meaning="share of real samples inside the generated features' k-NN manifold",
            family="coverage",
            extractors=FEATURES,
            sesoi=0.02,
            sesoi_why="2 percentage points, as for precision",
        ),
        Metric(
            key="modes_hit",
            title="Modes hit",
            direction="higher",
            unit="classes",
            meaning="classes holding at least 1/(4K) of the samples (K classes), by the "
            "domain CNN's labels",
            family="coverage",
            extractors=("cnn",),
            sesoi=1.0,
            sesoi_why="one class: the metric's resolution",
            needs_head=True,
        ),
        Metric(
            key="mode_kl",
            title="Mode KL",
            direction="lower",
            unit="nats",
            meaning="KL(generated class histogram || real class histogram), by the domain "
            "CNN's labels",
            family="coverage",
            extractors=("cnn",),
            sesoi=0.02,
            sesoi_why="0.02 nats: about twice one seed's spread at 2k samples (results/default)",
            needs_head=True,
        ),
        Metric(
            key="code_accuracy",
            title="InfoGAN code accuracy",
            direction="higher",
            unit="share of samples",
            meaning="share of samples whose categorical code matches the domain CNN's class "
            "after the best one-to-one matching of codes to classes",
            family="codes",
            extractors=("cnn",),
            sesoi=0.05,
            sesoi_why="5 percentage points: half of one class in ten",
            needs_codes=True,
            needs_head=True,
        ),
        Metric(
            key="code_r2",
            title="InfoGAN continuous-code recovery",
            direction="higher",
            unit="R^2",
            meaning="how much of each continuous code's variance Q recovers from G's samples "
            "(R^2, mean over the continuous codes)",
            family="codes",
            extractors=(TRAINING,),
            sesoi=0.05,
            sesoi_why="0.05 of explained variance",
            needs_codes=True,
        ),
        Metric(
            key="code_consistency",
            title="InfoGAN class consistency",
            direction="higher",
            unit="share of sweep points",
            meaning="share of points along a continuous-code sweep (other inputs fixed) whose "
            "domain-CNN class equals the class at the sweep's centre",
            family="codes",
            extractors=("cnn",),
            sesoi=0.05,
            sesoi_why="5 percentage points: half of one class in ten",
            needs_codes=True,
            needs_head=True,
        ),
        Metric(
            key="checkerboard",
            title="Checkerboard score",
            direction="zero",
            unit="log ratio",
            meaning="log(Nyquist share of the power spectrum, generated / real): 0 like real "
            "data, > 0 checkerboard artifacts",
            family="artifacts",
            extractors=(PIXEL,),
            sesoi=0.1,
            sesoi_why="0.1: about 10% more (or less) Nyquist power than real data",
        ),
        *(
            _stroke_metric(measure, code)
            for measure in STROKE_MEASURES
            for code in range(1, STROKE_CODES + 1)
        ),
        Metric(
            key="d_overfit",
            title="D overfitting",
            direction="lower",
            unit="difference of D's mean output (probability)",
            meaning="D's mean output on training reals minus on held-out reals at the end of "
            "training: > 0 when D has memorised the training set",
            family="dynamics",
            extractors=(TRAINING,),
            sesoi=0.02,
            sesoi_why="2 percentage points of D's output: about one seed's spread of the "
            "probe on 256 + 256 images",
        ),
        Metric(
            key="d_balance",
            title="Distance from D's equilibrium",
            direction="lower",
            unit="probability",
            meaning="mean of |D(x) - 0.5| + |D(G(z)) - 0.5| over the last 20% of logged "
            "steps: 0 when D cannot tell real from fake",
            family="dynamics",
            extractors=(TRAINING,),
            sesoi=0.05,
            sesoi_why="0.05: D's outputs 2.5 percentage points nearer 0.5 on each side",
        ),
        Metric(
            key="overfit_pattern",
            title="Rising-G / falling-D pattern",
            direction="lower",
            unit="share of runs (per run: 0 or 1)",
            meaning="1 when, over the second half of training, G's adversarial loss rises "
            "and D's falls (the folk sign of D overfitting); a cell's mean is the share of "
            "its runs that show it",
            family="dynamics",
            extractors=(TRAINING,),
            sesoi=0.25,
            sesoi_why="a quarter of the runs: the metric is 0 or 1 per run",
        ),
    )
}


def metric(key: str) -> Metric:
    """The registry entry `key`; UnknownMetric naming it (and the known ones) otherwise."""
    if key not in METRICS:
        raise UnknownMetric(
            f"metric {key!r}: not in the metric registry (known: {', '.join(METRICS)})"
        )
    return METRICS[key]


def count_label(count: int) -> str:
    """Sample counts as column names state them: 256 -> 256, 2000 -> 2k, 10000 -> 10k."""
    return f"{count // 1000}k" if count >= 1000 and count % 1000 == 0 else str(count)


def column_name(key: str, extractor: str, samples: int | None) -> str:
    """`<metric>_<extractor>_<samples>`, e.g. fid_cnn_2k: a contract, published
    summary.csv files use these names."""
    return column(key, extractor, samples).name


@dataclass(frozen=True)
class MetricColumn:
    """One metric column: an entry measured with one extractor on `samples` samples."""

    name: str
    metric: Metric
    extractor: str
    samples: int | None  # None for TRAINING columns: no samples are drawn

    @property
    def direction(self) -> Direction:
        return self.metric.direction

    @property
    def direction_text(self) -> str:
        return self.metric.direction_text

    @property
    def label(self) -> str:
        """How the column is named where statistics are taken: |name| for towards-zero."""
        return f"|{self.name}|" if self.direction == "zero" else self.name

    def info(self) -> dict[str, Any]:
        """The column's entry in scores.json's metric_info and in metrics.json."""
        return {"metric": self.metric.key, "extractor": self.extractor, "samples": self.samples}

    def statistic(self, values):
        """The values statistics are taken on (a Series or an array): |x| for towards-zero
        metrics, x otherwise."""
        values = values.astype(float)
        return abs(values) if self.direction == "zero" else values


def column(key: str, extractor: str, samples: int | None) -> MetricColumn:
    """The column of metric `key` measured with `extractor` on `samples` samples (None, and
    the bare key as the name, for a TRAINING column)."""
    entry = metric(key)
    if extractor not in entry.extractors:
        raise UnknownMetric(
            f"metric {key!r}: not measured with extractor {extractor!r} "
            f"(only {', '.join(entry.extractors)})"
        )
    if extractor == TRAINING:
        if samples is not None:
            raise UnknownMetric(f"metric {key!r}: measured in training, samples must be null")
        return MetricColumn(key, entry, extractor, None)
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise UnknownMetric(f"metric {key!r}: samples must be a positive integer, got {samples!r}")
    name = f"{key}_{extractor}_{count_label(samples)}"
    return MetricColumn(name, entry, extractor, samples)


def resolve(name: str, info: Mapping[str, Any]) -> MetricColumn:
    """The column `name` described by `info` ({metric, extractor, samples}); UnknownMetric
    when the registry does not know it or the name is not the one the triple makes."""
    if not isinstance(info, Mapping) or {"metric", "extractor", "samples"} - set(info):
        raise UnknownMetric(f"{name}: expected {{metric, extractor, samples}}, got {info!r}")
    found = column(info["metric"], info["extractor"], info["samples"])
    if found.name != name:
        raise UnknownMetric(f"{name}: its description {dict(info)} makes {found.name!r}")
    return found


def resolve_all(infos: Mapping[str, Mapping[str, Any]]) -> dict[str, MetricColumn]:
    """name -> MetricColumn for a whole metric_info / metrics.json mapping, in its order."""
    return {name: resolve(name, info) for name, info in infos.items()}


def measured_as(planned: str) -> str:
    """The extractor a planned one measures as, and names its columns by (`inception` for
    INCEPTION_POOL; itself for the others)."""
    return WITHOUT_HEAD.get(planned, planned)


def has_head(planned: str) -> bool:
    """Whether a planned extractor has its classifier head (all but WITHOUT_HEAD's)."""
    return planned not in WITHOUT_HEAD


def planned_columns(
    extractors: Iterable[str], samples: int, codes: bool, training: bool = True
) -> list[MetricColumn]:
    """Every column a run scored with these feature extractors reports, in scores.json order:
    per extractor the registry's metrics measured with it, then the pixel metrics, then the
    training ones (`training=False`: a study scored before they existed, e.g. the published
    results folders, whose metrics.json gan_bench/analysis/summary.py's backfill writes).
    An extractor without its head (WITHOUT_HEAD) has the columns of the one it measures as,
    less those that need the head (`Metric.needs_head`: Inception's IS)."""
    columns = []
    for planned in [*extractors, PIXEL, *([TRAINING] if training else [])]:
        extractor = measured_as(planned)
        for entry in METRICS.values():
            if extractor not in entry.extractors or (entry.needs_codes and not codes):
                continue
            if entry.needs_head and not has_head(planned):
                continue
            count = None if extractor == TRAINING else samples
            columns.append(column(entry.key, extractor, count))
    return columns


def lead_column(columns: Iterable[MetricColumn]) -> MetricColumn | None:
    """The column verdicts lead with: the first FID, else the first column."""
    columns = list(columns)
    return next((c for c in columns if c.metric.key == LEAD), columns[0] if columns else None)
