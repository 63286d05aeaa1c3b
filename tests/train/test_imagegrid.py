"""Sample grids: the same layout as torchvision's make_grid, written without torchvision."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.utils import make_grid

from gan_bench.train.imagegrid import grid_image, save_grid


@pytest.mark.parametrize("channels", [1, 3])
def test_grid_matches_torchvision_make_grid(channels):
    images = torch.rand(64, channels, 16, 16, generator=torch.Generator().manual_seed(0))
    ours = grid_image(images, nrow=8, padding=2)
    theirs = make_grid(images, nrow=8, padding=2).mul(255).add(0.5).clamp(0, 255).byte()
    theirs = theirs.permute(1, 2, 0).numpy()
    if channels == 1:  # make_grid repeats grey to RGB; we keep one channel
        theirs = theirs[..., 0]
    assert ours.shape == theirs.shape and np.array_equal(ours, theirs)


def test_saved_grid_is_a_png_of_the_grid(tmp_path):
    images = torch.rand(10, 1, 8, 8)
    save_grid(images, tmp_path / "g.png", nrow=4, padding=1)
    with Image.open(tmp_path / "g.png") as png:
        assert png.format == "PNG" and png.size == (4 * 9 + 1, 3 * 9 + 1)
        assert np.array_equal(np.asarray(png), grid_image(images, nrow=4, padding=1))
