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
- the stroke columns (`slant_r_c1` ... `thickness_r_c2`, pixel: gan_bench/score/strokes.py):
  along the same sweeps as code_consistency, each continuous code's |mean Spearman r| with
  the digit's slant and with its stroke thickness.
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
from gan_bench.score import registry, strokes
from gan_bench.score.classifier import Classifier, ScoringError, predict_logits
from gan_bench.study.tricks import run_tricks
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
from gan_bench.train.traversals import CENTRE, SWEEP, SWEEP_STEPS, fixed_z, sweep_codes

CODE_SEED = 6173  # the codes and z of every code metric: same run -> same numbers
R2_SAMPLES = 2000  # code_r2's column names no sample count, so the count is fixed here
BATCH = 500
STROKE_KEYS = {
    registry.stroke_key(measure, code)
    for measure in registry.STROKE_MEASURES
    for code in range(1, registry.STROKE_CODES + 1)
}


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
    latent_dim, kind = config["model"]["latent_dim"], run_tricks(config).latent
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
def _images(
    generator: Generator, g_input: torch.Tensor, g_output: str, device: torch.device | str
) -> list[torch.Tensor]:
    """G's uint8 images of these inputs, in batches of BATCH (G in the mode it is in)."""
    return [
        data.to_uint8(generator(g_input[start : start + BATCH].to(device)).float().cpu(), g_output)
        for start in range(0, g_input.shape[0], BATCH)
    ]


def _classes(classifier: Classifier, batches: list[torch.Tensor]) -> torch.Tensor:
    """The domain CNN's predicted class of these batches of images."""
    return torch.cat([predict_logits(classifier.network, images) for images in batches]).argmax(1)


def sweep_inputs(config: dict[str, Any], draws: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(z, category) of `draws` sweeps, from CODE_SEED: the same draws for every code metric."""
    z = fixed_z(config, draws, CODE_SEED)
    category = torch.randint(
        0, INFOGAN_CATEGORIES, (draws,), generator=torch.Generator().manual_seed(CODE_SEED + 1)
    )
    return z, category


@torch.no_grad()
def sweep_images(
    generator: Generator,
    config: dict[str, Any],
    draws: int,
    device: torch.device | str = "cpu",
) -> list[list[torch.Tensor]]:
    """Per continuous code, the uint8 images (in batches of BATCH) of `draws` sweeps of it
    over SWEEP at each draw's category, the other code 0 (G in eval mode): draw-major, each
    draw's SWEEP_STEPS images in a row."""
    was_training = generator.training
    generator.eval()
    z, category = sweep_inputs(config, draws)
    z_swept = z.repeat_interleave(SWEEP_STEPS, dim=0)
    along = []
    for code in range(INFOGAN_CONTINUOUS):
        categories, continuous = sweep_codes(category, code)
        g_input = code_input(z_swept, categories, continuous)
        along.append(_images(generator, g_input, run_tricks(config).g_output, device))
    generator.train(was_training)
    return along


@torch.no_grad()
def sweeps(
    generator: Generator,
    classifier: Classifier,
    config: dict[str, Any],
    draws: int,
    device: torch.device | str = "cpu",
    along: list[list[torch.Tensor]] | None = None,
) -> Sweeps:
    """Classes of `draws` sweeps: each draw's image under every category (codes 0), and
    along each continuous code's SWEEP at the draw's category (G in eval mode); `along`:
    sweep_images' images of the same draws, when the caller has them already."""
    if along is None or sum(len(batch) for batch in along[0]) != draws * SWEEP_STEPS:
        along = sweep_images(generator, config, draws, device)
    was_training = generator.training
    generator.eval()
    z, category = sweep_inputs(config, draws)
    every = torch.arange(INFOGAN_CATEGORIES).repeat(draws)
    z_every = z.repeat_interleave(INFOGAN_CATEGORIES, dim=0)
    zeros = torch.zeros(every.shape[0], INFOGAN_CONTINUOUS)
    g_input = code_input(z_every, every, zeros)
    by_category = _classes(
        classifier, _images(generator, g_input, run_tricks(config).g_output, device)
    )
    generator.train(was_training)
    shape = (draws, SWEEP_STEPS)
    return Sweeps(
        category,
        by_category.view(draws, INFOGAN_CATEGORIES),
        torch.stack([_classes(classifier, images).view(shape) for images in along], dim=1),
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


def stroke_scores(
    generator: Generator,
    config: dict[str, Any],
    columns: list[registry.MetricColumn],
    device: torch.device | str = "cpu",
    along: list[list[torch.Tensor]] | None = None,
) -> dict[str, float]:
    """The stroke columns among `columns` (slant_r_c1_pixel_<N>, ...): each continuous
    code's strokes.sweep_correlation with the digit's slant and thickness, along the
    sweep_draws(N) sweeps of code_consistency (`along`: sweep_images' images of them, when
    the caller has them already)."""
    planned = {c.metric.key: c for c in columns if c.metric.key in STROKE_KEYS}
    if not planned:
        return {}
    draws = sweep_draws(next(iter(planned.values())).samples)
    if along is None or sum(len(batch) for batch in along[0]) != draws * SWEEP_STEPS:
        along = sweep_images(generator, config, draws, device)
    per_code = [torch.cat(batches).numpy() for batches in along]
    images = np.stack([i.reshape(draws, SWEEP_STEPS, *i.shape[1:]) for i in per_code], axis=1)
    found = strokes.stroke_correlations(images, SWEEP.numpy())
    values = {}
    for measure, correlations in found.items():
        for code, value in enumerate(correlations, start=1):
            key = registry.stroke_key(measure, code)
            if key in planned:
                values[planned[key].name] = value
    return values


def code_scores(
    config: dict[str, Any],
    paths: RunFolder,
    classifier: Classifier | None,
    channels: int,
    columns: list[registry.MetricColumn],
    device: torch.device | str = "cpu",
) -> dict[str, float]:
    """The planned code columns of an InfoGAN run (code_r2, code_consistency_cnn_<N>, the
    stroke correlations slant_r_c1_pixel_<N>, ...), under their registry names; a column
    that is not planned is not computed."""
    planned = {c.metric.key: c for c in columns}
    wanted_r2 = "code_r2" in planned
    wanted_sweeps = "code_consistency" in planned and classifier is not None
    wanted_strokes = bool(STROKE_KEYS & set(planned))
    if not (wanted_r2 or wanted_sweeps or wanted_strokes):
        return {}
    generator, discriminator = load_networks(config, paths, channels, torch.device(device))
    values: dict[str, float] = {}
    if wanted_r2:
        r2 = float("nan")
        if discriminator is not None:
            r2 = code_r2(generator, discriminator, config, device)
        values[planned["code_r2"].name] = r2
    along = None  # the sweeps' images, shared by consistency and strokes (same draws)
    if wanted_sweeps:
        column = planned["code_consistency"]
        along = sweep_images(generator, config, sweep_draws(column.samples), device)
        found = sweeps(generator, classifier, config, sweep_draws(column.samples), device, along)
        values[column.name] = consistency(found)
    if wanted_strokes:
        values |= stroke_scores(generator, config, columns, device, along)
    return values
