"""G and D built from a model family's layer plan (gan_bench/study/families.py).

The plan says which layers, in which order, with which sizes; this module only turns each
described layer into its torch module, so the networks and the cost model
(gan_bench/study/cost.py) read one description.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from gan_bench.study import layers as plan_layers
from gan_bench.study.families import NetworkPlan, run_plan
from gan_bench.study.tricks import (  # noqa: F401 (re-exported: train.py, tests)
    INFOGAN_CATEGORIES,
    INFOGAN_CODE_DIM,
    INFOGAN_CONTINUOUS,
)


def _conv(layer: plan_layers.Conv) -> nn.Module:
    padding: int | str = "same" if layer.padding < 0 else layer.padding
    return nn.Conv2d(
        layer.in_ch, layer.out_ch, layer.kernel, layer.stride, padding, bias=layer.bias
    )


def build_layer(layer: plan_layers.Layer) -> nn.Module:
    """The torch module a described layer names."""
    match layer:
        case plan_layers.Linear():
            return nn.Linear(layer.in_features, layer.out_features, bias=layer.bias)
        case plan_layers.Conv():
            return _conv(layer)
        case plan_layers.ConvTranspose():
            return nn.ConvTranspose2d(
                layer.in_ch,
                layer.out_ch,
                layer.kernel,
                stride=layer.stride,
                padding=layer.padding,
                output_padding=layer.output_padding,
                bias=layer.bias,
            )
        case plan_layers.ResizeConv():
            same = plan_layers.Conv(layer.in_ch, layer.out_ch, layer.kernel, 1, -1, 0, layer.bias)
            return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), _conv(same))
        case plan_layers.ConvMaxPool():
            same = plan_layers.Conv(layer.in_ch, layer.out_ch, layer.kernel, 1, -1, 0, layer.bias)
            return nn.Sequential(_conv(same), nn.MaxPool2d(2))
        case plan_layers.BatchNorm():
            return (
                nn.BatchNorm1d(layer.features)
                if layer.dims == 1
                else nn.BatchNorm2d(layer.features)
            )
        case plan_layers.Activation():
            return nn.LeakyReLU(layer.slope) if layer.name == "leaky_relu" else nn.ReLU()
        case plan_layers.Dropout():
            return nn.Dropout(layer.p)
        case plan_layers.Flatten():
            return nn.Flatten()
        case plan_layers.Unflatten():
            return nn.Unflatten(1, (layer.channels, layer.size, layer.size))
        case plan_layers.Output():
            return nn.Tanh() if layer.name == "tanh" else nn.Sigmoid()
    raise TypeError(f"no torch module for {layer!r}")


def build_sequence(layers: tuple[plan_layers.Layer, ...]) -> nn.Sequential:
    return nn.Sequential(*(build_layer(layer) for layer in layers))


def init_dcgan_weights(module: nn.Module) -> None:
    """DCGAN init: conv weights N(0, 0.02), BatchNorm scale N(1, 0.02), biases 0."""
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class Generator(nn.Module):
    """z (+ InfoGAN codes) -> image, with tanh or sigmoid on the output."""

    def __init__(self, plan: NetworkPlan):
        super().__init__()
        self.input_dim = plan.input_dim
        self.as_map = plan.generator_input == "map"
        self.net = build_sequence(plan.generator)
        self.apply(init_dcgan_weights)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], -1, 1, 1) if self.as_map else z)


class Discriminator(nn.Module):
    """image -> features -> one logit; exposes features and an optional Q head."""

    def __init__(self, plan: NetworkPlan):
        super().__init__()
        self.body = build_sequence(plan.d_body)
        self.feature_dim = plan.feature_dim
        head = build_sequence(plan.d_head)
        self.head = head[0] if len(head) == 1 else head
        self.q_head = build_sequence(plan.q_head) if plan.q_head else None
        self.apply(init_dcgan_weights)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The features before the logit head (feature matching, Q head)."""
        return self.body(images)

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features).view(-1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.logits(self.features(images))


def build_models(config: dict[str, Any], channels: int) -> tuple[Generator, Discriminator]:
    """G and D for one run's resolved config, from its family's layer plan."""
    plan = run_plan(config, channels)
    return Generator(plan), Discriminator(plan)


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
