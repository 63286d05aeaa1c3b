"""DCGAN generator and discriminator built from trick settings.

Image sizes 16, 32 and 64 (4x4 base doubled per block), 1 or 3 channels. Every layer that
changes resolution honours `kernel_size`, `g_upsample` and `d_downsample`, with paddings
chosen so the output shape is exact for kernels 3, 4 and 5.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from gan_bench.study.tricks import (  # noqa: F401 (re-exported: train.py, tests)
    INFOGAN_CATEGORIES,
    INFOGAN_CODE_DIM,
    INFOGAN_CONTINUOUS,
    INFOGAN_Q_HIDDEN,
)

LEAKY_SLOPE = 0.2


def _activation(name: str) -> nn.Module:
    return nn.LeakyReLU(LEAKY_SLOPE) if name == "leaky_relu" else nn.ReLU()


def _stride2_padding(kernel_size: int) -> tuple[int, int]:
    """(padding, output_padding) that make a stride-2 (transposed) conv exactly halve/double."""
    return {3: (1, 1), 4: (1, 0), 5: (2, 1)}[kernel_size]


def num_blocks(image_size: int) -> int:
    """Resolution-changing blocks between 4x4 and the image size (16 -> 2, 32 -> 3, 64 -> 4)."""
    blocks = int(math.log2(image_size // 4))
    if 4 * 2**blocks != image_size:
        raise ValueError(f"image size {image_size} is not 4 * 2^k")
    return blocks


def upsample(in_ch: int, out_ch: int, kernel_size: int, mode: str, bias: bool) -> nn.Module:
    """Double the resolution: stride-2 transposed conv, or nearest resize + stride-1 conv."""
    if mode == "resize":
        return nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(in_ch, out_ch, kernel_size, stride=1, padding="same", bias=bias),
        )
    padding, output_padding = _stride2_padding(kernel_size)
    return nn.ConvTranspose2d(
        in_ch,
        out_ch,
        kernel_size,
        stride=2,
        padding=padding,
        output_padding=output_padding,
        bias=bias,
    )


def downsample(in_ch: int, out_ch: int, kernel_size: int, mode: str, bias: bool) -> nn.Module:
    """Halve the resolution: stride-2 conv, or stride-1 conv + 2x2 max-pool."""
    if mode == "maxpool":
        return nn.Sequential(
            nn.Conv2d(in_ch, out_ch, kernel_size, stride=1, padding="same", bias=bias),
            nn.MaxPool2d(2),
        )
    padding, _ = _stride2_padding(kernel_size)
    return nn.Conv2d(in_ch, out_ch, kernel_size, stride=2, padding=padding, bias=bias)


def init_dcgan_weights(module: nn.Module) -> None:
    """DCGAN init: conv weights N(0, 0.02), BatchNorm scale N(1, 0.02), biases 0."""
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class Generator(nn.Module):
    """z (+ InfoGAN codes) -> 4x4 -> ... -> image, with tanh or sigmoid on the output."""

    def __init__(
        self, tricks: dict[str, Any], image_size: int, channels: int, latent_dim: int, base: int
    ):
        super().__init__()
        blocks = num_blocks(image_size)
        self.input_dim = latent_dim + (INFOGAN_CODE_DIM if tricks["infogan"] else 0)
        width = base * 2 ** (blocks - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(self.input_dim, width, 4, 1, 0, bias=False),
            nn.BatchNorm2d(width),
            _activation(tricks["g_activation"]),
        ]
        for _ in range(blocks - 1):
            layers += [
                upsample(
                    width, width // 2, tricks["kernel_size"], tricks["g_upsample"], bias=False
                ),
                nn.BatchNorm2d(width // 2),
                _activation(tricks["g_activation"]),
            ]
            width //= 2
        layers.append(
            upsample(width, channels, tricks["kernel_size"], tricks["g_upsample"], bias=True)
        )
        layers.append(nn.Tanh() if tricks["g_output"] == "tanh" else nn.Sigmoid())
        self.net = nn.Sequential(*layers)
        self.apply(init_dcgan_weights)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], -1, 1, 1))


class Discriminator(nn.Module):
    """image -> ... -> 4x4 features -> one logit; exposes features and an optional Q head."""

    def __init__(self, tricks: dict[str, Any], image_size: int, channels: int, base: int):
        super().__init__()
        blocks = num_blocks(image_size)
        layers: list[nn.Module] = []
        width_in, width = channels, base
        for index in range(blocks):
            layers.append(
                downsample(
                    width_in, width, tricks["kernel_size"], tricks["d_downsample"], bias=index == 0
                )
            )
            if index > 0:  # DCGAN: no BatchNorm on D's first block
                layers.append(nn.BatchNorm2d(width))
            layers.append(_activation(tricks["d_activation"]))
            if tricks["d_dropout"] > 0:
                layers.append(nn.Dropout(tricks["d_dropout"]))
            width_in, width = width, width * 2
        self.body = nn.Sequential(*layers)
        self.feature_dim = width_in * 16
        self.head = nn.Conv2d(width_in, 1, 4, 1, 0)
        self.q_head: nn.Module | None = None
        if tricks["infogan"]:
            self.q_head = nn.Sequential(
                nn.Linear(self.feature_dim, INFOGAN_Q_HIDDEN),
                nn.LeakyReLU(LEAKY_SLOPE),
                nn.Linear(INFOGAN_Q_HIDDEN, INFOGAN_CODE_DIM),
            )
        self.apply(init_dcgan_weights)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The 4x4 feature map before the final conv (feature matching, Q head)."""
        return self.body(images)

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features).view(-1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.logits(self.features(images))


def build_models(config: dict[str, Any], channels: int) -> tuple[Generator, Discriminator]:
    """G and D for one run's resolved config."""
    tricks, model = config["tricks"], config["model"]
    size = config["dataset"]["image_size"]
    generator = Generator(tricks, size, channels, model["latent_dim"], model["base_channels"])
    discriminator = Discriminator(tricks, size, channels, model["base_channels"])
    return generator, discriminator


def sample_latent(
    batch: int,
    latent_dim: int,
    kind: str,
    infogan: bool,
    device: torch.device | str,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """(G input, categorical code indices, continuous codes). Normal N(0,I) or uniform U(-1,1)."""
    if kind == "uniform":
        z = torch.rand(batch, latent_dim, device=device, generator=generator).mul_(2).sub_(1)
    else:
        z = torch.randn(batch, latent_dim, device=device, generator=generator)
    if not infogan:
        return z, None, None
    categories = torch.randint(0, INFOGAN_CATEGORIES, (batch,), device=device, generator=generator)
    continuous = (
        torch.rand(batch, INFOGAN_CONTINUOUS, device=device, generator=generator).mul_(2).sub_(1)
    )
    return code_input(z, categories, continuous), categories, continuous


def code_input(z: torch.Tensor, categories: torch.Tensor, continuous: torch.Tensor) -> torch.Tensor:
    """G's input for given InfoGAN codes: [z, one-hot category, continuous codes]."""
    one_hot = nn.functional.one_hot(categories.long(), INFOGAN_CATEGORIES).to(z.dtype)
    return torch.cat([z, one_hot, continuous.to(z.dtype)], dim=1)
