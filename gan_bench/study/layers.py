"""Torch-free descriptions of network layers, each able to count its own multiply-accumulates.

A model family (gan_bench/study/families.py) describes G, D and the Q head as tuples of
these; gan_bench/train/models.py turns each into the torch module it names, and
gan_bench/study/cost.py sums their `macs()`. One description, read twice, so the cost model
cannot drift from the networks (tests/study/test_cost.py checks both against torch's FLOP
counter). Spatial sizes are the layer's input size, fixed when the plan is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Linear:
    """A fully connected layer on flat features."""

    in_features: int
    out_features: int
    bias: bool = True

    def macs(self) -> int:
        return self.in_features * self.out_features


@dataclass(frozen=True)
class Conv:
    """A 2-D convolution; `padding` -1 means "same" (stride 1 only)."""

    in_ch: int
    out_ch: int
    kernel: int
    stride: int
    padding: int
    in_size: int
    bias: bool = True

    @property
    def out_size(self) -> int:
        if self.padding < 0:
            return self.in_size
        return (self.in_size + 2 * self.padding - self.kernel) // self.stride + 1

    def macs(self) -> int:
        return self.out_size**2 * self.in_ch * self.out_ch * self.kernel**2


@dataclass(frozen=True)
class ConvTranspose:
    """A transposed convolution: every input pixel scatters a kernel-sized patch."""

    in_ch: int
    out_ch: int
    kernel: int
    stride: int
    padding: int
    output_padding: int
    in_size: int
    bias: bool = True

    @property
    def out_size(self) -> int:
        return (
            (self.in_size - 1) * self.stride - 2 * self.padding + self.kernel + self.output_padding
        )

    def macs(self) -> int:
        return self.in_size**2 * self.in_ch * self.out_ch * self.kernel**2


@dataclass(frozen=True)
class ResizeConv:
    """Nearest-neighbour 2x resize, then a stride-1 "same" conv at the doubled size."""

    in_ch: int
    out_ch: int
    kernel: int
    in_size: int
    bias: bool = True

    def macs(self) -> int:
        return (2 * self.in_size) ** 2 * self.in_ch * self.out_ch * self.kernel**2


@dataclass(frozen=True)
class ConvMaxPool:
    """A stride-1 "same" conv at full size, then a 2x2 max-pool."""

    in_ch: int
    out_ch: int
    kernel: int
    in_size: int
    bias: bool = True

    def macs(self) -> int:
        return self.in_size**2 * self.in_ch * self.out_ch * self.kernel**2


@dataclass(frozen=True)
class BatchNorm:
    """BatchNorm over channels (`dims` 2: feature maps) or features (`dims` 1: flat)."""

    features: int
    dims: Literal[1, 2] = 2

    def macs(self) -> int:
        return 0


@dataclass(frozen=True)
class Activation:
    """ReLU, or LeakyReLU with its negative slope."""

    name: Literal["relu", "leaky_relu"]
    slope: float = 0.0

    def macs(self) -> int:
        return 0


@dataclass(frozen=True)
class Dropout:
    p: float

    def macs(self) -> int:
        return 0


@dataclass(frozen=True)
class Flatten:
    """A feature map -> flat features."""

    def macs(self) -> int:
        return 0


@dataclass(frozen=True)
class Unflatten:
    """Flat features -> a (channels, size, size) map."""

    channels: int
    size: int

    def macs(self) -> int:
        return 0


@dataclass(frozen=True)
class Output:
    """G's last nonlinearity: tanh for data in [-1, 1], sigmoid for [0, 1]."""

    name: Literal["tanh", "sigmoid"]

    def macs(self) -> int:
        return 0


Layer = (
    Linear
    | Conv
    | ConvTranspose
    | ResizeConv
    | ConvMaxPool
    | BatchNorm
    | Activation
    | Dropout
    | Flatten
    | Unflatten
    | Output
)


def total_macs(layers: tuple[Layer, ...]) -> int:
    """Multiply-accumulates of one pass of one image through `layers`."""
    return sum(layer.macs() for layer in layers)
