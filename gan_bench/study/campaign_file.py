"""Campaign files: the same study (the shared question) on several datasets, its members.

    campaign: transfer                  # results land in results/<campaign>/<member>/
    description: Do the five architecture claims transfer across datasets?
    study: fractional                   # a built-in study or a study file, or a mapping of
                                        # study keys (`from: NAME_OR_PATH` to start from one)
    members:
      - name: digits                    # the member's study name and folder
        dataset: {name: digits, image_size: 16}
      - name: mnist-t10k
        dataset: {name: idx, images: data/mnist-t10k/t10k-images-idx3-ubyte.gz, ...}
        train: {steps: 800}             # merged into the shared train settings

Read like a study file (study/safe_yaml.py: no duplicate keys, bounded aliases, plain data
only), checked against gan_bench/study/campaign_schema.yaml, then every member becomes an
ordinary Study (study_file.study_from_dict: named after the member, every check a study file
gets, its dataset's files included), so a problem names the member and the key before
anything runs. The question (factors, design, resolution, cells, seeds, analysis) is shared;
a member sets dataset (replacing the shared one whole: a dataset's keys belong together),
model, train, eval and baseline (merged into the shared ones, its keys winning). Members
must differ in some run setting. Paths (a shared study's file, datasets) are relative to the
working directory, as in study files.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from gan_bench.errors import BadInput
from gan_bench.files import atomic_write
from gan_bench.folders import RESULTS_ROOT, CampaignFolder
from gan_bench.resources import CAMPAIGN_SCHEMA, builtin_campaigns
from gan_bench.study.builtin import resolve_study
from gan_bench.study.fingerprint import run_settings
from gan_bench.study.plan import Plan, count_cells, plan_study
from gan_bench.study.record import resolved_study, shown_path
from gan_bench.study.study_file import (
    Study,
    StudyError,
    load_study,
    read_study_file,
    schema_problems,
    study_from_dict,
)

SHARED_KEYS = ("factors", "design", "resolution", "cells", "seeds", "analysis")
MERGED_KEYS = ("model", "train", "eval", "baseline")  # a member's keys win, one level deep
SHARED = "shared by every member (the campaign's question): set it under `study:`"
CAMPAIGN_HEADER = (
    "# The resolved campaign behind these results, written by `gan-bench transfer` from\n"
    "# {source}: each member's study complete. `gan-bench transfer` reads it as a campaign\n"
    "# file; change the campaign file, not this copy.\n"
)


@dataclass(frozen=True)
class CampaignSpec:
    """A validated campaign: each member an ordinary study named after it, in file order."""

    path: str
    name: str
    description: str
    members: dict[str, Study]

    def member(self, name: str) -> Study:
        """A member's study; BadInput naming the members when there is none of that name."""
        if name not in self.members:
            known = ", ".join(self.members)
            raise BadInput(f"{self.path}: --member {name!r}: no such member (members: {known})")
        return self.members[name]

    def folder(self, results_root: str | Path = RESULTS_ROOT) -> CampaignFolder:
        """results/<campaign>/: a study folder per member and the transfer table."""
        return CampaignFolder.of(self.name, results_root)


