"""GPU throughput of the mnist study's baseline cell: eager vs torch.compile, fp32 vs bf16
autocast, channels_last, and 1 / 4 / 8 runs sharing the GPU. Prints one table; exit 0.

Images/s = real images D sees per second (batch x steps/s), summed over concurrent runs.
The data are random tensors of the study's shape: speed does not depend on the pixels, and
nothing is downloaded. Sized to finish in under 5 minutes on one GPU (`--seconds` per
measurement). On a machine without CUDA it says so and exits 0; `--device cpu` runs every
eager code path on the CPU as a quick check of the script (its figures mean nothing for GPUs).

    .venv/bin/python benchmarks/gpu.py [--study ablations/mnist.yaml] [--seconds 8]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

import torch
from side_by_side import ready_then_wait, run_together

from gan_bench.study.design import cells
from gan_bench.study.study_file import load_study, run_config
from gan_bench.train.runner import seed_everything
from gan_bench.train.trainer import Trainer

REPO = Path(__file__).resolve().parent.parent
SYNTHETIC_IMAGES = 8192
WARMUP_STEPS = {"cuda": 20, "cpu": 2}  # cuDNN autotuning, allocator; the CPU check is brief
CONCURRENCY = (1, 4, 8)
# (label, precision, channels_last, torch.compile mode or None)
VARIANTS = [
    ("eager fp32", "fp32", False, None),
    ("eager fp32 channels_last", "fp32", True, None),
    ("eager bf16", "bf16", False, None),
    ("eager bf16 channels_last", "bf16", True, None),
    ("compile fp32", "fp32", False, "default"),
    ("compile reduce-overhead fp32", "fp32", False, "reduce-overhead"),
    ("compile bf16 channels_last", "bf16", True, "default"),
]


def baseline_config(study_path: str, precision: str, channels_last: bool) -> dict:
    study = load_study(study_path)
    cell = cells(study)[0]
    config = run_config(study, cell.id, cell.tricks, seed=0)
    config["train"] |= {"precision": precision, "channels_last": channels_last}
    return config


def channels_of(config: dict) -> int:
    return 3 if config["dataset"]["name"] == "cifar10" else 1


def make_trainer(config: dict, device: torch.device, compile_mode: str | None):
    """The trainer on random data of the study's shape; compiled sub-networks if asked
    (G's and D's layer stacks: the trainer calls D.features / D.logits, not D.forward)."""
    seed_everything(0)
    size, channels = config["dataset"]["image_size"], channels_of(config)
    real = torch.rand(SYNTHETIC_IMAGES, channels, size, size, device=device) * 2 - 1
    trainer = Trainer(config, device, real, channels)
    state = trainer.new_state()
    if compile_mode is not None:
        for module in (state.generator.net, state.discriminator.body, state.discriminator.head):
            module.compile(mode=compile_mode)
    return trainer, state


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def images_per_second(trainer, state, device: torch.device, seconds: float) -> float:
    """Steps for `seconds` of wall time (asynchronous, as in training), synchronised at the
    ends of the window."""
    synchronize(device)
    started, steps = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        trainer.step(state)
        steps += 1
    synchronize(device)
    return steps * trainer.batch / (time.perf_counter() - started)


def measure_variant(args, device, precision, channels_last, compile_mode) -> tuple[float, float]:
    """(images/s, seconds of warm-up incl. compilation) for one run in this process."""
    config = baseline_config(args.study, precision, channels_last)
    started = time.perf_counter()
    trainer, state = make_trainer(config, device, compile_mode)
    for _ in range(WARMUP_STEPS[device.type]):
        trainer.step(state)
    synchronize(device)
    warmup = time.perf_counter() - started
    return images_per_second(trainer, state, device, args.seconds), warmup


def worker(args) -> None:
    """One of several concurrent runs: warm up, wait for the others, measure."""
    device = torch.device(args.device)
    config = baseline_config(args.study, args.precision, args.channels_last)
    trainer, state = make_trainer(config, device, None)
    for _ in range(WARMUP_STEPS[device.type]):
        trainer.step(state)
    synchronize(device)
    ready_then_wait(args.go)
    print(
        json.dumps({"images_per_second": images_per_second(trainer, state, device, args.seconds)})
    )


def concurrent(args, count: int, precision: str, channels_last: bool) -> float:
    """Summed images/s of `count` runs in separate processes (as Snakemake's train jobs)."""
    command = [sys.executable, __file__, "--worker", "--study", args.study,
               "--seconds", str(args.seconds), "--device", args.device,
               "--precision", precision]  # fmt: skip
    command.append("--channels-last" if channels_last else "--no-channels-last")
    results = run_together(command, count, REPO)
    return sum(json.loads(line)["images_per_second"] for line in results)


def study_minutes(study_path: str, rate: float) -> float:
    """Training minutes of the whole study if every cell ran at `rate` images/s."""
    study = load_study(study_path)
    images = len(cells(study)) * len(study.seeds) * study.train["steps"]
    return images * study.train["batch_size"] / rate / 60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="ablations/mnist.yaml")
    parser.add_argument("--seconds", type=float, default=8.0, help="per measurement")
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--go", help=argparse.SUPPRESS)
    parser.add_argument("--precision", default="fp32", help=argparse.SUPPRESS)
    parser.add_argument("--channels-last", action=argparse.BooleanOptionalAction)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0
    if args.device == "cuda" and not torch.cuda.is_available():
        print(
            "no GPU: benchmarks/gpu.py measures CUDA throughput, and torch sees no CUDA "
            "device here; nothing measured. (`--device cpu` checks the script itself.)"
        )
        return 0
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU (script check)"
    print(f"{name}; torch {torch.__version__}; study {args.study}, baseline cell; "
          f"{args.seconds:g} s per measurement")  # fmt: skip
    rows: list[tuple[str, int, str, str]] = []
    best = ("fp32", False, 0.0)
    for label, precision, channels_last, compile_mode in VARIANTS:
        if compile_mode is not None and device.type == "cpu":
            rows.append((label, 1, "skipped on CPU", ""))
            continue
        try:
            rate, warmup = measure_variant(args, device, precision, channels_last, compile_mode)
        except Exception as error:  # noqa: BLE001 - a failing variant is a finding, not a crash
            traceback.print_exc(file=sys.stderr)
            rows.append((label, 1, f"failed: {type(error).__name__}", ""))
            continue
        rows.append((label, 1, f"{rate:,.0f}", f"{warmup:.1f}"))
        if compile_mode is None and rate > best[2]:
            best = (precision, channels_last, rate)
        print(f"  {label}: {rate:,.0f} images/s", flush=True)
    precision, channels_last, _ = best
    eager = f"eager {precision}{' channels_last' if channels_last else ''}"
    rates: dict[int, float] = {}
    for count in CONCURRENCY:
        try:
            rates[count] = concurrent(args, count, precision, channels_last)
            rows.append((eager, count, f"{rates[count]:,.0f}", ""))
        except Exception as error:  # noqa: BLE001
            rows.append((eager, count, f"failed: {error}", ""))
        print(f"  {count} concurrent runs: {rates.get(count, float('nan')):,.0f} images/s")
    print(f"\n{'variant':<32}{'runs':>5}{'images/s (all runs)':>22}{'warm-up s':>11}")
    for label, count, rate, warmup in rows:
        print(f"{label:<32}{count:>5}{rate:>22}{warmup:>11}")
    if rates:
        slots = max(rates, key=rates.get)
        minutes = study_minutes(args.study, rates[slots])
        print(
            f"\nmost images/s with {slots} concurrent runs: profiles/gpu `resources: gpu={slots}`"
        )
        print(f"{args.study} training at that rate (every cell as fast as the baseline): "
              f"{minutes:.0f} min")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
