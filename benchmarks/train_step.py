"""Milliseconds per training step: gan-bench's trainer vs a plain pytorch/examples-style loop.

Both use the same G and D (the default study's baseline cell), the same batch and the same
number of threads; the plain loop is the pytorch/examples DCGAN loop (a shuffling DataLoader,
separate real/fake D passes, `.item()` each step). Then the whole machine's training
throughput: the plain loop as one process using every core, against the trainer as one
single-thread process per core side by side (how Snakemake runs a study's train jobs).
Prints tables; it is not a test.

    .venv/bin/python benchmarks/train_step.py [--study ablations/default.yaml] [--threads 1]
        [--cores N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from side_by_side import ready_then_wait, run_together
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.flop_counter import FlopCounterMode

from gan_bench.study.design import cells
from gan_bench.study.study_file import load_study, run_config
from gan_bench.train import data
from gan_bench.train.runner import seed_everything
from gan_bench.train.trainer import Trainer

REPO = Path(__file__).resolve().parent.parent


def baseline_config(study_path: str) -> dict:
    study = load_study(study_path)
    cell = cells(study)[0]
    return run_config(study, cell.id, cell.tricks, seed=0)


def plain_loop(config: dict, real: torch.Tensor, channels: int, steps: int) -> float:
    """pytorch/examples/dcgan's loop on our models; returns seconds for `steps` steps."""
    from gan_bench.train.models import build_models

    seed_everything(0)
    G, D = build_models(config, channels)
    lr, betas = config["train"]["lr"], (config["train"]["beta1"], config["train"]["beta2"])
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    batch, latent = config["train"]["batch_size"], config["model"]["latent_dim"]
    loader = DataLoader(TensorDataset(real), batch_size=batch, shuffle=True, drop_last=True)
    done, start = 0, time.perf_counter()
    while done < steps:
        for (images,) in loader:
            D.zero_grad()
            label = torch.full((batch,), 1.0)
            err_real = F.binary_cross_entropy_with_logits(D(images), label)
            err_real.backward()
            fake = G(torch.randn(batch, latent, 1, 1))
            label.fill_(0.0)
            err_fake = F.binary_cross_entropy_with_logits(D(fake.detach()), label)
            err_fake.backward()
            opt_d.step()
            G.zero_grad()
            label.fill_(1.0)
            err_g = F.binary_cross_entropy_with_logits(D(fake), label)
            err_g.backward()
            opt_g.step()
            _ = (err_real + err_fake).item(), err_g.item()  # the example prints these
            done += 1
            if done == steps:
                break
    return time.perf_counter() - start


def trainer_loop(config: dict, real: torch.Tensor, channels: int, steps: int) -> float:
    seed_everything(0)
    trainer = Trainer(config, torch.device("cpu"), real, channels)
    state = trainer.new_state()
    start = time.perf_counter()
    for _ in range(steps):
        trainer.step(state)
    state.first_bad.item()  # what the real loop syncs on at log points
    return time.perf_counter() - start


def flops_per_step(config: dict, real: torch.Tensor, channels: int) -> int:
    trainer = Trainer(config, torch.device("cpu"), real, channels)
    state = trainer.new_state()
    with FlopCounterMode(display=False) as counter:
        trainer.step(state)
    return counter.get_total_flops()


def training_split(study_path: str) -> tuple[dict, torch.Tensor, int]:
    config = baseline_config(study_path)
    dataset = data.load_dataset(config["dataset"])
    images, _ = dataset.split("train")
    return config, data.to_model_range(images, config["tricks"]["g_output"]), dataset.channels


def worker(args: argparse.Namespace) -> None:
    """One single-thread trainer process of the side-by-side measurement."""
    torch.set_num_threads(1)
    config, real, channels = training_split(args.study)
    trainer_loop(config, real, channels, 10)  # warm-up
    ready_then_wait(args.go)
    print(json.dumps({"seconds": trainer_loop(config, real, channels, args.steps)}))


def machine_throughput(args: argparse.Namespace, config, real, channels) -> None:
    """Seed-steps per second for the whole machine: the plain loop as one process with
    `cores` threads vs `cores` single-thread trainer processes running at once."""
    command = [sys.executable, __file__, "--worker", "--study", args.study,
               "--steps", str(args.steps)]  # fmt: skip
    plain, parallel = [], []
    torch.set_num_threads(args.cores)
    plain_loop(config, real, channels, 10)  # warm-up at this thread count
    for _ in range(max(3, args.repeats // 2)):  # interleaved, as above
        plain.append(args.steps / plain_loop(config, real, channels, args.steps))
        seconds = [json.loads(line)["seconds"] for line in run_together(command, args.cores, REPO)]
        parallel.append(sum(args.steps / s for s in seconds))
    print(f"\nwhole machine, {args.cores} cores: seed-steps per second")
    print(f"{'plain loop, 1 process x ' + str(args.cores) + ' threads':<40}"
          f"{statistics.median(plain):>8.1f}")  # fmt: skip
    print(f"{'trainer, ' + str(args.cores) + ' processes x 1 thread':<40}"
          f"{statistics.median(parallel):>8.1f}")  # fmt: skip
    ratio = statistics.median(parallel) / statistics.median(plain)
    print(f"trainer side by side / plain loop = {ratio:.2f}x (goal >= 1.5x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="ablations/default.yaml")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=100, help="steps per timed repeat")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--cores", type=int, default=os.cpu_count(), help="for the machine part")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--go", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    torch.set_num_threads(args.threads)
    config, real, channels = training_split(args.study)
    loops = {"plain": plain_loop, "trainer": trainer_loop}
    for loop in loops.values():  # warm-up: allocator, oneDNN primitives
        loop(config, real, channels, 10)
    times: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(args.repeats):  # interleaved so drifts in machine load hit both alike
        for name, loop in loops.items():
            times[name].append(1000 * loop(config, real, channels, args.steps) / args.steps)
    flops = flops_per_step(config, real, channels)
    print(f"cell {config['cell']}  batch {config['train']['batch_size']}  "
          f"threads {args.threads}  {args.repeats} x {args.steps} steps")  # fmt: skip
    print(f"{'loop':<10}{'median ms/step':>16}{'min':>8}{'max':>8}{'GFLOP/s':>10}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<10}{median:>16.2f}{min(values):>8.2f}{max(values):>8.2f}"
              f"{flops / median / 1e6:>10.2f}")  # fmt: skip
    ratio = statistics.median(times["trainer"]) / statistics.median(times["plain"])
    print(f"trainer / plain = {ratio:.2f}x (goal <= 0.80x); {flops / 1e6:.1f} MFLOP per step")
    machine_throughput(args, config, real, channels)


if __name__ == "__main__":
    main()
