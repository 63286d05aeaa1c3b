"""InfoGAN's code metrics: does Q recover the continuous codes, and do the codes do what
InfoGAN says (the categorical code picks the class, a continuous code changes the style but
not the class)?

- `code_r2` (a TRAINING column: measured with the run's own final D and Q head,
  discriminator.pt): G's samples from known codes (drawn as in training, U(-1, 1)), Q's
  continuous outputs against those codes, R^2 per code, mean over codes. NaN for a run saved
  before discriminator.pt existed, never an error.
- `code_consistency` (domain CNN): per draw of (z, category) with the continuous codes at 0,
  each continuous code is swept over gan_bench/train/traversals.py's SWEEP (the sweep of
  traversals.png) with the other code 0; the metric is the share of the sweep's other points
  whose predicted class equals the class at its centre, over every draw and code.
- `change_rates`: how often changing the categorical code (to each other value) changes the
  predicted class, against how often moving a continuous code along its sweep does
  (1 - consistency). A learnt categorical code changes the class far more often.
All draws come from CODE_SEED, so scoring the same run twice gives the same numbers.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from sklearn.metrics import r2_score

from gan_bench.files import load_torch
from gan_bench.folders import RunFolder
from gan_bench.score import registry
from gan_bench.score.classifier import Classifier, ScoringError, predict_logits
from gan_bench.train import data
from gan_bench.train.models import (
    INFOGAN_CATEGORIES,
    INFOGAN_CONTINUOUS,
    Discriminator,
    Generator,
    build_models,
    code_input,
    sample_latent,
)
from gan_bench.train.traversals import CENTRE, SWEEP_STEPS, fixed_z, sweep_codes

CODE_SEED = 6173  # the codes and z of every code metric: same run -> same numbers
R2_SAMPLES = 2000  # code_r2's column names no sample count, so the count is fixed here
BATCH = 500


class Sweeps(NamedTuple):
    """The domain CNN's class of the images of `draws` sweeps (see the module docstring)."""

    category: torch.Tensor  # draws: the draw's categorical code
    by_category: torch.Tensor  # draws x categories: continuous codes 0, each category
    along: torch.Tensor  # draws x continuous codes x SWEEP_STEPS: the draw's category

    @property
    def centre(self) -> torch.Tensor:
        """The class of each draw's own image (its category, continuous codes 0)."""
        return self.by_category.gather(1, self.category[:, None])[:, 0]


# --------------------------------------------------------------------------- weights


def load_weights(module: torch.nn.Module, path: Path, what: str) -> None:
    """`path`'s state dict into `module`; ScoringError naming the file when it cannot."""
    try:
        module.load_state_dict(load_torch(path))
    except Exception as error:  # noqa: BLE001 - a wrong or truncated file is bad input
        raise ScoringError(f"{path}: cannot load {what} weights: {error}") from None


def load_networks(
    config: dict[str, Any], paths: RunFolder, channels: int, device: torch.device
) -> tuple[Generator, Discriminator | None]:
    """The run's final G and D (with the Q head) in eval mode on `device`; D is None when
    the run folder has no discriminator.pt (runs trained before it was saved)."""
    if not paths.generator.is_file():
        raise ScoringError(f"{paths.generator}: not found (the run's final generator weights)")
    generator, discriminator = build_models(config, channels)
    load_weights(generator, paths.generator, "generator")
    generator.to(device).eval()
    if not paths.discriminator.is_file():
        return generator, None
    load_weights(discriminator, paths.discriminator, "discriminator")
    return generator, discriminator.to(device).eval()


# --------------------------------------------------------------------------- code_r2


@torch.no_grad()
def code_r2(
    generator: Generator,
    discriminator: Discriminator,
    config: dict[str, Any],
    device: torch.device | str = "cpu",
    count: int = R2_SAMPLES,
) -> float:
    """Mean over the continuous codes of R^2(code, Q's estimate) on `count` samples."""
    if discriminator.q_head is None:
        raise ScoringError("code_r2: the discriminator has no Q head (not an InfoGAN run)")
    noise = torch.Generator().manual_seed(CODE_SEED)
    latent_dim, kind = config["model"]["latent_dim"], config["tricks"]["latent"]
    codes, estimates = [], []
    for start in range(0, count, BATCH):
        z, _, continuous = sample_latent(
            min(BATCH, count - start), latent_dim, kind, True, "cpu", noise
        )
        features = discriminator.features(generator(z.to(device)).float())
        estimates.append(discriminator.q_head(features.flatten(1))[:, INFOGAN_CATEGORIES:].cpu())
        codes.append(continuous)
    truth, guess = torch.cat(codes).double().numpy(), torch.cat(estimates).double().numpy()
    return float(np.mean([r2_score(truth[:, k], guess[:, k]) for k in range(truth.shape[1])]))


