"""InfoGAN traversals: one code varied at a time, every other input of G fixed.

traversals.png (gan_bench/folders.py, RunFolder.traversals) holds one panel per continuous
code, side by side with a white gap between them and a one-line label above each. In a
panel, row r is the categorical code r (0..9) and column j the swept continuous code at
SWEEP[j] (from -2 to 2; training draws the codes from [-1, 1], so the outer columns show
how G extrapolates, as in the InfoGAN paper's figures); z is one fixed draw for the whole
file and the code not swept is 0. So along a row only the swept code moves, down a column
only the category does. The same inputs serve the score stage's code metrics
(gan_bench/score/codes.py), so the figure and the numbers describe the same sweeps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from gan_bench.files import atomic_write
from gan_bench.study.tricks import run_tricks
from gan_bench.train import data
from gan_bench.train.imagegrid import grid_image
from gan_bench.train.models import (
    INFOGAN_CATEGORIES,
    INFOGAN_CONTINUOUS,
    Generator,
    code_input,
    sample_latent,
)

SWEEP_LIMIT = 2.0
SWEEP_STEPS = 9  # odd, so the sweep's centre is the code value 0
SWEEP = torch.linspace(-SWEEP_LIMIT, SWEEP_LIMIT, SWEEP_STEPS)
CENTRE = SWEEP_STEPS // 2
TRAVERSAL_SEED = 2718  # the fixed z of every run's traversals.png
PADDING = 2  # black pixels between tiles (gan_bench/train/imagegrid.py's layout)
PANEL_GAP = 10  # white pixels between panels
LABEL_HEIGHT = 14  # white strip above the panels holding their labels
WHITE = 255


def sweep_codes(categories: torch.Tensor, code: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(categories, continuous codes) of a sweep of continuous code `code` over SWEEP for
    each given category, the other codes 0: rows of SWEEP_STEPS, category-major."""
    repeated = categories.long().repeat_interleave(SWEEP_STEPS)
    continuous = torch.zeros(repeated.shape[0], INFOGAN_CONTINUOUS)
    continuous[:, code] = SWEEP.repeat(categories.shape[0])
    return repeated, continuous


def fixed_z(config: dict[str, Any], count: int, seed: int) -> torch.Tensor:
    """`count` draws of z (the run's latent kind) from a generator seeded with `seed`."""
    generator = torch.Generator().manual_seed(seed)
    z, _, _ = sample_latent(
        count, config["model"]["latent_dim"], run_tricks(config).latent, False, "cpu", generator
    )
    return z


@torch.no_grad()
def traversal_images(
    generator: Generator, config: dict[str, Any], device: torch.device | str
) -> torch.Tensor:
    """panels x (categories * SWEEP_STEPS) x C x H x W images in [0, 1], G in eval mode
    (its mode is restored afterwards)."""
    z = fixed_z(config, 1, TRAVERSAL_SEED).expand(INFOGAN_CATEGORIES * SWEEP_STEPS, -1)
    was_training = generator.training
    generator.eval()
    panels = []
    for code in range(INFOGAN_CONTINUOUS):
        categories, continuous = sweep_codes(torch.arange(INFOGAN_CATEGORIES), code)
        images = generator(code_input(z, categories, continuous).to(device)).float().cpu()
        panels.append(images)
    generator.train(was_training)
    low, high = data.model_range(run_tricks(config).g_output)
    return ((torch.stack(panels) - low) / (high - low)).nan_to_num(0.0).clamp(0, 1)


def panel_label(code: int) -> str:
    return f"c{code + 1} from {-SWEEP_LIMIT:g} to {SWEEP_LIMIT:+g}"


def traversal_canvas(panels: torch.Tensor) -> Image.Image:
    """The panels as one labelled image: white strip with labels on top, then the panels'
    tile grids (SWEEP_STEPS columns, one row per category) separated by PANEL_GAP."""
    grids = [grid_image(images, nrow=SWEEP_STEPS, padding=PADDING) for images in panels]
    height, width = grids[0].shape[:2]
    colour = grids[0].ndim == 3
    shape = (LABEL_HEIGHT + height, len(grids) * width + (len(grids) - 1) * PANEL_GAP)
    canvas = np.full(shape + ((3,) if colour else ()), WHITE, dtype=np.uint8)
    for index, grid in enumerate(grids):
        left = index * (width + PANEL_GAP)
        canvas[LABEL_HEIGHT:, left : left + width] = grid
    image = Image.fromarray(canvas)
    draw, font = ImageDraw.Draw(image), ImageFont.load_default()
    for index in range(len(grids)):
        label = panel_label(index)
        text_width = draw.textlength(label, font=font)
        left = index * (width + PANEL_GAP) + max(0.0, (width - text_width) / 2)
        draw.text((left, 1), label, fill=0, font=font)
    return image


def write_traversals(
    path: Path, generator: Generator, config: dict[str, Any], device: torch.device | str
) -> None:
    """traversals.png of an InfoGAN run, written atomically."""
    image = traversal_canvas(traversal_images(generator, config, device))
    atomic_write(path, lambda tmp: image.save(tmp, format="png"))
