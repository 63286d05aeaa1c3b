"""`gan-bench run`: a whole study through Snakemake, on the Snakefile shipped in the package.

The study goes to Snakemake as a config file; everything Snakemake needs to decide (runs,
folders, priorities) comes from gan_bench.study.plan, so this module only starts it, keeps
one `gan-bench run` per folder, and clears a stale lock that a killed run left behind.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gan_bench.errors import BadInput


def _workdir(snakemake_args: list[str]) -> Path:
    """The folder Snakemake will work in: its --directory/-d argument, else here."""
    for flag in ("--directory", "-d"):
        if flag in snakemake_args[:-1]:
            return Path(snakemake_args[snakemake_args.index(flag) + 1])
    return Path.cwd()


def _may_hold_stale_lock(workdir: Path, snakemake_args: list[str]) -> bool:
    """Whether `snakemake --unlock` is needed first. Snakemake's default (file) backend keeps
    its locks as files in .snakemake/locks; an unlock costs a whole Snakemake start (~2 s),
    so it runs only when such files exist, or when a database backend may hold the locks."""
    dot = workdir / ".snakemake"
    locks = dot / "locks"
    if locks.is_dir() and any(locks.iterdir()):
        return True
    return (dot / "metadata.db").exists() or any(
        arg.startswith("--persistence-backend") for arg in snakemake_args
    )


def run_study(study: str, snakemake_args: list[str]) -> int:
    """Snakemake over the study. A study killed earlier (even by SIGKILL) just resumes: we
    hold an OS lock for the whole run, so a Snakemake lock found while we hold ours can
    only be stale, and is cleared with `--unlock` before starting."""
    import os
    import subprocess

    from filelock import FileLock, Timeout

    from gan_bench.files import write_json
    from gan_bench.resources import SNAKEFILE as snakefile
    from gan_bench.study.plan import plan

    study_plan = plan(study)  # a bad study fails here, before Snakemake starts
    workdir = _workdir(snakemake_args)
    (workdir / ".snakemake").mkdir(parents=True, exist_ok=True)
    # the study goes in a config file, not --config: a user's --config (or a profile's
    # config:) would replace a --config study=... instead of adding to it
    study_config = workdir / ".snakemake" / "gan-bench-study.yaml"
    write_json(study_config, {"study": str(Path(study).resolve())})  # JSON is YAML
    base = [sys.executable, "-m", "snakemake", "--snakefile", str(snakefile),
            "--configfile", str(study_config)]  # fmt: skip
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    try:
        with FileLock(workdir / ".snakemake" / "gan-bench-run.lock", timeout=0):
            if _may_hold_stale_lock(workdir, snakemake_args):
                directory = ["--directory", str(workdir)]
                subprocess.run([*base, *directory, "--unlock"], env=env, capture_output=True)
            code = subprocess.run([*base, "--cores", "all", *snakemake_args], env=env).returncode
    except Timeout:
        raise BadInput(f"another `gan-bench run` is working in {workdir}") from None
    if code == 0:
        results = (workdir / study_plan.results_dir).resolve()
        print(f"gan-bench: results in {results}/ (open {results / 'report.html'})")
    return code
