"""The SLURM profile, really run: a one-node SLURM cluster on this machine (munged, slurmctld
and slurmd started here, stopped by their pids), the smoke study through
`gan-bench run ... --workflow-profile profiles/slurm`, its controller SIGKILLed mid-study and
the same command run again. Every train job (and score job, if the Snakefile has
them) must have been a SLURM job, and the
results must equal a local run's.

Needs root, Slurm and munge (.ci/slurm/install.sh) and the `slurm` extra; skipped with the
reason otherwise, and failed instead where CI=true (CI must really run it).
    .venv/bin/python -m pytest -m cluster tests/test_cluster.py
"""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch
import yaml
from conftest import ABLATIONS, REPO, sigkill_group_when

from gan_bench.resources import SNAKEFILE
from gan_bench.study.plan import plan

pytestmark = pytest.mark.cluster

PROFILE = REPO / "profiles" / "slurm"
STUDY = ABLATIONS / "smoke.yaml"
# Test-only settings on top of the profile: this cluster has no accounting database (so no
# sacct), and the plugin's first status check would otherwise wait 40 s after each submission.
POLL_FAST = ("--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks",
             "1", "--seconds-between-status-checks", "1")  # fmt: skip
TIMING = re.compile(r"seconds|per_second|time")  # summary.csv columns a rerun may change
TRAIN_FINISHED = re.compile(r"Finished jobid: \d+ \(Rule: train\)")
FINISHED = re.compile(r"Finished jobid: \d+ \(Rule: \w+\)")
SUBMITTED = re.compile(r"submitted with SLURM jobid (\d+) \(log: (\S+)\)\.")


