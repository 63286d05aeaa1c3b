"""The settings a results folder was made with, so that a study changed since is refused.

Snakemake decides what to (re)build from files, not from a study's settings: a study whose
`train.steps` was edited between two `gan-bench run`s (or between two looks of
`--until-decided`) would keep its finished runs, train only the new ones with the new
settings, and analyse them all together under the new study.yaml. So the first run of a
results folder records the resolved study's run settings (every key that changes a run's
numbers) in `fingerprint.json`, and every later run compares: a difference is refused
(exit 2) naming each key, before anything trains. Seeds may grow (that is how a study gets
more of them) and the name is the folder itself; `description` changes nothing.

A key that a newer gan-bench added (a new trick, a new setting) is absent from an older
record; it counts as unchanged while the study leaves it at its default, which by the
registry's rule keeps the old behaviour.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from gan_bench.differences import differences, flatten
from gan_bench.errors import BadInput
from gan_bench.files import read_json, write_json
from gan_bench.folders import StudyFolder
from gan_bench.study.record import resolved_study
from gan_bench.study.study_file import SECTIONS_WITH_DEFAULTS, Study, schema_defaults
from gan_bench.study.tricks import defaults

NOT_RUN_SETTINGS = ("name", "description", "seeds", "analysis")


class StudyChanged(BadInput):
    """The study differs from the one its results folder (or sequence) was made with."""


def run_settings(study: Study) -> dict[str, Any]:
    """Every key of the resolved study that changes a run or which runs exist: dataset,
    model, train, eval, baseline and the design."""
    return {k: v for k, v in resolved_study(study).items() if k not in NOT_RUN_SETTINGS}


def sequence_settings(study: Study) -> dict[str, Any]:
    """run_settings plus the analysis: between looks of `--until-decided` the claims and
    their error rate must stay the ones the sequence began with."""
    return run_settings(study) | {"analysis": dict(study.analysis)}


def fingerprint_record(settings: dict[str, Any]) -> dict[str, Any]:
    """What fingerprint.json (and sequence.json's "study") holds: a short hash for a reader
    and the settings themselves, so a difference can be named key by key."""
    canonical = json.dumps(settings, sort_keys=True, default=str)
    return {
        "fingerprint": hashlib.sha256(canonical.encode()).hexdigest()[:16],
        "settings": settings,
    }


def _defaults() -> dict[str, Any]:
    """Flattened defaults of every key a newer gan-bench may have added."""
    sections = {section: schema_defaults(section) for section in SECTIONS_WITH_DEFAULTS}
    return flatten(sections | {"baseline": defaults()})


def changed_keys(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """`key: results have A, study B` for each key that differs. A key only the current study
    has counts when it is off its default; a key only the record has (one this version
    dropped) does not."""
    old, new, default = flatten(recorded), flatten(current), _defaults()
    missing = object()
    new = {k: v for k, v in new.items() if k in old or v != default.get(k, missing)}
    old = {k: v for k, v in old.items() if k in new}
    return differences(old, new, "results have", "study")


def refuse_changes(source: str, where: Path, changes: list[str], fix: str) -> None:
    if changes:
        listed = "".join(f"\n  {line}" for line in changes)
        raise StudyChanged(
            f"{source}: the study differs from the one {where} was made with:{listed}\n{fix}"
        )


def recorded_settings(folder: StudyFolder) -> dict[str, Any] | None:
    """The run settings a results folder was made with: fingerprint.json, else (a folder
    made before it existed) the run settings of its study.yaml, else None."""
    if folder.fingerprint.exists():
        try:
            settings = read_json(folder.fingerprint)["settings"]
            if not isinstance(settings, dict):
                raise TypeError("settings is not a mapping")
            return settings
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise BadInput(
                f"{folder.fingerprint}: unreadable ({error}); it records the settings these "
                "results were made with: restore it, or delete it to accept the study as it "
                "is now"
            ) from None
    try:
        raw = yaml.safe_load(folder.study.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return None  # no study.yaml (or aggregate will rewrite it): nothing recorded
    if not isinstance(raw, dict):
        return None
    return {k: v for k, v in raw.items() if k not in NOT_RUN_SETTINGS}


def has_runs(folder: StudyFolder) -> bool:
    """Whether any run was started in the folder: until then a study may change freely."""
    return folder.runs.is_dir() and any(folder.runs.iterdir())


def check_results_folder(study: Study, folder: StudyFolder, record: bool = True) -> None:
    """StudyChanged naming each key when `study` differs from the one the folder's runs were
    made with; with `record`, the study's settings are recorded (once runs exist, only where
    nothing was)."""
    current = run_settings(study)
    made = has_runs(folder)
    recorded = recorded_settings(folder) if made else None
    if recorded is not None:
        fix = (
            f"restore those keys, give the study another name, or delete {folder.root}/ "
            "(its runs were made with the old settings)"
        )
        refuse_changes(study.path, folder.root, changed_keys(recorded, current), fix)
    if record and (not made or not folder.fingerprint.exists()):
        write_json(folder.fingerprint, fingerprint_record(current))
