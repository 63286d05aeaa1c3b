"""The wheel, used as a new user would: built from the repo (not an editable install),
installed into a fresh venv, then `gan-bench studies`, `gan-bench init` and the smoke study
by name, end to end, in an empty folder.

By default the fresh venv borrows the dependencies (torch, Snakemake, ...) from the
environment running the tests, through a .pth file that lists its site-packages: a plain
path line in a .pth does not run that folder's own .pth files, so the repo's editable
install stays invisible, and only the wheel provides gan_bench. An independent install
costs minutes (the pinned torch is 5.5 GB): GAN_BENCH_WHEEL_FULL_INSTALL=1 does it, with
`pip install WHEEL -c constraints.txt` (`make test-wheel`, which CI runs).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow

FULL_INSTALL = os.environ.get("GAN_BENCH_WHEEL_FULL_INSTALL") == "1"
SOURCES = ("pyproject.toml", "README.md", "gan_bench")  # what the build reads


def _run(command: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """A command as a user's shell would run it: no PYTHONPATH pointing into the repo."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _package_files(root: Path) -> set[str]:
    return {
        path.relative_to(root).as_posix()
        for path in (root / "gan_bench").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the repo's sources (so no build/ or egg-info is left
    in the checkout, and no stale build/ of an earlier build can leak into the wheel)."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(
                REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(REPO / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist)]
    try:
        setuptools = int(metadata.version("setuptools").split(".")[0])
    except metadata.PackageNotFoundError:
        setuptools = 0
    if setuptools >= 77:  # pyproject's build-system: build offline with the tests' setuptools
        command.append("--no-build-isolation")  # (else pip fetches a build environment)
    _run([*command, str(source)], cwd=dist)  # an absolute path: pip reads `src` as a name
    (built,) = dist.glob("gan_bench-*.whl")
    return built


def _install_with_dependencies(python: Path, wheel: Path) -> None:
    """`pip install WHEEL -c constraints.txt` in the fresh venv: every dependency its own,
    the pinned torch from this machine's disk (measured: 2.5-3.5 min, 6 GB)."""
    constraints = REPO / "constraints.txt"
    _run([str(python), "-m", "pip", "install", "-q", str(wheel), "-c", str(constraints)],
         cwd=python.parent, timeout=3600)  # fmt: skip
    _run([str(python), "-m", "pip", "check"], cwd=python.parent)


def _install_borrowing_dependencies(python: Path, wheel: Path) -> None:
    """The wheel alone (--no-deps), then a .pth listing the test environment's
    site-packages: its dependencies become importable, its .pth files (the repo's editable
    install) do not run."""
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
          str(wheel)], cwd=python.parent)  # fmt: skip
    where = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site_packages = _run([str(python), "-c", where], cwd=python.parent).stdout.strip()
    borrowed = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    fallback = "\n".join(borrowed) + "\n"
    (Path(site_packages) / "_gan_bench_test_dependencies.pth").write_text(fallback)


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory):
    """A fresh venv holding the wheel, removed afterwards (a full one weighs 6 GB)."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    python = root / "bin" / "python"
    if FULL_INSTALL:
        _run([sys.executable, "-m", "venv", str(root)], cwd=root.parent)
        _install_with_dependencies(python, wheel)
    else:
        _run([sys.executable, "-m", "venv", "--without-pip", str(root)], cwd=root.parent)
        _install_borrowing_dependencies(python, wheel)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def empty(tmp_path_factory) -> Path:
    """The user's folder: empty, outside the repo."""
    return tmp_path_factory.mktemp("user-folder")


def test_wheel_holds_every_file_of_the_package(wheel):
    """Every module and data file (Snakefile, profiles, schema, studies, starter) ships."""
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    missing = _package_files(REPO) - shipped
    assert not missing, f"not in the wheel: {sorted(missing)}"
    for needed in ("gan_bench/workflow/Snakefile", "gan_bench/study/schema.yaml",
                   "gan_bench/study/starter.yaml", "gan_bench/studies/smoke.yaml",
                   "gan_bench/study/campaign_schema.yaml",
                   "gan_bench/studies/campaigns/transfer.yaml",
                   "gan_bench/workflow/profiles/default/config.yaml"):  # fmt: skip
        assert needed in shipped


def test_gan_bench_comes_from_the_wheel_not_the_repo(venv, empty):
    probe = (
        "import json, sys, gan_bench; "
        "print(json.dumps({'file': gan_bench.__file__, "
        "'finders': [repr(f) for f in sys.meta_path]}))"
    )
    found = json.loads(_run([str(venv / "bin" / "python"), "-c", probe], cwd=empty).stdout)
    assert Path(found["file"]).resolve().is_relative_to(venv.resolve()), found["file"]
    assert not any("editable" in finder.lower() for finder in found["finders"]), found


def test_studies_and_init_work_in_an_empty_folder(venv, empty):
    gan_bench = str(venv / "bin" / "gan-bench")
    listing = _run([gan_bench, "studies"], cwd=empty).stdout
    for name in ("smoke", "quick", "default"):
        assert any(line.split()[:1] == [name] for line in listing.splitlines()), listing
    _run([gan_bench, "init", "my.yaml"], cwd=empty)
    cells = _run([gan_bench, "cells", "my.yaml"], cwd=empty).stdout
    assert "(4 cells)" in cells
    (empty / "my.yaml").unlink()  # leave the folder empty for the run


def test_smoke_study_by_name_runs_end_to_end(venv, empty):
    """The whole pipeline from the wheel's Snakefile; results under ./results/smoke/."""
    _run([str(venv / "bin" / "gan-bench"), "run", "smoke", "--cores", "2"], cwd=empty)
    results = empty / "results" / "smoke"
    assert (results / "report.html").is_file()
    assert (results / "summary.csv").is_file()
    runs = sorted(results.glob("runs/*/seed-*/run.json"))
    assert len(runs) == 4  # 2 cells x 2 seeds
    from gan_bench.provenance import git_commit  # the repo's package, as the tests import it

    repo_commit = git_commit()
    if repo_commit != "unknown":  # the train jobs ran the installed package, outside the checkout
        assert json.loads(runs[0].read_text())["git_commit"] != repo_commit
    assert {p.name for p in empty.iterdir()} <= {"results", ".snakemake"}
