"""A one-node SLURM cluster in one folder, for gan-bench's cluster test and for trying the
SLURM profile by hand. munged, slurmctld and slurmd run as root without forking (so the pids
of the processes started are the daemons'), with their own key, socket, configuration, state
and logs under the folder and on free ports, and are stopped by those pids. Outside the
folder there is only a symlink /etc/slurm/slurm.conf to its configuration while it runs
(see SYSTEM_CONF); a machine with a slurm.conf of its own is left alone (ClusterError).

    python .ci/slurm/cluster.py start [DIR]   # prints `export SLURM_CONF=DIR/slurm.conf`
    python .ci/slurm/cluster.py stop DIR      # cancels its jobs, stops the daemons it started

Needs `.ci/slurm/install.sh` (Debian: slurm-wlm and munge) and root. Standard library only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scontrol", "scancel", "sinfo")
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
ACTIVE_STATES = "PENDING,RUNNING,CONFIGURING,COMPLETING,REQUEUED,RESIZING,SUSPENDED"
# Where srun looks for the configuration when SLURM_CONF is unset. Snakemake's jobstep plugin
# strips every SLURM_* variable but a few job ids from the `srun` it runs inside each job, so
# this is the one path outside the cluster's folder: a symlink to it while the cluster runs.
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")


class ClusterError(RuntimeError):
    """The cluster could not start or do what was asked; the message says why (for a start,
    with the daemons' last words)."""


def missing_tools() -> list[str]:
    """The SLURM and munge programs this machine lacks (empty when a cluster can start)."""
    return [name for name in (*DAEMONS, *CLIENTS) if not shutil.which(name, path=SEARCH_PATH)]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def node_line() -> str:
    """This machine as a slurm.conf NodeName line (CPUs, sockets, cores, memory)."""
    output = subprocess.run(
        [_tool("slurmd"), "-C"], capture_output=True, text=True, check=True
    ).stdout
    return next(line for line in output.splitlines() if line.startswith("NodeName="))


def _tool(name: str) -> str:
    path = shutil.which(name, path=SEARCH_PATH)
    if path is None:
        raise ClusterError(f"{name} not found; run .ci/slurm/install.sh")
    return path


def _tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return f"({path.name}: absent)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return f"--- {path.name}\n" + "\n".join(text)


class Cluster:
    """A one-node cluster whose files all live under `root` (which must be reachable by
    every user: munged refuses a socket below a folder others cannot enter)."""

    def __init__(self, root: str | Path, partitions: Sequence[str] = ("cpu", "gpu")) -> None:
        self.root = Path(root).resolve()
        self.partitions = list(dict.fromkeys(partitions))  # the first is the default one
        self.conf = self.root / "slurm.conf"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def env(self) -> dict[str, str]:
        """The environment in which sbatch, squeue & co. talk to this cluster."""
        return os.environ | {"SLURM_CONF": str(self.conf)}

    def command(self, *args: str, check: bool = True) -> str:
        """Run a SLURM client command against this cluster; its stdout."""
        result = subprocess.run(
            [_tool(args[0]), *args[1:]], env=self.env, capture_output=True, text=True
        )
        if check and result.returncode != 0:
            raise ClusterError(f"{' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def write_config(self) -> None:
        """Munge key, slurm.conf and gres.conf from the templates beside this file."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        for folder in ("state", "spool"):
            (self.root / folder).mkdir(exist_ok=True)
        key = self.root / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        node = node_line()
        values = {
            "root": str(self.root),
            "host": node.split()[0].removeprefix("NodeName="),
            "node": node,
            "ctld_port": free_port(),
            "slurmd_port": free_port(),
            "partitions": "\n".join(
                f"PartitionName={name} Nodes=ALL MaxTime=INFINITE State=UP"
                + (" Default=YES" if i == 0 else "")
                for i, name in enumerate(self.partitions)
            ),
        }
        for name in ("slurm.conf", "gres.conf"):
            template = string.Template((HERE / f"{name}.in").read_text())
            (self.root / name).write_text(template.substitute(values))

    def _spawn(self, name: str, *args: str) -> None:
        log = (self.root / f"{name}.out").open("wb")
        with log:
            self.processes[name] = subprocess.Popen(
                [_tool(name), *args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,  # a Ctrl-C meant for the caller does not reach them
            )
        (self.root / "pids").write_text(
            "".join(f"{n} {p.pid}\n" for n, p in self.processes.items())
        )

    def _wait(self, what: str, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise ClusterError(f"{name} exited with {process.returncode}\n{self.logs()}")
            if ready():
                return
            time.sleep(0.2)
        raise ClusterError(f"{what} not ready after {timeout:.0f} s\n{self.logs()}")

    def logs(self) -> str:
        """The last lines of every daemon's output and log file."""
        names = [f"{n}.out" for n in DAEMONS] + ["munged.log", "slurmctld.log", "slurmd.log"]
        return "\n".join(_tail(self.root / name) for name in names)

    def node_states(self) -> set[str]:
        """The node's states as sinfo reports them (`idle`, `mixed`, `down`, ...)."""
        states = self.command("sinfo", "--noheader", "--Node", "--format=%T", check=False)
        return set(states.split())

    def link_system_conf(self) -> None:
        """Point /etc/slurm/slurm.conf at this cluster's, unless another live one is there."""
        if SYSTEM_CONF.is_symlink() and not _live_cluster(SYSTEM_CONF.resolve().parent):
            SYSTEM_CONF.unlink()  # left by a cluster whose daemons are gone
        if SYSTEM_CONF.exists() or SYSTEM_CONF.is_symlink():
            raise ClusterError(
                f"{SYSTEM_CONF} exists (this machine's own SLURM, or another test cluster): "
                "not replacing it"
            )
        SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SYSTEM_CONF.symlink_to(self.conf)

    def unlink_system_conf(self) -> None:
        if SYSTEM_CONF.is_symlink() and SYSTEM_CONF.readlink() == self.conf:
            SYSTEM_CONF.unlink()

    def start(self, timeout: float = 60.0) -> None:
        """Write the configuration, start the three daemons and wait until the node is idle.
        On failure the daemons already started are stopped again."""
        self.write_config()
        self.link_system_conf()
        socket_path = self.root / "munge.socket"
        try:
            self._spawn(
                "munged",
                "--foreground",
                f"--socket={socket_path}",
                f"--key-file={self.root / 'munge.key'}",
                f"--log-file={self.root / 'munged.log'}",
                f"--pid-file={self.root / 'munged.pid'}",
                f"--seed-file={self.root / 'munged.seed'}",
            )
            self._wait("munged", socket_path.exists, timeout)
            self._spawn("slurmctld", "-D", "-f", str(self.conf))
            self._spawn("slurmd", "-D", "-f", str(self.conf))
            self._wait("the node", lambda: self.node_states() == {"idle"}, timeout)
        except BaseException:
            self.stop()
            raise

    def jobs(self) -> dict[str, dict[str, str]]:
        """Every job slurmctld still knows (finished ones for MinJobAge), by job id, as
        `scontrol show job` fields (JobState, Partition, Account, Comment, TresPerJob...)."""
        jobs = {}
        for line in self.command("scontrol", "--oneliner", "show", "job").splitlines():
            fields = dict(
                item.split("=", 1) for item in line.split() if "=" in item and item[0].isupper()
            )
            if "JobId" in fields:
                jobs[fields["JobId"]] = fields
        return jobs

    def active_jobs(self) -> list[str]:
        """Ids of the jobs queued or running (not yet finished)."""
        listing = self.command("squeue", "--noheader", "--format=%i", f"--states={ACTIVE_STATES}")
        return listing.split()

    def cancel_all(self, timeout: float = 60.0) -> list[str]:
        """Cancel every queued or running job, wait until none is left active; their ids."""
        cancelled = self.active_jobs()
        if cancelled:
            self.command("scancel", *cancelled, check=False)
        deadline = time.monotonic() + timeout
        while (left := self.active_jobs()) and time.monotonic() < deadline:
            time.sleep(0.5)
        if left:
            raise ClusterError(f"jobs {left} still active {timeout:.0f} s after scancel")
        return cancelled

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the daemons this object started (SIGTERM, then SIGKILL), by their pids."""
        for name in reversed(list(self.processes)):
            process = self.processes.pop(name)
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        (self.root / "pids").unlink(missing_ok=True)
        self.unlink_system_conf()


def _recorded_daemons(root: Path) -> list[int]:
    """The pids in ROOT/pids that still run that cluster's daemons (a pid is trusted only
    while its command line names the daemon and the cluster's folder)."""
    pids_file = root / "pids"
    if not pids_file.exists():
        return []
    alive = []
    for line in pids_file.read_text().splitlines():
        name, pid_text = line.split()
        try:
            words = Path(f"/proc/{pid_text}/cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError):
            continue
        if name.encode() in words[0] and str(root).encode() in b" ".join(words):
            alive.append(int(pid_text))
    return alive


def _live_cluster(root: Path) -> bool:
    return bool(_recorded_daemons(root))


def stop_recorded(root: Path, timeout: float = 15.0) -> list[int]:
    """Stop the daemons listed in ROOT/pids from another process (after the `start`
    command), slurmd first, and remove the /etc/slurm/slurm.conf symlink to ROOT."""
    stopped = []
    for pid in reversed(_recorded_daemons(root)):
        cmdline = Path(f"/proc/{pid}/cmdline")
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while cmdline.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if cmdline.exists():
            os.kill(pid, signal.SIGKILL)
        stopped.append(pid)
    (root / "pids").unlink(missing_ok=True)
    Cluster(root).unlink_system_conf()
    return stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("root", nargs="?", help="the cluster's folder (start: a new one)")
    parser.add_argument(
        "--partitions", default="cpu,gpu", help="start: partition names (default: cpu,gpu)"
    )
    args = parser.parse_args(argv)
    if args.action == "start":
        if missing_tools():
            parser.error(f"missing {', '.join(missing_tools())}; run .ci/slurm/install.sh")
        root = args.root or tempfile.mkdtemp(prefix="gan-bench-slurm-", dir="/tmp")
        cluster = Cluster(root, args.partitions.split(","))
        cluster.start()
        cluster.processes.clear()  # leave them running; `stop` finds them in ROOT/pids
        print(f"export SLURM_CONF={cluster.conf}")
        return 0
    if not args.root:
        parser.error("stop needs the cluster's folder")
    root = Path(args.root).resolve()
    Cluster(root).cancel_all()
    print(f"stopped pids {stop_recorded(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
