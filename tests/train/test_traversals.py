"""traversals.png: the grid's shape read back from the image size, what each tile's inputs
are (only the swept code moves along a row, only the category down a column), and G's mode
left as it was."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import infogan_config
from PIL import Image

from gan_bench.folders import RunFolder
from gan_bench.train.models import INFOGAN_CATEGORIES, INFOGAN_CONTINUOUS
from gan_bench.train.traversals import (
    CENTRE,
    LABEL_HEIGHT,
    PADDING,
    PANEL_GAP,
    SWEEP,
    SWEEP_STEPS,
    WHITE,
    sweep_codes,
    traversal_canvas,
    traversal_images,
    write_traversals,
)


class EchoGenerator(torch.nn.Module):
    """A stand-in G whose image shows its input: pixel k in reading order is input k
    (clamped to tanh's range)."""

    def __init__(self, channels: int = 1, size: int = 16):
        super().__init__()
        self.channels, self.size = channels, size

    def forward(self, g_input: torch.Tensor) -> torch.Tensor:
        images = torch.zeros(g_input.shape[0], self.channels, self.size * self.size)
        images[:, :, : g_input.shape[1]] = g_input[:, None, :].clamp(-1, 1)
        return images.view(-1, self.channels, self.size, self.size)


def grid_shape(path, image_size: int) -> tuple[int, int, int]:
    """(panels, rows, columns) of a traversals.png, from its size and its white gaps."""
    pixels = np.asarray(Image.open(path).convert("L"))
    body = pixels[LABEL_HEIGHT:]
    white = (body == WHITE).all(axis=0)
    starts = np.flatnonzero(np.diff(white.astype(int)) == -1) + 1  # white -> panel
    panels = 1 + len(starts)
    width = (pixels.shape[1] - (panels - 1) * PANEL_GAP) // panels
    tile = image_size + PADDING
    assert (width - PADDING) % tile == 0 and (body.shape[0] - PADDING) % tile == 0
    return panels, (body.shape[0] - PADDING) // tile, (width - PADDING) // tile


def test_trained_infogan_run_writes_the_traversal_grid(infogan_run):
    path = RunFolder(infogan_run).traversals
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert grid_shape(path, 16) == (INFOGAN_CONTINUOUS, INFOGAN_CATEGORIES, SWEEP_STEPS)


def test_sweep_moves_one_code_over_minus_two_to_two():
    categories, continuous = sweep_codes(torch.tensor([3, 7]), code=1)
    assert categories.tolist() == [3] * SWEEP_STEPS + [7] * SWEEP_STEPS
    assert torch.equal(continuous[:, 1], SWEEP.repeat(2)) and not continuous[:, 0].any()
    assert (SWEEP[0], SWEEP[CENTRE], SWEEP[-1]) == (-2.0, 0.0, 2.0)


def test_rows_are_categories_columns_the_sweep_and_z_is_fixed():
    config = infogan_config()
    latent = config["model"]["latent_dim"]
    panels = traversal_images(EchoGenerator(), config, "cpu")
    assert panels.shape == (INFOGAN_CONTINUOUS, INFOGAN_CATEGORIES * SWEEP_STEPS, 1, 16, 16)
    echoed = panels[:, :, 0].flatten(2) * 2 - 1  # back to G's input (tanh range)
    z, one_hot = echoed[..., :latent], echoed[..., latent : latent + INFOGAN_CATEGORIES]
    codes = echoed[..., latent + INFOGAN_CATEGORIES : latent + INFOGAN_CATEGORIES + 2]
    assert torch.allclose(z, z[0, :1].expand_as(z), atol=1e-6)  # one z for the whole file
    rows = torch.arange(INFOGAN_CATEGORIES).repeat_interleave(SWEEP_STEPS)
    assert torch.equal(one_hot.argmax(-1), rows.expand(INFOGAN_CONTINUOUS, -1))
    for code in range(INFOGAN_CONTINUOUS):
        swept = SWEEP.clamp(-1, 1).repeat(INFOGAN_CATEGORIES)  # the echo clamps to [-1, 1]
        assert torch.allclose(codes[code, :, code], swept)
        assert not codes[code, :, 1 - code].any()  # the other code stays 0


def test_generator_mode_is_restored():
    generator = EchoGenerator()
    traversal_images(generator, infogan_config(), "cpu")
    assert generator.training
    generator.eval()
    traversal_images(generator, infogan_config(), "cpu")
    assert not generator.training


@pytest.mark.parametrize(("channels", "size"), [(1, 16), (3, 32)])
def test_canvas_size_follows_the_layout(tmp_path, channels, size):
    path = tmp_path / "traversals.png"
    config = infogan_config()
    config["tricks"]["g_output"] = "sigmoid"
    write_traversals(path, EchoGenerator(channels, size), config, "cpu")
    image = Image.open(path)
    assert image.mode == ("L" if channels == 1 else "RGB")
    assert grid_shape(path, size) == (INFOGAN_CONTINUOUS, INFOGAN_CATEGORIES, SWEEP_STEPS)
    panel = SWEEP_STEPS * (size + PADDING) + PADDING
    assert image.size == (2 * panel + PANEL_GAP, LABEL_HEIGHT + 10 * (size + PADDING) + PADDING)
    labels = np.asarray(image.convert("L"))[:LABEL_HEIGHT]
    assert (labels < WHITE).any(), "the panels are labelled"


def test_canvas_of_one_panel_has_no_gap():
    image = traversal_canvas(torch.rand(1, 4, 1, 8, 8))
    assert image.size == (SWEEP_STEPS * 10 + PADDING, LABEL_HEIGHT + 10 + PADDING)
