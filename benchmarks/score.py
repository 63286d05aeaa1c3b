"""Seconds to score one run with 2000 samples on the CPU: first time (empty cache: the
domain classifier trains, the real features are extracted) and with everything cached.

Trains a short run of the study's baseline cell into a temporary folder (the scores of a
100-step generator are poor, but the work of scoring does not depend on its quality), then
times `score_run` in this process and the whole `gan-bench score` command (imports
included). Prints a table; it is not a test.

    .venv/bin/python benchmarks/score.py [--study ablations/default.yaml] [--samples 2000]
        [--threads 1] [--mnist-t10k]    # --mnist-t10k: the study's model on ../shared MNIST
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
MNIST_T10K = REPO.parent / "shared" / "datasets" / "mnist-t10k"


def train_short_run(study_path: str, out: Path, steps: int, mnist: bool) -> None:
    from gan_bench.study.design import cells
    from gan_bench.study.study_file import load_study, run_config
    from gan_bench.train.runner import train_run

    study = load_study(study_path)
    cell = cells(study)[0]
    config = run_config(study, cell.id, cell.tricks, seed=0)
    config["train"]["steps"] = steps
    if mnist:
        config["dataset"] = {
            "name": "idx",
            "image_size": config["dataset"]["image_size"],
            "images": str(MNIST_T10K / "t10k-images-idx3-ubyte.gz"),
            "labels": str(MNIST_T10K / "t10k-labels-idx1-ubyte.gz"),
        }
    train_run(config, out, "cpu", torch.get_num_threads(), False)


def timed_score(run: Path, samples: int) -> tuple[float, dict]:
    from gan_bench.score.scorer import score_run

    started = time.perf_counter()
    scores = score_run(run, extractor="domain", samples=samples, device="cpu")
    return time.perf_counter() - started, scores


def timed_cli(run: Path, samples: int, threads: int) -> float:
    command = [sys.executable, "-m", "gan_bench", "score", str(run), "--extractor", "domain"]
    command += ["--samples", str(samples), "--device", "cpu", "--threads", str(threads)]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=os.environ.copy())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--study", default=str(REPO / "ablations" / "default.yaml"))
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=100, help="training steps of the run")
    parser.add_argument("--mnist-t10k", action="store_true", help="score on MNIST-t10k (idx)")
    args = parser.parse_args()
    if args.mnist_t10k and not MNIST_T10K.is_dir():
        sys.exit(f"MNIST-t10k not found at {MNIST_T10K}")
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="gan-bench-score-") as tmp:
        os.environ["GAN_BENCH_CACHE"] = str(Path(tmp) / "cache")  # cold: nothing cached yet
        run = Path(tmp) / "run"
        train_short_run(args.study, run, args.steps, args.mnist_t10k)

        cold, scores = timed_score(run, args.samples)
        from gan_bench.cache import cache_root

        # real features cached, classifier cached; drop the real cache to time that case
        warm, _ = timed_score(run, args.samples)
        for path in (cache_root() / "fidelity").iterdir():
            path.unlink()
        no_real, _ = timed_score(run, args.samples)
        cli = timed_cli(run, args.samples, args.threads)

    classifier = scores["classifier"]
    dataset = scores["real"]["cache_name"].rsplit("-", 2)[0]
    print(f"dataset {dataset}: {args.samples} samples vs {scores['real']['samples']} real ")
    print(f"held-out images; {args.threads} thread(s), CPU")
    print(f"classifier held-out accuracy {classifier['accuracy']:.4f}")
    print(f"{'case':<52} seconds")
    print(f"{'first time (classifier trains, real features)':<52} {cold:7.2f}")
    print(f"{'classifier cached, real features not':<52} {no_real:7.2f}")
    print(f"{'everything cached (score_run in-process)':<52} {warm:7.2f}")
    print(f"{'everything cached (gan-bench score, with imports)':<52} {cli:7.2f}")


if __name__ == "__main__":
    main()
