"""Plan-time checks that need score/ and analysis/: the study keys that would otherwise
fail only after training. analysis.primary and analysis.sesoi are resolved here by the
report's own code (gan_bench/analysis/choices.py) against the columns the study will have,
and eval.extractor against the dataset by the scorer's own rule (gan_bench/score/planning.py:
the domain classifier needs labels).

study/plan.py cannot make these checks (imports flow downward), so `checked_plan` is
study.plan plus them, and `gan-bench cells`, `gan-bench run` (before Snakemake starts) and
the Snakefile call it. Light: no torch, pandas or scipy.
"""

from __future__ import annotations

from typing import Any

from gan_bench.analysis.choices import primary_column, sesoi_settings
from gan_bench.score.planning import ScoringError, plan_extractors
from gan_bench.score.registry import MetricColumn, planned_columns
from gan_bench.study.design import cells
from gan_bench.study.plan import Plan, plan
from gan_bench.study.study_file import Study, StudyError


def _inception_possible() -> bool:
    """Whether `auto` may add Inception: its weights on disk are found through torch (hub's
    folder), so here it is taken as possible; the evaluator job settles it before training."""
    return True


def study_columns(study: Study) -> list[MetricColumn]:
    """The metric columns the study's summary may have: those of its extractors, the pixel
    and training ones, and the InfoGAN code metrics when a cell uses InfoGAN (as the scorer
    plans them: registry.planned_columns)."""
    try:
        shorts = plan_extractors(study.eval["extractor"], study.dataset, _inception_possible)
    except ScoringError as error:  # its messages lead with the key: "eval.extractor: ..."
        key, _, message = str(error).partition(": ")
        raise StudyError(study.path, [(key, message)]) from None
    codes = any(cell.tricks["infogan"] for cell in cells(study))
    return planned_columns(shorts, study.eval["num_samples"], codes)


def check_study(study: Study) -> None:
    """BadInput naming the file and key when the study's scoring or analysis settings
    cannot work: an extractor the dataset cannot take, an analysis.primary that names no
    column it will have, an analysis.sesoi family the registry does not know."""
    primary_column(study, study_columns(study))
    sesoi_settings(study)


def checked_plan(*args: Any, **kwargs: Any) -> Plan:
    """study.plan(...) (same arguments), then check_study on its study."""
    study_plan = plan(*args, **kwargs)
    check_study(study_plan.study)
    return study_plan
