"""Model families: each describes its G, D and Q head once, as a torch-free layer plan.

`model.family` picks one. gan_bench/train/models.py builds the torch modules from the plan and
gan_bench/study/cost.py counts its multiply-accumulates, so a family is described here and
nowhere else. A family also states what it cannot express: the tricks it fixes at their
registry default (a study that varies one is refused at validation, naming the key), the
image sizes it is laid out for, and the settings its source trains with, which fill in under
whatever a study sets itself.

- `dcgan` (the default): DCGAN's all-convolutional nets, 4x4 doubled per block to 16, 32 or
  64 pixels, honouring every architecture trick.
- `infogan_mnist`: the networks of InfoGAN's MNIST experiment (Chen et al. 2016, Table 1 of
  the appendix) at 28x28: D/Q with two stride-2 4x4 convs (64, 128), FC 1024 and Q's own
  FC 128-BN-LeakyReLU head; G with FC 1024, FC 7x7x128 and two stride-2 4x4 up-convs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from gan_bench.study.layers import (
    Activation,
    BatchNorm,
    Conv,
    ConvMaxPool,
    ConvTranspose,
    Dropout,
    Flatten,
    Layer,
    Linear,
    Output,
    ResizeConv,
    Unflatten,
)
from gan_bench.study.tricks import (
    INFOGAN_CODE_DIM,
    TRICKS,
    TrickSettings,
    format_level,
    run_tricks,
)

Q_HIDDEN = 128  # Q head's hidden width: the paper's FC 128, kept for both families


@dataclass(frozen=True)
class NetworkPlan:
    """G, D and the Q head of one run, as layers. G's input is `input_dim` wide: a 1x1 map
    (`generator_input` "map") or a flat vector ("vector"); D's body ends in features that
    both its logit head and the Q head read (flattened: `feature_dim`)."""

    generator: tuple[Layer, ...]
    generator_input: str
    input_dim: int
    d_body: tuple[Layer, ...]
    d_head: tuple[Layer, ...]
    q_head: tuple[Layer, ...]  # empty without InfoGAN codes
    feature_dim: int


Planner = Callable[[TrickSettings, int, int, Mapping[str, Any], float], NetworkPlan]


@dataclass(frozen=True)
class Family:
    """A network family and what it can and cannot express."""

    name: str
    summary: str
    image_sizes: tuple[int, ...]
    fixed_tricks: tuple[str, ...]  # held at the registry default by the family's layout
    leaky_slope: float  # every LeakyReLU of the family
    info_continuous_weight: float  # weight of Q's Gaussian term on the continuous codes
    uses_base_channels: bool
    defaults: Mapping[str, Mapping[str, Any]]  # section -> key -> value, under the study's
    planner: Planner

    def plan(
        self, tricks: TrickSettings, image_size: int, channels: int, model: Mapping[str, Any]
    ) -> NetworkPlan:
        """The layer plan of one run's networks."""
        return self.planner(tricks, image_size, channels, model, self.leaky_slope)


def _activation(name: str, slope: float) -> Activation:
    return Activation("leaky_relu", slope) if name == "leaky_relu" else Activation("relu")


def _stride2_padding(kernel: int) -> tuple[int, int]:
    """(padding, output_padding) that make a stride-2 (transposed) conv exactly halve/double."""
    return {3: (1, 1), 4: (1, 0), 5: (2, 1)}[kernel]


