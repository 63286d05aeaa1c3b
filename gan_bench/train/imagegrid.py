"""Sample grids as PNG without torchvision.

torchvision's `make_grid`/`save_image` would do, but importing torchvision costs every train
job 1.5-3 s (it pulls in torch._dynamo through torchvision.ops); a study runs ~100 jobs.
This is the same layout (tiles separated by `padding` black pixels) written through PIL.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image


def grid_image(images: torch.Tensor, nrow: int = 8, padding: int = 2) -> np.ndarray:
    """N x C x H x W floats in [0, 1] -> one uint8 H' x W' (grey) or H' x W' x 3 array."""
    count, channels, height, width = images.shape
    rows = math.ceil(count / nrow)
    grid = torch.zeros(
        channels, rows * (height + padding) + padding, nrow * (width + padding) + padding
    )
    for index in range(count):
        row, col = divmod(index, nrow)
        top, left = padding + row * (height + padding), padding + col * (width + padding)
        grid[:, top : top + height, left : left + width] = images[index]
    pixels = grid.nan_to_num(0.0).clamp(0, 1).mul(255).add(0.5).to(torch.uint8)
    return pixels[0].numpy() if channels == 1 else pixels.permute(1, 2, 0).numpy()


def save_grid(images: torch.Tensor, path: Path, nrow: int = 8, padding: int = 2) -> None:
    Image.fromarray(grid_image(images, nrow, padding)).save(path, format="png")
