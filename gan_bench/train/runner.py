"""A whole run: device, seeding, the run folder, the loop with logs and checkpoints, and
the final files (generator.pt, discriminator.pt, samples.png, InfoGAN's traversals.png,
run.json).

A run folder belongs to one configuration (RunConflict otherwise); a finished run is not
trained again, a killed one resumes from its checkpoint (gan_bench/train/checkpoint.py), and
a non-finite loss is a result (status `diverged`), not a crash.

Damaged files are set aside and the run recovers: gan_bench/train/recovery.py.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gan_bench.differences import differences
from gan_bench.errors import BadInput
from gan_bench.files import atomic_write, save_torch, truncate_log, write_json
from gan_bench.folders import RunFolder
from gan_bench.provenance import provenance
from gan_bench.study.tricks import TRICKS, TrickSettings, run_tricks
from gan_bench.train import data, recovery
from gan_bench.train.checkpoint import checkpoint_payload, restore, save_checkpoint
from gan_bench.train.imagegrid import save_grid
from gan_bench.train.models import sample_latent
from gan_bench.train.probe import probe_indices
from gan_bench.train.trainer import DIVERGED_LOSS, LOGGED, Trainer, TrainState
from gan_bench.train.traversals import write_traversals

SAMPLE_GRID = 64  # samples.png: an 8x8 grid
FIXED_NOISE_SEED = 1234  # the same noise for every run, so grids compare across cells


class RunConflict(BadInput):
    """The run folder belongs to a different configuration."""


def resolve_device(requested: str) -> torch.device:
    """auto -> cuda when present, else cpu; cuda without a GPU is an error."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device: cuda was asked for but no CUDA device is available")
    return torch.device(requested)


def use_threads(threads: int) -> None:
    """Run torch and the BLAS libraries numpy and scipy load (FID's matrix square root) on
    `threads` threads, whoever started the process: Snakemake sets OMP_NUM_THREADS for its
    jobs, a plain shell does not, and OpenBLAS's sums change in the last digits with its
    thread count, so a run scored outside Snakemake would not match one scored inside."""
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(limits=threads)


def stream_seed(seed: int, tricks: TrickSettings) -> int:
    """The seed every RNG of the run is seeded with: the run's seed, except at a non-default
    level of the null factor (the A/A check, gan_bench/study/tricks.py), where it is derived
    from (seed, level index) by numpy's SeedSequence. So level `a` gives exactly the numbers
    of a run without the factor, level `b` another random stream and nothing else; the
    derived seed is a uint32, within the study's seed limit (2**32 - 1)."""
    spec = TRICKS["null_factor"]
    index = spec.levels.index(tricks.null_factor)
    if index == spec.levels.index(spec.default):
        return seed
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def fixed_noise(config: dict[str, Any], device: torch.device) -> torch.Tensor:
    generator = torch.Generator().manual_seed(FIXED_NOISE_SEED)
    z, _, _ = sample_latent(
        SAMPLE_GRID,
        config["model"]["latent_dim"],
        run_tricks(config).latent,
        run_tricks(config).infogan,
        "cpu",
        generator=generator,
    )
    return z.to(device)


def config_differences(folder: dict[str, Any], this: dict[str, Any]) -> list[str]:
    """`key: folder has A, this run B` for every setting that differs. The study file's
    path is where the settings came from, not one of them: a moved study file is the same
    run."""
    ignored = ("study_file",)
    return differences(
        {key: value for key, value in folder.items() if key not in ignored},
        {key: value for key, value in this.items() if key not in ignored},
    )


def check_run_folder(paths: RunFolder, config: dict[str, Any]) -> dict[str, Any] | None:
    """run.json when this run already finished; RunConflict, naming every key that differs,
    when the folder holds another run's configuration. Damaged files are set aside, and the
    folder left so that train_run recovers (gan_bench/train/recovery.py)."""
    finished, damaged = recovery.finished_record(paths)
    existing = recovery.folder_config(paths, finished)
    differences = [] if existing is None else config_differences(existing, config_copy(config))
    if differences:
        listed = "".join(f"\n  {line}" for line in differences)
        raise RunConflict(
            f"{paths.config}: this run folder holds a different configuration "
            f"(use another --out or delete the folder):{listed}"
        )
    if damaged is not None:
        recovery.set_damaged_record(paths, damaged)
    if finished is not None and recovery.final_files_whole(paths, finished, config["train"]):
        return finished
    return None


def config_copy(config: dict[str, Any]) -> dict[str, Any]:
    """The config as JSON gives it back (tuples as lists, ...): what config.json holds."""
    return json.loads(json.dumps(config))


def _log_line(state: TrainState, elapsed: float, probe: dict[str, float]) -> dict[str, Any]:
    """One log.jsonl line: the LOGGED means since the last line, then D's probe (d_train,
    d_heldout, d_overfit: gan_bench/train/probe.py), seconds, and info_loss for InfoGAN."""
    means = (state.sums / max(state.count, 1)).tolist()
    record: dict[str, Any] = {"step": state.step}
    for name, value in zip(LOGGED, means, strict=True):
        if name != "info_loss":
            record[name] = value
    record |= probe
    record["seconds"] = round(elapsed, 3)
    if state.discriminator.q_head is not None:
        record["info_loss"] = means[LOGGED.index("info_loss")]
    return record


