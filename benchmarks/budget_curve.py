"""FID (and, for InfoGAN cells, code accuracy) against training steps for some cells of a
study: is the study's budget enough, and would a shorter one give the same answer?

Trains each chosen cell x seed in this process (one thread) and scores the generator at
the given steps with the study's scorer (domain extractor, the study's sample count).
Prints one line per (cell, seed, step); `--out FILE` also appends them as JSON lines.
It is not a test.

    .venv/bin/python benchmarks/budget_curve.py [--study ablations/default.yaml]
        [--cells 0,4,16] [--seeds 0,1] [--at 150,300,500,750,1000,1500,2000,3000]

`--resume RUN_FOLDER` instead trains a finished (or unfinished) run on from its checkpoint,
with the run's own config, past its budget to max(--at): would more steps change its
answer? The run folder is only read. For InfoGAN runs each line also names the digits that
no categorical code draws most often (a merged pair leaves one digit without a code).

    .venv/bin/python benchmarks/budget_curve.py --resume results/S/runs/CELL/seed-1
        --at 3000,3500,4000,4500,5000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from gan_bench.folders import RunFolder
from gan_bench.score import scorer as scoring
from gan_bench.score.classifier import load_or_train_classifier, predict_logits
from gan_bench.study.design import cells
from gan_bench.study.study_file import load_study, run_config
from gan_bench.study.tricks import run_tricks
from gan_bench.train import data
from gan_bench.train.checkpoint import load_checkpoint, restore
from gan_bench.train.runner import seed_everything
from gan_bench.train.trainer import Trainer, TrainState


def integers(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


def score_now(config, state, dataset, extractors, real, cache_name, folder: Path) -> dict:
    weights = folder / "generator.pt"
    torch.save(state.generator.state_dict(), weights)
    count = config["eval"]["num_samples"]
    generated, codes = scoring.generate(config, weights, dataset.channels, count, "cpu")
    values, _ = scoring.measure(extractors, generated, codes, real, cache_name, cuda=False)
    if codes is not None:
        values["mixed_codes"] = mixed_codes(config, generated, codes)
    return values


MIXED = 0.75  # a code whose top class draws less than this share is called mixed


def mixed_codes(config, generated: torch.Tensor, codes: torch.Tensor) -> dict[str, dict]:
    """Categorical codes that draw no one class: their two commonest classes and shares (a
    merged digit pair shows as two codes that each draw both digits about half and half)."""
    classifier = load_or_train_classifier(config["dataset"])
    predicted = predict_logits(classifier.network, generated).argmax(1)
    confusion = torch.zeros(int(codes.max()) + 1, classifier.num_classes)
    confusion.index_put_((codes.long(), predicted.long()), torch.ones(len(codes)), accumulate=True)
    shares = confusion / confusion.sum(1, keepdim=True).clamp(min=1)
    top, classes = shares.topk(2, dim=1)
    return {
        str(code): {
            str(int(c)): round(float(v), 2) for c, v in zip(classes[code], top[code], strict=True)
        }
        for code in range(len(shares))
        if top[code, 0] < MIXED
    }


def report(config, state: TrainState, values: dict, seconds: float, out: Path | None) -> None:
    fid = next(v for k, v in values.items() if k.startswith("fid_"))
    codes = [v for k, v in values.items() if k.startswith("code_accuracy")]
    accuracy = f"  code accuracy {codes[0]:.3f}" if codes else ""
    if "mixed_codes" in values:
        mixed = [
            f"{code}: " + "/".join(f"{c} {v:.2f}" for c, v in shares.items())
            for code, shares in values["mixed_codes"].items()
        ]
        accuracy += f"  mixed codes [{'; '.join(mixed)}]"
    print(
        f"{config['cell']}  seed {config['seed']}  step {state.step:>5}  FID {fid:7.2f}"
        f"{accuracy}  ({seconds:.0f} s)",
        flush=True,
    )
    if out:
        record = {"cell": config["cell"], "seed": config["seed"], "step": state.step}
        with out.open("a") as handle:
            handle.write(json.dumps(record | {"train_s": seconds} | values) + "\n")


def resume(run: Path, at: list[int], out: Path | None) -> None:
    """Train `run` on from its newest checkpoint to max(at), scoring at each step in `at`."""
    config = json.loads((run / "config.json").read_text())
    payload = load_checkpoint(RunFolder(run), torch.device("cpu"))
    if payload is None:
        raise SystemExit(f"{run}: no readable checkpoint")
    dataset = data.load_dataset(config["dataset"])
    extractors = scoring.prepare_extractors(["cnn"], "domain", config["dataset"], dataset)
    real = scoring.real_reference(dataset, config["eval"]["num_samples"])
    cache_name = scoring.real_cache_name(config["dataset"], real)
    images, _ = dataset.split("train")
    real_train = data.to_model_range(images, run_tricks(config).g_output)
    trainer = Trainer(config, torch.device("cpu"), real_train, dataset.channels)
    state = trainer.new_state()
    restore(state, payload, torch.device("cpu"))
    folder = Path(tempfile.mkdtemp(prefix="gan-bench-budget-"))
    print(f"{run}: resuming at step {state.step}", flush=True)
    started = time.perf_counter()
    values = score_now(config, state, dataset, extractors, real, cache_name, folder)
    report(config, state, values, 0.0, out)
    while state.step < max(at):
        trainer.step(state)
        if state.step in at:
            values = score_now(config, state, dataset, extractors, real, cache_name, folder)
            report(config, state, values, time.perf_counter() - started, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="ablations/default.yaml")
    parser.add_argument("--cells", type=integers, default=[0], help="cell indices (`cells`)")
    parser.add_argument("--seeds", type=integers, default=[0, 1])
    parser.add_argument("--at", type=integers, default=[150, 300, 500, 750, 1000, 1500, 3000])
    parser.add_argument("--out", type=Path, help="append JSON lines here")
    parser.add_argument("--resume", type=Path, help="a run folder to train on from its checkpoint")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.resume:
        resume(args.resume, args.at, args.out)
        return
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
