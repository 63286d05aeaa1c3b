"""Milliseconds per training step: gan-bench's trainer vs a plain pytorch/examples-style loop.

Both use the same G and D (the default study's baseline cell), the same batch and the same
number of threads; the plain loop is the pytorch/examples DCGAN loop (a shuffling DataLoader,
separate real/fake D passes, `.item()` each step). Prints a table; it is not a test.

    .venv/bin/python benchmarks/train_step.py [--study ablations/default.yaml] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.flop_counter import FlopCounterMode

from gan_bench import data
from gan_bench.design import cells
from gan_bench.study import load_study, run_config
from gan_bench.train import Trainer, seed_everything


def baseline_config(study_path: str) -> dict:
    study = load_study(study_path)
    cell = cells(study)[0]
    return run_config(study, cell.id, cell.tricks, seed=0)


def plain_loop(config: dict, real: torch.Tensor, channels: int, steps: int) -> float:
    """pytorch/examples/dcgan's loop on our models; returns seconds for `steps` steps."""
    from gan_bench.models import build_models

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="ablations/default.yaml")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=100, help="steps per timed repeat")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = baseline_config(args.study)
    dataset = data.load_dataset(config["dataset"])
    images, _ = dataset.split("train")
    real = data.to_model_range(images, config["tricks"]["g_output"])
    loops = {"plain": plain_loop, "trainer": trainer_loop}
    for loop in loops.values():  # warm-up: allocator, oneDNN primitives
        loop(config, real, dataset.channels, 10)
    times: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(args.repeats):  # interleaved so drifts in machine load hit both alike
        for name, loop in loops.items():
            times[name].append(1000 * loop(config, real, dataset.channels, args.steps) / args.steps)
    flops = flops_per_step(config, real, dataset.channels)
    print(f"cell {config['cell']}  batch {config['train']['batch_size']}  "
          f"threads {args.threads}  {args.repeats} x {args.steps} steps")  # fmt: skip
    print(f"{'loop':<10}{'median ms/step':>16}{'min':>8}{'max':>8}{'GFLOP/s':>10}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<10}{median:>16.2f}{min(values):>8.2f}{max(values):>8.2f}"
              f"{flops / median / 1e6:>10.2f}")  # fmt: skip
    ratio = statistics.median(times["trainer"]) / statistics.median(times["plain"])
    print(f"trainer / plain = {ratio:.2f}x (goal <= 0.80x); {flops / 1e6:.1f} MFLOP per step")


if __name__ == "__main__":
    main()
