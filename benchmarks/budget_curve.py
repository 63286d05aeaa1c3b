"""FID (and, for InfoGAN cells, code accuracy) against training steps for some cells of a
study: is the study's budget enough, and would a shorter one give the same answer?

Trains each chosen cell x seed in this process (one thread) and scores the generator at
the given steps with the study's scorer (domain extractor, the study's sample count).
Prints one line per (cell, seed, step); `--out FILE` also appends them as JSON lines.
It is not a test.

    .venv/bin/python benchmarks/budget_curve.py [--study ablations/default.yaml]
        [--cells 0,4,16] [--seeds 0,1] [--at 150,300,500,750,1000,1500,2000,3000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from gan_bench.score import scorer as scoring
from gan_bench.study.design import cells
from gan_bench.study.study_file import load_study, run_config
from gan_bench.study.tricks import run_tricks
from gan_bench.train import data
from gan_bench.train.runner import seed_everything
from gan_bench.train.trainer import Trainer


def integers(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


def score_now(config, state, dataset, extractors, real, cache_name, folder: Path) -> dict:
    weights = folder / "generator.pt"
    torch.save(state.generator.state_dict(), weights)
    count = config["eval"]["num_samples"]
    generated, codes = scoring.generate(config, weights, dataset.channels, count, "cpu")
    values, _ = scoring.measure(extractors, generated, codes, real, cache_name, cuda=False)
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="ablations/default.yaml")
    parser.add_argument("--cells", type=integers, default=[0], help="cell indices (`cells`)")
    parser.add_argument("--seeds", type=integers, default=[0, 1])
    parser.add_argument("--at", type=integers, default=[150, 300, 500, 750, 1000, 1500, 3000])
    parser.add_argument("--out", type=Path, help="append JSON lines here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    study = load_study(args.study)
    dataset = data.load_dataset(study.dataset)
    extractors = scoring.prepare_extractors(["cnn"], "domain", study.dataset, dataset)
    real = scoring.real_reference(dataset, study.eval["num_samples"])
    cache_name = scoring.real_cache_name(study.dataset, real)
    images, _ = dataset.split("train")
    folder = Path(tempfile.mkdtemp(prefix="gan-bench-budget-"))
    all_cells = cells(study)
    for index in args.cells:
        cell = all_cells[index]
        for seed in args.seeds:
            config = run_config(study, cell.id, cell.tricks, seed)
            seed_everything(seed)
            real_train = data.to_model_range(images, run_tricks(config).g_output)
            trainer = Trainer(config, torch.device("cpu"), real_train, dataset.channels)
            state = trainer.new_state()
            started = time.perf_counter()
            for step in range(1, max(args.at) + 1):
                trainer.step(state)
                if step not in args.at:
                    continue
                seconds = time.perf_counter() - started
                values = score_now(config, state, dataset, extractors, real, cache_name, folder)
                fid = next(v for k, v in values.items() if k.startswith("fid_"))
                codes = [v for k, v in values.items() if k.startswith("code_accuracy")]
                accuracy = f"  code accuracy {codes[0]:.3f}" if codes else ""
                print(
                    f"{cell.id}  seed {seed}  step {step:>5}  FID {fid:7.2f}{accuracy}"
                    f"  ({seconds:.0f} s)",
                    flush=True,
                )
                if args.out:
                    record = {"cell": cell.id, "seed": seed, "step": step, "train_s": seconds}
                    with args.out.open("a") as handle:
                        handle.write(json.dumps(record | values) + "\n")


if __name__ == "__main__":
    main()
