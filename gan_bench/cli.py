"""`gan-bench` command line (also `python -m gan_bench`).

Exit codes (contract): 0 ok, 2 bad input (the message names the key or file), 1 other
failure. Every input is validated before any training starts or any file is written.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from typing import Any

from gan_bench.data import DataError
from gan_bench.study import StudyError

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class BadInput(ValueError):
    """A bad command-line argument; the message names it."""


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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gan-bench", description="Ablations of GAN training tricks.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    cells = commands.add_parser("cells", help="list a study's design matrix")
    cells.add_argument("study")
    cells.add_argument("--format", choices=("table", "csv", "json"), default="table")

    train = commands.add_parser("train", help="train one cell x seed into a run folder")
    train.add_argument("study")
    train.add_argument("--cell", required=True, help="cell id (see `gan-bench cells`)")
    train.add_argument("--seed", required=True, type=_non_negative)
    train.add_argument("--out", required=True, help="run folder")
    train.add_argument("--steps", type=_positive, help="override train.steps")
    train.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    train.add_argument("--threads", type=_positive, default=1, help="CPU threads (default 1)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _cells_table(rows: list[dict[str, Any]], fmt: str) -> str:
    from gan_bench.tricks import format_level

    if fmt == "json":
        return json.dumps(rows, indent=2)
    columns = list(rows[0]) if rows else ["id"]
    text_rows = [[format_level(row[c]) for c in columns] for row in rows]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(text_rows)
        return buffer.getvalue().rstrip("\n")
    widths = [max(len(c), *(len(r[i]) for r in text_rows)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in text_rows]
    return "\n".join(lines) + f"\n({len(rows)} cells)"


def cmd_cells(args: argparse.Namespace) -> int:
    from gan_bench.design import cells
    from gan_bench.study import load_study

    study = load_study(args.study)
    rows = [
        {"id": cell.id} | {name: cell.tricks[name] for name in study.factors}
        for cell in cells(study)
    ]
    if study.design == "cells":
        varied = sorted({n for cell in study.cells for n in cell}, key=list(study.baseline).index)
        rows = [{"id": cell.id} | {n: cell.tricks[n] for n in varied} for cell in cells(study)]
    print(_cells_table(rows, args.format))
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    from gan_bench.data import load_dataset
    from gan_bench.design import find_cell
    from gan_bench.study import load_study, run_config
    from gan_bench.train import resolve_device, train_run

    study = load_study(args.study)
    cell = find_cell(study, args.cell)
    config = run_config(study, cell.id, cell.tricks, args.seed)
    if args.steps is not None:
        config["train"]["steps"] = args.steps
    try:
        device = resolve_device(args.device)
    except ValueError as error:
        raise BadInput(str(error)) from None
    dataset = load_dataset(
        config["dataset"]
    )  # before the run folder exists: bad data writes nothing
    progress = False if args.no_progress else None
    result = train_run(config, args.out, device, args.threads, progress, dataset=dataset)
    where = f" at step {result['step']}" if result["status"] == "diverged" else ""
    print(f"{args.out}: {result['status']}{where} ({result['seconds']:.1f} s)")
    return EXIT_OK


COMMANDS = {"cells": cmd_cells, "train": cmd_train}


def main(argv: Sequence[str] | None = None) -> int:
    from gan_bench.train import RunConflict

    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (StudyError, DataError, BadInput, RunConflict) as error:
        print(f"gan-bench: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("gan-bench: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
