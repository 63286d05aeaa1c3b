"""Plan-time checks that need score/ and analysis/: the study keys that would otherwise
fail only after training. analysis.primary and analysis.sesoi are resolved here by the
report's own code (gan_bench/analysis/choices.py) against the columns the study will have,
and eval.extractor against the dataset by the scorer's own rule (gan_bench/score/planning.py:
the domain classifier needs labels; `auto` adds Inception when its weights are on disk,
looked for where the scorer looks: gan_bench/score/weights.py). An explicit `inception`
without weights on disk is downloaded by the evaluator job; `gan-bench cells` and
`gan-bench run` (`download_check=True`) first ask the download host for a byte of it.

study/plan.py cannot make these checks (imports flow downward), so `checked_plan` is
study.plan plus them, and `gan-bench cells`, `gan-bench run` (before Snakemake starts) and
the Snakefile call it; `checked_campaign` is the same for every member of a campaign. Light:
no torch, pandas or scipy.
"""

from __future__ import annotations

from typing import Any

from gan_bench.analysis.choices import primary_column, sesoi_settings
from gan_bench.score.planning import ScoringError, plan_extractors
from gan_bench.score.registry import MetricColumn, planned_columns
from gan_bench.score.weights import check_inception_obtainable, weights_on_disk
from gan_bench.study.campaign_file import CampaignSpec, campaign_plans, load_campaign
from gan_bench.study.design import cells
from gan_bench.study.plan import Plan, plan
from gan_bench.study.study_file import Study, StudyError


def study_columns(study: Study, download_check: bool = False) -> list[MetricColumn]:
    """The metric columns the study's summary may have: those of its extractors, the pixel
    and training ones, and the InfoGAN code metrics when a cell uses InfoGAN (as the scorer
    plans them: registry.planned_columns). StudyError naming eval.extractor when the
    extractor cannot be had: the domain one without labels, `auto` with neither labels nor
    Inception weights on disk, and with `download_check`, `inception` with no weights on disk
    and no answer from their download host."""
    try:
        shorts = plan_extractors(study.eval["extractor"], study.dataset, weights_on_disk)
        if study.eval["extractor"] == "inception" and download_check:
            check_inception_obtainable()
    except ScoringError as error:  # its messages lead with the key: "eval.extractor: ..."
        key, _, message = str(error).partition(": ")
        raise StudyError(study.path, [(key, message)]) from None
    codes = any(cell.tricks.infogan for cell in cells(study))
    return planned_columns(shorts, study.eval["num_samples"], codes)


def check_study(study: Study, download_check: bool = False) -> None:
    """BadInput naming the file and key when the study's scoring or analysis settings
    cannot work: an extractor that cannot be had (study_columns), an analysis.primary that
    names no column it will have, an analysis.sesoi family the registry does not know."""
    primary_column(study, study_columns(study, download_check))
    sesoi_settings(study)


def checked_plan(*args: Any, download_check: bool = False, **kwargs: Any) -> Plan:
    """study.plan(...) (same arguments), then check_study on its study. `download_check`:
    an `inception` study without weights on disk asks their host (gan-bench cells and run;
    the Snakefile, parsed again by every job, leaves it to the evaluator job)."""
    study_plan = plan(*args, **kwargs)
    check_study(study_plan.study, download_check)
    return study_plan


def checked_campaign(
    path: str, max_runs: int | None = None, download_check: bool = False
) -> tuple[CampaignSpec, dict[str, Plan]]:
    """A campaign file (gan_bench/study/campaign_file.py) and each member's plan, every member
    checked as checked_plan checks a study; a problem names the member. `download_check`
    asks Inception's host once, for the first member that needs it."""
    campaign = load_campaign(path)
    plans = campaign_plans(campaign, max_runs=max_runs)
    asked = False
    for name, study_plan in plans.items():
        study = study_plan.study
        try:
            check_study(study, download_check and not asked)
        except StudyError as error:
            problems = [(f"member {name}: {key}", why) for key, why in error.problems]
            raise StudyError(error.source, problems) from None
        asked |= study.eval["extractor"] == "inception"
    return campaign, plans
