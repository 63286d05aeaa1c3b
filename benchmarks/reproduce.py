"""Do two versions of gan-bench give the same numbers? Trains and scores the same runs with
an earlier commit and with this checkout, side by side on this machine, and compares every
metric in scores.json and every logged loss exactly (bit for bit, not within a tolerance).

Why a benchmark and not a test: a seed gives the same numbers only on the same kind of CPU
(its SIMD kernels decide the rounding), so the reference must be recomputed on the machine
that checks it. The default runs: the smoke study whole (2 cells x 2 seeds) and one cell of
the published quick study (whose published summary.csv row is shown beside, with the CPU it
was made on, to show how far another CPU drifts). Prints tables; it is not a test.

    .venv/bin/python benchmarks/reproduce.py [--base REV] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
# The last commit before the package was cut by pipeline stage (architecture v2).
DEFAULT_BASE = "7672b7f"
RUNS = [
    ("ablations/smoke.yaml", "g_output-tanh", 0),
    ("ablations/smoke.yaml", "g_output-tanh", 1),
    ("ablations/smoke.yaml", "g_output-sigmoid", 0),
    ("ablations/smoke.yaml", "g_output-sigmoid", 1),
    ("ablations/quick.yaml", "g_output-tanh__d_downsample-strided", 0),
]
PUBLISHED = {"ablations/quick.yaml": REPO / "results" / "quick" / "summary.csv"}


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def train_and_score(tree: Path, study: str, cell: str, seed: int, out: Path, cache: Path) -> dict:
    """One run with the gan_bench of `tree` (its own cache): scores.json and the losses."""
    env = os.environ | {"PYTHONPATH": str(tree), "GAN_BENCH_CACHE": str(cache)}
    command = [sys.executable, "-m", "gan_bench", "train", study, "--cell", cell,
               "--seed", str(seed), "--out", str(out), "--threads", "1", "--no-progress",
               "--score"]  # fmt: skip
    subprocess.run(command, cwd=tree, env=env, check=True, capture_output=True)
    scores = json.loads((out / "scores.json").read_text())
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    losses = {f"{key}@{r['step']}": r[key] for r in log for key in ("d_loss", "g_loss")}
    return {"metrics": scores["metrics"], "losses": losses}


def compare(base: dict, current: dict) -> tuple[int, int, float]:
    """(values compared, values bit-identical, largest absolute difference)."""
    pairs = [(base["metrics"], current["metrics"]), (base["losses"], current["losses"])]
    compared = identical = 0
    largest = 0.0
    for old, new in pairs:
        for key in sorted(set(old) | set(new)):
            compared += 1
            if key in old and key in new and old[key] == new[key]:
                identical += 1
            elif key in old and key in new:
                largest = max(largest, abs(float(old[key]) - float(new[key])))
            else:
                largest = float("inf")  # a metric or log line only one version has
    return compared, identical, largest


def published_row(study: str, cell: str, seed: int) -> dict | None:
    path = PUBLISHED.get(study)
    if path is None or not path.exists():
        return None
    frame = pd.read_csv(path)
    rows = frame[(frame["cell"] == cell) & (frame["seed"] == seed)]
    return rows.iloc[0].to_dict() if len(rows) else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=DEFAULT_BASE, help="commit to compare against")
    parser.add_argument("--keep", help="keep the run folders here")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="gan-bench-reproduce-"))
    base_tree = work / "base"
    if not base_tree.exists():
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(base_tree),
                        args.base], check=True, capture_output=True)  # fmt: skip
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()  # fmt: skip
    print(f"CPU: {cpu_model()}; base {args.base} vs this checkout ({commit})\n")
    rows = []
    try:
        for study, cell, seed in RUNS:
            name = f"{Path(study).stem}/{cell}/seed-{seed}"
            found = {}
            for label, tree in (("base", base_tree), ("current", REPO)):
                out = work / label / "runs" / name
                found[label] = train_and_score(tree, study, cell, seed, out, work / label / "c")
            compared, identical, largest = compare(found["base"], found["current"])
            fid = next(k for k in found["current"]["metrics"] if k.startswith("fid_"))
            published = published_row(study, cell, seed)
            rows.append({
                "run": name, "values": compared, "bit-identical": identical,
                "max |diff|": largest, "FID": fid, "base": found["base"]["metrics"][fid],
                "current": found["current"]["metrics"][fid],
                "published": published[fid] if published else float("nan"),
            })  # fmt: skip
    finally:
        if not args.keep:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force",
                            str(base_tree)], capture_output=True)  # fmt: skip
    table = pd.DataFrame(rows)
    print(table.to_markdown(index=False, floatfmt=".6g"))
    same = bool((table["values"] == table["bit-identical"]).all())
    print(f"\nevery metric and logged loss bit-identical: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