def _progress_bar(steps: int, initial: int, enabled: bool | None):
    from tqdm.auto import tqdm

    return tqdm(
        total=steps,
        initial=initial,
        disable=None if enabled is None else not enabled,
        unit="step",
        dynamic_ncols=True,
        file=sys.stderr,
    )


def cpu_state_dict(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A module's weights and buffers on the CPU, detached: loadable without the device."""
    return {key: value.detach().cpu() for key, value in module.state_dict().items()}


def write_final_files(
    paths: RunFolder, state: TrainState, config: dict[str, Any], device: torch.device
) -> None:
    """generator.pt, discriminator.pt (with InfoGAN's Q head: the code metrics read it) and
    samples.png from the final weights, and traversals.png for InfoGAN runs."""
    generator = state.generator
    save_torch(paths.generator, cpu_state_dict(generator))
    save_torch(paths.discriminator, cpu_state_dict(state.discriminator))
    generator.eval()
    with torch.no_grad():
        images = generator(fixed_noise(config, device)).float().cpu()
    generator.train()
    low, high = data.model_range(run_tricks(config).g_output)
    grid = ((images - low) / (high - low)).nan_to_num(0.0).clamp(0, 1)
    atomic_write(paths.samples, lambda tmp: save_grid(grid, tmp, nrow=8, padding=2))
    if run_tricks(config).infogan:
        write_traversals(paths.traversals, generator, config, device)


def train_run(
    config: dict[str, Any],
    out_dir: str | Path,
    device: str | torch.device = "auto",
    threads: int = 1,
    progress: bool | None = None,
    dataset: data.ImageData | None = None,
) -> dict[str, Any]:
    """Train one run into `out_dir` (resuming from its checkpoint); returns run.json's content."""
    paths = RunFolder(Path(out_dir))
    finished = check_run_folder(paths, config)
    if finished is not None:
        return finished
    device = device if isinstance(device, torch.device) else resolve_device(device)
    use_threads(threads)
    dataset = dataset or data.load_dataset(config["dataset"])
    train_images, _ = dataset.split("train")
    heldout_images, _ = dataset.split("heldout")
    real = data.to_model_range(train_images, run_tricks(config).g_output).to(device)
    heldout_images = heldout_images[probe_indices(heldout_images.shape[0])]  # D's probe only
    heldout = data.to_model_range(heldout_images, run_tricks(config).g_output).to(device)

    paths.root.mkdir(parents=True, exist_ok=True)
    write_json(paths.config, config)
    seed_everything(stream_seed(config["seed"], run_tricks(config)))
    trainer = Trainer(config, device, real, dataset.channels, heldout)
    state = trainer.new_state()
    payload = recovery.resume_payload(paths, device, config["train"])
    if payload is not None:
        restore(state, payload, device)
        print(f"gan-bench: {paths.root}: resuming at step {state.step}", file=sys.stderr)
    truncate_log(paths.log, state.step)  # drop lines written after the checkpoint
    return run_loop(trainer, state, paths, progress)


def _pace(batch: int, steps: int, seconds: float) -> float:
    """Images per second of `steps` steps in `seconds`."""
    return round(steps * batch / max(seconds, 1e-9), 1)


def run_loop(
    trainer: Trainer, state: TrainState, paths: RunFolder, progress: bool | None
) -> dict[str, Any]:
    config, device = trainer.config, trainer.device
    steps, log_every = config["train"]["steps"], config["train"]["log_every"]
    checkpoint_every = config["train"]["checkpoint_every"]
    start_step, started = state.step, time.perf_counter()
    diverged_at: int | None = None

    def elapsed() -> float:
        return state.elapsed + time.perf_counter() - started

    bar = _progress_bar(steps, state.step, progress)
    with bar, paths.log.open("a", encoding="utf-8") as log:
        while state.step < steps:
            trainer.step(state)
            bar.update(1)
            at_log = state.step % log_every == 0 or state.step == steps
            # the last step is checkpointed too: a run whose final files a scheduler deleted
            # (e.g. Snakemake cleaning up after a kill) is rebuilt without retraining
            at_checkpoint = state.step % checkpoint_every == 0 or state.step == steps
            if at_log or at_checkpoint:
                first_bad = int(state.first_bad.item())  # the only host sync
                if first_bad >= 0:
                    diverged_at = first_bad
                    break
            if at_log:
                record = _log_line(state, elapsed(), trainer.measure_probe(state))
                log.write(json.dumps(record) + "\n")
                log.flush()
                bar.set_postfix(d=f"{record['d_loss']:.3f}", g=f"{record['g_loss']:.3f}")
                state.sums.zero_()
                state.count = 0
            if at_checkpoint:
                save_checkpoint(paths, checkpoint_payload(state, device, elapsed()))
    seconds = elapsed()
    trained = state.step - start_step
    write_final_files(paths, state, config, device)
    result: dict[str, Any] = {
        "status": "completed" if diverged_at is None else "diverged",
        "steps": config["train"]["steps"],
        "step": state.step if diverged_at is None else diverged_at,
        "seconds": round(seconds, 3),
        "images_per_second": _pace(trainer.batch, trained, time.perf_counter() - started)
        if trained
        else _pace(trainer.batch, state.step, seconds),  # rebuilt from its final checkpoint
        "cell": config["cell"],
        "seed": config["seed"],
    }
    if diverged_at is not None:
        result["reason"] = f"loss non-finite or above {DIVERGED_LOSS:g} at step {diverged_at}"
    result |= provenance(device, torch.get_num_threads(), paths.code_diff)
    write_json(paths.run, result)
    return result
