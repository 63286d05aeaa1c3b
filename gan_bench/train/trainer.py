"""The training loop: non-saturating BCE with every in-loop trick, resumable bit for bit.

Design points:
- The whole training split lives on the device as one float tensor; batches are indexed.
- No per-step host sync: losses accumulate on the device and are read every `log_every`.
- `checkpoint.pt` holds models, optimisers, every RNG state, the log accumulators and the
  step, so a killed run resumed from it ends with the same generator as an unbroken one.
- A non-finite loss is a result (status `diverged`), not a crash.
"""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from gan_bench.errors import BadInput
from gan_bench.files import (
    RunPaths,
    atomic_write,
    read_json,
    save_torch,
    truncate_log,
    write_json,
)
from gan_bench.provenance import provenance
from gan_bench.train import data
from gan_bench.train.imagegrid import save_grid
from gan_bench.train.models import (
    INFOGAN_CATEGORIES,
    Discriminator,
    Generator,
    build_models,
    sample_latent,
)

CHECKPOINT_FORMAT = 1
SAMPLE_GRID = 64  # samples.png: an 8x8 grid
FIXED_NOISE_SEED = 1234  # the same noise for every run, so grids compare across cells
INFO_CONTINUOUS_WEIGHT = 0.1
LOGGED = ("d_loss", "g_loss", "d_real", "d_fake", "info_loss")
# A run has diverged when a loss is non-finite or beyond this: BCE losses of a working GAN
# stay within tens (a loss of 1e4 needs logits of magnitude 1e4).
DIVERGED_LOSS = 1e4


class RunConflict(BadInput):
    """The run folder belongs to a different configuration."""


# --------------------------------------------------------------------------- the tricks


def instance_noise_sigma(step: int, steps: int, sigma0: float) -> float:
    """Linear anneal: sigma0 at step 0, 0 at the last step."""
    if sigma0 <= 0 or steps <= 1:
        return 0.0 if steps > 1 else float(sigma0)
    return sigma0 * max(0.0, 1.0 - step / (steps - 1))


