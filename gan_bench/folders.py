"""Where a study's results lie: the study folder `results/<study>/` and each run folder in it.

Every file name gan-bench writes or reads there is spelled here and nowhere else; the names
are a contract (scripts, the Snakefile and earlier results rely on them). Plain paths, no
input or output, so that every stage, and the Snakefile, can use it:

    results/<study>/
        study.yaml  design.json  summary.csv  metrics.json  evaluator.json  report.html
        code.diff (the report's uncommitted code changes, only when there were any)
        fingerprint.json (the run settings the folder was made with)
        analysis.json (every statistic and verdict, written by `gan-bench analyse`)
        sequence.json (`gan-bench run --until-decided` only)
        tables/  figures/  logs/  benchmarks/
        runs/<cell-id>/seed-<S>/
            config.json  log.jsonl  checkpoint.pt  checkpoint.prev.pt
            generator.pt  discriminator.pt  samples.png  traversals.png (InfoGAN)
            run.json  scores.json  code.diff (uncommitted code changes, only then)

A campaign (the same study on several datasets, gan_bench/study/campaign_file.py) keeps its
members' study folders side by side in its own folder:

    results/<campaign>/
        campaign.yaml (the resolved campaign: each member's study complete)
        transfer.csv  transfer_members.csv  transfer.json (the claims across members, and
            each member's effect and own verdict per claim, `gan-bench transfer`)
        report.html  tables/  figures/ (the campaign report, `gan-bench report CAMPAIGN`)
        logs/  benchmarks/ (the campaign's own jobs)
        <member>/ (one study folder per member, as above)

Snakemake's wildcard patterns are these paths with `{cell}` and `{seed}` as the cell and
seed: `StudyFolder(...).run("{cell}", "{seed}").run` is `.../runs/{cell}/seed-{seed}/run.json`;
`StudyFolder(Path("{folder}"))` gives every study folder's files as patterns of one wildcard.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

RESULTS_ROOT = Path("results")
# The tables `gan-bench analyse` writes into tables/ (gan_bench/analysis/stage.py), for
# people and papers; the report renders analysis.json
ANALYSIS_CSVS = (
    "effects.csv",
    "claims.csv",
    "interactions.csv",
    "cells.csv",
    "anova.csv",
    "divergence.csv",
    "models.csv",
)
TABLE_FORMATS = (".md", ".tex", ".html")  # a report table's files (the campaign's tables/)
CODE_DIFF = "code.diff"  # beside a run.json or a report.html: the tree's uncommitted changes

# A cell id names a folder (runs/<cell-id>/) and is the Snakefile's {cell} wildcard: these
# characters only, and at most NAME_MAX bytes (one file name on Linux and macOS).
CELL_ID_PATTERN = r"[A-Za-z0-9_.\-]+"
NAME_MAX = 255


@dataclass(frozen=True)
class RunFolder:
    """One run of a study (a cell x seed): `results/<study>/runs/<cell-id>/seed-<S>/`."""

    root: Path

    @property
    def config(self) -> Path:
        """The run's fully resolved settings, written before training starts."""
        return self.root / "config.json"

    @property
    def log(self) -> Path:
        return self.root / "log.jsonl"

    @property
    def checkpoint(self) -> Path:
        return self.root / "checkpoint.pt"

    @property
    def previous_checkpoint(self) -> Path:
        """The checkpoint before the latest: the fallback when the latest is unreadable."""
        return self.root / "checkpoint.prev.pt"

    @property
    def generator(self) -> Path:
        return self.root / "generator.pt"

    @property
    def discriminator(self) -> Path:
        """D's final weights (with InfoGAN's Q head): what the code metrics read."""
        return self.root / "discriminator.pt"

    @property
    def samples(self) -> Path:
        return self.root / "samples.png"

    @property
    def traversals(self) -> Path:
        """InfoGAN runs: one code varied at a time, every other input fixed."""
        return self.root / "traversals.png"

    @property
    def run(self) -> Path:
        """Written last by training: its presence means the run is finished."""
        return self.root / "run.json"

    @property
    def scores(self) -> Path:
        return self.root / "scores.json"

    @property
    def code_diff(self) -> Path:
        """The uncommitted changes of the tree that trained the run (only when there were
        any), named with its sha256 in run.json (gan_bench/provenance.py)."""
        return self.root / CODE_DIFF


