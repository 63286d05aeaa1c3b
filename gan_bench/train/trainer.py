"""The training step: non-saturating BCE with every in-loop trick, on the device.

Design points:
- The whole training split lives on the device as one float tensor; batches are indexed.
- No per-step host sync: losses accumulate on the device and are read every `log_every`
  (by gan_bench/train/runner.py, which runs the loop, logs and checkpoints), when D is also
  probed on fixed training and held-out reals (gan_bench/train/probe.py).
- A step never crashes on a non-finite loss: it records the first bad step on the device,
  and the runner turns that into a result (status `diverged`).
The tricks' own arithmetic is in gan_bench/train/losses.py; checkpoints in checkpoint.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F

from gan_bench.study.families import family_of
from gan_bench.study.tricks import run_tricks
from gan_bench.train.losses import (
    adversarial_bce,
    d_targets,
    feature_matching_loss,
    info_loss,
    instance_noise_sigma,
)
from gan_bench.train.models import Discriminator, Generator, build_models, sample_latent
from gan_bench.train.probe import Probe, observed_logits

# Averaged over the steps between log lines. d_loss and g_loss are the optimised totals (with
# InfoGAN's term, or feature matching's loss as G's); d_adv and g_adv are the plain BCE terms
# with hard targets (D: mean of its real and fake terms), comparable across every trick.
LOGGED = ("d_loss", "g_loss", "d_real", "d_fake", "info_loss", "d_adv", "g_adv")
# A run has diverged when a loss is non-finite or beyond this: BCE losses of a working GAN
# stay within tens (a loss of 1e4 needs logits of magnitude 1e4).
DIVERGED_LOSS = 1e4


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
        self,
        config: dict[str, Any],
        device: torch.device,
        real: torch.Tensor,
        channels: int,
        heldout: torch.Tensor | None = None,
    ):
        """`real`: the training split, `heldout`: held-out reals for the probe (None: no d_heldout),
        both float in the model's range, on the device."""
        self.config = config
        self.tricks = run_tricks(config)
        self.train = config["train"]
        self.device = device
        layout = torch.channels_last if self.train["channels_last"] else torch.contiguous_format
        self.real = real.contiguous(memory_format=layout)  # float, model range, on device
        if heldout is not None:
            heldout = heldout.contiguous(memory_format=layout)
        self.probe = Probe(self.real, heldout)
        self.channels = channels
        self.batch = self.train["batch_size"]
        self.latent_dim = config["model"]["latent_dim"]
        self.info_weight = family_of(config["model"]).info_continuous_weight
        self.bf16 = self.train["precision"] == "bf16"

    def autocast(self) -> torch.autocast:
        """bf16 autocast around forward passes and losses (train.precision: bf16); weights,
        optimiser state and backward stay fp32, so no loss scaling is needed."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16)

    def measure_probe(self, state: TrainState) -> dict[str, float]:
        """d_train, d_heldout, d_overfit now (gan_bench/train/probe.py): a host sync."""
        return self.probe.measure(state.discriminator, self.autocast())

    def new_state(self) -> TrainState:
        generator, discriminator = build_models(self.config, self.channels)
        layout = torch.channels_last if self.train["channels_last"] else torch.contiguous_format
        generator.to(self.device, memory_format=layout)
        discriminator.to(self.device, memory_format=layout)
        betas = (self.train["beta1"], self.train["beta2"])
        lr_g, lr_d = (self.train.get(key, self.train["lr"]) for key in ("lr_g", "lr_d"))
        opt_g = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=betas)
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=betas)
        sums = torch.zeros(len(LOGGED), device=self.device)
        first_bad = torch.full((), -1, dtype=torch.long, device=self.device)
        return TrainState(generator, discriminator, opt_g, opt_d, 0, sums, 0, first_bad, 0.0)

    def _latent(self):
        return sample_latent(
            self.batch, self.latent_dim, self.tricks.latent, self.tricks.infogan, self.device
        )

    def _info(self, q_out: torch.Tensor, categories, continuous) -> torch.Tensor:
        return info_loss(q_out.float(), categories, continuous, self.info_weight)

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
            if self.tricks.batch_mode == "mixed":
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
                info = self._info(D.q_head(fake_features.flatten(1)), categories, continuous)
                loss = loss + info
        state.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        state.opt_d.step()
        d_real = torch.sigmoid(real_logits.detach().float()).mean()
        d_fake = torch.sigmoid(fake_logits.detach().float()).mean()
        d_adv = (adversarial_bce(real_logits, 1.0) + adversarial_bce(fake_logits, 0.0)) / 2
        return loss.detach(), d_real, d_fake, info.detach(), d_adv

    def g_step(
        self,
        state: TrainState,
        real: torch.Tensor,
        sigma: float,
        generated: Generated | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One G update on `generated` (the D step's fakes, as in DCGAN) or on fresh samples;
        returns G's loss and its plain adversarial BCE (logged as g_adv)."""
        D = state.discriminator
        fake, categories, continuous = generated or self.generate(state)
        with self.autocast():
            if self.tricks.feature_matching:
                loss, fake_features, logits = self._matching(D, real, fake, sigma)
            else:
                fake_features = D.features(self._noisy(fake, sigma))
                logits = D.logits(fake_features)
                loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
            if D.q_head is not None:
                q_out = D.q_head(fake_features.flatten(1))
                loss = loss + self._info(q_out, categories, continuous)
        state.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        state.opt_g.step()
        return loss.detach(), adversarial_bce(logits, 1.0)

    def _matching(
        self, D: Discriminator, real: torch.Tensor, fake: torch.Tensor, sigma: float
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Feature matching's loss, D's features of the fakes (for the Q head) and D's logits
        on the fakes alone, as the plain G step sees them (logged as g_adv).

        `separate` (feature_matching_stats): real and fake in two passes, so D's BatchNorm
        gives both batches the same per-channel mean and variance; `joint`: one pass over
        both, normalised with joint statistics, plus a logged-only pass over the fakes that
        leaves D untouched (gan_bench/train/probe.py: buffers restored, dropout off).
        """
        fake_in = self._noisy(fake, sigma)
        if self.tricks.feature_matching_stats == "joint":
            # first: restoring D's buffers after the joint pass would break its backward
            logits = observed_logits(D, fake_in.detach())
            features = D.features(torch.cat([fake_in, self._noisy(real, sigma)]))
            fake_features, real_features = features.split([fake.shape[0], real.shape[0]])
        else:
            fake_features = D.features(fake_in)
            with torch.no_grad():
                real_features = D.features(self._noisy(real, sigma))
                logits = D.logits(fake_features)
        loss = feature_matching_loss(real_features.float(), fake_features.float())
        return loss, fake_features, logits

    def step(self, state: TrainState) -> None:
        """One D update and `g_steps` G updates; statistics stay on the device."""
        steps, tricks = self.train["steps"], self.tricks
        sigma = instance_noise_sigma(
            state.step, steps, tricks.instance_noise, tricks.instance_noise_schedule
        )
        index = torch.randint(0, self.real.shape[0], (self.batch,), device=self.device)
        real = self.real[index]
        generated = self.generate(state)
        d_loss, d_real, d_fake, info, d_adv = self.d_step(state, real, generated, sigma)
        D = state.discriminator
        D.requires_grad_(False)  # G's backward needs no D weight gradients
        g_loss, g_adv = self.g_step(state, real, sigma, generated)  # reuses the fakes
        for _ in range(tricks.g_steps - 1):
            loss, adv = self.g_step(state, real, sigma)
            g_loss, g_adv = g_loss + loss, g_adv + adv
        D.requires_grad_(True)
        g_loss, g_adv = g_loss / tricks.g_steps, g_adv / tricks.g_steps
        values = torch.stack([d_loss, g_loss, d_real, d_fake, info, d_adv, g_adv])
        state.sums += values
        state.count += 1
        bad = ~(values[:2].abs() < DIVERGED_LOSS).all() & (state.first_bad < 0)  # NaN too
        state.first_bad = torch.where(
            bad, torch.full_like(state.first_bad, state.step + 1), state.first_bad
        )
        state.step += 1
