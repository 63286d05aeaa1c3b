"""Hardening: bad input found by testers is refused through the real CLI, exit 2, naming the
key or the file, before anything is written or trained."""

from __future__ import annotations

import gzip
import struct
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import tiny_study

from gan_bench.cli import main

# ---- study validation (issue 19)
#
# Each case builds a study file in tmp_path and names what the error must mention: a key, or
# a file whose name is checked in full. `gan-bench cells` loads and plans the study as
# `gan-bench run` and the Snakefile do (gan_bench/analysis/preflight.py checked_plan).

Case = Callable[[Path], tuple[Path, str]]


def _dump(tmp_path: Path, study: dict, name: str = "study.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
    return path


def _section(section: str, **keys) -> Callable[[Path], tuple[Path, str]]:
    def build(tmp_path: Path) -> tuple[Path, str]:
        study = tiny_study()
        study[section] = study.get(section, {}) | keys
        key = f"{section}.{next(iter(keys))}"
        return _dump(tmp_path, study), key

    return build


def _study(key: str, **overrides) -> Case:
    return lambda tmp_path: (_dump(tmp_path, tiny_study(**overrides)), key)


def _text(key: str, text: str | bytes) -> Case:
    def build(tmp_path: Path) -> tuple[Path, str]:
        path = tmp_path / "study.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return path, key

    return build


def _idx(dims: list[int], data: int, compress: bool = False) -> bytes:
    raw = struct.pack(">BBBB", 0, 0, 8, len(dims)) + b"".join(struct.pack(">I", d) for d in dims)
    raw += bytes(data)
    return gzip.compress(raw) if compress else raw


def _idx_study(dims: list[int], data: int, compress: bool = False, labels=False) -> Case:
    def build(tmp_path: Path) -> tuple[Path, str]:
        images = tmp_path / ("images.gz" if compress else "images")
        images.write_bytes(_idx(dims, data, compress))
        dataset = {"name": "idx", "image_size": 16, "images": str(images)}
        if labels:
            (tmp_path / "labels").write_bytes(_idx([dims[0]], dims[0]))
            dataset["labels"] = str(tmp_path / "labels")
        return _dump(tmp_path, tiny_study(dataset=dataset)), str(images)

    return build


def _folder(tmp_path: Path, count: int = 50, broken: bool = False) -> Path:
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    for index in range(count):
        Image.new("RGB", (8, 8), (index, 0, 0)).save(folder / f"{index:02d}.png")
    if broken:
        (folder / "07.png").write_bytes((folder / "06.png").read_bytes()[:40])
    return folder


def _folder_study(broken: bool) -> Case:
    def build(tmp_path: Path) -> tuple[Path, str]:
        folder = _folder(tmp_path, broken=broken)
        study = tiny_study(dataset={"name": "folder", "image_size": 16, "path": str(folder)})
        return _dump(tmp_path, study), str(folder / "07.png") if broken else "eval.extractor"

    return build


def _bomb() -> str:
    lines = ["l0: &l0 [" + ", ".join(["lol"] * 10) + "]"]
    lines += [f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]" for n in range(1, 9)]
    return (
        yaml.safe_dump(tiny_study(), sort_keys=False)
        + "bomb:\n"
        + "\n".join(f"  {line}" for line in lines)
    )


STUDY_CASES: dict[str, Case] = {
    # 1. integers are ints
    "batch_size 32.0": _section("train", batch_size=32.0),
    "seeds [1.0]": _study("seeds[0]", seeds=[1.0]),
    "g_steps level 2.0": _study("factors.g_steps[1]", factors={"g_steps": [1, 2.0]}),
    "kernel_size level 3.0": _study("factors.kernel_size[1]", factors={"kernel_size": [4, 3.0]}),
    # 2. upper bounds where a value hangs, overflows or exhausts memory
    "lr 1e300": _section("train", lr=1e300),
    "factor level 1e16": _study("factors.label_noise[1]", factors={"label_noise": [0.0, 1e16]}),
    "base_channels 1e7": _section("model", base_channels=10_000_000),
    "latent_dim 1e6": _section("model", latent_dim=1_000_000),
    "num_samples 1e12": _section("eval", num_samples=10**12),
    "g_steps 1e9": _study("factors.g_steps[1]", factors={"g_steps": [1, 10**9]}),
    "steps 1e12": _section("train", steps=10**12),
    "batch_size 1e6": _section("train", batch_size=10**6),
    "log_every 1e12": _section("train", log_every=10**12),
    # 3. scoring's minimum is the schema's
    "num_samples 2": _section("eval", num_samples=2),
    # 4. duplicate keys, at any depth
    "name twice": _text("name: duplicate key", yaml.safe_dump(tiny_study()) + "name: again\n"),
    "factor twice": _text(
        "factors.g_output: duplicate key",
        "name: t\ndataset: {name: digits}\nseeds: [0]\nfactors:\n"
        "  g_output: [tanh, sigmoid]\n  g_output: [tanh]\n",
    ),
    # 5. alias expansion is bounded
    "billion laughs": _text("over 100,000 nodes", _bomb()),
    "recursive alias": _text("refers to a node that contains it", "name: &a [*a]\n"),
    # 6. the file itself
    "not UTF-8": _text("study.yaml: study: not UTF-8", b"name: caf\xe9\nseeds: [0]\n"),
    "over 1 MiB": _text("study.yaml: study: over", "#" + "x" * (1 << 20) + "\n"),
    # 7. names
    "name with a newline": _study("name", name="evil\n"),
    "name of 300 characters": _study("name", name="n" * 300),
    # 8. analysis keys, checked against the registry and the study's columns
    "analysis.primary bogus": _study("analysis.primary", analysis={"primary": "bogus_metric"}),
    "analysis.sesoi bogus": _study("analysis.sesoi.bogus", analysis={"sesoi": {"bogus": 0.1}}),
    # 9. extractor and data
    "folder under domain": _folder_study(broken=False),
    "undecodable image": _folder_study(broken=True),
    "idx without labels under domain": lambda tmp_path: (
        _idx_study([60, 8, 8], 60 * 64)(tmp_path)[0],
        "eval.extractor",
    ),
    # 10. IDX data checked against its header
    "truncated IDX": _idx_study([60, 8, 8], 60 * 64 - 100, labels=True),
    "truncated gzip IDX": _idx_study([60, 8, 8], 60 * 64 - 100, compress=True, labels=True),
    "IDX claiming 2^31 images": _idx_study([2**31, 8, 8], 64),
    # 11. a held-out split too small to score
    "heldout_fraction 1e-9": _section("dataset", heldout_fraction=1e-9),
    # 12. a cell id longer than a folder name
    "cell id over 255 bytes": _study(
        "cells: cell id",
        design="cells",
        factors={},
        cells=[
            {name: 0.1111111111111111 for name in ("d_dropout", "label_noise", "soft_labels")}
            | {"label_flip": 0.1111111111111111, "instance_noise": 0.1111111111111111}
            | {"label_smoothing": 0.9111111111111111, "g_output": "sigmoid", "latent": "uniform"}
            | {"d_downsample": "maxpool", "g_upsample": "resize", "batch_mode": "mixed"}
        ],
    ),
}


def _written(tmp_path: Path) -> set[str]:
    return {str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*")}


@pytest.mark.parametrize("case", list(STUDY_CASES))
def test_bad_study_exits_2_naming_key_or_file_before_any_work(case, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path, named = STUDY_CASES[case](tmp_path)
    before = _written(tmp_path)
    started = time.perf_counter()
    assert main(["cells", str(path)]) == 2
    assert time.perf_counter() - started < 2.0  # refused, not hung (the bomb would hang)
    err = capsys.readouterr().err
    assert named in err, err
    assert err.startswith("gan-bench: error: ") and "Traceback" not in err
    assert _written(tmp_path) == before  # no results/ folder, nothing else


@pytest.mark.parametrize("case", ["analysis.primary bogus", "folder under domain", "num_samples 2"])
def test_run_refuses_before_snakemake_starts(case, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path, named = STUDY_CASES[case](tmp_path)
    assert main(["run", str(path), "-n"]) == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / ".snakemake").exists() and not (tmp_path / "results").exists()