@dataclass(frozen=True)
class StudyFolder:
    """A study's results: `results/<study>/`, its run folders and what aggregate and report
    write beside them."""

    root: Path

    @classmethod
    def of(cls, study_name: str, results_root: str | Path = RESULTS_ROOT) -> StudyFolder:
        return cls(Path(results_root) / study_name)

    def run(self, cell: str, seed: int | str) -> RunFolder:
        """The run folder of a cell x seed (`"{cell}", "{seed}"` give Snakemake's pattern)."""
        return RunFolder(self.runs / str(cell) / f"seed-{seed}")

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def study(self) -> Path:
        """The resolved study (every default filled in), written by aggregate."""
        return self.root / "study.yaml"

    @property
    def fingerprint(self) -> Path:
        """The run settings the folder was made with (gan_bench/study/fingerprint.py),
        written by the first `gan-bench run`: a study changed since is refused."""
        return self.root / "fingerprint.json"

    @property
    def design(self) -> Path:
        """The design with typed levels (cell id -> levels), written by aggregate."""
        return self.root / "design.json"

    @property
    def summary(self) -> Path:
        return self.root / "summary.csv"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.json"

    @property
    def sequence(self) -> Path:
        """`gan-bench run --until-decided`'s state: its settings and the looks planned so
        far (gan_bench/workflow/sequence.py); the report shows the looks when it exists."""
        return self.root / "sequence.json"

    @property
    def analysis(self) -> Path:
        """Every table of the analysis with its types and the looks: what `gan-bench
        analyse` computed and the report renders (gan_bench/analysis/stage.py)."""
        return self.root / "analysis.json"

    @property
    def analysis_tables(self) -> list[Path]:
        """tables/*.csv as `gan-bench analyse` writes them."""
        return [self.tables / name for name in ANALYSIS_CSVS]

    @property
    def evaluator(self) -> Path:
        return self.root / "evaluator.json"

    @property
    def report(self) -> Path:
        return self.root / "report.html"

    @property
    def code_diff(self) -> Path:
        """The uncommitted changes of the tree that made report.html (only when there were
        any), named with its sha256 in the report's facts."""
        return self.root / CODE_DIFF

    @property
    def tables(self) -> Path:
        return self.root / "tables"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def benchmarks(self) -> Path:
        """Snakemake's `benchmark:` records (wall, CPU time, memory) of every job."""
        return self.root / "benchmarks"

    def train_log(self, cell: str, seed: int | str) -> Path:
        return self.logs / "train" / str(cell) / f"seed-{seed}.log"

    def train_benchmark(self, cell: str, seed: int | str) -> Path:
        return self.benchmarks / "train" / str(cell) / f"seed-{seed}.tsv"

    def job_log(self, job: str) -> Path:
        """The log of a once-per-study job (evaluator, aggregate, report)."""
        return self.logs / f"{job}.log"

    def job_benchmark(self, job: str) -> Path:
        return self.benchmarks / f"{job}.tsv"


@dataclass(frozen=True)
class CampaignFolder:
    """A campaign's results: `results/<campaign>/`, a study folder per member and the files
    about all of them."""

    root: Path

    @classmethod
    def of(cls, campaign_name: str, results_root: str | Path = RESULTS_ROOT) -> CampaignFolder:
        return cls(Path(results_root) / campaign_name)

    def member(self, name: str) -> StudyFolder:
        """A member's study folder: an ordinary one (analyse, report, until-decided)."""
        return StudyFolder(self.root / name)

    @property
    def campaign(self) -> Path:
        """The resolved campaign (each member's study complete), written by transfer."""
        return self.root / "campaign.yaml"

    @property
    def transfer_csv(self) -> Path:
        """One row per confirmatory claim across the members (analysis/transfer.py)."""
        return self.root / "transfer.csv"

    @property
    def transfer_members(self) -> Path:
        """One row per claim and member: the member's effect on the common scale and its own
        verdict word (from its analysis.json), what the campaign report draws."""
        return self.root / "transfer_members.csv"

    @property
    def transfer_json(self) -> Path:
        """Both tables with their types, and the members they were computed from."""
        return self.root / "transfer.json"

    @property
    def report(self) -> Path:
        """The campaign report: forest plots, the verdict grid, the transfer table, costs."""
        return self.root / "report.html"

    @property
    def tables(self) -> Path:
        return self.root / "tables"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    def forest(self, claim: str) -> Path:
        """A claim's forest plot (its members, the pooled effect, the prediction interval);
        `claim` a file-name-safe name of the claim."""
        return self.figures / f"forest-{claim}.png"

    @property
    def transfer_table(self) -> Path:
        """The transfer table as the report shows it: a stem, written as TABLE_FORMATS."""
        return self.tables / "transfer"

    @property
    def verdict_grid(self) -> Path:
        """Claims x members' own verdicts, then the transfer verdict: a stem, as above."""
        return self.tables / "verdict_grid"

    @property
    def report_tables(self) -> list[Path]:
        """Every table file the campaign report writes (gan_bench/report/campaign_tables.py)."""
        stems = (self.transfer_table, self.verdict_grid)
        return [stem.with_suffix(suffix) for stem in stems for suffix in TABLE_FORMATS]

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def benchmarks(self) -> Path:
        return self.root / "benchmarks"

    def job_log(self, job: str) -> Path:
        """The log of a once-per-campaign job (transfer, report)."""
        return self.logs / f"{job}.log"

    def job_benchmark(self, job: str) -> Path:
        return self.benchmarks / f"{job}.tsv"

    @property
    def entries(self) -> tuple[str, ...]:
        """The names the campaign's own files take in its folder: no member may take one."""
        files = (self.campaign, self.transfer_csv, self.transfer_members, self.transfer_json)
        folders = (self.report, self.tables, self.figures, self.logs, self.benchmarks)
        return tuple(path.name for path in (*files, *folders))
