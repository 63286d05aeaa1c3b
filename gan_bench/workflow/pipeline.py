"""What the Snakefile runs, read from its config: one study (`study: FILE`; a round of
`gan-bench run --until-decided` adds its `seeds`) or every member of a campaign (`campaign:
FILE`, gan_bench/study/campaign_file.py), each member an ordinary study in its own folder.

The Snakefile's rules are written once over a `{folder}` wildcard, a study folder
(results/<study>, or results/<campaign>/<member>), so one set of rules trains, scores,
aggregates, analyses and reports every member; `Pipeline` gives each folder its plan and the
STUDY argument its jobs get (the study file, or the campaign file with `--member NAME`),
and a campaign's transfer and report jobs their inputs and outputs. Every check is made
here, before any job: the study (or each member) as `gan-bench run` checks it
(analysis/preflight.py), and each results folder against the study its runs were made
with (study/fingerprint.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gan_bench.analysis.preflight import checked_campaign, checked_plan
from gan_bench.errors import BadInput
from gan_bench.folders import CampaignFolder
from gan_bench.resources import CAMPAIGN_SCHEMA, SCHEMA
from gan_bench.study.fingerprint import check_results_folder
from gan_bench.study.plan import DEFAULT_MAX_RUNS, Plan

DEFAULT_STUDY = "ablations/default.yaml"


@dataclass(frozen=True)
class Pipeline:
    """Every study folder the Snakefile builds, with its plan and its jobs' STUDY argument;
    for a campaign, its file and folder (the transfer job's)."""

    plans: dict[str, Plan]  # study folder -> its plan
    arguments: dict[str, list[str]]  # study folder -> [STUDY] or [CAMPAIGN, --member, NAME]
    source: str  # the study or campaign file
    schema: Path  # the JSON Schema it is validated against (Snakemake's validate)
    campaign: CampaignFolder | None = None
    seeds: list[int] | None = None  # a round of --until-decided: they replace the study's

    @property
    def folder_pattern(self) -> str:
        """The `{folder}` wildcard's constraint: exactly the pipeline's study folders."""
        return "|".join(re.escape(folder) for folder in self.plans)

    def plan(self, folder: str) -> Plan:
        return self.plans[folder]

    def study_argument(self, wildcards: Any) -> list[str]:
        """A job's STUDY argument (a rule's params function of the `{folder}` wildcard)."""
        return self.arguments[wildcards.folder]

    def run_files(self, folder: str | None = None) -> list[str]:
        """run.json and scores.json of every run (of one study folder, when named): what
        aggregate reads, and what `all` asks for (snakemake/snakemake#1978: a missing
        scores.json is rebuilt only when a target asks for it)."""
        plans = self.plans.values() if folder is None else [self.plans[folder]]
        return [
            str(path)
            for plan in plans
            for run in plan.run_folders
            for path in (run.run, run.scores)
        ]

    @property
    def transfer_inputs(self) -> list[str]:
        """What the transfer job reads of each member: what analysis/common_scale.py
        read_member reads, and analysis.json (each member's own verdicts)."""
        folders = [plan.folder for plan in self.plans.values()]
        files = [(f.summary, f.study, f.design, f.metrics, f.analysis) for f in folders]
        return [str(path) for paths in files for path in paths]

    @property
    def transfer_outputs(self) -> list[str]:
        if self.campaign is None:
            return []
        folder = self.campaign
        files = (folder.campaign, folder.transfer_csv, folder.transfer_members)
        return [*map(str, files), str(folder.transfer_json)]

    @property
    def campaign_report_inputs(self) -> list[str]:
        """What the campaign report reads (transfer.json) and links to (each member's
        report.html, so it comes after them)."""
        reports = [str(plan.folder.report) for plan in self.plans.values()]
        return [*self.transfer_outputs[-1:], *reports]

    @property
    def campaign_report_outputs(self) -> list[str]:
        if self.campaign is None:
            return []
        return [str(self.campaign.report), *map(str, self.campaign.report_tables)]

    @property
    def targets(self) -> list[str]:
        """`all`: every study folder's report and run files, and a campaign's transfer table
        and report."""
        reports = [str(plan.folder.report) for plan in self.plans.values()]
        campaign = [*self.transfer_outputs, *self.campaign_report_outputs]
        return [*reports, *self.run_files(), *campaign]


def pipeline_of(config: dict[str, Any]) -> Pipeline:
    """The Snakefile's pipeline from its config; a bad study or campaign (or a results folder
    made with other settings) is refused here, naming the key and the file."""
    study, campaign = config.get("study"), config.get("campaign")
    max_runs = int(config.get("max_runs", DEFAULT_MAX_RUNS))
    if study is not None and campaign is not None:
        raise BadInput("config: give a study or a campaign, not both")
    if campaign is not None and config.get("seeds") is not None:
        raise BadInput("config: seeds: only for a study (a round of --until-decided)")
    if campaign is not None:
        pipeline = _campaign_pipeline(str(campaign), max_runs)
    else:
        study = str(study or DEFAULT_STUDY)
        seeds = config.get("seeds")
        study_plan = checked_plan(study, max_runs=max_runs, seeds=seeds)
        folder = str(study_plan.folder.root)
        plans, arguments = {folder: study_plan}, {folder: [study]}
        pipeline = Pipeline(plans, arguments, study, SCHEMA, seeds=seeds)
    for study_plan in pipeline.plans.values():  # a study changed since its runs: refused
        check_results_folder(study_plan.study, study_plan.folder, record=False)
    return pipeline


def _campaign_pipeline(path: str, max_runs: int) -> Pipeline:
    spec, members = checked_campaign(path, max_runs=max_runs)
    plans = {str(plan.folder.root): plan for plan in members.values()}
    arguments = {str(plan.folder.root): [path, "--member", name] for name, plan in members.items()}
    return Pipeline(plans, arguments, path, CAMPAIGN_SCHEMA, spec.folder())
