"""`gan-bench init`: a commented starter study for the user's own data.

The text is gan_bench/study/starter.yaml (package data) with its placeholders filled in;
the data paths get the same checks as a study's (gan_bench/study/dataspec.py), and the
filled-in text is validated as a study before it is written, so the file always loads.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from string import Template

import yaml

from gan_bench.errors import BadInput
from gan_bench.study import dataspec
from gan_bench.study.study_file import load_schema, min_samples, study_from_dict

TEMPLATE = Path(__file__).resolve().parent / "starter.yaml"
BATCH_SIZE = 64  # the template's train.batch_size: the data must hold at least one batch
NAME_SCHEMA = load_schema()["properties"]["name"]  # its pattern and maxLength
NAME_PATTERN = re.compile(NAME_SCHEMA["pattern"])
AUTO_NOTE = (
    "  # auto = a small classifier trained once on the labelled data (offline); inception =\n"
    "  # torch-fidelity's Inception network (downloads its weights once)"
)
FOLDER_NOTE = (
    "  # inception: a flat folder has no labels for the domain classifier (one sub-folder per\n"
    "  # class would give them), so the samples are scored with torch-fidelity's Inception\n"
    "  # network, whose weights are downloaded once (offline: set\n"
    "  # GAN_BENCH_INCEPTION_WEIGHTS=/path/to/weights.pth)"
)
CLASSES_NOTE = (
    "  # domain = a small classifier trained once on the folder's classes (offline; scoring\n"
    "  # refuses it below 0.85 held-out accuracy); auto adds Inception where its weights are\n"
    "  # on disk; inception = torch-fidelity's Inception network alone (downloads its weights)"
)
# Which `gan-bench init` option gave each dataset key, to name it in an error.
OPTION_OF_KEY = {"dataset.path": "--images", "dataset.images": "--idx IMAGES"}
OPTION_OF_KEY |= {"dataset.labels": "--idx LABELS"}


class InitError(BadInput):
    """`gan-bench init` cannot write its starter study; the message names the option or file."""


def _quoted(text: str) -> str:
    """A YAML scalar for a path or name: bare where YAML reads it back unchanged, else a
    double-quoted string (JSON strings are valid YAML)."""
    try:
        plain = yaml.safe_load(text) == text and "#" not in text
    except yaml.YAMLError:
        plain = False
    return text if plain else json.dumps(text)


def _shown(classes: tuple[str, ...]) -> str:
    return ", ".join(classes[:5]) + (f" and {len(classes) - 5} more" if len(classes) > 5 else "")


def _folder_block(images: str) -> tuple[str, str, str, str]:
    """A folder's dataset lines: labelled by its class sub-folders (torchvision's ImageFolder
    layout) and scored with the domain extractor, else unlabelled and scored with Inception."""
    classes = dataspec.folder_layout(Path(images)).classes
    if classes:
        head = (
            "  # folder in torchvision's ImageFolder layout: one sub-folder per class, its\n"
            "  # name the label; the labels train the classifier that scores the runs. Classes:\n"
            f"  # {_shown(classes)}\n"
        )
    else:
        head = (
            "  # folder: every image (.png, .jpg, ...) in path; no class sub-folders, no labels\n"
        )
    lines = (
        f"{head}"
        "  name: folder\n"
        f"  path: {_quoted(images)}\n"
        "  # 3 = colour (RGB), 1 = greyscale\n"
        "  channels: 3"
    )
    subject = f"the images in {images}"
    return (
        (lines, subject, "domain", CLASSES_NOTE)
        if classes
        else (lines, subject, "inception", FOLDER_NOTE)
    )


def dataset_block(images: str | None, idx: tuple[str, str] | None) -> tuple[str, str, str, str]:
    """(dataset lines, subject, extractor, its note) for --images, --idx or neither (digits)."""
    if images is not None:
        return _folder_block(images)
    if idx is not None:
        lines = (
            "  # idx: an IDX image file (N x H x W uint8) and its label file (N uint8), gzip or\n"
            "  # raw, as MNIST ships them; the labels train the classifier that scores the runs\n"
            "  name: idx\n"
            f"  images: {_quoted(idx[0])}\n"
            f"  labels: {_quoted(idx[1])}"
        )
        return lines, f"the images of {idx[0]}", "auto", AUTO_NOTE
    lines = (
        "  # digits: scikit-learn's 1,797 handwritten 8x8 digits (bundled, no download). For\n"
        "  # your own data: `gan-bench init FILE --images DIR` or `--idx IMAGES LABELS`, or set\n"
        "  # name: folder + path: DIR, or name: idx + images: FILE + labels: FILE\n"
        "  name: digits"
    )
    return lines, "scikit-learn's handwritten digits", "auto", AUTO_NOTE


def check_data(images: str | None, idx: tuple[str, str] | None) -> None:
    """The dataset checks a study gets (files exist, IDX headers, enough images for one
    batch), reported against the init option that named the file."""
    spec: dict[str, str] = {"name": "digits"}
    if images is not None:
        spec = {"name": "folder", "path": images}
    elif idx is not None:
        spec = {"name": "idx", "images": idx[0], "labels": idx[1]}
    problems = dataspec.spec_problems(spec, BATCH_SIZE, min_heldout=min_samples())
    data_option = "--images" if images is not None else "--idx IMAGES"
    lines = []
    for key, message in problems:
        if key == "train.batch_size":  # the data holds less than one of the starter's batches
            message = f"too few images for the starter's train.batch_size: {message}"
        lines.append(f"{OPTION_OF_KEY.get(key, data_option)}: {message}")
    if lines:
        raise InitError("\n".join(lines))


def study_name(file: str, name: str | None) -> str:
    """--name, else the file's stem made into a valid study name ('my study.yaml' -> 'my-study')."""
    if name is not None:
        if not NAME_PATTERN.match(name) or len(name) > NAME_SCHEMA["maxLength"]:
            raise InitError(
                f"--name {name!r}: a study name is letters, digits, '_', '.' and '-', "
                f"starting with a letter or digit, at most {NAME_SCHEMA['maxLength']} long"
            )
        return name
    derived = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(file).stem).lstrip("_.-")
    return derived[: NAME_SCHEMA["maxLength"]] or "my-study"


