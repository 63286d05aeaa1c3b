"""Load and validate study files; resolve one run's full settings.

Validation happens in two passes, both before any expensive work: the JSON Schema in
gan_bench/study/schema.yaml (shape and types) with a finiteness walk over every number (a
schema cannot say "finite"), then semantic checks against the trick registry and the dataset
(levels, files, sizes). Every problem names its key and the file.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from gan_bench.errors import BadInput
from gan_bench.folders import CELL_ID_PATTERN
from gan_bench.resources import SCHEMA
from gan_bench.study import dataspec, safe_yaml
from gan_bench.study.families import family_named, family_problems
from gan_bench.study.tricks import TRICK_ORDER, TRICKS, TrickSettings, defaults, format_level

SCHEMA_PATH = SCHEMA
SECTIONS_WITH_DEFAULTS = ("dataset", "model", "train", "eval")


class StudyError(BadInput):
    """A study file or argument is invalid; the message names the file and the key(s)."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {key}: {message}" for key, message in problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Study:
    """A validated study with every default filled in."""

    path: str
    name: str
    dataset: dict[str, Any]
    model: dict[str, Any]
    train: dict[str, Any]
    eval: dict[str, Any]
    seeds: list[int]
    baseline: TrickSettings  # every trick: registry default, overridden by the study's baseline
    design: str
    factors: dict[str, list[Any]]  # in registry order
    cells: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""
    resolution: int = 0  # fractional designs only
    analysis: dict[str, Any] = field(default_factory=dict)  # primary metric (schema.yaml)


@cache
def load_schema() -> dict[str, Any]:
    """The study JSON Schema (shipped in ablations/, next to the studies it describes)."""
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def read_study_file(path: str | Path, what: str = "study") -> Any:
    """The parsed YAML of a study file (or another of `what`: a campaign file); StudyError
    when it is missing, not UTF-8 text, too big, or not YAML a study can be (duplicate keys,
    aliases past a bound: safe_yaml)."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(safe_yaml.MAX_BYTES + 1)
    except FileNotFoundError:
        raise StudyError(source, [(what, "file not found")]) from None
    except OSError as error:
        raise StudyError(source, [(what, f"cannot read: {error}")]) from None
    if len(data) > safe_yaml.MAX_BYTES:
        limit = f"{safe_yaml.MAX_BYTES // 1024} KiB"
        raise StudyError(source, [(what, f"over {limit}; a {what} file is a few KB")])
    try:
        return safe_yaml.load_text(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        where = f"byte {error.start}: {data[error.start : error.start + 1]!r}"
        raise StudyError(source, [(what, f"not UTF-8 text ({where})")]) from None
    except safe_yaml.YamlProblem as problem:
        raise StudyError(source, [(problem.key, problem.message)]) from None
    except yaml.YAMLError as error:
        raise StudyError(source, [("yaml", f"not valid YAML: {error}")]) from None


def load_study(path: str | Path, check_data: bool = True) -> Study:
    """Read, validate and complete a study file. Raises StudyError naming file and key.
    `check_data=False` leaves the dataset's files unchecked (see study_from_dict)."""
    return study_from_dict(read_study_file(path), str(path), check_data)


def study_from_dict(raw: Any, source: str, check_data: bool = True) -> Study:
    """Validate an already-parsed study (e.g. Snakemake's config) and fill its defaults.
    Without `check_data` the dataset's files are not looked at: a results folder's study.yaml
    is read to analyse and report runs already made, on machines without their data."""
    if not isinstance(raw, dict):
        raise StudyError(source, [("study", "must be a mapping of keys to values")])
    problems = first_pass_problems(raw)
    if problems:
        raise StudyError(source, problems)
    completed = with_defaults(raw)
    problems = semantic_problems(completed, check_data)
    if problems:
        raise StudyError(source, problems)
    baseline = TrickSettings.of(completed.get("baseline", {}))
    factors = {
        name: completed["factors"][name]
        for name in TRICK_ORDER
        if name in completed.get("factors", {})
    }
    return Study(
        path=source,
        name=completed["name"],
        dataset=completed["dataset"],
        model=completed["model"],
        train=completed["train"],
        eval=completed["eval"],
        seeds=list(completed["seeds"]),
        baseline=baseline,
        design=completed["design"],
        factors=factors,
        cells=list(completed.get("cells", [])),
        description=completed.get("description", ""),
        resolution=completed.get("resolution", 0),
        analysis=dict(completed.get("analysis", {})),
    )