def _load_cluster_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("slurm_cluster", REPO / ".ci/slurm/cluster.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


slurm = _load_cluster_module()


def unavailable(reason: str) -> None:
    """Skip, or fail under CI, where the cluster test must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def why_no_cluster() -> str | None:
    """Why a SLURM cluster cannot be started here, or None."""
    if missing := slurm.missing_tools():
        return f"Slurm/munge not installed (no {', '.join(missing)}); run .ci/slurm/install.sh"
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return "snakemake-executor-plugin-slurm not installed (pip install 'gan-bench[slurm]')"
    if os.geteuid() != 0:
        return "the one-node test cluster runs its daemons as root; not root"
    return None


def profile_partitions() -> list[str]:
    """Every slurm_partition the profile names, its default first: the test cluster offers
    exactly these, so the profile runs unchanged even after a site renamed them."""
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    names = [profile.get("default-resources", {}).get("slurm_partition", "cpu")]
    names += [r["slurm_partition"] for r in profile.get("set-resources", {}).values()
              if "slurm_partition" in r]  # fmt: skip
    return [str(name) for name in names]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A one-node SLURM cluster for this module; its jobs cancelled and its daemons stopped
    (by the pids started here) at the end, whatever the tests did."""
    if reason := why_no_cluster():
        unavailable(reason)
    root = Path(tempfile.mkdtemp(prefix="gan-bench-slurm-", dir="/tmp"))  # munged: not 0700
    instance = slurm.Cluster(root, profile_partitions())
    try:
        instance.start()
    except slurm.ClusterError as error:
        shutil.rmtree(root, ignore_errors=True)
        unavailable(f"SLURM could not be started: {error}")
    pids = [process.pid for process in instance.processes.values()]
    try:
        yield instance
    finally:
        try:
            instance.cancel_all()
        finally:
            instance.stop()
            for pid in pids:
                assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"pid {pid} left"
            shutil.rmtree(root, ignore_errors=True)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True


def gan_bench_run(workdir: Path, *args: str) -> list[str]:
    """The README's command line, run in `workdir`."""
    return [sys.executable, "-m", "gan_bench", "run", str(STUDY), "--directory", str(workdir),
            *args]  # fmt: skip


def run_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return os.environ | {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"} | (extra or {})


def run_folders(workdir: Path) -> list[Path]:
    return sorted((workdir / "results" / "smoke").glob("runs/*/seed-*"))


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> Path:
    """The smoke study run locally (the default profile): the reference results."""
    workdir = tmp_path_factory.mktemp("local")
    result = subprocess.run(gan_bench_run(workdir), cwd=workdir, env=run_env(),
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir


@dataclass
class ClusterStudy:
    """The smoke study on SLURM: a first controller killed mid-study, then the same command."""

    workdir: Path
    completed_at_kill: dict[Path, tuple[dict[str, torch.Tensor], str]]
    cancelled: list[str]
    outputs: list[str] = field(default_factory=list)

    @property
    def results(self) -> Path:
        return self.workdir / "results" / "smoke"

    def submissions(self) -> dict[str, Path]:
        """SLURM job id -> its SLURM log, from every Snakemake log of the study."""
        logs = sorted((self.workdir / ".snakemake" / "log").glob("*.snakemake.log"))
        text = "\n".join(path.read_text() for path in logs)
        return {jobid: Path(log) for jobid, log in SUBMITTED.findall(text)}


@pytest.fixture(scope="module")
def cluster_study(cluster, tmp_path_factory) -> ClusterStudy:
    workdir = tmp_path_factory.mktemp("slurm")
    command = gan_bench_run(workdir, "--workflow-profile", str(PROFILE), *POLL_FAST)
    env = run_env(cluster.env)
    with (workdir / "controller-1.out").open("w") as out:
        controller = subprocess.Popen(command, cwd=workdir, env=env, stdout=out,
                                      stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        # killed once it has seen a train job finish while another submitted job is still in
        # flight (on a fast CPU both running jobs can finish in one status poll, before the
        # next are submitted); the SIGKILL hits the controller's group, not its SLURM jobs
        log = workdir / "controller-1.out"
        sigkill_group_when(controller, lambda: train_done_and_job_in_flight(log.read_text()),
                           600, poll=0.2)  # fmt: skip
    first = (workdir / "controller-1.out").read_text()
    completed = {
        folder: (torch.load(folder / "generator.pt"), (folder / "log.jsonl").read_text())
        for folder in run_folders(workdir)
        if (folder / "run.json").exists()
    }
    # The SLURM jobs the dead controller submitted run on; a rerun beside them would train the
    # same run folders twice at once. Cancelled, they leave checkpoints the rerun resumes from.
    cancelled = cluster.cancel_all()
    print(f"killed with {sorted(str(f) for f in completed)} done; cancelled jobs {cancelled}")
    second = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True)
    output = second.stdout + second.stderr
    assert second.returncode == 0, output[-5000:]
    return ClusterStudy(workdir, completed, cancelled, [first, output])


def train_done_and_job_in_flight(output: str) -> bool:
    """A train job has finished and a submitted SLURM job has not (the controller's log)."""
    in_flight = len(SUBMITTED.findall(output)) - len(FINISHED.findall(output))
    return bool(TRAIN_FINISHED.search(output)) and in_flight > 0


def rule_jobs(study_plan, rule: str) -> set[str]:
    """The SLURM comment the plugin gives each job of `rule` (one per cell x seed): its
    wildcards, the study folder (its `/` written `_`), cell and seed, joined by `_`."""
    folder = study_plan.results_dir.replace("/", "_")
    return {f"rule_{rule}_wildcards_{folder}_{cell}_{seed}" for cell, seed in study_plan.runs}


def snakefile_rules() -> set[str]:
    return set(re.findall(r"^rule (\w+):", SNAKEFILE.read_text(), flags=re.MULTILINE))


def test_every_train_and_score_job_ran_as_a_slurm_job(cluster, cluster_study):
    rules = [rule for rule in ("train", "score") if rule in snakefile_rules()]
    assert "train" in rules
    jobs, submitted = cluster.jobs(), cluster_study.submissions()
    assert submitted, "no 'submitted with SLURM jobid' in the Snakemake logs"
    assert set(submitted) <= set(jobs), "Snakemake logged job ids SLURM never had"
    ran: set[str] = set()  # comments of the jobs whose SLURM log shows their rule finishing
    for jobid, log in submitted.items():
        job, comment = jobs[jobid], jobs[jobid]["Comment"]
        rule = comment.removeprefix("rule_").split("_wildcards_")[0]
        assert log.name == f"{jobid}.log", log
        if not log.exists():  # the profile keeps every log; none for a job cancelled queueing
            assert job["JobState"] == "CANCELLED", f"{log} missing: {job}"
        elif re.search(rf"Finished jobid: \d+ \(Rule: {rule}\)", log.read_text()):
            ran.add(comment)  # COMPLETED, or CANCELLED after its work (the killed controller's)
    for rule in rules:
        missing = rule_jobs(plan(STUDY), rule) - ran
        assert not missing, f"{rule} jobs that never ran as SLURM jobs: {sorted(missing)}"
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    defaults, train = profile["default-resources"], profile["set-resources"]["train"]
    for jobid in submitted:
        job = jobs[jobid]
        assert job["Account"] == str(defaults["slurm_account"]), job
        if job["Comment"].startswith("rule_train_"):
            assert job["Partition"] == str(train["slurm_partition"]), job
            assert job.get("TresPerJob") == f"gres:gpu:{train['gpu']}", job  # sbatch --gpus
        else:  # scoring, aggregation, reporting: CPU jobs
            assert job["Partition"] == str(defaults["slurm_partition"]), job
            assert "gpu" not in job.get("TresPerJob", ""), job
    assert {jobs[j]["JobState"] for j in submitted} <= {"COMPLETED", "CANCELLED"}
    for output in cluster_study.outputs:
        for rule in rules:
            assert f"localrule {rule}:" not in output, f"a {rule} job ran on the controller"


def read_summary(workdir: Path) -> list[dict[str, str]]:
    with (workdir / "results" / "smoke" / "summary.csv").open() as handle:
        return sorted(csv.DictReader(handle), key=lambda row: (row["cell"], row["seed"]))


def test_results_equal_a_local_run(cluster_study, local_run):  # the cluster first: it may skip
    local_folders = run_folders(local_run)
    assert len(local_folders) == len(plan(STUDY).runs)
    for local in local_folders:
        remote = cluster_study.workdir / local.relative_to(local_run)
        ours, theirs = torch.load(local / "generator.pt"), torch.load(remote / "generator.pt")
        assert ours.keys() == theirs.keys()
        assert all(torch.equal(ours[k], theirs[k]) for k in ours), f"{remote}: other weights"
    local_rows, remote_rows = read_summary(local_run), read_summary(cluster_study.workdir)
    assert len(local_rows) == len(remote_rows) == len(local_folders)
    compared = [column for column in local_rows[0] if not TIMING.search(column)]
    assert {"cell", "seed", "status"} <= set(compared)
    for mine, theirs in zip(local_rows, remote_rows, strict=True):
        different = [c for c in compared if mine[c] != theirs[c]]  # metrics to the last digit
        assert not different, f"{mine['cell']} seed {mine['seed']}: {different}: {mine} {theirs}"
    local_results = local_run / "results" / "smoke"
    for path in local_results.rglob("*"):  # summary, design, report, tables, figures
        if path.relative_to(local_results).parts[0] not in ("runs", "logs"):
            assert (cluster_study.results / path.relative_to(local_results)).exists(), path


def test_killed_controller_reruns_without_retraining_completed_runs(cluster_study):
    final_step = yaml.safe_load(STUDY.read_text())["train"]["steps"]
    assert cluster_study.completed_at_kill, "no run had finished when the controller was killed"
    assert cluster_study.cancelled, "no SLURM job outlived the controller: nothing was tested"
    for folder, (weights, log_lines) in cluster_study.completed_at_kill.items():
        cell, seed = folder.parent.name, folder.name
        train_log = cluster_study.results / "logs" / "train" / cell / f"{seed}.log"
        text = train_log.read_text()
        # Snakemake may not have seen the run finish before the kill: then it deleted the
        # outputs and the rerun rebuilt them from the final checkpoint, zero steps trained
        resumed = re.findall(r"resuming at step (\d+)", text)
        assert all(int(step) == final_step for step in resumed), f"{train_log}: retrained"
        assert (folder / "log.jsonl").read_text() == log_lines, f"{folder}: steps re-logged"
        after = torch.load(folder / "generator.pt")
        assert all(torch.equal(weights[k], after[k]) for k in weights), f"{folder}: new weights"
    rows = read_summary(cluster_study.workdir)
    assert {row["status"] for row in rows} == {"completed"}