@cache
def load_campaign_schema() -> dict[str, Any]:
    with open(CAMPAIGN_SCHEMA, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def is_campaign_file(path: str | Path) -> bool:
    """Whether a STUDY argument's file is a campaign file: a mapping with a `campaign` key
    (a study file has `name`). StudyError when it is no YAML a study file could be."""
    raw = read_study_file(path)
    return isinstance(raw, dict) and "campaign" in raw


def load_campaign(path: str | Path, check_data: bool = True) -> CampaignSpec:
    """Read and validate a campaign file and every member's study; StudyError naming the
    file, the member and the key. `check_data=False`: the members' dataset files are not
    looked at (a campaign's results are read again where its data is not)."""
    return campaign_from_dict(read_study_file(path, "campaign"), str(path), check_data)


def campaign_from_dict(raw: Any, source: str, check_data: bool = True) -> CampaignSpec:
    """Validate an already-parsed campaign and resolve its members' studies."""
    if not isinstance(raw, dict):
        raise StudyError(source, [("campaign", "must be a mapping of keys to values")])
    problems = campaign_schema_problems(raw)
    if problems:
        raise StudyError(source, problems)
    shared = shared_study(raw["study"], source)
    problems = _name_problems(raw["members"])
    members, failures = {}, []
    for index, member in enumerate(raw["members"]):
        try:
            members[member["name"]] = study_from_dict(
                member_study(raw, shared, member), source, check_data
            )
        except StudyError as error:
            failures.append((index, member, error.problems))
    problems += member_problems(failures, len(raw["members"]))
    if not problems:
        problems = _same_members(members)
    if problems:
        raise StudyError(source, problems)
    return CampaignSpec(source, raw["campaign"], raw.get("description", ""), members)


def campaign_schema_problems(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """The campaign schema's problems; a member that sets a key of the shared question is
    told where it belongs."""
    problems = []
    for key, message in schema_problems(raw, load_campaign_schema()):
        shared = re.fullmatch(r"members\[\d+\]\.(\w+)", key)
        if message == "unknown key" and shared and shared.group(1) in SHARED_KEYS:
            message = SHARED
        problems.append((key, message))
    return problems


def merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`base` with `overrides`' keys: the MERGED_KEYS mappings merged one level deep (a
    member's `train: {steps: 300}` changes only steps), every other key replaced whole."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if key in MERGED_KEYS and isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = out[key] | copy.deepcopy(value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def shared_study(value: Any, source: str) -> dict[str, Any]:
    """The shared study's keys: a built-in study or a study file (by name or path), or a
    mapping of study keys over its `from` study. StudyError keyed `study` or `study.from`."""
    keys = {} if isinstance(value, str) else dict(value)
    start, key = (
        (value, "study") if isinstance(value, str) else (keys.pop("from", None), "study.from")
    )
    if "name" in keys:
        message = "each member's study is named after the member: leave name out"
        raise StudyError(source, [("study.name", message)])
    base: Any = {}
    if start is not None:
        try:
            base = read_study_file(resolve_study(start, what=key, campaigns=False))
        except BadInput as error:
            raise StudyError(source, [(key, str(error))]) from None
        if not isinstance(base, dict) or "campaign" in base:
            raise StudyError(source, [(key, f"{start}: not a study file")])
        base.pop("name", None)
    return merged(base, keys)


def member_study(raw: dict[str, Any], shared: dict[str, Any], member: dict[str, Any]) -> dict:
    """A member's study as a study file would hold it: the shared study with the member's
    keys, named after the member, described by the campaign's description."""
    overrides = {key: value for key, value in member.items() if key != "name"}
    study = merged(shared, overrides) | {"name": member["name"]}
    about = raw.get("description", "")
    study["description"] = f"Campaign {raw['campaign']}, member {member['name']}" + (
        f": {about}" if about else ""
    )
    return study


def _top(key: str) -> str:
    return re.split(r"[.\[]", key, maxsplit=1)[0]


def member_problems(failures: list, count: int) -> list[tuple[str, str]]:
    """Each failed member's study problems, keyed where the key was set: `members[i].KEY`
    for a key the member sets, `study.KEY` for one of the shared study (once, naming the
    members it fails for)."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for index, member, problems in failures:
        for key, message in problems:
            where = f"members[{index}].{key}" if _top(key) in member else f"study.{key}"
            grouped.setdefault((where, message), []).append(member["name"])
    out = []
    for (where, message), names in grouped.items():
        if where.startswith("members["):
            out.append((where, f"{message} (member {names[0]})"))
            continue
        which = "every member" if len(names) == count > 1 else f"member {', '.join(names)}"
        out.append((where, f"{message} ({which})"))
    return out


def _name_problems(members: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Member names: each once, none a name of the campaign folder's own files."""
    problems, seen = [], {}
    reserved = CampaignFolder(Path()).entries
    for index, member in enumerate(members):
        name = member["name"]
        if name in seen:
            problems.append((f"members[{index}].name", f"{name!r} names members[{seen[name]}] too"))
        elif name in reserved:
            taken = f"{name!r} is taken by the campaign's own files ({', '.join(reserved)})"
            problems.append((f"members[{index}].name", taken))
        seen.setdefault(name, index)
    return problems


def _same_members(members: dict[str, Study]) -> list[tuple[str, str]]:
    """Two members whose studies would run the same runs: a campaign compares datasets (or
    other settings), so members must differ."""
    problems, seen = [], {}
    for index, (name, study) in enumerate(members.items()):
        settings = repr(sorted(run_settings(study).items()))
        if settings in seen:
            first, at = seen[settings]
            message = (
                f"member {name} runs the same study as members[{at}] ({first}); members must "
                "differ in dataset or another setting"
            )
            problems.append((f"members[{index}]", message))
        seen.setdefault(settings, (name, index))
    return problems


def campaign_plans(
    campaign: CampaignSpec, results_root: str | Path = RESULTS_ROOT, max_runs: int | None = None
) -> dict[str, Plan]:
    """Each member's plan, its folder results/<campaign>/<member>/; with `max_runs`, a
    campaign of more runs in all is refused (StudyError naming members) before any cell is
    built."""
    total = sum(count_cells(study) * len(study.seeds) for study in campaign.members.values())
    if max_runs is not None and total > max_runs:
        message = (
            f"the campaign is {len(campaign.members)} members, {total:,} runs in all, over the "
            f"limit of {max_runs:,} runs; use fewer members, levels or seeds, or raise the "
            f"limit with `gan-bench run CAMPAIGN --max-runs {total}`"
        )
        raise StudyError(campaign.path, [("members", message)])
    root = campaign.folder(results_root).root
    return {name: plan_study(study, root) for name, study in campaign.members.items()}


def study_argument(path: str, member: str | None, check_data: bool = True) -> tuple[Study, Path]:
    """The study a STUDY argument names (with `--member NAME`, a campaign's member) and the
    folder its results folder lies in: results/, or results/<campaign>/ for a member."""
    campaign = is_campaign_file(path)
    if member is None and not campaign:
        return load_study(path, check_data), RESULTS_ROOT
    if member is None:
        spec = load_campaign(path, check_data=False)
        raise BadInput(
            f"{path}: a campaign: name a member with --member ({', '.join(spec.members)})"
        )
    if not campaign:
        raise BadInput(f"{path}: --member {member}: only for a campaign file, and this is a study")
    spec = load_campaign(path, check_data)
    return spec.member(member), spec.folder().root


def resolved_campaign(campaign: CampaignSpec) -> dict[str, Any]:
    """The campaign as a campaign file that load_campaign reads back to the same members:
    the shared question under `study:`, each member's dataset, model, train, eval and
    baseline complete (study/record.py resolved_study)."""
    studies = {name: resolved_study(study) for name, study in campaign.members.items()}
    first = next(iter(studies.values()))
    members = [
        {"name": name} | {key: study[key] for key in ("dataset", *MERGED_KEYS)}
        for name, study in studies.items()
    ]
    shared = {key: first[key] for key in SHARED_KEYS if key in first}
    about = {"description": campaign.description} if campaign.description else {}
    return {"campaign": campaign.name, **about, "study": shared, "members": members}


def write_campaign_record(campaign: CampaignSpec, folder: CampaignFolder) -> None:
    """campaign.yaml in the campaign's folder: the resolved campaign, with where it came from."""
    text = CAMPAIGN_HEADER.format(source=shown_path(campaign.path)) + yaml.safe_dump(
        resolved_campaign(campaign), sort_keys=False, allow_unicode=True
    )
    atomic_write(folder.campaign, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def campaign_rows() -> list[dict[str, str]]:
    """One row per built-in campaign: name, members, runs, description (or what keeps it
    from running here, e.g. a dataset's files not fetched)."""
    rows = []
    for name, path in builtin_campaigns().items():
        try:
            spec = load_campaign(path)
        except BadInput as error:
            raw = read_study_file(path)
            members = ", ".join(str(m.get("name")) for m in raw.get("members", []))
            lines = str(error).splitlines()
            more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
            reason = lines[0].removeprefix(f"{path}: ") + more
            runs, about = "?", f"{raw.get('description', '')} [not runnable here: {reason}]"
        else:
            members = ", ".join(spec.members)
            runs = str(sum(len(p.runs) for p in campaign_plans(spec).values()))
            about = spec.description
        rows.append({"campaign": name, "members": members, "runs": runs, "description": about})
    return rows