def _key_path(parts: Any) -> str:
    key = ""
    for part in parts:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "study"


def non_finite_problems(value: Any, parts: tuple[str | int, ...] = ()) -> list[tuple[str, str]]:
    """Every NaN or infinite number anywhere in the study, by key. NaN compares false with
    any bound, so `lr: .nan` passes the schema's `exclusiveMinimum: 0` and would only show
    up later as a "diverged" run (or a crash, for dataset.heldout_fraction)."""
    if isinstance(value, float) and not math.isfinite(value):
        return [(_key_path(parts), f"must be a finite number, got {value!r}")]
    if isinstance(value, dict):
        items: Any = ((str(key), item) for key, item in value.items())
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    return [problem for key, item in items for problem in non_finite_problems(item, (*parts, key))]


def first_pass_problems(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """Schema violations and non-finite numbers, one problem per key: a non-finite value
    is reported as that, not also as the bound it happens to break."""
    non_finite = non_finite_problems(raw)
    named = {key for key, _ in non_finite}
    return [problem for problem in schema_problems(raw) if problem[0] not in named] + non_finite


def seed_limit() -> int:
    """The largest seed a run accepts (the schema's seeds maximum, which says why)."""
    return load_schema()["properties"]["seeds"]["items"]["maximum"]


def min_samples() -> int:
    """The fewest samples scoring takes: eval.num_samples' minimum, which says why (the
    scorer and the held-out split's check read it here)."""
    return load_schema()["properties"]["eval"]["properties"]["num_samples"]["minimum"]


def _strict_integer(checker: Any, instance: Any) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


# JSON Schema counts 32.0 as an integer; a study's integers are counts and seeds, and 32.0
# would reach the trainer as a float (and a folder named seed-1.0), so only ints are.
StrictValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer),
)
EXPLAINED = ("minimum", "maximum", "exclusiveMaximum", "maxLength", "pattern")  # with a why


