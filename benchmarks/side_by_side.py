"""Several benchmark processes measured over the same moment, as Snakemake runs jobs.

A worker warms up, prints `ready`, waits for the go file, measures and prints its result as
its last line; the parent starts the clock for all of them at once.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path


def run_together(command: list[str], count: int, cwd: Path) -> list[str]:
    """Start `count` copies of `command` + `--go FILE`; the last output line of each."""
    go = Path(tempfile.mkdtemp(prefix="gan-bench-go-")) / "go"
    workers = [
        subprocess.Popen([*command, "--go", str(go)], stdout=subprocess.PIPE, text=True, cwd=cwd)
        for _ in range(count)
    ]
    for worker in workers:  # every worker warmed up before any measures
        if worker.stdout.readline().strip() != "ready":
            raise RuntimeError(f"a worker failed before measuring: exit {worker.wait()}")
    go.touch()
    results = []
    for worker in workers:
        output, _ = worker.communicate()
        if worker.returncode != 0:
            raise RuntimeError(f"a worker failed: exit {worker.returncode}")
        results.append(output.strip().splitlines()[-1])
    return results


def ready_then_wait(go: str) -> None:
    """The worker's side: say it is warmed up, then wait for the go file."""
    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.005)