def d_targets(
    batch: int, tricks: dict[str, Any], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Targets for D on real and fake batches: smoothing, noise and flips as configured.

    Random numbers are drawn only for active tricks, so a baseline run's random stream does
    not depend on tricks it does not use.
    """
    real = torch.full((batch,), float(tricks["label_smoothing"]), device=device)
    fake = torch.zeros(batch, device=device)
    noise = tricks["label_noise"]
    if noise > 0:
        real = real - noise * torch.rand(batch, device=device)
        fake = fake + noise * torch.rand(batch, device=device)
    flip = tricks["label_flip"]
    if flip > 0:
        flip_real = torch.rand(batch, device=device) < flip
        flip_fake = torch.rand(batch, device=device) < flip
        real, fake = torch.where(flip_real, fake, real), torch.where(flip_fake, real, fake)
    return real.clamp(0, 1), fake.clamp(0, 1)


def info_loss(
    q_out: torch.Tensor, categories: torch.Tensor, continuous: torch.Tensor
) -> torch.Tensor:
    """InfoGAN's mutual-information lower bound as a loss: CE on the categorical code plus
    a unit-variance Gaussian NLL (MSE) on the continuous codes."""
    categorical = F.cross_entropy(q_out[:, :INFOGAN_CATEGORIES], categories)
    gaussian = F.mse_loss(q_out[:, INFOGAN_CATEGORIES:], continuous)
    return categorical + INFO_CONTINUOUS_WEIGHT * gaussian


def feature_matching_loss(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """Mean squared distance between the batch means of D's penultimate features."""
    return (real_features.flatten(1).mean(0) - fake_features.flatten(1).mean(0)).pow(2).mean()


# --------------------------------------------------------------------------- the loop


class Generated(NamedTuple):
    """A batch from G with the InfoGAN codes that made it (None without InfoGAN)."""

    images: torch.Tensor
    categories: torch.Tensor | None
    continuous: torch.Tensor | None


@dataclass
class TrainState:
    """Everything that changes during training (and so goes into a checkpoint)."""

    generator: Generator
    discriminator: Discriminator
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    step: int  # steps completed
    sums: torch.Tensor  # on-device sums of LOGGED since the last log line
    count: int  # steps in `sums`
    first_bad: torch.Tensor  # on-device: first step with a non-finite loss, -1 if none
    elapsed: float  # training seconds before this process


class Trainer:
    """One run: a config, a device and the training split on it."""

    def __init__(
        self, config: dict[str, Any], device: torch.device, real: torch.Tensor, channels: int
    ):
        self.config = config
        self.tricks = config["tricks"]
        self.train = config["train"]
        self.device = device
        layout = torch.channels_last if self.train["channels_last"] else torch.contiguous_format
        self.real = real.contiguous(memory_format=layout)  # float, model range, on device
        self.channels = channels
        self.batch = self.train["batch_size"]
        self.latent_dim = config["model"]["latent_dim"]
        self.bf16 = self.train["precision"] == "bf16"

    def autocast(self) -> torch.autocast:
        """bf16 autocast around forward passes and losses (train.precision: bf16); weights,
        optimiser state and backward stay fp32, so no loss scaling is needed."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16)

    def new_state(self) -> TrainState:
        generator, discriminator = build_models(self.config, self.channels)
        layout = torch.channels_last if self.train["channels_last"] else torch.contiguous_format
        generator.to(self.device, memory_format=layout)
        discriminator.to(self.device, memory_format=layout)
        betas = (self.train["beta1"], self.train["beta2"])
        opt_g = torch.optim.Adam(generator.parameters(), lr=self.train["lr"], betas=betas)
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=self.train["lr"], betas=betas)
        sums = torch.zeros(len(LOGGED), device=self.device)
        first_bad = torch.full((), -1, dtype=torch.long, device=self.device)
        return TrainState(generator, discriminator, opt_g, opt_d, 0, sums, 0, first_bad, 0.0)

    def _latent(self):
        return sample_latent(
            self.batch, self.latent_dim, self.tricks["latent"], self.tricks["infogan"], self.device
        )

    def _noisy(self, images: torch.Tensor, sigma: float) -> torch.Tensor:
        return images + sigma * torch.randn_like(images) if sigma > 0 else images

    def generate(self, state: TrainState) -> Generated:
        z, categories, continuous = self._latent()
        with self.autocast():
            images = state.generator(z)
        return Generated(images, categories, continuous)

    def d_step(
        self, state: TrainState, real: torch.Tensor, generated: Generated, sigma: float
    ) -> tuple[torch.Tensor, ...]:
        D = state.discriminator
        fake, categories, continuous = generated.images.detach(), *generated[1:]
        real_t, fake_t = d_targets(self.batch, self.tricks, self.device)
        real_in, fake_in = self._noisy(real, sigma), self._noisy(fake, sigma)
        with self.autocast():
            if self.tricks["batch_mode"] == "mixed":
                features = D.features(torch.cat([real_in, fake_in]))
                real_logits, fake_logits = D.logits(features).split(self.batch)
                fake_features = features[self.batch :]
            else:
                real_logits = D(real_in)
                fake_features = D.features(fake_in)
                fake_logits = D.logits(fake_features)
            loss = F.binary_cross_entropy_with_logits(
                real_logits, real_t
            ) + F.binary_cross_entropy_with_logits(fake_logits, fake_t)
            info = torch.zeros((), device=self.device)
            if D.q_head is not None:
                info = info_loss(D.q_head(fake_features.flatten(1)), categories, continuous)
                loss = loss + info
        state.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        state.opt_d.step()
        d_real = torch.sigmoid(real_logits.detach().float()).mean()
        d_fake = torch.sigmoid(fake_logits.detach().float()).mean()
        return loss.detach(), d_real, d_fake, info.detach()

    def g_step(
        self,
        state: TrainState,
        real: torch.Tensor,
        sigma: float,
        generated: Generated | None = None,
    ) -> torch.Tensor:
        """One G update on `generated` (the D step's fakes, as in DCGAN) or on fresh samples."""
        D = state.discriminator
        fake, categories, continuous = generated or self.generate(state)
        with self.autocast():
            fake_features = D.features(self._noisy(fake, sigma))
            if self.tricks["feature_matching"]:
                with torch.no_grad():
                    real_features = D.features(self._noisy(real, sigma))
                loss = feature_matching_loss(real_features.float(), fake_features.float())
            else:
                logits = D.logits(fake_features)
                loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
            if D.q_head is not None:
                q_out = D.q_head(fake_features.flatten(1))
                loss = loss + info_loss(q_out, categories, continuous)
        state.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        state.opt_g.step()
        return loss.detach()

    def step(self, state: TrainState) -> None:
        """One D update and `g_steps` G updates; statistics stay on the device."""
        steps = self.train["steps"]
        sigma = instance_noise_sigma(state.step, steps, self.tricks["instance_noise"])
        index = torch.randint(0, self.real.shape[0], (self.batch,), device=self.device)
        real = self.real[index]
        generated = self.generate(state)
        d_loss, d_real, d_fake, info = self.d_step(state, real, generated, sigma)
        D = state.discriminator
        D.requires_grad_(False)  # G's backward needs no D weight gradients
        g_loss = self.g_step(state, real, sigma, generated)  # reuses the fakes: one G forward
        for _ in range(self.tricks["g_steps"] - 1):
            g_loss = g_loss + self.g_step(state, real, sigma)
        D.requires_grad_(True)
        g_loss = g_loss / self.tricks["g_steps"]
        values = torch.stack([d_loss, g_loss, d_real, d_fake, info])
        state.sums += values
        state.count += 1
        bad = ~(values[:2].abs() < DIVERGED_LOSS).all() & (state.first_bad < 0)  # NaN too
        state.first_bad = torch.where(
            bad, torch.full_like(state.first_bad, state.step + 1), state.first_bad
        )
        state.step += 1


# --------------------------------------------------------------------------- checkpoints


def _rng_state(device: torch.device) -> dict[str, Any]:
    state = {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
    }
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any], device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state_all(state["cuda"])


def checkpoint_payload(state: TrainState, device: torch.device, elapsed: float) -> dict[str, Any]:
    return {
        "format": CHECKPOINT_FORMAT,
        "step": state.step,
        "generator": state.generator.state_dict(),
        "discriminator": state.discriminator.state_dict(),
        "opt_g": state.opt_g.state_dict(),
        "opt_d": state.opt_d.state_dict(),
        "rng": _rng_state(device),
        "sums": state.sums,
        "count": state.count,
        "first_bad": state.first_bad,
        "elapsed": elapsed,
    }


def save_checkpoint(paths: RunPaths, payload: dict[str, Any]) -> None:
    """Write the new checkpoint atomically, keeping the previous one as a fallback."""
    if paths.checkpoint.exists():
        paths.checkpoint.replace(paths.previous_checkpoint)
    save_torch(paths.checkpoint, payload)


def load_checkpoint(paths: RunPaths, device: torch.device) -> dict[str, Any] | None:
    """The newest readable checkpoint, or None. Unreadable files are reported and skipped."""
    for path in (paths.checkpoint, paths.previous_checkpoint):
        if not path.exists():
            continue
        try:
            payload = torch.load(path, map_location=device, weights_only=False)
            if payload.get("format") != CHECKPOINT_FORMAT or "step" not in payload:
                raise ValueError("unknown checkpoint format")
            return payload
        except Exception as error:  # noqa: BLE001 - any unreadable file means: fall back
            print(f"gan-bench: {path} is unreadable ({error}); falling back", file=sys.stderr)
    return None


def restore(state: TrainState, payload: dict[str, Any], device: torch.device) -> None:
    state.generator.load_state_dict(payload["generator"])
    state.discriminator.load_state_dict(payload["discriminator"])
    state.opt_g.load_state_dict(payload["opt_g"])
    state.opt_d.load_state_dict(payload["opt_d"])
    state.step = payload["step"]
    state.sums = payload["sums"].to(device)
    state.count = payload["count"]
    state.first_bad = payload["first_bad"].to(device)
    state.elapsed = payload["elapsed"]
    _set_rng_state(payload["rng"], device)


# --------------------------------------------------------------------------- a whole run


def resolve_device(requested: str) -> torch.device:
    """auto -> cuda when present, else cpu; cuda without a GPU is an error."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device: cuda was asked for but no CUDA device is available")
    return torch.device(requested)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def fixed_noise(config: dict[str, Any], device: torch.device) -> torch.Tensor:
    generator = torch.Generator().manual_seed(FIXED_NOISE_SEED)
    z, _, _ = sample_latent(
        SAMPLE_GRID,
        config["model"]["latent_dim"],
        config["tricks"]["latent"],
        config["tricks"]["infogan"],
        "cpu",
        generator=generator,
    )
    return z.to(device)


def check_run_folder(paths: RunPaths, config: dict[str, Any]) -> dict[str, Any] | None:
    """run.json when this run already finished; RunConflict when the folder is another run's."""
    if paths.config.exists():
        existing = read_json(paths.config)
        if existing != json.loads(json.dumps(config)):
            raise RunConflict(
                f"{paths.config}: this run folder holds a different configuration; "
                "use another --out or delete the folder"
            )
    if paths.run.exists():
        finished = read_json(paths.run)
        if finished.get("status") in ("completed", "diverged"):
            return finished
    return None


def _log_line(state: TrainState, elapsed: float) -> dict[str, Any]:
    means = (state.sums / max(state.count, 1)).tolist()
    record: dict[str, Any] = {"step": state.step}
    for name, value in zip(LOGGED, means, strict=True):
        if name != "info_loss":
            record[name] = value
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


def write_final_files(
    paths: RunPaths, state: TrainState, config: dict[str, Any], device: torch.device
) -> None:
    """generator.pt and samples.png from the final weights."""
    generator = state.generator
    cpu_state = {key: value.detach().cpu() for key, value in generator.state_dict().items()}
    save_torch(paths.generator, cpu_state)
    generator.eval()
    with torch.no_grad():
        images = generator(fixed_noise(config, device)).float().cpu()
    generator.train()
    low, high = data.model_range(config["tricks"]["g_output"])
    grid = ((images - low) / (high - low)).nan_to_num(0.0).clamp(0, 1)
    atomic_write(paths.samples, lambda tmp: save_grid(grid, tmp, nrow=8, padding=2))


def train_run(
    config: dict[str, Any],
    out_dir: str | Path,
    device: str | torch.device = "auto",
    threads: int = 1,
    progress: bool | None = None,
    dataset: data.ImageData | None = None,
) -> dict[str, Any]:
    """Train one run into `out_dir` (resuming from its checkpoint); returns run.json's content."""
    paths = RunPaths(Path(out_dir))
    finished = check_run_folder(paths, config)
    if finished is not None:
        return finished
    device = device if isinstance(device, torch.device) else resolve_device(device)
    torch.set_num_threads(threads)
    dataset = dataset or data.load_dataset(config["dataset"])
    train_images, _ = dataset.split("train")
    real = data.to_model_range(train_images, config["tricks"]["g_output"]).to(device)

    paths.root.mkdir(parents=True, exist_ok=True)
    write_json(paths.config, config)
    seed_everything(config["seed"])
    trainer = Trainer(config, device, real, dataset.channels)
    state = trainer.new_state()
    payload = load_checkpoint(paths, device)
    if payload is not None:
        restore(state, payload, device)
        print(f"gan-bench: {paths.root}: resuming at step {state.step}", file=sys.stderr)
    truncate_log(paths.log, state.step)  # drop lines written after the checkpoint
    return run_loop(trainer, state, paths, progress)


def run_loop(
    trainer: Trainer, state: TrainState, paths: RunPaths, progress: bool | None
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
                record = _log_line(state, elapsed())
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
        "images_per_second": round(
            trained * trainer.batch / max(time.perf_counter() - started, 1e-9), 1
        ),
        "cell": config["cell"],
        "seed": config["seed"],
    }
    if diverged_at is not None:
        result["reason"] = f"loss non-finite or above {DIVERGED_LOSS:g} at step {diverged_at}"
    result |= provenance(device, torch.get_num_threads())
    write_json(paths.run, result)
    return result