def starter_text(file: str, name: str, images: str | None, idx: tuple[str, str] | None) -> str:
    """The filled-in starter study for FILE (not yet checked or written)."""
    dataset, subject, extractor, note = dataset_block(images, idx)
    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        file=shlex.quote(file),
        name=_quoted(name),
        subject=subject,
        description=_quoted(f"Two folk tricks at a short budget on {subject}; a first look."),
        dataset=dataset,
        extractor=extractor,
        extractor_note=note,
    )


def write_starter(
    file: str,
    images: str | None = None,
    idx: tuple[str, str] | None = None,
    name: str | None = None,
) -> str:
    """Check the data, fill in the template, validate it as a study and write FILE, which
    must not exist yet (an edited study is never overwritten). Returns the study's name."""
    target = Path(file)
    if target.exists():
        raise InitError(f"{file}: already exists; gan-bench init never overwrites a file")
    if not target.parent.is_dir():
        raise InitError(f"{file}: folder {target.parent} does not exist")
    check_data(images, idx)
    name = study_name(file, name)
    text = starter_text(file, name, images, idx)
    study_from_dict(yaml.safe_load(text), file)  # the template and its fillings agree
    try:
        with open(target, "x", encoding="utf-8") as handle:  # "x": never replaces a file
            handle.write(text)
    except FileExistsError:
        raise InitError(f"{file}: already exists; gan-bench init never overwrites a file") from None
    return name


def init_study(file: str, images: str | None, idx: tuple[str, str] | None, name: str | None) -> str:
    """`gan-bench init`: write the starter (write_starter) and say what was written: its
    name, how to check and run it, and for a folder how its images will be scored."""
    name = write_starter(file, images, idx, name)
    quoted = shlex.quote(file)
    lines = [
        f"{file}: study {name!r} written; check it with `gan-bench cells {quoted}`,",
        f"run it with `gan-bench run {quoted}` (results in results/{name}/)",
    ]
    if images is not None:
        classes = dataspec.folder_layout(Path(images)).classes
        lines.append(
            f"{images}: {len(classes)} class sub-folders ({_shown(classes)}), torchvision's "
            "ImageFolder layout: labelled, scored with the domain extractor (a classifier "
            "trained on them)"
            if classes
            else f"{images}: no class sub-folders, so no labels: scored with Inception "
            "(its weights are downloaded once; offline: GAN_BENCH_INCEPTION_WEIGHTS)"
        )
    return "\n".join(lines)
