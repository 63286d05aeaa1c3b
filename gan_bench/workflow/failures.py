"""Why jobs failed, in the words of their logs.

Snakemake reports a failed job as "Error in rule train ... log: ..." and keeps the reason
(gan-bench's own `gan-bench: error: ...` naming the key or file, or a traceback's last line)
in the job's log. `gan-bench run` prints those reasons after a failed Snakemake, so a user
reads what to fix without opening logs/.
"""

from __future__ import annotations

from pathlib import Path

from gan_bench.folders import StudyFolder

ERROR_PREFIX = "gan-bench: error: "  # what cli.main prints for bad input (exit 2)
MAX_LINES = 8  # of one reason: a study error lists one problem a line
MAX_JOBS = 5  # reasons printed; the rest are counted


def reason(log: Path) -> str | None:
    """The error a job's log ends with: gan-bench's error message (every line of it), else a
    traceback's last line, else None (the job did not fail, or said nothing)."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    starts = [i for i, line in enumerate(lines) if line.startswith(ERROR_PREFIX)]
    if starts:
        said = lines[starts[-1] : starts[-1] + MAX_LINES]
        return "\n".join([said[0].removeprefix(ERROR_PREFIX), *said[1:]]).strip()
    if any(line.startswith("Traceback") for line in lines):
        last = [line for line in lines if line.strip()]
        return last[-1].strip() if last else None
    return None


def failure_lines(folder: StudyFolder, since: float) -> list[str]:
    """`<log>: <reason>` for each job log under the folder's logs/ written since `since`
    (a time.time()) that ends in an error; at most MAX_JOBS, then how many more."""
    if not folder.logs.is_dir():
        return []
    logs = sorted(
        (log for log in folder.logs.rglob("*.log") if log.stat().st_mtime >= since),
        key=lambda log: log.stat().st_mtime,
    )
    found = [(log, said) for log in logs if (said := reason(log)) is not None]
    here = Path.cwd()
    lines = [
        f"job failed ({log.relative_to(here) if log.is_relative_to(here) else log}): {said}"
        for log, said in found[:MAX_JOBS]
    ]
    if len(found) > MAX_JOBS:
        lines.append(f"... and {len(found) - MAX_JOBS} more failed jobs (see {folder.logs}/)")
    return lines
