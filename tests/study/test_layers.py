"""Each described layer's output size and MAC count, against the torch module it builds
and torch's FLOP counter."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from gan_bench.study import layers
from gan_bench.train.models import build_layer

SIZED = [
    layers.Conv(3, 8, 4, 2, 1, 16),
    layers.Conv(3, 8, 5, 2, 2, 28),
    layers.Conv(8, 1, 4, 1, 0, 4),
    layers.ConvTranspose(8, 4, 4, 2, 1, 0, 7),
    layers.ConvTranspose(8, 4, 3, 2, 1, 1, 8),
    layers.ConvTranspose(12, 8, 4, 1, 0, 0, 1, bias=False),
    layers.ResizeConv(8, 4, 3, 8),
    layers.ConvMaxPool(4, 8, 5, 16),
]


def _out_size(layer) -> int:
    if isinstance(layer, layers.ResizeConv):
        return 2 * layer.in_size
    if isinstance(layer, layers.ConvMaxPool):
        return layer.in_size // 2
    return layer.out_size


@pytest.mark.parametrize("layer", SIZED, ids=repr)
def test_sized_layers_make_the_size_they_say_and_cost_what_torch_counts(layer):
    module = build_layer(layer)
    images = torch.zeros(2, layer.in_ch, layer.in_size, layer.in_size)
    with FlopCounterMode(display=False) as counter:
        out = module(images)
    assert out.shape == (2, layer.out_ch, _out_size(layer), _out_size(layer))
    assert counter.get_total_flops() == 2 * 2 * layer.macs()


def test_linear_and_shape_layers():
    linear = layers.Linear(74, 1024)
    with FlopCounterMode(display=False) as counter:
        out = build_layer(linear)(torch.zeros(3, 74))
    assert out.shape == (3, 1024) and counter.get_total_flops() == 3 * 2 * linear.macs()
    flat = build_layer(layers.Unflatten(128, 7))(torch.zeros(2, 128 * 49))
    assert flat.shape == (2, 128, 7, 7)
    assert build_layer(layers.Flatten())(flat).shape == (2, 128 * 49)
    free = [layers.BatchNorm(8), layers.Activation("relu"), layers.Dropout(0.5)]
    assert layers.total_macs((linear, *free, layers.Output("tanh"))) == linear.macs()
