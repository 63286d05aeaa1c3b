"""The study that travels with its results: study.yaml and design.json in results/<study>/.

`gan-bench aggregate` writes both beside summary.csv, so the report (and anyone reading the
folder later) works from what was run, not from a study file that may have moved or changed
since: study.yaml is the resolved study (every default filled in, the baseline given for
every trick), and design.json the design with typed levels (JSON keeps 4, 4.0, true and "4"
apart, which summary.csv cannot).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from gan_bench.errors import BadInput
from gan_bench.files import atomic_write, write_json
from gan_bench.folders import StudyFolder
from gan_bench.study.design import DesignRecord, describe
from gan_bench.study.study_file import SECTIONS_WITH_DEFAULTS, Study, load_study

HEADER = (
    "# The resolved study behind these results, written by `gan-bench aggregate` from\n"
    "# {source}: every default filled in, the baseline given for every trick.\n"
    "# `gan-bench report` reads it (and design.json); change the study file, not this copy.\n"
)


class RecordError(BadInput):
    """study.yaml or design.json of a results folder is missing or unreadable; names it."""


def resolved_study(study: Study) -> dict[str, Any]:
    """The study as a study file that load_study reads back to the same Study (its path
    aside): only the keys its design allows, each section complete."""
    raw: dict[str, Any] = {"name": study.name}
    if study.description:
        raw["description"] = study.description
    raw |= {section: dict(getattr(study, section)) for section in SECTIONS_WITH_DEFAULTS}
    raw |= {"seeds": list(study.seeds), "design": study.design}
    if study.design == "fractional":
        raw["resolution"] = study.resolution
    raw["baseline"] = study.baseline.as_dict()
    if study.factors:
        raw["factors"] = {name: list(levels) for name, levels in study.factors.items()}
    if study.design == "cells":
        raw["cells"] = [dict(cell) for cell in study.cells]
    if study.analysis:
        raw["analysis"] = dict(study.analysis)
    return raw


def shown_path(path: str) -> str:
    """The study file as the reader's checkout would name it: relative to the working folder
    when it lies inside it (`gan-bench run` hands Snakemake an absolute path), else by its
    name alone: a path of the machine that wrote the record means nothing to its readers."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return Path(path).name


def write_study_record(study: Study, folder: StudyFolder) -> None:
    """Write study.yaml and design.json into the study folder (what aggregate records)."""
    text = HEADER.format(source=shown_path(study.path)) + yaml.safe_dump(
        resolved_study(study), sort_keys=False, allow_unicode=True
    )
    atomic_write(folder.study, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    write_json(folder.design, describe(study))


def _missing(path: Path) -> RecordError:
    return RecordError(
        f"{path}: not found; `gan-bench aggregate STUDY` writes it beside summary.csv "
        "(run it, with the study file these results came from)"
    )


def read_study(folder: StudyFolder) -> Study:
    """The resolved study of a results folder (StudyError names key and file if invalid).
    Its dataset's files are not needed: a published folder is analysed and reported on
    machines that lack them (e.g. results/infogan without data/mnist-t10k)."""
    if not folder.study.is_file():
        raise _missing(folder.study)
    return load_study(folder.study, check_data=False)


def read_design(folder: StudyFolder) -> DesignRecord:
    """The typed design of a results folder, as aggregate wrote it."""
    path = folder.design
    if not path.is_file():
        raise _missing(path)
    try:
        return DesignRecord.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        detail = f"no key {error}" if isinstance(error, KeyError) else str(error)
        raise RecordError(
            f"{path}: not a design.json of gan-bench aggregate ({detail}); rerun "
            "`gan-bench aggregate STUDY`"
        ) from None


def read_study_record(folder: StudyFolder) -> tuple[Study, DesignRecord]:
    """study.yaml and design.json of a results folder; RecordError when one is missing or
    they describe different studies."""
    study, design = read_study(folder), read_design(folder)
    if design.study != study.name:
        raise RecordError(
            f"{folder.design}: describes study {design.study!r}, but {folder.study} is "
            f"study {study.name!r}; rerun `gan-bench aggregate STUDY`"
        )
    return study, design