# --------------------------------------------------------------------------- sweeps


@torch.no_grad()
def _classes(
    generator: Generator,
    classifier: Classifier,
    g_input: torch.Tensor,
    g_output: str,
    device: torch.device | str,
) -> torch.Tensor:
    """The domain CNN's predicted class of G's images of these inputs."""
    parts = []
    for start in range(0, g_input.shape[0], BATCH):
        images = generator(g_input[start : start + BATCH].to(device)).float().cpu()
        parts.append(predict_logits(classifier.network, data.to_uint8(images, g_output)))
    return torch.cat(parts).argmax(1)


def sweeps(
    generator: Generator,
    classifier: Classifier,
    config: dict[str, Any],
    draws: int,
    device: torch.device | str = "cpu",
) -> Sweeps:
    """Classes of `draws` sweeps: each draw's image under every category (codes 0), and
    along each continuous code's SWEEP at the draw's category (G in eval mode)."""
    was_training = generator.training
    generator.eval()
    z = fixed_z(config, draws, CODE_SEED)
    category = torch.randint(
        0, INFOGAN_CATEGORIES, (draws,), generator=torch.Generator().manual_seed(CODE_SEED + 1)
    )
    g_output = config["tricks"]["g_output"]
    every = torch.arange(INFOGAN_CATEGORIES).repeat(draws)
    z_every = z.repeat_interleave(INFOGAN_CATEGORIES, dim=0)
    zeros = torch.zeros(every.shape[0], INFOGAN_CONTINUOUS)
    g_input = code_input(z_every, every, zeros)
    by_category = _classes(generator, classifier, g_input, g_output, device)
    z_swept = z.repeat_interleave(SWEEP_STEPS, dim=0)
    along = []
    for code in range(INFOGAN_CONTINUOUS):
        categories, continuous = sweep_codes(category, code)
        g_input = code_input(z_swept, categories, continuous)
        along.append(_classes(generator, classifier, g_input, g_output, device))
    generator.train(was_training)
    shape = (draws, SWEEP_STEPS)
    return Sweeps(
        category,
        by_category.view(draws, INFOGAN_CATEGORIES),
        torch.stack([a.view(shape) for a in along], dim=1),
    )


def consistency(found: Sweeps) -> float:
    """Share of sweep points (the centre itself left out) classed like the sweep's centre."""
    off_centre = [step for step in range(SWEEP_STEPS) if step != CENTRE]
    same = found.along[:, :, off_centre] == found.centre[:, None, None]
    return float(same.float().mean())


class ChangeRates(NamedTuple):
    categorical: float  # share of (draw, other category) pairs whose class differs
    continuous: float  # share of off-centre sweep points whose class differs


def change_rates(found: Sweeps) -> ChangeRates:
    """How often a change of the categorical code changes the predicted class, against how
    often moving a continuous code along its sweep does."""
    others = torch.ones_like(found.by_category, dtype=torch.bool)
    others.scatter_(1, found.category[:, None], False)
    differs = found.by_category != found.centre[:, None]
    categorical = float(differs[others].float().mean())
    return ChangeRates(categorical, 1.0 - consistency(found))


def sweep_draws(count: int) -> int:
    """Sweeps for a column of `count` samples: about `count` images per continuous code."""
    return max(1, math.ceil(count / SWEEP_STEPS))


# --------------------------------------------------------------------------- scorer


def code_scores(
    config: dict[str, Any],
    paths: RunFolder,
    classifier: Classifier | None,
    channels: int,
    columns: list[registry.MetricColumn],
    device: torch.device | str = "cpu",
) -> dict[str, float]:
    """The planned code columns of an InfoGAN run (code_r2, code_consistency_cnn_<N>),
    under their registry names; a column that is not planned is not computed."""
    planned = {c.metric.key: c for c in columns}
    wanted_r2 = "code_r2" in planned
    wanted_sweeps = "code_consistency" in planned and classifier is not None
    if not (wanted_r2 or wanted_sweeps):
        return {}
    generator, discriminator = load_networks(config, paths, channels, torch.device(device))
    values: dict[str, float] = {}
    if wanted_r2:
        r2 = float("nan")
        if discriminator is not None:
            r2 = code_r2(generator, discriminator, config, device)
        values[planned["code_r2"].name] = r2
    if wanted_sweeps:
        column = planned["code_consistency"]
        found = sweeps(generator, classifier, config, sweep_draws(column.samples), device)
        values[column.name] = consistency(found)
    return values