def schema_problems(
    raw: dict[str, Any], schema: dict[str, Any] | None = None
) -> list[tuple[str, str]]:
    """Schema violations as (key, message), unknown keys named as keys of their own; against
    the study schema unless another is given (a campaign file's: study/campaign_file.py)."""
    validator = StrictValidator(load_schema() if schema is None else schema)
    problems = []
    for error in sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.absolute_path))):
        path = list(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for extra in sorted(set(error.instance) - allowed):
                problems.append((_key_path([*path, extra]), "unknown key"))
            continue
        if error.validator == "required":
            missing = [k for k in error.validator_value if k not in error.instance]
            for key in missing:
                problems.append((_key_path([*path, key]), "required key is missing"))
            continue
        message = error.message
        if error.validator in EXPLAINED and "description" in error.schema:
            message += f" ({error.schema['description']})"  # why the limit is what it is
        problems.append((_key_path(path), message))
    return problems


def schema_defaults(section: str) -> dict[str, Any]:
    """Defaults of one section, read from the schema so they live in one place."""
    properties = load_schema()["properties"][section]["properties"]
    return {key: spec["default"] for key, spec in properties.items() if "default" in spec}


def with_defaults(raw: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of `raw` with schema defaults filled into each section."""
    completed = copy.deepcopy(raw)
    family = family_named(raw)
    for section in SECTIONS_WITH_DEFAULTS:
        under = schema_defaults(section) | dict(family.defaults.get(section, {}))
        completed[section] = under | completed.get(section, {})
    if not family.uses_base_channels and "base_channels" not in raw.get("model", {}):
        del completed["model"]["base_channels"]
    if "baseline" in family.defaults:
        completed["baseline"] = dict(family.defaults["baseline"]) | raw.get("baseline", {})
    completed.setdefault("design", load_schema()["properties"]["design"]["default"])
    return completed


def level_problem(name: str, value: Any) -> str | None:
    """Why `value` is no level of trick `name` (the registry's check), or cannot be written
    in a cell id (1e16 prints as 1e+16, and `+` names no folder nor wildcard); else None."""
    reason = TRICKS[name].check(value)
    if reason is None and not re.fullmatch(CELL_ID_PATTERN, format_level(value)):
        reason = f"{format_level(value)!r} cannot be written in a cell id (A-Z a-z 0-9 _ . -)"
    return reason


def _trick_settings_problems(key: str, settings: dict[str, Any]) -> list[tuple[str, str]]:
    problems = []
    for name, value in settings.items():
        if name not in TRICKS:
            problems.append((f"{key}.{name}", f"unknown trick (known: {', '.join(TRICK_ORDER)})"))
            continue
        reason = level_problem(name, value)
        if reason:
            problems.append((f"{key}.{name}", reason))
    return problems


def semantic_problems(study: dict[str, Any], check_data: bool = True) -> list[tuple[str, str]]:
    """Registry and dataset checks that a JSON Schema cannot express (the dataset's files
    only with `check_data`)."""
    problems = _trick_settings_problems("baseline", study.get("baseline", {}))
    factors = study.get("factors", {})
    for name, levels in factors.items():
        if name not in TRICKS:
            problems.append((f"factors.{name}", f"unknown trick (known: {', '.join(TRICK_ORDER)})"))
            continue
        for index, level in enumerate(levels):
            reason = level_problem(name, level)
            if reason:
                problems.append((f"factors.{name}[{index}]", reason))
    problems += _design_problems(study)
    problems += family_problems(study)
    if check_data:
        problems += dataspec.spec_problems(
            study["dataset"], study["train"]["batch_size"], min_heldout=min_samples()
        )
    return problems


def _design_problems(study: dict[str, Any]) -> list[tuple[str, str]]:
    design = study["design"]
    factors = study.get("factors", {})
    if design == "cells":
        if "cells" not in study:
            return [("cells", "design 'cells' needs a list of cells")]
        if factors:
            return [("factors", "design 'cells' takes its levels from 'cells', not 'factors'")]
        problems = []
        seen: dict[str, int] = {}
        for index, cell in enumerate(study["cells"]):
            problems += _trick_settings_problems(f"cells[{index}]", cell)
            canonical = repr(sorted(cell.items()))
            if canonical in seen:
                problems.append((f"cells[{index}]", f"duplicates cells[{seen[canonical]}]"))
            seen[canonical] = index
        return problems
    if "cells" in study:
        return [("cells", f"only used with design: cells (this study's design is {design})")]
    if not factors:
        return [("factors", f"design '{design}' needs at least one factor")]
    if design == "fractional":
        return _fractional_problems(study)
    if "resolution" in study:
        return [("resolution", f"only used with design: fractional (this study's is {design})")]
    if design == "one_at_a_time":
        baseline = defaults() | study.get("baseline", {})
        if all(level == baseline.get(name) for name, levels in factors.items() for level in levels):
            return [("factors", "one_at_a_time: every level equals the baseline; nothing varies")]
    return []


def _fractional_problems(study: dict[str, Any]) -> list[tuple[str, str]]:
    from gan_bench.study.fractional import choose_generators

    if "resolution" not in study:
        return [("resolution", "design 'fractional' needs a resolution: 3, 4 or 5")]
    problems = [
        (
            f"factors.{name}",
            f"fractional designs take two-level factors; this one has {len(levels)}",
        )
        for name, levels in study["factors"].items()
        if len(levels) != 2
    ]
    if not problems:
        try:
            choose_generators(len(study["factors"]), study["resolution"])
        except ValueError as error:
            problems.append(("resolution", str(error)))
    return problems


def run_config(study: Study, cell_id: str, tricks: TrickSettings, seed: int) -> dict[str, Any]:
    """The fully resolved settings of one run: what config.json records."""
    return {
        "study": study.name,
        "study_file": study.path,
        "cell": cell_id,
        "seed": seed,
        "dataset": dict(study.dataset),
        "model": dict(study.model),
        "train": dict(study.train),
        "eval": dict(study.eval),
        "tricks": tricks.as_dict(),
    }