def dcgan_blocks(image_size: int) -> int:
    """Resolution-changing blocks between 4x4 and the image size (16 -> 2, 32 -> 3, 64 -> 4)."""
    blocks = int(math.log2(image_size // 4))
    if 4 * 2**blocks != image_size:
        raise ValueError(f"image size {image_size} is not 4 * 2^k")
    return blocks


def _upsample(in_ch: int, out_ch: int, size: int, tricks: TrickSettings, bias: bool) -> Layer:
    kernel = tricks.kernel_size
    if tricks.g_upsample == "resize":
        return ResizeConv(in_ch, out_ch, kernel, size, bias)
    padding, output_padding = _stride2_padding(kernel)
    return ConvTranspose(in_ch, out_ch, kernel, 2, padding, output_padding, size, bias)


def _downsample(in_ch: int, out_ch: int, size: int, tricks: TrickSettings, bias: bool) -> Layer:
    kernel = tricks.kernel_size
    if tricks.d_downsample == "maxpool":
        return ConvMaxPool(in_ch, out_ch, kernel, size, bias)
    return Conv(in_ch, out_ch, kernel, 2, _stride2_padding(kernel)[0], size, bias)


def _q_head(features: int, tricks: TrickSettings, slope: float, norm: bool) -> tuple:
    if not tricks.infogan:
        return ()
    middle = (BatchNorm(Q_HIDDEN, 1),) if norm else ()
    return (
        Linear(features, Q_HIDDEN),
        *middle,
        Activation("leaky_relu", slope),
        Linear(Q_HIDDEN, INFOGAN_CODE_DIM),
    )


def _input_dim(tricks: TrickSettings, model: Mapping[str, Any]) -> int:
    return model["latent_dim"] + (INFOGAN_CODE_DIM if tricks.infogan else 0)


def dcgan_plan(
    tricks: TrickSettings,
    image_size: int,
    channels: int,
    model: Mapping[str, Any],
    slope: float,
) -> NetworkPlan:
    """z -> 4x4 -> ... -> image; image -> ... -> 4x4 -> logit (no BatchNorm on D's first
    block, as in DCGAN). Every resolution change honours kernel_size, g_upsample and
    d_downsample, with paddings that keep shapes exact for kernels 3, 4 and 5."""
    blocks, input_dim = dcgan_blocks(image_size), _input_dim(tricks, model)
    width = model["base_channels"] * 2 ** (blocks - 1)
    g_act = _activation(tricks.g_activation, slope)
    generator: list[Layer] = [
        ConvTranspose(input_dim, width, 4, 1, 0, 0, 1, bias=False),
        BatchNorm(width),
        g_act,
    ]
    size = 4
    for _ in range(blocks - 1):
        generator += [_upsample(width, width // 2, size, tricks, False), BatchNorm(width // 2)]
        generator.append(g_act)
        width, size = width // 2, size * 2
    generator += [_upsample(width, channels, size, tricks, True), Output(tricks.g_output)]
    d_act = _activation(tricks.d_activation, slope)
    body: list[Layer] = []
    width_in, width, size = channels, model["base_channels"], image_size
    for index in range(blocks):
        body.append(_downsample(width_in, width, size, tricks, bias=index == 0))
        body += [BatchNorm(width)] if index > 0 else []
        body.append(d_act)
        body += [Dropout(tricks.d_dropout)] if tricks.d_dropout > 0 else []
        width_in, width, size = width, width * 2, size // 2
    return NetworkPlan(
        generator=tuple(generator),
        generator_input="map",
        input_dim=input_dim,
        d_body=tuple(body),
        d_head=(Conv(width_in, 1, 4, 1, 0, 4),),
        q_head=_q_head(width_in * 16, tricks, slope, norm=False),
        feature_dim=width_in * 16,
    )


PAPER_FC = 1024  # InfoGAN MNIST: the FC layer of G's input and of D's features
PAPER_WIDTHS = (64, 128)  # channels after D's first and second conv (and G's mirror)


def infogan_mnist_plan(
    tricks: TrickSettings,
    image_size: int,
    channels: int,
    model: Mapping[str, Any],
    slope: float,
) -> NetworkPlan:
    """The paper's MNIST networks: 28 -> 14 -> 7 -> FC 1024 in D, the mirror in G. Conv
    biases stay before BatchNorm, as in the authors' released code."""
    narrow, wide = PAPER_WIDTHS
    quarter, half = image_size // 4, image_size // 2
    g_act = _activation(tricks.g_activation, slope)
    d_act = _activation(tricks.d_activation, slope)
    input_dim = _input_dim(tricks, model)
    flat = wide * quarter**2
    generator = (
        Linear(input_dim, PAPER_FC),
        BatchNorm(PAPER_FC, 1),
        g_act,
        Linear(PAPER_FC, flat),
        BatchNorm(flat, 1),
        g_act,
        Unflatten(wide, quarter),
        ConvTranspose(wide, narrow, 4, 2, 1, 0, quarter),
        BatchNorm(narrow),
        g_act,
        ConvTranspose(narrow, channels, 4, 2, 1, 0, half),
        Output(tricks.g_output),
    )
    body = (
        Conv(channels, narrow, 4, 2, 1, image_size),
        d_act,
        Conv(narrow, wide, 4, 2, 1, half),
        BatchNorm(wide),
        d_act,
        Flatten(),
        Linear(flat, PAPER_FC),
        BatchNorm(PAPER_FC, 1),
        d_act,
    )
    return NetworkPlan(
        generator=generator,
        generator_input="vector",
        input_dim=input_dim,
        d_body=body,
        d_head=(Linear(PAPER_FC, 1),),
        q_head=_q_head(PAPER_FC, tricks, slope, norm=True),
        feature_dim=PAPER_FC,
    )


def _frozen(sections: dict[str, dict[str, Any]]) -> Mapping[str, Mapping[str, Any]]:
    return MappingProxyType({key: MappingProxyType(value) for key, value in sections.items()})


FAMILIES: dict[str, Family] = {
    "dcgan": Family(
        name="dcgan",
        summary="DCGAN's all-convolutional nets at 16, 32 or 64 pixels",
        image_sizes=(16, 32, 64),
        fixed_tricks=(),
        leaky_slope=0.2,
        info_continuous_weight=0.1,
        uses_base_channels=True,
        defaults=_frozen({}),
        planner=dcgan_plan,
    ),
    # Where the paper is silent, its authors' released code decides: U(-1, 1) noise, a
    # sigmoid output on [0, 1] images, LeakyReLU slope 0.01, Adam beta1 0.5, 5000 steps
    # (50 epochs of 100 updates). Q's continuous term is a unit-variance Gaussian NLL,
    # 0.5 * sum of squares over the 2 codes = the mean squared error, weight 1 (lambda 1).
    "infogan_mnist": Family(
        name="infogan_mnist",
        summary="InfoGAN's MNIST networks (Chen et al. 2016) at 28x28",
        image_sizes=(28,),
        fixed_tricks=("d_downsample", "g_upsample", "kernel_size", "d_dropout"),
        leaky_slope=0.01,
        info_continuous_weight=1.0,
        uses_base_channels=False,
        defaults=_frozen(
            {
                "dataset": {"image_size": 28},
                "model": {"latent_dim": 62},
                "train": {"batch_size": 128, "lr_d": 2.0e-4, "lr_g": 1.0e-3, "steps": 5000},
                "baseline": {"infogan": True, "latent": "uniform", "g_output": "sigmoid"},
            }
        ),
        planner=infogan_mnist_plan,
    ),
}
DEFAULT_FAMILY = "dcgan"


def family_of(model: Mapping[str, Any]) -> Family:
    """The family a run's `model` section names (the default when it names none)."""
    return FAMILIES[model.get("family", DEFAULT_FAMILY)]


def run_plan(config: Mapping[str, Any], channels: int) -> NetworkPlan:
    """The layer plan of one run's resolved config."""
    model = config["model"]
    size = config["dataset"]["image_size"]
    return family_of(model).plan(run_tricks(config), size, channels, model)


def family_named(study: Mapping[str, Any]) -> Family:
    """The family a (schema-checked) study names: its defaults fill in under the study's."""
    return family_of(study.get("model", {}))


def _levels_of(study: Mapping[str, Any], trick: str) -> list[tuple[str, Any]]:
    """Every (key, level) at which a study sets `trick`: baseline, factors and cells."""
    found = []
    if trick in study.get("baseline", {}):
        found.append((f"baseline.{trick}", study["baseline"][trick]))
    for index, level in enumerate(study.get("factors", {}).get(trick, [])):
        found.append((f"factors.{trick}[{index}]", level))
    for index, cell in enumerate(study.get("cells", [])):
        if trick in cell:
            found.append((f"cells[{index}].{trick}", cell[trick]))
    return found


def family_problems(study: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What a completed study asks of its family that the family cannot express: another
    image size, a width setting it does not have, a level of a trick its layout fixes."""
    family = family_named(study)
    others = ", ".join(f"{f.name}: {'/'.join(map(str, f.image_sizes))}" for f in FAMILIES.values())
    problems = []
    size = study["dataset"]["image_size"]
    if size not in family.image_sizes:
        problems.append(
            ("dataset.image_size", f"model.family {family.name} does not take {size} ({others})")
        )
    if "base_channels" in study["model"] and not family.uses_base_channels:
        problems.append(
            ("model.base_channels", f"model.family {family.name} has fixed widths; remove it")
        )
    for trick in family.fixed_tricks:
        default = TRICKS[trick].default
        for key, level in _levels_of(study, trick):
            if type(level) is not type(default) or level != default:
                problems.append(
                    (
                        key,
                        f"model.family {family.name} fixes {trick} at {format_level(default)} "
                        f"(its networks cannot express {format_level(level)}; dcgan can)",
                    )
                )
    return problems
